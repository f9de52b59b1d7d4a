/* notary verify: the judge's check of a receipt (and the evidence file)
 * against a genesis file, offline. No network: everything needed is in the
 * receipt and the trust anchor (FORMATS.md "Verifying a receipt", and
 * "Verifying a version 2 receipt"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/hex.h"
#include "core/receipt.h"
#include "crypto/digest.h"
#include "node/digest_file.h"
#include "node/genesis_file.h"
#include "tools/cli.h"

static const char verify_usage[] =
    "usage: notary verify --genesis GENESIS --receipt RECEIPT [--json] [FILE]\n\n"
    "Checks offline, with no node to trust, that RECEIPT proves a record is part\n"
    "of the chain whose validators GENESIS names, and, if FILE is given, that the\n"
    "record is about exactly this file. Prints a plain-language verdict: which\n"
    "chain and block, the attested time, which validators signed, who submitted\n"
    "it and the case metadata. For a version 2 network every verdict starts with\n"
    "the genesis fingerprint (compare it with the one the network publishes);\n"
    "a private record's receipt file holds the salt and the clear metadata, and\n"
    "the verdict says whether they match what the submitter signed.\n\n"
    "Options:\n"
    "  -g, --genesis FILE   the network's genesis file, obtained out of band (required)\n"
    "  -r, --receipt FILE   the receipt to check (required)\n"
    "  -j, --json           print the verdict as one JSON object\n"
    "  -h, --help           show this help\n\n"
    "Exit codes: 0 valid, 1 invalid (the reason is printed), 2 usage error or an\n"
    "unreadable genesis, receipt or file.\n\n"
    "Example:\n"
    "  notary verify --genesis genesis.json --receipt contract.pdf.receipt.json contract.pdf\n";

typedef struct {
	const char *genesis_path;
	const char *receipt_path;
	const char *file;
	bool json;
} verify_opts;

static void label(const char *l)
{
	printf("%-23s", l);
}

/* The genesis fingerprint, "" for a version 1 genesis (it has none). */
static void fingerprint_of(const nt_genesis *g, char fp[NT_FINGERPRINT_LEN + 1])
{
	fp[0] = '\0';
	if (nt_genesis_is_v2(g))
		nt_genesis_fingerprint(&g->genesis_hash, fp);
}

static int invalid(const verify_opts *o, const nt_genesis *g, const nt_receipt *r, const char *why)
{
	char fp[NT_FINGERPRINT_LEN + 1];
	fingerprint_of(g, fp);
	if (o->json) {
		json_t *j = json_pack("{s:b, s:s}", "valid", 0, "why", why);
		if (j != NULL && r != NULL) {
			char id[65];
			nt_cli_hex32(r->record_id.b, id);
			json_object_set_new(j, "record_id", json_string(id));
		}
		if (j != NULL && fp[0] != '\0')
			json_object_set_new(j, "fingerprint", json_string(fp));
		nt_cli_put_json(stdout, j);
		json_decref(j);
	} else {
		fputs("INVALID: ", stdout);
		nt_cli_put_safe(stdout, why);
		fputc('\n', stdout);
		if (fp[0] != '\0') {
			label("Genesis fingerprint:");
			printf("%s (of the genesis file given, %s)\n", fp, o->genesis_path);
		}
	}
	return NT_EXIT_FAIL;
}

static const char *validator_name(const nt_valset *s, unsigned i, char *buf, size_t cap)
{
	if (i < s->n && s->names[i][0] != '\0')
		return s->names[i];
	snprintf(buf, cap, "validator %u", i);
	return buf;
}

/* "2026-12-01 08:00:00.123 CST (UTC+0800)" in the verifier's zone. */
static void time_local(uint64_t ms, char buf[80])
{
	time_t t = (time_t)(ms / 1000u);
	struct tm tm;
	char a[40], z[24];
	if (localtime_r(&t, &tm) == NULL || strftime(a, sizeof a, "%Y-%m-%d %H:%M:%S", &tm) == 0 ||
	    strftime(z, sizeof z, "%Z (UTC%z)", &tm) == 0) {
		snprintf(buf, 80, "(unknown)");
		return;
	}
	snprintf(buf, 80, "%s.%03u %s", a, (unsigned)(ms % 1000u), z);
}

