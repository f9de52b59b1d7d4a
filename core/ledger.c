/* The ledger: opening a store, the chain rules (propose / check_block) and
 * the one durable write per block (append, which also adopts the commit of
 * the previous height that the block names). Queries are in ledger_query.c,
 * the whole-store audit in ledger_audit.c.
 *
 * The tip (height, block hash, Merkle log) lives in memory and in the "T"
 * key. append writes the block, its commit, every index entry and the new
 * "T" as one synced batch and touches memory only after that write
 * succeeded, so memory never runs ahead of the disk. nt_ledger_append_ex
 * with sync false writes the same batch without the fsync (catch-up of
 * decided blocks); nt_ledger_flush makes such appends durable. */
#include "core/ledger.h"

#include "base/verify.h"
#include "core/ledger_internal.h"
#include "core/record.h"
#include "crypto/digest.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

nt_err ntl_decode_tip(const uint8_t *v, size_t vl, uint64_t *height, nt_hash *hash,
		      nt_merkle_log *log)
{
	if (vl < 8 + NT_HASH_LEN)
		return NT_ERR_DECODE;
	nt_reader r;
	nt_reader_init(&r, v, vl);
	uint64_t h = nt_get_u64(&r);
	nt_hash th;
	nt_get_bytes(&r, th.b, NT_HASH_LEN);
	nt_merkle_log lg;
	if (!r.ok || nt_merkle_log_decode(v + 40, vl - 40, &lg) != NT_OK)
		return NT_ERR_DECODE;
	*height = h;
	*hash = th;
	*log = lg;
	return NT_OK;
}

static nt_err encode_tip(uint64_t height, const nt_hash *hash, const nt_merkle_log *log,
			 uint8_t out[NTL_TIP_MAX], size_t *len)
{
	nt_writer w;
	nt_writer_init(&w, out, NTL_TIP_MAX);
	nt_put_u64(&w, height);
	nt_put_bytes(&w, hash->b, NT_HASH_LEN);
	if (!w.ok)
		return NT_ERR_RANGE;
	size_t ll = 0;
	nt_err e = nt_merkle_log_encode(log, out + w.len, NTL_TIP_MAX - w.len, &ll);
	if (e != NT_OK)
		return e;
	*len = w.len + ll;
	return NT_OK;
}

static int any_key(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	(void)k, (void)kl, (void)v, (void)vl;
	*(bool *)arg = true;
	return 1;
}

/* Reads "T" and the tip header into l, checking they agree with each other
 * and with the genesis. */
nt_err nt_ledger_record_allowed(const nt_ledger *l, const uint8_t *rec, size_t len, nt_why *why)
{
	if (len == 0)
		return nt_fail(why, NT_ERR_DECODE, "empty record");
	if (rec[0] == NT_RECORD_VERSION_2 && !nt_genesis_is_v2(&l->g))
		return nt_fail(why, NT_ERR_RANGE,
			       "record version 2 (a private record) needs a version 2 chain; this "
			       "network's genesis is version 1");
	return NT_OK;
}

uint8_t ntl_header_version(const nt_genesis *g)
{
	return nt_genesis_is_v2(g) ? NT_HEADER_VERSION_2 : NT_HEADER_VERSION;
}

nt_err ntl_set_hash(const nt_genesis *g, const nt_valset *s, nt_hash *out)
{
	if (!nt_genesis_is_v2(g)) {
		nt_valset_hash(s, out);
		return NT_OK;
	}
	return nt_valset_hash_v2(s, out);
}

nt_err ntl_check_identity(const nt_genesis *g, const nt_header *h, const nt_hash *vhash,
			  nt_why *why)
{
	uint8_t want = ntl_header_version(g);
	if (h->version != want)
		return nt_fail(why, NT_ERR_DECODE,
			       "block header version %u, expected %u (the genesis is version %u)",
			       h->version, want, want);
	if (strcmp(h->chain_id, g->chain_id) != 0)
		return nt_fail(why, NT_ERR_CHAIN, "block is for chain %.50s, not %s", h->chain_id,
			       g->chain_id);
	if (want == NT_HEADER_VERSION_2 && !ntl_hash_eq(&h->genesis_hash, &g->genesis_hash))
		return nt_fail(why, NT_ERR_CHAIN,
			       "genesis_hash does not match the genesis file (another network)");
	if (!ntl_hash_eq(&h->validators_hash, vhash))
		return nt_fail(why, NT_ERR_CHAIN,
			       ntl_hash_eq(vhash, &g->validators_hash)
				   ? "validators_hash does not match the genesis validators"
				   : "validators_hash does not match the validator set of this "
				     "height (after the chain's set changes)");
	return NT_OK;
}

