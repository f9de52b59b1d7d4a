/* The consensus engine's host (core/consensus.h) on the node's loop:
 * building and checking blocks, executing the engine's actions in order,
 * timers, the write-ahead log and the sign-state, when to start a height,
 * and catching up from peers' blocks.
 *
 * Durability order: a signature leaves the node only after its sign-state
 * (nt_privval_save) and every message fed to the engine so far, our own new
 * message included, are synced (one WAL sync per signature). A receipt is
 * answered only after the block's synced append returned.
 *
 * What the WAL holds: the input of the running height that the engine kept
 * (nt_cons_kept: authenticated, and not a copy or a flood it refused), the
 * fired timeouts, our own messages (also those signed while replaying),
 * and the messages of height+1 that the engine buffered (a lock at
 * height+1 can rest on them). Nothing unauthenticated is ever written:
 * a peer's message is checked (nt_cons_authenticate_*) before it can
 * start a height or reach the log. Those are kept
 * in memory too (node/walbuf.h) and re-appended when the WAL is reset for
 * height+1, before anything else of height+1 is fed to the engine. */
#include "node/node_internal.h"

#include "base/hex.h"
#include "core/header.h"
#include "node/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool nd_known_valid(void *arg, const nt_hash *id)
{
	node *n = arg;
	return nt_mempool_contains(n->mp, id) || nd_sigcache_has(n->sigs, id);
}

/* ---- the host table ---- */

static bool heartbeat_due(const node *n, uint64_t now)
{
	return n->cfg.block_heartbeat_s > 0 &&
	       n->last_block + (uint64_t)n->cfg.block_heartbeat_s * 1000u <= now;
}

static nt_err host_propose(void *arg, uint64_t height, uint64_t now, nt_block **out)
{
	node *n = arg;
	if (height != nt_ledger_height(n->ledger) + 1)
		return NT_ERR_CHAIN;
	size_t cnt = nt_mempool_peek(n->mp, n->cfg.block_max_records, n->cfg.block_max_bytes,
				     n->recs, n->lens, n->ids);
	/* No empty block in round 0 unless a heartbeat is due: our mempool
	 * may just lack records that are pending elsewhere (we were down when
	 * they were gossiped), and proposing nothing lets the round time out
	 * and rotate to a proposer that may hold them while re-gossip fills
	 * ours. The same right after (re)start or a peer (re)connecting: the
	 * re-gossip of what we missed is on its way. From round 1 on an
	 * empty block is fine otherwise: it keeps a height that some
	 * validator started (records or a peer's message) from stalling when
	 * no proposer has anything, and commits nothing false. */
	uint64_t now_ms = nd_mono_ms();
	if (cnt == 0 && !heartbeat_due(n, now_ms) &&
	    (nt_cons_round(n->cons) == 0 || now_ms < n->peer_joined_at + 2 * REGOSSIP_AGE_MS)) {
		nt_log(NT_LOG_DEBUG, "height %" PRIu64 " round %" PRIu32 ": nothing to propose",
		       height, nt_cons_round(n->cons));
		return NT_ERR_NOT_FOUND;
	}
	const nt_header *tip = nt_ledger_tip(n->ledger);
	uint64_t t = now;
	if (tip != NULL && t <= tip->time)
		t = tip->time + 1;
	nt_err e = nt_ledger_propose(n->ledger, n->recs, n->lens, (uint32_t)cnt, t, &n->pub, out);
	if (e != NT_OK)
		nt_log(NT_LOG_ERROR, "cannot build a proposal for height %" PRIu64 ": %s", height,
		       nt_strerror(e));
	return e;
}

void nd_lc_clear(node *n)
{
	for (size_t i = 0; i < n->nlc; i++)
		free(n->lc[i].c);
	n->nlc = 0;
}

static const nt_commit *lc_find(const node *n, const nt_hash *bh)
{
	for (size_t i = 0; i < n->nlc; i++)
		if (memcmp(n->lc[i].bh.b, bh->b, NT_HASH_LEN) == 0)
			return n->lc[i].c;
	return NULL;
}

