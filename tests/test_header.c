/* Block header, validator set, votes and the commit certificate. */
#include "tests/testutil.h"

#include <stdlib.h>
#include <string.h>

#include "base/codec.h"
#include "core/commit.h"
#include "core/header.h"
#include "core/valset.h"
#include "crypto/digest.h"
#include "crypto/keys.h"

static void sample_header(nt_header *h)
{
	memset(h, 0, sizeof *h);
	h->version = 1;
	strcpy(h->chain_id, "demo-net");
	h->height = 0x0102030405060708ULL;
	h->time = 1764000000000ULL;
	for (int i = 0; i < 32; i++) {
		h->prev_hash.b[i] = (uint8_t)(0x10 + i);
		h->last_commit_hash.b[i] = (uint8_t)(0x30 + i);
		h->records_root.b[i] = (uint8_t)(0x50 + i);
		h->log_root.b[i] = (uint8_t)(0x70 + i);
		h->validators_hash.b[i] = (uint8_t)(0x90 + i);
		h->proposer.b[i] = (uint8_t)(0xb0 + i);
	}
	h->record_count = 0xa1a2a3a4;
	h->log_size = 0xc1c2c3c4c5c6c7c8ULL;
}

static void test_chain_id(void **state)
{
	(void)state;
	const char *good[] = {"a", "demo-net", "vector-net-1", "a.b_c-d.0",
			      "01234567890123456789012345678901234567890123456789"};
	const char *bad[] = {"",
			     "Demo",
			     "demo net",
			     "demo/net",
			     "d\xc3\xa9mo",
			     "demo:1",
			     "012345678901234567890123456789012345678901234567890"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(nt_chain_id_valid(good[i]));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(nt_chain_id_valid(bad[i]));
	assert_false(nt_chain_id_valid(NULL));
}

static void test_header_roundtrip(void **state)
{
	(void)state;
	nt_header h, d;
	uint8_t buf[NT_HEADER_MAX], buf2[NT_HEADER_MAX];
	size_t n, n2;
	sample_header(&h);
	assert_int_equal(nt_header_encode(&h, buf, sizeof buf, &n), NT_OK);
	assert_int_equal(n, 2 + 8 + 220);
	/* field positions as FORMATS.md lists them */
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[1], 8);
	assert_memory_equal(buf + 2, "demo-net", 8);
	assert_int_equal(buf[10], 0x01);
	assert_int_equal(buf[17], 0x08);
	assert_int_equal(buf[26], 0x10);  /* prev_hash */
	assert_int_equal(buf[58], 0x30);  /* last_commit_hash */
	assert_int_equal(buf[90], 0x50);  /* records_root */
	assert_int_equal(buf[122], 0xa1); /* record_count */
	assert_int_equal(buf[126], 0x70); /* log_root */
	assert_int_equal(buf[158], 0xc1); /* log_size */
	assert_int_equal(buf[166], 0x90); /* validators_hash */
	assert_int_equal(buf[198], 0xb0); /* proposer */
	assert_int_equal(buf[n - 1], 0xb0 + 31);
	assert_int_equal(nt_header_decode(buf, n, &d, NULL), NT_OK);
	assert_int_equal(nt_header_encode(&d, buf2, sizeof buf2, &n2), NT_OK);
	assert_int_equal(n, n2);
	assert_memory_equal(buf, buf2, n);
	assert_string_equal(d.chain_id, "demo-net");
	assert_int_equal(d.height, h.height);
	assert_int_equal(d.log_size, h.log_size);
	assert_int_equal(d.record_count, h.record_count);

	nt_hash hh, hh2;
	assert_int_equal(nt_header_hash(&h, &hh), NT_OK);
	nt_sha256(buf, n, &hh2);
	assert_memory_equal(hh.b, hh2.b, 32);

	/* the longest chain_id fits NT_HEADER_V1_MAX exactly */
	memset(h.chain_id, 'z', NT_CHAIN_ID_MAX);
	h.chain_id[NT_CHAIN_ID_MAX] = '\0';
	assert_int_equal(nt_header_encode(&h, buf, sizeof buf, &n), NT_OK);
	assert_int_equal(n, NT_HEADER_V1_MAX);
	assert_int_equal(nt_header_encode(&h, buf, NT_HEADER_V1_MAX - 1, &n), NT_ERR_RANGE);
	/* and a version 2 header NT_HEADER_MAX */
	h.version = 2;
	assert_int_equal(nt_header_encode(&h, buf, sizeof buf, &n), NT_OK);
	assert_int_equal(n, NT_HEADER_MAX);
	assert_int_equal(nt_header_encode(&h, buf, sizeof buf - 1, &n), NT_ERR_RANGE);
}

