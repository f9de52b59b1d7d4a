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

/* Streams the file at path through the digest in constant memory.
 * On NT_OK also sets *file_size (if not NULL). NT_ERR_NOT_FOUND if missing,
 * NT_ERR_IO on read errors and for anything but a regular file (directory,
 * FIFO, device, socket: refused at once, never read); why says which file
 * and what. */
nt_err nt_digest_file(int alg, const char *path, uint8_t out[NT_DIGEST_MAX], size_t *out_len,
		      uint64_t *file_size, nt_why *why) NT_MUST_CHECK;

/* SHA-256 of one buffer, and of the concatenation a || b.
 * These cannot fail short of memory exhaustion inside OpenSSL, which aborts. */
void nt_sha256(const void *data, size_t len, nt_hash *out);
void nt_sha256_2(const void *a, size_t alen, const void *b, size_t blen, nt_hash *out);

/* BIP-340 tagged hash: SHA-256(SHA-256(tag) || SHA-256(tag) || msg). */
void nt_tagged_hash(const char *tag, const void *msg, size_t len, nt_hash *out);

#endif
