/* JSON-RPC methods (docs/RPC.md): request parsing and validation, and the
 * answers built from the ledger. */
#include "node/rpc.h"

#include "base/hex.h"
#include "core/genesis.h"
#include "core/jsonx.h"
#include "core/valset_change.h"
#include "crypto/digest.h"
#include "node/log.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reply envelopes ---- */

char *nt_rpc_result(const char *id, const char *result)
{
	char *out = NULL;
	if (asprintf(&out, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%s}", id ? id : "null",
		     result) < 0)
		return NULL;
	return out;
}

char *nt_rpc_error(const char *id, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* The message may quote bytes from the request: let jansson escape it. */
	json_t *m = json_string(msg);
	if (m == NULL)
		m = json_string("(message not valid UTF-8)");
	char *ms = m ? json_dumps(m, JSON_ENCODE_ANY) : NULL;
	json_decref(m);
	if (ms == NULL)
		return NULL;
	char *out = NULL;
	if (asprintf(&out, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":%d,\"message\":%s}}",
		     id ? id : "null", code, ms) < 0)
		out = NULL;
	free(ms);
	return out;
}

/* Takes ownership of result. */
char *nt_rpc_reply_json(const char *id, json_t *result)
{
	if (result == NULL)
		return nt_rpc_error(id, NT_RPC_E_INTERNAL, "out of memory");
	char *r = json_dumps(result, JSON_COMPACT);
	json_decref(result);
	if (r == NULL)
		return nt_rpc_error(id, NT_RPC_E_INTERNAL, "out of memory");
	char *out = nt_rpc_result(id, r);
	free(r);
	return out;
}

/* ---- parsing ---- */

static const struct {
	const char *name;
	nt_rpc_method m;
} methods[] = {
    {"submit", NT_RPC_SUBMIT},
    {"receipt", NT_RPC_RECEIPT},
    {"find", NT_RPC_FIND},
    {"status", NT_RPC_STATUS},
    {"block", NT_RPC_BLOCK},
    {"validators", NT_RPC_VALIDATORS},
    {"sync", NT_RPC_SYNC},
    {"valset_approve", NT_RPC_VALSET_APPROVE},
    {"valset_pending", NT_RPC_VALSET_PENDING},
    {"reload", NT_RPC_RELOAD},
};

const char *nt_rpc_method_name(nt_rpc_method m)
{
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (methods[i].m == m)
			return methods[i].name;
	return NULL;
}

/* Checks that params has only the given members. */
static bool only_members(json_t *params, const char *const *known, const char **bad)
{
	const char *key;
	json_t *v;
	json_object_foreach(params, key, v)
	{
		bool ok = false;
		for (size_t i = 0; known[i] != NULL && !ok; i++)
			ok = strcmp(key, known[i]) == 0;
		if (!ok) {
			*bad = key;
			return false;
		}
	}
	return true;
}

typedef struct {
	int code;
	char msg[300];
} perr;

static nt_err bad(perr *pe, int code, const char *fmt, ...) NT_PRINTF(3, 4);
static nt_err bad(perr *pe, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pe->msg, sizeof pe->msg, fmt, ap);
	va_end(ap);
	pe->code = code;
	return code == NT_RPC_E_RECORD ? NT_ERR_DECODE : NT_ERR_ARG;
}

static nt_err get_wait(json_t *params, uint32_t *out, perr *pe)
{
	json_t *w = json_object_get(params, "wait_ms");
	*out = 0;
	if (w == NULL)
		return NT_OK;
	if (!json_is_integer(w))
		return bad(pe, NT_RPC_E_PARAMS, "wait_ms must be an integer");
	json_int_t v = json_integer_value(w);
	if (v < 0 || v > NT_RPC_WAIT_MAX_MS)
		return bad(pe, NT_RPC_E_PARAMS, "wait_ms must be in 0..%d", NT_RPC_WAIT_MAX_MS);
	*out = (uint32_t)v;
	return NT_OK;
}

static nt_err get_hex(json_t *params, const char *name, perr *pe, const char **out)
{
	json_t *v = json_object_get(params, name);
	if (v == NULL)
		return bad(pe, NT_RPC_E_PARAMS, "missing parameter \"%s\"", name);
	if (!json_is_string(v))
		return bad(pe, NT_RPC_E_PARAMS, "\"%s\" must be a hex string", name);
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v))
		return bad(pe, NT_RPC_E_PARAMS, "\"%s\" is not hex", name);
	return NT_OK;
}

