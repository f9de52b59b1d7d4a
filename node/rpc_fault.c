/* The transport's own answers (net/rpc_server.h, nt_rpc_fault) as
 * JSON-RPC errors with a null id (docs/RPC.md). No allocation: one of
 * them says that memory ran out. */
#include "node/rpc.h"

#include <stdio.h>

size_t nt_rpc_fault_reply(nt_rpc_fault fault, size_t len, size_t limit, char *buf, size_t cap)
{
	char msg[100];
	int code;
	switch (fault) {
	case NT_RPC_FAULT_TOO_LARGE:
		code = NT_RPC_E_TOO_LARGE;
		snprintf(msg, sizeof msg, "request too large (%zu bytes, limit %zu)", len, limit);
		break;
	case NT_RPC_FAULT_BUSY:
		code = NT_RPC_E_BUSY;
		snprintf(msg, sizeof msg,
			 "node is busy (too many large replies pending); retry later");
		break;
	case NT_RPC_FAULT_NOMEM:
	default:
		code = NT_RPC_E_INTERNAL;
		snprintf(msg, sizeof msg, "out of memory");
		break;
	}
	/* The messages are ASCII without quotes or backslashes: no escaping. */
	int n =
	    snprintf(buf, cap,
		     "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":%d,\"message\":\"%s\"}}",
		     code, msg);
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}
