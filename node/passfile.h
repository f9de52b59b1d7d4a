/* Passphrase files for sealed key files (crypto/keys.h
 * nt_keyfile_read_pass), shared by notaryd (key_passphrase_file) and the
 * CLI (--passphrase-file, NOTARY_PASSPHRASE_FILE). */
#ifndef NT_PASSFILE_H
#define NT_PASSFILE_H

#include "base/err.h"
#include "crypto/keys.h"

#include <stddef.h>
#include <stdint.h>

#define NT_PASSPHRASE_MAX 1024

/* Reads the passphrase in path: the file's first line without its line
 * end, 1..NT_PASSPHRASE_MAX bytes. Refused: a file others may read or
 * write (like a key file), an empty one. buf holds NT_PASSPHRASE_MAX + 2
 * bytes; the caller wipes it (OPENSSL_cleanse). */
nt_err nt_passfile_read(const char *path, uint8_t *buf, size_t *len, nt_why *why) NT_MUST_CHECK;

/* Reads the key file key_path, sealed or plain; pass_path (NULL: none)
 * names the passphrase file. The passphrase is wiped before return. */
nt_err nt_key_load(const char *key_path, const char *pass_path, nt_seckey **out,
		   nt_why *why) NT_MUST_CHECK;

#endif
