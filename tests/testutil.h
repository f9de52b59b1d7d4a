/* Helpers shared by the unit tests (cmocka). */
#ifndef NT_TESTUTIL_H
#define NT_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
/* cmocka.h needs the includes above first */
#include <cmocka.h>

/* Directory of the independent test vectors (tests/vectors, or $NT_VECTORS). */
const char *tu_vectors_dir(void);
/* Reads a whole file (path relative to tu_vectors_dir() when rel is true);
 * NUL-terminates; fails the test if unreadable. Caller frees. */
char *tu_read(const char *path, int rel, size_t *len);
/* Seeded PRNG: the seed comes from $NT_SEED or the clock and is printed,
 * so a failure can be replayed with NT_SEED=... */
uint64_t tu_seed(void);
uint64_t tu_rand(void);
/* n bytes of tu_rand(). */
void tu_rand_bytes(uint8_t *p, size_t n);
/* A fresh temporary directory (removed by tu_rmdir). Caller frees. */
char *tu_tmpdir(void);
void tu_rmdir(const char *dir);
/* Writes a whole file with this mode (also when it exists); fails the test
 * on an error. */
void tu_write_file(const char *path, const void *data, size_t len, mode_t mode);
/* Mounts a tmpfs of `size` (e.g. "1m") on dir in a private mount namespace
 * of this process, for disk-full tests; false (errno set) where mounting
 * is not allowed, and the caller skips. */
bool tu_mount_tiny_fs(const char *dir, const char *size);

#endif
