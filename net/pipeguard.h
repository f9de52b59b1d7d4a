/* Connection guard for one nng socket: a cap on open pipes, per-pipe
 * requests in flight, idle and unauthenticated pipes closed after a
 * timeout, and a watchdog on nng's clean-up path.
 *
 * Internal to net/ (it speaks nng types); node/ sees only the counters
 * through nt_rpc_server_stats and nt_peer_stats.
 *
 * Why a watchdog: nng 1.5.2 removes a closed pipe (and closes its
 * descriptor) on its reaper thread. Deadlocks of that path were reported
 * upstream (nanomsg/nng #1543, fixed after 1.5.2, a first fix backed out);
 * when it wedges, every later pipe keeps its descriptor. Here each pipe we
 * close is remembered until its NNG_PIPE_EV_REM_POST arrives; one whose
 * removal has not come after NT_PIPEGUARD_STUCK_MS is counted as stuck. */
#ifndef NT_PIPEGUARD_H
#define NT_PIPEGUARD_H

#include "base/err.h"
#include "net/connstats.h"
#include "net/sockwatch.h"

#include <nng/nng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NT_PIPEGUARD_STUCK_MS NT_CONN_STUCK_MS

typedef struct {
	unsigned max_pipes;    /* 0: no cap */
	unsigned max_inflight; /* per pipe; 0: no bound */
	uint32_t idle_ms;      /* no request in flight and none completed: close; 0 never */
	uint32_t auth_ms;      /* inbound pipe not marked authentic in time: close; 0 never */
	/* Replies (rpc): bytes held at once across all pipes. A reply of more
	 * than shed_min bytes that would pass it is refused (shed). 0: none. */
	uint64_t reply_budget;
	uint64_t shed_min;
} nt_pipeguard_opts;

typedef nt_conn_stats nt_pipeguard_stats;

typedef struct nt_pipeguard nt_pipeguard;

/* Registers the pipe callbacks on sock (before it listens or dials) and
 * starts the reaper thread. On NT_OK the caller owns *out; free it only
 * after nng_close(sock) returned. */
nt_err nt_pipeguard_attach(nng_socket sock, const nt_pipeguard_opts *o, nt_pipeguard **out,
			   nt_why *why) NT_MUST_CHECK;

/* A request arrived on p. False when p now has more than max_inflight
 * requests in flight: p is being closed, do not answer it. */
bool nt_pipeguard_begin(nt_pipeguard *g, nng_pipe p);
/* The request on p ends without a reply (p is closing, or nothing could
 * be allocated). */
void nt_pipeguard_end(nt_pipeguard *g, nng_pipe p);

/* A reply of len bytes is about to be queued for p. False: over the reply
 * budget, send a short refusal instead (not counted). On true, exactly one
 * nt_pipeguard_reply_done follows.
 *
 * Memory accounting follows nng's rep0: a context's send completes when
 * the pipe took the message, which it then writes while later replies
 * wait; so reply k is known written only when reply k+1 completes. The
 * last reply of a pipe stays counted until the next one or the pipe's
 * removal: a client that never reads keeps it counted, not forgotten. */
bool nt_pipeguard_reply_begin(nt_pipeguard *g, nng_pipe p, size_t len);
/* The context's send of that reply completed (ok) or failed; ends the
 * request (as nt_pipeguard_end). On failure the pipe is closed. */
void nt_pipeguard_reply_done(nt_pipeguard *g, nng_pipe p, size_t len, bool ok);
/* A message on p passed authentication, or simply arrived (activity). */
void nt_pipeguard_authentic(nt_pipeguard *g, nng_pipe p);
void nt_pipeguard_activity(nt_pipeguard *g, nng_pipe p);
/* Closes p now (a reply that could not leave); counted as a flood. */
void nt_pipeguard_close(nt_pipeguard *g, nng_pipe p);

/* The client addresses of the inbound pipes: writes min(cap, count) to
 * out, returns count (call again with more room when it is larger). */
size_t nt_pipeguard_inbound(nt_pipeguard *g, nt_addrkey *out, size_t cap);

/* The TCP port listener l is bound to; 0 for ipc:// or unknown. */
uint16_t nt_listener_port(nng_listener l);

void nt_pipeguard_stats_get(nt_pipeguard *g, nt_pipeguard_stats *out);

/* Stops the reaper; NULL is a no-op. Call after nng_close(sock). */
void nt_pipeguard_free(nt_pipeguard *g);

#endif
