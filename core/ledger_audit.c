/* nt_ledger_audit: re-derives everything in the store from height 1 and
 * reports the first thing that does not agree, naming the height.
 *
 * It reads the store directly (not the ledger's memory), so it also finds
 * damage done underneath a running ledger. Order: per height, the header
 * and its links, the commit, the records, both roots, the index entries
 * that point at this height; then the tip record; then stray keys (entries
 * that no block accounts for), which a per-height walk alone cannot see. */
#include "core/ledger.h"

#include "core/ledger_internal.h"
#include "core/record.h"
#include "crypto/digest.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	const nt_ledger *l;
	nt_record *rec;
	nt_hash prev_hash;
	nt_hash prev_commit_hash;
	uint64_t prev_time;
	nt_merkle_log log;
	nt_valset *set; /* the set that commits the height being audited */
	nt_hash set_hash;
	nt_valset *next; /* scratch: a change block's new set */
	uint64_t nchanges;
} audit_state;

#define AFAIL(why, h, ...) audit_fail(why, h, __VA_ARGS__)

static nt_err NT_PRINTF(3, 4) audit_fail(nt_why *why, uint64_t height, const char *fmt, ...)
{
	if (why != NULL) {
		char tail[200];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(tail, sizeof tail, fmt, ap);
		va_end(ap);
		nt_fail(why, NT_ERR_CORRUPT, "height %" PRIu64 ": %s", height, tail);
	}
	return NT_ERR_CORRUPT;
}

/* get + compare; *state: 0 equal, 1 missing, 2 different. */
static nt_err expect_value(nt_kv *kv, const uint8_t *k, size_t kl, const void *want, size_t wl,
			   int *state)
{
	uint8_t *v = NULL;
	size_t vl = 0;
	nt_err e = nt_kv_get(kv, k, kl, &v, &vl);
	if (e == NT_ERR_NOT_FOUND) {
		*state = 1;
		return NT_OK;
	}
	if (e != NT_OK)
		return e;
	*state = (vl == wl && (wl == 0 || memcmp(v, want, wl) == 0)) ? 0 : 2;
	free(v);
	return NT_OK;
}

/* The "i", "l" and "d" entries of record i at log position pos. */
static nt_err audit_indexes(audit_state *s, uint64_t height, uint32_t i, const nt_hash *id,
			    uint64_t pos, nt_why *why)
{
	nt_kv *kv = s->l->kv;
	uint8_t ki[NTL_KEY_ID_LEN], kl[NTL_KEY_U64_LEN], kd[NTL_KEY_DIGEST_MAX];
	uint8_t loc[NTL_LOCATION_LEN];
	nt_writer w;
	nt_writer_init(&w, loc, sizeof loc);
	nt_put_u64(&w, height);
	nt_put_u32(&w, i);
	ntl_key_id(ki, id);
	ntl_key_u64(kl, NTL_LOG, pos);
	size_t dl = ntl_key_digest(kd, s->rec->alg, s->rec->digest, s->rec->digest_len, id);
	int st = 0;
	nt_err e = expect_value(kv, ki, sizeof ki, loc, sizeof loc, &st);
	if (e != NT_OK)
		return nt_fail(why, e, "height %" PRIu64 ": cannot read the store: %s", height,
			       nt_strerror(e));
	if (st != 0)
		return AFAIL(why, height, "index entry of record %" PRIu32 " is %s", i,
			     st == 1 ? "missing" : "wrong (points elsewhere)");
	e = expect_value(kv, kl, sizeof kl, id->b, NT_HASH_LEN, &st);
	if (e != NT_OK)
		return nt_fail(why, e, "height %" PRIu64 ": cannot read the store: %s", height,
			       nt_strerror(e));
	if (st != 0)
		return AFAIL(why, height, "log entry %" PRIu64 " (record %" PRIu32 ") is %s", pos,
			     i, st == 1 ? "missing" : "wrong");
	e = expect_value(kv, kd, dl, "", 0, &st);
	if (e != NT_OK)
		return nt_fail(why, e, "height %" PRIu64 ": cannot read the store: %s", height,
			       nt_strerror(e));
	if (st != 0)
		return AFAIL(why, height, "digest index entry of record %" PRIu32 " is %s", i,
			     st == 1 ? "missing" : "wrong");
	return NT_OK;
}

/* The stored tree levels receipts are served from (NTL_TREE), when there
 * are any: exactly the levels of the block's record ids. */
