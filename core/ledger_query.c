/* Ledger queries: headers, commits, blocks, record locations, the digest
 * index and receipts, all through an nt_ledger_reader (core/ledger.h):
 * each answers as of the reader's tip and reads only the store and the
 * genesis, so that readers may run on any thread. The nt_ledger_* forms
 * are the owner's shorthand for the same query on the ledger's reader. */
#include "core/ledger.h"

#include "core/ledger_internal.h"

#include "core/receipt.h"
#include "core/record.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ntl_recs_free(ntl_recs *r)
{
	if (r == NULL)
		return;
	for (uint32_t i = 0; r->recs != NULL && i < r->n; i++)
		free(r->recs[i]);
	free(r->recs);
	free(r->lens);
	free(r->ids);
	memset(r, 0, sizeof *r);
}

typedef struct {
	ntl_recs *r;
	uint32_t cap;
	nt_err err;
	char problem[96];
} load_acc;

static int load_fn(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	load_acc *a = arg;
	ntl_recs *r = a->r;
	if (kl != NTL_KEY_REC_LEN) {
		a->err = NT_ERR_CORRUPT;
		snprintf(a->problem, sizeof a->problem, "a record key has length %zu", kl);
		return 1;
	}
	nt_reader rd;
	nt_reader_init(&rd, k + 9, 4);
	uint32_t idx = nt_get_u32(&rd);
	if (idx != r->n) {
		a->err = NT_ERR_CORRUPT;
		snprintf(a->problem, sizeof a->problem,
			 "record %" PRIu32 " found where %" PRIu32 " belongs", idx, r->n);
		return 1;
	}
	if (vl == 0 || vl > NT_RECORD_MAX || r->n >= NT_BLOCK_MAX_RECORDS) {
		a->err = NT_ERR_CORRUPT;
		snprintf(a->problem, sizeof a->problem, "record %" PRIu32 " has an impossible size",
			 idx);
		return 1;
	}
	if (r->n == a->cap) {
		uint32_t cap = a->cap ? a->cap * 2 : 16;
		uint8_t **recs = realloc(r->recs, cap * sizeof *recs);
		if (recs != NULL)
			r->recs = recs;
		size_t *lens = realloc(r->lens, cap * sizeof *lens);
		if (lens != NULL)
			r->lens = lens;
		nt_hash *ids = realloc(r->ids, cap * sizeof *ids);
		if (ids != NULL)
			r->ids = ids;
		if (recs == NULL || lens == NULL || ids == NULL) {
			a->err = NT_ERR_NOMEM;
			return 1;
		}
		a->cap = cap;
	}
	uint8_t *copy = malloc(vl);
	if (copy == NULL) {
		a->err = NT_ERR_NOMEM;
		return 1;
	}
	memcpy(copy, v, vl);
	r->recs[r->n] = copy;
	r->lens[r->n] = vl;
	nt_record_id(copy, vl, &r->ids[r->n]);
	r->n++;
	return 0;
}

nt_err ntl_load_records(nt_kv *kv, uint64_t height, ntl_recs *out, nt_why *why)
{
	uint8_t prefix[NTL_KEY_U64_LEN];
	ntl_key_u64(prefix, NTL_RECORD, height);
	ntl_recs r = {0};
	load_acc a = {&r, 0, NT_OK, ""};
	nt_err e = nt_kv_scan(kv, prefix, sizeof prefix, load_fn, &a);
	if (e == NT_OK)
		e = a.err;
	if (e != NT_OK) {
		ntl_recs_free(&r);
		if (a.problem[0] != '\0')
			return nt_fail(why, e, "%s", a.problem);
		return nt_fail(why, e, "cannot read records: %s", nt_strerror(e));
	}
	*out = r;
	return NT_OK;
}

/* Reads the value stored under (tag, height); `what` names it in errors
 * ("header", "commit"). *v is malloc'd on NT_OK. */
static nt_err load_by_height(nt_kv *kv, uint8_t tag, uint64_t height, const char *what, uint8_t **v,
			     size_t *vl, nt_why *why)
{
	uint8_t k[NTL_KEY_U64_LEN];
	ntl_key_u64(k, tag, height);
	nt_err e = nt_kv_get(kv, k, sizeof k, v, vl);
	if (e == NT_ERR_NOT_FOUND)
		return nt_fail(why, e, "%s missing", what);
	if (e != NT_OK)
		return nt_fail(why, e, "cannot read the %s: %s", what, nt_strerror(e));
	return NT_OK;
}