static void header_bad(const uint8_t *b, size_t n, nt_err want, const char *part)
{
	nt_header d;
	nt_why why = {{0}};
	d.version = 0xEE;
	assert_int_equal(nt_header_decode(b, n, &d, &why), want);
	assert_non_null(strstr(why.msg, part));
	assert_int_equal(d.version, 0xEE);
}

static void test_header_strict(void **state)
{
	(void)state;
	nt_header h, t;
	uint8_t buf[NT_HEADER_MAX + 8], b[NT_HEADER_MAX + 8];
	size_t n;
	sample_header(&h);
	assert_int_equal(nt_header_encode(&h, buf, sizeof buf, &n), NT_OK);

	memcpy(b, buf, n);
	b[0] = 3;
	header_bad(b, n, NT_ERR_RANGE, "version 3");
	/* version 1 bytes labelled version 2 lack the two version 2 hashes */
	memcpy(b, buf, n);
	b[0] = 2;
	header_bad(b, n, NT_ERR_DECODE, "truncated");
	memcpy(b, buf, n);
	b[2] = 'D';
	header_bad(b, n, NT_ERR_DECODE, "chain_id");
	memcpy(b, buf, n);
	b[5] = '/';
	header_bad(b, n, NT_ERR_DECODE, "chain_id");
	memcpy(b, buf, n);
	b[5] = 0;
	header_bad(b, n, NT_ERR_DECODE, "chain_id");
	/* chain_id length 0 and 51 (the rest shifted accordingly) */
	nt_writer w;
	nt_writer_init(&w, b, sizeof b);
	nt_put_u8(&w, 1);
	nt_put_u8(&w, 0);
	nt_put_bytes(&w, buf + 10, n - 10);
	header_bad(b, w.len, NT_ERR_DECODE, "chain_id");
	uint8_t big[NT_HEADER_MAX + 8];
	nt_writer_init(&w, big, sizeof big);
	nt_put_u8(&w, 1);
	nt_put_u8(&w, 51);
	for (int i = 0; i < 51; i++)
		nt_put_u8(&w, 'a');
	nt_put_bytes(&w, buf + 10, n - 10);
	assert_true(w.ok);
	header_bad(big, w.len, NT_ERR_DECODE, "chain_id");
	/* height 0 */
	memcpy(b, buf, n);
	memset(b + 10, 0, 8);
	header_bad(b, n, NT_ERR_RANGE, "height");
	/* trailing, truncated */
	memcpy(b, buf, n);
	b[n] = 0;
	header_bad(b, n + 1, NT_ERR_DECODE, "trailing bytes after header");
	for (size_t i = 0; i < n; i++)
		header_bad(buf, i, NT_ERR_DECODE, "truncated");

	/* encode refuses what decode would refuse */
	t = h;
	t.version = 0;
	assert_int_equal(nt_header_encode(&t, b, sizeof b, &n), NT_ERR_RANGE);
	t = h;
	t.height = 0;
	assert_int_equal(nt_header_encode(&t, b, sizeof b, &n), NT_ERR_RANGE);
	t = h;
	strcpy(t.chain_id, "Bad");
	assert_int_equal(nt_header_encode(&t, b, sizeof b, &n), NT_ERR_RANGE);
	nt_hash hh;
	assert_int_equal(nt_header_hash(&t, &hh), NT_ERR_RANGE);
}

