/* Evidence record encoding (FORMATS.md "Evidence record").
 *
 * The encoded bytes are what gets signed, hashed into record_id and stored,
 * so decode is strict: exactly one encoding is accepted for each record, and
 * re-encoding a decoded record gives back the same bytes. */
#include "core/record.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "base/codec.h"
#include "core/merkle.h"
#include "crypto/digest.h"

#define RECORD_SIG_TAG "notary/record"
#define RECORD_META_TAG "notary/meta"

/* Metadata must be empty or one JSON object. jansson rejects invalid UTF-8
 * and "\u0000" by default; a raw NUL byte is refused here first because the
 * struct keeps meta as a C string. */
static nt_err meta_check(const char *meta, size_t len, nt_why *why)
{
	if (len == 0)
		return NT_OK;
	if (len > NT_META_MAX)
		return nt_fail(why, NT_ERR_RANGE, "record meta is %zu bytes, more than %d", len,
			       NT_META_MAX);
	if (memchr(meta, 0, len) != NULL)
		return nt_fail(why, NT_ERR_DECODE, "record meta contains a NUL byte");
	json_error_t jerr;
	json_t *j = json_loadb(meta, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (j == NULL)
		return nt_fail(why, NT_ERR_DECODE, "record meta is not valid JSON: %s", jerr.text);
	bool obj = json_is_object(j);
	json_decref(j);
	if (!obj)
		return nt_fail(why, NT_ERR_DECODE, "record meta is not a JSON object");
	return NT_OK;
}

/* The rules that do not need the JSON parser. */
static nt_err shape_check(const nt_record *rec, nt_why *why)
{
	if (rec->version != NT_RECORD_VERSION && rec->version != NT_RECORD_VERSION_2)
		return nt_fail(why, NT_ERR_RANGE,
			       "record version %u is not supported (expected %d or %d)",
			       rec->version, NT_RECORD_VERSION, NT_RECORD_VERSION_2);
	if (rec->version == NT_RECORD_VERSION && rec->flags != 0)
		return nt_fail(why, NT_ERR_RANGE, "a version 1 record has no flags");
	if ((rec->flags & ~NT_RECORD_FLAGS_KNOWN) != 0)
		return nt_fail(
		    why, NT_ERR_DECODE,
		    "record flags 0x%02x set unknown bits (only bits 0 and 1 are defined)",
		    rec->flags);
	size_t dl = nt_digest_len(rec->alg);
	if (dl == 0)
		return nt_fail(why, NT_ERR_RANGE, "record digest_alg %u is unknown", rec->alg);
	if (rec->digest_len != dl)
		return nt_fail(why, NT_ERR_DECODE, "record digest_len %u does not match %s (%zu)",
			       rec->digest_len, nt_digest_name(rec->alg), dl);
	if (rec->meta_len > NT_META_MAX)
		return nt_fail(why, NT_ERR_RANGE, "record meta is %u bytes, more than %d",
			       rec->meta_len, NT_META_MAX);
	return NT_OK;
}

/* The meta rule for this record: committed meta is exactly 32 bytes of
 * anything, other meta is empty or a JSON object. */
static nt_err meta_rule(const nt_record *rec, nt_why *why)
{
	if (rec->flags & NT_RECORD_FLAG_META) {
		if (rec->meta_len != NT_HASH_LEN)
			return nt_fail(why, NT_ERR_DECODE,
				       "record meta is committed but is %u bytes, not 32",
				       rec->meta_len);
		return NT_OK;
	}
	return meta_check(rec->meta, rec->meta_len, why);
}

/* Everything before the signature. */
static void put_body(nt_writer *w, const nt_record *rec)
{
	nt_put_u8(w, rec->version);
	if (rec->version == NT_RECORD_VERSION_2)
		nt_put_u8(w, rec->flags);
	nt_put_u8(w, rec->alg);
	nt_put_u8(w, rec->digest_len);
	nt_put_bytes(w, rec->digest, rec->digest_len);
	nt_put_u64(w, rec->size);
	nt_put_u64(w, rec->client_time);
	nt_put_u16(w, rec->meta_len);
	nt_put_bytes(w, rec->meta, rec->meta_len);
	nt_put_bytes(w, rec->submitter.b, NT_PUBKEY_LEN);
}

nt_err nt_record_encode(const nt_record *rec, uint8_t *out, size_t cap, size_t *len)
{
	nt_err e = shape_check(rec, NULL);
	if (e == NT_OK)
		e = meta_rule(rec, NULL);
	if (e != NT_OK)
		return e;
	nt_writer w;
	nt_writer_init(&w, out, cap);
	put_body(&w, rec);
	nt_put_bytes(&w, rec->sig.b, NT_SIG_LEN);
	if (!w.ok)
		return NT_ERR_RANGE;
	*len = w.len;
	return NT_OK;
}

nt_err nt_record_decode(const uint8_t *buf, size_t len, nt_record *out, nt_why *why)
{
	nt_record r;
	nt_reader rd;
	nt_reader_init(&rd, buf, len);
	memset(&r, 0, sizeof r);

	r.version = nt_get_u8(&rd);
	if (r.version == NT_RECORD_VERSION_2)
		r.flags = nt_get_u8(&rd);
	r.alg = nt_get_u8(&rd);
	r.digest_len = nt_get_u8(&rd);
	if (!rd.ok)
		return nt_fail(why, NT_ERR_DECODE, "record is truncated (%zu bytes)", len);
	/* Check the digest length before reading the digest into a 64-byte field. */
	r.meta_len = 0;
	nt_err e = shape_check(&r, why);
	if (e != NT_OK)
		return e;
	nt_get_bytes(&rd, r.digest, r.digest_len);
	r.size = nt_get_u64(&rd);
	r.client_time = nt_get_u64(&rd);
	r.meta_len = nt_get_u16(&rd);
	if (rd.ok && r.meta_len > NT_META_MAX)
		return nt_fail(why, NT_ERR_RANGE, "record meta is %u bytes, more than %d",
			       r.meta_len, NT_META_MAX);
	nt_get_bytes(&rd, r.meta, r.meta_len);
	nt_get_bytes(&rd, r.submitter.b, NT_PUBKEY_LEN);
	nt_get_bytes(&rd, r.sig.b, NT_SIG_LEN);
	if (!rd.ok)
		return nt_fail(why, NT_ERR_DECODE, "record is truncated (%zu bytes)", len);
	if (!nt_reader_done(&rd))
		return nt_fail(why, NT_ERR_DECODE, "trailing bytes after record (%zu of %zu used)",
			       rd.pos, len);
	r.meta[r.meta_len] = '\0';
	e = meta_rule(&r, why);
	if (e != NT_OK)
		return e;
	*out = r;
	return NT_OK;
}

nt_err nt_record_sighash(const nt_record *rec, nt_hash *out)
{
	nt_err e = shape_check(rec, NULL);
	if (e != NT_OK)
		return e;
	uint8_t buf[NT_RECORD_MAX];
	nt_writer w;
	nt_writer_init(&w, buf, sizeof buf);
	put_body(&w, rec);
	if (!w.ok)
		return NT_ERR_RANGE;
	nt_tagged_hash(RECORD_SIG_TAG, buf, w.len, out);
	return NT_OK;
}

nt_err nt_record_sign(nt_record *rec, const nt_seckey *k)
{
	nt_record tmp = *rec;
	nt_seckey_pubkey(k, &tmp.submitter);
	/* Refuse to sign something that would not decode. */
	nt_err e = shape_check(&tmp, NULL);
	if (e == NT_OK)
		e = meta_rule(&tmp, NULL);
	nt_hash h;
	if (e == NT_OK)
		e = nt_record_sighash(&tmp, &h);
	if (e == NT_OK)
		e = nt_sign(k, &h, &tmp.sig);
	if (e != NT_OK)
		return e;
	*rec = tmp;
	return NT_OK;
}

nt_err nt_record_verify(const nt_record *rec)
{
	nt_hash h;
	if (nt_record_sighash(rec, &h) != NT_OK)
		return NT_ERR_SIGNATURE;
	return nt_verify(&rec->submitter, &h, &rec->sig) ? NT_OK : NT_ERR_SIGNATURE;
}

void nt_record_id(const uint8_t *buf, size_t len, nt_hash *out)
{
	nt_merkle_leaf_hash(buf, len, out);
}

bool nt_record_is_private(const nt_record *rec)
{
	return rec->version == NT_RECORD_VERSION_2 && (rec->flags & NT_RECORD_FLAGS_KNOWN) != 0;
}

nt_err nt_record_salted_digest(int alg, const uint8_t salt[NT_RECORD_SALT_LEN],
			       const uint8_t *file_digest, size_t fd_len, uint8_t *out,
			       size_t *out_len)
{
	size_t dl = nt_digest_len(alg);
	if (dl == 0 || fd_len != dl || salt == NULL || file_digest == NULL || out == NULL)
		return NT_ERR_ARG;
	uint8_t buf[NT_RECORD_SALT_LEN + NT_DIGEST_MAX];
	memcpy(buf, salt, NT_RECORD_SALT_LEN);
	memcpy(buf + NT_RECORD_SALT_LEN, file_digest, dl);
	nt_err e = nt_digest_buf(alg, buf, NT_RECORD_SALT_LEN + dl, out, out_len);
	OPENSSL_cleanse(buf, sizeof buf);
	return e;
}

void nt_record_meta_commitment(const uint8_t salt[NT_RECORD_SALT_LEN], const void *meta_json,
			       size_t len, nt_hash *out)
{
	/* TH(tag, salt || meta) without copying meta: the tagged hash of a
	 * concatenation is fed in one buffer here, meta is at most a few KB. */
	uint8_t buf[NT_RECORD_SALT_LEN + NT_META_MAX];
	if (len > NT_META_MAX) {
		/* Larger clear meta cannot be a record's meta; hash it anyway so
		 * the caller's comparison fails rather than this call. */
		uint8_t *big = malloc(NT_RECORD_SALT_LEN + len);
		if (big == NULL) {
			memset(out->b, 0, NT_HASH_LEN);
			return;
		}
		memcpy(big, salt, NT_RECORD_SALT_LEN);
		memcpy(big + NT_RECORD_SALT_LEN, meta_json, len);
		nt_tagged_hash(RECORD_META_TAG, big, NT_RECORD_SALT_LEN + len, out);
		free(big);
		return;
	}
	memcpy(buf, salt, NT_RECORD_SALT_LEN);
	if (len > 0)
		memcpy(buf + NT_RECORD_SALT_LEN, meta_json, len);
	nt_tagged_hash(RECORD_META_TAG, buf, NT_RECORD_SALT_LEN + len, out);
	OPENSSL_cleanse(buf, NT_RECORD_SALT_LEN);
}
