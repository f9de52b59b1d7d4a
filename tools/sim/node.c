/* One simulated node: the real engine, ledger and mempool, and a host that
 * performs the engine's actions the way node/ must.
 *
 * Durable state (what survives sim_node_crash):
 *   - the store's synced writes (simkv.c keeps them apart from the rest);
 *   - the sign-state of the last PERSIST_SIGNED;
 *   - the WAL of the current height up to its last sync. Every input of the
 *     height (proposals, votes, fired timeouts) is appended before the
 *     engine sees it; the WAL is synced exactly when a PERSIST_SIGNED is
 *     executed, and the signed message that follows it is written in that
 *     same sync (so a restarted node can still re-send what it signed).
 * Everything else (engine, mempool, messages in flight to it) is lost.
 * Restart: a new engine, nt_cons_set_last_signed, start_height(tip + 1),
 * then the WAL replayed in order. */
#include <stdlib.h>
#include <string.h>

#include "core/peermsg.h"
#include "crypto/digest.h"
#include "tools/sim/sim.h"

static void oom(void)
{
	fprintf(stderr, "notary-sim: out of memory\n");
	exit(2);
}

static int hrs_cmp(const nt_cons_hrs *a, const nt_cons_hrs *b)
{
	if (a->height != b->height)
		return a->height < b->height ? -1 : 1;
	if (a->round != b->round)
		return a->round < b->round ? -1 : 1;
	return a->step < b->step ? -1 : a->step > b->step;
}

uint64_t sim_node_now(const sim_node *d)
{
	const sim *s = d->s;
	int64_t off = d->clk_base + d->clk_rate * (int64_t)((s->now - SIM_T0) / 1000);
	if (off > s->skew_bound)
		off = s->skew_bound;
	if (off < -s->skew_bound)
		off = -s->skew_bound;
	return (uint64_t)((int64_t)s->now + off);
}

/* ---- host callbacks ---- */

static bool known_valid(void *arg, const nt_hash *id)
{
	return nt_mempool_contains(arg, id);
}

nt_err sim_node_build_block(sim_node *d, uint64_t height, uint64_t time, unsigned skip,
			    nt_block **out)
{
	enum { MAXR = 16 };
	const uint8_t *recs[MAXR + 4];
	size_t lens[MAXR + 4];
	nt_hash ids[MAXR + 4];
	if (height != nt_ledger_height(d->l) + 1)
		return NT_ERR_CHAIN;
	size_t n = nt_mempool_peek(d->mp, MAXR + skip, SIZE_MAX, recs, lens, ids);
	/* Records that reached the ledger by block sync are still pending
	 * here: they would make the block invalid. */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t h;
		uint32_t idx;
		if (nt_ledger_locate(d->l, &ids[i], &h, &idx) == NT_OK)
			continue;
		if (skip > 0) {
			skip--;
			continue;
		}
		recs[k] = recs[i];
		lens[k] = lens[i];
		k++;
	}
	const nt_header *tip = nt_ledger_tip(d->l);
	if (tip != NULL && time <= tip->time)
		time = tip->time + 1;
	return nt_ledger_propose(d->l, recs, lens, (uint32_t)k, time, &d->s->g.vals.keys[d->id],
				 out);
}

static bool heartbeat_due(const sim_node *d)
{
	return d->s->now >= d->last_block_at + d->s->heartbeat_ms;
}

/* node/consensus_host.c's rule: no empty block in round 0 unless a
 * heartbeat is due (records may be pending elsewhere); from round 1 on it
 * keeps a height someone started from stalling. */
static nt_err host_propose(void *arg, uint64_t height, uint64_t now, nt_block **out)
{
	sim_node *d = arg;
	nt_err err = sim_node_build_block(d, height, now, 0, out);
	if (err == NT_OK && (*out)->count == 0 && nt_cons_round(d->e) == 0 && !heartbeat_due(d)) {
		nt_block_free(*out);
		*out = NULL;
		return NT_ERR_NOT_FOUND;
	}
	return err;
}

