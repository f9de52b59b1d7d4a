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
 * ND_NET_LEAK_TICKS checks in a row. Either makes leak_suspected (status, a log
 * line). When suspected and the descriptors or the RPC connections near
 * their cap, the node cannot serve much longer: it stops cleanly and
 * exits NT_EXIT_RESTART for the service manager to restart it, which is
 * the only way to get nng's reaper back. A clean stop keeps every safety
 * rule (sign-state, WAL); waiting until open() fails would not be clean. */
#include "node/netguard.h"

#include "node/kv_leveldb.h"
#include "node/log.h"
#include "node/node.h"
#include "node/node_internal.h"

#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <malloc.h>
#include <sys/resource.h>

#define OWN_FILES 32
/* Without a configured cap, RPC connections stop here even when the
 * descriptor budget allows more: each may pin a request buffer
 * (docs/OPERATIONS.md, memory bound). */
#define RPC_CONNS_DEFAULT_MAX 512
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

bool nd_net_plan_caps(uint64_t lim, unsigned npeers, unsigned cfg_rpc, unsigned cfg_peer,
		      nd_net_caps *out, bool *lowered)
{
	unsigned reserve = NT_KV_LEVELDB_MAX_OPEN_FILES + 16 + OWN_FILES + 2 * npeers;
	uint64_t avail = lim > reserve ? lim - reserve : 0;
	uint64_t peer = cfg_peer > 0 ? cfg_peer : 2 * (uint64_t)npeers + PEER_CONNS_SLACK;
	*lowered = false;
	out->reserve = reserve;
	if (avail < peer + 4)
		return false;
	uint64_t rpc = cfg_rpc;
	if (rpc == 0)
		rpc = avail - peer < RPC_CONNS_DEFAULT_MAX ? avail - peer : RPC_CONNS_DEFAULT_MAX;
	if (rpc + peer > avail) {
		rpc = avail - peer;
		*lowered = true;
	}
	out->rpc_cap = (unsigned)rpc;
	out->peer_cap = (unsigned)peer;
	return true;
}

/* Blocks of a megabyte or more (proposals, sync replies, requests near the
 * size limits) come from mmap and go back to the system when freed. By
 * default glibc raises that threshold after the first large free and then
 * keeps such blocks in its heaps: a flood of 15 MB junk proposals left
 * 578 MB resident after it ended (it_cluster test_g), so the memory bound
 * would hold only for live data. The cost is a page fault per page of
 * each such block, small beside what the block is used for. */
#define MMAP_THRESHOLD (1 << 20)

int nd_net_plan(node *n)
{
	const nt_config *c = &n->cfg;
	if (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1)
		nt_log(NT_LOG_WARN, "cannot set the allocator's mmap threshold");
	uint64_t lim = raise_nofile();
	nd_net_caps caps;
	bool lowered;
	if (!nd_net_plan_caps(lim, (unsigned)c->npeers, c->max_rpc_conns, c->max_peer_conns, &caps,
			      &lowered)) {
		nt_log(NT_LOG_ERROR,
		       "the descriptor limit (%" PRIu64 ") leaves too few for connections: the "
		       "node keeps %u for its own files; raise it (ulimit -n, LimitNOFILE=)",
		       lim, caps.reserve);
		return 1;
	}
	if (lowered)
		nt_log(NT_LOG_WARN,
		       "net.max_rpc_conns %u does not fit the descriptor limit %" PRIu64
		       " (reserve %u, peers %u): using %u",
		       c->max_rpc_conns, lim, caps.reserve, caps.peer_cap, caps.rpc_cap);
	n->net.fd_limit = lim;
	n->net.caps = caps;
	nt_log(NT_LOG_INFO,
	       "descriptors: limit %" PRIu64 ", %u reserved for the node's files; at most %u "
	       "client and %u peer connections",
	       lim, caps.reserve, caps.rpc_cap, caps.peer_cap);
	return 0;
}

