/* The ledger's append: what it refuses, a store whose writes fail, catch-up
 * appends without fsync, and the last commit a block names
 * (tests/ledger_fix.h). */
#include "tests/testutil.h"

#include "core/ledger.h"
#include "core/receipt.h"
#include "core/record.h"
#include "crypto/digest.h"
#include "node/kv_leveldb.h"
#include "tests/ledger_fix.h"
#include "tests/solo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A store whose writes fail, to show a failed append changes nothing. */
typedef struct {
	nt_kv base;
	nt_kv *inner;
	bool fail_writes;
	unsigned writes, synced; /* successful writes, and how many with sync */
} flaky_kv;

static nt_err fk_get(nt_kv *kv, const void *k, size_t kl, uint8_t **v, size_t *vl)
{
	return nt_kv_get(((flaky_kv *)kv)->inner, k, kl, v, vl);
}
/* Fails as LevelDB does on a full disk, in its words (nt_kv_leveldb_error). */
static nt_err fk_write(nt_kv *kv, const nt_kv_batch *b, bool sync, nt_why *why)
{
	flaky_kv *f = (flaky_kv *)kv;
	if (f->fail_writes)
		return nt_kv_leveldb_error("IO error: /d/000012.log: No space left on device", NULL,
					   why);
	nt_err e = nt_kv_write(f->inner, b, sync, why);
	if (e == NT_OK) {
		f->writes++;
		f->synced += sync;
	}
	return e;
}
static nt_err fk_scan(nt_kv *kv, const void *p, size_t pl, nt_kv_scan_fn fn, void *arg)
{
	return nt_kv_scan(((flaky_kv *)kv)->inner, p, pl, fn, arg);
}
static void fk_close(nt_kv *kv)
{
	nt_kv_close(((flaky_kv *)kv)->inner);
	free(kv);
}
static const struct nt_kv_ops flaky_ops = {
    .get = fk_get, .write = fk_write, .scan = fk_scan, .close = fk_close};

static int count_fn(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	(void)k, (void)kl, (void)v, (void)vl;
	(*(size_t *)arg)++;
	return 0;
}

static size_t count_keys(nt_kv *kv)
{
	size_t n = 0;
	assert_int_equal(nt_kv_scan(kv, "", 0, count_fn, &n), NT_OK);
	return n;
}

static void expect_append_fails(fix *f, const nt_block *b, const nt_commit *c, nt_err want,
				const char *msg)
{
	uint64_t height = nt_ledger_height(f->l);
	nt_hash tip = *nt_ledger_tip_hash(f->l);
	nt_merkle_log lg = *nt_ledger_log(f->l);
	size_t keys = count_keys(f->kv);
	nt_why why = {{0}};
	nt_err e = nt_ledger_append(f->l, b, c, NULL, &why);
	if (e != want || strstr(why.msg, msg) == NULL)
		fail_msg("expected %s \"%s\", got %s \"%s\"", nt_strerror(want), msg,
			 nt_strerror(e), why.msg);
	assert_int_equal(nt_ledger_height(f->l), height);
	assert_memory_equal(nt_ledger_tip_hash(f->l), &tip, sizeof tip);
	assert_memory_equal(nt_ledger_log(f->l), &lg, sizeof lg);
	assert_int_equal(count_keys(f->kv), keys);
}

/* Puts a flaky_kv in front of f's store and reopens the ledger on it. */
static flaky_kv *use_flaky(fix *f)
{
	flaky_kv *fk = calloc(1, sizeof *fk);
	assert_non_null(fk);
	fk->base.ops = &flaky_ops;
	fk->inner = f->kv;
	f->kv = &fk->base;
	nt_ledger_free(f->l);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_open(f->kv, &f->g, &f->l, &why), NT_OK);
	return fk;
}

