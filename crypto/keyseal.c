/* Passphrase-protected key files (crypto/keys.h, docs/FORMATS.md "Key
 * files"): the 32 secret bytes sealed with AES-256-GCM under a key that
 * scrypt derives from the passphrase and a random salt.
 *
 *   {"type":"notary-secret-key-sealed/1","pubkey":HEX32,
 *    "kdf":"scrypt","n":32768,"r":8,"p":1,"salt":HEX16,
 *    "cipher":"aes-256-gcm","nonce":HEX12,"sealed":HEX32,"tag":HEX16}
 *
 * The associated data binds everything but the ciphertext and tag: the
 * type, the pubkey and the KDF parameters as the text
 * "notary-secret-key-sealed/1|<pubkey hex>|scrypt|<n>|<r>|<p>|aes-256-gcm",
 * so a file whose pubkey or cost was edited is refused like a wrong
 * passphrase. The opened secret must also give the stated pubkey. */
#include "crypto/keyseal.h"

#include "base/hex.h"

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEAL_N 32768u /* 2^15: 32 MiB and about 0.1 s per try */
#define SEAL_R 8u
#define SEAL_P 1u
/* What a file may ask for: up to 2^17 (128 MiB), so an edited file
 * cannot make the reader spend more before the AEAD refuses it. */
#define SEAL_N_MAX (1u << 17)

static nt_err derive(const uint8_t *pass, size_t plen, const uint8_t salt[16], uint64_t n,
		     uint32_t r, uint32_t p, uint8_t key[32])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (ctx == NULL)
		return NT_ERR_CRYPTO;
	uint64_t maxmem = 130ull * r * n + (64u << 20);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pass, plen),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, 16),
	    OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
	    OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
	    OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
	    OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
	    OSSL_PARAM_construct_end()};
	int ok = EVP_KDF_derive(ctx, key, 32, params);
	EVP_KDF_CTX_free(ctx);
	return ok == 1 ? NT_OK : NT_ERR_CRYPTO;
}

static int aad_of(char *buf, size_t cap, const char *pub_hex, uint64_t n, uint32_t r, uint32_t p)
{
	return snprintf(buf, cap, "%s|%s|scrypt|%llu|%u|%u|aes-256-gcm", NT_KEYFILE_SEALED_TYPE,
			pub_hex, (unsigned long long)n, r, p);
}

/* AES-256-GCM one shot; enc 1 seals (tag out), 0 opens (tag in). */
static bool gcm(int enc, const uint8_t key[32], const uint8_t nonce[12], const char *aad,
		const uint8_t *in, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0;
	bool ok = c != NULL &&
		  EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
		  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
		  EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) == 1 &&
		  EVP_CipherUpdate(c, NULL, &l, (const uint8_t *)aad, (int)strlen(aad)) == 1 &&
		  EVP_CipherUpdate(c, out, &l, in, 32) == 1 && l == 32;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(c, out + 32, &l) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

nt_err nt_keyseal_text(const nt_seckey *k, const uint8_t *pass, size_t plen, char *text, size_t cap,
		       size_t *len, nt_why *why)
{
	if (pass == NULL || plen == 0)
		return nt_fail(why, NT_ERR_ARG, "the passphrase is empty");
	uint8_t salt[16], nonce[12], key[32], secret[32], sealed[32 + 16], tag[16];
	if (RAND_bytes(salt, sizeof salt) != 1 || RAND_bytes(nonce, sizeof nonce) != 1)
		return nt_fail(why, NT_ERR_CRYPTO, "no random bytes for the salt and nonce");
	nt_err e = derive(pass, plen, salt, SEAL_N, SEAL_R, SEAL_P, key);
	if (e != NT_OK)
		return nt_fail(why, e, "scrypt failed (OpenSSL EVP_KDF SCRYPT)");
	nt_pubkey pub;
	nt_seckey_pubkey(k, &pub);
	char pub_hex[65], aad[200];
	nt_hex_encode(pub.b, sizeof pub.b, pub_hex);
	aad_of(aad, sizeof aad, pub_hex, SEAL_N, SEAL_R, SEAL_P);
	nt_seckey_secret(k, secret);
	bool ok = gcm(1, key, nonce, aad, secret, sealed, tag);
	OPENSSL_cleanse(secret, sizeof secret);
	OPENSSL_cleanse(key, sizeof key);
	if (!ok)
		return nt_fail(why, NT_ERR_CRYPTO, "AES-256-GCM failed");
	char salt_hex[33], nonce_hex[25], sealed_hex[65], tag_hex[33];
	nt_hex_encode(salt, sizeof salt, salt_hex);
	nt_hex_encode(nonce, sizeof nonce, nonce_hex);
	nt_hex_encode(sealed, 32, sealed_hex);
	nt_hex_encode(tag, sizeof tag, tag_hex);
	int n = snprintf(text, cap,
			 "{\"type\":\"%s\",\"pubkey\":\"%s\",\"kdf\":\"scrypt\",\"n\":%u,"
			 "\"r\":%u,\"p\":%u,\"salt\":\"%s\",\"cipher\":\"aes-256-gcm\","
			 "\"nonce\":\"%s\",\"sealed\":\"%s\",\"tag\":\"%s\"}\n",
			 NT_KEYFILE_SEALED_TYPE, pub_hex, SEAL_N, SEAL_R, SEAL_P, salt_hex,
			 nonce_hex, sealed_hex, tag_hex);
	if (n < 0 || (size_t)n >= cap)
		return nt_fail(why, NT_ERR_ARG, "key file text does not fit");
	*len = (size_t)n;
	return NT_OK;
}

