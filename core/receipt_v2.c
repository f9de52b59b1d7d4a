/* Verifying a version 2 receipt (FORMATS.md "Verifying a version 2 receipt"),
 * and the choice between version 1 and 2 by the receipt's format and the
 * genesis file's.
 *
 * Everything comes from the genesis file alone: the set S that may commit a
 * block starts as the genesis set and changes only through the change blocks
 * the receipt lists, each committed by the set before it. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/receipt.h"
#include "core/receipt_internal.h"
#include "crypto/digest.h"
#include "crypto/keys.h"

static bool hash_eq(const nt_hash *a, const nt_hash *b)
{
	return CRYPTO_memcmp(a->b, b->b, NT_HASH_LEN) == 0;
}

/* Steps 1 and 2: the submitter's signature, the file, the private parts. */
static nt_err check_record(const nt_receipt *r, const uint8_t *file_digest, size_t fd_len,
			   nt_receipt_verdict *v, nt_why *why)
{
	const nt_record *rec = &r->record;
	nt_hash h;
	nt_tagged_hash("notary/record", r->record_bytes, r->record_len - NT_SIG_LEN, &h);
	if (!nt_verify(&rec->submitter, &h, &rec->sig))
		return nt_fail(why, NT_ERR_SIGNATURE,
			       "record: the submitter signature on the record is invalid");

	v->salted = (rec->flags & NT_RECORD_FLAG_SALTED) != 0;
	v->meta_committed = (rec->flags & NT_RECORD_FLAG_META) != 0;
	const char *alg = nt_digest_name(rec->alg) ? nt_digest_name(rec->alg) : "?";
	if (file_digest != NULL) {
		uint8_t want[NT_DIGEST_MAX];
		size_t wl = fd_len;
		if (fd_len != rec->digest_len)
			return nt_fail(why, NT_ERR_MISMATCH,
				       "file: digest does not match the record (%zu bytes, the "
				       "record's %s digest has %u)",
				       fd_len, alg, rec->digest_len);
		if (v->salted) {
			if (!r->has_salt)
				return nt_fail(why, NT_ERR_MISMATCH,
					       "private record: the digest is salted and the "
					       "receipt has no 32-byte salt, so the file cannot "
					       "be checked");
			if (nt_record_salted_digest(rec->alg, r->salt, file_digest, fd_len, want,
						    &wl) != NT_OK)
				return nt_fail(why, NT_ERR_MISMATCH,
					       "file: cannot compute the salted %s digest", alg);
		} else {
			memcpy(want, file_digest, fd_len);
		}
		if (wl != rec->digest_len || CRYPTO_memcmp(want, rec->digest, wl) != 0)
			return nt_fail(why, NT_ERR_MISMATCH,
				       v->salted ? "file: digest does not match the record (the "
						   "file's %s digest salted with the receipt's "
						   "salt differs: another file or a wrong salt)"
						 : "file: digest does not match the record (the "
						   "file's %s digest differs)",
				       alg);
	}
	if (r->has_meta) {
		if (!v->meta_committed)
			return nt_fail(why, NT_ERR_MISMATCH,
				       "receipt carries a clear \"meta\" but the record's meta is "
				       "not committed (only a private record's receipt has one)");
		if (!r->has_salt)
			return nt_fail(why, NT_ERR_MISMATCH,
				       "private record: receipt has no 32-byte salt to check the "
				       "clear meta against its commitment");
		nt_hash mc;
		nt_record_meta_commitment(r->salt, r->meta, r->meta_len, &mc);
		if (rec->meta_len != NT_HASH_LEN ||
		    CRYPTO_memcmp(mc.b, rec->meta, NT_HASH_LEN) != 0)
			return nt_fail(why, NT_ERR_MISMATCH,
				       "private record: meta does not match its commitment "
				       "(the clear meta or the salt is not the one the "
				       "submitter signed)");
		v->meta_disclosed = true;
	}
	return NT_OK;
}

nt_err ntr_check_chain_id(const nt_receipt *r, const nt_genesis *g, nt_why *why)
{
	if (strcmp(r->header.chain_id, g->chain_id) != 0)
		return nt_fail(why, NT_ERR_MISMATCH,
			       "header chain_id '%s' differs from the genesis chain_id '%s'",
			       r->header.chain_id, g->chain_id);
	if (strcmp(r->chain_id, g->chain_id) != 0)
		return nt_fail(why, NT_ERR_MISMATCH,
			       "receipt chain_id '%s' differs from the genesis chain_id '%s'",
			       r->chain_id, g->chain_id);
	return NT_OK;
}

