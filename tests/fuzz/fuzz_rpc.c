/* Fuzz target: nt_rpc_parse, the JSON-RPC request parser every client
 * message goes through (docs/RPC.md). On success the call must be within
 * the documented bounds; on failure the error reply must be a well-formed
 * JSON-RPC error object, because the transport sends it as is. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > NT_RPC_MAX_MSG)
		return 0; /* the transport answers -32004 before parsing */
	nt_rpc_call c;
	char *reply = NULL;
	nt_err e = nt_rpc_parse((const char *)data, size, &c, &reply);
	if (e != NT_OK) {
		check_error_reply(reply);
		free(reply);
		return 0;
	}
	fz_check(reply == NULL);
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
	case NT_RPC_STATUS:
	case NT_RPC_VALIDATORS:
		break;
	}
	/* A successful call's id must be usable in a reply. */
	char *ok = nt_rpc_result(c.id, "null");
	fz_check(ok != NULL);
	json_t *root = json_loads(ok, 0, NULL);
	fz_check(root != NULL);
	json_decref(root);
	free(ok);
	nt_rpc_call_free(&c);
	return 0;
}
