/* JSON-RPC transport: an nng REP socket with many requests in flight.
 *
 * Each of nctx nng contexts waits for a request; the handler runs on an nng
 * worker thread, and the request stays open until nt_rpc_reply is called
 * (from any thread, possibly much later: a submit that waits for its block).
 * The transport knows nothing of JSON; node/ does. Even the few answers the
 * transport gives by itself (nt_rpc_fault) are built by its user's
 * nt_rpc_fault_fn (node/rpc.h: nt_rpc_fault_reply, JSON-RPC errors). */
#ifndef NT_RPC_SERVER_H
#define NT_RPC_SERVER_H

#include "base/err.h"
#include "net/connstats.h"
#include "net/sockwatch.h"
#include "net/tls.h"

#include <stddef.h>
#include <stdint.h>

typedef struct nt_rpc_server nt_rpc_server;
typedef struct nt_rpc_req nt_rpc_req;

/* body is NUL-terminated (len excludes the NUL) and valid only during the
 * call. The handler must arrange exactly one nt_rpc_reply for req. */
typedef void (*nt_rpc_handler)(void *arg, nt_rpc_req *req, const char *body, size_t len);

/* What the server answers by itself, without the handler. */
typedef enum {
	NT_RPC_FAULT_TOO_LARGE, /* a request above max_msg (len bytes, limit max_msg) */
	NT_RPC_FAULT_NOMEM,	/* no memory to take the request */
	NT_RPC_FAULT_BUSY,	/* a large reply past the reply budget (nt_rpc_limits) */
} nt_rpc_fault;

/* Writes the reply for fault into buf (cap bytes, at least
 * NT_RPC_FAULT_MAX) and returns its length; len and limit are the
 * request's size and max_msg (TOO_LARGE; 0 otherwise). Must not allocate
 * (it answers NOMEM) and may run on any nng thread. The server calls it
 * at start for NOMEM and BUSY (and keeps those bytes) and for each request
 * over the limit. */
typedef size_t (*nt_rpc_fault_fn)(nt_rpc_fault fault, size_t len, size_t limit, char *buf,
				  size_t cap);
#define NT_RPC_FAULT_MAX 256

/* Listens on url (e.g. tcp://127.0.0.1:7400). Messages above max_msg bytes
 * are answered by the server itself with fault's TOO_LARGE reply, not
 * dropped. NT_ERR_ARG if fault is NULL or a reply of it does not fit. */
nt_err nt_rpc_server_start(const char *url, unsigned nctx, size_t max_msg, nt_rpc_handler h,
			   nt_rpc_fault_fn fault, void *arg, nt_rpc_server **out,
			   nt_why *why) NT_MUST_CHECK;

/* Limits on the clients' connections (nt_rpc_server_start_ex); a zero
 * member means "no limit" for that member. */
typedef struct {
	unsigned max_conns;    /* connections beyond it are closed at once */
	unsigned max_inflight; /* requests in flight on one connection; more closes it */
	uint32_t idle_ms;      /* a connection with nothing in flight for this long is
				* closed (a half-sent request never completes: covered) */
	uint32_t send_ms;      /* a reply that cannot be queued in this time closes its
				* connection (a client that does not read) */
	uint64_t reply_budget; /* bytes of replies held at once; a larger reply past it
				* is replaced by the fault reply BUSY */
	/* The server's certificate for a tls+tcp:// url (required there;
	 * net/tls.h); read during the call only. */
	const nt_tls_opts *tls;
} nt_rpc_limits;
/* Replies up to this size are never shed by the reply budget. */
#define NT_RPC_SHED_MIN (64u * 1024)

/* As nt_rpc_server_start, with limits (NULL: none). The socket accepts
 * requests up to 2 * max_msg so that a request over the limit is still
 * answered (TOO_LARGE); a larger one closes the connection (nng allocates
 * what a frame's header claims: this bounds what one connection can pin). */
nt_err nt_rpc_server_start_ex(const char *url, unsigned nctx, size_t max_msg,
			      const nt_rpc_limits *lim, nt_rpc_handler h, nt_rpc_fault_fn fault,
			      void *arg, nt_rpc_server **out, nt_why *why) NT_MUST_CHECK;

/* Connection counters (any thread). */
void nt_rpc_server_stats(nt_rpc_server *s, nt_conn_stats *out);
/* Handshakes a tls+tcp:// listener refused (no TLS spoken, a client that
 * gave up on our certificate); 0 for a plain one. About once a second. */
uint64_t nt_rpc_server_tls_refused(nt_rpc_server *s);
/* Hands the client port (tcp:// or tls+tcp://, with limits) to a
 * connection watch (net/sockwatch.h). */
void nt_rpc_server_watch(nt_rpc_server *s, nt_sockwatch *w);

/* The id of the connection req came on (nng's pipe id: unique while the
 * server runs); 0 if unknown. For per-connection limits. */
uint32_t nt_rpc_req_conn(const nt_rpc_req *req);

/* Sends body as the reply and recycles the context. req is invalid after. */
void nt_rpc_reply(nt_rpc_req *req, const char *body, size_t len);

/* Stops the server within about timeout_ms: cancels the receives, lets
 * replies already passed to nt_rpc_reply leave (up to half the time), then
 * closes the socket and waits for the callbacks. Requests never replied to
 * are abandoned (their clients see the connection close): answer them
 * first. If closing does not finish in time, the server is left allocated
 * to nng (NT_RPC_STOP_ABANDONED: its handler may still be called, so its
 * arg must stay valid; exit the process soon). NULL is a no-op. */
typedef enum {
	NT_RPC_STOP_CLEAN = 0,
	NT_RPC_STOP_UNSENT,   /* closed, but some replies had not left in time */
	NT_RPC_STOP_ABANDONED /* nng_close did not return in time */
} nt_rpc_stop_result;
#define NT_RPC_STOP_MS 4000
nt_rpc_stop_result nt_rpc_server_stop(nt_rpc_server *s, unsigned timeout_ms);

#endif
