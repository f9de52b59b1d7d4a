/* Peer transport: an nng bus0 mesh between the nodes of one network.
 *
 * Each node listens on its p2p URL and dials every peer's p2p URL; nng's
 * dialer reconnects by itself after a peer restarts. bus0 delivers every
 * sent message to every connected pipe, best effort, and never forwards:
 * the mesh must be full, which dialing every peer gives. A message may
 * arrive twice (A dialed B and B dialed A); consensus messages are
 * idempotent, so that is harmless.
 *
 * The transport knows nothing of message contents; node/ decodes and
 * authenticates (core/peermsg.h). */
#ifndef NT_PEER_H
#define NT_PEER_H

#include "base/err.h"
#include "net/connstats.h"
#include "net/sockwatch.h"
#include "net/tls.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nt_peer nt_peer;

/* Called on an nng worker thread with one received message (valid only
 * during the call). Must not block for long: copy and queue. */
typedef void (*nt_peer_handler)(void *arg, const uint8_t *msg, size_t len);

/* Listens on listen_url and dials each of the ndial URLs (non-blocking;
 * unreachable peers are retried by nng). Messages above max_msg are dropped
 * by nng and counted. */
nt_err nt_peer_start(const char *listen_url, const char *const *dial_urls, size_t ndial,
		     size_t max_msg, nt_peer_handler h, void *arg, nt_peer **out,
		     nt_why *why) NT_MUST_CHECK;

/* Limits on the peer connections (zero members: no limit). */
typedef struct {
	unsigned max_conns; /* connections beyond it are closed at once */
	uint32_t auth_ms;   /* an inbound connection whose messages did not pass
			     * authentication (nt_peer_authentic) in this time is
			     * closed: only validators' nodes belong on this port */
	/* TLS (net/tls.h): for a tls+tcp:// listen URL, listen_tls (required);
	 * for the i-th dial URL, dial_tls[i] when it is tls+tcp:// (required
	 * there). The structs are read during the call only. */
	const nt_tls_opts *listen_tls;
	const nt_tls_opts *const *dial_tls;
} nt_peer_limits;

/* As nt_peer_start, with limits (NULL: none). */
nt_err nt_peer_start_ex(const char *listen_url, const char *const *dial_urls, size_t ndial,
			size_t max_msg, const nt_peer_limits *lim, nt_peer_handler h, void *arg,
			nt_peer **out, nt_why *why) NT_MUST_CHECK;

/* Called from inside the handler: the message being handled passed
 * authentication, so its connection is a peer's. Elsewhere a no-op. */
void nt_peer_authentic(void);

/* Connection counters (any thread). */
void nt_peer_stats(nt_peer *p, nt_conn_stats *out);
/* Handshakes the tls+tcp:// listener refused: a certificate that is not
 * pinned, or no TLS spoken (0 for a plain listener). Takes a snapshot of
 * nng's statistics: call it about once a second at most. */
uint64_t nt_peer_tls_refused(nt_peer *p);

/* Hands the p2p port to a connection watch (net/sockwatch.h): accepted
 * connections still in their handshake are bounded. */
void nt_peer_watch(nt_peer *p, nt_sockwatch *w);

/* Sends to every connected peer (copies msg). Never blocks: when a peer's
 * queue is full the message is dropped for it (consensus retries by
 * timeouts and re-broadcast).
 * NT_ERR_FULL: the socket's own queue is full and the message was dropped
 * for every peer (not an error of the transport; nothing to do but count). */
nt_err nt_peer_broadcast(nt_peer *p, const uint8_t *msg, size_t len) NT_MUST_CHECK;

/* Number of currently connected pipes (inbound + outbound). */
unsigned nt_peer_connected(const nt_peer *p);

/* Closes the socket and waits for callbacks to finish, within about
 * NT_PEER_STOP_MS; NULL is a no-op. False when nng did not finish closing
 * in time (nng 1.5.2's nng_close can deadlock under a message flood): the
 * transport is then abandoned, allocated, to nng; the handler is not
 * called again, except that one already running may still be finishing,
 * so its arg must stay valid (exit the process soon). */
#define NT_PEER_STOP_MS 4000
bool nt_peer_stop(nt_peer *p);

#endif
