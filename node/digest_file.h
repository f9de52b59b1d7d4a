/* Hashing a file from disk in constant memory (crypto/digest.h hashes). */
#ifndef NT_DIGEST_FILE_H
#define NT_DIGEST_FILE_H

#include "base/err.h"
#include "crypto/digest.h"

#include <stdint.h>

/* Streams the file at path through the digest in constant memory.
 * On NT_OK also sets *file_size (if not NULL). NT_ERR_NOT_FOUND if missing,
 * NT_ERR_IO on read errors and for anything but a regular file (directory,
 * FIFO, device, socket: refused at once, never read); why says which file
 * and what. */
nt_err nt_digest_file(int alg, const char *path, uint8_t out[NT_DIGEST_MAX], size_t *out_len,
		      uint64_t *file_size, nt_why *why) NT_MUST_CHECK;

#endif
