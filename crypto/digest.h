/* Digests through OpenSSL EVP, and the BIP-340 tagged hash.
 * Pure: no global state beyond what OpenSSL keeps; safe from any thread. */
#ifndef NT_DIGEST_H
#define NT_DIGEST_H

#include "base/err.h"
#include "base/types.h"

/* Digest algorithm codes as they appear in a record (FORMATS.md). */
typedef enum {
	NT_ALG_SHA256 = 1,
	NT_ALG_SHA3_256 = 2,
	NT_ALG_SM3 = 3,
	NT_ALG_SHA512 = 4,
} nt_digest_alg;

#define NT_DIGEST_MAX 64

/* Digest length of alg in bytes, or 0 if alg is not a known code. */
size_t nt_digest_len(int alg);
/* "sha256", "sha3-256", "sm3", "sha512", or NULL for an unknown code. */
const char *nt_digest_name(int alg);
/* Algorithm code for a name as above, or 0 if unknown. */
int nt_digest_from_name(const char *name);

/* Digest of a memory buffer. out must hold NT_DIGEST_MAX bytes; *out_len is
 * set to nt_digest_len(alg). NT_ERR_ARG for an unknown alg. */
nt_err nt_digest_buf(int alg, const void *data, size_t len, uint8_t out[NT_DIGEST_MAX],
		     size_t *out_len) NT_MUST_CHECK;

/* A digest fed in pieces (a file of any size in constant memory: the
 * reading is node/digest_file.c's). nt_digest_begin: NT_ERR_ARG for an
 * unknown alg, NT_ERR_CRYPTO if OpenSSL lacks it, NT_ERR_NOMEM; why says
 * which. nt_digest_end writes nt_digest_len(alg) bytes to out; the context
 * is then spent: free it with nt_digest_free (NULL is a no-op). */
typedef struct nt_digest_ctx nt_digest_ctx;
nt_err nt_digest_begin(int alg, nt_digest_ctx **out, nt_why *why) NT_MUST_CHECK;
nt_err nt_digest_update(nt_digest_ctx *c, const void *data, size_t len) NT_MUST_CHECK;
nt_err nt_digest_end(nt_digest_ctx *c, uint8_t out[NT_DIGEST_MAX], size_t *out_len) NT_MUST_CHECK;
void nt_digest_free(nt_digest_ctx *c);

/* SHA-256 of one buffer, and of the concatenation a || b.
 * These cannot fail short of memory exhaustion inside OpenSSL, which aborts. */
void nt_sha256(const void *data, size_t len, nt_hash *out);
void nt_sha256_2(const void *a, size_t alen, const void *b, size_t blen, nt_hash *out);

/* BIP-340 tagged hash: SHA-256(SHA-256(tag) || SHA-256(tag) || msg). */
void nt_tagged_hash(const char *tag, const void *msg, size_t len, nt_hash *out);

#endif
