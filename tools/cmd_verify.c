/* notary verify: the judge's check of a receipt (and the evidence file)
 * against a genesis file, offline. No network: everything needed is in the
 * receipt and the trust anchor (FORMATS.md "Verifying a receipt", and
 * "Verifying a version 2 receipt"). What it prints for people is built by
 * tools/verdict.c, in English or Chinese; this file verifies, reads the
 * files and the time zone, and prints. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/hex.h"
#include "core/receipt.h"
#include "crypto/digest.h"
#include "node/digest_file.h"
#include "node/genesis_file.h"
#include "tools/cli.h"
#include "tools/qr_receipt.h"
#include "tools/verdict.h"

#define ZONEINFO "/usr/share/zoneinfo"

static const char verify_usage[] =
    "usage: notary verify --genesis GENESIS [--receipt RECEIPT | --qr TEXT|-]\n"
    "                     [--lang en|zh] [--tz ZONE] [--json] [FILE...]\n\n"
    "Checks offline, with no node to trust, that RECEIPT proves a record is part\n"
    "of the chain whose validators GENESIS names, and, if FILE is given, that the\n"
    "record is about exactly this file. Prints a verdict for people, in order: the\n"
    "verdict in one line; the network's name and fingerprint (compare it with the\n"
    "one the court or the network published); the file's name, size and digest\n"
    "(for a wrong file, the expected and the found digest and size); the time the\n"
    "record existed no later than, in UTC and in the local time zone; the offices\n"
    "that signed (N of M); the submitter's key; the case metadata (a private\n"
    "record's clear metadata, and that it matched the commitment); the record id.\n\n"
    "Without --receipt, each FILE is checked with FILE.receipt.json beside it.\n"
    "Several FILEs give one line per file and a summary line.\n\n"
    "Options:\n"
    "  -g, --genesis FILE   the network's genesis file, obtained out of band (required)\n"
    "  -r, --receipt FILE   the receipt to check (default: FILE.receipt.json; with\n"
    "                       --receipt at most one FILE)\n"
    "  -q, --qr TEXT|-      the receipt as an evidence certificate carries it: the\n"
    "                       text of its QR code (\"NR1:...\", e.g. from a phone or\n"
    "                       zbarimg --raw), or the certificate's text\n"
    "                       (pdftotext cert.pdf -); - reads it from stdin\n"
    "                       (docs/FORMATS.md \"Compact receipt for QR codes\")\n"
    "  -l, --lang en|zh     the verdict's language (default: zh when LC_ALL,\n"
    "                       LC_MESSAGES or LANG starts with \"zh\", else en)\n"
    "  -z, --tz ZONE        local time zone, an IANA name such as Asia/Shanghai\n"
    "                       (default: $TZ, else the system's zone)\n"
    "  -j, --json           print the verdict as JSON (one object; several files:\n"
    "                       an object with \"results\")\n"
    "  -h, --help           show this help\n\n"
    "Exit codes: 0 valid (every file), 1 invalid (the reason is printed; for\n"
    "several files: at least one invalid), 2 usage error or an unreadable\n"
    "genesis, receipt or file.\n\n"
    "Example:\n"
    "  notary verify --genesis genesis.json --receipt contract.pdf.receipt.json contract.pdf\n"
    "  notary verify --genesis genesis.json --lang zh --tz Asia/Shanghai contract.pdf\n"
    "  notary verify --genesis genesis.json a.pdf b.pdf c.pdf\n"
    "  pdftotext cert.pdf - | notary verify --genesis genesis.json --qr - contract.pdf\n";

typedef struct {
	const char *genesis_path;
	const char *receipt_path;
	char *qr_text; /* --qr: the receipt as a certificate carries it (read at start) */
	char **files;
	size_t nfiles;
	bool json;
	nt_lang lang;
	const char *zone_name; /* shown beside local times; "" if not known */
	bool brief;	       /* several files: one line each */
} verify_opts;

/* What one check came to. */
typedef struct {
	int rc;	      /* NT_EXIT_OK, NT_EXIT_FAIL (invalid), NT_EXIT_USAGE (unreadable) */
	json_t *json; /* --json: its object (new reference) */
} check;

static const char *validator_name(const nt_valset *s, unsigned i, char *buf, size_t cap)
{
	if (i < s->n && s->names[i][0] != '\0')
		return s->names[i];
	snprintf(buf, cap, "validator %u", i);
	return buf;
}