nt_err ntr_check_inclusion(const nt_receipt *r, nt_why *why)
{
	nt_hash id;
	nt_record_id(r->record_bytes, r->record_len, &id);
	if (!hash_eq(&id, &r->record_id))
		return nt_fail(why, NT_ERR_MISMATCH, "record_id does not match the record");
	if (r->height != r->header.height)
		return nt_fail(why, NT_ERR_MISMATCH,
			       "receipt height %llu differs from the header height %llu",
			       (unsigned long long)r->height, (unsigned long long)r->header.height);
	if (r->leaf_index >= r->header.record_count)
		return nt_fail(why, NT_ERR_PROOF,
			       "leaf_index %llu is outside the block's %u records",
			       (unsigned long long)r->leaf_index, r->header.record_count);
	nt_why mw = {{0}};
	if (nt_merkle_inclusion_verify(&id, r->leaf_index, r->header.record_count, r->proof,
				       r->proof_len, &r->header.records_root, &mw) != NT_OK)
		return nt_fail(why, NT_ERR_PROOF,
			       "%s (record as leaf %llu of the block's %u records)",
			       mw.msg[0] ? mw.msg : "inclusion proof does not verify",
			       (unsigned long long)r->leaf_index, r->header.record_count);
	return NT_OK;
}

/* A commit for exactly this header, valid for set s. what prefixes the
 * message ("commit", "valset change 1: commit"). */
static nt_err check_commit(const nt_commit *c, const uint8_t *hb, size_t hl, const nt_header *h,
			   const nt_valset *s, const char *what, nt_why *why)
{
	nt_hash bh;
	nt_sha256(hb, hl, &bh);
	if (c->height != h->height)
		return nt_fail(why, NT_ERR_MISMATCH,
			       "%s: it is for height %llu, the header is height %llu", what,
			       (unsigned long long)c->height, (unsigned long long)h->height);
	if (!hash_eq(&bh, &c->block_hash))
		return nt_fail(why, NT_ERR_MISMATCH,
			       "%s: it is for another block (its block_hash is not H(header))",
			       what);
	nt_why sub = {{0}};
	nt_err e = nt_commit_verify(c, h->chain_id, s, &sub);
	if (e != NT_OK)
		return nt_fail(why, e, "%s: %s", what, sub.msg[0] ? sub.msg : nt_strerror(e));
	return NT_OK;
}

/* Step 5: walk S from the genesis set through every change block. On
 * NT_OK *s is the set in force after the last change. */
static nt_err walk_changes(const nt_receipt *r, const nt_genesis *g, nt_valset *s, nt_why *why)
{
	uint64_t prev = 0;
	nt_valset *next = malloc(sizeof *next);
	if (next == NULL)
		return NT_ERR_NOMEM;
	nt_err e = NT_OK;
	for (size_t i = 0; i < r->change_count && e == NT_OK; i++) {
		const nt_receipt_change *c = &r->changes[i];
		const nt_header *h = &c->header;
		char what[48];
		snprintf(what, sizeof what, "valset change %zu: commit", i);
		nt_hash sh, nh;
		nt_why sub = {{0}};
		if (h->version != NT_HEADER_VERSION_2)
			e = nt_fail(why, NT_ERR_CHAIN,
				    "valset change %zu: header version %u, not 2", i, h->version);
		else if (h->height <= prev || h->height >= r->header.height)
			e = nt_fail(why, NT_ERR_CHAIN,
				    "valset change %zu: heights not increasing below the receipt's "
				    "(height %llu after %llu, receipt at %llu)",
				    i, (unsigned long long)h->height, (unsigned long long)prev,
				    (unsigned long long)r->header.height);
		else if (strcmp(h->chain_id, g->chain_id) != 0)
			e = nt_fail(why, NT_ERR_MISMATCH,
				    "valset change %zu: header chain_id '%s' differs from the "
				    "genesis chain_id '%s'",
				    i, h->chain_id, g->chain_id);
		else if (!hash_eq(&h->genesis_hash, &g->genesis_hash))
			e = nt_fail(
			    why, NT_ERR_MISMATCH,
			    "valset change %zu: genesis_hash differs from the genesis file's", i);
		else if ((e = nt_valset_hash_v2(s, &sh)) != NT_OK)
			e = nt_fail(why, e, "valset change %zu: the current set cannot be hashed",
				    i);
		else if (!hash_eq(&h->validators_hash, &sh))
			e = nt_fail(why, NT_ERR_CHAIN,
				    "valset change %zu (height %llu): validators_hash is not the "
				    "current set's (missing or reordered change?)",
				    i, (unsigned long long)h->height);
		else if ((e = nt_valset_decode(c->next_validators, c->next_validators_len, next,
					       &sub)) != NT_OK)
			e = nt_fail(why, e, "valset change %zu: next_validators: %s", i, sub.msg);
		else if ((e = nt_valset_hash_v2(next, &nh)) != NT_OK ||
			 !hash_eq(&nh, &h->next_validators_hash))
			e = nt_fail(why, NT_ERR_MISMATCH,
				    "valset change %zu (height %llu): next_validators do not match "
				    "next_validators_hash",
				    i, (unsigned long long)h->height);
		else if (hash_eq(&h->next_validators_hash, &h->validators_hash))
			e = nt_fail(why, NT_ERR_CHAIN,
				    "valset change %zu (height %llu): not a change block "
				    "(next_validators_hash equals validators_hash)",
				    i, (unsigned long long)h->height);
		else if ((e = check_commit(&c->commit, c->header_bytes, c->header_len, h, s, what,
					   why)) == NT_OK) {
			*s = *next;
			prev = h->height;
		}
	}
	free(next);
	return e;
}

