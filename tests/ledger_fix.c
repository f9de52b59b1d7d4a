/* The fixture of the ledger tests (tests/ledger_fix.h). */
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

void open_kv(fix *f)
{
	if (f->dir == NULL) {
		assert_int_equal(nt_kv_mem_new(&f->kv), NT_OK);
		return;
	}
	char path[512];
	snprintf(path, sizeof path, "%s/data", f->dir);
	nt_why why = {{0}};
	assert_int_equal(nt_kv_leveldb_open(path, &f->kv, &why), NT_OK);
}

fix *fix_new(int nv, bool leveldb)
{
	fix *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->nv = nv;
	f->now = T0;
	if (leveldb)
		f->dir = tu_tmpdir();
	strcpy(f->g.chain_id, "test-net.1");
	f->g.genesis_time = T0 - 1000;
	f->g.vals.n = (uint16_t)nv;
	for (int i = 0; i < nv; i++) {
		assert_int_equal(nt_seckey_generate(&f->vkeys[i]), NT_OK);
		nt_seckey_pubkey(f->vkeys[i], &f->g.vals.keys[i]);
		snprintf(f->g.vals.names[i], sizeof f->g.vals.names[i], "Office %c", 'A' + i);
	}
	nt_valset_hash(&f->g.vals, &f->g.validators_hash);
	assert_int_equal(nt_seckey_generate(&f->sub), NT_OK);
	open_kv(f);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_open(f->kv, &f->g, &f->l, &why), NT_OK);
	assert_int_equal(nt_ledger_height(f->l), 0);
	assert_null(nt_ledger_tip(f->l));
	return f;
}

void fix_free(fix *f)
{
	nt_ledger_free(f->l);
	nt_kv_close(f->kv);
	for (int i = 0; i < f->nv; i++)
		nt_seckey_free(f->vkeys[i]);
	nt_seckey_free(f->sub);
	for (int i = 0; i < f->nrec; i++)
		free(f->recs[i]);
	if (f->dir != NULL) {
		tu_rmdir(f->dir);
		free(f->dir);
	}
	free(f);
}

/* A random signed record; digest is a digest of the returned "file". */
size_t make_record(fix *f, uint8_t *out, uint8_t digest[32], bool with_meta)
{
	nt_record r;
	memset(&r, 0, sizeof r);
	r.version = NT_RECORD_VERSION;
	r.alg = NT_ALG_SHA256;
	r.digest_len = 32;
	uint64_t file[4] = {tu_rand(), tu_rand(), tu_rand(), tu_rand()};
	size_t dl = 0;
	assert_int_equal(nt_digest_buf(NT_ALG_SHA256, file, sizeof file, r.digest, &dl), NT_OK);
	memcpy(digest, r.digest, 32);
	r.size = sizeof file;
	r.client_time = T0 + tu_rand() % 100000;
	if (with_meta) {
		snprintf(r.meta, sizeof r.meta, "{\"case\":\"C-%llu\",\"title\":\"exhibit\"}",
			 (unsigned long long)(tu_rand() % 1000));
		r.meta_len = (uint16_t)strlen(r.meta);
	}
	assert_int_equal(nt_record_sign(&r, f->sub), NT_OK);
	size_t len = 0;
	assert_int_equal(nt_record_encode(&r, out, NT_RECORD_MAX, &len), NT_OK);
	return len;
}

/* Signs a commit for b with the validators in mask (bit i = index i). */
void sign_commit(fix *f, const nt_block *b, unsigned mask, uint32_t round, nt_commit *c)
{
	memset(c, 0, sizeof *c);
	c->height = b->header.height;
	c->round = round;
	assert_int_equal(nt_header_hash(&b->header, &c->block_hash), NT_OK);
	for (int i = 0; i < f->nv; i++) {
		if (!(mask & (1u << i)))
			continue;
		nt_commit_sig *s = &c->sigs[c->count++];
		s->index = (uint16_t)i;
		s->timestamp = b->header.time + (uint64_t)i;
		nt_hash msg;
		nt_vote_sighash(NT_VOTE_PRECOMMIT, f->g.chain_id, c->height, round, &c->block_hash,
				s->timestamp, &msg);
		assert_int_equal(nt_sign(f->vkeys[i], &msg, &s->sig), NT_OK);
	}
}

