/* Node queries: find, receipt, status, block, validators. Each prints a
 * human summary by default and, with --json, the RPC result as is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/hex.h"
#include "core/receipt.h"
#include "crypto/digest.h"
#include "node/digest_file.h"
#include "node/passfile.h"
#include "tools/cli.h"
#include "tools/cli_tls.h"

#define NODE_HELP                                                                                  \
	"  -n, --node URL   node to ask (default $NOTARY_NODE, the client settings\n"              \
	"                   file's node: notary client-config, or " NT_CLI_DEFAULT_NODE ")\n"      \
	"  -j, --json       print the node's JSON result\n"                                        \
	"  -k, --key FILE   sign the request with this client key (a node with\n"                  \
	"                   access.public 0 answers only listed keys; docs/RPC.md)\n"              \
	"  -P, --passphrase-file F  the key file's passphrase (or NOTARY_PASSPHRASE_FILE)\n"       \
	"  -h, --help       show this help\n" NT_CLI_TLS_HELP

/* Options every query takes. */
typedef struct {
	const char *node;
	bool json;
} query_opts;

/* Opens the node, calls method and on success hands back the result;
 * otherwise prints why and returns the exit code (not-found is 1 too). */
static int call(const char *cmd, const query_opts *q, const char *method, json_t *params,
		int timeout_ms, json_t **res, nt_rpc_status *st)
{
	nt_why why = {{0}};
	nt_cli_rpc *c = NULL;
	if (nt_cli_rpc_open(q->node, &c, &why) != NT_OK) {
		/* The callers report st: say it there, once. */
		(void)cmd;
		json_decref(params);
		st->outcome = NT_RPC_TRANSPORT;
		st->code = 0;
		snprintf(st->message, sizeof st->message, "cannot use node URL %s: %s", q->node,
			 why.msg);
		return NT_EXIT_FAIL;
	}
	nt_rpc_outcome oc = nt_cli_rpc_call(c, method, params, timeout_ms, res, st);
	nt_cli_rpc_close(c);
	return oc == NT_RPC_RESULT ? NT_EXIT_OK : NT_EXIT_FAIL;
}

/* Prints "  label value" with the value made safe for a terminal. */
static void field(const char *label, const char *value)
{
	printf("%-14s", label);
	nt_cli_put_safe(stdout, value != NULL ? value : "-");
	fputc('\n', stdout);
}

static void field_u64(const char *label, const json_t *obj, const char *key)
{
	uint64_t v;
	if (nt_cli_ju64(obj, key, &v))
		printf("%-14s%llu\n", label, (unsigned long long)v);
}

static void field_time(const char *label, const json_t *obj, const char *key)
{
	const char *iso = nt_cli_jstr(obj, key, NULL);
	if (iso == NULL)
		return;
	char t[64];
	nt_cli_iso_human(iso, t);
	field(label, t);
}

