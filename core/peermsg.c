/* Peer message encodings (see core/peermsg.h for the layouts). */
#include "core/peermsg.h"

#include <stdlib.h>
#include <string.h>

#include "base/codec.h"
#include "crypto/digest.h"

#define PEER_SIG_TAG "notary/peer"

uint8_t nt_peermsg_type(const uint8_t *buf, size_t len)
{
	return buf != NULL && len > 0 ? buf[0] : 0;
}

void nt_peermsg_vote_encode(const nt_vote *v, uint8_t out[NT_PEERMSG_VOTE_LEN])
{
	nt_writer w;
	nt_writer_init(&w, out, NT_PEERMSG_VOTE_LEN);
	nt_put_u8(&w, NT_PEERMSG_VOTE);
	nt_put_u8(&w, v->type);
	nt_put_u16(&w, v->index);
	nt_put_u64(&w, v->height);
	nt_put_u32(&w, v->round);
	nt_put_bytes(&w, v->block_hash.b, NT_HASH_LEN);
	nt_put_u64(&w, v->timestamp);
	nt_put_bytes(&w, v->sig.b, NT_SIG_LEN);
}

nt_err nt_peermsg_vote_decode(const uint8_t *buf, size_t len, nt_vote *out, nt_why *why)
{
	if (buf == NULL || len != NT_PEERMSG_VOTE_LEN)
		return nt_fail(why, NT_ERR_DECODE, "vote message has %zu bytes, not %d", len,
			       NT_PEERMSG_VOTE_LEN);
	nt_reader r;
	nt_vote v;
	memset(&v, 0, sizeof v);
	nt_reader_init(&r, buf, len);
	if (nt_get_u8(&r) != NT_PEERMSG_VOTE)
		return nt_fail(why, NT_ERR_DECODE, "not a vote message");
	v.type = nt_get_u8(&r);
	v.index = nt_get_u16(&r);
	v.height = nt_get_u64(&r);
	v.round = nt_get_u32(&r);
	nt_get_bytes(&r, v.block_hash.b, NT_HASH_LEN);
	v.timestamp = nt_get_u64(&r);
	nt_get_bytes(&r, v.sig.b, NT_SIG_LEN);
	if (!nt_reader_done(&r))
		return nt_fail(why, NT_ERR_DECODE, "vote message is malformed");
	if (v.type != NT_VOTE_PREVOTE && v.type != NT_VOTE_PRECOMMIT)
		return nt_fail(why, NT_ERR_DECODE, "unknown vote type %u", v.type);
	if (v.index >= NT_MAX_VALIDATORS)
		return nt_fail(why, NT_ERR_RANGE, "vote validator index %u out of range", v.index);
	*out = v;
	return NT_OK;
}

nt_err nt_peermsg_proposal_encode(const nt_proposal *p, uint8_t **out, size_t *len)
{
	if (p == NULL || p->block == NULL || out == NULL || len == NULL || p->valid_round < -1)
		return NT_ERR_ARG;
	uint8_t *blk;
	size_t blen;
	nt_err err = nt_block_encode(p->block, &blk, &blen);
	if (err != NT_OK)
		return err;
	if (blen > NT_BLOCK_MAX_BYTES) {
		free(blk);
		return NT_ERR_RANGE;
	}
	uint8_t cbuf[NT_COMMIT_MAX];
	size_t clen = 0;
	if (p->last_commit != NULL &&
	    (err = nt_commit_encode(p->last_commit, cbuf, sizeof cbuf, &clen)) != NT_OK) {
		free(blk);
		return err;
	}
	size_t total = NT_PEERMSG_PROPOSAL_FIXED + clen + blen;
	uint8_t *buf = malloc(total);
	if (buf == NULL) {
		free(blk);
		return NT_ERR_NOMEM;
	}
	nt_writer w;
	nt_writer_init(&w, buf, total);
	nt_put_u8(&w, NT_PEERMSG_PROPOSAL);
	nt_put_u64(&w, p->height);
	nt_put_u32(&w, p->round);
	nt_put_u32(&w, p->valid_round < 0 ? 0xffffffffu : (uint32_t)p->valid_round);
	nt_put_u16(&w, p->proposer);
	nt_put_bytes(&w, p->sig.b, NT_SIG_LEN);
	nt_put_u16(&w, (uint16_t)clen);
	nt_put_bytes(&w, cbuf, clen);
	nt_put_u32(&w, (uint32_t)blen);
	nt_put_bytes(&w, blk, blen);
	free(blk);
	if (!w.ok || w.len != total) {
		free(buf);
		return NT_ERR_RANGE;
	}
	*out = buf;
	*len = total;
	return NT_OK;
}

