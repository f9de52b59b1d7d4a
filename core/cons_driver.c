/* The consensus host driver (core/cons_driver.h). */
#include "core/cons_driver.h"

#include "core/header.h"
#include "core/peermsg.h"

#include <stdlib.h>
#include <string.h>

/* valid() blocks whose last commit we remember (one height's proposals:
 * a few rounds, an equivocating proposer). */
#define LC_CACHE 8

struct nt_drv {
	nt_cons *e;
	nt_drv_io io;
	unsigned bugs;
	int self; /* our validator index, -1: observer */
	uint64_t log_h;
	bool running;
	bool replaying; /* the entry being fed is in the log already */
	bool failed;
	/* the sign-state of this call's signatures, not yet durable */
	bool dirty;
	nt_cons_hrs dirty_hrs;
	/* our message logged by the last PERSIST_SIGNED, until its broadcast */
	uint8_t *pending;
	size_t pending_len;
	nt_cons_hrs pending_hrs;
	struct {
		nt_hash bh;
		nt_commit *c;
	} lc[LC_CACHE];
	size_t nlc;
	/* planted bug NT_DRV_BUG_LATE_SWITCH only: the last two sets given */
	nt_valset *sets[2];
	int cur_set; /* -1: none given yet */
};

/* ---- the last commits valid blocks name ---- */

static void lc_clear(nt_drv *d)
{
	for (size_t i = 0; i < d->nlc; i++)
		free(d->lc[i].c);
	d->nlc = 0;
}

static const nt_commit *lc_find(const nt_drv *d, const nt_hash *bh)
{
	for (size_t i = 0; i < d->nlc; i++)
		if (memcmp(d->lc[i].bh.b, bh->b, NT_HASH_LEN) == 0)
			return d->lc[i].c;
	return NULL;
}

/* At COMMIT the ledger stores the last commit the decided block names
 * (the canonical one of the tip), which only valid() saw. */
static void lc_remember(nt_drv *d, const nt_block *b, const nt_commit *lc)
{
	nt_hash bh;
	if (lc == NULL || nt_header_hash(&b->header, &bh) != NT_OK || lc_find(d, &bh) != NULL)
		return;
	nt_commit *c = malloc(sizeof *c);
	if (c == NULL)
		return; /* the block then stores our own commit of h-1: valid too */
	*c = *lc;
	if (d->nlc == LC_CACHE) {
		free(d->lc[0].c);
		memmove(&d->lc[0], &d->lc[1], (LC_CACHE - 1) * sizeof d->lc[0]);
		d->nlc--;
	}
	d->lc[d->nlc].bh = bh;
	d->lc[d->nlc].c = c;
	d->nlc++;
}

static nt_err host_propose(void *arg, uint64_t height, uint64_t now, nt_block **out)
{
	nt_drv *d = arg;
	return d->io.propose(d->io.arg, height, now, out);
}

static bool host_valid(void *arg, const nt_block *b, const nt_commit *lc, uint64_t now)
{
	nt_drv *d = arg;
	if (!d->io.valid(d->io.arg, b, lc, now))
		return false;
	lc_remember(d, b, lc);
	return true;
}

static nt_err host_last_commit(void *arg, uint64_t height, nt_commit *out)
{
	nt_drv *d = arg;
	return d->io.last_commit(d->io.arg, height, out);
}

/* ---- life cycle ---- */

nt_err nt_drv_new(const nt_genesis *g, const nt_seckey *key, const nt_cons_config *cfg,
		  const nt_drv_io *io, uint64_t log_height, nt_drv **out)
{
	*out = NULL;
	if (io->now == NULL || io->propose == NULL || io->valid == NULL || io->wal_append == NULL ||
	    io->wal_sync == NULL || io->wal_reset == NULL || io->sign_save == NULL ||
	    io->schedule == NULL || io->append_block == NULL)
		return NT_ERR_ARG;
	nt_drv *d = calloc(1, sizeof *d);
	if (d == NULL)
		return NT_ERR_NOMEM;
	d->io = *io;
	d->bugs = cfg->inject_bugs;
	d->cur_set = -1;
	d->log_h = log_height;
	nt_cons_host host = {.arg = d,
			     .propose = host_propose,
			     .valid = host_valid,
			     .last_commit = io->last_commit != NULL ? host_last_commit : NULL};
	nt_err e = nt_cons_new(g, key, cfg, &host, &d->e);
	if (e != NT_OK) {
		free(d);
		return e;
	}
	d->self = nt_cons_self(d->e);
	*out = d;
	return NT_OK;
}