static nt_err parse_submit(json_t *params, nt_rpc_call *c, perr *pe)
{
	static const char *const known[] = {"record", "wait_ms", NULL};
	const char *badk, *hex;
	nt_err e;
	if (!only_members(params, known, &badk))
		return bad(pe, NT_RPC_E_PARAMS, "unknown parameter \"%s\"", badk);
	if ((e = get_hex(params, "record", pe, &hex)) != NT_OK ||
	    (e = get_wait(params, &c->wait_ms, pe)))
		return e;
	size_t hl = strlen(hex);
	if (hl > 2 * NT_RECORD_MAX)
		return bad(pe, NT_RPC_E_RECORD,
			   "record is %zu bytes, longer than any valid record (%d)", hl / 2,
			   NT_RECORD_MAX);
	uint8_t buf[NT_RECORD_MAX];
	size_t len = 0;
	if (nt_hex_decode(hex, buf, sizeof buf, &len) != NT_OK)
		return bad(pe, NT_RPC_E_PARAMS, "\"record\" is not valid hex");
	/* The record is decoded once here; nt_record is large, keep it off
	 * the nng worker's stack. */
	nt_record *rec = malloc(sizeof *rec);
	if (rec == NULL)
		return bad(pe, NT_RPC_E_INTERNAL, "out of memory");
	nt_why why = {{0}};
	if (nt_record_decode(buf, len, rec, &why) != NT_OK) {
		free(rec);
		return bad(pe, NT_RPC_E_RECORD, "record does not decode: %s",
			   why.msg[0] ? why.msg : "malformed");
	}
	e = nt_record_verify(rec);
	c->submitter = rec->submitter;
	free(rec);
	if (e != NT_OK)
		return bad(pe, NT_RPC_E_RECORD,
			   "record signature does not verify under its submitter key");
	c->record = malloc(len);
	if (c->record == NULL)
		return bad(pe, NT_RPC_E_INTERNAL, "out of memory");
	memcpy(c->record, buf, len);
	c->record_len = len;
	nt_record_id(buf, len, &c->record_id);
	return NT_OK;
}

static nt_err parse_receipt(json_t *params, nt_rpc_call *c, perr *pe)
{
	static const char *const known[] = {"record_id", "wait_ms", NULL};
	const char *badk, *hex;
	nt_err e;
	if (!only_members(params, known, &badk))
		return bad(pe, NT_RPC_E_PARAMS, "unknown parameter \"%s\"", badk);
	if ((e = get_hex(params, "record_id", pe, &hex)) != NT_OK ||
	    (e = get_wait(params, &c->wait_ms, pe)))
		return e;
	if (strlen(hex) != 64 || nt_hex_decode32(hex, c->record_id.b) != NT_OK)
		return bad(pe, NT_RPC_E_PARAMS, "\"record_id\" must be 64 hex digits");
	return NT_OK;
}

static nt_err parse_find(json_t *params, nt_rpc_call *c, perr *pe)
{
	static const char *const known[] = {"digest", "alg", NULL};
	const char *badk, *hex;
	nt_err e;
	if (!only_members(params, known, &badk))
		return bad(pe, NT_RPC_E_PARAMS, "unknown parameter \"%s\"", badk);
	if ((e = get_hex(params, "digest", pe, &hex)) != NT_OK)
		return e;
	json_t *a = json_object_get(params, "alg");
	c->alg = NT_ALG_SHA256;
	if (a != NULL) {
		if (!json_is_string(a) || (c->alg = nt_digest_from_name(json_string_value(a))) == 0)
			return bad(pe, NT_RPC_E_PARAMS,
				   "\"alg\" must be one of sha256, sha3-256, sm3, sha512");
	}
	size_t want = nt_digest_len(c->alg);
	if (strlen(hex) != 2 * want ||
	    nt_hex_decode(hex, c->digest, sizeof c->digest, &c->digest_len) != NT_OK)
		return bad(pe, NT_RPC_E_PARAMS, "\"digest\" must be %zu hex digits for %s",
			   2 * want, nt_digest_name(c->alg));
	return NT_OK;
}

static nt_err parse_block(json_t *params, nt_rpc_call *c, perr *pe)
{
	static const char *const known[] = {"height", NULL};
	const char *badk;
	if (!only_members(params, known, &badk))
		return bad(pe, NT_RPC_E_PARAMS, "unknown parameter \"%s\"", badk);
	json_t *h = json_object_get(params, "height");
	if (h == NULL)
		return bad(pe, NT_RPC_E_PARAMS, "missing parameter \"height\"");
	if (!json_is_integer(h) || json_integer_value(h) < 1)
		return bad(pe, NT_RPC_E_PARAMS, "\"height\" must be an integer >= 1");
	c->height = (uint64_t)json_integer_value(h);
	return NT_OK;
}

