/* Tendermint (arXiv:1807.04938, Algorithm 1) as a pure state machine.
 * See core/consensus.h for the contract; line numbers below are the paper's.
 *
 * Structure: every entry point first files the incoming message in the
 * height's log (core/consensus_votes.c), then calls run(), which evaluates
 * the upon-rules against the log until none fires. Each rule fires at most
 * once per state it depends on (a step change, a round change, a one-shot
 * flag), so the loop ends. This mirrors the paper's reading that upon-rules
 * are guarded predicates over the message log, evaluated atomically. */
#include "core/consensus.h"

#include <stdlib.h>
#include <string.h>

#include "base/codec.h"
#include "base/verify.h"
#include "core/consensus_votes.h"
#include "core/merkle.h"
#include "crypto/digest.h"

#define PROPOSAL_SIG_TAG "notary/proposal"

void nt_cons_config_default(nt_cons_config *c)
{
	c->timeout_propose_ms = 3000;
	c->timeout_propose_delta_ms = 500;
	c->timeout_prevote_ms = 1000;
	c->timeout_prevote_delta_ms = 500;
	c->timeout_precommit_ms = 1000;
	c->timeout_precommit_delta_ms = 500;
	c->max_clock_skew_ms = 2000;
	c->inject_bugs = 0;
}

void nt_proposal_sighash(const char *chain_id, uint64_t height, uint32_t round, int32_t valid_round,
			 const nt_hash *block_hash, nt_hash *out)
{
	uint8_t buf[1 + 255 + 8 + 4 + 4 + 32];
	size_t cl = strnlen(chain_id, 255);
	nt_writer w;
	nt_writer_init(&w, buf, sizeof buf);
	nt_put_u8(&w, (uint8_t)cl);
	nt_put_bytes(&w, chain_id, cl);
	nt_put_u64(&w, height);
	nt_put_u32(&w, round);
	nt_put_u32(&w, valid_round < 0 ? 0xffffffffu : (uint32_t)valid_round);
	nt_put_bytes(&w, block_hash->b, NT_HASH_LEN);
	nt_tagged_hash(PROPOSAL_SIG_TAG, buf, w.len, out);
}

/* Makes vs the set of the running height: n, quorum, weak, and our index
 * by our key (-1: not a member, an observer). */
static void set_vals(nt_cons *e, const nt_valset *vs)
{
	e->vals = *vs;
	e->n = vs->n;
	e->quorum = nt_valset_quorum(vs);
	e->weak = e->n - e->quorum + 1;
	e->self = -1;
	if (e->key != NULL) {
		nt_pubkey pk;
		nt_seckey_pubkey(e->key, &pk);
		e->self = nt_valset_index(vs, &pk);
	}
}

nt_err nt_cons_new(const nt_genesis *g, const nt_seckey *key, const nt_cons_config *cfg,
		   const nt_cons_host *host, nt_cons **out)
{
	if (g == NULL || cfg == NULL || host == NULL || host->propose == NULL ||
	    host->valid == NULL || g->vals.n == 0 || g->vals.n > NT_MAX_VALIDATORS)
		return NT_ERR_ARG;
	nt_cons *e = calloc(1, sizeof *e);
	if (e == NULL)
		return NT_ERR_NOMEM;
	e->g = *g;
	e->key = key;
	set_vals(e, &g->vals);
	e->cfg = *cfg;
	e->host = *host;
	e->locked_round = e->valid_round = -1;
	cv_book_init(&e->book, e->n);
	e->next_cap = (size_t)e->n * NT_CONS_NEXT_VOTES_PER_VAL;
	e->next_votes = calloc(e->next_cap, sizeof *e->next_votes);
	e->next_per_val = calloc(e->n, 1);
	if (e->next_votes == NULL || e->next_per_val == NULL) {
		nt_cons_free(e);
		return NT_ERR_NOMEM;
	}
	*out = e;
	return NT_OK;
}

void nt_cons_free(nt_cons *e)
{
	if (e == NULL)
		return;
	cv_book_clear(&e->book);
	if (e->next_per_val != NULL)
		cv_next_clear(e);
	free(e->next_votes);
	free(e->next_per_val);
	free(e->acts);
	free(e);
}

/* ---- sign-state ---- */

static int hrs_cmp(uint64_t h, uint32_t r, uint8_t s, const nt_cons_hrs *b)
{
	if (h != b->height)
		return h < b->height ? -1 : 1;
	if (r != b->round)
		return r < b->round ? -1 : 1;
	if (s != b->step)
		return s < b->step ? -1 : 1;
	return 0;
}

void nt_cons_set_key(nt_cons *e, const nt_seckey *key)
{
	e->key = key; /* our index follows at the next set_vals */
}

void nt_cons_set_last_signed(nt_cons *e, const nt_cons_hrs *hrs)
{
	const nt_cons_hrs before = e->last_signed;
	if (hrs_cmp(hrs->height, hrs->round, hrs->step, &e->last_signed) > 0)
		e->last_signed = *hrs;
	NT_VERIFY(hrs_cmp(before.height, before.round, before.step, &e->last_signed) <= 0);
}

nt_cons_hrs nt_cons_last_signed(const nt_cons *e)
{
	return e->last_signed;
}

/* ---- actions ---- */

