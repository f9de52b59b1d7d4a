/* JSON-RPC 2.0 methods of docs/RPC.md.
 *
 * Threads: nt_rpc_parse runs on the transport's threads (it only reads
 * the request, and for submit decodes the record and verifies its
 * signature, the expensive part, in parallel). The nt_rpc_exec_* and
 * nt_rpc_record_reply functions read the ledger only through env->reader
 * (core/ledger.h: safe from any thread) and nothing else of the node but
 * the values in env, so they run on any thread: notaryd answers queries on
 * the RPC threads and status, submit and waiters on its loop. Every reply
 * is a complete JSON-RPC message, malloc'd; NULL only when memory ran out. */
#ifndef NT_RPC_H
#define NT_RPC_H

#include "base/err.h"
#include "base/types.h"
#include "core/ledger.h"
#include "core/record.h"
#include "crypto/keys.h"
#include "net/rpc_codes.h"
#include "net/rpc_server.h"

#include <jansson.h>
#include <stdarg.h>

/* The transport's own answers (nt_rpc_fault_fn of net/rpc_server.h) as
 * JSON-RPC errors with a null id: TOO_LARGE -32004 "request too large (N
 * bytes, limit M)", NOMEM -32603 "out of memory", BUSY -32003 "node is
 * busy (too many large replies pending); retry later". node/rpc_fault.c. */
size_t nt_rpc_fault_reply(nt_rpc_fault fault, size_t len, size_t limit, char *buf, size_t cap);

/* Requests above this are answered -32004 by the transport. */
#define NT_RPC_MAX_MSG (1024u * 1024u)
#define NT_RPC_WAIT_MAX_MS 60000
#define NT_RPC_FIND_MAX 100
/* sync: blocks per reply (max parameter) and the reply size it stops before. */
#define NT_RPC_SYNC_MAX 100
#define NT_RPC_SYNC_DEFAULT 20
#define NT_RPC_SYNC_REPLY_MAX (4u * 1024 * 1024)

typedef enum {
	NT_RPC_SUBMIT,
	NT_RPC_RECEIPT,
	NT_RPC_FIND,
	NT_RPC_STATUS,
	NT_RPC_BLOCK,
	NT_RPC_VALIDATORS,
	NT_RPC_SYNC,
	NT_RPC_VALSET_APPROVE, /* the loop: node/valset_host.c */
	NT_RPC_VALSET_PENDING,
	NT_RPC_RELOAD, /* the operator's socket only: re-read access lists */
} nt_rpc_method;

/* The method's name ("submit", ...); NULL for a value that is none. */
const char *nt_rpc_method_name(nt_rpc_method m);

/* A parsed, validated request. */
typedef struct {
	nt_rpc_method method;
	char *id;	   /* the request id as JSON text ("1", "\"a\"", "null") */
	uint32_t wait_ms;  /* submit, receipt */
	nt_hash record_id; /* submit (computed), receipt */
	uint8_t *record;   /* submit: the encoded record, verified */
	size_t record_len;
	int alg; /* find */
	uint8_t digest[64];
	size_t digest_len;
	uint64_t height; /* block; sync: from */
	uint32_t max;	 /* sync */
	uint8_t *change; /* valset_approve: the change's wire form */
	size_t change_len;
	nt_pubkey submitter; /* submit: the record's key (verified) */
	/* A signed request (params "auth", docs/RPC.md): the key whose
	 * signature verified over the method, the other params and time.
	 * The node checks time against its clock and the key against its
	 * lists (node/access.c). */
	bool auth;
	nt_pubkey client;
	uint64_t auth_time_ms;
} nt_rpc_call;

/* Parses body. On NT_OK *out holds the call (free with nt_rpc_call_free).
 * Otherwise *err_reply is the error reply to send (code and message of
 * docs/RPC.md), and the return value says why (never NT_OK). */
nt_err nt_rpc_parse(const char *body, size_t len, nt_rpc_call *out, char **err_reply) NT_MUST_CHECK;
void nt_rpc_call_free(nt_rpc_call *c);

/* Batches (docs/RPC.md): a JSON array of 1..NT_RPC_BATCH_MAX request
 * objects, answered by one array with a response per element, in request
 * order. The answers of one batch together are held to
 * NT_RPC_BATCH_REPLY_MAX bytes (elements past it get -32004), so a batch of
 * large queries cannot make the node hold hundreds of 4 MiB replies. */
#define NT_RPC_BATCH_MAX 256
#define NT_RPC_BATCH_REPLY_MAX (16u * 1024 * 1024)

/* Whether body is a batch: its first non-whitespace byte is '['. */
bool nt_rpc_is_batch(const char *body, size_t len);

/* Parses a batch. On NT_OK, *n is the element count (1..NT_RPC_BATCH_MAX)
 * and *calls, *errs are malloc'd arrays of n: element i is either a parsed
 * call (errs[i] == NULL) or not (errs[i] is its error reply and calls[i]
 * is zeroed). Free with nt_rpc_batch_parsed_free. Otherwise *err_reply is
 * the single error reply for the whole message (not JSON, not an array,
 * empty, too many elements; NULL when out of memory). */