nt_err ntl_load_header(nt_kv *kv, uint64_t height, nt_header *out, uint8_t *raw, size_t *raw_len,
		       nt_why *why)
{
	uint8_t *v = NULL;
	size_t vl = 0;
	nt_err e = load_by_height(kv, NTL_HEADER, height, "header", &v, &vl, why);
	if (e != NT_OK)
		return e;
	nt_header h;
	nt_why sub = {{0}};
	if (vl > NT_HEADER_MAX || nt_header_decode(v, vl, &h, &sub) != NT_OK) {
		free(v);
		return nt_fail(why, NT_ERR_CORRUPT, "header does not decode: %s", sub.msg);
	}
	if (raw != NULL)
		memcpy(raw, v, vl);
	if (raw_len != NULL)
		*raw_len = vl;
	free(v);
	*out = h;
	return NT_OK;
}

nt_err ntl_load_commit(nt_kv *kv, uint64_t height, nt_commit *out, uint8_t *raw, size_t *raw_len,
		       nt_why *why)
{
	uint8_t *v = NULL;
	size_t vl = 0;
	nt_err e = load_by_height(kv, NTL_COMMIT, height, "commit", &v, &vl, why);
	if (e != NT_OK)
		return e;
	nt_why sub = {{0}};
	if (vl > NT_COMMIT_MAX || nt_commit_decode(v, vl, out, &sub) != NT_OK) {
		free(v);
		return nt_fail(why, NT_ERR_CORRUPT, "commit does not decode: %s", sub.msg);
	}
	if (raw != NULL)
		memcpy(raw, v, vl);
	if (raw_len != NULL)
		*raw_len = vl;
	free(v);
	return NT_OK;
}

nt_err nt_ledger_reader_header(const nt_ledger_reader *r, uint64_t height, nt_header *out)
{
	if (r == NULL || out == NULL)
		return NT_ERR_ARG;
	if (height == 0 || height > r->height)
		return NT_ERR_NOT_FOUND;
	nt_err e = ntl_load_header(r->kv, height, out, NULL, NULL, NULL);
	/* Below the tip a missing header is damage, not absence. */
	return e == NT_ERR_NOT_FOUND ? NT_ERR_CORRUPT : e;
}

nt_err nt_ledger_reader_commit(const nt_ledger_reader *r, uint64_t height, nt_commit *out)
{
	if (r == NULL || out == NULL)
		return NT_ERR_ARG;
	if (height == 0 || height > r->height)
		return NT_ERR_NOT_FOUND;
	/* Decode into a copy so out stays untouched on failure. */
	nt_commit *c = malloc(sizeof *c);
	if (c == NULL)
		return NT_ERR_NOMEM;
	nt_err e = ntl_load_commit(r->kv, height, c, NULL, NULL, NULL);
	if (e == NT_OK)
		*out = *c;
	free(c);
	return e == NT_ERR_NOT_FOUND ? NT_ERR_CORRUPT : e;
}

nt_err nt_ledger_reader_record(const nt_ledger_reader *r, uint64_t height, uint32_t index,
			       uint8_t *buf, size_t cap, size_t *len)
{
	if (r == NULL || buf == NULL || len == NULL)
		return NT_ERR_ARG;
	if (height == 0 || height > r->height)
		return NT_ERR_NOT_FOUND;
	uint8_t k[NTL_KEY_REC_LEN];
	ntl_key_rec(k, height, index);
	uint8_t *v = NULL;
	size_t vl = 0;
	nt_err e = nt_kv_get(r->kv, k, sizeof k, &v, &vl);
	if (e != NT_OK)
		return e;
	if (vl > cap) {
		free(v);
		return vl > NT_RECORD_MAX ? NT_ERR_CORRUPT : NT_ERR_RANGE;
	}
	memcpy(buf, v, vl);
	*len = vl;
	free(v);
	return NT_OK;
}

