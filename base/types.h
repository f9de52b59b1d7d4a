/* Fixed-size values used everywhere. Plain structs so that they are passed
 * by pointer with their size in the type, never as loose byte arrays. */
#ifndef NT_TYPES_H
#define NT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NT_HASH_LEN 32
#define NT_PUBKEY_LEN 32
#define NT_SIG_LEN 64

typedef struct {
	uint8_t b[NT_HASH_LEN];
} nt_hash;

/* BIP-340 x-only public key. */
typedef struct {
	uint8_t b[NT_PUBKEY_LEN];
} nt_pubkey;

/* BIP-340 Schnorr signature. */
typedef struct {
	uint8_t b[NT_SIG_LEN];
} nt_sig;

/* The most validators a genesis may list (bounds every commit). */
#define NT_MAX_VALIDATORS 128

#endif
