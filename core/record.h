/* Evidence record: one leaf of the ledger (FORMATS.md "Evidence record"). */
#ifndef NT_RECORD_H
#define NT_RECORD_H

#include "base/err.h"
#include "base/types.h"
#include "crypto/keys.h"

#define NT_RECORD_VERSION 1
/* Version 2 (FORMATS.md "Private records"): a flags byte after the version. */
#define NT_RECORD_VERSION_2 2
#define NT_RECORD_FLAG_SALTED 0x01u /* digest = D(salt || file digest) */
#define NT_RECORD_FLAG_META 0x02u   /* meta = TH("notary/meta", salt || meta JSON) */
#define NT_RECORD_FLAGS_KNOWN (NT_RECORD_FLAG_SALTED | NT_RECORD_FLAG_META)
#define NT_RECORD_SALT_LEN 32
#define NT_META_MAX 4096
/* version, [flags], alg, digest_len, digest(<=64), size, client_time, meta
 * len, meta, submitter, signature */
#define NT_RECORD_MAX (4 + 64 + 8 + 8 + 2 + NT_META_MAX + 32 + 64)

typedef struct {
	uint8_t version; /* 1 or 2 */
	uint8_t flags;	 /* version 2 only (0 in version 1): NT_RECORD_FLAG_* */
	uint8_t alg;
	uint8_t digest_len;
	uint8_t digest[64];
	uint64_t size;
	uint64_t client_time;
	uint16_t meta_len;
	/* NUL-terminated copy of the meta bytes. With NT_RECORD_FLAG_META these
	 * are the 32 commitment bytes (binary, may hold NULs): use meta_len. */
	char meta[NT_META_MAX + 1];
	nt_pubkey submitter;
	nt_sig sig;
} nt_record;

/* Encodes rec into out (cap bytes, NT_RECORD_MAX is always enough).
 * Checks the same rules as decode (NT_ERR_RANGE / NT_ERR_DECODE). */
nt_err nt_record_encode(const nt_record *rec, uint8_t *out, size_t cap, size_t *len) NT_MUST_CHECK;

/* Strict decode: version 1 or 2 (version 2: no flag bits other than
 * NT_RECORD_FLAGS_KNOWN), a known alg, digest_len equal to the alg's
 * length, meta at most 4096 bytes and either empty or a UTF-8 JSON object
 * (no NUL), except committed meta (NT_RECORD_FLAG_META), which is exactly
 * 32 bytes; no trailing bytes. Does NOT check the signature. */
nt_err nt_record_decode(const uint8_t *buf, size_t len, nt_record *out, nt_why *why) NT_MUST_CHECK;

/* TH("notary/record", every encoded byte before the signature). */
nt_err nt_record_sighash(const nt_record *rec, nt_hash *out) NT_MUST_CHECK;

/* Fills rec->submitter from k and rec->sig with a signature over the rest. */
nt_err nt_record_sign(nt_record *rec, const nt_seckey *k) NT_MUST_CHECK;

/* NT_OK if rec->sig verifies under rec->submitter, else NT_ERR_SIGNATURE. */
nt_err nt_record_verify(const nt_record *rec) NT_MUST_CHECK;

/* record_id = H(0x00 || encoded record), the RFC 9162 leaf hash. */
void nt_record_id(const uint8_t *buf, size_t len, nt_hash *out);

/* True if rec is a private record (version 2 with any flag set). */
bool nt_record_is_private(const nt_record *rec);

/* Salted digest of a version 2 record: D(salt || file_digest), D being alg
 * (the record's algorithm) and file_digest the file's digest under it
 * (fd_len must be alg's length). out holds NT_DIGEST_MAX bytes; *out_len is
 * set to alg's length. NT_ERR_ARG for an unknown alg or a wrong length. */
nt_err nt_record_salted_digest(int alg, const uint8_t salt[NT_RECORD_SALT_LEN],
			       const uint8_t *file_digest, size_t fd_len, uint8_t *out,
			       size_t *out_len) NT_MUST_CHECK;

/* Meta commitment: TH("notary/meta", salt || meta_json[0..len)). */
void nt_record_meta_commitment(const uint8_t salt[NT_RECORD_SALT_LEN], const void *meta_json,
			       size_t len, nt_hash *out);

#endif
