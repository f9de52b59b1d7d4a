/* nt_wal: round trips, crash rules (torn tails truncated, corruption in the
 * middle refused with its offset), quarantine, resets, bounds; CRC-32C. */
#include "tests/testutil.h"

#include "node/wal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
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
	snprintf(f->path, sizeof f->path, "%s/cs.wal", f->dir);
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

static uint64_t fsize(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static void cut(const char *path, uint64_t len)
{
	assert_int_equal(truncate(path, (off_t)len), 0);
}

static void xor_byte(const char *path, uint64_t off, uint8_t x)
{
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b ^= x;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
}

static void append_raw(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

/* Deterministic entry i: length and bytes derived from i. */
static size_t entry(unsigned i, uint8_t *buf, size_t cap)
{
	size_t n = 1 + (i * 37u) % 300u;
	assert_true(n <= cap);
	for (size_t k = 0; k < n; k++)
		buf[k] = (uint8_t)(i * 131u + k * 7u + 1u);
	return n;
}

/* Replay collector: checks entries against entry(i). */
typedef struct {
	unsigned n;
	unsigned stop_after; /* 0: never */
} collect;

static nt_err on_entry(void *arg, const uint8_t *p, size_t n)
{
	collect *c = arg;
	uint8_t want[400];
	size_t wn = entry(c->n, want, sizeof want);
	assert_int_equal(n, wn);
	assert_memory_equal(p, want, n);
	c->n++;
	if (c->stop_after != 0 && c->n == c->stop_after)
		return NT_ERR_FULL;
	return NT_OK;
}

/* Writes entries [from, to) and syncs. */
static void put_entries(nt_wal *w, unsigned from, unsigned to)
{
	uint8_t buf[400];
	for (unsigned i = from; i < to; i++) {
		size_t n = entry(i, buf, sizeof buf);
		assert_int_equal(nt_wal_append(w, buf, n, NULL), NT_OK);
	}
	assert_int_equal(nt_wal_sync(w, NULL), NT_OK);
}

static unsigned replay_count(nt_wal *w)
{
	collect c = {0, 0};
	nt_why why = {{0}};
	assert_int_equal(nt_wal_replay(w, on_entry, &c, &why), NT_OK);
	return c.n;
}

/* A log with n entries; returns the file offsets where each entry starts
 * (offs[n] = the file size). */
static void make_log(const char *path, unsigned n, uint64_t *offs)
{
	nt_wal *w = NULL;
	assert_int_equal(nt_wal_open(path, &w, NULL, NULL), NT_OK);
	offs[0] = nt_wal_size(w);
	uint8_t buf[400];
	for (unsigned i = 0; i < n; i++) {
		size_t k = entry(i, buf, sizeof buf);
		assert_int_equal(nt_wal_append(w, buf, k, NULL), NT_OK);
		offs[i + 1] = nt_wal_size(w);
	}
	assert_int_equal(nt_wal_sync(w, NULL), NT_OK);
	nt_wal_close(w);
}

static void test_crc32c(void **state)
{
	(void)state;
	/* The check value of CRC-32C and the iSCSI test of 32 zero bytes. */
	assert_int_equal(nt_crc32c(0, "123456789", 9), 0xe3069283u);
	uint8_t z[32] = {0};
	assert_int_equal(nt_crc32c(0, z, 32), 0x8a9136aau);
	assert_int_equal(nt_crc32c(0, "", 0), 0);
	/* Continuation equals one pass. */
	uint32_t c = nt_crc32c(0, "1234", 4);
	assert_int_equal(nt_crc32c(c, "56789", 5), 0xe3069283u);
}

static void test_round_trip(void **state)
{
	fix *f = *state;
	nt_wal *w = NULL;
	nt_wal_info info;
	nt_why why = {{0}};
	assert_int_equal(nt_wal_open(f->path, &w, &info, &why), NT_OK);
	assert_int_equal(info.created, 1);
	assert_int_equal(info.height, 0);
	assert_int_equal(info.entries, 0);
	assert_int_equal(info.bytes, NT_WAL_HEADER_SIZE);
	assert_int_equal(replay_count(w), 0);
	put_entries(w, 0, 50);
	assert_int_equal(nt_wal_entries(w), 50);
	assert_int_equal(replay_count(w), 50); /* replay works on an open log too */
	uint64_t size = nt_wal_size(w);
	assert_int_equal(fsize(f->path), size);
	nt_wal_close(w);

	w = NULL;
	assert_int_equal(nt_wal_open(f->path, &w, &info, &why), NT_OK);
	assert_int_equal(info.created, 0);
	assert_int_equal(info.entries, 50);
	assert_int_equal(info.torn_bytes, 0);
	assert_int_equal(info.bytes, size);
	assert_int_equal(replay_count(w), 50);
	/* Appends continue after the old entries. */
	put_entries(w, 50, 60);
	nt_wal_close(w);
	w = NULL;
	assert_int_equal(nt_wal_open(f->path, &w, &info, &why), NT_OK);
	assert_int_equal(info.entries, 60);
	assert_int_equal(replay_count(w), 60);
	nt_wal_close(w);
	nt_wal_close(NULL);
}

static void test_large_entry(void **state)
{
	fix *f = *state;
	nt_wal *w = NULL;
	size_t n = 3u * 1024 * 1024 + 17; /* spans many read chunks */
	uint8_t *big = malloc(n);
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (uint8_t)(tu_rand() >> 56);
	assert_int_equal(nt_wal_open(f->path, &w, NULL, NULL), NT_OK);
	assert_int_equal(nt_wal_append(w, big, n, NULL), NT_OK);
	assert_int_equal(nt_wal_sync(w, NULL), NT_OK);
	nt_wal_close(w);
	w = NULL;
	nt_wal_info info;
	assert_int_equal(nt_wal_open(f->path, &w, &info, NULL), NT_OK);
	assert_int_equal(info.entries, 1);
	nt_wal_close(w);
	/* A flipped bit deep in the last entry: a bad frame ending at EOF is a
	 * torn tail. */
	xor_byte(f->path, NT_WAL_HEADER_SIZE + 8 + n - 1000, 0x10);
	w = NULL;
	assert_int_equal(nt_wal_open(f->path, &w, &info, NULL), NT_OK);
	assert_int_equal(info.entries, 0);
	assert_int_equal(info.torn_bytes, 8 + n);
	nt_wal_close(w);
	free(big);
}

static void test_torn_tail_every_length(void **state)
{
	fix *f = *state;
	uint64_t offs[4];
	make_log(f->path, 3, offs);
	uint8_t *orig = NULL;
	size_t olen = 0;
	orig = (uint8_t *)tu_read(f->path, 0, &olen);
	assert_int_equal(olen, offs[3]);
	/* Every prefix that cuts into the last frame (1 byte of its header up
	 * to all but one byte of its payload). */
	for (uint64_t len = offs[2] + 1; len < offs[3]; len++) {
		int fd = open(f->path, O_WRONLY | O_TRUNC);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, orig, len), (ssize_t)len);
		close(fd);
		nt_wal *w = NULL;
		nt_wal_info info;
		nt_why why = {{0}};
		assert_int_equal(nt_wal_open(f->path, &w, &info, &why), NT_OK);
		assert_int_equal(info.entries, 2);
		assert_int_equal(info.torn_bytes, len - offs[2]);
		assert_int_equal(info.bytes, offs[2]);
		assert_int_equal(fsize(f->path), offs[2]);
		/* Appending continues cleanly after the truncation. */
		put_entries(w, 2, 4);
		nt_wal_close(w);
		w = NULL;
		assert_int_equal(nt_wal_open(f->path, &w, &info, &why), NT_OK);
		assert_int_equal(info.torn_bytes, 0);
		assert_int_equal(info.entries, 4);
		assert_int_equal(replay_count(w), 4);
		nt_wal_close(w);
	}
	free(orig);
}

