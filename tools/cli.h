/* The notary command-line tool: declarations shared by its subcommands.
 *
 * Only the CLI prints and exits (STYLE.md rule 11); everything here returns
 * exit codes or nt_err. Exit codes are part of the interface that scripts and
 * courts' tooling rely on: */
#ifndef NT_CLI_H
#define NT_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/err.h"
#include "base/types.h"
#include "core/version.h"
#include "crypto/keys.h"
#include "net/rpc_codes.h"
#include "tools/cli_settings.h"

enum {
	NT_EXIT_OK = 0,	     /* done; for verify: the receipt is valid */
	NT_EXIT_FAIL = 1,    /* failed, invalid, or not found */
	NT_EXIT_USAGE = 2,   /* usage error or unreadable input */
	NT_EXIT_PENDING = 3, /* submitted but not committed within the timeout */
};

#define NT_CLI_DEFAULT_NODE "tcp://127.0.0.1:7400"
/* How long a call that does not wait for a block may take before we call
 * the node unreachable. */
#define NT_CLI_CONNECT_MS 5000
/* The node holds a request at most this long (docs/RPC.md wait_ms). */
#define NT_CLI_MAX_WAIT_MS 60000

/* One subcommand: fn gets argv starting at the subcommand's name. */
typedef struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} nt_cli_cmd;

int nt_cmd_keygen(int argc, char **argv);
int nt_cmd_key(int argc, char **argv);
int nt_cmd_init(int argc, char **argv);
int nt_cmd_submit(int argc, char **argv);
int nt_cmd_verify(int argc, char **argv);
int nt_cmd_find(int argc, char **argv);
int nt_cmd_receipt(int argc, char **argv);
int nt_cmd_status(int argc, char **argv);
int nt_cmd_block(int argc, char **argv);
int nt_cmd_validators(int argc, char **argv);
int nt_cmd_audit(int argc, char **argv);
int nt_cmd_testnet(int argc, char **argv);
int nt_cmd_genesis(int argc, char **argv);
int nt_cmd_office(int argc, char **argv);
int nt_cmd_valset(int argc, char **argv);
int nt_cmd_web(int argc, char **argv);
int nt_cmd_backup(int argc, char **argv);
int nt_cmd_restore(int argc, char **argv);
int nt_cmd_certificate(int argc, char **argv);
int nt_cmd_qr(int argc, char **argv);
int nt_cmd_tls(int argc, char **argv);
int nt_cmd_client_config(int argc, char **argv);

/* ---- options ---- */

/* getopt_long with our own messages: on an unknown option or a missing
 * argument prints "notary CMD: ..." and a --help hint to stderr and returns
 * '?'. Call with optind reset by the caller's first use (it resets itself
 * when argv changes). shortopts should start with ':'. */
int nt_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
/* Prints "notary CMD: <message>" and the --help hint to stderr; returns
 * NT_EXIT_USAGE so it can end a command: `return nt_cli_usage_error(...)`. */
int nt_cli_usage_error(const char *cmd, const char *fmt, ...) NT_PRINTF(2, 3);
/* Prints "notary CMD: <message>" to stderr; returns code. */
int nt_cli_errorf(int code, const char *cmd, const char *fmt, ...) NT_PRINTF(3, 4);
/* The --node default: $NOTARY_NODE, else the client settings file's "node"
 * (once nt_cli_settings_load has read it), else tcp://127.0.0.1:7400. */
const char *nt_cli_default_node(void);
/* Reads the clerk's client settings file (tools/cli_settings.h) once, for a
 * command that talks to a node. Call it after the options are parsed, so
 * that --help works whatever the file holds. A missing file is nothing; an
 * unreadable or malformed one prints "notary CMD: client settings: FILE:
 * what is wrong" and returns NT_EXIT_USAGE. Otherwise -1. */
int nt_cli_settings_load(const char *cmd);
/* What nt_cli_settings_load read: every member NULL before it, or when
 * there was no file. */
const nt_cli_settings *nt_cli_settings_get(void);
/* Strict unsigned decimal (no sign, no spaces, fits in u64). */
bool nt_cli_parse_u64(const char *s, uint64_t *out);

/* ---- time ---- */

