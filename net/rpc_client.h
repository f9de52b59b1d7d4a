/* JSON-RPC transport, client side: an nng REQ socket. */
#ifndef NT_RPC_CLIENT_H
#define NT_RPC_CLIENT_H

#include "base/err.h"
#include "net/tls.h"

typedef struct nt_rpc_client nt_rpc_client;

/* Dials url. The dial is non-blocking in nng; a node that is not running is
 * reported by the first call (NT_ERR_NET / NT_ERR_TIMEOUT). */
nt_err nt_rpc_client_open(const char *url, nt_rpc_client **out, nt_why *why) NT_MUST_CHECK;
/* As nt_rpc_client_open; a tls+tcp:// url needs tls (read during the call
 * only): its ca_pem is what the client trusts (no host name is checked:
 * ca_pem pins the node's certificate). */
nt_err nt_rpc_client_open_ex(const char *url, const nt_tls_opts *tls, nt_rpc_client **out,
			     nt_why *why) NT_MUST_CHECK;

/* Sends req and waits up to timeout_ms for the reply. *resp is malloc'd and
 * NUL-terminated; caller frees. NT_ERR_TIMEOUT / NT_ERR_NET with why saying
 * e.g. "no node answered at tcp://127.0.0.1:7400 within 5 s". */
nt_err nt_rpc_client_call(nt_rpc_client *c, const char *req, size_t len, int timeout_ms,
			  char **resp, size_t *resp_len, nt_why *why) NT_MUST_CHECK;

void nt_rpc_client_close(nt_rpc_client *c);

#endif
