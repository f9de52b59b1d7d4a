/* The JSON-RPC error codes of the node's API (docs/RPC.md), in one place
 * for the node's methods (node/rpc.c), the transport's own answers (busy,
 * too large, out of memory: node/rpc_fault.c builds them for
 * net/rpc_server.c) and the CLI that reads them (tools/). */
#ifndef NT_RPC_CODES_H
#define NT_RPC_CODES_H

enum {
	NT_RPC_E_PARSE = -32700,     /* not JSON */
	NT_RPC_E_REQUEST = -32600,   /* not a valid request (e.g. a repeated member) */
	NT_RPC_E_METHOD = -32601,    /* no such method */
	NT_RPC_E_PARAMS = -32602,    /* bad parameters */
	NT_RPC_E_INTERNAL = -32603,  /* the node failed (out of memory) */
	NT_RPC_E_NOT_FOUND = -32001, /* no such record, block or digest */
	NT_RPC_E_RECORD = -32002,    /* the record is invalid */
	NT_RPC_E_BUSY = -32003,	     /* full: retry later */
	NT_RPC_E_TOO_LARGE = -32004, /* request above the size limit */
	NT_RPC_E_STORAGE = -32005,   /* the store failed or is damaged */
	NT_RPC_E_OBSERVER = -32006,  /* this node does not accept records */
	NT_RPC_E_RATE = -32007,	     /* rate limited: data.retry_after_ms */
	NT_RPC_E_SHARE = -32008,     /* the key's share of the mempool is used: retry_after_ms */
	NT_RPC_E_DENIED = -32009,    /* not a listed key, or a bad / stale signed request */
	NT_RPC_E_ADMIN = -32010,     /* only on the operator's socket (access.admin) */
};

#endif
