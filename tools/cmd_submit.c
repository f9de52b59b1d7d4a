/* notary submit: hash files locally, sign one evidence record per file,
 * submit them, wait for their block and save each receipt beside its file.
 *
 * The file itself never leaves the machine: only its digest, size and the
 * metadata the party chose go into the record. All files are hashed and
 * their records signed before anything is sent, so a missing file or an
 * oversized metadata fails with nothing submitted. A single file is sent in
 * one `submit` that waits for its block. Several are sent in JSON-RPC batches
 * without waiting, then their receipts are collected with batches of
 * `receipt` calls that wait, and each batch's receipts are written together
 * (nt_cli_write_files). A node that refuses batches gets one request per
 * file, as before batches existed. A request the node refuses for a fair
 * limit (-32007, -32008) is sent again after the wait the node asks for,
 * while the total wait stays within --retry-for (tools/cli_retry.c); the
 * requests of a batch it took are not sent again. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/hex.h"
#include "core/receipt.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "node/digest_file.h"
#include "node/genesis_file.h"
#include "node/passfile.h"
#include "tools/cli.h"
#include "tools/cli_tls.h"

/* Several files go to the node in JSON-RPC batches (docs/RPC.md): one message
 * per batch instead of one round trip per file, which is what bounded a
 * folder's speed. A batch stays well under the node's 1 MiB request limit. */
#define SUBMIT_BATCH_MAX 64
#define SUBMIT_BATCH_BYTES (512u * 1024)
/* An upper bound on one request's JSON besides the record's hex. */
#define SUBMIT_REQ_OVERHEAD 160u
/* The salt of a private record (FORMATS.md "Private records"). */
#define SALT_LEN NT_RECORD_SALT_LEN
/* What a private record not committed in time leaves at its receipt's path
 * (docs/CLI.md): its record, salt and clear metadata, so that submitting it
 * again completes the receipt file instead of losing them. */
#define PENDING_FORMAT "notary-private-pending/1"

static const char submit_usage[] =
    "usage: notary submit [--node URL] --key KEY [--case C] [--title T] [--media-type M]\n"
    "                     [--private] [--no-file-name] [--alg ALG] [--timeout SEC]\n"
    "                     [--retry-for SEC] [--out RECEIPT] [--genesis G] FILE...\n\n"
    "Notarizes each FILE: hashes it on this machine (the file never leaves it), signs\n"
    "a record of the digest, size, time and metadata with KEY, submits it and waits\n"
    "for the block that commits it. Writes the receipt to FILE.receipt.json (or to\n"
    "--out for a single FILE) and prints, one line per file, the record id (the\n"
    "record's name on the ledger, not the file's digest), the file, its receipt\n"
    "and the block; for a single FILE also, labelled, the file's digest and the\n"
    "receipt file to keep and hand over with the file. Submitting a file whose\n"
    "receipt already exists beside it re-confirms that record instead of making a\n"
    "new one, so the earliest attested time is kept. Many FILEs are sent to the\n"
    "node together; on a terminal, progress is shown on stderr.\n\n"
    "Options:\n"
    "  -n, --node URL         node to submit to (default $NOTARY_NODE, the client\n"
    "                         settings file's node: notary client-config, or\n"
    "                         " NT_CLI_DEFAULT_NODE ")\n" NT_CLI_TLS_HELP
    "  -k, --key KEY          your key file from `notary keygen` (required)\n"
    "      --passphrase-file F  the passphrase of a protected KEY (default\n"
    "                         $NOTARY_PASSPHRASE_FILE)\n"
    "  -c, --case C           case reference, e.g. \"(2026) Zhe 0192 Min Chu 123\"\n"
    "  -t, --title T          a short description of the evidence\n"
    "  -m, --media-type M     e.g. application/pdf\n"
    "  -p, --private          a private record: the ledger gets neither the file's\n"
    "                         digest nor the metadata (see below)\n"
    "      --no-file-name     leave the file's name out of the metadata\n"
    "  -a, --alg ALG          sha256 (default), sha3-256, sm3 or sha512\n"
    "  -T, --timeout SEC      how long to wait for the commit (default 30)\n"
    "      --retry-for SEC    when the node refuses a record for a limit (rate, its\n"
    "                         share of the mempool), wait as long as it asks and send\n"
    "                         it again, waiting at most SEC in all (default 60; 0:\n"
    "                         never retry); each wait is one line on stderr\n"
    "  -o, --out RECEIPT      receipt path (only with a single FILE)\n"
    "  -g, --genesis G        also verify each receipt against this genesis file\n"
    "  -h, --help             show this help\n\n"
    "Metadata (case, title, media type and the file's base name) is public unless\n"
    "--private is given, and limited to 4096 bytes as JSON.\n\n"
    "Private records (--private). A fresh random 32-byte salt is drawn on this\n"
    "machine for each FILE. The record carries the digest of (salt, file digest)\n"
    "instead of the file's digest, a 32-byte commitment to (salt, metadata)\n"
    "instead of the metadata, and no file size.\n"
    "  What it hides: nobody can test a file they have or guess against the\n"
    "  ledger, and nobody who asks a node can read the case, title, media type\n"
    "  or file name.\n"
    "  What it costs: `notary find` by file no longer finds the record, and the\n"
    "  salt and the clear metadata are never sent to the node: the receipt file\n"
    "  written here (mode 0600) is the ONLY place they exist. Losing it loses the\n"
    "  ability to prove anything about the file; a receipt fetched again from a\n"
    "  node is not enough. Keep it safe, with a backup copy, and hand it only to\n"
    "  those who may see the metadata (a court, the other party).\n\n"
    "Exit codes: 0 all committed, 1 failed (also: still refused for a limit after\n"
    "--retry-for), 2 usage error or unreadable file/key, 3 still pending after the\n"
    "timeout.\n\n"
    "Example:\n"
    "  notary submit --key party.key --case \"(2026) Zhe 0192 Min Chu 123\" \\\n"
    "      --title \"chat export\" chat.zip\n"
    "  notary submit --private --key party.key --case \"(2026) Zhe 0192 Min Chu 123\" chat.zip\n";