static void test_header_fuzz(void **state)
{
	(void)state;
	nt_header h, d;
	uint8_t good[NT_HEADER_MAX], b[NT_HEADER_MAX], re[NT_HEADER_MAX];
	size_t n, rn;
	sample_header(&h);
	assert_int_equal(nt_header_encode(&h, good, sizeof good, &n), NT_OK);
	nt_hash gh;
	nt_sha256(good, n, &gh);
	for (int k = 0; k < 5000; k++) {
		memcpy(b, good, n);
		size_t len = n;
		b[tu_rand() % n] ^= (uint8_t)(1u << (tu_rand() % 8));
		if (tu_rand() % 4 == 0)
			len = (size_t)(tu_rand() % n);
		if (nt_header_decode(b, len, &d, NULL) != NT_OK)
			continue;
		/* canonical, and a different block hash */
		assert_int_equal(nt_header_encode(&d, re, sizeof re, &rn), NT_OK);
		assert_int_equal(rn, len);
		assert_memory_equal(re, b, len);
		nt_hash dh;
		assert_int_equal(nt_header_hash(&d, &dh), NT_OK);
		assert_memory_not_equal(dh.b, gh.b, 32);
	}
}

/* ---- validator set ---- */

static void test_valset(void **state)
{
	(void)state;
	static nt_valset vs;
	memset(&vs, 0, sizeof vs);
	const unsigned q[][2] = {{1, 1}, {2, 2}, {3, 3},  {4, 3},    {5, 4},
				 {6, 5}, {7, 5}, {10, 7}, {100, 67}, {128, 86}};
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		vs.n = (uint16_t)q[i][0];
		assert_int_equal(nt_valset_quorum(&vs), q[i][1]);
	}
	vs.n = 3;
	for (int i = 0; i < 3; i++)
		memset(vs.keys[i].b, 'A' + i, 32);
	uint8_t raw[2 + 96];
	raw[0] = 0;
	raw[1] = 3;
	for (int i = 0; i < 3; i++)
		memset(raw + 2 + 32 * i, 'A' + i, 32);
	nt_hash a, b;
	nt_valset_hash(&vs, &a);
	nt_sha256(raw, sizeof raw, &b);
	assert_memory_equal(a.b, b.b, 32);
	/* order matters */
	nt_pubkey t = vs.keys[0];
	vs.keys[0] = vs.keys[1];
	vs.keys[1] = t;
	nt_valset_hash(&vs, &b);
	assert_memory_not_equal(a.b, b.b, 32);
	assert_int_equal(nt_valset_index(&vs, &t), 1);
	memset(t.b, 'Z', 32);
	assert_int_equal(nt_valset_index(&vs, &t), -1);
	memset(t.b, 'C', 32);
	assert_int_equal(nt_valset_index(&vs, &t), 2);
}

/* ---- votes and commits ---- */

static nt_seckey *vkeys[7];
static nt_valset vset;

static int setup(void **state)
{
	(void)state;
	tu_seed();
	vset.n = 7;
	for (int i = 0; i < 7; i++) {
		if (nt_seckey_generate(&vkeys[i]) != NT_OK)
			return -1;
		nt_seckey_pubkey(vkeys[i], &vset.keys[i]);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 7; i++)
		nt_seckey_free(vkeys[i]);
	return 0;
}

static void sign_entry(nt_commit *c, unsigned slot, unsigned idx, uint8_t type, const char *cid)
{
	nt_hash m;
	c->sigs[slot].index = (uint16_t)idx;
	c->sigs[slot].timestamp = 1764000000000ULL + 37u * idx;
	nt_vote_sighash(type, cid, c->height, c->round, &c->block_hash, c->sigs[slot].timestamp,
			&m);
	assert_int_equal(nt_sign(vkeys[idx % 7], &m, &c->sigs[slot].sig), NT_OK);
}

/* A commit by the listed validators, in the listed order. */
static void make_commit(nt_commit *c, const unsigned *idx, unsigned n)
{
	memset(c, 0, sizeof *c);
	c->height = 42;
	c->round = 3;
	memset(c->block_hash.b, 0x5a, 32);
	c->count = (uint16_t)n;
	for (unsigned i = 0; i < n; i++)
		sign_entry(c, i, idx[i], NT_VOTE_PRECOMMIT, "demo-net");
}