nt_err nt_rpc_parse_batch(const char *body, size_t len, nt_rpc_call **calls, char ***errs,
			  size_t *n, char **err_reply) NT_MUST_CHECK;
void nt_rpc_batch_parsed_free(nt_rpc_call *calls, char **errs, size_t n);

/* "[r0,r1,...]" from n complete replies (a NULL one becomes an internal
 * error with id null); NULL when out of memory. */
char *nt_rpc_batch_join(char *const *replies, size_t n);

/* ---- signed requests and limits (node/rpc_auth.c) ---- */

/* The tag of a signed request's message: BIP-340 signature by the client
 * key over TH(tag, method || 0x00 || canonical params || 0x00 ||
 * u64 big-endian time_ms), where canonical params are the request's params
 * object without "auth", compact, members sorted by name, printable ASCII
 * only ({} when absent). docs/RPC.md "Signed requests". */
#define NT_RPC_AUTH_TAG "notary/rpc-auth"

/* The message hash of a signed request. NT_ERR_ARG if the params (without
 * "auth") hold characters outside printable ASCII, which have no single
 * canonical form across JSON libraries. */
nt_err nt_rpc_auth_hash(const char *method, json_t *params, uint64_t time_ms,
			nt_hash *out) NT_MUST_CHECK;
/* Takes params["auth"] out of params, checks its form and signature and
 * fills c->auth, c->client, c->auth_time_ms. No "auth": NT_OK, c->auth
 * false. Otherwise on failure msg says why (-32009 for the caller). */
nt_err nt_rpc_auth_take(const char *method, json_t *params, nt_rpc_call *c, char *msg,
			size_t cap) NT_MUST_CHECK;
/* A client's side: adds "auth" to params, signed by k at time_ms. */
nt_err nt_rpc_auth_add(json_t *params, const char *method, const nt_seckey *k,
		       uint64_t time_ms) NT_MUST_CHECK;
/* An error reply with {"data": {"retry_after_ms": N}}. */
char *nt_rpc_error_retry(const char *id, int code, uint64_t retry_ms, const char *fmt, ...)
    NT_PRINTF(4, 5);

/* Replies built from parts. id is JSON text (NULL means null). */
char *nt_rpc_error(const char *id, int code, const char *fmt, ...) NT_PRINTF(3, 4);
/* A result reply from a jansson value (taken); NULL: out of memory. */
char *nt_rpc_reply_json(const char *id, json_t *result);
/* [{"index","name","pubkey"}...] of a validator set. */
json_t *nt_rpc_valset_json(const nt_valset *s);
/* result is JSON text. */
char *nt_rpc_result(const char *id, const char *result);

/* What a method may read: the ledger as of a reader's tip, and values. */
typedef struct {
	const nt_ledger_reader *reader;
	nt_pubkey node_pubkey;
	bool is_validator;
	const char *version;
	/* status only: the mempool's size, and (may be NULL) a JSON object
	 * whose members are added to the status result (consensus round/step,
	 * peers, drop counters), filled in by the loop that owns them. */
	uint64_t mempool_records, mempool_bytes;
	const char *status_extra;
	/* Store reads that found corrupt data, bumped atomically from any
	 * thread (nt_rpc_note_store_error); status shows it as
	 * store_corruptions. May be NULL. */
	uint64_t *store_corruptions;
} nt_rpc_env;

/* A store read of what (e.g. "block 12") failed with e. Corruption
 * (NT_ERR_CORRUPT: a LevelDB checksum mismatch, or stored bytes that do not
 * decode) is counted in env->store_corruptions and logged with the remedy
 * (notary audit), on the 1st, 2nd, 4th, 8th... occurrence so that a client
 * asking again and again cannot flood the log. Other errors: nothing. Any
 * thread. */
void nt_rpc_note_store_error(const nt_rpc_env *env, nt_err e, const char *what);

/* status, validators, block, find, sync. */
char *nt_rpc_exec_query(const nt_rpc_env *env, const nt_rpc_call *c);

/* sync (node/rpc_sync.c): blocks c->height.. with their commits and the
 * last commits their headers name. */
char *nt_rpc_exec_sync(const nt_rpc_env *env, const nt_rpc_call *c);

/* The submit / receipt answer for a record: committed (with height and
 * receipt) when the ledger holds it, else {"status":"pending"}. */
char *nt_rpc_record_reply(const nt_rpc_env *env, const char *id, const nt_hash *record_id);
/* The committed answer from a receipt's JSON text (e.g. from
 * nt_ledger_block_receipts): the same bytes nt_rpc_record_reply gives. */
char *nt_rpc_committed_reply(const char *id, const nt_hash *record_id, uint64_t height,
			     const char *receipt_json);

#endif
