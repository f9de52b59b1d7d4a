#include "node/config.h"

#include "core/block.h"
#include "core/consensus.h"
#include "core/header.h"
#include "core/record.h"
#include "node/fsutil.h"
#include "node/log.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Joins home and p unless p is absolute. */
static char *home_path(const char *home, const char *p)
{
	if (p[0] == '/' || p[0] == '\0' || home == NULL || home[0] == '\0')
		return strdup(p); /* "": unset (an optional file) */
	size_t n = strlen(home) + strlen(p) + 2;
	char *s = malloc(n);
	if (s != NULL)
		snprintf(s, n, "%s/%s", home, p);
	return s;
}

static nt_err get_str(json_t *obj, const char *key, const char *def, size_t minlen, size_t maxlen,
		      const char **out, nt_why *why)
{
	json_t *v = json_object_get(obj, key);
	if (v == NULL) {
		if (def == NULL)
			return nt_fail(why, NT_ERR_JSON, "config.json: \"%s\" is required", key);
		*out = def;
		return NT_OK;
	}
	if (!json_is_string(v))
		return nt_fail(why, NT_ERR_JSON, "config.json: \"%s\" must be a string", key);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n < minlen || n > maxlen || strlen(s) != n)
		return nt_fail(why, NT_ERR_RANGE, "config.json: \"%s\" must be %zu..%zu characters",
			       key, minlen, maxlen);
	*out = s;
	return NT_OK;
}

static nt_err get_uint(json_t *obj, const char *where, const char *key, uint64_t def, uint64_t lo,
		       uint64_t hi, uint64_t *out, nt_why *why)
{
	json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;
	if (v == NULL) {
		*out = def;
		return NT_OK;
	}
	if (json_is_boolean(v) && lo == 0 && hi == 1) { /* a switch: true or 1 */
		*out = json_is_true(v) ? 1 : 0;
		return NT_OK;
	}
	if (!json_is_integer(v))
		return nt_fail(why, NT_ERR_JSON, "config.json: \"%s%s\" must be an integer", where,
			       key);
	json_int_t i = json_integer_value(v);
	if (i < 0 || (uint64_t)i < lo || (uint64_t)i > hi)
		return nt_fail(why, NT_ERR_RANGE,
			       "config.json: \"%s%s\" must be in %llu..%llu (got %lld)", where, key,
			       (unsigned long long)lo, (unsigned long long)hi, (long long)i);
	*out = (uint64_t)i;
	return NT_OK;
}

/* A block's records plus its framing must fit NT_BLOCK_MAX_BYTES. */
#define BLOCK_BYTES_MAX (NT_BLOCK_MAX_BYTES - NT_HEADER_MAX - 4 - 2ull * NT_BLOCK_MAX_RECORDS)

#define FIELD_SIZE(f) sizeof(((nt_config *)0)->f)
#define STR(nm, f, def, max, help)                                                                 \
	{                                                                                          \
		NULL, nm, NT_CONFIG_STR, def, 0, 1, max, offsetof(nt_config, f), 0,                \
		    NT_CONFIG_NOT_ENGINE, true, help                                               \
	}
#define PATH(nm, f, def, help)                                                                     \
	{                                                                                          \
		NULL, nm, NT_CONFIG_PATH, def, 0, 1, 4096, offsetof(nt_config, f), 0,              \
		    NT_CONFIG_NOT_ENGINE, true, help                                               \
	}
#define UINT(sec, nm, f, def, lo, hi, written, help)                                               \
	{                                                                                          \
		sec, nm, NT_CONFIG_UINT, NULL, def, lo, hi, offsetof(nt_config, f), FIELD_SIZE(f), \
		    NT_CONFIG_NOT_ENGINE, written, help                                            \
	}
#define ENGINE(nm, lo, hi, help)                                                                   \
	{                                                                                          \
		"consensus", #nm, NT_CONFIG_UINT, NULL, 0, lo, hi, offsetof(nt_config, nm),        \
		    FIELD_SIZE(nm), offsetof(nt_cons_config, nm), false, help                      \
	}