static uint64_t timeout_of(const nt_cons *e, uint8_t step, uint32_t r)
{
	const nt_cons_config *c = &e->cfg;
	switch (step) {
	case NT_STEP_PROPOSE:
		return c->timeout_propose_ms + (uint64_t)r * c->timeout_propose_delta_ms;
	case NT_STEP_PREVOTE:
		return c->timeout_prevote_ms + (uint64_t)r * c->timeout_prevote_delta_ms;
	default:
		return c->timeout_precommit_ms + (uint64_t)r * c->timeout_precommit_delta_ms;
	}
}

static nt_err schedule(nt_cons *e, uint8_t step)
{
	nt_cons_action a = {.type = NT_CONS_SCHEDULE_TIMEOUT};
	a.hrs.height = e->height;
	a.hrs.round = e->round;
	a.hrs.step = step;
	a.delay_ms = timeout_of(e, step, e->round);
	return cv_push(e, &a);
}

/* Whether we may sign at (height, round_p, step) now. When we may not, the
 * step's timeout is scheduled so that a restarted node still advances. */
static nt_err may_sign(nt_cons *e, uint8_t step, bool *ok)
{
	*ok = false;
	if (e->self < 0)
		return NT_OK;
	if (hrs_cmp(e->height, e->round, step, &e->last_signed) <= 0) {
		e->stats.sign_refused++;
		return schedule(e, step);
	}
	*ok = true;
	return NT_OK;
}

/* PERSIST_SIGNED names the message it protects (a vote, or a proposal
 * filled in once it is filed), so that a host logs that message with the
 * sign-state without looking at the actions after it. */
static nt_err persist_signed(nt_cons *e, uint8_t step, const nt_vote *v)
{
	nt_cons_action a = {.type = NT_CONS_PERSIST_SIGNED};
	const nt_cons_hrs before = e->last_signed;
	e->last_signed.height = e->height;
	e->last_signed.round = e->round;
	e->last_signed.step = step;
	a.hrs = e->last_signed;
	if (v != NULL)
		a.vote = *v;
	/* the sign-state only rises: may_sign refused every (h, r, s) at or below it */
	NT_VERIFY(hrs_cmp(before.height, before.round, before.step, &a.hrs) < 0);
	return cv_push(e, &a);
}

/* ---- valid(v) ---- */

static bool valid_clock(nt_cons *e, cv_prop *cp)
{
	if (cp->vclock == CV_UNKNOWN) {
		const nt_header *h = &cp->p.block->header;
		bool ok = h->height == e->height && h->time <= e->now + e->cfg.max_clock_skew_ms &&
			  e->host.valid(e->host.arg, cp->p.block, cp->p.last_commit, e->now);
		cp->vclock = ok ? CV_YES : CV_NO;
		if (ok)
			cp->vfree = CV_YES;
		else
			e->stats.invalid_proposals++;
	}
	return cp->vclock == CV_YES;
}

static bool valid_free(nt_cons *e, cv_prop *cp)
{
	if (cp->vfree == CV_UNKNOWN) {
		bool ok = cp->p.block->header.height == e->height &&
			  e->host.valid(e->host.arg, cp->p.block, cp->p.last_commit, 0);
		cp->vfree = ok ? CV_YES : CV_NO;
	}
	return cp->vfree == CV_YES;
}

/* ---- signing ---- */

static const nt_hash nil_hash;

/* broadcast <PREVOTE|PRECOMMIT, h_p, round_p, hash>, if the sign-state allows. */
static nt_err vote(nt_cons *e, uint8_t type, const nt_hash *hash)
{
	uint8_t step = type == NT_VOTE_PREVOTE ? NT_STEP_PREVOTE : NT_STEP_PRECOMMIT;
	bool ok;
	nt_err err = may_sign(e, step, &ok);
	if (err != NT_OK || !ok)
		return err;
	nt_vote v;
	memset(&v, 0, sizeof v);
	v.type = type;
	v.index = (uint16_t)e->self;
	v.height = e->height;
	v.round = e->round;
	v.block_hash = *hash;
	v.timestamp = e->now;
	if (type == NT_VOTE_PRECOMMIT && !cv_hash_is_nil(hash)) {
		/* Never stamp a precommit earlier than the header: the commit's
		 * median time then cannot precede the block's own time. */
		const cv_prop *cp = cv_find_block(&e->book, hash);
		if (cp != NULL && cp->p.block->header.time > v.timestamp)
			v.timestamp = cp->p.block->header.time;
	}
	nt_hash m;
	nt_vote_sighash(type, e->g.chain_id, v.height, v.round, &v.block_hash, v.timestamp, &m);
	err = nt_sign(e->key, &m, &v.sig);
	if (err != NT_OK)
		return err;
	if ((err = persist_signed(e, step, &v)) != NT_OK)
		return err;
	nt_cons_action a = {.type = NT_CONS_BROADCAST_VOTE};
	a.vote = v;
	if ((err = cv_push(e, &a)) != NT_OK)
		return err;
	err = cv_file_vote(e, &v, true);
	/* Our own vote can only be there already if the host replayed it. */
	return err == NT_ERR_EXISTS ? NT_OK : err;
}

unsigned nt_cons_proposer(const nt_cons *e, uint64_t h, uint32_t r)
{
	return (unsigned)((h + r) % e->n);
}