static void test_vote_sighash(void **state)
{
	(void)state;
	nt_hash bh, h, h2;
	memset(bh.b, 0x77, 32);
	nt_vote_sighash(NT_VOTE_PRECOMMIT, "demo-net", 9, 1, &bh, 1234, &h);
	uint8_t raw[1 + 1 + 8 + 8 + 4 + 32 + 8];
	nt_writer w;
	nt_writer_init(&w, raw, sizeof raw);
	nt_put_u8(&w, 2);
	nt_put_u8(&w, 8);
	nt_put_bytes(&w, "demo-net", 8);
	nt_put_u64(&w, 9);
	nt_put_u32(&w, 1);
	nt_put_bytes(&w, bh.b, 32);
	nt_put_u64(&w, 1234);
	assert_true(w.ok && w.len == sizeof raw);
	nt_tagged_hash("notary/vote", raw, sizeof raw, &h2);
	assert_memory_equal(h.b, h2.b, 32);
	nt_vote_sighash(NT_VOTE_PREVOTE, "demo-net", 9, 1, &bh, 1234, &h2);
	assert_memory_not_equal(h.b, h2.b, 32);
}

static void test_commit_roundtrip(void **state)
{
	(void)state;
	static nt_commit c, d;
	uint8_t buf[NT_COMMIT_MAX], buf2[NT_COMMIT_MAX];
	size_t n, n2;
	const unsigned idx[] = {0, 2, 3, 5, 6};
	make_commit(&c, idx, 5);
	assert_int_equal(nt_commit_encode(&c, buf, sizeof buf, &n), NT_OK);
	assert_int_equal(n, 46 + 5 * 74);
	assert_int_equal(buf[7], 42);
	assert_int_equal(buf[11], 3);
	assert_int_equal(buf[45], 5);
	assert_int_equal(buf[47], 0);
	assert_int_equal(buf[46 + 74 + 1], 2);
	assert_int_equal(nt_commit_decode(buf, n, &d, NULL), NT_OK);
	assert_int_equal(nt_commit_encode(&d, buf2, sizeof buf2, &n2), NT_OK);
	assert_int_equal(n, n2);
	assert_memory_equal(buf, buf2, n);
	assert_int_equal(nt_commit_verify(&d, "demo-net", &vset, NULL), NT_OK);

	/* strict structure */
	nt_why why;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(nt_commit_decode(buf, i, &d, &why), NT_ERR_DECODE);
	buf[n] = 0;
	assert_int_equal(nt_commit_decode(buf, n + 1, &d, &why), NT_ERR_DECODE);
	assert_non_null(strstr(why.msg, "trailing"));
	/* count above NT_MAX_VALIDATORS, even with the bytes present */
	static uint8_t big[NT_COMMIT_MAX + 100];
	memset(big, 0, sizeof big);
	big[44] = 0;
	big[45] = 129;
	assert_int_equal(nt_commit_decode(big, 46 + 129 * 74, &d, &why), NT_ERR_RANGE);
	c.count = 129;
	assert_int_equal(nt_commit_encode(&c, buf, sizeof buf, &n), NT_ERR_RANGE);
	/* the largest commit fits NT_COMMIT_MAX */
	big[45] = 128;
	assert_int_equal(nt_commit_decode(big, NT_COMMIT_MAX, &d, &why), NT_OK);
	assert_int_equal(d.count, 128);
}

static void verify_bad(const nt_commit *c, const nt_valset *vs, const char *cid, nt_err want,
		       const char *msg)
{
	nt_why why = {{0}};
	nt_err e = nt_commit_verify(c, cid, vs, &why);
	print_message("# %s\n", why.msg);
	assert_int_equal(e, want);
	assert_non_null(strstr(why.msg, msg));
}

