/* Evidence record: encoding, strict decoding, signature, record_id. */
#include "tests/testutil.h"

#include <stdlib.h>
#include <string.h>

#include "base/codec.h"
#include "core/record.h"
#include "crypto/digest.h"
#include "crypto/keys.h"

static nt_seckey *key;

static int setup(void **state)
{
	(void)state;
	tu_seed();
	return nt_seckey_generate(&key) == NT_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	nt_seckey_free(key);
	return 0;
}

static void sample(nt_record *r, int alg, const char *meta)
{
	memset(r, 0, sizeof *r);
	r->version = 1;
	r->alg = (uint8_t)alg;
	r->digest_len = (uint8_t)nt_digest_len(alg);
	for (int i = 0; i < r->digest_len; i++)
		r->digest[i] = (uint8_t)(i * 7 + alg);
	r->size = 123456789;
	r->client_time = 1764000000123ULL;
	r->meta_len = (uint16_t)strlen(meta);
	memcpy(r->meta, meta, r->meta_len);
	assert_int_equal(nt_record_sign(r, key), NT_OK);
}

/* Raw bytes with any field values, for the decoder's rejections. */
static size_t raw(uint8_t *out, uint8_t ver, uint8_t alg, uint8_t dlen, const char *meta,
		  size_t mlen)
{
	nt_writer w;
	uint8_t zeros[255] = {0};
	nt_writer_init(&w, out, NT_RECORD_MAX + 512);
	nt_put_u8(&w, ver);
	nt_put_u8(&w, alg);
	nt_put_u8(&w, dlen);
	nt_put_bytes(&w, zeros, dlen);
	nt_put_u64(&w, 1);
	nt_put_u64(&w, 2);
	nt_put_u16(&w, (uint16_t)mlen);
	nt_put_bytes(&w, meta, mlen);
	nt_put_bytes(&w, zeros, 32 + 64);
	assert_true(w.ok);
	return w.len;
}

static void test_roundtrip(void **state)
{
	(void)state;
	const int algs[] = {NT_ALG_SHA256, NT_ALG_SHA3_256, NT_ALG_SM3, NT_ALG_SHA512};
	const char *metas[] = {"", "{}",
			       "{\"case\":\"(2026) Zhe 0192\",\"title\":\"\xe8\xaf\x81\"}",
			       " { \"a\" : [1, 2, {\"b\": null}] } "};
	for (size_t a = 0; a < 4; a++)
		for (size_t m = 0; m < 4; m++) {
			nt_record r, d;
			uint8_t buf[NT_RECORD_MAX], buf2[NT_RECORD_MAX];
			size_t n, n2;
			nt_why why = {{0}};
			sample(&r, algs[a], metas[m]);
			assert_int_equal(nt_record_verify(&r), NT_OK);
			assert_int_equal(nt_record_encode(&r, buf, sizeof buf, &n), NT_OK);
			assert_int_equal(n, 3 + r.digest_len + 8 + 8 + 2 + r.meta_len + 32 + 64);
			assert_int_equal(buf[0], 1);
			assert_int_equal(buf[1], algs[a]);
			assert_int_equal(buf[2], nt_digest_len(algs[a]));
			assert_int_equal(nt_record_decode(buf, n, &d, &why), NT_OK);
			assert_int_equal(d.size, 123456789);
			assert_int_equal(d.client_time, 1764000000123ULL);
			assert_int_equal(d.meta_len, strlen(metas[m]));
			assert_string_equal(d.meta, metas[m]);
			assert_memory_equal(d.digest, r.digest, r.digest_len);
			assert_memory_equal(d.submitter.b, r.submitter.b, 32);
			assert_int_equal(nt_record_verify(&d), NT_OK);
			assert_int_equal(nt_record_encode(&d, buf2, sizeof buf2, &n2), NT_OK);
			assert_int_equal(n, n2);
			assert_memory_equal(buf, buf2, n);

			/* the signature covers exactly the bytes before it */
			nt_hash h, h2;
			assert_int_equal(nt_record_sighash(&r, &h), NT_OK);
			nt_tagged_hash("notary/record", buf, n - 64, &h2);
			assert_memory_equal(h.b, h2.b, 32);
			assert_true(nt_verify(&r.submitter, &h2, &r.sig));
			/* record_id = H(0x00 || bytes) */
			uint8_t zero = 0;
			nt_record_id(buf, n, &h);
			nt_sha256_2(&zero, 1, buf, n, &h2);
			assert_memory_equal(h.b, h2.b, 32);

			/* too small a buffer */
			size_t keep = 77;
			assert_int_equal(nt_record_encode(&r, buf2, n - 1, &keep), NT_ERR_RANGE);
			assert_int_equal(keep, 77);
		}
}

