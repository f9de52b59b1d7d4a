/* Validator-set changes in the ledger (FORMATS.md "Changing the validator
 * set"; docs/FORMATS.md "Set changes in blocks"): checking a change
 * block's section against the set that commits it, and reading the stored
 * changes ("v" u64 height -> change section) back as sets per height. */
#include "base/verify.h"
#include "core/ledger_internal.h"
#include "core/valset_change.h"
#include "crypto/keys.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

nt_err ntl_check_change(const nt_genesis *g, const nt_valset *s, uint64_t change_index,
			const nt_block *b, nt_valset *next, nt_why *why)
{
	const nt_header *h = &b->header;
	if (!nt_header_is_change(h)) {
		if (b->valset_bytes != NULL || b->napprovals > 0)
			return nt_fail(why, NT_ERR_CHAIN,
				       "block carries a validator-set change section but its "
				       "header does not change the set");
		return NT_OK;
	}
	if (b->valset_bytes == NULL)
		return nt_fail(why, NT_ERR_CHAIN,
			       "change block carries no new validator set (next_validators_hash "
			       "differs from validators_hash)");
	nt_why sub = {{0}};
	if (nt_valset_decode(b->valset_bytes, b->valset_len, next, &sub) != NT_OK)
		return nt_fail(why, NT_ERR_CHAIN, "change block's new validator set is invalid: %s",
			       sub.msg);
	nt_hash nh;
	nt_sha256(b->valset_bytes, b->valset_len, &nh);
	if (!ntl_hash_eq(&nh, &h->next_validators_hash))
		return nt_fail(why, NT_ERR_CHAIN,
			       "change block's new validator set does not hash to "
			       "next_validators_hash");
	/* the same check as an approval before it is in a block
	 * (core/valset_change.h) */
	nt_change_ctx ctx = {
	    .genesis = g, .cur = s, .cur_hash = h->validators_hash, .change_index = change_index};
	bool seen[NT_MAX_VALIDATORS] = {false};
	for (uint16_t i = 0; i < b->napprovals; i++) {
		const nt_approval *a = &b->approvals[i];
		nt_err e = nt_change_check_approval(&ctx, &h->next_validators_hash, a, &sub);
		if (e != NT_OK)
			return nt_fail(why, e == NT_ERR_SIGNATURE ? e : NT_ERR_CHAIN,
				       "set change approval %u: %s", i, sub.msg);
		if (seen[a->index])
			return nt_fail(why, NT_ERR_CHAIN,
				       "set change approval %u repeats validator index %u", i,
				       a->index);
		seen[a->index] = true;
	}
	unsigned q = nt_valset_quorum(s);
	if (b->napprovals < q)
		return nt_fail(why, NT_ERR_CHAIN,
			       "set change has %u approvals, the current set needs %u",
			       b->napprovals, q);
	return NT_OK;
}

typedef struct {
	uint64_t upto;
	ntl_changes *out;
	nt_err err;
} load_arg;

static int load_fn(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	load_arg *a = arg;
	if (kl != NTL_KEY_U64_LEN) {
		a->err = NT_ERR_CORRUPT;
		return 1;
	}
	nt_reader r;
	nt_reader_init(&r, k + 1, kl - 1);
	uint64_t height = nt_get_u64(&r);
	if (height == 0 || height > a->upto)
		return height == 0 ? (a->err = NT_ERR_CORRUPT, 1) : 1;
	ntl_changes *c = a->out;
	if (c->n > 0 && height <= c->heights[c->n - 1]) {
		a->err = NT_ERR_CORRUPT;
		return 1;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		uint64_t *hs = realloc(c->heights, cap * sizeof *hs);
		if (hs != NULL)
			c->heights = hs;
		nt_valset **ss = realloc(c->sets, cap * sizeof *ss);
		if (ss != NULL)
			c->sets = ss;
		if (hs == NULL || ss == NULL) {
			a->err = NT_ERR_NOMEM;
			return 1;
		}
		c->cap = cap;
	}
	nt_block *b = NULL;
	nt_valset *s = malloc(sizeof *s);
	if (s == NULL || nt_block_new(0, &b) != NT_OK) {
		free(s);
		a->err = NT_ERR_NOMEM;
		return 1;
	}
	nt_why sub = {{0}};
	if (nt_block_change_decode(b, v, vl, &sub) != NT_OK ||
	    nt_valset_decode(b->valset_bytes, b->valset_len, s, &sub) != NT_OK) {
		nt_block_free(b);
		free(s);
		a->err = NT_ERR_CORRUPT;
		return 1;
	}
	nt_block_free(b);
	c->heights[c->n] = height;
	c->sets[c->n] = s;
	c->n++;
	return 0;
}

void ntl_changes_free(ntl_changes *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->sets[i]);
	free(c->sets);
	free(c->heights);
	memset(c, 0, sizeof *c);
}

