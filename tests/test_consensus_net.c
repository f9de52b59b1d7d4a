/* The Tendermint engine (core/consensus.c) in an in-memory network
 * (tests/cons_harness.h): honest networks, silent and crashed validators,
 * reordered and duplicated messages, an equivocating proposer. */
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

static void honest(int n, int nobs, uint64_t heights)
{
	net *w = net_new(n, nobs, 0);
	w->target = heights;
	net_start(w);
	net_run(w, heights, 600000);
	assert_true(min_height(w) >= heights);
	assert_int_equal(nt_ledger_height(w->nodes[0].l), heights); /* target honoured */
	check_chains_equal(w, heights);
	for (int i = 0; i < n + nobs; i++) {
		const nt_cons_stats *s = nt_cons_stats_get(w->nodes[i].e);
		assert_int_equal(s->dropped[NT_DROP_BAD_SIG], 0);
		assert_int_equal(s->equivocations, 0);
		/* with a fixed 10 ms delay every height decides in round 0 */
		assert_int_equal(w->nodes[i].max_round, 0);
	}
	if (nobs > 0) /* the observer committed too, and never signed */
		assert_int_equal(w->nodes[n].persisted.step, 0);
	net_free(w);
}

static void test_honest_4_with_observer(void **state)
{
	(void)state;
	honest(4, 1, 20);
}

static void test_honest_7(void **state)
{
	(void)state;
	honest(7, 0, 20);
}

static void test_single_validator(void **state)
{
	(void)state;
	honest(1, 0, 20);
}

static void test_one_silent_of_4(void **state)
{
	(void)state;
	net *w = net_new(4, 0, 1u << 2);
	w->target = MAXH;
	net_start(w);
	net_run(w, 12, 600000);
	assert_true(min_height(w) >= 12);
	check_chains_equal(w, 12);
	/* proposer(h, r) = (h + r) % 4 hits node 2 every fourth height: those
	 * heights decide in a later round, reached by timeouts */
	uint32_t mr = 0;
	for (int i = 0; i < 4; i++)
		if (!w->nodes[i].silent && w->nodes[i].max_round > mr)
			mr = w->nodes[i].max_round;
	assert_true(mr >= 1);
	net_free(w);
}

/* f = 2 of 7 silent: still live. */
static void test_two_silent_of_7(void **state)
{
	(void)state;
	net *w = net_new(7, 0, (1u << 0) | (1u << 4));
	w->target = MAXH;
	net_start(w);
	net_run(w, 8, 600000);
	assert_true(min_height(w) >= 8);
	check_chains_equal(w, 8);
	net_free(w);
}

/* A validator crashes mid-height and restarts with only its persisted
 * sign-state (no write-ahead log): it never signs a step twice (the
 * harness asserts every sign-state save is above the one before the crash) and the
 * network keeps agreeing. */
static void test_crash_restart(void **state)
{
	(void)state;
	net *w = net_new(4, 0, 0);
	w->dmin = 0;
	w->dmax = 40;
	w->target = MAXH;
	net_start(w);
	net_run(w, 5, 600000);
	for (int k = 0; k < 3; k++) {
		node *d = &w->nodes[k];
		nt_drv_free(d->drv);
		nt_cons_config cfg = test_cfg();
		node_engine_new(w, d, &cfg);
		nt_drv_set_last_signed(d->drv, &d->persisted);
		node_start(w, d, nt_ledger_height(d->l) + 1);
		net_run(w, 5 + 3 * (uint64_t)(k + 1), 600000);
	}
	assert_true(min_height(w) >= 14);
	check_chains_equal(w, 14);
	net_free(w);
}

static void test_two_silent_of_4(void **state)
{
	(void)state;
	net *w = net_new(4, 0, (1u << 1) | (1u << 3));
	w->target = MAXH;
	net_start(w);
	net_run(w, 1, 60000);
	assert_int_equal(nt_ledger_height(w->nodes[0].l), 0);
	assert_int_equal(nt_ledger_height(w->nodes[2].l), 0);
	assert_false(w->have[1]);
	/* Only 2 of the 3 prevotes needed: after OnTimeoutPropose both wait in
	 * the prevote step for 2f+1 prevotes (line 34) -- no timeout may move
	 * them on, and nothing is signed beyond the nil prevote. */
	assert_int_equal(w->nev, 0);
	for (int i = 0; i < 4; i += 2) {
		assert_false(nt_cons_decided(w->nodes[i].e));
		assert_int_equal(nt_cons_round(w->nodes[i].e), 0);
		assert_int_equal(nt_cons_step(w->nodes[i].e), NT_STEP_PREVOTE);
		assert_int_equal(w->nodes[i].persisted.step, NT_STEP_PREVOTE);
	}
	net_free(w);
}

static void test_random_order_duplicates(void **state)
{
	(void)state;
	const int sizes[] = {4, 7};
	for (int k = 0; k < 2; k++) {
		net *w = net_new(sizes[k], 1, 0);
		w->dmin = 0;
		w->dmax = 250; /* beyond the timeouts: forces rounds and reordering */
		w->dup_pct = 30;
		w->target = MAXH;
		net_start(w);
		net_run(w, 10, 3600000);
		assert_true(min_height(w) >= 10);
		check_chains_equal(w, 10);
		uint64_t dups = 0;
		for (int i = 0; i < w->n; i++)
			dups += nt_cons_stats_get(w->nodes[i].e)->dropped[NT_DROP_DUPLICATE];
		assert_true(dups > 0);
		net_free(w);
	}
}

static void test_equivocating_proposer(void **state)
{
	(void)state;
	net *w = net_new(4, 1, 0);
	w->nodes[1].equivocate = true; /* proposer of height 1 round 0, and more */
	w->dmin = 0;
	w->dmax = 30;
	w->target = MAXH;
	net_start(w);
	net_run(w, 8, 600000);
	assert_true(min_height(w) >= 8);
	check_chains_equal(w, 8);
	uint64_t eq = 0;
	for (int i = 0; i < 5; i++)
		eq += nt_cons_stats_get(w->nodes[i].e)->equivocations;
	assert_true(eq > 0); /* the relayed second blocks were seen and counted */
	net_free(w);
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_validator),
	    cmocka_unit_test(test_honest_4_with_observer),
	    cmocka_unit_test(test_honest_7),
	    cmocka_unit_test(test_one_silent_of_4),
	    cmocka_unit_test(test_two_silent_of_4),
	    cmocka_unit_test(test_two_silent_of_7),
	    cmocka_unit_test(test_crash_restart),
	    cmocka_unit_test(test_random_order_duplicates),
	    cmocka_unit_test(test_equivocating_proposer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
