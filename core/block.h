/* A block: a header and its records in ledger order.
 *
 * Encoding (internal; used for storage transfer and, later, peers):
 *   header bytes || u32 count || count x { u16 len || record bytes }
 * The header is self-delimiting (str8 chain_id, fixed-width rest).
 * A version 2 change block (next_validators_hash != validators_hash) adds,
 * after its records, the change section (docs/FORMATS.md "Set changes in
 * blocks"):
 *   u32 len || valset_bytes || u16 n || n x { u16 index || 64 sig }
 * Every other block (version 1, version 2 without a change) has none. */
#ifndef NT_BLOCK_H
#define NT_BLOCK_H

#include "base/err.h"
#include "base/types.h"
#include "core/header.h"

/* Bounds that keep one block's memory and one decode small. */
#define NT_BLOCK_MAX_RECORDS 20000
#define NT_BLOCK_MAX_BYTES (16u * 1024 * 1024)

/* One approval of a set change: the index of the validator in the set
 * that commits the change block, and its signature over
 * nt_valset_approval_hash (core/valset.h). */
typedef struct {
	uint16_t index;
	nt_sig sig;
} nt_approval;

/* True if h is a change block's header (version 2, next_validators_hash
 * differs from validators_hash). */
bool nt_header_is_change(const nt_header *h);

typedef struct {
	nt_header header;
	uint32_t count;
	uint8_t **recs; /* count malloc'd record encodings */
	size_t *lens;
	nt_hash *ids; /* record_id of each record */
	/* The change section: NULL / 0 unless the header is a change block. */
	uint8_t *valset_bytes; /* malloc'd: the new set (valset.h encoding) */
	size_t valset_len;
	nt_approval *approvals; /* malloc'd */
	uint16_t napprovals;
} nt_block;

/* Allocates a block with room for count records (all NULL). */
nt_err nt_block_new(uint32_t count, nt_block **out) NT_MUST_CHECK;
/* Copies rec into slot i and computes its id. */
nt_err nt_block_set(nt_block *b, uint32_t i, const uint8_t *rec, size_t len) NT_MUST_CHECK;
/* Copies a change section into b (replacing any): valset_bytes (1 ..
 * NT_VALSET_BYTES_MAX bytes) and n approvals (n <= NT_MAX_VALIDATORS). Does
 * not touch the header. */
nt_err nt_block_set_change(nt_block *b, const uint8_t *valset_bytes, size_t valset_len,
			   const nt_approval *approvals, uint16_t n) NT_MUST_CHECK;
/* The change section alone (the trailer above, also the value the ledger
 * stores per change block). *out malloc'd. NT_ERR_ARG if b has none. */
nt_err nt_block_change_encode(const nt_block *b, uint8_t **out, size_t *len) NT_MUST_CHECK;
/* Strict decode of a change section (no trailing bytes) into b. */
nt_err nt_block_change_decode(nt_block *b, const uint8_t *buf, size_t len,
			      nt_why *why) NT_MUST_CHECK;
/* Frees the block and its records; NULL is a no-op. */
void nt_block_free(nt_block *b);

/* *out is malloc'd; caller frees. */
nt_err nt_block_encode(const nt_block *b, uint8_t **out, size_t *len) NT_MUST_CHECK;
/* Strict structural decode (header decode, counts and lengths bounded, no
 * trailing bytes). Records are decoded and verified by nt_ledger_check_block. */
nt_err nt_block_decode(const uint8_t *buf, size_t len, nt_block **out, nt_why *why) NT_MUST_CHECK;

#endif