static void test_torn_bad_crc_at_eof(void **state)
{
	fix *f = *state;
	uint64_t offs[4];
	make_log(f->path, 3, offs);
	/* Last frame complete in length but its checksum fails: torn. */
	xor_byte(f->path, offs[3] - 1, 0x01);
	nt_wal *w = NULL;
	nt_wal_info info;
	assert_int_equal(nt_wal_open(f->path, &w, &info, NULL), NT_OK);
	assert_int_equal(info.entries, 2);
	assert_int_equal(info.torn_bytes, offs[3] - offs[2]);
	nt_wal_close(w);
}

static void test_torn_zero_tail(void **state)
{
	fix *f = *state;
	uint64_t offs[3];
	make_log(f->path, 2, offs);
	/* What some filesystems show after a crash: the size grew but the
	 * data never arrived. */
	uint8_t z[5000] = {0};
	append_raw(f->path, z, sizeof z);
	nt_wal *w = NULL;
	nt_wal_info info;
	assert_int_equal(nt_wal_open(f->path, &w, &info, NULL), NT_OK);
	assert_int_equal(info.entries, 2);
	assert_int_equal(info.torn_bytes, sizeof z);
	assert_int_equal(fsize(f->path), offs[2]);
	nt_wal_close(w);
}

static void expect_corrupt(const char *path, const char *needle)
{
	uint64_t before = fsize(path);
	nt_wal *w = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_wal_open(path, &w, NULL, &why), NT_ERR_CORRUPT);
	assert_null(w);
	if (strstr(why.msg, needle) == NULL || strstr(why.msg, "--quarantine-wal") == NULL ||
	    strstr(why.msg, path) == NULL)
		fail_msg("why lacks '%s', the recovery or the path: %s", needle, why.msg);
	/* A refused log is left exactly as it was, for the operator. */
	assert_int_equal(fsize(path), before);
}

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static void test_corrupt_middle(void **state)
{
	fix *f = *state;
	uint64_t offs[6];
	make_log(f->path, 5, offs);
	size_t olen = 0;
	char *orig = tu_read(f->path, 0, &olen);
	char needle[64];
	snprintf(needle, sizeof needle, "byte offset %llu ", (unsigned long long)offs[2]);
	/* Flip every byte of frame 2 in turn (its header and payload). */
	for (uint64_t o = offs[2]; o < offs[3]; o++) {
		write_file(f->path, orig, olen);
		xor_byte(f->path, o, 0x5a);
		if (o == offs[2] + 1 || o == offs[2] + 2) {
			/* Known limit (wal.h): a length changed to run past the
			 * end of the file looks exactly like a torn last frame,
			 * so the log is cut there. Safe (the sign-state still
			 * guards signing), but the later entries are lost. */
			nt_wal *w = NULL;
			nt_wal_info info;
			assert_int_equal(nt_wal_open(f->path, &w, &info, NULL), NT_OK);
			assert_int_equal(info.entries, 2);
			assert_int_equal(info.torn_bytes, olen - offs[2]);
			nt_wal_close(w);
		} else {
			expect_corrupt(f->path, needle);
		}
	}
	write_file(f->path, orig, olen);
	nt_wal *w = NULL;
	nt_wal_info info;
	assert_int_equal(nt_wal_open(f->path, &w, &info, NULL), NT_OK);
	assert_int_equal(info.entries, 5);
	nt_wal_close(w);
	free(orig);
}

