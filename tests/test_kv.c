/* nt_kv: one suite run against the memory store and the LevelDB store, so
 * the two behave the same; plus LevelDB's durability and locking. */
#include "tests/testutil.h"

#include "core/kv.h"
#include "node/kv_leveldb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

typedef struct {
	bool leveldb;
	char *dir;
	nt_kv *kv;
} fix;

static int setup_mem(void **state)
{
	fix *f = calloc(1, sizeof *f);
	assert_non_null(f);
	assert_int_equal(nt_kv_mem_new(&f->kv), NT_OK);
	*state = f;
	return 0;
}

static int setup_ldb(void **state)
{
	fix *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->leveldb = true;
	f->dir = tu_tmpdir();
	char path[512];
	snprintf(path, sizeof path, "%s/db", f->dir);
	nt_why why = {{0}};
	assert_int_equal(nt_kv_leveldb_open(path, &f->kv, &why), NT_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fix *f = *state;
	nt_kv_close(f->kv);
	if (f->dir != NULL) {
		tu_rmdir(f->dir);
		free(f->dir);
	}
	free(f);
	return 0;
}

static void put1(nt_kv *kv, const char *k, const char *v, bool sync)
{
	nt_kv_batch *b = NULL;
	assert_int_equal(nt_kv_batch_new(&b), NT_OK);
	assert_int_equal(nt_kv_batch_put(b, k, strlen(k), v, strlen(v)), NT_OK);
	assert_int_equal(nt_kv_write(kv, b, sync, NULL), NT_OK);
	nt_kv_batch_free(b);
}

static void del1(nt_kv *kv, const char *k)
{
	nt_kv_batch *b = NULL;
	assert_int_equal(nt_kv_batch_new(&b), NT_OK);
	assert_int_equal(nt_kv_batch_del(b, k, strlen(k)), NT_OK);
	assert_int_equal(nt_kv_write(kv, b, false, NULL), NT_OK);
	nt_kv_batch_free(b);
}

/* Asserts k maps to v (or is absent when v is NULL). */
static void expect(nt_kv *kv, const char *k, const char *v)
{
	uint8_t *got = (uint8_t *)0x1;
	size_t gl = 12345;
	nt_err e = nt_kv_get(kv, k, strlen(k), &got, &gl);
	if (v == NULL) {
		assert_int_equal(e, NT_ERR_NOT_FOUND);
		assert_ptr_equal(got, (uint8_t *)0x1); /* untouched on failure */
		assert_int_equal(gl, 12345);
		return;
	}
	assert_int_equal(e, NT_OK);
	assert_int_equal(gl, strlen(v));
	assert_memory_equal(got, v, gl);
	free(got);
}

static void test_put_get_del(void **state)
{
	fix *f = *state;
	expect(f->kv, "a", NULL);
	put1(f->kv, "a", "1", false);
	put1(f->kv, "b", "22", true);
	expect(f->kv, "a", "1");
	expect(f->kv, "b", "22");
	put1(f->kv, "a", "overwritten", false);
	expect(f->kv, "a", "overwritten");
	del1(f->kv, "a");
	expect(f->kv, "a", NULL);
	expect(f->kv, "b", "22");
	del1(f->kv, "never-there"); /* deleting an absent key is fine */
	/* Empty value and binary keys with NULs. */
	put1(f->kv, "empty", "", false);
	expect(f->kv, "empty", "");
	const uint8_t bk[3] = {0, 0xff, 0};
	nt_kv_batch *b = NULL;
	assert_int_equal(nt_kv_batch_new(&b), NT_OK);
	assert_int_equal(nt_kv_batch_put(b, bk, 3, "x", 1), NT_OK);
	assert_int_equal(nt_kv_write(f->kv, b, false, NULL), NT_OK);
	nt_kv_batch_free(b);
	uint8_t *v = NULL;
	size_t vl = 0;
	assert_int_equal(nt_kv_get(f->kv, bk, 2, &v, &vl), NT_ERR_NOT_FOUND);
	assert_int_equal(nt_kv_get(f->kv, bk, 3, &v, &vl), NT_OK);
	assert_int_equal(vl, 1);
	free(v);
}

typedef struct {
	char keys[64][32];
	char vals[64][32];
	int n;
	int stop_after;
} scan_acc;

static int acc_fn(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	scan_acc *a = arg;
	assert_true(a->n < 64 && kl < 32 && vl < 32);
	memcpy(a->keys[a->n], k, kl);
	a->keys[a->n][kl] = '\0';
	memcpy(a->vals[a->n], v, vl);
	a->vals[a->n][vl] = '\0';
	a->n++;
	return a->stop_after > 0 && a->n >= a->stop_after;
}

static void test_scan(void **state)
{
	fix *f = *state;
	/* Written out of order; scans come back in key order. */
	const char *keys[] = {"p3", "q", "p1", "p", "p2", "o9", "p10", "pa"};
	nt_kv_batch *b = NULL;
	assert_int_equal(nt_kv_batch_new(&b), NT_OK);
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		assert_int_equal(
		    nt_kv_batch_put(b, keys[i], strlen(keys[i]), keys[i], strlen(keys[i])), NT_OK);
	assert_int_equal(nt_kv_write(f->kv, b, false, NULL), NT_OK);
	nt_kv_batch_free(b);

	scan_acc a = {0};
	assert_int_equal(nt_kv_scan(f->kv, "p", 1, acc_fn, &a), NT_OK);
	const char *want[] = {"p", "p1", "p10", "p2", "p3", "pa"};
	assert_int_equal(a.n, 6);
	for (int i = 0; i < 6; i++) {
		assert_string_equal(a.keys[i], want[i]);
		assert_string_equal(a.vals[i], want[i]);
	}

	memset(&a, 0, sizeof a);
	assert_int_equal(nt_kv_scan(f->kv, "p1", 2, acc_fn, &a), NT_OK);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.keys[1], "p10");

	/* Stop early. */
	memset(&a, 0, sizeof a);
	a.stop_after = 2;
	assert_int_equal(nt_kv_scan(f->kv, "p", 1, acc_fn, &a), NT_OK);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.keys[1], "p1");

	/* No match, and the empty prefix sees everything. */
	memset(&a, 0, sizeof a);
	assert_int_equal(nt_kv_scan(f->kv, "z", 1, acc_fn, &a), NT_OK);
	assert_int_equal(a.n, 0);
	memset(&a, 0, sizeof a);
	assert_int_equal(nt_kv_scan(f->kv, "", 0, acc_fn, &a), NT_OK);
	assert_int_equal(a.n, 8);
	assert_string_equal(a.keys[0], "o9");
	assert_string_equal(a.keys[7], "q");
}

