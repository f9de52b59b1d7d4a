/* The ledger (chain rules, append, queries, receipts, audit) and solo block
 * production, over the memory store and LevelDB, with a 1-validator and a
 * 4-validator genesis. */
#include "tests/testutil.h"

#include "core/ledger.h"
#include "core/receipt.h"
#include "core/record.h"
#include "crypto/digest.h"
#include "node/kv_leveldb.h"
#include "tests/solo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXREC 256
#define T0 1790000000000ULL

typedef struct {
	char *dir; /* LevelDB tmpdir or NULL for memory */
	nt_kv *kv;
	nt_genesis g;
	nt_seckey *vkeys[4];
	int nv;
	nt_seckey *sub; /* submitter */
	nt_ledger *l;
	/* everything appended so far */
	int nrec;
	uint8_t *recs[MAXREC];
	size_t lens[MAXREC];
	nt_hash ids[MAXREC];
	uint64_t heights[MAXREC];
	uint32_t idx[MAXREC];
	uint8_t digests[MAXREC][32];
	uint64_t now;
} fix;

static void open_kv(fix *f)
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

static fix *fix_new(int nv, bool leveldb)
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

static void fix_free(fix *f)
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
static size_t make_record(fix *f, uint8_t *out, uint8_t digest[32], bool with_meta)
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
static void sign_commit(fix *f, const nt_block *b, unsigned mask, uint32_t round, nt_commit *c)
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
static nt_block *next_block(fix *f, uint32_t n, uint8_t recbuf[][NT_RECORD_MAX], size_t *lens,
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

static void remember(fix *f, const nt_block *b, uint8_t digests[][32])
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
static void grow(fix *f, uint32_t n)
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

static void check_queries(fix *f)
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

/* The stored commit of height as bytes. */
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
	    cmocka_unit_test(test_solo_chain),
	    cmocka_unit_test(test_quorum_chain_reopen),
	    cmocka_unit_test(test_check_block_rejects),
	    cmocka_unit_test(test_append_rejects),
	    cmocka_unit_test(test_solo_rules),
	    cmocka_unit_test(test_find_digest_order),
	    cmocka_unit_test(test_audit_detects),
	    cmocka_unit_test(test_open_rejects),
	    cmocka_unit_test(test_last_commit),
	    cmocka_unit_test(test_unsynced_append_flush),
	    cmocka_unit_test(test_bad_record_sig_needs_known_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