nt_err nt_peermsg_proposal_decode(const uint8_t *buf, size_t len, nt_proposal *out, nt_why *why)
{
	if (buf == NULL || len < NT_PEERMSG_PROPOSAL_FIXED)
		return nt_fail(why, NT_ERR_DECODE, "proposal message too short (%zu bytes)", len);
	if (len > NT_PEERMSG_MAX)
		return nt_fail(why, NT_ERR_RANGE, "proposal message too large (%zu bytes)", len);
	nt_reader r;
	nt_proposal p;
	memset(&p, 0, sizeof p);
	nt_reader_init(&r, buf, len);
	if (nt_get_u8(&r) != NT_PEERMSG_PROPOSAL)
		return nt_fail(why, NT_ERR_DECODE, "not a proposal message");
	p.height = nt_get_u64(&r);
	p.round = nt_get_u32(&r);
	uint32_t vr = nt_get_u32(&r);
	p.proposer = nt_get_u16(&r);
	nt_get_bytes(&r, p.sig.b, NT_SIG_LEN);
	uint16_t clen = nt_get_u16(&r);
	const uint8_t *cb = nt_get_view(&r, clen);
	uint32_t blen = nt_get_u32(&r);
	if (!r.ok)
		return nt_fail(why, NT_ERR_DECODE, "proposal message truncated");
	if (clen > NT_COMMIT_MAX)
		return nt_fail(why, NT_ERR_RANGE, "proposal last commit too large (%u bytes)",
			       clen);
	nt_commit lc;
	if (clen > 0) {
		nt_err cerr = nt_commit_decode(cb, clen, &lc, why);
		if (cerr != NT_OK)
			return cerr;
	}
	if (vr != 0xffffffffu && vr >= p.round)
		return nt_fail(why, NT_ERR_RANGE, "proposal valid_round %u not below round %u", vr,
			       p.round);
	p.valid_round = vr == 0xffffffffu ? -1 : (int32_t)vr;
	if (p.proposer >= NT_MAX_VALIDATORS)
		return nt_fail(why, NT_ERR_RANGE, "proposer index %u out of range", p.proposer);
	if (blen > NT_BLOCK_MAX_BYTES || blen != len - r.pos)
		return nt_fail(why, NT_ERR_DECODE,
			       "proposal block length %u does not match the %zu bytes left", blen,
			       len - r.pos);
	const uint8_t *blk = nt_get_view(&r, blen);
	if (blk == NULL || !nt_reader_done(&r))
		return nt_fail(why, NT_ERR_DECODE, "proposal message malformed");
	if (clen > 0 && (p.last_commit = malloc(sizeof *p.last_commit)) == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory decoding a proposal");
	if (clen > 0)
		*p.last_commit = lc;
	nt_err err = nt_block_decode(blk, blen, &p.block, why);
	if (err != NT_OK) {
		free(p.last_commit);
		return err;
	}
	if (nt_header_hash(&p.block->header, &p.block_hash) != NT_OK) {
		nt_block_free(p.block);
		free(p.last_commit);
		return nt_fail(why, NT_ERR_DECODE, "proposal block header cannot be hashed");
	}
	if (p.block->header.height != p.height) {
		uint64_t bh = p.block->header.height;
		nt_block_free(p.block);
		free(p.last_commit);
		return nt_fail(why, NT_ERR_MISMATCH,
			       "proposal for height %llu carries a block of height %llu",
			       (unsigned long long)p.height, (unsigned long long)bh);
	}
	*out = p;
	return NT_OK;
}

/* TH("notary/peer", str8 chain_id || u8 type || u16 sender || u32 len || body). */
static nt_err peer_sighash(const char *chain_id, uint8_t type, uint16_t sender, const uint8_t *body,
			   size_t body_len, nt_hash *out)
{
	size_t cl = strnlen(chain_id, 255);
	size_t total = 1 + cl + 1 + 2 + 4 + body_len;
	uint8_t *buf = malloc(total);
	if (buf == NULL)
		return NT_ERR_NOMEM;
	nt_writer w;
	nt_writer_init(&w, buf, total);
	nt_put_u8(&w, (uint8_t)cl);
	nt_put_bytes(&w, chain_id, cl);
	nt_put_u8(&w, type);
	nt_put_u16(&w, sender);
	nt_put_u32(&w, (uint32_t)body_len);
	nt_put_bytes(&w, body, body_len);
	nt_tagged_hash(PEER_SIG_TAG, buf, w.len, out);
	free(buf);
	return NT_OK;
}

nt_err nt_peermsg_seal(uint8_t type, const char *chain_id, uint16_t sender, const nt_seckey *key,
		       const uint8_t *body, size_t body_len, uint8_t **out, size_t *len)
{
	if (type == 0 || type == NT_PEERMSG_PROPOSAL || type == NT_PEERMSG_VOTE ||
	    chain_id == NULL || key == NULL || out == NULL || len == NULL ||
	    (body == NULL && body_len > 0))
		return NT_ERR_ARG;
	if (body_len > NT_PEERMSG_MAX_BODY)
		return NT_ERR_RANGE;
	size_t total = NT_PEERMSG_SIGNED_FIXED + body_len;
	uint8_t *buf = malloc(total);
	if (buf == NULL)
		return NT_ERR_NOMEM;
	nt_hash m;
	nt_sig sig;
	nt_err err = peer_sighash(chain_id, type, sender, body, body_len, &m);
	if (err == NT_OK)
		err = nt_sign(key, &m, &sig);
	if (err != NT_OK) {
		free(buf);
		return err;
	}
	nt_writer w;
	nt_writer_init(&w, buf, total);
	nt_put_u8(&w, type);
	nt_put_u16(&w, sender);
	nt_put_u32(&w, (uint32_t)body_len);
	if (body_len > 0)
		nt_put_bytes(&w, body, body_len);
	nt_put_bytes(&w, sig.b, NT_SIG_LEN);
	*out = buf;
	*len = w.len;
	return NT_OK;
}

int nt_peermsg_sender(const uint8_t *buf, size_t len)
{
	if (buf == NULL || len < NT_PEERMSG_SIGNED_FIXED)
		return -1;
	return (int)((unsigned)buf[1] << 8 | buf[2]);
}

/* The structure of a signed message: type, sender, body, signature. */
typedef struct {
	uint8_t t;
	uint16_t s;
	uint32_t bl;
	const uint8_t *b;
	nt_sig sig;
} signed_msg;

static nt_err parse_signed(const uint8_t *buf, size_t len, signed_msg *m, nt_why *why)
{
	if (len < NT_PEERMSG_SIGNED_FIXED)
		return nt_fail(why, NT_ERR_DECODE, "peer message too short (%zu bytes)", len);
	if (len > NT_PEERMSG_SIGNED_FIXED + NT_PEERMSG_MAX_BODY)
		return nt_fail(why, NT_ERR_RANGE, "peer message too large (%zu bytes)", len);
	nt_reader r;
	nt_reader_init(&r, buf, len);
	m->t = nt_get_u8(&r);
	m->s = nt_get_u16(&r);
	m->bl = nt_get_u32(&r);
	if (m->t == 0 || m->t == NT_PEERMSG_PROPOSAL || m->t == NT_PEERMSG_VOTE)
		return nt_fail(why, NT_ERR_DECODE, "peer message type %u is not a signed type",
			       m->t);
	if (m->bl != len - NT_PEERMSG_SIGNED_FIXED)
		return nt_fail(why, NT_ERR_DECODE, "peer message body length %u does not match",
			       m->bl);
	m->b = nt_get_view(&r, m->bl);
	nt_get_bytes(&r, m->sig.b, NT_SIG_LEN);
	if (!nt_reader_done(&r))
		return nt_fail(why, NT_ERR_DECODE, "peer message malformed");
	return NT_OK;
}

static nt_err check_signed(const signed_msg *m, const char *chain_id, const nt_pubkey *key,
			   uint8_t *type, uint16_t *sender, const uint8_t **body, size_t *body_len,
			   nt_why *why)
{
	nt_hash h;
	if (peer_sighash(chain_id, m->t, m->s, m->b, m->bl, &h) != NT_OK)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory checking a peer message");
	if (!nt_verify(key, &h, &m->sig))
		return nt_fail(why, NT_ERR_SIGNATURE,
			       "peer message signature of validator %u invalid", m->s);
	*type = m->t;
	*sender = m->s;
	*body = m->b;
	*body_len = m->bl;
	return NT_OK;
}

nt_err nt_peermsg_open_as(const uint8_t *buf, size_t len, const char *chain_id,
			  const nt_pubkey *key, uint8_t *type, uint16_t *sender,
			  const uint8_t **body, size_t *body_len, nt_why *why)
{
	if (buf == NULL || chain_id == NULL || key == NULL)
		return nt_fail(why, NT_ERR_ARG, "peer message check needs a chain and a key");
	signed_msg m;
	nt_err e = parse_signed(buf, len, &m, why);
	return e != NT_OK ? e : check_signed(&m, chain_id, key, type, sender, body, body_len, why);
}

nt_err nt_peermsg_open(const uint8_t *buf, size_t len, const char *chain_id, const nt_valset *vs,
		       uint8_t *type, uint16_t *sender, const uint8_t **body, size_t *body_len,
		       nt_why *why)
{
	if (buf == NULL || chain_id == NULL || vs == NULL)
		return nt_fail(why, NT_ERR_ARG, "peer message check needs a chain and validators");
	signed_msg m;
	nt_err e = parse_signed(buf, len, &m, why);
	if (e != NT_OK)
		return e;
	if (m.s >= vs->n)
		return nt_fail(why, NT_ERR_RANGE, "peer message sender %u out of range (%u)", m.s,
			       vs->n);
	return check_signed(&m, chain_id, &vs->keys[m.s], type, sender, body, body_len, why);
}
