/* JSON-RPC transport, server side: an nng REP socket with nctx contexts.
 *
 * Each context owns one aio and cycles through a tiny state machine:
 *
 *   RECV --(request arrives)--> WAIT_REPLY --(nt_rpc_reply)--> SEND --(sent)--> RECV
 *
 * The handler runs on the nng thread that completed the receive. It may
 * reply at once or hand the request to another thread that replies later;
 * either way the context only starts receiving again once its reply is sent,
 * so nctx bounds the requests in flight. A client beyond nctx is not
 * refused: its request waits in nng (the socket's pipe) until a context is
 * free.
 *
 * Stopping is bounded (nt_rpc_server_stop): new receives are cancelled,
 * replies already handed to nng get a moment to leave, and only then is
 * the socket closed -- on a helper thread, because nng 1.5.2's nng_close
 * has been seen to hang with many contexts mid-send; after the deadline
 * the server is abandoned (leaked) instead of blocking the process. */
#include "net/rpc_server.h"

#include "net/pipeguard.h"
#include "net/tls_nng.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CTX_IDLE: no operation outstanding and none will be (stopping). */
enum { CTX_RECV, CTX_WAIT_REPLY, CTX_SEND, CTX_IDLE };

struct nt_rpc_req {
	nt_rpc_server *srv;
	nng_ctx ctx;
	nng_aio *aio;
	int state;
	/* the request's connection, and whether the guard counts it
	 * (nt_pipeguard_begin) and its reply (reply_len) */
	nng_pipe pipe;
	bool counted;
	bool reply_counted;
	size_t reply_len;
};

struct nt_rpc_server {
	nng_socket sock;
	nng_listener lst;
	bool tls; /* lst is a tls+tcp:// listener */
	/* guards every req's state, sending, stopping, closed */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned sending;   /* replies handed to nng, not yet completed */
	uint64_t last_sent; /* monotonic ms the last one completed */
	bool stopping;
	bool closed; /* nng_close returned (helper thread) */
	nt_rpc_req *reqs;
	unsigned nreqs;
	size_t max_msg;
	/* The fault replies built once at start (nt_rpc_fault_fn may not be
	 * able to allocate later, and the budget's answer is sent often). */
	nt_rpc_fault_fn fault;
	char busy_body[NT_RPC_FAULT_MAX]; /* when the reply budget is spent */
	size_t busy_len;
	char nomem_body[NT_RPC_FAULT_MAX]; /* when a request cannot be copied */
	size_t nomem_len;
	nt_rpc_limits lim;
	nt_pipeguard *guard;
	nt_rpc_handler handler;
	void *arg;
};

static uint64_t mono_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

static void set_state(nt_rpc_req *r, int state)
{
	pthread_mutex_lock(&r->srv->mu);
	if (r->state == CTX_SEND && r->srv->sending > 0) {
		r->srv->sending--;
		r->srv->last_sent = mono_ms();
	}
	if (state == CTX_SEND)
		r->srv->sending++;
	r->state = state;
	pthread_cond_broadcast(&r->srv->cv);
	pthread_mutex_unlock(&r->srv->mu);
}

/* While stopping, a context that finished its reply receives no more. */
static void arm_recv(nt_rpc_req *r)
{
	pthread_mutex_lock(&r->srv->mu);
	bool stopping = r->srv->stopping;
	pthread_mutex_unlock(&r->srv->mu);
	set_state(r, stopping ? CTX_IDLE : CTX_RECV);
	if (!stopping) {
		nng_aio_set_timeout(r->aio, NNG_DURATION_INFINITE);
		nng_ctx_recv(r->ctx, r->aio);
	}
}

/* Sends body on r's context. On allocation failure the request cannot be
 * answered; re-arming keeps the context usable and the client times out. */
static void send_body(nt_rpc_req *r, const char *body, size_t len)
{
	nt_rpc_server *s = r->srv;
	r->reply_counted = false;
	if (r->counted) {
		if (!nt_pipeguard_reply_begin(s->guard, r->pipe, len)) {
			body = s->busy_body;
			len = s->busy_len;
			r->reply_counted = nt_pipeguard_reply_begin(s->guard, r->pipe, len);
		} else {
			r->reply_counted = true;
		}
	}
	r->reply_len = len;
	nng_msg *m;
	if (nng_msg_alloc(&m, len) != 0) {
		/* The client would wait for nothing: close its connection. */
		if (r->reply_counted)
			nt_pipeguard_reply_done(s->guard, r->pipe, len, false);
		else if (r->counted)
			nt_pipeguard_end(s->guard, r->pipe);
		r->reply_counted = r->counted = false;
		arm_recv(r);
		return;
	}
	memcpy(nng_msg_body(m), body, len);
	set_state(r, CTX_SEND);
	nng_aio_set_msg(r->aio, m);
	nng_aio_set_timeout(r->aio, s->lim.send_ms > 0 ? (nng_duration)s->lim.send_ms
						       : NNG_DURATION_INFINITE);
	nng_ctx_send(r->ctx, r->aio);
}

