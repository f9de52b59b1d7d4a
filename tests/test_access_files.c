/* The files of access control and secrets at rest: key lists
 * (nd_access_read_keys) and passphrase files (nt_passfile_read). */
#include "tests/testutil.h"

#include "node/access.h"
#include "node/passfile.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *path_in(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	assert_non_null(p);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

#define K1 "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
#define K2 "0000000000000000000000000000000000000000000000000000000000000001"

static void test_key_lists(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *p = path_in(dir, "keys.txt");
	/* comments, blanks, CRLF, tabs, a duplicate, upper case: two keys */
	const char *good = "# office list\n\n  " K1 "  # court A\r\n\t" K2 "\n" K1 "\n"
			   "3B6A27BCCEB6A42D62A3A8D02A6F0D73653215771DE243A63AC048A18B59DA29\n";
	tu_write_file(p, good, strlen(good), 0644);
	nt_pubkey *v = NULL;
	size_t n = 0;
	nt_why why = {{0}};
	assert_int_equal(nd_access_read_keys(p, &v, &n, &why), NT_OK);
	assert_int_equal(n, 2);
	assert_true(memcmp(&v[0], &v[1], sizeof v[0]) < 0); /* sorted */
	assert_int_equal(v[0].b[31], 1);
	free(v);
	/* empty (comments only): no keys, NULL */
	tu_write_file(p, "# none\n", 7, 0644);
	v = (nt_pubkey *)1;
	assert_int_equal(nd_access_read_keys(p, &v, &n, &why), NT_OK);
	assert_int_equal(n, 0);
	assert_null(v);
	/* bad lines name the file and line */
	static const char *const bad[] = {K1 "\nnot a key\n", K1 "0\n", "3b6a\n", K1 " trailing\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tu_write_file(p, bad[i], strlen(bad[i]), 0644);
		assert_int_equal(nd_access_read_keys(p, &v, &n, &why), NT_ERR_DECODE);
		assert_non_null(strstr(why.msg, "line"));
	}
	char *missing = path_in(dir, "missing.txt");
	assert_int_equal(nd_access_read_keys(missing, &v, &n, &why), NT_ERR_NOT_FOUND);
	free(missing);
	free(p);
	tu_rmdir(dir);
	free(dir);
}

static void test_passphrase_files(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *p = path_in(dir, "pass");
	uint8_t buf[NT_PASSPHRASE_MAX + 2];
	size_t len = 0;
	nt_why why = {{0}};
	static const struct {
		const char *text;
		nt_err want;
		const char *pass;
	} cases[] = {
	    {"secret words\n", NT_OK, "secret words"},
	    {"secret words\r\nsecond line\n", NT_OK, "secret words"},
	    {"no newline", NT_OK, "no newline"},
	    {" spaces kept \n", NT_OK, " spaces kept "},
	    {"\n", NT_ERR_ARG, NULL},
	    {"", NT_ERR_ARG, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tu_write_file(p, cases[i].text, strlen(cases[i].text), 0600);
		nt_err e = nt_passfile_read(p, buf, &len, &why);
		assert_int_equal(e, cases[i].want);
		if (e == NT_OK) {
			assert_int_equal(len, strlen(cases[i].pass));
			assert_memory_equal(buf, cases[i].pass, len);
		}
	}
	/* longer than the limit */
	char *big = malloc(NT_PASSPHRASE_MAX + 10);
	memset(big, 'x', NT_PASSPHRASE_MAX + 10);
	tu_write_file(p, big, NT_PASSPHRASE_MAX + 1, 0600);
	assert_int_equal(nt_passfile_read(p, buf, &len, &why), NT_ERR_RANGE);
	tu_write_file(p, big, NT_PASSPHRASE_MAX, 0600);
	assert_int_equal(nt_passfile_read(p, buf, &len, &why), NT_OK);
	assert_int_equal(len, NT_PASSPHRASE_MAX);
	free(big);
	/* readable by others: refused like a key file */
	tu_write_file(p, "pw\n", 3, 0644);
	assert_int_equal(nt_passfile_read(p, buf, &len, &why), NT_ERR_PERM);
	assert_non_null(strstr(why.msg, "chmod 600"));
	OPENSSL_cleanse(buf, sizeof buf);
	free(p);
	tu_rmdir(dir);
	free(dir);
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_lists),
	    cmocka_unit_test(test_passphrase_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
