/* The clerk's client settings file (see tools/cli_settings.h). */
#include "tools/cli_settings.h"

#include "base/hex.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *nt_cli_from_name(nt_cli_from f)
{
	switch (f) {
	case NT_CLI_FROM_FLAG:
		return "flag";
	case NT_CLI_FROM_ENV:
		return "env";
	case NT_CLI_FROM_FILE:
		return "file";
	case NT_CLI_FROM_DEFAULT:
		return "default";
	case NT_CLI_FROM_NONE:
		break;
	}
	return "unset";
}

static const char *env_set(const char *name)
{
	const char *v = getenv(name);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

static char *join3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);
	if (s != NULL)
		snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

char *nt_cli_settings_path(nt_cli_from *from)
{
	const char *p = env_set("NOTARY_CLIENT_CONFIG");
	if (from != NULL)
		*from = p != NULL ? NT_CLI_FROM_ENV : NT_CLI_FROM_DEFAULT;
	if (p != NULL)
		return strdup(p);
	const char *xdg = env_set("XDG_CONFIG_HOME");
	if (xdg != NULL && xdg[0] == '/')
		return join3(xdg, "/", "notary/client.json");
	const char *home = env_set("HOME");
	return home != NULL ? join3(home, "/", ".config/notary/client.json") : NULL;
}

bool nt_cli_settings_pin_ok(const char *pin)
{
	uint8_t b[32];
	return pin != NULL && strlen(pin) == 64 && nt_hex_decode32(pin, b) == NT_OK;
}

/* A relative ca names a file beside the settings file, wherever the clerk
 * happens to run notary from. */
static char *ca_path(const char *path, const char *ca)
{
	if (ca[0] == '/')
		return strdup(ca);
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return strdup(ca);
	size_t dl = (size_t)(slash - path) + 1;
	char *s = malloc(dl + strlen(ca) + 1);
	if (s != NULL) {
		memcpy(s, path, dl);
		strcpy(s + dl, ca);
	}
	return s;
}

static nt_err member(const char *path, const char *key, const json_t *v, nt_cli_settings *s,
		     nt_why *why)
{
	char **slot = strcmp(key, "node") == 0	? &s->node
		      : strcmp(key, "ca") == 0	? &s->ca
		      : strcmp(key, "pin") == 0 ? &s->pin
						: NULL;
	if (slot == NULL)
		return nt_fail(why, NT_ERR_ARG,
			       "%s: unknown member \"%.40s\" (known: node, ca, pin)", path, key);
	const char *str = json_string_value(v);
	if (str == NULL || str[0] == '\0' || strlen(str) != json_string_length(v))
		return nt_fail(why, NT_ERR_ARG, "%s: \"%s\" must be a non-empty string", path, key);
	if (slot == &s->node && strstr(str, "://") == NULL)
		return nt_fail(why, NT_ERR_ARG,
			       "%s: \"node\" must be a URL like tls+tcp://HOST:PORT, not '%.80s'",
			       path, str);
	if (slot == &s->pin && !nt_cli_settings_pin_ok(str))
		return nt_fail(why, NT_ERR_ARG,
			       "%s: \"pin\" must be 64 hex digits (SHA-256), not '%.80s'", path,
			       str);
	*slot = slot == &s->ca ? ca_path(path, str) : strdup(str);
	if (*slot == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	if (slot == &s->pin)
		for (char *p = s->pin; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	return NT_OK;
}

nt_err nt_cli_settings_parse(const char *path, const char *text, size_t len, nt_cli_settings *out,
			     nt_why *why)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return nt_fail(why, NT_ERR_JSON, "%s: not valid JSON (line %d, column %d: %s)",
			       path, jerr.line, jerr.column, jerr.text);
	nt_cli_settings s = {0};
	nt_err e = NT_OK;
	if (!json_is_object(doc)) {
		e = nt_fail(why, NT_ERR_JSON, "%s: must hold one JSON object", path);
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach(doc, key, v)
	{
		if ((e = member(path, key, v, &s, why)) != NT_OK)
			goto out;
	}
	/* One trust for one node: with both, which one the clerk meant is a
	 * guess. */
	if (s.ca != NULL && s.pin != NULL) {
		e = nt_fail(why, NT_ERR_ARG, "%s: give \"ca\" or \"pin\", not both", path);
		goto out;
	}
	if ((s.path = strdup(path)) == NULL) {
		e = nt_fail(why, NT_ERR_NOMEM, "out of memory");
		goto out;
	}
	*out = s;
	memset(&s, 0, sizeof s);
out:
	nt_cli_settings_free(&s);
	json_decref(doc);
	return e;
}

void nt_cli_settings_free(nt_cli_settings *s)
{
	if (s == NULL)
		return;
	free(s->path);
	free(s->node);
	free(s->ca);
	free(s->pin);
	memset(s, 0, sizeof *s);
}

const char *nt_cli_settings_pick(const char *flag, const char *env, const char *file,
				 const char *dflt, nt_cli_from *from)
{
	const char *ev = env != NULL ? env_set(env) : NULL;
	const char *v[] = {flag, ev, file, dflt};
	static const nt_cli_from f[] = {NT_CLI_FROM_FLAG, NT_CLI_FROM_ENV, NT_CLI_FROM_FILE,
					NT_CLI_FROM_DEFAULT};
	for (size_t i = 0; i < 4; i++) {
		if (v[i] != NULL && v[i][0] != '\0') {
			if (from != NULL)
				*from = f[i];
			return v[i];
		}
	}
	if (from != NULL)
		*from = NT_CLI_FROM_NONE;
	return NULL;
}
