/* The verdict for people (tools/verdict.c): the message table, the local
 * time at a fixed instant (one that is another calendar day in Shanghai
 * than in UTC), the language from the environment, and a verdict built
 * from one of the project's own vectors in both languages. */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crypto/digest.h"
#include "node/digest_file.h"
#include "node/genesis_file.h"
#include "tools/verdict.h"

static uint64_t at(const char *iso)
{
	uint64_t ms = 0;
	assert_int_equal(nt_time_parse(iso, &ms), NT_OK);
	return ms;
}

static void test_table_complete(void **state)
{
	(void)state;
	for (int m = 0; m < NT_VM_COUNT; m++)
		for (int l = 0; l < NT_LANG_COUNT; l++) {
			const char *s = nt_verdict_msg((nt_vmsg)m, (nt_lang)l);
			assert_non_null(s);
			assert_true(s[0] != '\0');
		}
	/* Chinese is Chinese, not a copy of the English. */
	assert_string_not_equal(nt_verdict_msg(NT_VM_DIGEST_L, NT_LANG_ZH),
				nt_verdict_msg(NT_VM_DIGEST_L, NT_LANG_EN));
	assert_string_equal(nt_verdict_msg(NT_VM_DIGEST_L, NT_LANG_ZH), "文件摘要：");
	assert_string_equal(nt_verdict_msg(NT_VM_COUNT, NT_LANG_EN), "");
	char *s = nt_verdict_format(NT_LANG_EN, NT_VM_SUMMARY, (size_t)3, (size_t)2, (size_t)1);
	assert_string_equal(s, "3 files: 2 valid, 1 INVALID");
	free(s);
	s = nt_verdict_format(NT_LANG_ZH, NT_VM_SUMMARY, (size_t)3, (size_t)2, (size_t)1);
	assert_string_equal(s, "共 3 个文件：2 个有效，1 个无效");
	free(s);
}

static void test_time_local_fixed(void **state)
{
	(void)state;
	char buf[NT_VERDICT_TIME_MAX];
	uint64_t ms = at("2026-12-01T17:30:00.123Z");
	nt_verdict_time_utc(ms, buf);
	assert_string_equal(buf, "2026-12-01 17:30:00.123 UTC");
	nt_verdict_zone sh = {.offset_s = 8 * 3600, .abbr = "CST", .name = "Asia/Shanghai"};
	nt_verdict_time_local(ms, &sh, NT_LANG_EN, buf);
	assert_string_equal(buf, "2026-12-02 01:30:00.123 CST (UTC+08:00, Asia/Shanghai)");
	nt_verdict_time_local(ms, &sh, NT_LANG_ZH, buf);
	assert_string_equal(buf, "2026-12-02 01:30:00.123 CST（UTC+08:00，Asia/Shanghai）");
	nt_verdict_zone la = {.offset_s = -8 * 3600, .abbr = "PST", .name = ""};
	nt_verdict_time_local(at("2026-12-01T00:00:07.311Z"), &la, NT_LANG_EN, buf);
	assert_string_equal(buf, "2026-11-30 16:00:07.311 PST (UTC-08:00)");
	nt_verdict_zone india = {
	    .offset_s = 5 * 3600 + 1800, .abbr = "IST", .name = "Asia/Kolkata"};
	nt_verdict_time_local(at("2026-12-31T20:00:00.000Z"), &india, NT_LANG_EN, buf);
	assert_string_equal(buf, "2027-01-01 01:30:00.000 IST (UTC+05:30, Asia/Kolkata)");
	nt_verdict_time_local(ms, NULL, NT_LANG_EN, buf);
	assert_string_equal(buf, "2026-12-01 17:30:00.123 (UTC+00:00)");
}

