/* One simulated node: the real engine, ledger and mempool, run by the
 * node's own consensus host driver (core/cons_driver.h) through an I/O
 * table of simulated disks, clocks and links.
 *
 * Durable state (what survives sim_node_crash):
 *   - the store's synced writes (simkv.c keeps them apart from the rest);
 *   - the sign-state of the last sign_save;
 *   - the WAL up to its last wal_sync (the driver syncs before a signature
 *     leaves the node and at the end of every engine call, as in node/).
 * Everything else (engine, mempool, messages in flight to it) is lost.
 * Restart: a new driver, the sign-state, start_height(tip + 1), then the
 * WAL replayed in order (nt_drv_replay). */
#include <stdlib.h>
#include <string.h>

#include "core/cons_driver.h"
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
	nt_err err = nt_ledger_propose(d->l, recs, lens, (uint32_t)k, time, &d->pubs[d->nkey], out);
	/* the first block built once a quorum of approvals is in */
	if (err == NT_OK)
		sim_change_attach(d, *out);
	return err;
}

static bool heartbeat_due(const sim_node *d)
{
	return d->s->now >= d->last_block_at + d->s->heartbeat_ms;
}

/* node/consensus_host.c's rule: no empty block in round 0 unless a
 * heartbeat is due (records may be pending elsewhere); from round 1 on it
 * keeps a height someone started from stalling. A change block is not
 * empty. */
static nt_err host_propose(void *arg, uint64_t height, uint64_t now, nt_block **out)
{
	sim_node *d = arg;
	nt_err err = sim_node_build_block(d, height, now, 0, out);
	if (err == NT_OK && (*out)->count == 0 && !nt_header_is_change(&(*out)->header) &&
	    nt_cons_round(d->e) == 0 && !heartbeat_due(d)) {
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
	if (err == NT_OK) {
		sim_seen_put(d, b, lc);
		if (!d->byz)
			sim_change_valid(d, b);
	} else
		sim_trace(d->s, "n%d invalid block h%llu: %s", d->id,
			  (unsigned long long)b->header.height, why.msg);
	return err == NT_OK;
}

static nt_err host_last_commit(void *arg, uint64_t height, nt_commit *out)
{
	sim_node *d = arg;
	return nt_ledger_commit(d->l, height, out);
}

/* ---- actions ---- */

void sim_node_sched(sim_node *d, int kind, uint64_t delay, uint64_t h, uint32_t r, uint8_t step)
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
	sim_change_prune(d); /* the pool drops what the block made stale */
	if (d->byz)
		return;
	for (uint32_t i = 0; i < b->count; i++) {
		sim_rec *r = find_rec(d->s, &b->ids[i]);
		if (r != NULL && r->home == d->id && !r->receipt)
			chk_receipt(d->s, d, r);
	}
}

/* The driver's append_block: lc is the last commit the driver remembered
 * for this block (valid() saw it). */
