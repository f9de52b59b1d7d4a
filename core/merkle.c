/* RFC 9162 Merkle Tree Hash over SHA-256.
 *
 * Every tree walk below splits at the largest power of two smaller than the
 * size, so recursion (where there is any) is at most 64 deep whatever the
 * number of leaves. Proof generators walk from the root down, collecting
 * siblings, then reverse them into the RFC's leaf-up order. */
#include "core/merkle.h"

#include "base/codec.h"
#include "crypto/digest.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void nt_merkle_leaf_hash(const void *data, size_t len, nt_hash *out)
{
	static const uint8_t prefix = 0x00;
	nt_sha256_2(&prefix, 1, data, len, out);
}

void nt_merkle_node_hash(const nt_hash *l, const nt_hash *r, nt_hash *out)
{
	uint8_t buf[1 + 2 * NT_HASH_LEN];
	buf[0] = 0x01;
	memcpy(buf + 1, l->b, NT_HASH_LEN);
	memcpy(buf + 1 + NT_HASH_LEN, r->b, NT_HASH_LEN);
	nt_sha256(buf, sizeof buf, out);
}

/* Largest power of two strictly less than n; n >= 2. */
static uint64_t split(uint64_t n)
{
	assert(n >= 2);
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/* MTH(D[0:n]) for n >= 1. Depth is log2(n) because the left half is always
 * a perfect tree and the right half is at most as large. */
static void mth(const nt_hash *leaves, uint64_t n, nt_hash *out)
{
	if (n == 1) {
		*out = leaves[0];
		return;
	}
	uint64_t k = split(n);
	nt_hash l, r;
	mth(leaves, k, &l);
	mth(leaves + k, n - k, &r);
	nt_merkle_node_hash(&l, &r, out);
}

void nt_merkle_root(const nt_hash *leaves, uint64_t n, nt_hash *out)
{
	if (n == 0) {
		nt_sha256("", 0, out);
		return;
	}
	mth(leaves, n, out);
}

static void reverse(nt_hash *p, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		nt_hash t = p[i];
		p[i] = p[n - 1 - i];
		p[n - 1 - i] = t;
	}
}

/* RFC 9162 2.1.3.1 PATH(m, D[n]), unrolled from the top. */
nt_err nt_merkle_inclusion_proof(const nt_hash *leaves, uint64_t n, uint64_t index, nt_hash *proof,
				 size_t *proof_len)
{
	if (leaves == NULL || proof == NULL || proof_len == NULL || index >= n)
		return NT_ERR_ARG;
	nt_hash tmp[NT_MERKLE_PROOF_MAX];
	size_t len = 0;
	uint64_t off = 0, size = n, m = index;
	while (size > 1) {
		/* A tree of at most 2^64 - 1 leaves is at most 64 levels deep. */
		assert(len < NT_MERKLE_PROOF_MAX);
		uint64_t k = split(size);
		if (m < k) {
			mth(leaves + off + k, size - k, &tmp[len++]);
			size = k;
		} else {
			mth(leaves + off, k, &tmp[len++]);
			off += k;
			m -= k;
			size -= k;
		}
	}
	reverse(tmp, len);
	memcpy(proof, tmp, len * sizeof tmp[0]);
	*proof_len = len;
	return NT_OK;
}

uint64_t nt_merkle_tree_layout(uint64_t n, nt_merkle_tree *t)
{
	if (t == NULL || n == 0 || n > UINT64_MAX / 4 / sizeof(nt_hash))
		return 0;
	/* Level sizes halve (rounding up), so all levels hold < 2n + 64. */
	memset(t, 0, sizeof *t);
	uint64_t total = 0;
	for (uint64_t len = n;; len = (len + 1) / 2) {
		t->off[t->depth] = total;
		t->len[t->depth] = len;
		total += len;
		if (len == 1)
			break;
		t->depth++;
	}
	if (total > SIZE_MAX / sizeof(nt_hash))
		return 0;
	t->n = n;
	return total;
}

nt_err nt_merkle_tree_build(const nt_hash *leaves, uint64_t n, nt_merkle_tree *out)
{
	if (leaves == NULL || out == NULL || n == 0 || n > UINT64_MAX / 4 / sizeof(nt_hash))
		return NT_ERR_ARG;
	nt_merkle_tree t;
	uint64_t total = nt_merkle_tree_layout(n, &t);
	if (total == 0)
		return NT_ERR_NOMEM;
	t.nodes = malloc((size_t)total * sizeof(nt_hash));
	if (t.nodes == NULL)
		return NT_ERR_NOMEM;
	memcpy(t.nodes, leaves, (size_t)n * sizeof(nt_hash));
	for (unsigned j = 0; j < t.depth; j++) {
		const nt_hash *lo = t.nodes + t.off[j];
		nt_hash *up = t.nodes + t.off[j + 1];
		uint64_t len = t.len[j];
		for (uint64_t i = 0; i + 1 < len; i += 2)
			nt_merkle_node_hash(&lo[i], &lo[i + 1], &up[i / 2]);
		if (len & 1)
			up[len / 2] = lo[len - 1];
	}
	*out = t;
	return NT_OK;
}

