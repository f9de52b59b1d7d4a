/* The ledger's block checks: what nt_ledger_check_block refuses, and a
 * record whose signature is bad (tests/ledger_fix.h). */
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

static bool yes(void *arg, const nt_hash *id)
{
	(void)id;
	(*(int *)arg)++;
	return true;
}

static void expect_reject(fix *f, const nt_block *b, uint64_t now, nt_err want, const char *msg)
{
	nt_why why = {{0}};
	nt_err e = nt_ledger_check_block(f->l, b, NULL, now, 30000, NULL, NULL, &why);
	if (e != want || strstr(why.msg, msg) == NULL)
		fail_msg("expected %s \"%s\", got %s \"%s\"", nt_strerror(want), msg,
			 nt_strerror(e), why.msg);
}

static nt_block *propose_raw(fix *f, const uint8_t *const *ptrs, const size_t *lens, uint32_t n,
			     uint64_t time)
{
	nt_block *b = NULL;
	nt_pubkey prop = f->g.vals.keys[0];
	assert_int_equal(nt_ledger_propose(f->l, ptrs, lens, n, time, &prop, &b), NT_OK);
	return b;
}

static void test_check_block_rejects(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new(4, false);
	grow(f, 3);
	grow(f, 2);
	uint8_t recbuf[4][NT_RECORD_MAX];
	size_t lens[4];
	uint8_t digests[4][32];
	nt_block *good = next_block(f, 3, recbuf, lens, digests);
	uint64_t now = f->now;
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_check_block(f->l, good, NULL, now, 30000, NULL, NULL, &why),
			 NT_OK);

	/* Header fields, one at a time on a fresh copy. */
	nt_header keep = good->header;
	good->header.height = 4;
	expect_reject(f, good, now, NT_ERR_CHAIN, "block height 4, expected 3");
	good->header = keep;
	good->header.prev_hash.b[5] ^= 1;
	expect_reject(f, good, now, NT_ERR_CHAIN, "prev_hash does not match the tip");
	good->header = keep;
	good->header.last_commit_hash.b[0] ^= 1;
	expect_reject(f, good, now, NT_ERR_CHAIN, "last_commit_hash");
	good->header = keep;
	good->header.validators_hash.b[31] ^= 1;
	expect_reject(f, good, now, NT_ERR_CHAIN, "validators_hash");
	good->header = keep;
	strcpy(good->header.chain_id, "other-net");
	expect_reject(f, good, now, NT_ERR_CHAIN, "chain other-net");
	good->header = keep;
	good->header.time = nt_ledger_tip(f->l)->time;
	expect_reject(f, good, now, NT_ERR_CHAIN, "block time not after the previous block");
	good->header = keep;
	good->header.time = now + 40000;
	expect_reject(f, good, now, NT_ERR_CHAIN, "block time 40000 ms ahead of the local clock");
	/* now == 0 skips the clock bound (block building rules still hold). */
	assert_int_equal(nt_ledger_check_block(f->l, good, NULL, 0, 30000, NULL, NULL, &why),
			 NT_OK);
	good->header = keep;
	good->header.records_root.b[3] ^= 1;
	expect_reject(f, good, now, NT_ERR_MISMATCH, "records_root mismatch");
	good->header = keep;
	good->header.log_root.b[3] ^= 1;
	expect_reject(f, good, now, NT_ERR_MISMATCH, "log_root mismatch");
	good->header = keep;
	good->header.log_size++;
	expect_reject(f, good, now, NT_ERR_MISMATCH, "log_size");
	good->header = keep;
	good->header.record_count = 2;
	expect_reject(f, good, now, NT_ERR_MISMATCH, "record_count 2");
	good->header = keep;
	nt_seckey *stranger = NULL;
	assert_int_equal(nt_seckey_generate(&stranger), NT_OK);
	nt_seckey_pubkey(stranger, &good->header.proposer);
	expect_reject(f, good, now, NT_ERR_CHAIN, "proposer is not a validator");
	good->header = keep;
	/* Record bytes changed after the block was built. */
	good->recs[1][5] ^= 1;
	expect_reject(f, good, now, NT_ERR_MISMATCH, "record 1 id does not match its bytes");
	good->recs[1][5] ^= 1;
	assert_int_equal(nt_ledger_check_block(f->l, good, NULL, now, 30000, NULL, NULL, &why),
			 NT_OK);
	nt_block_free(good);

	/* A bad signature, in an otherwise well-built block. */
	uint64_t t = f->now + 1000;
	const uint8_t *ptrs[3] = {recbuf[0], recbuf[1], recbuf[2]};
	recbuf[2][lens[2] - 1] ^= 0x40;
	nt_block *b = propose_raw(f, ptrs, lens, 3, t);
	expect_reject(f, b, t, NT_ERR_SIGNATURE, "record 2 signature invalid");
	int asked = 0;
	assert_int_equal(nt_ledger_check_block(f->l, b, NULL, t, 30000, yes, &asked, &why), NT_OK);
	assert_int_equal(asked, 3); /* known-valid records skip verification */
	nt_block_free(b);
	recbuf[2][lens[2] - 1] ^= 0x40;

	/* A record twice in one block. */
	const uint8_t *dup[3] = {recbuf[0], recbuf[1], recbuf[0]};
	size_t duplens[3] = {lens[0], lens[1], lens[0]};
	b = propose_raw(f, dup, duplens, 3, t);
	expect_reject(f, b, t, NT_ERR_EXISTS, "record repeated in block");
	nt_block_free(b);

	/* A record already in the ledger (the second of height 1). */
	const uint8_t *old[2] = {recbuf[0], f->recs[1]};
	size_t oldlens[2] = {lens[0], f->lens[1]};
	b = propose_raw(f, old, oldlens, 2, t);
	expect_reject(f, b, t, NT_ERR_EXISTS, "record 1 is already in the ledger (height 1)");
	nt_block_free(b);

	/* Bytes that are no record. */
	uint8_t junk[40];
	memset(junk, 7, sizeof junk);
	const uint8_t *jp[1] = {junk};
	size_t jl[1] = {sizeof junk};
	b = propose_raw(f, jp, jl, 1, t);
	expect_reject(f, b, t, NT_ERR_DECODE, "record 0 does not decode");
	nt_block_free(b);

	/* propose itself refuses a time not after the tip, and bad arguments. */
	nt_pubkey prop = f->g.vals.keys[0];
	b = NULL;
	assert_int_equal(
	    nt_ledger_propose(f->l, ptrs, lens, 3, nt_ledger_tip(f->l)->time, &prop, &b),
	    NT_ERR_CHAIN);
	assert_int_equal(nt_ledger_propose(f->l, NULL, lens, 3, t, &prop, &b), NT_ERR_ARG);
	assert_null(b);
	assert_int_equal(nt_ledger_check_block(f->l, NULL, NULL, t, 0, NULL, NULL, &why),
			 NT_ERR_ARG);
	nt_seckey_free(stranger);
	fix_free(f);
}