/* The case metadata as JSON: a private record's clear text that matched
 * its commitment, a public record's own, or {} (new reference). */
static json_t *meta_of(const nt_receipt *r, const nt_receipt_verdict *v)
{
	json_t *meta = NULL;
	if (v->meta_disclosed)
		meta = json_loadb(r->meta, r->meta_len, 0, NULL);
	else if (!v->meta_committed && r->record.meta_len > 0)
		meta = json_loadb((const char *)r->record.meta, r->record.meta_len, 0, NULL);
	if (!json_is_object(meta)) {
		json_decref(meta);
		meta = json_object();
	}
	return meta;
}

static json_t *verdict_json(const nt_receipt *r, const nt_genesis *g, const nt_receipt_verdict *v,
			    const char *file, uint64_t file_size)
{
	json_t *meta = meta_of(r, v);
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
	json_object_set_new(j, "meta", meta);
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

static void zone_at(const verify_opts *o, uint64_t ms, nt_verdict_zone *z)
{
	if (nt_verdict_zone_here(ms, o->zone_name, z) != NT_OK)
		*z = (nt_verdict_zone){.offset_s = 0, .abbr = "UTC"};
}

/* Bytes as a JSON hex string (null when there are none). */
static json_t *jhex(const uint8_t *b, size_t len)
{
	char hex[2 * NT_DIGEST_MAX + 1];
	if (b == NULL || len > NT_DIGEST_MAX)
		return json_null();
	nt_hex_encode(b, len, hex);
	return json_string(hex);
}

/* Reports an unreadable input: stderr (as every command does) and, for
 * several files, the file's own line on stdout. */
static check unreadable(const verify_opts *o, const char *file, const char *fmt, ...)
    NT_PRINTF(3, 4);
static check unreadable(const verify_opts *o, const char *file, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	nt_cli_errorf(NT_EXIT_USAGE, "verify", "%s", msg);
	check c = {NT_EXIT_USAGE, NULL};
	if (o->brief) {
		if (o->json) {
			c.json =
			    json_pack("{s:s, s:b, s:s}", "file", file, "valid", 0, "error", msg);
		} else {
			char *line = nt_verdict_format(o->lang, NT_VM_BRIEF_ERROR, file, msg);
			fputs(line != NULL ? line : msg, stdout);
			free(line);
			fputc('\n', stdout);
		}
	}
	return c;
}

/* Everything a check learnt, for its output. */
typedef struct {
	nt_verdict_status status;
	const char *why;
	const nt_receipt *r;
	const nt_receipt_verdict *res; /* VALID, FILE_MISMATCH */
	const char *file;
	uint64_t fsize;
	const uint8_t *digest; /* the file's, under the record's algorithm */
	size_t dlen;
	const uint8_t *salted; /* salted records: D(salt || the file's digest) */
	size_t slen;
} outcome;

static json_t *outcome_json(const verify_opts *o, const nt_genesis *g, const outcome *x,
			    const char *receipt_path)
{
	json_t *j;
	if (x->status == NT_VERDICT_VALID) {
		j = verdict_json(x->r, g, x->res, x->file, x->fsize);
	} else {
		static const char *const kinds[] = {"", "file", "network", "receipt"};
		j = json_pack("{s:b, s:s, s:s}", "valid", 0, "why", x->why, "kind",
			      kinds[x->status]);
		if (j != NULL && x->r != NULL) {
			char id[65];
			nt_cli_hex32(x->r->record_id.b, id);
			json_object_set_new(j, "record_id", json_string(id));
		}
		if (j != NULL && nt_genesis_is_v2(g)) {
			char fp[NT_FINGERPRINT_LEN + 1];
			nt_genesis_fingerprint(&g->genesis_hash, fp);
			json_object_set_new(j, "fingerprint", json_string(fp));
		}
		if (j != NULL && x->status == NT_VERDICT_FILE_MISMATCH) {
			const nt_record *rec = &x->r->record;
			bool salted = x->res->salted;
			json_object_set_new(j, "expected",
					    json_pack("{s:o, s:I, s:b}", "digest",
						      jhex(rec->digest, rec->digest_len), "size",
						      (json_int_t)rec->size, "salted", salted));
			json_object_set_new(
			    j, "found",
			    json_pack("{s:o, s:I, s:b}", "digest",
				      salted ? jhex(x->salted, x->slen) : jhex(x->digest, x->dlen),
				      "size", (json_int_t)x->fsize, "salted", salted));
		}
		if (j != NULL)
			json_object_set_new(j, "file_checked", json_boolean(x->file != NULL));
	}
	if (j == NULL)
		return NULL;
	if (x->file != NULL) {
		json_object_set_new(j, "file", json_string(x->file));
		json_object_set_new(j, "file_digest", jhex(x->digest, x->dlen));
	}
	if (x->r != NULL &&
	    (x->status == NT_VERDICT_VALID || x->status == NT_VERDICT_FILE_MISMATCH)) {
		uint64_t ms = nt_commit_time(&x->r->commit);
		nt_verdict_zone z;
		char lt[NT_VERDICT_TIME_MAX];
		zone_at(o, ms, &z);
		nt_verdict_time_local(ms, &z, NT_LANG_EN, lt);
		json_object_set_new(j, "time_local", json_string(lt));
		json_object_set_new(j, "time_zone", json_string(z.name[0] ? z.name : z.abbr));
	}
	if (o->brief)
		json_object_set_new(j, "receipt", json_string(receipt_path));
	return j;
}

/* Prints the outcome for people: the whole verdict, or for several files
 * one line. */
static void outcome_text(const verify_opts *o, const nt_genesis *g, const outcome *x)
{
	if (o->brief) {
		char *line = NULL;
		if (x->status == NT_VERDICT_VALID) {
			char id[65], t[40];
			nt_cli_hex32(x->r->record_id.b, id);
			nt_verdict_time_utc(nt_commit_time(&x->r->commit), t);
			line = nt_verdict_format(o->lang, NT_VM_BRIEF_VALID, x->file, id,
						 (unsigned long long)x->r->height, t);
		} else {
			/* Chinese: the kind of failure, then the (English) reason. */
			static const nt_vmsg kinds[] = {NT_VM_KIND_RECEIPT, NT_VM_KIND_FILE,
							NT_VM_KIND_NETWORK, NT_VM_KIND_RECEIPT};
			char *why = NULL;
			if (o->lang == NT_LANG_ZH) {
				if (asprintf(&why, "%s（%s）",
					     nt_verdict_msg(kinds[x->status], o->lang), x->why) < 0)
					why = NULL;
			}
			line = nt_verdict_format(o->lang, NT_VM_BRIEF_INVALID, x->file,
						 why != NULL ? why : x->why);
			free(why);
		}
		if (line != NULL)
			puts(line);
		free(line);
		return;
	}
	nt_verdict_zone z;
	bool timed = x->r != NULL;
	if (timed)
		zone_at(o, nt_commit_time(&x->r->commit), &z);
	nt_verdict_in in = {.status = x->status,
			    .receipt = x->r,
			    .genesis = g,
			    .result = x->res,
			    .why = x->why,
			    .file = x->file,
			    .file_size = x->fsize,
			    .file_digest = x->digest,
			    .file_digest_len = x->dlen,
			    .file_salted = x->salted,
			    .file_salted_len = x->slen,
			    .zone = timed ? &z : NULL};
	nt_verdict *v = NULL;
	if (nt_verdict_build(&in, o->lang, &v) != NT_OK) {
		/* Out of memory: the verdict itself must still be said. */
		printf("%s%s\n", x->status == NT_VERDICT_VALID ? "VALID" : "INVALID: ",
		       x->why != NULL ? x->why : "");
		return;
	}
	nt_verdict_write(v, stdout);
	nt_verdict_free(v);
}

/* A receipt that verifies with the file given failed: which of the
 * verdict's kinds is it? A receipt of another chain or genesis is of
 * another network; a receipt that verifies without the file is about
 * another file (res then holds that verification's result). */
static nt_verdict_status classify(const nt_receipt *r, const nt_genesis *g, bool with_file,
				  nt_receipt_verdict *res)
{
	if (strcmp(r->header.chain_id, g->chain_id) != 0 ||
	    (nt_genesis_is_v2(g) && r->header.version >= 2 &&
	     memcmp(r->header.genesis_hash.b, g->genesis_hash.b, NT_HASH_LEN) != 0))
		return NT_VERDICT_OTHER_NETWORK;
	nt_why why = {{0}};
	if (with_file && nt_receipt_verify_full(r, g, NULL, 0, res, &why) == NT_OK)
		return NT_VERDICT_FILE_MISMATCH;
	return NT_VERDICT_INVALID;
}

/* Reads, verifies and reports one receipt (and file). */
static check check_one(const verify_opts *o, const nt_genesis *g, const char *receipt_path,
		       const char *file)
{
	nt_why why = {{0}};
	char *text = NULL;
	size_t len = 0;
	const char *name = file != NULL ? file : receipt_path;
	nt_err e;
	if (o->qr_text != NULL) {
		nt_qr_info info;
		e = nt_qr_receipt_decode(o->qr_text, &text, &info, &why);
		if (e != NT_OK)
			return unreadable(o, name, "cannot read the receipt from --qr: %s",
					  why.msg);
		if (text == NULL) {
			char id[65];
			nt_hex_encode(info.record_id.b, NT_HASH_LEN, id);
			return unreadable(
			    o, name,
			    "the QR code names the record only (fingerprint %s, record "
			    "%s, height %llu): the whole receipt is in the certificate's "
			    "text (pdftotext cert.pdf - | notary verify --qr - ...) or "
			    "from a node (notary receipt %s)",
			    info.fingerprint[0] ? info.fingerprint : "-", id,
			    (unsigned long long)info.height, id);
		}
		len = strlen(text);
	} else {
		e = nt_cli_read_file(receipt_path, NT_RECEIPT_V2_TEXT_MAX, &text, &len, &why);
		if (e != NT_OK)
			return unreadable(o, name, "cannot read the receipt: %s", why.msg);
	}
	/* Text that is not JSON at all is a damaged or wrong file (unreadable
	 * input); JSON that is not a well-formed receipt is an invalid receipt. */
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr);
	if (doc == NULL) {
		free(text);
		return unreadable(o, name, "%s is not JSON (damaged or truncated?): line %d: %s",
				  receipt_path, jerr.line, jerr.text);
	}
	/* Only a version 2 receipt may be larger than a version 1 one (it
	 * carries the chain's set changes); a larger version 1 file is
	 * unreadable input, as it always was. */
	const char *fmt = json_string_value(json_object_get(doc, "format"));
	bool v2 = fmt != NULL && strcmp(fmt, NT_RECEIPT_FORMAT_2) == 0;
	json_decref(doc);
	if (!v2 && len > NT_RECEIPT_TEXT_MAX) {
		free(text);
		return unreadable(o, name, "cannot read the receipt: %s is larger than %d bytes",
				  receipt_path, NT_RECEIPT_TEXT_MAX);
	}

	outcome x = {.file = file};
	nt_receipt *r = NULL;
	/* The verdict holds a whole validator set: keep it off the stack. */
	nt_receipt_verdict *res = malloc(sizeof *res);
	char msg[300];
	uint8_t digest[NT_DIGEST_MAX], salted[NT_DIGEST_MAX];
	check c = {NT_EXIT_OK, NULL};
	e = res == NULL ? NT_ERR_NOMEM : nt_receipt_parse(text, len, &r, &why);
	free(text);
	if (e != NT_OK) {
		snprintf(msg, sizeof msg, "the receipt is malformed: %s",
			 why.msg[0] ? why.msg : nt_strerror(e));
		x.status = NT_VERDICT_INVALID;
		x.why = msg;
		goto report;
	}
	x.r = r;
	if (file != NULL) {
		e = nt_digest_file(r->record.alg, file, digest, &x.dlen, &x.fsize, &why);
		if (e != NT_OK) {
			free(r);
			free(res);
			return unreadable(o, name, "cannot read %s: %s", file,
					  why.msg[0] ? why.msg : nt_strerror(e));
		}
		x.digest = digest;
		size_t sl = 0;
		if ((r->record.flags & NT_RECORD_FLAG_SALTED) != 0 && r->has_salt &&
		    nt_record_salted_digest(r->record.alg, r->salt, digest, x.dlen, salted, &sl) ==
			NT_OK) {
			x.salted = salted;
			x.slen = sl;
		}
	}
	e = nt_receipt_verify_full(r, g, x.digest, x.dlen, res, &why);
	if (e == NT_OK) {
		x.status = NT_VERDICT_VALID;
		x.res = res;
	} else {
		snprintf(msg, sizeof msg, "%s", why.msg[0] ? why.msg : nt_strerror(e));
		x.why = msg;
		x.status = classify(r, g, file != NULL, res);
		if (x.status == NT_VERDICT_FILE_MISMATCH)
			x.res = res;
	}
report:
	c.rc = x.status == NT_VERDICT_VALID ? NT_EXIT_OK : NT_EXIT_FAIL;
	if (o->json) {
		if (x.file == NULL && o->brief)
			x.file = name;
		c.json = outcome_json(o, g, &x, receipt_path);
	} else {
		if (o->brief && x.file == NULL)
			x.file = name;
		outcome_text(o, g, &x);
	}
	free(res);
	free(r);
	return c;
}

