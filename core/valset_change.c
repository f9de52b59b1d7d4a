/* Pending validator-set changes (core/valset_change.h). */
#include "core/valset_change.h"

#include "base/codec.h"
#include "base/verify.h"
#include "crypto/digest.h"
#include "crypto/keys.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct nt_changepool {
	nt_change *ch[NT_CHANGEPOOL_MAX];
	size_t n;
};

nt_err nt_change_ctx_init(nt_change_ctx *ctx, const nt_genesis *g, const nt_valset *cur,
			  uint64_t change_index)
{
	if (ctx == NULL || g == NULL || cur == NULL)
		return NT_ERR_ARG;
	ctx->genesis = g;
	ctx->cur = cur;
	ctx->change_index = change_index;
	return nt_valset_hash_v2(cur, &ctx->cur_hash);
}

nt_err nt_change_check_approval(const nt_change_ctx *ctx, const nt_hash *next_hash,
				const nt_approval *a, nt_why *why)
{
	const nt_genesis *g = ctx->genesis;
	if (a->index >= ctx->cur->n)
		return nt_fail(why, NT_ERR_RANGE,
			       "approval names validator index %u, which the current set (%u "
			       "validators) does not have",
			       a->index, ctx->cur->n);
	nt_hash msg;
	if (nt_valset_approval_hash(g->chain_id, &g->genesis_hash, ctx->change_index,
				    &ctx->cur_hash, next_hash, &msg) != NT_OK)
		return nt_fail(why, NT_ERR_RANGE, "cannot build the approval message");
	if (!nt_verify(&ctx->cur->keys[a->index], &msg, &a->sig))
		return nt_fail(why, NT_ERR_SIGNATURE,
			       "approval of validator %u (%s) does not verify for change %" PRIu64
			       " of this chain and this set (another chain, set or change index?)",
			       a->index, ctx->cur->names[a->index], ctx->change_index);
	return NT_OK;
}

nt_err nt_change_check_set(const nt_change_ctx *ctx, const uint8_t *set_bytes, size_t set_len,
			   nt_valset *next, nt_why *why)
{
	nt_why sub = {{0}};
	if (nt_valset_decode(set_bytes, set_len, next, &sub) != NT_OK)
		return nt_fail(why, NT_ERR_RANGE, "the new validator set is invalid: %s", sub.msg);
	nt_hash h;
	nt_sha256(set_bytes, set_len, &h);
	if (memcmp(h.b, ctx->cur_hash.b, NT_HASH_LEN) == 0)
		return nt_fail(why, NT_ERR_RANGE,
			       "the new validator set equals the current one: nothing to change");
	return NT_OK;
}

nt_err nt_change_encode(uint64_t change_index, const uint8_t *set_bytes, size_t set_len,
			const nt_approval *approvals, uint16_t n, uint8_t **out, size_t *len)
{
	if (set_bytes == NULL || out == NULL || len == NULL || (n > 0 && approvals == NULL))
		return NT_ERR_ARG;
	if (set_len == 0 || set_len > NT_VALSET_BYTES_MAX || n > NT_MAX_VALIDATORS)
		return NT_ERR_RANGE;
	size_t cap = 8 + 4 + set_len + 2 + (size_t)n * (2 + NT_SIG_LEN);
	uint8_t *buf = malloc(cap);
	if (buf == NULL)
		return NT_ERR_NOMEM;
	nt_writer w;
	nt_writer_init(&w, buf, cap);
	nt_put_u64(&w, change_index);
	nt_put_u32(&w, (uint32_t)set_len);
	nt_put_bytes(&w, set_bytes, set_len);
	nt_put_u16(&w, n);
	for (uint16_t i = 0; i < n; i++) {
		nt_put_u16(&w, approvals[i].index);
		nt_put_bytes(&w, approvals[i].sig.b, NT_SIG_LEN);
	}
	if (!w.ok || w.len != cap) {
		free(buf);
		return NT_ERR_RANGE;
	}
	*out = buf;
	*len = cap;
	return NT_OK;
}