void nt_drv_free(nt_drv *d)
{
	if (d == NULL)
		return;
	lc_clear(d);
	free(d->pending);
	free(d->sets[0]);
	free(d->sets[1]);
	nt_cons_free(d->e);
	free(d);
}

void nt_drv_set_key(nt_drv *d, const nt_seckey *key)
{
	nt_cons_set_key(d->e, key);
}

nt_cons *nt_drv_engine(nt_drv *d)
{
	return d->e;
}

const nt_cons *nt_drv_engine_const(const nt_drv *d)
{
	return d->e;
}

void nt_drv_set_last_signed(nt_drv *d, const nt_cons_hrs *hrs)
{
	nt_cons_set_last_signed(d->e, hrs);
}

uint64_t nt_drv_log_height(const nt_drv *d)
{
	return d->log_h;
}

bool nt_drv_running(const nt_drv *d)
{
	return d->running;
}

bool nt_drv_failed(const nt_drv *d)
{
	return d->failed;
}

void nt_drv_idle(nt_drv *d)
{
	d->running = false;
	lc_clear(d);
}

static void check(nt_drv *d, nt_err e)
{
	if (e != NT_OK)
		d->failed = true;
}

/* ---- the WAL ---- */

static void wal_append(nt_drv *d, const nt_drv_entry *ent)
{
	if (!d->failed)
		check(d, d->io.wal_append(d->io.arg, ent));
}

static void wal_reset(nt_drv *d, uint64_t h)
{
	if (d->failed)
		return;
	check(d, d->io.wal_reset(d->io.arg, h));
	if (!d->failed)
		d->log_h = h;
}

/* Input of height h goes to the WAL while a height runs: h itself, and
 * h+1 (which the engine buffers). */
static bool logged_height(const nt_drv *d, uint64_t h)
{
	if (!d->running)
		return false;
	uint64_t cur = nt_cons_height(d->e);
	if (d->bugs & NT_DRV_BUG_WAL_CUR)
		return h == cur;
	return h == cur || h == cur + 1;
}

/* An input entry; a replayed one is reported only if it is of the next
 * height (see nt_drv_entry.in_log). */
static void log_input(nt_drv *d, uint8_t kind, uint64_t h, uint32_t r, uint8_t step, bool own,
		      const uint8_t *p, size_t len)
{
	if (d->replaying && h != d->log_h + 1)
		return;
	nt_drv_entry ent = {.kind = kind,
			    .own = own,
			    .in_log = d->replaying,
			    .height = h,
			    .round = r,
			    .step = step,
			    .bytes = p,
			    .len = len};
	wal_append(d, &ent);
}

/* ---- actions ---- */

static nt_cons_hrs signed_at(const nt_cons_action *a)
{
	if (a->type == NT_CONS_BROADCAST_PROPOSAL)
		return (nt_cons_hrs){a->proposal->height, a->proposal->round, NT_STEP_PROPOSE};
	return (nt_cons_hrs){a->vote.height, a->vote.round,
			     a->vote.type == NT_VOTE_PREVOTE ? NT_STEP_PREVOTE : NT_STEP_PRECOMMIT};
}

static bool hrs_eq(const nt_cons_hrs *a, const nt_cons_hrs *b)
{
	return a->height == b->height && a->round == b->round && a->step == b->step;
}

