/* config.json of a node home (docs/CONFIG.md). */
#ifndef NT_CONFIG_H
#define NT_CONFIG_H

#include "base/err.h"
#include "core/consensus.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NT_CONFIG_MAX_PEERS 128
#define NT_CONFIG_TEXT_MAX (1024 * 1024)

typedef struct {
	char *moniker;
	char *rpc;
	char *p2p;
	/* http.listen: the verification page's URL (node/http_front.c); "" when
	 * off; "auto" in the file becomes the rpc host at the rpc port + 80 */
	char *http_listen;
	char *http_page; /* http.page: the page file, or "auto" (node/web_page.h) */
	uint32_t http_idle_timeout_ms, http_max_conns;
	char **peers;	 /* p2p URL of each peer */
	char **peer_rpc; /* its client URL, or NULL (same index) */
	/* The peer's pinned TLS certificate (a path joined to the home), its
	 * SHA-256 fingerprint and binding (hex), or NULL (same index; all
	 * three or none: node/tls_setup.c) */
	char **peer_tls_cert;
	char **peer_tls_fp;
	char **peer_tls_binding;
	size_t npeers;
	/* "tls": this node's TLS certificate and key (paths), used when a URL
	 * is tls+tcp:// */
	char *tls_cert_file;
	char *tls_key_file;
	/* Absolute or relative to the current directory: relative paths of
	 * the file are already joined to the home directory. */
	char *key_file;
	char *key_passphrase_file; /* "": the key file is plain */
	char *next_key_file;
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
	 * of our clock; defaults from nt_cons_config_default, handed to the
	 * engine by nt_config_cons. */
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
	/* handshakes nng does not bound (net/sockwatch.h) */
	uint32_t handshake_timeout_ms, handshake_max, per_address_max;
	/* "access": who may do what, and fair limits (docs/CONFIG.md,
	 * node/access.c). Paths are "" when unset. */
	uint32_t access_public;		    /* 1: queries answer anyone */
	uint32_t access_sync_open;	    /* 1: sync answers anyone */
	char *access_clients;		    /* keys that may query when public is 0 */
	char *access_submitters;	    /* keys that may submit; "": anyone */
	char *access_admin;		    /* the operator's ipc:// socket; "": none */
	uint32_t auth_window_s;		    /* a signed request's time vs. ours */
	uint32_t submit_rate, submit_burst; /* per submitter key, records a second */
	uint32_t conn_rate, conn_burst;	    /* per connection, requests a second */
	uint32_t mempool_share_pct;	    /* of the mempool's bounds, per key */
	uint32_t limiter_slots;		    /* buckets per limiter table */
} nt_config;

/* The options of config.json, defined once in the table nt_config_opts
 * (node/config.c): parsing, defaults, bounds, the engine's share
 * (nt_config_cons) and the file notary init and testnet write
 * (nt_config_json) all read it. docs/CONFIG.md describes the same list;
 * tests/test_config.c checks that its example shows every option with
 * its default. */
typedef enum {
	NT_CONFIG_STR,	 /* a string of 1..max bytes */
	NT_CONFIG_PATH,	 /* a string of 1..max bytes, joined to the home directory */
	NT_CONFIG_UINT,	 /* an integer in min..max, stored in size bytes */
	NT_CONFIG_PEERS, /* the "peers" array (at most NT_CONFIG_MAX_PEERS) */
} nt_config_type;

typedef struct {
	const char *section; /* "block", "mempool", "consensus", "net"; NULL: top level */
	const char *name;    /* member name inside section */
	nt_config_type type;
	const char *def_str; /* STR, PATH: the default; NULL: the member is required */
	uint64_t def;	     /* UINT: the default (see engine) */
	uint64_t min, max;   /* UINT: the bounds; STR, PATH: the shortest and longest length */
	size_t offset;	     /* of the member of nt_config that holds the value */
	size_t size;	     /* UINT: sizeof that member (4 or 8) */
	/* The engine's copy: its offset in nt_cons_config (a uint64_t),
	 * NT_CONFIG_NOT_ENGINE if none. An engine option's default is
	 * nt_cons_config_default's, not def. */
	size_t engine;
	bool written;	  /* notary init and testnet write it into config.json */
	const char *help; /* one line for people */
} nt_config_opt;

#define NT_CONFIG_NOT_ENGINE ((size_t)-1)

/* The table, in the order of docs/CONFIG.md; nt_config_nopts entries. */
extern const nt_config_opt nt_config_opts[];
extern const size_t nt_config_nopts;

/* The default of an integer option (for an engine option, the engine's). */
uint64_t nt_config_opt_default(const nt_config_opt *o);

/* The consensus engine's configuration: nt_cons_config_default with the
 * "consensus" members of c. */
void nt_config_cons(const nt_config *c, nt_cons_config *out);

/* The config.json that notary init and notary testnet write: the options
 * marked written, in table order, each with its default except moniker,
 * rpc and p2p (left out when NULL) and peers (takes the reference; NULL:
 * an empty array). Returns a new object; NULL when out of memory. */
json_t *nt_config_json(const char *moniker, const char *rpc, const char *p2p, const char *http,
		       json_t *peers);

/* Parses config text; home (may be NULL: ".") anchors relative paths.
 * Applies the defaults of docs/CONFIG.md and checks types and ranges;
 * why names the member that is wrong. On NT_OK free with nt_config_free. */
nt_err nt_config_parse(const char *json, size_t len, const char *home, nt_config *out,
		       nt_why *why) NT_MUST_CHECK;
/* Reads home/config.json and parses it. */
nt_err nt_config_load(const char *home, nt_config *out, nt_why *why) NT_MUST_CHECK;
void nt_config_free(nt_config *c);

#endif
