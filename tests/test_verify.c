/* NT_VERIFY (base/verify.h): off, it evaluates nothing; on, a false
 * condition prints file:line and the condition and aborts (checked in a
 * forked child), so the invariants of the engine and the ledger are not
 * dead code in the builds that turn it on (SANFLAGS, build/sim/). */
#include "tests/testutil.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* First as this build has it: off in the plain build, on in the ASan one. */
#include "base/verify.h"

static void test_off_evaluates_nothing(void **state)
{
	(void)state;
#ifdef NT_VERIFY_ON
	skip(); /* the ASan build turns NT_VERIFY on */
#else
	int n = 0;
	NT_VERIFY(++n == 5);
	NT_VERIFY(n == 1);
	assert_int_equal(n, 0);
#endif
}

/* Then on, as the ASan build and the simulator's objects have it: the
 * header is read again with the define. */
#undef NT_VERIFY_H
#undef NT_VERIFY
#ifndef NT_VERIFY_ON
#define NT_VERIFY_ON
#endif
#include "base/verify.h"

static void test_on_passes_a_true_condition(void **state)
{
	(void)state;
	int n = 0;
	NT_VERIFY(++n == 1); /* evaluated once */
	assert_int_equal(n, 1);
}

/* Runs a false NT_VERIFY in a child; returns its wait status, and its
 * stderr in err. */
static int fail_in_child(char *err, size_t cap, int *line)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	int x = 1;
	*line = __LINE__ + 6;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 2);
		NT_VERIFY(x == 2);
		_exit(0); /* not reached when NT_VERIFY works */
	}
	close(fds[1]);
	size_t n = 0;
	ssize_t r;
	while (n + 1 < cap && (r = read(fds[0], err + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	err[n] = '\0';
	close(fds[0]);
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void test_on_aborts_with_file_line_and_condition(void **state)
{
	(void)state;
	char err[512], want[128];
	int line = 0;
	int st = fail_in_child(err, sizeof err, &line);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	snprintf(want, sizeof want, "tests/test_verify.c:%d: NT_VERIFY failed: x == 2\n", line);
	assert_non_null(strstr(err, want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_off_evaluates_nothing),
	    cmocka_unit_test(test_on_passes_a_true_condition),
	    cmocka_unit_test(test_on_aborts_with_file_line_and_condition),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
