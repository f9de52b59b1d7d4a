/* Catch-up: fetching blocks a node lacks, with their commits, from peers'
 * JSON-RPC `sync` method (docs/RPC.md), on a thread of its own so the
 * node's loop never waits on the network.
 *
 * The loop asks for a range (nt_sync_request); the sync thread tries the
 * peers' RPC URLs in turn and hands back each fetched (block, commit) pair
 * through the delivery callback, in height order. It does NOT apply
 * anything: the loop checks every commit against the validator set
 * (nt_ledger_check_block + nt_ledger_append verify everything) before
 * applying, so a lying peer can only waste time. */
#ifndef NT_SYNC_H
#define NT_SYNC_H

#include "core/block.h"
#include "core/commit.h"
#include "core/err.h"

typedef struct nt_sync nt_sync;

/* Called on the sync thread. Takes ownership of block (free with
 * nt_block_free). commit (the block's own commit) and last_commit (the
 * commit of height-1 that block's header names; NULL at height 1) are valid
 * only during the call: the loop appends with
 * nt_ledger_append(l, block, commit, last_commit). */
typedef void (*nt_sync_deliver)(void *arg, nt_block *block, const nt_commit *commit,
				const nt_commit *last_commit);

nt_err nt_sync_start(const char *const *rpc_urls, size_t nurls, nt_sync_deliver d, void *arg,
		     nt_sync **out, nt_why *why) NT_MUST_CHECK;
/* Asks for heights from..to (inclusive). Replaces any earlier request;
 * returns at once. */
void nt_sync_request(nt_sync *s, uint64_t from, uint64_t to);
/* Stops the thread and frees; NULL is a no-op. */
void nt_sync_stop(nt_sync *s);

#endif
