/* The clerk's client settings file (tools/cli_settings.c): a table of files
 * that parse or must be refused with a message naming the file and the
 * problem, a relative "ca" anchored at the file's directory, where the file
 * is looked for, and the order flag > env > file > default. */
#include "tests/testutil.h"

#include <stdlib.h>
#include <string.h>

#include "tools/cli_settings.h"

#define PIN "3f2a9c1e77b0d4e29a1c5f03be6d2a713f2a9c1e77b0d4e29a1c5f03be6d2a71"

static void test_parse_table(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		nt_err want;
		const char *node, *ca, *pin; /* when NT_OK */
		const char *says;	     /* in why, when not NT_OK */
	} cases[] = {
	    {"{}", NT_OK, NULL, NULL, NULL, NULL},
	    {"{\"node\":\"tls+tcp://127.0.0.1:7400\",\"pin\":\"" PIN "\"}", NT_OK,
	     "tls+tcp://127.0.0.1:7400", NULL, PIN, NULL},
	    /* an upper-case pin is kept lower-case, as the CLI prints them */
	    {"{\"pin\":\"3F2A9C1E77B0D4E29A1C5F03BE6D2A713F2A9C1E77B0D4E29A1C5F03BE6D2A71\"}",
	     NT_OK, NULL, NULL, PIN, NULL},
	    {"{\"node\":\"tcp://h:1\",\"ca\":\"/etc/notary/node.crt\"}", NT_OK, "tcp://h:1",
	     "/etc/notary/node.crt", NULL, NULL},
	    {"{\"node\":\"tcp://h:1\",\"ca\":\"node.crt\"}", NT_OK, "tcp://h:1",
	     "/home/clerk/.config/notary/node.crt", NULL, NULL},
	    /* refused */
	    {"", NT_ERR_JSON, NULL, NULL, NULL, "not valid JSON"},
	    {"{\"node\":", NT_ERR_JSON, NULL, NULL, NULL, "not valid JSON"},
	    {"[\"tcp://h:1\"]", NT_ERR_JSON, NULL, NULL, NULL, "one JSON object"},
	    {"{\"node\":\"tcp://h:1\",\"pinn\":\"" PIN "\"}", NT_ERR_ARG, NULL, NULL, NULL,
	     "unknown member \"pinn\""},
	    {"{\"pin\":\"" PIN "0\"}", NT_ERR_ARG, NULL, NULL, NULL, "64 hex digits"},
	    {"{\"pin\":\"zz2a9c1e77b0d4e29a1c5f03be6d2a713f2a9c1e77b0d4e29a1c5f03be6d2a71\"}",
	     NT_ERR_ARG, NULL, NULL, NULL, "64 hex digits"},
	    {"{\"node\":\"127.0.0.1:7400\"}", NT_ERR_ARG, NULL, NULL, NULL, "must be a URL"},
	    {"{\"node\":7400}", NT_ERR_ARG, NULL, NULL, NULL, "non-empty string"},
	    {"{\"ca\":\"\"}", NT_ERR_ARG, NULL, NULL, NULL, "non-empty string"},
	    {"{\"node\":\"tcp://a:1\",\"node\":\"tcp://b:1\"}", NT_ERR_JSON, NULL, NULL, NULL,
	     "duplicate"},
	    {"{\"ca\":\"x.crt\",\"pin\":\"" PIN "\"}", NT_ERR_ARG, NULL, NULL, NULL, "not both"},
	};
	const char *path = "/home/clerk/.config/notary/client.json";
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		nt_cli_settings s = {0};
		nt_why why = {{0}};
		nt_err e =
		    nt_cli_settings_parse(path, cases[i].text, strlen(cases[i].text), &s, &why);
		if (e != cases[i].want)
			fail_msg("case %zu: %s, want %s (%s)", i, nt_strerror(e),
				 nt_strerror(cases[i].want), why.msg);
		if (e != NT_OK) {
			/* one line that names the file and the problem */
			if (strncmp(why.msg, path, strlen(path)) != 0 ||
			    strstr(why.msg, cases[i].says) == NULL || strchr(why.msg, '\n') != NULL)
				fail_msg("case %zu: message '%s'", i, why.msg);
			assert_null(s.path); /* untouched */
			continue;
		}
		assert_string_equal(s.path, path);
		const char *got[] = {s.node, s.ca, s.pin};
		const char *want[] = {cases[i].node, cases[i].ca, cases[i].pin};
		for (size_t k = 0; k < 3; k++) {
			if ((got[k] == NULL) != (want[k] == NULL) ||
			    (got[k] != NULL && strcmp(got[k], want[k]) != 0))
				fail_msg("case %zu member %zu: '%s', want '%s'", i, k,
					 got[k] ? got[k] : "(null)", want[k] ? want[k] : "(null)");
		}
		nt_cli_settings_free(&s);
		assert_null(s.node);
	}
	nt_cli_settings_free(NULL);
}