static void test_append_rejects(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new(4, false);
	flaky_kv *fk = use_flaky(f);
	nt_why why = {{0}};
	grow(f, 2);

	uint8_t recbuf[4][NT_RECORD_MAX];
	size_t lens[4];
	uint8_t digests[4][32];
	nt_block *b = next_block(f, 2, recbuf, lens, digests);
	nt_commit *c = malloc(sizeof *c);
	assert_non_null(c);

	sign_commit(f, b, 0x3, 0, c); /* 2 of 4: below the quorum of 3 */
	expect_append_fails(f, b, c, NT_ERR_QUORUM, "");
	sign_commit(f, b, 0x7, 0, c);
	c->sigs[1].sig.b[10] ^= 1;
	expect_append_fails(f, b, c, NT_ERR_SIGNATURE, "validator 1");
	sign_commit(f, b, 0x7, 0, c);
	c->height++;
	expect_append_fails(f, b, c, NT_ERR_MISMATCH, "commit is for height 3, block height 2");

	/* A valid commit, but for another block at this height. */
	nt_block *other = next_block(f, 1, recbuf + 2, lens + 2, digests + 2);
	sign_commit(f, other, 0xf, 0, c);
	expect_append_fails(f, b, c, NT_ERR_MISMATCH, "commit is for another block");

	/* A block whose commit is fine but which does not extend the tip. */
	nt_block *stale = next_block(f, 1, recbuf + 3, lens + 3, digests + 3);
	stale->header.prev_hash.b[0] ^= 1;
	sign_commit(f, stale, 0xf, 0, c);
	expect_append_fails(f, stale, c, NT_ERR_CHAIN, "prev_hash does not match the tip");

	/* The store refuses the write: memory stays at the old tip. */
	sign_commit(f, b, 0x7, 0, c);
	fk->fail_writes = true;
	expect_append_fails(f, b, c, NT_ERR_IO, "cannot write block 2");
	/* ... in the store's own words, not a bare "input/output error" */
	expect_append_fails(f, b, c, NT_ERR_IO,
			    "cannot write block 2 to the store: no space left on device: free "
			    "space");
	expect_append_fails(f, b, c, NT_ERR_IO, "/d/000012.log: No space left on device");
	fk->fail_writes = false;
	assert_int_equal(nt_ledger_append(f->l, b, c, NULL, &why), NT_OK);
	assert_int_equal(nt_ledger_height(f->l), 2);
	remember(f, b, digests);
	/* The same block again no longer extends the tip. */
	expect_append_fails(f, b, c, NT_ERR_CHAIN, "block height 2, expected 3");
	check_queries(f);

	nt_block_free(b);
	nt_block_free(other);
	nt_block_free(stale);
	free(c);
	fix_free(f);
}

/* Builds the next block of n fresh records with a quorum commit. */
static nt_block *quorum_block(fix *f, uint32_t n, nt_commit *c)
{
	uint8_t recbuf[4][NT_RECORD_MAX];
	size_t lens[4];
	uint8_t digests[4][32];
	nt_block *b = next_block(f, n, recbuf, lens, digests);
	sign_commit(f, b, 0x7, 0, c);
	return b;
}

/* Catch-up appends without fsync and syncs once at the end of a run:
 * append_ex(false) writes no synced batch, the blocks are visible at once,
 * flush makes one synced write (none when nothing is pending), and a
 * LevelDB store reopened afterwards holds every block. */
