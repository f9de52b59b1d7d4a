/* notary-bench: the offered load. Records are signed before any clock
 * starts; client threads (one REQ socket each, spread over the nodes' RPC
 * URLs) submit them with wait_ms so each client holds its request until the
 * receipt is back, exactly as `notary submit` does for a party. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "core/record.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "net/rpc_client.h"
#include "tools/bench/bench.h"

#define CLIENT_STACK (512u * 1024u)
#define RECORD_DEADLINE_MS 120000u /* a record not committed by then failed */
#define BUSY_BACKOFF_MS 5u
#define RPC_GRACE_MS 10000

/* ---- records ---- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char *const media[] = {"application/pdf", "application/zip", "image/jpeg",
				    "text/html", "message/rfc822"};
static const char *const ext[] = {"pdf", "zip", "jpg", "html", "eml"};
static const char *const titles[] = {"Chat export between the parties",
				     "Web capture of the defendant's shop page",
				     "Signed supply contract, final version",
				     "Photograph of the damaged goods",
				     "E-mail correspondence, March"};

typedef struct {
	bench_records *rs;
	nt_seckey **keys;
	unsigned nkeys, t, nthreads;
	uint64_t seed, now_ms;
	nt_err err;
} make_job;

static void *make_run(void *arg)
{
	make_job *j = arg;
	nt_record *rec = malloc(sizeof *rec);
	uint8_t buf[NT_RECORD_MAX];
	if (rec == NULL) {
		j->err = NT_ERR_NOMEM;
		return NULL;
	}
	for (size_t i = j->t; i < j->rs->n; i += j->nthreads) {
		uint64_t s = j->seed ^ (i * 0x2545f4914f6cdd1dull);
		uint8_t data[64];
		for (int k = 0; k < 8; k++) {
			uint64_t v = splitmix(&s);
			memcpy(data + 8 * k, &v, 8);
		}
		memset(rec, 0, sizeof *rec);
		rec->version = NT_RECORD_VERSION;
		rec->alg = NT_ALG_SHA256;
		rec->digest_len = 32;
		nt_hash d;
		nt_sha256(data, sizeof data, &d);
		memcpy(rec->digest, d.b, 32);
		rec->size = 1000 + splitmix(&s) % 50000000u;
		rec->client_time = j->now_ms + i;
		unsigned m = (unsigned)(i % 5);
		int ml = snprintf(rec->meta, sizeof rec->meta,
				  "{\"case\":\"(2026) Zhe 0192 Min Chu %06zu\",\"title\":\"%s\","
				  "\"media_type\":\"%s\",\"file_name\":\"exhibit-%07zu.%s\"}",
				  i % 1000000, titles[m], media[m], i, ext[m]);
		rec->meta_len = (uint16_t)ml;
		size_t len = 0;
		nt_err e = nt_record_sign(rec, j->keys[i % j->nkeys]);
		if (e == NT_OK)
			e = nt_record_encode(rec, buf, sizeof buf, &len);
		bench_record *r = &j->rs->r[i];
		if (e == NT_OK && (r->rec = malloc(len)) == NULL)
			e = NT_ERR_NOMEM;
		if (e != NT_OK) {
			j->err = e;
			break;
		}
		memcpy(r->rec, buf, len);
		r->len = (uint16_t)len;
		memcpy(r->digest, d.b, 32);
		nt_record_id(buf, len, &r->id);
	}
	free(rec);
	return NULL;
}

nt_err bench_records_make(bench_records *out, size_t n, unsigned nkeys, unsigned nthreads,
			  uint64_t seed, nt_why *why)
{
	if (nkeys == 0 || nthreads == 0 || nthreads > 64)
		return nt_fail(why, NT_ERR_ARG, "bad record-making arguments");
	bench_records rs = {.r = calloc(n ? n : 1, sizeof *rs.r), .n = n};
	nt_seckey **keys = calloc(nkeys, sizeof *keys);
	nt_err e = (rs.r && keys) ? NT_OK : NT_ERR_NOMEM;
	for (unsigned k = 0; e == NT_OK && k < nkeys; k++) {
		uint8_t sec[32];
		uint64_t s = seed + 7777u * (k + 1);
		for (int w = 0; w < 4; w++) {
			uint64_t v = splitmix(&s);
			memcpy(sec + 8 * w, &v, 8);
		}
		e = nt_seckey_from_bytes(sec, &keys[k]);
	}
	make_job jobs[64];
	pthread_t th[64];
	unsigned started = 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	for (unsigned t = 0; e == NT_OK && t < nthreads; t++) {
		jobs[t] = (make_job){.rs = &rs, .keys = keys, .nkeys = nkeys, .t = t,
				     .nthreads = nthreads, .seed = seed,
				     .now_ms = (uint64_t)ts.tv_sec * 1000u +
					       (uint64_t)ts.tv_nsec / 1000000u};
		if (pthread_create(&th[t], NULL, make_run, &jobs[t]) != 0) {
			e = NT_ERR_NOMEM;
			break;
		}
		started++;
	}
	for (unsigned t = 0; t < started; t++) {
		pthread_join(th[t], NULL);
		if (jobs[t].err != NT_OK && e == NT_OK)
			e = jobs[t].err;
	}
	for (unsigned k = 0; keys != NULL && k < nkeys; k++)
		nt_seckey_free(keys[k]);
	free(keys);
	if (e != NT_OK) {
		bench_records_free(&rs);
		return nt_fail(why, e, "cannot sign the records: %s", nt_strerror(e));
	}
	*out = rs;
	return NT_OK;
}

void bench_records_free(bench_records *rs)
{
	if (rs->r != NULL)
		for (size_t i = 0; i < rs->n; i++)
			free(rs->r[i].rec);
	free(rs->r);
	rs->r = NULL;
	rs->n = 0;
}

/* ---- percentiles ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentiles of the n values >= 0 in v (sorted in place). */
static bench_pct percentiles(double *v, size_t n)
{
	bench_pct p = {0, 0, 0, 0};
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] >= 0)
			v[m++] = v[i];
	if (m == 0)
		return p;
	qsort(v, m, sizeof *v, cmp_double);
	const double q[3] = {0.50, 0.95, 0.99};
	double *out[3] = {&p.p50, &p.p95, &p.p99};
	for (int k = 0; k < 3; k++) {
		size_t rank = (size_t)ceil(q[k] * (double)m);
		*out[k] = v[rank ? rank - 1 : 0];
	}
	p.max = v[m - 1];
	return p;
}

