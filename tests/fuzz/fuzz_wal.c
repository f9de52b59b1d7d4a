/* Fuzz target: nt_wal_open and nt_wal_replay on a WAL file whose bytes are
 * the input (a WAL is read back after a crash, when anything may have
 * reached the disk). The file lives in a private directory on /dev/shm
 * (tmpfs, so the fsyncs cost nothing) or /tmp.
 *
 * Properties: open either refuses with a reason or accepts a prefix of the
 * input (the torn tail it cut plus what it kept is the whole file), replay
 * yields exactly info.entries entries of 1..NT_WAL_MAX_ENTRY bytes, and an
 * entry appended afterwards is replayed last. */
#include "node/log.h"
#include "node/wal.h"
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[128], tmp[160];

static void setup(void)
{
	if (path[0] != '\0')
		return;
	fz_scratch_path("wal", "wal", path, sizeof path);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	/* Torn tails are logged as warnings; millions of them say nothing. */
	nt_log_set_level(NT_LOG_ERROR);
}

typedef struct {
	uint64_t n;
	size_t last_len;
	uint8_t last0;
} counter;

static nt_err count_entry(void *arg, const uint8_t *p, size_t n)
{
	counter *c = arg;
	fz_check(n >= 1 && n <= NT_WAL_MAX_ENTRY);
	c->n++;
	c->last_len = n;
	c->last0 = p[0];
	return NT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fz_check(fd >= 0);
	fz_check(size == 0 || write(fd, data, size) == (ssize_t)size);
	close(fd);

	nt_wal *w = NULL;
	nt_wal_info info;
	nt_why why = {""};
	nt_err e = nt_wal_open(path, &w, &info, &why);
	if (e != NT_OK) {
		fz_check(e == NT_ERR_CORRUPT || e == NT_ERR_NOMEM);
		fz_check(why.msg[0] != '\0' && w == NULL);
		unlink(path);
		return 0;
	}
	struct stat st;
	fz_check(stat(path, &st) == 0 && (uint64_t)st.st_size == info.bytes);
	fz_check(nt_wal_size(w) == info.bytes && nt_wal_entries(w) == info.entries);
	fz_check(nt_wal_height(w) == info.height);
	if (!info.created) {
		fz_check(info.bytes + info.torn_bytes == size);
		/* What was kept is the input's prefix, not a rewrite of it. */
		uint8_t *back = malloc(info.bytes ? info.bytes : 1);
		fz_check(back != NULL);
		fd = open(path, O_RDONLY);
		fz_check(fd >= 0 && read(fd, back, info.bytes) == (ssize_t)info.bytes);
		close(fd);
		fz_check(memcmp(back, data, info.bytes) == 0);
		free(back);
	}

	counter c = {0, 0, 0};
	fz_check(nt_wal_replay(w, count_entry, &c, &why) == NT_OK);
	fz_check(c.n == info.entries);

	static const uint8_t entry[3] = {0xa5, 1, 2};
	fz_check(nt_wal_append(w, entry, sizeof entry, &why) == NT_OK);
	c = (counter){0, 0, 0};
	fz_check(nt_wal_replay(w, count_entry, &c, &why) == NT_OK);
	fz_check(c.n == info.entries + 1 && c.last_len == sizeof entry && c.last0 == 0xa5);
	nt_wal_close(w);
	unlink(path);
	unlink(tmp);
	return 0;
}
