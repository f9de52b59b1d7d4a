/* notary submit: hash files locally, sign one evidence record per file,
 * submit them, wait for their block and save each receipt beside its file.
 *
 * The file itself never leaves the machine: only its digest, size and the
 * metadata the party chose go into the record. All files are hashed and
 * their records signed before anything is sent, so a missing file or an
 * oversized metadata fails with nothing submitted. Records are sent without
 * waiting except the last, whose wait usually covers the block holding all
 * of them; stragglers are then collected with `receipt`. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/receipt.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "tools/cli.h"

static const char submit_usage[] =
    "usage: notary submit [--node URL] --key KEY [--case C] [--title T] [--media-type M]\n"
    "                     [--alg ALG] [--timeout SEC] [--out RECEIPT] [--genesis G] FILE...\n\n"
    "Notarizes each FILE: hashes it on this machine (the file never leaves it), signs\n"
    "a record of the digest, size, time and metadata with KEY, submits it and waits\n"
    "for the block that commits it. Writes the receipt to FILE.receipt.json (or to\n"
    "--out for a single FILE) and prints the record id. Submitting a file whose\n"
    "receipt already exists beside it re-confirms that record instead of making a\n"
    "new one, so the earliest attested time is kept.\n\n"
    "Options:\n"
    "  -n, --node URL         node to submit to (default $NOTARY_NODE or " NT_CLI_DEFAULT_NODE ")\n"
    "  -k, --key KEY          your key file from `notary keygen` (required)\n"
    "  -c, --case C           case reference, e.g. \"(2026) Zhe 0192 Min Chu 123\"\n"
    "  -t, --title T          a short description of the evidence\n"
    "  -m, --media-type M     e.g. application/pdf\n"
    "  -a, --alg ALG          sha256 (default), sha3-256, sm3 or sha512\n"
    "  -T, --timeout SEC      how long to wait for the commit (default 30)\n"
    "  -o, --out RECEIPT      receipt path (only with a single FILE)\n"
    "  -g, --genesis G        also verify each receipt against this genesis file\n"
    "  -h, --help             show this help\n\n"
    "Metadata (case, title, media type and the file's base name) is public and\n"
    "limited to 4096 bytes as JSON. Exit codes: 0 all committed, 1 failed,\n"
    "2 usage error or unreadable file/key, 3 still pending after the timeout.\n\n"
    "Example:\n"
    "  notary submit --key party.key --case \"(2026) Zhe 0192 Min Chu 123\" \\\n"
    "      --title \"chat export\" chat.zip\n";

enum { ST_PENDING, ST_DONE, ST_FAILED };

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
	bool reused; /* the record of an existing receipt, sent again */
	uint64_t height;
	char attested[40];
} item;

typedef struct {
	const char *node, *key_path, *case_ref, *title, *media_type, *out, *genesis_path;
	int alg;
	uint64_t timeout_ms;
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
	json_t *fn = json_string(nt_cli_basename(path));
	if (fn == NULL) {
		*bad = "the file name";
		json_decref(m);
		return NULL;
	}
	json_object_set_new(m, "file_name", fn);
	char *s = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(m);
	if (s == NULL)
		*bad = "metadata";
	return s;
}

/* An existing receipt at it->out_path: reuse its record if it is this file,
 * this key and this metadata; otherwise refuse rather than lose it (an older
 * receipt proves an earlier time). */