/* Commit rate in each tenth of the phase's wall time: a falling rate
 * shows cost growing with the ledger. */
static void tenths(const uint64_t *ends, size_t n, uint64_t first, uint64_t last, double out[10])
{
	size_t cnt[10] = {0};
	for (int t = 0; t < 10; t++)
		out[t] = 0;
	if (last <= first || first == UINT64_MAX)
		return;
	double span = (double)(last - first);
	for (size_t i = 0; i < n; i++) {
		if (ends[i] == 0 || ends[i] < first)
			continue;
		size_t t = (size_t)((double)(ends[i] - first) * 10.0 / span);
		cnt[t > 9 ? 9 : t]++;
	}
	for (int t = 0; t < 10; t++)
		out[t] = (double)cnt[t] / (span / 10.0 / 1e6);
}

/* ---- one RPC ---- */

/* R_DOWN: no answer at all (timeout, connection lost): the node is gone or
 * stuck, so the phase stops rather than wait out every record. */
enum { R_COMMITTED, R_PENDING, R_BUSY, R_FAILED, R_DOWN };

/* Classifies one JSON-RPC response object. */
static int classify(json_t *j, uint64_t *height, bool find, char *err, size_t errcap)
{
	int rc = R_FAILED;
	json_t *res = json_object_get(j, "result");
	json_t *er = json_object_get(j, "error");
	if (json_is_object(er)) {
		json_int_t code = json_integer_value(json_object_get(er, "code"));
		const char *msg = json_string_value(json_object_get(er, "message"));
		if (code == -32003)
			rc = R_BUSY;
		else
			snprintf(err, errcap, "RPC error %" JSON_INTEGER_FORMAT ": %s", code,
				 msg ? msg : "?");
	} else if (find) {
		if (json_array_size(json_object_get(res, "records")) > 0)
			rc = R_COMMITTED;
		else
			snprintf(err, errcap, "find answered no records");
	} else {
		const char *st = json_string_value(json_object_get(res, "status"));
		if (st != NULL && strcmp(st, "committed") == 0) {
			json_t *h = json_object_get(res, "height");
			if (height != NULL && json_is_integer(h))
				*height = (uint64_t)json_integer_value(h);
			rc = R_COMMITTED;
		} else if (st != NULL && strcmp(st, "pending") == 0) {
			rc = R_PENDING;
		} else {
			snprintf(err, errcap, "unexpected answer");
		}
	}
	return rc;
}