/* ST_SAVE: the node's receipt checked, in `text`, not yet written. */
enum { ST_PENDING, ST_SAVE, ST_DONE, ST_FAILED };

typedef struct {
	const char *path;
	char *out_path;
	uint8_t rec[NT_RECORD_MAX];
	size_t rec_len;
	uint8_t digest[NT_DIGEST_MAX];
	size_t digest_len;
	nt_hash id;
	char id_hex[65];
	int state;
	bool sent;
	bool reused;  /* the record of an existing receipt, sent again */
	bool at_node; /* the node took it, or may have (no answer) */
	char *text;   /* the receipt to write (ST_SAVE) */
	/* Private records only: the salt and the clear metadata, which go into
	 * the receipt file and nowhere else (never to the node). */
	uint8_t salt[SALT_LEN];
	char *clear_meta;
	size_t text_len;
	uint64_t height;
	char attested[40];
} item;

typedef struct {
	const char *pass_path; /* --passphrase-file */
	const char *node, *key_path, *case_ref, *title, *media_type, *out, *genesis_path;
	int alg;
	bool private_rec;  /* --private */
	bool no_file_name; /* --no-file-name */
	uint64_t timeout_ms;
	uint64_t retry_for_ms; /* --retry-for */
	nt_pubkey pk;
	nt_genesis *genesis; /* only with --genesis */
} submit_opts;

static char *meta_json(const submit_opts *o, const char *path, const char **bad)
{
	json_t *m = json_object();
	const char *names[] = {"case", "title", "media_type"};
	const char *vals[] = {o->case_ref, o->title, o->media_type};
	const char *opts[] = {"--case", "--title", "--media-type"};
	for (int i = 0; i < 3; i++) {
		if (vals[i] == NULL)
			continue;
		json_t *s = json_string(vals[i]);
		if (s == NULL) {
			*bad = opts[i];
			json_decref(m);
			return NULL;
		}
		json_object_set_new(m, names[i], s);
	}
	if (!o->no_file_name) {
		json_t *fn = json_string(nt_cli_basename(path));
		if (fn == NULL) {
			*bad = "the file name";
			json_decref(m);
			return NULL;
		}
		json_object_set_new(m, "file_name", fn);
	}
	char *s = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(m);
	if (s == NULL)
		*bad = "metadata";
	return s;
}

/* A private record's salt, from this machine's CSPRNG (the kernel's, which
 * blocks only until it is seeded at boot). Never sent to a node. */
