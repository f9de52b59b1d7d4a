/* The CLI's TLS: the node certificates notary init / testnet / tls-cert
 * make, and what a client trusts for a tls+tcp:// node (--ca, --pin). */
#ifndef NT_CLI_TLS_H
#define NT_CLI_TLS_H

#include "base/err.h"
#include "base/types.h"
#include "crypto/keys.h"
#include "net/tls.h"
#include "tools/cli_settings.h"

#include <getopt.h>
#include <stdbool.h>

/* ---- a node's certificate ---- */

typedef struct {
	nt_hash fp;  /* SHA-256 of the certificate's DER */
	nt_sig bind; /* the validator key's binding of fp */
	char fp_hex[2 * NT_HASH_LEN + 1];
	char bind_hex[2 * NT_SIG_LEN + 1];
} nt_cli_tls_id;

/* Writes home/tls.key (0600) and home/tls.crt for a fresh P-256 key and
 * self-signed certificate named after name, and binds it with signer (the
 * office's validator key). Refuses to overwrite either file. */
nt_err nt_cli_tls_make(const char *home, const char *name, const nt_seckey *signer,
		       nt_cli_tls_id *out, nt_why *why) NT_MUST_CHECK;
/* Reads the certificate at path and binds it with signer. */
nt_err nt_cli_tls_bind_file(const char *path, const nt_seckey *signer, nt_cli_tls_id *out,
			    nt_why *why) NT_MUST_CHECK;

/* ---- clients ---- */

/* --ca FILE and --pin SHA256HEX, for every command that talks to a node. */
#define NT_CLI_OPT_CA 0x1ca
#define NT_CLI_OPT_PIN 0x1cb
#define NT_CLI_TLS_LONGOPTS                                                                        \
	{"ca", required_argument, NULL, NT_CLI_OPT_CA},                                            \
	{                                                                                          \
		"pin", required_argument, NULL, NT_CLI_OPT_PIN                                     \
	}
#define NT_CLI_TLS_HELP                                                                            \
	"      --ca FILE     for a tls+tcp:// node: trust exactly the certificates in FILE\n"      \
	"                    (the node's tls.crt; default $NOTARY_NODE_CA)\n"                      \
	"      --pin SHA256  for a tls+tcp:// node: trust only the certificate with this\n"        \
	"                    fingerprint (default $NOTARY_NODE_FINGERPRINT; with neither\n"        \
	"                    set, the client settings file's, for its node)\n"
/* Takes --ca / --pin (c is the option's code); false for another option. */
bool nt_cli_tls_option(int c, const char *arg);
/* For a command that has the node's home (notary backup): trust the
 * certificate file at path (the home's tls.cert_file) unless --ca or --pin
 * is given; NOTARY_NODE_CA / NOTARY_NODE_FINGERPRINT and the settings file
 * are then not read, as they name the node one usually talks to, not this
 * one. path must outlive the calls; NULL forgets it. */
void nt_cli_tls_trust_home(const char *path);
/* What a client trusts for url, and where that came from: the flags
 * (--ca / --pin), else the home's certificate (nt_cli_tls_trust_home,
 * NT_CLI_FROM_DEFAULT), else NOTARY_NODE_CA / NOTARY_NODE_FINGERPRINT, else
 * the loaded settings file's "ca" / "pin" when url is the file's "node" as
 * written. The first of these that names a CA or a pin gives both (NULL
 * where unset); NT_CLI_FROM_NONE with both NULL when none does. */
nt_cli_from nt_cli_tls_trust_for(const char *url, const char **ca, const char **pin);

/* For a tls+tcp:// url: checks the node's certificate against --ca or
 * --pin (connecting once with OpenSSL, so that a mismatch, an expired
 * certificate or a plain server gets a clear message) and fills out with
 * what nng must trust; *hold keeps the PEM text (free it after the
 * connection is open). For another url: out zeroed, NT_OK. */
nt_err nt_cli_tls_client(const char *url, nt_tls_opts *out, char **hold, nt_why *why) NT_MUST_CHECK;

#endif
