/* notaryd's wiring and its event loop.
 *
 * Threads: nng's workers run on_rpc (parse, decode and verify a submitted
 * record, in parallel) and push an event; the loop thread (the caller of
 * nt_node_run) owns ledger, mempool and waiters, answers queries, adds
 * records and cuts blocks. A receipt leaves the node only after the synced
 * append of its block returned. */
#include "node/node.h"

#include "core/hex.h"
#include "core/kv.h"
#include "core/ledger.h"
#include "core/mempool.h"
#include "core/solo.h"
#include "crypto/keys.h"
#include "net/rpc_server.h"
#include "node/config.h"
#include "node/log.h"
#include "node/rpc.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How far the block time may run ahead of our clock in check_block. */
#define MAX_SKEW_MS 5000
/* The loop wakes at least this often to notice the stop flag. */
#define TICK_MS 100
/* After a block that failed its own checks, wait before trying again. */
#define RETRY_MS 1000

typedef struct {
	nt_rpc_req *req;
	nt_rpc_call call;
} event;

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	event *ev;
	size_t cap, head, n;
	bool closed;
} queue;

typedef struct {
	nt_rpc_req *req;
	char *id;
	nt_hash record_id;
	uint64_t deadline;
} waiter;

typedef struct {
	nt_config cfg;
	nt_genesis genesis;
	nt_seckey *key;
	nt_pubkey pub;
	nt_kv *kv;
	nt_ledger *ledger;
	nt_mempool *mp;
	nt_rpc_server *srv;
	queue q;
	event *batch; /* the loop's copy of the queue, q.cap entries */
	waiter *w;
	size_t nw, wcap;
	/* peek scratch, block_max_records entries */
	const uint8_t **recs;
	size_t *lens;
	nt_hash *ids;
	nt_commit *commit;
	uint64_t last_block; /* monotonic ms of the last block (or start) */
	uint64_t retry_at;   /* no block before this (after a failed check) */
	bool fatal;
} node;

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

