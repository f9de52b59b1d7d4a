#include "tests/testutil.h"

#include "base/hex.h"
#include "core/merkle.h"
#include "crypto/digest.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The RFC 6962 vector file, with its leaves already turned into leaf hashes. */
typedef struct {
	json_t *doc;
	nt_hash leaves[8];
	size_t n_leaves;
} vectors;

static void hash_from_hex(const char *hex, nt_hash *out)
{
	assert_int_equal(nt_hex_decode32(hex, out->b), NT_OK);
}

static int setup(void **state)
{
	vectors *v = calloc(1, sizeof *v);
	assert_non_null(v);
	char *text = tu_read("rfc6962.json", 1, NULL);
	json_error_t err;
	v->doc = json_loads(text, 0, &err);
	free(text);
	assert_non_null(v->doc);
	json_t *leaves = json_object_get(v->doc, "leaves");
	assert_true(json_is_array(leaves));
	assert_int_equal(json_array_size(leaves), 8);
	for (size_t i = 0; i < json_array_size(leaves); i++) {
		uint8_t raw[64];
		size_t len = 0;
		const char *hex = json_string_value(json_array_get(leaves, i));
		assert_non_null(hex);
		assert_int_equal(nt_hex_decode(hex, raw, sizeof raw, &len), NT_OK);
		nt_merkle_leaf_hash(raw, len, &v->leaves[i]);
	}
	v->n_leaves = json_array_size(leaves);
	*state = v;
	return 0;
}

static int teardown(void **state)
{
	vectors *v = *state;
	json_decref(v->doc);
	free(v);
	return 0;
}

/* Reads a JSON array of hex hashes into out (capacity NT_MERKLE_PROOF_MAX). */
static size_t read_proof(json_t *arr, nt_hash *out)
{
	assert_true(json_is_array(arr));
	size_t n = json_array_size(arr);
	assert_true(n <= NT_MERKLE_PROOF_MAX);
	for (size_t i = 0; i < n; i++)
		hash_from_hex(json_string_value(json_array_get(arr, i)), &out[i]);
	return n;
}

static uint64_t get_u64(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	assert_true(json_is_integer(v));
	return (uint64_t)json_integer_value(v);
}

static void random_hash(nt_hash *h)
{
	for (size_t i = 0; i < NT_HASH_LEN; i += 8) {
		uint64_t r = tu_rand();
		memcpy(h->b + i, &r, 8);
	}
}

/* Proof lengths for trees of up to 16 leaves (the contents do not matter). */
static size_t inclusion_len(uint64_t idx, uint64_t n)
{
	static const nt_hash zero[16];
	nt_hash p[NT_MERKLE_PROOF_MAX];
	size_t len = 0;
	assert_true(n <= 16);
	assert_int_equal(nt_merkle_inclusion_proof(zero, n, idx, p, &len), NT_OK);
	return len;
}

static size_t consistency_len(uint64_t m, uint64_t n)
{
	static const nt_hash zero[16];
	nt_hash p[NT_MERKLE_PROOF_MAX];
	size_t len = 0;
	assert_true(n <= 16);
	assert_int_equal(nt_merkle_consistency_proof(zero, m, n, p, &len), NT_OK);
	return len;
}

static void test_leaf_and_node_hash(void **state)
{
	(void)state;
	/* H(0x00) and H(0x01 || l || r) spelled out with the plain digest. */
	nt_hash a, b;
	uint8_t zero = 0;
	nt_merkle_leaf_hash("", 0, &a);
	nt_sha256(&zero, 1, &b);
	assert_memory_equal(a.b, b.b, NT_HASH_LEN);

	uint8_t buf[65];
	nt_hash l, r;
	random_hash(&l);
	random_hash(&r);
	buf[0] = 1;
	memcpy(buf + 1, l.b, 32);
	memcpy(buf + 33, r.b, 32);
	nt_sha256(buf, sizeof buf, &b);
	nt_merkle_node_hash(&l, &r, &a);
	assert_memory_equal(a.b, b.b, NT_HASH_LEN);
	nt_merkle_node_hash(&r, &l, &a);
	assert_memory_not_equal(a.b, b.b, NT_HASH_LEN);
}

