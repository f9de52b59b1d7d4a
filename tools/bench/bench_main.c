/* notary-bench: runs a real network on loopback and measures it
 * (docs/PERFORMANCE.md says what each number means and how it is taken).
 *
 * Phases, in order: write the testnet; measure the floor while the machine
 * is idle; sign every record; start the validators; full load (closed
 * loop, C clients); half load (open loop at half the measured rate);
 * per-node CPU, memory and disk; receipt and find queries; start the
 * observer and time its catch-up; stop everything. */
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/bench/bench.h"

#define WAIT_MS 30000u
#define HALF_PHASE_S 20.0
#define HALF_PHASE_QUICK_S 4.0

static const char usage[] =
    "usage: notary-bench [--validators N] [--records R] [--clients C] [--quick] [--json]\n"
    "                    [--keep] [--queries Q] [--rpc-contexts K] [--interval-ms MS]\n"
    "                    [--no-observer] [--batch B] [--tls] [--tls-clients]\n\n"
    "Starts N notaryd validators (and one observer) on loopback in a temporary folder,\n"
    "submits R pre-signed records through the JSON-RPC with C client threads that each\n"
    "wait for their receipt, then measures half load, queries, observer catch-up and\n"
    "the machine's floor. Binaries are taken from the folder of notary-bench.\n\n"
    "  -n, --validators N   validators (default 1)\n"
    "  -r, --records R      records at full load (default 20000)\n"
    "  -c, --clients C      client threads, each with its own REQ socket (default 64)\n"
    "  -q, --quick          1 validator, 2000 records, 16 clients, 5000 queries,\n"
    "                       --interval-ms 20, short floor (a smoke run, < 30 s)\n"
    "  -j, --json           print one JSON object instead of the table\n"
    "  -k, --keep           keep the temporary folder (node homes and logs)\n"
    "  -Q, --queries Q      receipt and find queries each (default 50000; quick 5000)\n"
    "  -K, --rpc-contexts K set rpc_contexts in every config.json (default: as written)\n"
    "  -I, --interval-ms MS set block.interval_ms in every config.json (default: as written)\n"
    "  -O, --no-observer    skip the observer catch-up\n"
    "  -B, --batch B        submits per JSON-RPC message (a batch), 1..256 (default 1)\n"
    "  -T, --tls            peers talk mutual TLS (notary testnet --tls; clients stay on\n"
    "                       plain loopback unless --tls-clients)\n"
    "  -S, --tls-clients    every node's rpc on tls+tcp://; each client trusts exactly\n"
    "                       its node's tls.crt\n";

typedef struct {
	unsigned validators, clients, rpc_contexts, interval_ms, batch;
	size_t records, queries;
	bool quick, json, keep, observer, tls, tls_clients;
} opts;

typedef struct {
	double cpu_s_per_record, peak_rss_mb, disk_bytes_per_record;
} node_cost;

typedef struct {
	bench_floor floor;
	bench_submit_result full, half;
	bench_query_result rq, fq;
	node_cost cost[BENCH_MAX_NODES];
	double half_rate, observer_rate, observer_s, efficiency;
	bool observer_ok;
	double sign_s;
} results;

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end = NULL;
	if (s == NULL || *s < '0' || *s > '9')
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