nd_net_verdict nd_net_judge(nd_net_watch *w, const nd_net_sample *s)
{
	bool over = s->fds >= 0 && (uint64_t)s->fds > (uint64_t)s->conns + w->caps.reserve;
	w->over_ticks = over ? w->over_ticks + 1 : 0;
	bool suspected = s->stuck > 0 || w->over_ticks >= ND_NET_LEAK_TICKS;
	bool was = w->suspected;
	w->suspected = suspected;
	if (!suspected)
		return was ? ND_NET_CLEARED : ND_NET_SAME;
	if (!w->restart) {
		bool fds_near =
		    s->fds >= 0 && (uint64_t)s->fds + w->caps.reserve / 2 >= w->fd_limit;
		bool rpc_full = w->caps.rpc_cap > 0 && s->rpc_open >= w->caps.rpc_cap;
		if (fds_near || rpc_full) {
			w->restart = true;
			return ND_NET_RESTART;
		}
	}
	return was ? ND_NET_SAME : ND_NET_SUSPECT;
}

void nd_net_tick(node *n, uint64_t now)
{
	if (now < n->net_next_check)
		return;
	n->net_next_check = now + 1000;
	nt_conn_stats rs, ps;
	nt_rpc_server_stats(n->front.srv, &rs);
	nt_peer_stats(n->gossip.peer, &ps);
	nd_net_sample s = {.fds = nd_net_fds_open(),
			   .conns = rs.open + ps.open,
			   .rpc_open = rs.open,
			   .stuck = rs.close_stuck + ps.close_stuck};
	nd_tls_tick(n);
	nd_connwatch_tick(n);
	bool was = n->net.suspected;
	switch (nd_net_judge(&n->net, &s)) {
	case ND_NET_SUSPECT:
		nt_log(NT_LOG_ERROR,
		       "descriptor leak suspected: %d descriptors open for %u connections "
		       "(reserve %u); %u closed connections not cleaned up by nng after %d s",
		       s.fds, s.conns, n->net.caps.reserve, s.stuck, NT_CONN_STUCK_MS / 1000);
		break;
	case ND_NET_CLEARED:
		nt_log(NT_LOG_INFO, "descriptor leak no longer suspected (%d open)", s.fds);
		break;
	case ND_NET_RESTART:
		if (!was)
			nt_log(NT_LOG_ERROR,
			       "descriptor leak suspected: %d descriptors open for %u connections "
			       "(reserve %u); %u closed connections not cleaned up by nng",
			       s.fds, s.conns, n->net.caps.reserve, s.stuck);
		nt_log(NT_LOG_ERROR,
		       "the connection clean-up is wedged and the node is near its limits "
		       "(%d descriptors of %" PRIu64 ", %u of %u client connections): stopping "
		       "cleanly to be restarted (exit %d)",
		       s.fds, n->net.fd_limit, s.rpc_open, n->net.caps.rpc_cap, NT_EXIT_RESTART);
		break;
	default:
		break;
	}
}

void nd_net_status(const node *n, struct json_t *o)
{
	nt_conn_stats rs, ps;
	nt_rpc_server_stats(n->front.srv, &rs);
	nt_peer_stats(n->gossip.peer, &ps);
	int fds = nd_net_fds_open();
	json_object_set_new(o, "fds_open", json_integer(fds));
	json_object_set_new(o, "fds_limit", json_integer((json_int_t)n->net.fd_limit));
	json_object_set_new(o, "rpc_conns", json_integer(rs.open));
	json_object_set_new(o, "rpc_conns_max", json_integer(n->net.caps.rpc_cap));
	json_object_set_new(o, "peer_conns", json_integer(ps.open));
	json_object_set_new(o, "peer_conns_max", json_integer(n->net.caps.peer_cap));
	json_object_set_new(o, "conns_refused",
			    json_integer((json_int_t)(rs.refused + ps.refused)));
	json_object_set_new(o, "conns_idle_closed", json_integer((json_int_t)rs.idle_closed));
	json_object_set_new(o, "conns_flood_closed", json_integer((json_int_t)rs.flood_closed));
	json_object_set_new(o, "peer_conns_unauth_closed",
			    json_integer((json_int_t)ps.unauth_closed));
	json_object_set_new(o, "replies_shed", json_integer((json_int_t)rs.shed));
	json_object_set_new(o, "reply_bytes", json_integer((json_int_t)rs.reply_bytes));
	json_object_set_new(o, "conns_close_stuck", json_integer(rs.close_stuck + ps.close_stuck));
	json_object_set_new(o, "leak_suspected", json_boolean(n->net.suspected));
	json_object_set_new(o, "peer_tls_refused",
			    json_integer((json_int_t)nt_peer_tls_refused(n->gossip.peer)));
	json_object_set_new(o, "rpc_tls_refused",
			    json_integer((json_int_t)nt_rpc_server_tls_refused(n->front.srv)));
	nd_connwatch_status(n, o);
}
