/* Catching up: a node that learns (from a peer's STATUS, or a genuinely
 * signed message of a later height) that the network is ahead asks the
 * sync thread (node/sync.h) for the missing blocks, and applies each one
 * in the loop only after nt_ledger_check_block (no clock bound: these
 * blocks are already decided) and nt_ledger_append, which verifies the
 * commit against the genesis validators. A lying peer can only waste our
 * time. Consensus then resumes above the new tip. */
#include "node/node_internal.h"

#include "base/hex.h"
#include "node/log.h"

#include <inttypes.h>

_Static_assert(NT_SYNC_WINDOW < SYNC_QUEUE_MAX,
	       "the sync thread must not run further ahead than the loop's queue holds");

/* A peer ahead of us by exactly one block: give consensus this long to
 * finish the height by itself before fetching the block. */
#define BEHIND_GRACE_MS 1500
/* Re-ask the sync thread when the tip did not move for this long. */
#define SYNC_RETRY_MS 3000

void nd_cons_peer_height(node *n, uint64_t tip)
{
	if (tip > n->catchup.best_peer_tip)
		n->catchup.best_peer_tip = tip;
}

void nd_catchup_tick(node *n, uint64_t now)
{
	uint64_t tip = nt_ledger_height(n->ledger);
	uint64_t best = 0;
	for (uint16_t i = 0; n->gossip.peer_tip != NULL && i < NT_MAX_VALIDATORS; i++)
		if (n->gossip.peer_tip[i] > best)
			best = n->gossip.peer_tip[i];
	if (n->catchup.best_peer_tip > best)
		best = n->catchup.best_peer_tip;
	if (best <= tip) {
		n->catchup.behind_since = 0;
		n->catchup.best_peer_tip = 0;
		return;
	}
	if (n->catchup.behind_since == 0)
		n->catchup.behind_since = now;
	if (best == tip + 1 && now < n->catchup.behind_since + BEHIND_GRACE_MS)
		return;
	if (n->catchup.sync == NULL)
		return;
	if (tip != n->catchup.sync_seen_tip) {
		n->catchup.sync_seen_tip = tip;
		n->catchup.sync_moved_at = now;
	}
	/* While blocks keep arriving, asking again would restart the fetch
	 * from tip+1 and refetch what is queued already: only a stall (or a
	 * finished request) makes a new one; a peer further ahead just
	 * extends the request in progress. */
	bool stalled = now >= n->catchup.sync_moved_at + SYNC_RETRY_MS &&
		       now >= n->catchup.sync_asked_at + SYNC_RETRY_MS;
	if (n->catchup.sync_asked_at != 0 && !stalled) {
		if (n->catchup.sync_asked_to >= best)
			return;
		if (nt_sync_extend(n->catchup.sync, best)) {
			n->catchup.sync_asked_to = best;
			return;
		}
	}
	n->catchup.sync_asked_at = now;
	n->catchup.sync_asked_to = best;
	nt_log(NT_LOG_INFO, "behind: height %" PRIu64 ", a peer has %" PRIu64 "; fetching blocks",
	       tip, best);
	nt_sync_request(n->catchup.sync, tip + 1, best);
}

/* known_valid for fetched blocks: a record the mempool holds, or any
 * record of a block our own sync thread decoded and verified (a fact about
 * the record bytes, which nt_ledger_check_block binds to the header's
 * records_root before it asks). A peer cannot claim this: only the sync
 * thread's registry answers it. */
typedef struct {
	node *n;
	bool verified;
} synced_arg;

static bool synced_known_valid(void *arg, const nt_hash *id)
{
	const synced_arg *a = arg;
	return a->verified || nd_known_valid(a->n, id);
}

/* Fetched blocks are appended without fsync, and the store is synced once
 * at the end of each run: when the next event the loop handles is not
 * another fetched block (nd_front_drain hands the loop its events as one
 * FIFO list and handles them back to back). So nothing else in the loop (a
 * consensus message that would make us sign on top of the new tip, a tick,
 * a waiter getting a receipt) runs before the blocks are durable. Nor do
 * the queries answered on the RPC threads (rpc_front.c, answer_here) see
 * them before: they read the published reader, and nd_front_publish
 * publishes only a flushed tip.
 *
 * Why unsynced appends are safe here: these blocks are already decided
 * (each carries a commit of 2f+1 precommits that append verified) and any
 * peer can hand them to us again. Each append is still one atomic LevelDB
 * batch and the log keeps batches in order, so a machine crash loses a
 * suffix of the run: the store reopens at an earlier, consistent tip (its
 * "T" is in the same batch as its block) and catch-up fetches the rest
 * again. We never acted on the lost blocks (nothing signed, no receipt
 * given), so nobody saw a tip we no longer have. */
static bool sync_flush(node *n, const peer_event *ev)
{
	if (ev->next != NULL && ev->next->kind == PE_SYNC)
		return true; /* the run goes on: the last block syncs */
	nt_why why = {{0}};
	nt_err e = nt_ledger_flush(n->ledger, &why);
	if (e != NT_OK) {
		nd_fatal(n, "cannot sync the store after fetched blocks", &why, e);
		return false;
	}
	return true;
}

static void apply_synced(node *n, peer_event *ev)
{
	nt_block *b = ev->block;
	uint64_t tip = nt_ledger_height(n->ledger);
	if (b == NULL || b->header.height != tip + 1)
		return; /* already have it (consensus was faster), or out of order */
	nt_why why = {{0}};
	/* Every check but the records' signatures (and decoding) still runs
	 * here, on the loop, for every block: header rules, roots, the last
	 * commit, duplicates; append verifies the block's commit. */
	synced_arg ka = {n, nt_sync_verified(n->catchup.sync, b)};
	nt_err e =
	    nt_ledger_check_block(n->ledger, b, ev->last_commit, 0, n->host.ccfg.max_clock_skew_ms,
				  synced_known_valid, &ka, &why);
	if (e == NT_OK)
		e = nt_ledger_append_ex(n->ledger, b, ev->commit, ev->last_commit, false, &why);
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
	if (nt_header_is_change(&b->header))
		nd_valset_follow(n); /* the commit of the next block is the new set's */
	n->catchup.blocks_synced++;
	n->metrics.blocks++;
	nd_hist_observe(&n->metrics.block_records, b->count);
	n->host.last_block = nd_mono_ms();
	char hash[65];
	nt_hex_encode(nt_ledger_tip_hash(n->ledger)->b, NT_HASH_LEN, hash);
	nt_log(NT_LOG_INFO,
	       "block %" PRIu64 ": %" PRIu32 " record%s, round %" PRIu32 ", fetched from a peer%s, "
	       "hash %.8s...",
	       b->header.height, b->count, b->count == 1 ? "" : "s", ev->commit->round,
	       ka.verified ? " (records verified by the sync thread)" : "", hash);
	/* The engine's height is behind the ledger now: idle until the next
	 * height's policy or messages start it. */
	nd_cons_idle(n);
}

void nd_cons_on_synced(node *n, peer_event *ev)
{
	apply_synced(n, ev);
	if (n->fatal)
		return;
	/* Lets the sync thread run ahead of the ledger by at most
	 * NT_SYNC_WINDOW blocks, fewer than the queue holds. */
	nt_sync_applied(n->catchup.sync, nt_ledger_height(n->ledger));
	if (!sync_flush(n, ev))
		return;
	/* Receipts only for durable blocks. */
	if (!nt_ledger_unsynced(n->ledger))
		nd_waiters_settle(n, nd_mono_ms(), false);
}
