/* Small jansson helpers shared by the modules that already speak JSON
 * (genesis, receipt, the node's RPC). Not part of core's interface: the
 * pure-logic headers never expose jansson types; only these .c files do. */
#ifndef NT_JSONX_H
#define NT_JSONX_H

#include <jansson.h>
#include <stdint.h>

#include "base/err.h"

/* A JSON string holding the lower-case hex of b; NULL on allocation failure
 * (json_object_set_new and friends then fail, so callers check once). */
json_t *nt_json_hex(const uint8_t *b, size_t n);

/* Pretty-printed (2-space indent, member order kept) text of root with a
 * trailing newline, as written to files people read. *out is malloc'd. */
nt_err nt_json_dump_pretty(const json_t *root, char **out) NT_MUST_CHECK;

#endif
