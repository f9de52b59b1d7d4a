/* All receipts of a block at once (nt_ledger_block_receipts) against the
 * one-at-a-time path (from the stored tree levels, or from the whole block
 * when they are missing), and the level-array Merkle tree behind both. */
#include "tests/testutil.h"

#include "core/ledger.h"
#include "core/receipt.h"
#include "core/record.h"
#include "tests/solo.h"
#include "crypto/digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1790000000000ULL

/* ---- the tree ---- */

static void random_hashes(nt_hash *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < NT_HASH_LEN; j++)
			h[i].b[j] = (uint8_t)tu_rand();
}

/* Every size up to 130 and every index: the same root and proof as the
 * recursive RFC 9162 code, and the proof verifies. */
static void test_tree_matches_rfc(void **state)
{
	(void)state;
	enum { MAXN = 130 };
	nt_hash leaves[MAXN];
	random_hashes(leaves, MAXN);
	for (uint64_t n = 1; n <= MAXN; n++) {
		nt_merkle_tree t;
		assert_int_equal(nt_merkle_tree_build(leaves, n, &t), NT_OK);
		nt_hash r1, r2;
		nt_merkle_root(leaves, n, &r1);
		nt_merkle_tree_root(&t, &r2);
		assert_memory_equal(r1.b, r2.b, NT_HASH_LEN);
		for (uint64_t i = 0; i < n; i++) {
			nt_hash p1[NT_MERKLE_PROOF_MAX], p2[NT_MERKLE_PROOF_MAX];
			size_t l1 = 0, l2 = 0;
			assert_int_equal(nt_merkle_inclusion_proof(leaves, n, i, p1, &l1), NT_OK);
			assert_int_equal(nt_merkle_tree_proof(&t, i, p2, &l2), NT_OK);
			assert_int_equal(l1, l2);
			assert_memory_equal(p1, p2, l1 * sizeof p1[0]);
			assert_int_equal(
			    nt_merkle_inclusion_verify(&leaves[i], i, n, p2, l2, &r2, NULL), NT_OK);
		}
		nt_merkle_tree_free(&t);
	}
}

static void test_tree_bad_input(void **state)
{
	(void)state;
	nt_hash leaves[3];
	random_hashes(leaves, 3);
	nt_merkle_tree t;
	assert_int_equal(nt_merkle_tree_build(leaves, 0, &t), NT_ERR_ARG);
	assert_int_equal(nt_merkle_tree_build(NULL, 3, &t), NT_ERR_ARG);
	assert_int_equal(nt_merkle_tree_build(leaves, 3, NULL), NT_ERR_ARG);
	assert_int_equal(nt_merkle_tree_build(leaves, 3, &t), NT_OK);
	nt_hash p[NT_MERKLE_PROOF_MAX];
	size_t pl = 99;
	assert_int_equal(nt_merkle_tree_proof(&t, 3, p, &pl), NT_ERR_ARG);
	assert_int_equal(pl, 99);
	assert_int_equal(nt_merkle_tree_proof(&t, 0, NULL, &pl), NT_ERR_ARG);
	/* a changed leaf does not verify against the tree's root */
	assert_int_equal(nt_merkle_tree_proof(&t, 1, p, &pl), NT_OK);
	nt_hash root, bad = leaves[1];
	nt_merkle_tree_root(&t, &root);
	bad.b[0] ^= 1;
	assert_int_not_equal(nt_merkle_inclusion_verify(&bad, 1, 3, p, pl, &root, NULL), NT_OK);
	nt_merkle_tree_free(&t);
	nt_merkle_tree_free(&t); /* idempotent */
	nt_merkle_tree_free(NULL);
}

/* ---- a one-validator ledger ---- */

typedef struct {
	nt_kv *kv;
	nt_genesis g;
	nt_seckey *vkey, *sub;
	nt_ledger *l;
	uint64_t now;
} fix;