nt_err nt_change_decode(const uint8_t *buf, size_t len, uint64_t *change_index,
			const uint8_t **set_bytes, size_t *set_len, nt_approval *approvals,
			uint16_t *n, nt_why *why)
{
	if (buf == NULL || len > NT_CHANGE_WIRE_MAX)
		return nt_fail(why, NT_ERR_RANGE, "set change of %zu bytes is too large", len);
	nt_reader r;
	nt_reader_init(&r, buf, len);
	uint64_t ci = nt_get_u64(&r);
	uint32_t sl = nt_get_u32(&r);
	if (!r.ok)
		return nt_fail(why, NT_ERR_DECODE, "set change is truncated");
	if (sl == 0 || sl > NT_VALSET_BYTES_MAX)
		return nt_fail(why, NT_ERR_RANGE, "set change's new set has length %u", sl);
	const uint8_t *sb = nt_get_view(&r, sl);
	uint16_t k = nt_get_u16(&r);
	if (sb == NULL || !r.ok)
		return nt_fail(why, NT_ERR_DECODE, "set change is truncated in its new set");
	if (k > NT_MAX_VALIDATORS)
		return nt_fail(why, NT_ERR_RANGE, "set change has %u approvals, more than %d", k,
			       NT_MAX_VALIDATORS);
	/* Approvals are fixed-size: check their length before writing any, so
	 * that a refused input leaves every output untouched. */
	if (r.len - r.pos != (size_t)k * (2 + NT_SIG_LEN))
		return nt_fail(why, NT_ERR_DECODE,
			       "set change's approvals are truncated or followed by extra bytes");
	for (uint16_t i = 0; i < k; i++) {
		approvals[i].index = nt_get_u16(&r);
		nt_get_bytes(&r, approvals[i].sig.b, NT_SIG_LEN);
	}
	NT_VERIFY(r.ok && nt_reader_done(&r));
	*change_index = ci;
	*set_bytes = sb;
	*set_len = sl;
	*n = k;
	return NT_OK;
}

nt_err nt_changepool_new(nt_changepool **out)
{
	nt_changepool *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NT_ERR_NOMEM;
	*out = p;
	return NT_OK;
}

static void change_free(nt_change *c)
{
	if (c == NULL)
		return;
	free(c->set_bytes);
	free(c->next);
	free(c);
}

void nt_changepool_free(nt_changepool *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		change_free(p->ch[i]);
	free(p);
}

/* True if c's approvals count under ctx: signed for its change index and
 * its current set. */
static bool current(const nt_change *c, const nt_change_ctx *ctx)
{
	return c->change_index == ctx->change_index &&
	       memcmp(c->cur_hash.b, ctx->cur_hash.b, NT_HASH_LEN) == 0;
}

static nt_change *find_exact(const nt_changepool *p, const nt_change_ctx *ctx, const nt_hash *h)
{
	for (size_t i = 0; i < p->n; i++)
		if (current(p->ch[i], ctx) && memcmp(p->ch[i]->next_hash.b, h->b, NT_HASH_LEN) == 0)
			return p->ch[i];
	return NULL;
}

static bool has_index(const nt_change *c, uint16_t index)
{
	for (uint16_t i = 0; i < c->n; i++)
		if (c->approvals[i].index == index)
			return true;
	return false;
}

/* c holds exactly this approval (index and signature). */
static bool held(const nt_change *c, const nt_approval *a)
{
	for (uint16_t i = 0; c != NULL && i < c->n; i++)
		if (c->approvals[i].index == a->index &&
		    memcmp(c->approvals[i].sig.b, a->sig.b, NT_SIG_LEN) == 0)
			return true;
	return false;
}