static bool host_valid(void *arg, const nt_block *b, const nt_commit *lc, uint64_t now)
{
	sim_node *d = arg;
	nt_why why = {{0}};
	nt_err err = nt_ledger_check_block(d->l, b, lc, now, d->s->cfg.max_clock_skew_ms,
					   known_valid, d->mp, &why);
	if (err == NT_OK)
		sim_seen_put(d, b, lc);
	else
		sim_trace(d->s, "n%d invalid block h%llu: %s", d->id,
			  (unsigned long long)b->header.height, why.msg);
	return err == NT_OK;
}

static nt_err host_last_commit(void *arg, uint64_t height, nt_commit *out)
{
	sim_node *d = arg;
	return nt_ledger_commit(d->l, height, out);
}

static void engine_new(sim_node *d)
{
	nt_cons_host host = {.arg = d,
			     .propose = host_propose,
			     .valid = host_valid,
			     .last_commit = host_last_commit};
	nt_cons_config cfg = d->s->cfg;
	if (d->byz)
		cfg.inject_bugs = 0;
	if (nt_cons_new(&d->s->g, d->key, &cfg, &host, &d->e) != NT_OK)
		oom();
}

/* ---- actions ---- */

static void sched(sim_node *d, int kind, uint64_t delay, uint64_t h, uint32_t r, uint8_t step)
{
	sim_ev e;
	memset(&e, 0, sizeof e);
	e.kind = kind;
	e.at = d->s->now + delay;
	e.to = d->id;
	e.epoch = d->epoch;
	e.h = h;
	e.r = r;
	e.step = step;
	sim_push(d->s, &e);
}

static sim_rec *find_rec(sim *s, const nt_hash *id)
{
	for (unsigned i = 0; i < s->nrecs; i++)
		if (memcmp(s->recs[i].id.b, id->b, NT_HASH_LEN) == 0)
			return &s->recs[i];
	return NULL;
}

/* After a block is durably appended: the mempool forgets its records and
 * the clients waiting on this node get their receipts. */
static void after_append(sim_node *d, const nt_block *b)
{
	nt_mempool_remove(d->mp, b->ids, b->count);
	if (d->byz)
		return;
	for (uint32_t i = 0; i < b->count; i++) {
		sim_rec *r = find_rec(d->s, &b->ids[i]);
		if (r != NULL && r->home == d->id && !r->receipt)
			chk_receipt(d->s, d, r);
	}
}

static void on_commit(sim_node *d, const nt_block *b, const nt_commit *c)
{
	sim *s = d->s;
	nt_hash bh;
	char sb[17];
	nt_why why = {{0}};
	if (nt_header_hash(&b->header, &bh) != NT_OK)
		return;
	if (c->height != nt_ledger_height(d->l) + 1) {
		/* Block sync stored this height while the engine was still
		 * collecting its precommits (node/ does the same): the synced
		 * block passed the agreement check already. */
		if (c->height <= nt_ledger_height(d->l) && !d->byz)
			chk_commit(s, d->id, c->height, &bh);
		sim_trace(s, "n%d decided h%llu, already stored", d->id,
			  (unsigned long long)c->height);
		return;
	}
	const nt_commit *lc = NULL;
	if (!sim_seen_get(d, &bh, &lc)) {
		if (!d->byz)
			sim_fail(s, "validity",
				 "node %d decided block %s at height %llu that "
				 "valid() never accepted",
				 d->id, sim_short(&bh, sb), (unsigned long long)c->height);
		return;
	}
	if (!d->byz) {
		nt_err err = nt_ledger_check_block(d->l, b, lc, 0, s->cfg.max_clock_skew_ms,
						   known_valid, d->mp, &why);
		if (err == NT_OK)
			err = nt_ledger_append(d->l, b, c, lc, &why);
		if (err != NT_OK) {
			sim_fail(s, "validity",
				 "node %d committed block %s at height %llu "
				 "(round %u, %u precommits) that the ledger refuses: %s",
				 d->id, sim_short(&bh, sb), (unsigned long long)c->height, c->round,
				 c->count, why.msg);
			return;
		}
		chk_commit(s, d->id, c->height, &bh);
		chk_no_empty_block(s, d, b);
	} else if (nt_ledger_append(d->l, b, c, lc, &why) != NT_OK) {
		return; /* a Byzantine node's own business; block sync fixes it */
	}
	d->commits++;
	if (c->round > d->max_round)
		d->max_round = c->round;
	sim_trace(s, "n%d commit h%llu r%u %s recs=%u sigs=%u", d->id,
		  (unsigned long long)c->height, c->round, sim_short(&bh, sb), b->count, c->count);
	after_append(d, b);
	d->last_block_at = s->now;
	sched(d, EV_START, s->commit_delay, c->height + 1, 0, 0);
}

