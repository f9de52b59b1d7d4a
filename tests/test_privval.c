/* nt_privval: the sign-state file never lowers, survives reopen, refuses a
 * damaged file, ignores the tmp file of an interrupted save. */
#include "tests/testutil.h"

#include "node/privval.h"
#include "node/wal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
	char *dir;
	char path[600];
	char tmp[600];
} fix;

static int setup(void **state)
{
	fix *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->dir = tu_tmpdir();
	snprintf(f->path, sizeof f->path, "%s/sign_state", f->dir);
	snprintf(f->tmp, sizeof f->tmp, "%s/sign_state.tmp", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fix *f = *state;
	tu_rmdir(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static nt_cons_hrs hrs(uint64_t h, uint32_t r, uint8_t s)
{
	nt_cons_hrs x = {h, r, s};
	return x;
}

static void assert_hrs(nt_cons_hrs got, uint64_t h, uint32_t r, uint8_t s)
{
	assert_int_equal(got.height, h);
	assert_int_equal(got.round, r);
	assert_int_equal(got.step, s);
}

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* A record with a correct checksum over whatever fields we choose. */
static void craft(uint8_t out[NT_PRIVVAL_FILE_SIZE], uint8_t version, uint64_t h, uint32_t r,
		  uint8_t s)
{
	memcpy(out, "NTSS", 4);
	out[4] = version;
	for (int i = 0; i < 8; i++)
		out[5 + i] = (uint8_t)(h >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		out[13 + i] = (uint8_t)(r >> (24 - 8 * i));
	out[17] = s;
	uint32_t c = nt_crc32c(0, out, 18);
	for (int i = 0; i < 4; i++)
		out[18 + i] = (uint8_t)(c >> (24 - 8 * i));
}

static void test_missing_is_zero(void **state)
{
	fix *f = *state;
	nt_cons_hrs got = hrs(9, 9, 9);
	assert_int_equal(nt_privval_load(f->path, &got, NULL), NT_OK);
	assert_hrs(got, 0, 0, 0);
	nt_privval *pv = NULL;
	assert_int_equal(nt_privval_open(f->path, &pv, NULL), NT_OK);
	assert_hrs(nt_privval_get(pv), 0, 0, 0);
	nt_privval_free(pv);
	assert_false(exists(f->path)); /* opening writes nothing */
	nt_privval_free(NULL);
}

static void test_save_reopen(void **state)
{
	fix *f = *state;
	nt_privval *pv = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_privval_open(f->path, &pv, &why), NT_OK);
	const nt_cons_hrs seq[] = {hrs(1, 0, 1), hrs(1, 0, 2), hrs(1, 0, 3),
				   hrs(1, 2, 2), hrs(2, 0, 1), hrs(UINT64_MAX, UINT32_MAX, 3)};
	for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
		assert_int_equal(nt_privval_save(pv, &seq[i], &why), NT_OK);
		assert_hrs(nt_privval_get(pv), seq[i].height, seq[i].round, seq[i].step);
		nt_cons_hrs got;
		assert_int_equal(nt_privval_load(f->path, &got, &why), NT_OK);
		assert_hrs(got, seq[i].height, seq[i].round, seq[i].step);
		assert_false(exists(f->tmp));
	}
	nt_privval_free(pv);
	pv = NULL;
	assert_int_equal(nt_privval_open(f->path, &pv, &why), NT_OK);
	assert_hrs(nt_privval_get(pv), UINT64_MAX, UINT32_MAX, 3);
	nt_privval_free(pv);
}

static void test_never_lowers(void **state)
{
	fix *f = *state;
	nt_privval *pv = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_privval_open(f->path, &pv, &why), NT_OK);
	nt_cons_hrs top = hrs(5, 3, 2);
	assert_int_equal(nt_privval_save(pv, &top, &why), NT_OK);
	const nt_cons_hrs lower[] = {hrs(5, 3, 1), hrs(5, 2, 3), hrs(4, 9, 3), hrs(1, 0, 1)};
	for (size_t i = 0; i < sizeof lower / sizeof lower[0]; i++) {
		why.msg[0] = '\0';
		assert_int_equal(nt_privval_save(pv, &lower[i], &why), NT_ERR_ARG);
		assert_non_null(strstr(why.msg, "refusing to lower"));
	}
	/* Malformed values. */
	const nt_cons_hrs bad[] = {hrs(6, 0, 0), hrs(6, 0, 4), hrs(0, 0, 1), hrs(0, 7, 0)};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(nt_privval_save(pv, &bad[i], &why), NT_ERR_ARG);
	assert_int_equal(nt_privval_save(pv, NULL, &why), NT_ERR_ARG);
	/* The same value again is a no-op. */
	assert_int_equal(nt_privval_save(pv, &top, &why), NT_OK);
	nt_privval_free(pv);
	nt_cons_hrs got;
	assert_int_equal(nt_privval_load(f->path, &got, &why), NT_OK);
	assert_hrs(got, 5, 3, 2);

	/* The bound holds across a reopen too. */
	pv = NULL;
	assert_int_equal(nt_privval_open(f->path, &pv, &why), NT_OK);
	assert_int_equal(nt_privval_save(pv, &lower[0], &why), NT_ERR_ARG);
	nt_cons_hrs next = hrs(5, 3, 3);
	assert_int_equal(nt_privval_save(pv, &next, &why), NT_OK);
	nt_privval_free(pv);
}

static void test_cmp(void **state)
{
	(void)state;
	nt_cons_hrs a = hrs(1, 5, 3), b = hrs(2, 0, 1), c = hrs(2, 0, 2), d = hrs(2, 1, 1);
	assert_true(nt_privval_cmp(&a, &b) < 0);
	assert_true(nt_privval_cmp(&b, &c) < 0);
	assert_true(nt_privval_cmp(&c, &d) < 0);
	assert_true(nt_privval_cmp(&d, &a) > 0);
	assert_int_equal(nt_privval_cmp(&c, &c), 0);
}

static void expect_corrupt(const char *path, const char *needle)
{
	nt_cons_hrs got = hrs(7, 7, 7);
	nt_why why = {{0}};
	assert_int_equal(nt_privval_load(path, &got, &why), NT_ERR_CORRUPT);
	assert_hrs(got, 7, 7, 7); /* untouched */
	if (strstr(why.msg, path) == NULL || strstr(why.msg, needle) == NULL)
		fail_msg("why lacks the path or '%s': %s", needle, why.msg);
	nt_privval *pv = NULL;
	assert_int_equal(nt_privval_open(path, &pv, &why), NT_ERR_CORRUPT);
	assert_null(pv);
}

static void test_corrupt_refused(void **state)
{
	fix *f = *state;
	nt_privval *pv = NULL;
	assert_int_equal(nt_privval_open(f->path, &pv, NULL), NT_OK);
	nt_cons_hrs v = hrs(0x0102030405060708ull, 0x0a0b0c0d, 2);
	assert_int_equal(nt_privval_save(pv, &v, NULL), NT_OK);
	nt_privval_free(pv);
	size_t n = 0;
	uint8_t *orig = (uint8_t *)tu_read(f->path, 0, &n);
	assert_int_equal(n, NT_PRIVVAL_FILE_SIZE);

	/* Every single flipped bit is caught. */
	for (size_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			uint8_t b[NT_PRIVVAL_FILE_SIZE];
			memcpy(b, orig, n);
			b[i] ^= (uint8_t)(1u << bit);
			write_file(f->path, b, n);
			nt_cons_hrs got;
			assert_int_equal(nt_privval_load(f->path, &got, NULL), NT_ERR_CORRUPT);
		}
	}
	/* Every wrong length, including an empty file (not the same as a
	 * missing one). */
	for (size_t len = 0; len < n; len++) {
		write_file(f->path, orig, len);
		expect_corrupt(f->path, "expected 22");
	}
	uint8_t longer[NT_PRIVVAL_FILE_SIZE + 10] = {0};
	memcpy(longer, orig, n);
	write_file(f->path, longer, sizeof longer);
	expect_corrupt(f->path, "or more bytes");

	/* Checksums that match but fields that cannot be. */
	uint8_t rec[NT_PRIVVAL_FILE_SIZE];
	craft(rec, 2, 5, 0, 1);
	write_file(f->path, rec, sizeof rec);
	expect_corrupt(f->path, "version");
	craft(rec, 1, 5, 0, 4);
	write_file(f->path, rec, sizeof rec);
	expect_corrupt(f->path, "impossible");
	craft(rec, 1, 0, 0, 1);
	write_file(f->path, rec, sizeof rec);
	expect_corrupt(f->path, "impossible");
	craft(rec, 1, 3, 0, 0);
	write_file(f->path, rec, sizeof rec);
	expect_corrupt(f->path, "impossible");
	memcpy(rec, "XTSS", 4);
	write_file(f->path, rec, sizeof rec);
	expect_corrupt(f->path, "magic");
	/* The crafted encoder agrees with the real one. */
	craft(rec, 1, 0x0102030405060708ull, 0x0a0b0c0d, 2);
	assert_memory_equal(rec, orig, n);
	craft(rec, 1, 0, 0, 0);
	write_file(f->path, rec, sizeof rec);
	nt_cons_hrs got;
	assert_int_equal(nt_privval_load(f->path, &got, NULL), NT_OK);
	assert_hrs(got, 0, 0, 0);

	/* Not a file at all. */
	unlink(f->path);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_not_equal(nt_privval_load(f->path, &got, NULL), NT_OK);
	free(orig);
}

