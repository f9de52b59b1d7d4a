/* nt_walbuf: the next height's WAL entries kept across the WAL reset at a
 * commit (node/walbuf.h), driven the way node/consensus_host.c drives it,
 * over a real WAL file: bounds, stale heights, the reset that re-appends,
 * the restart after a crash between the block's append and the reset, and
 * the entry-height parser on good and bad bytes. */
#include "tests/testutil.h"

#include "core/peermsg.h"
#include "node/walbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char *dir;
	char path[600];
} fix;

static int setup(void **state)
{
	fix *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->dir = tu_tmpdir();
	snprintf(f->path, sizeof f->path, "%s/cs.wal", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fix *f = *state;
	tu_rmdir(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* A vote message as on the wire (the signature is not checked here). */
static void vote_msg(uint64_t h, uint32_t r, uint16_t idx, uint8_t out[NT_PEERMSG_VOTE_LEN])
{
	nt_vote v;
	memset(&v, 0, sizeof v);
	v.type = NT_VOTE_PREVOTE;
	v.index = idx;
	v.height = h;
	v.round = r;
	memset(v.block_hash.b, (int)(0x10 + idx), NT_HASH_LEN);
	v.timestamp = 1790000000000ull + r;
	nt_peermsg_vote_encode(&v, out);
}

/* The fixed head of a proposal message: u8 type || u64 height || ...
 * (only the head is read; the body is opaque to the buffer). */
static size_t proposal_msg(uint64_t h, uint8_t *out, size_t cap)
{
	size_t len = NT_PEERMSG_PROPOSAL_FIXED + 40;
	assert_true(len <= cap);
	memset(out, 0xab, len);
	out[0] = NT_PEERMSG_PROPOSAL;
	for (int i = 0; i < 8; i++)
		out[1 + i] = (uint8_t)(h >> (56 - 8 * i));
	return len;
}

typedef struct {
	uint8_t *p[64];
	size_t len[64];
	size_t n;
} seen;

static nt_err collect(void *arg, const uint8_t *p, size_t n)
{
	seen *s = arg;
	assert_true(s->n < 64);
	s->p[s->n] = malloc(n);
	assert_non_null(s->p[s->n]);
	memcpy(s->p[s->n], p, n);
	s->len[s->n++] = n;
	return NT_OK;
}

static void seen_free(seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->p[i]);
	s->n = 0;
}

static void test_entry_height(void **state)
{
	(void)state;
	uint8_t v[NT_PEERMSG_VOTE_LEN], p[512];
	uint64_t h = 99;
	vote_msg(0x0102030405060708ull, 3, 1, v);
	assert_int_equal(nt_walbuf_entry_height(v, sizeof v, &h), NT_OK);
	assert_int_equal(h, 0x0102030405060708ull);
	size_t pl = proposal_msg(42, p, sizeof p);
	assert_int_equal(nt_walbuf_entry_height(p, pl, &h), NT_OK);
	assert_int_equal(h, 42);

	/* bad input: untouched output */
	h = 7;
	assert_int_equal(nt_walbuf_entry_height(v, sizeof v - 1, &h), NT_ERR_DECODE);
	assert_int_equal(nt_walbuf_entry_height(p, NT_PEERMSG_PROPOSAL_FIXED - 1, &h),
			 NT_ERR_DECODE);
	assert_int_equal(nt_walbuf_entry_height(p, 0, &h), NT_ERR_DECODE);
	assert_int_equal(nt_walbuf_entry_height(NULL, 0, &h), NT_ERR_DECODE);
	uint8_t timeout[14] = {0xF0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1, 2};
	assert_int_equal(nt_walbuf_entry_height(timeout, sizeof timeout, &h), NT_ERR_DECODE);
	uint8_t junk[NT_PEERMSG_VOTE_LEN];
	memset(junk, 0x33, sizeof junk);
	assert_int_equal(nt_walbuf_entry_height(junk, sizeof junk, &h), NT_ERR_DECODE);
	assert_int_equal(h, 7);
}

static void test_bounds_and_heights(void **state)
{
	(void)state;
	nt_walbuf *b = NULL;
	uint8_t v[NT_PEERMSG_VOTE_LEN];
	assert_int_equal(nt_walbuf_new(0, &b), NT_ERR_ARG);
	assert_null(b);
	/* as the engine's next-height buffer: 4 votes per validator + 4 proposals */
	assert_int_equal(nt_walbuf_cap(4), 4 * NT_CONS_NEXT_VOTES_PER_VAL + NT_CONS_NEXT_PROPOSALS);
	assert_int_equal(nt_walbuf_new(3, &b), NT_OK);
	assert_int_equal(nt_walbuf_count(b), 0);
	assert_int_equal(nt_walbuf_height(b), 0);

	vote_msg(6, 0, 1, v);
	assert_int_equal(nt_walbuf_add(b, 6, NULL, 5), NT_ERR_ARG);
	assert_int_equal(nt_walbuf_add(b, 6, v, 0), NT_ERR_ARG);
	assert_int_equal(nt_walbuf_add(b, 0, v, sizeof v), NT_ERR_ARG);
	/* the length is checked before anything is read */
	assert_int_equal(nt_walbuf_add(b, 6, v, (size_t)NT_WAL_MAX_ENTRY + 1), NT_ERR_ARG);
	assert_int_equal(nt_walbuf_count(b), 0);

	for (uint32_t r = 0; r < 3; r++) {
		vote_msg(6, r, 1, v);
		assert_int_equal(nt_walbuf_add(b, 6, v, sizeof v), NT_OK);
	}
	assert_int_equal(nt_walbuf_add(b, 6, v, sizeof v), NT_ERR_FULL);
	assert_int_equal(nt_walbuf_count(b), 3);
	assert_int_equal(nt_walbuf_height(b), 6);
	/* a lower height is refused, a higher one makes the held ones stale */
	vote_msg(5, 0, 1, v);
	assert_int_equal(nt_walbuf_add(b, 5, v, sizeof v), NT_ERR_CHAIN);
	assert_int_equal(nt_walbuf_count(b), 3);
	vote_msg(7, 0, 1, v);
	assert_int_equal(nt_walbuf_add(b, 7, v, sizeof v), NT_OK);
	assert_int_equal(nt_walbuf_count(b), 1);
	assert_int_equal(nt_walbuf_height(b), 7);
	nt_walbuf_clear(b);
	assert_int_equal(nt_walbuf_count(b), 0);
	assert_int_equal(nt_walbuf_height(b), 0);
	nt_walbuf_free(b);
	nt_walbuf_free(NULL);
}

/* The commit path: the WAL of height 5 holds inputs of 5 and the engine's
 * buffered messages of 6; the reset for 6 keeps exactly those of 6, in
 * order, and they survive a close and reopen once synced. */
static void test_reset_keeps_next_height(void **state)
{
	fix *f = *state;
	nt_why why = {{0}};
	nt_wal *w = NULL;
	nt_walbuf *b = NULL;
	uint8_t v[NT_PEERMSG_VOTE_LEN], p[512];
	assert_int_equal(nt_wal_open(f->path, &w, NULL, &why), NT_OK);
	assert_int_equal(nt_wal_reset(w, 5, &why), NT_OK);
	assert_int_equal(nt_walbuf_new(nt_walbuf_cap(4), &b), NT_OK);

	uint8_t want[4][NT_PEERMSG_VOTE_LEN];
	size_t nwant = 0;
	for (uint16_t i = 0; i < 4; i++) {
		vote_msg(5, 0, i, v); /* the running height */
		assert_int_equal(nt_wal_append(w, v, sizeof v, &why), NT_OK);
		if (i == 3)
			continue;
		vote_msg(6, 0, i, want[nwant]); /* early, buffered by the engine */
		assert_int_equal(nt_wal_append(w, want[nwant], sizeof v, &why), NT_OK);
		assert_int_equal(nt_walbuf_add(b, 6, want[nwant], sizeof v), NT_OK);
		nwant++;
	}
	size_t pl = proposal_msg(6, p, sizeof p);
	assert_int_equal(nt_wal_append(w, p, pl, &why), NT_OK);
	assert_int_equal(nt_walbuf_add(b, 6, p, pl), NT_OK);
	assert_int_equal(nt_wal_sync(w, &why), NT_OK);
	assert_int_equal(nt_wal_entries(w), 4 + 3 + 1);

	assert_int_equal(nt_walbuf_reset_wal(b, w, 6, &why), NT_OK);
	assert_int_equal(nt_walbuf_count(b), 0);
	assert_int_equal(nt_wal_height(w), 6);
	assert_int_equal(nt_wal_entries(w), 4);
	assert_int_equal(nt_wal_sync(w, &why), NT_OK);
	nt_wal_close(w);

	nt_wal_info info;
	assert_int_equal(nt_wal_open(f->path, &w, &info, &why), NT_OK);
	assert_int_equal(info.height, 6);
	seen s = {0};
	assert_int_equal(nt_wal_replay(w, collect, &s, &why), NT_OK);
	assert_int_equal(s.n, 4);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(s.len[i], NT_PEERMSG_VOTE_LEN);
		assert_memory_equal(s.p[i], want[i], NT_PEERMSG_VOTE_LEN);
	}
	assert_int_equal(s.len[3], pl);
	assert_memory_equal(s.p[3], p, pl);
	seen_free(&s);

	/* block sync jumped past 7: the kept entries of 7 are stale at 9 */
	vote_msg(7, 0, 1, v);
	assert_int_equal(nt_walbuf_add(b, 7, v, sizeof v), NT_OK);
	assert_int_equal(nt_walbuf_reset_wal(b, w, 9, &why), NT_OK);
	assert_int_equal(nt_wal_entries(w), 0);
	assert_int_equal(nt_walbuf_count(b), 0);
	nt_walbuf_free(b);
	nt_wal_close(w);
}

/* The restart path: a crash after the block of 5 was stored but before the
 * WAL was reset. The log of 5 still holds the early messages of 6; load
 * picks exactly those (skipping 5's inputs, a timeout entry and a
 * non-message), and the reset carries them into the log of 6. */
static void test_load_after_crash(void **state)
{
	fix *f = *state;
	nt_why why = {{0}};
	nt_wal *w = NULL;
	nt_walbuf *b = NULL;
	uint8_t v[NT_PEERMSG_VOTE_LEN], want[2][NT_PEERMSG_VOTE_LEN];
	assert_int_equal(nt_wal_open(f->path, &w, NULL, &why), NT_OK);
	assert_int_equal(nt_wal_reset(w, 5, &why), NT_OK);
	vote_msg(5, 0, 0, v);
	assert_int_equal(nt_wal_append(w, v, sizeof v, &why), NT_OK);
	vote_msg(6, 0, 2, want[0]);
	assert_int_equal(nt_wal_append(w, want[0], sizeof v, &why), NT_OK);
	uint8_t timeout[14] = {0xF0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 1};
	assert_int_equal(nt_wal_append(w, timeout, sizeof timeout, &why), NT_OK);
	assert_int_equal(nt_wal_append(w, "junk", 4, &why), NT_OK);
	vote_msg(6, 1, 3, want[1]);
	assert_int_equal(nt_wal_append(w, want[1], sizeof v, &why), NT_OK);
	vote_msg(7, 0, 3, v); /* cannot be in a log of 5; skipped anyway */
	assert_int_equal(nt_wal_append(w, v, sizeof v, &why), NT_OK);
	assert_int_equal(nt_wal_sync(w, &why), NT_OK);
	nt_wal_close(w);

	assert_int_equal(nt_wal_open(f->path, &w, NULL, &why), NT_OK);
	assert_int_equal(nt_wal_height(w), 5);
	assert_int_equal(nt_walbuf_new(nt_walbuf_cap(4), &b), NT_OK);
	assert_int_equal(nt_walbuf_load(b, w, 6, &why), NT_OK);
	assert_int_equal(nt_walbuf_count(b), 2);
	assert_int_equal(nt_walbuf_height(b), 6);
	assert_int_equal(nt_walbuf_reset_wal(b, w, 6, &why), NT_OK);
	assert_int_equal(nt_wal_sync(w, &why), NT_OK);
	nt_wal_close(w);

	assert_int_equal(nt_wal_open(f->path, &w, NULL, &why), NT_OK);
	assert_int_equal(nt_wal_height(w), 6);
	seen s = {0};
	assert_int_equal(nt_wal_replay(w, collect, &s, &why), NT_OK);
	assert_int_equal(s.n, 2);
	assert_memory_equal(s.p[0], want[0], sizeof v);
	assert_memory_equal(s.p[1], want[1], sizeof v);
	seen_free(&s);

	/* a buffer too small for what the log holds reports it */
	nt_walbuf_free(b);
	assert_int_equal(nt_walbuf_new(1, &b), NT_OK);
	assert_int_equal(nt_wal_append(w, want[0], sizeof v, &why), NT_OK);
	assert_int_equal(nt_walbuf_load(b, w, 6, &why), NT_ERR_FULL);
	assert_true(why.msg[0] != 0);
	nt_walbuf_free(b);
	nt_wal_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_entry_height),
	    cmocka_unit_test(test_bounds_and_heights),
	    cmocka_unit_test_setup_teardown(test_reset_keeps_next_height, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_after_crash, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