static void test_batch(void **state)
{
	fix *f = *state;
	put1(f->kv, "gone", "x", false);
	put1(f->kv, "keep", "old", false);

	nt_kv_batch *b = NULL;
	assert_int_equal(nt_kv_batch_new(&b), NT_OK);
	assert_int_equal(nt_kv_batch_count(b), 0);
	assert_int_equal(nt_kv_batch_put(b, "n1", 2, "a", 1), NT_OK);
	assert_int_equal(nt_kv_batch_put(b, "n2", 2, "b", 1), NT_OK);
	assert_int_equal(nt_kv_batch_del(b, "gone", 4), NT_OK);
	assert_int_equal(nt_kv_batch_put(b, "keep", 4, "new", 3), NT_OK);
	/* Later operations on one key win, in batch order. */
	assert_int_equal(nt_kv_batch_put(b, "twice", 5, "1", 1), NT_OK);
	assert_int_equal(nt_kv_batch_put(b, "twice", 5, "2", 1), NT_OK);
	assert_int_equal(nt_kv_batch_put(b, "putdel", 6, "1", 1), NT_OK);
	assert_int_equal(nt_kv_batch_del(b, "putdel", 6), NT_OK);
	assert_int_equal(nt_kv_batch_count(b), 8);

	/* Nothing is visible before the write. */
	expect(f->kv, "n1", NULL);
	expect(f->kv, "gone", "x");
	expect(f->kv, "keep", "old");
	assert_int_equal(nt_kv_write(f->kv, b, true, NULL), NT_OK);
	nt_kv_batch_free(b);
	expect(f->kv, "n1", "a");
	expect(f->kv, "n2", "b");
	expect(f->kv, "gone", NULL);
	expect(f->kv, "keep", "new");
	expect(f->kv, "twice", "2");
	expect(f->kv, "putdel", NULL);

	/* An empty batch is a no-op; a big batch grows its storage. */
	assert_int_equal(nt_kv_batch_new(&b), NT_OK);
	assert_int_equal(nt_kv_write(f->kv, b, false, NULL), NT_OK);
	for (int i = 0; i < 2000; i++) {
		char k[16], v[600];
		snprintf(k, sizeof k, "big%05d", i);
		memset(v, 'a' + i % 26, sizeof v);
		assert_int_equal(nt_kv_batch_put(b, k, strlen(k), v, sizeof v), NT_OK);
	}
	assert_int_equal(nt_kv_write(f->kv, b, false, NULL), NT_OK);
	nt_kv_batch_free(b);
	uint8_t *v = NULL;
	size_t vl = 0;
	assert_int_equal(nt_kv_get(f->kv, "big01234", 8, &v, &vl), NT_OK);
	assert_int_equal(vl, 600);
	assert_int_equal(v[599], 'a' + 1234 % 26);
	free(v);
	nt_kv_batch_free(NULL);
}