static nt_err on_commit(void *arg, const nt_block *b, const nt_commit *c, const nt_commit *lc)
{
	sim_node *d = arg;
	sim *s = d->s;
	nt_hash bh;
	char sb[17];
	nt_why why = {{0}};
	if (nt_header_hash(&b->header, &bh) != NT_OK)
		return NT_ERR_NOMEM;
	if (c->height != nt_ledger_height(d->l) + 1) {
		/* Block sync stored this height while the engine was still
		 * collecting its precommits (node/ does the same): the synced
		 * block passed the agreement check already. */
		if (c->height <= nt_ledger_height(d->l) && !d->byz)
			chk_commit(s, d->id, c->height, &bh);
		sim_trace(s, "n%d decided h%llu, already stored", d->id,
			  (unsigned long long)c->height);
		return NT_ERR_EXISTS;
	}
	const nt_commit *seen_lc = NULL;
	if (!sim_seen_get(d, &bh, &seen_lc)) {
		if (!d->byz)
			sim_fail(s, "validity",
				 "node %d decided block %s at height %llu that "
				 "valid() never accepted",
				 d->id, sim_short(&bh, sb), (unsigned long long)c->height);
		return NT_ERR_CHAIN;
	}
	if (!d->byz) {
		nt_err err = nt_ledger_check_block(d->l, b, lc, 0, s->cfg.max_clock_skew_ms,
						   known_valid, d->mp, &why);
		if (err == NT_OK)
			err = nt_ledger_append(d->l, b, c, lc, &why);
		if (err != NT_OK) {
			char note[96];
			sim_fail(s, "validity",
				 "node %d committed block %s at height %llu "
				 "(round %u, %u precommits) that the ledger refuses: %s%s",
				 d->id, sim_short(&bh, sb), (unsigned long long)c->height, c->round,
				 c->count, why.msg,
				 sim_change_note(s, c->height, note, sizeof note));
			return err;
		}
		chk_commit(s, d->id, c->height, &bh);
		chk_no_empty_block(s, d, b);
	} else if (nt_ledger_append(d->l, b, c, lc, &why) != NT_OK) {
		return NT_ERR_EXISTS; /* a Byzantine node's own business; block sync fixes it */
	}
	sim_change_appended(d, b);
	d->commits++;
	if (c->round > d->max_round)
		d->max_round = c->round;
	sim_trace(s, "n%d commit h%llu r%u %s recs=%u sigs=%u", d->id,
		  (unsigned long long)c->height, c->round, sim_short(&bh, sb), b->count, c->count);
	after_append(d, b);
	d->last_block_at = s->now;
	sim_node_sched(d, EV_START, s->commit_delay, c->height + 1, 0, 0);
	return NT_OK;
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
	chk_signer(d->s, d, at.height, at.round, at.step);
}

/* ---- the driver's I/O table ---- */

static uint64_t io_now(void *arg)
{
	return sim_node_now(arg);
}

static void io_before_feed(void *arg, uint64_t h, unsigned from, const nt_proposal *p);

static nt_err io_wal_append(void *arg, const nt_drv_entry *ent)
{
	sim_node *d = arg;
	/* the log keeps the next height's entries across the reset itself
	 * (sim_wal_keep_from): nothing to rebuild for replayed ones */
	if (ent->in_log)
		return NT_OK;
	uint8_t kind = ent->kind == NT_DRV_ENT_PROPOSAL ? WAL_PROPOSAL
		       : ent->kind == NT_DRV_ENT_VOTE	? WAL_VOTE
							: WAL_TIMEOUT;
	sim_wal_append(d, kind, ent->own, ent->bytes, ent->len, ent->height, ent->round, ent->step);
	return NT_OK;
}

static nt_err io_wal_sync(void *arg)
{
	sim_node *d = arg;
	d->wal_synced = d->wal_n;
	return NT_OK;
}

static nt_err io_wal_reset(void *arg, uint64_t h)
{
	sim_wal_keep_from(arg, h);
	return NT_OK;
}

static nt_err io_sign_save(void *arg, const nt_cons_hrs *hrs)
{
	sim_node *d = arg;
	if (!d->byz && hrs_cmp(hrs, &d->persisted) <= 0)
		sim_fail(d->s, "double-sign",
			 "node %d persists sign-state h%llu r%u "
			 "s%u, not above h%llu r%u s%u",
			 d->id, (unsigned long long)hrs->height, hrs->round, hrs->step,
			 (unsigned long long)d->persisted.height, d->persisted.round,
			 d->persisted.step);
	d->persisted = *hrs;
	return NT_OK;
}

static void io_broadcast(void *arg, const nt_cons_action *a, const uint8_t *msg, size_t len)
{
	sim_node *d = arg;
	sim *s = d->s;
	if (d->byz) {
		if (a->type == NT_CONS_BROADCAST_PROPOSAL)
			byz_broadcast_proposal(d, a->proposal);
		else
			byz_broadcast_vote(d, &a->vote);
		return;
	}
	check_signature(d, a);
	char sb[17];
	if (a->type == NT_CONS_BROADCAST_VOTE)
		sim_trace(s, "n%d %s h%llu r%u %s", d->id,
			  a->vote.type == NT_VOTE_PREVOTE ? "prevote" : "precommit",
			  (unsigned long long)a->vote.height, a->vote.round,
			  sim_short(&a->vote.block_hash, sb));
	else
		sim_trace(s, "n%d propose h%llu r%u vr%d %s", d->id,
			  (unsigned long long)a->proposal->height, a->proposal->round,
			  a->proposal->valid_round, sim_short(&a->proposal->block_hash, sb));
	sim_broadcast(s, d->id, msg, len);
}

