/* Evidence record: one leaf of the ledger (FORMATS.md "Evidence record"). */
#ifndef NT_RECORD_H
#define NT_RECORD_H

#include "base/err.h"
#include "base/types.h"
#include "crypto/keys.h"

#define NT_RECORD_VERSION 1
#define NT_META_MAX 4096
/* version, alg, digest_len, digest(<=64), size, client_time, meta len,
 * meta, submitter, signature */
#define NT_RECORD_MAX (3 + 64 + 8 + 8 + 2 + NT_META_MAX + 32 + 64)

typedef struct {
	uint8_t version;
	uint8_t alg;
	uint8_t digest_len;
	uint8_t digest[64];
	uint64_t size;
	uint64_t client_time;
	uint16_t meta_len;
	char meta[NT_META_MAX + 1]; /* NUL-terminated copy of the meta bytes */
	nt_pubkey submitter;
	nt_sig sig;
} nt_record;

/* Encodes rec into out (cap bytes, NT_RECORD_MAX is always enough).
 * Checks the same rules as decode (NT_ERR_RANGE / NT_ERR_DECODE). */
nt_err nt_record_encode(const nt_record *rec, uint8_t *out, size_t cap, size_t *len) NT_MUST_CHECK;

/* Strict decode: version 1, a known alg, digest_len equal to the alg's
 * length, meta at most 4096 bytes and either empty or a UTF-8 JSON object
 * (no NUL), no trailing bytes. Does NOT check the signature. */
nt_err nt_record_decode(const uint8_t *buf, size_t len, nt_record *out, nt_why *why) NT_MUST_CHECK;

/* TH("notary/record", every encoded byte before the signature). */
nt_err nt_record_sighash(const nt_record *rec, nt_hash *out) NT_MUST_CHECK;

/* Fills rec->submitter from k and rec->sig with a signature over the rest. */
nt_err nt_record_sign(nt_record *rec, const nt_seckey *k) NT_MUST_CHECK;

/* NT_OK if rec->sig verifies under rec->submitter, else NT_ERR_SIGNATURE. */
nt_err nt_record_verify(const nt_record *rec) NT_MUST_CHECK;

/* record_id = H(0x00 || encoded record), the RFC 9162 leaf hash. */
void nt_record_id(const uint8_t *buf, size_t len, nt_hash *out);

#endif
