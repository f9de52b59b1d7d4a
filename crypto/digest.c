/* Digests through OpenSSL EVP.
 *
 * OpenSSL 3 resolves an algorithm name to a provider implementation on every
 * call made with the legacy EVP_sha256() handles, which is about half the
 * cost of hashing a short record. So each algorithm is fetched once, under
 * pthread_once, and the fetched EVP_MD is shared read-only by every thread
 * (OpenSSL documents fetched methods as safe to share). They are never freed:
 * they live as long as the process, like OpenSSL's own method store. */
#include "crypto/digest.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

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

struct nt_digest_ctx {
	EVP_MD_CTX *md;
	const struct alg_info *a;
};

nt_err nt_digest_begin(int alg, nt_digest_ctx **out, nt_why *why)
{
	size_t idx;
	const struct alg_info *a = find_alg(alg, &idx);
	if (a == NULL)
		return nt_fail(why, NT_ERR_ARG, "unknown digest algorithm code %d", alg);
	const EVP_MD *md = md_of(idx);
	if (md == NULL)
		return nt_fail(why, NT_ERR_CRYPTO, "digest %s is not available in this OpenSSL",
			       a->name);
	nt_digest_ctx *c = calloc(1, sizeof *c);
	if (c == NULL || (c->md = EVP_MD_CTX_new()) == NULL) {
		free(c);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	c->a = a;
	if (EVP_DigestInit_ex2(c->md, md, NULL) != 1) {
		nt_digest_free(c);
		return nt_fail(why, NT_ERR_CRYPTO, "cannot start %s digest", a->name);
	}
	*out = c;
	return NT_OK;
}

nt_err nt_digest_update(nt_digest_ctx *c, const void *data, size_t len)
{
	return EVP_DigestUpdate(c->md, data, len) == 1 ? NT_OK : NT_ERR_CRYPTO;
}

nt_err nt_digest_end(nt_digest_ctx *c, uint8_t out[NT_DIGEST_MAX], size_t *out_len)
{
	uint8_t tmp[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	if (EVP_DigestFinal_ex(c->md, tmp, &n) != 1 || n != c->a->len)
		return NT_ERR_CRYPTO;
	memcpy(out, tmp, n);
	*out_len = n;
	return NT_OK;
}

void nt_digest_free(nt_digest_ctx *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
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

/* ---- the SHA-256 hot path ----
 *
 * Merkle trees, record ids and signature hashes call SHA-256 on short
 * inputs millions of times, where EVP_Digest's EVP_MD_CTX_new / up_ref /
 * ENGINE lookup / free cost more than the compression itself. So each
 * thread keeps one EVP_MD_CTX that it re-initialises, and, for the few
 * BIP-340 tags, a context that has already absorbed SHA-256(tag) twice
 * (exactly one 64-byte block) to copy from.
 *
 * The state is per thread (RPC worker threads hash in parallel; an
 * EVP_MD_CTX must not be shared), reached through a _Thread_local pointer
 * for speed and registered with a pthread key only so its destructor frees
 * it when the thread exits. None of it is secret: only public data
 * (records, headers, tree nodes) goes through these three functions. */

/* Enough for the tags the formats define ("notary/record", "notary/vote",
 * "notary/proposal", "notary/peer", ...); others are hashed directly. */
#define TAG_SLOTS 8
#define TAG_MAX 32

struct tag_mid {
	char tag[TAG_MAX + 1];
	EVP_MD_CTX *mid; /* has absorbed SHA-256(tag) || SHA-256(tag) */
};

struct sha_tls {
	const EVP_MD *md; /* the shared fetched SHA-256, read without pthread_once */
	EVP_MD_CTX *ctx;
	unsigned ntags;
	struct tag_mid tags[TAG_SLOTS];
};

static _Thread_local struct sha_tls *tls;
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static bool tls_key_ok;

static void tls_free(void *p)
{
	struct sha_tls *t = p;
	if (t == NULL)
		return;
	EVP_MD_CTX_free(t->ctx);
	for (unsigned i = 0; i < t->ntags; i++)
		EVP_MD_CTX_free(t->tags[i].mid);
	free(t);
}

static void tls_key_init(void)
{
	tls_key_ok = pthread_key_create(&tls_key, tls_free) == 0;
}

/* This thread's state. Allocation failure aborts, as the header says
 * (OpenSSL itself gives us no other way to hash without memory). */
static struct sha_tls *sha_tls(void)
{
	struct sha_tls *t = tls;
	if (t != NULL)
		return t;
	pthread_once(&tls_once, tls_key_init);
	t = calloc(1, sizeof *t);
	if (t == NULL || (t->ctx = EVP_MD_CTX_new()) == NULL)
		abort();
	t->md = sha256_md();
	/* Without a key the state lives until the process ends: a leak of
	 * one context per thread, never a wrong hash. */
	if (tls_key_ok)
		(void)pthread_setspecific(tls_key, t);
	tls = t;
	return t;
}

static void sha_final(EVP_MD_CTX *ctx, nt_hash *out)
{
	unsigned n = 0;
	if (EVP_DigestFinal_ex(ctx, out->b, &n) != 1 || n != NT_HASH_LEN)
		abort();
}

void nt_sha256(const void *data, size_t len, nt_hash *out)
{
	struct sha_tls *t = sha_tls();
	EVP_MD_CTX *ctx = t->ctx;
	if (EVP_DigestInit_ex2(ctx, t->md, NULL) != 1 || EVP_DigestUpdate(ctx, data, len) != 1)
		abort();
	sha_final(ctx, out);
}

void nt_sha256_2(const void *a, size_t alen, const void *b, size_t blen, nt_hash *out)
{
	struct sha_tls *t = sha_tls();
	EVP_MD_CTX *ctx = t->ctx;
	if (EVP_DigestInit_ex2(ctx, t->md, NULL) != 1 || EVP_DigestUpdate(ctx, a, alen) != 1 ||
	    EVP_DigestUpdate(ctx, b, blen) != 1)
		abort();
	sha_final(ctx, out);
}

/* Starts ctx with SHA-256(tag) || SHA-256(tag) absorbed. */
static void tag_start(EVP_MD_CTX *ctx, const char *tag, size_t tlen)
{
	nt_hash th;
	nt_sha256(tag, tlen, &th);
	if (EVP_DigestInit_ex2(ctx, sha256_md(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, th.b, sizeof th.b) != 1 ||
	    EVP_DigestUpdate(ctx, th.b, sizeof th.b) != 1)
		abort();
}

/* The cached midstate for tag, creating it if there is room; NULL when the
 * tag is too long or the cache is full. */
static EVP_MD_CTX *tag_mid(struct sha_tls *t, const char *tag, size_t tlen)
{
	for (unsigned i = 0; i < t->ntags; i++)
		if (strcmp(t->tags[i].tag, tag) == 0)
			return t->tags[i].mid;
	if (tlen > TAG_MAX || t->ntags == TAG_SLOTS)
		return NULL;
	EVP_MD_CTX *mid = EVP_MD_CTX_new();
	if (mid == NULL)
		abort();
	tag_start(mid, tag, tlen);
	struct tag_mid *m = &t->tags[t->ntags++];
	memcpy(m->tag, tag, tlen + 1);
	m->mid = mid;
	return mid;
}

void nt_tagged_hash(const char *tag, const void *msg, size_t len, nt_hash *out)
{
	struct sha_tls *t = sha_tls();
	size_t tlen = strlen(tag);
	EVP_MD_CTX *mid = tag_mid(t, tag, tlen);
	if (mid != NULL) {
		if (EVP_MD_CTX_copy_ex(t->ctx, mid) != 1)
			abort();
	} else {
		tag_start(t->ctx, tag, tlen);
	}
	if (EVP_DigestUpdate(t->ctx, msg, len) != 1)
		abort();
	sha_final(t->ctx, out);
}
