/* Tests for crypto/ digests: known answers, names, SHA-256 twice, tagged
 * hashes and their cache across threads, digests of files. */
#include "tests/testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/hex.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "node/digest_file.h"

/* ---- helpers ---- */

static void assert_hex_equal(const uint8_t *got, size_t len, const char *want_hex)
{
	char hex[2 * NT_DIGEST_MAX + 1];
	assert_true(len <= NT_DIGEST_MAX);
	nt_hex_encode(got, len, hex);
	assert_string_equal(hex, want_hex);
}

/* ---- digests ---- */

static void test_digest_kat(void **state)
{
	(void)state;
	static const struct {
		int alg;
		const char *msg;
		const char *hex;
	} kat[] = {
	    {NT_ALG_SHA256, "abc",
	     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	    {NT_ALG_SHA256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	    {NT_ALG_SHA3_256, "abc",
	     "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"},
	    {NT_ALG_SM3, "abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
	    {NT_ALG_SHA512, "abc",
	     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
	};
	for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
		uint8_t out[NT_DIGEST_MAX];
		size_t n = 0;
		assert_int_equal(nt_digest_buf(kat[i].alg, kat[i].msg, strlen(kat[i].msg), out, &n),
				 NT_OK);
		assert_int_equal(n, nt_digest_len(kat[i].alg));
		assert_hex_equal(out, n, kat[i].hex);
	}
	nt_hash h;
	nt_sha256("abc", 3, &h);
	assert_hex_equal(h.b, 32, kat[0].hex);
	nt_sha256(NULL, 0, &h);
	assert_hex_equal(h.b, 32, kat[1].hex);
}

static void test_digest_names(void **state)
{
	(void)state;
	static const char *names[] = {"sha256", "sha3-256", "sm3", "sha512"};
	static const size_t lens[] = {32, 32, 32, 64};
	for (int alg = 1; alg <= 4; alg++) {
		assert_string_equal(nt_digest_name(alg), names[alg - 1]);
		assert_int_equal(nt_digest_from_name(names[alg - 1]), alg);
		assert_int_equal(nt_digest_len(alg), lens[alg - 1]);
	}
	assert_int_equal(nt_digest_len(0), 0);
	assert_int_equal(nt_digest_len(5), 0);
	assert_int_equal(nt_digest_len(-1), 0);
	assert_null(nt_digest_name(0));
	assert_null(nt_digest_name(255));
	assert_int_equal(nt_digest_from_name("SHA256"), 0);
	assert_int_equal(nt_digest_from_name("md5"), 0);
	assert_int_equal(nt_digest_from_name(""), 0);
	assert_int_equal(nt_digest_from_name(NULL), 0);

	/* unknown algorithm: error, outputs untouched */
	uint8_t out[NT_DIGEST_MAX];
	memset(out, 0xa5, sizeof out);
	size_t n = 77;
	assert_int_equal(nt_digest_buf(9, "x", 1, out, &n), NT_ERR_ARG);
	assert_int_equal(n, 77);
	for (size_t i = 0; i < sizeof out; i++)
		assert_int_equal(out[i], 0xa5);
}

static void test_sha256_2(void **state)
{
	(void)state;
	uint8_t buf[300];
	tu_rand_bytes(buf, sizeof buf);
	nt_hash whole, split;
	nt_sha256(buf, sizeof buf, &whole);
	for (int i = 0; i < 50; i++) {
		size_t cut = (size_t)(tu_rand() % (sizeof buf + 1));
		nt_sha256_2(buf, cut, buf + cut, sizeof buf - cut, &split);
		assert_memory_equal(whole.b, split.b, 32);
	}
	buf[7] ^= 1;
	nt_sha256_2(buf, 100, buf + 100, sizeof buf - 100, &split);
	assert_memory_not_equal(whole.b, split.b, 32);
}

static void test_tagged_hash(void **state)
{
	(void)state;
	/* Value from an independent implementation (Python hashlib). */
	nt_hash h;
	nt_tagged_hash("notary/record", "abc", 3, &h);
	assert_hex_equal(h.b, 32,
			 "cf80a5ed6a30c5beaedeaba8901a9e051bfc479ef5d6f3517b97efef4fea16a3");
	nt_tagged_hash("BIP0340/challenge", NULL, 0, &h);
	assert_hex_equal(h.b, 32,
			 "c216d352f5818b7b4beacd4ae0a26fe888080823d2a598856661bcd54f1b3713");

	/* The definition, spelled out with OpenSSL directly. */
	uint8_t msg[100];
	tu_rand_bytes(msg, sizeof msg);
	const char *tag = "notary/vote";
	uint8_t th[32], want[32], cat[64 + sizeof msg];
	unsigned n;
	assert_int_equal(EVP_Digest(tag, strlen(tag), th, &n, EVP_sha256(), NULL), 1);
	memcpy(cat, th, 32);
	memcpy(cat + 32, th, 32);
	memcpy(cat + 64, msg, sizeof msg);
	assert_int_equal(EVP_Digest(cat, sizeof cat, want, &n, EVP_sha256(), NULL), 1);
	nt_tagged_hash(tag, msg, sizeof msg, &h);
	assert_memory_equal(h.b, want, 32);
	/* the tag matters */
	nt_tagged_hash("notary/record", msg, sizeof msg, &h);
	assert_memory_not_equal(h.b, want, 32);
}

/* The reference: TH(tag, msg) with one-shot OpenSSL calls. */
static void ref_tagged(const char *tag, const uint8_t *msg, size_t len, uint8_t out[32])
{
	uint8_t th[32];
	unsigned n;
	assert_int_equal(EVP_Digest(tag, strlen(tag), th, &n, EVP_sha256(), NULL), 1);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	assert_non_null(c);
	assert_int_equal(EVP_DigestInit_ex(c, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(c, th, 32), 1);
	assert_int_equal(EVP_DigestUpdate(c, th, 32), 1);
	assert_int_equal(EVP_DigestUpdate(c, msg, len), 1);
	assert_int_equal(EVP_DigestFinal_ex(c, out, &n), 1);
	EVP_MD_CTX_free(c);
}

/* More tags than digest.c caches midstates for, a tag longer than a cache
 * slot and the empty tag, interleaved with plain hashes that reuse the same
 * per-thread context: every answer must match the reference. */
static const char *const cache_tags[] = {
    "notary/record",
    "notary/vote",
    "notary/proposal",
    "notary/peer",
    "BIP0340/challenge",
    "BIP0340/aux",
    "BIP0340/nonce",
    "t8",
    "t9",
    "t10",
    "",
    "a tag that is much longer than thirty-two bytes, so never cached"};
#define NCACHE_TAGS (sizeof cache_tags / sizeof cache_tags[0])

static void test_tagged_hash_cache(void **state)
{
	(void)state;
	uint8_t msg[200];
	tu_rand_bytes(msg, sizeof msg);
	for (int round = 0; round < 3; round++) {
		for (size_t t = 0; t < NCACHE_TAGS; t++) {
			size_t len = (size_t)(tu_rand() % (sizeof msg + 1));
			uint8_t want[32], plain[32];
			unsigned n;
			ref_tagged(cache_tags[t], msg, len, want);
			nt_hash h;
			nt_tagged_hash(cache_tags[t], msg, len, &h);
			assert_memory_equal(h.b, want, 32);
			/* a plain hash in between must not disturb the cached state */
			assert_int_equal(EVP_Digest(msg, len, plain, &n, EVP_sha256(), NULL), 1);
			nt_sha256(msg, len, &h);
			assert_memory_equal(h.b, plain, 32);
			nt_tagged_hash(cache_tags[t], msg, len, &h);
			assert_memory_equal(h.b, want, 32);
		}
	}
	/* a different message under a cached tag gives a different hash */
	nt_hash a, b;
	nt_tagged_hash("notary/record", "a", 1, &a);
	nt_tagged_hash("notary/record", "b", 1, &b);
	assert_memory_not_equal(a.b, b.b, 32);
}

#define THREAD_N 4
#define THREAD_ITERS 3000

typedef struct {
	const uint8_t *msg;
	const uint8_t (*want)[32]; /* per tag, then the plain hash */
	int bad;
} hash_job;

static void *hash_thread(void *arg)
{
	hash_job *j = arg;
	for (int i = 0; i < THREAD_ITERS; i++) {
		size_t t = (size_t)i % (NCACHE_TAGS + 1);
		nt_hash h;
		if (t == NCACHE_TAGS)
			nt_sha256_2(j->msg, 10, j->msg + 10, 90, &h);
		else
			nt_tagged_hash(cache_tags[t], j->msg, 100, &h);
		if (memcmp(h.b, j->want[t], 32) != 0)
			j->bad++;
	}
	return NULL;
}

/* RPC threads hash in parallel: per-thread state must keep them apart (and
 * be freed at thread exit: the ASan build reports a leak otherwise). */
static void test_hash_threads(void **state)
{
	(void)state;
	uint8_t msg[100];
	tu_rand_bytes(msg, sizeof msg);
	uint8_t want[NCACHE_TAGS + 1][32];
	for (size_t t = 0; t < NCACHE_TAGS; t++)
		ref_tagged(cache_tags[t], msg, sizeof msg, want[t]);
	unsigned n;
	assert_int_equal(EVP_Digest(msg, sizeof msg, want[NCACHE_TAGS], &n, EVP_sha256(), NULL), 1);
	pthread_t th[THREAD_N];
	hash_job jobs[THREAD_N];
	for (int i = 0; i < THREAD_N; i++) {
		jobs[i] = (hash_job){msg, (const uint8_t(*)[32])want, 0};
		assert_int_equal(pthread_create(&th[i], NULL, hash_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < THREAD_N; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(jobs[i].bad, 0);
	}
}

static void check_file(const char *path, const uint8_t *data, size_t len)
{
	for (int alg = 1; alg <= 4; alg++) {
		uint8_t a[NT_DIGEST_MAX], b[NT_DIGEST_MAX];
		size_t an = 0, bn = 0;
		uint64_t size = 12345;
		nt_why why = {{0}};
		assert_int_equal(nt_digest_buf(alg, data, len, a, &an), NT_OK);
		assert_int_equal(nt_digest_file(alg, path, b, &bn, &size, &why), NT_OK);
		assert_int_equal(an, bn);
		assert_memory_equal(a, b, an);
		assert_int_equal(size, len);
		/* file_size is optional */
		assert_int_equal(nt_digest_file(alg, path, b, &bn, NULL, NULL), NT_OK);
		assert_memory_equal(a, b, an);
	}
}

static void test_digest_file(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char path[512];
	/* empty, tiny, exactly the buffer size, and larger than the buffer
	 * by an odd amount so the last read is partial */
	static const size_t sizes[] = {0, 3, 65536, 65536 * 3 + 1234};
	uint8_t *data = malloc(sizes[3]);
	assert_non_null(data);
	tu_rand_bytes(data, sizes[3]);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		snprintf(path, sizeof path, "%s/f%zu", dir, i);
		tu_write_file(path, data, sizes[i], 0644);
		check_file(path, data, sizes[i]);
	}
	/* the "abc" answer through a file, against the published value */
	snprintf(path, sizeof path, "%s/abc", dir);
	tu_write_file(path, "abc", 3, 0600);
	uint8_t out[NT_DIGEST_MAX];
	size_t n = 0;
	assert_int_equal(nt_digest_file(NT_ALG_SM3, path, out, &n, NULL, NULL), NT_OK);
	assert_hex_equal(out, n,
			 "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
	free(data);
	tu_rmdir(dir);
	free(dir);
}

static void test_digest_file_errors(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char path[512];
	uint8_t out[NT_DIGEST_MAX];
	memset(out, 0x5a, sizeof out);
	size_t n = 99;
	uint64_t size = 99;
	nt_why why = {{0}};

	snprintf(path, sizeof path, "%s/missing", dir);
	assert_int_equal(nt_digest_file(NT_ALG_SHA256, path, out, &n, &size, &why),
			 NT_ERR_NOT_FOUND);
	assert_non_null(strstr(why.msg, path));
	assert_int_equal(n, 99);
	assert_int_equal(size, 99);
	assert_int_equal(out[0], 0x5a);

	snprintf(path, sizeof path, "%s/missing/below", dir);
	assert_int_equal(nt_digest_file(NT_ALG_SHA256, path, out, &n, &size, &why),
			 NT_ERR_NOT_FOUND);

	why.msg[0] = '\0';
	assert_int_equal(nt_digest_file(NT_ALG_SHA256, dir, out, &n, &size, &why), NT_ERR_IO);
	assert_non_null(strstr(why.msg, "is a directory, not a file"));
	assert_int_equal(n, 99);

	/* A FIFO with no writer and an endless device are refused, not
	 * waited on or read forever. */
	snprintf(path, sizeof path, "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	why.msg[0] = '\0';
	assert_int_equal(nt_digest_file(NT_ALG_SHA256, path, out, &n, &size, &why), NT_ERR_IO);
	assert_non_null(strstr(why.msg, "not a regular file (it is a FIFO)"));
	why.msg[0] = '\0';
	assert_int_equal(nt_digest_file(NT_ALG_SHA256, "/dev/zero", out, &n, &size, &why),
			 NT_ERR_IO);
	assert_non_null(strstr(why.msg, "/dev/zero is not a regular file"));
	assert_int_equal(n, 99);
	assert_int_equal(size, 99);
	unlink(path);

	snprintf(path, sizeof path, "%s/f", dir);
	tu_write_file(path, "x", 1, 0600);
	assert_int_equal(nt_digest_file(0, path, out, &n, &size, &why), NT_ERR_ARG);
	assert_int_equal(nt_digest_file(7, path, out, &n, &size, NULL), NT_ERR_ARG);

	/* Unreadable file; root reads anything, so only checked otherwise. */
	if (geteuid() != 0) {
		assert_int_equal(chmod(path, 0), 0);
		why.msg[0] = '\0';
		assert_int_equal(nt_digest_file(NT_ALG_SHA256, path, out, &n, &size, &why),
				 NT_ERR_IO);
		assert_non_null(strstr(why.msg, path));
		assert_non_null(strstr(why.msg, "ermission"));
	}
	assert_int_equal(n, 99);
	tu_rmdir(dir);
	free(dir);
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_digest_kat),	      cmocka_unit_test(test_digest_names),
	    cmocka_unit_test(test_sha256_2),	      cmocka_unit_test(test_tagged_hash),
	    cmocka_unit_test(test_tagged_hash_cache), cmocka_unit_test(test_hash_threads),
	    cmocka_unit_test(test_digest_file),	      cmocka_unit_test(test_digest_file_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
