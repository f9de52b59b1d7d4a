/* Catching up: a node that learns (from a peer's STATUS, or a genuinely
 * signed message of a later height) that the network is ahead asks the
 * sync thread (node/sync.h) for the missing blocks, and applies each one
 * in the loop only after nt_ledger_check_block (no clock bound: these
 * blocks are already decided) and nt_ledger_append, which verifies the
 * commit against the genesis validators. A lying peer can only waste our
 * time. Consensus then resumes above the new tip. */
#include "node/node_internal.h"

#include "core/hex.h"
#include "node/log.h"

#include <inttypes.h>

/* A peer ahead of us by exactly one block: give consensus this long to
 * finish the height by itself before fetching the block. */
#define BEHIND_GRACE_MS 1500
/* Re-ask the sync thread when the tip did not move for this long. */
#define SYNC_RETRY_MS 3000

void nd_cons_peer_height(node *n, uint64_t tip)
{
	if (tip > n->best_peer_tip)
		n->best_peer_tip = tip;
}

void nd_catchup_tick(node *n, uint64_t now)
{
	uint64_t tip = nt_ledger_height(n->ledger);
	uint64_t best = 0;
	for (uint16_t i = 0; n->peer_tip != NULL && i < n->genesis.vals.n; i++)
		if (n->peer_tip[i] > best)
			best = n->peer_tip[i];
	if (n->best_peer_tip > best)
		best = n->best_peer_tip;
	if (best <= tip) {
		n->behind_since = 0;
		n->best_peer_tip = 0;
		return;
	}
	if (n->behind_since == 0)
		n->behind_since = now;
	if (best == tip + 1 && now < n->behind_since + BEHIND_GRACE_MS)
		return;
	if (n->sync == NULL)
		return;
	if (n->sync_asked_at != 0 && now < n->sync_asked_at + SYNC_RETRY_MS &&
	    n->sync_asked_to >= best)
		return;
	n->sync_asked_at = now;
	n->sync_asked_to = best;
	nt_log(NT_LOG_INFO, "behind: height %" PRIu64 ", a peer has %" PRIu64 "; fetching blocks",
	       tip, best);
	nt_sync_request(n->sync, tip + 1, best);
}

void nd_cons_on_synced(node *n, peer_event *ev)
{
	nt_block *b = ev->block;
	uint64_t tip = nt_ledger_height(n->ledger);
	if (b == NULL || b->header.height != tip + 1)
		return; /* already have it (consensus was faster), or out of order */
	nt_why why = {{0}};
	nt_err e = nt_ledger_check_block(n->ledger, b, ev->last_commit, 0,
					 n->ccfg.max_clock_skew_ms, nd_known_valid, n->mp, &why);
	if (e == NT_OK)
		e = nt_ledger_append(n->ledger, b, ev->commit, ev->last_commit, &why);
	if (e == NT_ERR_IO || e == NT_ERR_CORRUPT) {
		nd_fatal(n, "cannot store a fetched block", &why, e);
		return;
	}
	if (e != NT_OK) {
		nd_count_drop(n, ND_SYNC_REJECTED);
		nt_log(NT_LOG_WARN, "fetched block %" PRIu64 " rejected: %s", b->header.height,
		       why.msg[0] ? why.msg : nt_strerror(e));
		return;
	}
	nt_mempool_remove(n->mp, b->ids, b->count);
	n->blocks_synced++;
	n->last_block = nd_mono_ms();
	char hash[65];
	nt_hex_encode(nt_ledger_tip_hash(n->ledger)->b, NT_HASH_LEN, hash);
	nt_log(NT_LOG_INFO,
	       "block %" PRIu64 ": %" PRIu32 " record%s, round %" PRIu32 ", fetched from a peer, "
	       "hash %.8s...",
	       b->header.height, b->count, b->count == 1 ? "" : "s", ev->commit->round, hash);
	/* The engine's height is behind the ledger now: idle until the next
	 * height's policy or messages start it. */
	n->running = false;
	n->ntimers = 0;
	nd_lc_clear(n);
	nd_waiters_settle(n, nd_mono_ms(), false);
}