static void test_roots(void **state)
{
	vectors *v = *state;
	json_t *roots = json_object_get(v->doc, "roots");
	assert_int_equal(json_array_size(roots), 9);
	for (size_t i = 0; i < json_array_size(roots); i++) {
		json_t *e = json_array_get(roots, i);
		uint64_t size = get_u64(e, "size");
		assert_true(size <= v->n_leaves);
		nt_hash want, got;
		hash_from_hex(json_string_value(json_object_get(e, "root")), &want);
		nt_merkle_root(v->leaves, size, &got);
		assert_memory_equal(got.b, want.b, NT_HASH_LEN);

		nt_merkle_log log;
		nt_merkle_log_init(&log);
		for (uint64_t j = 0; j < size; j++)
			nt_merkle_log_append(&log, &v->leaves[j]);
		nt_merkle_log_root(&log, &got);
		assert_memory_equal(got.b, want.b, NT_HASH_LEN);
	}
}

static void expect_fail(nt_err e, nt_err code, const nt_why *why, const char *msg)
{
	assert_int_equal(e, code);
	if (msg != NULL)
		assert_string_equal(why->msg, msg);
}

static void test_inclusion_vectors(void **state)
{
	vectors *v = *state;
	json_t *cases = json_object_get(v->doc, "inclusion");
	assert_true(json_array_size(cases) >= 36);
	for (size_t c = 0; c < json_array_size(cases); c++) {
		json_t *e = json_array_get(cases, c);
		uint64_t idx = get_u64(e, "leaf_index"), size = get_u64(e, "tree_size");
		nt_hash want[NT_MERKLE_PROOF_MAX + 1], got[NT_MERKLE_PROOF_MAX];
		size_t want_len = read_proof(json_object_get(e, "proof"), want), got_len = 99;
		assert_true(size <= v->n_leaves);

		assert_int_equal(nt_merkle_inclusion_proof(v->leaves, size, idx, got, &got_len),
				 NT_OK);
		assert_int_equal(got_len, want_len);
		if (want_len > 0)
			assert_memory_equal(got, want, want_len * sizeof want[0]);

		nt_hash root;
		nt_why why = {{0}};
		nt_merkle_root(v->leaves, size, &root);
		const nt_hash *leaf = &v->leaves[idx];
		assert_int_equal(
		    nt_merkle_inclusion_verify(leaf, idx, size, want, want_len, &root, &why),
		    NT_OK);

		/* Every flipped byte position class breaks it. */
		for (size_t i = 0; i < want_len; i++) {
			nt_hash save = want[i];
			want[i].b[(i * 7) % NT_HASH_LEN] ^= 0x01;
			expect_fail(nt_merkle_inclusion_verify(leaf, idx, size, want, want_len,
							       &root, &why),
				    NT_ERR_PROOF, &why, "inclusion proof does not reach the root");
			want[i] = save;
		}
		/* A different leaf, and a different root. */
		expect_fail(nt_merkle_inclusion_verify(&v->leaves[(idx + 1) % 8], idx, size, want,
						       want_len, &root, &why),
			    NT_ERR_PROOF, &why, "inclusion proof does not reach the root");
		nt_hash bad_root = root;
		bad_root.b[31] ^= 0x80;
		expect_fail(
		    nt_merkle_inclusion_verify(leaf, idx, size, want, want_len, &bad_root, &why),
		    NT_ERR_PROOF, &why, "inclusion proof does not reach the root");

		/* Wrong index within the same tree: a different path. */
		for (uint64_t j = 0; j < size; j++) {
			if (j == idx)
				continue;
			assert_int_not_equal(
			    nt_merkle_inclusion_verify(leaf, j, size, want, want_len, &root, NULL),
			    NT_OK);
		}
		/* Wrong sizes. A proof binds the size only through the shape
		 * of the path (leaf 0 of 3 and of 4 share one), so a size with
		 * a path of another length must fail, by length. */
		for (uint64_t s = idx + 1; s <= 16; s++) {
			size_t len_s = inclusion_len(idx, s);
			if (s == size || len_s == want_len)
				continue;
			expect_fail(
			    nt_merkle_inclusion_verify(leaf, idx, s, want, want_len, &root, &why),
			    NT_ERR_PROOF, &why,
			    len_s < want_len ? "inclusion proof too long"
					     : "inclusion proof too short");
		}
		expect_fail(
		    nt_merkle_inclusion_verify(leaf, size, size, want, want_len, &root, &why),
		    NT_ERR_RANGE, &why, "leaf index out of range");
		expect_fail(nt_merkle_inclusion_verify(leaf, idx, 0, want, want_len, &root, &why),
			    NT_ERR_RANGE, &why, "leaf index out of range");

		/* Missing the last element, and with one extra. */
		if (want_len > 0)
			expect_fail(nt_merkle_inclusion_verify(leaf, idx, size, want, want_len - 1,
							       &root, &why),
				    NT_ERR_PROOF, &why, "inclusion proof too short");
		want[want_len] = root;
		expect_fail(
		    nt_merkle_inclusion_verify(leaf, idx, size, want, want_len + 1, &root, &why),
		    NT_ERR_PROOF, &why, "inclusion proof too long");
	}
}

