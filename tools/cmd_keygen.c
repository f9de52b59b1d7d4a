/* notary keygen: a new BIP-340 signing key in a 0600 key file. */
#include <openssl/crypto.h>
#include <stdio.h>

#include "base/hex.h"
#include "crypto/keys.h"
#include "node/passfile.h"
#include "tools/cli.h"

static const char keygen_usage[] =
    "usage: notary keygen --out FILE [--passphrase-file F]\n\n"
    "Creates a new signing key (BIP-340, secp256k1) and writes it to FILE with\n"
    "mode 0600. Refuses to overwrite an existing file. Prints the public key,\n"
    "which is how the network and judges will name you as a submitter.\n\n"
    "Options:\n"
    "  -o, --out FILE   where to write the key (required)\n"
    "  -P, --passphrase-file F\n"
    "                   protect the key with the passphrase in F (its first line):\n"
    "                   scrypt N=2^15 r=8 p=1 and AES-256-GCM (docs/FORMATS.md);\n"
    "                   every use of the key then needs the passphrase\n"
    "  -h, --help       show this help\n\n"
    "Example:\n"
    "  notary keygen --out party.key\n";

int nt_cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"passphrase-file", required_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL, *pass_path = NULL;
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":o:P:h", opts)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'P':
			pass_path = optarg;
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
	if (pass_path != NULL) {
		uint8_t pass[NT_PASSPHRASE_MAX + 2];
		size_t pl = 0;
		e = nt_passfile_read(pass_path, pass, &pl, &why);
		if (e == NT_OK)
			e = nt_keyfile_write_pass(out, k, pass, pl, &why);
		OPENSSL_cleanse(pass, sizeof pass);
	} else {
		e = nt_keyfile_write(out, k, &why);
	}
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
	fprintf(stderr, "wrote %s (mode 0600%s); keep it secret and back it up.\n", out,
		pass_path != NULL ? ", sealed with the passphrase" : "");
	return NT_EXIT_OK;
}
