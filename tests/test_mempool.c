#include "tests/testutil.h"

#include "core/mempool.h"

#include <stdlib.h>
#include <string.h>

/* Ids that differ only in their last bytes: a table that hashed a prefix
 * would put them all in one bucket. */
/* any fixed bytes: iteration order never depends on the key */
static const uint8_t KEY[NT_MEMPOOL_KEY_LEN] = {1, 2, 3};

static nt_hash id_of(uint64_t n)
{
	nt_hash h;
	memset(&h, 0, sizeof h);
	for (int i = 0; i < 8; i++)
		h.b[31 - i] = (uint8_t)(n >> (8 * i));
	return h;
}

/* Record bytes that can be recognised: len bytes derived from n. */
static void fill_rec(uint64_t n, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(n * 31 + i);
}

static nt_mempool *new_pool(size_t max_records, size_t max_bytes)
{
	nt_mempool *mp = NULL;
	assert_int_equal(nt_mempool_new(max_records, max_bytes, KEY, &mp), NT_OK);
	assert_non_null(mp);
	return mp;
}

static void add_n(nt_mempool *mp, uint64_t n, size_t len, uint64_t now, nt_err want)
{
	uint8_t buf[256];
	assert_true(len <= sizeof buf);
	fill_rec(n, buf, len);
	nt_hash id = id_of(n);
	assert_int_equal(nt_mempool_add(mp, buf, len, &id, now), want);
}

static void test_new_and_args(void **state)
{
	(void)state;
	nt_mempool *mp = (nt_mempool *)0x1;
	assert_int_equal(nt_mempool_new(0, 100, KEY, &mp), NT_ERR_ARG);
	assert_int_equal(nt_mempool_new(10, 0, KEY, &mp), NT_ERR_ARG);
	assert_int_equal(nt_mempool_new(10, 100, KEY, NULL), NT_ERR_ARG);
	assert_int_equal(nt_mempool_new(10, 100, NULL, &mp), NT_ERR_ARG);
	assert_ptr_equal(mp, (nt_mempool *)0x1);
	nt_mempool_free(NULL);

	mp = new_pool(10, 100);
	assert_int_equal(nt_mempool_count(mp), 0);
	assert_int_equal(nt_mempool_bytes(mp), 0);
	assert_int_equal(nt_mempool_oldest(mp), 0);
	nt_hash id = id_of(1);
	assert_false(nt_mempool_contains(mp, &id));
	assert_int_equal(nt_mempool_add(mp, NULL, 5, &id, 1), NT_ERR_ARG);
	assert_int_equal(nt_mempool_add(mp, (const uint8_t *)"x", 1, NULL, 1), NT_ERR_ARG);
	assert_int_equal(nt_mempool_count(mp), 0);
	const uint8_t *recs[4];
	assert_int_equal(nt_mempool_peek(mp, 4, 1000, recs, NULL, NULL), 0);
	nt_mempool_remove(mp, &id, 1); /* absent: fine */
	nt_mempool_free(mp);
}