static void check_path(const char *want, nt_cli_from want_from)
{
	nt_cli_from from = NT_CLI_FROM_NONE;
	char *p = nt_cli_settings_path(&from);
	if (want == NULL) {
		assert_null(p);
		return;
	}
	assert_non_null(p);
	assert_string_equal(p, want);
	assert_int_equal(from, want_from);
	free(p);
}

static void test_path(void **state)
{
	(void)state;
	setenv("HOME", "/home/clerk", 1);
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	setenv("NOTARY_CLIENT_CONFIG", "/etc/notary/office.json", 1);
	check_path("/etc/notary/office.json", NT_CLI_FROM_ENV);
	setenv("NOTARY_CLIENT_CONFIG", "", 1); /* empty is unset */
	check_path("/xdg/notary/client.json", NT_CLI_FROM_DEFAULT);
	setenv("XDG_CONFIG_HOME", "relative/dir", 1); /* the XDG spec: ignore it */
	check_path("/home/clerk/.config/notary/client.json", NT_CLI_FROM_DEFAULT);
	unsetenv("XDG_CONFIG_HOME");
	check_path("/home/clerk/.config/notary/client.json", NT_CLI_FROM_DEFAULT);
	unsetenv("HOME");
	check_path(NULL, NT_CLI_FROM_NONE);
}

static void test_precedence(void **state)
{
	(void)state;
	nt_cli_from f;
	setenv("NT_TEST_NODE", "tcp://env:1", 1);
	assert_string_equal(
	    nt_cli_settings_pick("tcp://flag:1", "NT_TEST_NODE", "tcp://file:1", "tcp://d:1", &f),
	    "tcp://flag:1");
	assert_int_equal(f, NT_CLI_FROM_FLAG);
	assert_string_equal(
	    nt_cli_settings_pick(NULL, "NT_TEST_NODE", "tcp://file:1", "tcp://d:1", &f),
	    "tcp://env:1");
	assert_int_equal(f, NT_CLI_FROM_ENV);
	setenv("NT_TEST_NODE", "", 1);
	assert_string_equal(
	    nt_cli_settings_pick("", "NT_TEST_NODE", "tcp://file:1", "tcp://d:1", &f),
	    "tcp://file:1");
	assert_int_equal(f, NT_CLI_FROM_FILE);
	unsetenv("NT_TEST_NODE");
	assert_string_equal(nt_cli_settings_pick(NULL, "NT_TEST_NODE", NULL, "tcp://d:1", &f),
			    "tcp://d:1");
	assert_int_equal(f, NT_CLI_FROM_DEFAULT);
	assert_null(nt_cli_settings_pick(NULL, "NT_TEST_NODE", NULL, NULL, &f));
	assert_int_equal(f, NT_CLI_FROM_NONE);
	assert_string_equal(nt_cli_from_name(NT_CLI_FROM_FILE), "file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_path),
	    cmocka_unit_test(test_precedence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