static fix *fix_new(void)
{
	fix *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->now = T0;
	strcpy(f->g.chain_id, "batch-net.1");
	f->g.genesis_time = T0 - 1000;
	f->g.vals.n = 1;
	assert_int_equal(nt_seckey_generate(&f->vkey), NT_OK);
	nt_seckey_pubkey(f->vkey, &f->g.vals.keys[0]);
	strcpy(f->g.vals.names[0], "Office A");
	nt_valset_hash(&f->g.vals, &f->g.validators_hash);
	assert_int_equal(nt_seckey_generate(&f->sub), NT_OK);
	assert_int_equal(nt_kv_mem_new(&f->kv), NT_OK);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_open(f->kv, &f->g, &f->l, &why), NT_OK);
	return f;
}

static void fix_free(fix *f)
{
	nt_ledger_free(f->l);
	nt_kv_close(f->kv);
	nt_seckey_free(f->vkey);
	nt_seckey_free(f->sub);
	free(f);
}

/* Appends a block of n fresh records; ids (n entries) receives their ids. */
static void grow(fix *f, uint32_t n, nt_hash *ids)
{
	uint8_t **recs = calloc(n, sizeof *recs);
	size_t *lens = calloc(n, sizeof *lens);
	nt_record *r = calloc(1, sizeof *r);
	assert_true(recs != NULL && lens != NULL && r != NULL);
	for (uint32_t i = 0; i < n; i++) {
		memset(r, 0, sizeof *r);
		r->version = NT_RECORD_VERSION;
		r->alg = NT_ALG_SHA256;
		r->digest_len = 32;
		uint64_t file[2] = {tu_rand(), i};
		size_t dl = 0;
		assert_int_equal(nt_digest_buf(NT_ALG_SHA256, file, sizeof file, r->digest, &dl),
				 NT_OK);
		r->size = sizeof file;
		r->client_time = f->now + i;
		if (i % 2 == 0) {
			snprintf(r->meta, sizeof r->meta, "{\"case\":\"C-%u\"}", i);
			r->meta_len = (uint16_t)strlen(r->meta);
		}
		assert_int_equal(nt_record_sign(r, f->sub), NT_OK);
		recs[i] = malloc(NT_RECORD_MAX);
		assert_non_null(recs[i]);
		assert_int_equal(nt_record_encode(r, recs[i], NT_RECORD_MAX, &lens[i]), NT_OK);
	}
	f->now += 1000;
	nt_block *b = NULL;
	nt_commit *c = malloc(sizeof *c);
	assert_non_null(c);
	nt_why why = {{0}};
	if (nt_solo_produce(f->l, f->vkey, (const uint8_t *const *)recs, lens, n, f->now, &b, c,
			    &why) != NT_OK)
		fail_msg("solo_produce: %s", why.msg);
	if (nt_ledger_append(f->l, b, c, NULL, &why) != NT_OK)
		fail_msg("append: %s", why.msg);
	memcpy(ids, b->ids, n * sizeof *ids);
	nt_block_free(b);
	free(c);
	for (uint32_t i = 0; i < n; i++)
		free(recs[i]);
	free(recs);
	free(lens);
	free(r);
}

/* Every receipt of block `height` (n records with these ids) from the
 * batch equals nt_ledger_receipt's byte for byte and verifies. */
static void check_block(fix *f, uint64_t height, const nt_hash *ids, uint32_t n)
{
	nt_block_receipts *br = NULL;
	assert_int_equal(nt_ledger_block_receipts(f->l, height, &br), NT_OK);
	assert_int_equal(nt_block_receipts_count(br), n);
	for (uint32_t i = 0; i < n; i++) {
		char *one = NULL, *batch = NULL, *by_index = NULL;
		assert_int_equal(nt_ledger_receipt(f->l, &ids[i], &one), NT_OK);
		assert_int_equal(nt_block_receipts_get(br, &ids[i], &batch), NT_OK);
		assert_int_equal(nt_block_receipts_get_index(br, i, &by_index), NT_OK);
		assert_string_equal(one, batch);
		assert_string_equal(one, by_index);
		nt_receipt *rc = NULL;
		nt_why why = {{0}};
		assert_int_equal(nt_receipt_parse(batch, strlen(batch), &rc, &why), NT_OK);
		assert_int_equal(rc->height, height);
		assert_int_equal(rc->leaf_index, i);
		assert_memory_equal(rc->record_id.b, ids[i].b, NT_HASH_LEN);
		if (nt_receipt_verify(rc, &f->g, NULL, 0, &why) != NT_OK)
			fail_msg("receipt %u of height %llu: %s", i, (unsigned long long)height,
				 why.msg);
		/* the same receipt moved to another leaf does not verify */
		if (n > 1) {
			rc->leaf_index = (i + 1) % n;
			assert_int_not_equal(nt_receipt_verify(rc, &f->g, NULL, 0, NULL), NT_OK);
		}
		free(rc);
		free(one);
		free(batch);
		free(by_index);
	}
	/* bad input: an id of another block, an index past the end */
	nt_hash other;
	random_hashes(&other, 1);
	char *json = NULL;
	assert_int_equal(nt_block_receipts_get(br, &other, &json), NT_ERR_NOT_FOUND);
	assert_int_equal(nt_block_receipts_get_index(br, n, &json), NT_ERR_RANGE);
	assert_null(json);
	assert_int_equal(nt_block_receipts_get(br, NULL, &json), NT_ERR_ARG);
	assert_int_equal(nt_block_receipts_get(br, &ids[0], NULL), NT_ERR_ARG);
	nt_block_receipts_free(br);
}