static bool host_valid(void *arg, const nt_block *b, const nt_commit *lc, uint64_t now)
{
	node *n = arg;
	nt_why why = {{0}};
	nt_err e = nt_ledger_check_block(n->ledger, b, lc, now, n->ccfg.max_clock_skew_ms,
					 nd_known_valid, n, &why);
	if (e != NT_OK) {
		nt_log(NT_LOG_WARN, "proposal for height %" PRIu64 " is invalid: %s",
		       b->header.height, why.msg[0] ? why.msg : nt_strerror(e));
		return false;
	}
	/* Remember the last commit this block names: at COMMIT the ledger
	 * stores it as the canonical commit of the tip. */
	nt_hash bh;
	if (lc != NULL && nt_header_hash(&b->header, &bh) == NT_OK && lc_find(n, &bh) == NULL) {
		nt_commit *c = malloc(sizeof *c);
		if (c != NULL) {
			*c = *lc;
			if (n->nlc == LC_CACHE) {
				free(n->lc[0].c);
				memmove(&n->lc[0], &n->lc[1], (LC_CACHE - 1) * sizeof n->lc[0]);
				n->nlc--;
			}
			n->lc[n->nlc].bh = bh;
			n->lc[n->nlc].c = c;
			n->nlc++;
		}
	}
	return true;
}

static nt_err host_last_commit(void *arg, uint64_t height, nt_commit *out)
{
	node *n = arg;
	return nt_ledger_commit(n->ledger, height, out);
}

/* ---- WAL ---- */

void nd_fatal(node *n, const char *what, const nt_why *why, nt_err e)
{
	nt_log(NT_LOG_ERROR, "%s: %s; stopping the node", what,
	       why->msg[0] ? why->msg : nt_strerror(e));
	n->fatal = true;
}

static void wal_append(node *n, const uint8_t *p, size_t len)
{
	if (n->fatal)
		return;
	nt_why why = {{0}};
	nt_err e = nt_wal_append(n->wal, p, len, &why);
	if (e != NT_OK)
		nd_fatal(n, "cannot write the consensus WAL", &why, e);
}

/* An input: a replayed entry is in the log already. */
static void wal_log(node *n, const uint8_t *p, size_t len)
{
	if (!n->replaying)
		wal_append(n, p, len);
}

/* A message of height+1 the engine buffered: into this height's log (a
 * crash replays it with this height, and the engine buffers it again) and
 * into the copy that survives the reset for height+1. While replaying it
 * is in the log already, but the copy must be rebuilt. */
static void wal_log_next(node *n, uint64_t h, const uint8_t *p, size_t len)
{
	if (n->fatal)
		return;
	nt_err e = nt_walbuf_add(n->next_wal, h, p, len);
	if (e != NT_OK)
		nt_log(NT_LOG_WARN,
		       "a message of height %" PRIu64 " is not kept across the commit: %s", h,
		       nt_strerror(e));
	wal_log(n, p, len);
}

/* Resets the log for height h with the kept entries of h first. */
static nt_err wal_reset(node *n, uint64_t h, nt_why *why)
{
	size_t kept = nt_walbuf_height(n->next_wal) == h ? nt_walbuf_count(n->next_wal) : 0;
	nt_err e = nt_walbuf_reset_wal(n->next_wal, n->wal, h, why);
	if (e == NT_OK && kept > 0)
		nt_log(NT_LOG_DEBUG, "WAL of height %" PRIu64 ": %zu early message%s kept", h, kept,
		       kept == 1 ? "" : "s");
	return e;
}

/* Encodes the message of a broadcast or PERSIST_SIGNED action (malloc'd). */
static nt_err encode_action(const nt_cons_action *a, uint8_t **out, size_t *len)
{
	if (a->type == NT_CONS_BROADCAST_PROPOSAL ||
	    (a->type == NT_CONS_PERSIST_SIGNED && a->hrs.step == NT_STEP_PROPOSE)) {
		if (a->proposal == NULL)
			return NT_ERR_NOT_FOUND;
		return nt_peermsg_proposal_encode(a->proposal, out, len);
	}
	uint8_t *b = malloc(NT_PEERMSG_VOTE_LEN);
	if (b == NULL)
		return NT_ERR_NOMEM;
	nt_peermsg_vote_encode(&a->vote, b);
	*out = b;
	*len = NT_PEERMSG_VOTE_LEN;
	return NT_OK;
}

