/* Internal to crypto/: the sealed (passphrase) key file body for
 * keyfile.c. Outside crypto/ use nt_keyfile_write_pass / _read_pass. */
#ifndef NT_KEYSEAL_H
#define NT_KEYSEAL_H

#include "crypto/keys.h"

#include <jansson.h>

/* The sealed key file text of k under pass (plen bytes, not empty) into
 * text (cap bytes; 400 are enough), *len its length. */
nt_err nt_keyseal_text(const nt_seckey *k, const uint8_t *pass, size_t plen, char *text, size_t cap,
		       size_t *len, nt_why *why) NT_MUST_CHECK;
/* Opens a parsed sealed key file (root, type already checked); path for
 * messages; pass NULL: NT_ERR_ARG; wrong passphrase or altered file:
 * NT_ERR_MISMATCH. */
nt_err nt_keyseal_open(json_t *root, const char *path, const uint8_t *pass, size_t plen,
		       nt_seckey **out, nt_why *why) NT_MUST_CHECK;

#endif
