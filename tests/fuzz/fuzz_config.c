/* Fuzz target: nt_config_parse, the config.json parser of a node home
 * (docs/CONFIG.md), and nt_config_load on the same text written as
 * config.json into a private directory (created once, reused).
 *
 * Properties: parse and load agree (same result, same values; load runs
 * on every accepted input and one refused input in 16); a refusal
 * says why; an accepted config holds every number inside the range
 * config.c and docs/CONFIG.md give, strings of the documented lengths
 * without a cut (no embedded NUL), a URL for rpc, at most 128 peers each
 * with a p2p URL, and paths joined to the home directory; written back as
 * JSON (absolute paths, peers as objects) it parses to the same config. */
#include "core/block.h"
#include "core/header.h"
#include "core/record.h"
#include "node/config.h"
#include "node/log.h"
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <jansson.h>
#include <unistd.h>

static char dir[64], path[128];

static void setup(void)
{
	if (dir[0] != '\0')
		return;
	fz_scratch_path("cfg", "config.json", path, sizeof path);
	snprintf(dir, sizeof dir, "%s", fz_scratch);
	/* Unknown members are logged as warnings on almost every input. */
	nt_log_set_level(NT_LOG_ERROR);
}

static void check_str(const char *s, size_t lo, size_t hi)
{
	fz_check(s != NULL);
	size_t n = strlen(s);
	fz_check(n >= lo && n <= hi);
}

/* A path member: absolute as written, or home + "/" + what was written. */
static void check_path(const char *p)
{
	fz_check(p != NULL && p[0] != '\0');
	if (strncmp(p, dir, strlen(dir)) == 0 && p[strlen(dir)] == '/')
		check_str(p + strlen(dir) + 1, 1, 4096);
	else
		fz_check(p[0] == '/');
}

static void check_bounds(const nt_config *c)
{
	check_str(c->moniker, 1, 64);
	check_str(c->rpc, 1, 512);
	fz_check(strstr(c->rpc, "://") != NULL);
	check_str(c->p2p, 1, 512);
	check_path(c->key_file);
	check_path(c->genesis_file);
	check_path(c->data_dir);
	fz_check(c->npeers <= NT_CONFIG_MAX_PEERS);
	for (size_t i = 0; i < c->npeers; i++) {
		check_str(c->peers[i], 1, 512);
		if (c->peer_rpc[i] != NULL)
			check_str(c->peer_rpc[i], 1, 512);
	}
	fz_check(c->block_max_records >= 1 && c->block_max_records <= NT_BLOCK_MAX_RECORDS);
	/* A full block (records, their u16 lengths, header, count) fits. */
	fz_check(c->block_max_bytes >= NT_RECORD_MAX);
	fz_check(c->block_max_bytes + 2ull * NT_BLOCK_MAX_RECORDS + NT_HEADER_MAX + 4 <=
		 NT_BLOCK_MAX_BYTES);
	fz_check(c->block_interval_ms >= 1 && c->block_interval_ms <= 3600000);
	fz_check(c->block_heartbeat_s <= 86400);
	fz_check(c->mempool_max_records >= 1 && c->mempool_max_records <= 10000000);
	fz_check(c->mempool_max_bytes >= NT_RECORD_MAX && c->mempool_max_bytes <= (1ull << 36));
	fz_check(c->rpc_contexts >= 1 && c->rpc_contexts <= 4096);
	fz_check(c->timeout_propose_ms >= 1 && c->timeout_propose_ms <= 600000);
	fz_check(c->timeout_prevote_ms >= 1 && c->timeout_prevote_ms <= 600000);
	fz_check(c->timeout_precommit_ms >= 1 && c->timeout_precommit_ms <= 600000);
	fz_check(c->timeout_propose_delta_ms <= 600000);
	fz_check(c->timeout_prevote_delta_ms <= 600000);
	fz_check(c->timeout_precommit_delta_ms <= 600000);
	fz_check(c->max_clock_skew_ms <= 3600000);
}

