/* office.json: parsing and writing (tools/office.h). No files, no
 * printing: tests/fuzz/fuzz_office.c includes this file whole. The checks
 * the ceremony's commands share are in tools/office_check.c. */
#include "tools/office.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "crypto/keys.h"

bool nt_office_url_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NT_OFFICE_URL_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	const char *sep = strstr(s, "://");
	return sep != NULL && sep > s && sep[3] != '\0';
}

/* A string member: NULL when absent (and not required); NT_ERR_JSON when it
 * is not a string or holds a NUL byte. */
static nt_err member(json_t *root, const char *key, bool required, const char **out, nt_why *why)
{
	json_t *v = json_object_get(root, key);
	*out = NULL;
	if (v == NULL)
		return required ? nt_fail(why, NT_ERR_JSON, "\"%s\" is missing", key) : NT_OK;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return nt_fail(why, NT_ERR_JSON, "\"%s\" must be a string", key);
	*out = json_string_value(v);
	return NT_OK;
}

static nt_err parse_root(json_t *root, nt_office *o, nt_why *why)
{
	if (!json_is_object(root))
		return nt_fail(why, NT_ERR_JSON, "not a JSON object");
	const char *format, *name, *pk, *p2p, *rpc, *http, *tls;
	nt_err e;
	if ((e = member(root, "format", true, &format, why)) != NT_OK)
		return e;
	if (strcmp(format, NT_OFFICE_FORMAT) != 0)
		return nt_fail(why, NT_ERR_JSON,
			       "\"format\" is \"%.64s\", not \"" NT_OFFICE_FORMAT "\"", format);
	if ((e = member(root, "name", true, &name, why)) != NT_OK ||
	    (e = member(root, "pubkey", true, &pk, why)) != NT_OK ||
	    (e = member(root, "p2p", true, &p2p, why)) != NT_OK ||
	    (e = member(root, "rpc", false, &rpc, why)) != NT_OK ||
	    (e = member(root, "http", false, &http, why)) != NT_OK ||
	    (e = member(root, "tls_cert_sha256", false, &tls, why)) != NT_OK)
		return e;
	if (!nt_str8u_valid(name, strlen(name)))
		return nt_fail(why, NT_ERR_RANGE,
			       "\"name\" must be 1-%d bytes of UTF-8 without control characters",
			       NT_VALIDATOR_NAME_MAX);
	if (strlen(pk) != 64 || nt_hex_decode32(pk, o->pubkey.b) != NT_OK ||
	    !nt_pubkey_valid(&o->pubkey))
		return nt_fail(why, NT_ERR_RANGE, "\"pubkey\" is not a public key (64 hex digits)");
	if (!nt_office_url_valid(p2p))
		return nt_fail(why, NT_ERR_RANGE, "\"p2p\" is not a URL like tcp://HOST:PORT");
	if (rpc != NULL && !nt_office_url_valid(rpc))
		return nt_fail(why, NT_ERR_RANGE, "\"rpc\" is not a URL like tcp://HOST:PORT");
	if (http != NULL && !nt_office_url_valid(http))
		return nt_fail(why, NT_ERR_RANGE, "\"http\" is not a URL like http://HOST:PORT/");
	uint8_t fp[32];
	if (tls != NULL && (strlen(tls) != 64 || nt_hex_decode32(tls, fp) != NT_OK))
		return nt_fail(why, NT_ERR_RANGE, "\"tls_cert_sha256\" must be 64 hex digits");
	snprintf(o->name, sizeof o->name, "%s", name);
	snprintf(o->p2p, sizeof o->p2p, "%s", p2p);
	snprintf(o->rpc, sizeof o->rpc, "%s", rpc != NULL ? rpc : "");
	snprintf(o->http, sizeof o->http, "%s", http != NULL ? http : "");
	if (tls != NULL)
		nt_hex_encode(fp, 32, o->tls_cert_sha256);
	else
		o->tls_cert_sha256[0] = '\0';
	return NT_OK;
}

nt_err nt_office_parse(const char *text, size_t len, nt_office *out, nt_why *why)
{
	if (len > NT_OFFICE_TEXT_MAX)
		return nt_fail(why, NT_ERR_RANGE, "larger than %d bytes", NT_OFFICE_TEXT_MAX);
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return nt_fail(why, NT_ERR_JSON, "not valid JSON (line %d: %s)", jerr.line,
			       jerr.text);
	nt_office *o = calloc(1, sizeof *o);
	nt_err e =
	    o != NULL ? parse_root(root, o, why) : nt_fail(why, NT_ERR_NOMEM, "out of memory");
	if (e == NT_OK)
		*out = *o;
	free(o);
	json_decref(root);
	return e;
}

char *nt_office_text(const nt_office *o)
{
	char pk[65];
	nt_hex_encode(o->pubkey.b, NT_PUBKEY_LEN, pk);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "format", NT_OFFICE_FORMAT, "name", o->name,
			      "pubkey", pk, "p2p", o->p2p);
	if (j == NULL)
		return NULL;
	bool ok = true;
	if (o->rpc[0] != '\0')
		ok = json_object_set_new(j, "rpc", json_string(o->rpc)) == 0;
	if (ok && o->http[0] != '\0')
		ok = json_object_set_new(j, "http", json_string(o->http)) == 0;
	if (ok && o->tls_cert_sha256[0] != '\0')
		ok =
		    json_object_set_new(j, "tls_cert_sha256", json_string(o->tls_cert_sha256)) == 0;
	char *s = ok ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (s == NULL)
		return NULL;
	size_t n = strlen(s);
	char *t = realloc(s, n + 2);
	if (t == NULL) {
		free(s);
		return NULL;
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	return t;
}
