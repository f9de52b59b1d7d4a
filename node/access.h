/* Who may do what, and the fair limits (docs/OPERATIONS.md "Who may do
 * what", "Fair limits"; options access.* of docs/CONFIG.md).
 *
 * - Queries answer anyone unless access.public is 0: then only a signed
 *   request (docs/RPC.md) of a key listed in access.clients.
 * - submit takes records only of keys in access.submitters when that file
 *   is set (the record's own signature authenticates its key), at most
 *   submit_rate a second per key, and one key holds at most
 *   mempool_share_pct of the mempool.
 * - Each client connection gets conn_rate requests a second.
 * - valset_approve and reload are answered only on the operator's ipc://
 *   socket (access.admin) when it is configured.
 *
 * Threads: the lists and limiters are under acc.mu (RPC threads check,
 * the loop or an RPC thread reloads); counters are atomic. */
#ifndef NT_NODE_ACCESS_H
#define NT_NODE_ACCESS_H

#include "base/err.h"
#include "base/types.h"
#include "core/limiter.h"
#include "net/rpc_server.h"

#include <jansson.h>
#include <pthread.h>

typedef struct {
	pthread_mutex_t mu;
	bool mu_ok;
	nt_pubkey *subs; /* sorted; NULL: anyone may submit (under mu) */
	size_t nsubs;
	nt_pubkey *clients; /* sorted (under mu) */
	size_t nclients;
	nt_limiter *keys, *conns; /* under mu */
	nt_rpc_server *admin;	  /* the operator's socket; loop starts / stops it */
	/* atomic (relaxed): status "access" */
	uint64_t rate_limited, share_refused, denied, reloads;
} nd_access;

/* Keys of a list file: one 64-hex-digit key a line, '#' starts a comment,
 * blank lines skipped. On NT_OK *out is sorted and deduplicated (malloc'd;
 * NULL when empty) and *n its length. why names the file and line. */
nt_err nd_access_read_keys(const char *path, nt_pubkey **out, size_t *n, nt_why *why) NT_MUST_CHECK;

#endif