/* Builds (not appends) the next block from n fresh records. */
nt_block *next_block(fix *f, uint32_t n, uint8_t recbuf[][NT_RECORD_MAX], size_t *lens,
		     uint8_t digests[][32])
{
	const uint8_t *ptrs[16];
	assert_true(n <= 16);
	for (uint32_t i = 0; i < n; i++) {
		lens[i] = make_record(f, recbuf[i], digests[i], i % 2 == 0);
		ptrs[i] = recbuf[i];
	}
	f->now += 1000;
	uint64_t h = nt_ledger_height(f->l) + 1;
	nt_pubkey prop = f->g.vals.keys[h % (uint64_t)f->nv];
	nt_block *b = NULL;
	assert_int_equal(nt_ledger_propose(f->l, ptrs, lens, n, f->now, &prop, &b), NT_OK);
	return b;
}

void remember(fix *f, const nt_block *b, uint8_t digests[][32])
{
	for (uint32_t i = 0; i < b->count; i++) {
		assert_true(f->nrec < MAXREC);
		int k = f->nrec++;
		f->recs[k] = malloc(b->lens[i]);
		assert_non_null(f->recs[k]);
		memcpy(f->recs[k], b->recs[i], b->lens[i]);
		f->lens[k] = b->lens[i];
		f->ids[k] = b->ids[i];
		f->heights[k] = b->header.height;
		f->idx[k] = i;
		memcpy(f->digests[k], digests[i], 32);
	}
}

/* Produces, checks and appends one block of n random records. */
void grow(fix *f, uint32_t n)
{
	uint8_t recbuf[16][NT_RECORD_MAX];
	size_t lens[16];
	uint8_t digests[16][32];
	nt_block *b = NULL;
	nt_commit c;
	nt_why why = {{0}};
	if (f->nv == 1) {
		const uint8_t *ptrs[16];
		for (uint32_t i = 0; i < n; i++) {
			lens[i] = make_record(f, recbuf[i], digests[i], i % 2 == 1);
			ptrs[i] = recbuf[i];
		}
		f->now += 1000;
		assert_int_equal(
		    nt_solo_produce(f->l, f->vkeys[0], ptrs, lens, n, f->now, &b, &c, &why), NT_OK);
		assert_int_equal(c.count, 1);
		assert_true(c.sigs[0].timestamp >= b->header.time);
	} else {
		b = next_block(f, n, recbuf, lens, digests);
		/* Any 3 of 4 is a quorum; vary which. */
		unsigned masks[] = {0x7, 0xb, 0xd, 0xe, 0xf};
		sign_commit(f, b, masks[tu_rand() % 5], (uint32_t)(tu_rand() % 3), &c);
	}
	if (nt_ledger_check_block(f->l, b, NULL, f->now, 5000, NULL, NULL, &why) != NT_OK)
		fail_msg("check_block: %s", why.msg);
	if (nt_ledger_append(f->l, b, &c, NULL, &why) != NT_OK)
		fail_msg("append: %s", why.msg);
	assert_int_equal(nt_ledger_height(f->l), b->header.height);
	nt_hash bh;
	assert_int_equal(nt_header_hash(&b->header, &bh), NT_OK);
	assert_memory_equal(nt_ledger_tip_hash(f->l), &bh, sizeof bh);
	assert_memory_equal(nt_ledger_tip(f->l), &b->header, sizeof b->header);
	remember(f, b, digests);
	nt_block_free(b);
}