static void test_add_contains_dup(void **state)
{
	(void)state;
	nt_mempool *mp = new_pool(10, 1000);
	uint8_t buf[16];
	fill_rec(1, buf, sizeof buf);
	nt_hash id1 = id_of(1), id2 = id_of(2), id3 = id_of(3);
	assert_int_equal(nt_mempool_add(mp, buf, sizeof buf, &id1, 10), NT_OK);
	/* The record was copied: changing the caller's buffer changes nothing. */
	memset(buf, 0, sizeof buf);
	add_n(mp, 2, 7, 11, NT_OK);
	assert_true(nt_mempool_contains(mp, &id1));
	assert_true(nt_mempool_contains(mp, &id2));
	assert_false(nt_mempool_contains(mp, &id3));
	assert_int_equal(nt_mempool_count(mp), 2);
	assert_int_equal(nt_mempool_bytes(mp), 23);

	/* Same id again, even with other bytes: NT_ERR_EXISTS, nothing changes. */
	add_n(mp, 1, 16, 12, NT_ERR_EXISTS);
	assert_int_equal(nt_mempool_add(mp, buf, 3, &id2, 12), NT_ERR_EXISTS);
	assert_int_equal(nt_mempool_count(mp), 2);
	assert_int_equal(nt_mempool_bytes(mp), 23);
	assert_int_equal(nt_mempool_oldest(mp), 10);

	const uint8_t *recs[4];
	size_t lens[4];
	nt_hash ids[4];
	assert_int_equal(nt_mempool_peek(mp, 4, 1000, recs, lens, ids), 2);
	uint8_t want[16];
	fill_rec(1, want, sizeof want);
	assert_int_equal(lens[0], 16);
	assert_memory_equal(recs[0], want, 16);
	assert_memory_equal(ids[0].b, id1.b, 32);
	fill_rec(2, want, 7);
	assert_int_equal(lens[1], 7);
	assert_memory_equal(recs[1], want, 7);
	assert_memory_equal(ids[1].b, id2.b, 32);
	nt_mempool_free(mp);
}

static void test_full_by_count(void **state)
{
	(void)state;
	nt_mempool *mp = new_pool(3, 1000);
	add_n(mp, 1, 10, 1, NT_OK);
	add_n(mp, 2, 10, 2, NT_OK);
	add_n(mp, 3, 10, 3, NT_OK);
	add_n(mp, 4, 10, 4, NT_ERR_FULL);
	/* A duplicate is reported as such even when the pool is full. */
	add_n(mp, 2, 10, 4, NT_ERR_EXISTS);
	nt_hash id4 = id_of(4);
	assert_false(nt_mempool_contains(mp, &id4));
	assert_int_equal(nt_mempool_count(mp), 3);
	assert_int_equal(nt_mempool_bytes(mp), 30);
	nt_hash id2 = id_of(2);
	nt_mempool_remove(mp, &id2, 1);
	add_n(mp, 4, 10, 5, NT_OK);
	add_n(mp, 5, 10, 6, NT_ERR_FULL);
	assert_int_equal(nt_mempool_count(mp), 3);
	nt_mempool_free(mp);
}

static void test_full_by_bytes(void **state)
{
	(void)state;
	nt_mempool *mp = new_pool(100, 100);
	add_n(mp, 1, 101, 1, NT_ERR_FULL); /* too big even for an empty pool */
	add_n(mp, 1, 60, 1, NT_OK);
	add_n(mp, 2, 41, 2, NT_ERR_FULL);
	add_n(mp, 2, 40, 2, NT_OK); /* exactly at the bound */
	add_n(mp, 3, 1, 3, NT_ERR_FULL);
	assert_int_equal(nt_mempool_bytes(mp), 100);
	assert_int_equal(nt_mempool_count(mp), 2);
	nt_hash id1 = id_of(1);
	nt_mempool_remove(mp, &id1, 1);
	assert_int_equal(nt_mempool_bytes(mp), 40);
	add_n(mp, 3, 60, 3, NT_OK);
	add_n(mp, 4, 1, 4, NT_ERR_FULL);
	nt_mempool_free(mp);
}

