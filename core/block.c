/* Block container: header || u32 count || count x { u16 len || record }. */
#include "core/block.h"

#include <stdlib.h>
#include <string.h>

#include "base/codec.h"
#include "core/record.h"
#include "core/valset.h"

/* Header bytes after version, str8 chain_id: height, time, prev_hash,
 * last_commit_hash, records_root, record_count, log_root, log_size,
 * validators_hash, proposer. */
#define HEADER_TAIL (8 + 8 + 32 + 32 + 32 + 4 + 32 + 8 + 32 + 32)
/* A version 2 header adds genesis_hash and next_validators_hash. */
#define HEADER_TAIL_V2 (HEADER_TAIL + 32 + 32)

nt_err nt_block_new(uint32_t count, nt_block **out)
{
	if (count > NT_BLOCK_MAX_RECORDS)
		return NT_ERR_RANGE;
	nt_block *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NT_ERR_NOMEM;
	/* one spare slot so that an empty block still has non-NULL arrays */
	b->recs = calloc((size_t)count + 1, sizeof *b->recs);
	b->lens = calloc((size_t)count + 1, sizeof *b->lens);
	b->ids = calloc((size_t)count + 1, sizeof *b->ids);
	if (b->recs == NULL || b->lens == NULL || b->ids == NULL) {
		nt_block_free(b);
		return NT_ERR_NOMEM;
	}
	b->count = count;
	*out = b;
	return NT_OK;
}

nt_err nt_block_set(nt_block *b, uint32_t i, const uint8_t *rec, size_t len)
{
	if (b == NULL || i >= b->count || rec == NULL)
		return NT_ERR_ARG;
	if (len == 0 || len > NT_RECORD_MAX)
		return NT_ERR_RANGE;
	uint8_t *copy = malloc(len);
	if (copy == NULL)
		return NT_ERR_NOMEM;
	memcpy(copy, rec, len);
	free(b->recs[i]);
	b->recs[i] = copy;
	b->lens[i] = len;
	nt_record_id(copy, len, &b->ids[i]);
	return NT_OK;
}

bool nt_header_is_change(const nt_header *h)
{
	return h->version == NT_HEADER_VERSION_2 &&
	       memcmp(h->next_validators_hash.b, h->validators_hash.b, NT_HASH_LEN) != 0;
}

nt_err nt_block_set_change(nt_block *b, const uint8_t *valset_bytes, size_t valset_len,
			   const nt_approval *approvals, uint16_t n)
{
	if (b == NULL || valset_bytes == NULL || (n > 0 && approvals == NULL))
		return NT_ERR_ARG;
	if (valset_len == 0 || valset_len > NT_VALSET_BYTES_MAX || n > NT_MAX_VALIDATORS)
		return NT_ERR_RANGE;
	uint8_t *vb = malloc(valset_len);
	nt_approval *ap = malloc(((size_t)n + 1) * sizeof *ap);
	if (vb == NULL || ap == NULL) {
		free(vb);
		free(ap);
		return NT_ERR_NOMEM;
	}
	memcpy(vb, valset_bytes, valset_len);
	if (n > 0)
		memcpy(ap, approvals, (size_t)n * sizeof *ap);
	free(b->valset_bytes);
	free(b->approvals);
	b->valset_bytes = vb;
	b->valset_len = valset_len;
	b->approvals = ap;
	b->napprovals = n;
	return NT_OK;
}

static size_t change_len(const nt_block *b)
{
	return 4 + b->valset_len + 2 + (size_t)b->napprovals * (2 + NT_SIG_LEN);
}

static void put_change(nt_writer *w, const nt_block *b)
{
	nt_put_u32(w, (uint32_t)b->valset_len);
	nt_put_bytes(w, b->valset_bytes, b->valset_len);
	nt_put_u16(w, b->napprovals);
	for (uint16_t i = 0; i < b->napprovals; i++) {
		nt_put_u16(w, b->approvals[i].index);
		nt_put_bytes(w, b->approvals[i].sig.b, NT_SIG_LEN);
	}
}

nt_err nt_block_change_encode(const nt_block *b, uint8_t **out, size_t *len)
{
	if (b == NULL || out == NULL || len == NULL || b->valset_bytes == NULL)
		return NT_ERR_ARG;
	size_t n = change_len(b);
	uint8_t *buf = malloc(n);
	if (buf == NULL)
		return NT_ERR_NOMEM;
	nt_writer w;
	nt_writer_init(&w, buf, n);
	put_change(&w, b);
	if (!w.ok) {
		free(buf);
		return NT_ERR_RANGE;
	}
	*out = buf;
	*len = w.len;
	return NT_OK;
}

/* Reads a change section from r into b. */
static nt_err get_change(nt_reader *r, nt_block *b, nt_why *why)
{
	uint32_t vl = nt_get_u32(r);
	if (!r->ok)
		return nt_fail(why, NT_ERR_DECODE, "change block is truncated before its new set");
	if (vl == 0 || vl > NT_VALSET_BYTES_MAX)
		return nt_fail(why, NT_ERR_RANGE, "change block's new set has length %u", vl);
	const uint8_t *vb = nt_get_view(r, vl);
	uint16_t n = nt_get_u16(r);
	if (vb == NULL || !r->ok)
		return nt_fail(why, NT_ERR_DECODE, "change block is truncated in its new set");
	if (n > NT_MAX_VALIDATORS)
		return nt_fail(why, NT_ERR_RANGE, "change block has %u approvals, more than %d", n,
			       NT_MAX_VALIDATORS);
	nt_approval ap[NT_MAX_VALIDATORS];
	for (uint16_t i = 0; i < n; i++) {
		ap[i].index = nt_get_u16(r);
		nt_get_bytes(r, ap[i].sig.b, NT_SIG_LEN);
	}
	if (!r->ok)
		return nt_fail(why, NT_ERR_DECODE, "change block is truncated in its approvals");
	nt_err e = nt_block_set_change(b, vb, vl, ap, n);
	return e == NT_OK ? NT_OK : nt_fail(why, e, "cannot hold the change section");
}

