/* The ledger's audit and open: edits of the raw store are detected
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

/* Raw store edits for the audit tests. */
static void raw_put(nt_kv *kv, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	nt_kv_batch *b = NULL;
	assert_int_equal(nt_kv_batch_new(&b), NT_OK);
	if (v != NULL)
		assert_int_equal(nt_kv_batch_put(b, k, kl, v, vl), NT_OK);
	else
		assert_int_equal(nt_kv_batch_del(b, k, kl), NT_OK);
	assert_int_equal(nt_kv_write(kv, b, false, NULL), NT_OK);
	nt_kv_batch_free(b);
}

static void key_u64(uint8_t k[9], char tag, uint64_t v)
{
	k[0] = (uint8_t)tag;
	for (int i = 0; i < 8; i++)
		k[1 + i] = (uint8_t)(v >> (56 - 8 * i));
}

/* Applies an edit (value NULL = delete), expects audit to fail naming
 * `msg`, then restores the old value and expects audit to pass. */
static void audit_case(fix *f, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
		       const char *msg)
{
	uint8_t *old = NULL;
	size_t ol = 0;
	nt_err had = nt_kv_get(f->kv, k, kl, &old, &ol);
	raw_put(f->kv, k, kl, v, vl);
	nt_why why = {{0}};
	nt_err e = nt_ledger_audit(f->l, NULL, NULL, &why);
	if (e != NT_ERR_CORRUPT || strstr(why.msg, msg) == NULL)
		fail_msg("audit: expected \"%s\", got %s \"%s\"", msg, nt_strerror(e), why.msg);
	raw_put(f->kv, k, kl, had == NT_OK ? old : NULL, ol);
	free(old);
	memset(&why, 0, sizeof why);
	if (nt_ledger_audit(f->l, NULL, NULL, &why) != NT_OK)
		fail_msg("audit after restore: %s", why.msg);
}

static void test_audit_detects(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new(4, false);
	for (int i = 0; i < 5; i++)
		grow(f, 1 + (uint32_t)(tu_rand() % 4));
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_audit(f->l, NULL, NULL, &why), NT_OK);

	/* A record of height 3 with one bit flipped. */
	int k3 = 0;
	while (f->heights[k3] != 3)
		k3++;
	uint8_t rk[13];
	rk[0] = 'r';
	key_u64(rk, 'r', 3);
	memset(rk + 9, 0, 4);
	uint8_t bad[NT_RECORD_MAX];
	memcpy(bad, f->recs[k3], f->lens[k3]);
	bad[f->lens[k3] - 3] ^= 1;
	audit_case(f, rk, 13, bad, f->lens[k3],
		   "height 3: records_root does not match its records");
	/* The record deleted. */
	audit_case(f, rk, 13, NULL, 0, "height 3: ");

	/* A header with a changed time: its successor no longer links. */
	uint8_t hk[9];
	key_u64(hk, 'h', 2);
	nt_header h;
	assert_int_equal(nt_ledger_header(f->l, 2, &h), NT_OK);
	h.time++;
	uint8_t hb[NT_HEADER_MAX];
	size_t hl = 0;
	assert_int_equal(nt_header_encode(&h, hb, sizeof hb, &hl), NT_OK);
	audit_case(f, hk, 9, hb, hl, "height 2: commit is for another block");
	audit_case(f, hk, 9, hb, hl - 1, "height 2: header does not decode");
	audit_case(f, hk, 9, NULL, 0, "height 2: header missing");

	/* Commit deleted. */
	uint8_t ck[9];
	key_u64(ck, 'c', 4);
	audit_case(f, ck, 9, NULL, 0, "height 4: commit missing");

	/* Index entry pointing elsewhere, and missing. */
	uint8_t ik[33];
	ik[0] = 'i';
	memcpy(ik + 1, f->ids[k3].b, 32);
	uint8_t loc[12] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
	audit_case(f, ik, 33, loc, 12, "height 3: index entry of record 0 is wrong");
	audit_case(f, ik, 33, NULL, 0, "height 3: index entry of record 0 is missing");

	/* Log entry and digest entry deleted. */
	uint8_t lk[9];
	key_u64(lk, 'l', (uint64_t)k3);
	audit_case(f, lk, 9, NULL, 0, "height 3: log entry");
	uint8_t dk[3 + 32 + 32];
	dk[0] = 'd';
	dk[1] = NT_ALG_SHA256;
	dk[2] = 32;
	memcpy(dk + 3, f->digests[k3], 32);
	memcpy(dk + 35, f->ids[k3].b, 32);
	audit_case(f, dk, sizeof dk, NULL, 0,
		   "height 3: digest index entry of record 0 is missing");

	/* Stray entries no block accounts for. */
	uint8_t stray[33];
	stray[0] = 'i';
	memset(stray + 1, 0x77, 32);
	audit_case(f, stray, 33, loc, 12, "index entries");
	uint8_t beyond[9];
	key_u64(beyond, 'h', 9);
	audit_case(f, beyond, 9, hb, hl, "height 9: header stored beyond the tip");
	key_u64(beyond, 'l', 1000);
	audit_case(f, beyond, 9, f->ids[0].b, 32, "log entry 1000 lies beyond");

	/* The tip record. */
	audit_case(f, (const uint8_t *)"T", 1, (const uint8_t *)"x", 1,
		   "tip record does not decode");
	fix_free(f);
}

