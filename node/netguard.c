/* Descriptors and connections: the budget, the caps, the leak watchdog.
 *
 * Budget. Every connection costs a descriptor, and so does every file the
 * node itself needs to stay correct (the sign-state before each vote, the
 * WAL, LevelDB's tables). Running out of the latter was fatal, so the
 * connections get only what is left after a reserve:
 *
 *   reserve = NT_KV_LEVELDB_MAX_OPEN_FILES + 16   LevelDB tables + its own files
 *           + OWN_FILES                            stdio, WAL and its directory,
 *                                                  sign-state + tmp + directory,
 *                                                  WAL reset tmp, /proc/self/fd,
 *                                                  nng's pollers, listeners
 *           + 2 * peers                            outbound dials and catch-up
 *
 * and the two caps (net.max_rpc_conns, net.max_peer_conns, or derived)
 * must fit in RLIMIT_NOFILE - reserve. The soft limit is raised to the hard
 * one first: the common soft 1,024 is a default, not a decision.
 *
 * Watchdog. nng 1.5.2 may wedge its pipe clean-up (see net/pipeguard.h);
 * then closed connections keep their descriptors. Two signs, checked
 * about once a second: a connection we closed whose removal never came
 * (close_stuck), or more descriptors open than connections + reserve for
 * LEAK_TICKS checks in a row. Either makes leak_suspected (status, a log
 * line). When suspected and the descriptors or the RPC connections near
 * their cap, the node cannot serve much longer: it stops cleanly and
 * exits NT_EXIT_RESTART for the service manager to restart it, which is
 * the only way to get nng's reaper back. A clean stop keeps every safety
 * rule (sign-state, WAL); waiting until open() fails would not be clean. */
#include "node/log.h"
#include "node/node.h"
#include "node/node_internal.h"

#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <sys/resource.h>

#define OWN_FILES 32
#define LEAK_TICKS 5
/* Without a configured cap, RPC connections stop here even when the
 * descriptor budget allows more: each may pin a request buffer
 * (docs/OPERATIONS.md, memory bound). */
#define RPC_CONNS_DEFAULT_MAX 256
#define PEER_CONNS_SLACK 4

int nd_net_fds_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0; /* the directory's own descriptor */
}

static uint64_t raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			nt_log(NT_LOG_INFO, "descriptor limit raised from %llu to %llu",
			       (unsigned long long)was, (unsigned long long)rl.rlim_max);
		else
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? UINT32_MAX : (uint64_t)rl.rlim_cur;
}

int nd_net_plan(node *n)
{
	const nt_config *c = &n->cfg;
	uint64_t lim = raise_nofile();
	unsigned reserve = NT_KV_LEVELDB_MAX_OPEN_FILES + 16 + OWN_FILES + 2 * (unsigned)c->npeers;
	uint64_t avail = lim > reserve ? lim - reserve : 0;
	uint64_t peer = c->max_peer_conns > 0 ? c->max_peer_conns
					      : 2 * (uint64_t)c->npeers + PEER_CONNS_SLACK;
	uint64_t rpc = c->max_rpc_conns;
	if (avail < peer + 4) {
		nt_log(NT_LOG_ERROR,
		       "the descriptor limit (%" PRIu64 ") leaves too few for connections: the "
		       "node keeps %u for its own files and needs %" PRIu64
		       " for peers; raise it (ulimit -n, LimitNOFILE=)",
		       lim, reserve, peer + 4);
		return 1;
	}
	if (rpc == 0)
		rpc = avail - peer < RPC_CONNS_DEFAULT_MAX ? avail - peer : RPC_CONNS_DEFAULT_MAX;
	if (rpc + peer > avail) {
		uint64_t fit = avail - peer;
		nt_log(NT_LOG_WARN,
		       "net.max_rpc_conns %" PRIu64 " does not fit the descriptor limit %" PRIu64
		       " (reserve %u, peers %" PRIu64 "): using %" PRIu64,
		       rpc, lim, reserve, peer, fit);
		rpc = fit;
	}
	n->net.fd_limit = lim;
	n->net.reserve = reserve;
	n->net.rpc_cap = (unsigned)rpc;
	n->net.peer_cap = (unsigned)peer;
	nt_log(NT_LOG_INFO,
	       "descriptors: limit %" PRIu64 ", %u reserved for the node's files; at most %u "
	       "client and %u peer connections",
	       lim, reserve, n->net.rpc_cap, n->net.peer_cap);
	return 0;
}