/* A record whose signature is bad is refused unless known_valid vouches
 * for it: the only way catch-up skips the check. */
static void test_bad_record_sig_needs_known_valid(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new(4, false);
	grow(f, 2);
	uint8_t recbuf[3][NT_RECORD_MAX];
	size_t lens[3];
	uint8_t digests[3][32];
	const uint8_t *ptrs[3];
	for (int i = 0; i < 3; i++) {
		lens[i] = make_record(f, recbuf[i], digests[i], i == 1);
		ptrs[i] = recbuf[i];
	}
	recbuf[1][lens[1] - 1] ^= 0x01; /* the signature is last: still decodes */
	f->now += 1000;
	nt_block *b = propose_raw(f, ptrs, lens, 3, f->now);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_check_block(f->l, b, NULL, 0, 0, NULL, NULL, &why),
			 NT_ERR_SIGNATURE);
	assert_non_null(strstr(why.msg, "record 1 signature invalid"));
	int asked = 0;
	assert_int_equal(nt_ledger_check_block(f->l, b, NULL, 0, 0, yes, &asked, &why), NT_OK);
	assert_int_equal(asked, 3);
	/* known_valid is not even asked when the records do not match the
	 * header: the structure is checked first */
	b->header.records_root.b[0] ^= 1;
	asked = 0;
	assert_int_equal(nt_ledger_check_block(f->l, b, NULL, 0, 0, yes, &asked, &why),
			 NT_ERR_MISMATCH);
	assert_int_equal(asked, 0);
	nt_block_free(b);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_block_rejects),
	    cmocka_unit_test(test_bad_record_sig_needs_known_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