static void test_peek_order_and_limits(void **state)
{
	(void)state;
	nt_mempool *mp = new_pool(10000, 10000);
	for (uint64_t i = 1; i <= 5; i++)
		add_n(mp, i, 10 * i, 100 + i, NT_OK); /* sizes 10..50 */
	const uint8_t *recs[8];
	size_t lens[8];
	nt_hash ids[8];
	assert_int_equal(nt_mempool_peek(mp, 8, 10000, recs, lens, ids), 5);
	for (size_t i = 0; i < 5; i++) {
		uint8_t want[64];
		fill_rec(i + 1, want, lens[i]);
		assert_int_equal(lens[i], 10 * (i + 1));
		assert_memory_equal(recs[i], want, lens[i]);
		nt_hash id = id_of(i + 1);
		assert_memory_equal(ids[i].b, id.b, 32);
	}
	assert_int_equal(nt_mempool_peek(mp, 8, 60, recs, lens, ids), 3); /* 10+20+30 */
	assert_int_equal(nt_mempool_peek(mp, 8, 59, recs, lens, ids), 2);
	assert_int_equal(nt_mempool_peek(mp, 8, 100, recs, lens, ids), 4);
	assert_int_equal(nt_mempool_peek(mp, 2, 10000, recs, lens, ids), 2);
	assert_int_equal(nt_mempool_peek(mp, 0, 10000, recs, lens, ids), 0);
	/* The first record always goes, even over the byte budget. */
	assert_int_equal(nt_mempool_peek(mp, 8, 5, recs, lens, ids), 1);
	assert_int_equal(lens[0], 10);
	assert_int_equal(nt_mempool_peek(mp, 8, 0, recs, lens, ids), 1);
	/* Stops at the first record that does not fit; no skipping ahead. */
	nt_hash id1 = id_of(1);
	nt_mempool_remove(mp, &id1, 1);
	assert_int_equal(nt_mempool_peek(mp, 8, 45, recs, lens, ids), 1); /* 20, then 30 > 25 */
	assert_int_equal(lens[0], 20);
	/* NULL outputs are allowed. */
	assert_int_equal(nt_mempool_peek(mp, 8, 10000, NULL, NULL, NULL), 4);

	/* Pointers stay valid while the table grows under them. */
	const uint8_t *first = recs[0];
	for (uint64_t i = 1000; i < 3000; i++)
		add_n(mp, i, 3, 200, NT_OK);
	uint8_t want[20];
	fill_rec(2, want, 20);
	assert_memory_equal(first, want, 20);
	nt_mempool_free(mp);
}

static void test_remove_middle(void **state)
{
	(void)state;
	nt_mempool *mp = new_pool(100, 10000);
	for (uint64_t i = 0; i < 10; i++)
		add_n(mp, i, 5 + i, 1000 + i, NT_OK);
	nt_hash gone[4] = {id_of(2), id_of(5), id_of(77), id_of(7)};
	nt_mempool_remove(mp, gone, 4);
	nt_mempool_remove(mp, gone, 4); /* again: all absent now */
	assert_int_equal(nt_mempool_count(mp), 7);
	size_t bytes = 0;
	const uint64_t keep[7] = {0, 1, 3, 4, 6, 8, 9};
	for (int i = 0; i < 7; i++)
		bytes += 5 + keep[i];
	assert_int_equal(nt_mempool_bytes(mp), bytes);
	for (int i = 0; i < 3; i++)
		assert_false(nt_mempool_contains(mp, &gone[i == 2 ? 3 : i]));

	nt_hash ids[10];
	size_t lens[10];
	assert_int_equal(nt_mempool_peek(mp, 10, 10000, NULL, lens, ids), 7);
	for (int i = 0; i < 7; i++) {
		nt_hash want = id_of(keep[i]);
		assert_memory_equal(ids[i].b, want.b, 32);
		assert_int_equal(lens[i], 5 + keep[i]);
	}

	/* Head and tail. */
	nt_hash ends[2] = {id_of(0), id_of(9)};
	nt_mempool_remove(mp, ends, 2);
	assert_int_equal(nt_mempool_oldest(mp), 1001);
	assert_int_equal(nt_mempool_peek(mp, 10, 10000, NULL, NULL, ids), 5);
	nt_hash want = id_of(8);
	assert_memory_equal(ids[4].b, want.b, 32);
	/* A re-added record goes to the back. */
	add_n(mp, 0, 5, 2000, NT_OK);
	assert_int_equal(nt_mempool_peek(mp, 10, 10000, NULL, NULL, ids), 6);
	want = id_of(0);
	assert_memory_equal(ids[5].b, want.b, 32);
	nt_mempool_free(mp);
}

