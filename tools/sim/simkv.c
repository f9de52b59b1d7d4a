/* The simulated disk: an nt_kv over two in-memory stores.
 *
 * `live` is what the running process reads and writes; `dur` holds only
 * what was written with sync (plus the unsynced batches before it, which a
 * sync flushes in order, as a real log-structured store does). A crash
 * throws `live` away and rebuilds it from `dur`: unsynced writes are lost. */
#include <stdlib.h>
#include <string.h>

#include "tools/sim/sim.h"

typedef struct {
	nt_kv base; /* first: the ledger sees an nt_kv */
	nt_kv *live, *dur;
	nt_kv_batch **pend; /* unsynced batches, oldest first */
	size_t npend, cappend;
	nt_err sticky;
} simkv;

typedef struct {
	nt_kv_batch *to;
	nt_err err;
} copy_arg;

static void copy_op(void *arg, bool is_put, const uint8_t *k, size_t kl, const uint8_t *v,
		    size_t vl)
{
	copy_arg *c = arg;
	if (c->err != NT_OK)
		return;
	c->err = is_put ? nt_kv_batch_put(c->to, k, kl, v, vl) : nt_kv_batch_del(c->to, k, kl);
}

static nt_err sk_get(nt_kv *kv, const void *k, size_t kl, uint8_t **v, size_t *vl)
{
	simkv *s = (simkv *)kv;
	return nt_kv_get(s->live, k, kl, v, vl);
}

static nt_err sk_scan(nt_kv *kv, const void *prefix, size_t pl, nt_kv_scan_fn fn, void *arg)
{
	simkv *s = (simkv *)kv;
	return nt_kv_scan(s->live, prefix, pl, fn, arg);
}

static nt_err sk_write(nt_kv *kv, const nt_kv_batch *b, bool sync, nt_why *why)
{
	simkv *s = (simkv *)kv;
	nt_err err = nt_kv_write(s->live, b, false, why);
	if (err != NT_OK)
		return err;
	if (!sync) {
		copy_arg c = {NULL, NT_OK};
		if (s->npend == s->cappend) {
			size_t cap = s->cappend ? s->cappend * 2 : 8;
			nt_kv_batch **np = realloc(s->pend, cap * sizeof *np);
			if (np == NULL)
				return NT_ERR_NOMEM;
			s->pend = np;
			s->cappend = cap;
		}
		if ((err = nt_kv_batch_new(&c.to)) != NT_OK)
			return err;
		nt_kv_batch_each(b, copy_op, &c);
		if (c.err != NT_OK) {
			nt_kv_batch_free(c.to);
			return c.err;
		}
		s->pend[s->npend++] = c.to;
		return NT_OK;
	}
	for (size_t i = 0; i < s->npend; i++) {
		if (err == NT_OK)
			err = nt_kv_write(s->dur, s->pend[i], true, why);
		nt_kv_batch_free(s->pend[i]);
	}
	s->npend = 0;
	if (err == NT_OK)
		err = nt_kv_write(s->dur, b, true, why);
	return err;
}

static void sk_close(nt_kv *kv)
{
	simkv *s = (simkv *)kv;
	for (size_t i = 0; i < s->npend; i++)
		nt_kv_batch_free(s->pend[i]);
	free(s->pend);
	nt_kv_close(s->live);
	free(s);
}

static const struct nt_kv_ops simkv_ops = {
    .get = sk_get, .write = sk_write, .scan = sk_scan, .close = sk_close};

nt_err simkv_new(nt_kv *dur, nt_kv **out)
{
	simkv *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NT_ERR_NOMEM;
	s->base.ops = &simkv_ops;
	s->dur = dur;
	nt_err err = nt_kv_mem_new(&s->live);
	if (err != NT_OK) {
		free(s);
		return err;
	}
	*out = &s->base;
	return NT_OK;
}

static int copy_ent(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	copy_arg *c = arg;
	if (c->err == NT_OK)
		c->err = nt_kv_batch_put(c->to, k, kl, v, vl);
	return c->err != NT_OK;
}

void simkv_crash(nt_kv *kv)
{
	simkv *s = (simkv *)kv;
	for (size_t i = 0; i < s->npend; i++)
		nt_kv_batch_free(s->pend[i]);
	s->npend = 0;
	nt_kv *fresh = NULL;
	copy_arg c = {NULL, NT_OK};
	if (nt_kv_mem_new(&fresh) != NT_OK || nt_kv_batch_new(&c.to) != NT_OK)
		goto oom;
	if (nt_kv_scan(s->dur, "", 0, copy_ent, &c) != NT_OK || c.err != NT_OK ||
	    nt_kv_write(fresh, c.to, true, NULL) != NT_OK)
		goto oom;
	nt_kv_batch_free(c.to);
	nt_kv_close(s->live);
	s->live = fresh;
	return;
oom:
	fprintf(stderr, "notary-sim: out of memory\n");
	exit(2);
}