static void test_zero_length_in_middle(void **state)
{
	fix *f = *state;
	uint64_t offs[2];
	make_log(f->path, 1, offs);
	/* An all-zero frame header (length 0, crc 0 is CRC-32C of nothing)
	 * followed by real data. */
	uint8_t z[8] = {0};
	append_raw(f->path, z, sizeof z);
	uint8_t junk[3] = {1, 2, 3};
	append_raw(f->path, junk, sizeof junk);
	char needle[64];
	snprintf(needle, sizeof needle, "byte offset %llu (zero length",
		 (unsigned long long)offs[1]);
	expect_corrupt(f->path, needle);
}

static void test_oversized_length(void **state)
{
	fix *f = *state;
	uint64_t offs[3];
	make_log(f->path, 2, offs);
	uint32_t len = NT_WAL_MAX_ENTRY + 1;
	uint8_t fh[8] = {(uint8_t)(len >> 24),
			 (uint8_t)(len >> 16),
			 (uint8_t)(len >> 8),
			 (uint8_t)len,
			 0,
			 0,
			 0,
			 0};
	append_raw(f->path, fh, sizeof fh);
	char needle[64];
	snprintf(needle, sizeof needle, "byte offset %llu (length field",
		 (unsigned long long)offs[2]);
	expect_corrupt(f->path, needle);

	/* The writer refuses such entries (and empty ones) up front. */
	cut(f->path, offs[2]);
	nt_wal *w = NULL;
	assert_int_equal(nt_wal_open(f->path, &w, NULL, NULL), NT_OK);
	uint8_t b = 1;
	assert_int_equal(nt_wal_append(w, &b, (size_t)NT_WAL_MAX_ENTRY + 1, NULL), NT_ERR_ARG);
	assert_int_equal(nt_wal_append(w, &b, 0, NULL), NT_ERR_ARG);
	assert_int_equal(nt_wal_entries(w), 2);
	assert_int_equal(nt_wal_size(w), offs[2]);
	nt_wal_close(w);
}

