/* notary keygen: a new BIP-340 signing key in a 0600 key file. */
#include <stdio.h>

#include "base/hex.h"
#include "crypto/keys.h"
#include "tools/cli.h"

static const char keygen_usage[] =
    "usage: notary keygen --out FILE\n\n"
    "Creates a new signing key (BIP-340, secp256k1) and writes it to FILE with\n"
    "mode 0600. Refuses to overwrite an existing file. Prints the public key,\n"
    "which is how the network and judges will name you as a submitter.\n\n"
    "Options:\n"
    "  -o, --out FILE   where to write the key (required)\n"
    "  -h, --help       show this help\n\n"
    "Example:\n"
    "  notary keygen --out party.key\n";

int nt_cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":o:h", opts)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(keygen_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return nt_cli_usage_error("keygen", "unexpected argument '%s'", argv[optind]);
	if (out == NULL)
		return nt_cli_usage_error("keygen", "--out FILE is required");
	if (nt_cli_exists(out))
		return nt_cli_errorf(NT_EXIT_FAIL, "keygen",
				     "%s already exists; refusing to overwrite a key file", out);

	nt_seckey *k = NULL;
	nt_why why = {{0}};
	nt_err e = nt_seckey_generate(&k);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "keygen", "cannot generate a key: %s",
				     nt_strerror(e));
	e = nt_keyfile_write(out, k, &why);
	if (e != NT_OK) {
		nt_seckey_free(k);
		return nt_cli_errorf(NT_EXIT_FAIL, "keygen", "cannot write %s: %s", out,
				     why.msg[0] ? why.msg : nt_strerror(e));
	}
	nt_pubkey pk;
	nt_seckey_pubkey(k, &pk);
	nt_seckey_free(k);
	char hex[2 * NT_PUBKEY_LEN + 1];
	nt_hex_encode(pk.b, sizeof pk.b, hex);
	printf("%s\n", hex);
	fprintf(stderr, "wrote %s (mode 0600); keep it secret and back it up.\n", out);
	return NT_EXIT_OK;
}
