/* notaryd's wiring, its RPC events and its event loop.
 *
 * Threads: nng's workers run on_rpc (parse, decode and verify a submitted
 * record, in parallel) and push an event, or answer a read-only query from
 * the store themselves (answer_here); the peer transport and the sync
 * thread push peer events (gossip.c). The loop thread (the caller of
 * nt_node_run) owns ledger, mempool, waiters and the consensus engine
 * (consensus_host.c): it answers queries, adds records, feeds the engine
 * and executes its actions. Every network size, n = 1 included, runs the
 * same Tendermint engine. A receipt of a block this node committed leaves
 * only after the synced append of that block returned (fetched blocks:
 * catchup.c). */
#include "node/node.h"

#include "base/hex.h"
#include "node/genesis_file.h"
#include "node/kv_leveldb.h"
#include "node/log.h"
#include "node/node_internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* The loop wakes at least this often to notice the stop flag. */
#define TICK_MS 100
/* JSON-RPC error: submit to an observer. */

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t nd_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t nd_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

/* ---- replies ---- */

/* A batch in flight: one slot per element, sent as one array when the last
 * is filled. Slots are filled on the RPC thread that parsed the batch (parse
 * errors, answer_here, busy) and, once its event is queued, on the loop
 * thread (handle_call, waiters, shutdown). `left` counts the empty slots
 * plus one hold, kept by whoever may still dispatch elements (the RPC
 * thread, then the queued event), so the batch cannot be sent and freed
 * under a dispatcher still walking it. */
struct rpc_batch {
	pthread_mutex_t mu;
	nt_rpc_req *req;
	size_t n, left;
	size_t bytes; /* of the replies so far (NT_RPC_BATCH_REPLY_MAX) */
	char **replies;
	nt_rpc_call *calls; /* parsed elements; zeroed once answered or handed on */
	char **ids;	    /* each element's id, for the reply-size error */
	bool *queued;	    /* element i waits in the queued event */
};

static reply_to to_req(nt_rpc_req *req)
{
	return (reply_to){.req = req};
}

static void reply_single(nt_rpc_req *req, char *body)
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

static void batch_free(rpc_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->replies[i]);
		free(b->ids[i]);
	}
	nt_rpc_batch_parsed_free(b->calls, NULL, b->n);
	free(b->replies);
	free(b->ids);
	free(b->queued);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

/* Drops one count (a filled slot or the hold); the last one sends. */
static void batch_put(rpc_batch *b, size_t slot, char *body)
{
	pthread_mutex_lock(&b->mu);
	if (slot < b->n) {
		size_t l = body != NULL ? strlen(body) : 0;
		if (b->bytes + l > NT_RPC_BATCH_REPLY_MAX) {
			free(body);
			body = nt_rpc_error(b->ids[slot], NT_RPC_E_TOO_LARGE,
					    "the batch's reply would exceed %u bytes; send this "
					    "request alone",
					    NT_RPC_BATCH_REPLY_MAX);
			l = body != NULL ? strlen(body) : 0;
		}
		b->bytes += l;
		b->replies[slot] = body;
	}
	bool last = --b->left == 0;
	pthread_mutex_unlock(&b->mu);
	if (!last)
		return;
	char *all = nt_rpc_batch_join(b->replies, b->n);
	nt_rpc_req *req = b->req;
	batch_free(b);
	reply_single(req, all);
}

static void send_reply(reply_to to, char *body)
{
	if (to.b != NULL)
		batch_put(to.b, to.slot, body);
	else
		reply_single(to.req, body);
}

nt_rpc_env nd_env(node *n)
{
	return (nt_rpc_env){.ledger = n->ledger,
			    .mempool = n->mp,
			    .node_pubkey = n->pub,
			    .is_validator = n->self >= 0 || n->read_only,
			    .version = NT_VERSION,
			    .store_corruptions = &n->store_corruptions};
}

/* ---- RPC threads ---- */

/* Answers a query that needs only the store, on the calling RPC thread, so
 * that queries run in parallel and do not queue behind consensus work in
 * the loop. LevelDB reads are thread-safe and stored blocks never change
 * (a canonical-commit swap replaces one valid commit by another). Anything
 * that needs the loop's state -- the mempool, waiting, a record not
 * committed yet -- returns false and goes the usual way. */