static json_t *verdict_json(const nt_receipt *r, const nt_genesis *g, const nt_receipt_verdict *v,
			    const char *file, uint64_t file_size, json_t *meta)
{
	const nt_record *rec = &r->record;
	char hex[2 * NT_DIGEST_MAX + 1], iso[32], ctime_iso[32];
	nt_time_format(nt_commit_time(&r->commit), iso);
	nt_time_format(rec->client_time, ctime_iso);

	const nt_valset *set = &v->set;
	json_t *signers = json_array();
	for (unsigned i = 0; i < r->commit.count; i++) {
		unsigned idx = r->commit.sigs[i].index;
		if (idx >= set->n)
			continue; /* cannot happen after nt_commit_verify */
		char pk[65], nb[32], ts[32];
		nt_cli_hex32(set->keys[idx].b, pk);
		nt_time_format(r->commit.sigs[i].timestamp, ts);
		json_array_append_new(signers,
				      json_pack("{s:i, s:s, s:s, s:s}", "index", (int)idx, "name",
						validator_name(set, idx, nb, sizeof nb), "pubkey",
						pk, "timestamp", ts));
	}
	json_t *j = json_object();
	json_object_set_new(j, "valid", json_true());
	json_object_set_new(j, "why", json_null());
	json_object_set_new(j, "chain_id", json_string(r->header.chain_id));
	json_object_set_new(j, "height", json_integer((json_int_t)r->height));
	json_object_set_new(j, "time", json_string(iso));
	json_object_set_new(j, "signatures", json_integer(r->commit.count));
	json_object_set_new(j, "validators", json_integer(set->n));
	json_object_set_new(j, "signers", signers);
	nt_cli_hex32(rec->submitter.b, hex);
	json_object_set_new(j, "submitter", json_string(hex));
	json_object_set_new(j, "client_time", json_string(ctime_iso));
	const char *alg = nt_digest_name(rec->alg);
	json_object_set_new(j, "digest_alg", json_string(alg != NULL ? alg : "unknown"));
	nt_hex_encode(rec->digest, rec->digest_len, hex);
	json_object_set_new(j, "digest", json_string(hex));
	json_object_set_new(j, "size", json_integer((json_int_t)rec->size));
	json_object_set_new(j, "meta", json_incref(meta));
	json_object_set_new(j, "format", json_integer(v->format));
	if (nt_genesis_is_v2(g)) {
		json_object_set_new(j, "fingerprint", json_string(v->fingerprint));
		json_object_set_new(j, "valset_changes", json_integer((json_int_t)v->changes));
	}
	json_object_set_new(j, "private",
			    json_integer((v->salted ? 1 : 0) | (v->meta_committed ? 2 : 0)));
	json_object_set_new(j, "salted_digest", json_boolean(v->salted));
	json_object_set_new(j, "meta_committed", json_boolean(v->meta_committed));
	json_object_set_new(j, "meta_matched_commitment", json_boolean(v->meta_disclosed));
	nt_cli_hex32(r->record_id.b, hex);
	json_object_set_new(j, "record_id", json_string(hex));
	nt_hash bh;
	if (nt_header_hash(&r->header, &bh) == NT_OK) {
		nt_cli_hex32(bh.b, hex);
		json_object_set_new(j, "block_hash", json_string(hex));
	}
	json_object_set_new(j, "file_checked", json_boolean(file != NULL));
	if (file != NULL) {
		json_object_set_new(j, "file", json_string(file));
		json_object_set_new(j, "file_size", json_integer((json_int_t)file_size));
	}
	return j;
}

static void print_meta_member(const char *lab, json_t *meta, const char *key)
{
	json_t *v = json_object_get(meta, key);
	if (v == NULL)
		return;
	label(lab);
	if (json_is_string(v)) {
		nt_cli_put_safe(stdout, json_string_value(v));
	} else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		nt_cli_put_safe(stdout, s != NULL ? s : "?");
		free(s);
	}
	fputc('\n', stdout);
}

