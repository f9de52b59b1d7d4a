/* The Tendermint engine (core/consensus.c), one engine fed by hand
 * (tests/cons_harness.h): what it drops, the lock rules, the sign-state
 * after a restart, the next height, observers, timeouts and proposers. */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/consensus.h"
#include "core/kv.h"
#include "core/ledger.h"
#include "core/peermsg.h"
#include "core/record.h"
#include "crypto/digest.h"
#include "tests/cons_harness.h"

static void test_bad_votes_dropped(void **state)
{
	(void)state;
	solo *s = solo_new(4, 0, NULL);
	const nt_cons_stats *st = nt_cons_stats_get(s->e);
	nt_hash x;
	memset(x.b, 0x42, 32);

	nt_vote v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, 0, &x);
	v.sig.b[5] ^= 1;
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_SIGNATURE);
	assert_int_equal(s->acts.n, 0);
	v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, 0, &x);
	v.index = 2; /* signed by 1, claims 2 */
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_SIGNATURE);
	v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, 0, &x);
	v.timestamp++; /* any changed field breaks the signature */
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_SIGNATURE);
	{
		/* a vote of another chain fails its signature here */
		nt_hash m;
		v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, 0, &x);
		nt_vote_sighash(v.type, "other-chain", 1, 0, &x, v.timestamp, &m);
		assert_int_equal(nt_sign(s->keys[1], &m, &v.sig), NT_OK);
		assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_SIGNATURE);
	}
	assert_int_equal(st->dropped[NT_DROP_BAD_SIG], 4);

	v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, 0, &x);
	v.index = 4;
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_RANGE);
	v.index = 65535;
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_RANGE);
	assert_int_equal(st->dropped[NT_DROP_BAD_INDEX], 2);

	v = mkvote(s, 1, NT_VOTE_PREVOTE, 5, 0, &x);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_CHAIN);
	assert_int_equal(st->dropped[NT_DROP_FAR_HEIGHT], 1);
	v = mkvote(s, 1, NT_VOTE_PREVOTE, 0, 0, &x);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_CHAIN);
	assert_int_equal(st->dropped[NT_DROP_OLD_HEIGHT], 1);
	v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, NT_CONS_MAX_ROUND_AHEAD + 1, &x);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_RANGE);
	assert_int_equal(st->dropped[NT_DROP_FAR_ROUND], 1);
	v = mkvote(s, 1, 7, 1, 0, &x);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_DECODE);
	assert_int_equal(st->dropped[NT_DROP_BAD_TYPE], 1);

	/* a good vote, its copy, and a conflicting second vote */
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &x), NT_OK);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &x), NT_ERR_EXISTS);
	assert_int_equal(st->dropped[NT_DROP_DUPLICATE], 1);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, NULL), NT_ERR_EXISTS);
	assert_int_equal(st->equivocations, 1);
	assert_true(has_action(s, NT_CONS_EVIDENCE));
	assert_memory_equal(s->acts.v[0].vote.block_hash.b, x.b, 32);
	assert_true(is_nil(&s->acts.v[0].vote2.block_hash));

	/* the next height is buffered, a bounded number per validator */
	for (uint32_t r = 0; r < NT_CONS_NEXT_VOTES_PER_VAL; r++) {
		v = mkvote(s, 2, NT_VOTE_PREVOTE, 2, r, &x);
		assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_OK);
	}
	v = mkvote(s, 2, NT_VOTE_PREVOTE, 2, 9, &x);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_FULL);
	/* one validator may occupy only a few rounds above ours */
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 5, &x), NT_OK);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PRECOMMIT, 5, &x), NT_OK);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 6, &x), NT_OK);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 7, &x), NT_ERR_FULL);
	assert_int_equal(st->dropped[NT_DROP_FLOOD], 2);
	assert_int_equal(nt_cons_round(s->e), 0); /* one sender is not f+1 */

	/* proposals */
	assert_int_equal(feed_proposal(s, 2, 0, -1, NULL, NULL), NT_ERR_ARG);
	assert_int_equal(feed_proposal(s, 1, 1, -1, NULL, NULL), NT_ERR_ARG); /* 2 proposes r1 */
	assert_int_equal(st->dropped[NT_DROP_NOT_PROPOSER], 2);
	assert_int_equal(feed_proposal(s, 2, 1, 1, NULL, NULL), NT_ERR_RANGE); /* vr >= r */
	assert_int_equal(st->dropped[NT_DROP_BAD_PROPOSAL], 1);
	nt_proposal p;
	memset(&p, 0, sizeof p);
	p.height = 1;
	p.proposer = 1;
	p.valid_round = -1;
	assert_int_equal(nt_cons_on_proposal(s->e, &p, T0, &s->acts), NT_ERR_ARG);
	assert_int_equal(st->dropped[NT_DROP_BAD_PROPOSAL], 2);
	p.block = build_block(s->w, s->l, 1, T0, 1);
	strcpy(p.block->header.chain_id, "other-chain");
	assert_int_equal(nt_cons_on_proposal(s->e, &p, T0, &s->acts), NT_ERR_CHAIN);
	assert_null(p.block);
	assert_int_equal(st->dropped[NT_DROP_WRONG_CHAIN], 1);
	p.block = build_block(s->w, s->l, 1, T0, 1);
	memset(p.sig.b, 0x11, 64);
	assert_int_equal(nt_cons_on_proposal(s->e, &p, T0, &s->acts), NT_ERR_SIGNATURE);
	assert_int_equal(st->dropped[NT_DROP_BAD_SIG], 5);
	p.block = build_block(s->w, s->l, 1, T0, 1);
	p.proposer = 9;
	assert_int_equal(nt_cons_on_proposal(s->e, &p, T0, &s->acts), NT_ERR_RANGE);
	assert_int_equal(st->dropped[NT_DROP_BAD_INDEX], 3);

	/* none of it made us vote or move */
	assert_int_equal(nt_cons_step(s->e), NT_STEP_PROPOSE);
	assert_int_equal(nt_cons_last_signed(s->e).step, 0);
	/* the honest proposal and a second, different one from the same proposer */
	nt_hash a, b;
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
	const nt_vote *pv = emitted(s, NT_VOTE_PREVOTE);
	assert_non_null(pv);
	assert_memory_equal(pv->block_hash.b, a.b, 32);
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &b), NT_OK); /* remembered */
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, NULL), NT_ERR_EXISTS);
	assert_int_equal(st->equivocations, 3);
	for (int i = 0; i < NT_DROP__COUNT; i++)
		assert_non_null(nt_cons_drop_name((nt_cons_drop)i));
	solo_free(s);
}

