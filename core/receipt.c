/* Receipts: JSON carrying a record, its inclusion proof, the block header and
 * the commit, checked offline against a genesis file (FORMATS.md "Receipt",
 * "Verifying a receipt"). */
#include "core/receipt.h"

#include <inttypes.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "core/receipt_internal.h"
#include "crypto/digest.h"

/* ---- building ----
 *
 * Receipts are written as text directly, not through a JSON tree: a node
 * writes one per committed record, and building and dumping a jansson tree
 * was the largest cost of answering a submit. The text is byte for byte
 * what jansson's JSON_INDENT(2) dump of the FORMATS.md member order gives
 * (tests/test_receipt.c checks this against jansson), so files written
 * before and after read the same. */

struct nt_receipt_block {
	char *head;	 /* "{" ... "\"record\": \"" */
	char height[24]; /* decimal */
	char *tail;	 /* ",\n  \"header\": ..." to the closing "}\n" */
	size_t head_len, height_len, tail_len;
};

void nt_receipt_block_free(nt_receipt_block *rb)
{
	if (rb == NULL)
		return;
	free(rb->head);
	free(rb->tail);
	free(rb);
}

/* A JSON string literal (quoted, escaped as jansson escapes) of s. */
static char *json_quote(const char *s)
{
	json_t *j = json_string(s);
	char *q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	json_decref(j);
	return q;
}

/* Appends n bytes to a buffer known to be large enough. */
static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}
#define PUTS(p, lit) put((p), (lit), sizeof(lit) - 1)

static char *put_hex(char *p, const uint8_t *b, size_t n)
{
	*p++ = '"';
	nt_hex_encode(b, n, p);
	p += 2 * n;
	*p++ = '"';
	return p;
}

nt_err nt_receipt_block_new(const nt_header *hdr, const nt_commit *commit, const nt_valset *vals,
			    nt_receipt_block **out)
{
	return nt_receipt_block_new_changes(hdr, commit, vals, NULL, 0, out);
}