/* "X.receipt.json", malloc'd. */
static char *beside(const char *file)
{
	char *p = NULL;
	if (asprintf(&p, "%s.receipt.json", file) < 0)
		return NULL;
	return p;
}

static int run_verify(const verify_opts *o, nt_genesis *g)
{
	nt_why why = {{0}};
	nt_err e = nt_genesis_load(o->genesis_path, g, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "verify", "cannot use genesis file %s: %s",
				     o->genesis_path, why.msg[0] ? why.msg : nt_strerror(e));
	if (!o->brief) {
		const char *file = o->nfiles == 1 ? o->files[0] : NULL;
		char *rp = o->receipt_path != NULL ? strdup(o->receipt_path) : beside(file);
		if (rp == NULL)
			return nt_cli_errorf(NT_EXIT_FAIL, "verify", "out of memory");
		if (o->receipt_path == NULL && !nt_cli_exists(rp)) {
			int rc = nt_cli_usage_error(
			    "verify", "no --receipt given and %s does not exist beside %s%s", rp,
			    file,
			    strstr(file, ".receipt.json") != NULL
				? " (to check a receipt without its file: --receipt RECEIPT)"
				: "");
			free(rp);
			return rc;
		}
		check c = check_one(o, g, rp, file);
		free(rp);
		if (c.json != NULL) {
			nt_cli_put_json(stdout, c.json);
			json_decref(c.json);
		}
		return c.rc;
	}

	/* Several files, each with its receipt beside it. */
	size_t valid = 0, invalid = 0, errors = 0;
	json_t *results = o->json ? json_array() : NULL;
	if (!o->json && nt_genesis_is_v2(g)) {
		/* The network once, for all of them. */
		char fp[NT_FINGERPRINT_LEN + 1];
		nt_genesis_fingerprint(&g->genesis_hash, fp);
		char *a = nt_verdict_format(o->lang, NT_VM_NETWORK_V2, g->chain_id, fp);
		char *b = nt_verdict_format(o->lang, NT_VM_COMPARE);
		if (a != NULL && b != NULL) {
			nt_verdict_write_line(stdout, nt_verdict_msg(NT_VM_NETWORK_L, o->lang), a);
			nt_verdict_write_line(stdout, "", b);
		}
		free(a);
		free(b);
	}
	for (size_t i = 0; i < o->nfiles; i++) {
		char *rp = beside(o->files[i]);
		check c = rp != NULL ? check_one(o, g, rp, o->files[i])
				     : unreadable(o, o->files[i], "out of memory");
		free(rp);
		valid += c.rc == NT_EXIT_OK;
		invalid += c.rc == NT_EXIT_FAIL;
		errors += c.rc == NT_EXIT_USAGE;
		if (c.json != NULL)
			json_array_append_new(results, c.json);
	}
	if (o->json) {
		json_t *j = json_pack("{s:b, s:I, s:I, s:I, s:I, s:o}", "valid", valid == o->nfiles,
				      "files", (json_int_t)o->nfiles, "valid_files",
				      (json_int_t)valid, "invalid_files", (json_int_t)invalid,
				      "errors", (json_int_t)errors, "results", results);
		nt_cli_put_json(stdout, j);
		json_decref(j);
	} else {
		char *s = nt_verdict_format(o->lang, NT_VM_SUMMARY, o->nfiles, valid, invalid);
		char *t = errors > 0 ? nt_verdict_format(o->lang, NT_VM_SUMMARY_ERRORS, errors)
				     : strdup("");
		if (s != NULL && t != NULL)
			printf("%s%s\n", s, t);
		free(s);
		free(t);
	}
	return invalid > 0 ? NT_EXIT_FAIL : errors > 0 ? NT_EXIT_USAGE : NT_EXIT_OK;
}