/* The lock rules, lines 22-43, with validator 0 of 4 (quorum 3, f+1 = 2). */
static void test_lock_rules(void **state)
{
	(void)state;
	solo *s = solo_new(4, 0, NULL);
	nt_hash a, b, h;
	const nt_vote *v;

	/* round 0: proposer 1 proposes A; we prevote A, see 2f+1 prevotes,
	 * lock A and precommit A (lines 22-24, 36-43) */
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
	v = emitted(s, NT_VOTE_PREVOTE);
	assert_non_null(v);
	assert_memory_equal(v->block_hash.b, a.b, 32);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	assert_null(emitted(s, NT_VOTE_PRECOMMIT));
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	v = emitted(s, NT_VOTE_PRECOMMIT);
	assert_non_null(v);
	assert_memory_equal(v->block_hash.b, a.b, 32);
	assert_int_equal(nt_cons_locked(s->e, &h), 0);
	assert_memory_equal(h.b, a.b, 32);
	assert_int_equal(nt_cons_valid_round(s->e), 0);
	/* the others precommit nil: no decision; 2f+1 precommits -> timeout */
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PRECOMMIT, 0, NULL), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PRECOMMIT, 0, NULL), NT_OK);
	assert_true(has_action(s, NT_CONS_SCHEDULE_TIMEOUT));
	assert_false(nt_cons_decided(s->e));
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 0, NT_STEP_PRECOMMIT, T0 + 200, &s->acts),
			 NT_OK);
	assert_int_equal(nt_cons_round(s->e), 1);

	/* round 1: proposer 2 proposes B without a valid_round: locked on A,
	 * we prevote nil (line 23 fails, line 26) */
	assert_int_equal(feed_proposal(s, 2, 1, -1, NULL, &b), NT_OK);
	v = emitted(s, NT_VOTE_PREVOTE);
	assert_non_null(v);
	assert_true(is_nil(&v->block_hash));
	/* two others prevote B: with ours 2f+1 prevotes of any kind (line 34) */
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 1, &b), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 1, &b), NT_OK);
	assert_true(has_action(s, NT_CONS_SCHEDULE_TIMEOUT));
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 1, NT_STEP_PREVOTE, T0 + 300, &s->acts),
			 NT_OK);
	v = emitted(s, NT_VOTE_PRECOMMIT); /* line 63 */
	assert_non_null(v);
	assert_true(is_nil(&v->block_hash));
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PRECOMMIT, 1, NULL), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PRECOMMIT, 1, NULL), NT_OK);
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 1, NT_STEP_PRECOMMIT, T0 + 400, &s->acts),
			 NT_OK);
	assert_int_equal(nt_cons_round(s->e), 2);
	assert_int_equal(nt_cons_locked(s->e, NULL), 0);

	/* round 2: proposer 3 re-proposes B with valid_round 1, but only 2 of
	 * the 3 needed prevotes for B in round 1 exist: line 28 waits */
	assert_int_equal(feed_proposal(s, 3, 2, 1, s->last_b, NULL), NT_OK);
	assert_null(emitted(s, NT_VOTE_PREVOTE));
	assert_int_equal(nt_cons_step(s->e), NT_STEP_PROPOSE);
	/* the third prevote for B in round 1 arrives: lockedRound 0 <= vr 1, so
	 * we prevote B although locked on A (lines 28-30) */
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 1, &b), NT_OK);
	v = emitted(s, NT_VOTE_PREVOTE);
	assert_non_null(v);
	assert_memory_equal(v->block_hash.b, b.b, 32);
	/* 2f+1 prevotes for B in round 2: lock B (lines 36-43) */
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 2, &b), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 2, &b), NT_OK);
	v = emitted(s, NT_VOTE_PRECOMMIT);
	assert_non_null(v);
	assert_memory_equal(v->block_hash.b, b.b, 32);
	assert_int_equal(nt_cons_locked(s->e, &h), 2);
	assert_memory_equal(h.b, b.b, 32);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PRECOMMIT, 2, NULL), NT_OK);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PRECOMMIT, 2, NULL), NT_OK);
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 2, NT_STEP_PRECOMMIT, T0 + 500, &s->acts),
			 NT_OK);

	/* round 3: we are the proposer and re-propose validValue B with
	 * validRound 2 (lines 15-16, 19), then prevote it (line 28) */
	assert_int_equal(nt_cons_round(s->e), 3);
	const nt_proposal *own = NULL;
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == NT_CONS_BROADCAST_PROPOSAL)
			own = s->acts.v[i].proposal;
	assert_non_null(own);
	assert_int_equal(own->valid_round, 2);
	assert_memory_equal(own->block_hash.b, b.b, 32);
	v = emitted(s, NT_VOTE_PREVOTE);
	assert_non_null(v);
	assert_memory_equal(v->block_hash.b, b.b, 32);

	/* decision (lines 49-54) from others' precommits: the commit carries
	 * the deciding round and the ledger accepts it */
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PRECOMMIT, 3, &b), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PRECOMMIT, 3, &b), NT_OK);
	assert_false(nt_cons_decided(s->e));
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PRECOMMIT, 3, &b), NT_OK);
	assert_true(nt_cons_decided(s->e));
	const nt_cons_action *c = &s->acts.v[s->acts.n - 1];
	assert_int_equal(c->type, NT_CONS_COMMIT);
	assert_int_equal(c->commit->round, 3);
	assert_int_equal(c->commit->count, 3);
	assert_memory_equal(c->commit->block_hash.b, b.b, 32);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_append(s->l, c->block, c->commit, NULL, &why), NT_OK);
	/* votes for the decided height are now late */
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 4, NULL), NT_ERR_CHAIN);
	solo_free(s);
}

