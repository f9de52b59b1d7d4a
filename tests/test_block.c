/* Block container: header || u32 count || count x { u16 len || record }. */
#include "tests/testutil.h"

#include <stdlib.h>
#include <string.h>

#include "base/codec.h"
#include "core/block.h"
#include "core/merkle.h"
#include "core/record.h"

static void sample_header(nt_header *h, uint32_t count)
{
	memset(h, 0, sizeof *h);
	h->version = 1;
	strcpy(h->chain_id, "blk-net");
	h->height = 3;
	h->time = 1764000000000ULL;
	h->record_count = count;
	memset(h->proposer.b, 0x42, 32);
}

/* A block of n records of varied lengths (random bytes: block decoding is
 * structural, records are checked elsewhere). */
static nt_block *sample_block(uint32_t n)
{
	nt_block *b = NULL;
	assert_int_equal(nt_block_new(n, &b), NT_OK);
	sample_header(&b->header, n);
	uint8_t rec[NT_RECORD_MAX];
	for (uint32_t i = 0; i < n; i++) {
		size_t len = 1 + (size_t)(tu_rand() % 300);
		if (i == 1)
			len = NT_RECORD_MAX;
		for (size_t k = 0; k < len; k++)
			rec[k] = (uint8_t)tu_rand();
		assert_int_equal(nt_block_set(b, i, rec, len), NT_OK);
	}
	return b;
}

static void test_roundtrip(void **state)
{
	(void)state;
	const uint32_t sizes[] = {0, 1, 2, 7};
	for (size_t s = 0; s < 4; s++) {
		nt_block *b = sample_block(sizes[s]), *d = NULL;
		uint8_t *buf = NULL, *buf2 = NULL;
		size_t n, n2;
		assert_int_equal(nt_block_encode(b, &buf, &n), NT_OK);
		/* layout: header, u32 count, u16 length + bytes each */
		uint8_t hb[NT_HEADER_MAX];
		size_t hl;
		assert_int_equal(nt_header_encode(&b->header, hb, sizeof hb, &hl), NT_OK);
		assert_memory_equal(buf, hb, hl);
		nt_reader r;
		nt_reader_init(&r, buf + hl, n - hl);
		assert_int_equal(nt_get_u32(&r), b->count);
		for (uint32_t i = 0; i < b->count; i++) {
			assert_int_equal(nt_get_u16(&r), b->lens[i]);
			const uint8_t *p = nt_get_view(&r, b->lens[i]);
			assert_non_null(p);
			assert_memory_equal(p, b->recs[i], b->lens[i]);
		}
		assert_true(nt_reader_done(&r));

		assert_int_equal(nt_block_decode(buf, n, &d, NULL), NT_OK);
		assert_int_equal(d->count, b->count);
		assert_int_equal(d->header.height, 3);
		assert_string_equal(d->header.chain_id, "blk-net");
		for (uint32_t i = 0; i < d->count; i++) {
			assert_int_equal(d->lens[i], b->lens[i]);
			assert_memory_equal(d->recs[i], b->recs[i], b->lens[i]);
			nt_hash id;
			nt_merkle_leaf_hash(b->recs[i], b->lens[i], &id);
			assert_memory_equal(d->ids[i].b, id.b, 32);
			assert_memory_equal(b->ids[i].b, id.b, 32);
		}
		assert_int_equal(nt_block_encode(d, &buf2, &n2), NT_OK);
		assert_int_equal(n, n2);
		assert_memory_equal(buf, buf2, n);
		free(buf);
		free(buf2);
		nt_block_free(b);
		nt_block_free(d);
	}
	nt_block_free(NULL);
}

static void test_set_and_new(void **state)
{
	(void)state;
	nt_block *b = NULL;
	uint8_t rec[NT_RECORD_MAX + 1] = {1, 2, 3};
	assert_int_equal(nt_block_new(NT_BLOCK_MAX_RECORDS + 1, &b), NT_ERR_RANGE);
	assert_null(b);
	assert_int_equal(nt_block_new(2, &b), NT_OK);
	sample_header(&b->header, 2);
	assert_int_equal(nt_block_set(b, 2, rec, 3), NT_ERR_ARG);
	assert_int_equal(nt_block_set(b, 0, rec, 0), NT_ERR_RANGE);
	assert_int_equal(nt_block_set(b, 0, rec, NT_RECORD_MAX + 1), NT_ERR_RANGE);
	assert_int_equal(nt_block_set(b, 0, rec, 3), NT_OK);
	/* a missing record cannot be encoded */
	uint8_t *out = NULL;
	size_t n = 0;
	assert_int_equal(nt_block_encode(b, &out, &n), NT_ERR_ARG);
	assert_null(out);
	/* replacing a slot frees the old copy (ASan would see a leak) */
	assert_int_equal(nt_block_set(b, 1, rec, 2), NT_OK);
	assert_int_equal(nt_block_set(b, 1, rec, 3), NT_OK);
	assert_memory_equal(b->ids[0].b, b->ids[1].b, 32);
	/* a header that does not encode */
	b->header.height = 0;
	assert_int_equal(nt_block_encode(b, &out, &n), NT_ERR_RANGE);
	nt_block_free(b);
}

static void decode_bad(const uint8_t *buf, size_t n, nt_err want, const char *part)
{
	nt_block *d = (nt_block *)0x1;
	nt_why why = {{0}};
	nt_err e = nt_block_decode(buf, n, &d, &why);
	if (e != want)
		fail_msg("decode gave %d (%s), wanted %d", e, why.msg, want);
	assert_true(d == (nt_block *)0x1);
	if (part != NULL)
		assert_non_null(strstr(why.msg, part));
}

