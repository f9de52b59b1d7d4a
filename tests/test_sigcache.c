/* nd_sigcache (node/sigcache.h): what was added is found, what was not is
 * not, a colliding newer id evicts the older one, bad arguments are
 * refused, and threads adding and looking up at once never see an id that
 * was not added (run under ASan here; the striped locks keep it race-free). */
#include "tests/testutil.h"

#include "node/sigcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static nt_hash rand_id(void)
{
	nt_hash h;
	for (size_t i = 0; i < NT_HASH_LEN; i += 8) {
		uint64_t v = tu_rand();
		memcpy(h.b + i, &v, 8);
	}
	return h;
}

static void test_add_has(void **state)
{
	(void)state;
	nd_sigcache *c = NULL;
	assert_int_equal(nd_sigcache_new(12, &c), NT_OK);
	nt_hash ids[200];
	for (int i = 0; i < 200; i++)
		ids[i] = rand_id();
	for (int i = 0; i < 100; i++)
		nd_sigcache_add(c, &ids[i]);
	/* 100 random ids in 4096 slots: exactly those not overwritten by a
	 * later id of the same slot (the slot comes from the first bytes) stay */
	int found = 0, expected = 0;
	for (int i = 0; i < 100; i++) {
		uint64_t si, sj;
		memcpy(&si, ids[i].b, sizeof si);
		bool last = true;
		for (int j = i + 1; j < 100 && last; j++) {
			memcpy(&sj, ids[j].b, sizeof sj);
			last = (si & 4095) != (sj & 4095);
		}
		expected += last;
		found += nd_sigcache_has(c, &ids[i]);
	}
	assert_int_equal(found, expected);
	for (int i = 100; i < 200; i++)
		assert_false(nd_sigcache_has(c, &ids[i]));
	/* one bit off is another record */
	nt_hash x = ids[0];
	x.b[31] ^= 1;
	if (nd_sigcache_has(c, &ids[0]))
		assert_false(nd_sigcache_has(c, &x));
	nd_sigcache_free(c);
}

static void test_collision_evicts(void **state)
{
	(void)state;
	nd_sigcache *c = NULL;
	assert_int_equal(nd_sigcache_new(4, &c), NT_OK);
	nt_hash a = rand_id(), b = a;
	b.b[20] ^= 0x55; /* same slot (the slot comes from the first bytes) */
	nd_sigcache_add(c, &a);
	assert_true(nd_sigcache_has(c, &a));
	assert_false(nd_sigcache_has(c, &b));
	nd_sigcache_add(c, &b);
	assert_true(nd_sigcache_has(c, &b));
	assert_false(nd_sigcache_has(c, &a));
	nd_sigcache_free(c);
}

static void test_bad_args(void **state)
{
	(void)state;
	nd_sigcache *c = NULL;
	assert_int_equal(nd_sigcache_new(3, &c), NT_ERR_ARG);
	assert_int_equal(nd_sigcache_new(25, &c), NT_ERR_ARG);
	assert_int_equal(nd_sigcache_new(10, NULL), NT_ERR_ARG);
	assert_null(c);
	nt_hash a = rand_id();
	nd_sigcache_add(NULL, &a);
	assert_false(nd_sigcache_has(NULL, &a));
	nd_sigcache_free(NULL);
	assert_int_equal(nd_sigcache_new(8, &c), NT_OK);
	nd_sigcache_add(c, NULL);
	assert_false(nd_sigcache_has(c, NULL));
	nd_sigcache_free(c);
}

/* Writers add ids whose last byte is 0xAA; readers look up ids whose last
 * byte is 0x55 (never added) and ids the writers add. */
#define PER_THREAD 20000
typedef struct {
	nd_sigcache *c;
	nt_hash base;
	int t;
	int wrong;
} job;

static nt_hash nth(const nt_hash *base, int t, int i, uint8_t last)
{
	nt_hash h = *base;
	memcpy(h.b, &i, sizeof i);
	h.b[4] = (uint8_t)t;
	h.b[31] = last;
	return h;
}

static void *worker(void *arg)
{
	job *j = arg;
	for (int i = 0; i < PER_THREAD; i++) {
		nt_hash a = nth(&j->base, j->t, i, 0xAA), b = nth(&j->base, j->t, i, 0x55);
		nd_sigcache_add(j->c, &a);
		if (nd_sigcache_has(j->c, &b))
			j->wrong++;
		nt_hash o = nth(&j->base, (j->t + 1) % 4, i, 0xAA);
		(void)nd_sigcache_has(j->c, &o);
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	nd_sigcache *c = NULL;
	assert_int_equal(nd_sigcache_new(10, &c), NT_OK);
	pthread_t th[4];
	job jobs[4];
	nt_hash base = rand_id();
	for (int t = 0; t < 4; t++) {
		jobs[t] = (job){.c = c, .base = base, .t = t};
		assert_int_equal(pthread_create(&th[t], NULL, worker, &jobs[t]), 0);
	}
	for (int t = 0; t < 4; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(jobs[t].wrong, 0);
	}
	nd_sigcache_free(c);
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_has),
	    cmocka_unit_test(test_collision_evicts),
	    cmocka_unit_test(test_bad_args),
	    cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