/* The (height, round, step) a broadcast action's signature is for. */
static nt_cons_hrs signed_at(const nt_cons_action *a)
{
	if (a->type == NT_CONS_BROADCAST_PROPOSAL)
		return (nt_cons_hrs){a->proposal->height, a->proposal->round, NT_STEP_PROPOSE};
	return (nt_cons_hrs){a->vote.height, a->vote.round,
			     a->vote.type == NT_VOTE_PREVOTE ? NT_STEP_PREVOTE : NT_STEP_PRECOMMIT};
}

/* ---- retransmission ---- */

#define RESEND_MS 1000

static void own_clear(node *n)
{
	for (int i = 0; i < 3; i++) {
		free(n->own[i]);
		n->own[i] = NULL;
	}
}

static void own_remember(node *n, const nt_cons_action *a, const uint8_t *msg, size_t len)
{
	uint64_t h;
	uint32_t r;
	int slot;
	if (a->type == NT_CONS_BROADCAST_PROPOSAL) {
		h = a->proposal->height;
		r = a->proposal->round;
		slot = 0;
	} else {
		h = a->vote.height;
		r = a->vote.round;
		slot = a->vote.type == NT_VOTE_PREVOTE ? 1 : 2;
	}
	if (h != n->own_h || r != n->own_r) {
		own_clear(n);
		n->own_h = h;
		n->own_r = r;
	}
	uint8_t *c = malloc(len);
	if (c == NULL)
		return;
	memcpy(c, msg, len);
	free(n->own[slot]);
	n->own[slot] = c;
	n->own_len[slot] = len;
	n->next_resend = nd_mono_ms() + RESEND_MS;
}

/* Re-sends our latest messages while our height (or the one we just
 * decided, for peers that missed its precommits) makes no progress. */
static void resend(node *n, uint64_t now)
{
	if (now < n->next_resend || n->peer == NULL)
		return;
	n->next_resend = now + RESEND_MS;
	uint64_t tip = nt_ledger_height(n->ledger);
	if (n->own_h == tip) {
		/* decided: only while a validator's STATUS says it lacks it */
		bool lagging = false;
		for (uint16_t i = 0; n->peer_tip != NULL && i < n->genesis.vals.n; i++)
			if ((int)i != n->self && n->peer_tip[i] < tip)
				lagging = true;
		if (!lagging)
			return;
	} else if (n->own_h != tip + 1 || !n->running) {
		return;
	}
	for (int i = 0; i < 3; i++)
		if (n->own[i] != NULL)
			nd_gossip_broadcast(n, n->own[i], n->own_len[i]);
}

/* ---- actions ---- */

static void timer_add(node *n, const nt_cons_hrs *hrs, uint64_t delay)
{
	uint64_t cur = nt_cons_height(n->cons);
	/* Drop timers of old heights first; when still full, the one due
	 * last goes (the engine re-arms what it needs on the next step). */
	size_t j = 0;
	for (size_t i = 0; i < n->ntimers; i++)
		if (n->timers[i].h >= cur)
			n->timers[j++] = n->timers[i];
	n->ntimers = j;
	if (n->ntimers == MAX_TIMERS) {
		size_t last = 0;
		for (size_t i = 1; i < n->ntimers; i++)
			if (n->timers[i].at > n->timers[last].at)
				last = i;
		n->timers[last] = n->timers[--n->ntimers];
	}
	n->timers[n->ntimers++] = (timer){
	    .at = nd_mono_ms() + delay, .h = hrs->height, .r = hrs->round, .step = hrs->step};
}