const nt_config_opt nt_config_opts[] = {
    STR("moniker", moniker, "node0", 64, "the node's name in logs and status"),
    STR("rpc", rpc, NULL, 512, "the client JSON-RPC URL, like tcp://127.0.0.1:7400 (required)"),
    STR("p2p", p2p, "tcp://127.0.0.1:7401", 512, "the URL this node listens on for peers"),
    {NULL, "peers", NT_CONFIG_PEERS, NULL, 0, 0, NT_CONFIG_MAX_PEERS, 0, 0, NT_CONFIG_NOT_ENGINE,
     true,
     "the other nodes: {\"p2p\": URL, \"rpc\": URL, \"tls_cert\": FILE, \"tls_fingerprint\": "
     "HEX, \"tls_binding\": HEX} or a p2p URL"},
    PATH("key_file", key_file, "validator.key", "the validator's key file (mode 0600)"),
    {NULL, "key_passphrase_file", NT_CONFIG_PATH, "", 0, 0, 4096,
     offsetof(nt_config, key_passphrase_file), 0, NT_CONFIG_NOT_ENGINE, false,
     "the passphrase of a sealed key_file (and next_key_file); \"\": the key is plain"},
    {NULL, "next_key_file", NT_CONFIG_PATH, "validator.next.key", 0, 1, 4096,
     offsetof(nt_config, next_key_file), 0, NT_CONFIG_NOT_ENGINE, false,
     "a rotated key waiting to take over (docs/OPERATIONS.md, changing the set)"},
    PATH("genesis_file", genesis_file, "genesis.json", "the network's genesis file"),
    PATH("data_dir", data_dir, "data", "the LevelDB store"),
    {"tls", "cert_file", NT_CONFIG_PATH, "tls.crt", 0, 1, 4096, offsetof(nt_config, tls_cert_file),
     0, NT_CONFIG_NOT_ENGINE, true,
     "this node's TLS certificate, used by tls+tcp:// URLs (notary init makes it)"},
    {"tls", "key_file", NT_CONFIG_PATH, "tls.key", 0, 1, 4096, offsetof(nt_config, tls_key_file), 0,
     NT_CONFIG_NOT_ENGINE, true, "its private key (mode 0600)"},
    {"http", "listen", NT_CONFIG_STR, "auto", 0, 0, 512, offsetof(nt_config, http_listen), 0,
     NT_CONFIG_NOT_ENGINE, true,
     "the verification page and the genesis over HTTP, like http://127.0.0.1:7480/; \"\" turns "
     "it off; \"auto\": the rpc host at the rpc port + 80"},
    {"http", "page", NT_CONFIG_STR, "auto", 0, 1, 4096, offsetof(nt_config, http_page), 0,
     NT_CONFIG_NOT_ENGINE, false,
     "the page file to serve; \"auto\": web/verify.html beside notaryd, else "
     "/usr/share/notary/verify.html"},
    UINT("http", "idle_timeout_ms", http_idle_timeout_ms, 20000, 0, 3600000, false,
	 "an HTTP connection the node sent nothing to for this long is closed (0: never)"),
    UINT("http", "max_conns", http_max_conns, 256, 0, 1000000, false,
	 "HTTP connections open at once, and net.per_address_max from one address (0: no cap)"),
    UINT("block", "max_records", block_max_records, 2000, 1, NT_BLOCK_MAX_RECORDS, true,
	 "a block is cut when the mempool holds this many records"),
    UINT("block", "max_bytes", block_max_bytes, 4194304, NT_RECORD_MAX, BLOCK_BYTES_MAX, true,
	 "a block is cut when the mempool holds this many bytes"),
    UINT("block", "interval_ms", block_interval_ms, 200, 1, 3600000, true,
	 "otherwise a block is cut this long after the oldest pending record arrived"),
    UINT("block", "heartbeat_s", block_heartbeat_s, 0, 0, 86400, true,
	 "an empty block after this many seconds without one (0: never)"),
    UINT("mempool", "max_records", mempool_max_records, 100000, 1, 10000000, true,
	 "pending records at most; beyond, submit answers busy"),
    UINT("mempool", "max_bytes", mempool_max_bytes, 268435456, NT_RECORD_MAX, 1ull << 36, true,
	 "pending record bytes at most; beyond, submit answers busy"),
    UINT(NULL, "rpc_contexts", rpc_contexts, 1024, 1, 4096, true,
	 "client requests held at once (waiting submits included)"),
    ENGINE(timeout_propose_ms, 1, 600000, "round r waits this + r * delta for the proposal"),
    ENGINE(timeout_propose_delta_ms, 0, 600000, "the propose timeout's growth per round"),
    ENGINE(timeout_prevote_ms, 1, 600000, "round r waits this + r * delta for more prevotes"),
    ENGINE(timeout_prevote_delta_ms, 0, 600000, "the prevote timeout's growth per round"),
    ENGINE(timeout_precommit_ms, 1, 600000, "round r waits this + r * delta for more precommits"),
    ENGINE(timeout_precommit_delta_ms, 0, 600000, "the precommit timeout's growth per round"),
    ENGINE(max_clock_skew_ms, 0, 3600000, "how far a proposal's time may be ahead of ours"),
    UINT("net", "max_rpc_conns", max_rpc_conns, 0, 0, 1000000, false,
	 "client connections open at once (0: derive from the descriptor limit)"),
    UINT("net", "max_peer_conns", max_peer_conns, 0, 0, 100000, false,
	 "p2p connections open at once (0: 2 per peer + 4)"),
    UINT("net", "rpc_idle_timeout_ms", rpc_idle_timeout_ms, 30000, 0, 3600000, false,
	 "an idle client connection is closed after this long (0: never)"),
    UINT("net", "rpc_send_timeout_ms", rpc_send_timeout_ms, 10000, 0, 3600000, false,
	 "a reply the client does not take in this time closes it (0: never)"),
    UINT("net", "rpc_max_inflight", rpc_max_inflight, 16, 0, 4096, false,
	 "requests of one connection waiting for replies (0: no bound)"),
    {"net", "rpc_reply_budget_bytes", NT_CONFIG_UINT, NULL, 64ull << 20, 0, 1ull << 40,
     offsetof(nt_config, rpc_reply_budget), FIELD_SIZE(rpc_reply_budget), NT_CONFIG_NOT_ENGINE,
     false, "reply bytes held for clients at once (0: no bound)"},
    UINT("net", "peer_auth_timeout_ms", peer_auth_timeout_ms, 5000, 0, 3600000, false,
	 "an accepted p2p connection must authenticate within this (0: never)"),
    UINT("net", "handshake_timeout_ms", handshake_timeout_ms, 10000, 0, 3600000, false,
	 "an accepted rpc or p2p connection must finish its TLS and SP handshakes in this (0: "
	 "never)"),
    UINT("net", "handshake_max", handshake_max, 256, 0, 1000000, false,
	 "accepted connections still in their handshakes, per port (0: no cap)"),
    UINT("net", "per_address_max", per_address_max, 32, 0, 1000000, false,
	 "... of those from one address, per port; also HTTP connections (0: no cap)"),
    UINT("access", "public", access_public, 1, 0, 1, false,
	 "1: read-only queries answer anyone; 0: only signed requests of keys in clients"),
    UINT("access", "sync_open", access_sync_open, 1, 0, 1, false,
	 "1: sync serves anyone; 0: only signed requests of validators and listed clients"),
    {"access", "clients", NT_CONFIG_PATH, "", 0, 0, 4096, offsetof(nt_config, access_clients), 0,
     NT_CONFIG_NOT_ENGINE, false,
     "a file of client keys (hex, one a line) that may query when public is 0; \"\": none"},
    {"access", "submitters", NT_CONFIG_PATH, "", 0, 0, 4096, offsetof(nt_config, access_submitters),
     0, NT_CONFIG_NOT_ENGINE, false,
     "a file of submitter keys that may submit, reloaded on SIGHUP; \"\": anyone"},
    {"access", "admin", NT_CONFIG_STR, "auto", 0, 0, 512, offsetof(nt_config, access_admin), 0,
     NT_CONFIG_NOT_ENGINE, false,
     "the operator's socket (valset_approve, reload); \"auto\": ipc://DIR/admin.sock; \"\": none"},
    UINT("access", "auth_window_s", auth_window_s, 300, 1, 86400, false,
	 "a signed request's time may differ from the node's clock by this much"),
    UINT("access", "submit_rate", submit_rate, 1000, 0, 1000000, false,
	 "records a second per submitter key (0: no limit)"),
    UINT("access", "submit_burst", submit_burst, 5000, 0, 10000000, false,
	 "records a submitter key may send at once before its rate applies"),
    UINT("access", "conn_rate", conn_rate, 2000, 0, 1000000, false,
	 "requests a second per client connection, batch elements counted (0: no limit)"),
    UINT("access", "conn_burst", conn_burst, 4000, 256, 10000000, false,
	 "requests a connection may send at once before its rate applies"),
    UINT("access", "mempool_share_pct", mempool_share_pct, 50, 1, 100, false,
	 "the most of the mempool's records and bytes one submitter key may hold"),
    UINT("access", "limiter_slots", limiter_slots, 16384, 8, 4194304, false,
	 "buckets kept per limiter (keys, connections); the least recent is evicted"),
};
const size_t nt_config_nopts = sizeof nt_config_opts / sizeof nt_config_opts[0];