static void verdict_text(const nt_receipt *r, const nt_genesis *g, const nt_receipt_verdict *v,
			 const char *file, uint64_t file_size, json_t *meta)
{
	const nt_record *rec = &r->record;
	const nt_valset *set = &v->set;
	char hex[2 * NT_DIGEST_MAX + 1], t[40], lt[80];
	const char *alg = nt_digest_name(rec->alg);

	printf("VALID: this record is part of chain \"%s\" at block %llu.\n", r->header.chain_id,
	       (unsigned long long)r->height);
	if (nt_genesis_is_v2(g)) {
		label("Genesis fingerprint:");
		printf("%s\n", v->fingerprint);
	}
	nt_hex_encode(rec->digest, rec->digest_len, hex);
	label("Evidence file:");
	if (file != NULL) {
		nt_cli_put_safe(stdout, file);
		printf(" (%llu bytes) matches the record\n", (unsigned long long)file_size);
	} else {
		printf("not checked (no file given)\n");
	}
	label("Digest:");
	printf("%s %s%s\n", alg, hex, v->salted ? " (salted: D(salt || file digest))" : "");
	if (file == NULL && rec->size != 0) {
		label("Size:");
		printf("%llu bytes (as stated by the submitter)\n", (unsigned long long)rec->size);
	}
	nt_cli_time_human(nt_commit_time(&r->commit), t);
	label("Existed no later than:");
	printf("%s (attested by %u of %u validators)\n", t, (unsigned)r->commit.count,
	       (unsigned)set->n);
	if (nt_genesis_is_v2(g)) {
		time_local(nt_commit_time(&r->commit), lt);
		label("  local time:");
		printf("%s\n", lt);
	}
	label("Signed by:");
	for (unsigned i = 0; i < r->commit.count; i++) {
		unsigned idx = r->commit.sigs[i].index;
		if (idx >= set->n)
			continue;
		char pk[65], nb[32];
		nt_cli_hex32(set->keys[idx].b, pk);
		pk[16] = '\0';
		if (i > 0)
			fputs(", ", stdout);
		nt_cli_put_safe(stdout, validator_name(set, idx, nb, sizeof nb));
		printf(" (%s...)", pk);
	}
	fputc('\n', stdout);
	if (nt_genesis_is_v2(g)) {
		label("Validator set:");
		if (v->changes == 0)
			printf("the genesis set (never changed before this block)\n");
		else
			printf("reached from the genesis set through %zu checked change%s\n",
			       v->changes, v->changes == 1 ? "" : "s");
	}
	if (v->salted || v->meta_committed) {
		label("Private record:");
		if (v->salted)
			printf("digest salted%s", file != NULL ? " (file checked with the "
								 "receipt's salt)"
							       : "");
		if (v->salted && v->meta_committed)
			fputs("; ", stdout);
		if (v->meta_disclosed)
			fputs("metadata committed; the clear metadata below matched the "
			      "commitment",
			      stdout);
		else if (v->meta_committed)
			fputs("metadata committed and not disclosed in this receipt", stdout);
		fputc('\n', stdout);
	}
	nt_cli_hex32(rec->submitter.b, hex);
	nt_cli_time_human(rec->client_time, t);
	label("Submitted by:");
	printf("key %s (client time %s)\n", hex, t);
	print_meta_member("Case:", meta, "case");
	print_meta_member("Title:", meta, "title");
	print_meta_member("Media type:", meta, "media_type");
	print_meta_member("File name:", meta, "file_name");
	const char *key;
	json_t *mv;
	json_object_foreach(meta, key, mv)
	{
		if (strcmp(key, "case") == 0 || strcmp(key, "title") == 0 ||
		    strcmp(key, "media_type") == 0 || strcmp(key, "file_name") == 0)
			continue;
		char lab[48];
		snprintf(lab, sizeof lab, "Meta %.30s:", key);
		print_meta_member(lab, meta, key);
	}
	nt_cli_hex32(r->record_id.b, hex);
	label("Record id:");
	printf("%s\n", hex);
	nt_hash bh;
	if (nt_header_hash(&r->header, &bh) == NT_OK) {
		nt_cli_hex32(bh.b, hex);
		label("Block hash:");
		printf("%s\n", hex);
	}
}

