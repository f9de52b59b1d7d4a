/* notary genesis: look at a genesis file, and make one in the set-up
 * ceremony. `notary genesis fingerprint FILE` prints the fingerprint people
 * compare (FORMATS.md version 2, "Genesis file and chain identity"): read
 * aloud on the phone, printed on certificates, published on a court's site.
 * `assemble` (the coordinator) and `check` (each office) are the middle of
 * the ceremony (docs/OPERATIONS.md "Setting up a network of offices"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "core/genesis.h"
#include "node/genesis_file.h"
#include "tools/cli.h"
#include "tools/office.h"

static const char genesis_usage[] =
    "usage: notary genesis fingerprint FILE\n"
    "       notary genesis assemble --chain-id ID [--genesis-time TIME] --out FILE\n"
    "                               OFFICE.json...\n"
    "       notary genesis check FILE --home DIR [--fingerprint FP]\n\n"
    "fingerprint  prints the fingerprint of a version 2 genesis file (\"format\":\n"
    "    \"notary-genesis/2\"): the first 16 bytes of its genesis_hash in hex, four\n"
    "    groups of 8 digits, e.g. 3f2a9c1e-77b0d4e2-9a1c5f03-be6d2a71. Two genesis\n"
    "    files with the same fingerprint anchor the same network: same chain_id,\n"
    "    genesis_time, validator keys and office names. notary verify prints it with\n"
    "    every verdict. A version 1 genesis file has no fingerprint (exit 1).\n"
    "assemble  (the coordinator of the set-up ceremony) builds a notary-genesis/2\n"
    "    file from the offices' public office.json files (notary office init).\n"
    "    The order of the files is the validator order (it decides who proposes\n"
    "    first). Refuses a malformed office file, two offices with one key, two\n"
    "    offices with one name (judges tell offices apart by name) or one p2p URL,\n"
    "    and an existing FILE. Prints the fingerprint for the offices to compare.\n"
    "check  (each office) checks the genesis it received: its own entry is there\n"
    "    with the key and name of DIR/office.json, the others are well formed,\n"
    "    and (with --fingerprint) the fingerprint is the one read out to it. Prints\n"
    "    the fingerprint and the offices in validator order; exit 1 with the\n"
    "    reason otherwise.\n\n"
    "Options:\n"
    "  -c, --chain-id ID       assemble: the chain id, 1-50 of [a-z0-9._-]\n"
    "  -t, --genesis-time T    assemble: YYYY-MM-DDTHH:MM:SS.sssZ (default: now)\n"
    "  -o, --out FILE          assemble: the genesis file to write\n"
    "  -d, --home DIR          check: the office's home (office.json, validator.key)\n"
    "  -f, --fingerprint FP    check: refuse a genesis whose fingerprint is not FP\n"
    "  -h, --help              show this help\n\n"
    "Example:\n"
    "  notary genesis fingerprint genesis.json\n"
    "  notary genesis assemble --chain-id court-net --out genesis.json \\\n"
    "      a/office.json b/office.json c/office.json d/office.json\n"
    "  notary genesis check genesis.json --home /srv/notary\n";

static int fingerprint(const char *path)
{
	nt_genesis *g = malloc(sizeof *g);
	if (g == NULL)
		return nt_cli_errorf(NT_EXIT_FAIL, "genesis", "out of memory");
	nt_why why = {{0}};
	nt_err e = nt_genesis_load(path, g, &why);
	int rc;
	if (e != NT_OK) {
		rc = nt_cli_errorf(NT_EXIT_USAGE, "genesis", "cannot use genesis file %s: %s", path,
				   why.msg[0] ? why.msg : nt_strerror(e));
	} else if (!nt_genesis_is_v2(g)) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "genesis",
				   "%s is a version 1 genesis file (no \"format\": "
				   "\"notary-genesis/2\"): it has no fingerprint",
				   path);
	} else {
		char fp[NT_FINGERPRINT_LEN + 1];
		nt_genesis_fingerprint(&g->genesis_hash, fp);
		printf("%s\n", fp);
		rc = NT_EXIT_OK;
	}
	free(g);
	return rc;
}

static void put_quoted(FILE *f, const char *name)
{
	fputc('"', f);
	nt_cli_put_safe(f, name);
	fputc('"', f);
}

static void print_genesis(const char *path, const nt_genesis *g, int me)
{
	char fp[NT_FINGERPRINT_LEN + 1], tbuf[40];
	nt_genesis_fingerprint(&g->genesis_hash, fp);
	nt_cli_time_human(g->genesis_time, tbuf);
	printf("%s: chain \"%s\", genesis time %s\n", path, g->chain_id, tbuf);
	printf("fingerprint %s\n", fp);
	printf("%u office%s in validator order (index, public key, name):\n", (unsigned)g->vals.n,
	       g->vals.n == 1 ? "" : "s");
	nt_office_print_set(g, me);
}

/* Refusals of assemble, one office against those before it. */
static int assemble_add(const char *path, const nt_office *o, const nt_office *all,
			const char **paths, unsigned n)
{
	for (unsigned j = 0; j < n; j++) {
		const char *what = NULL;
		if (memcmp(all[j].pubkey.b, o->pubkey.b, NT_PUBKEY_LEN) == 0)
			what = "the same public key";
		else if (strcmp(all[j].name, o->name) == 0)
			what = "the same name";
		else if (strcmp(all[j].p2p, o->p2p) == 0)
			what = "the same p2p URL";
		if (what == NULL)
			continue;
		fprintf(stderr, "notary genesis: %s (", paths[j]);
		put_quoted(stderr, all[j].name);
		fprintf(stderr, ") and %s (", path);
		put_quoted(stderr, o->name);
		fprintf(stderr,
			") have %s: each office must appear once, under a name of its "
			"own\n",
			what);
		return NT_EXIT_FAIL;
	}
	return NT_EXIT_OK;
}

