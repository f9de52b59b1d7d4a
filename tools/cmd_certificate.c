/* notary certificate: a printable evidence certificate (A4 PDF) for one
 * receipt, or for a case's receipts with a summary page. Each record is
 * verified offline here, exactly as `notary verify` does (the receipt
 * against the genesis file, and the file if given); the page states the
 * verdict as of its making and carries the receipt itself (QR code and a
 * machine-readable block, tools/qr_receipt.h), so nothing else is needed
 * to re-check it later. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/hex.h"
#include "core/receipt.h"
#include "crypto/digest.h"
#include "node/digest_file.h"
#include "node/genesis_file.h"
#include "tools/cert_labels.h"
#include "tools/cert_pdf.h"
#include "tools/cli.h"
#include "tools/qr_receipt.h"

static const char certificate_usage[] =
    "usage: notary certificate --genesis GENESIS --receipt RECEIPT [FILE] --out CERT.pdf\n"
    "       notary certificate --genesis GENESIS --out CASE.pdf RECEIPT|FILE...\n\n"
    "Verifies each receipt offline against GENESIS (and its evidence file, if\n"
    "given) and writes an A4 PDF a clerk can print and file: the verdict as of\n"
    "its making (VALID, or INVALID with the reason), the network's name and\n"
    "fingerprint, the file's name, size and digest, the attested time in UTC and\n"
    "Beijing time, the signing offices (N of M), the submitter key, the case\n"
    "metadata (a private record's clear metadata), the record id, the block and\n"
    "a QR code.\n\n"
    "The certificate carries the receipt itself, twice: the QR code holds the\n"
    "whole receipt (\"NR1:...\", docs/FORMATS.md \"Compact receipt for QR codes\")\n"
    "when it fits in a version 25 code, else the fingerprint, record id and\n"
    "height (\"NRID:...\"); and the page ends with a machine-readable block\n"
    "([BEGIN NOTARY RECEIPT NR1] ...) that always holds the whole receipt and that\n"
    "`pdftotext CERT.pdf - | notary qr decode -` turns back into receipt JSON.\n\n"
    "Several receipts make one PDF: a summary page (file, digest, time, verdict)\n"
    "and a page per record. An argument ending in .receipt.json is a receipt\n"
    "(its file, if beside it without that suffix, is checked); any other is an\n"
    "evidence file whose receipt is FILE.receipt.json beside it.\n\n"
    "Options:\n"
    "  -g, --genesis FILE   the network's genesis file, obtained out of band (required)\n"
    "  -r, --receipt FILE   a receipt (may be repeated)\n"
    "  -l, --lang LANG      zh, en or both (default both: every label in Chinese and English)\n"
    "  -o, --out FILE       the PDF to write (required; replaced if it exists)\n"
    "  -h, --help           show this help\n\n"
    "The time the certificate was made is the clock's, or SOURCE_DATE_EPOCH (seconds)\n"
    "if set. Exit codes: 0 written and every record valid, 1 written and some record\n"
    "INVALID, 2 usage error or an unreadable genesis, receipt or file (nothing written).\n\n"
    "Example:\n"
    "  notary certificate --genesis genesis.json --receipt chat.zip.receipt.json \\\n"
    "      chat.zip --out chat-certificate.pdf\n";

/* Characters in the block's lines: 200 x 2.41 pt of DejaVu Sans Mono at
 * 4 pt fits the page's 499 pt. */
#define BLOCK_WIDTH 200
#define MAX_ROWS 40
#define MAX_STRS 80

typedef struct {
	const char *receipt_path;
	const char *file_path; /* NULL: not checked */
	nt_receipt *r;	       /* NULL if it did not parse */
	nt_receipt_verdict *v; /* set when valid */
	bool valid;
	char why[300];
	uint64_t file_size;
	int file_match; /* 1 the file matches the record, -1 it does not, 0 not checked */
	char file_digest[2 * NT_DIGEST_MAX + 1]; /* the file's, as the record states it */
	json_t *meta;				 /* the metadata to show (object) */
	char *qr_text;
	bool qr_full;
	char *block;
	nt_cert_row rows[MAX_ROWS];
	size_t nrows;
	char *strs[MAX_STRS]; /* every string the rows point at */
	size_t nstrs;
} item;