static void test_bad_args(void **state)
{
	fix *f = *state;
	uint8_t *v = NULL;
	size_t vl = 0;
	assert_int_equal(nt_kv_get(NULL, "a", 1, &v, &vl), NT_ERR_ARG);
	assert_int_equal(nt_kv_get(f->kv, NULL, 1, &v, &vl), NT_ERR_ARG);
	assert_int_equal(nt_kv_get(f->kv, "a", 1, NULL, &vl), NT_ERR_ARG);
	assert_int_equal(nt_kv_write(f->kv, NULL, false, NULL), NT_ERR_ARG);
	assert_int_equal(nt_kv_scan(f->kv, "a", 1, NULL, NULL), NT_ERR_ARG);
	assert_int_equal(nt_kv_batch_put(NULL, "a", 1, "b", 1), NT_ERR_ARG);
	nt_kv_batch *b = NULL;
	assert_int_equal(nt_kv_batch_new(&b), NT_OK);
	assert_int_equal(nt_kv_batch_put(b, NULL, 1, "b", 1), NT_ERR_ARG);
	assert_int_equal(nt_kv_batch_put(b, "a", 1, NULL, 1), NT_ERR_ARG);
	assert_int_equal(nt_kv_batch_count(b), 0);
	nt_kv_batch_free(b);
	nt_kv_close(NULL);
}