static void test_signature(void **state)
{
	(void)state;
	nt_record r, t;
	sample(&r, NT_ALG_SHA256, "{\"x\":1}");
	t = r;
	t.sig.b[10] ^= 1;
	assert_int_equal(nt_record_verify(&t), NT_ERR_SIGNATURE);
	t = r;
	t.digest[0] ^= 1;
	assert_int_equal(nt_record_verify(&t), NT_ERR_SIGNATURE);
	t = r;
	t.client_time++;
	assert_int_equal(nt_record_verify(&t), NT_ERR_SIGNATURE);
	t = r;
	t.meta[2] = 'y';
	assert_int_equal(nt_record_verify(&t), NT_ERR_SIGNATURE);
	t = r;
	t.submitter.b[31] ^= 1;
	assert_int_equal(nt_record_verify(&t), NT_ERR_SIGNATURE);
	/* a record that would not decode is neither signed nor verified */
	t = r;
	t.meta_len = 2;
	memcpy(t.meta, "[]", 3);
	assert_int_not_equal(nt_record_sign(&t, key), NT_OK);
	assert_memory_equal(t.sig.b, r.sig.b, 64); /* untouched on failure */
	t = r;
	t.alg = 9;
	assert_int_equal(nt_record_verify(&t), NT_ERR_SIGNATURE);
	nt_hash h;
	assert_int_equal(nt_record_sighash(&t, &h), NT_ERR_RANGE);
}

static void expect_bad(const uint8_t *b, size_t n, nt_err want, const char *why_part)
{
	nt_record d;
	nt_why why = {{0}};
	memset(&d, 0xAB, sizeof d);
	nt_err e = nt_record_decode(b, n, &d, &why);
	if (strcmp(why_part, "truncated") != 0)
		print_message("# %s\n", why.msg);
	assert_int_equal(e, want);
	assert_non_null(strstr(why.msg, why_part));
	assert_int_equal(d.version, 0xAB); /* untouched */
}

