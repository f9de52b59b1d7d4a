/* Receipts: the independent vectors of tests/vectors/receipt-v1, receipts
 * built here with fresh keys, and hostile receipt text. */
#include "tests/testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "core/receipt.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "node/digest_file.h"
#include "node/genesis_file.h"

/* ---- the independent vectors ---- */

static void check_expect(const nt_receipt *r, json_t *ex)
{
	char buf[2 * NT_DIGEST_MAX + 1];
	assert_string_equal(r->header.chain_id, json_string_value(json_object_get(ex, "chain_id")));
	assert_int_equal(r->header.height, json_integer_value(json_object_get(ex, "height")));
	nt_time_format(nt_commit_time(&r->commit), buf);
	assert_string_equal(buf, json_string_value(json_object_get(ex, "time")));
	nt_hex_encode(r->record.submitter.b, NT_PUBKEY_LEN, buf);
	assert_string_equal(buf, json_string_value(json_object_get(ex, "submitter")));
	nt_hex_encode(r->record.digest, r->record.digest_len, buf);
	assert_string_equal(buf, json_string_value(json_object_get(ex, "digest")));
	json_t *meta = json_loadb(r->record.meta, r->record.meta_len, 0, NULL);
	assert_non_null(meta);
	assert_true(json_equal(meta, json_object_get(ex, "meta")));
	json_decref(meta);
	assert_int_equal(r->commit.count, json_integer_value(json_object_get(ex, "signatures")));
}

static void test_vectors(void **state)
{
	(void)state;
	char path[4096];
	nt_genesis g;
	nt_why why = {{0}};
	snprintf(path, sizeof path, "%s/receipt-v1/genesis.json", tu_vectors_dir());
	assert_int_equal(nt_genesis_load(path, &g, &why), NT_OK);
	assert_int_equal(g.vals.n, 4);

	size_t len;
	char *text = tu_read("receipt-v1/cases.json", 1, &len);
	json_t *cases = json_loadb(text, len, 0, NULL);
	free(text);
	assert_true(json_is_array(cases));
	assert_true(json_array_size(cases) >= 20);
	size_t valid = 0, invalid = 0;
	for (size_t i = 0; i < json_array_size(cases); i++) {
		json_t *c = json_array_get(cases, i);
		const char *name = json_string_value(json_object_get(c, "receipt"));
		const char *file = json_string_value(json_object_get(c, "file"));
		bool want = json_is_true(json_object_get(c, "valid"));
		snprintf(path, sizeof path, "receipt-v1/%s", name);
		char *rt = tu_read(path, 1, &len);
		nt_receipt *r = NULL;
		memset(&why, 0, sizeof why);
		nt_err e = nt_receipt_parse(rt, len, &r, &why);
		free(rt);
		if (e == NT_OK) {
			uint8_t d[NT_DIGEST_MAX];
			size_t dl = 0;
			if (file != NULL) {
				snprintf(path, sizeof path, "%s/receipt-v1/%s", tu_vectors_dir(),
					 file);
				assert_int_equal(
				    nt_digest_file(r->record.alg, path, d, &dl, NULL, NULL), NT_OK);
			}
			e = nt_receipt_verify(r, &g, file != NULL ? d : NULL, dl, &why);
		}
		printf("# %-40s %s%s%s\n", name, e == NT_OK ? "valid" : "INVALID: ", why.msg,
		       want == (e == NT_OK) ? "" : "   <-- WRONG");
		if (want) {
			assert_int_equal(e, NT_OK);
			check_expect(r, json_object_get(c, "expect"));
			valid++;
		} else {
			assert_int_not_equal(e, NT_OK);
			assert_true(why.msg[0] != '\0');
			invalid++;
		}
		free(r);
	}
	json_decref(cases);
	assert_true(valid >= 8 && invalid >= 12);
}

