/* Digests through OpenSSL EVP.
 *
 * OpenSSL 3 resolves an algorithm name to a provider implementation on every
 * call made with the legacy EVP_sha256() handles, which is about half the
 * cost of hashing a short record. So each algorithm is fetched once, under
 * pthread_once, and the fetched EVP_MD is shared read-only by every thread
 * (OpenSSL documents fetched methods as safe to share). They are never freed:
 * they live as long as the process, like OpenSSL's own method store. */
#include "crypto/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

/* Large enough that a 10 GB file costs few system calls, small enough to be
 * irrelevant next to the rest of a process. */
#define FILE_BUF 65536

struct alg_info {
	int code;
	const char *name; /* our name, as in records and on the command line */
	const char *ossl; /* OpenSSL's fetch name */
	size_t len;
};

static const struct alg_info algs[] = {
    {NT_ALG_SHA256, "sha256", "SHA2-256", 32},
    {NT_ALG_SHA3_256, "sha3-256", "SHA3-256", 32},
    {NT_ALG_SM3, "sm3", "SM3", 32},
    {NT_ALG_SHA512, "sha512", "SHA2-512", 64},
};
#define NALGS (sizeof algs / sizeof algs[0])

static EVP_MD *fetched[NALGS];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_all(void)
{
	/* A NULL entry (e.g. SM3 missing from a stripped OpenSSL build) turns
	 * into NT_ERR_CRYPTO at use, not a failure of the whole module. */
	for (size_t i = 0; i < NALGS; i++)
		fetched[i] = EVP_MD_fetch(NULL, algs[i].ossl, NULL);
}

static const struct alg_info *find_alg(int alg, size_t *index)
{
	for (size_t i = 0; i < NALGS; i++) {
		if (algs[i].code == alg) {
			if (index != NULL)
				*index = i;
			return &algs[i];
		}
	}
	return NULL;
}

static const EVP_MD *md_of(size_t index)
{
	pthread_once(&fetch_once, fetch_all);
	return fetched[index];
}

size_t nt_digest_len(int alg)
{
	const struct alg_info *a = find_alg(alg, NULL);
	return a != NULL ? a->len : 0;
}

const char *nt_digest_name(int alg)
{
	const struct alg_info *a = find_alg(alg, NULL);
	return a != NULL ? a->name : NULL;
}

int nt_digest_from_name(const char *name)
{
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < NALGS; i++)
		if (strcmp(algs[i].name, name) == 0)
			return algs[i].code;
	return 0;
}

nt_err nt_digest_buf(int alg, const void *data, size_t len, uint8_t out[NT_DIGEST_MAX],
		     size_t *out_len)
{
	size_t idx;
	const struct alg_info *a = find_alg(alg, &idx);
	if (a == NULL)
		return NT_ERR_ARG;
	const EVP_MD *md = md_of(idx);
	if (md == NULL)
		return NT_ERR_CRYPTO;
	uint8_t tmp[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	if (EVP_Digest(data, len, tmp, &n, md, NULL) != 1 || n != a->len)
		return NT_ERR_CRYPTO;
	memcpy(out, tmp, n);
	*out_len = n;
	return NT_OK;
}

/* Reads fd to the end into ctx. Returns 0 or an errno value. */
static int stream_fd(int fd, EVP_MD_CTX *ctx, uint8_t *buf, uint64_t *total)
{
	uint64_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf, FILE_BUF);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (r == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)r) != 1)
			return -1;
		n += (uint64_t)r;
	}
	*total = n;
	return 0;
}

nt_err nt_digest_file(int alg, const char *path, uint8_t out[NT_DIGEST_MAX], size_t *out_len,
		      uint64_t *file_size, nt_why *why)
{
	size_t idx;
	const struct alg_info *a = find_alg(alg, &idx);
	if (a == NULL)
		return nt_fail(why, NT_ERR_ARG, "unknown digest algorithm code %d", alg);
	const EVP_MD *md = md_of(idx);
	if (md == NULL)
		return nt_fail(why, NT_ERR_CRYPTO, "digest %s is not available in this OpenSSL",
			       a->name);

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR)
			return nt_fail(why, NT_ERR_NOT_FOUND, "file %s does not exist", path);
		return nt_fail(why, NT_ERR_IO, "cannot open %s: %s", path, strerror(e));
	}
	/* open() succeeds on a directory and read() would only then fail with a
	 * less helpful EISDIR, so say it up front. */
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return nt_fail(why, NT_ERR_IO, "cannot stat %s: %s", path, strerror(e));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return nt_fail(why, NT_ERR_IO, "%s is a directory, not a file", path);
	}
	if (S_ISREG(st.st_mode))
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	nt_err ret = NT_OK;
	uint8_t *buf = malloc(FILE_BUF);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (buf == NULL || ctx == NULL) {
		ret = nt_fail(why, NT_ERR_NOMEM, "out of memory hashing %s", path);
		goto out;
	}
	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1) {
		ret = nt_fail(why, NT_ERR_CRYPTO, "cannot start %s digest", a->name);
		goto out;
	}
	uint64_t total = 0;
	int e = stream_fd(fd, ctx, buf, &total);
	if (e > 0) {
		ret = nt_fail(why, NT_ERR_IO, "cannot read %s: %s", path, strerror(e));
		goto out;
	}
	uint8_t tmp[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	if (e < 0 || EVP_DigestFinal_ex(ctx, tmp, &n) != 1 || n != a->len) {
		ret = nt_fail(why, NT_ERR_CRYPTO, "%s digest of %s failed", a->name, path);
		goto out;
	}
	memcpy(out, tmp, n);
	*out_len = n;
	if (file_size != NULL)
		*file_size = total;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	return ret;
}

/* SHA-256 is required by every format in the project; without it nothing can
 * work, so its absence is an invariant violation, not an input error. */
static const EVP_MD *sha256_md(void)
{
	const EVP_MD *md = md_of(0);
	if (md == NULL)
		abort();
	return md;
}

void nt_sha256(const void *data, size_t len, nt_hash *out)
{
	unsigned n = 0;
	if (EVP_Digest(data, len, out->b, &n, sha256_md(), NULL) != 1 || n != NT_HASH_LEN)
		abort();
}

void nt_sha256_2(const void *a, size_t alen, const void *b, size_t blen, nt_hash *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned n = 0;
	if (ctx == NULL || EVP_DigestInit_ex2(ctx, sha256_md(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 || EVP_DigestUpdate(ctx, b, blen) != 1 ||
	    EVP_DigestFinal_ex(ctx, out->b, &n) != 1 || n != NT_HASH_LEN)
		abort();
	EVP_MD_CTX_free(ctx);
}

void nt_tagged_hash(const char *tag, const void *msg, size_t len, nt_hash *out)
{
	nt_hash th;
	nt_sha256(tag, strlen(tag), &th);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned n = 0;
	if (ctx == NULL || EVP_DigestInit_ex2(ctx, sha256_md(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, th.b, sizeof th.b) != 1 ||
	    EVP_DigestUpdate(ctx, th.b, sizeof th.b) != 1 || EVP_DigestUpdate(ctx, msg, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out->b, &n) != 1 || n != NT_HASH_LEN)
		abort();
	EVP_MD_CTX_free(ctx);
}
