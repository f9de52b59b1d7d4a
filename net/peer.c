/* Peer transport over an nng bus0 socket (see net/peer.h).
 *
 * One socket listens and dials every peer. One receive aio runs a loop on
 * nng's worker threads: each completion hands the message to the handler
 * and re-arms, so the handler is never called concurrently with itself.
 * Shutdown order matters: the socket is closed first (the pending receive
 * then completes with NNG_ECLOSED and the loop ends), then the aio is freed
 * (which waits for a running callback), and only then the struct. */
#include "net/peer.h"

#include "net/pipeguard.h"
#include "net/tls_nng.h"

#include <nng/nng.h>
#include <nng/protocol/bus0/bus.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* nng's dialer waits between reconnection attempts, doubling from the
 * minimum up to the maximum: a restarted peer is back within ~2 s. */
#define RECONN_MIN_MS 100
#define RECONN_MAX_MS 2000
/* Messages the socket queues each way (NNG_OPT_SENDBUF / RECVBUF). nng's
 * default send buffer is empty, so a non-blocking send failed whenever the
 * previous message was still being handed to the pipes: a burst (proposal,
 * prevote, precommit) lost all but the first. */
#define QUEUE_MSGS 1024

struct nt_peer {
	nng_socket sock;
	nng_listener lst;
	bool tls; /* lst is a tls+tcp:// listener */
	nng_aio *aio;
	nt_peer_handler h;
	void *arg;
	nt_pipeguard *guard; /* also counts the connected pipes */
	atomic_bool closing;
	pthread_mutex_t mu; /* with cv: the closing thread says it is done */
	pthread_cond_t cv;
	bool closed;
};

/* The transport and connection of the message the handler is handling:
 * the handler runs on the receive loop's thread, one message at a time. */
static _Thread_local nt_peer *cur_peer;
static _Thread_local nng_pipe cur_pipe;

void nt_peer_authentic(void)
{
	if (cur_peer != NULL)
		nt_pipeguard_authentic(cur_peer->guard, cur_pipe);
}

static void on_recv(void *arg)
{
	nt_peer *p = arg;
	int rv = nng_aio_result(p->aio);
	if (rv == 0) {
		nng_msg *m = nng_aio_get_msg(p->aio);
		if (!atomic_load(&p->closing)) {
			cur_peer = p;
			cur_pipe = nng_msg_get_pipe(m);
			p->h(p->arg, nng_msg_body(m), nng_msg_len(m));
			cur_peer = NULL;
		}
		nng_msg_free(m);
	} else if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
		return;
	}
	/* Any other error (a broken pipe, out of memory) is transient for the
	 * socket as a whole: keep receiving. */
	if (!atomic_load(&p->closing))
		nng_recv_aio(p->sock, p->aio);
}

static nt_err net_fail(nt_why *why, const char *what, const char *url, int rv)
{
	return nt_fail(why, NT_ERR_NET, "peer transport: cannot %s %s: %s", what, url ? url : "",
		       nng_strerror(rv));
}

nt_err nt_peer_start(const char *listen_url, const char *const *dial_urls, size_t ndial,
		     size_t max_msg, nt_peer_handler h, void *arg, nt_peer **out, nt_why *why)
{
	return nt_peer_start_ex(listen_url, dial_urls, ndial, max_msg, NULL, h, arg, out, why);
}