static bool answer_here(node *n, reply_to to, nt_rpc_call *c)
{
	switch (c->method) {
	case NT_RPC_RECEIPT:
	case NT_RPC_FIND:
	case NT_RPC_BLOCK:
	case NT_RPC_VALIDATORS:
	case NT_RPC_SYNC:
		break;
	default:
		return false;
	}
	queue *q = &n->q;
	pthread_rwlock_rdlock(&q->store_lock);
	if (q->store_closed) {
		pthread_rwlock_unlock(&q->store_lock);
		return false;
	}
	char *reply = NULL;
	if (c->method == NT_RPC_RECEIPT) {
		uint64_t h;
		uint32_t idx;
		char *rj = NULL;
		nt_err e = nt_ledger_locate(n->ledger, &c->record_id, &h, &idx);
		/* NOT_FOUND after a successful locate: the block's batch is
		 * written but the ledger's tip not yet moved; the loop knows. */
		if (e == NT_OK && (e = nt_ledger_receipt(n->ledger, &c->record_id, &rj)) == NT_OK)
			reply = nt_rpc_committed_reply(c->id, &c->record_id, h, rj);
		free(rj);
		if (e != NT_OK) {
			pthread_rwlock_unlock(&q->store_lock);
			return false;
		}
	} else {
		nt_rpc_env env = nd_env(n);
		reply = nt_rpc_exec_query(&env, c);
	}
	pthread_rwlock_unlock(&q->store_lock);
	send_reply(to, reply);
	nt_rpc_call_free(c);
	return true;
}

/* Queues ev for the loop; false (with *closed saying why) when the queue
 * is closed or full. */
