/* The sign-state file: see privval.h.
 *
 * Order of durable writes in a save:
 *   write path.tmp, fdatasync(tmp), rename(tmp, path), fsync(directory)
 * so that path always holds a complete record, old or new. */
#include "node/privval.h"
#include "node/fsutil.h"

#include "base/codec.h"
#include "node/log.h"
#include "node/wal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PV_VERSION 1

static const uint8_t pv_magic[4] = {'N', 'T', 'S', 'S'};

struct nt_privval {
	char *path;
	char *tmp; /* path ".tmp" */
	int dirfd;
	nt_cons_hrs hrs;
};

int nt_privval_cmp(const nt_cons_hrs *a, const nt_cons_hrs *b)
{
	if (a->height != b->height)
		return a->height < b->height ? -1 : 1;
	if (a->round != b->round)
		return a->round < b->round ? -1 : 1;
	if (a->step != b->step)
		return a->step < b->step ? -1 : 1;
	return 0;
}

static int hrs_valid(const nt_cons_hrs *h)
{
	if (h->step == 0)
		return h->height == 0 && h->round == 0;
	return h->step <= NT_STEP_PRECOMMIT && h->height >= 1;
}

static void encode(const nt_cons_hrs *h, uint8_t out[NT_PRIVVAL_FILE_SIZE])
{
	nt_writer wr;
	nt_writer_init(&wr, out, NT_PRIVVAL_FILE_SIZE);
	nt_put_bytes(&wr, pv_magic, sizeof pv_magic);
	nt_put_u8(&wr, PV_VERSION);
	nt_put_u64(&wr, h->height);
	nt_put_u32(&wr, h->round);
	nt_put_u8(&wr, h->step);
	nt_put_u32(&wr, nt_crc32c(0, out, NT_PRIVVAL_FILE_SIZE - 4));
}

static nt_err corrupt(nt_why *why, const char *path, const char *what)
{
	return nt_fail(
	    why, NT_ERR_CORRUPT,
	    "sign-state file %s is corrupt (%s); refusing to start, because guessing "
	    "could sign twice (repair: notaryd --repair-sign-state H, docs/OPERATIONS.md)",
	    path, what);
}

static nt_err decode(const char *path, const uint8_t *b, size_t n, nt_cons_hrs *out, nt_why *why)
{
	if (n != NT_PRIVVAL_FILE_SIZE) {
		char what[64];
		snprintf(what, sizeof what, "%zu%s bytes, expected %d", n,
			 n > NT_PRIVVAL_FILE_SIZE ? " or more" : "", NT_PRIVVAL_FILE_SIZE);
		return corrupt(why, path, what);
	}
	nt_reader rd;
	nt_reader_init(&rd, b, n);
	const uint8_t *magic = nt_get_view(&rd, sizeof pv_magic);
	uint8_t version = nt_get_u8(&rd);
	nt_cons_hrs h;
	h.height = nt_get_u64(&rd);
	h.round = nt_get_u32(&rd);
	h.step = nt_get_u8(&rd);
	uint32_t crc = nt_get_u32(&rd);
	if (magic == NULL || !nt_reader_done(&rd) || memcmp(magic, pv_magic, sizeof pv_magic) != 0)
		return corrupt(why, path, "bad magic");
	if (crc != nt_crc32c(0, b, NT_PRIVVAL_FILE_SIZE - 4))
		return corrupt(why, path, "checksum mismatch");
	if (version != PV_VERSION)
		return corrupt(why, path, "unknown version");
	if (!hrs_valid(&h))
		return corrupt(why, path, "impossible height/round/step");
	*out = h;
	return NT_OK;
}

nt_err nt_privval_load(const char *path, nt_cons_hrs *out, nt_why *why)
{
	if (path == NULL || path[0] == '\0' || out == NULL)
		return nt_fail(why, NT_ERR_ARG, "nt_privval_load: no path");
	/* One byte more than a record, to tell "too long" from "exact". */
	uint8_t buf[NT_PRIVVAL_FILE_SIZE + 1];
	ssize_t n = nt_fs_read_small(path, buf, sizeof buf);
	if (n < 0 && errno == ENOENT) {
		*out = (nt_cons_hrs){0, 0, 0};
		return NT_OK;
	}
	if (n < 0)
		return nt_fail(why, NT_ERR_IO, "cannot read %s: %s", path, strerror(errno));
	return decode(path, buf, (size_t)n, out, why);
}

/* An object for path with nothing loaded yet: stale tmp removed, directory
 * open. */
