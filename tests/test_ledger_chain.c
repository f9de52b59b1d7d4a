/* The ledger: chains built by solo block production (1 validator) and with
 * quorum commits (4), queried back and reopened, over the memory store and
 * LevelDB (tests/ledger_fix.h). */
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

static void test_solo_chain(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new(1, false);
	grow(f, 0); /* heartbeat blocks may be empty */
	for (int i = 0; i < 5; i++)
		grow(f, (uint32_t)(1 + tu_rand() % 7));
	grow(f, 1);
	check_queries(f);
	fix_free(f);
}

static void progress_fn(void *arg, uint64_t height, uint64_t tip)
{
	uint64_t *last = arg;
	assert_int_equal(height, *last + 1);
	assert_true(height <= tip);
	*last = height;
}

static void test_quorum_chain_reopen(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new(4, true);
	for (int i = 0; i < 6; i++)
		grow(f, (uint32_t)(tu_rand() % 9));
	check_queries(f);

	uint64_t height = nt_ledger_height(f->l);
	nt_hash tip = *nt_ledger_tip_hash(f->l);
	nt_merkle_log lg = *nt_ledger_log(f->l);
	nt_header th = *nt_ledger_tip(f->l);
	nt_ledger_free(f->l);
	nt_kv_close(f->kv);
	open_kv(f);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_open(f->kv, &f->g, &f->l, &why), NT_OK);
	assert_int_equal(nt_ledger_height(f->l), height);
	assert_memory_equal(nt_ledger_tip_hash(f->l), &tip, sizeof tip);
	assert_memory_equal(nt_ledger_tip(f->l), &th, sizeof th);
	nt_hash r1, r2;
	nt_merkle_log_root(&lg, &r1);
	nt_merkle_log_root(nt_ledger_log(f->l), &r2);
	assert_int_equal(nt_ledger_log(f->l)->size, lg.size);
	assert_memory_equal(&r1, &r2, sizeof r1);
	uint64_t last = 0;
	assert_int_equal(nt_ledger_audit(f->l, progress_fn, &last, &why), NT_OK);
	assert_int_equal(last, height);
	/* The chain continues after the restart (last_commit_hash restored). */
	grow(f, 3);
	check_queries(f);
	fix_free(f);
}

/* A notary-genesis/2 chain (FORMATS.md "Block header, version 2"): version 2
 * headers naming the genesis, a next set equal to the set, and blocks that
 * break either are refused; a version 1 store does not open under it. */
static void test_version_2_chain(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new(4, true);
	grow(f, 2); /* a version 1 chain first */
	nt_ledger_free(f->l);
	f->l = NULL;
	f->g.version = 2;
	assert_int_equal(nt_genesis_seal(&f->g), NT_OK);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_open(f->kv, &f->g, &f->l, &why), NT_ERR_CORRUPT);
	assert_non_null(strstr(why.msg, "different validator set"));
	fix_free(f);

	f = fix_new(4, true);
	nt_ledger_free(f->l);
	f->g.version = 2;
	assert_int_equal(nt_genesis_seal(&f->g), NT_OK);
	assert_int_equal(nt_ledger_open(f->kv, &f->g, &f->l, &why), NT_OK);
	for (int i = 0; i < 4; i++)
		grow(f, (uint32_t)(tu_rand() % 5));
	const nt_header *tip = nt_ledger_tip(f->l);
	assert_int_equal(tip->version, NT_HEADER_VERSION_2);
	assert_memory_equal(tip->genesis_hash.b, f->g.genesis_hash.b, NT_HASH_LEN);
	assert_memory_equal(tip->next_validators_hash.b, f->g.validators_hash.b, NT_HASH_LEN);
	check_queries(f);
	uint64_t last = 0;
	assert_int_equal(nt_ledger_audit(f->l, progress_fn, &last, &why), NT_OK);

	uint8_t recs[2][NT_RECORD_MAX];
	size_t lens[2];
	uint8_t digests[2][32];
	nt_block *b = next_block(f, 2, recs, lens, digests);
	assert_int_equal(nt_ledger_check_block(f->l, b, NULL, 0, 2000, NULL, NULL, &why), NT_OK);
	b->header.genesis_hash.b[0] ^= 1; /* another network's block */
	assert_int_equal(nt_ledger_check_block(f->l, b, NULL, 0, 2000, NULL, NULL, &why),
			 NT_ERR_CHAIN);
	assert_non_null(strstr(why.msg, "genesis_hash"));
	b->header.genesis_hash.b[0] ^= 1;
	b->header.next_validators_hash.b[3] ^= 1; /* a set change without its section */
	assert_int_equal(nt_ledger_check_block(f->l, b, NULL, 0, 2000, NULL, NULL, &why),
			 NT_ERR_CHAIN);
	assert_non_null(strstr(why.msg, "carries no new validator set"));
	b->header.next_validators_hash.b[3] ^= 1;
	b->header.version = NT_HEADER_VERSION; /* a version 1 block in a version 2 chain */
	assert_int_equal(nt_ledger_check_block(f->l, b, NULL, 0, 2000, NULL, NULL, &why),
			 NT_ERR_DECODE);
	nt_block_free(b);
	fix_free(f);
}

