/* The next height's WAL entries across a WAL reset (see node/walbuf.h). */
#include "node/walbuf.h"

#include "base/codec.h"
#include "core/peermsg.h"

#include <stdlib.h>
#include <string.h>

struct nt_walbuf {
	size_t cap, n;
	uint64_t height; /* of every held entry; 0 when empty */
	uint8_t **p;
	size_t *len;
};

size_t nt_walbuf_cap(unsigned nvals)
{
	return (size_t)nvals * NT_CONS_NEXT_VOTES_PER_VAL + NT_CONS_NEXT_PROPOSALS;
}

nt_err nt_walbuf_new(size_t cap, nt_walbuf **out)
{
	if (cap == 0 || cap > SIZE_MAX / sizeof(uint8_t *))
		return NT_ERR_ARG;
	nt_walbuf *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NT_ERR_NOMEM;
	b->p = calloc(cap, sizeof *b->p);
	b->len = calloc(cap, sizeof *b->len);
	if (b->p == NULL || b->len == NULL) {
		nt_walbuf_free(b);
		return NT_ERR_NOMEM;
	}
	b->cap = cap;
	*out = b;
	return NT_OK;
}

void nt_walbuf_clear(nt_walbuf *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->p[i]);
	b->n = 0;
	b->height = 0;
}

void nt_walbuf_free(nt_walbuf *b)
{
	if (b == NULL)
		return;
	if (b->p != NULL)
		nt_walbuf_clear(b);
	free(b->p);
	free(b->len);
	free(b);
}

nt_err nt_walbuf_add(nt_walbuf *b, uint64_t height, const uint8_t *p, size_t n)
{
	if (p == NULL || n == 0 || n > NT_WAL_MAX_ENTRY || height == 0)
		return NT_ERR_ARG;
	if (b->n > 0 && height < b->height)
		return NT_ERR_CHAIN;
	if (b->n > 0 && height > b->height)
		nt_walbuf_clear(b); /* the engine moved on: those are stale */
	if (b->n == b->cap)
		return NT_ERR_FULL;
	uint8_t *c = malloc(n);
	if (c == NULL)
		return NT_ERR_NOMEM;
	memcpy(c, p, n);
	b->p[b->n] = c;
	b->len[b->n++] = n;
	b->height = height;
	return NT_OK;
}

size_t nt_walbuf_count(const nt_walbuf *b)
{
	return b->n;
}

uint64_t nt_walbuf_height(const nt_walbuf *b)
{
	return b->n > 0 ? b->height : 0;
}

nt_err nt_walbuf_reset_wal(nt_walbuf *b, nt_wal *w, uint64_t height, nt_why *why)
{
	nt_err e = nt_wal_reset(w, height, why);
	for (size_t i = 0; e == NT_OK && b->height == height && i < b->n; i++)
		e = nt_wal_append(w, b->p[i], b->len[i], why);
	nt_walbuf_clear(b);
	return e;
}

nt_err nt_walbuf_entry_height(const uint8_t *p, size_t n, uint64_t *height)
{
	nt_reader r;
	uint8_t t = nt_peermsg_type(p, n);
	if (t == NT_PEERMSG_VOTE && n == NT_PEERMSG_VOTE_LEN) {
		/* u8 type || u8 vote_type || u16 index || u64 height || ... */
		nt_reader_init(&r, p, n);
		nt_get_bytes(&r, NULL, 1 + 1 + 2);
	} else if (t == NT_PEERMSG_PROPOSAL && n >= NT_PEERMSG_PROPOSAL_FIXED) {
		/* u8 type || u64 height || ... */
		nt_reader_init(&r, p, n);
		nt_get_bytes(&r, NULL, 1);
	} else {
		return NT_ERR_DECODE;
	}
	uint64_t h = nt_get_u64(&r);
	if (!r.ok)
		return NT_ERR_DECODE;
	*height = h;
	return NT_OK;
}

typedef struct {
	nt_walbuf *b;
	uint64_t height;
} load_arg;

static nt_err load_one(void *arg, const uint8_t *p, size_t n)
{
	load_arg *a = arg;
	uint64_t h;
	if (nt_walbuf_entry_height(p, n, &h) != NT_OK || h != a->height)
		return NT_OK;
	return nt_walbuf_add(a->b, h, p, n);
}

nt_err nt_walbuf_load(nt_walbuf *b, nt_wal *w, uint64_t height, nt_why *why)
{
	load_arg a = {.b = b, .height = height};
	nt_err e = nt_wal_replay(w, load_one, &a, why);
	if (e != NT_OK && why != NULL && why->msg[0] == 0)
		(void)nt_fail(why, e, "cannot keep the WAL entries of height %llu: %s",
			      (unsigned long long)height, nt_strerror(e));
	return e;
}