static void on_request(nt_rpc_req *r)
{
	nt_rpc_server *s = r->srv;
	nng_msg *m = nng_aio_get_msg(r->aio);
	size_t len = nng_msg_len(m);

	nng_aio_set_msg(r->aio, NULL);
	r->pipe = nng_msg_get_pipe(m);
	r->counted = false;
	if (s->guard != NULL) {
		/* Over the bound the pipe is being closed: nobody to answer. */
		if (!nt_pipeguard_begin(s->guard, r->pipe)) {
			nng_msg_free(m);
			arm_recv(r);
			return;
		}
		r->counted = true;
	}
	if (len > s->max_msg) {
		char err[NT_RPC_FAULT_MAX];
		size_t n = s->fault(NT_RPC_FAULT_TOO_LARGE, len, s->max_msg, err, sizeof err);
		nng_msg_free(m);
		send_body(r, err, n < sizeof err ? n : 0);
		return;
	}
	char *body = malloc(len + 1);
	if (body == NULL) {
		nng_msg_free(m);
		send_body(r, s->nomem_body, s->nomem_len);
		return;
	}
	memcpy(body, nng_msg_body(m), len);
	body[len] = '\0';
	nng_msg_free(m);
	/* The state must change before the handler: it may reply (and the send
	 * may even complete) before it returns. r is not touched after. */
	set_state(r, CTX_WAIT_REPLY);
	s->handler(s->arg, r, body, len);
	free(body);
}

static void ctx_cb(void *p)
{
	nt_rpc_req *r = p;
	int rv = nng_aio_result(r->aio);

	/* The state only changes on this context's own callback or in
	 * nt_rpc_reply, never both at once: reading it unlocked is safe. */
	switch (r->state) {
	case CTX_RECV:
		if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
			set_state(r, CTX_IDLE);
			return;
		}
		if (rv != 0) {
			arm_recv(r);
			return;
		}
		on_request(r);
		return;
	case CTX_SEND:
		/* A reply that could not leave in time (NNG_ETIMEDOUT: the
		 * client does not read) closes its connection. */
		if (r->reply_counted)
			nt_pipeguard_reply_done(r->srv->guard, r->pipe, r->reply_len, rv == 0);
		else if (r->counted)
			nt_pipeguard_end(r->srv->guard, r->pipe);
		r->counted = r->reply_counted = false;
		if (rv != 0) {
			/* On failure the message is still ours. */
			nng_msg_free(nng_aio_get_msg(r->aio));
			nng_aio_set_msg(r->aio, NULL);
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
				set_state(r, CTX_IDLE);
				return;
			}
		}
		arm_recv(r);
		return;
	default:
		/* WAIT_REPLY and IDLE have no operation outstanding. */
		return;
	}
}

uint32_t nt_rpc_req_conn(const nt_rpc_req *req)
{
	return nng_pipe_id(req->pipe) > 0 ? (uint32_t)nng_pipe_id(req->pipe) : 0;
}

void nt_rpc_reply(nt_rpc_req *req, const char *body, size_t len)
{
	if (req == NULL)
		return;
	send_body(req, body, len);
}

nt_err nt_rpc_server_start(const char *url, unsigned nctx, size_t max_msg, nt_rpc_handler h,
			   nt_rpc_fault_fn fault, void *arg, nt_rpc_server **out, nt_why *why)
{
	return nt_rpc_server_start_ex(url, nctx, max_msg, NULL, h, fault, arg, out, why);
}

void nt_rpc_server_watch(nt_rpc_server *s, nt_sockwatch *w)
{
	if (s != NULL && s->guard != NULL)
		nt_sockwatch_add(w, nt_listener_port(s->lst), s->guard);
}

uint64_t nt_rpc_server_tls_refused(nt_rpc_server *s)
{
	return s != NULL && s->tls ? nt_tls_listener_refused(s->lst) : 0;
}

void nt_rpc_server_stats(nt_rpc_server *s, nt_conn_stats *out)
{
	memset(out, 0, sizeof *out);
	if (s != NULL && s->guard != NULL)
		nt_pipeguard_stats_get(s->guard, out);
}

/* Whether fault's replies fit NT_RPC_FAULT_MAX (the longest numbers for
 * TOO_LARGE), so that none is ever cut on the wire. */