/* Wall clock, ms since the epoch. */
uint64_t nt_cli_now_ms(void);
/* Monotonic clock in ms, for deadlines. */
uint64_t nt_cli_mono_ms(void);
/* "2026-11-29 16:00:00.123 UTC" (for people; JSON keeps ISO 8601). */
void nt_cli_time_human(uint64_t ms, char buf[40]);
/* Same, from an ISO 8601 string as the RPC returns; copies s if it does
 * not parse. */
void nt_cli_iso_human(const char *iso, char buf[64]);

/* ---- files ---- */

/* Reads a whole file of at most max bytes, NUL-terminated. NT_ERR_NOT_FOUND,
 * NT_ERR_IO, NT_ERR_RANGE (too large); why says which file and what. */
nt_err nt_cli_read_file(const char *path, size_t max, char **out, size_t *len,
			nt_why *why) NT_MUST_CHECK;
/* All of standard input (a pipe or a file), NUL-terminated: NT_ERR_RANGE
 * past about max bytes, NT_ERR_IO, NT_ERR_NOMEM. len may be NULL. */
nt_err nt_cli_read_stdin(size_t max, char **out, size_t *len) NT_MUST_CHECK;
/* Writes all len bytes to fd (retrying short writes and EINTR); NT_ERR_IO. */
nt_err nt_cli_write_all(int fd, const void *data, size_t len) NT_MUST_CHECK;
/* Writes data to path atomically: a temporary file in the same directory,
 * fsync, then rename (or link when !overwrite, so an existing file is never
 * replaced: NT_ERR_EXISTS), then fsync of the directory. A reader sees the old
 * file or the whole new one, never a torn one. */
nt_err nt_cli_write_file(const char *path, const void *data, size_t len, mode_t mode,
			 bool overwrite, nt_why *why) NT_MUST_CHECK;
/* One file of nt_cli_write_files. */
typedef struct {
	const char *path;
	const void *data;
	size_t len;
	nt_err err; /* out: NT_OK, or what nt_cli_write_file would have returned */
	nt_why why; /* out: set when err is not NT_OK */
} nt_cli_wfile;
/* Writes each of the n files as nt_cli_write_file(overwrite=true) would
 * (temporary file, fsync, rename, fsync of the directory), but overlaps
 * their disk writes and fsyncs each directory once, after all renames. When
 * it returns, every file with err == NT_OK is durable. */
void nt_cli_write_files(nt_cli_wfile *files, size_t n, mode_t mode);
/* True if path exists (any type). */
bool nt_cli_exists(const char *path);
/* The last path component (pointer into path; "" for a trailing slash). */
const char *nt_cli_basename(const char *path);
/* mkdir -p: missing parents get 0755, the last component mode; an existing
 * directory is fine. -1 with errno on failure. */
int nt_cli_mkdirs(const char *path, mode_t mode);
/* "dir/name", malloc'd (NULL when out of memory). */
char *nt_cli_path_join(const char *dir, const char *name);

/* ---- node homes ---- */

/* A node's config.json comes from nt_config_json (node/config.h). */
/* Pretty-prints j plus a newline into path with nt_cli_write_file. */
nt_err nt_cli_write_json(const char *path, const json_t *j, mode_t mode, bool overwrite,
			 nt_why *why) NT_MUST_CHECK;

/* ---- printing ---- */

/* Writes s with terminal control characters and Unicode bidi overrides
 * replaced by '?', so that metadata chosen by a submitter cannot rewrite what
 * a judge sees on the screen. */
void nt_cli_put_safe(FILE *f, const char *s);
/* Pretty-prints j (2-space indent) and a newline. */
void nt_cli_put_json(FILE *f, const json_t *j);
/* 64 hex digits of h into buf (65 bytes). */
void nt_cli_hex32(const uint8_t *h, char buf[65]);

/* ---- JSON-RPC ---- */

typedef struct nt_cli_rpc nt_cli_rpc;

typedef enum {
	NT_RPC_RESULT = 0, /* *result holds the result (caller's reference) */
	NT_RPC_ERROR,	   /* the node answered with a JSON-RPC error: code, message */
	NT_RPC_TRANSPORT,  /* no (usable) answer: message says why */
} nt_rpc_outcome;

typedef struct {
	nt_rpc_outcome outcome;
	long code;
	char message[512];
	uint64_t retry_after_ms; /* an error's data.retry_after_ms; 0 when it has none */
} nt_rpc_status;

