/* The RPC front: JSON-RPC requests in, replies out, the waiters of
 * submit and receipt, and the reader the RPC threads answer queries from.
 *
 * Threads: nng's workers run on_rpc: they parse, decode and verify a
 * submitted record (in parallel) and either answer a read-only query
 * themselves (answer_here) from the published reader, or queue an event
 * for the loop. The loop (nd_front_drain) handles submits, receipts that
 * must wait, and status, with the ledger's own reader, and publishes the
 * tip to the RPC threads once a block is durable, before answering its
 * waiters (nd_front_publish). The locks: node_internal.h. */
#include "node/node_internal.h"

#include "base/hex.h"
#include "core/version.h"
#include "node/log.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static reply_to to_req(node *n, nt_rpc_req *req)
{
	return (reply_to){.req = req, .m = &n->metrics};
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
	if (to.m != NULL)
		nd_metrics_count_reply(to.m, body);
	if (to.b != NULL)
		batch_put(to.b, to.slot, body);
	else
		reply_single(to.req, body);
}

/* The methods' view of the node, with the ledger as r shows it. */
static nt_rpc_env env_of(node *n, const nt_ledger_reader *r)
{
	nt_rpc_env env = {
	    .reader = r, .version = NT_VERSION, .store_corruptions = &n->front.store_corruptions};
	/* a rotated key or a set change moves both (valset_host.c) */
	pthread_mutex_lock(&n->front.pub_mu);
	env.node_pubkey = n->pub;
	env.is_validator = n->front.is_validator;
	pthread_mutex_unlock(&n->front.pub_mu);
	return env;
}

/* The loop's view: the ledger as it is now (the loop owns it). */
static nt_rpc_env loop_env(node *n, nt_ledger_reader *r)
{
	ND_ON_LOOP(n);
	nt_ledger_reader_get(n->ledger, r);
	return env_of(n, r);
}

void nd_front_publish(node *n)
{
	ND_ON_LOOP(n);
	nd_front *f = &n->front;
	/* Only the loop writes pub, so it reads it here without the lock.
	 * Fetched blocks appended without fsync wait for their flush. */
	if (f->pub.height == nt_ledger_height(n->ledger) || nt_ledger_unsynced(n->ledger))
		return;
	nt_ledger_reader r;
	nt_ledger_reader_get(n->ledger, &r);
	pthread_mutex_lock(&f->pub_mu);
	f->pub = r;
	pthread_mutex_unlock(&f->pub_mu);
}

/* ---- RPC threads ---- */

/* Answers a query that needs only the store, on the calling RPC thread, so
 * that queries run in parallel and do not queue behind consensus work in
 * the loop. It gets a copy of the published reader and nothing of the
 * loop's (core/ledger.h says why that is safe; store_lock keeps the store
 * open meanwhile). Anything that needs the loop's state -- the mempool,
 * waiting, the engine (status), a record not committed as far as the
 * reader knows -- returns false and goes the usual way. */
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
	nd_front *f = &n->front;
	pthread_rwlock_rdlock(&f->store_lock);
	if (f->store_closed) {
		pthread_rwlock_unlock(&f->store_lock);
		return false;
	}
	nt_ledger_reader r;
	pthread_mutex_lock(&f->pub_mu);
	r = f->pub;
	pthread_mutex_unlock(&f->pub_mu);
	nt_rpc_env env = env_of(n, &r);
	char *reply = NULL;
	if (c->method == NT_RPC_RECEIPT) {
		uint64_t h;
		uint32_t idx;
		char *rj = NULL;
		/* NOT_FOUND: pending, unknown, or in a block not published yet;
		 * the loop knows which. */
		nt_err e = nt_ledger_reader_locate(&r, &c->record_id, &h, &idx);
		if (e == NT_OK && (e = nt_ledger_reader_receipt(&r, &c->record_id, &rj)) == NT_OK)
			reply = nt_rpc_committed_reply(c->id, &c->record_id, h, rj);
		free(rj);
		if (e != NT_OK) {
			pthread_rwlock_unlock(&f->store_lock);
			return false;
		}
	} else {
		reply = nt_rpc_exec_query(&env, c);
	}
	pthread_rwlock_unlock(&f->store_lock);
	send_reply(to, reply);
	nt_rpc_call_free(c);
	return true;
}

