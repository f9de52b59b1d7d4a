/* node/config.c: the option table, the defaults it gives, the engine's
 * share, the file notary init writes, and docs/CONFIG.md against the
 * table. */
#include "tests/testutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "node/config.h"
#include "node/log.h"

static const char minimal[] = "{\"rpc\": \"tcp://127.0.0.1:7400\"}";

static uint64_t field(const nt_config *c, const nt_config_opt *o)
{
	const char *p = (const char *)c + o->offset;
	if (o->size == sizeof(uint32_t)) {
		uint32_t v;
		memcpy(&v, p, sizeof v);
		return v;
	}
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static const char *str_field(const nt_config *c, const nt_config_opt *o)
{
	const char *s;
	memcpy(&s, (const char *)c + o->offset, sizeof s);
	return s;
}

/* Every entry is consistent: its default inside its bounds, its member as
 * wide as its bounds need, no option twice. */
static void test_table(void **state)
{
	(void)state;
	assert_true(nt_config_nopts > 20);
	for (size_t i = 0; i < nt_config_nopts; i++) {
		const nt_config_opt *o = &nt_config_opts[i];
		assert_non_null(o->name);
		assert_non_null(o->help);
		assert_true(o->help[0] != '\0' && strchr(o->help, '\n') == NULL);
		if (o->type == NT_CONFIG_UINT) {
			uint64_t d = nt_config_opt_default(o);
			assert_true(o->size == 4 || o->size == 8);
			assert_true(o->size == 8 || o->max <= UINT32_MAX);
			assert_true(o->min <= d && d <= o->max);
			assert_true(o->max <= INT64_MAX); /* a JSON integer of jansson */
			if (o->engine != NT_CONFIG_NOT_ENGINE) {
				assert_int_equal(o->size, sizeof(uint64_t));
				assert_string_equal(o->section, "consensus");
			}
		} else {
			assert_int_equal(o->engine, NT_CONFIG_NOT_ENGINE);
			if (o->def_str != NULL)
				assert_true(strlen(o->def_str) <= o->max);
		}
		for (size_t j = 0; j < i; j++) {
			const nt_config_opt *p = &nt_config_opts[j];
			bool same_sec = (o->section == NULL && p->section == NULL) ||
					(o->section != NULL && p->section != NULL &&
					 strcmp(o->section, p->section) == 0);
			assert_false(same_sec && strcmp(o->name, p->name) == 0);
		}
	}
}

/* Only rpc given: every option takes its table default; the engine gets
 * exactly its own defaults. */
static void test_defaults(void **state)
{
	(void)state;
	nt_config c;
	nt_why why = {""};
	assert_int_equal(nt_config_parse(minimal, strlen(minimal), "/h", &c, &why), NT_OK);
	for (size_t i = 0; i < nt_config_nopts; i++) {
		const nt_config_opt *o = &nt_config_opts[i];
		if (o->type == NT_CONFIG_UINT) {
			assert_int_equal(field(&c, o), nt_config_opt_default(o));
		} else if (o->type == NT_CONFIG_STR && o->def_str != NULL &&
			   strcmp(o->name, "listen") != 0 && strcmp(o->name, "admin") != 0) {
			assert_string_equal(str_field(&c, o), o->def_str);
		} else if (o->type == NT_CONFIG_PATH && o->def_str[0] == '\0') {
			assert_string_equal(str_field(&c, o), "");
		} else if (o->type == NT_CONFIG_PATH) {
			char want[256];
			snprintf(want, sizeof want, "/h/%s", o->def_str);
			assert_string_equal(str_field(&c, o), want);
		}
	}
	assert_int_equal(c.npeers, 0);
	/* http.listen "auto": the rpc host at the rpc port + 80 */
	char want_http[64];
	const char *rp = strrchr(c.rpc, ':');
	snprintf(want_http, sizeof want_http, "http://127.0.0.1:%d/", atoi(rp + 1) + 80);
	assert_string_equal(c.http_listen, want_http);
	nt_cons_config got, want;
	nt_config_cons(&c, &got);
	nt_cons_config_default(&want);
	assert_int_equal(got.timeout_propose_ms, want.timeout_propose_ms);
	assert_int_equal(got.timeout_propose_delta_ms, want.timeout_propose_delta_ms);
	assert_int_equal(got.timeout_prevote_ms, want.timeout_prevote_ms);
	assert_int_equal(got.timeout_prevote_delta_ms, want.timeout_prevote_delta_ms);
	assert_int_equal(got.timeout_precommit_ms, want.timeout_precommit_ms);
	assert_int_equal(got.timeout_precommit_delta_ms, want.timeout_precommit_delta_ms);
	assert_int_equal(got.max_clock_skew_ms, want.max_clock_skew_ms);
	assert_int_equal(got.inject_bugs, 0);
	nt_config_free(&c);
}

/* Values from the file reach the engine's configuration. */
static void test_cons(void **state)
{
	(void)state;
	static const char text[] =
	    "{\"rpc\": \"tcp://a:1\", \"consensus\": {\"timeout_propose_ms\": 7,"
	    " \"timeout_propose_delta_ms\": 8, \"timeout_prevote_ms\": 9,"
	    " \"timeout_prevote_delta_ms\": 10, \"timeout_precommit_ms\": 11,"
	    " \"timeout_precommit_delta_ms\": 12, \"max_clock_skew_ms\": 13}}";
	nt_config c;
	nt_why why = {""};
	assert_int_equal(nt_config_parse(text, strlen(text), NULL, &c, &why), NT_OK);
	nt_cons_config cc;
	nt_config_cons(&c, &cc);
	assert_int_equal(cc.timeout_propose_ms, 7);
	assert_int_equal(cc.timeout_propose_delta_ms, 8);
	assert_int_equal(cc.timeout_prevote_ms, 9);
	assert_int_equal(cc.timeout_prevote_delta_ms, 10);
	assert_int_equal(cc.timeout_precommit_ms, 11);
	assert_int_equal(cc.timeout_precommit_delta_ms, 12);
	assert_int_equal(cc.max_clock_skew_ms, 13);
	assert_int_equal(cc.inject_bugs, 0);
	nt_config_free(&c);
}

static void expect_fail(const char *text, nt_err err, const char *msg)
{
	nt_config c;
	nt_why why = {""};
	assert_int_equal(nt_config_parse(text, strlen(text), NULL, &c, &why), err);
	if (strstr(why.msg, msg) == NULL)
		fail_msg("\"%s\" not in \"%s\"", msg, why.msg);
}

/* The messages the CLI and the process tests show. */
static void test_errors(void **state)
{
	(void)state;
	expect_fail("{}", NT_ERR_JSON, "config.json: \"rpc\" is required");
	expect_fail("[]", NT_ERR_JSON, "config.json: must be a JSON object");
	expect_fail("{\"rpc\": \"x\"}", NT_ERR_RANGE, "\"rpc\" must be a URL like");
	expect_fail("{\"rpc\": \"tcp://a:1\", \"block\": {\"interval_ms\": \"fast\"}}", NT_ERR_JSON,
		    "config.json: \"block.interval_ms\" must be an integer");
	expect_fail("{\"rpc\": \"tcp://a:1\", \"block\": {\"max_records\": 0}}", NT_ERR_RANGE,
		    "config.json: \"block.max_records\" must be in 1..20000 (got 0)");
	expect_fail("{\"rpc\": \"tcp://a:1\", \"rpc_contexts\": 4097}", NT_ERR_RANGE,
		    "config.json: \"rpc_contexts\" must be in 1..4096 (got 4097)");
	expect_fail("{\"rpc\": \"tcp://a:1\", \"net\": 1}", NT_ERR_JSON,
		    "config.json: \"net\" must be an object");
	expect_fail("{\"rpc\": \"tcp://a:1\", \"moniker\": \"\"}", NT_ERR_RANGE,
		    "config.json: \"moniker\" must be 1..64 characters");
	expect_fail("{\"rpc\": \"tcp://a:1\", \"peers\": [{\"rpc\": \"tcp://b:1\"}]}", NT_ERR_JSON,
		    "config.json: \"peers[0].p2p\" is required (1..512 characters)");
	expect_fail("{\"rpc\": \"tcp://a:1\", \"peers\": {}}", NT_ERR_JSON,
		    "config.json: \"peers\" must be an array");
	expect_fail("{\"rpc\": \"tcp://a:1\", \"peers\": [{\"p2p\": \"tls+tcp://b:1\", "
		    "\"tls_cert\": \"peers/b.crt\"}]}",
		    NT_ERR_JSON, "config.json: peers[0] needs all of \"tls_cert\"");
	expect_fail("{\"rpc\": \"tcp://a:1\", \"peers\": [{\"p2p\": \"tls+tcp://b:1\", "
		    "\"tls_cert\": 1, \"tls_fingerprint\": \"x\", \"tls_binding\": \"y\"}]}",
		    NT_ERR_JSON, "config.json: \"peers[0].tls_cert\" must be a string");
}

/* A peer's TLS members: the certificate path is joined to the home. */
static void test_peer_tls(void **state)
{
	(void)state;
	const char *t = "{\"rpc\": \"tls+tcp://a:1\", \"peers\": [{\"p2p\": \"tls+tcp://b:1\", "
			"\"tls_cert\": \"peers/b.crt\", \"tls_fingerprint\": \"ab\", "
			"\"tls_binding\": \"cd\"}, \"tcp://c:1\"]}";
	nt_config c;
	nt_why why = {""};
	assert_int_equal(nt_config_parse(t, strlen(t), "/h", &c, &why), NT_OK);
	assert_string_equal(c.peer_tls_cert[0], "/h/peers/b.crt");
	assert_string_equal(c.peer_tls_fp[0], "ab");
	assert_string_equal(c.peer_tls_binding[0], "cd");
	assert_null(c.peer_tls_cert[1]);
	assert_string_equal(c.tls_cert_file, "/h/tls.crt");
	assert_string_equal(c.tls_key_file, "/h/tls.key");
	assert_string_equal(c.http_listen, "https://a:81/"); /* auto, beside a TLS rpc */
	nt_config_free(&c);
}

/* notary init's file: the written members, in table order, with defaults;
 * p2p left out when not given; it parses back to the defaults. */
static void test_written(void **state)
{
	(void)state;
	json_t *j = nt_config_json("node0", "tcp://127.0.0.1:7500", NULL, "auto", NULL);
	assert_non_null(j);
	assert_null(json_object_get(j, "p2p"));
	assert_true(json_is_array(json_object_get(j, "peers")));
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "block"), "interval_ms")), 200);
	assert_null(json_object_get(j, "consensus"));
	assert_null(json_object_get(j, "net"));
	const char *order[] = {"moniker", "rpc",  "peers", "key_file", "genesis_file", "data_dir",
			       "tls",	  "http", "block", "mempool",  "rpc_contexts"};
	size_t i = 0;
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v)
	{
		assert_true(i < sizeof order / sizeof order[0]);
		assert_string_equal(key, order[i++]);
	}
	char *text = json_dumps(j, JSON_PRESERVE_ORDER);
	json_decref(j);
	nt_config c;
	nt_why why = {""};
	assert_int_equal(nt_config_parse(text, strlen(text), NULL, &c, &why), NT_OK);
	free(text);
	assert_string_equal(c.rpc, "tcp://127.0.0.1:7500");
	assert_int_equal(c.mempool_max_bytes, 268435456);
	nt_config_free(&c);

	/* http.listen: "" is off, a URL is taken as it is */
	static const char off[] =
	    "{\"rpc\": \"tcp://127.0.0.1:7500\", \"http\": {\"listen\": \"\"}}";
	assert_int_equal(nt_config_parse(off, strlen(off), NULL, &c, &why), NT_OK);
	assert_string_equal(c.http_listen, "");
	nt_config_free(&c);
	static const char set[] =
	    "{\"rpc\": \"tcp://127.0.0.1:7500\", \"http\": {\"listen\": \"http://127.0.0.1:9/\"}}";
	assert_int_equal(nt_config_parse(set, strlen(set), NULL, &c, &why), NT_OK);
	assert_string_equal(c.http_listen, "http://127.0.0.1:9/");
	nt_config_free(&c);

	json_t *peers = json_pack("[{s:s}]", "p2p", "tcp://127.0.0.1:7411");
	j = nt_config_json("n1", "tcp://127.0.0.1:7410", "tcp://127.0.0.1:7401", "auto", peers);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "p2p")), "tcp://127.0.0.1:7401");
	assert_int_equal(json_array_size(json_object_get(j, "peers")), 1);
	json_decref(j);
}

