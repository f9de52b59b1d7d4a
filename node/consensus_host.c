/* The consensus engine's host on the node's loop: the I/O table of the
 * host driver (core/cons_driver.h) -- building and checking blocks, the
 * write-ahead log, the sign-state, the links, timers, storing decided
 * blocks -- and the node's own policy: when to start a height, re-sending
 * our messages, catching up from peers' blocks.
 *
 * The driver fixes the durability order (the same one the simulator
 * checks): a signature leaves the node only after its sign-state
 * (nt_privval_save) and every message fed to the engine so far, our own
 * new message included, are synced (one WAL sync per engine call and
 * broadcast). A receipt is answered only after the block's synced append
 * returned. With no peers the sync happens once, at the end of the call.
 *
 * What the WAL holds: the input of the running height that the engine kept
 * (authenticated, and not a copy or a flood it refused), the fired
 * timeouts, our own messages, and the messages of height+1 that the engine
 * buffered (a lock at height+1 can rest on them). Those are kept in memory
 * too (node/walbuf.h) and re-appended when the WAL is reset for height+1,
 * before anything else of height+1 is fed to the engine. */
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
#include <time.h>

bool nd_known_valid(void *arg, const nt_hash *id)
{
	node *n = arg;
	return nt_mempool_contains(n->mp, id) || nd_sigcache_has(n->gossip.sigs, id);
}

/* ---- the host table ---- */

static bool heartbeat_due(const node *n, uint64_t now)
{
	return n->cfg.block_heartbeat_s > 0 &&
	       n->host.last_block + (uint64_t)n->cfg.block_heartbeat_s * 1000u <= now;
}

static nt_err io_propose(void *arg, uint64_t height, uint64_t now, nt_block **out)
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
	bool change = nd_valset_ready(n); /* a set change with a quorum of approvals */
	if (cnt == 0 && !change && !heartbeat_due(n, now_ms) &&
	    (nt_cons_round(n->host.cons) == 0 ||
	     now_ms < n->gossip.peer_joined_at + 2 * REGOSSIP_AGE_MS)) {
		nt_log(NT_LOG_DEBUG, "height %" PRIu64 " round %" PRIu32 ": nothing to propose",
		       height, nt_cons_round(n->host.cons));
		return NT_ERR_NOT_FOUND;
	}
	const nt_header *tip = nt_ledger_tip(n->ledger);
	uint64_t t = now;
	if (tip != NULL && t <= tip->time)
		t = tip->time + 1;
	nt_err e = nt_ledger_propose(n->ledger, n->recs, n->lens, (uint32_t)cnt, t, &n->pub, out);
	if (e == NT_OK && change && (e = nd_valset_attach(n, *out)) != NT_OK) {
		nt_block_free(*out);
		*out = NULL;
	}
	if (e != NT_OK)
		nt_log(NT_LOG_ERROR, "cannot build a proposal for height %" PRIu64 ": %s", height,
		       nt_strerror(e));
	return e;
}

static bool io_valid(void *arg, const nt_block *b, const nt_commit *lc, uint64_t now)
{
	node *n = arg;
	nt_why why = {{0}};
	nt_err e = nt_ledger_check_block(n->ledger, b, lc, now, n->host.ccfg.max_clock_skew_ms,
					 nd_known_valid, n, &why);
	if (e != NT_OK) {
		nt_log(NT_LOG_WARN, "proposal for height %" PRIu64 " is invalid: %s",
		       b->header.height, why.msg[0] ? why.msg : nt_strerror(e));
		return false;
	}
	return true;
}

static nt_err io_last_commit(void *arg, uint64_t height, nt_commit *out)
{
	node *n = arg;
	return nt_ledger_commit(n->ledger, height, out);
}

/* ---- the driver's I/O table: the WAL and the sign-state ---- */

void nd_fatal(node *n, const char *what, const nt_why *why, nt_err e)
{
	nt_log(NT_LOG_ERROR, "%s: %s; stopping the node", what,
	       why->msg[0] ? why->msg : nt_strerror(e));
	n->fatal = true;
}