void check_queries(fix *f)
{
	uint64_t tip = nt_ledger_height(f->l);
	nt_header h;
	nt_commit *c = malloc(sizeof *c);
	assert_non_null(c);
	assert_int_equal(nt_ledger_header(f->l, 0, &h), NT_ERR_NOT_FOUND);
	assert_int_equal(nt_ledger_header(f->l, tip + 1, &h), NT_ERR_NOT_FOUND);
	assert_int_equal(nt_ledger_commit(f->l, tip + 1, c), NT_ERR_NOT_FOUND);
	for (uint64_t ht = 1; ht <= tip; ht++) {
		assert_int_equal(nt_ledger_header(f->l, ht, &h), NT_OK);
		assert_int_equal(h.height, ht);
		assert_int_equal(nt_ledger_commit(f->l, ht, c), NT_OK);
		nt_hash bh;
		assert_int_equal(nt_header_hash(&h, &bh), NT_OK);
		assert_memory_equal(&c->block_hash, &bh, sizeof bh);
		nt_block *b = NULL;
		assert_int_equal(nt_ledger_block(f->l, ht, &b), NT_OK);
		assert_memory_equal(&b->header, &h, sizeof h);
		assert_int_equal(b->count, h.record_count);
		nt_block_free(b);
	}
	free(c);

	const nt_merkle_log *lg = nt_ledger_log(f->l);
	assert_int_equal(lg->size, (uint64_t)f->nrec);
	for (int k = 0; k < f->nrec; k++) {
		uint64_t ht = 0;
		uint32_t ix = 0;
		assert_int_equal(nt_ledger_locate(f->l, &f->ids[k], &ht, &ix), NT_OK);
		assert_int_equal(ht, f->heights[k]);
		assert_int_equal(ix, f->idx[k]);
		nt_hash found[4];
		size_t n = 0;
		assert_int_equal(
		    nt_ledger_find_digest(f->l, NT_ALG_SHA256, f->digests[k], 32, found, 4, &n),
		    NT_OK);
		assert_int_equal(n, 1);
		assert_memory_equal(&found[0], &f->ids[k], sizeof(nt_hash));

		char *json = NULL;
		assert_int_equal(nt_ledger_receipt(f->l, &f->ids[k], &json), NT_OK);
		nt_receipt *r = NULL;
		nt_why why = {{0}};
		assert_int_equal(nt_receipt_parse(json, strlen(json), &r, &why), NT_OK);
		if (nt_receipt_verify(r, &f->g, f->digests[k], 32, &why) != NT_OK)
			fail_msg("receipt %d: %s", k, why.msg);
		assert_int_equal(r->height, f->heights[k]);
		assert_int_equal(r->leaf_index, f->idx[k]);
		/* The receipt does not verify against another file. */
		uint8_t other[32];
		memcpy(other, f->digests[k], 32);
		other[0] ^= 1;
		assert_int_not_equal(nt_receipt_verify(r, &f->g, other, 32, &why), NT_OK);
		free(r);
		free(json);
	}
	/* Unknown ids and digests. */
	nt_hash unknown;
	memset(&unknown, 0x5a, sizeof unknown);
	uint64_t ht = 0;
	uint32_t ix = 0;
	char *json = NULL;
	assert_int_equal(nt_ledger_locate(f->l, &unknown, &ht, &ix), NT_ERR_NOT_FOUND);
	assert_int_equal(nt_ledger_receipt(f->l, &unknown, &json), NT_ERR_NOT_FOUND);
	assert_null(json);
	size_t n = 99;
	nt_hash found[2];
	assert_int_equal(nt_ledger_find_digest(f->l, NT_ALG_SHA256, unknown.b, 32, found, 2, &n),
			 NT_OK);
	assert_int_equal(n, 0);
	assert_int_equal(nt_ledger_find_digest(f->l, NT_ALG_SHA256, unknown.b, 65, found, 2, &n),
			 NT_ERR_ARG);

	nt_why why = {{0}};
	if (nt_ledger_audit(f->l, NULL, NULL, &why) != NT_OK)
		fail_msg("audit: %s", why.msg);
}
