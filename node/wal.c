/* The consensus write-ahead log: see wal.h for the layout and the crash rules.
 *
 * Order of durable writes:
 *   append: write frame (no sync) ... sync: fdatasync(file)
 *   reset / create: write header to path.tmp, fdatasync(tmp),
 *                   rename(tmp, path), fsync(directory)
 * so that at every instant the file at path is either the old log or the
 * complete new one. */
#include "node/wal.h"
#include "node/fsutil.h"

#include "base/codec.h"
#include "node/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const uint8_t wal_magic[8] = {'N', 'T', 'W', 'A', 'L', '0', '0', '1'};

/* The hint every corruption message ends with (docs/OPERATIONS.md). */
#define RECOVER_HINT "recover with: notaryd --home DIR --quarantine-wal"

struct nt_wal {
	int fd;
	int dirfd;
	char *path;
	char *tmp; /* path ".tmp" */
	uint64_t height;
	uint64_t end; /* end of the last complete frame = file size */
	uint64_t entries;
	int failed;
};

/* ---- CRC-32C (Castagnoli, reflected polynomial 0x82f63b78) ---- */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
		crc_table[i] = c;
	}
}

uint32_t nt_crc32c(uint32_t crc, const void *p, size_t n)
{
	pthread_once(&crc_once, crc_init);
	const uint8_t *b = p;
	crc = ~crc;
	while (n-- > 0)
		crc = crc_table[(crc ^ *b++) & 0xffu] ^ (crc >> 8);
	return ~crc;
}

/* ---- small I/O helpers ---- */

static nt_err io_fail(nt_why *why, const char *what, const char *path)
{
	int err = errno;
	return nt_fail(why, NT_ERR_IO, "%s %s: %s%s", what, path, strerror(err), nt_fs_hint(err));
}

