/* A clerk's client settings file: which node the notary CLI talks to and
 * which certificate it trusts there, so that neither has to be typed each
 * time (docs/CLI.md "Talking to a node over TLS").
 *
 *     {"node": "tls+tcp://10.0.0.5:7400", "pin": "3f2a...64 hex digits"}
 *
 * Every member is optional; any other member is an error, so that a typo
 * ("pinn") cannot silently drop the pin. The file holds no secret.
 *
 * This module only finds and parses the file and orders the places a setting
 * can come from; it reads no file and prints nothing. The CLI's loader is
 * nt_cli_settings_load (tools/cli.h). */
#ifndef NT_CLI_SETTINGS_H
#define NT_CLI_SETTINGS_H

#include "base/err.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
	char *path; /* the file these came from; NULL when none was read */
	char *node; /* "node", or NULL */
	char *ca;   /* "ca", a relative one joined to path's directory, or NULL */
	char *pin;  /* "pin" as 64 lower-case hex digits, or NULL */
} nt_cli_settings;

/* Where a setting came from, highest precedence first. */
typedef enum {
	NT_CLI_FROM_NONE = 0, /* nowhere: the setting is unset */
	NT_CLI_FROM_FLAG,
	NT_CLI_FROM_ENV,
	NT_CLI_FROM_FILE,
	NT_CLI_FROM_DEFAULT,
} nt_cli_from;

/* "flag", "env", "file", "default" or "unset". */
const char *nt_cli_from_name(nt_cli_from f);

/* The settings file's path, malloc'd: env NOTARY_CLIENT_CONFIG if set,
 * else $XDG_CONFIG_HOME/notary/client.json (an absolute XDG_CONFIG_HOME
 * only, as the XDG spec asks), else $HOME/.config/notary/client.json. An
 * empty variable counts as unset. NULL when none applies or out of memory;
 * *from (may be NULL) says whether the path came from the environment
 * (NOTARY_CLIENT_CONFIG) or is the default place. */
char *nt_cli_settings_path(nt_cli_from *from);

/* Parses the text of the file at path (path names it in messages and
 * anchors a relative "ca"). On NT_OK fills *out, which the caller frees
 * with nt_cli_settings_free; on failure *out is untouched and why says
 * "PATH: what is wrong" (NT_ERR_JSON for text that is not a JSON object,
 * NT_ERR_ARG for an unknown member or a bad value). */
nt_err nt_cli_settings_parse(const char *path, const char *text, size_t len, nt_cli_settings *out,
			     nt_why *why) NT_MUST_CHECK;

/* Frees the members and zeroes s; NULL is a no-op. */
void nt_cli_settings_free(nt_cli_settings *s);

/* The first non-empty of flag, env var, file value, default, and where it
 * came from (NT_CLI_FROM_NONE and NULL when all are NULL or empty). env is
 * the variable's name, read with getenv. */
const char *nt_cli_settings_pick(const char *flag, const char *env, const char *file,
				 const char *dflt, nt_cli_from *from);

/* True for 64 hex digits (either case). */
bool nt_cli_settings_pin_ok(const char *pin);

#endif