/* The time zone database, through TZ: what `notary verify --tz` does. */
static void test_zone_here(void **state)
{
	(void)state;
	struct stat st;
	if (stat("/usr/share/zoneinfo/Asia/Shanghai", &st) != 0)
		skip(); /* tzdata missing: tools/install-deps.sh installs it */
	const char *old = getenv("TZ");
	char *saved = old != NULL ? strdup(old) : NULL;
	assert_int_equal(setenv("TZ", "Asia/Shanghai", 1), 0);
	nt_verdict_zone z;
	uint64_t ms = at("2026-12-01T17:30:00.123Z");
	assert_int_equal(nt_verdict_zone_here(ms, "Asia/Shanghai", &z), NT_OK);
	assert_int_equal(z.offset_s, 8 * 3600);
	assert_string_equal(z.abbr, "CST");
	char buf[NT_VERDICT_TIME_MAX];
	nt_verdict_time_local(ms, &z, NT_LANG_EN, buf);
	assert_string_equal(buf, "2026-12-02 01:30:00.123 CST (UTC+08:00, Asia/Shanghai)");
	assert_int_equal(setenv("TZ", "UTC", 1), 0);
	assert_int_equal(nt_verdict_zone_here(ms, "UTC", &z), NT_OK);
	assert_int_equal(z.offset_s, 0);
	if (saved != NULL) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

static void test_lang(void **state)
{
	(void)state;
	nt_lang l = NT_LANG_EN;
	assert_true(nt_verdict_lang_parse("zh", &l) && l == NT_LANG_ZH);
	assert_true(nt_verdict_lang_parse("en", &l) && l == NT_LANG_EN);
	assert_true(nt_verdict_lang_parse("zh_CN", &l) && l == NT_LANG_ZH);
	assert_false(nt_verdict_lang_parse("fr", &l));
	assert_false(nt_verdict_lang_parse("zhx", &l));
	assert_false(nt_verdict_lang_parse(NULL, &l));
	assert_int_equal(nt_verdict_lang_env(NULL, NULL, "zh_CN.UTF-8"), NT_LANG_ZH);
	assert_int_equal(nt_verdict_lang_env("", "", "zh_TW.UTF-8"), NT_LANG_ZH);
	assert_int_equal(nt_verdict_lang_env("C", NULL, "zh_CN.UTF-8"), NT_LANG_EN);
	assert_int_equal(nt_verdict_lang_env(NULL, "zh_CN.UTF-8", "en_US.UTF-8"), NT_LANG_ZH);
	assert_int_equal(nt_verdict_lang_env(NULL, NULL, NULL), NT_LANG_EN);
}

static bool has_line(const nt_verdict *v, nt_vfield f, const char *needle)
{
	for (size_t i = 0; i < nt_verdict_count(v); i++) {
		const nt_verdict_line *l = nt_verdict_line_at(v, i);
		if (l->field == f && strstr(l->value, needle) != NULL)
			return true;
	}
	return false;
}

/* own-v2's private record, its file and its genesis. */
static void test_build_vector(void **state)
{
	(void)state;
	char dir[4096], path[4200];
	snprintf(dir, sizeof dir, "%s/own-v2", tu_vectors_dir());
	nt_genesis *g = malloc(sizeof *g);
	nt_receipt_verdict *res = malloc(sizeof *res);
	assert_non_null(g);
	assert_non_null(res);
	nt_why why = {{0}};
	snprintf(path, sizeof path, "%s/genesis.json", dir);
	assert_int_equal(nt_genesis_load(path, g, &why), NT_OK);
	snprintf(path, sizeof path, "%s/valid-private.receipt.json", dir);
	size_t len;
	char *text = tu_read(path, 0, &len);
	nt_receipt *r = NULL;
	assert_int_equal(nt_receipt_parse(text, len, &r, &why), NT_OK);
	free(text);
	uint8_t d[NT_DIGEST_MAX];
	size_t dl;
	uint64_t size;
	snprintf(path, sizeof path, "%s/private.txt", dir);
	assert_int_equal(nt_digest_file(r->record.alg, path, d, &dl, &size, &why), NT_OK);
	assert_int_equal(nt_receipt_verify_full(r, g, d, dl, res, &why), NT_OK);

	nt_verdict_zone sh = {.offset_s = 8 * 3600, .abbr = "CST", .name = "Asia/Shanghai"};
	nt_verdict_in in = {.status = NT_VERDICT_VALID,
			    .receipt = r,
			    .genesis = g,
			    .result = res,
			    .file = "private.txt",
			    .file_size = size,
			    .file_digest = d,
			    .file_digest_len = dl,
			    .zone = &sh};
	nt_verdict *v = NULL;
	assert_int_equal(nt_verdict_build(&in, NT_LANG_EN, &v), NT_OK);
	assert_non_null(v);
	assert_int_equal(nt_verdict_line_at(v, 0)->field, NT_VF_VERDICT);
	assert_true(strncmp(nt_verdict_value(v, NT_VF_VERDICT), "VALID: ", 7) == 0);
	assert_true(has_line(v, NT_VF_NETWORK, "205f473b-8c4f6f3a-2d8c123a-eafed44d"));
	assert_non_null(nt_verdict_value(v, NT_VF_COMPARE));
	assert_true(has_line(v, NT_VF_SIGNERS, "3 of 4 offices: "));
	assert_true(has_line(v, NT_VF_SIGNERS, "杭州互联网公证处"));
	assert_true(has_line(v, NT_VF_META, "(2026) 浙0192民初9号"));
	assert_true(has_line(v, NT_VF_PRIVATE, "matched the commitment"));
	assert_true(has_line(v, NT_VF_TIME_LOCAL, "Asia/Shanghai"));
	assert_true(has_line(v, NT_VF_RECORD_ID, "not the file's digest"));
	/* The order people read it in. */
	static const nt_vfield order[] = {NT_VF_VERDICT, NT_VF_NETWORK,	 NT_VF_FILE,
					  NT_VF_TIME,	 NT_VF_SIGNERS,	 NT_VF_SUBMITTER,
					  NT_VF_META,	 NT_VF_RECORD_ID};
	size_t k = 0;
	for (size_t i = 0; i < nt_verdict_count(v) && k < 8; i++)
		if (nt_verdict_line_at(v, i)->field == order[k])
			k++;
	assert_int_equal(k, 8);
	nt_verdict_free(v);

	v = NULL;
	assert_int_equal(nt_verdict_build(&in, NT_LANG_ZH, &v), NT_OK);
	assert_true(strncmp(nt_verdict_value(v, NT_VF_VERDICT), "有效：", strlen("有效：")) == 0);
	assert_true(has_line(v, NT_VF_SIGNERS, "3 个（共 4 个）"));
	assert_string_equal(nt_verdict_line_at(v, 1)->label, "网络：");
	nt_verdict_free(v);

	/* A wrong file: expected and found. */
	uint8_t other[NT_DIGEST_MAX];
	memcpy(other, d, dl);
	other[0] ^= 1;
	in.status = NT_VERDICT_FILE_MISMATCH;
	in.why = "file: digest does not match the record";
	in.file_digest = other;
	in.file_salted = other;
	in.file_salted_len = dl;
	v = NULL;
	assert_int_equal(nt_verdict_build(&in, NT_LANG_EN, &v), NT_OK);
	assert_true(strncmp(nt_verdict_value(v, NT_VF_VERDICT), "INVALID: ", 9) == 0);
	assert_non_null(nt_verdict_value(v, NT_VF_EXPECTED));
	assert_non_null(nt_verdict_value(v, NT_VF_FOUND));
	nt_verdict_free(v);
	/* What a status needs. */
	in.file = NULL;
	assert_int_equal(nt_verdict_build(&in, NT_LANG_EN, &v), NT_ERR_ARG);
	in.status = NT_VERDICT_VALID;
	in.result = NULL;
	assert_int_equal(nt_verdict_build(&in, NT_LANG_EN, &v), NT_ERR_ARG);
	nt_verdict_free(NULL);
	free(r);
	free(res);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_complete), cmocka_unit_test(test_time_local_fixed),
	    cmocka_unit_test(test_zone_here),	   cmocka_unit_test(test_lang),
	    cmocka_unit_test(test_build_vector),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
