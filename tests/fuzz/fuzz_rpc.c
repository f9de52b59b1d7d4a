/* Fuzz target: nt_rpc_parse and nt_rpc_parse_batch, the JSON-RPC request
 * parsers every client message goes through (docs/RPC.md). On success a
 * call must be within the documented bounds; on failure the error reply
 * must be a well-formed JSON-RPC error object, because the transport sends
 * it as is; a batch's joined reply must be a JSON array of one entry per
 * element. A message that is JSON only when a member name may repeat must
 * be refused as a whole with -32600 (docs/RPC.md), never read as "last
 * wins". */
#include "core/valset_change.h"
#include "node/rpc.h"
#include "tests/fuzz/fuzz.h"

#include <jansson.h>

static void check_error_reply(const char *reply)
{
	fz_check(reply != NULL);
	json_error_t jerr;
	json_t *root = json_loads(reply, 0, &jerr);
	if (root == NULL)
		fprintf(stderr, "fuzz: error reply is not JSON (%s): %s\n", jerr.text, reply);
	fz_check(root != NULL);
	json_t *v = json_object_get(root, "jsonrpc");
	fz_check(json_is_string(v) && strcmp(json_string_value(v), "2.0") == 0);
	fz_check(json_object_get(root, "id") != NULL);
	json_t *err = json_object_get(root, "error");
	fz_check(json_is_object(err));
	json_t *code = json_object_get(err, "code");
	fz_check(json_is_integer(code) && json_integer_value(code) < 0);
	fz_check(json_is_string(json_object_get(err, "message")));
	json_decref(root);
}

static long error_code(const char *reply)
{
	json_t *root = json_loads(reply, 0, NULL);
	fz_check(root != NULL);
	long code =
	    (long)json_integer_value(json_object_get(json_object_get(root, "error"), "code"));
	json_decref(root);
	return code;
}

/* True if body parses as JSON when names may repeat, and not when they may
 * not: then it holds an object with a repeated member name. */
static bool has_repeated_name(const char *body, size_t size)
{
	json_t *loose = json_loadb(body, size, JSON_DECODE_ANY, NULL);
	if (loose == NULL)
		return false;
	json_decref(loose);
	json_t *strict = json_loadb(body, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	json_decref(strict);
	return strict == NULL;
}

static void check_call(nt_rpc_call c)
{
	switch (c.method) {
	case NT_RPC_SUBMIT:
		fz_check(c.record != NULL && c.record_len > 0 && c.record_len <= NT_RECORD_MAX);
		fz_check(c.wait_ms <= NT_RPC_WAIT_MAX_MS);
		break;
	case NT_RPC_RECEIPT:
		fz_check(c.wait_ms <= NT_RPC_WAIT_MAX_MS);
		break;
	case NT_RPC_FIND:
		fz_check(c.digest_len > 0 && c.digest_len <= sizeof c.digest);
		break;
	case NT_RPC_BLOCK:
		fz_check(c.height >= 1);
		break;
	case NT_RPC_SYNC:
		fz_check(c.height >= 1 && c.max >= 1 && c.max <= NT_RPC_SYNC_MAX);
		break;
	case NT_RPC_VALSET_APPROVE:
		fz_check(c.change != NULL && c.change_len > 0 && c.change_len <= NT_CHANGE_WIRE_MAX);
		break;
	case NT_RPC_STATUS:
	case NT_RPC_RELOAD:
	case NT_RPC_VALIDATORS:
	case NT_RPC_VALSET_PENDING:
		break;
	}
	/* A successful call's id must be usable in a reply. */
	char *ok = nt_rpc_result(c.id, "null");
	fz_check(ok != NULL);
	json_t *root = json_loads(ok, 0, NULL);
	fz_check(root != NULL);
	json_decref(root);
	free(ok);
}

static void check_batch(const char *body, size_t size)
{
	nt_rpc_call *calls = NULL;
	char **errs = NULL, *reply = NULL;
	size_t n = 0;
	bool repeated = has_repeated_name(body, size);
	if (nt_rpc_parse_batch(body, size, &calls, &errs, &n, &reply) != NT_OK) {
		check_error_reply(reply);
		fz_check(!repeated || error_code(reply) == NT_RPC_E_REQUEST);
		free(reply);
		return;
	}
	fz_check(!repeated);
	fz_check(n >= 1 && n <= NT_RPC_BATCH_MAX);
	char **replies = calloc(n, sizeof *replies);
	fz_check(replies != NULL);
	for (size_t i = 0; i < n; i++) {
		if (errs[i] != NULL) {
			check_error_reply(errs[i]);
			replies[i] = errs[i];
			errs[i] = NULL;
		} else {
			check_call(calls[i]);
			replies[i] = nt_rpc_result(calls[i].id, "null");
		}
	}
	char *all = nt_rpc_batch_join(replies, n);
	fz_check(all != NULL);
	json_t *arr = json_loads(all, 0, NULL);
	fz_check(json_is_array(arr) && json_array_size(arr) == n);
	json_decref(arr);
	free(all);
	for (size_t i = 0; i < n; i++)
		free(replies[i]);
	free(replies);
	nt_rpc_batch_parsed_free(calls, errs, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > NT_RPC_MAX_MSG)
		return 0; /* the transport answers -32004 before parsing */
	const char *body = (const char *)data;
	if (nt_rpc_is_batch(body, size)) {
		check_batch(body, size);
		return 0;
	}
	nt_rpc_call c;
	char *reply = NULL;
	bool repeated = has_repeated_name(body, size);
	nt_err e = nt_rpc_parse(body, size, &c, &reply);
	if (e != NT_OK) {
		check_error_reply(reply);
		fz_check(!repeated || error_code(reply) == NT_RPC_E_REQUEST);
		free(reply);
		return 0;
	}
	fz_check(reply == NULL);
	fz_check(!repeated);
	check_call(c);
	nt_rpc_call_free(&c);
	return 0;
}