/* The independent version 2 vectors: each case names its trust anchor. */
static void test_vectors_v2(void **state)
{
	(void)state;
	char path[4096];
	nt_why why = {{0}};
	size_t len;
	char *text = tu_read("receipt-v2/cases.json", 1, &len);
	json_t *cases = json_loadb(text, len, 0, NULL);
	free(text);
	assert_true(json_is_array(cases));
	assert_true(json_array_size(cases) >= 25);
	nt_genesis *g = malloc(sizeof *g);
	nt_receipt_verdict *v = malloc(sizeof *v);
	size_t valid = 0, invalid = 0;
	for (size_t i = 0; i < json_array_size(cases); i++) {
		json_t *c = json_array_get(cases, i);
		const char *name = json_string_value(json_object_get(c, "receipt"));
		const char *file = json_string_value(json_object_get(c, "file"));
		const char *gen = json_string_value(json_object_get(c, "genesis"));
		bool want = json_is_true(json_object_get(c, "valid"));
		snprintf(path, sizeof path, "%s/receipt-v2/%s", tu_vectors_dir(), gen);
		assert_int_equal(nt_genesis_load(path, g, &why), NT_OK);
		snprintf(path, sizeof path, "receipt-v2/%s", name);
		char *rt = tu_read(path, 1, &len);
		nt_receipt *r = NULL;
		memset(&why, 0, sizeof why);
		nt_err e = nt_receipt_parse(rt, len, &r, &why);
		free(rt);
		if (e == NT_OK) {
			uint8_t d[NT_DIGEST_MAX];
			size_t dl = 0;
			if (file != NULL) {
				snprintf(path, sizeof path, "%s/receipt-v2/%s", tu_vectors_dir(),
					 file);
				assert_int_equal(
				    nt_digest_file(r->record.alg, path, d, &dl, NULL, NULL), NT_OK);
			}
			e = nt_receipt_verify_full(r, g, file != NULL ? d : NULL, dl, v, &why);
		}
		printf("# %-48s %s%s%s\n", name, e == NT_OK ? "valid" : "INVALID: ", why.msg,
		       want == (e == NT_OK) ? "" : "   <-- WRONG");
		if (want) {
			assert_int_equal(e, NT_OK);
			json_t *ex = json_object_get(c, "expect");
			char buf[2 * NT_DIGEST_MAX + 1];
			assert_string_equal(r->header.chain_id,
					    json_string_value(json_object_get(ex, "chain_id")));
			assert_int_equal(r->header.height,
					 json_integer_value(json_object_get(ex, "height")));
			nt_time_format(nt_commit_time(&r->commit), buf);
			assert_string_equal(buf, json_string_value(json_object_get(ex, "time")));
			nt_hex_encode(r->record.submitter.b, NT_PUBKEY_LEN, buf);
			assert_string_equal(buf,
					    json_string_value(json_object_get(ex, "submitter")));
			nt_hex_encode(r->record.digest, r->record.digest_len, buf);
			assert_string_equal(buf, json_string_value(json_object_get(ex, "digest")));
			assert_string_equal(v->fingerprint,
					    json_string_value(json_object_get(ex, "fingerprint")));
			int priv = (int)json_integer_value(json_object_get(ex, "private"));
			assert_int_equal(v->salted, (priv & 1) != 0);
			assert_int_equal(v->meta_committed, (priv & 2) != 0);
			json_t *meta = v->meta_committed ? json_loadb(r->meta, r->meta_len, 0, NULL)
							 : json_loadb(r->record.meta,
								      r->record.meta_len, 0, NULL);
			assert_non_null(meta);
			assert_true(json_equal(meta, json_object_get(ex, "meta")));
			json_decref(meta);
			assert_int_equal(v->meta_disclosed, v->meta_committed);
			json_t *signers = json_object_get(ex, "signers");
			assert_int_equal(r->commit.count,
					 json_integer_value(json_object_get(ex, "signatures")));
			assert_int_equal(json_array_size(signers), r->commit.count);
			for (unsigned k = 0; k < r->commit.count; k++)
				assert_string_equal(v->set.names[r->commit.sigs[k].index],
						    json_string_value(json_array_get(signers, k)));
			valid++;
		} else {
			assert_int_not_equal(e, NT_OK);
			assert_true(why.msg[0] != '\0');
			invalid++;
		}
		free(r);
	}
	json_decref(cases);
	free(g);
	free(v);
	assert_true(valid >= 8 && invalid >= 17);
}