/* The message of a broadcast or PERSIST_SIGNED action (malloc'd). */
static void own_message(const nt_cons_action *a, uint8_t **msg, size_t *len)
{
	if (a->type == NT_CONS_BROADCAST_PROPOSAL ||
	    (a->type == NT_CONS_PERSIST_SIGNED && a->hrs.step == NT_STEP_PROPOSE)) {
		if (nt_peermsg_proposal_encode(a->proposal, msg, len) != NT_OK)
			oom();
		return;
	}
	if ((*msg = malloc(NT_PEERMSG_VOTE_LEN)) == NULL)
		oom();
	nt_peermsg_vote_encode(&a->vote, *msg);
	*len = NT_PEERMSG_VOTE_LEN;
}

static void check_signature(sim_node *d, const nt_cons_action *a)
{
	nt_cons_hrs at;
	nt_hash m;
	if (a->type == NT_CONS_BROADCAST_PROPOSAL) {
		const nt_proposal *p = a->proposal;
		at = (nt_cons_hrs){p->height, p->round, NT_STEP_PROPOSE};
		nt_proposal_sighash(d->s->g.chain_id, p->height, p->round, p->valid_round,
				    &p->block_hash, &m);
	} else {
		const nt_vote *v = &a->vote;
		at =
		    (nt_cons_hrs){v->height, v->round,
				  v->type == NT_VOTE_PREVOTE ? NT_STEP_PREVOTE : NT_STEP_PRECOMMIT};
		nt_vote_sighash(v->type, d->s->g.chain_id, v->height, v->round, &v->block_hash,
				v->timestamp, &m);
	}
	if (hrs_cmp(&at, &d->persisted) != 0)
		sim_fail(d->s, "double-sign",
			 "node %d sent a signature for h%llu r%u step %u "
			 "whose sign-state was not persisted first",
			 d->id, (unsigned long long)at.height, at.round, at.step);
	chk_signed(d->s, d->id, at.height, at.round, at.step, &m);
}

void sim_node_exec(sim_node *d, nt_cons_actions acts)
{
	sim *s = d->s;
	for (size_t i = 0; i < acts.n && !s->failed; i++) {
		const nt_cons_action *a = &acts.v[i];
		switch (a->type) {
		case NT_CONS_PERSIST_SIGNED:
			if (!d->byz && hrs_cmp(&a->hrs, &d->persisted) <= 0)
				sim_fail(s, "double-sign",
					 "node %d persists sign-state h%llu r%u "
					 "s%u, not above h%llu r%u s%u",
					 d->id, (unsigned long long)a->hrs.height, a->hrs.round,
					 a->hrs.step, (unsigned long long)d->persisted.height,
					 d->persisted.round, d->persisted.step);
			d->persisted = a->hrs;
			/* One sync: the sign-state, the WAL so far, and the signed
			 * message the action carries (its broadcast comes later). */
			if (a->hrs.step != NT_STEP_PROPOSE || a->proposal != NULL) {
				uint8_t *msg;
				size_t len;
				own_message(a, &msg, &len);
				sim_wal_append(d, a->hrs.step == NT_STEP_PROPOSE ? WAL_PROPOSAL : WAL_VOTE,
					       true, msg, len, a->hrs.height, a->hrs.round, 0);
				free(msg);
			}
			d->wal_synced = d->wal_n;
			break;
		case NT_CONS_BROADCAST_PROPOSAL:
		case NT_CONS_BROADCAST_VOTE: {
			if (d->byz) {
				if (a->type == NT_CONS_BROADCAST_PROPOSAL)
					byz_broadcast_proposal(d, a->proposal);
				else
					byz_broadcast_vote(d, &a->vote);
				break;
			}
			check_signature(d, a);
			uint8_t *msg;
			size_t len;
			own_message(a, &msg, &len);
			if (a->type == NT_CONS_BROADCAST_VOTE) {
				char sb[17];
				sim_trace(s, "n%d %s h%llu r%u %s", d->id,
					  a->vote.type == NT_VOTE_PREVOTE ? "prevote" : "precommit",
					  (unsigned long long)a->vote.height, a->vote.round,
					  sim_short(&a->vote.block_hash, sb));
			} else {
				char sb[17];
				sim_trace(s, "n%d propose h%llu r%u vr%d %s", d->id,
					  (unsigned long long)a->proposal->height,
					  a->proposal->round, a->proposal->valid_round,
					  sim_short(&a->proposal->block_hash, sb));
			}
			sim_broadcast(s, d->id, msg, len);
			free(msg);
			break;
		}
		case NT_CONS_SCHEDULE_TIMEOUT:
			sched(d, EV_TIMER, a->delay_ms, a->hrs.height, a->hrs.round, a->hrs.step);
			break;
		case NT_CONS_COMMIT:
			on_commit(d, a->block, a->commit);
			break;
		case NT_CONS_EVIDENCE:
			s->evidence++;
			break;
		}
	}
}