uint64_t nt_config_opt_default(const nt_config_opt *o)
{
	if (o->engine == NT_CONFIG_NOT_ENGINE)
		return o->def;
	nt_cons_config cd;
	nt_cons_config_default(&cd);
	uint64_t v;
	memcpy(&v, (const char *)&cd + o->engine, sizeof v);
	return v;
}

static uint64_t get_field(const nt_config *c, const nt_config_opt *o)
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

static void set_field(nt_config *c, const nt_config_opt *o, uint64_t v)
{
	char *p = (char *)c + o->offset;
	if (o->size == sizeof(uint32_t)) {
		uint32_t w = (uint32_t)v; /* max of a 4-byte option fits: test_config */
		memcpy(p, &w, sizeof w);
	} else {
		memcpy(p, &v, sizeof v);
	}
}

void nt_config_cons(const nt_config *c, nt_cons_config *out)
{
	nt_cons_config_default(out);
	for (size_t i = 0; i < nt_config_nopts; i++) {
		const nt_config_opt *o = &nt_config_opts[i];
		if (o->engine == NT_CONFIG_NOT_ENGINE)
			continue;
		uint64_t v = get_field(c, o);
		memcpy((char *)out + o->engine, &v, sizeof v);
	}
}

/* The object for o's section in root, made if missing; root itself for a
 * top-level option. NULL when out of memory. */