static bool enqueue(node *n, rpc_event ev, bool *closed)
{
	queue *q = &n->q;
	pthread_mutex_lock(&q->mu);
	*closed = q->closed;
	bool ok = !q->closed && q->n < q->cap;
	if (ok) {
		q->ev[(q->head + q->n) % q->cap] = ev;
		q->n++;
		pthread_cond_signal(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	if (!ok)
		nt_log(NT_LOG_DEBUG, "request refused: %s",
		       *closed ? "shutting down" : "queue full");
	return ok;
}

static char *busy_reply(const char *id, bool closed)
{
	return nt_rpc_error(id, NT_RPC_E_BUSY, "%s",
			    closed ? "node is shutting down; retry later"
				   : "node is busy; retry later");
}

static rpc_batch *batch_new(nt_rpc_req *req, nt_rpc_call *calls, size_t cnt)
{
	rpc_batch *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NULL;
	b->replies = calloc(cnt, sizeof *b->replies);
	b->ids = calloc(cnt, sizeof *b->ids);
	b->queued = calloc(cnt, sizeof *b->queued);
	bool ok = b->replies && b->ids && b->queued;
	for (size_t i = 0; ok && i < cnt; i++)
		ok = calls[i].id == NULL || (b->ids[i] = strdup(calls[i].id)) != NULL;
	if (!ok) {
		for (size_t i = 0; b->ids != NULL && i < cnt; i++)
			free(b->ids[i]);
		free(b->replies);
		free(b->ids);
		free(b->queued);
		free(b);
		return NULL;
	}
	pthread_mutex_init(&b->mu, NULL);
	b->req = req;
	b->n = cnt;
	b->left = cnt + 1; /* + the hold */
	b->calls = calls;
	return b;
}

/* A batch: every element is handled as a single request would be, with its
 * reply going to its slot; the elements that need the loop go in one event. */
static void on_batch(node *n, nt_rpc_req *req, const char *body, size_t len)
{
	nt_rpc_call *calls = NULL;
	char **errs = NULL, *err = NULL;
	size_t cnt = 0;
	if (nt_rpc_parse_batch(body, len, &calls, &errs, &cnt, &err) != NT_OK) {
		if (nt_log_get_level() <= NT_LOG_DEBUG)
			nt_log(NT_LOG_DEBUG, "rejected batch: %s", err ? err : "(out of memory)");
		reply_single(req, err);
		return;
	}
	rpc_batch *b = batch_new(req, calls, cnt);
	if (b == NULL) {
		nt_rpc_batch_parsed_free(calls, errs, cnt);
		reply_single(req, NULL);
		return;
	}
	size_t queued = 0;
	for (size_t i = 0; i < cnt; i++) {
		reply_to to = {.b = b, .slot = i};
		if (errs[i] != NULL) {
			batch_put(b, i, errs[i]);
			errs[i] = NULL;
		} else if (!answer_here(n, to, &b->calls[i])) {
			b->queued[i] = true;
			queued++;
		}
	}
	free(errs);
	bool closed = false;
	/* From here the queued event holds the batch: hands off. */
	if (queued > 0 && enqueue(n, (rpc_event){.batch = b}, &closed))
		return;
	for (size_t i = 0; queued > 0 && i < cnt; i++)
		if (b->queued[i]) {
			b->queued[i] = false;
			batch_put(b, i, busy_reply(b->calls[i].id, closed));
			nt_rpc_call_free(&b->calls[i]);
		}
	batch_put(b, SIZE_MAX, NULL); /* the hold */
}

static void on_rpc(void *arg, nt_rpc_req *req, const char *body, size_t len)
{
	node *n = arg;
	if (nt_rpc_is_batch(body, len)) {
		on_batch(n, req, body, len);
		return;
	}
	nt_rpc_call c;
	char *err = NULL;
	if (nt_rpc_parse(body, len, &c, &err) != NT_OK) {
		if (nt_log_get_level() <= NT_LOG_DEBUG)
			nt_log(NT_LOG_DEBUG, "rejected request: %s", err ? err : "(out of memory)");
		reply_single(req, err);
		return;
	}
	if (answer_here(n, to_req(req), &c))
		return;
	bool closed = false;
	if (!enqueue(n, (rpc_event){.to = to_req(req), .call = c}, &closed)) {
		reply_single(req, busy_reply(c.id, closed));
		nt_rpc_call_free(&c);
	}
}

/* ---- waiters ---- */

static void waiter_add(node *n, reply_to to, nt_rpc_call *c, uint64_t now)
{
	if (n->nw == n->wcap) {
		size_t cap = n->wcap ? 2 * n->wcap : 64;
		waiter *w = realloc(n->w, cap * sizeof *w);
		if (w == NULL) {
			nt_rpc_env env = nd_env(n);
			send_reply(to, nt_rpc_record_reply(&env, c->id, &c->record_id));
			return;
		}
		n->w = w;
		n->wcap = cap;
	}
	n->w[n->nw++] = (waiter){
	    .to = to, .id = c->id, .record_id = c->record_id, .deadline = now + c->wait_ms};
	c->id = NULL; /* the waiter owns it now */
}

static void waiter_answer(node *n, size_t i)
{
	nt_rpc_env env = nd_env(n);
	send_reply(n->w[i].to, nt_rpc_record_reply(&env, n->w[i].id, &n->w[i].record_id));
	free(n->w[i].id);
	n->w[i] = n->w[--n->nw];
}

/* Answers the waiters of the block just stored at height with one load of
 * the block (nt_ledger_block_receipts) instead of one per record. Waiters
 * it cannot answer are left to nd_waiters_settle's per-record path. */
void nd_waiters_block(node *n, uint64_t height)
{
	if (n->nw == 0)
		return;
	nt_block_receipts *br = NULL;
	if (nt_ledger_block_receipts(n->ledger, height, &br) != NT_OK)
		return;
	for (size_t i = 0; i < n->nw;) {
		char *rj = NULL;
		if (nt_block_receipts_get(br, &n->w[i].record_id, &rj) != NT_OK) {
			i++;
			continue;
		}
		send_reply(n->w[i].to,
			   nt_rpc_committed_reply(n->w[i].id, &n->w[i].record_id, height, rj));
		free(rj);
		free(n->w[i].id);
		n->w[i] = n->w[--n->nw];
	}
	nt_block_receipts_free(br);
}

/* Answers waiters whose record left the mempool (committed) or whose time
 * is up (pending); with all, everyone. */
void nd_waiters_settle(node *n, uint64_t now, bool all)
{
	for (size_t i = 0; i < n->nw;) {
		if (all || now >= n->w[i].deadline ||
		    !nt_mempool_contains(n->mp, &n->w[i].record_id))
			waiter_answer(n, i);
		else
			i++;
	}
}

/* ---- events ---- */

static void on_submit(node *n, reply_to to, nt_rpc_call *c, uint64_t now)
{
	nt_rpc_env env = nd_env(n);
	uint64_t h;
	uint32_t idx;
	nt_err e = nt_ledger_locate(n->ledger, &c->record_id, &h, &idx);
	if (e == NT_OK) {
		send_reply(to, nt_rpc_record_reply(&env, c->id, &c->record_id));
		return;
	}
	if (e != NT_ERR_NOT_FOUND) {
		nt_rpc_note_store_error(&env, e, "the index of submitted records");
		send_reply(to, nt_rpc_error(c->id, NT_RPC_E_STORAGE, "storage failure: %s",
					    nt_strerror(e)));
		return;
	}
	if (n->self < 0) {
		/* An observer never proposes, so a record it took would wait
		 * for someone else to gossip it: say where to go instead. */
		send_reply(to,
			   nt_rpc_error(c->id, NT_RPC_E_OBSERVER, "%s",
					n->read_only
					    ? "this validator runs read-only: its store is "
					      "behind its sign-state (see its log); submit "
					      "elsewhere"
					    : "this node is an observer; submit to a validator"));
		return;
	}
	e = nt_mempool_add(n->mp, c->record, c->record_len, &c->record_id, now);
	if (e == NT_ERR_FULL) {
		nt_log(NT_LOG_DEBUG, "submit refused: mempool full");
		send_reply(to, nt_rpc_error(c->id, NT_RPC_E_BUSY,
					    "mempool is full (%zu records, %zu bytes); retry later",
					    nt_mempool_count(n->mp), nt_mempool_bytes(n->mp)));
		return;
	}
	if (e != NT_OK && e != NT_ERR_EXISTS) {
		send_reply(to,
			   nt_rpc_error(c->id, NT_RPC_E_INTERNAL, "mempool: %s", nt_strerror(e)));
		return;
	}
	/* New to us: the other validators' mempools get it too, so whoever
	 * proposes next can include it. */
	if (e == NT_OK) {
		nd_gossip_tx(n, c->record, c->record_len);
		n->arrived = true;
	}
	if (c->wait_ms > 0)
		waiter_add(n, to, c, now);
	else
		send_reply(to, nt_rpc_record_reply(&env, c->id, &c->record_id));
	/* A full block is started at once, not at the next wake-up; anything
	 * else waits for the end of this batch of events (nd_cons_tick), so
	 * that a pipelined height takes every record that came with it. */
	if (nt_mempool_count(n->mp) >= n->cfg.block_max_records ||
	    nt_mempool_bytes(n->mp) >= n->cfg.block_max_bytes)
		nd_cons_maybe_start(n, false);
}

static void on_receipt(node *n, reply_to to, nt_rpc_call *c, uint64_t now)
{
	nt_rpc_env env = nd_env(n);
	uint64_t h;
	uint32_t idx;
	nt_err e = nt_ledger_locate(n->ledger, &c->record_id, &h, &idx);
	if (e == NT_OK ||
	    (e == NT_ERR_NOT_FOUND && nt_mempool_contains(n->mp, &c->record_id) && c->wait_ms == 0))
		send_reply(to, nt_rpc_record_reply(&env, c->id, &c->record_id));
	else if (e == NT_ERR_NOT_FOUND && nt_mempool_contains(n->mp, &c->record_id))
		waiter_add(n, to, c, now);
	else if (e == NT_ERR_NOT_FOUND)
		send_reply(to, nt_rpc_error(c->id, NT_RPC_E_NOT_FOUND, "unknown record"));
	else {
		nt_rpc_note_store_error(&env, e, "the index of committed records");
		send_reply(to, nt_rpc_error(c->id, NT_RPC_E_STORAGE, "storage failure: %s",
					    nt_strerror(e)));
	}
}

/* Consensus and peer state for the status method. */
static char *status_extra(const node *n)
{
	static const char *const steps[] = {"idle", "propose", "prevote", "precommit"};
	const nt_cons_stats *st = nt_cons_stats_get(n->cons);
	uint8_t step = nd_cons_running(n) ? nt_cons_step(n->cons) : 0;
	json_t *o = json_pack(
	    "{s:I,s:I,s:s,s:b,s:i,s:I,s:I,s:I}", "consensus_height",
	    (json_int_t)(nd_cons_running(n) ? nt_cons_height(n->cons) : nt_ledger_height(n->ledger) + 1),
	    "round", (json_int_t)(nd_cons_running(n) ? nt_cons_round(n->cons) : 0), "step",
	    step <= 3 ? steps[step] : "?", "observer", n->self < 0 && !n->read_only,
	    "peers_connected", n->peer != NULL ? (int)nt_peer_connected(n->peer) : 0,
	    "equivocations", (json_int_t)st->equivocations, "blocks_fetched",
	    (json_int_t)n->blocks_synced, "proposals_relayed", (json_int_t)n->relayed);
	if (o != NULL) {
		json_object_set_new(o, "records_regossiped",
				    json_integer((json_int_t)n->regossiped));
		json_object_set_new(o, "store_behind_sign_state", nd_guard_status(n));
		nd_net_status(n, o);
	}
	char *d = nd_gossip_dropped_json(n);
	json_t *dj = d != NULL ? json_loads(d, 0, NULL) : NULL;
	free(d);
	if (o != NULL && dj != NULL)
		json_object_set_new(o, "dropped", dj);
	else
		json_decref(dj);
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

static void handle_call(node *n, reply_to to, nt_rpc_call *c)
{
	uint64_t now = nd_mono_ms();
	switch (c->method) {
	case NT_RPC_SUBMIT:
		on_submit(n, to, c, now);
		break;
	case NT_RPC_RECEIPT:
		on_receipt(n, to, c, now);
		break;
	default: {
		nt_rpc_env env = nd_env(n);
		char *extra = NULL;
		if (c->method == NT_RPC_STATUS)
			env.status_extra = extra = status_extra(n);
		send_reply(to, nt_rpc_exec_query(&env, c));
		free(extra);
		break;
	}
	}
	nt_rpc_call_free(c);
}

static void handle_event(node *n, rpc_event *ev)
{
	rpc_batch *b = ev->batch;
	if (b == NULL) {
		handle_call(n, ev->to, &ev->call);
		return;
	}
	/* In request order; the event's hold keeps b alive until the end. */
	for (size_t i = 0; i < b->n; i++)
		if (b->queued[i]) {
			b->queued[i] = false;
			handle_call(n, (reply_to){.b = b, .slot = i}, &b->calls[i]);
		}
	batch_put(b, SIZE_MAX, NULL);
}

/* Takes every queued event (waiting until deadline if there is none) and
 * handles them outside the lock: client requests first, then peer events. */
static void drain_queue(node *n, uint64_t deadline)
{
	queue *q = &n->q;
	pthread_mutex_lock(&q->mu);
	if (q->n == 0 && q->pn == 0 && deadline > nd_mono_ms()) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t wait = deadline - nd_mono_ms();
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
	peer_event *pe = q->ph;
	q->ph = q->pt = NULL;
	q->pn = q->pbytes = q->nsync = 0;
	pthread_mutex_unlock(&q->mu);
	for (size_t i = 0; i < cnt; i++)
		handle_event(n, &n->batch[i]);
	while (pe != NULL) {
		peer_event *next = pe->next;
		if (!n->fatal)
			nd_gossip_event(n, pe);
		nd_peer_event_free(pe);
		pe = next;
	}
}

static uint64_t next_deadline(const node *n, uint64_t now)
{
	uint64_t d = nd_cons_deadline(n, now + TICK_MS);
	for (size_t i = 0; i < n->nw; i++)
		if (n->w[i].deadline < d)
			d = n->w[i].deadline;
	return d;
}

static void run_loop(node *n, const volatile sig_atomic_t *stop)
{
	while (!*stop && !n->fatal && !n->net.restart) {
		drain_queue(n, next_deadline(n, nd_mono_ms()));
		if (n->fatal)
			break;
		nd_cons_tick(n);
		nd_gossip_status_tick(n, nd_mono_ms());
		nd_gossip_regossip_tick(n, nd_mono_ms());
		nd_waiters_settle(n, nd_mono_ms(), false);
		nd_guard_tick(n, nd_mono_ms());
		nd_net_tick(n, nd_mono_ms());
	}
}

/* ---- start and stop ---- */

static int fail_start(const char *what, const nt_why *why, nt_err e)
{
	nt_log(NT_LOG_ERROR, "%s: %s", what, why->msg[0] ? why->msg : nt_strerror(e));
	return 1;
}

static int open_all(node *n, const char *home, const nt_node_opts *opts)
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
	n->self = nt_valset_index(&n->genesis.vals, &n->pub);
	if ((e = nt_kv_leveldb_open(n->cfg.data_dir, &n->kv, &why)) != NT_OK) {
		if (nt_kv_leveldb_in_use(&why))
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
	/* A secret key for the mempool's table: nobody can craft record ids
	 * that pile up in one slot of it. */
	uint8_t mpkey[NT_MEMPOOL_KEY_LEN];
	if (getrandom(mpkey, sizeof mpkey, 0) != (ssize_t)sizeof mpkey)
		return fail_start("cannot create the mempool",
				  &(nt_why){.msg = "the system gave no random bytes (getrandom)"},
				  NT_ERR_IO);
	if ((e = nt_mempool_new(n->cfg.mempool_max_records, n->cfg.mempool_max_bytes, mpkey,
				&n->mp)) != NT_OK)
		return fail_start("cannot create the mempool", &why, e);

	size_t br = n->cfg.block_max_records, qc = n->cfg.rpc_contexts;
	n->recs = calloc(br, sizeof *n->recs);
	n->lens = calloc(br, sizeof *n->lens);
	n->ids = calloc(br, sizeof *n->ids);
	n->q.ev = calloc(qc, sizeof *n->q.ev);
	n->batch = calloc(qc, sizeof *n->batch);
	if (!n->recs || !n->lens || !n->ids || !n->q.ev || !n->batch) {
		nt_log(NT_LOG_ERROR, "out of memory");
		return 1;
	}
	/* Every event holds one nng context until answered, so the queue
	 * never needs more slots than there are contexts. */
	n->q.cap = qc;
	n->last_block = nd_mono_ms();
	n->peer_joined_at = n->last_block;

	const nt_header *tip = nt_ledger_tip(n->ledger);
	char th[65] = "-";
	if (tip != NULL)
		nt_hex_encode(nt_ledger_tip_hash(n->ledger)->b, NT_HASH_LEN, th);
	char role[64];
	if (n->self >= 0)
		snprintf(role, sizeof role, "validator %d of %u", n->self,
			 (unsigned)n->genesis.vals.n);
	else
		snprintf(role, sizeof role, "observer (not among the %u validators)",
			 (unsigned)n->genesis.vals.n);
	if (nd_net_plan(n) != 0)
		return 1;
	nt_log(NT_LOG_INFO, "notaryd %s: chain %s, height %" PRIu64 ", tip %.16s, %s, key %s (%s)",
	       NT_VERSION, n->genesis.chain_id, nt_ledger_height(n->ledger), th, role, pk,
	       n->cfg.moniker);
	if ((e = nd_gossip_start(n, &why)) != NT_OK)
		return fail_start("cannot start the peer transport", &why, e);
	if (nd_guard_start(n, opts != NULL && opts->allow_store_behind) != 0)
		return 1;
	if ((e = nd_cons_open(n, &why)) != NT_OK)
		return fail_start("cannot start consensus", &why, e);
	if (n->fatal)
		return 1;

	nt_rpc_limits lim = {.max_conns = n->net.caps.rpc_cap,
			     .max_inflight = n->cfg.rpc_max_inflight,
			     .idle_ms = n->cfg.rpc_idle_timeout_ms,
			     .send_ms = n->cfg.rpc_send_timeout_ms,
			     .reply_budget = n->cfg.rpc_reply_budget};
	if ((e = nt_rpc_server_start_ex(n->cfg.rpc, n->cfg.rpc_contexts, NT_RPC_MAX_MSG, &lim,
					on_rpc, nt_rpc_fault_reply, n, &n->srv, &why)) != NT_OK)
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
	/* Waits for queries running on RPC threads; later ones queue (and are
	 * refused as the queue is closed). */
	pthread_rwlock_wrlock(&q->store_lock);
	q->store_closed = true;
	pthread_rwlock_unlock(&q->store_lock);
	if (n->srv != NULL && !n->fatal) {
		drain_queue(n, 0);
		/* Alone, we can still commit what is pending before leaving;
		 * with peers, it stays in their mempools (gossip) instead. */
		if (n->genesis.vals.n == 1 && n->self == 0 && n->cons != NULL)
			for (int i = 0;
			     i < 64 && !n->fatal && !nd_cons_running(n) && nt_mempool_count(n->mp) > 0; i++)
				nd_cons_maybe_start(n, true);
	}
	/* After a store failure nobody gets a receipt: the waiters learn why. */
	nt_rpc_env env = nd_env(n);
	for (size_t i = 0; i < n->nw; i++) {
		if (n->fatal)
			send_reply(n->w[i].to,
				   nt_rpc_error(n->w[i].id, NT_RPC_E_STORAGE,
						"storage failure on the node; it is stopping"));
		else
			send_reply(n->w[i].to,
				   nt_rpc_record_reply(&env, n->w[i].id, &n->w[i].record_id));
		free(n->w[i].id);
	}
	n->nw = 0;
	/* Every waiter got its answer above, before the socket closes; the
	 * stop lets those replies leave and is bounded, so a stuck transport
	 * cannot keep the node from exiting. */
	uint64_t t0 = nd_mono_ms();
	nt_rpc_stop_result sr = nt_rpc_server_stop(n->srv, NT_RPC_STOP_MS);
	n->srv = NULL;
	if (sr == NT_RPC_STOP_UNSENT)
		nt_log(NT_LOG_WARN, "some replies had not left after %" PRIu64 " ms; closed anyway",
		       nd_mono_ms() - t0);
	else if (sr == NT_RPC_STOP_ABANDONED) {
		nt_log(NT_LOG_WARN,
		       "the RPC transport did not close within %u ms; leaving it to the exit",
		       NT_RPC_STOP_MS);
		/* nng may still call on_rpc, which touches n->q: n must live. */
		n->leak = true;
	}
	/* Requests queued after the drain were abandoned with the transport;
	 * so is a batch among them (its context is gone: nothing to send). */
	for (size_t i = 0; i < q->n; i++) {
		rpc_event *ev = &q->ev[(q->head + i) % q->cap];
		nt_rpc_call_free(&ev->call);
		if (ev->batch != NULL)
			batch_free(ev->batch);
	}
	q->n = 0;
	nd_gossip_stop(n);
}

static void free_all(node *n)
{
	free(n->w);
	free(n->recs);
	free(n->lens);
	free(n->ids);
	nd_cons_close(n);
	free(n->q.ev);
	free(n->batch);
	nt_mempool_free(n->mp);
	nt_ledger_free(n->ledger);
	nt_kv_close(n->kv);
	nt_seckey_free(n->key);
	nt_config_free(&n->cfg);
}

int nt_node_run(const char *home, const nt_node_opts *opts, const volatile sig_atomic_t *stop)
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
	/* Writer-preferring: a flood of queries must not hold off shutdown. */
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&n->q.store_lock, &ra);
	pthread_rwlockattr_destroy(&ra);

	n->home = home;
	int rc = open_all(n, home, opts);
	if (rc == 0) {
		run_loop(n, stop);
		nt_log(NT_LOG_INFO, "%s",
		       n->fatal ? "stopping after a fatal error"
		       : n->net.restart
			   ? "shutting down to be restarted (connection clean-up wedged)"
			   : "shutting down");
	}
	shutdown_node(n);
	if (rc == 0 && !n->fatal)
		nt_log(NT_LOG_INFO, "stopped cleanly at height %" PRIu64,
		       nt_ledger_height(n->ledger));
	if (n->fatal)
		rc = 1;
	else if (rc == 0 && n->net.restart)
		rc = NT_EXIT_RESTART;
	free_all(n);
	if (n->leak)
		return rc; /* an abandoned transport may still lock n->q.mu */
	pthread_cond_destroy(&n->q.cv);
	pthread_mutex_destroy(&n->q.mu);
	pthread_rwlock_destroy(&n->q.store_lock);
	free(n);
	return rc;
}