/* Version 1 and version 2 never mix: each receipt needs its own genesis. */
static void test_versions_do_not_mix(void **state)
{
	(void)state;
	char path[4096];
	nt_why why = {{0}};
	size_t len;
	nt_genesis *g1 = malloc(sizeof *g1), *g2 = malloc(sizeof *g2);
	snprintf(path, sizeof path, "%s/receipt-v1/genesis.json", tu_vectors_dir());
	assert_int_equal(nt_genesis_load(path, g1, &why), NT_OK);
	snprintf(path, sizeof path, "%s/receipt-v2/genesis.json", tu_vectors_dir());
	assert_int_equal(nt_genesis_load(path, g2, &why), NT_OK);
	nt_receipt *r1 = NULL, *r2 = NULL;
	char *t = tu_read("receipt-v1/valid-0.receipt.json", 1, &len);
	assert_int_equal(nt_receipt_parse(t, len, &r1, &why), NT_OK);
	free(t);
	t = tu_read("receipt-v2/valid-h7-one-change.receipt.json", 1, &len);
	assert_int_equal(nt_receipt_parse(t, len, &r2, &why), NT_OK);
	free(t);
	assert_int_equal(r1->format, 1);
	assert_int_equal(r2->format, 2);
	assert_int_equal(r2->change_count, 1);
	assert_int_equal(nt_receipt_verify(r1, g1, NULL, 0, &why), NT_OK);
	assert_int_equal(nt_receipt_verify(r2, g2, NULL, 0, &why), NT_OK);
	assert_int_equal(nt_receipt_verify(r1, g2, NULL, 0, &why), NT_ERR_MISMATCH);
	assert_non_null(strstr(why.msg, "version 1 genesis"));
	assert_non_null(strstr(why.msg, "0bb0f5c8-cf9f1919-0466f30b-96558502"));
	assert_int_equal(nt_receipt_verify(r2, g1, NULL, 0, &why), NT_ERR_MISMATCH);
	assert_non_null(strstr(why.msg, "notary-genesis/2"));
	free(r1);
	free(r2);
	free(g1);
	free(g2);
}

/* Hostile variants of a version 2 vector: each is refused, with a reason. */
static nt_err v2_variant(const json_t *doc, const nt_genesis *g, const uint8_t *fd, size_t fdl,
			 nt_why *why)
{
	char *t = json_dumps(doc, JSON_COMPACT);
	assert_non_null(t);
	nt_receipt *r = NULL;
	memset(why, 0, sizeof *why);
	nt_err e = nt_receipt_parse(t, strlen(t), &r, why);
	free(t);
	if (e == NT_OK)
		e = nt_receipt_verify(r, g, fd, fdl, why);
	free(r);
	return e;
}