/* StartRound(round), lines 11-21. */
static nt_err start_round(nt_cons *e, uint32_t r)
{
	e->round = r;		   /* line 12 */
	e->step = NT_STEP_PROPOSE; /* line 13 */
	e->once34 = e->once36 = e->once47 = false;
	/* line 14: proposer(h_p, round_p) = p */
	if (e->self < 0 || nt_cons_proposer(e, e->height, r) != (unsigned)e->self)
		return schedule(e, NT_STEP_PROPOSE); /* line 21 */
	bool ok;
	nt_err err = may_sign(e, NT_STEP_PROPOSE, &ok);
	if (err != NT_OK || !ok)
		return err;
	nt_proposal p;
	bool borrowed = false;
	memset(&p, 0, sizeof p);
	p.height = e->height;
	p.round = r;
	p.proposer = (uint16_t)e->self;
	if (e->valid_value != NULL) {
		/* lines 15-16: proposal <- validValue_p, with validRound_p */
		p.block = (nt_block *)e->valid_value;
		p.last_commit = e->valid_lc;
		p.block_hash = e->valid_hash;
		p.valid_round = e->valid_round;
		borrowed = true;
	} else {
		/* line 18: proposal <- getValue(); validRound_p is -1 here */
		nt_block *b = NULL;
		if (e->host.propose(e->host.arg, e->height, e->now, &b) != NT_OK || b == NULL ||
		    b->header.height != e->height ||
		    nt_header_hash(&b->header, &p.block_hash) != NT_OK) {
			nt_block_free(b);
			e->stats.propose_failed++;
			return schedule(e, NT_STEP_PROPOSE);
		}
		p.block = b;
		p.valid_round = -1;
		if (e->height > 1 && e->host.last_commit != NULL) {
			p.last_commit = malloc(sizeof *p.last_commit);
			if (p.last_commit == NULL ||
			    e->host.last_commit(e->host.arg, e->height - 1, p.last_commit) !=
				NT_OK ||
			    !cv_last_commit_ok(b, p.last_commit)) {
				cv_release(&p, false);
				e->stats.propose_failed++;
				return schedule(e, NT_STEP_PROPOSE);
			}
		}
	}
	nt_hash m;
	nt_proposal_sighash(e->g.chain_id, p.height, p.round, p.valid_round, &p.block_hash, &m);
	err = nt_sign(e->key, &m, &p.sig);
	if (err == NT_OK)
		err = persist_signed(e, NT_STEP_PROPOSE, NULL);
	if (err != NT_OK) {
		cv_release(&p, borrowed);
		return err;
	}
	size_t persist = e->nacts - 1;
	/* line 19: broadcast <PROPOSAL, h_p, round_p, proposal, validRound_p> */
	cv_prop *cp = NULL;
	err = cv_file_proposal(e, &p, true, borrowed, &cp);
	if (err != NT_OK)
		return err == NT_ERR_EXISTS ? NT_OK : err;
	e->acts[persist].proposal = &cp->p;
	nt_cons_action a = {.type = NT_CONS_BROADCAST_PROPOSAL};
	a.proposal = &cp->p;
	return cv_push(e, &a);
}

/* ---- the upon-rules ---- */

/* lines 49-54: upon <PROPOSAL, h_p, r, v, *> from proposer(h_p, r) AND
 * 2f+1 <PRECOMMIT, h_p, r, id(v)> while decision_p[h_p] = nil. Any round r.
 * The proposal may have reached us in another round of this height (a
 * re-proposal): it is the same value, identified by its hash. */
static nt_err rule_decide(nt_cons *e, bool *fired)
{
	for (size_t i = 0; i < e->book.nrounds; i++) {
		const cv_round *R = e->book.rounds[i];
		/* planted bug (simulator only): f+1 instead of 2f+1 */
		unsigned q = (e->cfg.inject_bugs & NT_CONS_BUG_WEAK_QUORUM) ? e->weak : e->quorum;
		const nt_hash *id = cv_quorum_hash(R, NT_VOTE_PRECOMMIT, q);
		if (id == NULL)
			continue;
		cv_prop *cp = cv_find_block(&e->book, id);
		/* Without the block we cannot decide; catching up by block sync
		 * (node/) covers it if the proposal never arrives. */
		if (cp == NULL || !valid_free(e, cp)) /* line 50 */
			continue;
		/* line 51: decision_p[h_p] = v, with the 2f+1 precommits as proof */
		nt_commit *c = &e->commit;
		memset(c, 0, sizeof *c);
		c->height = e->height;
		c->round = R->round;
		c->block_hash = *id;
		for (unsigned j = 0; j < R->n; j++) {
			const nt_vote *v = cv_vote_for(R, 1, j, id);
			if (v == NULL)
				continue;
			c->sigs[c->count].index = (uint16_t)j;
			c->sigs[c->count].timestamp = v->timestamp;
			c->sigs[c->count].sig = v->sig;
			c->count++;
		}
		e->decided = true;
		*fired = true;
		/* lines 52-54 (next height, reset, StartRound(0)) wait for the host:
		 * nt_cons_start_height after it applied the block. */
		nt_cons_action a = {.type = NT_CONS_COMMIT};
		a.block = cp->p.block;
		a.commit = c;
		return cv_push(e, &a);
	}
	return NT_OK;
}