/* Common option loop. Returns -1 to continue, or an exit code. */
static int parse_common(int argc, char **argv, const char *usage, const char *extra_short,
			const struct option *extra, query_opts *q,
			int (*on_extra)(int c, void *arg), void *arg)
{
	struct option opts[18];
	size_t n = 0;
	opts[n++] = (struct option){"node", required_argument, NULL, 'n'};
	opts[n++] = (struct option){"ca", required_argument, NULL, NT_CLI_OPT_CA};
	opts[n++] = (struct option){"pin", required_argument, NULL, NT_CLI_OPT_PIN};
	opts[n++] = (struct option){"json", no_argument, NULL, 'j'};
	opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	opts[n++] = (struct option){"key", required_argument, NULL, 'k'};
	opts[n++] = (struct option){"passphrase-file", required_argument, NULL, 'P'};
	for (size_t i = 0; extra != NULL && extra[i].name != NULL && n < 17; i++)
		opts[n++] = extra[i];
	opts[n] = (struct option){NULL, 0, NULL, 0};
	char shortopts[32];
	snprintf(shortopts, sizeof shortopts, ":n:jhk:P:%s", extra_short);
	const char *key = NULL, *pass = NULL;

	q->node = NULL;
	q->json = false;
	int c;
	while ((c = nt_cli_getopt(argc, argv, shortopts, opts)) != -1) {
		switch (c) {
		case 'n':
			q->node = optarg;
			break;
		case 'j':
			q->json = true;
			break;
		case 'k':
			key = optarg;
			break;
		case 'P':
			pass = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return NT_EXIT_OK;
		case '?':
			return NT_EXIT_USAGE;
		case NT_CLI_OPT_CA:
		case NT_CLI_OPT_PIN:
			nt_cli_tls_option(c, optarg);
			break;
		default:
			if (on_extra == NULL || on_extra(c, arg) != 0)
				return NT_EXIT_USAGE;
		}
	}
	int rc = nt_cli_settings_load(argv[0]);
	if (rc >= 0)
		return rc;
	if (q->node == NULL)
		q->node = nt_cli_default_node();
	if (key != NULL) {
		/* kept until the process exits: every request is signed */
		static nt_seckey *client;
		nt_why why = {{0}};
		nt_err e = nt_key_load(key, nt_cli_passphrase_file(pass), &client, &why);
		if (e != NT_OK)
			return nt_cli_errorf(NT_EXIT_FAIL, argv[0], "%s",
					     why.msg[0] ? why.msg : nt_strerror(e));
		nt_cli_rpc_sign_with(client);
	}
	return -1;
}

/* ---- find ---- */

static const char find_usage[] =
    "usage: notary find [--node URL] [--alg ALG] [--json] FILE\n"
    "       notary find [--node URL] [--alg ALG] [--json] --digest HEX\n\n"
    "Asks a node whether a file was notarized, and when and by whom. The file is\n"
    "hashed on this machine; only its digest is sent. Private records (`notary\n"
    "submit --private`) are not found by their file, by design: their receipt\n"
    "file is the proof.\n\n"
    "Options:\n"
    "  -d, --digest HEX  look up this digest instead of hashing a file\n"
    "  -a, --alg ALG     sha256 (default), sha3-256, sm3 or sha512\n" NODE_HELP "\n"
    "Exit codes: 0 found, 1 not found or failed, 2 usage error or unreadable file.\n\n"
    "Example:\n"
    "  notary find contract.pdf\n";

typedef struct {
	const char *digest;
	int alg;
} find_args;

static int find_extra(int c, void *arg)
{
	find_args *a = arg;
	if (c == 'd') {
		a->digest = optarg;
		return 0;
	}
	if (c == 'a') {
		a->alg = nt_digest_from_name(optarg);
		if (a->alg == 0) {
			nt_cli_usage_error("find", "unknown --alg '%s'", optarg);
			return 1;
		}
		return 0;
	}
	return 1;
}

static void print_found(const json_t *rec)
{
	printf("record %s\n", nt_cli_jstr(rec, "record_id", "?"));
	uint64_t h = 0, leaf = 0, size = 0;
	nt_cli_ju64(rec, "height", &h);
	nt_cli_ju64(rec, "leaf_index", &leaf);
	char t[64];
	nt_cli_iso_human(nt_cli_jstr(rec, "time", NULL), t);
	printf("  block %llu (leaf %llu), existed no later than %s\n", (unsigned long long)h,
	       (unsigned long long)leaf, t);
	nt_cli_iso_human(nt_cli_jstr(rec, "client_time", NULL), t);
	printf("  submitted by key %s (client time %s)\n", nt_cli_jstr(rec, "submitter", "?"), t);
	if (nt_cli_ju64(rec, "size", &size) && size != 0)
		printf("  size %llu bytes\n", (unsigned long long)size);
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)json_object_get(rec, "meta"), key, v)
	{
		printf("  ");
		nt_cli_put_safe(stdout, key);
		printf(": ");
		if (json_is_string(v)) {
			nt_cli_put_safe(stdout, json_string_value(v));
		} else {
			char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			nt_cli_put_safe(stdout, s != NULL ? s : "?");
			free(s);
		}
		fputc('\n', stdout);
	}
}