static void test_strict(void **state)
{
	(void)state;
	uint8_t b[NT_RECORD_MAX + 512];
	size_t n;
	n = raw(b, 1, 1, 32, "{}", 2);
	nt_record d;
	assert_int_equal(nt_record_decode(b, n, &d, NULL), NT_OK);

	expect_bad(b, raw(b, 3, 1, 32, "", 0), NT_ERR_RANGE, "version 3");
	expect_bad(b, raw(b, 0, 1, 32, "", 0), NT_ERR_RANGE, "version 0");
	expect_bad(b, raw(b, 1, 0, 32, "", 0), NT_ERR_RANGE, "digest_alg 0");
	expect_bad(b, raw(b, 1, 5, 32, "", 0), NT_ERR_RANGE, "digest_alg 5");
	expect_bad(b, raw(b, 1, 255, 32, "", 0), NT_ERR_RANGE, "unknown");
	expect_bad(b, raw(b, 1, 1, 31, "", 0), NT_ERR_DECODE,
		   "record digest_len 31 does not match sha256 (32)");
	expect_bad(b, raw(b, 1, 4, 32, "", 0), NT_ERR_DECODE, "sha512 (64)");
	expect_bad(b, raw(b, 1, 2, 64, "", 0), NT_ERR_DECODE, "sha3-256 (32)");
	expect_bad(b, raw(b, 1, 3, 0, "", 0), NT_ERR_DECODE, "sm3 (32)");
	expect_bad(b, raw(b, 1, 1, 32, "[]", 2), NT_ERR_DECODE, "record meta is not a JSON object");
	expect_bad(b, raw(b, 1, 1, 32, "\"s\"", 3), NT_ERR_DECODE, "not a JSON object");
	expect_bad(b, raw(b, 1, 1, 32, "1", 1), NT_ERR_DECODE, "meta");
	expect_bad(b, raw(b, 1, 1, 32, "null", 4), NT_ERR_DECODE, "meta");
	expect_bad(b, raw(b, 1, 1, 32, "{", 1), NT_ERR_DECODE, "not valid JSON");
	expect_bad(b, raw(b, 1, 1, 32, " ", 1), NT_ERR_DECODE, "meta");
	expect_bad(b, raw(b, 1, 1, 32, "{}{}", 4), NT_ERR_DECODE, "meta");
	expect_bad(b, raw(b, 1, 1, 32, "{\"a\":1,\"a\":2}", 13), NT_ERR_DECODE, "meta");
	expect_bad(b, raw(b, 1, 1, 32, "{\"a\":\"\xff\"}", 9), NT_ERR_DECODE, "meta");
	expect_bad(b, raw(b, 1, 1, 32, "{\"a\":\"\xc0\xaf\"}", 10), NT_ERR_DECODE, "meta");
	expect_bad(b, raw(b, 1, 1, 32, "{\"a\":\"\\u0000\"}", 14), NT_ERR_DECODE, "meta");
	expect_bad(b, raw(b, 1, 1, 32, "{}\0", 3), NT_ERR_DECODE, "NUL");
	expect_bad(b, raw(b, 1, 1, 32, "{\"a\":\"\0\"}", 9), NT_ERR_DECODE, "NUL");

	/* meta of exactly 4096 bytes is fine, 4097 is not */
	char *big = malloc(NT_META_MAX + 2);
	memset(big, 'x', NT_META_MAX + 1);
	memcpy(big, "{\"a\":\"", 6);
	memcpy(big + NT_META_MAX - 2, "\"}", 2);
	n = raw(b, 1, 1, 32, big, NT_META_MAX);
	assert_int_equal(nt_record_decode(b, n, &d, NULL), NT_OK);
	assert_int_equal(d.meta_len, NT_META_MAX);
	memcpy(big + NT_META_MAX - 2, "x\"}", 3);
	expect_bad(b, raw(b, 1, 1, 32, big, NT_META_MAX + 1), NT_ERR_RANGE, "4097");
	free(big);

	/* trailing and missing bytes */
	n = raw(b, 1, 1, 32, "{}", 2);
	b[n] = 0;
	expect_bad(b, n + 1, NT_ERR_DECODE, "trailing bytes after record");
	for (size_t i = 0; i < n; i++)
		expect_bad(b, i, NT_ERR_DECODE, "truncated");
	/* meta length pointing past the end */
	b[3 + 32 + 16 + 1] = 0xff;
	expect_bad(b, n, NT_ERR_DECODE, "truncated");
	b[3 + 32 + 16] = 0x10;
	expect_bad(b, n, NT_ERR_RANGE, "more than 4096");
}

static void test_encode_rules(void **state)
{
	(void)state;
	nt_record r, t;
	uint8_t buf[NT_RECORD_MAX];
	size_t n;
	sample(&r, NT_ALG_SHA512, "{}");
	t = r;
	t.version = 3;
	assert_int_equal(nt_record_encode(&t, buf, sizeof buf, &n), NT_ERR_RANGE);
	t = r;
	t.flags = 1; /* a version 1 record has no flags */
	assert_int_equal(nt_record_encode(&t, buf, sizeof buf, &n), NT_ERR_RANGE);
	t = r;
	t.alg = 0;
	assert_int_equal(nt_record_encode(&t, buf, sizeof buf, &n), NT_ERR_RANGE);
	t = r;
	t.digest_len = 32;
	assert_int_equal(nt_record_encode(&t, buf, sizeof buf, &n), NT_ERR_DECODE);
	t = r;
	t.meta_len = NT_META_MAX + 1;
	assert_int_equal(nt_record_encode(&t, buf, sizeof buf, &n), NT_ERR_RANGE);
	t = r;
	t.meta_len = 1;
	assert_int_equal(nt_record_encode(&t, buf, sizeof buf, &n), NT_ERR_DECODE);
}

/* Random damage never crashes; what still decodes is a different record
 * whose signature fails, and decode is canonical (re-encodes to the input). */