static uint64_t io_now(void *arg)
{
	(void)arg;
	return nd_wall_ms();
}

/* An entry of the log's height+1 (the engine buffered it) also goes into
 * the copy that survives the reset for height+1 (node/walbuf.h); a
 * replayed one is in the log already, but that copy must be rebuilt. */
static nt_err io_wal_append(void *arg, const nt_drv_entry *ent)
{
	node *n = arg;
	nt_why why = {{0}};
	if (ent->height == nt_wal_height(n->host.wal) + 1) {
		nt_err e = nt_walbuf_add(n->host.next_wal, ent->height, ent->bytes, ent->len);
		if (e != NT_OK)
			nt_log(NT_LOG_WARN,
			       "a message of height %" PRIu64 " is not kept across the commit: %s",
			       ent->height, nt_strerror(e));
	}
	if (ent->in_log)
		return NT_OK;
	nt_err e = nt_wal_append(n->host.wal, ent->bytes, ent->len, &why);
	if (e != NT_OK)
		nd_fatal(n, "cannot write the consensus WAL", &why, e);
	return e;
}

static double mono_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static nt_err io_wal_sync(void *arg)
{
	node *n = arg;
	nt_why why = {{0}};
	double t0 = mono_seconds();
	nt_err e = nt_wal_sync(n->host.wal, &why);
	nd_hist_observe(&n->metrics.fsync_seconds, mono_seconds() - t0);
	if (e != NT_OK)
		nd_fatal(n, "cannot sync the consensus WAL", &why, e);
	return e;
}

/* Resets the log for height h with the kept entries of h first. */
static nt_err wal_reset(node *n, uint64_t h, nt_why *why)
{
	size_t kept =
	    nt_walbuf_height(n->host.next_wal) == h ? nt_walbuf_count(n->host.next_wal) : 0;
	nt_err e = nt_walbuf_reset_wal(n->host.next_wal, n->host.wal, h, why);
	if (e == NT_OK && kept > 0)
		nt_log(NT_LOG_DEBUG, "WAL of height %" PRIu64 ": %zu early message%s kept", h, kept,
		       kept == 1 ? "" : "s");
	return e;
}

static nt_err io_wal_reset(void *arg, uint64_t h)
{
	node *n = arg;
	nt_why why = {{0}};
	nt_err e = wal_reset(n, h, &why);
	if (e != NT_OK)
		nd_fatal(n, "cannot reset the consensus WAL", &why, e);
	return e;
}

static nt_err io_sign_save(void *arg, const nt_cons_hrs *hrs)
{
	node *n = arg;
	nt_why why = {{0}};
	if (n->host.pv == NULL) {
		nt_log(NT_LOG_ERROR, "engine asked to persist a signature without a sign-state");
		n->fatal = true;
		return NT_ERR_ARG;
	}
	nt_err e = nt_privval_save(n->host.pv, hrs, &why);
	if (e != NT_OK)
		nd_fatal(n, "cannot save the sign-state", &why, e);
	return e;
}

/* ---- retransmission ---- */

#define RESEND_MS 1000