nt_err nt_receipt_block_new_changes(const nt_header *hdr, const nt_commit *commit,
				    const nt_valset *vals, const nt_receipt_change_bytes *changes,
				    size_t n, nt_receipt_block **out)
{
	if (hdr == NULL || commit == NULL || out == NULL || hdr->height > (uint64_t)INT64_MAX ||
	    (n > 0 && (changes == NULL || hdr->version != NT_HEADER_VERSION_2)) ||
	    n > NT_RECEIPT_CHANGES_MAX)
		return NT_ERR_ARG;
	size_t changes_cap = 0;
	for (size_t i = 0; i < n; i++)
		changes_cap += 2 * (changes[i].header_len + changes[i].commit_len +
				    changes[i].next_validators_len) +
			       96;
	uint8_t *hb = malloc(NT_HEADER_MAX + NT_COMMIT_MAX);
	nt_receipt_block *rb = calloc(1, sizeof *rb);
	if (hb == NULL || rb == NULL) {
		free(hb);
		free(rb);
		return NT_ERR_NOMEM;
	}
	uint8_t *cb = hb + NT_HEADER_MAX;
	size_t hlen, clen;
	nt_err e = nt_header_encode(hdr, hb, NT_HEADER_MAX, &hlen);
	if (e == NT_OK)
		e = nt_commit_encode(commit, cb, NT_COMMIT_MAX, &clen);
	if (e != NT_OK) {
		free(hb);
		free(rb);
		return e;
	}
	char tbuf[32];
	nt_time_format(nt_commit_time(commit), tbuf);
	char *cid = json_quote(hdr->chain_id), *tq = json_quote(tbuf);
	unsigned nv =
	    vals == NULL ? 0 : (vals->n < NT_MAX_VALIDATORS ? vals->n : NT_MAX_VALIDATORS);
	size_t tail_cap = 96 + 2 * (hlen + clen) + (size_t)nv * (2 * NT_PUBKEY_LEN + 16) +
			  (tq ? strlen(tq) : 0) + changes_cap;
	if (cid != NULL)
		rb->head = malloc(160 + strlen(cid));
	rb->tail = malloc(tail_cap);
	if (cid == NULL || tq == NULL || rb->head == NULL || rb->tail == NULL) {
		free(cid);
		free(tq);
		free(hb);
		nt_receipt_block_free(rb);
		return NT_ERR_NOMEM;
	}
	/* A version 2 chain's receipt (FORMATS.md "Receipt, version 2"):
	 * genesis_hash after chain_id, valset_changes after time: every
	 * change block below this height, in height order. */
	bool v2 = hdr->version == NT_HEADER_VERSION_2;
	char *p =
	    v2 ? PUTS(rb->head, "{\n  \"format\": \"" NT_RECEIPT_FORMAT_2 "\",\n  \"chain_id\": ")
	       : PUTS(rb->head, "{\n  \"format\": \"" NT_RECEIPT_FORMAT "\",\n  \"chain_id\": ");
	p = put(p, cid, strlen(cid));
	if (v2) {
		p = PUTS(p, ",\n  \"genesis_hash\": ");
		p = put_hex(p, hdr->genesis_hash.b, NT_HASH_LEN);
	}
	p = PUTS(p, ",\n  \"record\": ");
	rb->head_len = (size_t)(p - rb->head);
	rb->height_len = (size_t)snprintf(rb->height, sizeof rb->height, "%" PRIu64, hdr->height);

	p = PUTS(rb->tail, ",\n  \"header\": ");
	p = put_hex(p, hb, hlen);
	p = PUTS(p, ",\n  \"commit\": ");
	p = put_hex(p, cb, clen);
	if (vals != NULL) {
		p = PUTS(p, ",\n  \"validators\": ");
		if (nv == 0)
			p = PUTS(p, "[]");
		for (unsigned i = 0; i < nv; i++) {
			p = i == 0 ? PUTS(p, "[\n    ") : PUTS(p, ",\n    ");
			p = put_hex(p, vals->keys[i].b, NT_PUBKEY_LEN);
		}
		if (nv > 0)
			p = PUTS(p, "\n  ]");
	}
	p = PUTS(p, ",\n  \"time\": ");
	p = put(p, tq, strlen(tq));
	if (v2 && n == 0)
		p = PUTS(p, ",\n  \"valset_changes\": []");
	for (size_t i = 0; v2 && i < n; i++) {
		p = i == 0 ? PUTS(p, ",\n  \"valset_changes\": [\n    { \"header\": ")
			   : PUTS(p, ",\n    { \"header\": ");
		p = put_hex(p, changes[i].header, changes[i].header_len);
		p = PUTS(p, ",\n      \"commit\": ");
		p = put_hex(p, changes[i].commit, changes[i].commit_len);
		p = PUTS(p, ",\n      \"next_validators\": ");
		p = put_hex(p, changes[i].next_validators, changes[i].next_validators_len);
		p = PUTS(p, " }");
		if (i + 1 == n)
			p = PUTS(p, "\n  ]");
	}
	p = PUTS(p, "\n}\n");
	rb->tail_len = (size_t)(p - rb->tail);
	free(cid);
	free(tq);
	free(hb);
	*out = rb;
	return NT_OK;
}