static nt_err parse_sync(json_t *params, nt_rpc_call *c, perr *pe)
{
	static const char *const known[] = {"from", "max", NULL};
	const char *badk;
	if (!only_members(params, known, &badk))
		return bad(pe, NT_RPC_E_PARAMS, "unknown parameter \"%s\"", badk);
	json_t *f = json_object_get(params, "from");
	if (f == NULL)
		return bad(pe, NT_RPC_E_PARAMS, "missing parameter \"from\"");
	if (!json_is_integer(f) || json_integer_value(f) < 1)
		return bad(pe, NT_RPC_E_PARAMS, "\"from\" must be an integer >= 1");
	c->height = (uint64_t)json_integer_value(f);
	c->max = NT_RPC_SYNC_DEFAULT;
	json_t *m = json_object_get(params, "max");
	if (m != NULL) {
		if (!json_is_integer(m) || json_integer_value(m) < 1 ||
		    json_integer_value(m) > NT_RPC_SYNC_MAX)
			return bad(pe, NT_RPC_E_PARAMS, "\"max\" must be an integer in 1..%d",
				   NT_RPC_SYNC_MAX);
		c->max = (uint32_t)json_integer_value(m);
	}
	return NT_OK;
}

/* valset_approve: {"change": hex of a pending change's wire form
 * (core/valset_change.h)}; checked against the chain by the loop. */
static nt_err parse_valset_approve(json_t *params, nt_rpc_call *c, perr *pe)
{
	static const char *const known[] = {"change", NULL};
	const char *badk, *hex;
	if (!only_members(params, known, &badk))
		return bad(pe, NT_RPC_E_PARAMS, "unknown parameter \"%s\"", badk);
	nt_err e = get_hex(params, "change", pe, &hex);
	if (e != NT_OK)
		return e;
	size_t hl = strlen(hex);
	if (hl == 0 || hl % 2 != 0 || hl / 2 > NT_CHANGE_WIRE_MAX)
		return bad(pe, NT_RPC_E_PARAMS, "\"change\" must be 2..%d hex digits (even)",
			   2 * (int)NT_CHANGE_WIRE_MAX);
	if ((c->change = malloc(hl / 2)) == NULL)
		return bad(pe, NT_RPC_E_INTERNAL, "out of memory");
	if (nt_hex_decode(hex, c->change, hl / 2, &c->change_len) != NT_OK)
		return bad(pe, NT_RPC_E_PARAMS, "\"change\" is not valid hex");
	return NT_OK;
}

static nt_err parse_params(json_t *params, nt_rpc_call *c, perr *pe)
{
	const char *badk;
	static const char *const none[] = {NULL};
	switch (c->method) {
	case NT_RPC_SUBMIT:
		return parse_submit(params, c, pe);
	case NT_RPC_RECEIPT:
		return parse_receipt(params, c, pe);
	case NT_RPC_FIND:
		return parse_find(params, c, pe);
	case NT_RPC_BLOCK:
		return parse_block(params, c, pe);
	case NT_RPC_SYNC:
		return parse_sync(params, c, pe);
	case NT_RPC_VALSET_APPROVE:
		return parse_valset_approve(params, c, pe);
	case NT_RPC_STATUS:
	case NT_RPC_VALIDATORS:
	case NT_RPC_VALSET_PENDING:
	case NT_RPC_RELOAD:
		if (!only_members(params, none, &badk))
			return bad(pe, NT_RPC_E_PARAMS, "unknown parameter \"%s\"", badk);
		return NT_OK;
	}
	return bad(pe, NT_RPC_E_INTERNAL, "unhandled method");
}

static nt_err parse_envelope(json_t *root, nt_rpc_call *c, perr *pe)
{
	/* (batches are taken apart by nt_rpc_parse_batch before this) */
	if (!json_is_object(root))
		return bad(pe, NT_RPC_E_REQUEST, "a request must be a JSON-RPC 2.0 object");
	json_t *id = json_object_get(root, "id");
	if (id != NULL && !json_is_string(id) && !json_is_number(id) && !json_is_null(id))
		return bad(pe, NT_RPC_E_REQUEST, "\"id\" must be a string, a number or null");
	if (id != NULL && (c->id = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT)) == NULL)
		return bad(pe, NT_RPC_E_INTERNAL, "out of memory");
	json_t *v = json_object_get(root, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0)
		return bad(pe, NT_RPC_E_REQUEST, "\"jsonrpc\" must be \"2.0\"");
	json_t *m = json_object_get(root, "method");
	if (!json_is_string(m))
		return bad(pe, NT_RPC_E_REQUEST, "\"method\" must be a string");
	const char *name = json_string_value(m);
	size_t i = 0;
	while (i < sizeof methods / sizeof methods[0] && strcmp(methods[i].name, name) != 0)
		i++;
	if (i == sizeof methods / sizeof methods[0] || strlen(name) != json_string_length(m))
		return bad(pe, NT_RPC_E_METHOD, "method not found: %.64s", name);
	c->method = methods[i].m;
	json_t *params = json_object_get(root, "params");
	if (params != NULL && !json_is_object(params))
		return bad(pe, NT_RPC_E_PARAMS, "\"params\" must be an object");
	json_t *empty = NULL;
	if (params == NULL && (params = empty = json_object()) == NULL)
		return bad(pe, NT_RPC_E_INTERNAL, "out of memory");
	/* A signed request's "auth" is taken out (and checked) before the
	 * method sees its params. */
	char amsg[200];
	nt_err e = nt_rpc_auth_take(name, params, c, amsg, sizeof amsg);
	if (e != NT_OK) {
		json_decref(empty);
		return bad(pe, NT_RPC_E_DENIED, "%s", amsg);
	}
	e = parse_params(params, c, pe);
	json_decref(empty);
	return e;
}

