/* Catch-up: fetching blocks a node lacks, with their commits, from peers'
 * JSON-RPC `sync` method (docs/RPC.md), on a thread of its own so the
 * node's loop never waits on the network.
 *
 * The loop asks for a range (nt_sync_request); the sync thread tries the
 * peers' RPC URLs in turn and hands back each fetched (block, commit) pair
 * through the delivery callback, in height order. Before delivering, it
 * decodes and verifies every record signature of the fetched blocks on a
 * few threads (nt_sync_verified tells the loop which blocks passed), the
 * costly part of checking a block, so the loop need not. It does NOT apply
 * anything: the loop checks every commit against the validator set
 * (nt_ledger_check_block + nt_ledger_append verify everything) before
 * applying, so a lying peer can only waste time. */
#ifndef NT_SYNC_H
#define NT_SYNC_H

#include "base/err.h"
#include "core/block.h"
#include "core/commit.h"
#include "crypto/keys.h"
#include "net/tls.h"

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
/* As nt_sync_start; tls[i] (tls may be NULL) is what the client of
 * rpc_urls[i] trusts when that URL is tls+tcp:// (the structs must stay
 * valid until nt_sync_stop: the node's nd_tls does); signer (taken, may be
 * NULL) signs the requests to a peer that answers unsigned ones -32009
 * (access.sync_open 0: docs/RPC.md "Signed requests"), from its first
 * refusal on. */
nt_err nt_sync_start_ex(const char *const *rpc_urls, const nt_tls_opts *const *tls, size_t nurls,
			nt_sync_deliver d, void *arg, nt_seckey *signer, nt_sync **out,
			nt_why *why) NT_MUST_CHECK;
/* Asks for heights from..to (inclusive). Replaces any earlier request;
 * returns at once. */
void nt_sync_request(nt_sync *s, uint64_t from, uint64_t to);
/* Stops the thread and frees; NULL is a no-op. */
void nt_sync_stop(nt_sync *s);
/* Raises the end of the request in progress to to, without restarting it
 * (what was fetched ahead stays valid). False when no request is in
 * progress: ask with nt_sync_request instead. */
bool nt_sync_extend(nt_sync *s, uint64_t to);

/* Blocks delivered ahead of the height the loop reported applied
 * (nt_sync_applied): the thread waits rather than run further ahead, so
 * the loop's queue (SYNC_QUEUE_MAX) never overflows and drops blocks. */
#define NT_SYNC_WINDOW 200

/* The loop's ledger height after it handled a delivered block: lets the
 * thread deliver up to height + NT_SYNC_WINDOW. */
void nt_sync_applied(nt_sync *s, uint64_t height);

/* True if the sync thread itself decoded strictly and verified the
 * signature of every record of a block of this height, record count and
 * records_root (the root it computed from the record bytes). Call it only
 * for a block whose records are proven to match its header's
 * records_root and record_count (nt_ledger_check_block proves that before
 * it consults known_valid), so the root pins exactly the verified record
 * bytes: whoever sent the block, a true answer skips nothing unchecked.
 * Safe from any thread; false for NULL. */
bool nt_sync_verified(nt_sync *s, const nt_block *b);

#endif