/* The JSON-RPC error codes: net/rpc_codes.h (docs/RPC.md). */

nt_err nt_cli_rpc_open(const char *url, nt_cli_rpc **out, nt_why *why) NT_MUST_CHECK;
void nt_cli_rpc_close(nt_cli_rpc *c);
const char *nt_cli_rpc_url(const nt_cli_rpc *c);
/* Calls method with params (reference stolen; NULL for none) and waits up to
 * timeout_ms. On NT_RPC_RESULT *result is a new reference. */
nt_rpc_outcome nt_cli_rpc_call(nt_cli_rpc *c, const char *method, json_t *params, int timeout_ms,
			       json_t **result, nt_rpc_status *st);
/* One request of a batch. */
typedef struct {
	const char *method;
	json_t *params;	  /* in: taken by nt_cli_rpc_batch (NULL for none) */
	json_t *result;	  /* out: a new reference when st.outcome is NT_RPC_RESULT */
	nt_rpc_status st; /* out: this request's outcome */
} nt_cli_rpc_req;

/* Sends the n requests as one JSON-RPC batch (docs/RPC.md "Batches") and
 * waits up to timeout_ms for the answer. NT_RPC_RESULT: the node answered
 * each request; reqs[i].st and .result say how. NT_RPC_ERROR: the node
 * answered the message as a whole with one error (st; e.g. -32600 from a node
 * that does not take batches): no request was executed. NT_RPC_TRANSPORT: no
 * usable answer (st), and the requests may or may not have been executed.
 * On the last two every reqs[i].st is a copy of st. */
nt_rpc_outcome nt_cli_rpc_batch(nt_cli_rpc *c, nt_cli_rpc_req *reqs, size_t n, int timeout_ms,
				nt_rpc_status *st);
/* Prints a failed call to stderr ("error: <message> (code C)" or the
 * transport message) and returns NT_EXIT_FAIL. */
int nt_cli_rpc_report(const char *cmd, const nt_rpc_status *st);

/* Signs every later request except submit (whose record carries its own
 * signature) with k: params "auth" (docs/RPC.md "Signed requests"), for
 * nodes that answer only listed clients. k stays the caller's and must
 * outlive the calls; NULL stops signing. */
void nt_cli_rpc_sign_with(const nt_seckey *k);
/* The passphrase file to use: opt (--passphrase-file), else the
 * NOTARY_PASSPHRASE_FILE environment variable, else NULL. */
const char *nt_cli_passphrase_file(const char *opt);
/* "xxxxxxxx-xxxxxxxx-xxxxxxxx-xxxxxxxx": the first 16 bytes of SHA-256 of
 * the public key, grouped like the genesis fingerprint (docs/CLI.md). */
void nt_cli_key_fingerprint(const nt_pubkey *pk, char out[36]);

/* ---- waiting out the node's limits (tools/cli_retry.c) ---- */

/* The time a command may spend waiting on the node's limits in all. */
typedef struct {
	uint64_t budget_ms; /* 0: never wait, give up at the first refusal */
	uint64_t waited_ms; /* so far */
} nt_cli_retry;

/* True for an error the node asks to send again later: -32007 (rate
 * limited) and -32008 (the key's share of the mempool is used). */
bool nt_cli_rpc_retryable(const nt_rpc_status *st);
/* Names the limit of a retryable st for people ("rate limited by the node"). */
const char *nt_cli_rpc_limit_name(const nt_rpc_status *st);
/* For a retryable st: if the wait it asks for (data.retry_after_ms, at
 * least 50 ms) fits in what is left of r's budget, prints one line
 * "notary CMD: <limit>: retrying in 1.2 s (attempt N)" to stderr (with the
 * number of requests when n > 1), sleeps, counts the wait in r and returns
 * true. Otherwise returns false at once: give up. */
bool nt_cli_retry_wait(nt_cli_retry *r, const char *cmd, const nt_rpc_status *st, unsigned attempt,
		       size_t n);

/* Small accessors for RPC results that tolerate missing members. */
const char *nt_cli_jstr(const json_t *obj, const char *key, const char *dflt);
bool nt_cli_ju64(const json_t *obj, const char *key, uint64_t *out);

#endif