static nt_err load_tip(nt_ledger *l, nt_why *why)
{
	uint8_t *v = NULL;
	size_t vl = 0;
	nt_err e = nt_kv_get(l->kv, "T", 1, &v, &vl);
	if (e == NT_ERR_NOT_FOUND) {
		/* An empty store, unless blocks exist without a tip. */
		bool found = false;
		e = nt_kv_scan(l->kv, "h", 1, any_key, &found);
		if (e != NT_OK)
			return nt_fail(why, e, "cannot read the store: %s", nt_strerror(e));
		if (found)
			return nt_fail(why, NT_ERR_CORRUPT, "store has blocks but no tip record");
		return NT_OK;
	}
	if (e != NT_OK)
		return nt_fail(why, e, "cannot read the store tip: %s", nt_strerror(e));
	uint64_t h = 0;
	nt_hash th;
	nt_merkle_log lg;
	e = ntl_decode_tip(v, vl, &h, &th, &lg);
	free(v);
	if (e != NT_OK)
		return nt_fail(why, NT_ERR_CORRUPT, "store tip record is unreadable");
	if (h == 0)
		return nt_fail(why, NT_ERR_CORRUPT, "store tip record names height 0");

	nt_header hdr;
	uint8_t raw[NT_HEADER_MAX];
	size_t rl = 0;
	nt_why sub = {{0}};
	e = ntl_load_header(l->kv, h, &hdr, raw, &rl, &sub);
	if (e != NT_OK)
		return nt_fail(why, e == NT_ERR_NOT_FOUND ? NT_ERR_CORRUPT : e,
			       "store tip header (height %" PRIu64 ") is unreadable: %s", h,
			       sub.msg[0] ? sub.msg : nt_strerror(e));
	if (strcmp(hdr.chain_id, l->g.chain_id) != 0)
		return nt_fail(why, NT_ERR_CORRUPT, "store belongs to chain %s, not %s",
			       hdr.chain_id, l->g.chain_id);
	/* The sets: the genesis set through every stored change up to h. */
	ntl_changes ch;
	if ((e = ntl_load_changes(l->kv, h, &ch, why)) != NT_OK)
		return e;
	for (size_t i = 0; i < ch.n; i++) {
		if (ch.heights[i] < h)
			l->tipset = *ch.sets[i];
		l->cur = *ch.sets[i];
	}
	l->nchanges = ch.n;
	ntl_changes_free(&ch);
	nt_hash tvh;
	if (ntl_set_hash(&l->g, &l->tipset, &tvh) != NT_OK ||
	    ntl_set_hash(&l->g, &l->cur, &l->cur_hash) != NT_OK)
		return nt_fail(why, NT_ERR_CORRUPT, "a stored validator set cannot be hashed");
	if (!ntl_hash_eq(&hdr.validators_hash, &tvh))
		return nt_fail(why, NT_ERR_CORRUPT,
			       "store belongs to chain %s with a different validator set than the "
			       "genesis file%s",
			       hdr.chain_id, l->nchanges ? " and its stored set changes" : "");
	if (!ntl_hash_eq(&l->cur_hash, nt_header_is_change(&hdr) ? &hdr.next_validators_hash
								 : &hdr.validators_hash))
		return nt_fail(why, NT_ERR_CORRUPT,
			       "store tip (height %" PRIu64 ") does not agree with the stored "
			       "validator-set changes",
			       h);
	if (ntl_check_identity(&l->g, &hdr, &tvh, &sub) != NT_OK)
		return nt_fail(why, NT_ERR_CORRUPT, "store tip does not belong to this genesis: %s",
			       sub.msg);
	nt_hash hh;
	nt_sha256(raw, rl, &hh);
	nt_hash root;
	nt_merkle_log_root(&lg, &root);
	if (hdr.height != h || !ntl_hash_eq(&hh, &th) || lg.size != hdr.log_size ||
	    !ntl_hash_eq(&root, &hdr.log_root))
		return nt_fail(why, NT_ERR_CORRUPT,
			       "store tip record does not match the header at height %" PRIu64, h);

	uint8_t craw[NT_COMMIT_MAX];
	size_t cl = 0;
	nt_commit *c = malloc(sizeof *c);
	if (c == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	e = ntl_load_commit(l->kv, h, c, craw, &cl, &sub);
	free(c);
	if (e != NT_OK)
		return nt_fail(why, e == NT_ERR_NOT_FOUND ? NT_ERR_CORRUPT : e,
			       "store tip commit (height %" PRIu64 ") is unreadable: %s", h,
			       sub.msg[0] ? sub.msg : nt_strerror(e));
	l->height = h;
	l->tip = hdr;
	l->tip_hash = th;
	nt_sha256(craw, cl, &l->tip_commit_hash);
	l->log = lg;
	NT_VERIFY(l->tip.height == l->height && l->log.size == l->tip.log_size);
	return NT_OK;
}

nt_err nt_ledger_open(nt_kv *kv, const nt_genesis *g, nt_ledger **out, nt_why *why)
{
	if (kv == NULL || g == NULL || out == NULL)
		return nt_fail(why, NT_ERR_ARG, "ledger needs a store and a genesis");
	nt_ledger *l = calloc(1, sizeof *l);
	if (l == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	l->kv = kv;
	l->g = *g;
	/* Trust the set, not a hash a caller may have left unfilled. */
	nt_err se = nt_genesis_seal(&l->g);
	if (se != NT_OK) {
		free(l);
		return nt_fail(why, se, "the genesis cannot be encoded");
	}
	nt_merkle_log_init(&l->log);
	l->cur = l->g.vals;
	l->tipset = l->g.vals;
	l->cur_hash = l->g.validators_hash;
	nt_err e = load_tip(l, why);
	if (e != NT_OK) {
		free(l);
		return e;
	}
	*out = l;
	return NT_OK;
}

void nt_ledger_free(nt_ledger *l)
{
	free(l);
}

const nt_genesis *nt_ledger_genesis(const nt_ledger *l)
{
	return &l->g;
}

uint64_t nt_ledger_height(const nt_ledger *l)
{
	return l->height;
}

const nt_header *nt_ledger_tip(const nt_ledger *l)
{
	return l->height > 0 ? &l->tip : NULL;
}

const nt_hash *nt_ledger_tip_hash(const nt_ledger *l)
{
	return &l->tip_hash;
}

const nt_merkle_log *nt_ledger_log(const nt_ledger *l)
{
	return &l->log;
}

nt_err nt_ledger_propose(const nt_ledger *l, const uint8_t *const *recs, const size_t *lens,
			 uint32_t n, uint64_t time, const nt_pubkey *proposer, nt_block **out)
{
	if (l == NULL || proposer == NULL || out == NULL ||
	    (n > 0 && (recs == NULL || lens == NULL)))
		return NT_ERR_ARG;
	if (n > NT_BLOCK_MAX_RECORDS)
		return NT_ERR_RANGE;
	if (l->height > 0 && time <= l->tip.time)
		return NT_ERR_CHAIN;
	size_t total = NT_HEADER_MAX + 4;
	for (uint32_t i = 0; i < n; i++) {
		if (recs[i] == NULL || lens[i] == 0 || lens[i] > NT_RECORD_MAX)
			return NT_ERR_ARG;
		total += 2 + lens[i];
	}
	if (total > NT_BLOCK_MAX_BYTES)
		return NT_ERR_RANGE;

	nt_block *b = NULL;
	nt_err e = nt_block_new(n, &b);
	if (e != NT_OK)
		return e;
	for (uint32_t i = 0; i < n; i++) {
		e = nt_block_set(b, i, recs[i], lens[i]);
		if (e != NT_OK) {
			nt_block_free(b);
			return e;
		}
	}
	nt_header *h = &b->header;
	memset(h, 0, sizeof *h);
	h->version = ntl_header_version(&l->g);
	memcpy(h->chain_id, l->g.chain_id, sizeof h->chain_id);
	h->height = l->height + 1;
	h->time = time;
	h->prev_hash = l->tip_hash;
	h->last_commit_hash = l->tip_commit_hash;
	nt_merkle_root(b->ids, n, &h->records_root);
	h->record_count = n;
	nt_merkle_log lg = l->log;
	for (uint32_t i = 0; i < n; i++)
		nt_merkle_log_append(&lg, &b->ids[i]);
	nt_merkle_log_root(&lg, &h->log_root);
	h->log_size = lg.size;
	h->validators_hash = l->cur_hash;
	if (h->version == NT_HEADER_VERSION_2) {
		h->genesis_hash = l->g.genesis_hash;
		h->next_validators_hash = l->cur_hash; /* no set change */
	}
	h->proposer = *proposer;
	*out = b;
	return NT_OK;
}

static int hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, NT_HASH_LEN);
}