/* Sends req; on success *out is the parsed answer (an object, or an array
 * for a batch). */
static int send_req(nt_rpc_client *cl, const char *req, size_t len, int timeout_ms, json_t **out,
		    char *err, size_t errcap)
{
	char *resp = NULL;
	size_t rlen = 0;
	nt_why why = {{0}};
	nt_err e = nt_rpc_client_call(cl, req, len, timeout_ms, &resp, &rlen, &why);
	if (e != NT_OK) {
		snprintf(err, errcap, "%s", why.msg[0] ? why.msg : nt_strerror(e));
		return R_DOWN;
	}
	*out = json_loadb(resp, rlen, 0, NULL);
	free(resp);
	return R_COMMITTED;
}

/* Sends req and classifies the answer. */
static int call(nt_rpc_client *cl, const char *req, size_t len, int timeout_ms, uint64_t *height,
		bool find, char *err, size_t errcap)
{
	json_t *j = NULL;
	if (send_req(cl, req, len, timeout_ms, &j, err, errcap) == R_DOWN)
		return R_DOWN;
	int rc = classify(j, height, find, err, errcap);
	json_decref(j);
	return rc;
}

/* ---- submit phase ---- */

typedef struct {
	const bench_records *rs;
	size_t from, n;
	char (*urls)[64];
	unsigned nurls;
	double rate;
	unsigned wait_ms, batch;
	uint64_t t0_us;
	_Atomic size_t next;
	atomic_size_t committed, failed, busy;
	atomic_bool down;
	uint64_t max_height;
	double *lat_ms;	 /* per record, -1: not committed */
	uint64_t *end_us; /* per record, when its receipt came back */
	pthread_mutex_t mu;
	uint64_t first_us, last_us;
	char first_error[256];
} submit_shared;

typedef struct {
	submit_shared *sh;
	unsigned idx;
} client_arg;

static void note_error(submit_shared *sh, const char *msg)
{
	pthread_mutex_lock(&sh->mu);
	if (sh->first_error[0] == '\0')
		snprintf(sh->first_error, sizeof sh->first_error, "%s", msg);
	pthread_mutex_unlock(&sh->mu);
}

/* Writes record k's submit request at req; returns its length. */
static int submit_req(const submit_shared *sh, size_t k, char *req)
{
	const bench_record *r = &sh->rs->r[sh->from + k];
	int n = snprintf(req, 160, "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"submit\","
			 "\"params\":{\"record\":\"", k);
	nt_hex_encode(r->rec, r->len, req + n);
	n += 2 * r->len;
	n += snprintf(req + n, 96, "\",\"wait_ms\":%u}}", sh->wait_ms);
	return n;
}

/* Carries record k to its receipt one request at a time: rc R_BUSY means
 * (re)send the submit, R_PENDING ask for the receipt, waiting again. */
static int finish_one(submit_shared *sh, nt_rpc_client *cl, char *req, size_t k, int rc,
		      uint64_t deadline, uint64_t *h, char *err, size_t errcap)
{
	bool first = true;
	if (rc == R_BUSY) {
		int n = submit_req(sh, k, req);
		while (rc == R_BUSY && bench_now_us() < deadline) {
			if (!first) {
				atomic_fetch_add(&sh->busy, 1);
				bench_sleep_ms(BUSY_BACKOFF_MS);
			}
			first = false;
			rc = call(cl, req, (size_t)n, (int)sh->wait_ms + RPC_GRACE_MS, h, false, err,
				  errcap);
		}
		if (rc == R_BUSY)
			atomic_fetch_add(&sh->busy, 1);
	}
	if (rc == R_PENDING || rc == R_BUSY) {
		/* Still in a mempool: ask for the receipt, waiting again. */
		char idhex[65];
		nt_hex_encode(sh->rs->r[sh->from + k].id.b, 32, idhex);
		int qn = snprintf(req, 512,
				  "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"receipt\","
				  "\"params\":{\"record_id\":\"%s\",\"wait_ms\":%u}}",
				  k, idhex, sh->wait_ms);
		while ((rc == R_PENDING || rc == R_BUSY) && bench_now_us() < deadline) {
			if (rc == R_BUSY)
				bench_sleep_ms(BUSY_BACKOFF_MS);
			rc = call(cl, req, (size_t)qn, (int)sh->wait_ms + RPC_GRACE_MS, h, false,
				  err, errcap);
		}
	}
	return rc;
}

