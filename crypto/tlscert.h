/* TLS certificates of the nodes and their bindings to validator keys.
 *
 * Each node has its own P-256 ECDSA key and a self-signed X.509
 * certificate (tls.key, tls.crt in its home) for the tls+tcp:// links.
 * The certificate is named by its fingerprint, the SHA-256 of its DER
 * bytes, and bound to the office by a binding: the office's validator key
 * signs TH("notary/tls-cert", fingerprint) (BIP-340). A node trusts a
 * peer's certificate only when its binding verifies under a validator key
 * of the network (node/tls_setup.c), so a stolen TLS key alone is not
 * enough: the thief needs the validator key to list a new certificate.
 *
 * Pure apart from the randomness of nt_tlscert_generate; files are read
 * and written by the callers. */
#ifndef NT_TLSCERT_H
#define NT_TLSCERT_H

#include "base/err.h"
#include "base/types.h"
#include "crypto/keys.h"

#include <stddef.h>
#include <stdint.h>

#define NT_TLSCERT_BINDING_TAG "notary/tls-cert"
/* Certificates notary init and testnet make: about 30 years. */
#define NT_TLSCERT_DAYS 10950
/* A certificate file is small; anything larger is refused unread. */
#define NT_TLSCERT_PEM_MAX 16384

/* Makes a fresh P-256 key and a self-signed certificate for it: subject
 * and issuer CN "notary <name>", valid from not_before (Unix seconds) for
 * days days, basicConstraints CA:FALSE, keyUsage digitalSignature,
 * extendedKeyUsage serverAuth + clientAuth (mbedTLS checks both ways).
 * On NT_OK *key_pem (PKCS#8, unencrypted) and *cert_pem are malloc'd,
 * NUL-terminated; the caller wipes (OPENSSL_cleanse) and frees the key. */
nt_err nt_tlscert_generate(const char *name, int64_t not_before, uint32_t days, char **key_pem,
			   char **cert_pem, nt_why *why) NT_MUST_CHECK;

/* The fingerprint of the one certificate in pem (len bytes): SHA-256 of
 * its DER. NT_ERR_DECODE when pem holds no certificate, or more than one,
 * or a key that is not P-256 ECDSA (what the nodes' mbedTLS negotiates). */
nt_err nt_tlscert_fingerprint(const char *pem, size_t len, nt_hash *out, nt_why *why) NT_MUST_CHECK;

/* NT_OK when key_pem is the private key of the certificate cert_pem. */
nt_err nt_tlscert_check_pair(const char *cert_pem, const char *key_pem, nt_why *why) NT_MUST_CHECK;

/* Seconds from now until the certificate expires (negative: expired). */
nt_err nt_tlscert_expires_in(const char *pem, size_t len, int64_t now, int64_t *out,
			     nt_why *why) NT_MUST_CHECK;

/* The message a binding signs: TH("notary/tls-cert", fingerprint). */
void nt_tlscert_binding_msg(const nt_hash *fp, nt_hash *out);
/* Signs the binding of fp with the validator key k. */
nt_err nt_tlscert_bind(const nt_seckey *k, const nt_hash *fp, nt_sig *out) NT_MUST_CHECK;
/* True when sig binds fp to the validator key pk. */
bool nt_tlscert_binding_ok(const nt_pubkey *pk, const nt_hash *fp, const nt_sig *sig);

#endif