static void test_commit_verify(void **state)
{
	(void)state;
	static nt_commit c;
	static nt_valset v3;
	v3 = vset;
	v3.n = 3;
	/* exactly quorum (5 of 7), and all 7 */
	const unsigned five[] = {1, 2, 4, 5, 6}, all[] = {0, 1, 2, 3, 4, 5, 6};
	make_commit(&c, five, 5);
	assert_int_equal(nt_commit_verify(&c, "demo-net", &vset, NULL), NT_OK);
	make_commit(&c, all, 7);
	assert_int_equal(nt_commit_verify(&c, "demo-net", &vset, NULL), NT_OK);

	/* below quorum */
	make_commit(&c, five, 4);
	verify_bad(&c, &vset, "demo-net", NT_ERR_QUORUM, "commit below quorum (4 of 5 needed");
	make_commit(&c, five, 2);
	verify_bad(&c, &v3, "demo-net", NT_ERR_QUORUM, "commit below quorum (2 of 3 needed");
	make_commit(&c, five, 0);
	verify_bad(&c, &vset, "demo-net", NT_ERR_QUORUM, "below quorum");

	/* duplicates and disorder */
	const unsigned dup[] = {0, 1, 1, 2, 3}, desc[] = {0, 1, 3, 2, 4};
	make_commit(&c, dup, 5);
	verify_bad(&c, &vset, "demo-net", NT_ERR_QUORUM,
		   "commit validator indexes not strictly increasing");
	make_commit(&c, desc, 5);
	verify_bad(&c, &vset, "demo-net", NT_ERR_QUORUM, "not strictly increasing");
	/* index out of range: 9 of 7 validators (a valid signature by key 9%7) */
	const unsigned oor[] = {0, 1, 2, 3, 9};
	make_commit(&c, oor, 5);
	verify_bad(&c, &vset, "demo-net", NT_ERR_RANGE, "commit validator index 9 out of range");
	/* 3 is out of range for a set of 3 */
	const unsigned four[] = {0, 1, 2, 3};
	make_commit(&c, four, 4);
	verify_bad(&c, &v3, "demo-net", NT_ERR_RANGE, "index 3 out of range");

	/* signatures */
	make_commit(&c, five, 5);
	c.sigs[0].sig.b[5] ^= 1;
	verify_bad(&c, &vset, "demo-net", NT_ERR_SIGNATURE,
		   "commit signature of validator 1 invalid");
	make_commit(&c, five, 5);
	c.sigs[3].timestamp++;
	verify_bad(&c, &vset, "demo-net", NT_ERR_SIGNATURE,
		   "commit signature of validator 5 invalid");
	make_commit(&c, five, 5);
	verify_bad(&c, &vset, "other-net", NT_ERR_SIGNATURE, "of validator 1 invalid");
	make_commit(&c, five, 5);
	c.round++;
	verify_bad(&c, &vset, "demo-net", NT_ERR_SIGNATURE, "invalid");
	make_commit(&c, five, 5);
	c.height++;
	verify_bad(&c, &vset, "demo-net", NT_ERR_SIGNATURE, "invalid");
	make_commit(&c, five, 5);
	c.block_hash.b[0] ^= 1;
	verify_bad(&c, &vset, "demo-net", NT_ERR_SIGNATURE, "invalid");
	/* a signature by another validator's key at this index */
	make_commit(&c, five, 5);
	c.sigs[2].index = 3;
	verify_bad(&c, &vset, "demo-net", NT_ERR_SIGNATURE, "validator 3 invalid");
	/* a prevote is not a precommit */
	make_commit(&c, five, 5);
	sign_entry(&c, 4, 6, NT_VOTE_PREVOTE, "demo-net");
	verify_bad(&c, &vset, "demo-net", NT_ERR_SIGNATURE,
		   "validator 6 invalid: it signs a prevote");

	/* the order of the checks: quorum before indexes before signatures */
	make_commit(&c, dup, 4);
	c.sigs[0].sig.b[0] ^= 1;
	verify_bad(&c, &vset, "demo-net", NT_ERR_QUORUM, "below quorum");
	make_commit(&c, desc, 5);
	c.sigs[0].sig.b[0] ^= 1;
	verify_bad(&c, &vset, "demo-net", NT_ERR_QUORUM, "not strictly increasing");
	make_commit(&c, oor, 5);
	c.sigs[0].sig.b[0] ^= 1;
	verify_bad(&c, &vset, "demo-net", NT_ERR_RANGE, "out of range");

	/* no validator set */
	static nt_valset empty;
	assert_int_equal(nt_commit_verify(&c, "demo-net", &empty, NULL), NT_ERR_ARG);
}