nt_err nt_ledger_reader_block(const nt_ledger_reader *r, uint64_t height, nt_block **out)
{
	if (r == NULL || out == NULL)
		return NT_ERR_ARG;
	nt_header h;
	nt_err e = nt_ledger_reader_header(r, height, &h);
	if (e != NT_OK)
		return e;
	ntl_recs rs = {0};
	e = ntl_load_records(r->kv, height, &rs, NULL);
	if (e != NT_OK)
		return e;
	if (rs.n != h.record_count) {
		ntl_recs_free(&rs);
		return NT_ERR_CORRUPT;
	}
	nt_block *b = NULL;
	e = nt_block_new(rs.n, &b);
	for (uint32_t i = 0; e == NT_OK && i < rs.n; i++)
		e = nt_block_set(b, i, rs.recs[i], rs.lens[i]);
	ntl_recs_free(&rs);
	if (e != NT_OK) {
		nt_block_free(b);
		return e;
	}
	b->header = h;
	if (nt_header_is_change(&h)) {
		uint8_t kv[NTL_KEY_U64_LEN];
		ntl_key_u64(kv, NTL_VALSET, height);
		uint8_t *cv = NULL;
		size_t cvl = 0;
		e = nt_kv_get(r->kv, kv, sizeof kv, &cv, &cvl);
		if (e == NT_OK)
			e = nt_block_change_decode(b, cv, cvl, NULL);
		free(cv);
		if (e != NT_OK) {
			nt_block_free(b);
			return e == NT_ERR_NOT_FOUND || e == NT_ERR_DECODE || e == NT_ERR_RANGE
				   ? NT_ERR_CORRUPT
				   : e;
		}
	}
	*out = b;
	return NT_OK;
}

/* The stored location of record_id, whatever its height: NT_ERR_CORRUPT for
 * an entry that does not decode or names height 0. */
static nt_err locate_stored(nt_kv *kv, const nt_hash *record_id, uint64_t *height, uint32_t *index)
{
	uint8_t k[NTL_KEY_ID_LEN];
	ntl_key_id(k, record_id);
	uint8_t *v = NULL;
	size_t vl = 0;
	nt_err e = nt_kv_get(kv, k, sizeof k, &v, &vl);
	if (e != NT_OK)
		return e;
	nt_reader rd;
	nt_reader_init(&rd, v, vl);
	uint64_t h = nt_get_u64(&rd);
	uint32_t i = nt_get_u32(&rd);
	bool ok = nt_reader_done(&rd);
	free(v);
	if (!ok || h == 0)
		return NT_ERR_CORRUPT;
	*height = h;
	*index = i;
	return NT_OK;
}

nt_err nt_ledger_reader_locate(const nt_ledger_reader *r, const nt_hash *record_id,
			       uint64_t *height, uint32_t *index)
{
	if (r == NULL || record_id == NULL || height == NULL || index == NULL)
		return NT_ERR_ARG;
	uint64_t h = 0;
	uint32_t i = 0;
	nt_err e = locate_stored(r->kv, record_id, &h, &i);
	if (e != NT_OK)
		return e;
	/* Above the tip: a block stored after this reader was taken (its
	 * indexes are in the same batch as its tip), not in the chain as the
	 * reader sees it. The audit finds an index that points past the
	 * store's own tip. */
	if (h > r->height)
		return NT_ERR_NOT_FOUND;
	*height = h;
	*index = i;
	return NT_OK;
}

/* The earliest `cap` matches by ledger position, kept sorted. */
typedef struct {
	const nt_ledger_reader *r;
	size_t plen;
	nt_hash *ids;
	uint64_t *pos; /* height << 32 | index */
	size_t cap, n;
	nt_err err;
} find_acc;

static int find_fn(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	(void)v, (void)vl;
	find_acc *a = arg;
	if (kl != a->plen + NT_HASH_LEN)
		return 0; /* malformed key: not ours to judge here, the audit reports it */
	nt_hash id;
	memcpy(id.b, k + a->plen, NT_HASH_LEN);
	uint64_t h = 0;
	uint32_t idx = 0;
	nt_err e = locate_stored(a->r->kv, &id, &h, &idx);
	if (e != NT_OK) {
		/* The digest entry and the id entry are in one batch. */
		a->err = e == NT_ERR_NOT_FOUND ? NT_ERR_CORRUPT : e;
		return 1;
	}
	if (h > a->r->height)
		return 0; /* stored after the reader was taken */
	uint64_t p = h << 32 | idx;
	if (a->n == a->cap && (a->cap == 0 || p >= a->pos[a->n - 1]))
		return 0;
	size_t at = a->n < a->cap ? a->n++ : a->n - 1;
	while (at > 0 && a->pos[at - 1] > p) {
		a->pos[at] = a->pos[at - 1];
		a->ids[at] = a->ids[at - 1];
		at--;
	}
	a->pos[at] = p;
	a->ids[at] = id;
	return 0;
}

