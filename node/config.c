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
	if (p[0] == '/' || home == NULL || home[0] == '\0')
		return strdup(p);
	size_t n = strlen(home) + strlen(p) + 2;
	char *s = malloc(n);
	if (s != NULL)
		snprintf(s, n, "%s/%s", home, p);
	return s;
}

static nt_err get_str(json_t *obj, const char *key, const char *def, size_t maxlen,
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
	if (n == 0 || n > maxlen || strlen(s) != n)
		return nt_fail(why, NT_ERR_RANGE, "config.json: \"%s\" must be 1..%zu characters",
			       key, maxlen);
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

static void warn_unknown(json_t *obj, const char *where, const char *const *known)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		bool ok = false;
		for (size_t i = 0; known[i] != NULL && !ok; i++)
			ok = strcmp(key, known[i]) == 0;
		if (!ok)
			nt_log(NT_LOG_WARN, "config.json: unknown member \"%s%s\" ignored", where,
			       key);
	}
}

static nt_err get_section(json_t *root, const char *key, json_t **out, nt_why *why)
{
	json_t *v = json_object_get(root, key);
	if (v != NULL && !json_is_object(v))
		return nt_fail(why, NT_ERR_JSON, "config.json: \"%s\" must be an object", key);
	*out = v;
	return NT_OK;
}