static void test_unsynced_append_flush(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new(4, true);
	flaky_kv *fk = use_flaky(f);
	nt_why why = {{0}};
	grow(f, 2);
	assert_int_equal(fk->synced, 1);
	assert_false(nt_ledger_unsynced(f->l));
	/* nothing pending: flush writes nothing */
	assert_int_equal(nt_ledger_flush(f->l, &why), NT_OK);
	assert_int_equal(fk->writes, 1);

	for (int i = 0; i < 4; i++) {
		nt_commit c;
		nt_block *b = quorum_block(f, (uint32_t)(1 + tu_rand() % 4), &c);
		if (nt_ledger_check_block(f->l, b, NULL, 0, 0, NULL, NULL, &why) != NT_OK ||
		    nt_ledger_append_ex(f->l, b, &c, NULL, false, &why) != NT_OK)
			fail_msg("block %d: %s", i, why.msg);
		assert_true(nt_ledger_unsynced(f->l));
		/* visible at once to the ledger's readers */
		nt_block *back = NULL;
		assert_int_equal(nt_ledger_block(f->l, b->header.height, &back), NT_OK);
		assert_int_equal(back->count, b->count);
		nt_block_free(back);
		nt_block_free(b);
	}
	assert_int_equal(nt_ledger_height(f->l), 5);
	assert_int_equal(fk->writes, 5);
	assert_int_equal(fk->synced, 1);

	/* A failing store: flush says so and the appends stay pending. */
	fk->fail_writes = true;
	assert_int_equal(nt_ledger_flush(f->l, &why), NT_ERR_IO);
	assert_non_null(strstr(why.msg, "cannot sync the store: no space left on device"));
	assert_true(nt_ledger_unsynced(f->l));
	fk->fail_writes = false;
	assert_int_equal(nt_ledger_flush(f->l, &why), NT_OK);
	assert_int_equal(fk->synced, 2);
	assert_false(nt_ledger_unsynced(f->l));
	assert_int_equal(nt_ledger_flush(f->l, &why), NT_OK);
	assert_int_equal(fk->synced, 2);

	/* A synced append also covers the unsynced ones before it. */
	nt_commit c;
	nt_block *b = quorum_block(f, 2, &c);
	assert_int_equal(nt_ledger_append_ex(f->l, b, &c, NULL, false, &why), NT_OK);
	nt_block_free(b);
	b = quorum_block(f, 3, &c);
	assert_int_equal(nt_ledger_append(f->l, b, &c, NULL, &why), NT_OK);
	nt_block_free(b);
	assert_false(nt_ledger_unsynced(f->l));
	assert_int_equal(fk->synced, 3);
	b = quorum_block(f, 1, &c);
	assert_int_equal(nt_ledger_append_ex(f->l, b, &c, NULL, false, &why), NT_OK);
	nt_block_free(b);
	assert_int_equal(nt_ledger_flush(f->l, &why), NT_OK);

	/* Reopen the LevelDB store: every block is there and consistent. */
	uint64_t height = nt_ledger_height(f->l);
	nt_hash tip = *nt_ledger_tip_hash(f->l);
	assert_int_equal(height, 8);
	nt_ledger_free(f->l);
	nt_kv_close(f->kv);
	open_kv(f);
	assert_int_equal(nt_ledger_open(f->kv, &f->g, &f->l, &why), NT_OK);
	assert_int_equal(nt_ledger_height(f->l), height);
	assert_memory_equal(nt_ledger_tip_hash(f->l), &tip, sizeof tip);
	assert_int_equal(nt_ledger_audit(f->l, NULL, NULL, &why), NT_OK);
	assert_int_equal(nt_ledger_flush(NULL, &why), NT_ERR_ARG);
	assert_false(nt_ledger_unsynced(NULL));
	fix_free(f);
}

/* The stored commit of height as bytes. */
static size_t stored_commit(fix *f, uint64_t height, uint8_t out[NT_COMMIT_MAX])
{
	nt_commit *c = malloc(sizeof *c);
	assert_non_null(c);
	assert_int_equal(nt_ledger_commit(f->l, height, c), NT_OK);
	size_t len = 0;
	assert_int_equal(nt_commit_encode(c, out, NT_COMMIT_MAX, &len), NT_OK);
	free(c);
	return len;
}

static void commit_hash(const nt_commit *c, nt_hash *out)
{
	uint8_t buf[NT_COMMIT_MAX];
	size_t len = 0;
	assert_int_equal(nt_commit_encode(c, buf, sizeof buf, &len), NT_OK);
	nt_sha256(buf, len, out);
}

static nt_receipt *receipt_of(fix *f, const nt_hash *id, char **json)
{
	nt_receipt *r = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_receipt(f->l, id, json), NT_OK);
	assert_int_equal(nt_receipt_parse(*json, strlen(*json), &r, &why), NT_OK);
	return r;
}