/* lines 55-56: upon f+1 <*, h_p, round, *, *> with round > round_p do
 * StartRound(round). Of several such rounds we take the highest. */
static nt_err rule_skip(nt_cons *e, bool *fired)
{
	bool found = false;
	uint32_t best = e->round;
	for (size_t i = 0; i < e->book.nrounds; i++) {
		const cv_round *R = e->book.rounds[i];
		if (R->round > best && cv_senders(R) >= e->weak) {
			best = R->round;
			found = true;
		}
	}
	if (!found)
		return NT_OK;
	*fired = true;
	return start_round(e, best);
}

/* lines 22-33: the proposal of round_p while step_p = propose. */
static nt_err rule_proposal(nt_cons *e, cv_round *R, bool *fired)
{
	if (e->step != NT_STEP_PROPOSE || R == NULL || R->nprops == 0)
		return NT_OK;
	/* The first proposal of the round: an equivocating proposer's second
	 * block gets no prevote from us. */
	cv_prop *cp = &R->props[0];
	const nt_hash *id = &cp->p.block_hash;
	int32_t vr = cp->p.valid_round;
	/* planted bug (simulator only): prevote as if never locked */
	bool skip_lock = (e->cfg.inject_bugs & NT_CONS_BUG_SKIP_LOCK) != 0;
	bool ok;
	if (vr < 0) {
		/* line 22: upon <PROPOSAL, h_p, round_p, v, -1> from
		 * proposer(h_p, round_p) while step_p = propose
		 * line 23: valid(v) and (lockedRound_p = -1 or lockedValue_p = v) */
		ok = valid_clock(e, cp) &&
		     (skip_lock || e->locked_round == -1 || cv_hash_eq(&e->locked_hash, id));
	} else {
		/* line 28: ... AND 2f+1 <PREVOTE, h_p, vr, id(v)> while
		 * step_p = propose and (vr >= 0 and vr < round_p) */
		const cv_round *V = cv_book_find(&e->book, (uint32_t)vr);
		if ((uint32_t)vr >= e->round || V == NULL ||
		    cv_count(V, NT_VOTE_PREVOTE, id) < e->quorum)
			return NT_OK; /* wait; OnTimeoutPropose covers it */
		/* line 29: valid(v) and (lockedRound_p <= vr or lockedValue_p = v) */
		ok = valid_clock(e, cp) &&
		     (skip_lock || e->locked_round <= vr || cv_hash_eq(&e->locked_hash, id));
	}
	nt_hash h = ok ? *id : nil_hash;
	*fired = true;
	nt_err err = vote(e, NT_VOTE_PREVOTE, &h); /* lines 24/26, 30/32 */
	e->step = NT_STEP_PREVOTE;		   /* lines 27, 33 */
	return err;
}

/* lines 36-43: upon <PROPOSAL, h_p, round_p, v, *> from proposer(h_p,
 * round_p) AND 2f+1 <PREVOTE, h_p, round_p, id(v)> while valid(v) and
 * step_p >= prevote for the first time. */
static nt_err rule_lock(nt_cons *e, cv_round *R, bool *fired)
{
	if (e->step < NT_STEP_PREVOTE || e->once36 || R == NULL)
		return NT_OK;
	const nt_hash *q = cv_quorum_hash(R, NT_VOTE_PREVOTE, e->quorum);
	cv_prop *cp = q != NULL ? cv_find_block(&e->book, q) : NULL;
	if (cp == NULL || !valid_free(e, cp))
		return NT_OK;
	nt_hash id = *q;
	nt_err err = NT_OK;
	e->once36 = true;
	*fired = true;
	if (e->step == NT_STEP_PREVOTE) {      /* line 37 */
		e->locked_value = cp->p.block; /* line 38 */
		e->locked_hash = id;
		e->locked_round = (int32_t)e->round;   /* line 39 */
		err = vote(e, NT_VOTE_PRECOMMIT, &id); /* line 40 */
		e->step = NT_STEP_PRECOMMIT;	       /* line 41 */
	}
	e->valid_value = cp->p.block; /* line 42 */
	e->valid_lc = cp->p.last_commit;
	e->valid_hash = id;
	e->valid_round = (int32_t)e->round; /* line 43 */
	return err;
}

/* The rules about round_p, in the paper's order. */
static nt_err rules_round(nt_cons *e, bool *fired)
{
	cv_round *R = cv_book_find(&e->book, e->round);
	nt_err err = rule_proposal(e, R, fired);
	if (err != NT_OK || *fired)
		return err;
	if (R == NULL)
		return NT_OK;
	/* line 34: upon 2f+1 <PREVOTE, h_p, round_p, *> while step_p = prevote
	 * for the first time; line 35: schedule OnTimeoutPrevote */
	if (e->step == NT_STEP_PREVOTE && !e->once34 &&
	    cv_count(R, NT_VOTE_PREVOTE, NULL) >= e->quorum) {
		e->once34 = true;
		*fired = true;
		if ((err = schedule(e, NT_STEP_PREVOTE)) != NT_OK)
			return err;
	}
	if ((err = rule_lock(e, R, fired)) != NT_OK)
		return err;
	/* line 44: upon 2f+1 <PREVOTE, h_p, round_p, nil> while step_p = prevote */
	if (e->step == NT_STEP_PREVOTE && cv_count(R, NT_VOTE_PREVOTE, &nil_hash) >= e->quorum) {
		*fired = true;
		err = vote(e, NT_VOTE_PRECOMMIT, &nil_hash); /* line 45 */
		e->step = NT_STEP_PRECOMMIT;		     /* line 46 */
		if (err != NT_OK)
			return err;
	}
	/* line 47: upon 2f+1 <PRECOMMIT, h_p, round_p, *> for the first time;
	 * line 48: schedule OnTimeoutPrecommit */
	if (!e->once47 && cv_count(R, NT_VOTE_PRECOMMIT, NULL) >= e->quorum) {
		e->once47 = true;
		*fired = true;
		if ((err = schedule(e, NT_STEP_PRECOMMIT)) != NT_OK)
			return err;
	}
	return NT_OK;
}