void nt_merkle_tree_root(const nt_merkle_tree *t, nt_hash *out)
{
	*out = t->nodes[t->off[t->depth]];
}

/* A node without a right sibling is carried up, so it contributes nothing
 * to the path at that level, exactly as the RFC's recursion skips it. */
nt_err nt_merkle_tree_proof(const nt_merkle_tree *t, uint64_t index, nt_hash *proof,
			    size_t *proof_len)
{
	if (t == NULL || t->nodes == NULL || proof == NULL || proof_len == NULL || index >= t->n)
		return NT_ERR_ARG;
	size_t len = 0;
	uint64_t i = index;
	for (unsigned j = 0; j < t->depth; j++, i >>= 1) {
		uint64_t sib = i ^ 1;
		if (sib < t->len[j]) {
			assert(len < NT_MERKLE_PROOF_MAX);
			proof[len++] = t->nodes[t->off[j] + sib];
		}
	}
	*proof_len = len;
	return NT_OK;
}

void nt_merkle_tree_free(nt_merkle_tree *t)
{
	if (t == NULL)
		return;
	free(t->nodes);
	t->nodes = NULL;
}

static bool hash_eq(const nt_hash *a, const nt_hash *b)
{
	return memcmp(a->b, b->b, NT_HASH_LEN) == 0;
}