/* b (height tip+1) names lc; check_block and append both refuse it with
 * want / msg, and neither the tip nor any stored key (the commit of the tip
 * included) changes. */
static void expect_lc_rejected(fix *f, const nt_block *b, const nt_commit *c, const nt_commit *lc,
			       nt_err want, const char *msg)
{
	uint64_t tip = nt_ledger_height(f->l);
	uint8_t before[NT_COMMIT_MAX], after[NT_COMMIT_MAX];
	size_t bl = tip > 0 ? stored_commit(f, tip, before) : 0;
	size_t keys = count_keys(f->kv);
	nt_why why = {{0}};
	nt_err e = nt_ledger_check_block(f->l, b, lc, f->now, 30000, NULL, NULL, &why);
	if (e != want || strstr(why.msg, msg) == NULL)
		fail_msg("check_block: expected %s \"%s\", got %s \"%s\"", nt_strerror(want), msg,
			 nt_strerror(e), why.msg);
	memset(&why, 0, sizeof why);
	e = nt_ledger_append(f->l, b, c, lc, &why);
	if (e != want || strstr(why.msg, msg) == NULL)
		fail_msg("append: expected %s \"%s\", got %s \"%s\"", nt_strerror(want), msg,
			 nt_strerror(e), why.msg);
	assert_int_equal(nt_ledger_height(f->l), tip);
	assert_int_equal(count_keys(f->kv), keys);
	size_t al = tip > 0 ? stored_commit(f, tip, after) : 0;
	assert_int_equal(al, bl);
	assert_memory_equal(after, before, bl);
}

/* Honest validators store different commits for a height; the next block
 * names one, and append adopts it in place of ours. */