static void test_oldest(void **state)
{
	(void)state;
	nt_mempool *mp = new_pool(10, 1000);
	assert_int_equal(nt_mempool_oldest(mp), 0);
	/* Arrival order, not the smallest time: clocks can step back. */
	add_n(mp, 1, 1, 100, NT_OK);
	add_n(mp, 2, 1, 50, NT_OK);
	add_n(mp, 3, 1, 200, NT_OK);
	assert_int_equal(nt_mempool_oldest(mp), 100);
	nt_hash id = id_of(1);
	nt_mempool_remove(mp, &id, 1);
	assert_int_equal(nt_mempool_oldest(mp), 50);
	nt_hash all[2] = {id_of(2), id_of(3)};
	nt_mempool_remove(mp, all, 2);
	assert_int_equal(nt_mempool_oldest(mp), 0);
	assert_int_equal(nt_mempool_count(mp), 0);
	assert_int_equal(nt_mempool_bytes(mp), 0);
	nt_mempool_free(mp);
}

/* The model: record k (in arrival order) is pending iff alive[k]. */
typedef struct {
	uint8_t *alive;
	size_t *len;
	size_t next, count, bytes;
} model;

static void check_against(const nt_mempool *mp, const model *m, const uint8_t **recs, size_t *lens,
			  nt_hash *ids)
{
	assert_int_equal(nt_mempool_count(mp), m->count);
	assert_int_equal(nt_mempool_bytes(mp), m->bytes);
	size_t got = nt_mempool_peek(mp, m->count + 1, SIZE_MAX, recs, lens, ids);
	assert_int_equal(got, m->count);
	size_t j = 0;
	uint64_t oldest = 0;
	for (size_t k = 0; k < m->next; k++) {
		if (!m->alive[k])
			continue;
		if (j == 0)
			oldest = k + 7;
		nt_hash want = id_of(k);
		assert_memory_equal(ids[j].b, want.b, 32);
		assert_int_equal(lens[j], m->len[k]);
		uint8_t buf[64];
		fill_rec(k, buf, m->len[k]);
		assert_memory_equal(recs[j], buf, m->len[k]);
		j++;
	}
	assert_int_equal(j, m->count);
	assert_int_equal(nt_mempool_oldest(mp), oldest);
}

static void test_random_model(void **state)
{
	(void)state;
	enum { OPS = 240000, CAP = 300000 };
	nt_mempool *mp = new_pool(CAP, (size_t)CAP * 64);
	model m = {calloc(OPS, 1), calloc(OPS, sizeof(size_t)), 0, 0, 0};
	const uint8_t **recs = calloc(OPS, sizeof *recs);
	size_t *lens = calloc(OPS, sizeof *lens);
	nt_hash *ids = calloc(OPS, sizeof *ids);
	assert_true(m.alive && m.len && recs && lens && ids);
	size_t peak = 0;

	for (size_t op = 0; op < OPS; op++) {
		/* Fill past 100k pending first, then drain with mostly removes. */
		uint64_t r = tu_rand() % 100;
		bool filling = op < OPS * 2 / 3;
		if (r < (filling ? 90 : 30) || m.next == 0) {
			size_t k = m.next++;
			m.len[k] = 1 + tu_rand() % 64;
			add_n(mp, k, m.len[k], k + 7, NT_OK);
			m.alive[k] = 1;
			m.count++;
			m.bytes += m.len[k];
		} else if (r < (filling ? 95 : 35)) {
			size_t k = tu_rand() % m.next;
			add_n(mp, k, m.len[k], 0, m.alive[k] ? NT_ERR_EXISTS : NT_OK);
			if (!m.alive[k]) {
				/* re-added: it now sits at the back, so the model
				 * gives it a new arrival index and keeps k dead */
				nt_hash id = id_of(k);
				nt_mempool_remove(mp, &id, 1);
			}
		} else {
			/* Remove a batch of ids: pending, already gone, never seen. */
			nt_hash batch[8];
			size_t bn = 1 + tu_rand() % 8;
			for (size_t b = 0; b < bn; b++) {
				size_t k = tu_rand() % (m.next + 10);
				batch[b] = id_of(k);
				if (k < m.next && m.alive[k]) {
					m.alive[k] = 0;
					m.count--;
					m.bytes -= m.len[k];
				}
			}
			nt_mempool_remove(mp, batch, bn);
		}
		if (m.count > peak)
			peak = m.count;
		if (op % 20000 == 0) {
			size_t k = tu_rand() % m.next;
			nt_hash id = id_of(k);
			assert_int_equal(nt_mempool_contains(mp, &id), m.alive[k] != 0);
			check_against(mp, &m, recs, lens, ids);
		}
	}
	check_against(mp, &m, recs, lens, ids);
	for (size_t k = 0; k < m.next + 100; k++) {
		nt_hash id = id_of(k);
		assert_int_equal(nt_mempool_contains(mp, &id), k < m.next && m.alive[k]);
	}
	assert_true(peak >= 100000);
	nt_mempool_free(mp);
	free(m.alive);
	free(m.len);
	free(recs);
	free(lens);
	free(ids);
}

