/* The Tendermint engine (core/consensus.c) and an equivocating validator's
 * two prevotes or precommits (tests/cons_harness.h). */
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

/* ---- an equivocating validator's two prevotes or precommits ----
 *
 * Validator 0 (us) of 4, quorum 3. Validator 3 is Byzantine and votes for
 * both A and B in one round; the engine keeps its first vote and one
 * conflicting second vote, which counts for its own value only (never in
 * the "any value" tallies), whichever arrives first. */

static unsigned count_actions(const solo *s, nt_cons_action_type t)
{
	unsigned c = 0;
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == t)
			c++;
	return c;
}

/* A SCHEDULE_TIMEOUT of this step among the last actions. */
static bool timeout_of(const solo *s, uint8_t step)
{
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == NT_CONS_SCHEDULE_TIMEOUT && s->acts.v[i].hrs.step == step)
			return true;
	return false;
}

/* Round 0 of height 1: proposer 1 shows A and (equivocating) B; we prevote
 * A. Then validator 3 prevotes A then B (order 0) or B then A (order 1):
 * the second is evidence, with exactly one EVIDENCE action. */
static solo *equiv_setup(nt_hash *a, nt_hash *b, int order)
{
	solo *s = solo_new(4, 0, NULL);
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, a), NT_OK);
	const nt_vote *v = emitted(s, NT_VOTE_PREVOTE);
	assert_non_null(v);
	assert_memory_equal(v->block_hash.b, a->b, 32);
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, b), NT_OK); /* remembered */
	assert_memory_not_equal(a->b, b->b, 32);
	const nt_hash *first = order == 0 ? a : b, *second = order == 0 ? b : a;
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, first), NT_OK);
	assert_int_equal(count_actions(s, NT_CONS_EVIDENCE), 0);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, second), NT_ERR_EXISTS);
	assert_int_equal(count_actions(s, NT_CONS_EVIDENCE), 1);
	return s;
}

/* (a) each value reaches 2f+1 with the honest votes and the Byzantine one,
 * in both orders; (b) line 34 (2f+1 prevotes for any value) counts the
 * Byzantine validator once. */
static void test_equivocating_prevotes_count(void **state)
{
	(void)state;
	for (int order = 0; order < 2; order++)
		for (int honest_b = 0; honest_b < 2; honest_b++) {
			nt_hash a, b, h;
			solo *s = equiv_setup(&a, &b, order);
			/* (b) prevotes so far: ours (A) and validator 3's two.
			 * Two validators, not three votes: no timeoutPrevote
			 * (line 34); no lock (A has ours and 3's, B has 3's). */
			assert_false(timeout_of(s, NT_STEP_PREVOTE));
			assert_null(emitted(s, NT_VOTE_PRECOMMIT));
			assert_int_equal(nt_cons_step(s->e), NT_STEP_PREVOTE);
			assert_int_equal(nt_cons_locked(s->e, NULL), -1);
			if (!honest_b) {
				/* (a) for A: ours + 1's + 3's = 2f+1 */
				assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &a), NT_OK);
				const nt_vote *pc = emitted(s, NT_VOTE_PRECOMMIT);
				assert_non_null(pc);
				assert_memory_equal(pc->block_hash.b, a.b, 32);
				assert_int_equal(nt_cons_locked(s->e, &h), 0);
				assert_memory_equal(h.b, a.b, 32);
			} else {
				/* 1 prevotes B: B has 1's and 3's; "any value" is
				 * now 3 validators: line 34 fires */
				assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &b), NT_OK);
				assert_true(timeout_of(s, NT_STEP_PREVOTE));
				assert_null(emitted(s, NT_VOTE_PRECOMMIT));
				assert_int_equal(nt_cons_locked(s->e, NULL), -1);
				/* (a) for B: 1's + 2's + 3's = 2f+1 although we
				 * prevoted A: lock B and precommit B (line 36) */
				assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 0, &b), NT_OK);
				const nt_vote *pc = emitted(s, NT_VOTE_PRECOMMIT);
				assert_non_null(pc);
				assert_memory_equal(pc->block_hash.b, b.b, 32);
				assert_int_equal(nt_cons_locked(s->e, &h), 0);
				assert_memory_equal(h.b, b.b, 32);
				assert_int_equal(nt_cons_valid_round(s->e), 0);
			}
			/* the two proposals and the two votes */
			assert_int_equal(nt_cons_stats_get(s->e)->equivocations, 2);
			solo_free(s);
		}
}

/* Without the equivocator's second vote B would miss its 2f+1: the same
 * honest votes with only one vote of 3 (for A) leave us unlocked. */
static void test_equivocation_needed_for_quorum(void **state)
{
	(void)state;
	nt_hash a, b;
	solo *s = solo_new(4, 0, NULL);
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &b), NT_OK);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &b), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 0, &b), NT_OK);
	assert_null(emitted(s, NT_VOTE_PRECOMMIT));
	assert_int_equal(nt_cons_locked(s->e, NULL), -1);
	/* now its conflicting vote for B arrives: B has 2f+1 */
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, &b), NT_ERR_EXISTS);
	assert_int_equal(count_actions(s, NT_CONS_EVIDENCE), 1);
	const nt_vote *pc = emitted(s, NT_VOTE_PRECOMMIT);
	assert_non_null(pc);
	assert_memory_equal(pc->block_hash.b, b.b, 32);
	solo_free(s);
}

/* (c) a decision on precommits that include the equivocator's second
 * vote: the commit lists each validator once (strictly increasing
 * indexes, count = distinct signers) and the ledger accepts it. */
