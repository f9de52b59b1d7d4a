/* Lower-case hex, no prefix (FORMATS.md). */
#ifndef NT_HEX_H
#define NT_HEX_H

#include "base/err.h"
#include "base/types.h"

/* Writes 2*len hex digits and a NUL to out (capacity 2*len+1). */
void nt_hex_encode(const uint8_t *in, size_t len, char *out);

/* Decodes the NUL-terminated string hex into out.
 * Accepts upper and lower case. Returns NT_ERR_DECODE on odd length or a
 * non-hex character, NT_ERR_RANGE if it would exceed cap. *len is the number
 * of bytes written (untouched on failure). */
nt_err nt_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *len) NT_MUST_CHECK;

/* Decodes exactly 32 bytes (a hash or key) from 64 hex digits. */
nt_err nt_hex_decode32(const char *hex, uint8_t out[32]) NT_MUST_CHECK;

#endif