static int draw_salt(uint8_t salt[SALT_LEN])
{
	size_t got = 0;
	while (got < SALT_LEN) {
		ssize_t r = getrandom(salt + got, SALT_LEN - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return nt_cli_errorf(NT_EXIT_FAIL, "submit",
					     "the system gave no random bytes for the salt: %s",
					     r < 0 ? strerror(errno) : "none");
		got += (size_t)r;
	}
	return NT_EXIT_OK;
}

/* The fields of a private record (FORMATS.md "Private records") from the
 * salt, the file's digest and the clear metadata: version 2, both flags, the
 * salted digest and the commitment to the metadata. The size stays 0 ("not
 * disclosed"): a file's exact length narrows down which file it is, which is
 * what a private record hides. */
static nt_err private_fields(const uint8_t salt[SALT_LEN], const item *it, const char *meta,
			     nt_record *rec)
{
	size_t dl = 0;
	nt_err e =
	    nt_record_salted_digest(rec->alg, salt, it->digest, it->digest_len, rec->digest, &dl);
	if (e != NT_OK)
		return e;
	nt_hash c;
	nt_record_meta_commitment(salt, meta, strlen(meta), &c);
	rec->version = NT_RECORD_VERSION_2;
	rec->flags = NT_RECORD_FLAG_SALTED | NT_RECORD_FLAG_META;
	rec->digest_len = (uint8_t)dl;
	rec->size = 0;
	rec->meta_len = NT_HASH_LEN;
	memcpy(rec->meta, c.b, NT_HASH_LEN);
	rec->meta[NT_HASH_LEN] = '\0';
	return NT_OK;
}

/* The salt and clear metadata of a private record's receipt file (or
 * pending file): both present (*priv true), both absent (false), else an
 * exit code. *cmeta points into doc. */
static int receipt_private(const item *it, json_t *doc, bool *priv, uint8_t salt[SALT_LEN],
			   const char **cmeta)
{
	const char *salt_hex = nt_cli_jstr(doc, "salt", NULL);
	*cmeta = nt_cli_jstr(doc, "meta", NULL);
	*priv = salt_hex != NULL || *cmeta != NULL;
	if (*priv &&
	    (salt_hex == NULL || *cmeta == NULL || nt_hex_decode32(salt_hex, salt) != NT_OK))
		return nt_cli_errorf(NT_EXIT_FAIL, "submit",
				     "%s is a private record's receipt with a damaged salt or "
				     "metadata; keep it, and choose --out for a new receipt",
				     it->out_path);
	return NT_EXIT_OK;
}

/* The record of a private record's pending file (write_pending): decoded
 * into *rec and its bytes into it->rec. False if text is not one. */
static bool pending_record(item *it, json_t *doc, nt_record *rec)
{
	if (strcmp(nt_cli_jstr(doc, "format", ""), PENDING_FORMAT) != 0)
		return false;
	size_t len = 0;
	if (nt_hex_decode(nt_cli_jstr(doc, "record", ""), it->rec, sizeof it->rec, &len) != NT_OK ||
	    nt_record_decode(it->rec, len, rec, NULL) != NT_OK)
		return false;
	it->rec_len = len;
	return true;
}

/* An existing receipt at it->out_path: reuse its record if it is this file,
 * this key and this metadata; otherwise refuse rather than lose it (an older
 * receipt proves an earlier time). A private record's receipt is reused with
 * its own salt, which goes into the new receipt file again: overwriting it
 * with the node's copy would lose the salt and the metadata for good. So is
 * the pending file of a private record that was not committed in time. */
static int adopt_existing(item *it, const submit_opts *o, const char *meta)
{
	char *text = NULL;
	size_t len = 0;
	nt_why why = {{0}};
	nt_receipt *r = NULL;
	nt_record *rec = NULL;
	json_t *doc = NULL;
	if (nt_cli_read_file(it->out_path, NT_RECEIPT_V2_TEXT_MAX, &text, &len, &why) == NT_OK) {
		doc = json_loadb(text, len, 0, NULL);
		if (nt_receipt_parse(text, len, &r, &why) == NT_OK) {
			rec = &r->record;
			memcpy(it->rec, r->record_bytes, r->record_len);
			it->rec_len = r->record_len;
		} else if ((r = malloc(sizeof *r)) != NULL && pending_record(it, doc, &r->record)) {
			rec = &r->record;
		}
	}
	if (rec == NULL) {
		free(text);
		free(r);
		json_decref(doc);
		return nt_cli_errorf(NT_EXIT_FAIL, "submit",
				     "%s exists and is not a receipt; move it away or choose --out",
				     it->out_path);
	}
	bool priv = false;
	uint8_t salt[SALT_LEN];
	const char *cmeta = NULL;
	int rc = receipt_private(it, doc, &priv, salt, &cmeta);
	free(text);
	nt_record *want = NULL;
	if (rc == NT_EXIT_OK && priv != o->private_rec) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "submit",
				   "%s holds the receipt of a %s record; move it away or choose "
				   "--out",
				   it->out_path, priv ? "private" : "public (not --private)");
	} else if (rc == NT_EXIT_OK && priv) {
		/* What this file and metadata give with the receipt's salt. */
		want = calloc(1, sizeof *want);
		if (want == NULL) {
			rc = nt_cli_errorf(NT_EXIT_FAIL, "submit", "out of memory");
		} else {
			want->alg = (uint8_t)o->alg;
			want->digest_len = (uint8_t)it->digest_len;
			if (private_fields(salt, it, meta, want) != NT_OK)
				rc = nt_cli_errorf(NT_EXIT_FAIL, "submit",
						   "cannot check the private record of %s",
						   it->out_path);
		}
	}
	const uint8_t *digest = want != NULL ? want->digest : it->digest;
	if (rc != NT_EXIT_OK) {
		/* reported */
	} else if (rec->alg != o->alg || rec->digest_len != it->digest_len ||
		   memcmp(rec->digest, digest, it->digest_len) != 0) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "submit",
				   "%s holds the receipt of other content (the file changed, or "
				   "another --alg); move it away or choose --out",
				   it->out_path);
	} else if (memcmp(rec->submitter.b, o->pk.b, NT_PUBKEY_LEN) != 0 ||
		   (want == NULL && strcmp(rec->meta, meta) != 0) ||
		   (want != NULL && (rec->meta_len != want->meta_len ||
				     memcmp(rec->meta, want->meta, want->meta_len) != 0 ||
				     strcmp(cmeta, meta) != 0))) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "submit",
				   "%s already holds a receipt for this file from another key or "
				   "with other metadata; move it away or choose --out to keep both",
				   it->out_path);
	} else if (priv && (it->clear_meta = strdup(cmeta)) == NULL) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "submit", "out of memory");
	} else {
		if (priv)
			memcpy(it->salt, salt, SALT_LEN);
		it->reused = true;
	}
	explicit_bzero(salt, sizeof salt);
	json_decref(doc);
	free(want);
	free(r);
	return rc;
}

/* Hashes the file and builds its signed record. Returns an exit code. */
static int prepare(item *it, const submit_opts *o, const nt_seckey *key)
{
	nt_why why = {{0}};
	uint64_t size = 0;
	nt_err e = nt_digest_file(o->alg, it->path, it->digest, &it->digest_len, &size, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "submit", "cannot read %s: %s", it->path,
				     why.msg[0] ? why.msg : nt_strerror(e));
	const char *bad = NULL;
	char *meta = meta_json(o, it->path, &bad);
	if (meta == NULL)
		return nt_cli_errorf(NT_EXIT_USAGE, "submit", "%s is not valid UTF-8", bad);
	size_t mlen = strlen(meta);
	if (mlen > NT_META_MAX) {
		free(meta);
		return nt_cli_errorf(NT_EXIT_USAGE, "submit",
				     "the metadata for %s is %zu bytes as JSON; the limit is %d "
				     "(shorten --case / --title / --media-type)",
				     it->path, mlen, NT_META_MAX);
	}
	int rc = NT_EXIT_OK;
	if (nt_cli_exists(it->out_path)) {
		rc = adopt_existing(it, o, meta);
	} else {
		nt_record *rec = calloc(1, sizeof *rec);
		if (rec == NULL) {
			free(meta);
			return nt_cli_errorf(NT_EXIT_FAIL, "submit", "out of memory");
		}
		rec->alg = (uint8_t)o->alg;
		rec->digest_len = (uint8_t)it->digest_len;
		rec->client_time = nt_cli_now_ms();
		if (o->private_rec) {
			rc = draw_salt(it->salt);
			if (rc == NT_EXIT_OK && private_fields(it->salt, it, meta, rec) != NT_OK)
				rc =
				    nt_cli_errorf(NT_EXIT_FAIL, "submit",
						  "cannot build a private record for %s", it->path);
			if (rc == NT_EXIT_OK) {
				it->clear_meta = meta; /* for the receipt file */
				meta = NULL;
			}
		} else {
			rec->version = NT_RECORD_VERSION;
			memcpy(rec->digest, it->digest, it->digest_len);
			rec->size = size;
			rec->meta_len = (uint16_t)mlen;
			memcpy(rec->meta, meta, mlen + 1);
		}
		e = rc == NT_EXIT_OK ? nt_record_sign(rec, key) : NT_OK;
		if (rc == NT_EXIT_OK && e == NT_OK)
			e = nt_record_encode(rec, it->rec, sizeof it->rec, &it->rec_len);
		free(rec);
		if (rc == NT_EXIT_OK && e != NT_OK)
			rc = nt_cli_errorf(NT_EXIT_FAIL, "submit",
					   "cannot build the record for %s: %s", it->path,
					   nt_strerror(e));
	}
	free(meta);
	if (rc == NT_EXIT_OK) {
		nt_record_id(it->rec, it->rec_len, &it->id);
		nt_cli_hex32(it->id.b, it->id_hex);
	}
	return rc;
}