static void count_persist(const solo *s, const nt_cons_hrs *floor, unsigned *n)
{
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == NT_CONS_PERSIST_SIGNED) {
			assert_true(hrs_cmp(&s->acts.v[i].hrs, floor) > 0);
			(*n)++;
		}
}

static void test_set_last_signed(void **state)
{
	(void)state;
	/* One validator restarted after signing up to (1, 0, precommit): it
	 * must sign nothing in round 0, and still commit in round 1. */
	nt_cons_hrs lim = {1, 0, NT_STEP_PRECOMMIT};
	solo *s = solo_new(1, 0, &lim);
	unsigned np = 0;
	count_persist(s, &lim, &np);
	assert_int_equal(np, 0);
	assert_false(has_action(s, NT_CONS_BROADCAST_PROPOSAL));
	assert_true(has_action(s, NT_CONS_SCHEDULE_TIMEOUT));
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 0, NT_STEP_PROPOSE, T0 + 10, &s->acts), NT_OK);
	count_persist(s, &lim, &np);
	assert_false(has_action(s, NT_CONS_BROADCAST_VOTE));
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 0, NT_STEP_PREVOTE, T0 + 20, &s->acts), NT_OK);
	count_persist(s, &lim, &np);
	assert_false(has_action(s, NT_CONS_BROADCAST_VOTE));
	assert_int_equal(np, 0);
	assert_int_equal(nt_cons_stats_get(s->e)->sign_refused, 3);
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 0, NT_STEP_PRECOMMIT, T0 + 30, &s->acts),
			 NT_OK);
	count_persist(s, &lim, &np);
	assert_int_equal(np, 3); /* proposal, prevote, precommit of round 1 */
	assert_true(nt_cons_decided(s->e));
	const nt_cons_action *c = &s->acts.v[s->acts.n - 1];
	assert_int_equal(c->type, NT_CONS_COMMIT);
	assert_int_equal(c->commit->round, 1);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_append(s->l, c->block, c->commit, NULL, &why), NT_OK);
	nt_cons_hrs last = nt_cons_last_signed(s->e);
	assert_int_equal(last.round, 1);
	assert_int_equal(last.step, NT_STEP_PRECOMMIT);
	/* never lowered */
	nt_cons_hrs low = {1, 0, NT_STEP_PROPOSE};
	nt_cons_set_last_signed(s->e, &low);
	assert_int_equal(nt_cons_last_signed(s->e).round, 1);
	/* start_height must move forward */
	assert_int_equal(nt_cons_start_height(s->e, 1, T0 + 40, &s->acts), NT_ERR_ARG);
	assert_int_equal(nt_cons_start_height(s->e, 2, T0 + 40, &s->acts), NT_OK);
	assert_true(has_action(s, NT_CONS_COMMIT)); /* n = 1: decided at once */
	solo_free(s);

	/* Validator 0 of 4 restarted after its prevote of (1, 0): no second
	 * prevote, but it may still precommit in that round. */
	nt_cons_hrs pv = {1, 0, NT_STEP_PREVOTE};
	s = solo_new(4, 0, &pv);
	nt_hash a;
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
	assert_null(emitted(s, NT_VOTE_PREVOTE));
	assert_int_equal(nt_cons_step(s->e), NT_STEP_PREVOTE);
	assert_int_equal(nt_cons_stats_get(s->e)->sign_refused, 1);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	assert_null(emitted(s, NT_VOTE_PRECOMMIT)); /* our own prevote is missing */
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	const nt_vote *v = emitted(s, NT_VOTE_PRECOMMIT);
	assert_non_null(v);
	assert_memory_equal(v->block_hash.b, a.b, 32);
	solo_free(s);
}