static int parse_opts(int argc, char **argv, opts *o)
{
	static const struct option lo[] = {
	    {"validators", required_argument, NULL, 'n'}, {"records", required_argument, NULL, 'r'},
	    {"clients", required_argument, NULL, 'c'},	  {"quick", no_argument, NULL, 'q'},
	    {"json", no_argument, NULL, 'j'},		  {"keep", no_argument, NULL, 'k'},
	    {"queries", required_argument, NULL, 'Q'},	  {"rpc-contexts", required_argument, NULL, 'K'},
	    {"interval-ms", required_argument, NULL, 'I'}, {"no-observer", no_argument, NULL, 'O'},
	    {"batch", required_argument, NULL, 'B'},	  {"help", no_argument, NULL, 'h'},
	    {"tls", no_argument, NULL, 'T'},
	    {"tls-clients", no_argument, NULL, 'S'},
	    {NULL, 0, NULL, 0}};
	bool set_v = false, set_r = false, set_c = false, set_q = false, set_i = false;
	*o = (opts){.validators = 1, .clients = 64, .records = 20000, .queries = 50000,
		    .observer = true, .batch = 1};
	int ch;
	unsigned long long v;
	while ((ch = getopt_long(argc, argv, "n:r:c:qjkQ:K:I:OB:TSh", lo, NULL)) != -1) {
		const char *bad = NULL;
		switch (ch) {
		case 'n':
			if (!parse_uint(optarg, 32, &v) || v == 0)
				bad = "--validators must be 1..32";
			o->validators = (unsigned)v;
			set_v = true;
			break;
		case 'r':
			if (!parse_uint(optarg, 10000000, &v) || v == 0)
				bad = "--records must be 1..10000000";
			o->records = (size_t)v;
			set_r = true;
			break;
		case 'c':
			if (!parse_uint(optarg, 4096, &v) || v == 0)
				bad = "--clients must be 1..4096";
			o->clients = (unsigned)v;
			set_c = true;
			break;
		case 'Q':
			if (!parse_uint(optarg, 100000000, &v) || v == 0)
				bad = "--queries must be at least 1";
			o->queries = (size_t)v;
			set_q = true;
			break;
		case 'K':
			if (!parse_uint(optarg, 4096, &v) || v == 0)
				bad = "--rpc-contexts must be 1..4096";
			o->rpc_contexts = (unsigned)v;
			break;
		case 'I':
			if (!parse_uint(optarg, 3600000, &v) || v == 0)
				bad = "--interval-ms must be 1..3600000";
			o->interval_ms = (unsigned)v;
			set_i = true;
			break;
		case 'B':
			if (!parse_uint(optarg, BENCH_BATCH_MAX, &v) || v == 0)
				bad = "--batch must be 1..256";
			o->batch = (unsigned)v;
			break;
		case 'q':
			o->quick = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'k':
			o->keep = true;
			break;
		case 'O':
			o->observer = false;
			break;
		case 'T':
			o->tls = true;
			break;
		case 'S':
			o->tls_clients = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			return 2;
		}
		if (bad != NULL) {
			fprintf(stderr, "notary-bench: %s\n", bad);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "notary-bench: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (o->quick) {
		if (!set_v)
			o->validators = 1;
		if (!set_r)
			o->records = 2000;
		if (!set_c)
			o->clients = 16;
		if (!set_q)
			o->queries = 5000;
		/* Closed-loop clients wait a block interval per record: with the
		 * shipped 200 ms, 2000 records on 16 clients take 25 s alone. */
		if (!set_i)
			o->interval_ms = 20;
	}
	return 0;
}

static void progress(const opts *o, const char *fmt, ...) NT_PRINTF(2, 3);
static void progress(const opts *o, const char *fmt, ...)
{
	if (o->json)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

static json_t *pct_json(const bench_pct *p)
{
	return json_pack("{s:f,s:f,s:f,s:f}", "p50", p->p50, "p95", p->p95, "p99", p->p99, "max",
			 p->max);
}

static json_t *submit_json(const bench_submit_result *r)
{
	json_t *t = json_array();
	for (int i = 0; i < 10; i++)
		json_array_append_new(t, json_real(r->tenth_rate[i]));
	return json_pack("{s:I,s:I,s:I,s:I,s:f,s:f,s:o,s:I,s:o,s:s}", "offered",
			 (json_int_t)r->offered, "committed", (json_int_t)r->committed, "failed",
			 (json_int_t)r->failed, "busy_retries", (json_int_t)r->busy_retries,
			 "wall_s", r->wall_s, "records_per_s", r->records_per_s, "latency_ms",
			 pct_json(&r->lat_ms), "max_height", (json_int_t)r->max_height,
			 "rate_by_tenth", t, "first_error", r->first_error);
}

static json_t *query_json(const bench_query_result *q)
{
	return json_pack("{s:I,s:I,s:f,s:f,s:o}", "done", (json_int_t)q->done, "failed",
			 (json_int_t)q->failed, "wall_s", q->wall_s, "per_s", q->per_s,
			 "latency_ms", pct_json(&q->lat_ms));
}

static void print_json(const opts *o, const results *r)
{
	json_t *cpu = json_array(), *rss = json_array(), *disk = json_array();
	for (unsigned i = 0; i < o->validators; i++) {
		json_array_append_new(cpu, json_real(r->cost[i].cpu_s_per_record));
		json_array_append_new(rss, json_real(r->cost[i].peak_rss_mb));
		json_array_append_new(disk, json_real(r->cost[i].disk_bytes_per_record));
	}
	json_t *obs = o->observer ? json_pack("{s:b,s:f,s:f,s:f}", "caught_up", r->observer_ok,
					      "seconds", r->observer_s, "records_per_s",
					      r->observer_rate, "peak_rss_mb",
					      r->cost[o->validators].peak_rss_mb)
				  : json_null();
	json_t *floor = json_pack("{s:f,s:f,s:f,s:I}", "verifies_per_s_core",
				  r->floor.verifies_per_s, "sha256_per_s", r->floor.sha256_per_s,
				  "leveldb_puts_per_s", r->floor.kv_puts_per_s, "cores",
				  (json_int_t)r->floor.cores);
	json_t *cfg = json_pack("{s:I,s:I,s:I,s:b,s:I,s:I,s:I,s:I}", "validators",
				(json_int_t)o->validators, "records", (json_int_t)o->records,
				"clients", (json_int_t)o->clients, "quick", o->quick, "queries",
				(json_int_t)o->queries, "rpc_contexts", (json_int_t)o->rpc_contexts,
				"interval_ms", (json_int_t)o->interval_ms, "batch",
				(json_int_t)o->batch);
	json_t *j = json_object();
	json_object_set_new(cfg, "tls", json_boolean(o->tls));
	json_object_set_new(cfg, "tls_clients", json_boolean(o->tls_clients));
	json_object_set_new(j, "config", cfg);
	json_object_set_new(j, "batch", json_integer((json_int_t)o->batch));
	json_object_set_new(j, "records_per_s", json_real(r->full.records_per_s));
	json_object_set_new(j, "records", json_integer((json_int_t)r->full.offered));
	json_object_set_new(j, "committed", json_integer((json_int_t)r->full.committed));
	json_object_set_new(j, "latency_ms", json_pack("{s:o,s:o}", "full_load",
						       pct_json(&r->full.lat_ms), "half_load",
						       pct_json(&r->half.lat_ms)));
	json_object_set_new(j, "full_load", submit_json(&r->full));
	json_object_set_new(j, "half_load", submit_json(&r->half));
	json_object_set_new(j, "half_load_offered_per_s", json_real(r->half_rate));
	json_object_set_new(j, "cpu_s_per_record", cpu);
	json_object_set_new(j, "peak_rss_mb", rss);
	json_object_set_new(j, "disk_bytes_per_record", disk);
	json_object_set_new(j, "receipt_queries_per_s", json_real(r->rq.per_s));
	json_object_set_new(j, "find_queries_per_s", json_real(r->fq.per_s));
	json_object_set_new(j, "receipt_queries", query_json(&r->rq));
	json_object_set_new(j, "find_queries", query_json(&r->fq));
	json_object_set_new(j, "observer", obs);
	json_object_set_new(j, "floor", floor);
	json_object_set_new(j, "efficiency", json_real(r->efficiency));
	json_object_set_new(j, "sign_s", json_real(r->sign_s));
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	if (s != NULL)
		puts(s);
	free(s);
	json_decref(j);
}

static void print_table(const opts *o, const results *r)
{
	printf("notary-bench: %u validator(s), %zu records, %u clients, batch %u%s\n",
	       o->validators, o->records, o->clients, o->batch, o->quick ? " (quick)" : "");
	printf("  %-34s %12.0f  (%zu/%zu committed in %.2f s)\n", "records/s (full load)",
	       r->full.records_per_s, r->full.committed, r->full.offered, r->full.wall_s);
	printf("  %-34s %8.1f %8.1f %8.1f\n", "latency ms p50/p95/p99 full load", r->full.lat_ms.p50,
	       r->full.lat_ms.p95, r->full.lat_ms.p99);
	printf("  %-34s %8.1f %8.1f %8.1f  (offered %.0f/s, %zu/%zu committed)\n",
	       "latency ms p50/p95/p99 half load", r->half.lat_ms.p50, r->half.lat_ms.p95,
	       r->half.lat_ms.p99, r->half_rate, r->half.committed, r->half.offered);
	for (unsigned i = 0; i < o->validators; i++)
		printf("  node%-2u cpu %.1f us/record, peak RSS %.1f MiB, disk %.0f bytes/record\n", i,
		       r->cost[i].cpu_s_per_record * 1e6, r->cost[i].peak_rss_mb,
		       r->cost[i].disk_bytes_per_record);
	printf("  %-34s %12.0f  (p99 %.2f ms)\n", "receipt queries/s", r->rq.per_s,
	       r->rq.lat_ms.p99);
	printf("  %-34s %12.0f  (p99 %.2f ms)\n", "find queries/s", r->fq.per_s, r->fq.lat_ms.p99);
	if (o->observer)
		printf("  %-34s %12.0f  (%s in %.2f s)\n", "observer catch-up records/s",
		       r->observer_rate, r->observer_ok ? "caught up" : "NOT caught up",
		       r->observer_s);
	printf("  floor: %.0f verifies/s/core, %.0f SHA-256/s (300 B), %.0f LevelDB puts/s, %ld "
	       "cores\n",
	       r->floor.verifies_per_s, r->floor.sha256_per_s, r->floor.kv_puts_per_s,
	       r->floor.cores);
	printf("  %-34s %12.3f\n", "efficiency", r->efficiency);
	if (r->full.first_error[0] || r->half.first_error[0])
		printf("  first error: %s\n",
		       r->full.first_error[0] ? r->full.first_error : r->half.first_error);
}

static void read_costs(const bench_cluster *c, unsigned n, const double *cpu0, double cpu_delta_n,
		       size_t total, results *r)
{
	for (unsigned i = 0; i < n; i++) {
		pid_t pid = c->nodes[i].pid;
		double cpu1 = bench_proc_cpu_s(pid);
		r->cost[i].cpu_s_per_record = cpu_delta_n > 0 ? (cpu1 - cpu0[i]) / cpu_delta_n : 0;
		r->cost[i].peak_rss_mb = bench_proc_hwm_mb(pid);
		char data[4200];
		snprintf(data, sizeof data, "%s/data", c->nodes[i].home);
		r->cost[i].disk_bytes_per_record =
		    total ? (double)bench_du(data) / (double)total : 0;
	}
}

static int fail(const nt_why *why, const char *what)
{
	fprintf(stderr, "notary-bench: %s: %s\n", what, why->msg);
	return 1;
}

/* Starts the observer and polls until its height equals the validators'. */
static void observer_phase(bench_cluster *c, const opts *o, size_t total, results *r)
{
	unsigned obs = o->validators;
	int64_t target = bench_node_height(c->nodes[0].rpc, 5000);
	nt_why why = {{0}};
	uint64_t t0 = bench_now_ms();
	if (target <= 0 || bench_node_start(c, obs, &why) != NT_OK) {
		fprintf(stderr, "notary-bench: observer: %s\n", why.msg[0] ? why.msg : "no height");
		return;
	}
	/* Bounded: generous for the slowest sane rate (200 records/s). */
	uint64_t limit = 30000u + (uint64_t)total * 5u;
	while (bench_now_ms() - t0 < limit) {
		int64_t h = bench_node_height(c->nodes[obs].rpc, 2000);
		if (h >= target) {
			r->observer_ok = true;
			break;
		}
		bench_sleep_ms(20);
	}
	r->observer_s = (double)(bench_now_ms() - t0) / 1000.0;
	r->observer_rate = r->observer_ok && r->observer_s > 0 ? (double)total / r->observer_s : 0;
	r->cost[obs].peak_rss_mb = bench_proc_hwm_mb(c->nodes[obs].pid);
}

int main(int argc, char **argv)
{
	opts o;
	int rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc;
	static bench_cluster c;
	static results r;
	bench_records rs = {0};
	nt_why why = {{0}};
	c.keep = o.keep;
	c.tls = o.tls;
	c.tls_clients = o.tls_clients;
	unsigned nobs = o.observer ? 1 : 0;
	progress(&o, "%s", "writing the testnet...\n");
	if (bench_cluster_setup(&c, o.validators, nobs, o.rpc_contexts, o.interval_ms, &why) !=
	    NT_OK)
		return fail(&why, "setup");
	progress(&o, "%s", "measuring the floor...\n");
	if (bench_floor_measure(c.dir, o.quick, &r.floor, &why) != NT_OK)
		return fail(&why, "floor");

	/* Enough half-load records for HALF_PHASE_S at up to 20k/s, at most
	 * half the full-load count; signed now so no phase signs. */
	size_t half_max = o.records / 2 > 100 ? o.records / 2 : 100;
	progress(&o, "%s", "signing the records...\n");
	uint64_t ts = bench_now_us();
	long cores = r.floor.cores > 0 ? r.floor.cores : 1;
	if (bench_records_make(&rs, o.records + half_max, 256, (unsigned)(cores > 64 ? 64 : cores),
			       0x6e6f74617279ull, &why) != NT_OK)
		return fail(&why, "records");
	r.sign_s = (double)(bench_now_us() - ts) / 1e6;

	char urls[BENCH_MAX_NODES][64];
	for (unsigned i = 0; i < o.validators; i++) {
		progress(&o, "starting %s...\n", c.nodes[i].home);
		if (bench_node_start(&c, i, &why) != NT_OK)
			return fail(&why, "start");
		snprintf(urls[i], sizeof urls[i], "%s", c.nodes[i].rpc);
	}
	double cpu0[BENCH_MAX_NODES];
	for (unsigned i = 0; i < o.validators; i++)
		cpu0[i] = bench_proc_cpu_s(c.nodes[i].pid);

	progress(&o, "%s", "full load...\n");
	if (bench_submit(&rs, 0, o.records, urls, o.validators, o.clients, 0, WAIT_MS, o.batch, &r.full,
			 &why) != NT_OK)
		return fail(&why, "full load");
	/* CPU per record is taken over the full-load phase alone. */
	read_costs(&c, o.validators, cpu0, (double)r.full.committed, r.full.committed, &r);
	node_cost full_cost[BENCH_MAX_NODES];
	memcpy(full_cost, r.cost, sizeof full_cost);

	r.half_rate = r.full.records_per_s / 2;
	size_t nh = (size_t)(r.half_rate * (o.quick ? HALF_PHASE_QUICK_S : HALF_PHASE_S));
	nh = nh < 50 ? 50 : nh > half_max ? half_max : nh;
	if (r.half_rate > 0) {
		progress(&o, "%s", "half load...\n");
		if (bench_submit(&rs, o.records, nh, urls, o.validators, o.clients, r.half_rate,
				 WAIT_MS, o.batch, &r.half, &why) != NT_OK)
			return fail(&why, "half load");
	}
	size_t total = r.full.committed + r.half.committed;
	read_costs(&c, o.validators, cpu0, 0, total, &r);
	for (unsigned i = 0; i < o.validators; i++)
		r.cost[i].cpu_s_per_record = full_cost[i].cpu_s_per_record;

	progress(&o, "%s", "receipt and find queries...\n");
	if (r.full.committed > 0) {
		if (bench_query(&rs, o.records, o.queries, false, urls, o.validators, o.clients,
				&r.rq, &why) != NT_OK ||
		    bench_query(&rs, o.records, o.queries, true, urls, o.validators, o.clients,
				&r.fq, &why) != NT_OK)
			return fail(&why, "queries");
	}
	if (o.observer) {
		progress(&o, "%s", "observer catch-up...\n");
		observer_phase(&c, &o, total, &r);
	}
	double denom = r.floor.verifies_per_s * (double)r.floor.cores;
	r.efficiency = denom > 0 ? r.full.records_per_s * o.validators / denom : 0;
	bench_cluster_stop(&c);
	if (o.json)
		print_json(&o, &r);
	else
		print_table(&o, &r);
	bool ok = r.full.committed == r.full.offered && r.half.failed == 0 &&
		  (!o.observer || r.observer_ok);
	bench_records_free(&rs);
	return ok ? 0 : 1;
}