typedef struct {
	uint64_t first, last, maxh;
} client_span;

static void note_result(submit_shared *sh, size_t k, int rc, uint64_t due, uint64_t h,
			const char *err, client_span *sp)
{
	uint64_t end = bench_now_us();
	if (rc == R_COMMITTED) {
		sh->lat_ms[k] = (double)(end - due) / 1000.0;
		sh->end_us[k] = end;
		atomic_fetch_add(&sh->committed, 1);
		if (end > sp->last)
			sp->last = end;
		if (h > sp->maxh)
			sp->maxh = h;
	} else {
		atomic_fetch_add(&sh->failed, 1);
		note_error(sh, err[0] ? err : "not committed within the deadline");
		if (rc == R_DOWN)
			atomic_store(&sh->down, true);
	}
}

/* Records k..k+cnt-1 in one batch message; the elements that come back
 * committed are done, the rest go on one by one (busy, pending). */
static void submit_batch(submit_shared *sh, nt_rpc_client *cl, char *req, size_t k, size_t cnt,
			 uint64_t due, uint64_t deadline, client_span *sp)
{
	char err[256] = "";
	int rcs[BENCH_BATCH_MAX];
	uint64_t hs[BENCH_BATCH_MAX];
	size_t n = 0;
	req[n++] = '[';
	for (size_t j = 0; j < cnt; j++) {
		if (j > 0)
			req[n++] = ',';
		n += (size_t)submit_req(sh, k + j, req + n);
		rcs[j] = R_FAILED;
		hs[j] = 0;
	}
	req[n++] = ']';
	json_t *arr = NULL;
	int rc = send_req(cl, req, n, (int)sh->wait_ms + RPC_GRACE_MS, &arr, err, sizeof err);
	if (rc != R_DOWN && json_is_object(arr) &&
	    json_integer_value(json_object_get(json_object_get(arr, "error"), "code")) == -32003)
		rc = R_BUSY; /* the whole batch refused (not expected: kept simple) */
	for (size_t j = 0; j < cnt; j++) {
		json_t *el = json_array_get(arr, j);
		json_t *id = json_object_get(el, "id");
		if (rc == R_DOWN || rc == R_BUSY)
			rcs[j] = rc;
		else if (json_is_integer(id) && (size_t)json_integer_value(id) == k + j)
			rcs[j] = classify(el, &hs[j], false, err, sizeof err);
		else
			snprintf(err, sizeof err, "batch answer without element %zu", j);
	}
	json_decref(arr);
	for (size_t j = 0; j < cnt; j++) {
		if (rcs[j] == R_BUSY || rcs[j] == R_PENDING) {
			if (rcs[j] == R_BUSY) {
				atomic_fetch_add(&sh->busy, 1);
				bench_sleep_ms(BUSY_BACKOFF_MS);
			}
			rcs[j] = finish_one(sh, cl, req, k + j, rcs[j], deadline, &hs[j], err,
					    sizeof err);
		}
		note_result(sh, k + j, rcs[j], due, hs[j], err, sp);
	}
}