static void do_commit(node *n, const nt_block *b, const nt_commit *c)
{
	nt_why why = {{0}};
	if (b->header.height != nt_ledger_height(n->ledger) + 1) {
		/* Block sync applied this height while the engine was still
		 * collecting its precommits: nothing to store. */
		nt_log(NT_LOG_DEBUG, "decided height %" PRIu64 " is already stored",
		       b->header.height);
		return;
	}
	const nt_commit *lc = b->header.height > 1 ? lc_find(n, &c->block_hash) : NULL;
	nt_err e = nt_ledger_append(n->ledger, b, c, lc, &why);
	if (e != NT_OK) {
		/* The engine decided a block our ledger refuses, or the store
		 * failed: either way nobody may be told anything more. */
		nd_fatal(n, "cannot store the decided block", &why, e);
		return;
	}
	nt_mempool_remove(n->mp, b->ids, b->count);
	uint64_t now = nd_mono_ms();
	char hash[65];
	nt_hex_encode(c->block_hash.b, NT_HASH_LEN, hash);
	nt_log(NT_LOG_INFO,
	       "block %" PRIu64 ": %" PRIu32 " record%s, round %" PRIu32 ", %u signature%s, hash "
	       "%.8s..., %" PRIu64 " ms",
	       b->header.height, b->count, b->count == 1 ? "" : "s", c->round, (unsigned)c->count,
	       c->count == 1 ? "" : "s", hash, now - n->started_at);
	n->last_block = now;
	n->running = false;
	/* Pipelining: records that arrived while this height ran, or a block
	 * at least half full, mean load; then the next height starts as soon
	 * as anything is pending (nd_cons_block_due) instead of waiting out
	 * block.interval_ms, so the validator never idles while records
	 * wait. Blocks then hold what arrived during one height: the batch
	 * size follows the load by itself. Clients that wait for their
	 * receipts send their next record only after this commit, so a
	 * non-empty block also opens a short window (half the interval) in
	 * which the next record starts a height at once. */
	n->pipeline_until = b->count > 0 ? now + n->cfg.block_interval_ms / 2 : 0;
	pthread_mutex_lock(&n->q.mu);
	bool queued = n->q.n > 0; /* n = 1 decides inside one loop turn: its
				   * clients' requests wait in the queue */
	pthread_mutex_unlock(&n->q.mu);
	n->pipeline = n->arrived || queued || (uint64_t)b->count * 2 >= n->cfg.block_max_records;
	n->arrived = false;
	nd_lc_clear(n);
	e = wal_reset(n, b->header.height + 1, &why);
	if (e != NT_OK) {
		nd_fatal(n, "cannot reset the consensus WAL", &why, e);
		return;
	}
	nd_waiters_block(n, b->header.height);
	nd_waiters_settle(n, now, false);
}

/* Makes the sign-state of the signatures made so far durable, with every
 * WAL entry before it (one WAL sync, one sign-state save for a batch). */
static void flush_signed(node *n, bool *dirty, const nt_cons_hrs *hrs)
{
	if (!*dirty || n->fatal)
		return;
	*dirty = false;
	nt_why why = {{0}};
	nt_err e;
	if ((e = nt_wal_sync(n->wal, &why)) != NT_OK) {
		nd_fatal(n, "cannot sync the consensus WAL", &why, e);
		return;
	}
	if ((e = nt_privval_save(n->pv, hrs, &why)) != NT_OK)
		nd_fatal(n, "cannot save the sign-state", &why, e);
}

/* Executes one call's actions in order. PERSIST_SIGNED is made durable
 * before the first later action through which a signature can leave the
 * node (a broadcast to peers, a commit whose receipts carry our
 * precommit) and at the latest at the end of the batch: in a network of
 * one that is one sync for the proposal and both votes of a height. The
 * sign-state never lowers, so saving the last value covers the earlier
 * ones. */