/* A private record the node took, or may have taken, without a receipt
 * here (not committed in time, no answer, or a receipt that cannot be
 * saved): its record, salt and clear metadata go to its receipt's path
 * (never over an existing file), so that submitting the same file again
 * completes the receipt file. Without it the salt, and with it any proof,
 * would be gone when this exits. A record the node refused needs none. */
static bool write_pending(const item *it)
{
	char salt_hex[2 * SALT_LEN + 1];
	char *hex = malloc(2 * it->rec_len + 1);
	if (hex == NULL)
		return false;
	nt_hex_encode(it->rec, it->rec_len, hex);
	nt_hex_encode(it->salt, SALT_LEN, salt_hex);
	json_t *doc =
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "format", PENDING_FORMAT, "record_id",
		      it->id_hex, "record", hex, "salt", salt_hex, "meta", it->clear_meta);
	free(hex);
	explicit_bzero(salt_hex, sizeof salt_hex);
	nt_why why = {{0}};
	bool ok = doc != NULL && nt_cli_write_json(it->out_path, doc, 0600, false, &why) == NT_OK;
	json_decref(doc);
	if (!ok)
		fprintf(stderr, "notary submit: cannot keep the salt of %s in %s: %s\n", it->path,
			it->out_path, why.msg[0] ? why.msg : "out of memory");
	return ok;
}

/* A progress line is on stderr's last line (only ever on a terminal). */
static bool progress_active;

static void item_fail(item *it, const char *fmt, ...) NT_PRINTF(2, 3);
static void item_fail(item *it, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (progress_active)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "%s  %s: ", it->id_hex, it->path);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	it->state = ST_FAILED;
}

/* A "committed" answer: check the receipt is for exactly our record, then
 * keep it for save_receipts. */