static int adopt_existing(item *it, const submit_opts *o, const char *meta)
{
	char *text = NULL;
	size_t len = 0;
	nt_why why = {{0}};
	nt_receipt *r = NULL;
	if (nt_cli_read_file(it->out_path, NT_RECEIPT_TEXT_MAX, &text, &len, &why) != NT_OK ||
	    nt_receipt_parse(text, len, &r, &why) != NT_OK) {
		free(text);
		return nt_cli_errorf(NT_EXIT_FAIL, "submit",
				     "%s exists and is not a receipt; move it away or choose --out",
				     it->out_path);
	}
	free(text);
	const nt_record *rec = &r->record;
	int rc = NT_EXIT_OK;
	if (rec->alg != o->alg || rec->digest_len != it->digest_len ||
	    memcmp(rec->digest, it->digest, it->digest_len) != 0) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "submit",
				   "%s holds the receipt of other content (the file changed, or "
				   "another --alg); move it away or choose --out",
				   it->out_path);
	} else if (memcmp(rec->submitter.b, o->pk.b, NT_PUBKEY_LEN) != 0 ||
		   strcmp(rec->meta, meta) != 0) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "submit",
				   "%s already holds a receipt for this file from another key or "
				   "with other metadata; move it away or choose --out to keep both",
				   it->out_path);
	} else {
		memcpy(it->rec, r->record_bytes, r->record_len);
		it->rec_len = r->record_len;
		it->reused = true;
	}
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
		rec->version = NT_RECORD_VERSION;
		rec->alg = (uint8_t)o->alg;
		rec->digest_len = (uint8_t)it->digest_len;
		memcpy(rec->digest, it->digest, it->digest_len);
		rec->size = size;
		rec->client_time = nt_cli_now_ms();
		rec->meta_len = (uint16_t)mlen;
		memcpy(rec->meta, meta, mlen + 1);
		e = nt_record_sign(rec, key);
		if (e == NT_OK)
			e = nt_record_encode(rec, it->rec, sizeof it->rec, &it->rec_len);
		free(rec);
		if (e != NT_OK)
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

static void item_fail(item *it, const char *fmt, ...) NT_PRINTF(2, 3);
static void item_fail(item *it, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s  %s: ", it->id_hex, it->path);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	it->state = ST_FAILED;
}

/* A "committed" answer: check the receipt is for exactly our record, then
 * write it. */