static bool fault_fits(nt_rpc_fault_fn fault)
{
	char buf[NT_RPC_FAULT_MAX];
	return fault(NT_RPC_FAULT_TOO_LARGE, SIZE_MAX, SIZE_MAX, buf, sizeof buf) < sizeof buf &&
	       fault(NT_RPC_FAULT_NOMEM, 0, 0, buf, sizeof buf) < sizeof buf &&
	       fault(NT_RPC_FAULT_BUSY, 0, 0, buf, sizeof buf) < sizeof buf;
}

nt_err nt_rpc_server_start_ex(const char *url, unsigned nctx, size_t max_msg,
			      const nt_rpc_limits *lim, nt_rpc_handler h, nt_rpc_fault_fn fault,
			      void *arg, nt_rpc_server **out, nt_why *why)
{
	if (url == NULL || nctx == 0 || max_msg == 0 || h == NULL || fault == NULL || out == NULL)
		return nt_fail(why, NT_ERR_ARG, "invalid RPC server arguments");
	if (!fault_fits(fault))
		return nt_fail(why, NT_ERR_ARG, "RPC fault replies longer than %d bytes",
			       NT_RPC_FAULT_MAX - 1);
	nt_rpc_server *s = calloc(1, sizeof *s);
	if (s == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	s->reqs = calloc(nctx, sizeof *s->reqs);
	if (s->reqs == NULL) {
		free(s);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	s->max_msg = max_msg;
	s->fault = fault;
	s->busy_len = fault(NT_RPC_FAULT_BUSY, 0, 0, s->busy_body, sizeof s->busy_body);
	s->nomem_len = fault(NT_RPC_FAULT_NOMEM, 0, 0, s->nomem_body, sizeof s->nomem_body);
	if (lim != NULL)
		s->lim = *lim;
	s->handler = h;
	s->arg = arg;

	int rv = nng_rep0_open(&s->sock);
	if (rv != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s->reqs);
		free(s);
		return nt_fail(why, NT_ERR_NET, "cannot open RPC socket: %s", nng_strerror(rv));
	}
	/* Let requests up to twice the limit through so that the client gets
	 * a -32004 answer instead of a dropped connection. Not more: nng
	 * allocates a frame's claimed size as soon as its header arrives, so
	 * this bounds what one connection can pin. */
	size_t cap = max_msg > SIZE_MAX / 2 ? SIZE_MAX : max_msg * 2;
	rv = nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, cap);
	if (rv != 0)
		goto fail_sock;
	if (lim != NULL) {
		nt_pipeguard_opts go = {.max_pipes = lim->max_conns,
					.max_inflight = lim->max_inflight,
					.idle_ms = lim->idle_ms,
					.reply_budget = lim->reply_budget,
					.shed_min = NT_RPC_SHED_MIN};
		nt_why gw = {{0}};
		if (nt_pipeguard_attach(s->sock, &go, &s->guard, &gw) != NT_OK) {
			nt_fail(why, NT_ERR_NET, "cannot set up RPC socket: %s", gw.msg);
			goto fail_listen;
		}
	}

	for (unsigned i = 0; i < nctx; i++) {
		nt_rpc_req *r = &s->reqs[i];
		r->srv = s;
		if ((rv = nng_aio_alloc(&r->aio, ctx_cb, r)) != 0)
			goto fail_sock;
		s->nreqs = i + 1;
		if ((rv = nng_ctx_open(&r->ctx, s->sock)) != 0)
			goto fail_sock;
	}
	const nt_tls_opts *tls = lim != NULL ? lim->tls : NULL;
	if (nt_url_is_tls(url) && tls == NULL) {
		nt_fail(why, NT_ERR_ARG, "cannot listen on %s: no TLS certificate", url);
		goto fail_listen;
	}
	/* An ipc:// socket (the operator's, node/access.c) is for the node's
	 * user alone: mode 0600 from its creation, not chmod'ed after. */
	rv = nng_listener_create(&s->lst, s->sock, url);
	if (rv == 0 && nt_url_is_tls(url))
		rv = nt_tls_listener_set(s->lst, tls);
	if (rv == 0 && strncmp(url, "ipc://", 6) == 0)
		rv = nng_listener_set_int(s->lst, NNG_OPT_IPC_PERMISSIONS, 0600);
	if (rv == 0)
		rv = nng_listener_start(s->lst, 0);
	s->tls = nt_url_is_tls(url);
	if (rv != 0) {
		nt_fail(why, NT_ERR_NET, "cannot listen on %s: %s", url, nng_strerror(rv));
		goto fail_listen;
	}
	for (unsigned i = 0; i < nctx; i++)
		arm_recv(&s->reqs[i]);
	*out = s;
	return NT_OK;

fail_sock:
	nt_fail(why, NT_ERR_NET, "cannot set up RPC socket: %s", nng_strerror(rv));
fail_listen:
	nng_close(s->sock);
	nt_pipeguard_free(s->guard);
	for (unsigned i = 0; i < s->nreqs; i++)
		nng_aio_free(s->reqs[i].aio);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->reqs);
	free(s);
	return NT_ERR_NET;
}