static void exec_actions(node *n, nt_cons_actions acts)
{
	/* a message already logged by its PERSIST_SIGNED */
	uint8_t *pending = NULL;
	size_t plen = 0;
	nt_cons_hrs pending_hrs = {0};
	bool dirty = false;
	nt_cons_hrs hrs = {0};
	for (size_t i = 0; i < acts.n && !n->fatal; i++) {
		const nt_cons_action *a = &acts.v[i];
		switch (a->type) {
		case NT_CONS_PERSIST_SIGNED:
			if (n->pv == NULL) {
				nt_log(NT_LOG_ERROR,
				       "engine asked to persist a signature without a sign-state");
				n->fatal = true;
				break;
			}
			/* Log the message this signature belongs to (the action
			 * carries it) so that it is synced with the sign-state. A
			 * new signature is new input even while replaying (the log
			 * does not hold it): a lock may rest on our own vote. Its
			 * broadcast, later in this batch, sends the same bytes. */
			free(pending);
			pending = NULL;
			pending_hrs = a->hrs;
			if (encode_action(a, &pending, &plen) == NT_OK)
				wal_append(n, pending, plen);
			hrs = a->hrs;
			dirty = true;
			break;
		case NT_CONS_BROADCAST_PROPOSAL:
		case NT_CONS_BROADCAST_VOTE: {
			/* the bytes its PERSIST_SIGNED logged, if this is that message */
			nt_cons_hrs at = signed_at(a);
			uint8_t *msg = NULL;
			size_t len = 0;
			if (pending != NULL && at.height == pending_hrs.height &&
			    at.round == pending_hrs.round && at.step == pending_hrs.step) {
				msg = pending;
				len = plen;
				pending = NULL;
			}
			if (msg == NULL) {
				/* not a new signature (cannot happen today): log it anyway */
				if (encode_action(a, &msg, &len) != NT_OK)
					break;
				wal_append(n, msg, len);
			}
			if (n->peer != NULL) {
				flush_signed(n, &dirty, &hrs);
				if (!n->fatal)
					nd_gossip_broadcast(n, msg, len);
			}
			own_remember(n, a, msg, len);
			free(msg);
			break;
		}
		case NT_CONS_SCHEDULE_TIMEOUT:
			timer_add(n, &a->hrs, a->delay_ms);
			break;
		case NT_CONS_COMMIT:
			flush_signed(n, &dirty, &hrs);
			if (!n->fatal)
				do_commit(n, a->block, a->commit);
			break;
		case NT_CONS_EVIDENCE:
			nt_log(NT_LOG_WARN,
			       "validator %u EQUIVOCATED at height %" PRIu64 " round %" PRIu32
			       ": two different %s",
			       (unsigned)a->vote.index, a->vote.height, a->vote.round,
			       a->vote.type == NT_VOTE_PREVOTE ? "prevotes" : "precommits");
			break;
		default:
			break;
		}
	}
	flush_signed(n, &dirty, &hrs);
	free(pending);
}

/* ---- heights ---- */

static void start_height(node *n)
{
	uint64_t h = nt_ledger_height(n->ledger) + 1;
	nt_why why = {{0}};
	if (nt_wal_height(n->wal) != h) {
		nt_err e = wal_reset(n, h, &why);
		if (e != NT_OK) {
			nd_fatal(n, "cannot reset the consensus WAL", &why, e);
			return;
		}
	}
	nd_lc_clear(n);
	n->running = true;
	n->next_seen = false;
	n->pipeline = false;
	n->pipeline_until = 0;
	n->arrived = false;
	n->started_at = nd_mono_ms();
	nt_cons_actions acts;
	nt_err e = nt_cons_start_height(n->cons, h, nd_wall_ms(), &acts);
	exec_actions(n, acts);
	if (e != NT_OK)
		nt_log(NT_LOG_ERROR, "cannot start height %" PRIu64 ": %s", h, nt_strerror(e));
}

bool nd_cons_block_due(const node *n, uint64_t now)
{
	size_t cnt = nt_mempool_count(n->mp);
	if (cnt >= n->cfg.block_max_records || nt_mempool_bytes(n->mp) >= n->cfg.block_max_bytes)
		return true;
	if (cnt > 0 && (n->pipeline || now < n->pipeline_until ||
			nt_mempool_oldest(n->mp) + n->cfg.block_interval_ms <= now))
		return true;
	return heartbeat_due(n, now);
}

void nd_cons_maybe_start(node *n, bool force)
{
	/* n = 1 decides inside start_height: several heights may be due. */
	for (int i = 0; i < 64 && !n->fatal && !n->running; i++) {
		if (!force && !n->next_seen && !nd_cons_block_due(n, nd_mono_ms()))
			return;
		force = false;
		start_height(n);
	}
}

