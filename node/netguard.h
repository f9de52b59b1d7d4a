/* The node's descriptor budget and connection-leak watchdog, as pure
 * functions of what was measured (node/netguard.c explains the budget;
 * docs/OPERATIONS.md the operator's side). */
#ifndef NT_NETGUARD_H
#define NT_NETGUARD_H

#include <stdbool.h>
#include <stdint.h>

/* Checks in a row with more descriptors than connections + reserve before
 * a leak is suspected (a burst of accepts and files is not a leak). */
#define ND_NET_LEAK_TICKS 5

typedef struct {
	unsigned reserve;  /* descriptors kept for the node's own files */
	unsigned rpc_cap;  /* client connections */
	unsigned peer_cap; /* peer connections */
} nd_net_caps;

/* Splits the descriptor limit lim for a node with npeers configured peers;
 * cfg_rpc / cfg_peer are the configured caps (0: derive). False when the
 * limit leaves too little for the peers (the node must not start). A
 * configured client cap that does not fit is lowered (*lowered set). */
bool nd_net_plan_caps(uint64_t lim, unsigned npeers, unsigned cfg_rpc, unsigned cfg_peer,
		      nd_net_caps *out, bool *lowered);

typedef struct {
	uint64_t fd_limit;
	nd_net_caps caps;
	unsigned over_ticks;
	bool suspected;
	bool restart;
} nd_net_watch;

typedef struct {
	int fds;	   /* descriptors open, -1 unknown */
	unsigned conns;	   /* client + peer connections open */
	unsigned rpc_open; /* client connections open */
	unsigned stuck;	   /* closed connections nng never cleaned up */
} nd_net_sample;

typedef enum {
	ND_NET_SAME = 0, /* nothing new to say */
	ND_NET_SUSPECT,	 /* a leak is now suspected */
	ND_NET_CLEARED,	 /* no longer suspected */
	ND_NET_RESTART,	 /* suspected and near a limit: stop to be restarted */
} nd_net_verdict;

/* One check (about a second apart); updates w. */
nd_net_verdict nd_net_judge(nd_net_watch *w, const nd_net_sample *s);

#endif