nt_err nt_block_change_decode(nt_block *b, const uint8_t *buf, size_t len, nt_why *why)
{
	if (b == NULL || buf == NULL)
		return nt_fail(why, NT_ERR_ARG, "no change section");
	nt_reader r;
	nt_reader_init(&r, buf, len);
	nt_err e = get_change(&r, b, why);
	if (e != NT_OK)
		return e;
	if (!nt_reader_done(&r))
		return nt_fail(why, NT_ERR_DECODE, "trailing bytes after the change section");
	return NT_OK;
}

void nt_block_free(nt_block *b)
{
	if (b == NULL)
		return;
	free(b->valset_bytes);
	free(b->approvals);
	if (b->recs != NULL)
		for (uint32_t i = 0; i < b->count; i++)
			free(b->recs[i]);
	free(b->recs);
	free(b->lens);
	free(b->ids);
	free(b);
}

nt_err nt_block_encode(const nt_block *b, uint8_t **out, size_t *len)
{
	if (b == NULL || out == NULL || len == NULL || b->count > NT_BLOCK_MAX_RECORDS)
		return NT_ERR_ARG;
	size_t total = NT_HEADER_MAX + 4;
	for (uint32_t i = 0; i < b->count; i++) {
		if (b->recs[i] == NULL || b->lens[i] == 0 || b->lens[i] > NT_RECORD_MAX)
			return NT_ERR_ARG;
		total += 2 + b->lens[i];
	}
	bool change = nt_header_is_change(&b->header);
	if (change != (b->valset_bytes != NULL))
		return NT_ERR_ARG; /* a change block needs its section, others have none */
	if (change)
		total += change_len(b);
	uint8_t *buf = malloc(total);
	if (buf == NULL)
		return NT_ERR_NOMEM;
	size_t hlen;
	nt_err e = nt_header_encode(&b->header, buf, NT_HEADER_MAX, &hlen);
	if (e != NT_OK) {
		free(buf);
		return e;
	}
	nt_writer w;
	nt_writer_init(&w, buf, total);
	w.len = hlen;
	nt_put_u32(&w, b->count);
	for (uint32_t i = 0; i < b->count; i++) {
		nt_put_u16(&w, (uint16_t)b->lens[i]);
		nt_put_bytes(&w, b->recs[i], b->lens[i]);
	}
	if (change)
		put_change(&w, b);
	if (!w.ok || w.len > NT_BLOCK_MAX_BYTES) {
		free(buf);
		return NT_ERR_RANGE;
	}
	*out = buf;
	*len = w.len;
	return NT_OK;
}

nt_err nt_block_decode(const uint8_t *buf, size_t len, nt_block **out, nt_why *why)
{
	if (len > NT_BLOCK_MAX_BYTES)
		return nt_fail(why, NT_ERR_RANGE, "block is %zu bytes, more than %u", len,
			       NT_BLOCK_MAX_BYTES);
	if (len < 2)
		return nt_fail(why, NT_ERR_DECODE, "block is truncated (%zu bytes)", len);
	size_t hlen =
	    2 + (size_t)buf[1] + (buf[0] == NT_HEADER_VERSION_2 ? HEADER_TAIL_V2 : HEADER_TAIL);
	if (len < hlen)
		return nt_fail(why, NT_ERR_DECODE, "block is truncated inside its header");
	nt_header h;
	nt_err e = nt_header_decode(buf, hlen, &h, why);
	if (e != NT_OK)
		return e;
	nt_reader r;
	nt_reader_init(&r, buf + hlen, len - hlen);
	uint32_t count = nt_get_u32(&r);
	if (!r.ok)
		return nt_fail(why, NT_ERR_DECODE, "block is truncated before its record count");
	if (count > NT_BLOCK_MAX_RECORDS)
		return nt_fail(why, NT_ERR_RANGE, "block has %u records, more than %d", count,
			       NT_BLOCK_MAX_RECORDS);
	/* Each record takes at least 3 bytes; do not allocate for records that
	 * cannot be there. */
	if ((uint64_t)count * 3 > len - r.pos - hlen)
		return nt_fail(why, NT_ERR_DECODE, "block is too short for %u records", count);
	nt_block *b;
	if ((e = nt_block_new(count, &b)) != NT_OK)
		return e;
	b->header = h;
	for (uint32_t i = 0; i < count; i++) {
		uint16_t rl = nt_get_u16(&r);
		const uint8_t *p = nt_get_view(&r, rl);
		if (p == NULL) {
			nt_block_free(b);
			return nt_fail(why, NT_ERR_DECODE, "block is truncated in record %u", i);
		}
		if (rl == 0 || rl > NT_RECORD_MAX) {
			nt_block_free(b);
			return nt_fail(why, NT_ERR_RANGE, "block record %u has length %u", i, rl);
		}
		if ((e = nt_block_set(b, i, p, rl)) != NT_OK) {
			nt_block_free(b);
			return e;
		}
	}
	if (nt_header_is_change(&h) && (e = get_change(&r, b, why)) != NT_OK) {
		nt_block_free(b);
		return e;
	}
	if (!nt_reader_done(&r)) {
		nt_block_free(b);
		return nt_fail(why, NT_ERR_DECODE, "trailing bytes after the block's records");
	}
	*out = b;
	return NT_OK;
}