static void test_batch_equals_single(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new();
	static const uint32_t sizes[] = {1, 2, 3, 7, 8, 9, 1000};
	enum { NS = sizeof sizes / sizeof sizes[0] };
	nt_hash *ids[NS];
	for (size_t s = 0; s < NS; s++) {
		ids[s] = malloc(sizes[s] * sizeof *ids[s]);
		assert_non_null(ids[s]);
		grow(f, sizes[s], ids[s]);
	}
	/* after all appends, so later blocks cannot disturb earlier receipts */
	for (size_t s = 0; s < NS; s++)
		check_block(f, s + 1, ids[s], sizes[s]);
	/* heights outside the ledger */
	nt_block_receipts *br = NULL;
	assert_int_equal(nt_ledger_block_receipts(f->l, 0, &br), NT_ERR_NOT_FOUND);
	assert_int_equal(nt_ledger_block_receipts(f->l, NS + 1, &br), NT_ERR_NOT_FOUND);
	assert_int_equal(nt_ledger_block_receipts(NULL, 1, &br), NT_ERR_ARG);
	assert_int_equal(nt_ledger_block_receipts(f->l, 1, NULL), NT_ERR_ARG);
	assert_null(br);
	assert_int_equal(nt_block_receipts_count(NULL), 0);
	nt_block_receipts_free(NULL);
	for (size_t s = 0; s < NS; s++)
		free(ids[s]);
	fix_free(f);
}

/* A stored record changed under the block: its id no longer leads to the
 * header's records_root, so neither path hands out a receipt that cannot
 * verify. */
static void test_corrupt_block(void **state)
{
	(void)state;
	fix *f = fix_new();
	nt_hash ids[3];
	grow(f, 3, ids);
	uint8_t k[13] = {'r', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2};
	uint8_t *v = NULL;
	size_t vl = 0;
	assert_int_equal(nt_kv_get(f->kv, k, sizeof k, &v, &vl), NT_OK);
	v[vl - 1] ^= 1; /* a signature byte: still decodes, another id */
	nt_kv_batch *kb = NULL;
	assert_int_equal(nt_kv_batch_new(&kb), NT_OK);
	assert_int_equal(nt_kv_batch_put(kb, k, sizeof k, v, vl), NT_OK);
	assert_int_equal(nt_kv_write(f->kv, kb, false, NULL), NT_OK);
	nt_kv_batch_free(kb);
	free(v);
	nt_block_receipts *br = NULL;
	assert_int_equal(nt_ledger_block_receipts(f->l, 1, &br), NT_ERR_CORRUPT);
	assert_null(br);
	char *json = NULL;
	assert_int_equal(nt_ledger_receipt(f->l, &ids[2], &json), NT_ERR_CORRUPT);
	assert_null(json);
	/* record 0 is intact and its proof comes from the stored levels: its
	 * receipt still verifies, so it is still served */
	assert_int_equal(nt_ledger_receipt(f->l, &ids[0], &json), NT_OK);
	nt_receipt *rc = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_receipt_parse(json, strlen(json), &rc, &why), NT_OK);
	assert_int_equal(nt_receipt_verify(rc, &f->g, NULL, 0, &why), NT_OK);
	free(rc);
	free(json);
	fix_free(f);
}