/* A string owned by the item (freed with it); "" when out of memory. */
static const char *keep(item *it, char *s)
{
	if (s == NULL || it->nstrs == MAX_STRS) {
		free(s);
		return "";
	}
	it->strs[it->nstrs++] = s;
	return s;
}

static const char *sfmt(item *it, const char *fmt, ...) NT_PRINTF(2, 3);
static const char *sfmt(item *it, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return keep(it, s);
}

/* A copy of s with control characters and Unicode direction overrides
 * replaced by '?': metadata chosen by a submitter must not rearrange what
 * the certificate shows. */
static char *safe_dup(const char *s)
{
	size_t n = strlen(s);
	char *o = malloc(n + 1);
	if (o == NULL)
		return NULL;
	const unsigned char *p = (const unsigned char *)s;
	size_t j = 0;
	for (size_t i = 0; i < n;) {
		size_t k = 1;
		bool bad = p[i] < 0x20 || p[i] == 0x7f;
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			bad = true, k = 2; /* C1 */
		else if (p[i] == 0xd8 && i + 1 < n && p[i + 1] == 0x9c)
			bad = true, k = 2; /* U+061C */
		else if (p[i] == 0xe2 && i + 2 < n && p[i + 1] == 0x80 &&
			 ((p[i + 2] >= 0xaa && p[i + 2] <= 0xae) || p[i + 2] == 0x8e ||
			  p[i + 2] == 0x8f))
			bad = true, k = 3; /* U+202A..202E, U+200E/F */
		else if (p[i] == 0xe2 && i + 2 < n && p[i + 1] == 0x81 && p[i + 2] >= 0xa6 &&
			 p[i + 2] <= 0xa9)
			bad = true, k = 3; /* U+2066..2069 */
		if (bad) {
			o[j++] = '?';
		} else {
			memcpy(o + j, s + i, k);
			j += k;
		}
		i += k;
	}
	o[j] = '\0';
	return o;
}

static const char *safe(item *it, const char *s)
{
	return keep(it, safe_dup(s != NULL ? s : ""));
}

static void row(item *it, const char *label, const char *value, bool mono)
{
	if (it->nrows < MAX_ROWS)
		it->rows[it->nrows++] = (nt_cert_row){label, value, mono};
}

static const char *lab(item *it, nt_label_id id, nt_cert_lang lang)
{
	char buf[512];
	return sfmt(it, "%s", nt_label_fmt(id, lang, buf, sizeof buf));
}

