/* Validator set: the ordered keys (and, in version 2, names) of the genesis
 * file or of a set change (FORMATS.md "Validators", "Names and sets"). */
#ifndef NT_VALSET_H
#define NT_VALSET_H

#include "base/err.h"
#include "base/types.h"

/* A version 2 name is a str8u: 1..255 bytes of UTF-8. A version 1 genesis
 * keeps its old limit of 64 bytes (names are not hashed there). */
#define NT_VALIDATOR_NAME_MAX 255
#define NT_VALIDATOR_NAME_MAX_V1 64
/* valset_bytes = u16 n || n x { 32 key || str8u name } */
#define NT_VALSET_BYTES_MAX (2 + NT_MAX_VALIDATORS * (NT_PUBKEY_LEN + 1 + NT_VALIDATOR_NAME_MAX))

typedef struct {
	uint16_t n;
	nt_pubkey keys[NT_MAX_VALIDATORS];
	char names[NT_MAX_VALIDATORS][NT_VALIDATOR_NAME_MAX + 1];
} nt_valset;

/* Version 1: H(u16 n || key_1 || ... || key_n). Names are not covered. */
void nt_valset_hash(const nt_valset *vs, nt_hash *out);

/* True if s[0..n) is a str8u: 1..255 bytes of well-formed UTF-8 (no
 * overlong forms, surrogates or code points above U+10FFFF) with no control
 * character (U+0000..U+001F, U+007F, U+0080..U+009F). */
bool nt_str8u_valid(const void *s, size_t n);

/* Version 2 valset_bytes of vs: u16 n || n x { 32 key || str8u name }.
 * NT_ERR_RANGE if n is 0 or above NT_MAX_VALIDATORS, a name is not a
 * str8u, or cap is too small (NT_VALSET_BYTES_MAX is always enough). */
nt_err nt_valset_encode(const nt_valset *vs, uint8_t *out, size_t cap, size_t *len) NT_MUST_CHECK;

/* Strict decode of valset_bytes: 1..NT_MAX_VALIDATORS entries, every key a
 * valid x-only key and distinct, every name a str8u, no trailing bytes.
 * Names become NUL-terminated strings in out->names. */
nt_err nt_valset_decode(const uint8_t *buf, size_t len, nt_valset *out, nt_why *why) NT_MUST_CHECK;

/* Version 2 validators_hash = H(valset_bytes). Fails as nt_valset_encode. */
nt_err nt_valset_hash_v2(const nt_valset *vs, nt_hash *out) NT_MUST_CHECK;

/* The message a validator of the current set signs to approve a change
 * (FORMATS.md "Changing the validator set"):
 * TH("notary/valset", str8 chain_id || 32 genesis_hash || u64 change_index ||
 *    32 validators_hash || 32 next_validators_hash).
 * change_index is the number of set changes the chain made before this one.
 * NT_ERR_RANGE if chain_id is not a valid chain id. */
nt_err nt_valset_approval_hash(const char *chain_id, const nt_hash *genesis_hash,
			       uint64_t change_index, const nt_hash *validators_hash,
			       const nt_hash *next_validators_hash, nt_hash *out) NT_MUST_CHECK;
/* floor(2n/3) + 1. */
unsigned nt_valset_quorum(const nt_valset *vs);
/* Index of pk in the set, or -1. */
int nt_valset_index(const nt_valset *vs, const nt_pubkey *pk);

#endif