static void test_equivocating_precommits_commit(void **state)
{
	(void)state;
	for (int order = 0; order < 2; order++) {
		nt_hash a, b;
		solo *s = solo_new(4, 0, NULL);
		assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
		assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &b), NT_OK);
		/* 1, 2, 3 prevote B: we lock B and precommit B */
		assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &b), NT_OK);
		assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 0, &b), NT_OK);
		assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, &b), NT_OK);
		const nt_vote *pc = emitted(s, NT_VOTE_PRECOMMIT);
		assert_non_null(pc);
		assert_memory_equal(pc->block_hash.b, b.b, 32);
		/* 3 precommits both ways; with ours that is 2 for B, or 1 for A:
		 * 2 validators for "any value", no decision */
		const nt_hash *first = order == 0 ? &a : &b, *second = order == 0 ? &b : &a;
		assert_int_equal(feed_vote(s, 3, NT_VOTE_PRECOMMIT, 0, first), NT_OK);
		assert_int_equal(feed_vote(s, 3, NT_VOTE_PRECOMMIT, 0, second), NT_ERR_EXISTS);
		assert_int_equal(count_actions(s, NT_CONS_EVIDENCE), 1);
		assert_false(timeout_of(s, NT_STEP_PRECOMMIT)); /* line 47 needs 3 validators */
		assert_false(nt_cons_decided(s->e));
		/* 1 precommits B: ours, 1's, 3's = 2f+1 for B */
		assert_int_equal(feed_vote(s, 1, NT_VOTE_PRECOMMIT, 0, &b), NT_OK);
		assert_true(nt_cons_decided(s->e));
		const nt_cons_action *c = &s->acts.v[s->acts.n - 1];
		assert_int_equal(c->type, NT_CONS_COMMIT);
		assert_memory_equal(c->commit->block_hash.b, b.b, 32);
		assert_int_equal(c->commit->count, 3);
		bool seen_idx[4] = {false};
		for (unsigned i = 0; i < c->commit->count; i++) {
			uint16_t idx = c->commit->sigs[i].index;
			assert_true(idx < 4);
			assert_false(seen_idx[idx]);
			seen_idx[idx] = true;
			if (i > 0)
				assert_true(c->commit->sigs[i - 1].index < idx);
		}
		assert_true(seen_idx[0] && seen_idx[1] && seen_idx[3]);
		/* every signature is a precommit for B (A's would fail here) */
		nt_why why = {{0}};
		assert_int_equal(nt_ledger_append(s->l, c->block, c->commit, NULL, &why), NT_OK);
		solo_free(s);
	}
}

/* (d) one EVIDENCE per conflicting pair: copies of either vote are plain
 * duplicates; a third different vote is reported but dropped (it never
 * counts, so it cannot help a third value or nil reach 2f+1). */
static void test_equivocation_evidence_once(void **state)
{
	(void)state;
	nt_hash a, b, nil;
	memset(nil.b, 0, 32);
	for (int order = 0; order < 2; order++) {
		solo *s = equiv_setup(&a, &b, order);
		const nt_hash *first = order == 0 ? &a : &b, *second = order == 0 ? &b : &a;
		const nt_cons_stats *st = nt_cons_stats_get(s->e);
		uint64_t eq = st->equivocations;
		const nt_cons_action *ev = NULL;
		for (size_t i = 0; i < s->acts.n; i++)
			if (s->acts.v[i].type == NT_CONS_EVIDENCE)
				ev = &s->acts.v[i];
		assert_non_null(ev);
		/* the action names the pair: the kept first, then the second */
		assert_int_equal(ev->vote.index, 3);
		assert_int_equal(ev->vote2.index, 3);
		assert_memory_equal(ev->vote.block_hash.b, first->b, 32);
		assert_memory_equal(ev->vote2.block_hash.b, second->b, 32);

		/* copies of the second and of the first: no new evidence */
		uint64_t dup = st->dropped[NT_DROP_DUPLICATE];
		assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, second), NT_ERR_EXISTS);
		assert_int_equal(count_actions(s, NT_CONS_EVIDENCE), 0);
		assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, first), NT_ERR_EXISTS);
		assert_int_equal(count_actions(s, NT_CONS_EVIDENCE), 0);
		assert_int_equal(st->dropped[NT_DROP_DUPLICATE], dup + 2);
		assert_int_equal(st->equivocations, eq);

		/* a third value (nil): one EVIDENCE against the first, not kept */
		assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, &nil), NT_ERR_EXISTS);
		assert_int_equal(count_actions(s, NT_CONS_EVIDENCE), 1);
		assert_int_equal(st->equivocations, eq + 1);
		for (size_t i = 0; i < s->acts.n; i++)
			if (s->acts.v[i].type == NT_CONS_EVIDENCE) {
				assert_memory_equal(s->acts.v[i].vote.block_hash.b, first->b, 32);
				assert_true(is_nil(&s->acts.v[i].vote2.block_hash));
			}
		/* 1 and 2 prevote nil: with the third vote that would be 2f+1
		 * nil and a precommit nil (line 44); it was dropped, so only
		 * the "any value" rule fires (line 34, at 1's vote: 0, 1, 3) */
		assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &nil), NT_OK);
		assert_true(timeout_of(s, NT_STEP_PREVOTE));
		assert_null(emitted(s, NT_VOTE_PRECOMMIT));
		assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 0, &nil), NT_OK);
		assert_null(emitted(s, NT_VOTE_PRECOMMIT));
		assert_int_equal(nt_cons_step(s->e), NT_STEP_PREVOTE);
		assert_int_equal(nt_cons_locked(s->e, NULL), -1);
		solo_free(s);
	}
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_equivocating_prevotes_count),
	    cmocka_unit_test(test_equivocation_needed_for_quorum),
	    cmocka_unit_test(test_equivocating_precommits_commit),
	    cmocka_unit_test(test_equivocation_evidence_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