static void test_commit_time(void **state)
{
	(void)state;
	static nt_commit c;
	memset(&c, 0, sizeof c);
	assert_int_equal(nt_commit_time(&c), 0);
	const uint64_t cases[][6] = {
	    /* count, values..., expected */
	    {1, 5, 0, 0, 0, 5},
	    {2, 9, 4, 0, 0, 9},
	    {3, 30, 10, 20, 0, 20},
	    {4, 4, 1, 3, 2, 3},
	};
	for (size_t k = 0; k < 4; k++) {
		c.count = (uint16_t)cases[k][0];
		for (unsigned i = 0; i < c.count; i++)
			c.sigs[i].timestamp = cases[k][1 + i];
		assert_int_equal(nt_commit_time(&c), cases[k][5]);
	}
	/* 128 equal-ish timestamps in reverse order */
	c.count = 128;
	for (unsigned i = 0; i < 128; i++)
		c.sigs[i].timestamp = 1000 - i;
	assert_int_equal(nt_commit_time(&c), 1000 - 63);
	c.sigs[0].timestamp = UINT64_MAX;
	assert_int_equal(nt_commit_time(&c), 1000 - 63);
}

static void test_commit_fuzz(void **state)
{
	(void)state;
	static nt_commit c, d;
	uint8_t good[NT_COMMIT_MAX], b[NT_COMMIT_MAX], re[NT_COMMIT_MAX];
	size_t n, rn;
	const unsigned five[] = {0, 1, 2, 4, 6};
	make_commit(&c, five, 5);
	assert_int_equal(nt_commit_encode(&c, good, sizeof good, &n), NT_OK);
	for (int k = 0; k < 3000; k++) {
		memcpy(b, good, n);
		size_t len = n;
		b[tu_rand() % n] ^= (uint8_t)(1u << (tu_rand() % 8));
		if (tu_rand() % 4 == 0)
			len = (size_t)(tu_rand() % n);
		if (nt_commit_decode(b, len, &d, NULL) != NT_OK)
			continue;
		assert_int_equal(nt_commit_encode(&d, re, sizeof re, &rn), NT_OK);
		assert_int_equal(rn, len);
		assert_memory_equal(re, b, len);
		/* any change breaks an index, a count or a signature */
		assert_int_not_equal(nt_commit_verify(&d, "demo-net", &vset, NULL), NT_OK);
	}
}

/* Version 2: the two hashes sit after log_size and after validators_hash. */
static void test_header_v2(void **state)
{
	(void)state;
	nt_header h, d;
	uint8_t buf[NT_HEADER_MAX + 8], v1[NT_HEADER_MAX];
	size_t n, n1;
	sample_header(&h);
	assert_int_equal(nt_header_encode(&h, v1, sizeof v1, &n1), NT_OK);
	h.version = 2;
	for (int i = 0; i < 32; i++) {
		h.genesis_hash.b[i] = (uint8_t)(0xd0 + i);
		h.next_validators_hash.b[i] = (uint8_t)(0x01 + i);
	}
	assert_int_equal(nt_header_encode(&h, buf, sizeof buf, &n), NT_OK);
	assert_int_equal(n, n1 + 64);
	/* the layout, field by field */
	size_t off_log_size = 1 + 1 + 8 + 8 + 8 + 32 * 3 + 4 + 32;
	assert_int_equal(buf[0], 2);
	assert_memory_equal(buf + 1, v1 + 1, off_log_size + 8 - 1);
	assert_memory_equal(buf + off_log_size + 8, h.genesis_hash.b, 32);
	assert_memory_equal(buf + off_log_size + 40, h.validators_hash.b, 32);
	assert_memory_equal(buf + off_log_size + 72, h.next_validators_hash.b, 32);
	assert_memory_equal(buf + off_log_size + 104, h.proposer.b, 32);
	assert_int_equal(off_log_size + 136, n);
	nt_why why = {{0}};
	assert_int_equal(nt_header_decode(buf, n, &d, &why), NT_OK);
	assert_int_equal(d.version, 2);
	assert_memory_equal(d.genesis_hash.b, h.genesis_hash.b, 32);
	assert_memory_equal(d.next_validators_hash.b, h.next_validators_hash.b, 32);
	assert_memory_equal(d.validators_hash.b, h.validators_hash.b, 32);
	uint8_t re[NT_HEADER_MAX];
	size_t rn;
	assert_int_equal(nt_header_encode(&d, re, sizeof re, &rn), NT_OK);
	assert_int_equal(rn, n);
	assert_memory_equal(re, buf, n);
	nt_hash hh, hh2;
	assert_int_equal(nt_header_hash(&h, &hh), NT_OK);
	nt_sha256(buf, n, &hh2);
	assert_memory_equal(hh.b, hh2.b, 32);
	/* strict: trailing and truncated */
	buf[n] = 0;
	assert_int_equal(nt_header_decode(buf, n + 1, &d, &why), NT_ERR_DECODE);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(nt_header_decode(buf, i, &d, &why), NT_OK);
	/* version 2 bytes labelled version 1 are too long for it */
	buf[0] = 1;
	assert_int_equal(nt_header_decode(buf, n, &d, &why), NT_ERR_DECODE);
	assert_non_null(strstr(why.msg, "trailing"));
	/* a version 1 header decodes with zero version 2 fields */
	assert_int_equal(nt_header_decode(v1, n1, &d, &why), NT_OK);
	assert_int_equal(d.version, 1);
	static const nt_hash zero;
	assert_memory_equal(d.genesis_hash.b, zero.b, 32);
	assert_memory_equal(d.next_validators_hash.b, zero.b, 32);
}

