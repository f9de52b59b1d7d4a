/* nt_home_state (DIR/node_state): round trip, a missing file, a damaged or
 * over-long file refused with the reason, the chain identity check. */
#include "tests/testutil.h"

#include "node/home_state.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	char *dir;
	char path[600];
} fix;

static int setup(void **state)
{
	fix *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->dir = tu_tmpdir();
	snprintf(f->path, sizeof f->path, "%s/" NT_HOME_STATE_FILE, f->dir);
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

static void write_text(const char *path, const char *text, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
}

static nt_home_state sample(bool blocks, bool sig)
{
	nt_home_state st;
	memset(&st, 0, sizeof st);
	strcpy(st.chain_id, "court-net");
	for (int i = 0; i < NT_HASH_LEN; i++)
		st.validators_hash.b[i] = (uint8_t)(tu_rand() & 0xff);
	st.had_blocks = blocks;
	st.has_signed = sig;
	return st;
}

static void test_missing(void **state)
{
	fix *f = *state;
	nt_home_state st = sample(true, true), keep = st;
	assert_int_equal(nt_home_state_load(f->path, &st, NULL), NT_ERR_NOT_FOUND);
	assert_memory_equal(&st, &keep, sizeof st);
}

static void test_round_trip(void **state)
{
	fix *f = *state;
	for (int k = 0; k < 4; k++) {
		nt_home_state st = sample(k & 1, k & 2), got;
		nt_why why = {{0}};
		assert_int_equal(nt_home_state_save(f->path, &st, &why), NT_OK);
		memset(&got, 0xA5, sizeof got);
		assert_int_equal(nt_home_state_load(f->path, &got, &why), NT_OK);
		assert_string_equal(got.chain_id, st.chain_id);
		assert_memory_equal(got.validators_hash.b, st.validators_hash.b, NT_HASH_LEN);
		assert_int_equal(got.had_blocks, st.had_blocks);
		assert_int_equal(got.has_signed, st.has_signed);
	}
	/* Written privately, in one piece, with nothing left beside it. */
	struct stat sb;
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	char tmp[700];
	snprintf(tmp, sizeof tmp, "%s.tmp", f->path);
	assert_int_not_equal(access(tmp, F_OK), 0);
}

static void test_same_chain(void **state)
{
	(void)state;
	nt_home_state st = sample(true, false);
	nt_genesis g;
	memset(&g, 0, sizeof g);
	strcpy(g.chain_id, st.chain_id);
	g.validators_hash = st.validators_hash;
	assert_true(nt_home_state_same_chain(&st, &g));
	g.validators_hash.b[5] ^= 1;
	assert_false(nt_home_state_same_chain(&st, &g));
	g.validators_hash = st.validators_hash;
	strcpy(g.chain_id, "court-net-2");
	assert_false(nt_home_state_same_chain(&st, &g));
}

#define HASH "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void test_corrupt(void **state)
{
	fix *f = *state;
	static const struct {
		const char *text;
		const char *needle;
	} cases[] = {
	    {"", "not a JSON object"},
	    {"[1]", "not a JSON object"},
	    {"{\"version\":1", "not a JSON object"},
	    {"{\"version\":2,\"chain_id\":\"c\",\"validators_hash\":\"" HASH
	     "\",\"had_blocks\":true,"
	     "\"has_signed\":true}",
	     "unknown version"},
	    {"{\"version\":1,\"chain_id\":\"\",\"validators_hash\":\"" HASH
	     "\",\"had_blocks\":true,"
	     "\"has_signed\":true}",
	     "bad chain_id"},
	    {"{\"version\":1,\"chain_id\":\"c\",\"validators_hash\":\"abcd\",\"had_blocks\":true,"
	     "\"has_signed\":true}",
	     "bad validators_hash"},
	    {"{\"version\":1,\"chain_id\":\"c\",\"validators_hash\":\"" HASH "\",\"had_blocks\":1,"
	     "\"has_signed\":true}",
	     "booleans"},
	    {"{\"version\":1,\"chain_id\":\"c\",\"validators_hash\":\"" HASH
	     "\",\"had_blocks\":true}",
	     "booleans"},
	    {"{\"version\":1,\"version\":1,\"chain_id\":\"c\",\"validators_hash\":\"" HASH "\","
	     "\"had_blocks\":true,\"has_signed\":true}",
	     "not a JSON object"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		write_text(f->path, cases[i].text, strlen(cases[i].text));
		nt_home_state st = sample(false, false), keep = st;
		nt_why why = {{0}};
		assert_int_equal(nt_home_state_load(f->path, &st, &why), NT_ERR_CORRUPT);
		if (strstr(why.msg, cases[i].needle) == NULL || strstr(why.msg, f->path) == NULL)
			fail_msg("case %zu: '%s'", i, why.msg);
		assert_memory_equal(&st, &keep, sizeof st);
	}
	/* A chain_id longer than any genesis allows. */
	char text[600], id[NT_CHAIN_ID_MAX + 2];
	memset(id, 'x', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	snprintf(text, sizeof text,
		 "{\"version\":1,\"chain_id\":\"%s\",\"validators_hash\":\"" HASH
		 "\",\"had_blocks\":true,"
		 "\"has_signed\":true}",
		 id);
	write_text(f->path, text, strlen(text));
	nt_home_state st;
	assert_int_equal(nt_home_state_load(f->path, &st, NULL), NT_ERR_CORRUPT);
	/* Over the size limit, even if it were valid JSON. */
	char *big = malloc(NT_HOME_STATE_MAX + 1);
	assert_non_null(big);
	memset(big, ' ', NT_HOME_STATE_MAX + 1);
	write_text(f->path, big, NT_HOME_STATE_MAX + 1);
	free(big);
	nt_why why = {{0}};
	assert_int_equal(nt_home_state_load(f->path, &st, &why), NT_ERR_CORRUPT);
	assert_non_null(strstr(why.msg, "longer than"));
}

static void test_bad_dir(void **state)
{
	fix *f = *state;
	char path[700];
	snprintf(path, sizeof path, "%s/no/such/dir/node_state", f->dir);
	nt_home_state st = sample(true, true);
	nt_why why = {{0}};
	assert_int_equal(nt_home_state_save(path, &st, &why), NT_ERR_IO);
	assert_non_null(strstr(why.msg, "cannot create"));
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test(test_same_chain),
	    cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_dir, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
