/* JSON-RPC batches (node/rpc.c): recognising one, parsing its elements
 * (good ones, bad ones beside them, ids kept), the whole-message errors
 * (not JSON, empty, too many elements) and joining the replies. */
#include "tests/testutil.h"

#include "node/rpc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_is_batch(void **state)
{
	(void)state;
	assert_true(nt_rpc_is_batch("[]", 2));
	assert_true(nt_rpc_is_batch(" \t\r\n[1]", 7));
	assert_false(nt_rpc_is_batch("{\"a\":[1]}", 9));
	assert_false(nt_rpc_is_batch("", 0));
	assert_false(nt_rpc_is_batch("   ", 3));
	/* only the first len bytes count */
	assert_false(nt_rpc_is_batch("  [", 2));
	assert_false(nt_rpc_is_batch("x[", 2));
}

static json_t *load(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);
	assert_non_null(j);
	return j;
}

static void expect_error(const char *reply, int code, const char *id_json)
{
	json_t *j = load(reply);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "code")),
			 code);
	char *id = json_dumps(json_object_get(j, "id"), JSON_ENCODE_ANY);
	assert_string_equal(id, id_json);
	free(id);
	json_decref(j);
}

static void whole_error(const char *body, int code, const char *in_msg)
{
	nt_rpc_call *calls = NULL;
	char **errs = NULL, *err = NULL;
	size_t n = 99;
	assert_int_not_equal(nt_rpc_parse_batch(body, strlen(body), &calls, &errs, &n, &err),
			     NT_OK);
	assert_null(calls);
	assert_null(errs);
	assert_int_equal(n, 99);
	assert_non_null(err);
	expect_error(err, code, "null");
	assert_non_null(strstr(err, in_msg));
	free(err);
}

static void test_whole_message_errors(void **state)
{
	(void)state;
	whole_error("[", NT_RPC_E_PARSE, "parse error");
	whole_error("[{\"jsonrpc\":\"2.0\",}]", NT_RPC_E_PARSE, "parse error");
	whole_error("[]", NT_RPC_E_REQUEST, "empty batch");
	whole_error(" [ ] ", NT_RPC_E_REQUEST, "empty batch");
	whole_error("{}", NT_RPC_E_REQUEST, "object");
	/* one over the limit */
	size_t cap = 16 * (NT_RPC_BATCH_MAX + 1) + 16;
	char *big = malloc(cap), *p = big;
	assert_non_null(big);
	*p++ = '[';
	for (int i = 0; i <= NT_RPC_BATCH_MAX; i++)
		p += sprintf(p, "%s1", i ? "," : "");
	strcpy(p, "]");
	whole_error(big, NT_RPC_E_REQUEST, "batch too large (max 256)");
	/* exactly the limit parses: 256 non-objects, each its own error */
	p = big + 1;
	for (int i = 0; i < NT_RPC_BATCH_MAX; i++)
		p += sprintf(p, "%s1", i ? "," : "");
	strcpy(p, "]");
	nt_rpc_call *calls = NULL;
	char **errs = NULL, *err = NULL;
	size_t n = 0;
	assert_int_equal(nt_rpc_parse_batch(big, strlen(big), &calls, &errs, &n, &err), NT_OK);
	assert_int_equal(n, NT_RPC_BATCH_MAX);
	for (size_t i = 0; i < n; i++)
		expect_error(errs[i], NT_RPC_E_REQUEST, "null");
	nt_rpc_batch_parsed_free(calls, errs, n);
	free(big);
}

static void test_elements(void **state)
{
	(void)state;
	const char *body =
	    "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"},"
	    "42,"
	    "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"nope\"},"
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"block\",\"params\":{\"height\":7}},"
	    "[],"
	    "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"receipt\",\"params\":{\"record_id\":\"ab\"}"
	    "},"
	    "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"submit\",\"params\":{\"record\":\"00\"}},"
	    "{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"status\"}]";
	nt_rpc_call *calls = NULL;
	char **errs = NULL, *err = NULL;
	size_t n = 0;
	assert_int_equal(nt_rpc_parse_batch(body, strlen(body), &calls, &errs, &n, &err), NT_OK);
	assert_null(err);
	assert_int_equal(n, 8);
	assert_null(errs[0]);
	assert_int_equal(calls[0].method, NT_RPC_STATUS);
	assert_string_equal(calls[0].id, "1");
	expect_error(errs[1], NT_RPC_E_REQUEST, "null");
	expect_error(errs[2], NT_RPC_E_METHOD, "\"x\"");
	assert_null(errs[3]);
	assert_int_equal(calls[3].method, NT_RPC_BLOCK);
	assert_int_equal(calls[3].height, 7);
	expect_error(errs[4], NT_RPC_E_REQUEST, "null");
	expect_error(errs[5], NT_RPC_E_PARAMS, "5");
	expect_error(errs[6], NT_RPC_E_RECORD, "6");
	expect_error(errs[7], NT_RPC_E_REQUEST, "7");
	for (size_t i = 0; i < n; i++)
		if (errs[i] != NULL)
			assert_null(calls[i].id);
	nt_rpc_batch_parsed_free(calls, errs, n);
	nt_rpc_batch_parsed_free(NULL, NULL, 0);
}

