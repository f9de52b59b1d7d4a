/* Shared by core/receipt.c (version 1 receipts) and core/receipt_v2.c
 * (version 2, and the dispatch between the two). */
#ifndef NT_RECEIPT_INTERNAL_H
#define NT_RECEIPT_INTERNAL_H

#include "core/receipt.h"

/* The six steps of FORMATS.md "Verifying a receipt" for a version 1
 * receipt against a version 1 genesis, exactly as before version 2. */
nt_err ntr_verify_v1(const nt_receipt *r, const nt_genesis *g, const uint8_t *file_digest,
		     size_t file_digest_len, nt_why *why) NT_MUST_CHECK;

/* Step 3 of both versions: record_id, height, and the record as leaf
 * leaf_index of the block's records_root. */
nt_err ntr_check_inclusion(const nt_receipt *r, nt_why *why) NT_MUST_CHECK;

/* Step 4, the chain_id part, for both versions: the header's and the
 * receipt's chain_id are the genesis file's. */
nt_err ntr_check_chain_id(const nt_receipt *r, const nt_genesis *g, nt_why *why) NT_MUST_CHECK;

#endif
