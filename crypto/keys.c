/* BIP-340 keys and signatures over libsecp256k1.
 *
 * Each secret key carries its own signing context, randomized at creation:
 * libsecp256k1 uses that randomness to blind the scalar multiplications, so
 * timing or power side channels see blinded values. The context is only read
 * while signing, so one key may sign from several threads at once.
 * Verification needs no secret and no precomputed tables beyond those
 * compiled into the library, so it uses the shared read-only
 * secp256k1_context_static from any thread. */
#include "crypto/keys.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

struct nt_seckey {
	uint8_t secret[32];
	secp256k1_keypair keypair;
	nt_pubkey pub;
	secp256k1_context *ctx;
};

nt_err nt_seckey_from_bytes(const uint8_t secret[32], nt_seckey **out)
{
	nt_seckey *k = calloc(1, sizeof *k);
	if (k == NULL)
		return NT_ERR_NOMEM;
	nt_err ret = NT_ERR_CRYPTO;
	uint8_t seed[32];
	k->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (k->ctx == NULL)
		goto fail;
	if (RAND_bytes(seed, sizeof seed) != 1 || !secp256k1_context_randomize(k->ctx, seed))
		goto fail;
	memcpy(k->secret, secret, 32);
	if (!secp256k1_keypair_create(k->ctx, &k->keypair, k->secret)) {
		/* zero or not below the group order */
		ret = NT_ERR_ARG;
		goto fail;
	}
	secp256k1_xonly_pubkey xpk;
	if (!secp256k1_keypair_xonly_pub(k->ctx, &xpk, NULL, &k->keypair) ||
	    !secp256k1_xonly_pubkey_serialize(k->ctx, k->pub.b, &xpk))
		goto fail;
	OPENSSL_cleanse(seed, sizeof seed);
	*out = k;
	return NT_OK;
fail:
	OPENSSL_cleanse(seed, sizeof seed);
	nt_seckey_free(k);
	return ret;
}

nt_err nt_seckey_generate(nt_seckey **out)
{
	uint8_t secret[32];
	nt_err e = NT_ERR_CRYPTO;
	/* A uniformly random 32-byte string is a valid scalar except with
	 * probability about 2^-128, so this loop runs once in practice; it is
	 * bounded anyway so a broken RNG cannot hang the caller. */
	for (int tries = 0; tries < 64; tries++) {
		if (RAND_bytes(secret, sizeof secret) != 1) {
			e = NT_ERR_CRYPTO;
			break;
		}
		e = nt_seckey_from_bytes(secret, out);
		if (e != NT_ERR_ARG)
			break;
	}
	OPENSSL_cleanse(secret, sizeof secret);
	return e == NT_ERR_ARG ? NT_ERR_CRYPTO : e;
}

void nt_seckey_free(nt_seckey *k)
{
	if (k == NULL)
		return;
	if (k->ctx != NULL)
		secp256k1_context_destroy(k->ctx);
	OPENSSL_cleanse(k, sizeof *k);
	free(k);
}

void nt_seckey_pubkey(const nt_seckey *k, nt_pubkey *out)
{
	*out = k->pub;
}

void nt_seckey_secret(const nt_seckey *k, uint8_t out[32])
{
	memcpy(out, k->secret, 32);
}

nt_err nt_sign(const nt_seckey *k, const nt_hash *msg, nt_sig *out)
{
	nt_sig sig;
	/* aux_rand NULL: the nonce derives from the key and message alone, so
	 * the simulator replays byte for byte. BIP-340 notes this is still
	 * secure; aux randomness only hardens against fault and side-channel
	 * attacks, which the randomized context and the check below cover. */
	if (!secp256k1_schnorrsig_sign32(k->ctx, sig.b, msg->b, &k->keypair, NULL))
		return NT_ERR_CRYPTO;
	/* BIP-340 recommends verifying before release: a fault during signing
	 * could otherwise leak the key through a bad signature. */
	if (!nt_verify(&k->pub, msg, &sig))
		return NT_ERR_CRYPTO;
	*out = sig;
	return NT_OK;
}

bool nt_verify(const nt_pubkey *pk, const nt_hash *msg, const nt_sig *sig)
{
	secp256k1_xonly_pubkey xpk;
	if (!secp256k1_xonly_pubkey_parse(secp256k1_context_static, &xpk, pk->b))
		return false;
	return secp256k1_schnorrsig_verify(secp256k1_context_static, sig->b, msg->b, sizeof msg->b,
					   &xpk) == 1;
}

bool nt_pubkey_valid(const nt_pubkey *pk)
{
	secp256k1_xonly_pubkey xpk;
	return secp256k1_xonly_pubkey_parse(secp256k1_context_static, &xpk, pk->b) == 1;
}