/* What happens to a parsed call before it goes its way: the access rules
 * (node/access.h) may answer it with an error, reload is done here, and
 * queries are answered here (answer_here). true: answered (c freed). */
static bool pre_call(node *n, reply_to to, nt_rpc_call *c, bool admin)
{
	char *err = nd_access_call(n, c, admin);
	if (err == NULL && c->method == NT_RPC_RELOAD)
		err = nd_access_reload_reply(n, c);
	if (err != NULL) {
		send_reply(to, err);
		nt_rpc_call_free(c);
		return true;
	}
	return answer_here(n, to, c);
}

static char *rate_reply(node *n, uint64_t retry)
{
	char *r = nt_rpc_error_retry(NULL, NT_RPC_E_RATE, retry,
				     "rate limited: this connection sends too many requests "
				     "(access.conn_rate); retry after %" PRIu64 " ms",
				     retry);
	nd_metrics_count_reply(&n->metrics, r);
	return r;
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
static void on_batch(node *n, nt_rpc_req *req, const char *body, size_t len, bool admin)
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
	/* the message took one token of its connection; each further
	 * element takes one more */
	uint64_t retry = 0;
	if (!admin && cnt > 1 && !nd_access_conn(n, req, (uint32_t)(cnt - 1), &retry)) {
		nt_rpc_batch_parsed_free(calls, errs, cnt);
		reply_single(req, rate_reply(n, retry));
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
		reply_to to = {.b = b, .slot = i, .m = &n->metrics};
		nd_metrics_count_method(
		    &n->metrics, errs[i] != NULL ? ND_RPC_METHODS : (unsigned)b->calls[i].method);
		if (errs[i] != NULL) {
			nd_metrics_count_reply(&n->metrics, errs[i]);
			batch_put(b, i, errs[i]);
			errs[i] = NULL;
		} else if (!pre_call(n, to, &b->calls[i], admin)) {
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

static void on_request(node *n, nt_rpc_req *req, const char *body, size_t len, bool admin)
{
	/* A connection over its rate is answered before anything is parsed
	 * or verified: that is the work it would make the node do. */
	uint64_t retry = 0;
	if (!admin && !nd_access_conn(n, req, 1, &retry)) {
		reply_single(req, rate_reply(n, retry));
		return;
	}
	if (nt_rpc_is_batch(body, len)) {
		on_batch(n, req, body, len, admin);
		return;
	}
	nt_rpc_call c;
	char *err = NULL;
	if (nt_rpc_parse(body, len, &c, &err) != NT_OK) {
		if (nt_log_get_level() <= NT_LOG_DEBUG)
			nt_log(NT_LOG_DEBUG, "rejected request: %s", err ? err : "(out of memory)");
		nd_metrics_count_method(&n->metrics, ND_RPC_METHODS);
		nd_metrics_count_reply(&n->metrics, err);
		reply_single(req, err);
		return;
	}
	nd_metrics_count_method(&n->metrics, (unsigned)c.method);
	if (pre_call(n, to_req(n, req), &c, admin))
		return;
	bool closed = false;
	if (!enqueue(n, (rpc_event){.to = to_req(n, req), .call = c}, &closed)) {
		reply_single(req, busy_reply(c.id, closed));
		nt_rpc_call_free(&c);
	}
}

static void on_rpc(void *arg, nt_rpc_req *req, const char *body, size_t len)
{
	on_request(arg, req, body, len, false);
}

/* The operator's socket (access.admin): everything, no limits. */
static void on_admin(void *arg, nt_rpc_req *req, const char *body, size_t len)
{
	on_request(arg, req, body, len, true);
}

/* ---- waiters ---- */

static void waiter_add(node *n, reply_to to, nt_rpc_call *c, uint64_t now)
{
	if (n->front.nw == n->front.wcap) {
		size_t cap = n->front.wcap ? 2 * n->front.wcap : 64;
		waiter *w = realloc(n->front.w, cap * sizeof *w);
		if (w == NULL) {
			nt_ledger_reader r;
			nt_rpc_env env = loop_env(n, &r);
			send_reply(to, nt_rpc_record_reply(&env, c->id, &c->record_id));
			return;
		}
		n->front.w = w;
		n->front.wcap = cap;
	}
	n->front.w[n->front.nw++] = (waiter){
	    .to = to, .id = c->id, .record_id = c->record_id, .deadline = now + c->wait_ms};
	c->id = NULL; /* the waiter owns it now */
}

static void waiter_answer(node *n, size_t i)
{
	nt_ledger_reader r;
	nt_rpc_env env = loop_env(n, &r);
	send_reply(n->front.w[i].to,
		   nt_rpc_record_reply(&env, n->front.w[i].id, &n->front.w[i].record_id));
	free(n->front.w[i].id);
	n->front.w[i] = n->front.w[--n->front.nw];
}

/* Answers the waiters of the block just stored at height with one load of
 * the block (nt_ledger_block_receipts) instead of one per record. Waiters
 * it cannot answer are left to nd_waiters_settle's per-record path. */
void nd_waiters_block(node *n, uint64_t height)
{
	nd_front_publish(n);
	if (n->front.nw == 0)
		return;
	nt_block_receipts *br = NULL;
	if (nt_ledger_block_receipts(n->ledger, height, &br) != NT_OK)
		return;
	for (size_t i = 0; i < n->front.nw;) {
		char *rj = NULL;
		if (nt_block_receipts_get(br, &n->front.w[i].record_id, &rj) != NT_OK) {
			i++;
			continue;
		}
		send_reply(
		    n->front.w[i].to,
		    nt_rpc_committed_reply(n->front.w[i].id, &n->front.w[i].record_id, height, rj));
		free(rj);
		free(n->front.w[i].id);
		n->front.w[i] = n->front.w[--n->front.nw];
	}
	nt_block_receipts_free(br);
}

/* Answers waiters whose record left the mempool (committed) or whose time
 * is up (pending); with all, everyone. */
void nd_waiters_settle(node *n, uint64_t now, bool all)
{
	nd_front_publish(n);
	for (size_t i = 0; i < n->front.nw;) {
		if (all || now >= n->front.w[i].deadline ||
		    !nt_mempool_contains(n->mp, &n->front.w[i].record_id))
			waiter_answer(n, i);
		else
			i++;
	}
}

/* ---- events ---- */

static void on_submit(node *n, reply_to to, nt_rpc_call *c, uint64_t now)
{
	nt_ledger_reader r;
	nt_rpc_env env = loop_env(n, &r);
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
	nt_why why = {{0}};
	if (nt_ledger_record_allowed(n->ledger, c->record, c->record_len, &why) != NT_OK) {
		send_reply(to, nt_rpc_error(c->id, NT_RPC_E_RECORD, "%s", why.msg));
		return;
	}
	char *share =
	    nt_mempool_contains(n->mp, &c->record_id) ? NULL : nd_access_share(n, c, c->record_len);
	if (share != NULL) {
		send_reply(to, share);
		return;
	}
	e = nt_mempool_add_owned(n->mp, c->record, c->record_len, &c->record_id, &c->submitter,
				 now);
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
		n->host.arrived = true;
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
	nt_ledger_reader r;
	nt_rpc_env env = loop_env(n, &r);
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
static char *status_extra(node *n)
{
	static const char *const steps[] = {"idle", "propose", "prevote", "precommit"};
	const nt_cons_stats *st = nt_cons_stats_get(n->host.cons);
	uint8_t step = nd_cons_running(n) ? nt_cons_step(n->host.cons) : 0;
	json_t *o = json_pack(
	    "{s:I,s:I,s:s,s:b,s:i,s:I,s:I,s:I}", "consensus_height",
	    (json_int_t)(nd_cons_running(n) ? nt_cons_height(n->host.cons)
					    : nt_ledger_height(n->ledger) + 1),
	    "round", (json_int_t)(nd_cons_running(n) ? nt_cons_round(n->host.cons) : 0), "step",
	    step <= 3 ? steps[step] : "?", "observer", n->self < 0 && !n->read_only,
	    "peers_connected", n->gossip.peer != NULL ? (int)nt_peer_connected(n->gossip.peer) : 0,
	    "equivocations", (json_int_t)st->equivocations, "blocks_fetched",
	    (json_int_t)n->catchup.blocks_synced, "proposals_relayed", (json_int_t)n->host.relayed);
	if (o != NULL) {
		json_object_set_new(o, "records_regossiped",
				    json_integer((json_int_t)n->gossip.regossiped));
		json_object_set_new(o, "store_behind_sign_state", nd_guard_status(n));
		/* offices heard from lately, counted once each (peers_connected
		 * counts connections: two per peer that dials and is dialed) */
		uint64_t now = nd_mono_ms();
		json_t *silent = json_array();
		unsigned seen = nd_gossip_offices_seen(n, now, silent);
		const nt_valset *vs = nt_ledger_next_valset(n->ledger);
		json_object_set_new(o, "offices_heard", json_integer(seen));
		json_object_set_new(o, "offices_silent", silent);
		json_object_set_new(o, "quorum_visible",
				    json_boolean(seen >= nt_valset_quorum(vs)));
		json_object_set_new(o, "last_block_age_ms",
				    json_integer((json_int_t)(now - n->host.last_block)));
		nd_net_status(n, o);
		nd_access_status(n, o);
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
	case NT_RPC_VALSET_APPROVE:
	case NT_RPC_VALSET_PENDING:
		send_reply(to, nd_valset_rpc(n, c));
		break;
	default: {
		nt_ledger_reader r;
		nt_rpc_env env = loop_env(n, &r);
		char *extra = NULL;
		if (c->method == NT_RPC_STATUS) {
			env.mempool_records = nt_mempool_count(n->mp);
			env.mempool_bytes = nt_mempool_bytes(n->mp);
			env.status_extra = extra = status_extra(n);
		}
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
			handle_call(n, (reply_to){.b = b, .slot = i, .m = &n->metrics},
				    &b->calls[i]);
		}
	batch_put(b, SIZE_MAX, NULL);
}

/* Handles the events outside the lock. */
bool nd_front_requests_waiting(node *n)
{
	pthread_mutex_lock(&n->q.mu);
	bool waiting = n->q.n > 0;
	pthread_mutex_unlock(&n->q.mu);
	return waiting;
}

void nd_front_drain(node *n, uint64_t deadline)
{
	ND_ON_LOOP(n);
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
		n->front.batch[i] = q->ev[(q->head + i) % q->cap];
	q->head = (q->head + cnt) % q->cap;
	q->n = 0;
	peer_event *pe = q->ph;
	q->ph = q->pt = NULL;
	q->pn = q->pbytes = q->nsync = 0;
	pthread_mutex_unlock(&q->mu);
	for (size_t i = 0; i < cnt; i++)
		handle_event(n, &n->front.batch[i]);
	while (pe != NULL) {
		peer_event *next = pe->next;
		if (!n->fatal)
			nd_gossip_event(n, pe);
		nd_peer_event_free(pe);
		pe = next;
	}
}

uint64_t nd_waiters_deadline(const node *n, uint64_t d)
{
	for (size_t i = 0; i < n->front.nw; i++)
		if (n->front.w[i].deadline < d)
			d = n->front.w[i].deadline;
	return d;
}

/* ---- start and stop ---- */

void nd_front_init(node *n)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->q.cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&n->q.mu, NULL);
	pthread_mutex_init(&n->front.pub_mu, NULL);
	/* Writer-preferring: a flood of queries must not hold off shutdown. */
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&n->front.store_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
}

void nd_front_destroy(node *n)
{
	pthread_cond_destroy(&n->q.cv);
	pthread_mutex_destroy(&n->q.mu);
	pthread_mutex_destroy(&n->front.pub_mu);
	pthread_rwlock_destroy(&n->front.store_lock);
}

nt_err nd_front_start(node *n, nt_why *why)
{
	nd_front *f = &n->front;
	/* From the store guard (before this); set changes move it later. */
	f->is_validator = n->self >= 0 || n->read_only;
	/* No thread reads pub yet: the server starts below. */
	nt_ledger_reader_get(n->ledger, &f->pub);
	nt_rpc_limits lim = {.max_conns = n->net.caps.rpc_cap,
			     .max_inflight = n->cfg.rpc_max_inflight,
			     .idle_ms = n->cfg.rpc_idle_timeout_ms,
			     .send_ms = n->cfg.rpc_send_timeout_ms,
			     .reply_budget = n->cfg.rpc_reply_budget,
			     .tls = &n->tls.rpc};
	nt_err e = nt_rpc_server_start_ex(n->cfg.rpc, n->cfg.rpc_contexts, NT_RPC_MAX_MSG, &lim,
					  on_rpc, nt_rpc_fault_reply, n, &f->srv, why);
	if (e != NT_OK || n->cfg.access_admin[0] == '\0')
		return e;
	/* The operator's socket: mode 0600 (net/rpc_server.c), few contexts. */
	e = nt_rpc_server_start_ex(n->cfg.access_admin, ND_ADMIN_CONTEXTS, NT_RPC_MAX_MSG, NULL,
				   on_admin, nt_rpc_fault_reply, n, &n->acc.admin, why);
	if (e == NT_OK)
		nt_log(NT_LOG_INFO, "operator socket on %s (valset_approve, reload)",
		       n->cfg.access_admin);
	return e;
}

void nd_front_close(node *n)
{
	queue *q = &n->q;
	if (q->ev != NULL) {
		pthread_mutex_lock(&q->mu);
		q->closed = true;
		pthread_mutex_unlock(&q->mu);
	}
	/* Waits for queries running on RPC threads; later ones queue (and are
	 * refused as the queue is closed). */
	pthread_rwlock_wrlock(&n->front.store_lock);
	n->front.store_closed = true;
	pthread_rwlock_unlock(&n->front.store_lock);
}

/* Answers every waiter, then stops the transport (which must not be
 * touched after). */
void nd_front_stop(node *n)
{
	nd_front *f = &n->front;
	queue *q = &n->q;
	/* After a store failure nobody gets a receipt: the waiters learn why.
	 * (No waiter, no ledger needed: a failed start may have none.) */
	nt_ledger_reader r;
	nt_rpc_env env = {0};
	if (f->nw > 0)
		env = loop_env(n, &r);
	for (size_t i = 0; i < f->nw; i++) {
		if (n->fatal)
			send_reply(f->w[i].to,
				   nt_rpc_error(f->w[i].id, NT_RPC_E_STORAGE,
						"storage failure on the node; it is stopping"));
		else
			send_reply(f->w[i].to,
				   nt_rpc_record_reply(&env, f->w[i].id, &f->w[i].record_id));
		free(f->w[i].id);
	}
	f->nw = 0;
	/* Every waiter got its answer above, before the socket closes; the
	 * stop lets those replies leave and is bounded, so a stuck transport
	 * cannot keep the node from exiting. */
	uint64_t t0 = nd_mono_ms();
	nt_rpc_stop_result sr = nt_rpc_server_stop(f->srv, NT_RPC_STOP_MS);
	f->srv = NULL;
	nt_rpc_stop_result sa = nt_rpc_server_stop(n->acc.admin, NT_RPC_STOP_MS);
	n->acc.admin = NULL;
	if (sa == NT_RPC_STOP_ABANDONED)
		sr = sa;
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
}