int nt_cmd_find(int argc, char **argv)
{
	static const struct option extra[] = {
	    {"digest", required_argument, NULL, 'd'},
	    {"alg", required_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	query_opts q;
	find_args a = {NULL, NT_ALG_SHA256};
	int rc = parse_common(argc, argv, find_usage, "d:a:", extra, &q, find_extra, &a);
	if (rc >= 0)
		return rc;
	if (a.digest != NULL && optind < argc)
		return nt_cli_usage_error("find", "give either FILE or --digest, not both");
	if (a.digest == NULL && argc - optind != 1)
		return nt_cli_usage_error("find", "give one FILE (or --digest HEX)");

	uint8_t d[NT_DIGEST_MAX];
	size_t dlen = 0;
	nt_why why = {{0}};
	if (a.digest != NULL) {
		if (nt_hex_decode(a.digest, d, sizeof d, &dlen) != NT_OK ||
		    dlen != nt_digest_len(a.alg))
			return nt_cli_usage_error("find", "--digest must be %zu hex digits for %s",
						  2 * nt_digest_len(a.alg), nt_digest_name(a.alg));
	} else {
		nt_err e = nt_digest_file(a.alg, argv[optind], d, &dlen, NULL, &why);
		if (e != NT_OK)
			return nt_cli_errorf(NT_EXIT_USAGE, "find", "cannot read %s: %s",
					     argv[optind], why.msg[0] ? why.msg : nt_strerror(e));
	}
	char hex[2 * NT_DIGEST_MAX + 1];
	nt_hex_encode(d, dlen, hex);
	json_t *params = json_pack("{s:s, s:s}", "digest", hex, "alg", nt_digest_name(a.alg));
	json_t *res = NULL;
	nt_rpc_status st;
	rc = call("find", &q, "find", params, NT_CLI_CONNECT_MS, &res, &st);
	if (rc != NT_EXIT_OK) {
		if (st.outcome == NT_RPC_ERROR && st.code == NT_RPC_E_NOT_FOUND) {
			printf("not found: no record of %s %s on this chain\n",
			       nt_digest_name(a.alg), hex);
			return NT_EXIT_FAIL;
		}
		return nt_cli_rpc_report("find", &st);
	}
	json_t *recs = json_object_get(res, "records");
	if (q.json) {
		nt_cli_put_json(stdout, res);
	} else {
		size_t n = json_array_size(recs);
		printf("%s %s: %zu record%s\n", nt_digest_name(a.alg), hex, n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++)
			print_found(json_array_get(recs, i));
	}
	rc = json_array_size(recs) > 0 ? NT_EXIT_OK : NT_EXIT_FAIL;
	json_decref(res);
	return rc;
}

/* ---- receipt ---- */

static const char receipt_usage[] =
    "usage: notary receipt [--node URL] [--out FILE] [--wait SEC] RECORD_ID\n\n"
    "Fetches the receipt of a committed record (e.g. one `notary submit` left\n"
    "pending). Prints it, or writes it atomically to FILE. FILE may already hold\n"
    "this record's receipt, or the file `notary submit --private` leaves for a\n"
    "private record without a receipt yet: its salt and metadata, which no node\n"
    "has, are kept in the new receipt (docs/CLI.md).\n\n"
    "Options:\n"
    "  -o, --out FILE   write the receipt to FILE instead of printing it\n"
    "  -w, --wait SEC   wait up to SEC seconds for a pending record (default 0)\n" NODE_HELP "\n"
    "Exit codes: 0 committed, 1 unknown record or failed, 2 usage error, 3 pending.\n\n"
    "Example:\n"
    "  notary receipt --out contract.pdf.receipt.json b3826e14e83e543a...\n";

typedef struct {
	const char *out;
	uint64_t wait_s;
} receipt_args;

static int receipt_extra(int c, void *arg)
{
	receipt_args *a = arg;
	if (c == 'o') {
		a->out = optarg;
		return 0;
	}
	if (c == 'w') {
		if (!nt_cli_parse_u64(optarg, &a->wait_s) || a->wait_s > 60) {
			nt_cli_usage_error("receipt", "--wait takes seconds, 0-60");
			return 1;
		}
		return 0;
	}
	return 1;
}

/* What `notary submit` leaves for a private record without a receipt yet
 * (docs/CLI.md). */
#define PENDING_FORMAT "notary-private-pending/1"

/* The file at out, which a receipt for idhex is about to replace: it must be
 * this record's receipt, or the pending file of this private record. A
 * private record's salt and clear metadata exist only in that file, so they
 * are copied into rj: fetching a receipt again must never drop them.
 * Returns 1 if copied, 0 if the file has none, -1 (printed) if it is not
 * this record's or its salt and metadata are incomplete. */
static int keep_private(const char *out, json_t *rj, const char *idhex)
{
	char *old = NULL;
	size_t olen = 0;
	nt_why why = {{0}};
	nt_receipt *r = NULL;
	json_t *doc = NULL;
	int rc = -1;
	if (nt_cli_read_file(out, NT_RECEIPT_V2_TEXT_MAX, &old, &olen, &why) == NT_OK &&
	    (doc = json_loadb(old, olen, 0, NULL)) != NULL &&
	    strcasecmp(nt_cli_jstr(doc, "record_id", ""), idhex) == 0 &&
	    (strcmp(nt_cli_jstr(doc, "format", ""), PENDING_FORMAT) == 0 ||
	     nt_receipt_parse(old, olen, &r, &why) == NT_OK)) {
		json_t *salt = json_object_get(doc, "salt"), *meta = json_object_get(doc, "meta");
		if (salt == NULL && meta == NULL)
			rc = 0;
		else if (json_is_string(salt) && json_is_string(meta) &&
			 json_object_set(rj, "salt", salt) == 0 &&
			 json_object_set(rj, "meta", meta) == 0)
			rc = 1;
	}
	if (rc < 0)
		nt_cli_errorf(NT_EXIT_FAIL, "receipt",
			      "%s exists and is not this record's receipt; refusing to "
			      "overwrite it",
			      out);
	free(old);
	free(r);
	json_decref(doc);
	return rc;
}

/* A private record's receipt with the salt and clear metadata kept from the
 * old file: the metadata must be the one the record commits to. */
static bool commitment_matches(const nt_receipt *r)
{
	const nt_record *rec = &r->record;
	if (!r->has_salt || !r->has_meta)
		return false;
	if (!(rec->flags & NT_RECORD_FLAG_META))
		return true;
	nt_hash c;
	nt_record_meta_commitment(r->salt, r->meta, r->meta_len, &c);
	return rec->meta_len == NT_HASH_LEN && memcmp(c.b, rec->meta, NT_HASH_LEN) == 0;
}

/* Checks the receipt names id, then writes it (never over another record's,
 * and keeping a private record's salt and metadata, keep_private). */
static int save_receipt(const char *out, json_t *rj, const nt_hash *id)
{
	char idhex[65];
	nt_cli_hex32(id->b, idhex);
	int priv = 0;
	if (out != NULL && nt_cli_exists(out) && (priv = keep_private(out, rj, idhex)) < 0)
		return NT_EXIT_FAIL;
	char *text = json_dumps(rj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text == NULL)
		return nt_cli_errorf(NT_EXIT_FAIL, "receipt", "out of memory");
	size_t len = strlen(text);
	char *t2 = realloc(text, len + 2);
	if (t2 == NULL) {
		free(text);
		return nt_cli_errorf(NT_EXIT_FAIL, "receipt", "out of memory");
	}
	text = t2;
	memcpy(text + len++, "\n", 2);
	nt_why why = {{0}};
	nt_receipt *r = NULL;
	int rc = NT_EXIT_OK;
	if (nt_receipt_parse(text, len, &r, &why) != NT_OK) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "receipt", "the node sent a malformed receipt: %s",
				   why.msg);
	} else if (memcmp(r->record_id.b, id->b, NT_HASH_LEN) != 0) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "receipt",
				   "the node sent a receipt for another "
				   "record; not saved");
	} else if (priv && !commitment_matches(r)) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "receipt",
				   "the salt and metadata in %s do not match this record; "
				   "not saved",
				   out);
	}
	free(r);
	if (rc == NT_EXIT_OK && out == NULL) {
		fputs(text, stdout);
	} else if (rc == NT_EXIT_OK &&
		   nt_cli_write_file(out, text, len, priv ? 0600 : 0644, true, &why) != NT_OK) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "receipt", "%s", why.msg);
	}
	free(text);
	return rc;
}

