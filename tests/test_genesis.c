/* Genesis file parsing and the UTC time format. */
#include "tests/testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "core/genesis.h"
#include "crypto/digest.h"
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

/* ---- version 2 ---- */

static void test_v2_vector(void **state)
{
	(void)state;
	size_t len;
	char *text = tu_read("receipt-v2/genesis.json", 1, &len);
	nt_genesis *g = calloc(1, sizeof *g), *g2 = calloc(1, sizeof *g2);
	nt_why why = {{0}};
	assert_int_equal(nt_genesis_parse(text, len, g, &why), NT_OK);
	free(text);
	assert_true(nt_genesis_is_v2(g));
	assert_int_equal(g->vals.n, 4);
	assert_string_equal(g->vals.names[0], "\xe6\x9d\xad\xe5\xb7\x9e\xe4\xba\x92\xe8\x81\x94"
					      "\xe7\xbd\x91\xe5\x85\xac\xe8\xaf\x81\xe5\xa4\x84");
	char fp[NT_FINGERPRINT_LEN + 1];
	nt_genesis_fingerprint(&g->genesis_hash, fp);
	assert_string_equal(fp, "0bb0f5c8-cf9f1919-0466f30b-96558502");
	char hex[65];
	nt_hex_encode(g->genesis_hash.b, 32, hex);
	assert_string_equal(hex,
			    "0bb0f5c8cf9f19190466f30b965585027d757bf4a93608d832822def7e086027");
	/* validators_hash = H(valset_bytes), names covered */
	nt_hash vh, v1h;
	assert_int_equal(nt_valset_hash_v2(&g->vals, &vh), NT_OK);
	assert_memory_equal(vh.b, g->validators_hash.b, 32);
	nt_valset_hash(&g->vals, &v1h);
	assert_memory_not_equal(vh.b, v1h.b, 32);
	/* genesis_bytes by hand: u8 2 || str8 chain_id || u64 time || valset */
	uint8_t gb[NT_GENESIS_BYTES_MAX], vb[NT_VALSET_BYTES_MAX];
	size_t gl, vl;
	assert_int_equal(nt_genesis_encode(g, gb, sizeof gb, &gl), NT_OK);
	assert_int_equal(nt_valset_encode(&g->vals, vb, sizeof vb, &vl), NT_OK);
	assert_int_equal(gl, 1 + 1 + 12 + 8 + vl);
	assert_int_equal(gb[0], 2);
	assert_int_equal(gb[1], 12);
	assert_memory_equal(gb + 2, "vector-net-2", 12);
	assert_memory_equal(gb + 22, vb, vl);
	nt_hash th;
	nt_tagged_hash("notary/genesis", gb, gl, &th);
	assert_memory_equal(th.b, g->genesis_hash.b, 32);
	/* too small a buffer */
	assert_int_not_equal(nt_genesis_encode(g, gb, gl - 1, &gl), NT_OK);

	/* to_json writes the format and parses back to the same genesis */
	char *out = NULL;
	assert_int_equal(nt_genesis_to_json(g, &out), NT_OK);
	assert_non_null(strstr(out, "\"format\": \"notary-genesis/2\""));
	assert_int_equal(nt_genesis_parse(out, strlen(out), g2, &why), NT_OK);
	free(out);
	assert_memory_equal(g2->genesis_hash.b, g->genesis_hash.b, 32);
	assert_string_equal(g2->vals.names[3], g->vals.names[3]);

	/* look-alike anchors: each changes the fingerprint */
	const char *others[] = {"receipt-v2/genesis-renamed.json",
				"receipt-v2/genesis-other-time.json"};
	for (size_t i = 0; i < 2; i++) {
		text = tu_read(others[i], 1, &len);
		assert_int_equal(nt_genesis_parse(text, len, g2, &why), NT_OK);
		free(text);
		assert_true(nt_genesis_is_v2(g2));
		assert_memory_not_equal(g2->genesis_hash.b, g->genesis_hash.b, 32);
	}
	/* the same file without "format" is a version 1 genesis */
	text = tu_read("receipt-v2/genesis-v1-style.json", 1, &len);
	assert_int_equal(nt_genesis_parse(text, len, g2, &why), NT_OK);
	free(text);
	assert_false(nt_genesis_is_v2(g2));
	nt_valset_hash(&g2->vals, &v1h);
	assert_memory_equal(v1h.b, g2->validators_hash.b, 32);
	free(g);
	free(g2);
}