/* Starts consensus at h (after the ledger has h-1 blocks): a new WAL.
 * justified: a reason that makes an empty block at h right. */
static void start_height(sim_node *d, uint64_t h, bool justified)
{
	nt_cons_actions acts;
	if (h <= nt_cons_height(d->e) && nt_cons_height(d->e) != 0)
		return;
	chk_started(d->s, h, justified);
	sim_wal_keep_from(d, h);
	nt_err err = nt_cons_start_height(d->e, h, sim_node_now(d), &acts);
	sim_node_exec(d, acts);
	if (err != NT_OK && !d->byz)
		sim_fail(d->s, "engine", "node %d: start_height(%llu): %s", d->id,
			 (unsigned long long)h, nt_strerror(err));
}

/* ---- when a height starts (node/consensus_host.c) ---- */

static bool idle(const sim_node *d)
{
	return nt_cons_height(d->e) != nt_ledger_height(d->l) + 1;
}

/* Records in the mempool that the ledger does not hold yet. */
static bool records_pending(const sim_node *d)
{
	enum { PEEK = 64 };
	const uint8_t *recs[PEEK];
	size_t lens[PEEK];
	nt_hash ids[PEEK];
	size_t n = nt_mempool_peek(d->mp, PEEK, SIZE_MAX, recs, lens, ids);
	for (size_t i = 0; i < n; i++) {
		uint64_t h;
		uint32_t idx;
		if (nt_ledger_locate(d->l, &ids[i], &h, &idx) != NT_OK)
			return true;
	}
	return false;
}

/* An idle node starts the next height for pending records or a due
 * heartbeat; otherwise it waits for the heartbeat (or a validator's
 * message, feed_*). */
static void maybe_start(sim_node *d)
{
	if (!idle(d) || d->s->failed)
		return;
	uint64_t h = nt_ledger_height(d->l) + 1;
	if (records_pending(d) || heartbeat_due(d)) {
		start_height(d, h, true);
		return;
	}
	sched(d, EV_START, d->last_block_at + d->s->heartbeat_ms - d->s->now, h, 0, 0);
}

static void records_arrived(sim_node *d)
{
	if (!idle(d) || d->start_soon)
		return;
	d->start_soon = true;
	sched(d, EV_START, d->s->commit_delay, nt_ledger_height(d->l) + 1, 0, 0);
}

/* A message of height h from validator `from`: an idle node starts h when
 * the message is authenticated (bug start-unauth: before). */
static void peer_started(sim_node *d, uint64_t h, int from)
{
	if (h != nt_ledger_height(d->l) + 1 || !idle(d))
		return;
	sim_trace(d->s, "n%d starts h%llu on a message of n%d", d->id, (unsigned long long)h, from);
	start_height(d, h, from < d->s->n && d->s->nodes[from].byz);
}

/* ---- block sync ---- */