static bool hex_member(json_t *root, const char *name, uint8_t *out, size_t n)
{
	json_t *v = json_object_get(root, name);
	size_t got = 0;
	return json_is_string(v) && json_string_length(v) == 2 * n &&
	       nt_hex_decode(json_string_value(v), out, n, &got) == NT_OK && got == n;
}

static bool uint_member(json_t *root, const char *name, uint64_t lo, uint64_t hi, uint64_t *out)
{
	json_t *v = json_object_get(root, name);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return *out >= lo && *out <= hi;
}

nt_err nt_keyseal_open(json_t *root, const char *path, const uint8_t *pass, size_t plen,
		       nt_seckey **out, nt_why *why)
{
	if (pass == NULL)
		return nt_fail(why, NT_ERR_ARG,
			       "key file %s is protected by a passphrase: give it with "
			       "--passphrase-file FILE (or NOTARY_PASSPHRASE_FILE; notaryd: "
			       "key_passphrase_file)",
			       path);
	json_t *kdf = json_object_get(root, "kdf"), *ci = json_object_get(root, "cipher");
	uint8_t pub[32], salt[16], nonce[12], sealed[32], tag[16];
	uint64_t n = 0, r = 0, p = 0;
	if (!json_is_string(kdf) || strcmp(json_string_value(kdf), "scrypt") != 0 ||
	    !json_is_string(ci) || strcmp(json_string_value(ci), "aes-256-gcm") != 0)
		return nt_fail(why, NT_ERR_JSON,
			       "key file %s: kdf must be \"scrypt\" and cipher "
			       "\"aes-256-gcm\"",
			       path);
	if (!hex_member(root, "pubkey", pub, 32) || !hex_member(root, "salt", salt, 16) ||
	    !hex_member(root, "nonce", nonce, 12) || !hex_member(root, "sealed", sealed, 32) ||
	    !hex_member(root, "tag", tag, 16) || !uint_member(root, "n", 2, SEAL_N_MAX, &n) ||
	    (n & (n - 1)) != 0 || !uint_member(root, "r", 1, 32, &r) ||
	    !uint_member(root, "p", 1, 16, &p))
		return nt_fail(why, NT_ERR_JSON,
			       "key file %s: a sealed key file needs pubkey, n (a power of 2 up "
			       "to 2^17), r, p, salt, nonce, sealed and tag of the right sizes",
			       path);
	uint8_t key[32], secret[32 + 16];
	nt_err e = derive(pass, plen, salt, n, (uint32_t)r, (uint32_t)p, key);
	if (e != NT_OK)
		return nt_fail(why, e, "scrypt failed (OpenSSL EVP_KDF SCRYPT)");
	char pub_hex[65], aad[200];
	nt_hex_encode(pub, sizeof pub, pub_hex);
	aad_of(aad, sizeof aad, pub_hex, n, (uint32_t)r, (uint32_t)p);
	bool ok = gcm(0, key, nonce, aad, sealed, secret, tag);
	OPENSSL_cleanse(key, sizeof key);
	if (!ok) {
		OPENSSL_cleanse(secret, sizeof secret);
		return nt_fail(why, NT_ERR_MISMATCH,
			       "cannot open key file %s: wrong passphrase, or the file was "
			       "altered (its authentication tag does not match)",
			       path);
	}
	nt_seckey *k = NULL;
	e = nt_seckey_from_bytes(secret, &k);
	OPENSSL_cleanse(secret, sizeof secret);
	if (e != NT_OK)
		return nt_fail(why, NT_ERR_CORRUPT, "key file %s: the sealed secret is not a key",
			       path);
	nt_pubkey got;
	nt_seckey_pubkey(k, &got);
	if (CRYPTO_memcmp(got.b, pub, 32) != 0) {
		nt_seckey_free(k);
		return nt_fail(why, NT_ERR_CORRUPT,
			       "key file %s is corrupt: its pubkey does not match its secret",
			       path);
	}
	*out = k;
	return NT_OK;
}