int nt_cmd_receipt(int argc, char **argv)
{
	static const struct option extra[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"wait", required_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0},
	};
	query_opts q;
	receipt_args a = {NULL, 0};
	int rc = parse_common(argc, argv, receipt_usage, "o:w:", extra, &q, receipt_extra, &a);
	if (rc >= 0)
		return rc;
	nt_hash id;
	if (argc - optind != 1)
		return nt_cli_usage_error("receipt", "give one RECORD_ID");
	if (nt_hex_decode32(argv[optind], id.b) != NT_OK)
		return nt_cli_usage_error("receipt", "RECORD_ID must be 64 hex digits");
	char idhex[65];
	nt_cli_hex32(id.b, idhex);
	int wait = (int)(a.wait_s * 1000);
	json_t *params = json_pack("{s:s, s:i}", "record_id", idhex, "wait_ms", wait);
	json_t *res = NULL;
	nt_rpc_status st;
	rc = call("receipt", &q, "receipt", params, wait + NT_CLI_CONNECT_MS, &res, &st);
	if (rc != NT_EXIT_OK) {
		if (st.outcome == NT_RPC_ERROR && st.code == NT_RPC_E_NOT_FOUND) {
			fprintf(stderr, "error: the node knows no record %s (code %ld)\n", idhex,
				st.code);
			return NT_EXIT_FAIL;
		}
		return nt_cli_rpc_report("receipt", &st);
	}
	const char *status = nt_cli_jstr(res, "status", "");
	if (strcmp(status, "committed") == 0) {
		if (q.json && a.out == NULL) {
			nt_cli_put_json(stdout, res);
		} else {
			rc = save_receipt(a.out, json_object_get(res, "receipt"), &id);
			if (rc == NT_EXIT_OK && a.out != NULL) {
				uint64_t h = 0;
				nt_cli_ju64(res, "height", &h);
				printf("%s -> %s (block %llu)\n", idhex, a.out,
				       (unsigned long long)h);
			}
		}
	} else if (strcmp(status, "pending") == 0) {
		if (q.json)
			nt_cli_put_json(stdout, res);
		else
			printf("%s: pending (waiting in the node's mempool for a block); try "
			       "again shortly\n",
			       idhex);
		rc = NT_EXIT_PENDING;
	} else {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "receipt", "unknown status '%s' from the node",
				   status);
	}
	json_decref(res);
	return rc;
}

