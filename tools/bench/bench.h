/* notary-bench: the project's benchmark program (docs/PERFORMANCE.md).
 *
 * It runs real notaryd processes on loopback (bench_proc.c), drives them
 * through the JSON-RPC with client threads (bench_load.c) and measures the
 * machine's floor in the same run (bench_floor.c); bench_main.c wires the
 * phases together and prints the table or the JSON object. Only this
 * program prints; the helpers return nt_err or -1 with a message in why. */
#ifndef NT_BENCH_H
#define NT_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "base/types.h"

#define BENCH_MAX_NODES 64
/* --batch: the node's limit (node/rpc.h NT_RPC_BATCH_MAX). */
#define BENCH_BATCH_MAX 256

/* ---- processes (bench_proc.c) ---- */

typedef struct {
	char home[2048];
	char rpc[64];
	pid_t pid; /* 0: not running */
	uint64_t started_ms;
} bench_node;

typedef struct {
	char dir[1024];	       /* the temporary folder */
	char bindir[1024];     /* where notary and notaryd live */
	unsigned validators;   /* node0..node{validators-1} */
	unsigned observers;    /* then the observers (started later) */
	bench_node nodes[BENCH_MAX_NODES];
	bool keep;
	bool tls; /* notary testnet --tls: mutual TLS between the nodes */
	bool tls_clients; /* every node's rpc on tls+tcp://, clients pin its tls.crt */
} bench_cluster;

/* Monotonic milliseconds and microseconds. */
uint64_t bench_now_ms(void);
uint64_t bench_now_us(void);
void bench_sleep_ms(unsigned ms);

/* Creates the temporary folder, writes the testnet with build/notary on a
 * free port range and applies the config overrides (0: keep the default).
 * Registers the cleanup (atexit and signal handlers) first. */
nt_err bench_cluster_setup(bench_cluster *c, unsigned validators, unsigned observers,
			   unsigned rpc_contexts, unsigned interval_ms, nt_why *why) NT_MUST_CHECK;
/* Starts notaryd for node i and waits (bounded) until its RPC answers. */
nt_err bench_node_start(bench_cluster *c, unsigned i, nt_why *why) NT_MUST_CHECK;
/* SIGTERM every running node, wait up to a bound, then SIGKILL; removes the
 * folder unless keep. Safe to call twice. */
void bench_cluster_stop(bench_cluster *c);

/* /proc readings of a running process: CPU seconds (utime+stime) and the
 * peak resident set (VmHWM) in MiB. -1 when unreadable. */
double bench_proc_cpu_s(pid_t pid);
double bench_proc_hwm_mb(pid_t pid);
/* Bytes on disk (st_blocks, like du) under path. */
uint64_t bench_du(const char *path);

/* Opens a JSON-RPC client to url: for a tls+tcp:// node of the cluster,
 * trusting exactly that node's tls.crt (read by bench_cluster_setup). */
struct nt_rpc_client;
nt_err bench_rpc_open(const char *url, struct nt_rpc_client **out, nt_why *why) NT_MUST_CHECK;

/* One JSON-RPC call on a fresh socket: status height of url, or -1. */
int64_t bench_node_height(const char *url, int timeout_ms);

/* ---- load (bench_load.c) ---- */

typedef struct {
	uint8_t *rec;	 /* encoded record */
	uint16_t len;
	nt_hash id;
	uint8_t digest[32];
} bench_record;

typedef struct {
	bench_record *r;
	size_t n;
} bench_records;

/* Signs n records with nkeys submitter keys, on nthreads threads. */
nt_err bench_records_make(bench_records *out, size_t n, unsigned nkeys, unsigned nthreads,
			  uint64_t seed, nt_why *why) NT_MUST_CHECK;
void bench_records_free(bench_records *rs);

typedef struct {
	double p50, p95, p99, max;
} bench_pct;

typedef struct {
	size_t offered, committed, failed, busy_retries;
	double wall_s;	    /* first submit to last receipt */
	double records_per_s;
	bench_pct lat_ms;
	uint64_t max_height; /* highest block height seen in a receipt */
	double tenth_rate[10]; /* commits/s in each tenth of wall_s */
	char first_error[256];
} bench_submit_result;

/* Submits recs[from, from+n) with nclients threads spread over urls,
 * batch (1..BENCH_BATCH_MAX) records per message: a batch's records all
 * count their latency from its send (open loop: its first record's due
 * time); elements answered busy or pending go on one at a time.
 * rate_per_s == 0: closed loop (each client sends its next record when its
 * receipt is back). Otherwise open loop: record k is due at start + k/rate
 * and its latency counts from that due time, so a stalled node cannot hide
 * its queueing (no coordinated omission). */
nt_err bench_submit(const bench_records *rs, size_t from, size_t n, char urls[][64],
		    unsigned nurls, unsigned nclients, double rate_per_s, unsigned wait_ms,
		    unsigned batch, bench_submit_result *out, nt_why *why) NT_MUST_CHECK;

typedef struct {
	size_t done, failed;
	double wall_s, per_s;
	bench_pct lat_ms;
} bench_query_result;

/* nq queries by record id (receipt) or by digest (find) over recs[0, n). */
nt_err bench_query(const bench_records *rs, size_t n, size_t nq, bool by_digest,
		   char urls[][64], unsigned nurls, unsigned nclients, bench_query_result *out,
		   nt_why *why) NT_MUST_CHECK;

/* ---- floor (bench_floor.c) ---- */

typedef struct {
	double verifies_per_s;	 /* BIP-340, one core */
	double sha256_per_s;	 /* ~300-byte buffer, one core */
	double kv_puts_per_s;	 /* LevelDB, batches of 1000, sync per batch */
	long cores;
} bench_floor;

nt_err bench_floor_measure(const char *tmpdir, bool quick, bench_floor *out,
			   nt_why *why) NT_MUST_CHECK;

#endif
