/* The node's log: one line per event on stderr,
 *   2026-11-29T16:00:00.123Z INFO  block 12: 250 records, ...
 * Thread-safe (each line is written whole). The level comes from
 * --log-level or the NOTARY_LOG environment variable. */
#ifndef NT_LOG_H
#define NT_LOG_H

#include "base/err.h"

typedef enum { NT_LOG_DEBUG = 0, NT_LOG_INFO, NT_LOG_WARN, NT_LOG_ERROR } nt_log_level;

/* Lines below level are dropped. The default is NT_LOG_INFO. */
void nt_log_set_level(nt_log_level level);
nt_log_level nt_log_get_level(void);
/* "debug", "info", "warn", "error" (also "warning") -> level. NT_ERR_ARG
 * for anything else; *out untouched on failure. */
nt_err nt_log_parse_level(const char *name, nt_log_level *out) NT_MUST_CHECK;

void nt_log(nt_log_level level, const char *fmt, ...) NT_PRINTF(2, 3);

#endif