uint64_t nd_cons_deadline(const node *n, uint64_t d)
{
	for (size_t i = 0; i < n->ntimers; i++)
		if (n->timers[i].at < d)
			d = n->timers[i].at;
	if (!n->running) {
		if (nt_mempool_count(n->mp) > 0) {
			bool now_due = n->pipeline || nd_mono_ms() < n->pipeline_until;
			uint64_t t =
			    now_due ? 0 : nt_mempool_oldest(n->mp) + n->cfg.block_interval_ms;
			if (t < d)
				d = t;
		}
		if (n->cfg.block_heartbeat_s > 0) {
			uint64_t t = n->last_block + (uint64_t)n->cfg.block_heartbeat_s * 1000u;
			if (t < d)
				d = t;
		}
	}
	return d;
}

/* ---- messages ---- */

/* Where a message goes in the WAL. */
enum {
	LOG_NONE,
	LOG_NOW,	/* the running height */
	LOG_IF_BUFFERED /* height+1: kept across the reset for height+1 too */
};

/* Before feeding an authenticated message of height h: start our height
 * if a validator started it, note hints that we are behind; says how to
 * log it. Only authenticated messages get here: a forged vote for the
 * next height must not start it (that would make empty blocks on
 * anyone's say), nor a forged far one send us syncing. */
static int before_feed(node *n, uint64_t h)
{
	uint64_t tip = nt_ledger_height(n->ledger);
	if (h == tip + 1 && !n->running && !n->fatal)
		start_height(n);
	else if (h == tip + 2 && n->running)
		n->next_seen = true;
	if (h >= tip + 2 && h < tip + 1000000 && (h > tip + 2 || !n->running))
		nd_cons_peer_height(n, h - 1);
	if (!n->running)
		return LOG_NONE;
	if (h == nt_cons_height(n->cons))
		return LOG_NOW;
	return h == nt_cons_height(n->cons) + 1 ? LOG_IF_BUFFERED : LOG_NONE;
}

/* After the engine saw it: into the WAL iff the engine kept it (what it
 * did not keep cannot matter to a replay, and an unauthenticated message
 * is never kept), before the call's actions run, so it precedes the sync
 * of any signature that rests on it. */
static void log_if_kept(node *n, int log, uint64_t kept, uint64_t h, const uint8_t *msg,
			size_t len)
{
	if (nt_cons_kept(n->cons) == kept)
		return;
	if (log == LOG_NOW)
		wal_log(n, msg, len);
	else if (log == LOG_IF_BUFFERED)
		wal_log_next(n, h, msg, len);
}

void nd_cons_on_message(node *n, const uint8_t *msg, size_t len)
{
	uint8_t t = nt_peermsg_type(msg, len);
	nt_cons_actions acts = {0};
	nt_err e;
	if (t == NT_PEERMSG_VOTE) {
		nt_vote v;
		if (nt_peermsg_vote_decode(msg, len, &v, NULL) != NT_OK) {
			nd_count_drop(n, ND_MALFORMED);
			return;
		}
		/* refusals are counted by the engine (status: consensus drops) */
		if (nt_cons_authenticate_vote(n->cons, &v) != NT_OK)
			return;
		int log = before_feed(n, v.height);
		uint64_t kept = nt_cons_kept(n->cons);
		e = nt_cons_on_vote(n->cons, &v, nd_wall_ms(), &acts);
		(void)e; /* drops are counted by the engine */
		log_if_kept(n, log, kept, v.height, msg, len);
		exec_actions(n, acts);
		return;
	}
	if (t != NT_PEERMSG_PROPOSAL) {
		nd_count_drop(n, ND_UNKNOWN_TYPE);
		return;
	}
	nt_proposal p;
	if (nt_peermsg_proposal_decode(msg, len, &p, NULL) != NT_OK) {
		nd_count_drop(n, ND_MALFORMED);
		return;
	}
	if (nt_cons_authenticate_proposal(n->cons, &p) != NT_OK) {
		/* nothing of it is kept past the check */
		nt_block_free(p.block);
		free(p.last_commit);
		return;
	}
	uint64_t ph = p.height;
	int log = before_feed(n, ph);
	uint64_t kept = nt_cons_kept(n->cons);
	e = nt_cons_on_proposal(n->cons, &p, nd_wall_ms(), &acts);
	log_if_kept(n, log, kept, ph, msg, len);
	exec_actions(n, acts);
	/* A validator cannot decide a block it never received: pass every
	 * proposal we accepted on, once (duplicates come back NT_ERR_EXISTS). */
	if (e == NT_OK && !n->replaying) {
		nd_gossip_broadcast(n, msg, len);
		n->relayed++;
	}
}