static void io_schedule(void *arg, const nt_cons_hrs *hrs, uint64_t delay)
{
	sim_node_sched(arg, EV_TIMER, delay, hrs->height, hrs->round, hrs->step);
}

static void io_evidence(void *arg, const nt_cons_action *a)
{
	sim_node *d = arg;
	(void)a;
	d->s->evidence++;
}

/* A driver for d's key. log_h: the height its WAL is the log of (0: the
 * driver resets it at the first start_height). */
void sim_node_engine_new(sim_node *d, uint64_t log_h)
{
	nt_drv_io io = {.arg = d,
			.now = io_now,
			.propose = host_propose,
			.valid = host_valid,
			.last_commit = host_last_commit,
			.before_feed = io_before_feed,
			.wal_append = io_wal_append,
			.wal_sync = io_wal_sync,
			.wal_reset = io_wal_reset,
			.sign_save = io_sign_save,
			.broadcast = io_broadcast,
			.schedule = io_schedule,
			.append_block = on_commit,
			.evidence = io_evidence};
	nt_cons_config cfg = d->s->cfg;
	if (d->byz)
		cfg.inject_bugs = 0;
	if (nt_drv_new(&d->s->g, d->key, &cfg, &io, log_h, &d->drv) != NT_OK)
		oom();
	d->e = nt_drv_engine(d->drv);
}

/* Feeds the driver its WAL again, in order (after set_last_signed and
 * start_height of the log's height). */
void sim_node_replay_wal(sim_node *d)
{
	/* a copy: replaying appends our new messages and may reset the log */
	size_t n = d->wal_n;
	uint8_t **ents = calloc(n ? n : 1, sizeof *ents);
	size_t *lens = calloc(n ? n : 1, sizeof *lens);
	if (ents == NULL || lens == NULL)
		oom();
	for (size_t i = 0; i < n; i++) {
		if ((ents[i] = malloc(d->wal[i].len ? d->wal[i].len : 1)) == NULL)
			oom();
		memcpy(ents[i], d->wal[i].msg, d->wal[i].len);
		lens[i] = d->wal[i].len;
	}
	nt_drv_replay(d->drv, (const uint8_t *const *)ents, lens, n);
	for (size_t i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(lens);
}

/* Starts consensus at h (after the ledger has h-1 blocks): a new WAL.
 * justified: a reason that makes an empty block at h right. */
static void start_height(sim_node *d, uint64_t h, bool justified)
{
	if (h <= nt_cons_height(d->e) && nt_cons_height(d->e) != 0)
		return;
	chk_started(d->s, h, justified);
	sim_office_follow(d); /* a rotated office signs with its new key from h on */
	nt_err err = nt_drv_start_height_set(d->drv, h, nt_ledger_next_valset(d->l));
	if (err != NT_OK && !d->byz)
		sim_fail(d->s, "engine", "node %d: start_height(%llu): %s", d->id,
			 (unsigned long long)h, nt_strerror(err));
	else if (err == NT_OK)
		chk_height_set(d->s, d, h);
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
void sim_node_maybe_start(sim_node *d)
{
	if (!idle(d) || d->s->failed)
		return;
	uint64_t h = nt_ledger_height(d->l) + 1;
	if (records_pending(d) || heartbeat_due(d) || sim_change_ready(d)) {
		start_height(d, h, true);
		return;
	}
	sim_node_sched(d, EV_START, d->last_block_at + d->s->heartbeat_ms - d->s->now, h, 0, 0);
}

static void records_arrived(sim_node *d)
{
	if (!idle(d) || d->start_soon)
		return;
	d->start_soon = true;
	sim_node_sched(d, EV_START, d->s->commit_delay, nt_ledger_height(d->l) + 1, 0, 0);
}

/* A message of height h from validator `from`: an idle node starts h when
 * the message is authenticated (bug start-unauth: before). */
static void peer_started(sim_node *d, uint64_t h, int from)
{
	if (h != nt_ledger_height(d->l) + 1 || !idle(d))
		return;
	/* the engine authenticated it against the set it runs (or last ran):
	 * for a message of a later height, that is the set of its own height */
	uint64_t eh = nt_cons_height(d->e);
	int who = sim_node_of_index(d->s, eh == 0 ? 1 : eh < h ? eh : h, (unsigned)from);
	bool byz = who >= 0 && d->s->nodes[who].byz;
	sim_trace(d->s, "n%d starts h%llu on a message of n%d", d->id, (unsigned long long)h, who);
	start_height(d, h, byz);
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
		sim_change_appended(d, b);
		d->synced++;
		sim_trace(s, "n%d synced h%llu %s from n%d", d->id, (unsigned long long)h,
			  sim_short(&bh, sb), src->id);
		after_append(d, b);
		nt_block_free(b);
	}
	if (!s->failed)
		sim_node_maybe_start(d);
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
		sim_node_sched(d, EV_SYNC, d->s->sync_delay, 0, 0, 0);
	}
}