/* A version 1 chain cannot carry a version 2 (private) record: its
 * receipts could not hold it. */
static void test_v1_chain_refuses_v2_records(void **state)
{
	(void)state;
	fix *f = fix_new(1, false);
	uint8_t recs[2][NT_RECORD_MAX];
	size_t lens[2];
	uint8_t digests[2][32];
	const uint8_t *ptrs[2];
	for (int i = 0; i < 2; i++) {
		lens[i] = make_record(f, recs[i], digests[i], false);
		ptrs[i] = recs[i];
	}
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_record_allowed(f->l, recs[1], lens[1], &why), NT_OK);
	recs[1][0] = NT_RECORD_VERSION_2; /* the version byte is all the rule reads */
	assert_int_equal(nt_ledger_record_allowed(f->l, recs[1], lens[1], &why), NT_ERR_RANGE);
	assert_non_null(strstr(why.msg, "needs a version 2 chain"));
	nt_block *b = NULL;
	assert_int_equal(
	    nt_ledger_propose(f->l, ptrs, lens, 2, f->now + 1000, &f->g.vals.keys[0], &b), NT_OK);
	assert_int_equal(nt_ledger_check_block(f->l, b, NULL, 0, 2000, NULL, NULL, &why),
			 NT_ERR_RANGE);
	assert_non_null(strstr(why.msg, "record 1: "));
	nt_block_free(b);
	fix_free(f);
}

static void test_solo_rules(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new(1, false);
	grow(f, 1);
	nt_block *b = NULL;
	nt_commit *c = malloc(sizeof *c);
	assert_non_null(c);
	nt_why why = {{0}};
	/* A clock behind the tip still yields tip time + 1. */
	uint64_t tip_time = nt_ledger_tip(f->l)->time;
	assert_int_equal(
	    nt_solo_produce(f->l, f->vkeys[0], NULL, NULL, 0, tip_time - 5000, &b, c, &why), NT_OK);
	assert_int_equal(b->header.time, tip_time + 1);
	assert_int_equal(nt_ledger_append(f->l, b, c, NULL, &why), NT_OK);
	nt_block_free(b);
	b = NULL;

	/* Another key is not the validator. */
	nt_seckey *other = NULL;
	assert_int_equal(nt_seckey_generate(&other), NT_OK);
	assert_int_equal(nt_solo_produce(f->l, other, NULL, NULL, 0, f->now + 5000, &b, c, &why),
			 NT_ERR_ARG);
	assert_null(b);
	/* A record already in the ledger is refused before signing. */
	const uint8_t *ptrs[1] = {f->recs[0]};
	assert_int_equal(
	    nt_solo_produce(f->l, f->vkeys[0], ptrs, f->lens, 1, f->now + 5000, &b, c, &why),
	    NT_ERR_EXISTS);
	assert_null(b);
	nt_seckey_free(other);
	fix_free(f);

	/* A four-validator chain cannot be produced solo. */
	f = fix_new(4, false);
	assert_int_equal(nt_solo_produce(f->l, f->vkeys[0], NULL, NULL, 0, f->now, &b, c, &why),
			 NT_ERR_ARG);
	assert_non_null(strstr(why.msg, "exactly 1 validator"));
	free(c);
	fix_free(f);
}

/* The same digest notarized three times (different records) comes back in
 * ledger order, cut at cap. */