/* Random operations mirrored in a trivial model; both stores must agree. */
static void test_random_model(void **state)
{
	fix *f = *state;
	tu_seed();
	enum { NK = 40 };
	int model[NK]; /* -1 absent, else value */
	for (int i = 0; i < NK; i++)
		model[i] = -1;
	for (int round = 0; round < 60; round++) {
		nt_kv_batch *b = NULL;
		assert_int_equal(nt_kv_batch_new(&b), NT_OK);
		int ops = 1 + (int)(tu_rand() % 10);
		for (int o = 0; o < ops; o++) {
			int k = (int)(tu_rand() % NK);
			char key[16];
			snprintf(key, sizeof key, "k%02d", k);
			if (tu_rand() % 3 == 0) {
				assert_int_equal(nt_kv_batch_del(b, key, 3), NT_OK);
				model[k] = -1;
			} else {
				int val = (int)(tu_rand() % 1000);
				char vs[16];
				snprintf(vs, sizeof vs, "%d", val);
				assert_int_equal(nt_kv_batch_put(b, key, 3, vs, strlen(vs)), NT_OK);
				model[k] = val;
			}
		}
		assert_int_equal(nt_kv_write(f->kv, b, false, NULL), NT_OK);
		nt_kv_batch_free(b);
		scan_acc a = {0};
		assert_int_equal(nt_kv_scan(f->kv, "k", 1, acc_fn, &a), NT_OK);
		int j = 0;
		for (int k = 0; k < NK; k++) {
			if (model[k] < 0)
				continue;
			char key[16], vs[16];
			snprintf(key, sizeof key, "k%02d", k);
			snprintf(vs, sizeof vs, "%d", model[k]);
			assert_true(j < a.n);
			assert_string_equal(a.keys[j], key);
			assert_string_equal(a.vals[j], vs);
			j++;
		}
		assert_int_equal(j, a.n);
	}
}

static void test_ldb_reopen_and_lock(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char path[512];
	snprintf(path, sizeof path, "%s/db", dir);
	nt_why why = {{0}};
	nt_kv *kv = NULL;
	assert_int_equal(nt_kv_leveldb_open(path, &kv, &why), NT_OK);
	put1(kv, "durable", "yes", true);
	put1(kv, "gone", "x", true);
	del1(kv, "gone");
	put1(kv, "gone2", "y", false);

	/* A second handle on the same directory is refused with LevelDB's
	 * reason and the directory named. */
	nt_kv *kv2 = (nt_kv *)0x1;
	memset(&why, 0, sizeof why);
	assert_int_equal(nt_kv_leveldb_open(path, &kv2, &why), NT_ERR_IO);
	assert_ptr_equal(kv2, (nt_kv *)0x1);
	assert_non_null(strstr(why.msg, "cannot open store"));
	assert_non_null(strstr(why.msg, path));
	assert_non_null(strstr(why.msg, "lock"));
	nt_kv_close(kv);

	assert_int_equal(nt_kv_leveldb_open(path, &kv, &why), NT_OK);
	expect(kv, "durable", "yes");
	expect(kv, "gone", NULL);
	/* A clean close flushes unsynced writes too. */
	expect(kv, "gone2", "y");
	nt_kv_close(kv);

	/* A path that cannot be a directory. */
	char bad[600];
	snprintf(bad, sizeof bad, "%s/db/CURRENT/x", dir);
	memset(&why, 0, sizeof why);
	assert_int_not_equal(nt_kv_leveldb_open(bad, &kv, &why), NT_OK);
	assert_true(why.msg[0] != '\0');
	assert_int_equal(nt_kv_leveldb_open("", &kv, &why), NT_ERR_ARG);
	assert_int_equal(nt_kv_leveldb_open(NULL, &kv, &why), NT_ERR_ARG);
	tu_rmdir(dir);
	free(dir);
}

static int count_scan(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	(void)k, (void)kl, (void)v, (void)vl;
	(*(int *)arg)++;
	return 0;
}

/* A byte flipped inside a table file's data block is NT_ERR_CORRUPT for
 * get and scan (reads verify LevelDB's block checksums), never other bytes
 * handed out as if they were stored. */