/* ---- status ---- */

static const char status_usage[] = "usage: notary status [--node URL] [--json]\n\n"
				   "Shows a node's chain, height, tip, log and mempool.\n\n"
				   "Options:\n" NODE_HELP "\n"
				   "Example:\n"
				   "  notary status --node tcp://127.0.0.1:7400\n";

int nt_cmd_status(int argc, char **argv)
{
	query_opts q;
	int rc = parse_common(argc, argv, status_usage, "", NULL, &q, NULL, NULL);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return nt_cli_usage_error("status", "unexpected argument '%s'", argv[optind]);
	json_t *res = NULL;
	nt_rpc_status st;
	if (call("status", &q, "status", NULL, NT_CLI_CONNECT_MS, &res, &st) != NT_EXIT_OK)
		return nt_cli_rpc_report("status", &st);
	if (q.json) {
		nt_cli_put_json(stdout, res);
	} else {
		printf("node          %s\n", q.node);
		field("chain", nt_cli_jstr(res, "chain_id", "?"));
		if (json_object_get(res, "fingerprint") != NULL)
			field("fingerprint", nt_cli_jstr(res, "fingerprint", "?"));
		field_u64("height", res, "height");
		field("tip hash", nt_cli_jstr(res, "tip_hash", "-"));
		field_time("tip time", res, "tip_time");
		field_u64("log size", res, "log_size");
		field("log root", nt_cli_jstr(res, "log_root", "-"));
		json_t *mp = json_object_get(res, "mempool");
		uint64_t mr = 0, mb = 0;
		if (nt_cli_ju64(mp, "records", &mr) && nt_cli_ju64(mp, "bytes", &mb))
			printf("%-14s%llu records, %llu bytes\n", "mempool", (unsigned long long)mr,
			       (unsigned long long)mb);
		field_u64("validators", res, "validators");
		uint64_t ch = 0, rd = 0, heard = 0, age = 0;
		if (nt_cli_ju64(res, "consensus_height", &ch) && nt_cli_ju64(res, "round", &rd))
			printf("%-14sheight %llu, round %llu, %s\n", "consensus",
			       (unsigned long long)ch, (unsigned long long)rd,
			       nt_cli_jstr(res, "step", "?"));
		uint64_t hh = 0;
		if (nt_cli_ju64(res, "height", &hh) && hh > 0 &&
		    nt_cli_ju64(res, "last_block_age_ms", &age))
			printf("%-14s%.1f s ago\n", "last block", (double)age / 1000.0);
		if (nt_cli_ju64(res, "offices_heard", &heard)) {
			json_t *silent = json_object_get(res, "offices_silent");
			printf("%-14s%llu office%s heard from (this one included)%s", "peers",
			       (unsigned long long)heard, heard == 1 ? "" : "s",
			       json_is_true(json_object_get(res, "quorum_visible"))
				   ? ", a quorum"
				   : ", NO QUORUM: nothing can commit");
			for (size_t i = 0; i < json_array_size(silent); i++) {
				printf(i ? ", " : "; silent: ");
				nt_cli_put_safe(stdout,
						json_string_value(json_array_get(silent, i)));
			}
			printf("\n");
		}
		json_t *isv = json_object_get(res, "is_validator");
		printf("%-14s%s%s\n", "node key", nt_cli_jstr(res, "node_pubkey", "-"),
		       json_is_true(isv) ? " (validator)" : "");
		/* Says it where the operator looks first, not only in the log. */
		json_t *sb = json_object_get(res, "store_behind_sign_state");
		uint64_t sh = 0, need = 0;
		if (json_is_object(sb) && nt_cli_ju64(sb, "store_height", &sh) &&
		    nt_cli_ju64(sb, "needed_height", &need))
			printf(
			    "%-14sSTORE BEHIND: it holds height %llu, this validator had reached "
			    "%llu; %s (see the node's log)\n",
			    "warning", (unsigned long long)sh, (unsigned long long)need,
			    json_is_true(json_object_get(sb, "read_only"))
				? "read-only, it never signs"
				: "it signs again once caught up");
		field("version", nt_cli_jstr(res, "version", "-"));
	}
	json_decref(res);
	return NT_EXIT_OK;
}

