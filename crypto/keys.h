/* BIP-340 Schnorr keys and signatures (libsecp256k1) and key files.
 *
 * Secret keys never leave this module in the clear except through
 * nt_keyfile_write; nt_seckey is opaque and wiped on free. */
#ifndef NT_KEYS_H
#define NT_KEYS_H

#include "base/err.h"
#include "base/types.h"

typedef struct nt_seckey nt_seckey;

/* Generates a fresh key from the operating system's randomness. */
nt_err nt_seckey_generate(nt_seckey **out) NT_MUST_CHECK;
/* Builds a key from 32 secret bytes (NT_ERR_ARG if not a valid scalar). */
nt_err nt_seckey_from_bytes(const uint8_t secret[32], nt_seckey **out) NT_MUST_CHECK;
/* Wipes and frees; NULL is a no-op. */
void nt_seckey_free(nt_seckey *k);
void nt_seckey_pubkey(const nt_seckey *k, nt_pubkey *out);

/* Signs a 32-byte message (always a tagged hash in this project).
 * Deterministic (no auxiliary randomness), so a simulator replays exactly. */
nt_err nt_sign(const nt_seckey *k, const nt_hash *msg, nt_sig *out) NT_MUST_CHECK;

/* True if sig is a valid BIP-340 signature of msg under pk. Any malformed
 * key or signature is simply "not valid". Safe from any thread. */
bool nt_verify(const nt_pubkey *pk, const nt_hash *msg, const nt_sig *sig);

/* True if pk is a valid x-only public key (a point on the curve). */
bool nt_pubkey_valid(const nt_pubkey *pk);

/* Key file: a small JSON object
 *   {"type":"notary-secret-key/1","secret":"<hex32>","pubkey":"<hex32>"}
 * nt_keyfile_write creates path with mode 0600 and refuses to overwrite
 * (NT_ERR_EXISTS). nt_keyfile_read refuses a file readable or writable by
 * group or others (NT_ERR_PERM, why says which mode and how to fix), a file
 * whose pubkey does not match its secret (NT_ERR_CORRUPT), and malformed
 * content (NT_ERR_JSON / NT_ERR_DECODE). */
nt_err nt_keyfile_write(const char *path, const nt_seckey *k, nt_why *why) NT_MUST_CHECK;
nt_err nt_keyfile_read(const char *path, nt_seckey **out, nt_why *why) NT_MUST_CHECK;

/* Passphrase-protected key files (crypto/keyseal.c; docs/FORMATS.md
 * "Key files"): the secret sealed with AES-256-GCM under
 * scrypt(passphrase, salt, N=2^15, r=8, p=1). nt_keyfile_write_pass
 * writes one (the same O_EXCL / 0600 rules as nt_keyfile_write).
 * nt_keyfile_read_pass reads either kind: a plain file ignores pass; a
 * sealed one needs it (pass NULL: NT_ERR_ARG, why says how to give it); a
 * wrong passphrase or an altered file: NT_ERR_MISMATCH. nt_keyfile_read is
 * nt_keyfile_read_pass with no passphrase. */
#define NT_KEYFILE_SEALED_TYPE "notary-secret-key-sealed/1"
nt_err nt_keyfile_write_pass(const char *path, const nt_seckey *k, const uint8_t *pass, size_t plen,
			     nt_why *why) NT_MUST_CHECK;
nt_err nt_keyfile_read_pass(const char *path, const uint8_t *pass, size_t plen, nt_seckey **out,
			    nt_why *why) NT_MUST_CHECK;

/* Internal to crypto/ (keyfile.c writes the secret through it); nothing
 * outside this folder may call it. Copies the 32 secret bytes to out; the
 * caller wipes them with OPENSSL_cleanse as soon as it is done. */
void nt_seckey_secret(const nt_seckey *k, uint8_t out[32]);

#endif