/* Requests are read with JSON_REJECT_DUPLICATES, as receipts and the
 * genesis are: with "last wins" a proxy or a log that keeps the first of two
 * "method" or "record" members would see another request than the node
 * executes. A repeated name is well-formed JSON (RFC 8259 only says names
 * SHOULD be unique), so it is an invalid request rather than a parse error. */
#define RPC_JSON_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

static nt_err load_error(perr *pe, const json_error_t *jerr)
{
	if (json_error_code(jerr) == json_error_duplicate_key)
		return bad(pe, NT_RPC_E_REQUEST,
			   "invalid request: %s (a member name may appear only once in an object)",
			   jerr->text);
	return bad(pe, NT_RPC_E_PARSE, "parse error: %s", jerr->text);
}

/* One request object (root NULL: the message was not JSON, jerr says
 * why). */
static nt_err parse_root(json_t *root, const json_error_t *jerr, nt_rpc_call *out, char **err_reply)
{
	nt_rpc_call c;
	memset(&c, 0, sizeof c);
	perr pe = {0, ""};
	nt_err e;
	if (root == NULL)
		e = load_error(&pe, jerr);
	else
		e = parse_envelope(root, &c, &pe);
	if (e != NT_OK) {
		*err_reply = nt_rpc_error(c.id, pe.code, "%s", pe.msg);
		nt_rpc_call_free(&c);
		return e;
	}
	*out = c;
	return NT_OK;
}

nt_err nt_rpc_parse(const char *body, size_t len, nt_rpc_call *out, char **err_reply)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, RPC_JSON_FLAGS, &jerr);
	nt_err e = parse_root(root, &jerr, out, err_reply);
	json_decref(root);
	return e;
}

bool nt_rpc_is_batch(const char *body, size_t len)
{
	size_t i = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r'))
		i++;
	return i < len && body[i] == '[';
}

nt_err nt_rpc_parse_batch(const char *body, size_t len, nt_rpc_call **calls, char ***errs,
			  size_t *n, char **err_reply)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, RPC_JSON_FLAGS, &jerr);
	size_t cnt = json_array_size(root);
	nt_err e = NT_ERR_ARG;
	if (root == NULL) {
		perr pe = {0, ""};
		(void)load_error(&pe, &jerr);
		*err_reply = nt_rpc_error(NULL, pe.code, "%s", pe.msg);
	} else if (!json_is_array(root))
		*err_reply =
		    nt_rpc_error(NULL, NT_RPC_E_REQUEST, "a request must be a JSON-RPC 2.0 object");
	else if (cnt == 0)
		*err_reply = nt_rpc_error(NULL, NT_RPC_E_REQUEST, "empty batch");
	else if (cnt > NT_RPC_BATCH_MAX)
		*err_reply = nt_rpc_error(NULL, NT_RPC_E_REQUEST, "batch too large (max %d)",
					  NT_RPC_BATCH_MAX);
	else
		e = NT_OK;
	if (e != NT_OK) {
		json_decref(root);
		return e;
	}
	nt_rpc_call *cs = calloc(cnt, sizeof *cs);
	char **es = calloc(cnt, sizeof *es);
	for (size_t i = 0; cs != NULL && es != NULL && i < cnt; i++) {
		json_t *el = json_array_get(root, i);
		if (json_is_object(el)) {
			if (parse_root(el, NULL, &cs[i], &es[i]) == NT_OK)
				continue;
		} else {
			es[i] = nt_rpc_error(NULL, NT_RPC_E_REQUEST,
					     "a batch element must be a JSON-RPC 2.0 object");
		}
		if (es[i] == NULL) {
			e = NT_ERR_NOMEM;
			break;
		}
	}
	json_decref(root);
	if (cs == NULL || es == NULL || e != NT_OK) {
		nt_rpc_batch_parsed_free(cs, es, es != NULL ? cnt : 0);
		*err_reply = NULL;
		return NT_ERR_NOMEM;
	}
	*calls = cs;
	*errs = es;
	*n = cnt;
	return NT_OK;
}

void nt_rpc_batch_parsed_free(nt_rpc_call *calls, char **errs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (calls != NULL)
			nt_rpc_call_free(&calls[i]);
		if (errs != NULL)
			free(errs[i]);
	}
	free(calls);
	free(errs);
}