/* ---- inputs ---- */

/* An authenticated message of height h from validator `from` (the
 * driver's before_feed; planted bug start-unauth: before authenticating):
 * an idle node starts h, a node behind fetches blocks. */
static void io_before_feed(void *arg, uint64_t h, unsigned from, const nt_proposal *p)
{
	sim_node *d = arg;
	if (d->byz && p != NULL)
		byz_on_proposal_seen(d, p);
	sync_hint(d, h);
	peer_started(d, h, from < SIM_MAXV ? (int)from : SIM_MAXV);
}

/* Input from the wire: the driver authenticates it, tells the host,
 * feeds the engine, and logs it iff the engine kept it. */
static void feed_message(sim_node *d, const uint8_t *msg, size_t len, bool relay)
{
	bool fwd = false;
	if (nt_drv_on_message(d->drv, msg, len, &fwd) == NT_ERR_DECODE) {
		d->garbage_in++;
		return;
	}
	/* Gossip: relay a proposal the first time it is accepted, so a block
	 * an equivocating proposer showed to some reaches all. */
	if (fwd && relay && !d->byz)
		sim_broadcast(d->s, d->id, msg, len);
}

static void feed_timeout(sim_node *d, uint64_t h, uint32_t r, uint8_t step)
{
	nt_err err = nt_drv_on_timeout(d->drv, h, r, step);
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

/* A peer's tip (SIM_MSG_STATUS): behind it, fetch blocks. */
static void on_status_msg(sim_node *d, const uint8_t *msg, size_t len)
{
	if (len != SIM_MSG_STATUS_LEN) {
		d->garbage_in++;
		return;
	}
	uint64_t tip = 0;
	for (int i = 0; i < 8; i++)
		tip = tip << 8 | msg[1 + i];
	if (tip < UINT64_MAX)
		sync_hint(d, tip + 1);
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
		case NT_PEERMSG_PROPOSAL:
			feed_message(d, e->msg, e->len, true);
			break;
		case SIM_MSG_RECORD:
			on_record_msg(d, e->msg, e->len);
			break;
		case SIM_MSG_STATUS:
			on_status_msg(d, e->msg, e->len);
			break;
		case SIM_MSG_CHANGE:
			/* a change with a quorum now is a reason to start a height */
			if (sim_change_gossip_in(d, e->msg, e->len) && sim_change_ready(d))
				records_arrived(d);
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
			sim_node_maybe_start(d);
		break;
	case EV_SYNC:
		d->sync_pending = false;
		if (d->sync_hint > nt_ledger_height(d->l))
			sim_node_catch_up(d, d->sync_hint);
		break;
	case EV_TICK:
		if (d->byz) {
			byz_tick(d);
		} else {
			regossip(d);
			sim_status_tick(d);
			sim_change_gossip_tick(d);
		}
		sim_node_sched(d, EV_TICK, s->tick_ms + sim_range(s, 0, s->tick_ms / 4), 0, 0, 0);
		break;
	}
}