static void take_receipt(item *it, const submit_opts *o, json_t *res)
{
	json_t *rj = json_object_get(res, "receipt");
	const char *rid = nt_cli_jstr(res, "record_id", "");
	if (!json_is_object(rj) || strcmp(rid, it->id_hex) != 0) {
		item_fail(it, "%s", "the node's answer has no receipt for this record");
		return;
	}
	if (it->clear_meta != NULL &&
	    strcmp(nt_cli_jstr(rj, "format", ""), NT_RECEIPT_FORMAT_2) != 0) {
		/* A node that is not yet of version 2: its record was
		 * committed, but its receipt format cannot carry it. */
		item_fail(it,
			  "the node answers with %s receipts, which cannot hold a private "
			  "record (record version 2 needs notary-receipt/2)",
			  nt_cli_jstr(rj, "format", "unknown"));
		return;
	}
	if (it->clear_meta != NULL) {
		/* The party's copy of a private record's receipt: the node's
		 * receipt plus the salt and the clear metadata, which only this
		 * file will hold (FORMATS.md "Receipt, version 2"). */
		char salt_hex[2 * SALT_LEN + 1];
		nt_hex_encode(it->salt, SALT_LEN, salt_hex);
		int bad = json_object_set_new(rj, "salt", json_string(salt_hex)) |
			  json_object_set_new(rj, "meta", json_string(it->clear_meta));
		explicit_bzero(salt_hex, sizeof salt_hex);
		if (bad != 0) {
			item_fail(it, "%s", "out of memory");
			return;
		}
	}
	char *text = json_dumps(rj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	size_t len = text != NULL ? strlen(text) : 0;
	char *t2 = text != NULL ? realloc(text, len + 2) : NULL;
	if (t2 == NULL) {
		free(text);
		item_fail(it, "%s", "out of memory");
		return;
	}
	text = t2;
	memcpy(text + len, "\n", 2);
	len++;

	nt_why why = {{0}};
	nt_receipt *r = NULL;
	if (nt_receipt_parse(text, len, &r, &why) != NT_OK) {
		free(text);
		item_fail(it, "the node sent a malformed receipt: %s", why.msg);
		return;
	}
	bool same = r->record_len == it->rec_len &&
		    memcmp(r->record_bytes, it->rec, it->rec_len) == 0 &&
		    memcmp(r->record_id.b, it->id.b, NT_HASH_LEN) == 0;
	if (!same) {
		free(r);
		free(text);
		item_fail(it, "%s", "the node's receipt is not for the record we sent; not saved");
		return;
	}
	if (o->genesis != NULL &&
	    nt_receipt_verify(r, o->genesis, it->digest, it->digest_len, &why) != NT_OK) {
		free(r);
		free(text);
		item_fail(it, "the receipt does not verify against --genesis: %s; not saved",
			  why.msg);
		return;
	}
	/* Written with the other receipts of its batch (save_receipts). */
	char t[40];
	nt_cli_time_human(nt_commit_time(&r->commit), t);
	it->height = r->height;
	snprintf(it->attested, sizeof it->attested, "%s", t);
	free(r);
	it->text = text;
	it->text_len = len;
	it->state = ST_SAVE;
}

/* Writes the receipts of the k items that have one to save; each is durable
 * when this returns. */
static void save_receipts(item **its, size_t k, mode_t mode)
{
	nt_cli_wfile files[SUBMIT_BATCH_MAX];
	item *which[SUBMIT_BATCH_MAX];
	size_t m = 0;
	for (size_t i = 0; i < k && m < SUBMIT_BATCH_MAX; i++) {
		if (its[i]->state != ST_SAVE)
			continue;
		which[m] = its[i];
		files[m] = (nt_cli_wfile){
		    .path = its[i]->out_path, .data = its[i]->text, .len = its[i]->text_len};
		m++;
	}
	if (m == 0)
		return;
	nt_cli_write_files(files, m, mode);
	for (size_t i = 0; i < m; i++) {
		item *it = which[i];
		free(it->text);
		it->text = NULL;
		if (files[i].err == NT_OK)
			it->state = ST_DONE;
		else
			item_fail(it, "cannot save the receipt: %s", files[i].why.msg);
	}
}

/* Handles one submit/receipt answer; a refusal for a limit reaches here
 * only once retry is spent. Returns false if the node is gone. */
static bool handle(item *it, const submit_opts *o, const nt_cli_retry *retry, nt_rpc_outcome oc,
		   json_t *res, const nt_rpc_status *st)
{
	if (oc == NT_RPC_TRANSPORT) {
		it->at_node = true; /* unknown: it may have arrived */
		item_fail(it, "error: %s", st->message);
		return false;
	}
	if (oc == NT_RPC_ERROR) {
		char msg[600];
		snprintf(msg, sizeof msg, "%s (code %ld)", st->message, st->code);
		if (st->code == NT_RPC_E_NOT_FOUND)
			item_fail(it, "the node no longer knows this record (%s); submit again",
				  msg);
		else if (st->code == NT_RPC_E_BUSY)
			item_fail(it, "the node is busy, try again later: %s", msg);
		else if (nt_cli_rpc_retryable(st) && o->retry_for_ms == 0)
			item_fail(it, "%s; not retried (--retry-for 0): %s",
				  nt_cli_rpc_limit_name(st), msg);
		else if (nt_cli_rpc_retryable(st))
			item_fail(it,
				  "%s; gave up after waiting %.1f s in all (--retry-for %llu): %s",
				  nt_cli_rpc_limit_name(st), (double)retry->waited_ms / 1000.0,
				  (unsigned long long)(o->retry_for_ms / 1000), msg);
		else
			item_fail(it, "error: %s", msg);
		return true;
	}
	const char *status = nt_cli_jstr(res, "status", "");
	if (strcmp(status, "committed") == 0) {
		it->at_node = true;
		take_receipt(it, o, res);
	} else if (strcmp(status, "pending") == 0) {
		it->at_node = true;
		it->state = ST_PENDING;
	} else {
		item_fail(it, "the node answered with an unknown status '%s'", status);
	}
	return true;
}

static int wait_ms_left(uint64_t deadline)
{
	uint64_t now = nt_cli_mono_ms();
	uint64_t left = deadline > now ? deadline - now : 0;
	return (int)(left > NT_CLI_MAX_WAIT_MS ? NT_CLI_MAX_WAIT_MS : left);
}

typedef struct {
	nt_cli_rpc *c;
	const submit_opts *o;
	bool alive;	    /* false once the node is gone */
	bool batches;	    /* false once the node refused a batch as a whole */
	bool progress;	    /* stderr is a terminal and there are many files */
	size_t n, done;	    /* for the progress line */
	uint64_t deadline;  /* for the commit, on the monotonic clock */
	nt_cli_retry retry; /* the waits on the node's limits so far (--retry-for) */
} session;

static void progress_show(session *s, const char *what)
{
	if (!s->progress)
		return;
	fprintf(stderr, "\r\033[Knotary submit: %s %zu/%zu", what, s->done, s->n);
	fflush(stderr);
}

static void progress_clear(const session *s)
{
	if (s->progress)
		fputs("\r\033[K", stderr);
}

/* The params of a submit (the record) or receipt (its id) for it. On out of
 * memory the item has failed and *oom is set. */
static json_t *params_for(item *it, bool submit, int wait, bool *oom)
{
	if (!submit)
		return json_pack("{s:s, s:i}", "record_id", it->id_hex, "wait_ms", wait);
	char *hex = malloc(2 * it->rec_len + 1);
	if (hex == NULL) {
		item_fail(it, "%s", "out of memory");
		*oom = true;
		return NULL;
	}
	nt_hex_encode(it->rec, it->rec_len, hex);
	json_t *params = json_pack("{s:s, s:i}", "record", hex, "wait_ms", wait);
	free(hex);
	return params;
}

/* Waits out a refusal for a limit before its n requests go again, within
 * --retry-for; false: give up. The commit timeout counts from when the node
 * takes a record, so the wait moves it on. */
static bool retry_wait(session *s, const nt_rpc_status *st, unsigned attempt, size_t n)
{
	if (!nt_cli_rpc_retryable(st))
		return false;
	uint64_t before = s->retry.waited_ms;
	progress_clear(s);
	if (!nt_cli_retry_wait(&s->retry, "submit", st, attempt, n))
		return false;
	s->deadline += s->retry.waited_ms - before;
	return true;
}

/* One request for it, sent again while the node refuses it for a limit.
 * Returns false if the node is gone. */
static bool send_one(session *s, item *it, const char *method, int wait)
{
	bool submit = strcmp(method, "submit") == 0;
	for (unsigned attempt = 1;; attempt++) {
		bool oom = false;
		json_t *params = params_for(it, submit, wait, &oom);
		if (oom)
			return true;
		it->sent = true;
		json_t *res = NULL;
		nt_rpc_status st;
		nt_rpc_outcome oc =
		    nt_cli_rpc_call(s->c, method, params, wait + NT_CLI_CONNECT_MS * 2, &res, &st);
		if (oc == NT_RPC_ERROR && retry_wait(s, &st, attempt + 1, 1)) {
			if (!submit)
				wait = wait_ms_left(s->deadline);
			continue;
		}
		bool alive = handle(it, s->o, &s->retry, oc, res, &st);
		json_decref(res);
		return alive;
	}
}

/* One request per item, as the CLI always did: for a single file, and for
 * nodes that do not take batches. Stops at the first item the node is gone
 * for (the rest stay unsent), and receipts when the time is up. */
static void send_each(session *s, item **its, size_t k, const char *method, int wait)
{
	bool submit = strcmp(method, "submit") == 0;
	for (size_t i = 0; i < k && s->alive; i++) {
		if (!submit && (wait = wait_ms_left(s->deadline)) == 0)
			break;
		s->alive = send_one(s, its[i], method, wait);
	}
}

/* One round of a batch: sends go[0..n) as one message and handles the
 * answers. Returns how many items it moved to the front of go to be sent
 * again: those the node refused for a limit, once the wait it asked for is
 * over (the longest of them: one wait per round, not one per request). */
static size_t batch_round(session *s, item **go, size_t n, nt_cli_rpc_req *reqs, const char *method,
			  int wait, unsigned attempt)
{
	bool submit = strcmp(method, "submit") == 0;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		bool oom = false;
		json_t *params = params_for(go[i], submit, wait, &oom);
		if (oom)
			continue;
		go[m] = go[i]; /* compact: items that failed above are not sent */
		reqs[m].method = method;
		reqs[m].params = params;
		if (submit)
			go[m]->sent = true;
		m++;
	}
	if (m == 0)
		return 0;
	nt_rpc_status st;
	nt_rpc_outcome oc = nt_cli_rpc_batch(s->c, reqs, m, wait + NT_CLI_CONNECT_MS * 2, &st);
	if (oc == NT_RPC_ERROR && !nt_cli_rpc_retryable(&st)) {
		/* Nothing was executed (e.g. -32600 from a node without batches):
		 * one request per file from here on. */
		s->batches = false;
		send_each(s, go, m, method, wait);
		return 0;
	}
	/* The connection's own limit answers the whole message: nothing was
	 * executed, so all of it goes again. */
	if (oc == NT_RPC_ERROR && retry_wait(s, &st, attempt + 1, m))
		return m;
	size_t limited = 0;
	const nt_rpc_status *longest = NULL;
	for (size_t i = 0; i < m; i++) {
		if (oc == NT_RPC_RESULT && nt_cli_rpc_retryable(&reqs[i].st)) {
			if (longest == NULL || reqs[i].st.retry_after_ms > longest->retry_after_ms)
				longest = &reqs[i].st;
			limited++;
		} else if (!handle(go[i], s->o, &s->retry, reqs[i].st.outcome, reqs[i].result,
				   &reqs[i].st)) {
			s->alive = false;
		}
		json_decref(reqs[i].result);
		reqs[i].result = NULL;
	}
	bool again = limited > 0 && s->alive && retry_wait(s, longest, attempt + 1, limited);
	size_t k = 0;
	for (size_t i = 0; i < m && limited > 0; i++) {
		if (oc != NT_RPC_RESULT || !nt_cli_rpc_retryable(&reqs[i].st))
			continue;
		if (again)
			go[k++] = go[i];
		else
			handle(go[i], s->o, &s->retry, reqs[i].st.outcome, NULL, &reqs[i].st);
	}
	return k;
}