static void test_v2_hostile(void **state)
{
	(void)state;
	char path[4096];
	nt_why why = {{0}};
	size_t len;
	nt_genesis *g = malloc(sizeof *g);
	snprintf(path, sizeof path, "%s/receipt-v2/genesis.json", tu_vectors_dir());
	assert_int_equal(nt_genesis_load(path, g, &why), NT_OK);
	char *t = tu_read("receipt-v2/valid-h15-three-changes-private.receipt.json", 1, &len);
	json_t *good = json_loadb(t, len, 0, NULL);
	free(t);
	assert_non_null(good);
	uint8_t fd[NT_DIGEST_MAX];
	size_t fdl = 0;
	snprintf(path, sizeof path, "%s/receipt-v2/evidence-3.txt", tu_vectors_dir());
	assert_int_equal(nt_digest_file(NT_ALG_SHA256, path, fd, &fdl, NULL, NULL), NT_OK);
	assert_int_equal(v2_variant(good, g, fd, fdl, &why), NT_OK);
	/* without the file, and without the clear meta: still valid */
	assert_int_equal(v2_variant(good, g, NULL, 0, &why), NT_OK);
	json_t *d = json_deep_copy(good);
	json_object_del(d, "meta");
	assert_int_equal(v2_variant(d, g, fd, fdl, &why), NT_OK);
	json_decref(d);

	struct {
		const char *member;
		json_t *value; /* NULL: delete the member */
		const char *why;
	} cases[] = {
	    {"valset_changes", NULL, "valset_changes"},
	    {"valset_changes", json_string("[]"), "valset_changes"},
	    {"valset_changes", json_array(), "not the set reached"},
	    {"genesis_hash", NULL, "genesis_hash"},
	    {"genesis_hash", json_string("00"), "genesis_hash"},
	    {"genesis_hash",
	     json_string("1bb0f5c8cf9f19190466f30b965585027d757bf4a93608d832822def7e086027"),
	     "genesis_hash member differs"},
	    {"salt", json_string("zz"), "salt"},
	    {"salt", json_integer(1), "salt"},
	    {"salt", NULL, "salt"},
	    {"meta", json_integer(1), "meta"},
	    {"meta", json_string("{\"case\":\"other\"}"), "commitment"},
	    {"format", json_string("notary-receipt/3"), "format"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		d = json_deep_copy(good);
		if (cases[i].value == NULL)
			json_object_del(d, cases[i].member);
		else
			json_object_set_new(d, cases[i].member, cases[i].value);
		nt_err e = v2_variant(d, g, fd, fdl, &why);
		printf("# %-16s -> %s\n", cases[i].member, why.msg);
		assert_int_not_equal(e, NT_OK);
		assert_non_null(strstr(why.msg, cases[i].why));
		json_decref(d);
	}
	/* a damaged change entry */
	const char *fields[] = {"header", "commit", "next_validators"};
	for (size_t i = 0; i < 3; i++) {
		d = json_deep_copy(good);
		json_t *c0 = json_array_get(json_object_get(d, "valset_changes"), 0);
		const char *h = json_string_value(json_object_get(c0, fields[i]));
		char *cut = strdup(h);
		cut[strlen(cut) - 2] = '\0';
		json_object_set_new(c0, fields[i], json_string(cut));
		free(cut);
		assert_int_not_equal(v2_variant(d, g, fd, fdl, &why), NT_OK);
		printf("# cut %-12s -> %s\n", fields[i], why.msg);
		assert_non_null(strstr(why.msg, "valset change"));
		json_object_set_new(c0, fields[i], json_integer(5));
		assert_int_not_equal(v2_variant(d, g, fd, fdl, &why), NT_OK);
		json_decref(d);
	}
	/* a clear meta on a record whose meta is not committed */
	t = tu_read("receipt-v2/valid-h7-one-change.receipt.json", 1, &len);
	d = json_loadb(t, len, 0, NULL);
	free(t);
	json_object_set_new(d, "meta", json_string("{}"));
	assert_int_not_equal(v2_variant(d, g, NULL, 0, &why), NT_OK);
	assert_non_null(strstr(why.msg, "not committed"));
	json_decref(d);
	json_decref(good);
	free(g);
}

/* ---- a chain built here with fresh keys ---- */

#define NREC 5

typedef struct {
	nt_genesis g;
	nt_seckey *vk[8];
	nt_seckey *sub;
	uint8_t rec[NREC][NT_RECORD_MAX];
	size_t rec_len[NREC];
	uint8_t file_digest[NREC][32];
	nt_hash ids[NREC];
	nt_header hdr;
	nt_commit commit;
} fixture;

static void make_record(fixture *f, int i)
{
	nt_record r;
	memset(&r, 0, sizeof r);
	char file[64];
	snprintf(file, sizeof file, "evidence file number %d", i);
	nt_sha256(file, strlen(file), (nt_hash *)f->file_digest[i]);
	r.version = 1;
	r.alg = NT_ALG_SHA256;
	r.digest_len = 32;
	memcpy(r.digest, f->file_digest[i], 32);
	r.size = strlen(file);
	r.client_time = 1764000000000ULL + (uint64_t)i;
	r.meta_len =
	    (uint16_t)snprintf(r.meta, sizeof r.meta, "{\"case\":\"c-%d\",\"n\":%d}", i, i);
	assert_int_equal(nt_record_sign(&r, f->sub), NT_OK);
	assert_int_equal(nt_record_encode(&r, f->rec[i], NT_RECORD_MAX, &f->rec_len[i]), NT_OK);
	nt_record_id(f->rec[i], f->rec_len[i], &f->ids[i]);
}

/* n validators, NREC records in block `height`, a commit signed by the
 * first `signers` validators with timestamps 1000, 2000, ... */
static fixture *make_fixture(unsigned n, unsigned signers)
{
	fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	strcpy(f->g.chain_id, "test-net.1");
	f->g.genesis_time = 1764000000000ULL;
	f->g.vals.n = (uint16_t)n;
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(nt_seckey_generate(&f->vk[i]), NT_OK);
		nt_seckey_pubkey(f->vk[i], &f->g.vals.keys[i]);
	}
	nt_valset_hash(&f->g.vals, &f->g.validators_hash);
	assert_int_equal(nt_seckey_generate(&f->sub), NT_OK);
	for (int i = 0; i < NREC; i++)
		make_record(f, i);

	nt_header *h = &f->hdr;
	h->version = 1;
	strcpy(h->chain_id, f->g.chain_id);
	h->height = 7;
	h->time = 1764000001000ULL;
	nt_merkle_root(f->ids, NREC, &h->records_root);
	h->record_count = NREC;
	h->log_root = h->records_root;
	h->log_size = NREC;
	h->validators_hash = f->g.validators_hash;
	h->proposer = f->g.vals.keys[0];

	nt_commit *c = &f->commit;
	c->height = h->height;
	c->round = 2;
	assert_int_equal(nt_header_hash(h, &c->block_hash), NT_OK);
	c->count = (uint16_t)signers;
	for (unsigned i = 0; i < signers; i++) {
		nt_hash m;
		c->sigs[i].index = (uint16_t)i;
		c->sigs[i].timestamp = 1764000002000ULL + 1000u * (signers - i);
		nt_vote_sighash(NT_VOTE_PRECOMMIT, h->chain_id, c->height, c->round, &c->block_hash,
				c->sigs[i].timestamp, &m);
		assert_int_equal(nt_sign(f->vk[i], &m, &c->sigs[i].sig), NT_OK);
	}
	return f;
}