nt_err nt_peer_start_ex(const char *listen_url, const char *const *dial_urls, size_t ndial,
			size_t max_msg, const nt_peer_limits *lim, nt_peer_handler h, void *arg,
			nt_peer **out, nt_why *why)
{
	if (listen_url == NULL || h == NULL || out == NULL || (ndial > 0 && dial_urls == NULL) ||
	    max_msg == 0)
		return nt_fail(why, NT_ERR_ARG, "peer transport needs a listen URL and a handler");
	nt_peer *p = calloc(1, sizeof *p);
	if (p == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	p->h = h;
	p->arg = arg;
	atomic_init(&p->closing, false);
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	int rv = nng_bus0_open(&p->sock);
	if (rv != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return net_fail(why, "open a bus socket", NULL, rv);
	}
	nt_err e = NT_OK;
	if ((rv = nng_socket_set_size(p->sock, NNG_OPT_RECVMAXSZ, max_msg)) != 0 ||
	    (rv = nng_socket_set_int(p->sock, NNG_OPT_SENDBUF, QUEUE_MSGS)) != 0 ||
	    (rv = nng_socket_set_ms(p->sock, NNG_OPT_RECONNMINT, RECONN_MIN_MS)) != 0 ||
	    (rv = nng_socket_set_ms(p->sock, NNG_OPT_RECONNMAXT, RECONN_MAX_MS)) != 0) {
		e = net_fail(why, "configure the bus socket", NULL, rv);
		goto fail;
	}
	nt_pipeguard_opts go = {0};
	if (lim != NULL) {
		go.max_pipes = lim->max_conns;
		go.auth_ms = lim->auth_ms;
	}
	if ((e = nt_pipeguard_attach(p->sock, &go, &p->guard, why)) != NT_OK)
		goto fail;
	const nt_tls_opts *ltls = lim != NULL ? lim->listen_tls : NULL;
	if (nt_url_is_tls(listen_url) && ltls == NULL) {
		e = nt_fail(why, NT_ERR_ARG, "peer transport: %s needs a TLS certificate",
			    listen_url);
		goto fail;
	}
	if ((rv = nng_listener_create(&p->lst, p->sock, listen_url)) != 0 ||
	    (nt_url_is_tls(listen_url) && (rv = nt_tls_listener_set(p->lst, ltls)) != 0) ||
	    (rv = nng_listener_start(p->lst, 0)) != 0) {
		e = net_fail(why, "listen on", listen_url, rv);
		goto fail;
	}
	p->tls = nt_url_is_tls(listen_url);
	for (size_t i = 0; i < ndial; i++) {
		/* Non-blocking: a peer that is down now is dialed again by nng
		 * (the socket's reconnect times apply to its dialers). */
		const nt_tls_opts *dt =
		    lim != NULL && lim->dial_tls != NULL ? lim->dial_tls[i] : NULL;
		nng_dialer d;
		if (dial_urls[i] == NULL) {
			e = net_fail(why, "dial", "", NNG_EINVAL);
			goto fail;
		}
		if (nt_url_is_tls(dial_urls[i]) && dt == NULL) {
			e = nt_fail(why, NT_ERR_ARG,
				    "peer transport: %s needs a pinned certificate", dial_urls[i]);
			goto fail;
		}
		if ((rv = nng_dialer_create(&d, p->sock, dial_urls[i])) != 0 ||
		    (nt_url_is_tls(dial_urls[i]) && (rv = nt_tls_dialer_set(d, dt)) != 0) ||
		    (rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK)) != 0) {
			e = net_fail(why, "dial", dial_urls[i], rv);
			goto fail;
		}
	}
	if ((rv = nng_aio_alloc(&p->aio, on_recv, p)) != 0) {
		e = net_fail(why, "start receiving on", listen_url, rv);
		goto fail;
	}
	nng_recv_aio(p->sock, p->aio);
	*out = p;
	return NT_OK;
fail:
	nng_close(p->sock);
	nt_pipeguard_free(p->guard);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	return e;
}

nt_err nt_peer_broadcast(nt_peer *p, const uint8_t *msg, size_t len)
{
	if (p == NULL || (msg == NULL && len > 0))
		return NT_ERR_ARG;
	nng_msg *m = NULL;
	if (nng_msg_alloc(&m, len) != 0)
		return NT_ERR_NOMEM;
	if (len > 0)
		memcpy(nng_msg_body(m), msg, len);
	/* On success nng owns m. bus0 queues it for each pipe and drops it
	 * for any pipe whose queue is full; EAGAIN means the socket's queue
	 * (QUEUE_MSGS) is full: dropped for everyone, NT_ERR_FULL. */
	int rv = nng_sendmsg(p->sock, m, NNG_FLAG_NONBLOCK);
	if (rv != 0) {
		nng_msg_free(m);
		return rv == NNG_EAGAIN ? NT_ERR_FULL : NT_ERR_NET;
	}
	return NT_OK;
}

unsigned nt_peer_connected(const nt_peer *p)
{
	nt_conn_stats st;
	if (p == NULL)
		return 0;
	nt_pipeguard_stats_get(p->guard, &st);
	return st.open;
}

void nt_peer_stats(nt_peer *p, nt_conn_stats *out)
{
	memset(out, 0, sizeof *out);
	if (p != NULL)
		nt_pipeguard_stats_get(p->guard, out);
}

void nt_peer_watch(nt_peer *p, nt_sockwatch *w)
{
	if (p != NULL)
		nt_sockwatch_add(w, nt_listener_port(p->lst), p->guard);
}

uint64_t nt_peer_tls_refused(nt_peer *p)
{
	return p != NULL && p->tls ? nt_tls_listener_refused(p->lst) : 0;
}

static void *close_thread(void *arg)
{
	nt_peer *p = arg;
	nng_close(p->sock);
	/* Waits for a callback that is still running; none starts after. */
	nng_aio_free(p->aio);
	pthread_mutex_lock(&p->mu);
	p->closed = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

bool nt_peer_stop(nt_peer *p)
{
	if (p == NULL)
		return true;
	atomic_store(&p->closing, true);
	/* Closed on a helper thread so that a deadlock inside nng cannot
	 * keep the caller (a node shutting down, a test) forever. */
	pthread_t th;
	if (pthread_create(&th, NULL, close_thread, p) != 0) {
		close_thread(p);
	} else {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += NT_PEER_STOP_MS / 1000;
		ts.tv_nsec += (long)(NT_PEER_STOP_MS % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&p->mu);
		while (!p->closed && pthread_cond_timedwait(&p->cv, &p->mu, &ts) == 0)
			;
		bool closed = p->closed;
		pthread_mutex_unlock(&p->mu);
		if (!closed) {
			pthread_detach(th);
			return false; /* p stays allocated: the thread still uses it */
		}
		pthread_join(th, NULL);
	}
	nt_pipeguard_free(p->guard);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	return true;
}