/* The k items as one batch of `method` requests, in rounds while the node
 * refuses some for a limit; falls back to send_each (now and for the rest
 * of the run) when the node refuses the batch. its is left as it was. */
static void send_batch(session *s, item **its, size_t k, const char *method, int wait)
{
	if (!s->batches || k == 1) {
		send_each(s, its, k, method, wait);
		return;
	}
	bool submit = strcmp(method, "submit") == 0;
	nt_cli_rpc_req *reqs = calloc(k, sizeof *reqs);
	item **go = malloc(k * sizeof *go);
	if (reqs == NULL || go == NULL) {
		free(reqs);
		free(go);
		send_each(s, its, k, method, wait);
		return;
	}
	memcpy(go, its, k * sizeof *go);
	size_t n = k;
	for (unsigned attempt = 1; n > 0 && s->alive; attempt++) {
		n = batch_round(s, go, n, reqs, method, wait, attempt);
		if (!submit)
			wait = wait_ms_left(s->deadline);
	}
	free(reqs);
	free(go);
}

/* The next batch: up to SUBMIT_BATCH_MAX items from items[*from] on that
 * pass keep(), within SUBMIT_BATCH_BYTES of JSON. Advances *from past the
 * items looked at. */
static size_t next_batch(item *items, size_t n, size_t *from, bool (*keep)(const item *),
			 size_t hex_bytes_each, item **out)
{
	size_t k = 0, bytes = 2;
	size_t i = *from;
	for (; i < n && k < SUBMIT_BATCH_MAX; i++) {
		if (!keep(&items[i]))
			continue;
		size_t b =
		    (hex_bytes_each ? hex_bytes_each : 2 * items[i].rec_len) + SUBMIT_REQ_OVERHEAD;
		if (k > 0 && bytes + b > SUBMIT_BATCH_BYTES)
			break;
		bytes += b;
		out[k++] = &items[i];
	}
	*from = i;
	return k;
}

static bool is_unsent(const item *it)
{
	return !it->sent && it->state == ST_PENDING;
}

/* What a person needs to know about a committed record, labelled: the
 * first line of its output is for scripts. */
static void print_labels(const submit_opts *o, const item *it)
{
	char hex[2 * NT_DIGEST_MAX + 1];
	const char *alg = nt_digest_name(o->alg) != NULL ? nt_digest_name(o->alg) : "?";
	nt_hex_encode(it->digest, it->digest_len, hex);
	printf("    Record id:          %s\n"
	       "                        (names the record on the ledger; it is not the file's "
	       "digest)\n",
	       it->id_hex);
	printf("    The file's digest:  %s %s%s\n", alg, hex,
	       it->clear_meta != NULL ? " (private: only its salted digest is on the ledger)" : "");
	printf("    Keep and hand over: %s, with the file %s\n", it->out_path, it->path);
	size_t pl = strlen(it->path);
	bool beside = strncmp(it->out_path, it->path, pl) == 0 &&
		      strcmp(it->out_path + pl, ".receipt.json") == 0;
	printf("                        a judge checks them with: notary verify --genesis "
	       "GENESIS %s%s%s%s\n",
	       beside ? "" : "--receipt ", beside ? "" : it->out_path, beside ? "" : " ", it->path);
}

static bool is_waiting(const item *it)
{
	return it->sent && it->state == ST_PENDING;
}

