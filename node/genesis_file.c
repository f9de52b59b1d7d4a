/* The genesis file on disk: open it safely, read it bounded, parse it in
 * core/ (nt_genesis_parse). */
#include "node/genesis_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node/fsutil.h"

nt_err nt_genesis_load(const char *path, nt_genesis *out, nt_why *why)
{
	/* nt_fs_open_regular opens without blocking and checks the type: a
	 * FIFO would block open() and a device like /dev/zero would be read to
	 * the size limit, where a clear refusal is what the operator needs. */
	int fd = nt_fs_open_regular(path);
	if (fd == -2)
		return nt_fail(why, NT_ERR_IO, "genesis file %s is not a regular file", path);
	if (fd < 0) {
		int err = errno;
		return nt_fail(why, err == ENOENT ? NT_ERR_NOT_FOUND : NT_ERR_IO,
			       "cannot open genesis file %s: %s", path, strerror(err));
	}
	char *buf = malloc(NT_GENESIS_TEXT_MAX + 1);
	if (buf == NULL) {
		close(fd);
		return NT_ERR_NOMEM;
	}
	/* One byte over the limit tells "too large" from "at the limit". */
	ssize_t n = nt_fs_read_fd(fd, buf, NT_GENESIS_TEXT_MAX + 1);
	close(fd);
	nt_err e;
	if (n < 0)
		e = nt_fail(why, NT_ERR_IO, "cannot read genesis file %s", path);
	else if (n > NT_GENESIS_TEXT_MAX)
		e = nt_fail(why, NT_ERR_RANGE, "genesis file %s is larger than %d bytes", path,
			    NT_GENESIS_TEXT_MAX);
	else
		e = nt_genesis_parse(buf, (size_t)n, out, why);
	free(buf);
	return e;
}