static void *submit_client(void *arg)
{
	client_arg *ca = arg;
	submit_shared *sh = ca->sh;
	nt_rpc_client *cl = NULL;
	nt_why why = {{0}};
	char err[256] = "";
	if (bench_rpc_open(sh->urls[ca->idx % sh->nurls], &cl, &why) != NT_OK) {
		note_error(sh, why.msg);
		return NULL;
	}
	size_t bk = sh->batch > 1 ? sh->batch : 1;
	char *req = malloc(bk * (2 * NT_RECORD_MAX + 256) + 2);
	client_span sp = {UINT64_MAX, 0, 0};
	for (;;) {
		size_t k = atomic_fetch_add(&sh->next, bk);
		if (req == NULL || k >= sh->n || atomic_load(&sh->down))
			break;
		size_t cnt = sh->n - k < bk ? sh->n - k : bk;
		/* Open loop: a batch goes on the schedule of its first record. */
		uint64_t due = sh->t0_us;
		if (sh->rate > 0) {
			due = sh->t0_us + (uint64_t)((double)k * 1e6 / sh->rate);
			uint64_t now = bench_now_us();
			if (due > now)
				bench_sleep_ms((unsigned)((due - now) / 1000u));
			while (bench_now_us() < due)
				;
		}
		uint64_t start = bench_now_us();
		if (sh->rate <= 0)
			due = start;
		if (start < sp.first)
			sp.first = start;
		uint64_t deadline = start + RECORD_DEADLINE_MS * 1000ull;
		if (bk > 1) {
			submit_batch(sh, cl, req, k, cnt, due, deadline, &sp);
			continue;
		}
		uint64_t h = 0;
		err[0] = '\0';
		int rc = finish_one(sh, cl, req, k, R_BUSY, deadline, &h, err, sizeof err);
		note_result(sh, k, rc, due, h, err, &sp);
	}
	free(req);
	nt_rpc_client_close(cl);
	pthread_mutex_lock(&sh->mu);
	if (sp.first < sh->first_us)
		sh->first_us = sp.first;
	if (sp.last > sh->last_us)
		sh->last_us = sp.last;
	if (sp.maxh > sh->max_height)
		sh->max_height = sp.maxh;
	pthread_mutex_unlock(&sh->mu);
	return NULL;
}

/* Runs fn on nclients threads with small stacks. */
static nt_err run_clients(void *(*fn)(void *), void *sh, unsigned nclients, nt_why *why)
{
	pthread_t *th = calloc(nclients, sizeof *th);
	client_arg *args = calloc(nclients, sizeof *args);
	if (th == NULL || args == NULL) {
		free(th);
		free(args);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, CLIENT_STACK);
	unsigned started = 0;
	for (unsigned i = 0; i < nclients; i++) {
		args[i] = (client_arg){.sh = sh, .idx = i};
		if (pthread_create(&th[i], &at, fn, &args[i]) != 0)
			break;
		started++;
	}
	pthread_attr_destroy(&at);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	free(args);
	if (started == 0)
		return nt_fail(why, NT_ERR_NOMEM, "cannot start client threads");
	return NT_OK;
}

