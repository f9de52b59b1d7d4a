/* office.json and the checks shared by the set-up ceremony's commands
 * (tools/office.h). */
#include "tools/office.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "crypto/keys.h"
#include "tools/cli.h"

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

nt_err nt_office_load(const char *path, nt_office *out, nt_why *why)
{
	char *text = NULL;
	size_t len = 0;
	nt_err e = nt_cli_read_file(path, NT_OFFICE_TEXT_MAX, &text, &len, why);
	if (e == NT_ERR_RANGE)
		return nt_fail(why, e, "%s is larger than %d bytes: not an office file", path,
			       NT_OFFICE_TEXT_MAX);
	if (e != NT_OK)
		return e;
	nt_why inner = {{0}};
	e = nt_office_parse(text, len, out, &inner);
	free(text);
	if (e != NT_OK)
		return nt_fail(why, e, "%s is not a valid office file: %s", path, inner.msg);
	return NT_OK;
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

int nt_office_home(const char *cmd, const char *home, nt_office *me)
{
	char *opath = nt_cli_path_join(home, NT_OFFICE_FILE);
	char *kpath = nt_cli_path_join(home, "validator.key");
	int rc = NT_EXIT_OK;
	nt_why why = {{0}};
	nt_seckey *k = NULL;
	nt_err e;
	if (opath == NULL || kpath == NULL) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, cmd, "out of memory");
	} else if ((e = nt_office_load(opath, me, &why)) != NT_OK) {
		rc = nt_cli_errorf(e == NT_ERR_NOT_FOUND ? NT_EXIT_USAGE : NT_EXIT_FAIL, cmd,
				   "%s%s", why.msg,
				   e == NT_ERR_NOT_FOUND ? " (make the office's home with notary "
							   "office init --out DIR first)"
							 : "");
	} else if ((e = nt_keyfile_read(kpath, &k, &why)) != NT_OK) {
		rc = nt_cli_errorf(NT_EXIT_USAGE, cmd, "cannot use %s: %s", kpath,
				   why.msg[0] ? why.msg : nt_strerror(e));
	} else {
		nt_pubkey pk;
		nt_seckey_pubkey(k, &pk);
		nt_seckey_free(k);
		if (memcmp(pk.b, me->pubkey.b, NT_PUBKEY_LEN) != 0) {
			char a[65], b[65];
			nt_hex_encode(pk.b, NT_PUBKEY_LEN, a);
			nt_hex_encode(me->pubkey.b, NT_PUBKEY_LEN, b);
			rc = nt_cli_errorf(NT_EXIT_FAIL, cmd,
					   "%s holds key %s but %s says %s: they are not of one "
					   "office",
					   kpath, a, opath, b);
		}
	}
	free(opath);
	free(kpath);
	return rc;
}

int nt_office_read_genesis(const char *cmd, const char *path, nt_genesis *g, char **text,
			   size_t *len)
{
	nt_why why = {{0}};
	nt_err e = nt_cli_read_file(path, NT_GENESIS_TEXT_MAX, text, len, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, cmd, "%s",
				     e == NT_ERR_RANGE ? "the genesis file is too large" : why.msg);
	e = nt_genesis_parse(*text, *len, g, &why);
	if (e != NT_OK) {
		free(*text);
		*text = NULL;
		return nt_cli_errorf(NT_EXIT_FAIL, cmd, "%s is not a valid genesis file: %s", path,
				     why.msg[0] ? why.msg : nt_strerror(e));
	}
	return NT_EXIT_OK;
}

static void put_name(FILE *f, const char *name)
{
	fputc('"', f);
	nt_cli_put_safe(f, name);
	fputc('"', f);
}

int nt_office_check_genesis(const char *cmd, const char *path, const nt_genesis *g,
			    const nt_office *me, const char *want_fp, int *index)
{
	if (!nt_genesis_is_v2(g))
		return nt_cli_errorf(
		    NT_EXIT_FAIL, cmd,
		    "%s is a version 1 genesis file: the ceremony makes "
		    "\"notary-genesis/2\" files only (names covered, a fingerprint)",
		    path);
	for (unsigned i = 0; i < g->vals.n; i++)
		for (unsigned j = i + 1; j < g->vals.n; j++)
			if (strcmp(g->vals.names[i], g->vals.names[j]) == 0) {
				fprintf(stderr, "notary %s: %s names two offices ", cmd, path);
				put_name(stderr, g->vals.names[i]);
				fprintf(stderr,
					" (validators %u and %u): nobody could tell them apart\n",
					i, j);
				return NT_EXIT_FAIL;
			}
	char fp[NT_FINGERPRINT_LEN + 1];
	nt_genesis_fingerprint(&g->genesis_hash, fp);
	if (want_fp != NULL && strcmp(fp, want_fp) != 0)
		return nt_cli_errorf(
		    NT_EXIT_FAIL, cmd,
		    "the fingerprint of %s is %s, not %s as you were told: this is "
		    "not the genesis the others have (changed on the way?)",
		    path, fp, want_fp);
	int idx = nt_valset_index(&g->vals, &me->pubkey);
	if (idx < 0) {
		char pk[65];
		nt_hex_encode(me->pubkey.b, NT_PUBKEY_LEN, pk);
		return nt_cli_errorf(
		    NT_EXIT_FAIL, cmd,
		    "your key is not in this genesis (%s): %s is not one of its %u "
		    "validators",
		    path, pk, (unsigned)g->vals.n);
	}
	if (strcmp(g->vals.names[idx], me->name) != 0) {
		fprintf(stderr, "notary %s: your entry is named ", cmd);
		put_name(stderr, g->vals.names[idx]);
		fprintf(stderr, ", your office.json says ");
		put_name(stderr, me->name);
		fprintf(stderr, " (validator %d of %s)\n", idx, path);
		return NT_EXIT_FAIL;
	}
	*index = idx;
	return NT_EXIT_OK;
}

void nt_office_print_set(const nt_genesis *g, int me)
{
	for (unsigned i = 0; i < g->vals.n; i++) {
		char pk[65];
		nt_hex_encode(g->vals.keys[i].b, NT_PUBKEY_LEN, pk);
		printf("  %3u  %s  ", i, pk);
		nt_cli_put_safe(stdout, g->vals.names[i]);
		printf("%s\n", (int)i == me ? "   <- you" : "");
	}
}