#define STOP_FLUSH_MS 150

/* Waits on s->cv (s->mu held) until pred(s) or the monotonic deadline. */
static bool wait_until(nt_rpc_server *s, bool (*pred)(const nt_rpc_server *), uint64_t deadline)
{
	while (!pred(s)) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		uint64_t ms = (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
		if (ms >= deadline)
			return false;
		struct timespec ts = {.tv_sec = (time_t)(deadline / 1000),
				      .tv_nsec = (long)(deadline % 1000) * 1000000L};
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	return true;
}

static bool sends_done(const nt_rpc_server *s)
{
	return s->sending == 0;
}

static bool is_closed(const nt_rpc_server *s)
{
	return s->closed;
}

static void *close_thread(void *p)
{
	nt_rpc_server *s = p;
	nng_close(s->sock);
	pthread_mutex_lock(&s->mu);
	s->closed = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* The caller must make sure no thread is inside nt_rpc_reply while this
 * runs (nng still touches the context's aio after the reply went out);
 * replies made from inside the handler are safe, as nng_aio_stop waits for
 * the callback they run in. The node replies from its loop thread only and
 * stops the server from that same thread. */
nt_rpc_stop_result nt_rpc_server_stop(nt_rpc_server *s, unsigned timeout_ms)
{
	if (s == NULL)
		return NT_RPC_STOP_CLEAN;
	uint64_t start = mono_ms();
	nt_rpc_stop_result res = NT_RPC_STOP_CLEAN;
	/* 1. No new requests: contexts waiting to receive are cancelled, and
	 * a context whose reply completes does not receive again. */
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_mutex_unlock(&s->mu);
	for (unsigned i = 0; i < s->nreqs; i++) {
		pthread_mutex_lock(&s->mu);
		bool recv = s->reqs[i].state == CTX_RECV;
		pthread_mutex_unlock(&s->mu);
		if (recv)
			nng_aio_cancel(s->reqs[i].aio);
	}
	/* 2. Replies already handed to nng leave before the socket closes
	 * (half the budget at most: a client that stopped reading must not
	 * hold the node). A context's send completes when rep0 has queued
	 * the message on the connection, not when it was written, and closing
	 * drops what a connection still holds: so give the connections
	 * STOP_FLUSH_MS after the last completion too. */
	pthread_mutex_lock(&s->mu);
	uint64_t half = start + timeout_ms / 2;
	if (!wait_until(s, sends_done, half))
		res = NT_RPC_STOP_UNSENT;
	uint64_t flush = s->last_sent + STOP_FLUSH_MS;
	pthread_mutex_unlock(&s->mu);
	uint64_t until = flush < half ? flush : half;
	for (uint64_t now = mono_ms(); now < until; now = mono_ms()) {
		uint64_t ms = until - now < 100 ? until - now : 100;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000L};
		nanosleep(&ts, NULL);
	}
	/* 3. Close on a helper thread, bounded by the rest of the budget. */
	pthread_t th;
	bool joined = false;
	if (pthread_create(&th, NULL, close_thread, s) == 0) {
		pthread_mutex_lock(&s->mu);
		joined = wait_until(s, is_closed, start + timeout_ms);
		pthread_mutex_unlock(&s->mu);
		if (joined)
			pthread_join(th, NULL);
		else
			pthread_detach(th);
	} else {
		close_thread(s);
		joined = true;
	}
	if (!joined)
		return NT_RPC_STOP_ABANDONED; /* s stays allocated for nng */
	/* Closing the socket failed every outstanding receive and send with
	 * NNG_ECLOSED; the callbacks see that and do not re-arm. */
	for (unsigned i = 0; i < s->nreqs; i++)
		nng_aio_stop(s->reqs[i].aio);
	for (unsigned i = 0; i < s->nreqs; i++) {
		nng_msg *m = nng_aio_get_msg(s->reqs[i].aio);
		/* A send that completed with an error after the stop may leave
		 * its message on the aio; the callback frees it, this is a
		 * belt for the case it never ran. */
		if (m != NULL && s->reqs[i].state == CTX_SEND)
			nng_msg_free(m);
		nng_aio_free(s->reqs[i].aio);
	}
	nt_pipeguard_free(s->guard);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->reqs);
	free(s);
	return res;
}