static int run_verify(const verify_opts *o, nt_genesis *g)
{
	nt_why why = {{0}};
	nt_err e = nt_genesis_load(o->genesis_path, g, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "verify", "cannot use genesis file %s: %s",
				     o->genesis_path, why.msg[0] ? why.msg : nt_strerror(e));

	char *text = NULL;
	size_t len = 0;
	e = nt_cli_read_file(o->receipt_path, NT_RECEIPT_V2_TEXT_MAX, &text, &len, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "verify", "cannot read the receipt: %s",
				     why.msg);
	/* Text that is not JSON at all is a damaged or wrong file (unreadable
	 * input); JSON that is not a well-formed receipt is an invalid receipt. */
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr);
	if (doc == NULL) {
		free(text);
		return nt_cli_errorf(NT_EXIT_USAGE, "verify",
				     "%s is not JSON (damaged or truncated?): line %d: %s",
				     o->receipt_path, jerr.line, jerr.text);
	}
	/* Only a version 2 receipt may be larger than a version 1 one (it
	 * carries the chain's set changes); a larger version 1 file is
	 * unreadable input, as it always was. */
	const char *fmt = json_string_value(json_object_get(doc, "format"));
	bool v2 = fmt != NULL && strcmp(fmt, NT_RECEIPT_FORMAT_2) == 0;
	json_decref(doc);
	if (!v2 && len > NT_RECEIPT_TEXT_MAX) {
		free(text);
		return nt_cli_errorf(NT_EXIT_USAGE, "verify",
				     "cannot read the receipt: %s is larger than %d bytes",
				     o->receipt_path, NT_RECEIPT_TEXT_MAX);
	}

	nt_receipt *r = NULL;
	e = nt_receipt_parse(text, len, &r, &why);
	free(text);
	if (e != NT_OK) {
		char msg[300];
		snprintf(msg, sizeof msg, "the receipt is malformed: %s",
			 why.msg[0] ? why.msg : nt_strerror(e));
		return invalid(o, g, NULL, msg);
	}

	uint8_t digest[NT_DIGEST_MAX];
	size_t dlen = 0;
	uint64_t fsize = 0;
	if (o->file != NULL) {
		e = nt_digest_file(r->record.alg, o->file, digest, &dlen, &fsize, &why);
		if (e != NT_OK) {
			free(r);
			return nt_cli_errorf(NT_EXIT_USAGE, "verify", "cannot read %s: %s", o->file,
					     why.msg[0] ? why.msg : nt_strerror(e));
		}
	}
	/* The verdict holds a whole validator set: keep it off the stack. */
	nt_receipt_verdict *v = malloc(sizeof *v);
	if (v == NULL) {
		free(r);
		return nt_cli_errorf(NT_EXIT_FAIL, "verify", "out of memory");
	}
	e = nt_receipt_verify_full(r, g, o->file != NULL ? digest : NULL, dlen, v, &why);
	if (e != NT_OK) {
		int rc = invalid(o, g, r, why.msg[0] ? why.msg : nt_strerror(e));
		free(v);
		free(r);
		return rc;
	}

	/* A private record's metadata is the clear text that matched its
	 * commitment (or nothing when the receipt does not disclose it). */
	json_t *meta = NULL;
	if (v->meta_disclosed)
		meta = json_loadb(r->meta, r->meta_len, 0, NULL);
	else if (!v->meta_committed && r->record.meta_len > 0)
		meta = json_loadb(r->record.meta, r->record.meta_len, 0, NULL);
	if (!json_is_object(meta)) {
		json_decref(meta);
		meta = json_object();
	}
	if (o->json) {
		json_t *j = verdict_json(r, g, v, o->file, fsize, meta);
		nt_cli_put_json(stdout, j);
		json_decref(j);
	} else {
		verdict_text(r, g, v, o->file, fsize, meta);
	}
	json_decref(meta);
	free(v);
	free(r);
	return NT_EXIT_OK;
}

int nt_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"genesis", required_argument, NULL, 'g'},
	    {"receipt", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	verify_opts o = {0};
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":g:r:jh", opts)) != -1) {
		switch (c) {
		case 'g':
			o.genesis_path = optarg;
			break;
		case 'r':
			o.receipt_path = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			fputs(verify_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (o.genesis_path == NULL)
		return nt_cli_usage_error("verify", "--genesis GENESIS is required (the network's "
						    "published genesis file)");
	if (o.receipt_path == NULL)
		return nt_cli_usage_error("verify", "--receipt RECEIPT is required");
	if (argc - optind > 1)
		return nt_cli_usage_error("verify", "give at most one FILE");
	if (optind < argc)
		o.file = argv[optind];

	/* nt_genesis holds 128 keys and names: keep it off the stack. */
	nt_genesis *g = malloc(sizeof *g);
	if (g == NULL)
		return nt_cli_errorf(NT_EXIT_FAIL, "verify", "out of memory");
	int rc = run_verify(&o, g);
	free(g);
	return rc;
}