static void free_fixture(fixture *f)
{
	for (int i = 0; i < 8; i++)
		nt_seckey_free(f->vk[i]);
	nt_seckey_free(f->sub);
	free(f);
}

static char *build(const fixture *f, int leaf)
{
	nt_hash proof[NT_MERKLE_PROOF_MAX];
	size_t pl;
	char *out = NULL;
	assert_int_equal(nt_merkle_inclusion_proof(f->ids, NREC, (uint64_t)leaf, proof, &pl),
			 NT_OK);
	assert_int_equal(nt_receipt_build(f->rec[leaf], f->rec_len[leaf], (uint64_t)leaf, proof, pl,
					  &f->hdr, &f->commit, &f->g.vals, &out),
			 NT_OK);
	return out;
}

/* Parses and verifies text; returns the error (NT_OK when valid). */
static nt_err check(const char *text, size_t len, const nt_genesis *g, const uint8_t *digest,
		    nt_why *why)
{
	nt_receipt *r = NULL;
	memset(why, 0, sizeof *why);
	nt_err e = nt_receipt_parse(text, len, &r, why);
	if (e == NT_OK)
		e = nt_receipt_verify(r, g, digest, digest != NULL ? 32 : 0, why);
	free(r);
	if (e != NT_OK)
		assert_true(why->msg[0] != '\0');
	return e;
}

static void built_ok(unsigned n)
{
	unsigned q = 2 * n / 3 + 1;
	fixture *f = make_fixture(n, q);
	nt_why why;
	for (int i = 0; i < NREC; i++) {
		char *t = build(f, i);
		assert_int_equal(check(t, strlen(t), &f->g, f->file_digest[i], &why), NT_OK);
		assert_int_equal(check(t, strlen(t), &f->g, NULL, &why), NT_OK);
		/* another record's file */
		assert_int_equal(check(t, strlen(t), &f->g, f->file_digest[(i + 1) % NREC], &why),
				 NT_ERR_MISMATCH);
		/* the order and the members FORMATS.md shows */
		const char *keys[] = {"\"format\"", "\"chain_id\"",   "\"record\"", "\"record_id\"",
				      "\"height\"", "\"leaf_index\"", "\"proof\"",  "\"header\"",
				      "\"commit\"", "\"validators\"", "\"time\""};
		const char *p = t;
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			p = strstr(p, keys[k]);
			assert_non_null(p);
		}
		assert_true(t[strlen(t) - 1] == '\n');
		nt_receipt *r = NULL;
		assert_int_equal(nt_receipt_parse(t, strlen(t), &r, &why), NT_OK);
		assert_int_equal(r->leaf_index, (uint64_t)i);
		assert_int_equal(r->height, 7);
		assert_int_equal(r->commit.count, q);
		/* median of q timestamps 1000*(q..1) + base is element q/2 sorted */
		assert_int_equal(nt_commit_time(&r->commit),
				 1764000002000ULL + 1000u * (q / 2 + 1));
		free(r);
		free(t);
	}
	free_fixture(f);
}

static void test_built_one(void **state)
{
	(void)state;
	built_ok(1);
}

static void test_built_four(void **state)
{
	(void)state;
	built_ok(4);
}