static int assemble(const char *chain_id, const char *time_s, const char *out, int nfiles,
		    char **files)
{
	if (chain_id == NULL)
		return nt_cli_usage_error("genesis", "assemble needs --chain-id ID");
	if (!nt_chain_id_valid(chain_id))
		return nt_cli_usage_error("genesis", "chain id '%s' must be 1-50 of [a-z0-9._-]",
					  chain_id);
	if (out == NULL || out[0] == '\0')
		return nt_cli_usage_error("genesis", "assemble needs --out FILE");
	if (nfiles < 1)
		return nt_cli_usage_error("genesis",
					  "assemble needs the offices' office.json files");
	if (nfiles > NT_MAX_VALIDATORS)
		return nt_cli_usage_error("genesis", "at most %d offices", NT_MAX_VALIDATORS);
	uint64_t t = nt_cli_now_ms();
	if (time_s != NULL && nt_time_parse(time_s, &t) != NT_OK)
		return nt_cli_usage_error(
		    "genesis", "--genesis-time '%s' is not like 2026-12-01T00:00:00.000Z", time_s);
	if (nt_cli_exists(out))
		return nt_cli_errorf(NT_EXIT_FAIL, "genesis",
				     "%s exists; refusing to replace a genesis file (offices may "
				     "have checked it already)",
				     out);

	nt_office *all = calloc((size_t)nfiles, sizeof *all);
	nt_genesis *g = calloc(1, sizeof *g);
	char *json = NULL;
	int rc = NT_EXIT_OK;
	if (all == NULL || g == NULL)
		rc = nt_cli_errorf(NT_EXIT_FAIL, "genesis", "out of memory");
	for (int i = 0; rc == NT_EXIT_OK && i < nfiles; i++) {
		nt_why why = {{0}};
		nt_err e = nt_office_load(files[i], &all[i], &why);
		if (e != NT_OK)
			rc = nt_cli_errorf(e == NT_ERR_NOT_FOUND || e == NT_ERR_IO ? NT_EXIT_USAGE
										   : NT_EXIT_FAIL,
					   "genesis", "%s", why.msg);
		else
			rc =
			    assemble_add(files[i], &all[i], all, (const char **)files, (unsigned)i);
	}
	if (rc == NT_EXIT_OK) {
		snprintf(g->chain_id, sizeof g->chain_id, "%s", chain_id);
		g->genesis_time = t;
		g->version = 2;
		g->vals.n = (uint16_t)nfiles;
		for (int i = 0; i < nfiles; i++) {
			g->vals.keys[i] = all[i].pubkey;
			snprintf(g->vals.names[i], sizeof g->vals.names[i], "%s", all[i].name);
		}
		if (nt_genesis_seal(g) != NT_OK || nt_genesis_to_json(g, &json) != NT_OK)
			rc = nt_cli_errorf(NT_EXIT_FAIL, "genesis", "cannot build the genesis");
	}
	if (rc == NT_EXIT_OK) {
		nt_why why = {{0}};
		if (nt_cli_write_file(out, json, strlen(json), 0644, false, &why) != NT_OK)
			rc = nt_cli_errorf(NT_EXIT_FAIL, "genesis", "%s", why.msg);
	}
	if (rc == NT_EXIT_OK) {
		print_genesis(out, g, -1);
		printf("\nSend %s to every office (with the other offices' office.json files),\n"
		       "and read the fingerprint to each by phone. Each office runs\n"
		       "  notary genesis check %s --home DIR\n"
		       "and must see this fingerprint and its own entry.\n",
		       out, nt_cli_basename(out));
	}
	free(json);
	free(g);
	free(all);
	return rc;
}