/* ---- block ---- */

static const char block_usage[] = "usage: notary block [--node URL] [--json] HEIGHT\n\n"
				  "Shows the block at HEIGHT: hash, times, proposer, signers and "
				  "record ids.\n\n"
				  "Options:\n" NODE_HELP "\n"
				  "Example:\n"
				  "  notary block 1 --json\n";

int nt_cmd_block(int argc, char **argv)
{
	query_opts q;
	int rc = parse_common(argc, argv, block_usage, "", NULL, &q, NULL, NULL);
	if (rc >= 0)
		return rc;
	uint64_t height;
	if (argc - optind != 1)
		return nt_cli_usage_error("block", "give one HEIGHT");
	if (!nt_cli_parse_u64(argv[optind], &height) || height == 0 || height > INT64_MAX)
		return nt_cli_usage_error("block", "HEIGHT must be a number from 1");
	json_t *params = json_pack("{s:I}", "height", (json_int_t)height);
	json_t *res = NULL;
	nt_rpc_status st;
	if (call("block", &q, "block", params, NT_CLI_CONNECT_MS, &res, &st) != NT_EXIT_OK) {
		if (st.outcome == NT_RPC_ERROR && st.code == NT_RPC_E_NOT_FOUND) {
			fprintf(stderr, "error: no block %llu on this node (code %ld)\n",
				(unsigned long long)height, st.code);
			return NT_EXIT_FAIL;
		}
		return nt_cli_rpc_report("block", &st);
	}
	if (q.json) {
		nt_cli_put_json(stdout, res);
	} else {
		field_u64("height", res, "height");
		field("hash", nt_cli_jstr(res, "hash", "?"));
		field_time("time", res, "time");
		field_time("attested", res, "attested_time");
		field("proposer", nt_cli_jstr(res, "proposer", "?"));
		field("prev hash", nt_cli_jstr(res, "prev_hash", "?"));
		field("records root", nt_cli_jstr(res, "records_root", "?"));
		field("log root", nt_cli_jstr(res, "log_root", "?"));
		field_u64("log size", res, "log_size");
		json_t *signers = json_object_get(res, "signers");
		printf("%-14s", "signers");
		for (size_t i = 0; i < json_array_size(signers); i++) {
			json_t *s = json_array_get(signers, i);
			printf("%s%lld", i ? ", " : "", (long long)json_integer_value(s));
		}
		fputc('\n', stdout);
		json_t *recs = json_object_get(res, "records");
		printf("%-14s%zu\n", "records", json_array_size(recs));
		for (size_t i = 0; i < json_array_size(recs); i++) {
			printf("  ");
			const char *id = json_string_value(json_array_get(recs, i));
			nt_cli_put_safe(stdout, id != NULL ? id : "?");
			fputc('\n', stdout);
		}
	}
	json_decref(res);
	return NT_EXIT_OK;
}