char *nt_rpc_batch_join(char *const *replies, size_t n)
{
	static const char oom[] =
	    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"out of "
	    "memory\"}}";
	size_t total = 2;
	for (size_t i = 0; i < n; i++)
		total += (replies[i] != NULL ? strlen(replies[i]) : sizeof oom - 1) + 1;
	char *out = malloc(total + 1), *p = out;
	if (out == NULL)
		return NULL;
	*p++ = '[';
	for (size_t i = 0; i < n; i++) {
		const char *r = replies[i] != NULL ? replies[i] : oom;
		size_t l = strlen(r);
		if (i > 0)
			*p++ = ',';
		memcpy(p, r, l);
		p += l;
	}
	*p++ = ']';
	*p = '\0';
	return out;
}

void nt_rpc_call_free(nt_rpc_call *c)
{
	if (c == NULL)
		return;
	free(c->id);
	free(c->record);
	free(c->change);
	c->id = NULL;
	c->record = NULL;
	c->change = NULL;
}

/* ---- answers (any thread: the ledger through env->reader) ---- */

static json_t *time_json(uint64_t ms)
{
	char buf[32];
	nt_time_format(ms, buf);
	return json_string(buf);
}

void nt_rpc_note_store_error(const nt_rpc_env *env, nt_err e, const char *what)
{
	if (e != NT_ERR_CORRUPT)
		return;
	uint64_t n = 1;
	if (env->store_corruptions != NULL)
		n = __atomic_add_fetch(env->store_corruptions, 1, __ATOMIC_RELAXED);
	if ((n & (n - 1)) != 0)
		return;
	/* Before this line the client got -32005 and the operator nothing: a
	 * damaged table file went unnoticed until someone asked for an old
	 * block. */
	nt_log(NT_LOG_ERROR,
	       "store corruption reading %s: the stored data fails its checksum or does not "
	       "decode; clients get a storage error for it (%" PRIu64 " corrupt read%s so far). "
	       "Stop the node and run `notary audit --home DIR` to find the damage "
	       "(docs/OPERATIONS.md)",
	       what, n, n == 1 ? "" : "s");
}

/* The reply to a failed store read of what ("block"); detail names it for
 * the log ("block 12"; NULL: what). */
static char *store_error(const nt_rpc_env *env, const char *id, nt_err e, const char *what,
			 const char *detail)
{
	nt_rpc_note_store_error(env, e, detail != NULL ? detail : what);
	if (e == NT_ERR_NOT_FOUND)
		return nt_rpc_error(id, NT_RPC_E_NOT_FOUND, "%s not found", what);
	if (e == NT_ERR_IO || e == NT_ERR_CORRUPT)
		return nt_rpc_error(id, NT_RPC_E_STORAGE, "storage failure reading %s: %s", what,
				    nt_strerror(e));
	return nt_rpc_error(id, NT_RPC_E_INTERNAL, "internal error reading %s: %s", what,
			    nt_strerror(e));
}

char *nt_rpc_record_reply(const nt_rpc_env *env, const char *id, const nt_hash *record_id)
{
	uint64_t height = 0;
	uint32_t index = 0;
	nt_err e = nt_ledger_reader_locate(env->reader, record_id, &height, &index);
	json_t *res = json_object();
	if (res == NULL)
		return nt_rpc_error(id, NT_RPC_E_INTERNAL, "out of memory");
	json_object_set_new(res, "record_id", nt_json_hex(record_id->b, NT_HASH_LEN));
	if (e == NT_ERR_NOT_FOUND) {
		json_object_set_new(res, "status", json_string("pending"));
		return nt_rpc_reply_json(id, res);
	}
	json_decref(res);
	char *rtext = NULL;
	if (e == NT_OK)
		e = nt_ledger_reader_receipt(env->reader, record_id, &rtext);
	if (e != NT_OK) {
		char rid[2 * NT_HASH_LEN + 1], detail[128];
		nt_hex_encode(record_id->b, NT_HASH_LEN, rid);
		snprintf(detail, sizeof detail, "the receipt of record %s", rid);
		return store_error(env, id, e, "record", detail);
	}
	char *reply = nt_rpc_committed_reply(id, record_id, height, rtext);
	free(rtext);
	return reply;
}

char *nt_rpc_committed_reply(const char *id, const nt_hash *record_id, uint64_t height,
			     const char *receipt_json)
{
	/* The receipt is our own builder's JSON text (core/receipt.c): it is
	 * put in as it is, not parsed into a tree and dumped again, which
	 * once cost more than the rest of a submit together. */
	char rid[2 * NT_HASH_LEN + 1];
	nt_hex_encode(record_id->b, NT_HASH_LEN, rid);
	size_t rl = strlen(receipt_json);
	while (rl > 0 && receipt_json[rl - 1] == '\n')
		rl--;
	char *out = NULL;
	if (asprintf(&out,
		     "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"record_id\":\"%s\",\"status\":"
		     "\"committed\",\"height\":%" PRIu64 ",\"receipt\":%.*s}}",
		     id ? id : "null", rid, height, (int)rl, receipt_json) < 0)
		return NULL;
	return out;
}

