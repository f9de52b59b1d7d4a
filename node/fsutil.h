/* Small file-system helpers shared by the node's durable files (the WAL,
 * the sign-state). */
#ifndef NT_FSUTIL_H
#define NT_FSUTIL_H

/* Opens the directory that holds path, read-only, for fsync after a rename
 * in it (a rename is durable only once its directory is synced). Returns
 * the descriptor, or -1 with errno set. */
int nt_fs_open_parent(const char *path);

#endif
