/* Block production for a one-validator network, without rounds.
 *
 * For n == 1 the proposer's own precommit is a quorum, so producing a block
 * is propose -> check -> sign precommit -> commit. The node does NOT use
 * this: it runs the consensus engine (core/consensus.h) for every network
 * size, n == 1 included. The unit tests use it to build valid chains
 * quickly (ledger, sync and receipt tests), which is why it lives here. */
#ifndef NT_SOLO_H
#define NT_SOLO_H

#include "core/block.h"
#include "core/commit.h"
#include "core/ledger.h"
#include "crypto/keys.h"

/* Builds the next block from the given verified records and a commit signed
 * by key (which must be the only validator: NT_ERR_ARG otherwise). The block
 * time is max(now, tip time + 1); the precommit timestamp is the block time
 * or later. On NT_OK *block is the caller's to free. */
nt_err nt_solo_produce(const nt_ledger *l, const nt_seckey *key, const uint8_t *const *recs,
		       const size_t *lens, uint32_t n, uint64_t now, nt_block **block,
		       nt_commit *commit, nt_why *why) NT_MUST_CHECK;

#endif
