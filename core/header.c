/* Block header encoding (FORMATS.md "Block header"). */
#include "core/header.h"

#include <string.h>

#include "base/codec.h"
#include "crypto/digest.h"

static bool chain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static bool chain_id_bytes_valid(const uint8_t *s, size_t n)
{
	if (n < 1 || n > NT_CHAIN_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!chain_char((char)s[i]))
			return false;
	return true;
}

bool nt_chain_id_valid(const char *s)
{
	if (s == NULL)
		return false;
	size_t n = strnlen(s, NT_CHAIN_ID_MAX + 1);
	return chain_id_bytes_valid((const uint8_t *)s, n);
}

nt_err nt_header_encode(const nt_header *h, uint8_t *out, size_t cap, size_t *len)
{
	if ((h->version != NT_HEADER_VERSION && h->version != NT_HEADER_VERSION_2) ||
	    !nt_chain_id_valid(h->chain_id) || h->height < 1)
		return NT_ERR_RANGE;
	size_t cl = strlen(h->chain_id);
	nt_writer w;
	nt_writer_init(&w, out, cap);
	nt_put_u8(&w, h->version);
	nt_put_u8(&w, (uint8_t)cl);
	nt_put_bytes(&w, h->chain_id, cl);
	nt_put_u64(&w, h->height);
	nt_put_u64(&w, h->time);
	nt_put_bytes(&w, h->prev_hash.b, NT_HASH_LEN);
	nt_put_bytes(&w, h->last_commit_hash.b, NT_HASH_LEN);
	nt_put_bytes(&w, h->records_root.b, NT_HASH_LEN);
	nt_put_u32(&w, h->record_count);
	nt_put_bytes(&w, h->log_root.b, NT_HASH_LEN);
	nt_put_u64(&w, h->log_size);
	if (h->version == NT_HEADER_VERSION_2)
		nt_put_bytes(&w, h->genesis_hash.b, NT_HASH_LEN);
	nt_put_bytes(&w, h->validators_hash.b, NT_HASH_LEN);
	if (h->version == NT_HEADER_VERSION_2)
		nt_put_bytes(&w, h->next_validators_hash.b, NT_HASH_LEN);
	nt_put_bytes(&w, h->proposer.b, NT_PUBKEY_LEN);
	if (!w.ok)
		return NT_ERR_RANGE;
	*len = w.len;
	return NT_OK;
}

nt_err nt_header_decode(const uint8_t *buf, size_t len, nt_header *out, nt_why *why)
{
	nt_header h;
	nt_reader r;
	memset(&h, 0, sizeof h);
	nt_reader_init(&r, buf, len);
	h.version = nt_get_u8(&r);
	if (r.ok && h.version != NT_HEADER_VERSION && h.version != NT_HEADER_VERSION_2)
		return nt_fail(why, NT_ERR_RANGE,
			       "header version %u is not supported (expected %d or %d)", h.version,
			       NT_HEADER_VERSION, NT_HEADER_VERSION_2);
	uint8_t cl = nt_get_u8(&r);
	const uint8_t *cid = nt_get_view(&r, cl);
	if (cid != NULL && !chain_id_bytes_valid(cid, cl))
		return nt_fail(why, NT_ERR_DECODE,
			       "header chain_id is not 1..%d characters of [a-z0-9._-]",
			       NT_CHAIN_ID_MAX);
	if (cid != NULL)
		memcpy(h.chain_id, cid, cl);
	h.height = nt_get_u64(&r);
	h.time = nt_get_u64(&r);
	nt_get_bytes(&r, h.prev_hash.b, NT_HASH_LEN);
	nt_get_bytes(&r, h.last_commit_hash.b, NT_HASH_LEN);
	nt_get_bytes(&r, h.records_root.b, NT_HASH_LEN);
	h.record_count = nt_get_u32(&r);
	nt_get_bytes(&r, h.log_root.b, NT_HASH_LEN);
	h.log_size = nt_get_u64(&r);
	if (h.version == NT_HEADER_VERSION_2)
		nt_get_bytes(&r, h.genesis_hash.b, NT_HASH_LEN);
	nt_get_bytes(&r, h.validators_hash.b, NT_HASH_LEN);
	if (h.version == NT_HEADER_VERSION_2)
		nt_get_bytes(&r, h.next_validators_hash.b, NT_HASH_LEN);
	nt_get_bytes(&r, h.proposer.b, NT_PUBKEY_LEN);
	if (!r.ok)
		return nt_fail(why, NT_ERR_DECODE, "header is truncated (%zu bytes)", len);
	if (!nt_reader_done(&r))
		return nt_fail(why, NT_ERR_DECODE, "trailing bytes after header (%zu of %zu used)",
			       r.pos, len);
	if (h.height < 1)
		return nt_fail(why, NT_ERR_RANGE, "header height is 0 (the first block is 1)");
	*out = h;
	return NT_OK;
}

nt_err nt_header_hash(const nt_header *h, nt_hash *out)
{
	uint8_t buf[NT_HEADER_MAX];
	size_t n;
	nt_err e = nt_header_encode(h, buf, sizeof buf, &n);
	if (e != NT_OK)
		return e;
	nt_sha256(buf, n, out);
	return NT_OK;
}