/* Height 2: the proposal carries the last commit the header names; early
 * messages of the next height are buffered and replayed. */
static void test_next_height(void **state)
{
	(void)state;
	solo *s = solo_new(4, 0, NULL);
	nt_hash a, b;
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PRECOMMIT, 0, &a), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PRECOMMIT, 0, &a), NT_OK);
	assert_true(nt_cons_decided(s->e));
	const nt_cons_action *c = &s->acts.v[s->acts.n - 1];
	assert_int_equal(c->type, NT_CONS_COMMIT);
	/* our own precommit is in the commit, stamped no earlier than the header */
	assert_int_equal(c->commit->sigs[0].index, 0);
	assert_true(c->commit->sigs[0].timestamp >= c->block->header.time);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_append(s->l, c->block, c->commit, NULL, &why), NT_OK);

	/* proposer(2, 0) = 2; its block names our stored commit of height 1 */
	nt_commit *lc = malloc(sizeof *lc);
	assert_non_null(lc);
	assert_int_equal(nt_ledger_commit(s->l, 1, lc), NT_OK);
	nt_block *blk = build_block(s->w, s->l, 2, T0 + 200, 2);
	/* a last commit that is not the one the header names */
	nt_commit *bad = malloc(sizeof *bad);
	assert_non_null(bad);
	*bad = *lc;
	bad->count--;
	assert_int_equal(feed_prop_h(s, 2, 2, 0, -1, copy_block(blk), bad, NULL), NT_ERR_CHAIN);
	/* a header that names another proposer */
	nt_block *other = copy_block(blk);
	other->header.proposer = s->g.vals.keys[3];
	nt_commit *lc2 = malloc(sizeof *lc2);
	assert_non_null(lc2);
	*lc2 = *lc;
	assert_int_equal(feed_prop_h(s, 2, 2, 0, -1, other, lc2, NULL), NT_ERR_CHAIN);
	/* no last commit at all */
	assert_int_equal(feed_prop_h(s, 2, 2, 0, -1, copy_block(blk), NULL, NULL), NT_ERR_CHAIN);
	assert_int_equal(nt_cons_stats_get(s->e)->dropped[NT_DROP_BAD_PROPOSAL], 3);

	/* the right one, through the wire, while we are still at height 1 */
	nt_proposal p;
	memset(&p, 0, sizeof p);
	p.height = 2;
	p.valid_round = -1;
	p.proposer = 2;
	p.block = blk;
	p.last_commit = lc;
	assert_int_equal(nt_header_hash(&blk->header, &b), NT_OK);
	nt_hash m;
	nt_proposal_sighash(s->g.chain_id, 2, 0, -1, &b, &m);
	assert_int_equal(nt_sign(s->keys[2], &m, &p.sig), NT_OK);
	uint8_t *buf;
	size_t len;
	assert_int_equal(nt_peermsg_proposal_encode(&p, &buf, &len), NT_OK);
	nt_block_free(blk);
	free(lc);
	nt_proposal q;
	assert_int_equal(nt_peermsg_proposal_decode(buf, len, &q, &why), NT_OK);
	free(buf);
	assert_non_null(q.last_commit);
	assert_int_equal(q.last_commit->height, 1);
	assert_int_equal(nt_cons_on_proposal(s->e, &q, T0 + 210, &s->acts), NT_OK);
	assert_int_equal(s->acts.n, 0); /* buffered */
	nt_vote v = mkvote(s, 3, NT_VOTE_PREVOTE, 2, 0, &b);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0 + 210, &s->acts), NT_OK);
	/* the next height replays both: we prevote the block at once */
	assert_int_equal(nt_cons_start_height(s->e, 2, T0 + 220, &s->acts), NT_OK);
	const nt_vote *pv = emitted(s, NT_VOTE_PREVOTE);
	assert_non_null(pv);
	assert_int_equal(pv->height, 2);
	assert_memory_equal(pv->block_hash.b, b.b, 32);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0 + 230, &s->acts), NT_ERR_EXISTS);
	/* with validator 3's replayed prevote and one more: lock and precommit */
	v = mkvote(s, 1, NT_VOTE_PREVOTE, 2, 0, &b);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0 + 230, &s->acts), NT_OK);
	assert_non_null(emitted(s, NT_VOTE_PRECOMMIT));
	solo_free(s);
}