static nt_err audit_tree(audit_state *s, uint64_t height, const ntl_recs *r, nt_why *why)
{
	uint8_t k[NTL_KEY_U64_LEN];
	ntl_key_u64(k, NTL_TREE, height);
	uint8_t *v = NULL;
	size_t vl = 0;
	nt_err e = nt_kv_get(s->l->kv, k, sizeof k, &v, &vl);
	if (e == NT_ERR_NOT_FOUND)
		return NT_OK; /* a store written before the levels were kept */
	if (e != NT_OK)
		return AFAIL(why, height, "cannot read the records tree: %s", nt_strerror(e));
	nt_merkle_tree t = {0};
	if (r->n == 0 || nt_merkle_tree_build(r->ids, r->n, &t) != NT_OK) {
		free(v);
		nt_merkle_tree_free(&t);
		return AFAIL(why, height, "%s",
			     r->n == 0 ? "a records tree is stored for an empty block"
				       : "cannot build the records tree (out of memory)");
	}
	uint64_t total = t.off[t.depth] + 1;
	bool same = vl == total * sizeof(nt_hash) && memcmp(v, t.nodes, vl) == 0;
	free(v);
	nt_merkle_tree_free(&t);
	return same ? NT_OK : AFAIL(why, height, "stored records tree does not match its records");
}