/* ---- timers and the tick ---- */

static void fire_timers(node *n)
{
	for (int k = 0; k < MAX_TIMERS && !n->fatal; k++) {
		uint64_t now = nd_mono_ms();
		size_t i;
		for (i = 0; i < n->ntimers && n->timers[i].at > now; i++)
			;
		if (i == n->ntimers)
			return;
		timer t = n->timers[i];
		n->timers[i] = n->timers[--n->ntimers];
		if (!n->running || t.h != nt_cons_height(n->cons))
			continue;
		uint8_t entry[NT_WAL_TIMEOUT_LEN];
		entry[0] = NT_WAL_TIMEOUT;
		for (int b = 0; b < 8; b++)
			entry[1 + b] = (uint8_t)(t.h >> (56 - 8 * b));
		for (int b = 0; b < 4; b++)
			entry[9 + b] = (uint8_t)(t.r >> (24 - 8 * b));
		entry[13] = t.step;
		wal_log(n, entry, sizeof entry);
		nt_cons_actions acts;
		uint32_t r0 = nt_cons_round(n->cons);
		nt_err e = nt_cons_on_timeout(n->cons, t.h, t.r, t.step, nd_wall_ms(), &acts);
		exec_actions(n, acts);
		(void)e;
		if (n->running && nt_cons_round(n->cons) > r0)
			nt_log(NT_LOG_INFO,
			       "height %" PRIu64 ": round %" PRIu32
			       " (timeout of step %u in round %" PRIu32 ")",
			       t.h, nt_cons_round(n->cons), (unsigned)t.step, t.r);
	}
}

void nd_cons_tick(node *n)
{
	if (n->fatal)
		return;
	fire_timers(n);
	nd_cons_maybe_start(n, false);
	nd_catchup_tick(n, nd_mono_ms());
	resend(n, nd_mono_ms());
}

/* ---- open, replay, close ---- */

typedef struct {
	uint8_t **p;
	size_t *len;
	size_t n, cap;
} entries;

static nt_err collect(void *arg, const uint8_t *p, size_t len)
{
	entries *es = arg;
	if (es->n == es->cap) {
		size_t cap = es->cap ? 2 * es->cap : 64;
		uint8_t **np = realloc(es->p, cap * sizeof *np);
		if (np == NULL)
			return NT_ERR_NOMEM;
		es->p = np;
		size_t *nl = realloc(es->len, cap * sizeof *nl);
		if (nl == NULL)
			return NT_ERR_NOMEM;
		es->len = nl;
		es->cap = cap;
	}
	uint8_t *c = malloc(len);
	if (c == NULL)
		return NT_ERR_NOMEM;
	memcpy(c, p, len);
	es->p[es->n] = c;
	es->len[es->n++] = len;
	return NT_OK;
}

static void replay_entry(node *n, const uint8_t *p, size_t len)
{
	if (len == NT_WAL_TIMEOUT_LEN && p[0] == NT_WAL_TIMEOUT) {
		uint64_t h = 0;
		uint32_t r = 0;
		for (int b = 0; b < 8; b++)
			h = h << 8 | p[1 + b];
		for (int b = 0; b < 4; b++)
			r = r << 8 | p[9 + b];
		nt_cons_actions acts;
		nt_err e = nt_cons_on_timeout(n->cons, h, r, p[13], nd_wall_ms(), &acts);
		(void)e;
		exec_actions(n, acts);
		return;
	}
	nd_cons_on_message(n, p, len);
}