static int run_submit(const submit_opts *o, item *items, size_t n)
{
	nt_why why = {{0}};
	nt_cli_rpc *c = NULL;
	if (nt_cli_rpc_open(o->node, &c, &why) != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "submit", "cannot use node URL %s: %s", o->node,
				     why.msg);
	/* A quick call first, so that a node that is not running is reported in
	 * seconds rather than after the whole commit timeout. */
	nt_rpc_status st;
	json_t *res = NULL;
	if (nt_cli_rpc_call(c, "status", NULL, NT_CLI_CONNECT_MS, &res, &st) == NT_RPC_TRANSPORT) {
		nt_cli_rpc_close(c);
		nt_cli_rpc_report("submit", &st);
		fprintf(stderr, "notary submit: nothing was submitted.\n");
		return NT_EXIT_FAIL;
	}
	json_decref(res);

	item **batch = malloc(SUBMIT_BATCH_MAX * sizeof *batch);
	if (batch == NULL) {
		nt_cli_rpc_close(c);
		return nt_cli_errorf(NT_EXIT_FAIL, "submit", "out of memory");
	}
	session s = {.c = c,
		     .o = o,
		     .alive = true,
		     .batches = true,
		     .progress = n > SUBMIT_BATCH_MAX && isatty(STDERR_FILENO),
		     .n = n,
		     .retry = {.budget_ms = o->retry_for_ms}};
	progress_active = s.progress;
	/* A private record's receipt holds its salt and clear metadata. */
	mode_t mode = o->private_rec ? 0600 : 0644;
	if (n == 1) {
		/* One file: wait in the submit itself. */
		s.deadline = nt_cli_mono_ms() + o->timeout_ms;
		batch[0] = &items[0];
		send_each(&s, batch, 1, "submit", wait_ms_left(s.deadline));
		save_receipts(batch, 1, mode);
	} else {
		/* Several: send all without waiting, then collect, so that the
		 * first wait covers the block shared by many of them. */
		size_t from = 0;
		while (s.alive && from < n) {
			size_t k = next_batch(items, n, &from, is_unsent, 0, batch);
			if (from >= n) /* the timeout counts from the last record sent */
				s.deadline = nt_cli_mono_ms() + o->timeout_ms;
			if (k == 0)
				break;
			send_batch(&s, batch, k, "submit", 0);
			save_receipts(batch, k, mode);
			s.done = from;
			progress_show(&s, "sent");
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!items[i].sent && items[i].state == ST_PENDING)
			item_fail(&items[i], "%s", "not submitted");
	/* Collect the receipts, the earliest files first; a batch answers when
	 * its last record is committed or the wait is up. */
	while (s.alive) {
		int wait = wait_ms_left(s.deadline);
		if (wait == 0)
			break;
		size_t from = 0;
		size_t k = next_batch(items, n, &from, is_waiting, 64, batch);
		if (k == 0)
			break;
		send_batch(&s, batch, k, "receipt", wait);
		save_receipts(batch, k, mode);
		s.done = 0;
		for (size_t i = 0; i < n; i++)
			s.done += items[i].state == ST_DONE;
		progress_show(&s, "committed");
	}
	progress_clear(&s);
	progress_active = false;
	free(batch);

	int rc = NT_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		item *it = &items[i];
		if (it->state == ST_DONE) {
			printf("%s  %s -> %s (block %llu, attested %s%s)\n", it->id_hex, it->path,
			       it->out_path, (unsigned long long)it->height, it->attested,
			       it->reused ? "; already notarized" : "");
			if (n == 1)
				print_labels(o, it);
		} else if (it->state == ST_FAILED) {
			rc = NT_EXIT_FAIL;
			/* The node has it, or may have: it may yet commit it. */
			if (it->clear_meta != NULL && it->at_node &&
			    (it->reused || write_pending(it)))
				printf("    %s: its salt and metadata are kept in %s; submitting "
				       "the same file again with the same options is safe and "
				       "completes its receipt.\n",
				       it->path, it->out_path);
		} else if (it->state == ST_PENDING) {
			if (rc == NT_EXIT_OK)
				rc = NT_EXIT_PENDING;
			printf("%s  %s: pending, not committed within %llu s.\n", it->id_hex,
			       it->path, (unsigned long long)(o->timeout_ms / 1000));
			if (it->clear_meta == NULL)
				printf("    Fetch the receipt later with: notary receipt --node %s "
				       "--out %s %s\n",
				       o->node, it->out_path, it->id_hex);
			else if (it->reused || write_pending(it))
				printf("    Its salt and metadata are kept in %s. To complete the "
				       "receipt, submit the same file again with the same options "
				       "(--private); `notary receipt` alone cannot add them.\n",
				       it->out_path);
			else
				rc = NT_EXIT_FAIL;
		}
	}
	size_t done = 0;
	for (size_t i = 0; i < n; i++)
		done += items[i].state == ST_DONE;
	/* For people, indented like every note below a file's line, so that
	 * scripts that read one line per file skip it. */
	if (n > 1 && done > 0)
		printf("    The first column is each record's id (it names the record on the "
		       "ledger; it is not the file's digest).\n"
		       "    Keep each FILE.receipt.json beside its file and hand both over; a "
		       "judge checks them with: notary verify --genesis GENESIS FILE...\n");
	bool any_private = false;
	for (size_t i = 0; i < n; i++)
		any_private |= items[i].state == ST_DONE && items[i].clear_meta != NULL;
	if (any_private)
		fprintf(stderr,
			"notary submit: private records: each receipt file is the only copy of "
			"its record's salt and metadata. Keep it safe, with a backup copy: "
			"without it nothing about the file can be proved.\n");
	if (!s.alive)
		fprintf(stderr,
			"notary submit: lost the node at %s; records marked failed may or "
			"may not have arrived (submitting again is safe).\n",
			o->node);
	nt_cli_rpc_close(c);
	return rc;
}

