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

/* Closes the socket and waits for callbacks to finish; NULL is a no-op.
 * Requests not yet replied to are abandoned (their clients see a timeout). */
void nt_rpc_server_stop(nt_rpc_server *s);

#endif