static json_t *section_of(json_t *root, const nt_config_opt *o)
{
	if (o->section == NULL)
		return root;
	json_t *s = json_object_get(root, o->section);
	if (s == NULL && json_object_set_new(root, o->section, json_object()) == 0)
		s = json_object_get(root, o->section);
	return s;
}

json_t *nt_config_json(const char *moniker, const char *rpc, const char *p2p, const char *http,
		       json_t *peers)
{
	json_t *root = json_object();
	/* The caller's values sit where a parsed config holds them. */
	nt_config given = {.moniker = (char *)moniker,
			   .rpc = (char *)rpc,
			   .p2p = (char *)p2p,
			   .http_listen = (char *)http};
	bool ok = root != NULL;
	for (size_t i = 0; ok && i < nt_config_nopts; i++) {
		const nt_config_opt *o = &nt_config_opts[i];
		if (!o->written)
			continue;
		json_t *v = NULL;
		if (o->type == NT_CONFIG_PEERS) {
			v = peers != NULL ? peers : json_array();
			peers = NULL;
		} else if (o->type == NT_CONFIG_UINT) {
			v = json_integer((json_int_t)nt_config_opt_default(o));
		} else {
			const char *s = *(char *const *)((const char *)&given + o->offset);
			if (s == NULL && o->type == NT_CONFIG_STR)
				continue; /* moniker, rpc, p2p: only when given */
			v = json_string(s != NULL ? s : o->def_str);
		}
		json_t *sec = section_of(root, o);
		ok = v != NULL && sec != NULL && json_object_set_new(sec, o->name, v) == 0;
		if (!ok && sec == NULL)
			json_decref(v);
	}
	json_decref(peers);
	if (!ok) {
		json_decref(root);
		return NULL;
	}
	return root;
}

static bool known(const char *section, const char *key)
{
	for (size_t i = 0; i < nt_config_nopts; i++) {
		const nt_config_opt *o = &nt_config_opts[i];
		if (section == NULL && o->section != NULL && strcmp(o->section, key) == 0)
			return true;
		if ((section == NULL ? o->section == NULL
				     : o->section != NULL && strcmp(o->section, section) == 0) &&
		    strcmp(o->name, key) == 0)
			return true;
	}
	return false;
}

static void warn_unknown(json_t *obj, const char *section, const char *where)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		if (!known(section, key))
			nt_log(NT_LOG_WARN, "config.json: unknown member \"%s%s\" ignored", where,
			       key);
	}
}