static int check(const char *path, const char *home, const char *fpr)
{
	if (home == NULL || home[0] == '\0')
		return nt_cli_usage_error("genesis", "check needs --home DIR (the office's home)");
	nt_office me;
	int rc = nt_office_home("genesis", home, &me);
	if (rc != NT_EXIT_OK)
		return rc;
	nt_genesis *g = malloc(sizeof *g);
	if (g == NULL)
		return nt_cli_errorf(NT_EXIT_FAIL, "genesis", "out of memory");
	char *text = NULL;
	size_t len = 0;
	int idx = -1;
	rc = nt_office_read_genesis("genesis", path, g, &text, &len);
	if (rc == NT_EXIT_OK)
		rc = nt_office_check_genesis("genesis", path, g, &me, fpr, &idx);
	if (rc == NT_EXIT_OK) {
		print_genesis(path, g, idx);
		printf("\nOK: your entry is validator %d, ", idx);
		put_quoted(stdout, me.name);
		printf(", with your key.\nCompare the fingerprint with the coordinator's and the "
		       "other offices' (by phone), then:\n"
		       "  notary office join --home %s %s [OFFICE-FILES...]\n",
		       home, path);
	}
	free(text);
	free(g);
	return rc;
}

int nt_cmd_genesis(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"chain-id", required_argument, NULL, 'c'},
	    {"genesis-time", required_argument, NULL, 't'},
	    {"out", required_argument, NULL, 'o'},
	    {"home", required_argument, NULL, 'd'},
	    {"fingerprint", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *chain_id = NULL, *time_s = NULL, *out = NULL, *home = NULL, *fpr = NULL;
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":c:t:o:d:f:h", opts)) != -1) {
		switch (c) {
		case 'c':
			chain_id = optarg;
			break;
		case 't':
			time_s = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'd':
			home = optarg;
			break;
		case 'f':
			fpr = optarg;
			break;
		case 'h':
			fputs(genesis_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return nt_cli_usage_error("genesis",
					  "give a subcommand: fingerprint, assemble or check");
	const char *sub = argv[optind];
	int nargs = argc - optind - 1;
	char **args = argv + optind + 1;
	bool any_opt = chain_id != NULL || time_s != NULL || out != NULL;
	if (strcmp(sub, "assemble") == 0) {
		if (home != NULL || fpr != NULL)
			return nt_cli_usage_error("genesis",
						  "assemble takes no --home or --fingerprint");
		return assemble(chain_id, time_s, out, nargs, args);
	}
	if (strcmp(sub, "check") == 0) {
		if (any_opt)
			return nt_cli_usage_error("genesis",
						  "check takes --home DIR [--fingerprint FP] only");
		if (nargs != 1)
			return nt_cli_usage_error("genesis", "check takes exactly one FILE");
		return check(args[0], home, fpr);
	}
	if (strcmp(sub, "fingerprint") == 0) {
		if (any_opt || home != NULL || fpr != NULL)
			return nt_cli_usage_error("genesis", "fingerprint takes no options");
		if (nargs != 1)
			return nt_cli_usage_error("genesis", "fingerprint takes exactly one FILE");
		return fingerprint(args[0]);
	}
	return nt_cli_usage_error("genesis",
				  "unknown subcommand '%s' (fingerprint, assemble or "
				  "check)",
				  sub);
}