static void test_inclusion_bad_args(void **state)
{
	vectors *v = *state;
	nt_hash proof[NT_MERKLE_PROOF_MAX];
	size_t len = 1234;
	assert_int_equal(nt_merkle_inclusion_proof(v->leaves, 8, 8, proof, &len), NT_ERR_ARG);
	assert_int_equal(nt_merkle_inclusion_proof(v->leaves, 0, 0, proof, &len), NT_ERR_ARG);
	assert_int_equal(len, 1234);
	/* Size one: the empty proof, and the leaf is the root. */
	assert_int_equal(nt_merkle_inclusion_proof(v->leaves, 1, 0, proof, &len), NT_OK);
	assert_int_equal(len, 0);
	assert_int_equal(
	    nt_merkle_inclusion_verify(&v->leaves[0], 0, 1, proof, 0, &v->leaves[0], NULL), NT_OK);
	/* A proof far longer than any tree allows. */
	nt_hash big[NT_MERKLE_PROOF_MAX + 2];
	memset(big, 0, sizeof big);
	nt_why why = {{0}};
	expect_fail(nt_merkle_inclusion_verify(&v->leaves[0], 0, UINT64_MAX, big,
					       NT_MERKLE_PROOF_MAX + 2, &v->leaves[0], &why),
		    NT_ERR_PROOF, &why, "inclusion proof too long");
}