nt_err ntl_load_changes(nt_kv *kv, uint64_t upto, ntl_changes *out, nt_why *why)
{
	memset(out, 0, sizeof *out);
	load_arg a = {upto, out, NT_OK};
	uint8_t pfx = NTL_VALSET;
	nt_err e = nt_kv_scan(kv, &pfx, 1, load_fn, &a);
	if (e == NT_OK)
		e = a.err;
	if (e != NT_OK) {
		ntl_changes_free(out);
		return nt_fail(why, e == NT_ERR_NOMEM ? e : NT_ERR_CORRUPT,
			       e == NT_ERR_NOMEM ? "out of memory"
						 : "a stored validator-set change is unreadable");
	}
	return NT_OK;
}

/* The set that commits height, from the genesis set and the changes. */
static void set_at(const nt_genesis *g, const ntl_changes *c, uint64_t height, nt_valset *out)
{
	const nt_valset *s = &g->vals;
	for (size_t i = 0; i < c->n && c->heights[i] < height; i++)
		s = c->sets[i];
	*out = *s;
}

nt_err nt_ledger_reader_valset_at(const nt_ledger_reader *r, uint64_t height, nt_valset *out)
{
	if (r == NULL || out == NULL)
		return NT_ERR_ARG;
	if (height == 0 || height > r->height + 1)
		return NT_ERR_NOT_FOUND;
	ntl_changes c;
	nt_why why = {{0}};
	nt_err e = ntl_load_changes(r->kv, r->height, &c, &why);
	if (e != NT_OK)
		return e;
	set_at(r->genesis, &c, height, out);
	ntl_changes_free(&c);
	return NT_OK;
}

nt_err nt_ledger_reader_changes(const nt_ledger_reader *r, uint64_t *heights, size_t cap, size_t *n)
{
	if (r == NULL || n == NULL || (cap > 0 && heights == NULL))
		return NT_ERR_ARG;
	ntl_changes c;
	nt_why why = {{0}};
	nt_err e = ntl_load_changes(r->kv, r->height, &c, &why);
	if (e != NT_OK)
		return e;
	for (size_t i = 0; i < c.n && i < cap; i++)
		heights[i] = c.heights[i];
	*n = c.n;
	ntl_changes_free(&c);
	return NT_OK;
}

nt_err nt_ledger_valset_at(const nt_ledger *l, uint64_t height, nt_valset *out)
{
	nt_ledger_reader r;
	nt_ledger_reader_get(l, &r);
	return nt_ledger_reader_valset_at(&r, height, out);
}

nt_err nt_ledger_changes(const nt_ledger *l, uint64_t *heights, size_t cap, size_t *n)
{
	nt_ledger_reader r;
	nt_ledger_reader_get(l, &r);
	return nt_ledger_reader_changes(&r, heights, cap, n);
}

const nt_valset *nt_ledger_next_valset(const nt_ledger *l)
{
	return &l->cur;
}

uint64_t nt_ledger_change_count(const nt_ledger *l)
{
	return l->nchanges;
}

nt_err ntl_receipt_block(const nt_ledger_reader *r, const nt_header *h, const nt_commit *c,
			 nt_receipt_block **out)
{
	if (h->version != NT_HEADER_VERSION_2 || h->height < 2)
		return nt_receipt_block_new(h, c, &r->genesis->vals, out);
	ntl_changes ch;
	uint64_t upto = h->height - 1 < r->height ? h->height - 1 : r->height;
	nt_err e = ntl_load_changes(r->kv, upto, &ch, NULL);
	if (e != NT_OK)
		return e;
	if (ch.n > NT_RECEIPT_CHANGES_MAX) {
		ntl_changes_free(&ch);
		return NT_ERR_RANGE;
	}
	const size_t each = NT_HEADER_MAX + NT_COMMIT_MAX + NT_VALSET_BYTES_MAX;
	nt_receipt_change_bytes *cb = calloc(ch.n + 1, sizeof *cb);
	uint8_t *buf = malloc(ch.n * each + 1);
	nt_commit *cc = malloc(sizeof *cc);
	nt_valset *s = malloc(sizeof *s);
	if (cb == NULL || buf == NULL || cc == NULL || s == NULL)
		e = NT_ERR_NOMEM;
	for (size_t i = 0; e == NT_OK && i < ch.n; i++) {
		uint8_t *hb = buf + i * each, *cbuf = hb + NT_HEADER_MAX,
			*vb = cbuf + NT_COMMIT_MAX;
		nt_header ih;
		cb[i].header = hb;
		cb[i].commit = cbuf;
		cb[i].next_validators = vb;
		e = ntl_load_header(r->kv, ch.heights[i], &ih, hb, &cb[i].header_len, NULL);
		if (e == NT_OK)
			e = ntl_load_commit(r->kv, ch.heights[i], cc, cbuf, &cb[i].commit_len,
					    NULL);
		if (e == NT_OK && nt_valset_encode(ch.sets[i], vb, NT_VALSET_BYTES_MAX,
						   &cb[i].next_validators_len) != NT_OK)
			e = NT_ERR_CORRUPT;
		if (e == NT_ERR_NOT_FOUND)
			e = NT_ERR_CORRUPT;
	}
	if (e == NT_OK) {
		*s = ch.n > 0 ? *ch.sets[ch.n - 1] : r->genesis->vals;
		e = nt_receipt_block_new_changes(h, c, s, cb, ch.n, out);
	}
	free(s);
	free(cc);
	free(buf);
	free(cb);
	ntl_changes_free(&ch);
	return e;
}