static void raw_put(nt_kv *kv, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	nt_kv_batch *kb = NULL;
	assert_int_equal(nt_kv_batch_new(&kb), NT_OK);
	if (v != NULL)
		assert_int_equal(nt_kv_batch_put(kb, k, kl, v, vl), NT_OK);
	else
		assert_int_equal(nt_kv_batch_del(kb, k, kl), NT_OK);
	assert_int_equal(nt_kv_write(kv, kb, false, NULL), NT_OK);
	nt_kv_batch_free(kb);
}

/* Receipts come from the block's stored tree levels ('m' height): without
 * them (a store written before they were kept) the same bytes come from
 * the whole block; damaged levels give no receipt; and the audit checks
 * them. */
static void test_stored_levels(void **state)
{
	(void)state;
	tu_seed();
	fix *f = fix_new();
	nt_hash ids[9];
	grow(f, 9, ids);
	uint8_t k[9] = {'m', 0, 0, 0, 0, 0, 0, 0, 1};
	uint8_t *lv = NULL;
	size_t lvl = 0;
	assert_int_equal(nt_kv_get(f->kv, k, sizeof k, &lv, &lvl), NT_OK);
	/* 9 leaves: levels of 9, 5, 3, 2, 1 nodes */
	assert_int_equal(lvl, 20 * sizeof(nt_hash));
	assert_memory_equal(lv, ids, sizeof ids);
	char *with[9];
	for (int i = 0; i < 9; i++)
		assert_int_equal(nt_ledger_receipt(f->l, &ids[i], &with[i]), NT_OK);

	raw_put(f->kv, k, sizeof k, NULL, 0);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_audit(f->l, NULL, NULL, &why), NT_OK);
	for (int i = 0; i < 9; i++) {
		char *without = NULL;
		assert_int_equal(nt_ledger_receipt(f->l, &ids[i], &without), NT_OK);
		assert_string_equal(with[i], without);
		free(without);
	}

	/* a proof node changed, the root changed, a level cut short */
	uint8_t *bad = malloc(lvl);
	assert_non_null(bad);
	size_t spots[3] = {9 * 32 + 5, lvl - 1, 0};
	for (int c = 0; c < 3; c++) {
		memcpy(bad, lv, lvl);
		size_t bl = lvl;
		if (c == 2)
			bl -= 32;
		else
			bad[spots[c]] ^= 1;
		raw_put(f->kv, k, sizeof k, bad, bl);
		int corrupt = 0;
		for (int i = 0; i < 9; i++) {
			char *json = NULL;
			nt_err e = nt_ledger_receipt(f->l, &ids[i], &json);
			if (e == NT_OK) {
				/* untouched by the damage: still the right receipt */
				assert_string_equal(json, with[i]);
				free(json);
			} else {
				assert_int_equal(e, NT_ERR_CORRUPT);
				assert_null(json);
				corrupt++;
			}
		}
		/* level 1 node 0 (records 0 and 1) is in the proofs of
		 * records 2 and 3 only; root or size: in every receipt */
		assert_int_equal(corrupt, c == 0 ? 2 : 9);
		memset(&why, 0, sizeof why);
		assert_int_equal(nt_ledger_audit(f->l, NULL, NULL, &why), NT_ERR_CORRUPT);
		assert_non_null(strstr(why.msg, "height 1: stored records tree does not match"));
	}
	raw_put(f->kv, k, sizeof k, lv, lvl);
	memset(&why, 0, sizeof why);
	assert_int_equal(nt_ledger_audit(f->l, NULL, NULL, &why), NT_OK);
	/* levels stored beyond the tip */
	k[8] = 7;
	raw_put(f->kv, k, sizeof k, lv, lvl);
	assert_int_equal(nt_ledger_audit(f->l, NULL, NULL, &why), NT_ERR_CORRUPT);
	assert_non_null(strstr(why.msg, "records tree stored beyond the tip"));
	free(bad);
	free(lv);
	for (int i = 0; i < 9; i++)
		free(with[i]);
	fix_free(f);
}

