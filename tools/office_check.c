/* The checks and messages shared by the set-up ceremony's commands
 * (tools/office.h): an office's home, the genesis it receives. */
#include "tools/office.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "crypto/keys.h"
#include "tools/cli.h"

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
	if (index == NULL)
		return idx < 0 ? NT_EXIT_OK
			       : nt_cli_errorf(NT_EXIT_FAIL, cmd,
					       "your key is in this genesis: join without --new");
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