static void send_reply(nt_rpc_req *req, char *body)
{
	if (body == NULL) {
		static const char oom[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-"
					  "32603,\"message\":\"out of memory\"}}";
		nt_rpc_reply(req, oom, sizeof oom - 1);
		return;
	}
	nt_rpc_reply(req, body, strlen(body));
	free(body);
}

static nt_rpc_env env_of(const node *n)
{
	return (nt_rpc_env){.ledger = n->ledger,
			    .mempool = n->mp,
			    .node_pubkey = n->pub,
			    .is_validator = nt_valset_index(&n->genesis.vals, &n->pub) >= 0,
			    .version = NT_VERSION};
}

/* ---- RPC threads ---- */

static void on_rpc(void *arg, nt_rpc_req *req, const char *body, size_t len)
{
	node *n = arg;
	nt_rpc_call c;
	char *err = NULL;
	if (nt_rpc_parse(body, len, &c, &err) != NT_OK) {
		if (nt_log_get_level() <= NT_LOG_DEBUG)
			nt_log(NT_LOG_DEBUG, "rejected request: %s", err ? err : "(out of memory)");
		send_reply(req, err);
		return;
	}
	queue *q = &n->q;
	pthread_mutex_lock(&q->mu);
	bool closed = q->closed, full = q->n == q->cap;
	if (!closed && !full) {
		q->ev[(q->head + q->n) % q->cap] = (event){.req = req, .call = c};
		q->n++;
		pthread_cond_signal(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	if (closed || full) {
		nt_log(NT_LOG_DEBUG, "request refused: %s",
		       closed ? "shutting down" : "queue full");
		send_reply(req, nt_rpc_error(c.id, NT_RPC_E_BUSY, "%s",
					     closed ? "node is shutting down; retry later"
						    : "node is busy; retry later"));
		nt_rpc_call_free(&c);
	}
}

/* ---- waiters ---- */

static void waiter_add(node *n, nt_rpc_req *req, nt_rpc_call *c, uint64_t now)
{
	if (n->nw == n->wcap) {
		size_t cap = n->wcap ? 2 * n->wcap : 64;
		waiter *w = realloc(n->w, cap * sizeof *w);
		if (w == NULL) {
			nt_rpc_env env = env_of(n);
			send_reply(req, nt_rpc_record_reply(&env, c->id, &c->record_id));
			return;
		}
		n->w = w;
		n->wcap = cap;
	}
	n->w[n->nw++] = (waiter){
	    .req = req, .id = c->id, .record_id = c->record_id, .deadline = now + c->wait_ms};
	c->id = NULL; /* the waiter owns it now */
}

static void waiter_answer(node *n, size_t i)
{
	nt_rpc_env env = env_of(n);
	send_reply(n->w[i].req, nt_rpc_record_reply(&env, n->w[i].id, &n->w[i].record_id));
	free(n->w[i].id);
	n->w[i] = n->w[--n->nw];
}

/* Answers waiters whose record left the mempool (committed) or whose time
 * is up (pending); with all, everyone. */
static void waiters_settle(node *n, uint64_t now, bool all)
{
	for (size_t i = 0; i < n->nw;) {
		if (all || now >= n->w[i].deadline ||
		    !nt_mempool_contains(n->mp, &n->w[i].record_id))
			waiter_answer(n, i);
		else
			i++;
	}
}

/* ---- block production ---- */

static bool known_valid(void *arg, const nt_hash *id)
{
	return nt_mempool_contains(arg, id);
}

/* Decides the next block and makes it durable. For a one-validator network
 * that is produce (propose + own precommit) -> check -> synced append; the
 * multi-node consensus engine replaces this function. Only after it returns
 * NT_OK may anyone be told the block's records are committed. */
static nt_err decide_and_commit_block(node *n)
{
	const nt_config *cfg = &n->cfg;
	uint64_t t0 = mono_ms();
	struct timespec ts0;
	clock_gettime(CLOCK_MONOTONIC, &ts0);
	size_t cnt = nt_mempool_peek(n->mp, cfg->block_max_records, cfg->block_max_bytes, n->recs,
				     n->lens, n->ids);
	nt_block *b = NULL;
	nt_why why = {{0}};
	uint64_t now = clock_ms(CLOCK_REALTIME);
	nt_err e = nt_solo_produce(n->ledger, n->key, n->recs, n->lens, (uint32_t)cnt, now, &b,
				   n->commit, &why);
	if (e != NT_OK) {
		nt_log(NT_LOG_ERROR, "cannot produce block %" PRIu64 ": %s",
		       nt_ledger_height(n->ledger) + 1, why.msg[0] ? why.msg : nt_strerror(e));
		n->retry_at = t0 + RETRY_MS;
		return e;
	}
	e = nt_ledger_check_block(n->ledger, b, clock_ms(CLOCK_REALTIME), MAX_SKEW_MS, known_valid,
				  n->mp, &why);
	if (e != NT_OK) {
		nt_log(NT_LOG_ERROR, "block %" PRIu64 " failed its own checks: %s",
		       b->header.height, why.msg[0] ? why.msg : nt_strerror(e));
		nt_block_free(b);
		n->retry_at = t0 + RETRY_MS;
		return e;
	}
	e = nt_ledger_append(n->ledger, b, n->commit, &why);
	if (e != NT_OK) {
		/* Nothing was written (append is one batch) but the store can no
		 * longer be trusted to take writes: stop before anyone is told. */
		nt_log(NT_LOG_ERROR,
		       "STORE FAILURE writing block %" PRIu64 ": %s; stopping the node",
		       b->header.height, why.msg[0] ? why.msg : nt_strerror(e));
		nt_block_free(b);
		n->fatal = true;
		return e;
	}
	nt_mempool_remove(n->mp, b->ids, b->count);
	struct timespec ts1;
	clock_gettime(CLOCK_MONOTONIC, &ts1);
	double ms =
	    (double)(ts1.tv_sec - ts0.tv_sec) * 1e3 + (double)(ts1.tv_nsec - ts0.tv_nsec) / 1e6;
	char hash[65];
	nt_hex_encode(nt_ledger_tip_hash(n->ledger)->b, NT_HASH_LEN, hash);
	nt_log(NT_LOG_INFO, "block %" PRIu64 ": %" PRIu32 " record%s, hash %.8s..., %.1f ms",
	       b->header.height, b->count, b->count == 1 ? "" : "s", hash, ms);
	nt_block_free(b);
	n->last_block = mono_ms();
	waiters_settle(n, n->last_block, false);
	return NT_OK;
}

static bool full_block_ready(const node *n)
{
	return nt_mempool_count(n->mp) >= n->cfg.block_max_records ||
	       nt_mempool_bytes(n->mp) >= n->cfg.block_max_bytes;
}

/* When the next block is due (UINT64_MAX: none). */
static uint64_t block_due(const node *n)
{
	uint64_t due = UINT64_MAX;
	if (nt_mempool_count(n->mp) > 0)
		due = full_block_ready(n) ? 0 : nt_mempool_oldest(n->mp) + n->cfg.block_interval_ms;
	else if (n->cfg.block_heartbeat_s > 0)
		due = n->last_block + (uint64_t)n->cfg.block_heartbeat_s * 1000u;
	if (due != UINT64_MAX && due < n->retry_at)
		due = n->retry_at;
	return due;
}

static void maybe_cut(node *n)
{
	/* Several blocks may be due at once after a burst. */
	for (int i = 0; i < 64 && !n->fatal && block_due(n) <= mono_ms(); i++) {
		if (decide_and_commit_block(n) != NT_OK)
			break;
	}
}

/* ---- events ---- */

static void on_submit(node *n, event *ev, uint64_t now)
{
	nt_rpc_call *c = &ev->call;
	nt_rpc_env env = env_of(n);
	uint64_t h;
	uint32_t idx;
	nt_err e = nt_ledger_locate(n->ledger, &c->record_id, &h, &idx);
	if (e == NT_OK) {
		send_reply(ev->req, nt_rpc_record_reply(&env, c->id, &c->record_id));
		return;
	}
	if (e != NT_ERR_NOT_FOUND) {
		send_reply(ev->req, nt_rpc_error(c->id, NT_RPC_E_STORAGE, "storage failure: %s",
						 nt_strerror(e)));
		return;
	}
	e = nt_mempool_add(n->mp, c->record, c->record_len, &c->record_id, now);
	if (e == NT_ERR_FULL) {
		nt_log(NT_LOG_DEBUG, "submit refused: mempool full");
		send_reply(ev->req,
			   nt_rpc_error(c->id, NT_RPC_E_BUSY,
					"mempool is full (%zu records, %zu bytes); retry later",
					nt_mempool_count(n->mp), nt_mempool_bytes(n->mp)));
		return;
	}
	if (e != NT_OK && e != NT_ERR_EXISTS) {
		send_reply(ev->req,
			   nt_rpc_error(c->id, NT_RPC_E_INTERNAL, "mempool: %s", nt_strerror(e)));
		return;
	}
	if (c->wait_ms > 0)
		waiter_add(n, ev->req, c, now);
	else
		send_reply(ev->req, nt_rpc_record_reply(&env, c->id, &c->record_id));
	/* A full block is cut at once, not at the next wake-up. */
	if (full_block_ready(n))
		maybe_cut(n);
}

static void on_receipt(node *n, event *ev, uint64_t now)
{
	nt_rpc_call *c = &ev->call;
	nt_rpc_env env = env_of(n);
	uint64_t h;
	uint32_t idx;
	nt_err e = nt_ledger_locate(n->ledger, &c->record_id, &h, &idx);
	if (e == NT_OK ||
	    (e == NT_ERR_NOT_FOUND && nt_mempool_contains(n->mp, &c->record_id) && c->wait_ms == 0))
		send_reply(ev->req, nt_rpc_record_reply(&env, c->id, &c->record_id));
	else if (e == NT_ERR_NOT_FOUND && nt_mempool_contains(n->mp, &c->record_id))
		waiter_add(n, ev->req, c, now);
	else if (e == NT_ERR_NOT_FOUND)
		send_reply(ev->req, nt_rpc_error(c->id, NT_RPC_E_NOT_FOUND, "unknown record"));
	else
		send_reply(ev->req, nt_rpc_error(c->id, NT_RPC_E_STORAGE, "storage failure: %s",
						 nt_strerror(e)));
}

static void handle_event(node *n, event *ev)
{
	uint64_t now = mono_ms();
	switch (ev->call.method) {
	case NT_RPC_SUBMIT:
		on_submit(n, ev, now);
		break;
	case NT_RPC_RECEIPT:
		on_receipt(n, ev, now);
		break;
	default: {
		nt_rpc_env env = env_of(n);
		send_reply(ev->req, nt_rpc_exec_query(&env, &ev->call));
		break;
	}
	}
	nt_rpc_call_free(&ev->call);
}

/* Takes every queued event (waiting until deadline if there is none) and
 * handles them outside the lock. */
static void drain_queue(node *n, uint64_t deadline)
{
	queue *q = &n->q;
	pthread_mutex_lock(&q->mu);
	if (q->n == 0 && deadline > mono_ms()) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t wait = deadline - mono_ms();
		ts.tv_sec += (time_t)(wait / 1000);
		ts.tv_nsec += (long)(wait % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&q->cv, &q->mu, &ts);
	}
	size_t cnt = q->n;
	for (size_t i = 0; i < cnt; i++)
		n->batch[i] = q->ev[(q->head + i) % q->cap];
	q->head = (q->head + cnt) % q->cap;
	q->n = 0;
	pthread_mutex_unlock(&q->mu);
	for (size_t i = 0; i < cnt; i++)
		handle_event(n, &n->batch[i]);
}

static uint64_t next_deadline(const node *n, uint64_t now)
{
	uint64_t d = now + TICK_MS;
	uint64_t due = block_due(n);
	if (due < d)
		d = due;
	for (size_t i = 0; i < n->nw; i++)
		if (n->w[i].deadline < d)
			d = n->w[i].deadline;
	return d;
}

static void run_loop(node *n, const volatile sig_atomic_t *stop)
{
	while (!*stop && !n->fatal) {
		drain_queue(n, next_deadline(n, mono_ms()));
		if (n->fatal)
			break;
		maybe_cut(n);
		waiters_settle(n, mono_ms(), false);
	}
}

/* ---- start and stop ---- */

static int fail_start(const char *what, const nt_why *why, nt_err e)
{
	nt_log(NT_LOG_ERROR, "%s: %s", what, why->msg[0] ? why->msg : nt_strerror(e));
	return 1;
}

static int open_all(node *n, const char *home)
{
	nt_why why = {{0}};
	nt_err e;
	if ((e = nt_config_load(home, &n->cfg, &why)) != NT_OK)
		return fail_start("cannot load the configuration", &why, e);
	if ((e = nt_genesis_load(n->cfg.genesis_file, &n->genesis, &why)) != NT_OK)
		return fail_start("cannot load the genesis file", &why, e);
	if ((e = nt_keyfile_read(n->cfg.key_file, &n->key, &why)) != NT_OK)
		return fail_start("cannot read the validator key", &why, e);
	nt_seckey_pubkey(n->key, &n->pub);
	char pk[65];
	nt_hex_encode(n->pub.b, NT_PUBKEY_LEN, pk);
	if (n->genesis.vals.n != 1) {
		nt_log(NT_LOG_ERROR,
		       "this network has %u validators; multi-validator consensus is not available "
		       "yet",
		       (unsigned)n->genesis.vals.n);
		return 1;
	}
	if (nt_valset_index(&n->genesis.vals, &n->pub) != 0) {
		nt_log(NT_LOG_ERROR, "this node's key %s is not the validator of chain %s (%s)", pk,
		       n->genesis.chain_id, n->cfg.genesis_file);
		return 1;
	}
	if ((e = nt_kv_leveldb_open(n->cfg.data_dir, &n->kv, &why)) != NT_OK) {
		if (strstr(why.msg, "lock") != NULL || strstr(why.msg, "LOCK") != NULL)
			nt_log(NT_LOG_ERROR,
			       "the store %s is in use: is another notaryd running with this home? "
			       "(%s)",
			       n->cfg.data_dir, why.msg);
		else
			fail_start("cannot open the store", &why, e);
		return 1;
	}
	if ((e = nt_ledger_open(n->kv, &n->genesis, &n->ledger, &why)) != NT_OK)
		return fail_start("cannot open the ledger", &why, e);
	if ((e = nt_mempool_new(n->cfg.mempool_max_records, n->cfg.mempool_max_bytes, &n->mp)) !=
	    NT_OK)
		return fail_start("cannot create the mempool", &why, e);

	size_t br = n->cfg.block_max_records, qc = n->cfg.rpc_contexts;
	n->recs = calloc(br, sizeof *n->recs);
	n->lens = calloc(br, sizeof *n->lens);
	n->ids = calloc(br, sizeof *n->ids);
	n->commit = malloc(sizeof *n->commit);
	n->q.ev = calloc(qc, sizeof *n->q.ev);
	n->batch = calloc(qc, sizeof *n->batch);
	if (!n->recs || !n->lens || !n->ids || !n->commit || !n->q.ev || !n->batch) {
		nt_log(NT_LOG_ERROR, "out of memory");
		return 1;
	}
	/* Every event holds one nng context until answered, so the queue
	 * never needs more slots than there are contexts. */
	n->q.cap = qc;
	n->last_block = mono_ms();

	const nt_header *tip = nt_ledger_tip(n->ledger);
	char th[65] = "-";
	if (tip != NULL)
		nt_hex_encode(nt_ledger_tip_hash(n->ledger)->b, NT_HASH_LEN, th);
	nt_log(NT_LOG_INFO,
	       "notaryd %s: chain %s, height %" PRIu64 ", tip %.16s, validator %s (%s)", NT_VERSION,
	       n->genesis.chain_id, nt_ledger_height(n->ledger), th, pk, n->cfg.moniker);

	if ((e = nt_rpc_server_start(n->cfg.rpc, n->cfg.rpc_contexts, NT_RPC_MAX_MSG, on_rpc, n,
				     &n->srv, &why)) != NT_OK)
		return fail_start("cannot start the RPC server", &why, e);
	nt_log(NT_LOG_INFO,
	       "serving JSON-RPC on %s (%u contexts); blocks every %u ms or %u records", n->cfg.rpc,
	       n->cfg.rpc_contexts, n->cfg.block_interval_ms, n->cfg.block_max_records);
	return 0;
}

/* Orderly shutdown: refuse new requests, handle what is queued, commit
 * what is pending, answer every waiter, then stop the transport (which
 * must not be touched after). */
static void shutdown_node(node *n)
{
	queue *q = &n->q;
	if (q->ev != NULL) {
		pthread_mutex_lock(&q->mu);
		q->closed = true;
		pthread_mutex_unlock(&q->mu);
	}
	if (n->srv != NULL && !n->fatal) {
		drain_queue(n, 0);
		for (int i = 0; i < 64 && !n->fatal && nt_mempool_count(n->mp) > 0; i++)
			if (decide_and_commit_block(n) != NT_OK)
				break;
	}
	/* After a store failure nobody gets a receipt: the waiters learn why. */
	nt_rpc_env env = env_of(n);
	for (size_t i = 0; i < n->nw; i++) {
		if (n->fatal)
			send_reply(n->w[i].req,
				   nt_rpc_error(n->w[i].id, NT_RPC_E_STORAGE,
						"storage failure on the node; it is stopping"));
		else
			send_reply(n->w[i].req,
				   nt_rpc_record_reply(&env, n->w[i].id, &n->w[i].record_id));
		free(n->w[i].id);
	}
	n->nw = 0;
	nt_rpc_server_stop(n->srv);
	n->srv = NULL;
	/* Requests queued after the drain were abandoned with the transport. */
	for (size_t i = 0; i < q->n; i++)
		nt_rpc_call_free(&q->ev[(q->head + i) % q->cap].call);
	q->n = 0;
}

static void free_all(node *n)
{
	free(n->w);
	free(n->recs);
	free(n->lens);
	free(n->ids);
	free(n->commit);
	free(n->q.ev);
	free(n->batch);
	nt_mempool_free(n->mp);
	nt_ledger_free(n->ledger);
	nt_kv_close(n->kv);
	nt_seckey_free(n->key);
	nt_config_free(&n->cfg);
}

int nt_node_run(const char *home, const volatile sig_atomic_t *stop)
{
	node *n = calloc(1, sizeof *n);
	if (n == NULL) {
		nt_log(NT_LOG_ERROR, "out of memory");
		return 1;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->q.cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&n->q.mu, NULL);

	int rc = open_all(n, home);
	if (rc == 0) {
		run_loop(n, stop);
		nt_log(NT_LOG_INFO, "%s",
		       n->fatal ? "stopping after a fatal error" : "shutting down");
	}
	shutdown_node(n);
	if (rc == 0 && !n->fatal)
		nt_log(NT_LOG_INFO, "stopped cleanly at height %" PRIu64,
		       nt_ledger_height(n->ledger));
	if (n->fatal)
		rc = 1;
	free_all(n);
	pthread_cond_destroy(&n->q.cv);
	pthread_mutex_destroy(&n->q.mu);
	free(n);
	return rc;
}