static nt_err run(nt_cons *e)
{
	for (;;) {
		bool fired = false;
		nt_err err;
		if (!e->started || e->decided)
			return NT_OK;
		if ((err = rule_decide(e, &fired)) != NT_OK || fired)
			return err;
		if ((err = rule_skip(e, &fired)) != NT_OK)
			return err;
		if (!fired && (err = rules_round(e, &fired)) != NT_OK)
			return err;
		if (!fired)
			return NT_OK;
	}
}

/* ---- entry points ---- */

static void begin(nt_cons *e, uint64_t now, nt_cons_actions *out)
{
	e->nacts = 0;
	e->now = now;
	out->v = NULL;
	out->n = 0;
}

static nt_err finish(nt_cons *e, nt_err err, nt_cons_actions *out)
{
	out->v = e->acts;
	out->n = e->nacts;
	/* after every entry point: lockedRound_p and validRound_p are -1 or
	 * rounds of this height no later than round_p, and step_p is a step */
	NT_VERIFY(e->locked_round < 0 || (uint32_t)e->locked_round <= e->round);
	NT_VERIFY(e->valid_round < 0 || (uint32_t)e->valid_round <= e->round);
	NT_VERIFY(!e->started || (e->step >= NT_STEP_PROPOSE && e->step <= NT_STEP_PRECOMMIT));
	return err;
}

static int vote_route(const nt_cons *e, const nt_vote *v);
static bool vote_sig_ok(nt_cons *e, const nt_vote *v);
static int proposal_check(const nt_cons *e, nt_proposal *q, int *where, nt_err *err);
static bool proposal_sig_ok(nt_cons *e, const nt_proposal *q);

/* Same validators in the same order (names aside: they sign nothing). */
static bool same_keys(const nt_valset *a, const nt_valset *b)
{
	return a->n == b->n && memcmp(a->keys, b->keys, (size_t)a->n * sizeof a->keys[0]) == 0;
}

/* A buffered message of the new height, authenticated against the set
 * of the height before: does it fit the height's set too (index,
 * proposer, signature)? */
static bool refits_vote(nt_cons *e, const nt_vote *v)
{
	return vote_route(e, v) == 0 && vote_sig_ok(e, v);
}

static bool refits_proposal(nt_cons *e, nt_proposal *p)
{
	int where;
	nt_err err;
	return proposal_check(e, p, &where, &err) < 0 && where == 0 && proposal_sig_ok(e, p);
}

static nt_err start_height(nt_cons *e, uint64_t h, const nt_valset *set, uint64_t now,
			   nt_cons_actions *out)
{
	begin(e, now, out);
	if (h == 0 || (e->started && h <= e->height))
		return finish(e, NT_ERR_ARG, out);
	if (set != NULL && (set->n == 0 || set->n > NT_MAX_VALIDATORS))
		return finish(e, NT_ERR_ARG, out);
	bool changed = set != NULL && !same_keys(set, &e->vals);
	nt_vote *nvotes = NULL;
	uint8_t *nper = NULL;
	if (changed) {
		/* the next-height buffer is sized by the set */
		nvotes = calloc((size_t)set->n * NT_CONS_NEXT_VOTES_PER_VAL, sizeof *nvotes);
		nper = calloc(set->n, 1);
		if (nvotes == NULL || nper == NULL) {
			free(nvotes);
			free(nper);
			return finish(e, NT_ERR_NOMEM, out);
		}
	}
	/* line 53: reset lockedRound_p, lockedValue_p, validRound_p and
	 * validValue_p to initial values and empty message log */
	cv_book_clear(&e->book);
	if (set != NULL)
		set_vals(e, set); /* the height's set: n, quorum, weak, self */
	if (changed) {
		cv_book_init(&e->book, e->n);
		e->auth_ok = false; /* a memo of the old set proves nothing */
	}
	e->started = true;
	e->decided = false;
	e->height = h;
	e->round = 0;
	e->step = NT_STEP_PROPOSE;
	e->locked_value = e->valid_value = NULL;
	e->valid_lc = NULL;
	e->locked_round = e->valid_round = -1;
	memset(&e->locked_hash, 0, sizeof e->locked_hash);
	memset(&e->valid_hash, 0, sizeof e->valid_hash);
	/* Messages of h that arrived early; their signatures were checked,
	 * against the set of h-1: after a set change each is checked again
	 * against the set of h, and refused (NT_DROP_OLD_SET) unless it fits.
	 * A refused one (a flood bound) is simply not used; only running out
	 * of memory is worth reporting. */
	nt_err err = NT_OK, ferr;
	for (size_t i = 0; i < e->next_nvotes; i++) {
		if (e->next_votes[i].height != h)
			continue;
		if (changed && !refits_vote(e, &e->next_votes[i])) {
			(void)cv_drop(e, NT_DROP_OLD_SET, NT_ERR_SIGNATURE);
			continue;
		}
		if ((ferr = cv_file_vote(e, &e->next_votes[i], false)) == NT_ERR_NOMEM)
			err = ferr;
	}
	for (unsigned i = 0; i < e->next_nprops; i++) {
		if (e->next_props[i].height != h)
			continue;
		if (changed && !refits_proposal(e, &e->next_props[i])) {
			(void)cv_drop(e, NT_DROP_OLD_SET, NT_ERR_SIGNATURE);
			continue; /* cv_next_clear frees it */
		}
		if ((ferr = cv_file_proposal(e, &e->next_props[i], false, false, NULL)) ==
		    NT_ERR_NOMEM)
			err = ferr;
	}
	if (changed) {
		/* not cv_next_clear: next_per_val is still sized by the old n */
		for (unsigned i = 0; i < e->next_nprops; i++)
			cv_release(&e->next_props[i], false);
		e->next_nprops = 0;
		e->next_nvotes = 0;
		free(e->next_votes);
		free(e->next_per_val);
		e->next_votes = nvotes;
		e->next_per_val = nper;
		e->next_cap = (size_t)e->n * NT_CONS_NEXT_VOTES_PER_VAL;
	} else {
		cv_next_clear(e);
	}
	if (err == NT_OK)
		err = start_round(e, 0); /* line 54 (and line 10 at the start) */
	if (err == NT_OK)
		err = run(e);
	return finish(e, err, out);
}

