#include "tests/testutil.h"

#include "core/limiter.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t SEED[NT_LIMITER_KEY_LEN] = {7, 7, 7};

static void key_of(uint64_t n, uint8_t k[NT_LIMITER_KEY_LEN])
{
	memset(k, 0, NT_LIMITER_KEY_LEN);
	memcpy(k + 24, &n, sizeof n);
}

static nt_limiter *new_lim(size_t slots, uint32_t rate, uint32_t burst)
{
	nt_limiter *l = NULL;
	assert_int_equal(nt_limiter_new(slots, rate, burst, SEED, &l), NT_OK);
	assert_non_null(l);
	return l;
}

/* A case table: a rate, a burst, and what a client sending every `gap` ms
 * for `span` ms gets. */
static void test_rate_table(void **state)
{
	(void)state;
	static const struct {
		uint32_t rate, burst, gap_ms, span_ms;
		unsigned min_ok, max_ok;
	} cases[] = {
	    /* 10/s, burst 5, asking every ms for 1 s: 5 + ~10 */
	    {10, 5, 1, 1000, 14, 16},
	    /* 1000/s asked every ms: never refused */
	    {1000, 10, 1, 1000, 1000, 1000},
	    /* 1/s, burst 1, asked every 10 ms for 3 s: 1 + 3 */
	    {1, 1, 10, 3000, 3, 4},
	    /* burst 0 means burst = rate */
	    {50, 0, 1, 100, 54, 56},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		nt_limiter *l = new_lim(64, cases[i].rate, cases[i].burst);
		uint8_t k[NT_LIMITER_KEY_LEN];
		key_of(1, k);
		unsigned ok = 0;
		for (uint64_t t = 1000; t < 1000 + cases[i].span_ms; t += cases[i].gap_ms)
			ok += nt_limiter_take(l, k, t, 1, NULL);
		if (ok < cases[i].min_ok || ok > cases[i].max_ok)
			fail_msg("case %zu: %u allowed, want %u..%u", i, ok, cases[i].min_ok,
				 cases[i].max_ok);
		nt_limiter_free(l);
	}
}

static void test_retry_hint(void **state)
{
	(void)state;
	nt_limiter *l = new_lim(64, 100, 10); /* a token each 10 ms */
	uint8_t k[NT_LIMITER_KEY_LEN];
	key_of(2, k);
	for (int i = 0; i < 10; i++)
		assert_true(nt_limiter_take(l, k, 5000, 1, NULL));
	uint64_t retry = 0;
	assert_false(nt_limiter_take(l, k, 5000, 1, &retry));
	assert_int_equal(retry, 10);
	assert_false(nt_limiter_take(l, k, 5009, 1, &retry));
	assert_int_equal(retry, 1);
	assert_true(nt_limiter_take(l, k, 5010, 1, &retry));
	/* a cost above the burst never passes; the hint is a full bucket */
	assert_false(nt_limiter_take(l, k, 5010, 11, &retry));
	assert_int_equal(retry, 100);
	/* cost > 1 */
	assert_true(nt_limiter_take(l, k, 6000, 10, NULL));
	assert_false(nt_limiter_take(l, k, 6000, 1, NULL));
	nt_limiter_free(l);
}

/* Keys do not share buckets; rate 0 allows everything and keeps nothing. */
static void test_keys_apart_and_off(void **state)
{
	(void)state;
	nt_limiter *l = new_lim(64, 1, 1);
	uint8_t a[NT_LIMITER_KEY_LEN], b[NT_LIMITER_KEY_LEN];
	key_of(10, a);
	key_of(11, b);
	assert_true(nt_limiter_take(l, a, 1, 1, NULL));
	assert_false(nt_limiter_take(l, a, 2, 1, NULL));
	assert_true(nt_limiter_take(l, b, 2, 1, NULL));
	assert_int_equal(nt_limiter_used(l), 2);
	nt_limiter_free(l);
	l = new_lim(64, 0, 0);
	for (int i = 0; i < 1000; i++)
		assert_true(nt_limiter_take(l, a, 1, 1000, NULL));
	assert_int_equal(nt_limiter_used(l), 0);
	assert_int_equal(nt_limiter_capacity(l), 0);
	nt_limiter_free(l);
	nt_limiter_free(NULL);
	assert_int_equal(nt_limiter_new(1, 1, 1, SEED, NULL), NT_ERR_ARG);
}

/* A flood of distinct keys: the table never grows past its capacity, it
 * evicts; a key in steady use survives the flood (it is touched more
 * recently than the flood's one-shot keys of its set, most of the time),
 * and an evicted key comes back with a full bucket. */
static void test_flood_bounded(void **state)
{
	(void)state;
	nt_limiter *l = new_lim(1024, 5, 5);
	assert_int_equal(nt_limiter_capacity(l), 1024);
	uint8_t k[NT_LIMITER_KEY_LEN], busy[NT_LIMITER_KEY_LEN];
	key_of(UINT64_MAX, busy);
	unsigned busy_ok = 0, busy_tries = 0;
	for (uint64_t i = 0; i < 200000; i++) {
		key_of(i, k);
		assert_true(nt_limiter_take(l, k, 1 + i / 100, 1, NULL));
		if (i % 100 == 0) { /* the busy key asks once per ms: 5/s allowed */
			busy_tries++;
			busy_ok += nt_limiter_take(l, busy, 1 + i / 100, 1, NULL);
		}
	}
	assert_true(nt_limiter_used(l) <= nt_limiter_capacity(l));
	assert_int_equal(nt_limiter_used(l), 1024);
	assert_true(nt_limiter_evictions(l) >= 200000 - 1024);
	/* 2000 ms of asking at 5/s plus the burst; eviction only forgives
	 * debt, so it stays well below the number of tries */
	assert_true(busy_ok < busy_tries / 2);
	nt_limiter_free(l);
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rate_table),
	    cmocka_unit_test(test_retry_hint),
	    cmocka_unit_test(test_keys_apart_and_off),
	    cmocka_unit_test(test_flood_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
