#include "node/fsutil.h"

#include "node/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int nt_fs_open(const char *path, int flags, mode_t mode)
{
	unsigned waited = 0, step = 5;
	for (;;) {
		int fd = open(path, flags, mode);
		if (fd >= 0 || (errno != EMFILE && errno != ENFILE))
			return fd;
		int err = errno;
		if (waited >= NT_FS_OPEN_WAIT_MS) {
			nt_log(NT_LOG_ERROR, "cannot open %s: %s (waited %u ms for a descriptor)",
			       path, strerror(err), waited);
			errno = err;
			return -1;
		}
		if (waited == 0)
			nt_log(NT_LOG_WARN, "cannot open %s: %s; waiting for a descriptor", path,
			       strerror(err));
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)step * 1000000L};
		nanosleep(&ts, NULL);
		waited += step;
		step = step * 2 > 200 ? 200 : step * 2;
	}
}

int nt_fs_open_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return nt_fs_open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (slash == path)
		return nt_fs_open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	size_t n = (size_t)(slash - path);
	char *dir = malloc(n + 1);
	if (dir == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	int fd = nt_fs_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	int saved = errno;
	free(dir);
	errno = saved;
	return fd;
}

int nt_fs_open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -2;
	}
	return fd;
}

const char *nt_fs_hint(int err)
{
	if (err == ENOSPC || err == EDQUOT)
		return " (the disk is full: free space on it, then restart the node)";
	return "";
}

ssize_t nt_fs_read_fd(int fd, void *buf, size_t cap)
{
	size_t n = 0;
	while (n < cap) {
		ssize_t r = read(fd, (char *)buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

ssize_t nt_fs_read_small(const char *path, void *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = nt_fs_read_fd(fd, buf, cap);
	int err = errno;
	close(fd);
	errno = err;
	return n;
}

nt_err nt_fs_write_atomic(const char *path, const void *data, size_t len, nt_why *why)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return nt_fail(why, NT_ERR_ARG, "path too long: %s", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return nt_fail(why, NT_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
	const char *text = data;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			break;
		}
		off += (size_t)w;
	}
	if (off < len || fdatasync(fd) != 0) {
		nt_err e = nt_fail(why, NT_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return e;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		nt_err e = nt_fail(why, NT_ERR_IO, "cannot replace %s: %s", path, strerror(errno));
		unlink(tmp);
		return e;
	}
	int dfd = nt_fs_open_parent(path);
	if (dfd < 0 || fsync(dfd) != 0) {
		nt_err e = nt_fail(why, NT_ERR_IO, "cannot sync the directory of %s: %s", path,
				   strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return e;
	}
	close(dfd);
	return NT_OK;
}
