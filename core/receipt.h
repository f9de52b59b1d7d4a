/* Receipts (FORMATS.md "Receipt"): building, parsing and the offline
 * verification a judge's tools perform. */
#ifndef NT_RECEIPT_H
#define NT_RECEIPT_H

#include "base/err.h"
#include "core/commit.h"
#include "core/genesis.h"
#include "core/header.h"
#include "core/merkle.h"
#include "core/record.h"

#define NT_RECEIPT_FORMAT "notary-receipt/1"
/* Receipts larger than this are refused before parsing. */
#define NT_RECEIPT_TEXT_MAX (256 * 1024)

typedef struct {
	/* record */
	uint8_t record_bytes[NT_RECORD_MAX];
	size_t record_len;
	nt_record record;
	nt_hash record_id; /* as stated in the receipt */
	/* position */
	uint64_t height;
	uint64_t leaf_index;
	nt_hash proof[NT_MERKLE_PROOF_MAX];
	size_t proof_len;
	/* block */
	uint8_t header_bytes[NT_HEADER_MAX];
	size_t header_len;
	nt_header header;
	uint8_t commit_bytes[NT_COMMIT_MAX];
	size_t commit_len;
	nt_commit commit;
	char chain_id[NT_CHAIN_ID_MAX + 1]; /* the JSON member */
} nt_receipt;

/* Builds receipt JSON (pretty-printed, trailing newline) from its parts.
 * *out is malloc'd; caller frees. */
nt_err nt_receipt_build(const uint8_t *record, size_t record_len, uint64_t leaf_index,
			const nt_hash *proof, size_t proof_len, const nt_header *hdr,
			const nt_commit *commit, const nt_valset *vals, char **out) NT_MUST_CHECK;

/* The members that every receipt of one block shares (chain_id, header,
 * commit, validators, time), encoded once so that answering all of a
 * block's receipts does not re-encode them per record. Output is byte for
 * byte what nt_receipt_build gives (which is built on this). Immutable
 * once made: any number of threads may build from one at a time.
 * vals may be NULL (no "validators" member). */
typedef struct nt_receipt_block nt_receipt_block;
nt_err nt_receipt_block_new(const nt_header *hdr, const nt_commit *commit, const nt_valset *vals,
			    nt_receipt_block **out) NT_MUST_CHECK;
/* record_id may be NULL (it is then computed from the record). */
nt_err nt_receipt_block_build(const nt_receipt_block *rb, const uint8_t *record, size_t record_len,
			      const nt_hash *record_id, uint64_t leaf_index, const nt_hash *proof,
			      size_t proof_len, char **out) NT_MUST_CHECK;
void nt_receipt_block_free(nt_receipt_block *rb);

/* Parses receipt JSON: the format member, hex fields and the binary
 * encodings inside them (record, header, commit decoded strictly). Does not
 * verify anything cryptographic. *out is malloc'd; free with free(). */
nt_err nt_receipt_parse(const char *json, size_t len, nt_receipt **out, nt_why *why) NT_MUST_CHECK;

/* The six steps of FORMATS.md "Verifying a receipt", in order. If
 * file_digest is not NULL it must equal the record's digest (the caller
 * hashes the file with the record's digest_alg). why names the first
 * failure in plain words. */
nt_err nt_receipt_verify(const nt_receipt *r, const nt_genesis *g, const uint8_t *file_digest,
			 size_t file_digest_len, nt_why *why) NT_MUST_CHECK;

#endif