static void warn_unknown_all(json_t *root)
{
	for (size_t i = 0; i < nt_config_nopts; i++) {
		const char *sec = nt_config_opts[i].section;
		bool first = sec != NULL;
		for (size_t j = 0; first && j < i; j++)
			first = nt_config_opts[j].section == NULL ||
				strcmp(nt_config_opts[j].section, sec) != 0;
		json_t *obj = first ? json_object_get(root, sec) : NULL;
		if (obj == NULL)
			continue;
		char where[32];
		snprintf(where, sizeof where, "%s.", sec);
		warn_unknown(obj, sec, where);
	}
	warn_unknown(root, NULL, "");
}

static nt_err get_section(json_t *root, const char *key, json_t **out, nt_why *why)
{
	json_t *v = json_object_get(root, key);
	if (v != NULL && !json_is_object(v))
		return nt_fail(why, NT_ERR_JSON, "config.json: \"%s\" must be an object", key);
	*out = v;
	return NT_OK;
}

static nt_err parse_peers(json_t *peers, const char *home, nt_config *t, nt_why *why)
{
	if (peers != NULL && !json_is_array(peers))
		return nt_fail(why, NT_ERR_JSON,
			       "config.json: \"peers\" must be an array of "
			       "{\"p2p\": URL, \"rpc\": URL} objects");
	size_t np = json_array_size(peers); /* 0 for NULL */
	if (np > NT_CONFIG_MAX_PEERS)
		return nt_fail(why, NT_ERR_RANGE, "config.json: at most %d peers",
			       NT_CONFIG_MAX_PEERS);
	static const char *const pr[] = {"p2p", "rpc", "tls_cert", "tls_fingerprint",
					 "tls_binding"};
	nt_err e;
	for (size_t i = 0; i < np; i++) {
		json_t *p = json_array_get(peers, i);
		if (json_is_string(p) && json_string_length(p) > 0 && json_string_length(p) <= 512)
			continue;
		if (!json_is_object(p))
			return nt_fail(why, NT_ERR_JSON,
				       "config.json: peers[%zu] must be an object "
				       "{\"p2p\": URL, \"rpc\": URL} or a p2p URL string",
				       i);
		const char *s;
		if ((e = get_str(p, "p2p", NULL, 1, 512, &s, why)) != NT_OK)
			return nt_fail(why, e,
				       "config.json: \"peers[%zu].p2p\" is required (1..512 "
				       "characters)",
				       i);
		if (json_object_get(p, "rpc") != NULL &&
		    (e = get_str(p, "rpc", NULL, 1, 512, &s, why)) != NT_OK)
			return nt_fail(why, e,
				       "config.json: \"peers[%zu].rpc\" must be a URL string", i);
		int ntls = 0;
		for (size_t k = 2; k < 5; k++) {
			if (json_object_get(p, pr[k]) == NULL)
				continue;
			ntls++;
			if ((e = get_str(p, pr[k], NULL, 1, 4096, &s, why)) != NT_OK)
				return nt_fail(why, e,
					       "config.json: \"peers[%zu].%s\" must be a string", i,
					       pr[k]);
		}
		if (ntls != 0 && ntls != 3)
			return nt_fail(why, NT_ERR_JSON,
				       "config.json: peers[%zu] needs all of \"tls_cert\", "
				       "\"tls_fingerprint\" and \"tls_binding\", or none",
				       i);
		const char *key;
		json_t *v;
		json_object_foreach(p, key, v)
		{
			bool ok = false;
			for (size_t k = 0; k < sizeof pr / sizeof pr[0]; k++)
				ok = ok || strcmp(key, pr[k]) == 0;
			if (!ok)
				nt_log(NT_LOG_WARN,
				       "config.json: unknown member \"peers[%zu].%s\" ignored", i,
				       key);
		}
	}
	t->peers = calloc(np + 1, sizeof *t->peers);
	t->peer_rpc = calloc(np + 1, sizeof *t->peer_rpc);
	t->peer_tls_cert = calloc(np + 1, sizeof *t->peer_tls_cert);
	t->peer_tls_fp = calloc(np + 1, sizeof *t->peer_tls_fp);
	t->peer_tls_binding = calloc(np + 1, sizeof *t->peer_tls_binding);
	if (t->peers == NULL || t->peer_rpc == NULL || t->peer_tls_cert == NULL ||
	    t->peer_tls_fp == NULL || t->peer_tls_binding == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < np; i++) {
		json_t *p = json_array_get(peers, i);
		t->npeers = i + 1;
		if (json_is_string(p)) {
			t->peers[i] = strdup(json_string_value(p));
		} else {
			t->peers[i] = strdup(json_string_value(json_object_get(p, "p2p")));
			json_t *r = json_object_get(p, "rpc");
			if (r != NULL && (t->peer_rpc[i] = strdup(json_string_value(r))) == NULL)
				return nt_fail(why, NT_ERR_NOMEM, "out of memory");
			json_t *c = json_object_get(p, "tls_cert");
			if (c != NULL && ((t->peer_tls_cert[i] =
					       home_path(home, json_string_value(c))) == NULL ||
					  (t->peer_tls_fp[i] = strdup(json_string_value(
					       json_object_get(p, "tls_fingerprint")))) == NULL ||
					  (t->peer_tls_binding[i] = strdup(json_string_value(
					       json_object_get(p, "tls_binding")))) == NULL))
				return nt_fail(why, NT_ERR_NOMEM, "out of memory");
		}
		if (t->peers[i] == NULL)
			return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	return NT_OK;
}

/* Reads option o from root into t, or its default when absent. */
static nt_err parse_opt(json_t *root, const char *home, const nt_config_opt *o, nt_config *t,
			nt_why *why)
{
	json_t *obj = root;
	nt_err e;
	if (o->section != NULL && (e = get_section(root, o->section, &obj, why)) != NT_OK)
		return e;
	if (o->type == NT_CONFIG_PEERS)
		return parse_peers(obj != NULL ? json_object_get(obj, o->name) : NULL, home, t,
				   why);
	if (o->type == NT_CONFIG_UINT) {
		char where[32] = "";
		if (o->section != NULL)
			snprintf(where, sizeof where, "%s.", o->section);
		uint64_t v = 0;
		if ((e = get_uint(obj, where, o->name, nt_config_opt_default(o), o->min, o->max, &v,
				  why)) != NT_OK)
			return e;
		set_field(t, o, v);
		return NT_OK;
	}
	const char *s;
	if ((e = get_str(obj, o->name, o->def_str, o->min, o->max, &s, why)) != NT_OK)
		return e;
	char *v = o->type == NT_CONFIG_PATH ? home_path(home, s) : strdup(s);
	if (v == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	memcpy((char *)t + o->offset, &v, sizeof v);
	return NT_OK;
}

/* http.listen "auto": the rpc host at the rpc port + 80 (7400 -> 7480),
 * so that nodes on one machine with their own rpc ports get their own;
 * https:// when the rpc is tls+tcp://. */
static nt_err auto_http(nt_config *t, nt_why *why)
{
	const char *hp = strstr(t->rpc, "://");
	const char *colon = hp != NULL ? strrchr(hp + 3, ':') : NULL;
	char host[256] = "127.0.0.1";
	unsigned long port = 7400;
	/* a TLS rpc gets HTTPS, with the same certificate */
	bool tls = strncmp(t->rpc, "tls+tcp://", 10) == 0;
	if ((strncmp(t->rpc, "tcp://", 6) == 0 || tls) && colon != NULL &&
	    (size_t)(colon - (hp + 3)) < sizeof host) {
		memcpy(host, hp + 3, (size_t)(colon - (hp + 3)));
		host[colon - (hp + 3)] = '\0';
		char *end;
		port = strtoul(colon + 1, &end, 10);
		if (*end != '\0' && *end != '/')
			port = 7400;
	}
	if (port + 80 > 65535)
		port = 7400;
	char *v = NULL;
	if (asprintf(&v, "%s://%s:%lu/", tls ? "https" : "http", host, port + 80) < 0)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	free(t->http_listen);
	t->http_listen = v;
	return NT_OK;
}

static nt_err parse_root(json_t *root, const char *home, nt_config *c, nt_why *why)
{
	if (!json_is_object(root))
		return nt_fail(why, NT_ERR_JSON, "config.json: must be a JSON object");
	nt_config t = {0};
	nt_err e = NT_OK;
	for (size_t i = 0; e == NT_OK && i < nt_config_nopts; i++)
		e = parse_opt(root, home, &nt_config_opts[i], &t, why);
	if (e == NT_OK && strstr(t.rpc, "://") == NULL)
		e = nt_fail(why, NT_ERR_RANGE,
			    "config.json: \"rpc\" must be a URL like tcp://127.0.0.1:7400");
	if (e == NT_OK && strcmp(t.http_listen, "auto") == 0)
		e = auto_http(&t, why);
	if (e == NT_OK && strcmp(t.access_admin, "auto") == 0) {
		/* the operator's socket lives in the home, which only the
		 * node's user may enter (docs/OPERATIONS.md) */
		char *v = NULL;
		if (asprintf(&v, "ipc://%s/admin.sock", home != NULL && home[0] ? home : ".") < 0)
			e = nt_fail(why, NT_ERR_NOMEM, "out of memory");
		else {
			free(t.access_admin);
			t.access_admin = v;
		}
	}
	/* a Unix socket's path has at most 107 bytes (sun_path) */
	if (e == NT_OK && strlen(t.access_admin) > 6 + 107)
		e = nt_fail(why, NT_ERR_RANGE,
			    "config.json: the operator socket %s is longer than a socket path may "
			    "be (107 bytes); set \"access.admin\" to a shorter ipc:// path, e.g. "
			    "ipc:///run/notary/admin.sock",
			    t.access_admin);
	if (e == NT_OK && t.access_admin[0] != '\0' && strncmp(t.access_admin, "ipc://", 6) != 0)
		e = nt_fail(why, NT_ERR_RANGE,
			    "config.json: \"access.admin\" must be an ipc:// URL (the operator's "
			    "socket is local only), \"auto\" or \"\"");
	if (e != NT_OK) {
		nt_config_free(&t);
		return e;
	}
	warn_unknown_all(root);
	*c = t;
	return NT_OK;
}

nt_err nt_config_parse(const char *json, size_t len, const char *home, nt_config *out, nt_why *why)
{
	if (json == NULL || out == NULL)
		return nt_fail(why, NT_ERR_ARG, "no config text");
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return nt_fail(why, NT_ERR_JSON, "config.json is not valid JSON (line %d: %s)",
			       jerr.line, jerr.text);
	nt_err e = parse_root(root, home, out, why);
	json_decref(root);
	return e;
}

nt_err nt_config_load(const char *home, nt_config *out, nt_why *why)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s/config.json", home) >= (int)sizeof path)
		return nt_fail(why, NT_ERR_ARG, "home directory path too long");
	int fd = nt_fs_open_regular(path);
	if (fd == -2)
		return nt_fail(why, NT_ERR_IO, "%s is not a regular file", path);
	if (fd < 0)
		return nt_fail(why, errno == ENOENT ? NT_ERR_NOT_FOUND : NT_ERR_IO,
			       "cannot open %s: %s", path, strerror(errno));
	FILE *f = fdopen(fd, "rb");
	if (f == NULL) {
		close(fd);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	char *buf = malloc(NT_CONFIG_TEXT_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	size_t n = fread(buf, 1, NT_CONFIG_TEXT_MAX + 1, f);
	bool err = ferror(f) != 0;
	fclose(f);
	nt_err e;
	if (err)
		e = nt_fail(why, NT_ERR_IO, "cannot read %s", path);
	else if (n > NT_CONFIG_TEXT_MAX)
		e = nt_fail(why, NT_ERR_RANGE, "%s is larger than %d bytes", path,
			    NT_CONFIG_TEXT_MAX);
	else
		e = nt_config_parse(buf, n, home, out, why);
	free(buf);
	return e;
}

void nt_config_free(nt_config *c)
{
	if (c == NULL)
		return;
	free(c->moniker);
	free(c->rpc);
	free(c->p2p);
	for (size_t i = 0; c->peers != NULL && i < c->npeers; i++)
		free(c->peers[i]);
	for (size_t i = 0; c->peer_rpc != NULL && i < c->npeers; i++)
		free(c->peer_rpc[i]);
	for (size_t i = 0; c->peer_tls_cert != NULL && c->peer_tls_fp != NULL &&
			   c->peer_tls_binding != NULL && i < c->npeers;
	     i++) {
		free(c->peer_tls_cert[i]);
		free(c->peer_tls_fp[i]);
		free(c->peer_tls_binding[i]);
	}
	free(c->peers);
	free(c->peer_rpc);
	free(c->peer_tls_cert);
	free(c->peer_tls_fp);
	free(c->peer_tls_binding);
	free(c->tls_cert_file);
	free(c->tls_key_file);
	free(c->key_file);
	free(c->key_passphrase_file);
	free(c->next_key_file);
	free(c->http_listen);
	free(c->http_page);
	free(c->genesis_file);
	free(c->data_dir);
	free(c->access_clients);
	free(c->access_submitters);
	free(c->access_admin);
	memset(c, 0, sizeof *c);
}
