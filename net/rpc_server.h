/* JSON-RPC transport: an nng REP socket with many requests in flight.
 *
 * Each of nctx nng contexts waits for a request; the handler runs on an nng
 * worker thread, and the request stays open until nt_rpc_reply is called
 * (from any thread, possibly much later: a submit that waits for its block).
 * The transport knows nothing of JSON; node/ does. */
#ifndef NT_RPC_SERVER_H
#define NT_RPC_SERVER_H

#include "core/err.h"

typedef struct nt_rpc_server nt_rpc_server;
typedef struct nt_rpc_req nt_rpc_req;

/* body is NUL-terminated (len excludes the NUL) and valid only during the
 * call. The handler must arrange exactly one nt_rpc_reply for req. */
typedef void (*nt_rpc_handler)(void *arg, nt_rpc_req *req, const char *body, size_t len);

/* Listens on url (e.g. tcp://127.0.0.1:7400). Messages above max_msg bytes
 * are answered by the server itself with the JSON-RPC error -32004
 * ("request too large"), not dropped. */
nt_err nt_rpc_server_start(const char *url, unsigned nctx, size_t max_msg, nt_rpc_handler h,
			   void *arg, nt_rpc_server **out, nt_why *why) NT_MUST_CHECK;

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
