/* Validator set: the ordered keys of the genesis file. */
#ifndef NT_VALSET_H
#define NT_VALSET_H

#include "base/err.h"
#include "base/types.h"

#define NT_VALIDATOR_NAME_MAX 64

typedef struct {
	uint16_t n;
	nt_pubkey keys[NT_MAX_VALIDATORS];
	char names[NT_MAX_VALIDATORS][NT_VALIDATOR_NAME_MAX + 1];
} nt_valset;

/* H(u16 n || key_1 || ... || key_n). */
void nt_valset_hash(const nt_valset *vs, nt_hash *out);
/* floor(2n/3) + 1. */
unsigned nt_valset_quorum(const nt_valset *vs);
/* Index of pk in the set, or -1. */
int nt_valset_index(const nt_valset *vs, const nt_pubkey *pk);

#endif
