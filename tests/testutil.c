#include "tests/testutil.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *tu_vectors_dir(void)
{
	const char *d = getenv("NT_VECTORS");
	return d != NULL ? d : "tests/vectors";
}

char *tu_read(const char *path, int rel, size_t *len)
{
	char full[4096];
	if (rel)
		snprintf(full, sizeof full, "%s/%s", tu_vectors_dir(), path);
	else
		snprintf(full, sizeof full, "%s", path);
	FILE *f = fopen(full, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", full);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static uint64_t state;

uint64_t tu_seed(void)
{
	const char *s = getenv("NT_SEED");
	uint64_t seed = s != NULL ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)clock();
	state = seed ? seed : 1;
	fprintf(stderr, "# random seed: NT_SEED=%llu\n", (unsigned long long)seed);
	return seed;
}

uint64_t tu_rand(void)
{
	/* xorshift64*: small, deterministic, good enough for test inputs */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 2685821657736338717ULL;
}

char *tu_tmpdir(void)
{
	char tmpl[] = "/tmp/nt-test-XXXXXX";
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

void tu_rmdir(const char *dir)
{
	char cmd[4200];
	if (dir == NULL || strncmp(dir, "/tmp/nt-test-", 13) != 0)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", dir);
}

bool tu_mount_tiny_fs(const char *dir, const char *size)
{
	char opts[64];
	snprintf(opts, sizeof opts, "size=%s", size);
	return unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	       mount("tmpfs", dir, "tmpfs", 0, opts) == 0;
}

void tu_rand_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)tu_rand();
}

void tu_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0);
}