static nt_err replay_wal(node *n, nt_why *why)
{
	uint64_t h = nt_ledger_height(n->ledger) + 1;
	nt_err e;
	if (nt_wal_height(n->wal) + 1 == h && nt_wal_entries(n->wal) > 0) {
		/* A crash between the block's append and the WAL reset: the log
		 * of the decided height holds early messages of h. Carry them
		 * into a log of h (synced: a restart must not lose them). */
		if ((e = nt_walbuf_load(n->next_wal, n->wal, h, why)) != NT_OK ||
		    (e = wal_reset(n, h, why)) != NT_OK || (e = nt_wal_sync(n->wal, why)) != NT_OK)
			return e;
	}
	if (nt_wal_height(n->wal) != h || nt_wal_entries(n->wal) == 0)
		return NT_OK; /* an older height's log: reset at start */
	entries es = {0};
	e = nt_wal_replay(n->wal, collect, &es, why);
	if (e == NT_OK) {
		start_height(n);
		for (size_t i = 0; i < es.n && !n->fatal; i++) {
			/* An entry is in the log only while the log is still the
			 * one of h: if the replay decided h (and reset the log),
			 * the rest is new input of h+1 and must be logged again. */
			n->replaying = nt_wal_height(n->wal) == h;
			replay_entry(n, es.p[i], es.len[i]);
		}
		n->replaying = false;
		nt_log(NT_LOG_INFO,
		       "replayed %zu WAL entr%s of height %" PRIu64 ": round %" PRIu32 ", step %u",
		       es.n, es.n == 1 ? "y" : "ies", h, nt_cons_round(n->cons),
		       (unsigned)nt_cons_step(n->cons));
	}
	for (size_t i = 0; i < es.n; i++)
		free(es.p[i]);
	free(es.p);
	free(es.len);
	return e;
}

nt_err nd_cons_open(node *n, nt_why *why)
{
	char dir[4096], path[4200];
	if (snprintf(dir, sizeof dir, "%s/consensus", n->home) >= (int)sizeof dir)
		return nt_fail(why, NT_ERR_ARG, "home directory path too long");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return nt_fail(why, NT_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
	nt_config_cons(&n->cfg, &n->ccfg);
	nt_err e0;
	if ((e0 = nt_walbuf_new(nt_walbuf_cap(n->genesis.vals.n), &n->next_wal)) != NT_OK)
		return nt_fail(why, e0, "cannot create the consensus WAL buffer: %s",
			       nt_strerror(e0));
	nt_cons_host host = {.arg = n,
			     .propose = host_propose,
			     .valid = host_valid,
			     .last_commit = host_last_commit};
	nt_err e =
	    nt_cons_new(&n->genesis, n->self >= 0 ? n->key : NULL, &n->ccfg, &host, &n->cons);
	if (e != NT_OK)
		return nt_fail(why, e, "cannot create the consensus engine: %s", nt_strerror(e));
	if (n->self >= 0) {
		snprintf(path, sizeof path, "%s/sign_state", dir);
		if ((e = nt_privval_open(path, &n->pv, why)) != NT_OK)
			return e;
		nt_cons_hrs hrs = nt_privval_get(n->pv);
		nt_cons_set_last_signed(n->cons, &hrs);
		if (hrs.step != 0)
			nt_log(NT_LOG_INFO,
			       "sign-state: last signed height %" PRIu64 " round %" PRIu32
			       " step %u",
			       hrs.height, hrs.round, (unsigned)hrs.step);
	}
	snprintf(path, sizeof path, "%s/cs.wal", dir);
	nt_wal_info info;
	if ((e = nt_wal_open(path, &n->wal, &info, why)) != NT_OK)
		return e;
	return replay_wal(n, why);
}

void nd_cons_close(node *n)
{
	nd_lc_clear(n);
	own_clear(n);
	nt_cons_free(n->cons);
	n->cons = NULL;
	nt_privval_free(n->pv);
	n->pv = NULL;
	nt_wal_close(n->wal);
	n->wal = NULL;
	nt_walbuf_free(n->next_wal);
	n->next_wal = NULL;
}