static void test_consistency_vectors(void **state)
{
	vectors *v = *state;
	json_t *cases = json_object_get(v->doc, "consistency");
	assert_true(json_array_size(cases) >= 28);
	for (size_t c = 0; c < json_array_size(cases); c++) {
		json_t *e = json_array_get(cases, c);
		uint64_t m = get_u64(e, "first"), n = get_u64(e, "second");
		nt_hash want[NT_MERKLE_PROOF_MAX + 1], got[NT_MERKLE_PROOF_MAX];
		size_t want_len = read_proof(json_object_get(e, "proof"), want), got_len = 99;
		assert_true(n <= v->n_leaves);

		assert_int_equal(nt_merkle_consistency_proof(v->leaves, m, n, got, &got_len),
				 NT_OK);
		assert_int_equal(got_len, want_len);
		assert_true(want_len > 0);
		assert_memory_equal(got, want, want_len * sizeof want[0]);

		nt_hash rm, rn;
		nt_merkle_root(v->leaves, m, &rm);
		nt_merkle_root(v->leaves, n, &rn);
		nt_why why = {{0}};
		assert_int_equal(nt_merkle_consistency_verify(m, n, &rm, &rn, want, want_len, &why),
				 NT_OK);

		for (size_t i = 0; i < want_len; i++) {
			nt_hash save = want[i];
			want[i].b[(i * 11) % NT_HASH_LEN] ^= 0x40;
			assert_int_equal(
			    nt_merkle_consistency_verify(m, n, &rm, &rn, want, want_len, &why),
			    NT_ERR_PROOF);
			want[i] = save;
		}
		nt_hash bad = rm;
		bad.b[0] ^= 1;
		expect_fail(nt_merkle_consistency_verify(m, n, &bad, &rn, want, want_len, &why),
			    NT_ERR_PROOF, &why, NULL);
		bad = rn;
		bad.b[0] ^= 1;
		expect_fail(nt_merkle_consistency_verify(m, n, &rm, &bad, want, want_len, &why),
			    NT_ERR_PROOF, &why, NULL);
		/* Swapped roots, other sizes. */
		assert_int_not_equal(
		    nt_merkle_consistency_verify(m, n, &rn, &rm, want, want_len, NULL), NT_OK);
		for (uint64_t s = m + 1; s <= 16; s++) {
			size_t len_s = consistency_len(m, s);
			if (s == n || len_s == want_len)
				continue;
			expect_fail(
			    nt_merkle_consistency_verify(m, s, &rm, &rn, want, want_len, &why),
			    NT_ERR_PROOF, &why,
			    len_s < want_len ? "consistency proof too long"
					     : "consistency proof too short");
		}
		expect_fail(nt_merkle_consistency_verify(m, n, &rm, &rn, want, want_len - 1, &why),
			    NT_ERR_PROOF, &why, NULL);
		want[want_len] = rn;
		expect_fail(nt_merkle_consistency_verify(m, n, &rm, &rn, want, want_len + 1, &why),
			    NT_ERR_PROOF, &why, NULL);
		expect_fail(nt_merkle_consistency_verify(0, n, &rm, &rn, want, want_len, &why),
			    NT_ERR_RANGE, &why, NULL);
		expect_fail(nt_merkle_consistency_verify(n + 1, n, &rm, &rn, want, want_len, &why),
			    NT_ERR_RANGE, &why, NULL);
	}
}

static void test_consistency_edges(void **state)
{
	vectors *v = *state;
	nt_hash proof[NT_MERKLE_PROOF_MAX], r8, r7;
	size_t len = 77;
	nt_why why = {{0}};
	assert_int_equal(nt_merkle_consistency_proof(v->leaves, 0, 8, proof, &len), NT_ERR_ARG);
	assert_int_equal(nt_merkle_consistency_proof(v->leaves, 9, 8, proof, &len), NT_ERR_ARG);
	assert_int_equal(len, 77);
	/* m == n: empty proof, roots must be equal. */
	assert_int_equal(nt_merkle_consistency_proof(v->leaves, 8, 8, proof, &len), NT_OK);
	assert_int_equal(len, 0);
	nt_merkle_root(v->leaves, 8, &r8);
	nt_merkle_root(v->leaves, 7, &r7);
	assert_int_equal(nt_merkle_consistency_verify(8, 8, &r8, &r8, proof, 0, &why), NT_OK);
	assert_int_equal(nt_merkle_consistency_verify(8, 8, &r8, &r7, proof, 0, &why),
			 NT_ERR_PROOF);
	proof[0] = r8;
	expect_fail(nt_merkle_consistency_verify(8, 8, &r8, &r8, proof, 1, &why), NT_ERR_PROOF,
		    &why, "consistency proof too long");
	/* m < n with no proof at all. */
	expect_fail(nt_merkle_consistency_verify(7, 8, &r7, &r8, proof, 0, &why), NT_ERR_PROOF,
		    &why, "consistency proof too short");
}

static void test_log_matches_root(void **state)
{
	(void)state;
	enum { N = 1000 };
	nt_hash *leaves = malloc(N * sizeof *leaves);
	assert_non_null(leaves);
	nt_merkle_log log;
	nt_merkle_log_init(&log);
	nt_hash a, b;
	nt_merkle_log_root(&log, &a);
	nt_merkle_root(leaves, 0, &b);
	assert_memory_equal(a.b, b.b, NT_HASH_LEN);
	for (size_t i = 0; i < N; i++) {
		random_hash(&leaves[i]);
		nt_merkle_log_append(&log, &leaves[i]);
		assert_int_equal(log.size, i + 1);
		nt_merkle_log_root(&log, &a);
		nt_merkle_root(leaves, i + 1, &b);
		assert_memory_equal(a.b, b.b, NT_HASH_LEN);
	}
	free(leaves);
}