static int submit_files(submit_opts *o, char **files, size_t n)
{
	nt_why why = {{0}};
	nt_seckey *key = NULL;
	nt_err e = nt_key_load(o->key_path, nt_cli_passphrase_file(o->pass_path), &key, &why);
	if (e != NT_OK)
		return nt_cli_errorf(e == NT_ERR_MISMATCH ? NT_EXIT_FAIL : NT_EXIT_USAGE, "submit",
				     "cannot use key %s: %s", o->key_path,
				     why.msg[0] ? why.msg : nt_strerror(e));
	nt_seckey_pubkey(key, &o->pk);

	int rc = NT_EXIT_OK;
	item *items = calloc(n, sizeof *items);
	if (items == NULL) {
		nt_seckey_free(key);
		return nt_cli_errorf(NT_EXIT_FAIL, "submit", "out of memory");
	}
	for (size_t i = 0; i < n && rc == NT_EXIT_OK; i++) {
		item *it = &items[i];
		it->path = files[i];
		if (o->out != NULL) {
			it->out_path = strdup(o->out);
		} else {
			size_t l = strlen(files[i]) + sizeof ".receipt.json";
			it->out_path = malloc(l);
			if (it->out_path != NULL)
				snprintf(it->out_path, l, "%s.receipt.json", files[i]);
		}
		if (it->out_path == NULL) {
			rc = nt_cli_errorf(NT_EXIT_FAIL, "submit", "out of memory");
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(items[j].out_path, it->out_path) == 0)
				rc = nt_cli_usage_error("submit", "%s is given twice", files[i]);
		if (rc == NT_EXIT_OK)
			rc = prepare(it, o, key);
	}
	nt_seckey_free(key);
	if (rc != NT_EXIT_OK)
		fprintf(stderr, "notary submit: nothing was submitted.\n");
	else
		rc = run_submit(o, items, n);
	for (size_t i = 0; i < n; i++) {
		free(items[i].out_path);
		free(items[i].text);
		free(items[i].clear_meta);
		explicit_bzero(items[i].salt, SALT_LEN);
	}
	free(items);
	return rc;
}

/* Long options without a short form. */
enum { OPT_NO_FILE_NAME = 256, OPT_PASSPHRASE_FILE, OPT_RETRY_FOR };

int nt_cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"node", required_argument, NULL, 'n'},
	    NT_CLI_TLS_LONGOPTS,
	    {"key", required_argument, NULL, 'k'},
	    {"case", required_argument, NULL, 'c'},
	    {"title", required_argument, NULL, 't'},
	    {"media-type", required_argument, NULL, 'm'},
	    {"alg", required_argument, NULL, 'a'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"retry-for", required_argument, NULL, OPT_RETRY_FOR},
	    {"out", required_argument, NULL, 'o'},
	    {"genesis", required_argument, NULL, 'g'},
	    {"private", no_argument, NULL, 'p'},
	    {"no-file-name", no_argument, NULL, OPT_NO_FILE_NAME},
	    {"passphrase-file", required_argument, NULL, OPT_PASSPHRASE_FILE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	submit_opts o = {
	    .node = NULL, .alg = NT_ALG_SHA256, .timeout_ms = 30000, .retry_for_ms = 60000};
	uint64_t secs;
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":n:k:c:t:m:a:T:o:g:ph", opts)) != -1) {
		switch (c) {
		case 'n':
			o.node = optarg;
			break;
		case NT_CLI_OPT_CA:
		case NT_CLI_OPT_PIN:
			nt_cli_tls_option(c, optarg);
			break;
		case 'k':
			o.key_path = optarg;
			break;
		case OPT_PASSPHRASE_FILE:
			o.pass_path = optarg;
			break;
		case 'c':
			o.case_ref = optarg;
			break;
		case 't':
			o.title = optarg;
			break;
		case 'm':
			o.media_type = optarg;
			break;
		case 'a':
			o.alg = nt_digest_from_name(optarg);
			if (o.alg == 0)
				return nt_cli_usage_error("submit",
							  "unknown --alg '%s' (use sha256, "
							  "sha3-256, sm3 or sha512)",
							  optarg);
			break;
		case 'T':
			if (!nt_cli_parse_u64(optarg, &secs) || secs > 86400)
				return nt_cli_usage_error("submit",
							  "--timeout takes seconds, 0-86400");
			o.timeout_ms = secs * 1000;
			break;
		case OPT_RETRY_FOR:
			if (!nt_cli_parse_u64(optarg, &secs) || secs > 86400)
				return nt_cli_usage_error("submit",
							  "--retry-for takes seconds, 0-86400");
			o.retry_for_ms = secs * 1000;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'g':
			o.genesis_path = optarg;
			break;
		case 'p':
			o.private_rec = true;
			break;
		case OPT_NO_FILE_NAME:
			o.no_file_name = true;
			break;
		case 'h':
			fputs(submit_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (o.key_path == NULL)
		return nt_cli_usage_error("submit", "--key KEY is required (create one with "
						    "`notary keygen --out party.key`)");
	if (optind >= argc)
		return nt_cli_usage_error("submit", "give at least one FILE to notarize");
	size_t n = (size_t)(argc - optind);
	if (o.out != NULL && n != 1)
		return nt_cli_usage_error("submit", "--out works with a single FILE only");

	int rc = nt_cli_settings_load("submit");
	if (rc >= 0)
		return rc;
	if (o.node == NULL)
		o.node = nt_cli_default_node();
	if (o.genesis_path != NULL) {
		nt_why why = {{0}};
		o.genesis = malloc(sizeof *o.genesis);
		if (o.genesis == NULL)
			return nt_cli_errorf(NT_EXIT_FAIL, "submit", "out of memory");
		nt_err e = nt_genesis_load(o.genesis_path, o.genesis, &why);
		if (e != NT_OK) {
			free(o.genesis);
			return nt_cli_errorf(NT_EXIT_USAGE, "submit",
					     "cannot use genesis file %s: %s", o.genesis_path,
					     why.msg[0] ? why.msg : nt_strerror(e));
		}
	}
	rc = submit_files(&o, argv + optind, n);
	free(o.genesis);
	return rc;
}