/* True if two ids repeat; sorts a copy. NT_ERR_NOMEM only. */
static nt_err has_repeat(const nt_hash *ids, uint32_t n, bool *rep)
{
	*rep = false;
	if (n < 2)
		return NT_OK;
	nt_hash *s = malloc(n * sizeof *s);
	if (s == NULL)
		return NT_ERR_NOMEM;
	memcpy(s, ids, n * sizeof *s);
	qsort(s, n, sizeof *s, hash_cmp);
	for (uint32_t i = 1; i < n && !*rep; i++)
		*rep = memcmp(&s[i - 1], &s[i], sizeof *s) == 0;
	free(s);
	return NT_OK;
}

/* The commit of the tip that the header names. lc NULL: it must be ours.
 * Otherwise lc must hash to last_commit_hash, be for the tip and verify; a
 * byte-identical copy of ours skips the signature checks. On NT_OK *replace
 * says whether lc differs from our stored commit, and raw/raw_len (may be
 * NULL) hold its encoding. */
static nt_err check_last_commit(const nt_ledger *l, const nt_header *h, const nt_commit *lc,
				bool *replace, uint8_t *raw, size_t *raw_len, nt_why *why)
{
	*replace = false;
	if (lc == NULL) {
		if (!ntl_hash_eq(&h->last_commit_hash, &l->tip_commit_hash))
			return nt_fail(why, NT_ERR_CHAIN,
				       "last_commit_hash does not match the tip's commit");
		return NT_OK;
	}
	if (l->height == 0)
		return nt_fail(why, NT_ERR_CHAIN,
			       "a last commit was given for height 1, which has none");
	uint8_t buf[NT_COMMIT_MAX];
	size_t len = 0;
	if (nt_commit_encode(lc, buf, sizeof buf, &len) != NT_OK)
		return nt_fail(why, NT_ERR_RANGE, "last commit cannot be encoded");
	nt_hash ch;
	nt_sha256(buf, len, &ch);
	if (!ntl_hash_eq(&ch, &h->last_commit_hash))
		return nt_fail(why, NT_ERR_CHAIN,
			       "last commit does not hash to the header's last_commit_hash");
	if (lc->height != l->height || !ntl_hash_eq(&lc->block_hash, &l->tip_hash))
		return nt_fail(why, NT_ERR_CHAIN,
			       "last commit is for height %" PRIu64 " or another block, not the "
			       "tip (height %" PRIu64 ")",
			       lc->height, l->height);
	if (!ntl_hash_eq(&ch, &l->tip_commit_hash)) {
		nt_why sub = {{0}};
		nt_err e = nt_commit_verify(lc, l->g.chain_id, &l->tipset, &sub);
		if (e != NT_OK)
			return nt_fail(why, e, "last commit does not verify: %s", sub.msg);
		*replace = true;
	}
	if (raw != NULL) {
		memcpy(raw, buf, len);
		*raw_len = len;
	}
	return NT_OK;
}