nt_err nt_cons_start_height(nt_cons *e, uint64_t h, uint64_t now, nt_cons_actions *out)
{
	return start_height(e, h, NULL, now, out);
}

nt_err nt_cons_start_height_set(nt_cons *e, uint64_t h, const nt_valset *set, uint64_t now,
				nt_cons_actions *out)
{
	if (set == NULL) {
		begin(e, now, out);
		return finish(e, NT_ERR_ARG, out);
	}
	return start_height(e, h, set, now, out);
}

/* Where a message of this height goes: 0 now, 1 the next-height buffer,
 * or a drop reason + 2. */
static int route(const nt_cons *e, uint64_t height, uint32_t round)
{
	uint64_t cur = e->started ? e->height : 0;
	if (height == cur + 1) {
		if (round > NT_CONS_MAX_ROUND_AHEAD)
			return NT_DROP_FAR_ROUND + 2;
		return 1;
	}
	if (height > cur + 1)
		return NT_DROP_FAR_HEIGHT + 2;
	if (height < cur || !e->started || e->decided)
		return NT_DROP_OLD_HEIGHT + 2;
	if ((uint64_t)round > (uint64_t)e->round + NT_CONS_MAX_ROUND_AHEAD)
		return NT_DROP_FAR_ROUND + 2;
	return 0;
}

static nt_err route_err(int r)
{
	return r == NT_DROP_FAR_ROUND + 2 ? NT_ERR_RANGE : NT_ERR_CHAIN;
}

/* ---- authentication ---- */

static bool auth_memo_has(const nt_cons *e, uint16_t index, const nt_hash *m, const nt_sig *sig)
{
	return e->auth_ok && e->auth_index == index && cv_hash_eq(&e->auth_m, m) &&
	       memcmp(e->auth_sig.b, sig->b, NT_SIG_LEN) == 0;
}

/* The signature check of vals[index] over m, once per message: a message
 * nt_cons_authenticate_* passed is not verified again by on_*. */
static bool sig_ok(nt_cons *e, uint16_t index, const nt_hash *m, const nt_sig *sig)
{
	if (auth_memo_has(e, index, m, sig))
		return true;
	if (!nt_verify(&e->vals.keys[index], m, sig))
		return false;
	e->auth_ok = true;
	e->auth_index = index;
	e->auth_m = *m;
	e->auth_sig = *sig;
	return true;
}

/* The checks of a vote that need no state but the height, in the order
 * that costs least: a drop reason + 2, 0 (our height) or 1 (the next). */
static int vote_route(const nt_cons *e, const nt_vote *v)
{
	if (v->type != NT_VOTE_PREVOTE && v->type != NT_VOTE_PRECOMMIT)
		return NT_DROP_BAD_TYPE + 2;
	if (v->index >= e->n)
		return NT_DROP_BAD_INDEX + 2;
	return route(e, v->height, v->round);
}

static nt_err vote_drop_err(int where)
{
	if (where == NT_DROP_BAD_TYPE + 2)
		return NT_ERR_DECODE;
	if (where == NT_DROP_BAD_INDEX + 2)
		return NT_ERR_RANGE;
	return route_err(where);
}

/* An exact copy of a vote we hold (in the log or the next-height buffer). */
static bool vote_held(const nt_cons *e, const nt_vote *v, int where)
{
	if (where == 1) {
		for (size_t i = 0; i < e->next_nvotes; i++)
			if (cv_vote_eq(&e->next_votes[i], v))
				return true;
		return false;
	}
	const cv_round *R = cv_book_find(&e->book, v->round);
	return R != NULL && cv_has_copy(R, v);
}