/* An observer follows and commits but never signs. */
static void test_observer_never_signs(void **state)
{
	(void)state;
	solo *s = solo_new(4, -1, NULL);
	assert_int_equal(nt_cons_self(s->e), -1);
	nt_hash a;
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
	assert_int_equal(s->acts.n, 0);
	for (int i = 1; i < 4; i++)
		assert_int_equal(feed_vote(s, i, NT_VOTE_PRECOMMIT, 0, &a), NT_OK);
	assert_true(nt_cons_decided(s->e));
	for (size_t i = 0; i < s->acts.n; i++)
		assert_true(s->acts.v[i].type == NT_CONS_COMMIT ||
			    s->acts.v[i].type == NT_CONS_SCHEDULE_TIMEOUT);
	assert_int_equal(nt_cons_last_signed(s->e).step, 0);
	solo_free(s);
}

static void test_config_and_proposer(void **state)
{
	(void)state;
	solo *s = solo_new(4, 0, NULL);
	assert_int_equal(nt_cons_proposer(s->e, 1, 0), 1);
	assert_int_equal(nt_cons_proposer(s->e, 1, 3), 0);
	assert_int_equal(nt_cons_proposer(s->e, 4, 0), 0);
	/* the first timeout of a round grows linearly with it */
	uint64_t d0 = 0, d1 = 0;
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == NT_CONS_SCHEDULE_TIMEOUT)
			d0 = s->acts.v[i].delay_ms;
	assert_int_equal(d0, 400);
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 0, NT_STEP_PROPOSE, T0 + 400, &s->acts),
			 NT_OK);
	/* stale or bogus timeouts are ignored */
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 5, NT_STEP_PRECOMMIT, T0, &s->acts), NT_OK);
	assert_int_equal(s->acts.n, 0);
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 0, 9, T0, &s->acts), NT_ERR_ARG);
	/* f+1 = 2 validators in round 1 make us skip there (lines 55-56) */
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 1, NULL), NT_OK);
	assert_int_equal(nt_cons_round(s->e), 0);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PRECOMMIT, 1, NULL), NT_OK);
	assert_int_equal(nt_cons_round(s->e), 1);
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == NT_CONS_SCHEDULE_TIMEOUT &&
		    s->acts.v[i].hrs.step == NT_STEP_PROPOSE)
			d1 = s->acts.v[i].delay_ms;
	assert_int_equal(d1, 500);
	solo_free(s);
	nt_cons_config d;
	nt_cons_config_default(&d);
	assert_true(d.timeout_propose_ms > 0 && d.max_clock_skew_ms > 0);
	nt_genesis g;
	genesis_for(&g, 2, 1);
	nt_cons *e = NULL;
	nt_cons_host bad = {0};
	assert_int_equal(nt_cons_new(&g, NULL, &d, &bad, &e), NT_ERR_ARG);
	nt_cons_free(NULL);
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_votes_dropped),
	    cmocka_unit_test(test_lock_rules),
	    cmocka_unit_test(test_set_last_signed),
	    cmocka_unit_test(test_next_height),
	    cmocka_unit_test(test_observer_never_signs),
	    cmocka_unit_test(test_config_and_proposer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