static void test_built_wrong_anchor(void **state)
{
	(void)state;
	fixture *f = make_fixture(4, 3);
	char *t = build(f, 2);
	nt_why why;
	nt_genesis g = f->g;
	strcpy(g.chain_id, "other-net");
	assert_int_equal(check(t, strlen(t), &g, NULL, &why), NT_ERR_MISMATCH);
	assert_non_null(strstr(why.msg, "chain_id"));
	g = f->g;
	g.vals.keys[3] = g.vals.keys[0]; /* a different validator set */
	assert_int_equal(check(t, strlen(t), &g, NULL, &why), NT_ERR_MISMATCH);
	assert_non_null(strstr(why.msg, "validators"));
	g = f->g;
	g.vals.n = 3; /* one validator less: hash differs too */
	assert_int_equal(check(t, strlen(t), &g, NULL, &why), NT_ERR_MISMATCH);
	free(t);
	free_fixture(f);

	/* below quorum: 2 of 4 */
	f = make_fixture(4, 2);
	t = build(f, 0);
	assert_int_equal(check(t, strlen(t), &f->g, f->file_digest[0], &why), NT_ERR_QUORUM);
	assert_non_null(strstr(why.msg, "quorum"));
	free(t);
	/* commit for another header: change the header after signing */
	f->commit.count = 3;
	for (unsigned i = 2; i < 3; i++) {
		nt_hash m;
		f->commit.sigs[i].index = (uint16_t)i;
		f->commit.sigs[i].timestamp = 5;
		nt_vote_sighash(NT_VOTE_PRECOMMIT, f->hdr.chain_id, 7, 2, &f->commit.block_hash, 5,
				&m);
		assert_int_equal(nt_sign(f->vk[i], &m, &f->commit.sigs[i].sig), NT_OK);
	}
	t = build(f, 0);
	assert_int_equal(check(t, strlen(t), &f->g, f->file_digest[0], &why), NT_OK);
	free(t);
	f->hdr.time++;
	t = build(f, 0);
	assert_int_equal(check(t, strlen(t), &f->g, f->file_digest[0], &why), NT_ERR_MISMATCH);
	assert_non_null(strstr(why.msg, "another block"));
	free(t);
	f->hdr.time--;
	f->commit.height = 8;
	t = build(f, 0);
	assert_int_equal(check(t, strlen(t), &f->g, f->file_digest[0], &why), NT_ERR_MISMATCH);
	free(t);
	free_fixture(f);
}

/* Re-serialises t after edit() changed its JSON. */
static char *edit_json(const char *t, void (*edit)(json_t *, const char *), const char *arg)
{
	json_t *j = json_loads(t, 0, NULL);
	assert_non_null(j);
	edit(j, arg);
	char *s = json_dumps(j, JSON_PRESERVE_ORDER);
	json_decref(j);
	assert_non_null(s);
	return s;
}

static void del_member(json_t *j, const char *k)
{
	assert_int_equal(json_object_del(j, k), 0);
}

static void set_json(json_t *j, const char *kv)
{
	/* "key=<json value>" */
	char key[64];
	const char *eq = strchr(kv, '=');
	assert_non_null(eq);
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
	assert_non_null(v);
	assert_int_equal(json_object_set_new(j, key, v), 0);
}

static void test_members(void **state)
{
	(void)state;
	fixture *f = make_fixture(4, 3);
	char *t = build(f, 1);
	nt_why why;
	const char *required[] = {"format",	"chain_id", "record", "record_id", "height",
				  "leaf_index", "proof",    "header", "commit"};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		char *s = edit_json(t, del_member, required[i]);
		assert_int_not_equal(check(s, strlen(s), &f->g, NULL, &why), NT_OK);
		free(s);
	}
	/* conveniences and unknown members do not matter */
	const char *optional[] = {"time", "validators"};
	for (size_t i = 0; i < 2; i++) {
		char *s = edit_json(t, del_member, optional[i]);
		assert_int_equal(check(s, strlen(s), &f->g, f->file_digest[1], &why), NT_OK);
		free(s);
	}
	const char *ok_edits[] = {"log_proof=[\"x\"]", "time=\"1999-01-01T00:00:00.000Z\"",
				  "validators=[]", "zzz={\"a\":1}"};
	for (size_t i = 0; i < sizeof ok_edits / sizeof ok_edits[0]; i++) {
		char *s = edit_json(t, set_json, ok_edits[i]);
		assert_int_equal(check(s, strlen(s), &f->g, f->file_digest[1], &why), NT_OK);
		free(s);
	}
	const char *bad_edits[] = {
	    "format=\"notary-receipt/2\"",
	    "format=1",
	    "chain_id=\"Test\"",
	    "chain_id=\"other\"",
	    "height=-1",
	    "height=7.0",
	    "height=\"7\"",
	    "height=8",
	    "leaf_index=-1",
	    "leaf_index=2",
	    "leaf_index=5",
	    "leaf_index=1e3",
	    "proof=[]",
	    "proof=\"\"",
	    "proof=[\"00\"]",
	    "record=\"\"",
	    "record=\"0\"",
	    "record=\"zz\"",
	    "record_id=\"\"",
	    "header=\"01\"",
	    "commit=\"\"",
	    "commit=null",
	    "record_id=7",
	};
	for (size_t i = 0; i < sizeof bad_edits / sizeof bad_edits[0]; i++) {
		char *s = edit_json(t, set_json, bad_edits[i]);
		nt_err e = check(s, strlen(s), &f->g, f->file_digest[1], &why);
		printf("# %-30s -> %s\n", bad_edits[i], why.msg);
		assert_int_not_equal(e, NT_OK);
		free(s);
	}
	/* a proof of 65 hashes is refused before any hashing */
	json_t *j = json_loads(t, 0, NULL);
	json_t *p = json_array();
	for (int i = 0; i < 65; i++)
		json_array_append_new(p, json_string("00000000000000000000000000000000"
						     "00000000000000000000000000000000"));
	json_object_set_new(j, "proof", p);
	char *s = json_dumps(j, 0);
	json_decref(j);
	assert_int_equal(check(s, strlen(s), &f->g, NULL, &why), NT_ERR_RANGE);
	free(s);
	/* not an object, duplicate members */
	assert_int_equal(check("[]", 2, &f->g, NULL, &why), NT_ERR_JSON);
	const char *dup = "{\"format\":\"notary-receipt/1\",\"format\":\"notary-receipt/1\"}";
	assert_int_equal(check(dup, strlen(dup), &f->g, NULL, &why), NT_ERR_JSON);
	free(t);
	free_fixture(f);
}

