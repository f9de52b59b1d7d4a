/* notary genesis: look at a genesis file. `notary genesis fingerprint FILE`
 * prints the fingerprint people compare (FORMATS.md version 2, "Genesis file
 * and chain identity"): read aloud on the phone, printed on certificates,
 * published on a court's site. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/genesis.h"
#include "node/genesis_file.h"
#include "tools/cli.h"

static const char genesis_usage[] =
    "usage: notary genesis fingerprint FILE\n\n"
    "Prints the fingerprint of a version 2 genesis file (\"format\":\n"
    "\"notary-genesis/2\"): the first 16 bytes of its genesis_hash in hex, four\n"
    "groups of 8 digits, e.g. 3f2a9c1e-77b0d4e2-9a1c5f03-be6d2a71. Two genesis\n"
    "files with the same fingerprint anchor the same network: same chain_id,\n"
    "genesis_time, validator keys and office names. notary verify prints it with\n"
    "every verdict. A version 1 genesis file has no fingerprint (exit 1).\n\n"
    "Options:\n"
    "  -h, --help   show this help\n\n"
    "Example:\n"
    "  notary genesis fingerprint genesis.json\n";

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

int nt_cmd_genesis(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":h", opts)) != -1) {
		switch (c) {
		case 'h':
			fputs(genesis_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return nt_cli_usage_error("genesis", "give a subcommand: fingerprint FILE");
	if (strcmp(argv[optind], "fingerprint") != 0)
		return nt_cli_usage_error("genesis", "unknown subcommand (the one there is: "
						     "fingerprint FILE)");
	if (argc - optind != 2)
		return nt_cli_usage_error("genesis", "fingerprint takes exactly one FILE");
	return fingerprint(argv[optind + 1]);
}