/* Rules shared by check_block and append, cheap and without I/O: the block
 * extends the tip, its header matches the genesis, the ids are those of the
 * record bytes, no id repeats, both roots and the log size match. */
static nt_err check_structure(const nt_ledger *l, const nt_block *b, const nt_commit *lc,
			      bool *replace, uint8_t *lc_raw, size_t *lc_len,
			      nt_merkle_log *log_out, nt_valset *next, nt_why *why)
{
	const nt_header *h = &b->header;
	nt_err ie = ntl_check_identity(&l->g, h, &l->cur_hash, why);
	if (ie != NT_OK)
		return ie;
	if (h->height != l->height + 1)
		return nt_fail(why, NT_ERR_CHAIN, "block height %" PRIu64 ", expected %" PRIu64,
			       h->height, l->height + 1);
	if (!ntl_hash_eq(&h->prev_hash, &l->tip_hash))
		return nt_fail(why, NT_ERR_CHAIN, "prev_hash does not match the tip");
	if (nt_valset_index(&l->cur, &h->proposer) < 0)
		return nt_fail(why, NT_ERR_CHAIN,
			       l->nchanges ? "proposer is not a validator of the current set"
					   : "proposer is not a validator");
	if (l->height > 0 && h->time <= l->tip.time)
		return nt_fail(why, NT_ERR_CHAIN, "block time not after the previous block");
	if (b->count > NT_BLOCK_MAX_RECORDS)
		return nt_fail(why, NT_ERR_RANGE,
			       "block has %" PRIu32 " records, at most %u allowed", b->count,
			       NT_BLOCK_MAX_RECORDS);
	if (h->record_count != b->count)
		return nt_fail(why, NT_ERR_MISMATCH,
			       "header record_count %" PRIu32 " but the block has %" PRIu32
			       " records",
			       h->record_count, b->count);
	size_t total = NT_HEADER_MAX + 4;
	for (uint32_t i = 0; i < b->count; i++) {
		if (b->recs[i] == NULL || b->lens[i] == 0 || b->lens[i] > NT_RECORD_MAX)
			return nt_fail(why, NT_ERR_RANGE, "record %" PRIu32 " has a bad length", i);
		total += 2 + b->lens[i];
		nt_hash id;
		nt_record_id(b->recs[i], b->lens[i], &id);
		if (!ntl_hash_eq(&id, &b->ids[i]))
			return nt_fail(why, NT_ERR_MISMATCH,
				       "record %" PRIu32 " id does not match its bytes", i);
	}
	if (total > NT_BLOCK_MAX_BYTES)
		return nt_fail(why, NT_ERR_RANGE, "block larger than %u bytes", NT_BLOCK_MAX_BYTES);
	bool rep = false;
	if (has_repeat(b->ids, b->count, &rep) != NT_OK)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	if (rep)
		return nt_fail(why, NT_ERR_EXISTS, "record repeated in block");
	nt_hash root;
	nt_merkle_root(b->ids, b->count, &root);
	if (!ntl_hash_eq(&root, &h->records_root))
		return nt_fail(why, NT_ERR_MISMATCH, "records_root mismatch");
	nt_merkle_log lg = l->log;
	for (uint32_t i = 0; i < b->count; i++)
		nt_merkle_log_append(&lg, &b->ids[i]);
	if (lg.size != h->log_size)
		return nt_fail(why, NT_ERR_MISMATCH, "log_size %" PRIu64 ", expected %" PRIu64,
			       h->log_size, lg.size);
	nt_merkle_log_root(&lg, &root);
	if (!ntl_hash_eq(&root, &h->log_root))
		return nt_fail(why, NT_ERR_MISMATCH, "log_root mismatch");
	/* Last: these verify signatures. */
	nt_err e = ntl_check_change(&l->g, &l->cur, l->nchanges, b, next, why);
	if (e != NT_OK)
		return e;
	e = check_last_commit(l, h, lc, replace, lc_raw, lc_len, why);
	if (e == NT_OK && log_out != NULL)
		*log_out = lg;
	return e;
}