void nd_net_tick(node *n, uint64_t now)
{
	if (now < n->net.next_check)
		return;
	n->net.next_check = now + 1000;
	nt_conn_stats rs, ps;
	nt_rpc_server_stats(n->srv, &rs);
	nt_peer_stats(n->peer, &ps);
	int fds = nd_net_fds_open();
	unsigned conns = rs.open + ps.open;
	bool over = fds >= 0 && (uint64_t)fds > (uint64_t)conns + n->net.reserve;
	n->net.over_ticks = over ? n->net.over_ticks + 1 : 0;
	unsigned stuck = rs.close_stuck + ps.close_stuck;
	bool suspected = stuck > 0 || n->net.over_ticks >= LEAK_TICKS;
	if (suspected && !n->net.suspected)
		nt_log(NT_LOG_ERROR,
		       "descriptor leak suspected: %d descriptors open for %u connections "
		       "(reserve %u); %u closed connections not cleaned up by nng after %d s",
		       fds, conns, n->net.reserve, stuck, NT_CONN_STUCK_MS / 1000);
	else if (!suspected && n->net.suspected)
		nt_log(NT_LOG_INFO, "descriptor leak no longer suspected (%d open)", fds);
	n->net.suspected = suspected;
	if (!suspected || n->net.restart)
		return;
	bool fds_near = fds >= 0 && (uint64_t)fds + n->net.reserve / 2 >= n->net.fd_limit;
	bool rpc_full = n->net.rpc_cap > 0 && rs.open >= n->net.rpc_cap;
	if (fds_near || rpc_full) {
		nt_log(NT_LOG_ERROR,
		       "the connection clean-up is wedged and the node is near its %s limit "
		       "(%d descriptors of %" PRIu64 ", %u of %u client connections): stopping "
		       "cleanly to be restarted (exit %d)",
		       fds_near ? "descriptor" : "connection", fds, n->net.fd_limit, rs.open,
		       n->net.rpc_cap, NT_EXIT_RESTART);
		n->net.restart = true;
	}
}

void nd_net_status(node *n, void *obj)
{
	json_t *o = obj;
	nt_conn_stats rs, ps;
	nt_rpc_server_stats(n->srv, &rs);
	nt_peer_stats(n->peer, &ps);
	int fds = nd_net_fds_open();
	json_object_set_new(o, "fds_open", json_integer(fds));
	json_object_set_new(o, "fds_limit", json_integer((json_int_t)n->net.fd_limit));
	json_object_set_new(o, "rpc_conns", json_integer(rs.open));
	json_object_set_new(o, "rpc_conns_max", json_integer(n->net.rpc_cap));
	json_object_set_new(o, "peer_conns", json_integer(ps.open));
	json_object_set_new(o, "peer_conns_max", json_integer(n->net.peer_cap));
	json_object_set_new(o, "conns_refused", json_integer((json_int_t)(rs.refused + ps.refused)));
	json_object_set_new(o, "conns_idle_closed", json_integer((json_int_t)rs.idle_closed));
	json_object_set_new(o, "conns_flood_closed", json_integer((json_int_t)rs.flood_closed));
	json_object_set_new(o, "peer_conns_unauth_closed",
			    json_integer((json_int_t)ps.unauth_closed));
	json_object_set_new(o, "replies_shed", json_integer((json_int_t)rs.shed));
	json_object_set_new(o, "reply_bytes", json_integer((json_int_t)rs.reply_bytes));
	json_object_set_new(o, "conns_close_stuck", json_integer(rs.close_stuck + ps.close_stuck));
	json_object_set_new(o, "leak_suspected", json_boolean(n->net.suspected));
}
