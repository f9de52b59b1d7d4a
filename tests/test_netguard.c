/* The node's descriptor budget and leak watchdog (node/netguard.h): the
 * caps derived from a descriptor limit, a configured cap that does not fit,
 * a limit too low to start, and the watchdog's verdicts: stuck clean-ups
 * suspect at once, surplus descriptors only after ND_NET_LEAK_TICKS checks,
 * a restart only when suspected and near a limit, and only once. */
#include "tests/testutil.h"

#include "core/kv.h"
#include "node/kv_leveldb.h"
#include "node/netguard.h"

#define RESERVE0 (NT_KV_LEVELDB_MAX_OPEN_FILES + 16 + 32)

static void test_plan(void **state)
{
	(void)state;
	nd_net_caps c;
	bool low = true;
	assert_true(nd_net_plan_caps(1024, 3, 0, 0, &c, &low));
	assert_false(low);
	assert_int_equal(c.reserve, RESERVE0 + 6);
	assert_int_equal(c.peer_cap, 10);
	assert_int_equal(c.rpc_cap, 512); /* the default ceiling, not all that fits */
	assert_true(c.reserve + c.peer_cap + c.rpc_cap <= 1024);

	assert_true(nd_net_plan_caps(256, 0, 0, 0, &c, &low));
	assert_int_equal(c.reserve, RESERVE0);
	assert_int_equal(c.peer_cap, 4);
	assert_int_equal(c.rpc_cap, 256 - RESERVE0 - 4);

	/* Configured beyond what fits: lowered, and said so. */
	assert_true(nd_net_plan_caps(1024, 3, 5000, 0, &c, &low));
	assert_true(low);
	assert_int_equal(c.rpc_cap, 1024 - (RESERVE0 + 6) - 10);
	/* Configured within: taken as is. */
	assert_true(nd_net_plan_caps(65536, 3, 5000, 20, &c, &low));
	assert_false(low);
	assert_int_equal(c.rpc_cap, 5000);
	assert_int_equal(c.peer_cap, 20);

	/* Too low to keep the node's own files safe. */
	assert_false(nd_net_plan_caps(RESERVE0 + 2, 0, 0, 0, &c, &low));
	assert_false(nd_net_plan_caps(0, 0, 0, 0, &c, &low));
}

static nd_net_watch watch(void)
{
	nd_net_watch w = {.fd_limit = 1024};
	bool low;
	assert_true(nd_net_plan_caps(1024, 0, 0, 0, &w.caps, &low));
	return w;
}

static void test_stuck_suspects_at_once(void **state)
{
	(void)state;
	nd_net_watch w = watch();
	nd_net_sample s = {.fds = 300, .conns = 100, .rpc_open = 100};
	assert_int_equal(nd_net_judge(&w, &s), ND_NET_SAME);
	s.stuck = 1;
	assert_int_equal(nd_net_judge(&w, &s), ND_NET_SUSPECT);
	assert_true(w.suspected);
	assert_int_equal(nd_net_judge(&w, &s), ND_NET_SAME); /* said once */
	s.stuck = 0;
	assert_int_equal(nd_net_judge(&w, &s), ND_NET_CLEARED);
	assert_false(w.suspected);
	assert_false(w.restart);
}

static void test_surplus_needs_ticks(void **state)
{
	(void)state;
	nd_net_watch w = watch();
	/* More descriptors than connections + reserve. */
	nd_net_sample s = {.fds = (int)(RESERVE0 + 50 + 1), .conns = 50, .rpc_open = 50};
	for (int i = 1; i < ND_NET_LEAK_TICKS; i++)
		assert_int_equal(nd_net_judge(&w, &s), ND_NET_SAME);
	assert_int_equal(nd_net_judge(&w, &s), ND_NET_SUSPECT);
	/* One normal check resets the count. */
	s.fds = 100;
	assert_int_equal(nd_net_judge(&w, &s), ND_NET_CLEARED);
	s.fds = (int)(RESERVE0 + 50 + 1);
	assert_int_equal(nd_net_judge(&w, &s), ND_NET_SAME);
	/* Unknown descriptor count: no surplus evidence. */
	nd_net_watch w2 = watch();
	nd_net_sample u = {.fds = -1, .conns = 0};
	for (int i = 0; i < 2 * ND_NET_LEAK_TICKS; i++)
		assert_int_equal(nd_net_judge(&w2, &u), ND_NET_SAME);
}

static void test_restart_near_limits(void **state)
{
	(void)state;
	/* Suspected and descriptors within half the reserve of the limit. */
	nd_net_watch w = watch();
	nd_net_sample s = {
	    .fds = 1024 - (int)RESERVE0 / 2, .conns = 60, .rpc_open = 60, .stuck = 3};
	assert_int_equal(nd_net_judge(&w, &s), ND_NET_RESTART);
	assert_true(w.restart);
	assert_int_equal(nd_net_judge(&w, &s), ND_NET_SAME); /* once */

	/* Suspected and the client connections at their cap. */
	nd_net_watch w2 = watch();
	nd_net_sample f = {.fds = 500, .conns = 10, .rpc_open = 10, .stuck = 1};
	assert_int_equal(nd_net_judge(&w2, &f), ND_NET_SUSPECT);
	f.rpc_open = f.conns = w2.caps.rpc_cap;
	assert_int_equal(nd_net_judge(&w2, &f), ND_NET_RESTART);

	/* Near the limits but nothing leaks: no restart (a busy node). */
	nd_net_watch w3 = watch();
	nd_net_sample b = {.fds = 1000, .conns = 1000 - (int)RESERVE0, .rpc_open = w3.caps.rpc_cap};
	assert_int_equal(nd_net_judge(&w3, &b), ND_NET_SAME);
	assert_false(w3.restart);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan),
	    cmocka_unit_test(test_stuck_suspects_at_once),
	    cmocka_unit_test(test_surplus_needs_ticks),
	    cmocka_unit_test(test_restart_near_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
