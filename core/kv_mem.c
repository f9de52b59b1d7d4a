/* In-memory nt_kv: a sorted array of key/value pairs (bytewise key order,
 * the same as LevelDB's default comparator), for tests and the simulator.
 *
 * A write sorts its batch and merges it into a fresh array, so a block's
 * batch of thousands of entries costs O(n + m log m) rather than one
 * memmove per entry. Every allocation happens before anything changes, so a
 * write either applies wholly or (on NT_ERR_NOMEM) not at all. sync is
 * meaningless here and ignored. Not thread-safe, and a scan callback must
 * not write to the store it is scanning (the array would move under it). */
#include "core/kv.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	uint8_t *k; /* one allocation: key bytes then value bytes */
	size_t kl;
	size_t vl;
} mem_ent;

typedef struct {
	nt_kv base;
	mem_ent *ents;
	size_t n;
} mem_kv;

static int keycmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t m = al < bl ? al : bl;
	int c = m > 0 ? memcmp(a, b, m) : 0;
	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl ? 1 : 0;
}

/* Index of the first entry whose key is >= k. */
static size_t lower_bound(const mem_kv *m, const uint8_t *k, size_t kl)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (keycmp(m->ents[mid].k, m->ents[mid].kl, k, kl) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static nt_err mem_get(nt_kv *kv, const void *k, size_t kl, uint8_t **v, size_t *vl)
{
	mem_kv *m = (mem_kv *)kv;
	size_t i = lower_bound(m, k, kl);
	if (i == m->n || keycmp(m->ents[i].k, m->ents[i].kl, k, kl) != 0)
		return NT_ERR_NOT_FOUND;
	const mem_ent *e = &m->ents[i];
	uint8_t *copy = malloc(e->vl > 0 ? e->vl : 1);
	if (copy == NULL)
		return NT_ERR_NOMEM;
	if (e->vl > 0)
		memcpy(copy, e->k + e->kl, e->vl);
	*v = copy;
	*vl = e->vl;
	return NT_OK;
}

/* One pending operation of a batch; pointers into the batch's storage. */
typedef struct {
	bool is_put;
	const uint8_t *k, *v;
	size_t kl, vl;
	size_t seq;    /* position in the batch: later wins */
	mem_ent fresh; /* the new entry of a put, allocated before merging */
} pend_op;

typedef struct {
	pend_op *ops;
	size_t n;
} pend_list;

static void collect(void *arg, bool is_put, const uint8_t *k, size_t kl, const uint8_t *v,
		    size_t vl)
{
	pend_list *pl = arg;
	pend_op *op = &pl->ops[pl->n];
	op->is_put = is_put;
	op->k = k;
	op->kl = kl;
	op->v = v;
	op->vl = vl;
	op->seq = pl->n;
	op->fresh.k = NULL;
	pl->n++;
}

static int pend_cmp(const void *a, const void *b)
{
	const pend_op *x = a, *y = b;
	int c = keycmp(x->k, x->kl, y->k, y->kl);
	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq ? 1 : 0;
}

static nt_err mem_write(nt_kv *kv, const nt_kv_batch *b, bool sync, nt_why *why)
{
	(void)sync;
	(void)why; /* only NT_ERR_NOMEM: nt_strerror says it */
	mem_kv *m = (mem_kv *)kv;
	size_t cnt = nt_kv_batch_count(b);
	if (cnt == 0)
		return NT_OK;
	pend_list pl = {calloc(cnt, sizeof(pend_op)), 0};
	if (pl.ops == NULL)
		return NT_ERR_NOMEM;
	nt_kv_batch_each(b, collect, &pl);
	qsort(pl.ops, pl.n, sizeof *pl.ops, pend_cmp);

	/* Keep only the last operation on each key, in batch order. */
	size_t u = 0;
	for (size_t i = 0; i < pl.n; i++) {
		if (u > 0 &&
		    keycmp(pl.ops[u - 1].k, pl.ops[u - 1].kl, pl.ops[i].k, pl.ops[i].kl) == 0)
			pl.ops[u - 1] = pl.ops[i];
		else
			pl.ops[u++] = pl.ops[i];
	}
	pl.n = u;

	/* Allocate everything first so that the merge below cannot fail. */
	nt_err err = NT_ERR_NOMEM;
	size_t nputs = 0;
	for (size_t i = 0; i < pl.n; i++) {
		pend_op *op = &pl.ops[i];
		if (!op->is_put)
			continue;
		op->fresh.k = malloc(op->kl + op->vl > 0 ? op->kl + op->vl : 1);
		if (op->fresh.k == NULL)
			goto fail;
		if (op->kl > 0)
			memcpy(op->fresh.k, op->k, op->kl);
		if (op->vl > 0)
			memcpy(op->fresh.k + op->kl, op->v, op->vl);
		op->fresh.kl = op->kl;
		op->fresh.vl = op->vl;
		nputs++;
	}
	size_t cap = m->n + nputs;
	mem_ent *out = malloc((cap > 0 ? cap : 1) * sizeof *out);
	if (out == NULL)
		goto fail;

	size_t i = 0, j = 0, o = 0;
	while (i < m->n || j < pl.n) {
		int c;
		if (i == m->n)
			c = 1;
		else if (j == pl.n)
			c = -1;
		else
			c = keycmp(m->ents[i].k, m->ents[i].kl, pl.ops[j].k, pl.ops[j].kl);
		if (c < 0) {
			out[o++] = m->ents[i++];
			continue;
		}
		if (c == 0)
			free(m->ents[i++].k); /* replaced or deleted */
		if (pl.ops[j].is_put)
			out[o++] = pl.ops[j].fresh;
		j++;
	}
	free(m->ents);
	m->ents = out;
	m->n = o;
	free(pl.ops);
	return NT_OK;

fail:
	for (size_t k = 0; k < pl.n; k++)
		free(pl.ops[k].fresh.k);
	free(pl.ops);
	return err;
}

static nt_err mem_scan(nt_kv *kv, const void *prefix, size_t pl, nt_kv_scan_fn fn, void *arg)
{
	mem_kv *m = (mem_kv *)kv;
	for (size_t i = lower_bound(m, prefix, pl); i < m->n; i++) {
		const mem_ent *e = &m->ents[i];
		if (e->kl < pl || (pl > 0 && memcmp(e->k, prefix, pl) != 0))
			break;
		if (fn(arg, e->k, e->kl, e->k + e->kl, e->vl) != 0)
			break;
	}
	return NT_OK;
}

static void mem_close(nt_kv *kv)
{
	mem_kv *m = (mem_kv *)kv;
	for (size_t i = 0; i < m->n; i++)
		free(m->ents[i].k);
	free(m->ents);
	free(m);
}

static const struct nt_kv_ops mem_ops = {
    .get = mem_get,
    .write = mem_write,
    .scan = mem_scan,
    .close = mem_close,
};

nt_err nt_kv_mem_new(nt_kv **out)
{
	if (out == NULL)
		return NT_ERR_ARG;
	mem_kv *m = calloc(1, sizeof *m);
	if (m == NULL)
		return NT_ERR_NOMEM;
	m->base.ops = &mem_ops;
	*out = &m->base;
	return NT_OK;
}
