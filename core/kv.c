/* Write batches and the dispatch wrappers of core/kv.h.
 *
 * A batch keeps every key and value in one growing byte arena plus an array
 * of operations that point into it by offset, so building a block's batch of
 * thousands of entries costs a handful of reallocations rather than one
 * malloc per entry. */
#include "core/kv.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	bool is_put;
	size_t koff, kl;
	size_t voff, vl;
} kv_op;

struct nt_kv_batch {
	kv_op *ops;
	size_t nops, ops_cap;
	uint8_t *arena;
	size_t used, arena_cap;
};

nt_err nt_kv_batch_new(nt_kv_batch **out)
{
	nt_kv_batch *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NT_ERR_NOMEM;
	*out = b;
	return NT_OK;
}

void nt_kv_batch_free(nt_kv_batch *b)
{
	if (b == NULL)
		return;
	free(b->ops);
	free(b->arena);
	free(b);
}

/* Makes room for one more op and need more arena bytes. */
static nt_err reserve(nt_kv_batch *b, size_t need)
{
	if (b->nops == b->ops_cap) {
		size_t cap = b->ops_cap ? b->ops_cap * 2 : 16;
		kv_op *p = realloc(b->ops, cap * sizeof *p);
		if (p == NULL)
			return NT_ERR_NOMEM;
		b->ops = p;
		b->ops_cap = cap;
	}
	if (need > SIZE_MAX / 2 - b->used)
		return NT_ERR_RANGE;
	if (b->used + need > b->arena_cap) {
		size_t cap = b->arena_cap ? b->arena_cap : 256;
		while (cap < b->used + need)
			cap *= 2;
		uint8_t *p = realloc(b->arena, cap);
		if (p == NULL)
			return NT_ERR_NOMEM;
		b->arena = p;
		b->arena_cap = cap;
	}
	return NT_OK;
}

static nt_err add(nt_kv_batch *b, bool is_put, const void *k, size_t kl, const void *v, size_t vl)
{
	if (b == NULL || (k == NULL && kl > 0) || (v == NULL && vl > 0) || kl > SIZE_MAX / 4 ||
	    vl > SIZE_MAX / 4)
		return NT_ERR_ARG;
	nt_err e = reserve(b, kl + vl);
	if (e != NT_OK)
		return e;
	kv_op *op = &b->ops[b->nops++];
	op->is_put = is_put;
	op->koff = b->used;
	op->kl = kl;
	if (kl > 0)
		memcpy(b->arena + b->used, k, kl);
	b->used += kl;
	op->voff = b->used;
	op->vl = vl;
	if (vl > 0)
		memcpy(b->arena + b->used, v, vl);
	b->used += vl;
	return NT_OK;
}

nt_err nt_kv_batch_put(nt_kv_batch *b, const void *k, size_t kl, const void *v, size_t vl)
{
	return add(b, true, k, kl, v, vl);
}

nt_err nt_kv_batch_del(nt_kv_batch *b, const void *k, size_t kl)
{
	return add(b, false, k, kl, NULL, 0);
}

size_t nt_kv_batch_count(const nt_kv_batch *b)
{
	return b != NULL ? b->nops : 0;
}

void nt_kv_batch_each(const nt_kv_batch *b, nt_kv_batch_fn fn, void *arg)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->nops; i++) {
		const kv_op *op = &b->ops[i];
		/* An empty arena is NULL; hand out a valid pointer anyway. */
		static const uint8_t none[1];
		const uint8_t *base = b->arena != NULL ? b->arena : none;
		fn(arg, op->is_put, base + op->koff, op->kl, base + op->voff, op->vl);
	}
}

nt_err nt_kv_get(nt_kv *kv, const void *k, size_t kl, uint8_t **v, size_t *vl)
{
	if (kv == NULL || (k == NULL && kl > 0) || v == NULL || vl == NULL)
		return NT_ERR_ARG;
	return kv->ops->get(kv, k, kl, v, vl);
}

nt_err nt_kv_write(nt_kv *kv, const nt_kv_batch *b, bool sync, nt_why *why)
{
	if (kv == NULL || b == NULL)
		return nt_fail(why, NT_ERR_ARG, "no store or no batch to write");
	/* The store writes into its own nt_why, so that "said nothing" is
	 * told apart from an old message in the caller's. */
	nt_why own = {{0}};
	nt_err e = kv->ops->write(kv, b, sync, &own);
	if (e != NT_OK && why != NULL) {
		if (own.msg[0] != '\0')
			*why = own;
		else
			nt_fail(why, e, "%s", nt_strerror(e));
	}
	return e;
}

nt_err nt_kv_scan(nt_kv *kv, const void *prefix, size_t pl, nt_kv_scan_fn fn, void *arg)
{
	if (kv == NULL || (prefix == NULL && pl > 0) || fn == NULL)
		return NT_ERR_ARG;
	return kv->ops->scan(kv, prefix, pl, fn, arg);
}

void nt_kv_close(nt_kv *kv)
{
	if (kv != NULL)
		kv->ops->close(kv);
}