static nt_err verify_v2(const nt_receipt *r, const nt_genesis *g, const uint8_t *file_digest,
			size_t fd_len, nt_receipt_verdict *v, nt_why *why)
{
	/* 1, 2 */
	nt_err e = check_record(r, file_digest, fd_len, v, why);
	/* 3 */
	if (e == NT_OK)
		e = ntr_check_inclusion(r, why);
	if (e != NT_OK)
		return e;
	/* 4 */
	if ((e = ntr_check_chain_id(r, g, why)) != NT_OK)
		return e;
	char mine[NT_FINGERPRINT_LEN + 1], theirs[NT_FINGERPRINT_LEN + 1];
	nt_genesis_fingerprint(&g->genesis_hash, mine);
	nt_genesis_fingerprint(&r->header.genesis_hash, theirs);
	if (!hash_eq(&r->header.genesis_hash, &g->genesis_hash))
		return nt_fail(why, NT_ERR_MISMATCH,
			       "genesis_hash differs: the receipt belongs to another network "
			       "(fingerprint %s, genesis file's %s)",
			       theirs, mine);
	if (!hash_eq(&r->genesis_hash, &r->header.genesis_hash))
		return nt_fail(why, NT_ERR_MISMATCH,
			       "receipt genesis_hash member differs from its header's");
	/* 5 */
	v->set = g->vals;
	e = walk_changes(r, g, &v->set, why);
	if (e != NT_OK)
		return e;
	v->changes = r->change_count;
	/* 6 */
	nt_hash sh;
	if (nt_valset_hash_v2(&v->set, &sh) != NT_OK || !hash_eq(&sh, &r->header.validators_hash))
		return nt_fail(why, NT_ERR_MISMATCH,
			       "header validators_hash is not the set reached from the genesis "
			       "through the receipt's %zu valset_changes (a change missing, or "
			       "a set the genesis file never led to)",
			       r->change_count);
	return check_commit(&r->commit, r->header_bytes, r->header_len, &r->header, &v->set,
			    "commit", why);
}

nt_err nt_receipt_verify_full(const nt_receipt *r, const nt_genesis *g, const uint8_t *file_digest,
			      size_t file_digest_len, nt_receipt_verdict *out, nt_why *why)
{
	if (r == NULL || g == NULL || r->record_len < NT_SIG_LEN ||
	    r->record_len > sizeof r->record_bytes || r->header_len > sizeof r->header_bytes ||
	    r->proof_len > NT_MERKLE_PROOF_MAX || (r->change_count > 0 && r->changes == NULL))
		return nt_fail(why, NT_ERR_ARG, "receipt or genesis missing");
	int format = r->format == 2 ? 2 : 1;
	char fp[NT_FINGERPRINT_LEN + 1] = "";
	if (nt_genesis_is_v2(g))
		nt_genesis_fingerprint(&g->genesis_hash, fp);
	if (format == 2 && !nt_genesis_is_v2(g))
		return nt_fail(why, NT_ERR_MISMATCH,
			       "genesis: not notary-genesis/2: a %s receipt needs a version 2 "
			       "genesis file (with \"format\": \"notary-genesis/2\"), this one "
			       "is version 1",
			       NT_RECEIPT_FORMAT_2);
	if (format == 1 && nt_genesis_is_v2(g))
		return nt_fail(why, NT_ERR_MISMATCH,
			       "genesis: a %s receipt needs a version 1 genesis file, this one "
			       "is notary-genesis/2 (fingerprint %s)",
			       NT_RECEIPT_FORMAT, fp);
	nt_receipt_verdict *v = calloc(1, sizeof *v);
	if (v == NULL)
		return NT_ERR_NOMEM;
	v->format = format;
	memcpy(v->fingerprint, fp, sizeof fp);
	nt_err e;
	if (format == 1) {
		e = ntr_verify_v1(r, g, file_digest, file_digest_len, why);
		v->set = g->vals;
	} else {
		e = verify_v2(r, g, file_digest, file_digest_len, v, why);
	}
	if (e == NT_OK && out != NULL)
		*out = *v;
	free(v);
	return e;
}
