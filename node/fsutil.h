/* Small file-system helpers shared by the node's files (the WAL, the
 * sign-state, the config and genesis files). */
#ifndef NT_FSUTIL_H
#define NT_FSUTIL_H

#include "base/err.h"

#include <stddef.h>
#include <sys/types.h>

/* Opens the directory that holds path, read-only, for fsync after a rename
 * in it (a rename is durable only once its directory is synced). Returns
 * the descriptor, or -1 with errno set. */
int nt_fs_open_parent(const char *path);

/* open(2), but a failure for lack of descriptors (EMFILE, ENFILE), which
 * is transient (connections come and go), is retried with a doubling wait
 * for up to NT_FS_OPEN_WAIT_MS and logged. Any other failure, or the same
 * one after the wait, returns -1 with errno set: the caller then must not
 * go on as if the file were written (no signature without its sign-state). */
#define NT_FS_OPEN_WAIT_MS 2000
int nt_fs_open(const char *path, int flags, mode_t mode);

/* Opens path for reading only if it is a regular file: a FIFO would block
 * the open and a device would be read to the size limit, where the
 * operator needs a clear refusal. Returns the descriptor; -1 with errno
 * set if it cannot be opened; -2 if it is not a regular file. */
int nt_fs_open_regular(const char *path);

/* Reads from fd until end of file or cap bytes, whichever comes first
 * (retrying EINTR). Returns the bytes read, or -1 with errno set. The
 * caller keeps fd. */
ssize_t nt_fs_read_fd(int fd, void *buf, size_t cap);

/* Reads the small file at path whole into buf, at most cap bytes (make
 * cap one more than a valid file may hold, to tell "too long" from "at the
 * limit"). Returns the bytes read, or -1 with errno set (ENOENT: no such
 * file). */
ssize_t nt_fs_read_small(const char *path, void *buf, size_t cap);

/* Writes len bytes of data to path.tmp (mode 0600), syncs it, renames it
 * over path and syncs the directory: path always holds a whole file, the
 * old or the new one. NT_ERR_IO with why. */
nt_err nt_fs_write_atomic(const char *path, const void *data, size_t len,
			  nt_why *why) NT_MUST_CHECK;

/* What an operator should do about errno err, as text to append to an
 * error message ("" when there is nothing to add): for a full disk or a
 * quota, free space and restart. */
const char *nt_fs_hint(int err);

#endif