nt_err nt_receipt_block_build(const nt_receipt_block *rb, const uint8_t *record, size_t record_len,
			      const nt_hash *record_id, uint64_t leaf_index, const nt_hash *proof,
			      size_t proof_len, char **out)
{
	if (rb == NULL || record == NULL || out == NULL || (proof == NULL && proof_len > 0) ||
	    proof_len > NT_MERKLE_PROOF_MAX || record_len > NT_RECORD_MAX ||
	    leaf_index > (uint64_t)INT64_MAX)
		return NT_ERR_ARG;
	nt_hash id;
	if (record_id != NULL)
		id = *record_id;
	else
		nt_record_id(record, record_len, &id);

	/* FORMATS.md member order: format, chain_id, record, record_id, height,
	 * leaf_index, proof, header, commit, validators, time. */
	size_t cap = rb->head_len + 2 * record_len + 2 * NT_HASH_LEN + rb->height_len + 24 +
		     proof_len * (2 * NT_HASH_LEN + 8) + rb->tail_len + 128;
	char *text = malloc(cap);
	if (text == NULL)
		return NT_ERR_NOMEM;
	char *p = put(text, rb->head, rb->head_len);
	p = put_hex(p, record, record_len);
	p = PUTS(p, ",\n  \"record_id\": ");
	p = put_hex(p, id.b, NT_HASH_LEN);
	p = PUTS(p, ",\n  \"height\": ");
	p = put(p, rb->height, rb->height_len);
	p = PUTS(p, ",\n  \"leaf_index\": ");
	p += snprintf(p, 24, "%" PRIu64, leaf_index);
	p = PUTS(p, ",\n  \"proof\": ");
	if (proof_len == 0)
		p = PUTS(p, "[]");
	for (size_t i = 0; i < proof_len; i++) {
		p = i == 0 ? PUTS(p, "[\n    ") : PUTS(p, ",\n    ");
		p = put_hex(p, proof[i].b, NT_HASH_LEN);
	}
	if (proof_len > 0)
		p = PUTS(p, "\n  ]");
	p = put(p, rb->tail, rb->tail_len);
	*p = '\0';
	*out = text;
	return NT_OK;
}

nt_err nt_receipt_build(const uint8_t *record, size_t record_len, uint64_t leaf_index,
			const nt_hash *proof, size_t proof_len, const nt_header *hdr,
			const nt_commit *commit, const nt_valset *vals, char **out)
{
	if (record == NULL || hdr == NULL || commit == NULL || out == NULL ||
	    (proof == NULL && proof_len > 0) || proof_len > NT_MERKLE_PROOF_MAX ||
	    record_len > NT_RECORD_MAX || leaf_index > (uint64_t)INT64_MAX ||
	    hdr->height > (uint64_t)INT64_MAX)
		return NT_ERR_ARG;
	nt_receipt_block *rb = NULL;
	nt_err e = nt_receipt_block_new(hdr, commit, vals, &rb);
	if (e == NT_OK)
		e = nt_receipt_block_build(rb, record, record_len, NULL, leaf_index, proof,
					   proof_len, out);
	nt_receipt_block_free(rb);
	return e;
}

/* ---- parsing ---- */

static nt_err get_string(json_t *root, const char *key, const char **out, nt_why *why)
{
	json_t *v = json_object_get(root, key);
	if (v == NULL)
		return nt_fail(why, NT_ERR_JSON, "receipt has no \"%s\" member", key);
	if (!json_is_string(v))
		return nt_fail(why, NT_ERR_JSON, "receipt \"%s\" is not a string", key);
	*out = json_string_value(v);
	return NT_OK;
}

static nt_err get_hex(json_t *root, const char *key, uint8_t *buf, size_t cap, size_t *len,
		      nt_why *why)
{
	const char *s;
	nt_err e = get_string(root, key, &s, why);
	if (e != NT_OK)
		return e;
	e = nt_hex_decode(s, buf, cap, len);
	if (e == NT_ERR_RANGE)
		return nt_fail(why, NT_ERR_RANGE, "receipt \"%s\" is longer than %zu bytes", key,
			       cap);
	if (e != NT_OK)
		return nt_fail(why, NT_ERR_DECODE, "receipt \"%s\" is not hex", key);
	return NT_OK;
}

static nt_err get_hash(json_t *v, const char *what, nt_hash *out, nt_why *why)
{
	if (!json_is_string(v) || json_string_length(v) != 2 * NT_HASH_LEN ||
	    nt_hex_decode32(json_string_value(v), out->b) != NT_OK)
		return nt_fail(why, NT_ERR_DECODE, "receipt %s is not 64 hex digits", what);
	return NT_OK;
}

