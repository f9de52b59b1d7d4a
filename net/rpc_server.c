/* JSON-RPC transport, server side: an nng REP socket with nctx contexts.
 *
 * Each context owns one aio and cycles through a tiny state machine:
 *
 *   RECV --(request arrives)--> WAIT_REPLY --(nt_rpc_reply)--> SEND --(sent)--> RECV
 *
 * The handler runs on the nng thread that completed the receive. It may
 * reply at once or hand the request to another thread that replies later;
 * either way the context only starts receiving again once its reply is sent,
 * so nctx bounds the requests in flight. */
#include "net/rpc_server.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CTX_RECV, CTX_WAIT_REPLY, CTX_SEND };

struct nt_rpc_req {
	nt_rpc_server *srv;
	nng_ctx ctx;
	nng_aio *aio;
	int state;
};

struct nt_rpc_server {
	nng_socket sock;
	nt_rpc_req *reqs;
	unsigned nreqs;
	size_t max_msg;
	nt_rpc_handler handler;
	void *arg;
};

static void arm_recv(nt_rpc_req *r)
{
	r->state = CTX_RECV;
	nng_ctx_recv(r->ctx, r->aio);
}

/* Sends body on r's context. On allocation failure the request cannot be
 * answered; re-arming keeps the context usable and the client times out. */
static void send_body(nt_rpc_req *r, const char *body, size_t len)
{
	nng_msg *m;
	if (nng_msg_alloc(&m, len) != 0) {
		arm_recv(r);
		return;
	}
	memcpy(nng_msg_body(m), body, len);
	r->state = CTX_SEND;
	nng_aio_set_msg(r->aio, m);
	nng_ctx_send(r->ctx, r->aio);
}

static void on_request(nt_rpc_req *r)
{
	nt_rpc_server *s = r->srv;
	nng_msg *m = nng_aio_get_msg(r->aio);
	size_t len = nng_msg_len(m);

	nng_aio_set_msg(r->aio, NULL);
	if (len > s->max_msg) {
		char err[200];
		int n = snprintf(err, sizeof err,
				 "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32004,"
				 "\"message\":\"request too large (%zu bytes, limit %zu)\"}}",
				 len, s->max_msg);
		nng_msg_free(m);
		send_body(r, err, (size_t)n);
		return;
	}
	char *body = malloc(len + 1);
	if (body == NULL) {
		nng_msg_free(m);
		static const char oom[] =
		    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,"
		    "\"message\":\"out of memory\"}}";
		send_body(r, oom, sizeof oom - 1);
		return;
	}
	memcpy(body, nng_msg_body(m), len);
	body[len] = '\0';
	nng_msg_free(m);
	/* The state must change before the handler: it may reply (and the send
	 * may even complete) before it returns. r is not touched after. */
	r->state = CTX_WAIT_REPLY;
	s->handler(s->arg, r, body, len);
	free(body);
}

static void ctx_cb(void *p)
{
	nt_rpc_req *r = p;
	int rv = nng_aio_result(r->aio);

	switch (r->state) {
	case CTX_RECV:
		if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
			return;
		if (rv != 0) {
			arm_recv(r);
			return;
		}
		on_request(r);
		return;
	case CTX_SEND:
		if (rv != 0) {
			/* On failure the message is still ours. */
			nng_msg_free(nng_aio_get_msg(r->aio));
			nng_aio_set_msg(r->aio, NULL);
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
				return;
		}
		arm_recv(r);
		return;
	default:
		/* WAIT_REPLY has no operation outstanding: no callback. */
		return;
	}
}

void nt_rpc_reply(nt_rpc_req *req, const char *body, size_t len)
{
	if (req == NULL)
		return;
	send_body(req, body, len);
}

nt_err nt_rpc_server_start(const char *url, unsigned nctx, size_t max_msg, nt_rpc_handler h,
			   void *arg, nt_rpc_server **out, nt_why *why)
{
	if (url == NULL || nctx == 0 || max_msg == 0 || h == NULL || out == NULL)
		return nt_fail(why, NT_ERR_ARG, "invalid RPC server arguments");
	nt_rpc_server *s = calloc(1, sizeof *s);
	if (s == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	s->reqs = calloc(nctx, sizeof *s->reqs);
	if (s->reqs == NULL) {
		free(s);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	s->max_msg = max_msg;
	s->handler = h;
	s->arg = arg;

	int rv = nng_rep0_open(&s->sock);
	if (rv != 0) {
		free(s->reqs);
		free(s);
		return nt_fail(why, NT_ERR_NET, "cannot open RPC socket: %s", nng_strerror(rv));
	}
	/* Let oversized requests through (up to a sanity bound) so that the
	 * client gets a -32004 answer instead of a dropped connection. */
	size_t cap = max_msg > SIZE_MAX / 4 ? SIZE_MAX : max_msg * 4;
	rv = nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, cap);
	if (rv != 0)
		goto fail_sock;

	for (unsigned i = 0; i < nctx; i++) {
		nt_rpc_req *r = &s->reqs[i];
		r->srv = s;
		if ((rv = nng_aio_alloc(&r->aio, ctx_cb, r)) != 0)
			goto fail_sock;
		s->nreqs = i + 1;
		if ((rv = nng_ctx_open(&r->ctx, s->sock)) != 0)
			goto fail_sock;
	}
	rv = nng_listen(s->sock, url, NULL, 0);
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
	for (unsigned i = 0; i < s->nreqs; i++)
		nng_aio_free(s->reqs[i].aio);
	free(s->reqs);
	free(s);
	return NT_ERR_NET;
}

/* The caller must make sure no thread is inside nt_rpc_reply while this
 * runs (nng still touches the context's aio after the reply went out);
 * replies made from inside the handler are safe, as nng_aio_stop waits for
 * the callback they run in. The node replies from its loop thread only and
 * stops the server from that same thread. */
void nt_rpc_server_stop(nt_rpc_server *s)
{
	if (s == NULL)
		return;
	/* Closing the socket fails every outstanding receive and send with
	 * NNG_ECLOSED; the callbacks see that and do not re-arm. */
	nng_close(s->sock);
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
	free(s->reqs);
	free(s);
}