nt_err nt_changepool_add(nt_changepool *p, const nt_change_ctx *ctx, uint64_t change_index,
			 const uint8_t *set_bytes, size_t set_len, const nt_approval *approvals,
			 uint16_t n, unsigned *added, nt_why *why)
{
	if (added != NULL)
		*added = 0;
	if (p == NULL || ctx == NULL || set_bytes == NULL || (n > 0 && approvals == NULL))
		return nt_fail(why, NT_ERR_ARG, "no change");
	if (n == 0)
		return nt_fail(why, NT_ERR_ARG, "a set change needs at least one approval");
	if (n > NT_MAX_VALIDATORS)
		return nt_fail(why, NT_ERR_RANGE, "%u approvals, more than %d", n,
			       NT_MAX_VALIDATORS);
	if (change_index != ctx->change_index)
		return nt_fail(why, NT_ERR_CHAIN,
			       "the approval is for change %" PRIu64
			       ", but this chain's next change "
			       "is %" PRIu64 " (%s)",
			       change_index, ctx->change_index,
			       change_index < ctx->change_index ? "that change is decided already"
								: "this node has not seen the "
								  "changes before it yet");
	if (ctx->genesis->version < 2)
		return nt_fail(why, NT_ERR_CHAIN,
			       "a version 1 chain keeps its genesis set (changes need "
			       "notary-genesis/2)");
	nt_hash h;
	nt_sha256(set_bytes, set_len, &h);
	nt_change *c = find_exact(p, ctx, &h);
	nt_valset *next = NULL;
	if (c == NULL) {
		if ((next = malloc(sizeof *next)) == NULL)
			return nt_fail(why, NT_ERR_NOMEM, "out of memory");
		nt_err e = nt_change_check_set(ctx, set_bytes, set_len, next, why);
		if (e != NT_OK) {
			free(next);
			return e;
		}
	}
	/* All or nothing: check every approval first. One the pool holds
	 * already, byte for byte, was checked when it came in: a replay of
	 * public approvals costs no signature check. */
	bool seen[NT_MAX_VALIDATORS] = {false};
	for (uint16_t i = 0; i < n; i++) {
		nt_why sub = {{0}};
		nt_err e = held(c, &approvals[i])
			       ? NT_OK
			       : nt_change_check_approval(ctx, &h, &approvals[i], &sub);
		if (e == NT_OK && seen[approvals[i].index])
			e = nt_fail(&sub, NT_ERR_RANGE, "validator %u approves twice",
				    approvals[i].index);
		if (e != NT_OK) {
			free(next);
			return nt_fail(why, e, "approval %u: %s", i, sub.msg);
		}
		seen[approvals[i].index] = true;
	}
	if (c == NULL) {
		if (p->n == NT_CHANGEPOOL_MAX) {
			free(next);
			return nt_fail(why, NT_ERR_FULL,
				       "%d other set changes are waiting for approvals; refusing "
				       "another until one lands",
				       NT_CHANGEPOOL_MAX);
		}
		c = calloc(1, sizeof *c);
		uint8_t *sb = malloc(set_len);
		if (c == NULL || sb == NULL) {
			free(c);
			free(sb);
			free(next);
			return nt_fail(why, NT_ERR_NOMEM, "out of memory");
		}
		memcpy(sb, set_bytes, set_len);
		c->change_index = change_index;
		c->set_bytes = sb;
		c->set_len = set_len;
		c->next_hash = h;
		c->next = next;
		c->cur_hash = ctx->cur_hash;
		p->ch[p->n++] = c;
	}
	unsigned k = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (has_index(c, approvals[i].index))
			continue;
		c->approvals[c->n++] = approvals[i];
		k++;
	}
	if (added != NULL)
		*added = k;
	return NT_OK;
}

void nt_changepool_prune(nt_changepool *p, const nt_change_ctx *ctx)
{
	size_t k = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (!current(p->ch[i], ctx))
			change_free(p->ch[i]);
		else
			p->ch[k++] = p->ch[i];
	}
	p->n = k;
}

const nt_change *nt_changepool_ready(const nt_changepool *p, const nt_change_ctx *ctx)
{
	unsigned q = nt_valset_quorum(ctx->cur);
	for (size_t i = 0; i < p->n; i++)
		if (current(p->ch[i], ctx) && p->ch[i]->n >= q)
			return p->ch[i];
	return NULL;
}

size_t nt_changepool_count(const nt_changepool *p)
{
	return p->n;
}

const nt_change *nt_changepool_at(const nt_changepool *p, size_t i)
{
	return i < p->n ? p->ch[i] : NULL;
}

const nt_change *nt_changepool_find(const nt_changepool *p, const uint8_t *prefix, size_t len)
{
	if (len == 0 || len > NT_HASH_LEN)
		return NULL;
	const nt_change *hit = NULL;
	for (size_t i = 0; i < p->n; i++) {
		if (memcmp(p->ch[i]->next_hash.b, prefix, len) != 0)
			continue;
		if (hit != NULL)
			return NULL;
		hit = p->ch[i];
	}
	return hit;
}

nt_err nt_change_apply_to_block(const nt_change *ch, nt_block *b)
{
	if (ch == NULL || b == NULL)
		return NT_ERR_ARG;
	if (b->header.version < 2)
		return NT_ERR_CHAIN;
	nt_err e = nt_block_set_change(b, ch->set_bytes, ch->set_len, ch->approvals, ch->n);
	if (e == NT_OK)
		b->header.next_validators_hash = ch->next_hash;
	return e;
}