/* "2026-12-07 14:53:33.261" at UTC plus offset_h hours. */
static void time_at(uint64_t ms, int offset_h, char buf[40])
{
	time_t t = (time_t)(ms / 1000u) + (time_t)offset_h * 3600;
	struct tm tm;
	char a[32];
	if (gmtime_r(&t, &tm) == NULL || strftime(a, sizeof a, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(a, sizeof a, "?");
	snprintf(buf, 40, "%s.%03u", a, (unsigned)(ms % 1000u));
}

/* Beijing time is UTC+8 all year (China has no daylight saving time). */
#define BEIJING_H 8

static const char *n_of_m(item *it, unsigned n, unsigned m, nt_cert_lang lang)
{
	if (lang == NT_CERT_EN)
		return sfmt(it, "%u of %u", n, m);
	if (lang == NT_CERT_ZH)
		return sfmt(it, "%u 家中的 %u 家", m, n);
	return sfmt(it, "%u 家中的 %u 家 / %u of %u", m, n, n, m);
}

static void meta_rows(item *it, nt_cert_lang lang)
{
	static const struct {
		const char *key;
		nt_label_id label;
	} known[] = {{"case", NT_L_CASE},
		     {"title", NT_L_META_TITLE},
		     {"media_type", NT_L_MEDIA_TYPE},
		     {"file_name", NT_L_META_FILE_NAME}};
	const char *suffix = "";
	if (!it->valid) {
		char b[256];
		suffix = sfmt(it, " (%s)", nt_label_fmt(NT_L_META_UNVERIFIED, lang, b, sizeof b));
	}
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		json_t *v = json_object_get(it->meta, known[i].key);
		if (json_is_string(v))
			row(it, lab(it, known[i].label, lang),
			    sfmt(it, "%s%s", safe(it, json_string_value(v)), suffix), false);
	}
	const char *key;
	json_t *v;
	json_object_foreach(it->meta, key, v)
	{
		bool is_known = false;
		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
			is_known |= strcmp(key, known[i].key) == 0 && json_is_string(v);
		if (is_known)
			continue;
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		row(it, sfmt(it, "%s: %s", lab(it, NT_L_META_OTHER, lang), safe(it, key)),
		    sfmt(it, "%s%s", safe(it, s != NULL ? s : "?"), suffix), false);
		free(s);
	}
}

/* The table of one record's page. */
static void build_rows(item *it, const nt_genesis *g, nt_cert_lang lang, uint64_t made_ms)
{
	const nt_receipt *r = it->r;
	const nt_record *rec = &r->record;
	char b[512], b2[512], t[40], hex[2 * NT_DIGEST_MAX + 1];

	row(it, lab(it, NT_L_NETWORK, lang), safe(it, r->header.chain_id), false);
	if (nt_genesis_is_v2(g) && r->format == 2 &&
	    memcmp(r->header.genesis_hash.b, g->genesis_hash.b, NT_HASH_LEN) != 0) {
		/* Another network's receipt: name both, never the given one alone. */
		char fp[NT_FINGERPRINT_LEN + 1], fg[NT_FINGERPRINT_LEN + 1];
		nt_genesis_fingerprint(&r->header.genesis_hash, fp);
		nt_genesis_fingerprint(&g->genesis_hash, fg);
		row(it, lab(it, NT_L_FINGERPRINT, lang),
		    sfmt(it, "%s (%s)\n%s (%s)", fp,
			 nt_label_fmt(NT_L_FP_OF_RECEIPT, lang, b, sizeof b), fg,
			 nt_label_fmt(NT_L_FP_OF_GENESIS, lang, b2, sizeof b2)),
		    false);
	} else if (nt_genesis_is_v2(g)) {
		char fp[NT_FINGERPRINT_LEN + 1];
		nt_genesis_fingerprint(&g->genesis_hash, fp);
		row(it, lab(it, NT_L_FINGERPRINT, lang),
		    sfmt(it, "%s\n(%s)", fp, nt_label_fmt(NT_L_FP_HINT, lang, b, sizeof b)), false);
	} else {
		row(it, lab(it, NT_L_FINGERPRINT, lang), lab(it, NT_L_NO_FINGERPRINT, lang), false);
	}
	const char *fname = it->file_path != NULL ? nt_cli_basename(it->file_path) : NULL;
	json_t *mf = json_object_get(it->meta, "file_name");
	if (fname == NULL && json_is_string(mf))
		fname = json_string_value(mf);
	row(it, lab(it, NT_L_FILE, lang),
	    sfmt(it, "%s%s%s", fname != NULL ? safe(it, fname) : "", fname != NULL ? "\n" : "",
		 nt_label_fmt(it->file_match > 0   ? NT_L_FILE_CHECKED
			      : it->file_match < 0 ? NT_L_FILE_MISMATCH
						   : NT_L_FILE_NOT_CHECKED,
			      lang, b, sizeof b)),
	    false);
	if (it->file_path != NULL)
		row(it, lab(it, NT_L_FILE_SIZE, lang),
		    sfmt(it, "%llu %s", (unsigned long long)it->file_size,
			 nt_label_fmt(NT_L_BYTES, lang, b, sizeof b)),
		    false);
	else if (rec->size != 0)
		row(it, lab(it, NT_L_FILE_SIZE, lang),
		    sfmt(it, "%llu %s %s", (unsigned long long)rec->size,
			 nt_label_fmt(NT_L_BYTES, lang, b, sizeof b),
			 nt_label_fmt(NT_L_FILE_SIZE_STATED, lang, b2, sizeof b2)),
		    false);
	nt_hex_encode(rec->digest, rec->digest_len, hex);
	const char *alg = nt_digest_name(rec->alg);
	bool salted = (rec->flags & NT_RECORD_FLAG_SALTED) != 0;
	row(it, lab(it, NT_L_DIGEST, lang),
	    sfmt(it, "%s\n%s%s%s", hex, alg != NULL ? alg : "?", salted ? " " : "",
		 salted ? nt_label_fmt(NT_L_SALTED, lang, b, sizeof b) : ""),
	    true);
	if (it->file_match < 0)
		row(it, lab(it, NT_L_FILE_DIGEST_FOUND, lang), sfmt(it, "%s", it->file_digest),
		    true);
	uint64_t at = nt_commit_time(&r->commit);
	nt_label_fmt(NT_L_NO_LATER, lang, b, sizeof b);
	time_at(at, 0, t);
	row(it, lab(it, NT_L_TIME_UTC, lang), sfmt(it, "%s %s UTC", b, t), false);
	time_at(at, BEIJING_H, t);
	row(it, lab(it, NT_L_TIME_BEIJING, lang), sfmt(it, "%s %s (UTC+8)", b, t), false);
	if (it->valid) {
		const nt_valset *s = &it->v->set;
		size_t cap = 64;
		for (unsigned i = 0; i < r->commit.count; i++)
			cap += 3 * NT_VALIDATOR_NAME_MAX + 32;
		char *names = malloc(cap);
		if (names != NULL) {
			names[0] = '\0';
			for (unsigned i = 0; i < r->commit.count; i++) {
				unsigned idx = r->commit.sigs[i].index;
				char *nm = idx < s->n && s->names[idx][0] != '\0'
					       ? safe_dup(s->names[idx])
					       : NULL;
				size_t l = strlen(names);
				if (nm != NULL)
					snprintf(names + l, cap - l, "%s%s", i > 0 ? "、" : "", nm);
				else
					snprintf(names + l, cap - l, "%svalidator %u",
						 i > 0 ? "、" : "", idx);
				free(nm);
			}
		}
		row(it, lab(it, NT_L_SIGNERS, lang),
		    sfmt(it, "%s\n(%s)", names != NULL ? names : "?",
			 n_of_m(it, r->commit.count, s->n, lang)),
		    false);
		free(names);
	} else {
		row(it, lab(it, NT_L_SIGNERS, lang), lab(it, NT_L_NOT_ESTABLISHED, lang), false);
	}
	nt_cli_hex32(rec->submitter.b, hex);
	row(it, lab(it, NT_L_SUBMITTER, lang), sfmt(it, "%s", hex), true);
	bool committed = (rec->flags & NT_RECORD_FLAG_META) != 0;
	if (committed)
		row(it, lab(it, NT_L_META_OTHER, lang),
		    lab(it, r->has_meta ? NT_L_META_MATCHED : NT_L_META_UNDISCLOSED, lang), false);
	meta_rows(it, lang);
	nt_cli_hex32(r->record_id.b, hex);
	row(it, lab(it, NT_L_RECORD_ID, lang), sfmt(it, "%s", hex), true);
	nt_hash bh;
	if (nt_header_hash(&r->header, &bh) == NT_OK)
		nt_cli_hex32(bh.b, hex);
	row(it, lab(it, NT_L_BLOCK, lang),
	    sfmt(it, "%s %llu\n%s", nt_label_fmt(NT_L_HEIGHT, lang, b, sizeof b),
		 (unsigned long long)r->header.height, hex),
	    true);
	char t2[40];
	time_at(made_ms, 0, t);
	time_at(made_ms, BEIJING_H, t2);
	row(it, lab(it, NT_L_MADE, lang), sfmt(it, "%s UTC\n%s (UTC+8)", t, t2), false);
}

/* The metadata a page shows: a private record's clear meta (checked
 * against its commitment when the receipt is valid), else the record's. */
static json_t *meta_of(const nt_receipt *r)
{
	json_t *m = NULL;
	if (r->has_meta && (r->record.flags & NT_RECORD_FLAG_META))
		m = json_loadb(r->meta, r->meta_len, 0, NULL);
	else if (!(r->record.flags & NT_RECORD_FLAG_META) && r->record.meta_len > 0)
		m = json_loadb(r->record.meta, r->record.meta_len, 0, NULL);
	if (!json_is_object(m)) {
		json_decref(m);
		m = json_object();
	}
	return m;
}

/* Whether the file's digest (salted with the receipt's salt for a salted
 * record) is the record's; fills it->file_match and it->file_digest. */
static void file_compare(item *it, const uint8_t *digest, size_t dlen)
{
	const nt_record *rec = &it->r->record;
	uint8_t d[NT_DIGEST_MAX];
	size_t dl = dlen;
	memcpy(d, digest, dlen);
	if (rec->flags & NT_RECORD_FLAG_SALTED) {
		if (!it->r->has_salt ||
		    nt_record_salted_digest(rec->alg, it->r->salt, digest, dlen, d, &dl) != NT_OK) {
			it->file_match = -1;
			snprintf(it->file_digest, sizeof it->file_digest, "?");
			return;
		}
	}
	nt_hex_encode(d, dl, it->file_digest);
	it->file_match = dl == rec->digest_len && memcmp(d, rec->digest, dl) == 0 ? 1 : -1;
}

/* Reads, parses and verifies one item. NT_EXIT_OK (valid or invalid: it
 * gets a page) or NT_EXIT_USAGE (unreadable input: message printed). */
static int check_item(item *it, const nt_genesis *g)
{
	nt_why why = {{0}};
	char *text = NULL;
	size_t len = 0;
	nt_err e = nt_cli_read_file(it->receipt_path, NT_RECEIPT_V2_TEXT_MAX, &text, &len, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "certificate", "cannot read the receipt: %s",
				     why.msg);
	e = nt_receipt_parse(text, len, &it->r, &why);
	free(text);
	if (e != NT_OK) {
		it->r = NULL;
		snprintf(it->why, sizeof it->why, "the receipt %s is malformed: %s",
			 it->receipt_path, why.msg[0] ? why.msg : nt_strerror(e));
		return NT_EXIT_OK;
	}
	uint8_t digest[NT_DIGEST_MAX];
	size_t dlen = 0;
	if (it->file_path != NULL) {
		e = nt_digest_file(it->r->record.alg, it->file_path, digest, &dlen, &it->file_size,
				   &why);
		if (e != NT_OK)
			return nt_cli_errorf(NT_EXIT_USAGE, "certificate", "cannot read %s: %s",
					     it->file_path, why.msg[0] ? why.msg : nt_strerror(e));
	}
	if (it->file_path != NULL)
		file_compare(it, digest, dlen);
	it->v = malloc(sizeof *it->v);
	if (it->v == NULL)
		return nt_cli_errorf(NT_EXIT_USAGE, "certificate", "out of memory");
	e = nt_receipt_verify_full(it->r, g, it->file_path != NULL ? digest : NULL, dlen, it->v,
				   &why);
	it->valid = e == NT_OK;
	if (!it->valid)
		snprintf(it->why, sizeof it->why, "%s", why.msg[0] ? why.msg : nt_strerror(e));
	it->meta = meta_of(it->r);

	/* The QR code: the whole receipt if it fits a version 25 code, else a
	 * reference; the block always holds the whole receipt. */
	if (nt_qr_receipt_encode(it->r, &it->qr_text) == NT_OK) {
		int ver = nt_cert_qr_version(it->qr_text);
		it->qr_full = ver > 0 && ver <= NT_QR_MAX_VERSION;
		if (nt_qr_receipt_block(it->r, BLOCK_WIDTH, &it->block) != NT_OK)
			it->block = NULL;
	}
	if (!it->qr_full) {
		char fp[NT_FINGERPRINT_LEN + 1] = "";
		if (it->r->format == 2)
			nt_genesis_fingerprint(&it->r->header.genesis_hash, fp);
		char ref[128];
		nt_qr_receipt_reference(fp, &it->r->record_id, it->r->header.height, ref);
		free(it->qr_text);
		it->qr_text = strdup(ref);
	}
	return NT_EXIT_OK;
}

static void item_free(item *it)
{
	free(it->r);
	free(it->v);
	json_decref(it->meta);
	free(it->qr_text);
	free(it->block);
	for (size_t i = 0; i < it->nstrs; i++)
		free(it->strs[i]);
}

static void build_page(item *it, const nt_genesis *g, nt_cert_lang lang, uint64_t made_ms,
		       nt_cert_page *p)
{
	char b[512];
	memset(p, 0, sizeof *p);
	p->valid = it->valid;
	p->verdict = lab(it, it->valid ? NT_L_VALID : NT_L_INVALID, lang);
	p->verdict_head = lab(it, NT_L_AS_OF, lang);
	if (it->valid)
		p->verdict_text = lab(it, NT_L_VALID_SENTENCE, lang);
	else
		p->verdict_text =
		    sfmt(it, "%s\n%s", nt_label_fmt(NT_L_INVALID_SENTENCE, lang, b, sizeof b),
			 safe(it, it->why));
	if (it->r != NULL)
		build_rows(it, g, lang, made_ms);
	p->rows = it->rows;
	p->nrows = it->nrows;
	p->qr_text = it->qr_text;
	if (it->qr_text != NULL)
		p->qr_caption = lab(it,
				    it->qr_full		? NT_L_QR_FULL
				    : it->block != NULL ? NT_L_QR_REF
							: NT_L_QR_NONE,
				    lang);
	p->how_to = lab(it, NT_L_HOW_TO_CHECK, lang);
	p->block = it->block;
	p->block_caption =
	    sfmt(it, "%s: notary qr decode", nt_label_fmt(NT_L_BLOCK_CAPTION, lang, b, sizeof b));
}

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

#define RECEIPT_SUFFIX ".receipt.json"

/* An argument: a receipt (its file beside it, if there) or a file (its
 * receipt beside it). Paths made here are kept in it->strs. */
static void item_from_arg(item *it, const char *arg)
{
	if (ends_with(arg, RECEIPT_SUFFIX)) {
		it->receipt_path = arg;
		char *f = strndup(arg, strlen(arg) - strlen(RECEIPT_SUFFIX));
		if (f != NULL && f[0] != '\0' && nt_cli_exists(f))
			it->file_path = keep(it, f);
		else
			free(f);
	} else {
		it->file_path = arg;
		it->receipt_path = sfmt(it, "%s%s", arg, RECEIPT_SUFFIX);
	}
}

static uint64_t made_time(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	uint64_t s;
	if (sde != NULL && nt_cli_parse_u64(sde, &s) && s < UINT64_MAX / 1000u)
		return s * 1000u;
	return nt_cli_now_ms();
}

typedef struct {
	const char *genesis_path;
	const char *out;
	nt_cert_lang lang;
	const char *receipts[256];
	bool from_flag[256]; /* given with --receipt */
	size_t nreceipts;
	size_t flagged;
} cert_opts;

static int write_certificate(const cert_opts *o, item *items, size_t n, const nt_genesis *g)
{
	nt_cert_lang lang = o->lang;
	uint64_t made = made_time();
	nt_cert_page *pages = calloc(n, sizeof *pages);
	nt_cert_sum_row *sum_rows = calloc(n, sizeof *sum_rows);
	item *doc_strs = calloc(1, sizeof *doc_strs);
	if (pages == NULL || sum_rows == NULL || doc_strs == NULL) {
		free(pages);
		free(sum_rows);
		free(doc_strs);
		return nt_cli_errorf(NT_EXIT_USAGE, "certificate", "out of memory");
	}
	size_t nvalid = 0;
	for (size_t i = 0; i < n; i++) {
		item *it = &items[i];
		build_page(it, g, lang, made, &pages[i]);
		nvalid += it->valid;
		nt_cert_sum_row *sr = &sum_rows[i];
		sr->file = safe(
		    it, nt_cli_basename(it->file_path != NULL ? it->file_path : it->receipt_path));
		sr->digest = "";
		sr->time = "";
		if (it->r != NULL) {
			char hex[2 * NT_DIGEST_MAX + 1], t[40];
			nt_hex_encode(it->r->record.digest, it->r->record.digest_len, hex);
			hex[16] = '\0';
			sr->digest = sfmt(it, "%s…", hex);
			time_at(nt_commit_time(&it->r->commit), BEIJING_H, t);
			sr->time = sfmt(it, "%s", t);
		}
		sr->verdict = pages[i].verdict;
		sr->valid = it->valid;
	}
	item *d = doc_strs;
	char b[512];
	nt_cert_summary sum = {
	    .title = lab(d, NT_L_SUMMARY_TITLE, lang),
	    .subtitle = sfmt(d, "%s: %zu — %s", nt_label_fmt(NT_L_RECORDS, lang, b, sizeof b), n,
			     lab(d, nvalid == n ? NT_L_ALL_VALID : NT_L_SOME_INVALID, lang)),
	    .cols = {lab(d, NT_L_COL_FILE, lang), lab(d, NT_L_COL_DIGEST, lang),
		     lab(d, NT_L_COL_TIME, lang), lab(d, NT_L_COL_VERDICT, lang)},
	    .rows = sum_rows,
	    .n = n,
	};
	char t[40], t2[40];
	time_at(made, 0, t);
	time_at(made, BEIJING_H, t2);
	nt_cert_doc doc = {
	    .title = lab(d, NT_L_TITLE, lang),
	    .page_label = lab(d, NT_L_PAGE, lang),
	    .footer = sfmt(d, "%s: %s UTC (%s UTC+8) · notary %s",
			   nt_label_fmt(NT_L_MADE, lang, b, sizeof b), t, t2, NT_VERSION),
	    .pdf_title = lab(d, NT_L_TITLE, NT_CERT_BOTH),
	    .pdf_subject = n == 1 && items[0].qr_text != NULL ? items[0].qr_text : NULL,
	};
	/* Written beside the target and renamed: a reader never sees half a PDF. */
	char *tmp = NULL;
	int rc = NT_EXIT_OK;
	if (asprintf(&tmp, "%s.tmp.%ld", o->out, (long)getpid()) < 0) {
		tmp = NULL;
		rc = nt_cli_errorf(NT_EXIT_USAGE, "certificate", "out of memory");
	}
	nt_why why = {{0}};
	if (rc == NT_EXIT_OK &&
	    nt_cert_pdf_write(tmp, &doc, n > 1 ? &sum : NULL, pages, n, &why) != NT_OK) {
		unlink(tmp);
		rc = nt_cli_errorf(NT_EXIT_USAGE, "certificate", "%s", why.msg);
	}
	if (rc == NT_EXIT_OK && rename(tmp, o->out) != 0) {
		unlink(tmp);
		rc = nt_cli_errorf(NT_EXIT_USAGE, "certificate", "cannot write %s", o->out);
	}
	if (rc == NT_EXIT_OK) {
		for (size_t i = 0; i < n; i++) {
			printf("%s: %s", items[i].valid ? "VALID" : "INVALID",
			       items[i].receipt_path);
			if (!items[i].valid) {
				fputs(" (", stdout);
				nt_cli_put_safe(stdout, items[i].why);
				fputc(')', stdout);
			}
			fputc('\n', stdout);
		}
		printf("wrote %s: %zu record%s, %zu valid\n", o->out, n, n == 1 ? "" : "s", nvalid);
		if (nvalid != n)
			rc = NT_EXIT_FAIL;
	}
	free(tmp);
	item_free(d);
	free(d);
	free(pages);
	free(sum_rows);
	return rc;
}

static int run_certificate(const cert_opts *o, const char *single_file, nt_genesis *g)
{
	nt_why why = {{0}};
	nt_err e = nt_genesis_load(o->genesis_path, g, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "certificate", "cannot use genesis file %s: %s",
				     o->genesis_path, why.msg[0] ? why.msg : nt_strerror(e));
	size_t n = o->nreceipts;
	item *items = calloc(n, sizeof *items);
	if (items == NULL)
		return nt_cli_errorf(NT_EXIT_USAGE, "certificate", "out of memory");
	int rc = NT_EXIT_OK;
	for (size_t i = 0; i < n && rc == NT_EXIT_OK; i++) {
		if (!o->from_flag[i]) {
			item_from_arg(&items[i], o->receipts[i]);
		} else if (o->flagged == 1) {
			items[i].receipt_path = o->receipts[i];
			items[i].file_path = single_file;
		} else {
			/* repeated --receipt: each one's file, if beside it */
			if (ends_with(o->receipts[i], RECEIPT_SUFFIX))
				item_from_arg(&items[i], o->receipts[i]);
			else
				items[i].receipt_path = o->receipts[i];
		}
		rc = check_item(&items[i], g);
	}
	if (rc == NT_EXIT_OK)
		rc = write_certificate(o, items, n, g);
	for (size_t i = 0; i < n; i++)
		item_free(&items[i]);
	free(items);
	return rc;
}

int nt_cmd_certificate(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"genesis", required_argument, NULL, 'g'}, {"receipt", required_argument, NULL, 'r'},
	    {"lang", required_argument, NULL, 'l'},    {"out", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0},
	};
	cert_opts o = {.lang = NT_CERT_BOTH};
	size_t max = sizeof o.receipts / sizeof o.receipts[0];
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":g:r:l:o:h", opts)) != -1) {
		switch (c) {
		case 'g':
			o.genesis_path = optarg;
			break;
		case 'r':
			if (o.nreceipts == max)
				return nt_cli_usage_error("certificate", "at most %zu receipts",
							  max);
			o.from_flag[o.nreceipts] = true;
			o.receipts[o.nreceipts++] = optarg;
			o.flagged++;
			break;
		case 'l':
			o.lang = nt_lang_parse(optarg);
			if (o.lang == 0)
				return nt_cli_usage_error(
				    "certificate", "--lang is zh, en or both, not '%s'", optarg);
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'h':
			fputs(certificate_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (o.genesis_path == NULL)
		return nt_cli_usage_error("certificate", "--genesis GENESIS is required (the "
							 "network's published genesis file)");
	if (o.out == NULL)
		return nt_cli_usage_error("certificate", "--out FILE is required");
	/* One --receipt and at most one argument: that argument is its file. */
	const char *single_file = NULL;
	if (o.flagged == 1 && argc - optind <= 1) {
		single_file = optind < argc ? argv[optind] : NULL;
	} else {
		for (int i = optind; i < argc; i++) {
			if (o.nreceipts == max)
				return nt_cli_usage_error("certificate", "at most %zu receipts",
							  max);
			o.receipts[o.nreceipts++] = argv[i];
		}
	}
	if (o.nreceipts == 0)
		return nt_cli_usage_error("certificate", "give --receipt RECEIPT, or receipts "
							 "or files as arguments");
	nt_genesis *g = malloc(sizeof *g);
	if (g == NULL)
		return nt_cli_errorf(NT_EXIT_FAIL, "certificate", "out of memory");
	int rc = run_certificate(&o, single_file, g);
	free(g);
	return rc;
}