static void test_hostile_text(void **state)
{
	(void)state;
	tu_seed();
	fixture *f = make_fixture(4, 3);
	char *t = build(f, 3);
	size_t n = strlen(t);
	nt_why why;
	/* every truncation */
	for (size_t i = 0; i < n - 2; i++)
		assert_int_not_equal(check(t, i, &f->g, NULL, &why), NT_OK);
	/* flip one hex digit inside any hex string: always caught */
	for (int k = 0; k < 400; k++) {
		char *s = strdup(t);
		size_t pos;
		do
			pos = (size_t)(tu_rand() % n);
		while (!((s[pos] >= '0' && s[pos] <= '9') || (s[pos] >= 'a' && s[pos] <= 'f')));
		/* skip the validators list and the time: conveniences, not checked */
		const char *vals = strstr(s, "\"validators\"");
		if (vals != NULL && s + pos > vals) {
			free(s);
			continue;
		}
		const char *hx = "0123456789abcdef";
		char old = s[pos];
		do
			s[pos] = hx[tu_rand() % 16];
		while (s[pos] == old);
		nt_err e = check(s, n, &f->g, f->file_digest[3], &why);
		if (e == NT_OK)
			fail_msg("flip at %zu (%c->%c) accepted", pos, old, s[pos]);
		free(s);
	}
	/* random bytes anywhere: never crashes */
	for (int k = 0; k < 400; k++) {
		char *s = strdup(t);
		s[tu_rand() % n] ^= (char)(1u << (tu_rand() % 8));
		(void)check(s, n, &f->g, f->file_digest[3], &why);
		free(s);
	}
	/* oversized text is refused before parsing */
	char *big = malloc(NT_RECEIPT_TEXT_MAX + 2);
	memset(big, ' ', NT_RECEIPT_TEXT_MAX + 1);
	memcpy(big, t, n);
	big[NT_RECEIPT_TEXT_MAX + 1] = '\0';
	assert_int_equal(check(big, NT_RECEIPT_TEXT_MAX, &f->g, NULL, &why), NT_OK);
	assert_int_equal(check(big, NT_RECEIPT_TEXT_MAX + 1, &f->g, NULL, &why), NT_ERR_RANGE);
	free(big);
	assert_int_not_equal(check("", 0, &f->g, NULL, &why), NT_OK);
	assert_int_not_equal(check("{}", 2, &f->g, NULL, &why), NT_OK);
	assert_int_not_equal(check("{\"format\":\"notary-receipt/1\"}", 29, &f->g, NULL, &why),
			     NT_OK);
	free(t);
	free_fixture(f);
}

static json_t *hex_json(const uint8_t *b, size_t n)
{
	char *h = malloc(2 * n + 1);
	assert_non_null(h);
	nt_hex_encode(b, n, h);
	json_t *j = json_string(h);
	free(h);
	return j;
}

/* The receipt as jansson writes it (JSON_INDENT(2), FORMATS.md order): the
 * text builder must give exactly these bytes. */
