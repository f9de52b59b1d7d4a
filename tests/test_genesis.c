/* Genesis file parsing and the UTC time format. */
#include "tests/testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "core/genesis.h"
#include "crypto/keys.h"
#include "node/genesis_file.h"

static char pk[3][65];

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		nt_seckey *k;
		nt_pubkey p;
		if (nt_seckey_generate(&k) != NT_OK)
			return -1;
		nt_seckey_pubkey(k, &p);
		nt_seckey_free(k);
		nt_hex_encode(p.b, 32, pk[i]);
	}
	return 0;
}

static void test_time(void **state)
{
	(void)state;
	uint64_t ms;
	char buf[32];
	assert_int_equal(nt_time_parse("2026-11-29T00:00:00.000Z", &ms), NT_OK);
	assert_int_equal(ms, 1795910400000ULL);
	assert_int_equal(nt_time_parse("2026-11-29T00:00:00Z", &ms), NT_OK);
	assert_int_equal(ms, 1795910400000ULL);
	assert_int_equal(nt_time_parse("2024-02-29T12:34:56.789Z", &ms), NT_OK);
	assert_int_equal(ms, 1709210096789ULL);
	assert_int_equal(nt_time_parse("1970-01-01T00:00:00.000Z", &ms), NT_OK);
	assert_int_equal(ms, 0);
	nt_time_format(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	nt_time_format(1764000000123ULL, buf);
	assert_string_equal(buf, "2025-11-24T16:00:00.123Z");
	nt_time_format(1709210096789ULL, buf);
	assert_string_equal(buf, "2024-02-29T12:34:56.789Z");
	nt_time_format(253402300799999ULL, buf);
	assert_string_equal(buf, "9999-12-31T23:59:59.999Z");
	nt_time_format(UINT64_MAX, buf); /* does not overflow buf */
	assert_true(strlen(buf) < 32);

	const char *bad[] = {
	    "",
	    "2026-11-29",
	    "2026-11-29 00:00:00.000Z",
	    "2026-11-29T00:00:00.000z",
	    "2026-11-29T00:00:00.000",
	    "2026-11-29T00:00:00.000+00:00",
	    "2026-11-29T00:00:00.00Z",
	    "2026-11-29T00:00:00.0000Z",
	    "2026-11-29T00:00:00,000Z",
	    " 2026-11-29T00:00:00.000Z",
	    "2026-11-29T00:00:00.000Z ",
	    "+026-11-29T00:00:00.000Z",
	    "2026-1-29T00:00:00.000Z",
	    "2026-11-29T0:00:00.000Z",
	    "2026-13-01T00:00:00.000Z",
	    "2026-00-01T00:00:00.000Z",
	    "2026-11-00T00:00:00.000Z",
	    "2026-02-29T00:00:00.000Z",
	    "2026-04-31T00:00:00.000Z",
	    "2026-11-29T24:00:00.000Z",
	    "2026-11-29T23:60:00.000Z",
	    "2026-11-29T23:59:60.000Z",
	    "1969-12-31T23:59:59.999Z",
	    "2026-11-29T00:00:00.-01Z",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ms = 77;
		if (nt_time_parse(bad[i], &ms) == NT_OK)
			fail_msg("accepted time '%s'", bad[i]);
		assert_int_equal(ms, 77);
	}
	/* every millisecond value and a spread of dates round-trip */
	tu_seed();
	for (int k = 0; k < 2000; k++) {
		uint64_t t = tu_rand() % 253402300800000ULL;
		nt_time_format(t, buf);
		assert_int_equal(nt_time_parse(buf, &ms), NT_OK);
		assert_int_equal(ms, t);
	}
}

static void test_vector_genesis(void **state)
{
	(void)state;
	size_t len;
	char *text = tu_read("receipt-v1/genesis.json", 1, &len);
	nt_genesis *g = calloc(1, sizeof *g), *g2 = calloc(1, sizeof *g2);
	nt_why why = {{0}};
	assert_int_equal(nt_genesis_parse(text, len, g, &why), NT_OK);
	free(text);
	assert_string_equal(g->chain_id, "vector-net-1");
	assert_int_equal(g->genesis_time, 1795910400000ULL);
	assert_int_equal(g->vals.n, 4);
	assert_string_equal(g->vals.names[2], "Internet Court C");
	char hex[65];
	nt_hex_encode(g->vals.keys[3].b, 32, hex);
	assert_string_equal(hex,
			    "a4600d8263cd2063504fe597e6b052f0dc7538c3cd0807c7ee8b4d1e87a67227");
	nt_hash h;
	nt_valset_hash(&g->vals, &h);
	assert_memory_equal(h.b, g->validators_hash.b, 32);

	/* to_json and back */
	char *out = NULL;
	assert_int_equal(nt_genesis_to_json(g, &out), NT_OK);
	assert_non_null(strstr(out, "\"genesis_time\": \"2026-11-29T00:00:00.000Z\""));
	assert_true(strstr(out, "\"chain_id\"") < strstr(out, "\"validators\""));
	assert_int_equal(nt_genesis_parse(out, strlen(out), g2, &why), NT_OK);
	free(out);
	assert_string_equal(g2->chain_id, g->chain_id);
	assert_int_equal(g2->genesis_time, g->genesis_time);
	assert_int_equal(g2->vals.n, 4);
	assert_memory_equal(&g2->vals, &g->vals, sizeof g->vals);
	assert_memory_equal(g2->validators_hash.b, g->validators_hash.b, 32);

	/* load from a file, and a missing file */
	char *dir = tu_tmpdir();
	char path[512];
	snprintf(path, sizeof path, "%s/genesis.json", dir);
	assert_int_equal(nt_genesis_to_json(g, &out), NT_OK);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(out, f);
	fclose(f);
	free(out);
	memset(g2, 0, sizeof *g2);
	assert_int_equal(nt_genesis_load(path, g2, &why), NT_OK);
	assert_memory_equal(g2->validators_hash.b, g->validators_hash.b, 32);
	snprintf(path, sizeof path, "%s/missing.json", dir);
	assert_int_equal(nt_genesis_load(path, g2, &why), NT_ERR_NOT_FOUND);
	assert_non_null(strstr(why.msg, "missing.json"));
	tu_rmdir(dir);
	free(dir);
	free(g);
	free(g2);
}

/* Genesis text with @0 @1 @2 replaced by the generated keys, @p by the
 * first 62 hex digits of key 0. */
static nt_err parse_fmt(const char *fmt, nt_why *why)
{
	char text[8192];
	size_t o = 0;
	for (const char *p = fmt; *p != '\0';) {
		if (p[0] == '@' && p[1] != '\0') {
			const char *k = p[1] == 'p' ? pk[0] : pk[p[1] - '0'];
			size_t kl = p[1] == 'p' ? 62 : 64;
			memcpy(text + o, k, kl);
			o += kl;
			p += 2;
		} else {
			text[o++] = *p++;
		}
		assert_true(o < sizeof text - 70);
	}
	text[o] = '\0';
	nt_genesis *g = calloc(1, sizeof *g);
	assert_non_null(g);
	g->vals.n = 999;
	memset(why, 0, sizeof *why);
	nt_err e = nt_genesis_parse(text, strlen(text), g, why);
	if (e != NT_OK) {
		assert_int_equal(g->vals.n, 999); /* untouched */
		assert_true(why->msg[0] != '\0');
	}
	free(g);
	return e;
}

#define HEAD "{\"chain_id\":\"demo-net\",\"genesis_time\":\"2026-11-29T00:00:00.000Z\","

static void test_genesis_rules(void **state)
{
	(void)state;
	nt_why why;
	const char *good[] = {
	    HEAD "\"validators\":[{\"name\":\"A\",\"pubkey\":\"@0\"}]}",
	    HEAD "\"validators\":[{\"pubkey\":\"@0\"},{\"pubkey\":\"@1\"},{\"pubkey\":\"@2\"}]}",
	    HEAD "\"validators\":[{\"pubkey\":\"@0\",\"power\":1}],\"extra\":true}",
	    HEAD "\"validators\":[{\"name\":\"\xe5\x85\xac\xe8\xaf\x81\xe5\xa4\x84\",\"pubkey\":\"@"
		 "0\"}]}",
	    "{\"chain_id\":\"a\",\"genesis_time\":\"2026-11-29T00:00:00Z\","
	    "\"validators\":[{\"pubkey\":\"@0\"}]}",
	    HEAD "\"validators\":[{\"name\":\"0123456789012345678901234567890123456789012345678901"
		 "234567890123\",\"pubkey\":\"@0\"}]}",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (parse_fmt(good[i], &why) != NT_OK)
			fail_msg("good genesis %zu rejected: %s", i, why.msg);

	const char *bad[] = {
	    "",
	    "[]",
	    "{",
	    HEAD "\"validators\":[{\"pubkey\":\"@0\"}]}x",
	    "{\"genesis_time\":\"2026-11-29T00:00:00.000Z\",\"validators\":[{\"pubkey\":\"@0\"}]}",
	    "{\"chain_id\":\"Demo\",\"genesis_time\":\"2026-11-29T00:00:00.000Z\","
	    "\"validators\":[{\"pubkey\":\"@0\"}]}",
	    "{\"chain_id\":7,\"genesis_time\":\"2026-11-29T00:00:00.000Z\","
	    "\"validators\":[{\"pubkey\":\"@0\"}]}",
	    "{\"chain_id\":\"demo-net\",\"validators\":[{\"pubkey\":\"@0\"}]}",
	    "{\"chain_id\":\"demo-net\",\"genesis_time\":\"2026-11-29\","
	    "\"validators\":[{\"pubkey\":\"@0\"}]}",
	    "{\"chain_id\":\"demo-net\",\"genesis_time\":1795910400000,"
	    "\"validators\":[{\"pubkey\":\"@0\"}]}",
	    HEAD "\"validators\":[]}",
	    HEAD "\"validators\":{}}",
	    HEAD "\"validators\":[\"@0\"]}",
	    HEAD "\"validators\":[{\"name\":\"A\"}]}",
	    HEAD "\"validators\":[{\"pubkey\":7}]}",
	    HEAD "\"validators\":[{\"pubkey\":\"@p\"}]}",
	    HEAD "\"validators\":[{\"pubkey\":\"@000\"}]}",
	    HEAD "\"validators\":[{\"pubkey\":\"xx@p\"}]}",
	    HEAD
	    "\"validators\":[{\"pubkey\":\"ffffffffffffffffffffffffffffffffffffffffffffffffffffff"
	    "ffffffffff\"}]}",
	    HEAD "\"validators\":[{\"pubkey\":\"@0\"},{\"pubkey\":\"@1\"},{\"pubkey\":\"@0\"}]}",
	    HEAD "\"validators\":[{\"name\":5,\"pubkey\":\"@0\"}]}",
	    HEAD "\"validators\":[{\"name\":\"0123456789012345678901234567890123456789012345678901"
		 "2345678901234\",\"pubkey\":\"@0\"}]}",
	    HEAD "\"validators\":[{\"pubkey\":\"@0\",\"pubkey\":\"@1\"}]}",
	    HEAD "\"chain_id\":\"demo-net\",\"validators\":[{\"pubkey\":\"@0\"}]}",
	    HEAD "\"validators\":[{\"name\":\"a\\u0000b\",\"pubkey\":\"@0\"}]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (parse_fmt(bad[i], &why) == NT_OK)
			fail_msg("bad genesis %zu accepted", i);
		print_message("# %s\n", why.msg);
	}

	/* 128 validators is the most; 129 is refused */
	nt_genesis *g = calloc(1, sizeof *g);
	g->vals.n = 129;
	strcpy(g->chain_id, "big");
	for (int i = 0; i < 129; i++) {
		nt_seckey *k;
		assert_int_equal(nt_seckey_generate(&k), NT_OK);
		nt_seckey_pubkey(k, &g->vals.keys[i < 128 ? i : 0]);
		nt_seckey_free(k);
	}
	g->vals.n = 128;
	char *out;
	assert_int_equal(nt_genesis_to_json(g, &out), NT_OK);
	assert_int_equal(nt_genesis_parse(out, strlen(out), g, &why), NT_OK);
	assert_int_equal(g->vals.n, 128);
	/* append a 129th entry textually */
	char *end = strrchr(out, ']');
	assert_non_null(end);
	size_t pre = (size_t)(end - out);
	char *big = malloc(strlen(out) + 200);
	memcpy(big, out, pre);
	sprintf(big + pre, ",{\"pubkey\":\"%s\"}]}", pk[0]);
	assert_int_equal(nt_genesis_parse(big, strlen(big), g, &why), NT_ERR_RANGE);
	print_message("# %s\n", why.msg);
	free(big);
	free(out);
	free(g);
}

static void test_genesis_fuzz(void **state)
{
	(void)state;
	size_t len;
	char *text = tu_read("receipt-v1/genesis.json", 1, &len);
	nt_genesis *g = calloc(1, sizeof *g);
	nt_genesis *g2 = calloc(1, sizeof *g2);
	char *b = malloc(len + 1);
	int parsed = 0;
	for (int k = 0; k < 3000; k++) {
		memcpy(b, text, len);
		size_t l = len;
		b[tu_rand() % len] ^= (char)(1u << (tu_rand() % 8));
		if (tu_rand() % 3 == 0)
			l = (size_t)(tu_rand() % len);
		nt_why why = {{0}};
		if (nt_genesis_parse(b, l, g, &why) != NT_OK) {
			assert_true(why.msg[0] != '\0'); /* a refusal says why */
			continue;
		}
		/* what is accepted round-trips: written out and read back, the
		 * same network */
		parsed++;
		char *json = NULL;
		assert_int_equal(nt_genesis_to_json(g, &json), NT_OK);
		assert_int_equal(nt_genesis_parse(json, strlen(json), g2, &why), NT_OK);
		free(json);
		assert_string_equal(g2->chain_id, g->chain_id);
		assert_int_equal(g2->genesis_time, g->genesis_time);
		assert_int_equal(g2->vals.n, g->vals.n);
		for (unsigned i = 0; i < g->vals.n; i++) {
			assert_memory_equal(g2->vals.keys[i].b, g->vals.keys[i].b, NT_PUBKEY_LEN);
			assert_string_equal(g2->vals.names[i], g->vals.names[i]);
		}
		assert_memory_equal(g2->validators_hash.b, g->validators_hash.b, NT_HASH_LEN);
	}
	/* one flipped bit in a name or a digit of the time still parses */
	assert_true(parsed > 0);
	free(b);
	free(g);
	free(g2);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_vector_genesis),
	    cmocka_unit_test(test_genesis_rules),
	    cmocka_unit_test(test_genesis_fuzz),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