static nt_err get_uint(json_t *root, const char *key, uint64_t *out, nt_why *why)
{
	json_t *v = json_object_get(root, key);
	if (v == NULL)
		return nt_fail(why, NT_ERR_JSON, "receipt has no \"%s\" member", key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return nt_fail(why, NT_ERR_JSON, "receipt \"%s\" is not a non-negative integer",
			       key);
	*out = (uint64_t)json_integer_value(v);
	return NT_OK;
}

/* The optional "salt" and "meta" members a party's client adds to the
 * receipt of a private record (version 2). */
static nt_err parse_private(json_t *root, nt_receipt *r, nt_why *why)
{
	json_t *salt = json_object_get(root, "salt");
	if (salt != NULL) {
		nt_hash s;
		nt_err e = get_hash(salt, "salt", &s, why);
		if (e != NT_OK)
			return e;
		memcpy(r->salt, s.b, NT_RECORD_SALT_LEN);
		r->has_salt = true;
	}
	json_t *meta = json_object_get(root, "meta");
	if (meta != NULL) {
		if (!json_is_string(meta))
			return nt_fail(why, NT_ERR_JSON, "receipt \"meta\" is not a string");
		size_t ml = json_string_length(meta);
		if (ml > NT_META_MAX)
			return nt_fail(why, NT_ERR_RANGE,
				       "receipt \"meta\" is %zu bytes, more than %d", ml,
				       NT_META_MAX);
		memcpy(r->meta, json_string_value(meta), ml);
		r->meta[ml] = '\0';
		r->meta_len = (uint16_t)ml;
		r->has_meta = true;
	}
	return NT_OK;
}

static nt_err parse_change(json_t *v, size_t i, nt_receipt_change *c, uint8_t *vs_buf,
			   size_t vs_cap, nt_why *why)
{
	nt_why sub = {{0}};
	if (!json_is_object(v))
		return nt_fail(why, NT_ERR_JSON, "receipt valset_changes[%zu] is not an object", i);
	const char *hs = json_string_value(json_object_get(v, "header"));
	const char *cs = json_string_value(json_object_get(v, "commit"));
	const char *ns = json_string_value(json_object_get(v, "next_validators"));
	if (hs == NULL || cs == NULL || ns == NULL)
		return nt_fail(why, NT_ERR_JSON,
			       "receipt valset_changes[%zu] needs header, commit and "
			       "next_validators hex strings",
			       i);
	uint8_t *cb = malloc(NT_COMMIT_MAX);
	if (cb == NULL)
		return NT_ERR_NOMEM;
	size_t cl = 0;
	nt_err e = nt_hex_decode(hs, c->header_bytes, sizeof c->header_bytes, &c->header_len);
	if (e != NT_OK)
		e = nt_fail(why, e,
			    "receipt valset_changes[%zu] header is not hex of at most %d bytes", i,
			    NT_HEADER_MAX);
	else if ((e = nt_header_decode(c->header_bytes, c->header_len, &c->header, &sub)) != NT_OK)
		e = nt_fail(why, e, "valset change %zu: %s", i, sub.msg);
	else if ((e = nt_hex_decode(cs, cb, NT_COMMIT_MAX, &cl)) != NT_OK)
		e = nt_fail(why, e,
			    "receipt valset_changes[%zu] commit is not hex of at most %d bytes", i,
			    NT_COMMIT_MAX);
	else if ((e = nt_commit_decode(cb, cl, &c->commit, &sub)) != NT_OK)
		e = nt_fail(why, e, "valset change %zu: %s", i, sub.msg);
	else if ((e = nt_hex_decode(ns, vs_buf, vs_cap, &c->next_validators_len)) != NT_OK)
		e = nt_fail(why, e, "receipt valset_changes[%zu] next_validators is not hex", i);
	free(cb);
	if (e != NT_OK)
		return e;
	c->next_validators = vs_buf;
	if (c->header.version != NT_HEADER_VERSION_2)
		return nt_fail(why, NT_ERR_DECODE,
			       "valset change %zu: header version %u (a change block is version 2)",
			       i, c->header.version);
	return NT_OK;
}

static nt_err parse_members(json_t *root, nt_receipt *r, size_t len, nt_why *why)
{
	const char *s;
	nt_err e;
	if (!json_is_object(root))
		return nt_fail(why, NT_ERR_JSON, "receipt is not a JSON object");
	if ((e = get_string(root, "format", &s, why)) != NT_OK)
		return e;
	if (strcmp(s, NT_RECEIPT_FORMAT) == 0)
		r->format = 1;
	else if (strcmp(s, NT_RECEIPT_FORMAT_2) == 0)
		r->format = 2;
	else
		return nt_fail(why, NT_ERR_RANGE, "receipt format is not \"%s\" or \"%s\"",
			       NT_RECEIPT_FORMAT, NT_RECEIPT_FORMAT_2);
	if (r->format == 1 && len > NT_RECEIPT_TEXT_MAX)
		return nt_fail(why, NT_ERR_RANGE, "receipt is %zu bytes, more than %d allowed", len,
			       NT_RECEIPT_TEXT_MAX);
	if ((e = get_string(root, "chain_id", &s, why)) != NT_OK)
		return e;
	if (!nt_chain_id_valid(s) || strlen(s) > NT_CHAIN_ID_MAX)
		return nt_fail(why, NT_ERR_RANGE, "receipt chain_id is not a valid chain id");
	memcpy(r->chain_id, s, strlen(s) + 1);
	if (r->format == 2 && (e = get_hash(json_object_get(root, "genesis_hash"), "genesis_hash",
					    &r->genesis_hash, why)) != NT_OK)
		return e;

	if ((e = get_hex(root, "record", r->record_bytes, sizeof r->record_bytes, &r->record_len,
			 why)) != NT_OK)
		return e;
	if ((e = nt_record_decode(r->record_bytes, r->record_len, &r->record, why)) != NT_OK)
		return e;
	if (r->format == 1 && r->record.version != NT_RECORD_VERSION)
		return nt_fail(why, NT_ERR_DECODE, "record version %u in a %s receipt",
			       r->record.version, NT_RECEIPT_FORMAT);
	if ((e = get_hash(json_object_get(root, "record_id"), "record_id", &r->record_id, why)) !=
	    NT_OK)
		return e;
	if ((e = get_uint(root, "height", &r->height, why)) != NT_OK)
		return e;
	if ((e = get_uint(root, "leaf_index", &r->leaf_index, why)) != NT_OK)
		return e;

	json_t *proof = json_object_get(root, "proof");
	if (!json_is_array(proof))
		return nt_fail(why, NT_ERR_JSON, "receipt has no \"proof\" array");
	if (json_array_size(proof) > NT_MERKLE_PROOF_MAX)
		return nt_fail(why, NT_ERR_RANGE, "receipt proof has %zu hashes, more than %d",
			       json_array_size(proof), NT_MERKLE_PROOF_MAX);
	r->proof_len = json_array_size(proof);
	for (size_t i = 0; i < r->proof_len; i++)
		if ((e = get_hash(json_array_get(proof, i), "proof entry", &r->proof[i], why)) !=
		    NT_OK)
			return e;

	if ((e = get_hex(root, "header", r->header_bytes, sizeof r->header_bytes, &r->header_len,
			 why)) != NT_OK)
		return e;
	if ((e = nt_header_decode(r->header_bytes, r->header_len, &r->header, why)) != NT_OK)
		return e;
	if (r->format == 1 && r->header.version != NT_HEADER_VERSION)
		return nt_fail(why, NT_ERR_DECODE, "header version %u in a %s receipt",
			       r->header.version, NT_RECEIPT_FORMAT);
	if (r->format == 2 && r->header.version != NT_HEADER_VERSION_2)
		return nt_fail(why, NT_ERR_DECODE,
			       "header version %u in a %s receipt (it needs a version 2 header)",
			       r->header.version, NT_RECEIPT_FORMAT_2);
	if ((e = get_hex(root, "commit", r->commit_bytes, sizeof r->commit_bytes, &r->commit_len,
			 why)) != NT_OK)
		return e;
	if ((e = nt_commit_decode(r->commit_bytes, r->commit_len, &r->commit, why)) != NT_OK)
		return e;
	if (r->format == 1)
		return NT_OK;
	return parse_private(root, r, why);
}

/* The sizes a version 2 receipt's allocation needs for its changes:
 * the entry count and the total bytes of their sets. */
static nt_err changes_size(json_t *root, size_t *count, size_t *vs_bytes, nt_why *why)
{
	*count = 0;
	*vs_bytes = 0;
	const char *fmt = json_string_value(json_object_get(root, "format"));
	if (fmt == NULL || strcmp(fmt, NT_RECEIPT_FORMAT_2) != 0)
		return NT_OK; /* parse_members reports what is wrong */
	json_t *ch = json_object_get(root, "valset_changes");
	if (!json_is_array(ch))
		return nt_fail(why, NT_ERR_JSON,
			       "receipt has no \"valset_changes\" array (a %s receipt lists "
			       "every set change, [] for none)",
			       NT_RECEIPT_FORMAT_2);
	size_t n = json_array_size(ch);
	if (n > NT_RECEIPT_CHANGES_MAX)
		return nt_fail(why, NT_ERR_RANGE, "receipt lists %zu valset changes, more than %d",
			       n, NT_RECEIPT_CHANGES_MAX);
	for (size_t i = 0; i < n; i++) {
		json_t *nv = json_object_get(json_array_get(ch, i), "next_validators");
		size_t l = json_is_string(nv) ? json_string_length(nv) / 2 : 0;
		if (l > NT_VALSET_BYTES_MAX)
			return nt_fail(why, NT_ERR_RANGE,
				       "receipt valset_changes[%zu] next_validators is longer "
				       "than %d bytes",
				       i, NT_VALSET_BYTES_MAX);
		*vs_bytes += l;
	}
	*count = n;
	return NT_OK;
}

#define ALIGN16(n) (((n) + 15u) & ~(size_t)15u)

nt_err nt_receipt_parse(const char *json, size_t len, nt_receipt **out, nt_why *why)
{
	if (json == NULL || out == NULL)
		return NT_ERR_ARG;
	if (len > NT_RECEIPT_V2_TEXT_MAX)
		return nt_fail(why, NT_ERR_RANGE, "receipt is %zu bytes, more than %d allowed", len,
			       NT_RECEIPT_V2_TEXT_MAX);
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return nt_fail(why, NT_ERR_JSON, "receipt is not valid JSON (line %d: %s)",
			       jerr.line, jerr.text);
	size_t nch = 0, vs_bytes = 0;
	nt_err e = json_is_object(root) ? changes_size(root, &nch, &vs_bytes, why) : NT_OK;
	if (e != NT_OK) {
		json_decref(root);
		return e;
	}
	/* One block: the receipt, its change entries, their set bytes. */
	size_t off_ch = ALIGN16(sizeof(nt_receipt));
	size_t off_vs = off_ch + ALIGN16(nch * sizeof(nt_receipt_change));
	uint8_t *mem = calloc(1, off_vs + vs_bytes + 1);
	if (mem == NULL) {
		json_decref(root);
		return NT_ERR_NOMEM;
	}
	nt_receipt *r = (nt_receipt *)(void *)mem;
	e = parse_members(root, r, len, why);
	if (e == NT_OK && r->format == 2) {
		json_t *ch = json_object_get(root, "valset_changes");
		r->changes = nch > 0 ? (nt_receipt_change *)(void *)(mem + off_ch) : NULL;
		uint8_t *vs = mem + off_vs;
		size_t left = vs_bytes;
		for (size_t i = 0; i < nch && e == NT_OK; i++) {
			e = parse_change(json_array_get(ch, i), i, &r->changes[i], vs, left, why);
			if (e == NT_OK) {
				vs += r->changes[i].next_validators_len;
				left -= r->changes[i].next_validators_len;
			}
		}
		r->change_count = nch;
	}
	json_decref(root);
	if (e != NT_OK) {
		free(mem);
		return e;
	}
	*out = r;
	return NT_OK;
}

/* ---- verifying ---- */

static bool hash_eq(const nt_hash *a, const nt_hash *b)
{
	return CRYPTO_memcmp(a->b, b->b, NT_HASH_LEN) == 0;
}

nt_err nt_receipt_verify(const nt_receipt *r, const nt_genesis *g, const uint8_t *file_digest,
			 size_t file_digest_len, nt_why *why)
{
	return nt_receipt_verify_full(r, g, file_digest, file_digest_len, NULL, why);
}

/* FORMATS.md "Verifying a receipt", version 1 (nt_receipt_verify_full
 * checked that r and g are both version 1). */
nt_err ntr_verify_v1(const nt_receipt *r, const nt_genesis *g, const uint8_t *file_digest,
		     size_t file_digest_len, nt_why *why)
{
	if (r == NULL || g == NULL || r->record_len < NT_SIG_LEN ||
	    r->record_len > sizeof r->record_bytes || r->header_len > sizeof r->header_bytes ||
	    r->proof_len > NT_MERKLE_PROOF_MAX)
		return nt_fail(why, NT_ERR_ARG, "receipt or genesis missing");
	const nt_record *rec = &r->record;

	/* 1. The submitter signed exactly these record bytes. */
	nt_hash h;
	nt_tagged_hash("notary/record", r->record_bytes, r->record_len - NT_SIG_LEN, &h);
	if (!nt_verify(&rec->submitter, &h, &rec->sig))
		return nt_fail(why, NT_ERR_SIGNATURE,
			       "the submitter signature on the record is invalid");

	/* 2. The file is the one the record names. */
	if (file_digest != NULL) {
		if (file_digest_len != rec->digest_len ||
		    CRYPTO_memcmp(file_digest, rec->digest, rec->digest_len) != 0)
			return nt_fail(why, NT_ERR_MISMATCH,
				       "the file's %s digest does not match the record",
				       nt_digest_name(rec->alg) ? nt_digest_name(rec->alg) : "?");
	}

	/* 3. The record is leaf leaf_index of this block's records_root. */
	nt_err e = ntr_check_inclusion(r, why);
	if (e != NT_OK)
		return e;

	/* 4. The block belongs to the chain the genesis file anchors. */
	if ((e = ntr_check_chain_id(r, g, why)) != NT_OK)
		return e;
	nt_hash vh;
	nt_valset_hash(&g->vals, &vh);
	if (!hash_eq(&vh, &r->header.validators_hash))
		return nt_fail(why, NT_ERR_MISMATCH,
			       "header validators_hash differs from the genesis validators");

	/* 5. The validators committed to exactly this header. */
	nt_hash bh;
	nt_sha256(r->header_bytes, r->header_len, &bh);
	if (r->commit.height != r->header.height)
		return nt_fail(
		    why, NT_ERR_MISMATCH, "commit is for height %llu, the header is height %llu",
		    (unsigned long long)r->commit.height, (unsigned long long)r->header.height);
	if (!hash_eq(&bh, &r->commit.block_hash))
		return nt_fail(why, NT_ERR_MISMATCH,
			       "commit is for another block (its block_hash is not H(header))");
	return nt_commit_verify(&r->commit, g->chain_id, &g->vals, why);
}