void sim_node_catch_up(sim_node *d, uint64_t upto)
{
	sim *s = d->s;
	sim_node *src = NULL;
	for (int i = 0; i < s->n; i++) {
		sim_node *c = &s->nodes[i];
		if (c == d || !c->up || !sim_reachable(s, d->id, i))
			continue;
		if (src == NULL || nt_ledger_height(c->l) > nt_ledger_height(src->l) ||
		    (nt_ledger_height(c->l) == nt_ledger_height(src->l) && src->byz && !c->byz))
			src = c;
	}
	if (src == NULL)
		return;
	uint64_t top = nt_ledger_height(src->l);
	if (upto > top)
		upto = top;
	uint64_t from = nt_ledger_height(d->l);
	if (upto <= from)
		return;
	for (uint64_t h = from + 1; h <= upto && !s->failed; h++) {
		nt_block *b = NULL;
		nt_commit c, lc;
		nt_why why = {{0}};
		nt_hash bh;
		char sb[17];
		if (nt_ledger_block(src->l, h, &b) != NT_OK ||
		    nt_ledger_commit(src->l, h, &c) != NT_OK ||
		    (h > 1 && nt_ledger_commit(src->l, h - 1, &lc) != NT_OK) ||
		    nt_header_hash(&b->header, &bh) != NT_OK) {
			nt_block_free(b);
			sim_fail(s, "validity", "node %d cannot read block %llu of node %d", d->id,
				 (unsigned long long)h, src->id);
			return;
		}
		nt_err err = nt_ledger_append(d->l, b, &c, h > 1 ? &lc : NULL, &why);
		if (err != NT_OK) {
			if (!d->byz)
				sim_fail(s, "validity",
					 "node %d: synced block %s at height %llu "
					 "from node %d refused: %s",
					 d->id, sim_short(&bh, sb), (unsigned long long)h, src->id,
					 why.msg);
			nt_block_free(b);
			return;
		}
		if (!d->byz)
			chk_commit(s, d->id, h, &bh);
		d->synced++;
		sim_trace(s, "n%d synced h%llu %s from n%d", d->id, (unsigned long long)h,
			  sim_short(&bh, sb), src->id);
		after_append(d, b);
		nt_block_free(b);
	}
	if (!s->failed)
		maybe_start(d);
}

/* A message of height h means its sender holds h-1 blocks. The engine keeps
 * one height ahead of ours in a buffer; anything above means we missed a
 * decision: fetch the blocks a little later (a real node asks its peers). */
static void sync_hint(sim_node *d, uint64_t h)
{
	if (h <= nt_ledger_height(d->l) + 1)
		return;
	if (h - 1 > d->sync_hint)
		d->sync_hint = h - 1;
	if (!d->sync_pending) {
		d->sync_pending = true;
		sched(d, EV_SYNC, d->s->sync_delay, 0, 0, 0);
	}
}

/* ---- inputs ---- */

/* What the WAL keeps: inputs of the undecided current height, and those
 * of the next height, which the engine buffers and files at start_height
 * (a lock may rest on them: losing them in a crash would unlock us). */
static bool logged_height(const sim_node *d, uint64_t h)
{
	uint64_t cur = nt_cons_height(d->e);
	if (d->s->o.bugs & BUG_WAL_CUR)
		return h == cur && !nt_cons_decided(d->e);
	return (h == cur && !nt_cons_decided(d->e)) || h == cur + 1;
}

/* Input from the wire (or replayed from the WAL). The node's order:
 * authenticate, then maybe start the height, then the engine, then the
 * WAL iff the engine kept it. The planted bugs put back what node/ did
 * before: log before authenticating (wal-unauth), start the height on
 * any message (start-unauth). */
static void feed_vote(sim_node *d, const uint8_t *msg, size_t len, bool own)
{
	sim *s = d->s;
	nt_vote v;
	nt_cons_actions acts;
	if (nt_peermsg_vote_decode(msg, len, &v, NULL) != NT_OK) {
		d->garbage_in++;
		return;
	}
	bool honest = !d->byz;
	if (honest && (s->o.bugs & BUG_START_UNAUTH))
		peer_started(d, v.height, SIM_MAXV);
	bool bug_log = honest && (s->o.bugs & BUG_WAL_UNAUTH);
	if (bug_log && logged_height(d, v.height) && !d->replaying)
		sim_wal_append(d, WAL_VOTE, own, msg, len, v.height, v.round, 0);
	if (nt_cons_authenticate_vote(d->e, &v) != NT_OK)
		return;
	sync_hint(d, v.height);
	peer_started(d, v.height, v.index);
	bool log = logged_height(d, v.height) && !d->replaying && !bug_log;
	uint64_t kept = nt_cons_kept(d->e);
	nt_err err = nt_cons_on_vote(d->e, &v, sim_node_now(d), &acts);
	(void)err;
	/* before any action it caused runs: only a PERSIST_SIGNED among
	 * those syncs the WAL */
	if (log && nt_cons_kept(d->e) != kept)
		sim_wal_append(d, WAL_VOTE, own, msg, len, v.height, v.round, 0);
	sim_node_exec(d, acts);
}

