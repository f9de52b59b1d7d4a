/* notary key show: an existing key file's public key and fingerprint.
 * notary key seal: a sealed (passphrase) copy of an existing key file. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "base/hex.h"
#include "crypto/keys.h"
#include "node/passfile.h"
#include "tools/cli.h"

static const char key_usage[] =
    "usage: notary key show --key FILE [--passphrase-file F] [--json]\n"
    "       notary key seal --key FILE --out SEALED --passphrase-file F\n\n"
    "Prints the public key of a key file (as `notary keygen` did) and its\n"
    "fingerprint: the first 16 bytes of SHA-256 of the 32-byte public key, in\n"
    "four groups of 8 hex digits, for people to compare over the phone or on\n"
    "paper. A key protected by a passphrase needs it (--passphrase-file or\n"
    "NOTARY_PASSPHRASE_FILE); a wrong passphrase or an altered file: exit 1.\n\n"
    "`key seal` writes a copy of a plain key FILE sealed with the passphrase in F\n"
    "(docs/FORMATS.md \"Key files\") to SEALED (mode 0600, never over a file);\n"
    "check it with `key show`, then wipe the plain file (shred -u FILE).\n\n"
    "Options:\n"
    "  -k, --key FILE          the key file\n"
    "  -o, --out SEALED        (seal) where to write the sealed copy\n"
    "  -P, --passphrase-file F its passphrase\n"
    "  -j, --json              {\"pubkey\", \"fingerprint\"}\n"
    "  -h, --help              show this help\n\n"
    "Example:\n"
    "  notary key show --key party.key\n";

static int do_seal(const char *path, const char *out, const char *pass_path)
{
	if (out == NULL || pass_path == NULL)
		return nt_cli_usage_error("key seal", "--out SEALED and --passphrase-file F are "
						      "required");
	nt_seckey *k = NULL;
	nt_why why = {{0}};
	nt_err e = nt_keyfile_read(path, &k, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "key seal", "%s",
				     why.msg[0] ? why.msg : nt_strerror(e));
	uint8_t pass[NT_PASSPHRASE_MAX + 2];
	size_t pl = 0;
	e = nt_passfile_read(pass_path, pass, &pl, &why);
	if (e == NT_OK)
		e = nt_keyfile_write_pass(out, k, pass, pl, &why);
	OPENSSL_cleanse(pass, sizeof pass);
	nt_seckey_free(k);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "key seal", "%s",
				     why.msg[0] ? why.msg : nt_strerror(e));
	fprintf(stderr,
		"wrote %s (mode 0600, sealed); check it with `notary key show --key %s "
		"--passphrase-file F`, then wipe %s\n",
		out, out, path);
	return NT_EXIT_OK;
}

int nt_cmd_key(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"out", required_argument, NULL, 'o'},
	    {"passphrase-file", required_argument, NULL, 'P'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool seal = argc >= 2 && strcmp(argv[1], "seal") == 0;
	if (argc < 2 || (strcmp(argv[1], "show") != 0 && !seal)) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(key_usage, stdout);
			return NT_EXIT_OK;
		}
		return nt_cli_usage_error("key", "the subcommand is `show` or `seal` (notary key "
						 "show --key FILE)");
	}
	argc--;
	argv++;
	const char *path = NULL, *pass = NULL, *out = NULL;
	bool json = false;
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":k:o:P:jh", opts)) != -1) {
		switch (c) {
		case 'k':
			path = optarg;
			break;
		case 'P':
			pass = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(key_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return nt_cli_usage_error("key show", "unexpected argument '%s'", argv[optind]);
	if (path == NULL)
		return nt_cli_usage_error(seal ? "key seal" : "key show", "--key FILE is required");
	if (seal)
		return do_seal(path, out, pass);
	nt_seckey *k = NULL;
	nt_why why = {{0}};
	pass = nt_cli_passphrase_file(pass);
	nt_err e = nt_key_load(path, pass, &k, &why);
	if (e != NT_OK)
		return nt_cli_errorf(e == NT_ERR_NOT_FOUND ? NT_EXIT_USAGE : NT_EXIT_FAIL,
				     "key show", "%s", why.msg[0] ? why.msg : nt_strerror(e));
	nt_pubkey pk;
	nt_seckey_pubkey(k, &pk);
	nt_seckey_free(k);
	char hex[65], fp[36];
	nt_hex_encode(pk.b, sizeof pk.b, hex);
	nt_cli_key_fingerprint(&pk, fp);
	if (json)
		printf("{\"pubkey\":\"%s\",\"fingerprint\":\"%s\"}\n", hex, fp);
	else
		printf("public key:  %s\nfingerprint: %s\n", hex, fp);
	return NT_EXIT_OK;
}