static nt_err audit_height(audit_state *s, uint64_t height, nt_why *why)
{
	const nt_ledger *l = s->l;
	nt_header h;
	uint8_t hraw[NT_HEADER_MAX], craw[NT_COMMIT_MAX];
	size_t hl = 0, cl = 0;
	nt_why sub = {{0}};
	nt_err e = ntl_load_header(l->kv, height, &h, hraw, &hl, &sub);
	if (e != NT_OK)
		return AFAIL(why, height, "%s", sub.msg);
	if (h.height != height)
		return AFAIL(why, height, "header says height %" PRIu64, h.height);
	if (strcmp(h.chain_id, l->g.chain_id) != 0)
		return AFAIL(why, height, "header is for chain %s, not %s", h.chain_id,
			     l->g.chain_id);
	nt_why idw = {{0}};
	if (ntl_check_identity(&l->g, &h, &s->set_hash, &idw) != NT_OK)
		return AFAIL(why, height, "%s", idw.msg);
	if (nt_valset_index(s->set, &h.proposer) < 0)
		return AFAIL(why, height, "proposer is not a validator");
	/* The change section: stored exactly for change blocks, and valid. */
	{
		uint8_t kv[NTL_KEY_U64_LEN];
		ntl_key_u64(kv, NTL_VALSET, height);
		uint8_t *cv = NULL;
		size_t cvl = 0;
		e = nt_kv_get(l->kv, kv, sizeof kv, &cv, &cvl);
		if (e != NT_OK && e != NT_ERR_NOT_FOUND)
			return AFAIL(why, height, "cannot read the set change: %s", nt_strerror(e));
		bool change = nt_header_is_change(&h);
		if (change != (e == NT_OK)) {
			free(cv);
			return AFAIL(
			    why, height,
			    change ? "change block has no stored set change"
				   : "a set change is stored for a block that changes nothing");
		}
		if (change) {
			nt_block *cb = NULL;
			if (nt_block_new(0, &cb) != NT_OK) {
				free(cv);
				return nt_fail(why, NT_ERR_NOMEM, "out of memory");
			}
			cb->header = h;
			memset(&sub, 0, sizeof sub);
			e = nt_block_change_decode(cb, cv, cvl, &sub);
			if (e == NT_OK)
				e = ntl_check_change(&l->g, s->set, s->nchanges, cb, s->next, &sub);
			nt_block_free(cb);
			free(cv);
			if (e != NT_OK)
				return AFAIL(why, height, "set change: %s", sub.msg);
		}
	}
	if (!ntl_hash_eq(&h.prev_hash, &s->prev_hash))
		return AFAIL(why, height, "prev_hash does not match the previous header");
	if (!ntl_hash_eq(&h.last_commit_hash, &s->prev_commit_hash))
		return AFAIL(why, height, "last_commit_hash does not match the previous commit");
	if (height > 1 && h.time <= s->prev_time)
		return AFAIL(why, height, "block time not after the previous block");
	nt_hash bh;
	nt_sha256(hraw, hl, &bh);

	nt_commit *c = malloc(sizeof *c);
	if (c == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	memset(&sub, 0, sizeof sub);
	e = ntl_load_commit(l->kv, height, c, craw, &cl, &sub);
	if (e == NT_OK && (c->height != height || !ntl_hash_eq(&c->block_hash, &bh))) {
		e = NT_ERR_CORRUPT;
		snprintf(sub.msg, sizeof sub.msg, "commit is for another block");
	}
	if (e == NT_OK && nt_commit_verify(c, l->g.chain_id, s->set, &sub) != NT_OK)
		e = NT_ERR_CORRUPT;
	free(c);
	if (e != NT_OK)
		return AFAIL(why, height, "%s", sub.msg);
	if (nt_header_is_change(&h)) {
		*s->set = *s->next;
		s->set_hash = h.next_validators_hash;
		s->nchanges++;
	}

	ntl_recs r = {0};
	memset(&sub, 0, sizeof sub);
	e = ntl_load_records(l->kv, height, &r, &sub);
	if (e != NT_OK)
		return AFAIL(why, height, "%s", sub.msg);
	if (r.n != h.record_count) {
		e = AFAIL(why, height, "header says %" PRIu32 " records, %" PRIu32 " are stored",
			  h.record_count, r.n);
		goto out;
	}
	nt_hash root;
	nt_merkle_root(r.ids, r.n, &root);
	if (!ntl_hash_eq(&root, &h.records_root)) {
		e = AFAIL(why, height, "records_root does not match its records");
		goto out;
	}
	if ((e = audit_tree(s, height, &r, why)) != NT_OK)
		goto out;
	uint64_t first = s->log.size;
	for (uint32_t i = 0; i < r.n; i++)
		nt_merkle_log_append(&s->log, &r.ids[i]);
	nt_merkle_log_root(&s->log, &root);
	if (s->log.size != h.log_size || !ntl_hash_eq(&root, &h.log_root)) {
		e = AFAIL(why, height, "log_root / log_size do not match the records so far");
		goto out;
	}
	for (uint32_t i = 0; i < r.n; i++) {
		memset(&sub, 0, sizeof sub);
		if (nt_record_decode(r.recs[i], r.lens[i], s->rec, &sub) != NT_OK) {
			e = AFAIL(why, height, "record %" PRIu32 " does not decode: %s", i,
				  sub.msg);
			goto out;
		}
		if (nt_record_verify(s->rec) != NT_OK) {
			e = AFAIL(why, height, "record %" PRIu32 " signature invalid", i);
			goto out;
		}
		e = audit_indexes(s, height, i, &r.ids[i], first + i, why);
		if (e != NT_OK)
			goto out;
	}
	s->prev_hash = bh;
	nt_sha256(craw, cl, &s->prev_commit_hash);
	s->prev_time = h.time;
	e = NT_OK;
out:
	ntl_recs_free(&r);
	return e;
}

/* Counts the keys under a prefix and notes the first one no block accounts
 * for: a malformed key, or (for keys carrying a number) one beyond max. */
typedef struct {
	size_t keylen; /* expected length; 0 = do not check */
	uint64_t max;  /* highest allowed number at offset 1 (u64 keys) */
	uint64_t min;
	bool numbered;
	uint64_t count;
	bool stray;
	uint64_t stray_num;
} key_census;

static int census_fn(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	(void)v, (void)vl;
	key_census *c = arg;
	c->count++;
	if (c->stray)
		return 0;
	if (c->keylen != 0 && kl != c->keylen) {
		c->stray = true;
		c->stray_num = UINT64_MAX;
		return 0;
	}
	if (c->numbered) {
		nt_reader r;
		nt_reader_init(&r, k + 1, 8);
		uint64_t n = nt_get_u64(&r);
		if (n < c->min || n > c->max) {
			c->stray = true;
			c->stray_num = n;
		}
	}
	return 0;
}

static nt_err census(const nt_ledger *l, char tag, size_t keylen, bool numbered, uint64_t min,
		     uint64_t max, key_census *out, nt_why *why)
{
	memset(out, 0, sizeof *out);
	out->keylen = keylen;
	out->numbered = numbered;
	out->min = min;
	out->max = max;
	uint8_t p = (uint8_t)tag;
	nt_err e = nt_kv_scan(l->kv, &p, 1, census_fn, out);
	if (e != NT_OK)
		return nt_fail(why, e, "cannot scan the store: %s", nt_strerror(e));
	return NT_OK;
}

static nt_err audit_strays(const nt_ledger *l, uint64_t tip, uint64_t size, nt_why *why)
{
	static const struct {
		char tag;
		size_t keylen;
		bool numbered;
		bool per_record; /* one per record rather than one per height */
		const char *what;
		bool optional; /* at most one per height (audit_tree checks it) */
	} kinds[] = {
	    {NTL_HEADER, NTL_KEY_U64_LEN, true, false, "header", false},
	    {NTL_COMMIT, NTL_KEY_U64_LEN, true, false, "commit", false},
	    {NTL_RECORD, NTL_KEY_REC_LEN, true, true, "record", false},
	    {NTL_INDEX, NTL_KEY_ID_LEN, false, true, "index", false},
	    {NTL_LOG, NTL_KEY_U64_LEN, true, true, "log", false},
	    {NTL_DIGEST, 0, false, true, "digest index", false},
	    {NTL_TREE, NTL_KEY_U64_LEN, true, false, "records tree", true},
	    {NTL_VALSET, NTL_KEY_U64_LEN, true, false, "set change", true},
	};
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		key_census c;
		uint64_t min = kinds[i].tag == NTL_LOG ? 0 : 1;
		uint64_t max = kinds[i].tag == NTL_LOG ? (size > 0 ? size - 1 : 0) : tip;
		nt_err e =
		    census(l, kinds[i].tag, kinds[i].keylen, kinds[i].numbered, min, max, &c, why);
		if (e != NT_OK)
			return e;
		if (kinds[i].tag == NTL_LOG && size == 0 && c.count > 0 && !c.stray) {
			c.stray = true;
			c.stray_num = 0;
		}
		if (c.stray && c.stray_num == UINT64_MAX)
			return nt_fail(why, NT_ERR_CORRUPT, "store has a malformed %s key",
				       kinds[i].what);
		if (c.stray && kinds[i].tag == NTL_LOG)
			return nt_fail(why, NT_ERR_CORRUPT,
				       "log entry %" PRIu64 " lies beyond the log size %" PRIu64,
				       c.stray_num, size);
		if (c.stray)
			return nt_fail(why, NT_ERR_CORRUPT,
				       "height %" PRIu64
				       ": %s stored beyond the tip (height %" PRIu64 ")",
				       c.stray_num, kinds[i].what, tip);
		uint64_t want = kinds[i].per_record ? size : tip;
		if (c.count != want && !(kinds[i].optional && c.count < want))
			return nt_fail(why, NT_ERR_CORRUPT,
				       "store has %" PRIu64 " %s entries, expected %" PRIu64
				       " (stray entries)",
				       c.count, kinds[i].what, want);
	}
	return NT_OK;
}