static void test_stale_tmp(void **state)
{
	fix *f = *state;
	nt_privval *pv = NULL;
	assert_int_equal(nt_privval_open(f->path, &pv, NULL), NT_OK);
	nt_cons_hrs v = hrs(3, 1, 2);
	assert_int_equal(nt_privval_save(pv, &v, NULL), NT_OK);
	nt_privval_free(pv);

	/* A crash between writing the tmp and the rename: even a complete,
	 * higher record in the tmp is not trusted (its save never returned,
	 * so nothing was signed on its strength) and is removed. */
	uint8_t rec[NT_PRIVVAL_FILE_SIZE];
	craft(rec, 1, 9, 0, 3);
	write_file(f->tmp, rec, sizeof rec);
	pv = NULL;
	assert_int_equal(nt_privval_open(f->path, &pv, NULL), NT_OK);
	assert_hrs(nt_privval_get(pv), 3, 1, 2);
	assert_false(exists(f->tmp));
	nt_privval_free(pv);

	/* A torn tmp with no file at all: still nothing signed. */
	unlink(f->path);
	write_file(f->tmp, "NTS", 3);
	pv = NULL;
	assert_int_equal(nt_privval_open(f->path, &pv, NULL), NT_OK);
	assert_hrs(nt_privval_get(pv), 0, 0, 0);
	assert_false(exists(f->tmp));
	v = hrs(1, 0, 1);
	assert_int_equal(nt_privval_save(pv, &v, NULL), NT_OK);
	nt_privval_free(pv);
}