static bool vote_sig_ok(nt_cons *e, const nt_vote *v)
{
	nt_hash m;
	nt_vote_sighash(v->type, e->g.chain_id, v->height, v->round, &v->block_hash, v->timestamp,
			&m);
	return sig_ok(e, v->index, &m, &v->sig);
}

nt_err nt_cons_authenticate_vote(nt_cons *e, const nt_vote *v)
{
	int where = vote_route(e, v);
	/* A far height is still worth authenticating: it tells the host it
	 * is behind. Everything else the engine would drop is dropped here,
	 * before any signature check. */
	if (where >= 2 && where != NT_DROP_FAR_HEIGHT + 2)
		return cv_drop(e, (nt_cons_drop)(where - 2), vote_drop_err(where));
	if (where < 2 && vote_held(e, v, where))
		return cv_drop(e, NT_DROP_DUPLICATE, NT_ERR_EXISTS);
	if (!vote_sig_ok(e, v))
		return cv_drop(e, NT_DROP_BAD_SIG, NT_ERR_SIGNATURE);
	return NT_OK;
}

nt_err nt_cons_on_vote(nt_cons *e, const nt_vote *v, uint64_t now, nt_cons_actions *out)
{
	begin(e, now, out);
	int where = vote_route(e, v);
	if (where >= 2)
		return finish(e, cv_drop(e, (nt_cons_drop)(where - 2), vote_drop_err(where)), out);
	/* A resent copy costs no signature check. */
	if (vote_held(e, v, where))
		return finish(e, cv_drop(e, NT_DROP_DUPLICATE, NT_ERR_EXISTS), out);
	if (!vote_sig_ok(e, v))
		return finish(e, cv_drop(e, NT_DROP_BAD_SIG, NT_ERR_SIGNATURE), out);
	if (where == 1) {
		if (e->next_per_val[v->index] >= NT_CONS_NEXT_VOTES_PER_VAL ||
		    e->next_nvotes >= e->next_cap)
			return finish(e, cv_drop(e, NT_DROP_FLOOD, NT_ERR_FULL), out);
		e->next_votes[e->next_nvotes++] = *v;
		e->next_per_val[v->index]++;
		e->kept++;
		return finish(e, NT_OK, out);
	}
	uint64_t eq = e->stats.equivocations;
	nt_err err = cv_file_vote(e, v, false);
	if (err == NT_OK) {
		err = run(e);
	} else if (err == NT_ERR_EXISTS && e->stats.equivocations != eq) {
		/* an equivocation is reported, but its vote may complete a 2f+1 */
		nt_err rerr = run(e);
		if (rerr != NT_OK)
			err = rerr;
	}
	return finish(e, err, out);
}

/* True if q is exactly a proposal already in the log (same signature). */
static bool is_copy(const nt_cons *e, const nt_proposal *q)
{
	const cv_round *R = cv_book_find(&e->book, q->round);
	for (unsigned i = 0; R != NULL && i < R->nprops; i++) {
		const nt_proposal *o = &R->props[i].p;
		if (o->valid_round == q->valid_round &&
		    cv_hash_eq(&o->block_hash, &q->block_hash) &&
		    memcmp(o->sig.b, q->sig.b, NT_SIG_LEN) == 0)
			return true;
	}
	return false;
}

/* The block's records are the ones its header commits to: their count
 * and the root of their ids. Without this a genuine signed header could
 * carry any bytes. */
static bool records_match(const nt_block *b)
{
	if (b->count != b->header.record_count)
		return false;
	nt_hash root;
	nt_merkle_root(b->ids, b->count, &root);
	return cv_hash_eq(&root, &b->header.records_root);
}

/* Everything about a proposal but its signature and what it displaces:
 * -1 if it may go on, else a drop reason (and *err). *where as route(). */
static int proposal_check(const nt_cons *e, nt_proposal *q, int *where, nt_err *err)
{
	*where = 0;
	if (q->block == NULL) {
		*err = NT_ERR_ARG;
		return NT_DROP_BAD_PROPOSAL;
	}
	if (q->proposer >= e->n) {
		*err = NT_ERR_RANGE;
		return NT_DROP_BAD_INDEX;
	}
	if ((*where = route(e, q->height, q->round)) >= 2) {
		*err = route_err(*where);
		return *where - 2;
	}
	if (q->valid_round < -1 || (q->valid_round >= 0 && (uint32_t)q->valid_round >= q->round)) {
		*err = NT_ERR_RANGE;
		return NT_DROP_BAD_PROPOSAL;
	}
	if (nt_cons_proposer(e, q->height, q->round) != q->proposer) {
		*err = NT_ERR_ARG;
		return NT_DROP_NOT_PROPOSER;
	}
	if (strcmp(q->block->header.chain_id, e->g.chain_id) != 0) {
		*err = NT_ERR_CHAIN;
		return NT_DROP_WRONG_CHAIN;
	}
	/* A fresh block (valid_round -1) names its proposer in the header;
	 * a re-proposed one keeps the header of the round that made it.
	 * A host that attaches last commits expects them from everyone. */
	if (q->block->header.height != q->height || !cv_last_commit_ok(q->block, q->last_commit) ||
	    (q->height > 1 && e->host.last_commit != NULL && q->last_commit == NULL) ||
	    (q->valid_round == -1 && memcmp(q->block->header.proposer.b,
					    e->vals.keys[q->proposer].b, NT_PUBKEY_LEN) != 0) ||
	    nt_header_hash(&q->block->header, &q->block_hash) != NT_OK ||
	    !records_match(q->block)) {
		*err = NT_ERR_CHAIN;
		return NT_DROP_BAD_PROPOSAL;
	}
	if (*where == 0 && is_copy(e, q)) {
		/* A relayed copy costs no signature check. */
		*err = NT_ERR_EXISTS;
		return NT_DROP_DUPLICATE;
	}
	if (*where == 1)
		for (unsigned i = 0; i < e->next_nprops; i++)
			if (e->next_props[i].round == q->round &&
			    cv_hash_eq(&e->next_props[i].block_hash, &q->block_hash)) {
				*err = NT_ERR_EXISTS;
				return NT_DROP_DUPLICATE;
			}
	return -1;
}