static void test_bad_header(void **state)
{
	fix *f = *state;
	uint64_t offs[2];
	make_log(f->path, 1, offs);
	xor_byte(f->path, 2, 0x01); /* magic */
	expect_corrupt(f->path, "header");
	xor_byte(f->path, 2, 0x01);
	xor_byte(f->path, 12, 0x80); /* height, caught by the header crc */
	expect_corrupt(f->path, "header");
	xor_byte(f->path, 12, 0x80);
	cut(f->path, 7);
	expect_corrupt(f->path, "shorter than its");
	cut(f->path, 0);
	expect_corrupt(f->path, "shorter than its");
}

/* The start-up check reads the height alone, changing nothing. */
static void test_peek_height(void **state)
{
	fix *f = *state;
	uint64_t h = 99, offs[3];
	assert_int_equal(nt_wal_peek_height(f->path, &h), NT_ERR_NOT_FOUND);
	assert_int_equal(h, 99);
	make_log(f->path, 2, offs);
	nt_wal *w = NULL;
	assert_int_equal(nt_wal_open(f->path, &w, NULL, NULL), NT_OK);
	assert_int_equal(nt_wal_reset(w, 41, NULL), NT_OK);
	nt_wal_close(w);
	assert_int_equal(nt_wal_peek_height(f->path, &h), NT_OK);
	assert_int_equal(h, 41);
	xor_byte(f->path, 12, 0x80); /* height, caught by the header crc */
	h = 7;
	assert_int_equal(nt_wal_peek_height(f->path, &h), NT_ERR_CORRUPT);
	assert_int_equal(h, 7);
	cut(f->path, 7);
	assert_int_equal(nt_wal_peek_height(f->path, &h), NT_ERR_CORRUPT);
	/* nothing was repaired or removed by the peek */
	struct stat sb;
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_size, 7);
}

static void test_quarantine(void **state)
{
	fix *f = *state;
	uint64_t offs[4];
	make_log(f->path, 3, offs);
	xor_byte(f->path, offs[1] + 9, 0xff);
	nt_wal *w = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_wal_open(f->path, &w, NULL, &why), NT_ERR_CORRUPT);

	char renamed[700];
	time_t t0 = time(NULL);
	assert_int_equal(nt_wal_quarantine(f->path, renamed, sizeof renamed, &why), NT_OK);
	time_t t1 = time(NULL);
	assert_false(exists(f->path));
	assert_true(exists(renamed));
	assert_int_equal(fsize(renamed), offs[3]); /* moved, not changed */
	size_t pl = strlen(f->path);
	assert_memory_equal(renamed, f->path, pl);
	assert_memory_equal(renamed + pl, ".corrupt-", 9);
	long long secs = atoll(renamed + pl + 9);
	assert_true(secs >= (long long)t0 && secs <= (long long)t1);

	/* Reopen: a fresh empty log. */
	nt_wal_info info;
	assert_int_equal(nt_wal_open(f->path, &w, &info, &why), NT_OK);
	assert_int_equal(info.created, 1);
	assert_int_equal(info.entries, 0);
	put_entries(w, 0, 1);
	nt_wal_close(w);

	/* A second quarantine never overwrites the first. */
	char renamed2[700];
	for (int i = 0; i < 3; i++) {
		assert_int_equal(nt_wal_quarantine(f->path, renamed2, sizeof renamed2, &why),
				 NT_OK);
		assert_string_not_equal(renamed, renamed2);
		assert_true(exists(renamed));
		assert_true(exists(renamed2));
		assert_int_equal(nt_wal_open(f->path, &w, NULL, &why), NT_OK);
		put_entries(w, 0, 1);
		nt_wal_close(w);
	}
	assert_int_equal(fsize(renamed), offs[3]);

	assert_int_equal(nt_wal_quarantine(f->path, NULL, 0, &why), NT_OK);
	assert_int_equal(nt_wal_quarantine(f->path, NULL, 0, &why), NT_ERR_NOT_FOUND);
	assert_int_equal(nt_wal_quarantine("", NULL, 0, &why), NT_ERR_ARG);
}