static void test_last_commit(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new(4, true);
	uint8_t recbuf[4][NT_RECORD_MAX];
	size_t lens[4];
	uint8_t digests[4][32];
	nt_commit *mine = malloc(sizeof *mine), *alt = malloc(sizeof *alt),
		  *lc = malloc(sizeof *lc), *c = malloc(sizeof *c);
	assert_non_null(mine), assert_non_null(alt), assert_non_null(lc), assert_non_null(c);
	nt_why why = {{0}};

	/* Height 1: a last commit is refused (there is none to name). */
	nt_block *b = next_block(f, 1, recbuf, lens, digests);
	sign_commit(f, b, 0xf, 0, c);
	expect_lc_rejected(f, b, c, c, NT_ERR_CHAIN, "height 1");
	assert_int_equal(nt_ledger_append(f->l, b, c, NULL, &why), NT_OK);
	remember(f, b, digests);
	nt_block_free(b);

	/* Height 2, stored with validators 0,1,2; validator 3 saw 1,2,3. */
	nt_block *b2 = next_block(f, 2, recbuf, lens, digests);
	sign_commit(f, b2, 0x7, 0, mine);
	sign_commit(f, b2, 0xe, 1, alt);
	assert_int_equal(nt_ledger_append(f->l, b2, mine, NULL, &why), NT_OK);
	remember(f, b2, digests);
	nt_hash id2 = b2->ids[1];
	char *json_before = NULL;
	nt_receipt *r_before = receipt_of(f, &id2, &json_before);

	/* Height 3 as validator 3 proposes it: it names alt. */
	nt_block *b3 = next_block(f, 1, recbuf + 2, lens + 2, digests + 2);
	commit_hash(alt, &b3->header.last_commit_hash);
	sign_commit(f, b3, 0xb, 0, c);
	/* Without the commit it names, our own commit does not match. */
	expect_lc_rejected(f, b3, c, NULL, NT_ERR_CHAIN, "last_commit_hash does not match");
	/* A valid commit of height 2, but not the one the header names. */
	expect_lc_rejected(f, b3, c, mine, NT_ERR_CHAIN, "does not hash to the header");
	/* Named by the header, but for another block of height 2... */
	nt_block *fork = next_block(f, 1, recbuf + 3, lens + 3, digests + 3);
	fork->header.height = 2;
	fork->header.time = b2->header.time + 1;
	sign_commit(f, fork, 0xf, 0, lc);
	nt_header keep = b3->header;
	commit_hash(lc, &b3->header.last_commit_hash);
	sign_commit(f, b3, 0xb, 0, c);
	expect_lc_rejected(f, b3, c, lc, NT_ERR_CHAIN, "another block");
	/* ... for another height (the block of height 1 itself) ... */
	assert_int_equal(nt_ledger_commit(f->l, 1, lc), NT_OK);
	commit_hash(lc, &b3->header.last_commit_hash);
	sign_commit(f, b3, 0xb, 0, c);
	expect_lc_rejected(f, b3, c, lc, NT_ERR_CHAIN, "for height 1");
	/* ... below the quorum (2 of 4) ... */
	sign_commit(f, b2, 0x6, 0, lc);
	commit_hash(lc, &b3->header.last_commit_hash);
	sign_commit(f, b3, 0xb, 0, c);
	expect_lc_rejected(f, b3, c, lc, NT_ERR_QUORUM, "last commit does not verify");
	/* ... or with a forged signature. */
	sign_commit(f, b2, 0xd, 0, lc);
	lc->sigs[2].sig.b[7] ^= 1;
	commit_hash(lc, &b3->header.last_commit_hash);
	sign_commit(f, b3, 0xb, 0, c);
	expect_lc_rejected(f, b3, c, lc, NT_ERR_SIGNATURE, "validator 3");
	b3->header = keep;
	sign_commit(f, b3, 0xb, 0, c);

	/* The named commit is accepted and replaces ours in the same batch. */
	if (nt_ledger_check_block(f->l, b3, alt, f->now, 30000, NULL, NULL, &why) != NT_OK)
		fail_msg("check_block with alt: %s", why.msg);
	if (nt_ledger_append(f->l, b3, c, alt, &why) != NT_OK)
		fail_msg("append with alt: %s", why.msg);
	remember(f, b3, digests + 2);
	assert_int_equal(nt_ledger_height(f->l), 3);
	uint8_t got[NT_COMMIT_MAX], want[NT_COMMIT_MAX];
	size_t gl = stored_commit(f, 2, got), wl = 0;
	assert_int_equal(nt_commit_encode(alt, want, sizeof want, &wl), NT_OK);
	assert_int_equal(gl, wl);
	assert_memory_equal(got, want, wl);

	/* Receipts of height 2 built before and after both verify. */
	char *json_after = NULL;
	nt_receipt *r_after = receipt_of(f, &id2, &json_after);
	assert_string_not_equal(json_before, json_after);
	assert_int_equal(nt_receipt_verify(r_before, &f->g, digests[1], 32, &why), NT_OK);
	assert_int_equal(nt_receipt_verify(r_after, &f->g, digests[1], 32, &why), NT_OK);
	free(r_before), free(r_after), free(json_before), free(json_after);

	/* The chain continues, and survives a reopen and an audit. A copy of
	 * our own commit as last commit is fine too (no replacement). */
	b = next_block(f, 1, recbuf, lens, digests);
	sign_commit(f, b, 0xf, 0, c);
	assert_int_equal(nt_ledger_commit(f->l, 3, lc), NT_OK);
	assert_int_equal(nt_ledger_check_block(f->l, b, lc, f->now, 30000, NULL, NULL, &why),
			 NT_OK);
	assert_int_equal(nt_ledger_append(f->l, b, c, lc, &why), NT_OK);
	remember(f, b, digests);
	nt_block_free(b);
	nt_ledger_free(f->l);
	nt_kv_close(f->kv);
	open_kv(f);
	assert_int_equal(nt_ledger_open(f->kv, &f->g, &f->l, &why), NT_OK);
	grow(f, 2);
	check_queries(f); /* every receipt verifies, audit passes */

	nt_block_free(b2), nt_block_free(b3), nt_block_free(fork);
	free(mine), free(alt), free(lc), free(c);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_append_rejects),
	    cmocka_unit_test(test_last_commit),
	    cmocka_unit_test(test_unsynced_append_flush),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