static void test_log_encode_decode(void **state)
{
	(void)state;
	nt_merkle_log log;
	nt_merkle_log_init(&log);
	uint8_t buf[NT_MERKLE_LOG_MAX + 8];
	for (size_t n = 0; n <= 300; n++) {
		size_t len = 0;
		assert_int_equal(nt_merkle_log_encode(&log, buf, sizeof buf, &len), NT_OK);
		assert_int_equal(len, 8 + 32 * (size_t)__builtin_popcountll(n));
		/* big-endian size first */
		assert_int_equal(buf[6], (n >> 8) & 0xff);
		assert_int_equal(buf[7], n & 0xff);

		nt_merkle_log back;
		memset(&back, 0xaa, sizeof back);
		assert_int_equal(nt_merkle_log_decode(buf, len, &back), NT_OK);
		assert_memory_equal(&back, &log, sizeof log);
		nt_hash a, b;
		nt_merkle_log_root(&back, &a);
		nt_merkle_log_root(&log, &b);
		assert_memory_equal(a.b, b.b, NT_HASH_LEN);

		/* Strict length: one short, one long, and the bare size. */
		memcpy(&back, &log, sizeof back);
		if (len > 0)
			assert_int_equal(nt_merkle_log_decode(buf, len - 1, &back), NT_ERR_DECODE);
		assert_int_equal(nt_merkle_log_decode(buf, len + 1, &back), NT_ERR_DECODE);
		if (n != 0)
			assert_int_equal(nt_merkle_log_decode(buf, 8, &back), NT_ERR_DECODE);
		assert_int_equal(nt_merkle_log_decode(buf, len + 32, &back), NT_ERR_DECODE);
		assert_memory_equal(&back, &log, sizeof log);
		/* Too small an output buffer. */
		size_t keep = 5;
		assert_int_equal(nt_merkle_log_encode(&log, buf, len - 1, &keep), NT_ERR_RANGE);
		assert_int_equal(keep, 5);

		nt_hash leaf;
		random_hash(&leaf);
		nt_merkle_log_append(&log, &leaf);
	}
	/* The largest encoding fits NT_MERKLE_LOG_MAX: every bit set. Such a
	 * full log could take no further leaf, so decode refuses it; the
	 * largest it accepts has 2^64 - 2 leaves (63 peaks). */
	memset(buf, 0xff, 8);
	memset(buf + 8, 0x5a, 64 * 32);
	nt_merkle_log big;
	assert_int_equal(nt_merkle_log_decode(buf, NT_MERKLE_LOG_MAX, &big), NT_ERR_DECODE);
	buf[7] = 0xfe;
	assert_int_equal(nt_merkle_log_decode(buf, NT_MERKLE_LOG_MAX - 32, &big), NT_OK);
	assert_true(big.size == UINT64_MAX - 1);
	nt_hash leaf;
	random_hash(&leaf);
	nt_merkle_log_append(&big, &leaf);
	assert_true(big.size == UINT64_MAX);
	size_t len = 0;
	uint8_t out[NT_MERKLE_LOG_MAX];
	assert_int_equal(nt_merkle_log_encode(&big, out, sizeof out, &len), NT_OK);
	assert_int_equal(len, NT_MERKLE_LOG_MAX);
	memset(buf, 0xff, 8);
	assert_memory_equal(out, buf, 8);
	/* Empty input and a truncated size field. */
	assert_int_equal(nt_merkle_log_decode(buf, 0, &big), NT_ERR_DECODE);
	assert_int_equal(nt_merkle_log_decode(buf, 7, &big), NT_ERR_DECODE);
}

/* Sizes beyond what can be appended in a test: the root must still fold
 * every peak, smallest first, e.g. size 2^40 + 2^3 + 1 gives
 * node(p40, node(p3, p0)). */