static void test_v2_rules(void **state)
{
	(void)state;
	nt_genesis *g = calloc(1, sizeof *g);
	nt_why why = {{0}};
	char text[4096];
	/* a name may be 255 bytes in version 2, not 256; none in version 1 above 64 */
	char n255[256], n256[257], n65[66];
	memset(n255, 'a', 255);
	n255[255] = 0;
	memset(n256, 'a', 256);
	n256[256] = 0;
	memset(n65, 'a', 65);
	n65[65] = 0;
#define FMT2                                                                                       \
	"{\"format\":\"notary-genesis/2\",\"chain_id\":\"c\",\"genesis_time\":"                    \
	"\"2026-12-01T00:00:00.000Z\",\"validators\":[{\"name\":\"%s\",\"pubkey\":\"%s\"}]}"
	struct {
		const char *name;
		nt_err want;
	} cases[] = {
	    {n255, NT_OK},
	    {n256, NT_ERR_RANGE},
	    {"", NT_ERR_RANGE},
	    {"tab\\there", NT_ERR_RANGE},
	    {"nl\\nthere", NT_ERR_RANGE},
	    {"del\\u007f", NT_ERR_RANGE},
	    {"c1\\u0085", NT_ERR_RANGE},
	    {"\xe5\x85\xac\xe8\xaf\x81\xe5\xa4\x84 office", NT_OK},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(text, sizeof text, FMT2, cases[i].name, pk[0]);
		nt_err e = nt_genesis_parse(text, strlen(text), g, &why);
		assert_int_equal(e, cases[i].want);
	}
	/* a version 2 genesis needs names */
	snprintf(text, sizeof text,
		 "{\"format\":\"notary-genesis/2\",\"chain_id\":\"c\",\"genesis_time\":"
		 "\"2026-12-01T00:00:00.000Z\",\"validators\":[{\"pubkey\":\"%s\"}]}",
		 pk[0]);
	assert_int_equal(nt_genesis_parse(text, strlen(text), g, &why), NT_ERR_JSON);
	assert_non_null(strstr(why.msg, "name"));
	/* unknown or mistyped formats are refused, "notary-genesis/1" is version 1 */
	const char *fmts[] = {"\"notary-genesis/3\"", "2", "null", "\"notary-genesis/1\""};
	for (size_t i = 0; i < 4; i++) {
		snprintf(text, sizeof text,
			 "{\"format\":%s,\"chain_id\":\"c\",\"genesis_time\":"
			 "\"2026-12-01T00:00:00.000Z\",\"validators\":[{\"name\":\"%s\","
			 "\"pubkey\":\"%s\"}]}",
			 fmts[i], n65, pk[0]);
		nt_err e = nt_genesis_parse(text, strlen(text), g, &why);
		/* version 1 keeps its 64-byte limit on names */
		assert_int_equal(e, NT_ERR_RANGE);
	}
	/* a genesis built in code: seal fills both hashes */
	memset(g, 0, sizeof *g);
	strcpy(g->chain_id, "court-net");
	g->genesis_time = 1764547200000ULL;
	g->vals.n = 1;
	assert_int_equal(nt_hex_decode32(pk[1], g->vals.keys[0].b), NT_OK);
	strcpy(g->vals.names[0], "Office");
	g->version = 2;
	assert_int_equal(nt_genesis_seal(g), NT_OK);
	nt_hash gh;
	assert_int_equal(nt_genesis_hash(g, &gh), NT_OK);
	assert_memory_equal(gh.b, g->genesis_hash.b, 32);
	/* a bad name cannot be sealed or written */
	strcpy(g->vals.names[0], "bad\x01");
	assert_int_not_equal(nt_genesis_seal(g), NT_OK);
	char *out = NULL;
	assert_int_not_equal(nt_genesis_to_json(g, &out), NT_OK);
	assert_null(out);
	free(g);
}

static void test_fingerprint(void **state)
{
	(void)state;
	nt_hash h;
	for (int i = 0; i < 32; i++)
		h.b[i] = (uint8_t)(0xf0 + i);
	char fp[NT_FINGERPRINT_LEN + 1];
	memset(fp, 'x', sizeof fp);
	nt_genesis_fingerprint(&h, fp);
	assert_int_equal(strlen(fp), NT_FINGERPRINT_LEN);
	assert_string_equal(fp, "f0f1f2f3-f4f5f6f7-f8f9fafb-fcfdfeff");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_time),	  cmocka_unit_test(test_vector_genesis),
	    cmocka_unit_test(test_genesis_rules), cmocka_unit_test(test_genesis_fuzz),
	    cmocka_unit_test(test_v2_vector),	  cmocka_unit_test(test_v2_rules),
	    cmocka_unit_test(test_fingerprint),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