static nt_err pv_new(const char *path, nt_privval **out, nt_why *why)
{
	if (path == NULL || path[0] == '\0' || out == NULL)
		return nt_fail(why, NT_ERR_ARG, "sign-state: no path");
	nt_privval *pv = calloc(1, sizeof *pv);
	size_t n = strlen(path);
	if (pv == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	pv->dirfd = -1;
	pv->path = malloc(n + 1);
	pv->tmp = malloc(n + 5);
	nt_err e;
	if (pv->path == NULL || pv->tmp == NULL) {
		e = nt_fail(why, NT_ERR_NOMEM, "out of memory");
		goto fail;
	}
	memcpy(pv->path, path, n + 1);
	memcpy(pv->tmp, path, n);
	memcpy(pv->tmp + n, ".tmp", 5);
	/* The remains of a save that never returned: its value was never
	 * promised to anyone, so the file at path is the truth. */
	if (unlink(pv->tmp) == 0) {
		nt_log(NT_LOG_INFO, "sign-state: removed %s left by an interrupted save", pv->tmp);
	} else if (errno != ENOENT) {
		e = nt_fail(why, NT_ERR_IO, "cannot remove %s: %s", pv->tmp, strerror(errno));
		goto fail;
	}
	if ((pv->dirfd = nt_fs_open_parent(path)) < 0) {
		e = nt_fail(why, NT_ERR_IO, "cannot open the directory of %s: %s", path,
			    strerror(errno));
		goto fail;
	}
	*out = pv;
	return NT_OK;
fail:
	nt_privval_free(pv);
	return e;
}

nt_err nt_privval_open(const char *path, nt_privval **out, nt_why *why)
{
	nt_cons_hrs h;
	nt_privval *pv = NULL;
	nt_err e;
	/* Load first: a corrupt file must stop us before anything changes. */
	if (path == NULL || out == NULL)
		return nt_fail(why, NT_ERR_ARG, "sign-state: no path");
	if ((e = nt_privval_load(path, &h, why)) != NT_OK)
		return e;
	if ((e = pv_new(path, &pv, why)) != NT_OK)
		return e;
	pv->hrs = h;
	*out = pv;
	return NT_OK;
}

void nt_privval_free(nt_privval *pv)
{
	if (pv == NULL)
		return;
	if (pv->dirfd >= 0)
		close(pv->dirfd);
	free(pv->path);
	free(pv->tmp);
	free(pv);
}

nt_cons_hrs nt_privval_get(const nt_privval *pv)
{
	return pv->hrs;
}

/* Writes hrs durably (see the top of the file) and sets pv->hrs. */
static nt_err write_record(nt_privval *pv, const nt_cons_hrs *hrs, nt_why *why)
{
	uint8_t rec[NT_PRIVVAL_FILE_SIZE];
	encode(hrs, rec);
	int fd = nt_fs_open(pv->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return nt_fail(why, NT_ERR_IO, "cannot create %s: %s%s", pv->tmp, strerror(errno),
			       nt_fs_hint(errno));
	ssize_t w;
	do
		w = write(fd, rec, sizeof rec);
	while (w < 0 && errno == EINTR);
	/* 22 bytes to a fresh regular file: a short write means an error
	 * (ENOSPC), not a reason to retry. */
	if (w != (ssize_t)sizeof rec || fdatasync(fd) != 0) {
		if (w >= 0 && w != (ssize_t)sizeof rec)
			errno = ENOSPC;
		nt_err e = nt_fail(why, NT_ERR_IO, "cannot write %s: %s%s", pv->tmp, strerror(errno),
				   nt_fs_hint(errno));
		close(fd);
		unlink(pv->tmp);
		return e;
	}
	if (close(fd) != 0) {
		nt_err e = nt_fail(why, NT_ERR_IO, "cannot close %s: %s", pv->tmp, strerror(errno));
		unlink(pv->tmp);
		return e;
	}
	if (rename(pv->tmp, pv->path) != 0) {
		nt_err e =
		    nt_fail(why, NT_ERR_IO, "cannot rename %s: %s", pv->tmp, strerror(errno));
		unlink(pv->tmp);
		return e;
	}
	if (fsync(pv->dirfd) != 0)
		return nt_fail(why, NT_ERR_IO, "cannot sync the directory of %s: %s", pv->path,
			       strerror(errno));
	pv->hrs = *hrs;
	return NT_OK;
}

nt_err nt_privval_save(nt_privval *pv, const nt_cons_hrs *hrs, nt_why *why)
{
	if (hrs == NULL || hrs->step == 0 || !hrs_valid(hrs))
		return nt_fail(why, NT_ERR_ARG, "sign-state: malformed value to save");
	int c = nt_privval_cmp(hrs, &pv->hrs);
	if (c == 0)
		return NT_OK;
	if (c < 0)
		return nt_fail(why, NT_ERR_ARG,
			       "sign-state: refusing to lower %" PRIu64 "/%" PRIu32
			       "/%u to %" PRIu64 "/%" PRIu32 "/%u",
			       pv->hrs.height, pv->hrs.round, (unsigned)pv->hrs.step, hrs->height,
			       hrs->round, (unsigned)hrs->step);

	return write_record(pv, hrs, why);
}

nt_err nt_privval_repair(const char *path, uint64_t h, nt_why *why)
{
	if (h == 0)
		return nt_fail(why, NT_ERR_ARG, "sign-state repair: the height must be >= 1");
	nt_cons_hrs want = {h, UINT32_MAX, NT_STEP_PRECOMMIT}, cur = {0, 0, 0};
	nt_why lw = {{0}};
	nt_err e = nt_privval_load(path, &cur, &lw);
	if (e == NT_ERR_CORRUPT)
		nt_log(NT_LOG_WARN, "sign-state repair: replacing a damaged file: %s", lw.msg);
	else if (e != NT_OK)
		return nt_fail(why, e, "%s", lw.msg);
	else if (nt_privval_cmp(&cur, &want) > 0)
		return nt_fail(why, NT_ERR_ARG,
			       "sign-state repair: %s already holds height %" PRIu64
			       " round %" PRIu32 ", above %" PRIu64 "; nothing to do",
			       path, cur.height, cur.round, h);
	nt_privval *pv = NULL;
	if ((e = pv_new(path, &pv, why)) != NT_OK)
		return e;
	e = write_record(pv, &want, why);
	nt_privval_free(pv);
	if (e == NT_OK)
		nt_log(NT_LOG_WARN,
		       "sign-state %s set to height %" PRIu64
		       " (all rounds): the node signs again from height %" PRIu64,
		       path, h, h + 1);
	return e;
}