static void test_ldb_flipped_byte_is_corrupt(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char path[512];
	snprintf(path, sizeof path, "%s/db", dir);
	nt_why why = {{0}};
	nt_kv *kv = NULL;
	/* A value that is easy to find in the file: 64 bytes that snappy
	 * cannot shorten, so they are stored as they are. */
	uint8_t mark[64];
	uint64_t x = 0x2545f4914f6cdd1du;
	for (size_t j = 0; j < sizeof mark; j++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		mark[j] = (uint8_t)x;
	}
	assert_int_equal(nt_kv_leveldb_open(path, &kv, &why), NT_OK);
	nt_kv_batch *b = NULL;
	assert_int_equal(nt_kv_batch_new(&b), NT_OK);
	assert_int_equal(nt_kv_batch_put(b, "marked", 6, mark, sizeof mark), NT_OK);
	assert_int_equal(nt_kv_write(kv, b, true, NULL), NT_OK);
	nt_kv_batch_free(b);
	nt_kv_close(kv);
	/* LevelDB turns the log it recovers at open into a table file. */
	assert_int_equal(nt_kv_leveldb_open(path, &kv, &why), NT_OK);
	nt_kv_close(kv);

	int flipped = 0;
	for (int num = 1; num < 20; num++) {
		char f[600];
		snprintf(f, sizeof f, "%s/%06d.ldb", path, num);
		FILE *fp = fopen(f, "r+b");
		if (fp == NULL)
			continue;
		static uint8_t buf[1 << 16];
		size_t n = fread(buf, 1, sizeof buf, fp);
		for (size_t at = 0; at + sizeof mark <= n; at++) {
			if (memcmp(buf + at, mark, sizeof mark) != 0)
				continue;
			assert_int_equal(fseek(fp, (long)(at + 10), SEEK_SET), 0);
			assert_int_equal(fputc(buf[at + 10] ^ 0x40, fp), buf[at + 10] ^ 0x40);
			flipped++;
			break;
		}
		fclose(fp);
	}
	assert_int_equal(flipped, 1);

	assert_int_equal(nt_kv_leveldb_open(path, &kv, &why), NT_OK);
	uint8_t *v = NULL;
	size_t vl = 0;
	assert_int_equal(nt_kv_get(kv, "marked", 6, &v, &vl), NT_ERR_CORRUPT);
	assert_null(v);
	int seen = 0;
	assert_int_equal(nt_kv_scan(kv, "m", 1, count_scan, &seen), NT_ERR_CORRUPT);
	nt_kv_close(kv);
	tu_rmdir(dir);
	free(dir);
}

/* LevelDB's error strings, as its C API hands them out, to nt_err and a
 * sentence for the operator. */
static void test_ldb_error_strings(void **state)
{
	(void)state;
	nt_why why = {{0}};
	const char *full = "IO error: /srv/notary/data/000012.log: No space left on device";
	assert_int_equal(nt_kv_leveldb_error(full, NULL, &why), NT_ERR_IO);
	/* the plain words first, what to do, and LevelDB's own text kept */
	assert_ptr_equal(strstr(why.msg, "no space left on device"), why.msg);
	assert_non_null(strstr(why.msg, "free space"));
	assert_non_null(strstr(why.msg, "restart the node"));
	assert_non_null(strstr(why.msg, full));

	assert_int_equal(nt_kv_leveldb_error(full, "cannot open store /srv/d", &why), NT_ERR_IO);
	assert_ptr_equal(strstr(why.msg, "cannot open store /srv/d: no space left on device"),
			 why.msg);
	assert_int_equal(
	    nt_kv_leveldb_error("IO error: /d/MANIFEST-000004: Disk quota exceeded", NULL, &why),
	    NT_ERR_IO);
	assert_ptr_equal(strstr(why.msg, "no space left on device"), why.msg);

	/* A path long enough to be cut off does not cut off the advice. */
	char longmsg[600];
	snprintf(longmsg, sizeof longmsg, "IO error: /%0400d/000012.log: No space left on device",
		 0);
	assert_int_equal(nt_kv_leveldb_error(longmsg, "write", &why), NT_ERR_IO);
	assert_non_null(strstr(why.msg, "then restart the node"));
	assert_true(strlen(why.msg) < sizeof why.msg);

	const char *corrupt = "Corruption: block checksum mismatch: /d/000005.ldb";
	assert_int_equal(nt_kv_leveldb_error(corrupt, "get", &why), NT_ERR_CORRUPT);
	assert_string_equal(why.msg, "get: Corruption: block checksum mismatch: /d/000005.ldb");
	const char *lock = "IO error: lock /d/LOCK: already held by process";
	assert_int_equal(nt_kv_leveldb_error(lock, NULL, &why), NT_ERR_IO);
	assert_string_equal(why.msg, lock);
	assert_null(strstr(why.msg, "no space"));
	assert_int_equal(
	    nt_kv_leveldb_error("IO error: /d/000007.ldb: Input/output error", NULL, &why),
	    NT_ERR_IO);
	assert_null(strstr(why.msg, "no space"));
	assert_int_equal(nt_kv_leveldb_error(NULL, NULL, NULL), NT_ERR_IO);
}

