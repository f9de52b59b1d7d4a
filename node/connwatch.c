/* The node's side of net/sockwatch.h: handshakes on the rpc and p2p
 * ports and the HTTP server's connections, bounded by the "net" and
 * "http" options of config.json (docs/CONFIG.md); cuts are logged once a
 * second and reported by status and /metrics. */
#include "node/node_internal.h"

#include "node/log.h"

#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <malloc.h>

nt_err nd_connwatch_start(node *n, nt_why *why)
{
	nt_sockwatch_opts o = {.handshake_ms = n->cfg.handshake_timeout_ms,
			       .handshake_max = n->cfg.handshake_max,
			       .per_addr_max = n->cfg.per_address_max,
			       .http_idle_ms = n->cfg.http_idle_timeout_ms,
			       .http_max = n->cfg.http_max_conns};
	nt_err e = nt_sockwatch_new(&o, &n->watch, why);
	if (e != NT_OK)
		return e;
	nt_rpc_server_watch(n->front.srv, n->watch);
	nt_peer_watch(n->gossip.peer, n->watch);
	nt_http_watch(n->http.srv, n->watch);
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		nt_log(NT_LOG_WARN, "cannot list /proc/self/fd: handshakes and HTTP connections are "
				    "not bounded by the node (mount /proc, or limit them in a firewall)");
	else
		closedir(d);
	return nt_sockwatch_start(n->watch, why);
}

void nd_connwatch_stop(node *n)
{
	nt_sockwatch_free(n->watch);
	n->watch = NULL;
}

void nd_connwatch_tick(node *n)
{
	nt_sockwatch_stats s, *was = &n->watch_logged;
	nt_sockwatch_stats_get(n->watch, &s);
	uint64_t late = s.handshake_cut - was->handshake_cut;
	uint64_t over = s.handshake_capped - was->handshake_capped;
	uint64_t idle = s.http_idle_cut - was->http_idle_cut;
	uint64_t hover = s.http_capped - was->http_capped;
	if (late + over > 0)
		nt_log(NT_LOG_WARN,
		       "closed %" PRIu64 " connections that did not finish their handshake in %u ms "
		       "and %" PRIu64 " over the handshake caps (%u a port, %u an address); %u "
		       "handshakes open",
		       late, n->cfg.handshake_timeout_ms, over, n->cfg.handshake_max,
		       n->cfg.per_address_max, s.handshaking);
	if (idle + hover > 0)
		nt_log(NT_LOG_WARN,
		       "closed %" PRIu64 " HTTP connections idle for %u ms and %" PRIu64
		       " over the caps (%u, %u an address); %u open",
		       idle, n->cfg.http_idle_timeout_ms, hover, n->cfg.http_max_conns,
		       n->cfg.per_address_max, s.http_open);
	/* A burst of handshakes leaves its TLS buffers (about 50 KiB each)
	 * free in the allocator's per-thread arenas, where they stay resident;
	 * once the burst is over, hand them back to the system. */
	bool cutting = late + over + idle + hover > 0;
	if (n->watch_cutting && !cutting)
		malloc_trim(0);
	n->watch_cutting = cutting;
	*was = s;
}

void nd_connwatch_status(const node *n, json_t *o)
{
	nt_sockwatch_stats s;
	nt_sockwatch_stats_get(n->watch, &s);
	json_object_set_new(o, "handshakes_open", json_integer(s.handshaking));
	json_object_set_new(o, "handshakes_timed_out", json_integer((json_int_t)s.handshake_cut));
	json_object_set_new(o, "handshakes_over_cap", json_integer((json_int_t)s.handshake_capped));
	json_object_set_new(o, "http_conns", json_integer(s.http_open));
	json_object_set_new(o, "http_idle_closed", json_integer((json_int_t)s.http_idle_cut));
	json_object_set_new(o, "http_over_cap", json_integer((json_int_t)s.http_capped));
	json_object_set_new(o, "conn_scan_us", json_integer(s.scan_us));
}
