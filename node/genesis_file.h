/* Reading the genesis file from disk; core/genesis.h parses the text. */
#ifndef NT_GENESIS_FILE_H
#define NT_GENESIS_FILE_H

#include "base/err.h"
#include "core/genesis.h"

/* Reads the genesis file at path (a regular file of at most
 * NT_GENESIS_TEXT_MAX bytes) and parses it with nt_genesis_parse.
 * Returns NT_OK and fills *out; NT_ERR_NOT_FOUND if there is no such file;
 * NT_ERR_IO if it cannot be opened or read or is not a regular file (a
 * FIFO, a device); NT_ERR_RANGE if it is too large; nt_genesis_parse's
 * errors otherwise. *out is untouched on failure. */
nt_err nt_genesis_load(const char *path, nt_genesis *out, nt_why *why) NT_MUST_CHECK;

#endif