static void own_clear(node *n)
{
	for (int i = 0; i < 3; i++) {
		free(n->host.own[i]);
		n->host.own[i] = NULL;
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
	if (h != n->host.own_h || r != n->host.own_r) {
		own_clear(n);
		n->host.own_h = h;
		n->host.own_r = r;
	}
	uint8_t *c = malloc(len);
	if (c == NULL)
		return;
	memcpy(c, msg, len);
	free(n->host.own[slot]);
	n->host.own[slot] = c;
	n->host.own_len[slot] = len;
	n->host.next_resend = nd_mono_ms() + RESEND_MS;
}

/* Re-sends our latest messages while our height (or the one we just
 * decided, for peers that missed its precommits) makes no progress. */
static void resend(node *n, uint64_t now)
{
	if (now < n->host.next_resend || n->gossip.peer == NULL)
		return;
	n->host.next_resend = now + RESEND_MS;
	uint64_t tip = nt_ledger_height(n->ledger);
	if (n->host.own_h == tip) {
		/* decided: only while a validator's STATUS says it lacks it */
		bool lagging = false;
		uint16_t nv = nt_ledger_next_valset(n->ledger)->n;
		for (uint16_t i = 0; n->gossip.peer_tip != NULL && i < nv; i++)
			if ((int)i != n->self && n->gossip.peer_tip[i] < tip)
				lagging = true;
		if (!lagging)
			return;
	} else if (n->host.own_h != tip + 1 || !nd_cons_running(n)) {
		return;
	}
	for (int i = 0; i < 3; i++)
		if (n->host.own[i] != NULL)
			nd_gossip_broadcast(n, n->host.own[i], n->host.own_len[i]);
}

/* ---- actions ---- */

static void io_schedule(void *arg, const nt_cons_hrs *hrs, uint64_t delay)
{
	node *n = arg;
	uint64_t cur = nt_cons_height(n->host.cons);
	/* Drop timers of old heights first; when still full, the one due
	 * last goes (the engine re-arms what it needs on the next step). */
	size_t j = 0;
	for (size_t i = 0; i < n->host.ntimers; i++)
		if (n->host.timers[i].h >= cur)
			n->host.timers[j++] = n->host.timers[i];
	n->host.ntimers = j;
	if (n->host.ntimers == MAX_TIMERS) {
		size_t last = 0;
		for (size_t i = 1; i < n->host.ntimers; i++)
			if (n->host.timers[i].at > n->host.timers[last].at)
				last = i;
		n->host.timers[last] = n->host.timers[--n->host.ntimers];
	}
	n->host.timers[n->host.ntimers++] = (timer){
	    .at = nd_mono_ms() + delay, .h = hrs->height, .r = hrs->round, .step = hrs->step};
}

static nt_err io_append_block(void *arg, const nt_block *b, const nt_commit *c, const nt_commit *lc)
{
	node *n = arg;
	nt_why why = {{0}};
	if (b->header.height != nt_ledger_height(n->ledger) + 1) {
		/* Block sync applied this height while the engine was still
		 * collecting its precommits: nothing to store. */
		nt_log(NT_LOG_DEBUG, "decided height %" PRIu64 " is already stored",
		       b->header.height);
		return NT_ERR_EXISTS;
	}
	nt_err e = nt_ledger_append(n->ledger, b, c, lc, &why);
	if (e != NT_OK) {
		/* The engine decided a block our ledger refuses, or the store
		 * failed: either way nobody may be told anything more. */
		nd_fatal(n, "cannot store the decided block", &why, e);
		return e;
	}
	nt_mempool_remove(n->mp, b->ids, b->count);
	n->metrics.blocks++;
	nd_hist_observe(&n->metrics.block_records, b->count);
	nd_hist_observe(&n->metrics.rounds, (double)c->round + 1);
	nd_hist_observe(&n->metrics.commit_seconds,
			(double)(nd_mono_ms() - n->host.started_at) / 1000.0);
	if (nt_header_is_change(&b->header)) {
		nt_log(NT_LOG_INFO, "block %" PRIu64 " changes the validator set: %u approvals",
		       b->header.height, (unsigned)b->napprovals);
		nd_valset_follow(n); /* our role from the next height on, at once */
	}
	uint64_t now = nd_mono_ms();
	char hash[65];
	nt_hex_encode(c->block_hash.b, NT_HASH_LEN, hash);
	nt_log(NT_LOG_INFO,
	       "block %" PRIu64 ": %" PRIu32 " record%s, round %" PRIu32 ", %u signature%s, hash "
	       "%.8s..., %" PRIu64 " ms",
	       b->header.height, b->count, b->count == 1 ? "" : "s", c->round, (unsigned)c->count,
	       c->count == 1 ? "" : "s", hash, now - n->host.started_at);
	n->host.last_block = now;
	/* Pipelining: records that arrived while this height ran, or a block
	 * at least half full, mean load; then the next height starts as soon
	 * as anything is pending (nd_cons_block_due) instead of waiting out
	 * block.interval_ms, so the validator never idles while records
	 * wait. Blocks then hold what arrived during one height: the batch
	 * size follows the load by itself. Clients that wait for their
	 * receipts send their next record only after this commit, so a
	 * non-empty block also opens a short window (half the interval) in
	 * which the next record starts a height at once. */
	n->host.pipeline_until = b->count > 0 ? now + n->cfg.block_interval_ms / 2 : 0;
	/* n = 1 decides inside one loop turn: its clients' requests wait in
	 * the inbox */
	bool queued = nd_front_requests_waiting(n);
	n->host.pipeline =
	    n->host.arrived || queued || (uint64_t)b->count * 2 >= n->cfg.block_max_records;
	n->host.arrived = false;
	/* the driver resets the WAL for the next height after this */
	nd_waiters_block(n, b->header.height);
	nd_waiters_settle(n, now, false);
	return NT_OK;
}

static void io_broadcast(void *arg, const nt_cons_action *a, const uint8_t *msg, size_t len)
{
	node *n = arg;
	nd_gossip_broadcast(n, msg, len);
	own_remember(n, a, msg, len);
}

static void io_evidence(void *arg, const nt_cons_action *a)
{
	(void)arg;
	nt_log(NT_LOG_WARN,
	       "validator %u EQUIVOCATED at height %" PRIu64 " round %" PRIu32 ": two different %s",
	       (unsigned)a->vote.index, a->vote.height, a->vote.round,
	       a->vote.type == NT_VOTE_PREVOTE ? "prevotes" : "precommits");
}

/* ---- heights ---- */

static void start_height(node *n)
{
	uint64_t h = nt_ledger_height(n->ledger) + 1;
	n->host.next_seen = false;
	n->host.pipeline = false;
	n->host.pipeline_until = 0;
	n->host.arrived = false;
	n->host.started_at = nd_mono_ms();
	nd_valset_follow(n); /* our place in the set of h; a rotated key */
	if (n->fatal)
		return;
	/* the set that commits h: the genesis set, or the one the last change
	 * block named (core/ledger.h) */
	nt_err e = nt_drv_start_height_set(n->host.drv, h, nt_ledger_next_valset(n->ledger));
	if (e != NT_OK && !n->fatal)
		nt_log(NT_LOG_ERROR, "cannot start height %" PRIu64 ": %s", h, nt_strerror(e));
}

bool nd_cons_running(const node *n)
{
	return n->host.drv != NULL && nt_drv_running(n->host.drv);
}

void nd_cons_idle(node *n)
{
	nt_drv_idle(n->host.drv);
	n->host.ntimers = 0;
}

bool nd_cons_block_due(const node *n, uint64_t now)
{
	size_t cnt = nt_mempool_count(n->mp);
	if (cnt >= n->cfg.block_max_records || nt_mempool_bytes(n->mp) >= n->cfg.block_max_bytes)
		return true;
	if (cnt > 0 && (n->host.pipeline || now < n->host.pipeline_until ||
			nt_mempool_oldest(n->mp) + n->cfg.block_interval_ms <= now))
		return true;
	/* a set change with a quorum of approvals goes into the next block */
	return heartbeat_due(n, now) || nd_valset_ready(n);
}

void nd_cons_maybe_start(node *n, bool force)
{
	/* n = 1 decides inside start_height: several heights may be due. */
	for (int i = 0; i < 64 && !n->fatal && !nd_cons_running(n); i++) {
		if (!force && !n->host.next_seen && !nd_cons_block_due(n, nd_mono_ms()))
			return;
		force = false;
		start_height(n);
	}
}

uint64_t nd_cons_deadline(const node *n, uint64_t d)
{
	for (size_t i = 0; i < n->host.ntimers; i++)
		if (n->host.timers[i].at < d)
			d = n->host.timers[i].at;
	if (!nd_cons_running(n)) {
		if (nt_mempool_count(n->mp) > 0) {
			bool now_due = n->host.pipeline || nd_mono_ms() < n->host.pipeline_until;
			uint64_t t =
			    now_due ? 0 : nt_mempool_oldest(n->mp) + n->cfg.block_interval_ms;
			if (t < d)
				d = t;
		}
		if (n->cfg.block_heartbeat_s > 0) {
			uint64_t t =
			    n->host.last_block + (uint64_t)n->cfg.block_heartbeat_s * 1000u;
			if (t < d)
				d = t;
		}
	}
	return d;
}

/* ---- messages ---- */

/* An authenticated message of height h is about to reach the engine:
 * start our height if a validator started it, note hints that we are
 * behind. Only authenticated messages get here: a forged vote for the
 * next height must not start it (that would make empty blocks on
 * anyone's say), nor a forged far one send us syncing. */
static void io_before_feed(void *arg, uint64_t h, unsigned from, const nt_proposal *p)
{
	node *n = arg;
	(void)from;
	(void)p;
	uint64_t tip = nt_ledger_height(n->ledger);
	bool running = nd_cons_running(n);
	if (h == tip + 1 && !running && !n->fatal)
		start_height(n);
	else if (h == tip + 2 && running)
		n->host.next_seen = true;
	if (h >= tip + 2 && h < tip + 1000000 && (h > tip + 2 || !running))
		nd_cons_peer_height(n, h - 1);
}

void nd_cons_on_message(node *n, const uint8_t *msg, size_t len)
{
	uint8_t t = nt_peermsg_type(msg, len);
	if (t != NT_PEERMSG_VOTE && t != NT_PEERMSG_PROPOSAL) {
		nd_count_drop(n, ND_UNKNOWN_TYPE);
		return;
	}
	bool relay = false;
	/* refusals are counted by the engine (status: consensus drops) */
	if (nt_drv_on_message(n->host.drv, msg, len, &relay) == NT_ERR_DECODE) {
		nd_count_drop(n, ND_MALFORMED);
		return;
	}
	if (relay) {
		nd_gossip_broadcast(n, msg, len);
		n->host.relayed++;
	}
}

/* ---- timers and the tick ---- */

static void fire_timers(node *n)
{
	for (int k = 0; k < MAX_TIMERS && !n->fatal; k++) {
		uint64_t now = nd_mono_ms();
		size_t i;
		for (i = 0; i < n->host.ntimers && n->host.timers[i].at > now; i++)
			;
		if (i == n->host.ntimers)
			return;
		timer t = n->host.timers[i];
		n->host.timers[i] = n->host.timers[--n->host.ntimers];
		if (!nd_cons_running(n) || t.h != nt_cons_height(n->host.cons))
			continue;
		uint32_t r0 = nt_cons_round(n->host.cons);
		nt_err e = nt_drv_on_timeout(n->host.drv, t.h, t.r, t.step);
		(void)e;
		if (nd_cons_running(n) && nt_cons_round(n->host.cons) > r0)
			nt_log(NT_LOG_INFO,
			       "height %" PRIu64 ": round %" PRIu32
			       " (timeout of step %u in round %" PRIu32 ")",
			       t.h, nt_cons_round(n->host.cons), (unsigned)t.step, t.r);
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

/* A crash between a block's append and the WAL reset leaves the log of
 * the decided height holding early messages of the next: carry them into
 * a log of that height (synced: a restart must not lose them). */
static nt_err carry_over(node *n, nt_why *why)
{
	uint64_t h = nt_ledger_height(n->ledger) + 1;
	nt_err e = NT_OK;
	if (nt_wal_height(n->host.wal) + 1 == h && nt_wal_entries(n->host.wal) > 0) {
		if ((e = nt_walbuf_load(n->host.next_wal, n->host.wal, h, why)) != NT_OK ||
		    (e = wal_reset(n, h, why)) != NT_OK)
			return e;
		e = nt_wal_sync(n->host.wal, why);
	}
	return e;
}

static nt_err replay_wal(node *n, nt_why *why)
{
	uint64_t h = nt_ledger_height(n->ledger) + 1;
	if (nt_wal_height(n->host.wal) != h || nt_wal_entries(n->host.wal) == 0)
		return NT_OK; /* an older height's log: reset at start */
	entries es = {0};
	nt_err e = nt_wal_replay(n->host.wal, collect, &es, why);
	if (e == NT_OK) {
		start_height(n);
		nt_drv_replay(n->host.drv, (const uint8_t *const *)es.p, es.len, es.n);
		nt_log(NT_LOG_INFO,
		       "replayed %zu WAL entr%s of height %" PRIu64 ": round %" PRIu32 ", step %u",
		       es.n, es.n == 1 ? "y" : "ies", h, nt_cons_round(n->host.cons),
		       (unsigned)nt_cons_step(n->host.cons));
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
	nt_config_cons(&n->cfg, &n->host.ccfg);
	nt_err e;
	/* sized for the largest set: the set may grow by changes */
	if ((e = nt_walbuf_new(nt_walbuf_cap(NT_MAX_VALIDATORS), &n->host.next_wal)) != NT_OK)
		return nt_fail(why, e, "cannot create the consensus WAL buffer: %s",
			       nt_strerror(e));
	nt_cons_hrs hrs = {0};
	/* Every node with a key keeps a sign-state, also one that is not (or
	 * not yet, or no longer) in the set: a set change can make it sign. */
	if (!n->read_only) {
		snprintf(path, sizeof path, "%s/sign_state", dir);
		if ((e = nt_privval_open(path, &n->host.pv, why)) != NT_OK)
			return e;
		hrs = nt_privval_get(n->host.pv);
		if (hrs.step != 0)
			nt_log(NT_LOG_INFO,
			       "sign-state: last signed height %" PRIu64 " round %" PRIu32
			       " step %u",
			       hrs.height, hrs.round, (unsigned)hrs.step);
	}
	snprintf(path, sizeof path, "%s/cs.wal", dir);
	nt_wal_info info;
	if ((e = nt_wal_open(path, &n->host.wal, &info, why)) != NT_OK ||
	    (e = carry_over(n, why)) != NT_OK)
		return e;
	/* With no peers, a signature cannot leave before the end of the
	 * engine call: the sign-state is then synced once per call. */
	nt_drv_io io = {.arg = n,
			.now = io_now,
			.propose = io_propose,
			.valid = io_valid,
			.last_commit = io_last_commit,
			.before_feed = io_before_feed,
			.wal_append = io_wal_append,
			.wal_sync = io_wal_sync,
			.wal_reset = io_wal_reset,
			.sign_save = io_sign_save,
			.broadcast = n->gossip.peer != NULL ? io_broadcast : NULL,
			.schedule = io_schedule,
			.append_block = io_append_block,
			.evidence = io_evidence};
	e = nt_drv_new(&n->genesis, n->read_only ? NULL : n->key, &n->host.ccfg, &io,
		       nt_wal_height(n->host.wal), &n->host.drv);
	if (e != NT_OK)
		return nt_fail(why, e, "cannot create the consensus engine: %s", nt_strerror(e));
	n->host.cons = nt_drv_engine(n->host.drv);
	nt_drv_set_last_signed(n->host.drv, &hrs);
	return replay_wal(n, why);
}

nt_err nd_cons_open_sign_state(node *n)
{
	char path[4200];
	nt_why why = {{0}};
	snprintf(path, sizeof path, "%s/consensus/sign_state", n->home);
	nt_err e = nt_privval_open(path, &n->host.pv, &why);
	if (e != NT_OK) {
		nd_fatal(n, "cannot open the sign-state", &why, e);
		return e;
	}
	nt_cons_hrs hrs = nt_privval_get(n->host.pv);
	nt_drv_set_last_signed(n->host.drv, &hrs);
	return NT_OK;
}

void nd_cons_close(node *n)
{
	own_clear(n);
	nt_drv_free(n->host.drv);
	n->host.drv = NULL;
	n->host.cons = NULL;
	nt_privval_free(n->host.pv);
	n->host.pv = NULL;
	nt_wal_close(n->host.wal);
	n->host.wal = NULL;
	nt_walbuf_free(n->host.next_wal);
	n->host.next_wal = NULL;
}