static nt_err parse_root(json_t *root, const char *home, nt_config *c, nt_why *why)
{
	static const char *const top[] = {"moniker",  "rpc",	      "p2p",	   "peers",
					  "key_file", "genesis_file", "data_dir",  "block",
					  "mempool",  "rpc_contexts", "consensus", "net",
					  NULL};
	static const char *const blk[] = {"max_records", "max_bytes", "interval_ms", "heartbeat_s",
					  NULL};
	static const char *const mp[] = {"max_records", "max_bytes", NULL};
	static const char *const cs[] = {"timeout_propose_ms",	 "timeout_propose_delta_ms",
					 "timeout_prevote_ms",	 "timeout_prevote_delta_ms",
					 "timeout_precommit_ms", "timeout_precommit_delta_ms",
					 "max_clock_skew_ms",	 NULL};
	static const char *const pr[] = {"p2p", "rpc", NULL};
	static const char *const nm[] = {"max_rpc_conns",	 "max_peer_conns",
					 "rpc_idle_timeout_ms",	 "rpc_send_timeout_ms",
					 "rpc_max_inflight",	 "rpc_reply_budget_bytes",
					 "peer_auth_timeout_ms", NULL};
	const char *moniker, *rpc, *p2p, *key, *gen, *data;
	json_t *block = NULL, *mempool = NULL, *cons = NULL, *net = NULL;
	uint64_t u[7], to[7], nv[7];
	nt_err e;

	if (!json_is_object(root))
		return nt_fail(why, NT_ERR_JSON, "config.json: must be a JSON object");
	if ((e = get_str(root, "rpc", NULL, 512, &rpc, why)) != NT_OK ||
	    (e = get_str(root, "moniker", "node0", 64, &moniker, why)) != NT_OK ||
	    (e = get_str(root, "p2p", "tcp://127.0.0.1:7401", 512, &p2p, why)) != NT_OK ||
	    (e = get_str(root, "key_file", "validator.key", 4096, &key, why)) != NT_OK ||
	    (e = get_str(root, "genesis_file", "genesis.json", 4096, &gen, why)) != NT_OK ||
	    (e = get_str(root, "data_dir", "data", 4096, &data, why)) != NT_OK)
		return e;
	if (strstr(rpc, "://") == NULL)
		return nt_fail(why, NT_ERR_RANGE,
			       "config.json: \"rpc\" must be a URL like tcp://127.0.0.1:7400");
	if ((e = get_section(root, "block", &block, why)) != NT_OK ||
	    (e = get_section(root, "mempool", &mempool, why)) != NT_OK ||
	    (e = get_section(root, "consensus", &cons, why)) != NT_OK ||
	    (e = get_section(root, "net", &net, why)) != NT_OK)
		return e;
	if ((e = get_uint(net, "net.", "max_rpc_conns", 0, 0, 1000000, &nv[0], why)) ||
	    (e = get_uint(net, "net.", "max_peer_conns", 0, 0, 100000, &nv[1], why)) ||
	    (e = get_uint(net, "net.", "rpc_idle_timeout_ms", 30000, 0, 3600000, &nv[2], why)) ||
	    (e = get_uint(net, "net.", "rpc_send_timeout_ms", 10000, 0, 3600000, &nv[3], why)) ||
	    (e = get_uint(net, "net.", "rpc_max_inflight", 16, 0, 4096, &nv[4], why)) ||
	    (e = get_uint(net, "net.", "rpc_reply_budget_bytes", 64ull << 20, 0, 1ull << 40, &nv[5],
			  why)) ||
	    (e = get_uint(net, "net.", "peer_auth_timeout_ms", 5000, 0, 3600000, &nv[6], why)))
		return e;
	nt_cons_config cd;
	nt_cons_config_default(&cd);
	if ((e = get_uint(cons, "consensus.", "timeout_propose_ms", cd.timeout_propose_ms, 1,
			  600000, &to[0], why)) ||
	    (e = get_uint(cons, "consensus.", "timeout_propose_delta_ms",
			  cd.timeout_propose_delta_ms, 0, 600000, &to[1], why)) ||
	    (e = get_uint(cons, "consensus.", "timeout_prevote_ms", cd.timeout_prevote_ms, 1,
			  600000, &to[2], why)) ||
	    (e = get_uint(cons, "consensus.", "timeout_prevote_delta_ms",
			  cd.timeout_prevote_delta_ms, 0, 600000, &to[3], why)) ||
	    (e = get_uint(cons, "consensus.", "timeout_precommit_ms", cd.timeout_precommit_ms, 1,
			  600000, &to[4], why)) ||
	    (e = get_uint(cons, "consensus.", "timeout_precommit_delta_ms",
			  cd.timeout_precommit_delta_ms, 0, 600000, &to[5], why)) ||
	    (e = get_uint(cons, "consensus.", "max_clock_skew_ms", cd.max_clock_skew_ms, 0, 3600000,
			  &to[6], why)))
		return e;
	/* A block's records plus its framing must fit NT_BLOCK_MAX_BYTES. */
	uint64_t blk_bytes_max =
	    NT_BLOCK_MAX_BYTES - NT_HEADER_MAX - 4 - 2ull * NT_BLOCK_MAX_RECORDS;
	if ((e = get_uint(block, "block.", "max_records", 2000, 1, NT_BLOCK_MAX_RECORDS, &u[0],
			  why)) ||
	    (e = get_uint(block, "block.", "max_bytes", 4194304, NT_RECORD_MAX, blk_bytes_max,
			  &u[1], why)) ||
	    (e = get_uint(block, "block.", "interval_ms", 200, 1, 3600000, &u[2], why)) ||
	    (e = get_uint(block, "block.", "heartbeat_s", 0, 0, 86400, &u[3], why)) ||
	    (e = get_uint(mempool, "mempool.", "max_records", 100000, 1, 10000000, &u[4], why)) ||
	    (e = get_uint(mempool, "mempool.", "max_bytes", 268435456, NT_RECORD_MAX, 1ull << 36,
			  &u[5], why)) ||
	    (e = get_uint(root, "", "rpc_contexts", 1024, 1, 4096, &u[6], why)))
		return e;

	json_t *peers = json_object_get(root, "peers");
	size_t np = 0;
	if (peers != NULL) {
		if (!json_is_array(peers))
			return nt_fail(why, NT_ERR_JSON,
				       "config.json: \"peers\" must be an array of "
				       "{\"p2p\": URL, \"rpc\": URL} objects");
		np = json_array_size(peers);
		if (np > NT_CONFIG_MAX_PEERS)
			return nt_fail(why, NT_ERR_RANGE, "config.json: at most %d peers",
				       NT_CONFIG_MAX_PEERS);
		for (size_t i = 0; i < np; i++) {
			json_t *p = json_array_get(peers, i);
			if (json_is_string(p) && json_string_length(p) > 0 &&
			    json_string_length(p) <= 512)
				continue;
			if (!json_is_object(p))
				return nt_fail(why, NT_ERR_JSON,
					       "config.json: peers[%zu] must be an object "
					       "{\"p2p\": URL, \"rpc\": URL} or a p2p URL string",
					       i);
			const char *s;
			char where[32];
			snprintf(where, sizeof where, "peers[%zu].p2p", i);
			if ((e = get_str(p, "p2p", NULL, 512, &s, why)) != NT_OK)
				return nt_fail(
				    why, e, "config.json: \"%s\" is required (1..512 characters)",
				    where);
			if (json_object_get(p, "rpc") != NULL &&
			    (e = get_str(p, "rpc", NULL, 512, &s, why)) != NT_OK)
				return nt_fail(
				    why, e, "config.json: \"peers[%zu].rpc\" must be a URL string",
				    i);
			snprintf(where, sizeof where, "peers[%zu].", i);
			warn_unknown(p, where, pr);
		}
	}
	if (block != NULL)
		warn_unknown(block, "block.", blk);
	if (mempool != NULL)
		warn_unknown(mempool, "mempool.", mp);
	if (cons != NULL)
		warn_unknown(cons, "consensus.", cs);
	if (net != NULL)
		warn_unknown(net, "net.", nm);
	warn_unknown(root, "", top);

	nt_config t = {0};
	t.moniker = strdup(moniker);
	t.rpc = strdup(rpc);
	t.p2p = strdup(p2p);
	t.key_file = home_path(home, key);
	t.genesis_file = home_path(home, gen);
	t.data_dir = home_path(home, data);
	t.peers = calloc(np + 1, sizeof *t.peers);
	t.peer_rpc = calloc(np + 1, sizeof *t.peer_rpc);
	bool ok = t.moniker && t.rpc && t.p2p && t.key_file && t.genesis_file && t.data_dir &&
		  t.peers && t.peer_rpc;
	for (size_t i = 0; ok && i < np; i++) {
		json_t *p = json_array_get(peers, i);
		t.npeers = i + 1;
		if (json_is_string(p)) {
			t.peers[i] = strdup(json_string_value(p));
			ok = t.peers[i] != NULL;
			continue;
		}
		t.peers[i] = strdup(json_string_value(json_object_get(p, "p2p")));
		json_t *r = json_object_get(p, "rpc");
		if (r != NULL)
			t.peer_rpc[i] = strdup(json_string_value(r));
		ok = t.peers[i] != NULL && (r == NULL || t.peer_rpc[i] != NULL);
	}
	if (!ok) {
		nt_config_free(&t);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	t.block_max_records = (uint32_t)u[0];
	t.block_max_bytes = u[1];
	t.block_interval_ms = (uint32_t)u[2];
	t.block_heartbeat_s = (uint32_t)u[3];
	t.mempool_max_records = u[4];
	t.mempool_max_bytes = u[5];
	t.rpc_contexts = (uint32_t)u[6];
	t.timeout_propose_ms = to[0];
	t.timeout_propose_delta_ms = to[1];
	t.timeout_prevote_ms = to[2];
	t.timeout_prevote_delta_ms = to[3];
	t.timeout_precommit_ms = to[4];
	t.timeout_precommit_delta_ms = to[5];
	t.max_clock_skew_ms = to[6];
	t.max_rpc_conns = (uint32_t)nv[0];
	t.max_peer_conns = (uint32_t)nv[1];
	t.rpc_idle_timeout_ms = (uint32_t)nv[2];
	t.rpc_send_timeout_ms = (uint32_t)nv[3];
	t.rpc_max_inflight = (uint32_t)nv[4];
	t.rpc_reply_budget = nv[5];
	t.peer_auth_timeout_ms = (uint32_t)nv[6];
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
	free(c->peers);
	free(c->peer_rpc);
	free(c->key_file);
	free(c->genesis_file);
	free(c->data_dir);
	memset(c, 0, sizeof *c);
}