/* An IANA zone name that names a file of the time zone database. */
static bool zone_exists(const char *name)
{
	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL)
		return false;
	char path[512];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", ZONEINFO, name);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int nt_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"genesis", required_argument, NULL, 'g'}, {"receipt", required_argument, NULL, 'r'},
	    {"qr", required_argument, NULL, 'q'},      {"lang", required_argument, NULL, 'l'},
	    {"tz", required_argument, NULL, 'z'},      {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0},
	};
	verify_opts o = {0};
	o.lang = nt_verdict_lang_env(getenv("LC_ALL"), getenv("LC_MESSAGES"), getenv("LANG"));
	const char *tz = NULL;
	int c;
	const char *qr = NULL;
	while ((c = nt_cli_getopt(argc, argv, ":g:r:q:l:z:jh", opts)) != -1) {
		switch (c) {
		case 'g':
			o.genesis_path = optarg;
			break;
		case 'r':
			o.receipt_path = optarg;
			break;
		case 'q':
			qr = optarg;
			break;
		case 'l':
			if (!nt_verdict_lang_parse(optarg, &o.lang))
				return nt_cli_usage_error("verify", "--lang: '%s' is not en or zh",
							  optarg);
			break;
		case 'z':
			tz = optarg;
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
	o.files = argv + optind;
	o.nfiles = (size_t)(argc - optind);
	if (qr != NULL) {
		if (o.receipt_path != NULL || o.nfiles > 1)
			return nt_cli_usage_error("verify",
						  "--qr takes the place of --receipt: one "
						  "receipt, at most one FILE");
		size_t ql = 0;
		if (strcmp(qr, "-") == 0) {
			if (nt_cli_read_stdin(16u * 1024 * 1024, &o.qr_text, &ql) != NT_OK)
				return nt_cli_errorf(
				    NT_EXIT_USAGE, "verify",
				    "cannot read --qr from stdin (at most 16 MiB)");
		} else if ((o.qr_text = strdup(qr)) == NULL) {
			return nt_cli_errorf(NT_EXIT_FAIL, "verify", "out of memory");
		}
		o.receipt_path = "(--qr)";
	}
	if (o.receipt_path != NULL && o.nfiles > 1)
		return nt_cli_usage_error("verify", "with --receipt give at most one FILE (without "
						    "it, each FILE's FILE.receipt.json is used)");
	if (o.receipt_path == NULL && o.nfiles == 0)
		return nt_cli_usage_error("verify", "--receipt RECEIPT is required, or give FILE "
						    "with FILE.receipt.json beside it");
	o.brief = o.nfiles > 1;

	/* The local time zone: --tz, else $TZ, else the system's. */
	if (tz != NULL) {
		if (!zone_exists(tz))
			return nt_cli_usage_error(
			    "verify",
			    "--tz: unknown time zone '%s': there is no %s/%s (give an IANA "
			    "name such as Asia/Shanghai or UTC; the tzdata package holds them)",
			    tz, ZONEINFO, tz);
		if (setenv("TZ", tz, 1) != 0)
			return nt_cli_errorf(NT_EXIT_FAIL, "verify", "out of memory");
		o.zone_name = tz;
	} else {
		const char *env = getenv("TZ");
		o.zone_name = "";
		if (env != NULL && env[0] != '\0') {
			const char *n = env[0] == ':' ? env + 1 : env;
			if (zone_exists(n))
				o.zone_name = n;
			else if (strpbrk(n, "0123456789") == NULL)
				fprintf(stderr,
					"notary verify: TZ=%s is not a time zone of %s; local "
					"times are shown in UTC (use --tz, e.g. --tz "
					"Asia/Shanghai)\n",
					env, ZONEINFO);
		}
	}
	tzset();

	/* nt_genesis holds 128 keys and names: keep it off the stack. */
	nt_genesis *g = malloc(sizeof *g);
	if (g == NULL)
		return nt_cli_errorf(NT_EXIT_FAIL, "verify", "out of memory");
	int rc = run_verify(&o, g);
	free(g);
	free(o.qr_text);
	return rc;
}