static void test_reset(void **state)
{
	fix *f = *state;
	nt_wal *w = NULL;
	nt_wal_info info;
	nt_why why = {{0}};
	assert_int_equal(nt_wal_open(f->path, &w, NULL, &why), NT_OK);
	assert_int_equal(nt_wal_reset(w, 7, &why), NT_OK);
	put_entries(w, 0, 10);
	assert_int_equal(nt_wal_height(w), 7);
	assert_int_equal(nt_wal_reset(w, 8, &why), NT_OK);
	assert_int_equal(nt_wal_height(w), 8);
	assert_int_equal(nt_wal_entries(w), 0);
	assert_int_equal(nt_wal_size(w), NT_WAL_HEADER_SIZE);
	assert_int_equal(fsize(f->path), NT_WAL_HEADER_SIZE);
	assert_int_equal(replay_count(w), 0);
	put_entries(w, 0, 3);
	nt_wal_close(w);

	/* Survives reopen; a tmp left by a reset that crashed before its
	 * rename is removed and the old log stays. */
	char tmp[700];
	snprintf(tmp, sizeof tmp, "%s.tmp", f->path);
	int fd = open(tmp, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "NTWAL001garbage", 15), 15);
	close(fd);
	w = NULL;
	assert_int_equal(nt_wal_open(f->path, &w, &info, &why), NT_OK);
	assert_false(exists(tmp));
	assert_int_equal(info.height, 8);
	assert_int_equal(info.entries, 3);
	assert_int_equal(replay_count(w), 3);
	assert_int_equal(nt_wal_reset(w, 9, &why), NT_OK);
	nt_wal_close(w);
	w = NULL;
	assert_int_equal(nt_wal_open(f->path, &w, &info, &why), NT_OK);
	assert_int_equal(info.height, 9);
	assert_int_equal(info.entries, 0);
	nt_wal_close(w);
}

static void test_replay_stops(void **state)
{
	fix *f = *state;
	nt_wal *w = NULL;
	assert_int_equal(nt_wal_open(f->path, &w, NULL, NULL), NT_OK);
	put_entries(w, 0, 5);
	collect c = {0, 2};
	assert_int_equal(nt_wal_replay(w, on_entry, &c, NULL), NT_ERR_FULL);
	assert_int_equal(c.n, 2);
	nt_wal_close(w);
}

static void test_bad_paths(void **state)
{
	fix *f = *state;
	nt_wal *w = NULL;
	nt_why why = {{0}};
	char p[700];
	snprintf(p, sizeof p, "%s/no/such/dir/cs.wal", f->dir);
	assert_int_equal(nt_wal_open(p, &w, NULL, &why), NT_ERR_IO);
	assert_null(w);
	assert_int_equal(nt_wal_open("", &w, NULL, &why), NT_ERR_ARG);
	/* A directory where the log should be. */
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_not_equal(nt_wal_open(f->path, &w, NULL, &why), NT_OK);
	assert_null(w);
}

/* A full disk says so, with what to do (the store has its own test in
 * test_kv.c). Runs in a private mount namespace on a 64 KiB tmpfs. */
static void test_disk_full(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	if (!tu_mount_tiny_fs(dir, "64k")) {
		fprintf(stderr, "test_disk_full: skipped: cannot mount a tmpfs here (%s)\n",
			strerror(errno));
		tu_rmdir(dir);
		free(dir);
		skip();
	}
	char path[512];
	snprintf(path, sizeof path, "%s/cs.wal", dir);
	nt_wal *w = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_wal_open(path, &w, NULL, &why), NT_OK);
	uint8_t chunk[4096];
	memset(chunk, 0x5a, sizeof chunk);
	nt_err e = NT_OK;
	for (int i = 0; i < 64 && e == NT_OK; i++)
		e = nt_wal_append(w, chunk, sizeof chunk, &why);
	assert_int_equal(e, NT_ERR_IO);
	assert_non_null(strstr(why.msg, "No space left on device"));
	assert_non_null(strstr(why.msg, "the disk is full: free space on it"));
	nt_wal_close(w);
	umount(dir);
	tu_rmdir(dir);
	free(dir);
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc32c),
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_entry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_torn_tail_every_length, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_torn_bad_crc_at_eof, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_torn_zero_tail, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_middle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_zero_length_in_middle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oversized_length, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peek_height, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_quarantine, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replay_stops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
	    cmocka_unit_test(test_disk_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