/* ---- validators ---- */

static const char validators_usage[] =
    "usage: notary validators [--node URL] [--json]\n\n"
    "Lists the validators that commit the next block: the genesis set until a\n"
    "set change (notary valset show lists every set).\n\n"
    "Options:\n" NODE_HELP "\n"
    "Example:\n"
    "  notary validators\n";

int nt_cmd_validators(int argc, char **argv)
{
	query_opts q;
	int rc = parse_common(argc, argv, validators_usage, "", NULL, &q, NULL, NULL);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return nt_cli_usage_error("validators", "unexpected argument '%s'", argv[optind]);
	json_t *res = NULL;
	nt_rpc_status st;
	if (call("validators", &q, "validators", NULL, NT_CLI_CONNECT_MS, &res, &st) != NT_EXIT_OK)
		return nt_cli_rpc_report("validators", &st);
	if (q.json) {
		nt_cli_put_json(stdout, res);
	} else {
		json_t *vals = json_object_get(res, "validators");
		uint64_t quorum = 0;
		nt_cli_ju64(res, "quorum", &quorum);
		printf("chain ");
		nt_cli_put_safe(stdout, nt_cli_jstr(res, "chain_id", "?"));
		printf(": %zu validator%s, quorum %llu, validators_hash %s\n",
		       json_array_size(vals), json_array_size(vals) == 1 ? "" : "s",
		       (unsigned long long)quorum, nt_cli_jstr(res, "validators_hash", "?"));
		for (size_t i = 0; i < json_array_size(vals); i++) {
			json_t *v = json_array_get(vals, i);
			uint64_t idx = i;
			nt_cli_ju64(v, "index", &idx);
			printf("  %3llu  %s  ", (unsigned long long)idx,
			       nt_cli_jstr(v, "pubkey", "?"));
			nt_cli_put_safe(stdout, nt_cli_jstr(v, "name", ""));
			fputc('\n', stdout);
		}
	}
	json_decref(res);
	return NT_EXIT_OK;
}
