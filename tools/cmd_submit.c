/* notary submit: hash files locally, sign one evidence record per file,
 * submit them, wait for their block and save each receipt beside its file.
 *
 * The file itself never leaves the machine: only its digest, size and the
 * metadata the party chose go into the record. All files are hashed and
 * their records signed before anything is sent, so a missing file or an
 * oversized metadata fails with nothing submitted. This file holds the
 * options and the order of the steps: submit_prepare.c builds each record,
 * submit_send.c sends them and saves the receipts (submit_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/digest.h"
#include "crypto/keys.h"
#include "node/genesis_file.h"
#include "node/passfile.h"
#include "tools/cli.h"
#include "tools/cli_tls.h"
#include "tools/submit_internal.h"

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
			rc = nt_submit_prepare(it, o, key);
	}
	nt_seckey_free(key);
	if (rc != NT_EXIT_OK)
		fprintf(stderr, "notary submit: nothing was submitted.\n");
	else
		rc = nt_submit_run(o, items, n);
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
