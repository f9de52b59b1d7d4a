/* Block header (FORMATS.md "Block header", "Block header, version 2").
 * block_hash = H(header bytes). */
#ifndef NT_HEADER_H
#define NT_HEADER_H

#include "base/err.h"
#include "base/types.h"

/* The version a version 1 chain writes; a version 2 chain writes
 * NT_HEADER_VERSION_2 (genesis_hash and next_validators_hash added). */
#define NT_HEADER_VERSION 1
#define NT_HEADER_VERSION_2 2
#define NT_CHAIN_ID_MAX 50
#define NT_HEADER_V1_MAX (1 + 1 + NT_CHAIN_ID_MAX + 8 + 8 + 32 + 32 + 32 + 4 + 32 + 8 + 32 + 32)
#define NT_HEADER_MAX (NT_HEADER_V1_MAX + 32 + 32)

typedef struct {
	uint8_t version;
	char chain_id[NT_CHAIN_ID_MAX + 1];
	uint64_t height;
	uint64_t time;
	nt_hash prev_hash;
	nt_hash last_commit_hash;
	nt_hash records_root;
	uint32_t record_count;
	nt_hash log_root;
	uint64_t log_size;
	nt_hash genesis_hash; /* version 2 only; ignored (zero after decode) in version 1 */
	nt_hash validators_hash;
	nt_hash next_validators_hash; /* version 2 only, as genesis_hash */
	nt_pubkey proposer;
} nt_header;

/* True if s is 1..50 characters of [a-z0-9._-]. */
bool nt_chain_id_valid(const char *s);

/* Encodes h in the layout of h->version (1 or 2; anything else is
 * NT_ERR_RANGE). NT_HEADER_MAX is always enough. */
nt_err nt_header_encode(const nt_header *h, uint8_t *out, size_t cap, size_t *len) NT_MUST_CHECK;
/* Strict: version 1 or 2 (each in its own layout), valid chain_id,
 * height >= 1, no trailing bytes. Callers that accept one version only
 * check out->version. */
nt_err nt_header_decode(const uint8_t *buf, size_t len, nt_header *out, nt_why *why) NT_MUST_CHECK;
/* H(encoded header). Fails only if h cannot be encoded. */
nt_err nt_header_hash(const nt_header *h, nt_hash *out) NT_MUST_CHECK;

#endif
