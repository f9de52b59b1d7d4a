/* DIR/node_state: see home_state.h. */
#include "node/home_state.h"

#include "base/hex.h"
#include "core/jsonx.h"
#include "node/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool nt_home_state_same_chain(const nt_home_state *st, const nt_genesis *g)
{
	return strcmp(st->chain_id, g->chain_id) == 0 &&
	       memcmp(st->validators_hash.b, g->validators_hash.b, NT_HASH_LEN) == 0;
}

static nt_err decode(const char *path, const char *text, size_t len, nt_home_state *out,
		     nt_why *why)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *ver = json_object_get(root, "version");
	json_t *cid = json_object_get(root, "chain_id");
	json_t *vh = json_object_get(root, "validators_hash");
	json_t *hb = json_object_get(root, "had_blocks");
	json_t *hs = json_object_get(root, "has_signed");
	nt_home_state st;
	memset(&st, 0, sizeof st);
	nt_err e = NT_OK;
	if (root == NULL || !json_is_object(root))
		e = nt_fail(why, NT_ERR_CORRUPT, "%s is not a JSON object", path);
	else if (!json_is_integer(ver) || json_integer_value(ver) != 1)
		e = nt_fail(why, NT_ERR_CORRUPT, "%s: unknown version", path);
	else if (!json_is_string(cid) || json_string_length(cid) == 0 ||
		 json_string_length(cid) > NT_CHAIN_ID_MAX ||
		 strlen(json_string_value(cid)) != json_string_length(cid))
		e = nt_fail(why, NT_ERR_CORRUPT, "%s: bad chain_id", path);
	else if (!json_is_string(vh) ||
		 nt_hex_decode32(json_string_value(vh), st.validators_hash.b) != NT_OK)
		e = nt_fail(why, NT_ERR_CORRUPT, "%s: bad validators_hash", path);
	else if (!json_is_boolean(hb) || !json_is_boolean(hs))
		e = nt_fail(why, NT_ERR_CORRUPT, "%s: had_blocks / has_signed must be booleans",
			    path);
	if (e == NT_OK) {
		memcpy(st.chain_id, json_string_value(cid), json_string_length(cid));
		st.had_blocks = json_is_true(hb);
		st.has_signed = json_is_true(hs);
		*out = st;
	}
	json_decref(root);
	return e;
}

nt_err nt_home_state_load(const char *path, nt_home_state *out, nt_why *why)
{
	/* One byte more than allowed, to tell "too long" from "at the limit". */
	char buf[NT_HOME_STATE_MAX + 1];
	ssize_t n = nt_fs_read_small(path, buf, sizeof buf);
	if (n < 0)
		return errno == ENOENT
			   ? NT_ERR_NOT_FOUND
			   : nt_fail(why, NT_ERR_IO, "cannot read %s: %s", path, strerror(errno));
	if (n > NT_HOME_STATE_MAX)
		return nt_fail(why, NT_ERR_CORRUPT, "%s is longer than %d bytes", path,
			       NT_HOME_STATE_MAX);
	return decode(path, buf, (size_t)n, out, why);
}

nt_err nt_home_state_save(const char *path, const nt_home_state *st, nt_why *why)
{
	json_t *o = json_pack("{s:i,s:s,s:o,s:b,s:b}", "version", 1, "chain_id", st->chain_id,
			      "validators_hash", nt_json_hex(st->validators_hash.b, NT_HASH_LEN),
			      "had_blocks", st->had_blocks, "has_signed", st->has_signed);
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	size_t n = strlen(text);
	char *line = realloc(text, n + 2);
	if (line == NULL) {
		free(text);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	memcpy(line + n, "\n", 2);
	nt_err e = nt_fs_write_atomic(path, line, strlen(line), why);
	free(line);
	return e;
}