static int pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	uint8_t *b = buf;
	while (n > 0) {
		ssize_t r = pread(fd, b, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO; /* the file shrank under us */
			return -1;
		}
		b += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
	const uint8_t *b = buf;
	while (n > 0) {
		ssize_t r = pwrite(fd, b, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		b += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static void encode_header(uint64_t height, uint8_t out[NT_WAL_HEADER_SIZE])
{
	nt_writer wr;
	nt_writer_init(&wr, out, NT_WAL_HEADER_SIZE);
	nt_put_bytes(&wr, wal_magic, sizeof wal_magic);
	nt_put_u64(&wr, height);
	nt_put_u32(&wr, nt_crc32c(0, out, 16));
}

/* Writes a fresh log for height to tmp and renames it over path; on NT_OK
 * *fd_out is the new file (open for reading and writing). */
static nt_err create_file(const char *path, const char *tmp, int dirfd, uint64_t height,
			  int *fd_out, nt_why *why)
{
	uint8_t hdr[NT_WAL_HEADER_SIZE];
	encode_header(height, hdr);
	int fd = nt_fs_open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return io_fail(why, "cannot create", tmp);
	if (pwrite_all(fd, hdr, sizeof hdr, 0) != 0 || fdatasync(fd) != 0) {
		nt_err e = io_fail(why, "cannot write", tmp);
		close(fd);
		unlink(tmp);
		return e;
	}
	if (rename(tmp, path) != 0) {
		nt_err e = io_fail(why, "cannot rename the new WAL to", path);
		close(fd);
		unlink(tmp);
		return e;
	}
	if (fsync(dirfd) != 0) {
		nt_err e = io_fail(why, "cannot sync the directory of", path);
		close(fd);
		return e;
	}
	*fd_out = fd;
	return NT_OK;
}

/* 1 if every byte of [off, size) is zero, 0 if not, -1 on a read error. */
static int tail_is_zero(int fd, uint64_t off, uint64_t size)
{
	uint8_t buf[4096];
	while (off < size) {
		size_t n = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
		if (pread_all(fd, buf, n, off) != 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (buf[i] != 0)
				return 0;
		off += n;
	}
	return 1;
}

/* CRC-32C of n bytes of the file at off, read in chunks so that checking a
 * large entry needs no large buffer. */
static int crc_range(int fd, uint64_t off, uint64_t n, uint32_t *out)
{
	uint8_t buf[65536];
	uint32_t c = 0;
	while (n > 0) {
		size_t k = n < sizeof buf ? (size_t)n : sizeof buf;
		if (pread_all(fd, buf, k, off) != 0)
			return -1;
		c = nt_crc32c(c, buf, k);
		off += k;
		n -= k;
	}
	*out = c;
	return 0;
}

static void get_frame_header(const uint8_t b[8], uint32_t *len, uint32_t *crc)
{
	nt_reader rd;
	nt_reader_init(&rd, b, 8);
	*len = nt_get_u32(&rd);
	*crc = nt_get_u32(&rd);
}

static bool decode_header(const uint8_t hdr[NT_WAL_HEADER_SIZE], uint64_t *height)
{
	nt_reader rd;
	nt_reader_init(&rd, hdr, NT_WAL_HEADER_SIZE);
	const uint8_t *magic = nt_get_view(&rd, sizeof wal_magic);
	uint64_t h = nt_get_u64(&rd);
	uint32_t crc = nt_get_u32(&rd);
	if (magic == NULL || memcmp(magic, wal_magic, sizeof wal_magic) != 0 ||
	    crc != nt_crc32c(0, hdr, 16))
		return false;
	*height = h;
	return true;
}

nt_err nt_wal_peek_height(const char *path, uint64_t *height)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? NT_ERR_NOT_FOUND : NT_ERR_IO;
	uint8_t hdr[NT_WAL_HEADER_SIZE];
	int r = pread_all(fd, hdr, sizeof hdr, 0);
	close(fd);
	if (r != 0)
		return NT_ERR_CORRUPT; /* shorter than a header, or unreadable */
	return decode_header(hdr, height) ? NT_OK : NT_ERR_CORRUPT;
}

/* Checks the header and every frame of w->fd (size bytes); sets w->height,
 * w->end, w->entries and truncates a torn tail (reported in *torn). */
static nt_err scan(nt_wal *w, uint64_t size, uint64_t *torn, nt_why *why)
{
	uint8_t hdr[NT_WAL_HEADER_SIZE];
	if (size < NT_WAL_HEADER_SIZE)
		return nt_fail(why, NT_ERR_CORRUPT,
			       "corrupt WAL: %" PRIu64 " bytes, shorter than its %d-byte header; "
			       "%s; file: %s",
			       size, NT_WAL_HEADER_SIZE, RECOVER_HINT, w->path);
	if (pread_all(w->fd, hdr, sizeof hdr, 0) != 0)
		return io_fail(why, "cannot read", w->path);
	uint64_t height;
	if (!decode_header(hdr, &height))
		return nt_fail(why, NT_ERR_CORRUPT,
			       "corrupt WAL: bad header at byte offset 0 (magic or checksum); "
			       "%s; file: %s",
			       RECOVER_HINT, w->path);

	uint64_t off = NT_WAL_HEADER_SIZE, entries = 0;
	while (off < size) {
		uint64_t rest = size - off;
		uint32_t len = 0, want = 0, got = 0;
		const char *bad = NULL;
		uint64_t frame_end = size; /* a partial frame header ends at EOF */
		if (rest < NT_WAL_FRAME_OVERHEAD) {
			bad = "partial frame header";
		} else {
			uint8_t fh[NT_WAL_FRAME_OVERHEAD];
			if (pread_all(w->fd, fh, sizeof fh, off) != 0)
				return io_fail(why, "cannot read", w->path);
			get_frame_header(fh, &len, &want);
			frame_end = off + NT_WAL_FRAME_OVERHEAD + len;
			if (len > NT_WAL_MAX_ENTRY)
				return nt_fail(why, NT_ERR_CORRUPT,
					       "corrupt WAL at byte offset %" PRIu64
					       " (length field %" PRIu32
					       " above the %u-byte bound); "
					       "%s; file: %s",
					       off, len, NT_WAL_MAX_ENTRY, RECOVER_HINT, w->path);
			if (len == 0)
				bad = "zero length field";
			else if (frame_end > size)
				bad = "frame runs past the end of the file";
			else if (crc_range(w->fd, off + NT_WAL_FRAME_OVERHEAD, len, &got) != 0)
				return io_fail(why, "cannot read", w->path);
			else if (got != want)
				bad = "checksum mismatch";
		}
		if (bad == NULL) {
			off = frame_end;
			entries++;
			continue;
		}
		/* A crash during an unsynced append can only damage the end of
		 * the file; damage with intact-looking data after it cannot come
		 * from a crash, and guessing which frames to keep would be
		 * wrong, so that is refused. */
		int zero = frame_end >= size ? 1 : tail_is_zero(w->fd, off, size);
		if (zero < 0)
			return io_fail(why, "cannot read", w->path);
		if (!zero)
			return nt_fail(why, NT_ERR_CORRUPT,
				       "corrupt WAL at byte offset %" PRIu64 " (%s, %" PRIu64
				       " more bytes follow the frame); %s; file: %s",
				       off, bad, size - frame_end, RECOVER_HINT, w->path);
		if (ftruncate(w->fd, (off_t)off) != 0 || fdatasync(w->fd) != 0)
			return io_fail(why, "cannot truncate the torn tail of", w->path);
		nt_log(NT_LOG_WARN,
		       "WAL %s: truncated a torn tail of %" PRIu64 " bytes at byte offset %" PRIu64
		       " (%s), left by a crash during an unsynced write",
		       w->path, size - off, off, bad);
		*torn = size - off;
		break;
	}
	w->height = height;
	w->end = off;
	w->entries = entries;
	return NT_OK;
}

static nt_wal *wal_alloc(const char *path)
{
	size_t n = strlen(path);
	nt_wal *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	w->fd = w->dirfd = -1;
	w->path = malloc(n + 1);
	w->tmp = malloc(n + 5);
	if (w->path == NULL || w->tmp == NULL) {
		free(w->path);
		free(w->tmp);
		free(w);
		return NULL;
	}
	memcpy(w->path, path, n + 1);
	memcpy(w->tmp, path, n);
	memcpy(w->tmp + n, ".tmp", 5);
	return w;
}

nt_err nt_wal_open(const char *path, nt_wal **out, nt_wal_info *info, nt_why *why)
{
	if (path == NULL || path[0] == '\0' || out == NULL)
		return nt_fail(why, NT_ERR_ARG, "nt_wal_open: no path");
	nt_wal *w = wal_alloc(path);
	if (w == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	nt_err e = NT_OK;
	uint64_t torn = 0;
	int created = 0;
	struct stat st;

	/* A tmp file is a reset that crashed before its rename: the log at
	 * path is still the valid one. */
	if (unlink(w->tmp) == 0)
		nt_log(NT_LOG_INFO, "WAL %s: removed %s left by an interrupted reset", w->path,
		       w->tmp);
	else if (errno != ENOENT) {
		e = io_fail(why, "cannot remove", w->tmp);
		goto fail;
	}
	if ((w->dirfd = nt_fs_open_parent(path)) < 0) {
		e = io_fail(why, "cannot open the directory of", path);
		goto fail;
	}
	w->fd = nt_fs_open(path, O_RDWR | O_CLOEXEC, 0);
	if (w->fd < 0 && errno == ENOENT) {
		if ((e = create_file(w->path, w->tmp, w->dirfd, 0, &w->fd, why)) != NT_OK)
			goto fail;
		created = 1;
	} else if (w->fd < 0) {
		e = io_fail(why, "cannot open", path);
		goto fail;
	}
	if (fstat(w->fd, &st) != 0) {
		e = io_fail(why, "cannot stat", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		e = nt_fail(why, NT_ERR_IO, "WAL %s is not a regular file", path);
		goto fail;
	}
	if ((e = scan(w, (uint64_t)st.st_size, &torn, why)) != NT_OK)
		goto fail;
	if (info != NULL) {
		info->height = w->height;
		info->entries = w->entries;
		info->bytes = w->end;
		info->torn_bytes = torn;
		info->created = created;
	}
	*out = w;
	return NT_OK;
fail:
	nt_wal_close(w);
	return e;
}

void nt_wal_close(nt_wal *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->dirfd >= 0)
		close(w->dirfd);
	free(w->path);
	free(w->tmp);
	free(w);
}

static nt_err failed(const nt_wal *w, nt_why *why)
{
	return nt_fail(why, NT_ERR_IO, "WAL %s had an I/O error earlier; restart the node",
		       w->path);
}

nt_err nt_wal_append(nt_wal *w, const void *p, size_t n, nt_why *why)
{
	if (w->failed)
		return failed(w, why);
	if (n == 0 || n > NT_WAL_MAX_ENTRY || p == NULL)
		return nt_fail(why, NT_ERR_ARG, "WAL entry of %zu bytes (1 to %u allowed)", n,
			       NT_WAL_MAX_ENTRY);
	uint8_t fh[NT_WAL_FRAME_OVERHEAD];
	nt_writer wr;
	nt_writer_init(&wr, fh, sizeof fh);
	nt_put_u32(&wr, (uint32_t)n);
	nt_put_u32(&wr, nt_crc32c(0, p, n));
	if (pwrite_all(w->fd, fh, sizeof fh, w->end) != 0 ||
	    pwrite_all(w->fd, p, n, w->end + sizeof fh) != 0) {
		nt_err e = io_fail(why, "cannot append to", w->path);
		/* Cut the partial frame so the file stays well-formed, but
		 * still fail the handle: a write error may mean lost pages. */
		if (ftruncate(w->fd, (off_t)w->end) != 0)
			nt_log(NT_LOG_ERROR, "WAL %s: cannot cut a partial frame: %s", w->path,
			       strerror(errno));
		w->failed = 1;
		return e;
	}
	w->end += sizeof fh + n;
	w->entries++;
	return NT_OK;
}

nt_err nt_wal_sync(nt_wal *w, nt_why *why)
{
	if (w->failed)
		return failed(w, why);
	if (fdatasync(w->fd) != 0) {
		/* After a failed fsync Linux may have marked the dirty pages
		 * clean: retrying would "succeed" without the data. */
		w->failed = 1;
		return io_fail(why, "cannot sync", w->path);
	}
	return NT_OK;
}

nt_err nt_wal_replay(nt_wal *w, nt_wal_entry_fn fn, void *arg, nt_why *why)
{
	if (w->failed)
		return failed(w, why);
	uint8_t *buf = NULL;
	size_t cap = 0;
	nt_err e = NT_OK;
	uint64_t off = NT_WAL_HEADER_SIZE;
	while (off < w->end) {
		uint8_t fh[NT_WAL_FRAME_OVERHEAD];
		uint32_t len, want;
		if (w->end - off < sizeof fh || pread_all(w->fd, fh, sizeof fh, off) != 0) {
			e = io_fail(why, "cannot read", w->path);
			break;
		}
		get_frame_header(fh, &len, &want);
		if (len == 0 || len > NT_WAL_MAX_ENTRY || len > w->end - off - sizeof fh) {
			e = nt_fail(why, NT_ERR_CORRUPT,
				    "WAL %s changed while open: bad length at byte offset %" PRIu64,
				    w->path, off);
			break;
		}
		if (len > cap) {
			uint8_t *nb = realloc(buf, len);
			if (nb == NULL) {
				e = nt_fail(why, NT_ERR_NOMEM, "out of memory");
				break;
			}
			buf = nb;
			cap = len;
		}
		if (pread_all(w->fd, buf, len, off + sizeof fh) != 0) {
			e = io_fail(why, "cannot read", w->path);
			break;
		}
		if (nt_crc32c(0, buf, len) != want) {
			e = nt_fail(
			    why, NT_ERR_CORRUPT,
			    "WAL %s changed while open: bad checksum at byte offset %" PRIu64,
			    w->path, off);
			break;
		}
		if ((e = fn(arg, buf, len)) != NT_OK)
			break;
		off += sizeof fh + len;
	}
	free(buf);
	return e;
}

nt_err nt_wal_reset(nt_wal *w, uint64_t height, nt_why *why)
{
	if (w->failed)
		return failed(w, why);
	int fd;
	nt_err e = create_file(w->path, w->tmp, w->dirfd, height, &fd, why);
	if (e != NT_OK) {
		w->failed = 1;
		return e;
	}
	close(w->fd);
	w->fd = fd;
	w->height = height;
	w->end = NT_WAL_HEADER_SIZE;
	w->entries = 0;
	return NT_OK;
}

uint64_t nt_wal_height(const nt_wal *w)
{
	return w->height;
}

uint64_t nt_wal_entries(const nt_wal *w)
{
	return w->entries;
}

uint64_t nt_wal_size(const nt_wal *w)
{
	return w->end;
}

nt_err nt_wal_quarantine(const char *path, char *renamed, size_t cap, nt_why *why)
{
	if (path == NULL || path[0] == '\0')
		return nt_fail(why, NT_ERR_ARG, "nt_wal_quarantine: no path");
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return nt_fail(why, NT_ERR_NOT_FOUND, "no WAL at %s", path);
		return io_fail(why, "cannot stat", path);
	}
	size_t n = strlen(path) + 48;
	char *dst = malloc(n);
	if (dst == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	long long now = (long long)time(NULL);
	nt_err e = NT_OK;
	/* Never overwrite an earlier quarantined file: it may be the one the
	 * operator still wants to look at. */
	for (int i = 0;; i++) {
		if (i == 0)
			snprintf(dst, n, "%s.corrupt-%lld", path, now);
		else
			snprintf(dst, n, "%s.corrupt-%lld-%d", path, now, i);
		if (lstat(dst, &st) != 0 && errno == ENOENT)
			break;
		if (i == 1000) {
			e = nt_fail(why, NT_ERR_EXISTS, "too many quarantined WALs next to %s",
				    path);
			goto out;
		}
	}
	if (rename(path, dst) != 0) {
		e = io_fail(why, "cannot rename", path);
		goto out;
	}
	int dirfd = nt_fs_open_parent(path);
	if (dirfd < 0 || fsync(dirfd) != 0) {
		e = io_fail(why, "cannot sync the directory of", path);
		if (dirfd >= 0)
			close(dirfd);
		goto out;
	}
	close(dirfd);
	nt_log(NT_LOG_WARN, "WAL %s moved aside to %s; the node starts with an empty WAL", path,
	       dst);
	if (renamed != NULL && cap > 0)
		snprintf(renamed, cap, "%s", dst);
out:
	free(dst);
	return e;
}
