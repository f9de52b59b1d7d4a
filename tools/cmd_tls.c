/* notary tls-cert: a node's TLS certificate and its binding, for the other
 * offices' peer lists (docs/OPERATIONS.md, "TLS between offices"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keys.h"
#include "node/config.h"
#include "tools/cli.h"
#include "tools/cli_tls.h"

static const char tls_usage[] =
    "usage: notary tls-cert --home DIR [--signer KEY] [--json]\n\n"
    "Prints what other offices list in their config.json for this node: its TLS\n"
    "certificate's SHA-256 fingerprint and the binding, the validator key's\n"
    "signature of that fingerprint. Makes DIR/tls.key (0600) and DIR/tls.crt first\n"
    "when DIR has none (a home made before notary init did). Send tls.crt, the\n"
    "fingerprint and the binding to the other offices; each copies tls.crt to its\n"
    "peers/ and adds the printed members to this node's entry in \"peers\".\n\n"
    "Options:\n"
    "  -d, --home DIR     the node's home (its config.json names the key file)\n"
    "  -s, --signer KEY   bind with this key file instead of the node's own key:\n"
    "                     an observer's certificate is bound by its office's\n"
    "                     validator key (bindings must verify under a key of the\n"
    "                     validator set)\n"
    "  -j, --json         print the peer entry as JSON only\n"
    "  -h, --help         show this help\n";

int nt_cmd_tls(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"home", required_argument, NULL, 'd'},
	    {"signer", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *home = NULL, *signer = NULL;
	bool json = false;
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":d:s:jh", opts)) != -1) {
		switch (c) {
		case 'd':
			home = optarg;
			break;
		case 's':
			signer = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(tls_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return nt_cli_usage_error("tls-cert", "unexpected argument '%s'", argv[optind]);
	if (home == NULL || home[0] == '\0')
		return nt_cli_usage_error("tls-cert", "--home DIR is required");
	nt_config cfg;
	nt_why why = {{0}};
	if (nt_config_load(home, &cfg, &why) != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "tls-cert", "%s", why.msg);
	nt_seckey *k = NULL;
	const char *kpath = signer != NULL ? signer : cfg.key_file;
	int rc = NT_EXIT_FAIL;
	nt_cli_tls_id id;
	bool made = false;
	if (nt_keyfile_read(kpath, &k, &why) != NT_OK) {
		nt_cli_errorf(NT_EXIT_FAIL, "tls-cert", "%s", why.msg);
		goto out;
	}
	if (!nt_cli_exists(cfg.tls_cert_file) && !nt_cli_exists(cfg.tls_key_file)) {
		if (nt_cli_tls_make(home, cfg.moniker, k, &id, &why) != NT_OK) {
			nt_cli_errorf(NT_EXIT_FAIL, "tls-cert", "%s", why.msg);
			goto out;
		}
		made = true;
	} else if (nt_cli_tls_bind_file(cfg.tls_cert_file, k, &id, &why) != NT_OK) {
		nt_cli_errorf(NT_EXIT_FAIL, "tls-cert", "%s", why.msg);
		goto out;
	}
	char crt[128];
	snprintf(crt, sizeof crt, "peers/%s.crt", cfg.moniker);
	json_t *entry =
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "p2p", cfg.p2p, "rpc", cfg.rpc, "tls_cert", crt,
		      "tls_fingerprint", id.fp_hex, "tls_binding", id.bind_hex);
	char *text = entry != NULL ? json_dumps(entry, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(entry);
	if (text == NULL) {
		nt_cli_errorf(NT_EXIT_FAIL, "tls-cert", "out of memory");
		goto out;
	}
	if (!json) {
		if (made)
			printf("made %s/tls.key (0600) and %s/tls.crt\n", home, home);
		printf("certificate  %s\nfingerprint  %s\nbinding      %s\n\n", cfg.tls_cert_file,
		       id.fp_hex, id.bind_hex);
		printf("The other offices copy %s to their peers/%s.crt and list this node as:\n",
		       cfg.tls_cert_file, cfg.moniker);
	}
	printf("%s\n", text);
	free(text);
	rc = NT_EXIT_OK;
out:
	nt_seckey_free(k);
	nt_config_free(&cfg);
	return rc;
}
