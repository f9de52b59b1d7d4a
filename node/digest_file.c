/* A file's digest: open it safely, stream it through crypto/'s digest. */
#include "node/digest_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Large enough that a 10 GB file costs few system calls, small enough to be
 * irrelevant next to the rest of a process. */
#define FILE_BUF 65536

/* Reads fd to the end into c. Returns 0, an errno value, or -1 when the
 * digest failed. */
static int stream_fd(int fd, nt_digest_ctx *c, uint8_t *buf, uint64_t *total)
{
	uint64_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf, FILE_BUF);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (r == 0)
			break;
		if (nt_digest_update(c, buf, (size_t)r) != NT_OK)
			return -1;
		n += (uint64_t)r;
	}
	*total = n;
	return 0;
}

nt_err nt_digest_file(int alg, const char *path, uint8_t out[NT_DIGEST_MAX], size_t *out_len,
		      uint64_t *file_size, nt_why *why)
{
	/* The algorithm first: an unknown or unavailable one is said before
	 * anything about the file. */
	nt_digest_ctx *c = NULL;
	nt_err ret = nt_digest_begin(alg, &c, why);
	if (ret == NT_ERR_NOMEM)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory hashing %s", path);
	if (ret != NT_OK)
		return ret;

	/* O_NONBLOCK: open() of a FIFO would otherwise wait for a writer
	 * before the type check below could refuse it. It changes nothing for
	 * the regular files that pass. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		nt_digest_free(c);
		if (e == ENOENT || e == ENOTDIR)
			return nt_fail(why, NT_ERR_NOT_FOUND, "file %s does not exist", path);
		return nt_fail(why, NT_ERR_IO, "cannot open %s: %s", path, strerror(e));
	}
	uint8_t *buf = NULL;
	/* Only a regular file has a fixed content to attest: a FIFO or a
	 * socket gives whatever its writer sends, and /dev/zero or /dev/urandom
	 * never end, so hashing them would hang the command. A directory would
	 * only fail later with a less helpful EISDIR. */
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		ret = nt_fail(why, NT_ERR_IO, "cannot stat %s: %s", path, strerror(e));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = nt_fail(why, NT_ERR_IO, "%s is a directory, not a file", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = nt_fail(why, NT_ERR_IO,
			      "%s is not a regular file (it is a %s); give a file's path", path,
			      S_ISFIFO(st.st_mode)   ? "FIFO"
			      : S_ISCHR(st.st_mode)  ? "character device"
			      : S_ISBLK(st.st_mode)  ? "block device"
			      : S_ISSOCK(st.st_mode) ? "socket"
						     : "special file");
		goto out;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	buf = malloc(FILE_BUF);
	if (buf == NULL) {
		ret = nt_fail(why, NT_ERR_NOMEM, "out of memory hashing %s", path);
		goto out;
	}
	uint64_t total = 0;
	int e = stream_fd(fd, c, buf, &total);
	if (e > 0) {
		ret = nt_fail(why, NT_ERR_IO, "cannot read %s: %s", path, strerror(e));
		goto out;
	}
	if (e < 0 || nt_digest_end(c, out, out_len) != NT_OK) {
		ret = nt_fail(why, NT_ERR_CRYPTO, "%s digest of %s failed", nt_digest_name(alg),
			      path);
		goto out;
	}
	if (file_size != NULL)
		*file_size = total;
out:
	nt_digest_free(c);
	free(buf);
	close(fd);
	return ret;
}