static void feed_proposal(sim_node *d, const uint8_t *msg, size_t len, bool own, bool relay)
{
	sim *s = d->s;
	nt_proposal p;
	nt_cons_actions acts;
	if (nt_peermsg_proposal_decode(msg, len, &p, NULL) != NT_OK) {
		d->garbage_in++;
		return;
	}
	bool honest = !d->byz;
	uint64_t ph = p.height;
	uint32_t pr = p.round;
	if (honest && (s->o.bugs & BUG_START_UNAUTH))
		peer_started(d, ph, SIM_MAXV);
	bool bug_log = honest && (s->o.bugs & BUG_WAL_UNAUTH);
	if (bug_log && logged_height(d, ph) && !d->replaying)
		sim_wal_append(d, WAL_PROPOSAL, own, msg, len, ph, pr, 0);
	if (nt_cons_authenticate_proposal(d->e, &p) != NT_OK) {
		nt_block_free(p.block);
		free(p.last_commit);
		return;
	}
	if (d->byz)
		byz_on_proposal_seen(d, &p);
	sync_hint(d, ph);
	peer_started(d, ph, p.proposer);
	bool log = logged_height(d, ph) && !d->replaying && !bug_log;
	uint64_t kept = nt_cons_kept(d->e);
	nt_err err = nt_cons_on_proposal(d->e, &p, sim_node_now(d), &acts);
	if (log && nt_cons_kept(d->e) != kept)
		sim_wal_append(d, WAL_PROPOSAL, own, msg, len, ph, pr, 0);
	if (p.block != NULL || p.last_commit != NULL)
		sim_fail(s, "engine", "on_proposal did not take the block");
	sim_node_exec(d, acts);
	/* Gossip: relay a proposal the first time it is accepted, so a block
	 * an equivocating proposer showed to some reaches all. */
	if (err == NT_OK && relay && !d->byz)
		sim_broadcast(s, d->id, msg, len);
}

static void feed_timeout(sim_node *d, uint64_t h, uint32_t r, uint8_t step)
{
	nt_cons_actions acts;
	bool log = logged_height(d, h) && r == nt_cons_round(d->e) && !d->replaying;
	nt_err err = nt_cons_on_timeout(d->e, h, r, step, sim_node_now(d), &acts);
	if (log)
		sim_wal_append(d, WAL_TIMEOUT, false, NULL, 0, h, r, step);
	sim_node_exec(d, acts);
	if (err != NT_OK && !d->byz)
		sim_fail(d->s, "engine", "node %d: on_timeout: %s", d->id, nt_strerror(err));
}

static void on_record_msg(sim_node *d, const uint8_t *msg, size_t len)
{
	nt_record rec;
	nt_hash id;
	uint64_t h;
	uint32_t idx;
	if (len < 2 || nt_record_decode(msg + 1, len - 1, &rec, NULL) != NT_OK ||
	    nt_record_verify(&rec) != NT_OK) {
		d->garbage_in++;
		return;
	}
	nt_record_id(msg + 1, len - 1, &id);
	if (nt_ledger_locate(d->l, &id, &h, &idx) == NT_OK)
		return;
	/* NT_ERR_EXISTS (gossip echo) and NT_ERR_FULL just drop it */
	if (nt_mempool_add(d->mp, msg + 1, len - 1, &id, sim_node_now(d)) == NT_OK)
		records_arrived(d);
}

void sim_node_submit(sim_node *d, sim_rec *r)
{
	uint64_t h;
	uint32_t idx;
	uint8_t msg[1 + NT_RECORD_MAX];
	char sb[17];
	sim_trace(d->s, "n%d submit %s", d->id, sim_short(&r->id, sb));
	if (nt_ledger_locate(d->l, &r->id, &h, &idx) == NT_OK) {
		chk_receipt(d->s, d, r);
		return;
	}
	msg[0] = SIM_MSG_RECORD;
	memcpy(msg + 1, r->bytes, r->len);
	on_record_msg(d, msg, r->len + 1);
	sim_broadcast(d->s, d->id, msg, r->len + 1);
}