static void test_find_digest_order(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new(1, false);
	nt_record r;
	memset(&r, 0, sizeof r);
	r.version = 1;
	r.alg = NT_ALG_SHA3_256;
	r.digest_len = 32;
	memset(r.digest, 0xab, 32);
	nt_hash want[3];
	for (int i = 0; i < 3; i++) {
		grow(f, (uint32_t)(tu_rand() % 3));
		r.client_time = T0 + (uint64_t)i;
		assert_int_equal(nt_record_sign(&r, f->sub), NT_OK);
		uint8_t buf[NT_RECORD_MAX];
		size_t len = 0;
		assert_int_equal(nt_record_encode(&r, buf, sizeof buf, &len), NT_OK);
		nt_record_id(buf, len, &want[i]);
		const uint8_t *p[1] = {buf};
		nt_block *b = NULL;
		nt_commit c;
		nt_why why = {{0}};
		f->now += 1000;
		assert_int_equal(
		    nt_solo_produce(f->l, f->vkeys[0], p, &len, 1, f->now, &b, &c, &why), NT_OK);
		assert_int_equal(nt_ledger_append(f->l, b, &c, NULL, &why), NT_OK);
		nt_block_free(b);
	}
	nt_hash got[4];
	size_t n = 0;
	assert_int_equal(nt_ledger_find_digest(f->l, NT_ALG_SHA3_256, r.digest, 32, got, 4, &n),
			 NT_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(got, want, sizeof want);
	assert_int_equal(nt_ledger_find_digest(f->l, NT_ALG_SHA3_256, r.digest, 32, got, 2, &n),
			 NT_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(got, want, 2 * sizeof(nt_hash));
	/* Same bytes under another algorithm code: nothing. */
	assert_int_equal(nt_ledger_find_digest(f->l, NT_ALG_SHA256, r.digest, 32, got, 4, &n),
			 NT_OK);
	assert_int_equal(n, 0);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_audit(f->l, NULL, NULL, &why), NT_OK);
	fix_free(f);
}

/* A reader answers as of its own tip: a block appended after it was taken
 * is not found through it (header, block, commit, record, locate, receipt,
 * digest search), while a reader taken afterwards finds it; what lies
 * below its tip reads the same as through the ledger. */
static void test_reader_as_of_its_height(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new(1, false);
	grow(f, 2);
	grow(f, 3);
	nt_ledger_reader old;
	nt_ledger_reader_get(f->l, &old);
	assert_int_equal(old.height, 2);
	assert_memory_equal(&old.tip_hash, nt_ledger_tip_hash(f->l), sizeof old.tip_hash);
	assert_memory_equal(&old.tip, nt_ledger_tip(f->l), sizeof old.tip);
	assert_ptr_equal(old.genesis, nt_ledger_genesis(f->l));
	int first_new = f->nrec;
	grow(f, 2);
	nt_ledger_reader now;
	nt_ledger_reader_get(f->l, &now);
	assert_int_equal(now.height, 3);

	nt_header h;
	nt_commit *c = malloc(sizeof *c);
	assert_non_null(c);
	nt_block *b = NULL;
	uint8_t buf[NT_RECORD_MAX];
	size_t len = 0;
	assert_int_equal(nt_ledger_reader_header(&old, 3, &h), NT_ERR_NOT_FOUND);
	assert_int_equal(nt_ledger_reader_commit(&old, 3, c), NT_ERR_NOT_FOUND);
	assert_int_equal(nt_ledger_reader_block(&old, 3, &b), NT_ERR_NOT_FOUND);
	assert_int_equal(nt_ledger_reader_record(&old, 3, 0, buf, sizeof buf, &len),
			 NT_ERR_NOT_FOUND);
	assert_int_equal(nt_ledger_reader_header(&now, 3, &h), NT_OK);
	assert_int_equal(nt_ledger_reader_block(&now, 3, &b), NT_OK);
	nt_block_free(b);
	for (int k = first_new; k < f->nrec; k++) {
		uint64_t hh = 0;
		uint32_t ix = 0;
		char *rj = NULL;
		nt_hash got[2];
		size_t n = 9;
		assert_int_equal(nt_ledger_reader_locate(&old, &f->ids[k], &hh, &ix),
				 NT_ERR_NOT_FOUND);
		assert_int_equal(nt_ledger_reader_receipt(&old, &f->ids[k], &rj), NT_ERR_NOT_FOUND);
		assert_int_equal(nt_ledger_reader_find_digest(&old, NT_ALG_SHA256, f->digests[k],
							      32, got, 2, &n),
				 NT_OK);
		assert_int_equal(n, 0);
		assert_int_equal(nt_ledger_reader_locate(&now, &f->ids[k], &hh, &ix), NT_OK);
		assert_int_equal(hh, f->heights[k]);
		assert_int_equal(ix, f->idx[k]);
		assert_int_equal(nt_ledger_reader_find_digest(&now, NT_ALG_SHA256, f->digests[k],
							      32, got, 2, &n),
				 NT_OK);
		assert_int_equal(n, 1);
		assert_memory_equal(&got[0], &f->ids[k], sizeof got[0]);
	}
	/* Below its tip the old reader and the ledger agree byte for byte. */
	for (int k = 0; k < first_new; k++) {
		char *a = NULL, *l = NULL;
		assert_int_equal(nt_ledger_reader_receipt(&old, &f->ids[k], &a), NT_OK);
		assert_int_equal(nt_ledger_receipt(f->l, &f->ids[k], &l), NT_OK);
		assert_string_equal(a, l);
		free(a);
		free(l);
		assert_int_equal(
		    nt_ledger_reader_record(&old, f->heights[k], f->idx[k], buf, sizeof buf, &len),
		    NT_OK);
		assert_int_equal(len, f->lens[k]);
		assert_memory_equal(buf, f->recs[k], len);
	}
	free(c);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_solo_chain),
	    cmocka_unit_test(test_quorum_chain_reopen),
	    cmocka_unit_test(test_version_2_chain),
	    cmocka_unit_test(test_v1_chain_refuses_v2_records),
	    cmocka_unit_test(test_solo_rules),
	    cmocka_unit_test(test_find_digest_order),
	    cmocka_unit_test(test_reader_as_of_its_height),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