/* RFC 9162 2.1.3.2. */
nt_err nt_merkle_inclusion_verify(const nt_hash *leaf, uint64_t index, uint64_t size,
				  const nt_hash *proof, size_t proof_len, const nt_hash *root,
				  nt_why *why)
{
	if (leaf == NULL || root == NULL || (proof == NULL && proof_len > 0))
		return nt_fail(why, NT_ERR_ARG, "inclusion proof arguments missing");
	if (index >= size)
		return nt_fail(why, NT_ERR_RANGE, "leaf index out of range");
	uint64_t fn = index, sn = size - 1;
	nt_hash r = *leaf;
	for (size_t i = 0; i < proof_len; i++) {
		if (sn == 0)
			return nt_fail(why, NT_ERR_PROOF, "inclusion proof too long");
		if ((fn & 1) || fn == sn) {
			nt_merkle_node_hash(&proof[i], &r, &r);
			/* The right edge of an unbalanced tree: climb past the
			 * levels where this node has no right sibling. */
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			nt_merkle_node_hash(&r, &proof[i], &r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return nt_fail(why, NT_ERR_PROOF, "inclusion proof too short");
	if (!hash_eq(&r, root))
		return nt_fail(why, NT_ERR_PROOF, "inclusion proof does not reach the root");
	return NT_OK;
}

/* RFC 9162 2.1.4.1 SUBPROOF(m, D[n], true), unrolled from the top. */
nt_err nt_merkle_consistency_proof(const nt_hash *leaves, uint64_t m, uint64_t n, nt_hash *proof,
				   size_t *proof_len)
{
	if (leaves == NULL || proof == NULL || proof_len == NULL || m == 0 || m > n)
		return NT_ERR_ARG;
	nt_hash tmp[NT_MERKLE_PROOF_MAX];
	size_t len = 0;
	uint64_t off = 0, size = n;
	bool whole = true; /* b in the RFC: still on the path of the old root */
	while (m != size) {
		if (len >= NT_MERKLE_PROOF_MAX)
			return NT_ERR_RANGE;
		uint64_t k = split(size);
		if (m <= k) {
			mth(leaves + off + k, size - k, &tmp[len++]);
			size = k;
		} else {
			mth(leaves + off, k, &tmp[len++]);
			off += k;
			m -= k;
			size -= k;
			whole = false;
		}
	}
	if (!whole) {
		if (len >= NT_MERKLE_PROOF_MAX)
			return NT_ERR_RANGE;
		mth(leaves + off, size, &tmp[len++]);
	}
	reverse(tmp, len);
	memcpy(proof, tmp, len * sizeof tmp[0]);
	*proof_len = len;
	return NT_OK;
}

/* RFC 9162 2.1.4.2. */
nt_err nt_merkle_consistency_verify(uint64_t m, uint64_t n, const nt_hash *root_m,
				    const nt_hash *root_n, const nt_hash *proof, size_t proof_len,
				    nt_why *why)
{
	if (root_m == NULL || root_n == NULL || (proof == NULL && proof_len > 0))
		return nt_fail(why, NT_ERR_ARG, "consistency proof arguments missing");
	if (m == 0 || m > n)
		return nt_fail(why, NT_ERR_RANGE,
			       "consistency proof sizes out of range (%llu then %llu)",
			       (unsigned long long)m, (unsigned long long)n);
	if (m == n) {
		/* Equal sizes: the proof is empty and the roots must agree. */
		if (proof_len != 0)
			return nt_fail(why, NT_ERR_PROOF, "consistency proof too long");
		if (!hash_eq(root_m, root_n))
			return nt_fail(
			    why, NT_ERR_PROOF,
			    "consistency proof: trees of equal size have different roots");
		return NT_OK;
	}
	if (proof_len == 0)
		return nt_fail(why, NT_ERR_PROOF, "consistency proof too short");

	/* Step 2: when m is a power of two the old root is itself a node of
	 * the new tree and is not sent; start from it instead of proof[0]. */
	size_t i = 0;
	const nt_hash *first;
	if ((m & (m - 1)) == 0) {
		first = root_m;
	} else {
		first = &proof[0];
		i = 1;
	}
	uint64_t fn = m - 1, sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	nt_hash fr = *first, sr = *first;
	for (; i < proof_len; i++) {
		if (sn == 0)
			return nt_fail(why, NT_ERR_PROOF, "consistency proof too long");
		if ((fn & 1) || fn == sn) {
			nt_merkle_node_hash(&proof[i], &fr, &fr);
			nt_merkle_node_hash(&proof[i], &sr, &sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			nt_merkle_node_hash(&sr, &proof[i], &sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return nt_fail(why, NT_ERR_PROOF, "consistency proof too short");
	if (!hash_eq(&fr, root_m))
		return nt_fail(why, NT_ERR_PROOF,
			       "consistency proof does not reach the first root");
	if (!hash_eq(&sr, root_n))
		return nt_fail(why, NT_ERR_PROOF,
			       "consistency proof does not reach the second root");
	return NT_OK;
}

void nt_merkle_log_init(nt_merkle_log *log)
{
	memset(log, 0, sizeof *log);
}

/* Binary-counter increment: each trailing set bit of size is a perfect
 * subtree of the same height as the carry, so the two merge one level up. */
void nt_merkle_log_append(nt_merkle_log *log, const nt_hash *leaf_hash)
{
	/* 2^64 - 1 leaves is out of reach; reaching it would be our bug. */
	assert(log->size != UINT64_MAX);
	nt_hash h = *leaf_hash;
	unsigned i = 0;
	while (log->size & ((uint64_t)1 << i)) {
		nt_merkle_node_hash(&log->peaks[i], &h, &h);
		/* Cleared bits keep zero peaks so equal logs compare equal. */
		memset(&log->peaks[i], 0, sizeof log->peaks[i]);
		i++;
	}
	log->peaks[i] = h;
	log->size++;
}

/* Folds the peaks from the smallest (rightmost) up: the RFC split puts the
 * largest perfect subtree on the left at every level. */
void nt_merkle_log_root(const nt_merkle_log *log, nt_hash *out)
{
	if (log->size == 0) {
		nt_sha256("", 0, out);
		return;
	}
	unsigned low = (unsigned)__builtin_ctzll(log->size);
	nt_hash r = log->peaks[low];
	for (unsigned i = low + 1; i < 64; i++) {
		if (log->size & ((uint64_t)1 << i))
			nt_merkle_node_hash(&log->peaks[i], &r, &r);
	}
	*out = r;
}

static size_t log_encoded_len(uint64_t size)
{
	return 8 + (size_t)__builtin_popcountll(size) * NT_HASH_LEN;
}

nt_err nt_merkle_log_encode(const nt_merkle_log *log, uint8_t *out, size_t cap, size_t *len)
{
	if (log == NULL || out == NULL || len == NULL)
		return NT_ERR_ARG;
	size_t need = log_encoded_len(log->size);
	if (cap < need)
		return NT_ERR_RANGE;
	nt_writer w;
	nt_writer_init(&w, out, cap);
	nt_put_u64(&w, log->size);
	for (int i = 63; i >= 0; i--) {
		if (log->size & ((uint64_t)1 << i))
			nt_put_bytes(&w, log->peaks[i].b, NT_HASH_LEN);
	}
	assert(w.ok && w.len == need);
	*len = w.len;
	return NT_OK;
}

nt_err nt_merkle_log_decode(const uint8_t *buf, size_t len, nt_merkle_log *out)
{
	if (buf == NULL || out == NULL)
		return NT_ERR_ARG;
	nt_reader r;
	nt_reader_init(&r, buf, len);
	nt_merkle_log log;
	nt_merkle_log_init(&log);
	log.size = nt_get_u64(&r);
	/* A full log (2^64 - 1 leaves) can take no further leaf: append would
	 * have to refuse on our own invariant, so such bytes are refused here. */
	if (!r.ok || log.size == UINT64_MAX || len != log_encoded_len(log.size))
		return NT_ERR_DECODE;
	for (int i = 63; i >= 0; i--) {
		if (log.size & ((uint64_t)1 << i))
			nt_get_bytes(&r, log.peaks[i].b, NT_HASH_LEN);
	}
	if (!nt_reader_done(&r))
		return NT_ERR_DECODE;
	*out = log;
	return NT_OK;
}