/* Gossip (the paper's premise: a message one correct process received
 * reaches every correct process): each tick, every message of the current
 * height in our log -- received or our own -- goes again to one random
 * peer, while the height is undecided. Receivers drop copies before checking any signature. */
static void regossip(sim_node *d)
{
	sim *s = d->s;
	/* Once decided, laggards catch up by block sync (after we start the
	 * next height) rather than from the votes. */
	if (s->n < 2 || nt_cons_decided(d->e))
		return;
	int to = (int)sim_range(s, 0, (uint64_t)s->n - 2);
	if (to >= d->id)
		to++;
	for (size_t i = 0; i < d->wal_n; i++)
		if (d->wal[i].kind != WAL_TIMEOUT && d->wal[i].h == nt_cons_height(d->e))
			sim_send(s, d->id, to, d->wal[i].msg, d->wal[i].len);
}

void sim_node_event(sim_node *d, const sim_ev *e)
{
	sim *s = d->s;
	if (!d->up)
		return;
	if (e->kind != EV_MSG && e->epoch != d->epoch)
		return;
	switch (e->kind) {
	case EV_MSG:
		if (!sim_reachable(s, e->from, d->id)) {
			s->dropped++;
			return;
		}
		s->delivered++;
		switch (nt_peermsg_type(e->msg, e->len)) {
		case NT_PEERMSG_VOTE:
			feed_vote(d, e->msg, e->len, false);
			break;
		case NT_PEERMSG_PROPOSAL:
			feed_proposal(d, e->msg, e->len, false, true);
			break;
		case SIM_MSG_RECORD:
			on_record_msg(d, e->msg, e->len);
			break;
		default:
			d->garbage_in++;
		}
		break;
	case EV_TIMER:
		feed_timeout(d, e->h, e->r, e->step);
		break;
	case EV_START:
		d->start_soon = false;
		if (nt_ledger_height(d->l) + 1 == e->h)
			maybe_start(d);
		break;
	case EV_SYNC:
		d->sync_pending = false;
		if (d->sync_hint > nt_ledger_height(d->l))
			sim_node_catch_up(d, d->sync_hint);
		break;
	case EV_TICK:
		if (d->byz)
			byz_tick(d);
		else
			regossip(d);
		sched(d, EV_TICK, s->tick_ms + sim_range(s, 0, s->tick_ms / 4), 0, 0, 0);
		break;
	}
}

/* ---- life cycle ---- */

static void open_volatile(sim_node *d)
{
	nt_why why = {{0}};
	if (nt_ledger_open(d->kv, &d->s->g, &d->l, &why) != NT_OK) {
		sim_fail(d->s, "durability", "node %d cannot open its store: %s", d->id, why.msg);
		return;
	}
	/* a fixed key: the simulator replays byte for byte */
	static const uint8_t mpkey[NT_MEMPOOL_KEY_LEN] = {0x5e, 0xed};
	if (nt_mempool_new(10000, 16u << 20, mpkey, &d->mp) != NT_OK)
		oom();
	engine_new(d);
}

nt_err sim_node_init(sim *s, sim_node *d)
{
	d->s = s;
	if (nt_kv_mem_new(&d->dur) != NT_OK || simkv_new(d->dur, &d->kv) != NT_OK)
		return NT_ERR_NOMEM;
	return NT_OK;
}

void sim_node_boot(sim_node *d)
{
	d->up = true;
	open_volatile(d);
	if (d->s->failed)
		return;
	d->last_block_at = d->s->now;
	maybe_start(d);
	sched(d, EV_TICK, d->s->tick_ms + sim_range(d->s, 0, d->s->tick_ms), 0, 0, 0);
}

static void close_volatile(sim_node *d)
{
	nt_cons_free(d->e);
	d->e = NULL;
	nt_mempool_free(d->mp);
	d->mp = NULL;
	nt_ledger_free(d->l);
	d->l = NULL;
	sim_seen_clear(d);
}

