/* Votes and the commit certificate (FORMATS.md "Votes and the commit"). */
#include "core/commit.h"

#include <string.h>

#include "base/codec.h"
#include "crypto/digest.h"
#include "crypto/keys.h"

#define VOTE_SIG_TAG "notary/vote"
#define COMMIT_FIXED (8 + 4 + 32 + 2)
#define COMMIT_ENTRY (2 + 8 + 64)

void nt_vote_sighash(uint8_t type, const char *chain_id, uint64_t height, uint32_t round,
		     const nt_hash *block_hash, uint64_t timestamp, nt_hash *out)
{
	uint8_t buf[1 + 1 + 255 + 8 + 4 + 32 + 8];
	/* A str8 cannot hold more than 255 bytes; callers pass validated ids. */
	size_t cl = strnlen(chain_id, 255);
	nt_writer w;
	nt_writer_init(&w, buf, sizeof buf);
	nt_put_u8(&w, type);
	nt_put_u8(&w, (uint8_t)cl);
	nt_put_bytes(&w, chain_id, cl);
	nt_put_u64(&w, height);
	nt_put_u32(&w, round);
	nt_put_bytes(&w, block_hash->b, NT_HASH_LEN);
	nt_put_u64(&w, timestamp);
	nt_tagged_hash(VOTE_SIG_TAG, buf, w.len, out);
}

nt_err nt_commit_encode(const nt_commit *c, uint8_t *out, size_t cap, size_t *len)
{
	if (c->count > NT_MAX_VALIDATORS)
		return NT_ERR_RANGE;
	nt_writer w;
	nt_writer_init(&w, out, cap);
	nt_put_u64(&w, c->height);
	nt_put_u32(&w, c->round);
	nt_put_bytes(&w, c->block_hash.b, NT_HASH_LEN);
	nt_put_u16(&w, c->count);
	for (unsigned i = 0; i < c->count; i++) {
		nt_put_u16(&w, c->sigs[i].index);
		nt_put_u64(&w, c->sigs[i].timestamp);
		nt_put_bytes(&w, c->sigs[i].sig.b, NT_SIG_LEN);
	}
	if (!w.ok)
		return NT_ERR_RANGE;
	*len = w.len;
	return NT_OK;
}

nt_err nt_commit_decode(const uint8_t *buf, size_t len, nt_commit *out, nt_why *why)
{
	nt_commit c;
	nt_reader r;
	memset(&c, 0, sizeof c);
	nt_reader_init(&r, buf, len);
	c.height = nt_get_u64(&r);
	c.round = nt_get_u32(&r);
	nt_get_bytes(&r, c.block_hash.b, NT_HASH_LEN);
	c.count = nt_get_u16(&r);
	if (!r.ok)
		return nt_fail(why, NT_ERR_DECODE, "commit is truncated (%zu bytes)", len);
	if (c.count > NT_MAX_VALIDATORS)
		return nt_fail(why, NT_ERR_RANGE, "commit has %u signatures, more than %d", c.count,
			       NT_MAX_VALIDATORS);
	for (unsigned i = 0; i < c.count; i++) {
		c.sigs[i].index = nt_get_u16(&r);
		c.sigs[i].timestamp = nt_get_u64(&r);
		nt_get_bytes(&r, c.sigs[i].sig.b, NT_SIG_LEN);
	}
	if (!r.ok)
		return nt_fail(why, NT_ERR_DECODE,
			       "commit is truncated (%zu bytes for %u signatures)", len, c.count);
	if (!nt_reader_done(&r))
		return nt_fail(why, NT_ERR_DECODE, "trailing bytes after commit (%zu of %zu used)",
			       r.pos, len);
	*out = c;
	return NT_OK;
}

nt_err nt_commit_verify(const nt_commit *c, const char *chain_id, const nt_valset *vs, nt_why *why)
{
	if (c == NULL || chain_id == NULL || vs == NULL || vs->n == 0 || vs->n > NT_MAX_VALIDATORS)
		return nt_fail(why, NT_ERR_ARG,
			       "commit check needs a chain_id and a validator set");
	unsigned quorum = nt_valset_quorum(vs);
	if (c->count > NT_MAX_VALIDATORS)
		return nt_fail(why, NT_ERR_RANGE, "commit has %u signatures, more than %d",
			       c->count, NT_MAX_VALIDATORS);
	if (c->count < quorum)
		return nt_fail(why, NT_ERR_QUORUM,
			       "commit below quorum (%u of %u needed, %u validators)", c->count,
			       quorum, vs->n);
	/* Indexes first: strictly increasing means no validator counts twice. */
	for (unsigned i = 0; i < c->count; i++) {
		unsigned idx = c->sigs[i].index;
		if (i > 0 && idx <= c->sigs[i - 1].index)
			return nt_fail(why, NT_ERR_QUORUM,
				       "commit validator indexes not strictly increasing "
				       "(%u after %u)",
				       idx, c->sigs[i - 1].index);
		if (idx >= vs->n)
			return nt_fail(why, NT_ERR_RANGE,
				       "commit validator index %u out of range (%u validators)",
				       idx, vs->n);
	}
	for (unsigned i = 0; i < c->count; i++) {
		const nt_commit_sig *s = &c->sigs[i];
		const nt_pubkey *pk = &vs->keys[s->index];
		nt_hash h;
		nt_vote_sighash(NT_VOTE_PRECOMMIT, chain_id, c->height, c->round, &c->block_hash,
				s->timestamp, &h);
		if (nt_verify(pk, &h, &s->sig))
			continue;
		/* Only on failure: say so when it is a valid vote of the wrong kind, a
		 * mistake an honest implementer makes more often than a forgery. */
		nt_vote_sighash(NT_VOTE_PREVOTE, chain_id, c->height, c->round, &c->block_hash,
				s->timestamp, &h);
		if (nt_verify(pk, &h, &s->sig))
			return nt_fail(why, NT_ERR_SIGNATURE,
				       "commit signature of validator %u invalid: it signs a "
				       "prevote, not a precommit",
				       s->index);
		return nt_fail(why, NT_ERR_SIGNATURE, "commit signature of validator %u invalid",
			       s->index);
	}
	return NT_OK;
}

uint64_t nt_commit_time(const nt_commit *c)
{
	uint64_t t[NT_MAX_VALIDATORS];
	unsigned n = c->count <= NT_MAX_VALIDATORS ? c->count : NT_MAX_VALIDATORS;
	if (n == 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		/* insertion sort: n <= 128 */
		uint64_t v = c->sigs[i].timestamp;
		unsigned j = i;
		while (j > 0 && t[j - 1] > v) {
			t[j] = t[j - 1];
			j--;
		}
		t[j] = v;
	}
	return t[n / 2];
}