/* A real full disk: LevelDB on a 1 MiB tmpfs, mounted in a private mount
 * namespace of this test process (nothing is visible outside it, and it
 * goes away with the process). Skipped where mounting is not allowed. */
static void test_ldb_disk_full(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	if (!tu_mount_tiny_fs(dir, "1m")) {
		fprintf(stderr,
			"test_ldb_disk_full: skipped: cannot mount a 1 MiB tmpfs here (%s)\n",
			strerror(errno));
		tu_rmdir(dir);
		free(dir);
		skip();
	}
	char path[512];
	snprintf(path, sizeof path, "%s/db", dir);
	nt_why why = {{0}};
	nt_kv *kv = NULL;
	assert_int_equal(nt_kv_leveldb_open(path, &kv, &why), NT_OK);
	/* Incompressible values (snappy keeps them whole), 64 KiB a batch:
	 * 1 MiB is full long before 64 batches. */
	static uint8_t val[64 * 1024];
	uint64_t x = 0x9e3779b97f4a7c15u;
	nt_err e = NT_OK;
	int i;
	for (i = 0; i < 64 && e == NT_OK; i++) {
		for (size_t j = 0; j < sizeof val; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			val[j] = (uint8_t)x;
		}
		char key[16];
		snprintf(key, sizeof key, "k%03d", i);
		nt_kv_batch *b = NULL;
		assert_int_equal(nt_kv_batch_new(&b), NT_OK);
		assert_int_equal(nt_kv_batch_put(b, key, strlen(key), val, sizeof val), NT_OK);
		memset(&why, 0, sizeof why);
		e = nt_kv_write(kv, b, true, &why);
		nt_kv_batch_free(b);
	}
	fprintf(stderr, "test_ldb_disk_full: write %d failed: %s\n", i, why.msg);
	assert_int_equal(e, NT_ERR_IO);
	assert_ptr_equal(strstr(why.msg, "no space left on device"), why.msg);
	assert_non_null(strstr(why.msg, "restart the node"));
	assert_non_null(strstr(why.msg, "No space left on device")); /* LevelDB's own text */
	nt_kv_close(kv);
	assert_int_equal(umount2(dir, MNT_DETACH), 0);
	tu_rmdir(dir);
	free(dir);
}

#define BOTH(fn)                                                                                   \
	cmocka_unit_test_setup_teardown(fn, setup_mem, teardown),                                  \
	    cmocka_unit_test_setup_teardown(fn, setup_ldb, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    BOTH(test_put_get_del),
	    BOTH(test_scan),
	    BOTH(test_batch),
	    BOTH(test_bad_args),
	    BOTH(test_random_model),
	    cmocka_unit_test(test_ldb_reopen_and_lock),
	    cmocka_unit_test(test_ldb_error_strings),
	    cmocka_unit_test(test_ldb_disk_full),
	    cmocka_unit_test(test_ldb_flipped_byte_is_corrupt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
