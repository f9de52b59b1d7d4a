/* A block: a header and its records in ledger order.
 *
 * Encoding (internal; used for storage transfer and, later, peers):
 *   header bytes || u32 count || count x { u16 len || record bytes }
 * The header is self-delimiting (str8 chain_id, fixed-width rest). */
#ifndef NT_BLOCK_H
#define NT_BLOCK_H

#include "base/err.h"
#include "base/types.h"
#include "core/header.h"

/* Bounds that keep one block's memory and one decode small. */
#define NT_BLOCK_MAX_RECORDS 20000
#define NT_BLOCK_MAX_BYTES (16u * 1024 * 1024)

typedef struct {
	nt_header header;
	uint32_t count;
	uint8_t **recs; /* count malloc'd record encodings */
	size_t *lens;
	nt_hash *ids; /* record_id of each record */
} nt_block;

/* Allocates a block with room for count records (all NULL). */
nt_err nt_block_new(uint32_t count, nt_block **out) NT_MUST_CHECK;
/* Copies rec into slot i and computes its id. */
nt_err nt_block_set(nt_block *b, uint32_t i, const uint8_t *rec, size_t len) NT_MUST_CHECK;
/* Frees the block and its records; NULL is a no-op. */
void nt_block_free(nt_block *b);

/* *out is malloc'd; caller frees. */
nt_err nt_block_encode(const nt_block *b, uint8_t **out, size_t *len) NT_MUST_CHECK;
/* Strict structural decode (header decode, counts and lengths bounded, no
 * trailing bytes). Records are decoded and verified by nt_ledger_check_block. */
nt_err nt_block_decode(const uint8_t *buf, size_t len, nt_block **out, nt_why *why) NT_MUST_CHECK;

#endif
