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
#define NT_RECEIPT_FORMAT_2 "notary-receipt/2"
/* Version 1 receipts larger than this are refused. */
#define NT_RECEIPT_TEXT_MAX (256 * 1024)
/* A version 2 receipt carries every set change of its chain (each up to
 * ~100 KB of hex with 128 validators); larger text is refused unparsed. */
#define NT_RECEIPT_V2_TEXT_MAX (8 * 1024 * 1024)
#define NT_RECEIPT_CHANGES_MAX 1024

/* One entry of a version 2 receipt's valset_changes: a change block's
 * header and commit, and the new set's valset_bytes. */
typedef struct {
	uint8_t header_bytes[NT_HEADER_MAX];
	size_t header_len;
	nt_header header;
	nt_commit commit;
	const uint8_t *next_validators; /* valset_bytes, inside the receipt's allocation */
	size_t next_validators_len;
} nt_receipt_change;

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
	/* Version 2 (all zero in a version 1 receipt). */
	int format;	      /* 1: notary-receipt/1, 2: notary-receipt/2 */
	nt_hash genesis_hash; /* the JSON member */
	bool has_salt;	      /* "salt" present: 32 bytes */
	uint8_t salt[NT_RECORD_SALT_LEN];
	bool has_meta;		    /* "meta" (the clear meta JSON text) present */
	uint16_t meta_len;	    /* at most NT_META_MAX */
	char meta[NT_META_MAX + 1]; /* NUL-terminated */
	size_t change_count;
	nt_receipt_change *changes; /* change_count entries, same allocation */
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
/* One entry of a version 2 receipt's valset_changes, as bytes: a change
 * block's header and commit encodings and its new set's valset_bytes. */
typedef struct {
	const uint8_t *header;
	size_t header_len;
	const uint8_t *commit;
	size_t commit_len;
	const uint8_t *next_validators;
	size_t next_validators_len;
} nt_receipt_change_bytes;
/* nt_receipt_block_new for a version 2 header whose chain changed its set
 * below hdr's height: the n changes (in height order, n <=
 * NT_RECEIPT_CHANGES_MAX) become "valset_changes". n must be 0 for a
 * version 1 header. nt_receipt_block_new is this with n = 0. */
nt_err nt_receipt_block_new_changes(const nt_header *hdr, const nt_commit *commit,
				    const nt_valset *vals, const nt_receipt_change_bytes *changes,
				    size_t n, nt_receipt_block **out) NT_MUST_CHECK;
/* record_id may be NULL (it is then computed from the record). */
nt_err nt_receipt_block_build(const nt_receipt_block *rb, const uint8_t *record, size_t record_len,
			      const nt_hash *record_id, uint64_t leaf_index, const nt_hash *proof,
			      size_t proof_len, char **out) NT_MUST_CHECK;
void nt_receipt_block_free(nt_receipt_block *rb);

/* Parses receipt JSON of format notary-receipt/1 or notary-receipt/2: the
 * format member, hex fields and the binary encodings inside them (record,
 * header, commit, and for version 2 each valset change's header and commit,
 * decoded strictly). A version 1 receipt must carry a version 1 header, a
 * version 2 receipt a version 2 header. Does not verify anything
 * cryptographic. *out is ONE malloc'd block (the change entries and their
 * set bytes included); free with free(). */
nt_err nt_receipt_parse(const char *json, size_t len, nt_receipt **out, nt_why *why) NT_MUST_CHECK;

/* The six steps of FORMATS.md "Verifying a receipt", in order. If
 * file_digest is not NULL it must equal the record's digest (the caller
 * hashes the file with the record's digest_alg). why names the first
 * failure in plain words. */
nt_err nt_receipt_verify(const nt_receipt *r, const nt_genesis *g, const uint8_t *file_digest,
			 size_t file_digest_len, nt_why *why) NT_MUST_CHECK;

/* What a verification established, for the report (FORMATS.md "Verifying a
 * version 2 receipt", step 7). */
typedef struct {
	int format;	     /* the receipt's: 1 or 2 */
	nt_valset set;	     /* S: the set that committed the block (v1: the genesis set) */
	size_t changes;	     /* valset_changes applied */
	bool salted;	     /* the record's digest is salted */
	bool meta_committed; /* the record's meta is a commitment */
	bool meta_disclosed; /* ...and the receipt's clear meta matched it */
	char fingerprint[NT_FINGERPRINT_LEN + 1]; /* of the genesis; "" for version 1 */
} nt_receipt_verdict;

/* Verifies r against g, either version, in the order of its FORMATS.md
 * section: a version 1 receipt only against a version 1 genesis, a version
 * 2 receipt only against a notary-genesis/2 one. If file_digest is not
 * NULL it is the file's digest under the record's digest_alg (for a salted
 * record the salt is applied here). On NT_OK fills *out (may be NULL; it
 * is large: keep it off small stacks). why names the first failure. */
nt_err nt_receipt_verify_full(const nt_receipt *r, const nt_genesis *g, const uint8_t *file_digest,
			      size_t file_digest_len, nt_receipt_verdict *out,
			      nt_why *why) NT_MUST_CHECK;

#endif