nt_err nt_ledger_audit(const nt_ledger *l, nt_audit_progress_fn progress, void *arg, nt_why *why)
{
	if (l == NULL)
		return nt_fail(why, NT_ERR_ARG, "no ledger to audit");
	uint64_t tip = 0;
	nt_hash tip_hash;
	nt_merkle_log tip_log;
	memset(&tip_hash, 0, sizeof tip_hash);
	nt_merkle_log_init(&tip_log);
	uint8_t *v = NULL;
	size_t vl = 0;
	nt_err e = nt_kv_get(l->kv, "T", 1, &v, &vl);
	if (e == NT_OK) {
		e = ntl_decode_tip(v, vl, &tip, &tip_hash, &tip_log);
		free(v);
		if (e != NT_OK)
			return nt_fail(why, NT_ERR_CORRUPT, "the tip record does not decode");
	} else if (e != NT_ERR_NOT_FOUND) {
		return nt_fail(why, e, "cannot read the tip record: %s", nt_strerror(e));
	}
	if (tip != l->height)
		return nt_fail(why, NT_ERR_CORRUPT,
			       "the tip record says height %" PRIu64 ", the open ledger %" PRIu64,
			       tip, l->height);

	audit_state s;
	memset(&s, 0, sizeof s);
	s.l = l;
	nt_merkle_log_init(&s.log);
	s.rec = malloc(sizeof *s.rec);
	s.set = malloc(sizeof *s.set);
	s.next = malloc(sizeof *s.next);
	if (s.rec == NULL || s.set == NULL || s.next == NULL) {
		free(s.rec);
		free(s.set);
		free(s.next);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	*s.set = l->g.vals;
	s.set_hash = l->g.validators_hash;
	for (uint64_t h = 1; h <= tip; h++) {
		e = audit_height(&s, h, why);
		if (e != NT_OK)
			goto out;
		if (progress != NULL)
			progress(arg, h, tip);
	}
	nt_hash r1, r2;
	nt_merkle_log_root(&s.log, &r1);
	nt_merkle_log_root(&tip_log, &r2);
	if (tip > 0 && (!ntl_hash_eq(&tip_hash, &s.prev_hash) || tip_log.size != s.log.size ||
			!ntl_hash_eq(&r1, &r2))) {
		e = nt_fail(why, NT_ERR_CORRUPT,
			    "the tip record does not match the header and log at height %" PRIu64,
			    tip);
		goto out;
	}
	e = audit_strays(l, tip, s.log.size, why);
out:
	free(s.rec);
	free(s.set);
	free(s.next);
	return e;
}
