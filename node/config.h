/* config.json of a node home (docs/CONFIG.md). */
#ifndef NT_CONFIG_H
#define NT_CONFIG_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

#define NT_CONFIG_MAX_PEERS 128
#define NT_CONFIG_TEXT_MAX (1024 * 1024)

typedef struct {
	char *moniker;
	char *rpc;
	char *p2p;
	char **peers;	 /* p2p URL of each peer */
	char **peer_rpc; /* its client URL, or NULL (same index) */
	size_t npeers;
	/* Absolute or relative to the current directory: relative paths of
	 * the file are already joined to the home directory. */
	char *key_file;
	char *genesis_file;
	char *data_dir;
	uint32_t block_max_records;
	uint64_t block_max_bytes;
	uint32_t block_interval_ms;
	uint32_t block_heartbeat_s;
	uint64_t mempool_max_records;
	uint64_t mempool_max_bytes;
	uint32_t rpc_contexts;
	/* "consensus": timeouts (ms) and the bound on a proposal's time ahead
	 * of our clock; defaults from nt_cons_config_default. */
	uint64_t timeout_propose_ms, timeout_propose_delta_ms;
	uint64_t timeout_prevote_ms, timeout_prevote_delta_ms;
	uint64_t timeout_precommit_ms, timeout_precommit_delta_ms;
	uint64_t max_clock_skew_ms;
	/* "net": connection limits (docs/CONFIG.md); 0 caps mean "derive
	 * from the descriptor limit" (node/netguard.c) */
	uint32_t max_rpc_conns, max_peer_conns;
	uint32_t rpc_idle_timeout_ms, rpc_send_timeout_ms, rpc_max_inflight;
	uint64_t rpc_reply_budget;
	uint32_t peer_auth_timeout_ms;
} nt_config;

/* Parses config text; home (may be NULL: ".") anchors relative paths.
 * Applies the defaults of docs/CONFIG.md and checks types and ranges;
 * why names the member that is wrong. On NT_OK free with nt_config_free. */
nt_err nt_config_parse(const char *json, size_t len, const char *home, nt_config *out,
		       nt_why *why) NT_MUST_CHECK;
/* Reads home/config.json and parses it. */
nt_err nt_config_load(const char *home, nt_config *out, nt_why *why) NT_MUST_CHECK;
void nt_config_free(nt_config *c);

#endif