nt_err nt_ledger_reader_find_digest(const nt_ledger_reader *r, int alg, const uint8_t *digest,
				    size_t dlen, nt_hash *ids, size_t cap, size_t *n)
{
	if (r == NULL || digest == NULL || dlen == 0 || dlen > 64 || alg < 0 || alg > 255 ||
	    (ids == NULL && cap > 0) || n == NULL)
		return NT_ERR_ARG;
	uint8_t prefix[NTL_KEY_DIGEST_MAX];
	size_t pl = ntl_key_digest(prefix, (uint8_t)alg, digest, (uint8_t)dlen, NULL);
	find_acc a = {r, pl, NULL, NULL, cap, 0, NT_OK};
	if (cap > 0) {
		a.ids = malloc(cap * sizeof *a.ids);
		a.pos = malloc(cap * sizeof *a.pos);
		if (a.ids == NULL || a.pos == NULL) {
			free(a.ids);
			free(a.pos);
			return NT_ERR_NOMEM;
		}
	}
	nt_err e = nt_kv_scan(r->kv, prefix, pl, find_fn, &a);
	if (e == NT_OK)
		e = a.err;
	if (e == NT_OK) {
		if (a.n > 0)
			memcpy(ids, a.ids, a.n * sizeof *ids);
		*n = a.n;
	}
	free(a.ids);
	free(a.pos);
	return e;
}

/* ---- receipts ---- */

typedef struct {
	nt_hash id;
	uint32_t index;
} id_index;

struct nt_block_receipts {
	ntl_recs r;
	nt_merkle_tree tree; /* nodes NULL for a block without records */
	nt_receipt_block *rb;
	id_index *by_id; /* sorted by id; NULL until asked for by id */
};

void nt_block_receipts_free(nt_block_receipts *br)
{
	if (br == NULL)
		return;
	ntl_recs_free(&br->r);
	nt_merkle_tree_free(&br->tree);
	nt_receipt_block_free(br->rb);
	free(br->by_id);
	free(br);
}

static int id_index_cmp(const void *a, const void *b)
{
	return memcmp(((const id_index *)a)->id.b, ((const id_index *)b)->id.b, NT_HASH_LEN);
}

/* Loads everything the receipts of height share. by_id: also sort the ids
 * for nt_block_receipts_get (a single receipt knows its index already). */
static nt_err load_block_receipts(const nt_ledger_reader *l, uint64_t height, bool by_id,
				  nt_block_receipts **out)
{
	nt_header h;
	nt_err e = nt_ledger_reader_header(l, height, &h);
	if (e != NT_OK)
		return e;
	nt_block_receipts *br = calloc(1, sizeof *br);
	nt_commit *c = malloc(sizeof *c);
	if (br == NULL || c == NULL) {
		free(br);
		free(c);
		return NT_ERR_NOMEM;
	}
	e = nt_ledger_reader_commit(l, height, c);
	if (e == NT_OK)
		e = ntl_load_records(l->kv, height, &br->r, NULL);
	if (e == NT_OK && br->r.n != h.record_count)
		e = NT_ERR_CORRUPT;
	if (e == NT_OK && br->r.n > 0) {
		e = nt_merkle_tree_build(br->r.ids, br->r.n, &br->tree);
		nt_hash root;
		if (e == NT_OK) {
			nt_merkle_tree_root(&br->tree, &root);
			/* A receipt that cannot verify is worse than none. */
			if (!ntl_hash_eq(&root, &h.records_root))
				e = NT_ERR_CORRUPT;
		}
	}
	if (e == NT_OK)
		e = ntl_receipt_block(l, &h, c, &br->rb);
	if (e == NT_OK && by_id && br->r.n > 0) {
		br->by_id = malloc(br->r.n * sizeof *br->by_id);
		if (br->by_id == NULL) {
			e = NT_ERR_NOMEM;
		} else {
			for (uint32_t i = 0; i < br->r.n; i++)
				br->by_id[i] = (id_index){br->r.ids[i], i};
			qsort(br->by_id, br->r.n, sizeof *br->by_id, id_index_cmp);
		}
	}
	free(c);
	if (e != NT_OK) {
		nt_block_receipts_free(br);
		return e;
	}
	*out = br;
	return NT_OK;
}

nt_err nt_ledger_reader_block_receipts(const nt_ledger_reader *l, uint64_t height,
				       nt_block_receipts **out)
{
	if (l == NULL || out == NULL)
		return NT_ERR_ARG;
	return load_block_receipts(l, height, true, out);
}