static void test_fuzz(void **state)
{
	(void)state;
	nt_record r;
	uint8_t good[NT_RECORD_MAX], b[NT_RECORD_MAX], re[NT_RECORD_MAX];
	size_t n, rn;
	sample(&r, NT_ALG_SHA256, "{\"case\":\"abc\",\"n\":[1,2,3]}");
	assert_int_equal(nt_record_encode(&r, good, sizeof good, &n), NT_OK);
	int decoded = 0;
	for (int k = 0; k < 5000; k++) {
		memcpy(b, good, n);
		size_t len = n;
		int flips = 1 + (int)(tu_rand() % 3);
		for (int f = 0; f < flips; f++)
			b[tu_rand() % n] ^= (uint8_t)(1u << (tu_rand() % 8));
		if (tu_rand() % 4 == 0)
			len = (size_t)(tu_rand() % n);
		if (len == n && memcmp(b, good, n) == 0)
			continue; /* two flips cancelled out */
		nt_record d;
		nt_why why;
		if (nt_record_decode(b, len, &d, &why) != NT_OK)
			continue;
		decoded++;
		assert_int_equal(nt_record_encode(&d, re, sizeof re, &rn), NT_OK);
		assert_int_equal(rn, len);
		assert_memory_equal(re, b, len);
		assert_int_equal(nt_record_verify(&d), NT_ERR_SIGNATURE);
	}
	print_message("# %d of 5000 damaged records still decoded (all with bad signatures)\n",
		      decoded);
}