/* nt_ledger_record: one record by position (what find answers from). */
static void test_record_by_position(void **state)
{
	(void)state;
	fix *f = fix_new();
	nt_hash ids[4];
	grow(f, 4, ids);
	uint8_t buf[NT_RECORD_MAX];
	size_t len = 0;
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(nt_ledger_record(f->l, 1, i, buf, sizeof buf, &len), NT_OK);
		nt_hash id;
		nt_record_id(buf, len, &id);
		assert_memory_equal(id.b, ids[i].b, NT_HASH_LEN);
	}
	assert_int_equal(nt_ledger_record(f->l, 1, 4, buf, sizeof buf, &len), NT_ERR_NOT_FOUND);
	assert_int_equal(nt_ledger_record(f->l, 0, 0, buf, sizeof buf, &len), NT_ERR_NOT_FOUND);
	assert_int_equal(nt_ledger_record(f->l, 2, 0, buf, sizeof buf, &len), NT_ERR_NOT_FOUND);
	assert_int_equal(nt_ledger_record(f->l, 1, 0, buf, 10, &len), NT_ERR_RANGE);
	assert_int_equal(nt_ledger_record(NULL, 1, 0, buf, sizeof buf, &len), NT_ERR_ARG);
	assert_int_equal(nt_ledger_record(f->l, 1, 0, NULL, sizeof buf, &len), NT_ERR_ARG);
	assert_int_equal(nt_ledger_record(f->l, 1, 0, buf, sizeof buf, NULL), NT_ERR_ARG);
	fix_free(f);
}

/* nt_receipt_build and the shared-member builder give the same bytes. */
static void test_receipt_block_build(void **state)
{
	(void)state;
	fix *f = fix_new();
	nt_hash ids[5];
	grow(f, 5, ids);
	nt_header h;
	nt_commit *c = malloc(sizeof *c);
	assert_non_null(c);
	assert_int_equal(nt_ledger_header(f->l, 1, &h), NT_OK);
	assert_int_equal(nt_ledger_commit(f->l, 1, c), NT_OK);
	nt_block *b = NULL;
	assert_int_equal(nt_ledger_block(f->l, 1, &b), NT_OK);
	nt_receipt_block *rb = NULL;
	assert_int_equal(nt_receipt_block_new(&h, c, &f->g.vals, &rb), NT_OK);
	for (uint32_t i = 0; i < 5; i++) {
		nt_hash proof[NT_MERKLE_PROOF_MAX];
		size_t pl = 0;
		assert_int_equal(nt_merkle_inclusion_proof(b->ids, 5, i, proof, &pl), NT_OK);
		char *a = NULL, *x = NULL, *y = NULL;
		assert_int_equal(
		    nt_receipt_build(b->recs[i], b->lens[i], i, proof, pl, &h, c, &f->g.vals, &a),
		    NT_OK);
		assert_int_equal(
		    nt_receipt_block_build(rb, b->recs[i], b->lens[i], NULL, i, proof, pl, &x),
		    NT_OK);
		assert_int_equal(nt_receipt_block_build(rb, b->recs[i], b->lens[i], &b->ids[i], i,
							proof, pl, &y),
				 NT_OK);
		assert_string_equal(a, x);
		assert_string_equal(a, y);
		free(a);
		free(x);
		free(y);
	}
	char *json = NULL;
	assert_int_equal(
	    nt_receipt_block_build(NULL, b->recs[0], b->lens[0], NULL, 0, NULL, 0, &json),
	    NT_ERR_ARG);
	assert_int_equal(
	    nt_receipt_block_build(rb, b->recs[0], b->lens[0], NULL, 0, NULL, 1, &json),
	    NT_ERR_ARG);
	assert_int_equal(nt_receipt_block_new(NULL, c, NULL, &rb), NT_ERR_ARG);
	assert_null(json);
	nt_receipt_block_free(rb);
	nt_receipt_block_free(NULL);
	nt_block_free(b);
	free(c);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree_matches_rfc),	cmocka_unit_test(test_tree_bad_input),
	    cmocka_unit_test(test_batch_equals_single), cmocka_unit_test(test_corrupt_block),
	    cmocka_unit_test(test_receipt_block_build), cmocka_unit_test(test_stored_levels),
	    cmocka_unit_test(test_record_by_position),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