static void test_log_high_bits(void **state)
{
	(void)state;
	uint64_t size = ((uint64_t)1 << 40) | 8 | 1;
	uint8_t buf[8 + 3 * 32];
	nt_hash p40, p3, p0, inner, want, got;
	random_hash(&p40);
	random_hash(&p3);
	random_hash(&p0);
	for (int i = 0; i < 8; i++)
		buf[i] = (uint8_t)(size >> (56 - 8 * i));
	memcpy(buf + 8, p40.b, 32);
	memcpy(buf + 40, p3.b, 32);
	memcpy(buf + 72, p0.b, 32);
	nt_merkle_log log;
	assert_int_equal(nt_merkle_log_decode(buf, sizeof buf, &log), NT_OK);
	assert_true(log.size == size);
	nt_merkle_node_hash(&p3, &p0, &inner);
	nt_merkle_node_hash(&p40, &inner, &want);
	nt_merkle_log_root(&log, &got);
	assert_memory_equal(got.b, want.b, NT_HASH_LEN);

	/* One more leaf carries into bit 1 and leaves bits 40 and 3 alone. */
	nt_hash leaf, p1;
	random_hash(&leaf);
	nt_merkle_log_append(&log, &leaf);
	nt_merkle_node_hash(&p0, &leaf, &p1);
	assert_memory_equal(log.peaks[1].b, p1.b, NT_HASH_LEN);
	nt_merkle_node_hash(&p3, &p1, &inner);
	nt_merkle_node_hash(&p40, &inner, &want);
	nt_merkle_log_root(&log, &got);
	assert_memory_equal(got.b, want.b, NT_HASH_LEN);
}

static void test_property(void **state)
{
	(void)state;
	enum { N = 2000 };
	nt_hash *leaves = malloc(N * sizeof *leaves);
	assert_non_null(leaves);
	for (size_t i = 0; i < N; i++)
		random_hash(&leaves[i]);
	for (int iter = 0; iter < 300; iter++) {
		uint64_t n = 1 + tu_rand() % N;
		uint64_t idx = tu_rand() % n;
		nt_hash proof[NT_MERKLE_PROOF_MAX], root;
		size_t len = 0;
		nt_why why = {{0}};
		nt_merkle_root(leaves, n, &root);
		assert_int_equal(nt_merkle_inclusion_proof(leaves, n, idx, proof, &len), NT_OK);
		assert_true(len <= 11);
		assert_int_equal(
		    nt_merkle_inclusion_verify(&leaves[idx], idx, n, proof, len, &root, &why),
		    NT_OK);
		if (n > 1) {
			uint64_t other = (idx + 1 + tu_rand() % (n - 1)) % n;
			assert_int_not_equal(nt_merkle_inclusion_verify(&leaves[idx], other, n,
									proof, len, &root, NULL),
					     NT_OK);
		}

		uint64_t m = 1 + tu_rand() % n;
		nt_hash rm;
		nt_merkle_root(leaves, m, &rm);
		assert_int_equal(nt_merkle_consistency_proof(leaves, m, n, proof, &len), NT_OK);
		assert_int_equal(nt_merkle_consistency_verify(m, n, &rm, &root, proof, len, &why),
				 NT_OK);
		if (len > 0) {
			proof[tu_rand() % len].b[tu_rand() % 32] ^= 1;
			assert_int_equal(
			    nt_merkle_consistency_verify(m, n, &rm, &root, proof, len, &why),
			    NT_ERR_PROOF);
		}
	}
	free(leaves);
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_leaf_and_node_hash),	cmocka_unit_test(test_roots),
	    cmocka_unit_test(test_inclusion_vectors),	cmocka_unit_test(test_inclusion_bad_args),
	    cmocka_unit_test(test_consistency_vectors), cmocka_unit_test(test_consistency_edges),
	    cmocka_unit_test(test_log_matches_root),	cmocka_unit_test(test_log_encode_decode),
	    cmocka_unit_test(test_log_high_bits),	cmocka_unit_test(test_property),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