static void test_join(void **state)
{
	(void)state;
	char a[] = "{\"id\":1}", b[] = "{\"id\":2}";
	char *one[] = {a};
	char *j = nt_rpc_batch_join(one, 1);
	assert_string_equal(j, "[{\"id\":1}]");
	free(j);
	char *two[] = {a, b};
	j = nt_rpc_batch_join(two, 2);
	assert_string_equal(j, "[{\"id\":1},{\"id\":2}]");
	free(j);
	/* a missing reply becomes an internal error, and the array stays JSON */
	char *gap[] = {a, NULL, b};
	j = nt_rpc_batch_join(gap, 3);
	json_t *arr = load(j);
	assert_int_equal(json_array_size(arr), 3);
	char *mid = json_dumps(json_array_get(arr, 1), JSON_COMPACT);
	expect_error(mid, NT_RPC_E_INTERNAL, "null");
	free(mid);
	json_decref(arr);
	free(j);
}

/* A single request is parsed as before; nt_rpc_parse still refuses an
 * array (the node sends arrays to nt_rpc_parse_batch). */
static void test_single_unchanged(void **state)
{
	(void)state;
	nt_rpc_call c;
	char *err = NULL;
	const char *s = "{\"jsonrpc\":\"2.0\",\"id\":\"q\",\"method\":\"validators\"}";
	assert_int_equal(nt_rpc_parse(s, strlen(s), &c, &err), NT_OK);
	assert_int_equal(c.method, NT_RPC_VALIDATORS);
	assert_string_equal(c.id, "\"q\"");
	nt_rpc_call_free(&c);
	assert_int_not_equal(nt_rpc_parse("[1]", 3, &c, &err), NT_OK);
	expect_error(err, NT_RPC_E_REQUEST, "null");
	free(err);
}

/* A member name twice in one object is refused, never resolved by
 * "last wins": two readers of the same request (a log, a proxy, this node)
 * could otherwise disagree on what was asked. The receipt, genesis and
 * config parsers refuse the same. */
static void expect_dup_refused(const char *s)
{
	nt_rpc_call c;
	memset(&c, 0, sizeof c);
	char *err = NULL;
	assert_int_not_equal(nt_rpc_parse(s, strlen(s), &c, &err), NT_OK);
	assert_non_null(err);
	expect_error(err, NT_RPC_E_REQUEST, "null");
	assert_non_null(strstr(err, "duplicate"));
	free(err);
}

static void test_duplicate_members(void **state)
{
	(void)state;
	expect_dup_refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\",\"id\":2}");
	expect_dup_refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"block\","
			   "\"method\":\"status\"}");
	expect_dup_refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"block\","
			   "\"params\":{\"height\":1,\"height\":2}}");
	expect_dup_refused("{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1,\"a\":1},\"method\":\"status\"}");
	/* In a batch the whole message is refused: the element's id cannot be
	 * trusted either. */
	whole_error("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"},"
		    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"block\",\"params\":{\"height\":1,"
		    "\"height\":2}}]",
		    NT_RPC_E_REQUEST, "duplicate");
	/* Not JSON stays a parse error. */
	nt_rpc_call c;
	char *err = NULL;
	assert_int_not_equal(nt_rpc_parse("{\"a\":", 5, &c, &err), NT_OK);
	expect_error(err, NT_RPC_E_PARSE, "null");
	free(err);
	/* The same name in two different objects is fine. */
	const char *ok =
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"block\",\"params\":{\"height\":3}}";
	assert_int_equal(nt_rpc_parse(ok, strlen(ok), &c, &err), NT_OK);
	assert_int_equal(c.height, 3);
	nt_rpc_call_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_is_batch),	     cmocka_unit_test(test_whole_message_errors),
	    cmocka_unit_test(test_elements),	     cmocka_unit_test(test_join),
	    cmocka_unit_test(test_single_unchanged), cmocka_unit_test(test_duplicate_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