nt_err bench_submit(const bench_records *rs, size_t from, size_t n, char urls[][64],
		    unsigned nurls, unsigned nclients, double rate_per_s, unsigned wait_ms,
		    unsigned batch, bench_submit_result *out, nt_why *why)
{
	if (from + n > rs->n || nurls == 0 || nclients == 0 || wait_ms == 0 || batch == 0 ||
	    batch > BENCH_BATCH_MAX)
		return nt_fail(why, NT_ERR_ARG, "bad submit phase arguments");
	submit_shared *sh = calloc(1, sizeof *sh);
	double *lat = malloc((n ? n : 1) * sizeof *lat);
	uint64_t *ends = calloc(n ? n : 1, sizeof *ends);
	if (sh == NULL || lat == NULL || ends == NULL) {
		free(sh);
		free(lat);
		free(ends);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		lat[i] = -1;
	*sh = (submit_shared){.rs = rs, .from = from, .n = n, .urls = urls, .nurls = nurls,
			      .rate = rate_per_s, .wait_ms = wait_ms, .batch = batch, .lat_ms = lat,
			      .end_us = ends, .first_us = UINT64_MAX};
	pthread_mutex_init(&sh->mu, NULL);
	/* Open loop: clients start sleeping on their first due time. */
	sh->t0_us = bench_now_us() + 20000u;
	nt_err e = run_clients(submit_client, sh, nclients, why);
	if (e == NT_OK) {
		bench_submit_result r = {.offered = n, .committed = sh->committed,
					 .failed = sh->failed, .busy_retries = sh->busy,
					 .max_height = sh->max_height};
		uint64_t first = rate_per_s > 0 ? sh->t0_us : sh->first_us;
		if (sh->last_us > first && first != UINT64_MAX)
			r.wall_s = (double)(sh->last_us - first) / 1e6;
		r.records_per_s = r.wall_s > 0 ? (double)r.committed / r.wall_s : 0;
		r.lat_ms = percentiles(lat, n);
		tenths(ends, n, first, sh->last_us, r.tenth_rate);
		snprintf(r.first_error, sizeof r.first_error, "%s", sh->first_error);
		*out = r;
	}
	pthread_mutex_destroy(&sh->mu);
	free(sh);
	free(lat);
	free(ends);
	return e;
}

/* ---- query phase ---- */

typedef struct {
	const bench_records *rs;
	size_t n, nq;
	bool by_digest;
	char (*urls)[64];
	unsigned nurls;
	_Atomic size_t next;
	atomic_size_t done, failed;
	atomic_bool down;
	double *lat_ms;
} query_shared;

static void *query_client(void *arg)
{
	client_arg *ca = arg;
	query_shared *sh = (query_shared *)ca->sh;
	nt_rpc_client *cl = NULL;
	nt_why why = {{0}};
	if (bench_rpc_open(sh->urls[ca->idx % sh->nurls], &cl, &why) != NT_OK)
		return NULL;
	char req[512], err[256], hex[65];
	for (;;) {
		size_t k = atomic_fetch_add(&sh->next, 1);
		if (k >= sh->nq || atomic_load(&sh->down))
			break;
		uint64_t s = k * 0x9e3779b97f4a7c15ull;
		const bench_record *r = &sh->rs->r[splitmix(&s) % sh->n];
		int len;
		if (sh->by_digest) {
			nt_hex_encode(r->digest, 32, hex);
			len = snprintf(req, sizeof req,
				       "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"find\","
				       "\"params\":{\"digest\":\"%s\"}}",
				       k, hex);
		} else {
			nt_hex_encode(r->id.b, 32, hex);
			len = snprintf(req, sizeof req,
				       "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"receipt\","
				       "\"params\":{\"record_id\":\"%s\"}}",
				       k, hex);
		}
		uint64_t t = bench_now_us();
		int rc = R_BUSY;
		for (int tries = 0; rc == R_BUSY && tries < 1000; tries++) {
			rc = call(cl, req, (size_t)len, RPC_GRACE_MS, NULL, sh->by_digest, err,
				  sizeof err);
			if (rc == R_BUSY)
				bench_sleep_ms(1);
		}
		if (rc == R_COMMITTED) {
			sh->lat_ms[k] = (double)(bench_now_us() - t) / 1000.0;
			atomic_fetch_add(&sh->done, 1);
		} else {
			atomic_fetch_add(&sh->failed, 1);
			if (rc == R_DOWN)
				atomic_store(&sh->down, true);
		}
	}
	nt_rpc_client_close(cl);
	return NULL;
}

nt_err bench_query(const bench_records *rs, size_t n, size_t nq, bool by_digest,
		   char urls[][64], unsigned nurls, unsigned nclients, bench_query_result *out,
		   nt_why *why)
{
	if (n == 0 || n > rs->n || nq == 0 || nurls == 0 || nclients == 0)
		return nt_fail(why, NT_ERR_ARG, "bad query phase arguments");
	query_shared *sh = calloc(1, sizeof *sh);
	double *lat = malloc(nq * sizeof *lat);
	if (sh == NULL || lat == NULL) {
		free(sh);
		free(lat);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < nq; i++)
		lat[i] = -1;
	*sh = (query_shared){.rs = rs, .n = n, .nq = nq, .by_digest = by_digest, .urls = urls,
			     .nurls = nurls, .lat_ms = lat};
	uint64_t t0 = bench_now_us();
	nt_err e = run_clients(query_client, sh, nclients, why);
	uint64_t t1 = bench_now_us();
	if (e == NT_OK) {
		bench_query_result r = {.done = sh->done, .failed = sh->failed};
		r.wall_s = (double)(t1 - t0) / 1e6;
		r.per_s = r.wall_s > 0 ? (double)r.done / r.wall_s : 0;
		r.lat_ms = percentiles(lat, nq);
		*out = r;
	}
	free(sh);
	free(lat);
	return e;
}