static void test_strict(void **state)
{
	(void)state;
	nt_block *b = sample_block(3);
	uint8_t *buf;
	size_t n;
	assert_int_equal(nt_block_encode(b, &buf, &n), NT_OK);
	size_t hl = 2 + strlen(b->header.chain_id) + 220;
	uint8_t *t = malloc(n + 1);

	for (size_t i = 0; i < n; i++)
		decode_bad(buf, i, NT_ERR_DECODE, NULL);
	memcpy(t, buf, n);
	t[n] = 0;
	decode_bad(t, n + 1, NT_ERR_DECODE, "trailing");
	/* header errors come through */
	memcpy(t, buf, n);
	t[0] = 3;
	decode_bad(t, n, NT_ERR_RANGE, "header version");
	/* counts */
	memcpy(t, buf, n);
	memset(t + hl, 0xff, 4);
	decode_bad(t, n, NT_ERR_RANGE, "records");
	memcpy(t, buf, n);
	t[hl] = 0;
	t[hl + 1] = 0;
	t[hl + 2] = 0x4e;
	t[hl + 3] = 0x20; /* 20000 records claimed, far fewer bytes */
	decode_bad(t, n, NT_ERR_DECODE, "too short");
	memcpy(t, buf, n);
	t[hl + 3] = 2;
	decode_bad(t, n, NT_ERR_DECODE, "trailing");
	memcpy(t, buf, n);
	t[hl + 3] = 4;
	decode_bad(t, n, NT_ERR_DECODE, NULL);
	/* record lengths: zero, more than a record can be */
	memcpy(t, buf, n);
	size_t first_len = hl + 4;
	t[first_len] = 0xff;
	t[first_len + 1] = 0xff;
	decode_bad(t, n, NT_ERR_DECODE, "truncated in record 0");
	static uint8_t z[NT_HEADER_MAX + 4 + 2 + NT_RECORD_MAX + 2];
	nt_writer w;
	nt_writer_init(&w, z, sizeof z);
	nt_put_bytes(&w, buf, hl);
	nt_put_u32(&w, 1);
	nt_put_u16(&w, 0);
	nt_put_u8(&w, 0);
	decode_bad(z, w.len, NT_ERR_RANGE, "length 0");
	nt_writer_init(&w, z, sizeof z);
	nt_put_bytes(&w, buf, hl);
	nt_put_u32(&w, 1);
	nt_put_u16(&w, NT_RECORD_MAX + 1);
	for (size_t i = 0; i < NT_RECORD_MAX + 1; i++)
		nt_put_u8(&w, 7);
	assert_true(w.ok);
	decode_bad(z, w.len, NT_ERR_RANGE, "length");
	/* larger than NT_BLOCK_MAX_BYTES is refused up front */
	uint8_t *huge = calloc(1, (size_t)NT_BLOCK_MAX_BYTES + 1);
	memcpy(huge, buf, n);
	decode_bad(huge, (size_t)NT_BLOCK_MAX_BYTES + 1, NT_ERR_RANGE, "bytes");
	free(huge);
	free(t);
	free(buf);
	nt_block_free(b);
}

static void test_limits(void **state)
{
	(void)state;
	/* the most records a block may carry */
	nt_block *b = NULL, *d = NULL;
	assert_int_equal(nt_block_new(NT_BLOCK_MAX_RECORDS, &b), NT_OK);
	sample_header(&b->header, NT_BLOCK_MAX_RECORDS);
	for (uint32_t i = 0; i < NT_BLOCK_MAX_RECORDS; i++) {
		uint8_t r[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
				(uint8_t)i};
		assert_int_equal(nt_block_set(b, i, r, 4), NT_OK);
	}
	uint8_t *buf;
	size_t n;
	assert_int_equal(nt_block_encode(b, &buf, &n), NT_OK);
	assert_int_equal(nt_block_decode(buf, n, &d, NULL), NT_OK);
	assert_int_equal(d->count, NT_BLOCK_MAX_RECORDS);
	assert_memory_equal(d->ids[19999].b, b->ids[19999].b, 32);
	free(buf);
	nt_block_free(d);
	nt_block_free(b);
}

static void test_fuzz(void **state)
{
	(void)state;
	nt_block *b = sample_block(4);
	uint8_t *good, *t;
	size_t n;
	assert_int_equal(nt_block_encode(b, &good, &n), NT_OK);
	t = malloc(n);
	int ok = 0;
	for (int k = 0; k < 3000; k++) {
		memcpy(t, good, n);
		size_t len = n;
		t[tu_rand() % n] ^= (uint8_t)(1u << (tu_rand() % 8));
		if (tu_rand() % 4 == 0)
			len = (size_t)(tu_rand() % n);
		nt_block *d = NULL;
		if (nt_block_decode(t, len, &d, NULL) != NT_OK)
			continue;
		ok++;
		uint8_t *re;
		size_t rn;
		assert_int_equal(nt_block_encode(d, &re, &rn), NT_OK);
		assert_int_equal(rn, len);
		assert_memory_equal(re, t, len);
		free(re);
		nt_block_free(d);
	}
	print_message("# %d of 3000 damaged blocks still decode (canonically)\n", ok);
	free(t);
	free(good);
	nt_block_free(b);
}

static int setup(void **state)
{
	(void)state;
	tu_seed();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_set_and_new),
	    cmocka_unit_test(test_strict),    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