void sim_node_crash(sim_node *d)
{
	if (!d->up)
		return;
	sim_trace(d->s, "n%d CRASH (wal %zu of %zu synced, signed h%llu r%u s%u)", d->id,
		  d->wal_synced, d->wal_n, (unsigned long long)d->persisted.height,
		  d->persisted.round, d->persisted.step);
	/* A lock is durable once a signature followed it (that sync wrote the
	 * prevotes it rests on): replay must rebuild it. */
	d->crash_h = nt_cons_height(d->e);
	d->crash_lock = nt_cons_locked(d->e, &d->crash_lock_hash);
	if (nt_cons_decided(d->e) || d->persisted.height != d->crash_h ||
	    (int64_t)d->persisted.round < d->crash_lock)
		d->crash_lock = -1;
	d->up = false;
	d->epoch++;
	d->crashes++;
	d->sync_pending = false;
	d->sync_hint = 0;
	close_volatile(d);
	simkv_crash(d->kv);
	sim_wal_truncate(d, d->wal_synced);
}

void sim_node_restart(sim_node *d)
{
	sim *s = d->s;
	if (d->up)
		return;
	d->up = true;
	open_volatile(d);
	if (s->failed)
		return;
	chk_durable(s, d);
	uint64_t h = nt_ledger_height(d->l) + 1;
	bool no_wal = (s->o.bugs & BUG_NO_WAL) != 0;
	sim_wal_keep_from(d, no_wal ? UINT64_MAX : h);
	sim_trace(s, "n%d RESTART at h%llu (wal: %zu entries%s)", d->id, (unsigned long long)h,
		  d->wal_n, no_wal ? ", ignored: planted bug no-wal" : "");
	if (no_wal)
		memset(&d->persisted, 0, sizeof d->persisted);
	else
		nt_cons_set_last_signed(d->e, &d->persisted);
	d->last_block_at = s->now;
	/* As node/: the height runs again only if the WAL holds input of it;
	 * otherwise the node is idle until something is due. */
	bool ran = false;
	for (size_t i = 0; i < d->wal_n; i++)
		ran = ran || d->wal[i].h == h;
	if (!ran) {
		maybe_start(d);
		sched(d, EV_TICK, s->tick_ms, 0, 0, 0);
		return;
	}
	nt_cons_actions acts;
	nt_err err = nt_cons_start_height(d->e, h, sim_node_now(d), &acts);
	if (err != NT_OK)
		sim_fail(s, "engine", "node %d: start_height after restart: %s", d->id,
			 nt_strerror(err));
	size_t n = d->wal_n;
	sim_node_exec(d, acts);
	d->replaying = true;
	for (size_t i = 0; i < n && !s->failed && d->up; i++) {
		/* a copy: new own messages may grow (move) the array */
		wal_ent w = d->wal[i];
		if (w.kind == WAL_VOTE)
			feed_vote(d, w.msg, w.len, w.own);
		else if (w.kind == WAL_PROPOSAL)
			feed_proposal(d, w.msg, w.len, w.own, false);
		else
			feed_timeout(d, w.h, w.r, w.step);
	}
	d->replaying = false;
	nt_hash lh;
	int32_t lr = nt_cons_locked(d->e, &lh);
	if (!no_wal && !s->failed && d->crash_lock >= 0 && nt_cons_height(d->e) == d->crash_h &&
	    (lr < d->crash_lock ||
	     (lr == d->crash_lock && memcmp(lh.b, d->crash_lock_hash.b, NT_HASH_LEN) != 0))) {
		char sb[17];
		sim_fail(s, "durability",
			 "node %d lost its lock (round %d on %s, height %llu) in "
			 "a crash: after WAL replay it is locked at round %d",
			 d->id, d->crash_lock, sim_short(&d->crash_lock_hash, sb),
			 (unsigned long long)d->crash_h, lr);
	}
	sched(d, EV_TICK, s->tick_ms, 0, 0, 0);
}

void sim_node_free(sim_node *d)
{
	close_volatile(d);
	sim_wal_truncate(d, 0);
	free(d->wal);
	d->wal = NULL;
	d->wal_cap = 0;
	nt_kv_close(d->kv);
	nt_kv_close(d->dur);
	nt_seckey_free(d->key);
	d->kv = d->dur = NULL;
	d->key = NULL;
}