nt_err nt_ledger_check_block(const nt_ledger *l, const nt_block *b, const nt_commit *last_commit,
			     uint64_t now, uint64_t max_skew_ms, nt_known_valid_fn known_valid,
			     void *arg, nt_why *why)
{
	if (l == NULL || b == NULL)
		return nt_fail(why, NT_ERR_ARG, "no block to check");
	bool replace = false;
	nt_valset *next = malloc(sizeof *next);
	if (next == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	nt_err e = check_structure(l, b, last_commit, &replace, NULL, NULL, NULL, next, why);
	free(next);
	if (e != NT_OK)
		return e;
	const nt_header *h = &b->header;
	if (now != 0 && h->time > now && h->time - now > max_skew_ms)
		return nt_fail(why, NT_ERR_CHAIN,
			       "block time %" PRIu64 " ms ahead of the local clock", h->time - now);

	/* Per record, cheapest first: decode, the ledger index, the signature.
	 * A known-valid record was decoded strictly and verified when it was
	 * admitted (the mempool's rule), and check_structure proved these
	 * bytes hash to its id, so they are those same bytes: decoding again
	 * (a JSON parse of the meta, most of this loop's cost) proves nothing
	 * new. append still decodes every record for its index entries. */
	nt_record *rec = malloc(sizeof *rec);
	if (rec == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < b->count; i++) {
		nt_why sub = {{0}};
		if (nt_ledger_record_allowed(l, b->recs[i], b->lens[i], &sub) != NT_OK) {
			e = nt_fail(why, NT_ERR_RANGE, "record %" PRIu32 ": %s", i, sub.msg);
			goto out;
		}
		bool known = known_valid != NULL && known_valid(arg, &b->ids[i]);
		if (!known && nt_record_decode(b->recs[i], b->lens[i], rec, &sub) != NT_OK) {
			e = nt_fail(why, NT_ERR_DECODE, "record %" PRIu32 " does not decode: %s", i,
				    sub.msg);
			goto out;
		}
		uint8_t k[NTL_KEY_ID_LEN];
		ntl_key_id(k, &b->ids[i]);
		uint8_t *v = NULL;
		size_t vl = 0;
		e = nt_kv_get(l->kv, k, sizeof k, &v, &vl);
		if (e == NT_OK) {
			nt_reader r;
			nt_reader_init(&r, v, vl);
			uint64_t at = nt_get_u64(&r);
			free(v);
			e = nt_fail(why, NT_ERR_EXISTS,
				    "record %" PRIu32 " is already in the ledger (height %" PRIu64
				    ")",
				    i, at);
			goto out;
		}
		if (e != NT_ERR_NOT_FOUND) {
			nt_fail(why, e, "cannot read the record index: %s", nt_strerror(e));
			goto out;
		}
		if (known)
			continue;
		if (nt_record_verify(rec) != NT_OK) {
			e = nt_fail(why, NT_ERR_SIGNATURE, "record %" PRIu32 " signature invalid",
				    i);
			goto out;
		}
	}
	e = NT_OK;
out:
	free(rec);
	return e;
}

/* Adds the index entries of record i (at log position pos) to the batch. */
static nt_err index_record(const nt_block *b, uint32_t i, uint64_t pos, nt_record *rec,
			   nt_kv_batch *kb, nt_why *why)
{
	uint64_t height = b->header.height;
	nt_why sub = {{0}};
	if (nt_record_decode(b->recs[i], b->lens[i], rec, &sub) != NT_OK)
		return nt_fail(why, NT_ERR_DECODE, "record %" PRIu32 " does not decode: %s", i,
			       sub.msg);
	nt_err e;
	uint8_t kr[NTL_KEY_REC_LEN], ki[NTL_KEY_ID_LEN], kl[NTL_KEY_U64_LEN],
	    kd[NTL_KEY_DIGEST_MAX];
	uint8_t loc[NTL_LOCATION_LEN];
	nt_writer w;
	nt_writer_init(&w, loc, sizeof loc);
	nt_put_u64(&w, height);
	nt_put_u32(&w, i);
	ntl_key_rec(kr, height, i);
	ntl_key_id(ki, &b->ids[i]);
	ntl_key_u64(kl, NTL_LOG, pos);
	size_t dl = ntl_key_digest(kd, rec->alg, rec->digest, rec->digest_len, &b->ids[i]);
	if ((e = nt_kv_batch_put(kb, kr, sizeof kr, b->recs[i], b->lens[i])) != NT_OK ||
	    (e = nt_kv_batch_put(kb, ki, sizeof ki, loc, sizeof loc)) != NT_OK ||
	    (e = nt_kv_batch_put(kb, kl, sizeof kl, b->ids[i].b, NT_HASH_LEN)) != NT_OK ||
	    (e = nt_kv_batch_put(kb, kd, dl, "", 0)) != NT_OK)
		return nt_fail(why, e, "cannot build the write batch: %s", nt_strerror(e));
	return NT_OK;
}

nt_err nt_ledger_append(nt_ledger *l, const nt_block *b, const nt_commit *c,
			const nt_commit *last_commit, nt_why *why)
{
	return nt_ledger_append_ex(l, b, c, last_commit, true, why);
}

nt_err nt_ledger_append_ex(nt_ledger *l, const nt_block *b, const nt_commit *c,
			   const nt_commit *last_commit, bool sync, nt_why *why)
{
	if (l == NULL || b == NULL || c == NULL)
		return nt_fail(why, NT_ERR_ARG, "append needs a block and its commit");
	const nt_header *h = &b->header;
	uint8_t hraw[NT_HEADER_MAX], craw[NT_COMMIT_MAX];
	size_t hl = 0, cl = 0;
	if (nt_header_encode(h, hraw, sizeof hraw, &hl) != NT_OK)
		return nt_fail(why, NT_ERR_RANGE, "block header cannot be encoded");
	if (nt_commit_encode(c, craw, sizeof craw, &cl) != NT_OK)
		return nt_fail(why, NT_ERR_RANGE, "commit cannot be encoded");
	nt_hash bh;
	nt_sha256(hraw, hl, &bh);
	if (c->height != h->height)
		return nt_fail(why, NT_ERR_MISMATCH,
			       "commit is for height %" PRIu64 ", block height %" PRIu64, c->height,
			       h->height);
	if (!ntl_hash_eq(&c->block_hash, &bh))
		return nt_fail(why, NT_ERR_MISMATCH, "commit is for another block");
	nt_err e = nt_commit_verify(c, l->g.chain_id, &l->cur, why);
	if (e != NT_OK)
		return e;
	bool replace = false;
	uint8_t lraw[NT_COMMIT_MAX];
	size_t ll = 0;
	nt_merkle_log lg; /* the log with this block's ids appended */
	nt_valset *next = malloc(sizeof *next);
	if (next == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	e = check_structure(l, b, last_commit, &replace, lraw, &ll, &lg, next, why);
	if (e != NT_OK) {
		free(next);
		return e;
	}
	const bool change = nt_header_is_change(h);

	nt_kv_batch *kb = NULL;
	nt_record *rec = NULL;
	uint8_t *chraw = NULL;
	if (nt_kv_batch_new(&kb) != NT_OK || (rec = malloc(sizeof *rec)) == NULL) {
		nt_kv_batch_free(kb);
		free(next);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	if (change) {
		size_t chl = 0;
		uint8_t kv[NTL_KEY_U64_LEN];
		ntl_key_u64(kv, NTL_VALSET, h->height);
		if ((e = nt_block_change_encode(b, &chraw, &chl)) != NT_OK ||
		    (e = nt_kv_batch_put(kb, kv, sizeof kv, chraw, chl)) != NT_OK) {
			nt_fail(why, e, "cannot build the write batch: %s", nt_strerror(e));
			goto out;
		}
	}
	uint8_t kh[NTL_KEY_U64_LEN], kc[NTL_KEY_U64_LEN];
	ntl_key_u64(kh, NTL_HEADER, h->height);
	ntl_key_u64(kc, NTL_COMMIT, h->height);
	if ((e = nt_kv_batch_put(kb, kh, sizeof kh, hraw, hl)) != NT_OK ||
	    (e = nt_kv_batch_put(kb, kc, sizeof kc, craw, cl)) != NT_OK) {
		nt_fail(why, e, "cannot build the write batch: %s", nt_strerror(e));
		goto out;
	}
	if (replace) {
		/* The canonical commit of the tip is the one this block names. */
		uint8_t kp[NTL_KEY_U64_LEN];
		ntl_key_u64(kp, NTL_COMMIT, l->height);
		if ((e = nt_kv_batch_put(kb, kp, sizeof kp, lraw, ll)) != NT_OK) {
			nt_fail(why, e, "cannot build the write batch: %s", nt_strerror(e));
			goto out;
		}
	}
	uint64_t pos0 = l->log.size;
	const uint64_t height0 = l->height;
	for (uint32_t i = 0; i < b->count; i++) {
		e = index_record(b, i, pos0 + i, rec, kb, why);
		if (e != NT_OK)
			goto out;
	}
	if (b->count > 0) {
		nt_merkle_tree t;
		uint8_t km[NTL_KEY_U64_LEN];
		ntl_key_u64(km, NTL_TREE, h->height);
		e = nt_merkle_tree_build(b->ids, b->count, &t);
		if (e == NT_OK) {
			uint64_t total = t.off[t.depth] + 1;
			e = nt_kv_batch_put(kb, km, sizeof km, t.nodes,
					    (size_t)total * sizeof(nt_hash));
			nt_merkle_tree_free(&t);
		}
		if (e != NT_OK) {
			nt_fail(why, e, "cannot build the write batch: %s", nt_strerror(e));
			goto out;
		}
	}
	uint8_t tip[NTL_TIP_MAX];
	size_t tl = 0;
	if ((e = encode_tip(h->height, &bh, &lg, tip, &tl)) != NT_OK ||
	    (e = nt_kv_batch_put(kb, "T", 1, tip, tl)) != NT_OK) {
		nt_fail(why, e, "cannot build the write batch: %s", nt_strerror(e));
		goto out;
	}
	/* The durable point (with sync): after this returns NT_OK the block
	 * survives a crash; before it nothing of the block is visible. Without
	 * sync the batch is still atomic and ordered after every earlier one
	 * in LevelDB's log, so a crash loses a suffix of the unsynced blocks
	 * and the tip "T" stays that of the last block that survived. */
	nt_why kwhy = {{0}};
	e = nt_kv_write(l->kv, kb, sync, &kwhy);
	if (e != NT_OK) {
		nt_fail(why, e, "cannot write block %" PRIu64 " to the store: %s", h->height,
			kwhy.msg[0] ? kwhy.msg : nt_strerror(e));
		goto out;
	}
	l->height = h->height;
	l->tip = *h;
	l->tip_hash = bh;
	nt_sha256(craw, cl, &l->tip_commit_hash);
	l->log = lg;
	l->tipset = l->cur;
	if (change) {
		l->cur = *next;
		l->cur_hash = h->next_validators_hash;
		l->nchanges++;
	}
	/* A synced write also makes every earlier unsynced one durable: the
	 * log is synced as a whole, in order. */
	l->unsynced = !sync;
	/* one block more: the tip, its header and the log moved together */
	NT_VERIFY(l->height == height0 + 1 && l->tip.height == l->height);
	NT_VERIFY(l->log.size == pos0 + b->count && l->log.size == l->tip.log_size);
out:
	free(rec);
	free(chraw);
	free(next);
	nt_kv_batch_free(kb);
	return e;
}

nt_err nt_ledger_flush(nt_ledger *l, nt_why *why)
{
	if (l == NULL)
		return nt_fail(why, NT_ERR_ARG, "no ledger to flush");
	if (!l->unsynced)
		return NT_OK;
	/* A synced write of the tip record as it already stands (the store
	 * skips empty batches): LevelDB fsyncs its log, which holds every
	 * earlier batch in order. */
	uint8_t tip[NTL_TIP_MAX];
	size_t tl = 0;
	nt_kv_batch *kb = NULL;
	nt_err e = encode_tip(l->height, &l->tip_hash, &l->log, tip, &tl);
	if (e != NT_OK)
		return nt_fail(why, e, "cannot encode the tip: %s", nt_strerror(e));
	if (nt_kv_batch_new(&kb) != NT_OK)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	nt_why kwhy = {{0}};
	if ((e = nt_kv_batch_put(kb, "T", 1, tip, tl)) == NT_OK)
		e = nt_kv_write(l->kv, kb, true, &kwhy);
	nt_kv_batch_free(kb);
	if (e != NT_OK)
		return nt_fail(why, e, "cannot sync the store: %s",
			       kwhy.msg[0] ? kwhy.msg : nt_strerror(e));
	l->unsynced = false;
	return NT_OK;
}

bool nt_ledger_unsynced(const nt_ledger *l)
{
	return l != NULL && l->unsynced;
}