static void take_receipt(item *it, const submit_opts *o, json_t *res)
{
	json_t *rj = json_object_get(res, "receipt");
	const char *rid = nt_cli_jstr(res, "record_id", "");
	if (!json_is_object(rj) || strcmp(rid, it->id_hex) != 0) {
		item_fail(it, "%s", "the node's answer has no receipt for this record");
		return;
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
	nt_err e = nt_cli_write_file(it->out_path, text, len, 0644, true, &why);
	free(text);
	if (e != NT_OK) {
		free(r);
		item_fail(it, "cannot save the receipt: %s", why.msg);
		return;
	}
	char t[40];
	nt_cli_time_human(nt_commit_time(&r->commit), t);
	it->height = r->height;
	snprintf(it->attested, sizeof it->attested, "%s", t);
	free(r);
	it->state = ST_DONE;
}

/* Handles one submit/receipt answer. Returns false if the node is gone. */
static bool handle(item *it, const submit_opts *o, nt_rpc_outcome oc, json_t *res,
		   const nt_rpc_status *st)
{
	if (oc == NT_RPC_TRANSPORT) {
		item_fail(it, "error: %s", st->message);
		return false;
	}
	if (oc == NT_RPC_ERROR) {
		char msg[600];
		snprintf(msg, sizeof msg, "%s (code %ld)", st->message, st->code);
		if (st->code == NT_RPC_NOT_FOUND)
			item_fail(it, "the node no longer knows this record (%s); submit again",
				  msg);
		else if (st->code == NT_RPC_BUSY)
			item_fail(it, "the node is busy, try again later: %s", msg);
		else
			item_fail(it, "error: %s", msg);
		return true;
	}
	const char *status = nt_cli_jstr(res, "status", "");
	if (strcmp(status, "committed") == 0)
		take_receipt(it, o, res);
	else if (strcmp(status, "pending") == 0)
		it->state = ST_PENDING;
	else
		item_fail(it, "the node answered with an unknown status '%s'", status);
	return true;
}

static int wait_ms_left(uint64_t deadline)
{
	uint64_t now = nt_cli_mono_ms();
	uint64_t left = deadline > now ? deadline - now : 0;
	return (int)(left > NT_CLI_MAX_WAIT_MS ? NT_CLI_MAX_WAIT_MS : left);
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

	bool alive = true;
	uint64_t deadline = 0;
	for (size_t i = 0; i < n && alive; i++) {
		item *it = &items[i];
		bool last = i + 1 == n;
		if (last)
			deadline = nt_cli_mono_ms() + o->timeout_ms;
		/* One file: wait in the submit itself. Several: send all, then
		 * collect in order, so the first wait covers the shared block. */
		int wait = last && n == 1 ? wait_ms_left(deadline) : 0;
		char *hex = malloc(2 * it->rec_len + 1);
		if (hex == NULL) {
			item_fail(it, "%s", "out of memory");
			continue;
		}
		nt_hex_encode(it->rec, it->rec_len, hex);
		it->sent = true;
		json_t *params = json_pack("{s:s, s:i}", "record", hex, "wait_ms", wait);
		free(hex);
		res = NULL;
		nt_rpc_outcome oc =
		    nt_cli_rpc_call(c, "submit", params, wait + NT_CLI_CONNECT_MS * 2, &res, &st);
		alive = handle(it, o, oc, res, &st);
		json_decref(res);
	}
	for (size_t i = 0; i < n; i++) {
		item *it = &items[i];
		if (!it->sent) {
			item_fail(it, "%s", "not submitted");
			continue;
		}
		while (alive && it->state == ST_PENDING) {
			int wait = wait_ms_left(deadline);
			if (wait == 0)
				break;
			json_t *params =
			    json_pack("{s:s, s:i}", "record_id", it->id_hex, "wait_ms", wait);
			res = NULL;
			nt_rpc_outcome oc = nt_cli_rpc_call(
			    c, "receipt", params, wait + NT_CLI_CONNECT_MS * 2, &res, &st);
			alive = handle(it, o, oc, res, &st);
			json_decref(res);
		}
	}

	int rc = NT_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		item *it = &items[i];
		if (it->state == ST_DONE) {
			printf("%s  %s -> %s (block %llu, attested %s%s)\n", it->id_hex, it->path,
			       it->out_path, (unsigned long long)it->height, it->attested,
			       it->reused ? "; already notarized" : "");
		} else if (it->state == ST_FAILED) {
			rc = NT_EXIT_FAIL;
		} else if (it->state == ST_PENDING) {
			if (rc == NT_EXIT_OK)
				rc = NT_EXIT_PENDING;
			printf("%s  %s: pending, not committed within %llu s.\n", it->id_hex,
			       it->path, (unsigned long long)(o->timeout_ms / 1000));
			printf(
			    "    Fetch the receipt later with: notary receipt --node %s --out %s "
			    "%s\n",
			    o->node, it->out_path, it->id_hex);
		}
	}
	if (!alive)
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
	nt_err e = nt_keyfile_read(o->key_path, &key, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "submit", "cannot use key %s: %s", o->key_path,
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
	for (size_t i = 0; i < n; i++)
		free(items[i].out_path);
	free(items);
	return rc;
}

int nt_cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"node", required_argument, NULL, 'n'},
	    {"key", required_argument, NULL, 'k'},
	    {"case", required_argument, NULL, 'c'},
	    {"title", required_argument, NULL, 't'},
	    {"media-type", required_argument, NULL, 'm'},
	    {"alg", required_argument, NULL, 'a'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"out", required_argument, NULL, 'o'},
	    {"genesis", required_argument, NULL, 'g'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	submit_opts o = {.node = nt_cli_default_node(), .alg = NT_ALG_SHA256, .timeout_ms = 30000};
	uint64_t secs;
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":n:k:c:t:m:a:T:o:g:h", opts)) != -1) {
		switch (c) {
		case 'n':
			o.node = optarg;
			break;
		case 'k':
			o.key_path = optarg;
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
		case 'o':
			o.out = optarg;
			break;
		case 'g':
			o.genesis_path = optarg;
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

	int rc;
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