static void test_open_rejects(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new(1, true);
	grow(f, 2);
	grow(f, 1);
	nt_ledger *l2 = (nt_ledger *)0x1;
	nt_why why = {{0}};
	nt_genesis g = f->g;
	strcpy(g.chain_id, "other-chain");
	assert_int_equal(nt_ledger_open(f->kv, &g, &l2, &why), NT_ERR_CORRUPT);
	assert_non_null(strstr(why.msg, "store belongs to chain test-net.1"));
	assert_ptr_equal(l2, (nt_ledger *)0x1);

	g = f->g;
	g.vals.keys[0].b[0] ^= 1;
	assert_int_equal(nt_ledger_open(f->kv, &g, &l2, &why), NT_ERR_CORRUPT);
	assert_non_null(strstr(why.msg, "different validator set"));

	/* Tip damaged in several ways. */
	uint8_t *tip = NULL;
	size_t tl = 0;
	assert_int_equal(nt_kv_get(f->kv, "T", 1, &tip, &tl), NT_OK);
	raw_put(f->kv, (const uint8_t *)"T", 1, tip, tl - 1);
	assert_int_equal(nt_ledger_open(f->kv, &f->g, &l2, &why), NT_ERR_CORRUPT);
	tip[8] ^= 1; /* tip hash */
	raw_put(f->kv, (const uint8_t *)"T", 1, tip, tl);
	assert_int_equal(nt_ledger_open(f->kv, &f->g, &l2, &why), NT_ERR_CORRUPT);
	assert_non_null(strstr(why.msg, "does not match the header"));
	raw_put(f->kv, (const uint8_t *)"T", 1, NULL, 0);
	assert_int_equal(nt_ledger_open(f->kv, &f->g, &l2, &why), NT_ERR_CORRUPT);
	assert_non_null(strstr(why.msg, "no tip"));
	tip[8] ^= 1;
	raw_put(f->kv, (const uint8_t *)"T", 1, tip, tl);
	free(tip);
	assert_int_equal(nt_ledger_open(f->kv, &f->g, &l2, &why), NT_OK);
	assert_int_equal(nt_ledger_height(l2), 2);
	nt_ledger_free(l2);
	nt_ledger_free(NULL);
	assert_int_equal(nt_ledger_open(NULL, &f->g, &l2, &why), NT_ERR_ARG);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_audit_detects),
	    cmocka_unit_test(test_open_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