/* Version 2: the flags byte, salted digests and committed meta. */
static void test_v2(void **state)
{
	(void)state;
	nt_record r, d;
	uint8_t buf[NT_RECORD_MAX], v1[NT_RECORD_MAX];
	size_t n, n1;
	nt_why why = {{0}};
	sample(&r, NT_ALG_SHA256, "{\"case\":\"x\"}");
	assert_int_equal(nt_record_encode(&r, v1, sizeof v1, &n1), NT_OK);
	/* version 2 without flags: one byte more, after the version */
	r.version = 2;
	r.flags = 0;
	assert_int_equal(nt_record_sign(&r, key), NT_OK);
	assert_int_equal(nt_record_encode(&r, buf, sizeof buf, &n), NT_OK);
	assert_int_equal(n, n1 + 1);
	assert_int_equal(buf[0], 2);
	assert_int_equal(buf[1], 0);
	assert_memory_equal(buf + 2, v1 + 1, n1 - 1 - 64);
	assert_int_equal(nt_record_decode(buf, n, &d, &why), NT_OK);
	assert_int_equal(d.version, 2);
	assert_int_equal(nt_record_verify(&d), NT_OK);
	assert_false(nt_record_is_private(&d));
	/* the signature covers the flags byte */
	nt_hash sh;
	assert_int_equal(nt_record_sighash(&r, &sh), NT_OK);
	nt_hash want;
	nt_tagged_hash("notary/record", buf, n - 64, &want);
	assert_memory_equal(sh.b, want.b, 32);
	buf[1] = 1;
	assert_int_equal(nt_record_decode(buf, n, &d, &why), NT_OK);
	assert_int_equal(nt_record_verify(&d), NT_ERR_SIGNATURE);

	/* a fully private record: salted digest and committed meta */
	uint8_t salt[32], fd[32], sd[NT_DIGEST_MAX];
	size_t sl;
	for (int i = 0; i < 32; i++) {
		salt[i] = (uint8_t)(0xa0 + i);
		fd[i] = (uint8_t)i;
	}
	assert_int_equal(nt_record_salted_digest(NT_ALG_SHA256, salt, fd, 32, sd, &sl), NT_OK);
	assert_int_equal(sl, 32);
	uint8_t cat[64];
	memcpy(cat, salt, 32);
	memcpy(cat + 32, fd, 32);
	nt_hash hd;
	nt_sha256(cat, 64, &hd);
	assert_memory_equal(sd, hd.b, 32);
	assert_int_equal(nt_record_salted_digest(NT_ALG_SHA256, salt, fd, 31, sd, &sl), NT_ERR_ARG);
	assert_int_equal(nt_record_salted_digest(9, salt, fd, 32, sd, &sl), NT_ERR_ARG);
	assert_int_equal(nt_record_salted_digest(NT_ALG_SHA512, salt, fd, 32, sd, &sl), NT_ERR_ARG);

	const char *meta = "{\"case\":\"(2026) secret\"}";
	nt_hash mc, mc2;
	nt_record_meta_commitment(salt, meta, strlen(meta), &mc);
	uint8_t mb[32 + 64];
	memcpy(mb, salt, 32);
	memcpy(mb + 32, meta, strlen(meta));
	nt_tagged_hash("notary/meta", mb, 32 + strlen(meta), &mc2);
	assert_memory_equal(mc.b, mc2.b, 32);

	nt_record p = r;
	p.flags = NT_RECORD_FLAG_SALTED | NT_RECORD_FLAG_META;
	memcpy(p.digest, sd, 32);
	p.meta_len = 32;
	memcpy(p.meta, mc.b, 32);
	p.meta[0] = 0; /* binary: a NUL byte is fine in a commitment */
	assert_int_equal(nt_record_sign(&p, key), NT_OK);
	assert_int_equal(nt_record_encode(&p, buf, sizeof buf, &n), NT_OK);
	assert_int_equal(nt_record_decode(buf, n, &d, &why), NT_OK);
	assert_int_equal(d.flags, 3);
	assert_int_equal(d.meta_len, 32);
	assert_memory_equal(d.meta, p.meta, 32);
	assert_int_equal(nt_record_verify(&d), NT_OK);
	assert_true(nt_record_is_private(&d));
	uint8_t re[NT_RECORD_MAX];
	size_t rn;
	assert_int_equal(nt_record_encode(&d, re, sizeof re, &rn), NT_OK);
	assert_int_equal(rn, n);
	assert_memory_equal(re, buf, n);

	/* strict: unknown flag bits, committed meta of another length */
	nt_record t = p;
	for (int bit = 2; bit < 8; bit++) {
		t.flags = (uint8_t)(1u << bit);
		assert_int_not_equal(nt_record_sign(&t, key), NT_OK);
		assert_int_not_equal(nt_record_encode(&t, re, sizeof re, &rn), NT_OK);
		memcpy(re, buf, n);
		re[1] = (uint8_t)(1u << bit);
		assert_int_equal(nt_record_decode(re, n, &d, &why), NT_ERR_DECODE);
		assert_non_null(strstr(why.msg, "flags"));
	}
	t = p;
	t.meta_len = 31;
	assert_int_not_equal(nt_record_encode(&t, re, sizeof re, &rn), NT_OK);
	t.meta_len = 0;
	assert_int_not_equal(nt_record_encode(&t, re, sizeof re, &rn), NT_OK);
	/* committed meta of 32 bytes that are not a commitment are still fine
	 * to decode; clear meta with the flag cleared must be JSON again */
	t = p;
	t.flags = NT_RECORD_FLAG_SALTED;
	assert_int_equal(nt_record_encode(&t, re, sizeof re, &rn), NT_ERR_DECODE);
	/* decode: meta length 33 with the flag */
	t = p;
	t.flags = NT_RECORD_FLAG_META;
	t.meta_len = 2;
	memcpy(t.meta, "{}", 2);
	assert_int_equal(nt_record_encode(&t, re, sizeof re, &rn), NT_ERR_DECODE);
	/* a version 1 record never carries a flags byte */
	memcpy(re, buf, n);
	re[0] = 1;
	assert_int_not_equal(nt_record_decode(re, n, &d, &why), NT_OK);
	/* the largest version 2 record fits NT_RECORD_MAX */
	t = r;
	t.alg = NT_ALG_SHA512;
	t.digest_len = 64;
	char *big = malloc(NT_META_MAX + 1);
	memset(big, 'x', NT_META_MAX);
	memcpy(big, "{\"a\":\"", 6);
	memcpy(big + NT_META_MAX - 2, "\"}", 2);
	memcpy(t.meta, big, NT_META_MAX);
	t.meta_len = NT_META_MAX;
	free(big);
	assert_int_equal(nt_record_sign(&t, key), NT_OK);
	assert_int_equal(nt_record_encode(&t, re, sizeof re, &rn), NT_OK);
	assert_int_equal(rn, NT_RECORD_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_signature),
	    cmocka_unit_test(test_strict),    cmocka_unit_test(test_encode_rules),
	    cmocka_unit_test(test_fuzz),      cmocka_unit_test(test_v2),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
