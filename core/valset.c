/* Validator set hash and quorum (FORMATS.md "Block header"), and the
 * version 2 valset_bytes with names (FORMATS.md "Names and sets"). */
#include "core/valset.h"

#include <stdlib.h>
#include <string.h>

#include "base/codec.h"
#include "core/header.h"
#include "crypto/digest.h"
#include "crypto/keys.h"

#define VALSET_APPROVAL_TAG "notary/valset"

void nt_valset_hash(const nt_valset *vs, nt_hash *out)
{
	uint8_t buf[2 + NT_MAX_VALIDATORS * NT_PUBKEY_LEN];
	nt_writer w;
	/* n is bounded by the array; a larger n is our own bug, not input. */
	unsigned n = vs->n <= NT_MAX_VALIDATORS ? vs->n : NT_MAX_VALIDATORS;
	nt_writer_init(&w, buf, sizeof buf);
	nt_put_u16(&w, (uint16_t)n);
	for (unsigned i = 0; i < n; i++)
		nt_put_bytes(&w, vs->keys[i].b, NT_PUBKEY_LEN);
	nt_sha256(buf, w.len, out);
}

unsigned nt_valset_quorum(const nt_valset *vs)
{
	return 2u * vs->n / 3u + 1u;
}

int nt_valset_index(const nt_valset *vs, const nt_pubkey *pk)
{
	for (unsigned i = 0; i < vs->n && i < NT_MAX_VALIDATORS; i++)
		if (memcmp(vs->keys[i].b, pk->b, NT_PUBKEY_LEN) == 0)
			return (int)i;
	return -1;
}

/* One UTF-8 sequence at s[0..n): its code point and length, or 0 if it is
 * not well formed (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
static size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1fu, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0fu, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0u) != 0x80u)
			return 0;
		v = (v << 6) | (s[i] & 0x3fu);
	}
	if (v < min || v > 0x10ffffu || (v >= 0xd800u && v <= 0xdfffu))
		return 0;
	*cp = v;
	return len;
}

bool nt_str8u_valid(const void *str, size_t n)
{
	const uint8_t *s = str;
	if (s == NULL || n < 1 || n > NT_VALIDATOR_NAME_MAX)
		return false;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_next(s + i, n - i, &cp);
		if (k == 0 || cp < 0x20u || (cp >= 0x7fu && cp <= 0x9fu))
			return false;
		i += k;
	}
	return true;
}

nt_err nt_valset_encode(const nt_valset *vs, uint8_t *out, size_t cap, size_t *len)
{
	if (vs == NULL || vs->n < 1 || vs->n > NT_MAX_VALIDATORS)
		return NT_ERR_RANGE;
	nt_writer w;
	nt_writer_init(&w, out, cap);
	nt_put_u16(&w, vs->n);
	for (unsigned i = 0; i < vs->n; i++) {
		size_t nl = strnlen(vs->names[i], NT_VALIDATOR_NAME_MAX + 1);
		if (!nt_str8u_valid(vs->names[i], nl))
			return NT_ERR_RANGE;
		nt_put_bytes(&w, vs->keys[i].b, NT_PUBKEY_LEN);
		nt_put_u8(&w, (uint8_t)nl);
		nt_put_bytes(&w, vs->names[i], nl);
	}
	if (!w.ok)
		return NT_ERR_RANGE;
	*len = w.len;
	return NT_OK;
}

nt_err nt_valset_decode(const uint8_t *buf, size_t len, nt_valset *out, nt_why *why)
{
	if (buf == NULL || out == NULL)
		return NT_ERR_ARG;
	nt_reader r;
	nt_reader_init(&r, buf, len);
	uint16_t n = nt_get_u16(&r);
	if (!r.ok)
		return nt_fail(why, NT_ERR_DECODE, "validator set is truncated (%zu bytes)", len);
	if (n < 1 || n > NT_MAX_VALIDATORS)
		return nt_fail(why, NT_ERR_RANGE, "validator set has %u entries (must be 1..%d)",
			       (unsigned)n, NT_MAX_VALIDATORS);
	/* out is written only on success: build the set aside (it is large). */
	nt_valset *vs = calloc(1, sizeof *vs);
	if (vs == NULL)
		return NT_ERR_NOMEM;
	nt_err e = NT_OK;
	for (unsigned i = 0; i < n && e == NT_OK; i++) {
		nt_get_bytes(&r, vs->keys[i].b, NT_PUBKEY_LEN);
		uint8_t nl = nt_get_u8(&r);
		const uint8_t *name = nt_get_view(&r, nl);
		if (!r.ok) {
			e = nt_fail(why, NT_ERR_DECODE, "validator set is truncated (%zu bytes)",
				    len);
			break;
		}
		if (!nt_pubkey_valid(&vs->keys[i])) {
			e = nt_fail(why, NT_ERR_DECODE,
				    "validator %u of the set is not a valid x-only key", i);
			break;
		}
		for (unsigned j = 0; j < i; j++)
			if (memcmp(vs->keys[j].b, vs->keys[i].b, NT_PUBKEY_LEN) == 0) {
				e = nt_fail(why, NT_ERR_EXISTS,
					    "validators %u and %u of the set have the same key", j,
					    i);
				break;
			}
		if (e != NT_OK)
			break;
		if (!nt_str8u_valid(name, nl)) {
			e = nt_fail(why, NT_ERR_DECODE,
				    "validator %u name is not 1..255 bytes of UTF-8 without "
				    "control characters",
				    i);
			break;
		}
		memcpy(vs->names[i], name, nl);
		vs->names[i][nl] = '\0';
	}
	if (e == NT_OK && !nt_reader_done(&r))
		e = nt_fail(why, NT_ERR_DECODE,
			    "trailing bytes after the validator set (%zu of %zu used)", r.pos, len);
	if (e == NT_OK) {
		vs->n = n;
		*out = *vs;
	}
	free(vs);
	return e;
}

nt_err nt_valset_hash_v2(const nt_valset *vs, nt_hash *out)
{
	uint8_t buf[NT_VALSET_BYTES_MAX];
	size_t n;
	nt_err e = nt_valset_encode(vs, buf, sizeof buf, &n);
	if (e != NT_OK)
		return e;
	nt_sha256(buf, n, out);
	return NT_OK;
}

nt_err nt_valset_approval_hash(const char *chain_id, const nt_hash *genesis_hash,
			       uint64_t change_index, const nt_hash *validators_hash,
			       const nt_hash *next_validators_hash, nt_hash *out)
{
	if (!nt_chain_id_valid(chain_id) || genesis_hash == NULL || validators_hash == NULL ||
	    next_validators_hash == NULL || out == NULL)
		return NT_ERR_RANGE;
	uint8_t buf[1 + NT_CHAIN_ID_MAX + 32 + 8 + 32 + 32];
	size_t cl = strlen(chain_id);
	nt_writer w;
	nt_writer_init(&w, buf, sizeof buf);
	nt_put_u8(&w, (uint8_t)cl);
	nt_put_bytes(&w, chain_id, cl);
	nt_put_bytes(&w, genesis_hash->b, NT_HASH_LEN);
	nt_put_u64(&w, change_index);
	nt_put_bytes(&w, validators_hash->b, NT_HASH_LEN);
	nt_put_bytes(&w, next_validators_hash->b, NT_HASH_LEN);
	if (!w.ok)
		return NT_ERR_RANGE;
	nt_tagged_hash(VALSET_APPROVAL_TAG, buf, w.len, out);
	return NT_OK;
}