/* docs/CONFIG.md's example lists every option, with its default. */
static void test_docs(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof path, "%s/../../docs/CONFIG.md", tu_vectors_dir());
	size_t len;
	char *md = tu_read(path, 0, &len);
	char *start = strstr(md, "```json\n");
	assert_non_null(start);
	start += strlen("```json\n");
	char *end = strstr(start, "```");
	assert_non_null(end);
	*end = '\0';
	json_error_t jerr;
	json_t *doc = json_loads(start, 0, &jerr);
	if (doc == NULL)
		fail_msg("docs/CONFIG.md example: %s (line %d)", jerr.text, jerr.line);
	for (size_t i = 0; i < nt_config_nopts; i++) {
		const nt_config_opt *o = &nt_config_opts[i];
		json_t *sec = o->section != NULL ? json_object_get(doc, o->section) : doc;
		json_t *v = json_object_get(sec, o->name);
		if (v == NULL)
			fail_msg("docs/CONFIG.md example lacks %s%s%s",
				 o->section ? o->section : "", o->section ? "." : "", o->name);
		if (o->type == NT_CONFIG_UINT)
			assert_int_equal(json_integer_value(v), nt_config_opt_default(o));
		else if (o->def_str != NULL)
			assert_string_equal(json_string_value(v), o->def_str);
	}
	nt_config c;
	nt_why why = {""};
	assert_int_equal(nt_config_parse(start, strlen(start), NULL, &c, &why), NT_OK);
	nt_config_free(&c);
	json_decref(doc);
	free(md);
}

int main(void)
{
	/* the docs' example has no unknown members, but keep the output short */
	nt_log_set_level(NT_LOG_ERROR);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_cons),     cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_written),  cmocka_unit_test(test_docs),
	    cmocka_unit_test(test_peer_tls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