/* A version 2 chain's identity (FORMATS.md "Genesis file and chain
 * identity"): genesis_hash and the fingerprint people compare. */
static void add_identity(json_t *res, const nt_genesis *g)
{
	if (res == NULL || !nt_genesis_is_v2(g))
		return;
	char fp[NT_FINGERPRINT_LEN + 1];
	nt_genesis_fingerprint(&g->genesis_hash, fp);
	json_object_set_new(res, "genesis_hash", nt_json_hex(g->genesis_hash.b, NT_HASH_LEN));
	json_object_set_new(res, "fingerprint", json_string(fp));
}

/* The size of the set that commits the next block (the genesis set's
 * if the changes cannot be read: status must still answer). */
static unsigned cur_n(const nt_ledger_reader *r)
{
	nt_valset *s = malloc(sizeof *s);
	unsigned n = r->genesis->vals.n;
	if (s != NULL && nt_ledger_reader_valset_at(r, r->height + 1, s) == NT_OK)
		n = s->n;
	free(s);
	return n;
}

static char *exec_status(const nt_rpc_env *env, const char *id)
{
	const nt_ledger_reader *r = env->reader;
	const nt_genesis *g = r->genesis;
	const nt_header *tip = r->height > 0 ? &r->tip : NULL;
	/* The tip's header carries the log after it (checked against the
	 * stored log at open and at every append). */
	nt_hash root;
	uint64_t log_size = 0;
	if (tip != NULL) {
		root = tip->log_root;
		log_size = tip->log_size;
	} else {
		nt_merkle_log empty;
		nt_merkle_log_init(&empty);
		nt_merkle_log_root(&empty, &root);
	}
	json_t *mp = json_pack("{s:I,s:I}", "records", (json_int_t)env->mempool_records, "bytes",
			       (json_int_t)env->mempool_bytes);
	json_t *res =
	    json_pack("{s:s,s:I,s:o,s:o,s:I,s:o,s:o,s:i,s:o,s:b,s:s}", "chain_id", g->chain_id,
		      "height", (json_int_t)r->height, "tip_hash",
		      tip ? nt_json_hex(r->tip_hash.b, NT_HASH_LEN) : json_null(), "tip_time",
		      tip ? time_json(tip->time) : json_null(), "log_size", (json_int_t)log_size,
		      "log_root", nt_json_hex(root.b, NT_HASH_LEN), "mempool", mp, "validators",
		      (int)cur_n(r), "node_pubkey", nt_json_hex(env->node_pubkey.b, NT_PUBKEY_LEN),
		      "is_validator", env->is_validator, "version", env->version);
	add_identity(res, g);
	if (res != NULL)
		json_object_set_new(res, "store_corruptions",
				    json_integer(env->store_corruptions != NULL
						     ? (json_int_t)__atomic_load_n(
							   env->store_corruptions, __ATOMIC_RELAXED)
						     : 0));
	if (res != NULL && env->status_extra != NULL) {
		json_t *x = json_loads(env->status_extra, 0, NULL);
		if (json_is_object(x))
			json_object_update(res, x);
		json_decref(x);
	}
	return nt_rpc_reply_json(id, res);
}

json_t *nt_rpc_valset_json(const nt_valset *s)
{
	json_t *arr = json_array();
	for (uint16_t i = 0; arr != NULL && i < s->n; i++)
		json_array_append_new(arr, json_pack("{s:i,s:s,s:o}", "index", (int)i, "name",
						     s->names[i], "pubkey",
						     nt_json_hex(s->keys[i].b, NT_PUBKEY_LEN)));
	return arr;
}

/* One set of the history: the height of the block that named it (0: the
 * genesis), the first height it commits, its hash and members. */
static json_t *era_json(const nt_genesis *g, uint64_t named_at, const nt_valset *s)
{
	nt_hash vh = g->validators_hash;
	if (g->version >= 2 && nt_valset_hash_v2(s, &vh) != NT_OK)
		return NULL;
	return json_pack("{s:I,s:I,s:o,s:i,s:o}", "changed_at", (json_int_t)named_at, "from_height",
			 (json_int_t)(named_at + 1), "validators_hash",
			 nt_json_hex(vh.b, NT_HASH_LEN), "quorum", (int)nt_valset_quorum(s),
			 "validators", nt_rpc_valset_json(s));
}

/* The set that commits the next block, the change_index of the next
 * change, and every set the chain had (docs/RPC.md "validators"). */