static char *reference(const fixture *f, int leaf, const nt_hash *proof, size_t pl, bool vals)
{
	static uint8_t hb[NT_HEADER_MAX], cb[NT_COMMIT_MAX];
	size_t hl, cl;
	assert_int_equal(nt_header_encode(&f->hdr, hb, sizeof hb, &hl), NT_OK);
	assert_int_equal(nt_commit_encode(&f->commit, cb, sizeof cb, &cl), NT_OK);
	char tbuf[32];
	nt_time_format(nt_commit_time(&f->commit), tbuf);
	json_t *o = json_object(), *pa = json_array(), *va = json_array();
	json_object_set_new(o, "format", json_string(NT_RECEIPT_FORMAT));
	json_object_set_new(o, "chain_id", json_string(f->hdr.chain_id));
	json_object_set_new(o, "record", hex_json(f->rec[leaf], f->rec_len[leaf]));
	json_object_set_new(o, "record_id", hex_json(f->ids[leaf].b, NT_HASH_LEN));
	json_object_set_new(o, "height", json_integer((json_int_t)f->hdr.height));
	json_object_set_new(o, "leaf_index", json_integer(leaf));
	for (size_t i = 0; i < pl; i++)
		json_array_append_new(pa, hex_json(proof[i].b, NT_HASH_LEN));
	json_object_set_new(o, "proof", pa);
	json_object_set_new(o, "header", hex_json(hb, hl));
	json_object_set_new(o, "commit", hex_json(cb, cl));
	for (unsigned i = 0; vals && i < f->g.vals.n; i++)
		json_array_append_new(va, hex_json(f->g.vals.keys[i].b, NT_PUBKEY_LEN));
	if (vals)
		json_object_set_new(o, "validators", va);
	else
		json_decref(va);
	json_object_set_new(o, "time", json_string(tbuf));
	char *t = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	assert_non_null(t);
	size_t n = strlen(t);
	char *r = realloc(t, n + 2);
	assert_non_null(r);
	r[n] = '\n';
	r[n + 1] = '\0';
	return r;
}

static void test_text_matches_jansson(void **state)
{
	(void)state;
	static const unsigned sizes[] = {1, 4, 7};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		fixture *f = make_fixture(sizes[s], 2 * sizes[s] / 3 + 1);
		for (int leaf = 0; leaf < NREC; leaf++) {
			nt_hash proof[NT_MERKLE_PROOF_MAX];
			size_t pl;
			assert_int_equal(
			    nt_merkle_inclusion_proof(f->ids, NREC, (uint64_t)leaf, proof, &pl),
			    NT_OK);
			/* pl == 0 stands for a one-record block's empty proof */
			size_t lens[2] = {pl, 0};
			for (int k = 0; k < 2; k++)
				for (int v = 0; v < 2; v++) {
					char *got = NULL;
					assert_int_equal(
					    nt_receipt_build(f->rec[leaf], f->rec_len[leaf],
							     (uint64_t)leaf, proof, lens[k],
							     &f->hdr, &f->commit,
							     v ? &f->g.vals : NULL, &got),
					    NT_OK);
					char *want = reference(f, leaf, proof, lens[k], v);
					assert_string_equal(got, want);
					free(got);
					free(want);
				}
		}
		free_fixture(f);
	}
}

static void test_build_args(void **state)
{
	(void)state;
	fixture *f = make_fixture(1, 1);
	char *out = NULL;
	nt_hash proof[1] = {{{0}}};
	nt_header bad = f->hdr;
	bad.chain_id[0] = 'A';
	assert_int_not_equal(nt_receipt_build(f->rec[0], f->rec_len[0], 0, proof, 1, &bad,
					      &f->commit, &f->g.vals, &out),
			     NT_OK);
	assert_int_not_equal(nt_receipt_build(f->rec[0], f->rec_len[0], 0, proof,
					      NT_MERKLE_PROOF_MAX + 1, &f->hdr, &f->commit,
					      &f->g.vals, &out),
			     NT_OK);
	assert_null(out);
	/* validators may be left out */
	assert_int_equal(
	    nt_receipt_build(f->rec[0], f->rec_len[0], 0, NULL, 0, &f->hdr, &f->commit, NULL, &out),
	    NT_OK);
	assert_null(strstr(out, "validators"));
	free(out);
	free_fixture(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_vectors_v2),
	    cmocka_unit_test(test_versions_do_not_mix),
	    cmocka_unit_test(test_v2_hostile),
	    cmocka_unit_test(test_built_one),
	    cmocka_unit_test(test_built_four),
	    cmocka_unit_test(test_built_wrong_anchor),
	    cmocka_unit_test(test_members),
	    cmocka_unit_test(test_hostile_text),
	    cmocka_unit_test(test_build_args),
	    cmocka_unit_test(test_text_matches_jansson),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
