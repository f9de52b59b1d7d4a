/* Validator set hash and quorum (FORMATS.md "Block header"). */
#include "core/valset.h"

#include <string.h>

#include "base/codec.h"
#include "crypto/digest.h"

void nt_valset_hash(const nt_valset *vs, nt_hash *out)
{
	uint8_t buf[2 + NT_MAX_VALIDATORS * NT_PUBKEY_LEN];
	nt_writer w;
	/* n is bounded by the array; a larger n is our own bug, not input. */
	unsigned n = vs->n <= NT_MAX_VALIDATORS ? vs->n : NT_MAX_VALIDATORS;
	nt_writer_init(&w, buf, sizeof buf);
	nt_put_u16(&w, (uint16_t)n);
	for (unsigned i = 0; i < n; i++)
		nt_put_bytes(&w, vs->keys[i].b, NT_PUBKEY_LEN);
	nt_sha256(buf, w.len, out);
}

unsigned nt_valset_quorum(const nt_valset *vs)
{
	return 2u * vs->n / 3u + 1u;
}

int nt_valset_index(const nt_valset *vs, const nt_pubkey *pk)
{
	for (unsigned i = 0; i < vs->n && i < NT_MAX_VALIDATORS; i++)
		if (memcmp(vs->keys[i].b, pk->b, NT_PUBKEY_LEN) == 0)
			return (int)i;
	return -1;
}