uint32_t nt_block_receipts_count(const nt_block_receipts *br)
{
	return br != NULL ? br->r.n : 0;
}

nt_err nt_block_receipts_get_index(const nt_block_receipts *br, uint32_t index, char **json_out)
{
	if (br == NULL || json_out == NULL)
		return NT_ERR_ARG;
	if (index >= br->r.n)
		return NT_ERR_RANGE;
	nt_hash proof[NT_MERKLE_PROOF_MAX];
	size_t plen = 0;
	nt_err e = nt_merkle_tree_proof(&br->tree, index, proof, &plen);
	if (e != NT_OK)
		return e;
	return nt_receipt_block_build(br->rb, br->r.recs[index], br->r.lens[index],
				      &br->r.ids[index], index, proof, plen, json_out);
}

nt_err nt_block_receipts_get(const nt_block_receipts *br, const nt_hash *record_id, char **json_out)
{
	if (br == NULL || record_id == NULL || json_out == NULL)
		return NT_ERR_ARG;
	if (br->by_id == NULL)
		return NT_ERR_NOT_FOUND;
	id_index key = {*record_id, 0};
	const id_index *hit = bsearch(&key, br->by_id, br->r.n, sizeof *br->by_id, id_index_cmp);
	if (hit == NULL)
		return NT_ERR_NOT_FOUND;
	return nt_block_receipts_get_index(br, hit->index, json_out);
}

/* One receipt from the block's stored tree levels (NTL_TREE): the header,
 * the commit, the record and the levels are read; nothing is hashed but
 * the record id and the O(log n) proof check. NT_ERR_NOT_FOUND when the
 * levels are not stored
 * (the caller then builds from the whole block). The levels must agree
 * with the header (root, leaf count) and the record: a receipt that
 * cannot verify is worse than none. */
static nt_err receipt_from_levels(const nt_ledger_reader *l, const nt_hash *record_id,
				  uint64_t height, uint32_t index, char **out)
{
	uint8_t km[NTL_KEY_U64_LEN], kr[NTL_KEY_REC_LEN];
	ntl_key_u64(km, NTL_TREE, height);
	uint8_t *lv = NULL, *rec = NULL;
	size_t lvl = 0, rl = 0;
	nt_err e = nt_kv_get(l->kv, km, sizeof km, &lv, &lvl);
	if (e != NT_OK)
		return e;
	nt_header h;
	nt_commit *c = malloc(sizeof *c);
	nt_receipt_block *rb = NULL;
	if (c == NULL) {
		e = NT_ERR_NOMEM;
		goto out;
	}
	if ((e = nt_ledger_reader_header(l, height, &h)) != NT_OK ||
	    (e = nt_ledger_reader_commit(l, height, c)) != NT_OK)
		goto out;
	nt_merkle_tree t;
	uint64_t total = nt_merkle_tree_layout(h.record_count, &t);
	ntl_key_rec(kr, height, index);
	if (total == 0 || lvl != total * sizeof(nt_hash) || index >= h.record_count) {
		e = NT_ERR_CORRUPT;
		goto out;
	}
	t.nodes = (nt_hash *)lv;
	nt_hash root, id;
	nt_merkle_tree_root(&t, &root);
	if (!ntl_hash_eq(&root, &h.records_root) || !ntl_hash_eq(&t.nodes[index], record_id)) {
		e = NT_ERR_CORRUPT;
		goto out;
	}
	if ((e = nt_kv_get(l->kv, kr, sizeof kr, &rec, &rl)) != NT_OK) {
		e = e == NT_ERR_NOT_FOUND ? NT_ERR_CORRUPT : e;
		goto out;
	}
	nt_record_id(rec, rl, &id);
	if (!ntl_hash_eq(&id, record_id)) {
		e = NT_ERR_CORRUPT;
		goto out;
	}
	nt_hash proof[NT_MERKLE_PROOF_MAX];
	size_t pl = 0;
	if ((e = nt_merkle_tree_proof(&t, index, proof, &pl)) != NT_OK)
		goto out;
	/* A damaged inner node would give a proof that does not verify. */
	if (nt_merkle_inclusion_verify(record_id, index, h.record_count, proof, pl, &root, NULL) !=
	    NT_OK) {
		e = NT_ERR_CORRUPT;
		goto out;
	}
	if ((e = ntl_receipt_block(l, &h, c, &rb)) == NT_OK)
		e = nt_receipt_block_build(rb, rec, rl, record_id, index, proof, pl, out);
out:
	nt_receipt_block_free(rb);
	free(c);
	free(rec);
	free(lv);
	return e;
}