static char *exec_validators(const nt_rpc_env *env, const char *id)
{
	const nt_ledger_reader *r = env->reader;
	const nt_genesis *g = r->genesis;
	size_t nch = 0;
	nt_err e = nt_ledger_reader_changes(r, NULL, 0, &nch);
	uint64_t *hs = e == NT_OK ? calloc(nch + 1, sizeof *hs) : NULL;
	nt_valset *s = malloc(sizeof *s);
	json_t *hist = json_array(), *res = NULL;
	if (e == NT_OK && hs != NULL && s != NULL && hist != NULL &&
	    (e = nt_ledger_reader_changes(r, hs, nch, &nch)) == NT_OK) {
		json_array_append_new(hist, era_json(g, 0, &g->vals));
		for (size_t i = 0; e == NT_OK && i < nch; i++)
			if ((e = nt_ledger_reader_valset_at(r, hs[i] + 1, s)) == NT_OK)
				json_array_append_new(hist, era_json(g, hs[i], s));
		if (e == NT_OK)
			e = nt_ledger_reader_valset_at(r, r->height + 1, s);
		if (e == NT_OK) {
			json_t *cur = json_array_get(hist, json_array_size(hist) - 1);
			res = json_pack("{s:s,s:O,s:I,s:O,s:I,s:o}", "chain_id", g->chain_id,
					"validators_hash", json_object_get(cur, "validators_hash"),
					"quorum", (json_int_t)nt_valset_quorum(s), "validators",
					json_object_get(cur, "validators"), "change_index",
					(json_int_t)nch, "history", hist);
			hist = NULL;
		}
	}
	json_decref(hist);
	free(hs);
	free(s);
	if (e != NT_OK && e != NT_ERR_NOMEM) {
		nt_rpc_note_store_error(env, e, "the validator-set changes");
		return nt_rpc_error(id, NT_RPC_E_STORAGE, "storage failure: %s", nt_strerror(e));
	}
	add_identity(res, g);
	return nt_rpc_reply_json(id, res);
}

static char *exec_block(const nt_rpc_env *env, const nt_rpc_call *c)
{
	const nt_ledger_reader *l = env->reader;
	if (c->height > l->height)
		return nt_rpc_error(c->id, NT_RPC_E_NOT_FOUND,
				    "no block at height %llu (tip is %llu)",
				    (unsigned long long)c->height, (unsigned long long)l->height);
	nt_block *b = NULL;
	nt_commit *cm = malloc(sizeof *cm);
	if (cm == NULL)
		return nt_rpc_error(c->id, NT_RPC_E_INTERNAL, "out of memory");
	nt_err e = nt_ledger_reader_block(l, c->height, &b);
	if (e == NT_OK)
		e = nt_ledger_reader_commit(l, c->height, cm);
	if (e != NT_OK) {
		free(cm);
		nt_block_free(b);
		char detail[48];
		snprintf(detail, sizeof detail, "block %" PRIu64, c->height);
		return store_error(env, c->id, e, "block", detail);
	}
	uint8_t hb[NT_HEADER_MAX], cb[NT_COMMIT_MAX];
	size_t hl = 0, cl = 0;
	nt_hash bh;
	if (nt_header_encode(&b->header, hb, sizeof hb, &hl) != NT_OK ||
	    nt_commit_encode(cm, cb, sizeof cb, &cl) != NT_OK ||
	    nt_header_hash(&b->header, &bh) != NT_OK) {
		free(cm);
		nt_block_free(b);
		return nt_rpc_error(c->id, NT_RPC_E_INTERNAL, "stored block does not encode");
	}
	json_t *ids = json_array();
	for (uint32_t i = 0; ids != NULL && i < b->count; i++)
		json_array_append_new(ids, nt_json_hex(b->ids[i].b, NT_HASH_LEN));
	json_t *signers = json_array();
	for (uint16_t i = 0; signers != NULL && i < cm->count; i++)
		json_array_append_new(signers, json_integer(cm->sigs[i].index));
	const nt_header *h = &b->header;
	json_t *res =
	    json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:I}", "height",
		      (json_int_t)h->height, "hash", nt_json_hex(bh.b, NT_HASH_LEN), "header",
		      nt_json_hex(hb, hl), "commit", nt_json_hex(cb, cl), "time",
		      time_json(h->time), "attested_time", time_json(nt_commit_time(cm)),
		      "record_count", (json_int_t)h->record_count, "records", ids, "proposer",
		      nt_json_hex(h->proposer.b, NT_PUBKEY_LEN), "signers", signers, "prev_hash",
		      nt_json_hex(h->prev_hash.b, NT_HASH_LEN), "records_root",
		      nt_json_hex(h->records_root.b, NT_HASH_LEN), "log_root",
		      nt_json_hex(h->log_root.b, NT_HASH_LEN), "log_size", (json_int_t)h->log_size);
	free(cm);
	nt_block_free(b);
	return nt_rpc_reply_json(c->id, res);
}

