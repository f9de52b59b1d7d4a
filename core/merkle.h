/* RFC 9162 Merkle Tree Hash (SHA-256): roots, inclusion and consistency
 * proofs, and the incremental append-only log behind log_root.
 *
 * Functions that take `leaves` take LEAF HASHES (H(0x00 || leaf)), not raw
 * leaves, so a record's id is its leaf hash and nothing is hashed twice. */
#ifndef NT_MERKLE_H
#define NT_MERKLE_H

#include "base/err.h"
#include "base/types.h"

/* Longest proof for trees of up to 2^64 leaves. */
#define NT_MERKLE_PROOF_MAX 64

/* H(0x00 || data) and H(0x01 || l || r). */
void nt_merkle_leaf_hash(const void *data, size_t len, nt_hash *out);
void nt_merkle_node_hash(const nt_hash *l, const nt_hash *r, nt_hash *out);

/* Root of the tree of n leaf hashes; H("") for n == 0. */
void nt_merkle_root(const nt_hash *leaves, uint64_t n, nt_hash *out);

/* Inclusion proof (audit path) for leaf index in a tree of n leaves.
 * proof must hold NT_MERKLE_PROOF_MAX hashes. NT_ERR_ARG if index >= n. */
nt_err nt_merkle_inclusion_proof(const nt_hash *leaves, uint64_t n, uint64_t index, nt_hash *proof,
				 size_t *proof_len) NT_MUST_CHECK;

/* Verifies an inclusion proof (RFC 9162 2.1.3.2). NT_ERR_PROOF with why
 * "inclusion proof too short" / "too long" / "does not reach the root",
 * NT_ERR_RANGE if index >= size. */
nt_err nt_merkle_inclusion_verify(const nt_hash *leaf, uint64_t index, uint64_t size,
				  const nt_hash *proof, size_t proof_len, const nt_hash *root,
				  nt_why *why) NT_MUST_CHECK;

/* Consistency proof between the first m and the first n leaves (0 < m <= n),
 * RFC 9162 2.1.4.1. proof must hold NT_MERKLE_PROOF_MAX hashes. */
nt_err nt_merkle_consistency_proof(const nt_hash *leaves, uint64_t m, uint64_t n, nt_hash *proof,
				   size_t *proof_len) NT_MUST_CHECK;

/* Verifies a consistency proof (RFC 9162 2.1.4.2). */
nt_err nt_merkle_consistency_verify(uint64_t m, uint64_t n, const nt_hash *root_m,
				    const nt_hash *root_n, const nt_hash *proof, size_t proof_len,
				    nt_why *why) NT_MUST_CHECK;

/* Every level of the tree of n leaf hashes, built bottom-up once so that
 * any number of inclusion proofs cost O(log n) each. Level 0 is the
 * leaves; level j+1 pairs level j's nodes, and an odd last node is carried
 * up unchanged, which yields exactly RFC 9162's MTH (split at the largest
 * power of two). Building costs n - 1 node hashes. */
typedef struct {
	uint64_t n;
	unsigned depth;	  /* levels above the leaves; the root is at depth */
	nt_hash *nodes;	  /* all levels, leaves first; malloc'd */
	uint64_t off[65]; /* start of level j in nodes */
	uint64_t len[65]; /* nodes in level j */
} nt_merkle_tree;

/* The shape of the tree of n >= 1 leaves: sets t's n, depth, off and len
 * (not nodes) and returns the number of nodes of all levels (0 for n == 0
 * or an n too large to hold). Lets stored levels be read back in place. */
uint64_t nt_merkle_tree_layout(uint64_t n, nt_merkle_tree *t);
/* Copies the n >= 1 leaf hashes and hashes every level. NT_ERR_ARG for
 * n == 0, NT_ERR_NOMEM. Free with nt_merkle_tree_free. */
nt_err nt_merkle_tree_build(const nt_hash *leaves, uint64_t n, nt_merkle_tree *out) NT_MUST_CHECK;
void nt_merkle_tree_root(const nt_merkle_tree *t, nt_hash *out);
/* Same proof as nt_merkle_inclusion_proof, read off the levels. */
nt_err nt_merkle_tree_proof(const nt_merkle_tree *t, uint64_t index, nt_hash *proof,
			    size_t *proof_len) NT_MUST_CHECK;
/* Frees the levels; t itself is the caller's. NULL is a no-op. */
void nt_merkle_tree_free(nt_merkle_tree *t);

/* The ledger-wide log, kept incrementally: the roots of the perfect
 * subtrees that make up a tree of `size` leaves (one per set bit of size,
 * stored at that bit's position). Appending costs O(log n) hashes; the root
 * costs O(log n). Persisted with the chain tip via encode/decode. */
typedef struct {
	uint64_t size;
	nt_hash peaks[64];
} nt_merkle_log;

#define NT_MERKLE_LOG_MAX (8 + 64 * 32)

void nt_merkle_log_init(nt_merkle_log *log);
void nt_merkle_log_append(nt_merkle_log *log, const nt_hash *leaf_hash);
void nt_merkle_log_root(const nt_merkle_log *log, nt_hash *out);
/* u64 size, then the peaks of the set bits from the highest bit down.
 * Decode refuses size 2^64 - 1: such a log could take no further leaf. */
nt_err nt_merkle_log_encode(const nt_merkle_log *log, uint8_t *out, size_t cap,
			    size_t *len) NT_MUST_CHECK;
nt_err nt_merkle_log_decode(const uint8_t *buf, size_t len, nt_merkle_log *out) NT_MUST_CHECK;

#endif