/* Records counted per owner while pending, gone (and the owners table
 * back to empty) once removed; unowned records count for nobody. */
static void test_owners(void **state)
{
	(void)state;
	nt_mempool *mp = new_pool(100000, 1u << 26);
	nt_pubkey a, b;
	memset(&a, 0xaa, sizeof a);
	memset(&b, 0xbb, sizeof b);
	uint8_t buf[100];
	size_t c = 9, by = 9;
	nt_mempool_owner_usage(mp, &a, &c, &by);
	assert_int_equal(c, 0);
	assert_int_equal(by, 0);
	enum { N = 3000 };
	static nt_hash ids[N];
	for (uint64_t i = 0; i < N; i++) {
		ids[i] = id_of(i);
		fill_rec(i, buf, 100);
		/* a third each: a, b, and 1000 distinct owners */
		nt_pubkey o;
		memset(&o, 0, sizeof o);
		memcpy(o.b, &i, sizeof i);
		const nt_pubkey *ow = i % 3 == 0 ? &a : i % 3 == 1 ? &b : &o;
		assert_int_equal(nt_mempool_add_owned(mp, buf, 10 + i % 3, &ids[i], ow, i), NT_OK);
	}
	nt_hash extra = id_of(N);
	assert_int_equal(nt_mempool_add(mp, buf, 5, &extra, 0), NT_OK);
	nt_mempool_owner_usage(mp, &a, &c, &by);
	assert_int_equal(c, N / 3);
	assert_int_equal(by, 10 * (N / 3));
	nt_mempool_owner_usage(mp, &b, &c, &by);
	assert_int_equal(c, N / 3);
	assert_int_equal(by, 11 * (N / 3));
	assert_int_equal(nt_mempool_owners(mp), 2 + N / 3);
	/* remove every other record: the counts follow */
	for (size_t i = 0; i < N; i += 2)
		nt_mempool_remove(mp, &ids[i], 1);
	nt_mempool_owner_usage(mp, &a, &c, &by);
	assert_int_equal(c, N / 6);
	assert_int_equal(by, 10 * (N / 6));
	for (size_t i = 1; i < N; i += 2) {
		nt_mempool_remove(mp, &ids[i], 1);
		nt_mempool_remove(mp, &ids[i], 1); /* twice: no double count */
	}
	assert_int_equal(nt_mempool_owners(mp), 0);
	nt_mempool_owner_usage(mp, &b, &c, &by);
	assert_int_equal(c, 0);
	assert_int_equal(by, 0);
	assert_int_equal(nt_mempool_count(mp), 1);
	assert_int_equal(nt_mempool_max_records(mp), 100000);
	nt_mempool_free(mp);
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_and_args),
	    cmocka_unit_test(test_add_contains_dup),
	    cmocka_unit_test(test_full_by_count),
	    cmocka_unit_test(test_full_by_bytes),
	    cmocka_unit_test(test_peek_order_and_limits),
	    cmocka_unit_test(test_remove_middle),
	    cmocka_unit_test(test_oldest),
	    cmocka_unit_test(test_random_model),
	    cmocka_unit_test(test_owners),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