nt_err nt_ledger_reader_receipt(const nt_ledger_reader *l, const nt_hash *record_id, char **out)
{
	if (l == NULL || record_id == NULL || out == NULL)
		return NT_ERR_ARG;
	uint64_t height = 0;
	uint32_t index = 0;
	nt_err e = nt_ledger_reader_locate(l, record_id, &height, &index);
	if (e != NT_OK)
		return e;
	e = receipt_from_levels(l, record_id, height, index, out);
	if (e != NT_ERR_NOT_FOUND)
		return e;
	nt_block_receipts *br = NULL;
	e = load_block_receipts(l, height, false, &br);
	if (e != NT_OK)
		return e;
	if (index >= br->r.n || !ntl_hash_eq(&br->r.ids[index], record_id))
		e = NT_ERR_CORRUPT;
	else
		e = nt_block_receipts_get_index(br, index, out);
	nt_block_receipts_free(br);
	return e;
}

/* ---- the owner's shorthand ---- */

void nt_ledger_reader_get(const nt_ledger *l, nt_ledger_reader *out)
{
	*out = (nt_ledger_reader){.kv = l->kv,
				  .genesis = &l->g,
				  .height = l->height,
				  .tip_hash = l->tip_hash,
				  .tip = l->tip};
}

nt_err nt_ledger_header(const nt_ledger *l, uint64_t height, nt_header *out)
{
	if (l == NULL)
		return NT_ERR_ARG;
	nt_ledger_reader r;
	nt_ledger_reader_get(l, &r);
	return nt_ledger_reader_header(&r, height, out);
}

nt_err nt_ledger_commit(const nt_ledger *l, uint64_t height, nt_commit *out)
{
	if (l == NULL)
		return NT_ERR_ARG;
	nt_ledger_reader r;
	nt_ledger_reader_get(l, &r);
	return nt_ledger_reader_commit(&r, height, out);
}

nt_err nt_ledger_block(const nt_ledger *l, uint64_t height, nt_block **out)
{
	if (l == NULL)
		return NT_ERR_ARG;
	nt_ledger_reader r;
	nt_ledger_reader_get(l, &r);
	return nt_ledger_reader_block(&r, height, out);
}

nt_err nt_ledger_locate(const nt_ledger *l, const nt_hash *record_id, uint64_t *height,
			uint32_t *index)
{
	if (l == NULL || record_id == NULL || height == NULL || index == NULL)
		return NT_ERR_ARG;
	/* The owner's store holds no index above its tip: one there is
	 * damage, not a block still being published. */
	uint64_t h = 0;
	uint32_t i = 0;
	nt_err e = locate_stored(l->kv, record_id, &h, &i);
	if (e != NT_OK)
		return e;
	if (h > l->height)
		return NT_ERR_CORRUPT;
	*height = h;
	*index = i;
	return NT_OK;
}

nt_err nt_ledger_record(const nt_ledger *l, uint64_t height, uint32_t index, uint8_t *buf,
			size_t cap, size_t *len)
{
	if (l == NULL)
		return NT_ERR_ARG;
	nt_ledger_reader r;
	nt_ledger_reader_get(l, &r);
	return nt_ledger_reader_record(&r, height, index, buf, cap, len);
}

nt_err nt_ledger_find_digest(const nt_ledger *l, int alg, const uint8_t *digest, size_t dlen,
			     nt_hash *ids, size_t cap, size_t *n)
{
	if (l == NULL)
		return NT_ERR_ARG;
	nt_ledger_reader r;
	nt_ledger_reader_get(l, &r);
	return nt_ledger_reader_find_digest(&r, alg, digest, dlen, ids, cap, n);
}

nt_err nt_ledger_receipt(const nt_ledger *l, const nt_hash *record_id, char **out)
{
	if (l == NULL)
		return NT_ERR_ARG;
	nt_ledger_reader r;
	nt_ledger_reader_get(l, &r);
	return nt_ledger_reader_receipt(&r, record_id, out);
}

nt_err nt_ledger_block_receipts(const nt_ledger *l, uint64_t height, nt_block_receipts **out)
{
	if (l == NULL)
		return NT_ERR_ARG;
	nt_ledger_reader r;
	nt_ledger_reader_get(l, &r);
	return nt_ledger_reader_block_receipts(&r, height, out);
}