/* Our message of a broadcast or PERSIST_SIGNED action (malloc'd). */
static nt_err encode_own(const nt_cons_action *a, bool proposal, uint8_t **out, size_t *len)
{
	if (proposal) {
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

static void log_own(nt_drv *d, const nt_cons_hrs *at, const uint8_t *p, size_t len)
{
	nt_drv_entry ent = {.kind =
				at->step == NT_STEP_PROPOSE ? NT_DRV_ENT_PROPOSAL : NT_DRV_ENT_VOTE,
			    .own = true,
			    .height = at->height,
			    .round = at->round,
			    .bytes = p,
			    .len = len};
	wal_append(d, &ent);
}

/* Makes the signatures of this call durable: the WAL first (it holds
 * the input they rest on and the signed messages), then the sign-state. */
static void flush_signed(nt_drv *d)
{
	if (!d->dirty || d->failed)
		return;
	d->dirty = false;
	check(d, d->io.wal_sync(d->io.arg));
	if (!d->failed)
		check(d, d->io.sign_save(d->io.arg, &d->dirty_hrs));
}

static void persist_signed(nt_drv *d, const nt_cons_action *a)
{
	/* A new signature is new input even while replaying (the log does
	 * not hold it): a lock may rest on our own vote. Its broadcast, later
	 * in this call, sends the same bytes. */
	free(d->pending);
	d->pending = NULL;
	d->pending_hrs = a->hrs;
	if (encode_own(a, a->hrs.step == NT_STEP_PROPOSE, &d->pending, &d->pending_len) == NT_OK)
		log_own(d, &a->hrs, d->pending, d->pending_len);
	d->dirty_hrs = a->hrs;
	d->dirty = true;
}

static void broadcast(nt_drv *d, const nt_cons_action *a)
{
	nt_cons_hrs at = signed_at(a);
	uint8_t *msg = NULL;
	size_t len = 0;
	if (d->pending != NULL && hrs_eq(&at, &d->pending_hrs)) {
		msg = d->pending;
		len = d->pending_len;
		d->pending = NULL;
	} else {
		/* not the message of the last PERSIST_SIGNED (the engine never
		 * does this): log it like one */
		if (encode_own(a, a->type == NT_CONS_BROADCAST_PROPOSAL, &msg, &len) != NT_OK)
			return; /* cannot send what cannot be encoded */
		log_own(d, &at, msg, len);
	}
	if (d->io.broadcast != NULL && !d->failed) {
		bool late = (d->bugs & NT_DRV_BUG_SEND_BEFORE_SYNC) != 0;
		if (!late)
			flush_signed(d);
		if (!d->failed)
			d->io.broadcast(d->io.arg, a, msg, len);
		if (late)
			flush_signed(d);
	}
	free(msg);
}

static void commit(nt_drv *d, const nt_block *b, const nt_commit *c)
{
	flush_signed(d);
	if (d->failed)
		return;
	const nt_commit *lc = b->header.height > 1 ? lc_find(d, &c->block_hash) : NULL;
	nt_err e = d->io.append_block(d->io.arg, b, c, lc);
	d->running = false;
	if (e == NT_ERR_EXISTS)
		return; /* block sync stored it: the log is reset when h+1 starts */
	check(d, e);
	lc_clear(d);
	wal_reset(d, b->header.height + 1);
}

static void exec_actions(nt_drv *d, nt_cons_actions acts)
{
	for (size_t i = 0; i < acts.n && !d->failed; i++) {
		const nt_cons_action *a = &acts.v[i];
		switch (a->type) {
		case NT_CONS_PERSIST_SIGNED:
			persist_signed(d, a);
			break;
		case NT_CONS_BROADCAST_PROPOSAL:
		case NT_CONS_BROADCAST_VOTE:
			broadcast(d, a);
			break;
		case NT_CONS_SCHEDULE_TIMEOUT:
			d->io.schedule(d->io.arg, &a->hrs, a->delay_ms);
			break;
		case NT_CONS_COMMIT:
			commit(d, a->block, a->commit);
			break;
		case NT_CONS_EVIDENCE:
			if (d->io.evidence != NULL)
				d->io.evidence(d->io.arg, a);
			break;
		}
	}
	flush_signed(d);
	free(d->pending);
	d->pending = NULL;
}

/* ---- inputs ---- */

static bool same_keys(const nt_valset *a, const nt_valset *b)
{
	return a->n == b->n && memcmp(a->keys, b->keys, a->n * sizeof a->keys[0]) == 0;
}

/* Planted bug (the simulator's late-switch): the first height of a new set
 * runs with the set before it, as a host that reads the set before it
 * applied the change block would. */
static const nt_valset *late_switch(nt_drv *d, const nt_valset *set)
{
	for (int i = 0; i < 2; i++)
		if (d->sets[i] == NULL && (d->sets[i] = malloc(sizeof *d->sets[i])) == NULL)
			return set;
	if (d->cur_set < 0) {
		*d->sets[0] = *set;
		d->cur_set = 0;
		return set;
	}
	const nt_valset *old = d->sets[d->cur_set];
	if (same_keys(old, set))
		return set;
	d->cur_set = 1 - d->cur_set;
	*d->sets[d->cur_set] = *set;
	return old;
}

static nt_err start_height(nt_drv *d, uint64_t h, const nt_valset *set)
{
	if (d->failed)
		return NT_ERR_IO;
	uint64_t cur = nt_cons_height(d->e);
	if (h == 0 || (cur != 0 && h <= cur))
		return NT_ERR_ARG; /* the engine refuses it: leave the log alone */
	if (set != NULL && (set->n == 0 || set->n > NT_MAX_VALIDATORS))
		return NT_ERR_ARG;
	if (set != NULL && (d->bugs & NT_DRV_BUG_LATE_SWITCH))
		set = late_switch(d, set);
	if (d->log_h != h)
		wal_reset(d, h);
	if (d->failed)
		return NT_ERR_IO;
	lc_clear(d);
	nt_cons_actions acts;
	uint64_t now = d->io.now(d->io.arg);
	nt_err e = set != NULL ? nt_cons_start_height_set(d->e, h, set, now, &acts)
			       : nt_cons_start_height(d->e, h, now, &acts);
	d->self = nt_cons_self(d->e); /* the height's set may give us another index */
	d->running = nt_cons_height(d->e) == h;
	exec_actions(d, acts); /* a network of one decides in here */
	return e;
}

nt_err nt_drv_start_height(nt_drv *d, uint64_t h)
{
	return start_height(d, h, NULL);
}

nt_err nt_drv_start_height_set(nt_drv *d, uint64_t h, const nt_valset *set)
{
	if (set == NULL)
		return NT_ERR_ARG;
	return start_height(d, h, set);
}

static void before_feed(nt_drv *d, uint64_t h, unsigned from, const nt_proposal *p)
{
	if (d->io.before_feed != NULL && !d->failed)
		d->io.before_feed(d->io.arg, h, from, p);
}

static nt_err on_vote(nt_drv *d, const uint8_t *msg, size_t len)
{
	nt_vote v;
	if (nt_peermsg_vote_decode(msg, len, &v, NULL) != NT_OK)
		return NT_ERR_DECODE;
	bool own = d->self >= 0 && v.index == (unsigned)d->self;
	if (d->bugs & NT_DRV_BUG_START_UNAUTH)
		before_feed(d, v.height, v.index, NULL);
	bool early = (d->bugs & NT_DRV_BUG_WAL_UNAUTH) != 0;
	if (early && logged_height(d, v.height))
		log_input(d, NT_DRV_ENT_VOTE, v.height, v.round, 0, own, msg, len);
	/* refusals are counted by the engine */
	nt_err e = nt_cons_authenticate_vote(d->e, &v);
	if (e != NT_OK)
		return e;
	if (!(d->bugs & NT_DRV_BUG_START_UNAUTH))
		before_feed(d, v.height, v.index, NULL);
	if (d->failed)
		return NT_ERR_IO;
	bool log = !early && logged_height(d, v.height);
	uint64_t kept = nt_cons_kept(d->e);
	nt_cons_actions acts;
	e = nt_cons_on_vote(d->e, &v, d->io.now(d->io.arg), &acts);
	/* before the call's actions: a signature that rests on this vote is
	 * synced with it */
	if (log && nt_cons_kept(d->e) != kept)
		log_input(d, NT_DRV_ENT_VOTE, v.height, v.round, 0, own, msg, len);
	exec_actions(d, acts);
	return e;
}

static nt_err on_proposal(nt_drv *d, const uint8_t *msg, size_t len, bool *relay)
{
	nt_proposal p;
	if (nt_peermsg_proposal_decode(msg, len, &p, NULL) != NT_OK)
		return NT_ERR_DECODE;
	uint64_t ph = p.height;
	uint32_t pr = p.round;
	bool own = d->self >= 0 && p.proposer == (unsigned)d->self;
	if (d->bugs & NT_DRV_BUG_START_UNAUTH)
		before_feed(d, ph, p.proposer, &p);
	bool early = (d->bugs & NT_DRV_BUG_WAL_UNAUTH) != 0;
	if (early && logged_height(d, ph))
		log_input(d, NT_DRV_ENT_PROPOSAL, ph, pr, 0, own, msg, len);
	nt_err e = nt_cons_authenticate_proposal(d->e, &p);
	if (e == NT_OK && !(d->bugs & NT_DRV_BUG_START_UNAUTH))
		before_feed(d, ph, p.proposer, &p);
	if (e == NT_OK && d->failed)
		e = NT_ERR_IO;
	if (e != NT_OK) {
		/* nothing of it is kept past the check */
		nt_block_free(p.block);
		free(p.last_commit);
		return e;
	}
	bool log = !early && logged_height(d, ph);
	uint64_t kept = nt_cons_kept(d->e);
	nt_cons_actions acts;
	e = nt_cons_on_proposal(d->e, &p, d->io.now(d->io.arg), &acts);
	if (log && nt_cons_kept(d->e) != kept)
		log_input(d, NT_DRV_ENT_PROPOSAL, ph, pr, 0, own, msg, len);
	exec_actions(d, acts);
	/* A validator cannot decide a block it never received: every
	 * proposal we accepted goes on, once (copies come back EXISTS). */
	if (relay != NULL)
		*relay = e == NT_OK && !d->replaying;
	return e;
}

nt_err nt_drv_on_message(nt_drv *d, const uint8_t *msg, size_t len, bool *relay)
{
	if (relay != NULL)
		*relay = false;
	if (d->failed)
		return NT_ERR_IO;
	switch (nt_peermsg_type(msg, len)) {
	case NT_PEERMSG_VOTE:
		return on_vote(d, msg, len);
	case NT_PEERMSG_PROPOSAL:
		return on_proposal(d, msg, len, relay);
	default:
		return NT_ERR_DECODE;
	}
}

bool nt_drv_timeout_decode(const uint8_t *p, size_t len, uint64_t *h, uint32_t *r, uint8_t *step)
{
	if (len != NT_DRV_TIMEOUT_LEN || p[0] != NT_DRV_TIMEOUT_TAG)
		return false;
	uint64_t hh = 0;
	uint32_t rr = 0;
	for (int b = 0; b < 8; b++)
		hh = hh << 8 | p[1 + b];
	for (int b = 0; b < 4; b++)
		rr = rr << 8 | p[9 + b];
	*h = hh;
	*r = rr;
	*step = p[13];
	return true;
}

nt_err nt_drv_on_timeout(nt_drv *d, uint64_t h, uint32_t r, uint8_t step)
{
	if (d->failed)
		return NT_ERR_IO;
	/* only the running round's timeouts change anything: the engine
	 * ignores the others, so the log need not hold them */
	if (logged_height(d, h) && h == nt_cons_height(d->e) && r == nt_cons_round(d->e)) {
		uint8_t ent[NT_DRV_TIMEOUT_LEN];
		ent[0] = NT_DRV_TIMEOUT_TAG;
		for (int b = 0; b < 8; b++)
			ent[1 + b] = (uint8_t)(h >> (56 - 8 * b));
		for (int b = 0; b < 4; b++)
			ent[9 + b] = (uint8_t)(r >> (24 - 8 * b));
		ent[13] = step;
		log_input(d, NT_DRV_ENT_TIMEOUT, h, r, step, false, ent, sizeof ent);
	}
	nt_cons_actions acts;
	nt_err e = nt_cons_on_timeout(d->e, h, r, step, d->io.now(d->io.arg), &acts);
	exec_actions(d, acts);
	return e;
}

void nt_drv_replay(nt_drv *d, const uint8_t *const *entries, const size_t *lens, size_t n)
{
	uint64_t h0 = d->log_h;
	for (size_t i = 0; i < n && !d->failed; i++) {
		d->replaying = d->log_h == h0;
		uint64_t h;
		uint32_t r;
		uint8_t step;
		nt_err e;
		if (nt_drv_timeout_decode(entries[i], lens[i], &h, &r, &step))
			e = nt_drv_on_timeout(d, h, r, step);
		else
			e = nt_drv_on_message(d, entries[i], lens[i], NULL);
		(void)e; /* a logged entry the engine refuses now changes nothing */
	}
	d->replaying = false;
}