static int str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void check_same(const nt_config *a, const nt_config *b)
{
	fz_check(str_eq(a->moniker, b->moniker) && str_eq(a->rpc, b->rpc) &&
		 str_eq(a->p2p, b->p2p));
	fz_check(str_eq(a->key_file, b->key_file) && str_eq(a->genesis_file, b->genesis_file) &&
		 str_eq(a->data_dir, b->data_dir));
	fz_check(a->npeers == b->npeers);
	for (size_t i = 0; i < a->npeers; i++)
		fz_check(str_eq(a->peers[i], b->peers[i]) && str_eq(a->peer_rpc[i], b->peer_rpc[i]));
	fz_check(a->block_max_records == b->block_max_records &&
		 a->block_max_bytes == b->block_max_bytes &&
		 a->block_interval_ms == b->block_interval_ms &&
		 a->block_heartbeat_s == b->block_heartbeat_s &&
		 a->mempool_max_records == b->mempool_max_records &&
		 a->mempool_max_bytes == b->mempool_max_bytes && a->rpc_contexts == b->rpc_contexts);
	fz_check(a->timeout_propose_ms == b->timeout_propose_ms &&
		 a->timeout_propose_delta_ms == b->timeout_propose_delta_ms &&
		 a->timeout_prevote_ms == b->timeout_prevote_ms &&
		 a->timeout_prevote_delta_ms == b->timeout_prevote_delta_ms &&
		 a->timeout_precommit_ms == b->timeout_precommit_ms &&
		 a->timeout_precommit_delta_ms == b->timeout_precommit_delta_ms &&
		 a->max_clock_skew_ms == b->max_clock_skew_ms);
}

/* The config written back as config.json; NULL only when out of memory. */
static char *to_json(const nt_config *c)
{
	json_t *peers = json_array();
	for (size_t i = 0; peers != NULL && i < c->npeers; i++) {
		json_t *p = c->peer_rpc[i] != NULL
				? json_pack("{s:s,s:s}", "p2p", c->peers[i], "rpc", c->peer_rpc[i])
				: json_pack("{s:s}", "p2p", c->peers[i]);
		json_array_append_new(peers, p);
	}
	json_t *o = json_pack(
	    "{s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:{s:I,s:I,s:I,s:I},s:{s:I,s:I},s:I,"
	    "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I}}",
	    "moniker", c->moniker, "rpc", c->rpc, "p2p", c->p2p, "peers", peers, "key_file",
	    c->key_file, "genesis_file", c->genesis_file, "data_dir", c->data_dir, "block",
	    "max_records", (json_int_t)c->block_max_records, "max_bytes",
	    (json_int_t)c->block_max_bytes, "interval_ms", (json_int_t)c->block_interval_ms,
	    "heartbeat_s", (json_int_t)c->block_heartbeat_s, "mempool", "max_records",
	    (json_int_t)c->mempool_max_records, "max_bytes", (json_int_t)c->mempool_max_bytes,
	    "rpc_contexts", (json_int_t)c->rpc_contexts, "consensus", "timeout_propose_ms",
	    (json_int_t)c->timeout_propose_ms, "timeout_propose_delta_ms",
	    (json_int_t)c->timeout_propose_delta_ms, "timeout_prevote_ms",
	    (json_int_t)c->timeout_prevote_ms, "timeout_prevote_delta_ms",
	    (json_int_t)c->timeout_prevote_delta_ms, "timeout_precommit_ms",
	    (json_int_t)c->timeout_precommit_ms, "timeout_precommit_delta_ms",
	    (json_int_t)c->timeout_precommit_delta_ms, "max_clock_skew_ms",
	    (json_int_t)c->max_clock_skew_ms);
	if (o == NULL)
		return NULL;
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	nt_config c, l, r;
	nt_why why = {""}, why2 = {""};
	nt_err e = nt_config_parse((const char *)data, size, dir, &c, &why);

	if (e != NT_OK)
		fz_check(e == NT_ERR_NOMEM || why.msg[0] != '\0');
	/* nt_config_load allocates its 1 MiB text buffer on every call, which
	 * costs ASan about a millisecond: load every accepted input but only
	 * one refused input in 16 (chosen by a hash of the input). */
	uint32_t hash = 2166136261u;
	for (size_t i = 0; i < size; i++)
		hash = (hash ^ data[i]) * 16777619u;
	if (e == NT_OK || hash % 16 == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		fz_check(fd >= 0);
		fz_check(size == 0 || write(fd, data, size) == (ssize_t)size);
		close(fd);
		nt_err e2 = nt_config_load(dir, &l, &why2);
		fz_check(e == e2);
		if (e != NT_OK)
			fz_check(strcmp(why.msg, why2.msg) == 0);
		else
			check_same(&c, &l);
		if (e2 == NT_OK)
			nt_config_free(&l);
	}
	if (e != NT_OK)
		return 0;
	check_bounds(&c);

	char *json = to_json(&c);
	if (json != NULL) {
		e = nt_config_parse(json, strlen(json), dir, &r, &why);
		if (e != NT_OK)
			fprintf(stderr, "fuzz: re-parse failed: %s\n%s\n", why.msg, json);
		fz_check(e == NT_OK);
		check_same(&c, &r);
		nt_config_free(&r);
		free(json);
	}
	nt_config_free(&c);
	return 0;
}
