/* Small file-system helpers shared by the node's durable files (the WAL,
 * the sign-state). */
#ifndef NT_FSUTIL_H
#define NT_FSUTIL_H

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

#endif