static void test_valset_v2(void **state)
{
	(void)state;
	static nt_valset vs, d;
	memset(&vs, 0, sizeof vs);
	vs.n = 3;
	for (unsigned i = 0; i < 3; i++) {
		nt_seckey *k;
		assert_int_equal(nt_seckey_generate(&k), NT_OK);
		nt_seckey_pubkey(k, &vs.keys[i]);
		nt_seckey_free(k);
	}
	strcpy(vs.names[0], "\xe6\x9d\xad\xe5\xb7\x9e office");
	strcpy(vs.names[1], "B");
	memset(vs.names[2], 'c', 255);
	vs.names[2][255] = '\0';
	uint8_t buf[NT_VALSET_BYTES_MAX + 8];
	size_t n;
	assert_int_equal(nt_valset_encode(&vs, buf, sizeof buf, &n), NT_OK);
	assert_int_equal(n, 2 + 3 * 33 + strlen(vs.names[0]) + 1 + 255);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 3);
	assert_memory_equal(buf + 2, vs.keys[0].b, 32);
	assert_int_equal(buf[34], strlen(vs.names[0]));
	nt_why why = {{0}};
	assert_int_equal(nt_valset_decode(buf, n, &d, &why), NT_OK);
	assert_int_equal(d.n, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_string_equal(d.names[i], vs.names[i]);
		assert_memory_equal(d.keys[i].b, vs.keys[i].b, 32);
	}
	nt_hash h1, h2, hv1;
	assert_int_equal(nt_valset_hash_v2(&vs, &h1), NT_OK);
	nt_sha256(buf, n, &h2);
	assert_memory_equal(h1.b, h2.b, 32);
	nt_valset_hash(&vs, &hv1);
	assert_memory_not_equal(h1.b, hv1.b, 32);
	/* a renamed office changes the hash */
	d = vs;
	strcpy(d.names[1], "b");
	assert_int_equal(nt_valset_hash_v2(&d, &h2), NT_OK);
	assert_memory_not_equal(h1.b, h2.b, 32);

	/* strictness */
	uint8_t b[NT_VALSET_BYTES_MAX + 8];
	d.n = 77;
	buf[n] = 0;
	assert_int_equal(nt_valset_decode(buf, n + 1, &d, &why), NT_ERR_DECODE);
	assert_int_equal(d.n, 77); /* untouched on failure */
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(nt_valset_decode(buf, i, &d, &why), NT_OK);
	memcpy(b, buf, n);
	b[1] = 0; /* n = 0 */
	assert_int_equal(nt_valset_decode(b, 2, &d, &why), NT_ERR_RANGE);
	memcpy(b, buf, n);
	memcpy(b + 2 + 33 + strlen(vs.names[0]), b + 2, 32); /* key 1 = key 0 */
	assert_int_equal(nt_valset_decode(b, n, &d, &why), NT_ERR_EXISTS);
	memcpy(b, buf, n);
	b[35] = 0x07; /* a control character in name 0 */
	assert_int_equal(nt_valset_decode(b, n, &d, &why), NT_ERR_DECODE);
	memcpy(b, buf, n);
	b[35] = 0xff; /* not UTF-8 */
	assert_int_equal(nt_valset_decode(b, n, &d, &why), NT_ERR_DECODE);
	memcpy(b, buf, n);
	b[34] = 0; /* empty name */
	assert_int_not_equal(nt_valset_decode(b, n, &d, &why), NT_OK);
	/* encode refuses the same */
	d = vs;
	d.names[1][0] = '\0';
	assert_int_equal(nt_valset_encode(&d, b, sizeof b, &n), NT_ERR_RANGE);
	d = vs;
	d.n = 0;
	assert_int_equal(nt_valset_encode(&d, b, sizeof b, &n), NT_ERR_RANGE);
	assert_int_equal(nt_valset_encode(&vs, b, 10, &n), NT_ERR_RANGE);

	/* str8u */
	assert_true(nt_str8u_valid("a", 1));
	assert_true(nt_str8u_valid("\xe4\xb8\xad", 3));
	assert_true(nt_str8u_valid("\xf0\x9f\x98\x80", 4));
	assert_false(nt_str8u_valid("", 0));
	assert_false(nt_str8u_valid("\xe4\xb8", 2));	     /* truncated */
	assert_false(nt_str8u_valid("\xc0\x80", 2));	     /* overlong NUL */
	assert_false(nt_str8u_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(nt_str8u_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
	assert_false(nt_str8u_valid("\xc2\x85", 2));	     /* C1 control */
	assert_false(nt_str8u_valid("a\x7f", 2));
	assert_false(nt_str8u_valid("a\0b", 3));
}

static void test_valset_approval(void **state)
{
	(void)state;
	nt_hash gh, vh, nvh, out, want;
	for (int i = 0; i < 32; i++) {
		gh.b[i] = (uint8_t)i;
		vh.b[i] = (uint8_t)(0x40 + i);
		nvh.b[i] = (uint8_t)(0x80 + i);
	}
	uint8_t msg[1 + 9 + 32 + 8 + 32 + 32];
	nt_writer w;
	nt_writer_init(&w, msg, sizeof msg);
	nt_put_u8(&w, 9);
	nt_put_bytes(&w, "court-net", 9);
	nt_put_bytes(&w, gh.b, 32);
	nt_put_u64(&w, 3);
	nt_put_bytes(&w, vh.b, 32);
	nt_put_bytes(&w, nvh.b, 32);
	assert_true(w.ok && w.len == sizeof msg);
	nt_tagged_hash("notary/valset", msg, sizeof msg, &want);
	assert_int_equal(nt_valset_approval_hash("court-net", &gh, 3, &vh, &nvh, &out), NT_OK);
	assert_memory_equal(out.b, want.b, 32);
	/* change_index is bound: the approval of change 3 is not one of change 4 */
	assert_int_equal(nt_valset_approval_hash("court-net", &gh, 4, &vh, &nvh, &out), NT_OK);
	assert_memory_not_equal(out.b, want.b, 32);
	assert_int_equal(nt_valset_approval_hash("Court", &gh, 3, &vh, &nvh, &out), NT_ERR_RANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chain_id),	     cmocka_unit_test(test_header_roundtrip),
	    cmocka_unit_test(test_header_strict),    cmocka_unit_test(test_header_fuzz),
	    cmocka_unit_test(test_valset),	     cmocka_unit_test(test_vote_sighash),
	    cmocka_unit_test(test_commit_roundtrip), cmocka_unit_test(test_commit_verify),
	    cmocka_unit_test(test_commit_time),	     cmocka_unit_test(test_commit_fuzz),
	    cmocka_unit_test(test_header_v2),	     cmocka_unit_test(test_valset_v2),
	    cmocka_unit_test(test_valset_approval),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
