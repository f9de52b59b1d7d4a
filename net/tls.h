/* TLS settings of one nng endpoint (a listener or a dialer), in plain
 * types so that node/ and tools/ can fill them without nng's headers.
 *
 * nng 1.5.2's tls+tcp:// transport (Debian: mbedTLS 2.28) checks the other
 * side's certificate against ca_pem. The nodes' certificates are
 * self-signed leaves (CA:FALSE), so mbedTLS trusts one only when the very
 * same certificate, byte for byte, is in ca_pem (its "locally trusted
 * end-entity" rule, mbedtls x509_crt_check_ee_locally_trusted): ca_pem is
 * a pin list. A different certificate with the same name fails the
 * handshake (its signature does not verify under a listed key, and a
 * CA:FALSE certificate cannot be a parent). Validity dates are checked. */
#ifndef NT_TLS_H
#define NT_TLS_H

#include <stdbool.h>

typedef struct {
	const char *cert_pem; /* our certificate (PEM); NULL: none (a plain client) */
	const char *key_pem;  /* its private key (PEM) */
	const char *ca_pem;   /* the certificates we trust, concatenated; NULL: none */
	/* The other side must present a certificate that ca_pem trusts.
	 * False only for a server whose clients have no certificate. */
	bool verify_peer;
} nt_tls_opts;

/* True when url uses TLS (tls+tcp://, tls+tcp4://, tls+tcp6://, https://, wss://). */
bool nt_url_is_tls(const char *url);

/* True when url is plain tcp://, tcp4://, tcp6://, http:// or ws:// on an
 * address other than loopback (127.0.0.0/8, ::1, localhost): traffic that
 * would cross a network in clear. ipc:// and inproc:// are local. A
 * wildcard address (0.0.0.0, ::, empty host) counts as not loopback. */
bool nt_url_plain_public(const char *url);

#endif