static void test_repair(void **state)
{
	fix *f = *state;
	nt_why why = {{0}};
	nt_cons_hrs got;
	/* Missing file: everything up to height 10 counts as signed. */
	assert_int_equal(nt_privval_repair(f->path, 10, &why), NT_OK);
	assert_int_equal(nt_privval_load(f->path, &got, &why), NT_OK);
	assert_hrs(got, 10, UINT32_MAX, NT_STEP_PRECOMMIT);
	nt_privval *pv = NULL;
	assert_int_equal(nt_privval_open(f->path, &pv, &why), NT_OK);
	nt_cons_hrs v = hrs(10, 5, 1);
	assert_int_equal(nt_privval_save(pv, &v, &why), NT_ERR_ARG);
	v = hrs(11, 0, 1);
	assert_int_equal(nt_privval_save(pv, &v, &why), NT_OK);
	nt_privval_free(pv);

	/* Never lowers a good file. */
	why.msg[0] = '\0';
	assert_int_equal(nt_privval_repair(f->path, 10, &why), NT_ERR_ARG);
	assert_non_null(strstr(why.msg, "nothing to do"));
	assert_int_equal(nt_privval_load(f->path, &got, &why), NT_OK);
	assert_hrs(got, 11, 0, 1);
	assert_int_equal(nt_privval_repair(f->path, 0, &why), NT_ERR_ARG);

	/* Replaces a damaged one, whatever it held. */
	write_file(f->path, "garbage", 7);
	assert_int_equal(nt_privval_load(f->path, &got, &why), NT_ERR_CORRUPT);
	assert_int_equal(nt_privval_repair(f->path, 4, &why), NT_OK);
	assert_int_equal(nt_privval_load(f->path, &got, &why), NT_OK);
	assert_hrs(got, 4, UINT32_MAX, NT_STEP_PRECOMMIT);
	assert_false(exists(f->tmp));
}

static void test_bad_paths(void **state)
{
	fix *f = *state;
	nt_privval *pv = NULL;
	nt_cons_hrs got;
	nt_why why = {{0}};
	char p[700];
	snprintf(p, sizeof p, "%s/no/such/dir/sign_state", f->dir);
	assert_int_equal(nt_privval_open(p, &pv, &why), NT_ERR_IO);
	assert_null(pv);
	assert_int_equal(nt_privval_open("", &pv, &why), NT_ERR_ARG);
	assert_int_equal(nt_privval_load(NULL, &got, &why), NT_ERR_ARG);
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_missing_is_zero, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_save_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_never_lowers, setup, teardown),
	    cmocka_unit_test(test_cmp),
	    cmocka_unit_test_setup_teardown(test_corrupt_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_tmp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_repair, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