/* One entry of find's answer. blk / att cache the last block read. */
/* One entry of a find answer. Only the record and (once per height, as
 * the ids come in ledger order) the commit for the attested time are read:
 * never the whole block. */
static nt_err find_entry(const nt_ledger_reader *l, const nt_hash *id, uint64_t *att_height,
			 uint64_t *att, json_t **out)
{
	uint64_t height;
	uint32_t index;
	nt_err e = nt_ledger_reader_locate(l, id, &height, &index);
	if (e != NT_OK)
		return e;
	if (*att_height != height) {
		nt_commit *cm = malloc(sizeof *cm);
		if (cm == NULL)
			return NT_ERR_NOMEM;
		e = nt_ledger_reader_commit(l, height, cm);
		if (e == NT_OK) {
			*att = nt_commit_time(cm);
			*att_height = height;
		}
		free(cm);
		if (e != NT_OK)
			return e;
	}
	uint8_t *raw = malloc(NT_RECORD_MAX);
	nt_record *r = malloc(sizeof *r);
	size_t rl = 0;
	if (raw == NULL || r == NULL)
		e = NT_ERR_NOMEM;
	else if ((e = nt_ledger_reader_record(l, height, index, raw, NT_RECORD_MAX, &rl)) ==
		     NT_OK &&
		 nt_record_decode(raw, rl, r, NULL) != NT_OK)
		e = NT_ERR_CORRUPT;
	if (e == NT_ERR_NOT_FOUND)
		e = NT_ERR_CORRUPT; /* the index names it: it must be there */
	free(raw);
	if (e != NT_OK) {
		free(r);
		return e;
	}
	/* A committed meta (record version 2) is 32 bytes of hash, not JSON:
	 * it is shown as such, the clear meta stays with the parties. */
	bool committed = (r->flags & NT_RECORD_FLAG_META) != 0;
	json_t *meta =
	    r->meta_len && !committed ? json_loadb(r->meta, r->meta_len, 0, NULL) : json_object();
	*out = json_pack(
	    "{s:o,s:I,s:I,s:o,s:o,s:I,s:o,s:o}", "record_id", nt_json_hex(id->b, NT_HASH_LEN),
	    "height", (json_int_t)height, "leaf_index", (json_int_t)index, "time", time_json(*att),
	    "submitter", nt_json_hex(r->submitter.b, NT_PUBKEY_LEN), "size", (json_int_t)r->size,
	    "client_time", time_json(r->client_time), "meta", meta ? meta : json_object());
	if (*out != NULL && committed)
		json_object_set_new(*out, "meta_commitment",
				    nt_json_hex((const uint8_t *)r->meta, NT_HASH_LEN));
	free(r);
	return *out ? NT_OK : NT_ERR_NOMEM;
}

static char *exec_find(const nt_rpc_env *env, const nt_rpc_call *c)
{
	nt_hash ids[NT_RPC_FIND_MAX];
	size_t n = 0;
	nt_err e = nt_ledger_reader_find_digest(env->reader, c->alg, c->digest, c->digest_len, ids,
						NT_RPC_FIND_MAX, &n);
	if (e != NT_OK)
		return store_error(env, c->id, e, "digest", "the digest index");
	if (n == 0)
		return nt_rpc_error(c->id, NT_RPC_E_NOT_FOUND, "no record with this %s digest",
				    nt_digest_name(c->alg));
	json_t *arr = json_array();
	uint64_t att_height = 0, att = 0;
	for (size_t i = 0; arr != NULL && i < n; i++) {
		json_t *ent = NULL;
		if ((e = find_entry(env->reader, &ids[i], &att_height, &att, &ent)) != NT_OK) {
			json_decref(arr);
			char rid[2 * NT_HASH_LEN + 1], detail[128];
			nt_hex_encode(ids[i].b, NT_HASH_LEN, rid);
			snprintf(detail, sizeof detail, "record %s", rid);
			return store_error(env, c->id, e, "record", detail);
		}
		json_array_append_new(arr, ent);
	}
	return nt_rpc_reply_json(c->id, json_pack("{s:o}", "records", arr));
}

char *nt_rpc_exec_query(const nt_rpc_env *env, const nt_rpc_call *c)
{
	switch (c->method) {
	case NT_RPC_STATUS:
		return exec_status(env, c->id);
	case NT_RPC_VALIDATORS:
		return exec_validators(env, c->id);
	case NT_RPC_BLOCK:
		return exec_block(env, c);
	case NT_RPC_FIND:
		return exec_find(env, c);
	case NT_RPC_SYNC:
		return nt_rpc_exec_sync(env, c);
	case NT_RPC_SUBMIT:
	case NT_RPC_RECEIPT:
	case NT_RPC_VALSET_APPROVE:
	case NT_RPC_VALSET_PENDING:
	case NT_RPC_RELOAD:
		break;
	}
	return nt_rpc_error(c->id, NT_RPC_E_INTERNAL, "not a query method");
}