static bool proposal_sig_ok(nt_cons *e, const nt_proposal *q)
{
	nt_hash m;
	nt_proposal_sighash(e->g.chain_id, q->height, q->round, q->valid_round, &q->block_hash, &m);
	return sig_ok(e, q->proposer, &m, &q->sig);
}

nt_err nt_cons_authenticate_proposal(nt_cons *e, nt_proposal *p)
{
	int where;
	nt_err err = NT_OK;
	int reason = proposal_check(e, p, &where, &err);
	/* As for votes: a far height is a hint worth a signature check. */
	if (reason == NT_DROP_FAR_HEIGHT) {
		if (p->block == NULL ||
		    nt_header_hash(&p->block->header, &p->block_hash) != NT_OK ||
		    !records_match(p->block) || p->block->header.height != p->height)
			return cv_drop(e, NT_DROP_BAD_PROPOSAL, NT_ERR_CHAIN);
		if (nt_cons_proposer(e, p->height, p->round) != p->proposer)
			return cv_drop(e, NT_DROP_NOT_PROPOSER, NT_ERR_ARG);
		reason = -1;
	}
	if (reason >= 0)
		return cv_drop(e, (nt_cons_drop)reason, err);
	if (!proposal_sig_ok(e, p))
		return cv_drop(e, NT_DROP_BAD_SIG, NT_ERR_SIGNATURE);
	return NT_OK;
}

nt_err nt_cons_on_proposal(nt_cons *e, nt_proposal *p, uint64_t now, nt_cons_actions *out)
{
	begin(e, now, out);
	nt_proposal q = *p;
	p->block = NULL; /* ours now, whatever happens */
	p->last_commit = NULL;
	nt_err err = NT_OK;
	int where;
	int reason = proposal_check(e, &q, &where, &err);
	if (reason < 0 && !proposal_sig_ok(e, &q)) {
		reason = NT_DROP_BAD_SIG;
		err = NT_ERR_SIGNATURE;
	}
	if (reason < 0 && where == 1) {
		if (e->next_nprops >= NT_CONS_NEXT_PROPOSALS) {
			reason = NT_DROP_FLOOD;
			err = NT_ERR_FULL;
		} else {
			e->next_props[e->next_nprops++] = q;
			e->kept++;
			return finish(e, NT_OK, out);
		}
	}
	if (reason >= 0) {
		cv_release(&q, false);
		return finish(e, cv_drop(e, (nt_cons_drop)reason, err), out);
	}
	err = cv_file_proposal(e, &q, false, false, NULL);
	if (err == NT_OK)
		err = run(e);
	return finish(e, err, out);
}

/* Timeouts, lines 57-67. */
nt_err nt_cons_on_timeout(nt_cons *e, uint64_t h, uint32_t r, uint8_t step, uint64_t now,
			  nt_cons_actions *out)
{
	nt_err err = NT_OK;
	begin(e, now, out);
	if (step < NT_STEP_PROPOSE || step > NT_STEP_PRECOMMIT)
		return finish(e, NT_ERR_ARG, out);
	if (!e->started || e->decided || h != e->height || r != e->round)
		return finish(e, NT_OK, out);
	if (step == NT_STEP_PROPOSE && e->step == NT_STEP_PROPOSE) {
		/* lines 57-60: OnTimeoutPropose: prevote nil, step_p <- prevote */
		err = vote(e, NT_VOTE_PREVOTE, &nil_hash);
		e->step = NT_STEP_PREVOTE;
	} else if (step == NT_STEP_PREVOTE && e->step == NT_STEP_PREVOTE) {
		/* lines 61-64: OnTimeoutPrevote: precommit nil, step_p <- precommit */
		err = vote(e, NT_VOTE_PRECOMMIT, &nil_hash);
		e->step = NT_STEP_PRECOMMIT;
	} else if (step == NT_STEP_PRECOMMIT) {
		/* lines 65-67: OnTimeoutPrecommit: StartRound(round_p + 1) */
		if (e->round == UINT32_MAX)
			return finish(e, NT_ERR_RANGE, out);
		err = start_round(e, e->round + 1);
	}
	if (err == NT_OK)
		err = run(e);
	return finish(e, err, out);
}
