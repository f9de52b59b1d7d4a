/* Handshakes and HTTP connections nng does not bound (see net/sockwatch.h). */
#include "net/sockwatch.h"
#include "net/pipeguard.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* Once a second; ten times as often while connections pile up or get
 * cut, so a burst is cut down before it costs much (a TLS connection in
 * its handshake holds about 50 KiB of mbedTLS buffers). A scan of 2,000
 * sockets takes a few ms. */
#define SCAN_EVERY_MS 1000
#define SCAN_BUSY_MS 100
#define BUSY_CONNS 64

/* Pipes are matched per listener: the kernel gives one client port to
 * connections towards different ports, so a stranger's socket to the rpc
 * port may share its address and port with a peer's pipe on p2p. */
typedef struct {
	uint16_t port;
	nt_pipeguard *guard; /* NULL: the HTTP server */
	nt_addrkey *pipes;   /* its inbound pipes' client addresses, sorted (scan) */
	size_t npipes, pipes_cap;
} lst;

struct nt_sockwatch {
	nt_sockwatch_opts o;
	lst l[NT_SOCKWATCH_MAX_LST];
	unsigned nl;
	pthread_mutex_t mu; /* guards st, quit */
	pthread_cond_t cv;
	nt_sockwatch_stats st;
	bool quit, started;
	bool busy; /* the last scan saw many, or cut: scan again soon */
	pthread_t th;
	/* the scan's own (one scan at a time: scan_mu) */
	pthread_mutex_t scan_mu;
	nt_sw_conn *prev, *cur;
	size_t nprev, ncur, cap;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* --- the rules --- */

static int key_cmp(const nt_addrkey *a, const nt_addrkey *b)
{
	int c = memcmp(a->a, b->a, sizeof a->a);
	return c != 0 ? c : (a->port > b->port) - (a->port < b->port);
}

/* Counted against the caps: kept so far, not a pipe. */
static bool capped(const nt_sw_conn *c)
{
	return c->cut == NT_SW_KEEP && !c->pipe;
}

/* Listener, then capped first, then address, then silent longest. */
static int by_group(const void *x, const void *y)
{
	const nt_sw_conn *a = x, *b = y;
	if (a->lst != b->lst)
		return a->lst < b->lst ? -1 : 1;
	bool ka = capped(a), kb = capped(b);
	if (ka != kb)
		return ka ? -1 : 1;
	if (a->young != b->young)
		return a->young ? 1 : -1;
	int c = memcmp(a->peer.a, b->peer.a, sizeof a->peer.a);
	if (c != 0)
		return c;
	return (a->heard_ms < b->heard_ms) - (a->heard_ms > b->heard_ms);
}

static int by_silence(const void *x, const void *y)
{
	const nt_sw_conn *a = x, *b = y;
	bool ka = capped(a), kb = capped(b);
	if (ka != kb)
		return ka ? -1 : 1;
	return (a->heard_ms < b->heard_ms) - (a->heard_ms > b->heard_ms);
}

size_t nt_sockwatch_judge(const nt_sockwatch_opts *o, nt_sw_conn *c, size_t n, uint64_t now)
{
	size_t cut = 0;
	for (size_t i = 0; i < n; i++) {
		nt_sw_conn *x = &c[i];
		x->cut = NT_SW_KEEP;
		if (x->pipe)
			continue;
		uint64_t age = now > x->seen_ms ? now - x->seen_ms : 0;
		x->young = age < NT_SOCKWATCH_GRACE_MS;
		if (!x->http && o->handshake_ms > 0 && age >= o->handshake_ms)
			x->cut = NT_SW_HANDSHAKE_LATE;
		uint64_t quiet = age < x->spoke_ms ? age : x->spoke_ms;
		if (x->http && o->http_idle_ms > 0 && quiet >= o->http_idle_ms)
			x->cut = NT_SW_HTTP_IDLE;
		cut += x->cut != NT_SW_KEEP;
	}
	if (n == 0)
		return 0;
	/* Per listener, the ones still kept first, grouped by address with
	 * the most silent first: over a cap, cut from the front. */
	qsort(c, n, sizeof *c, by_group);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && c[j].lst == c[i].lst && capped(&c[j]))
			j++;
		/* [i, j): kept handshakes / HTTP connections of listener c[i].lst */
		for (size_t a = i; a < j && !c[a].young;) {
			size_t b = a;
			while (b < j && !c[b].young &&
			       memcmp(c[b].peer.a, c[a].peer.a, sizeof c[a].peer.a) == 0)
				b++;
			for (size_t k = a; o->per_addr_max > 0 && k + o->per_addr_max < b; k++) {
				c[k].cut = c[k].http ? NT_SW_HTTP_OVER : NT_SW_HANDSHAKE_OVER;
				cut++;
			}
			a = b;
		}
		qsort(c + i, j - i, sizeof *c, by_silence);
		size_t kept = 0;
		for (size_t k = i; k < j; k++)
			kept += c[k].cut == NT_SW_KEEP;
		unsigned max = i < j ? (c[i].http ? o->http_max : o->handshake_max) : 0;
		for (size_t k = i; max > 0 && kept > max && k < j; k++) {
			if (c[k].cut != NT_SW_KEEP)
				continue;
			c[k].cut = c[k].http ? NT_SW_HTTP_OVER : NT_SW_HANDSHAKE_OVER;
			cut++;
			kept--;
		}
		while (j < n && c[j].lst == c[i].lst)
			j++;
		i = j; /* j > i: c[i] is of its own listener */
	}
	return cut;
}

/* --- looking at our sockets --- */

static bool key_of(const struct sockaddr_storage *ss, nt_addrkey *k)
{
	memset(k, 0, sizeof *k);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		k->a[10] = k->a[11] = 0xff;
		memcpy(k->a + 12, &s4->sin_addr, 4);
		k->port = ntohs(s4->sin_port);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		memcpy(k->a, &s6->sin6_addr, 16);
		k->port = ntohs(s6->sin6_port);
		return true;
	}
	return false;
}

static bool ends(int fd, nt_addrkey *local, nt_addrkey *peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 || !key_of(&ss, local))
		return false;
	len = sizeof ss;
	return getpeername(fd, (struct sockaddr *)&ss, &len) == 0 && key_of(&ss, peer);
}

static int key_sort(const void *x, const void *y)
{
	return key_cmp(x, y);
}

/* The inbound pipes of each pipe listener, sorted. */
static void gather_pipes(nt_sockwatch *w)
{
	for (unsigned i = 0; i < w->nl; i++) {
		lst *l = &w->l[i];
		l->npipes = 0;
		for (; l->guard != NULL;) {
			size_t k = nt_pipeguard_inbound(l->guard, l->pipes, l->pipes_cap);
			if (k <= l->pipes_cap) {
				l->npipes = k;
				break;
			}
			size_t ncap = k * 2 + 64;
			nt_addrkey *p = realloc(l->pipes, ncap * sizeof *p);
			if (p == NULL)
				break; /* unknown pipes look like handshakes only to the deadline */
			l->pipes = p;
			l->pipes_cap = ncap;
		}
		if (l->npipes > 0)
			qsort(l->pipes, l->npipes, sizeof *l->pipes, key_sort);
	}
}

static bool push(nt_sockwatch *w, const nt_sw_conn *c)
{
	if (w->ncur == w->cap) {
		size_t ncap = w->cap * 2 + 256;
		nt_sw_conn *a = realloc(w->cur, ncap * sizeof *a);
		nt_sw_conn *b = realloc(w->prev, ncap * sizeof *b);
		if (a != NULL)
			w->cur = a;
		if (b != NULL)
			w->prev = b;
		if (a == NULL || b == NULL)
			return false;
		w->cap = ncap;
	}
	w->cur[w->ncur++] = *c;
	return true;
}

static int by_fd(const void *x, const void *y)
{
	const nt_sw_conn *a = x, *b = y;
	return (a->fd > b->fd) - (a->fd < b->fd);
}

/* When this connection was first seen: the previous scan's entry with the
 * same descriptor and client, else now. */
static uint64_t first_seen(nt_sockwatch *w, const nt_sw_conn *c, uint64_t now)
{
	nt_sw_conn key = {.fd = c->fd};
	if (w->nprev == 0)
		return now;
	const nt_sw_conn *p = bsearch(&key, w->prev, w->nprev, sizeof key, by_fd);
	return p != NULL && p->lst == c->lst && key_cmp(&p->peer, &c->peer) == 0 ? p->seen_ms
										 : now;
}

static void look(nt_sockwatch *w, uint64_t now)
{
	w->ncur = 0;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return;
	int self = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end != '\0' || end == e->d_name || fd == self || fd < 0)
			continue;
		nt_sw_conn c = {.fd = (int)fd};
		nt_addrkey local;
		if (!ends(c.fd, &local, &c.peer))
			continue; /* not a socket, not TCP, or a listener */
		unsigned i = 0;
		while (i < w->nl && w->l[i].port != local.port)
			i++;
		if (i == w->nl)
			continue; /* dialed by us, or another listener's */
		c.lst = i;
		c.http = w->l[i].guard == NULL;
		const lst *l = &w->l[i];
		c.pipe = !c.http && l->npipes > 0 &&
			 bsearch(&c.peer, l->pipes, l->npipes, sizeof c.peer, key_sort) != NULL;
		struct tcp_info ti;
		socklen_t tl = sizeof ti;
		if (getsockopt(c.fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) != 0)
			continue;
		c.heard_ms = ti.tcpi_last_data_recv;
		c.spoke_ms = ti.tcpi_last_data_sent;
		c.seen_ms = first_seen(w, &c, now);
		if (!push(w, &c))
			break;
	}
	closedir(d);
}

/* Cuts c if its descriptor still holds the connection the scan saw. */
static bool cut(nt_sockwatch *w, const nt_sw_conn *c)
{
	nt_addrkey local, peer;
	if (!ends(c->fd, &local, &peer) || local.port != w->l[c->lst].port ||
	    key_cmp(&peer, &c->peer) != 0)
		return false;
	return shutdown(c->fd, SHUT_RDWR) == 0;
}

void nt_sockwatch_scan(nt_sockwatch *w)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&w->scan_mu);
	uint64_t now = mono_ms();
	gather_pipes(w);
	look(w, now);
	/* Judge a copy: the scan keeps cur in descriptor order for the next. */
	if (w->ncur > 0) {
		qsort(w->cur, w->ncur, sizeof *w->cur, by_fd);
		memcpy(w->prev, w->cur, w->ncur * sizeof *w->cur);
	}
	w->nprev = w->ncur;
	nt_sockwatch_judge(&w->o, w->cur, w->ncur, now);
	nt_sockwatch_stats d = {0};
	for (size_t i = 0; i < w->ncur; i++) {
		const nt_sw_conn *c = &w->cur[i];
		if (c->cut == NT_SW_KEEP) {
			d.handshaking += !c->http && !c->pipe;
			d.http_open += c->http;
			continue;
		}
		if (!cut(w, c))
			continue;
		d.handshake_cut += c->cut == NT_SW_HANDSHAKE_LATE;
		d.handshake_capped += c->cut == NT_SW_HANDSHAKE_OVER;
		d.http_idle_cut += c->cut == NT_SW_HTTP_IDLE;
		d.http_capped += c->cut == NT_SW_HTTP_OVER;
	}
	pthread_mutex_unlock(&w->scan_mu);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_mutex_lock(&w->mu);
	w->st.handshaking = d.handshaking;
	w->st.http_open = d.http_open;
	w->st.handshake_cut += d.handshake_cut;
	w->st.handshake_capped += d.handshake_capped;
	w->st.http_idle_cut += d.http_idle_cut;
	w->st.http_capped += d.http_capped;
	w->st.scans++;
	w->busy = d.handshaking + d.http_open >= BUSY_CONNS || d.handshake_cut + d.handshake_capped +
								      d.http_idle_cut + d.http_capped >
								  0;
	w->st.scan_us = (uint32_t)((t1.tv_sec - t0.tv_sec) * 1000000L +
				   (t1.tv_nsec - t0.tv_nsec) / 1000L);
	pthread_mutex_unlock(&w->mu);
}

/* --- the thread --- */


static void *run(void *arg)
{
	nt_sockwatch *w = arg;
	pthread_mutex_lock(&w->mu);
	while (!w->quit) {
		bool busy = w->busy;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t ns = (uint64_t)ts.tv_nsec + (busy ? SCAN_BUSY_MS : SCAN_EVERY_MS) * 1000000ull;
		ts.tv_sec += (time_t)(ns / 1000000000ull);
		ts.tv_nsec = (long)(ns % 1000000000ull);
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
		if (w->quit)
			break;
		pthread_mutex_unlock(&w->mu);
		nt_sockwatch_scan(w);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

nt_err nt_sockwatch_new(const nt_sockwatch_opts *o, nt_sockwatch **out, nt_why *why)
{
	nt_sockwatch *w = calloc(1, sizeof *w);
	if (w == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	w->o = *o;
	pthread_mutex_init(&w->mu, NULL);
	pthread_mutex_init(&w->scan_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	*out = w;
	return NT_OK;
}

void nt_sockwatch_add(nt_sockwatch *w, uint16_t port, struct nt_pipeguard *guard)
{
	if (port != 0 && w->nl < NT_SOCKWATCH_MAX_LST)
		w->l[w->nl++] = (lst){.port = port, .guard = guard};
}

nt_err nt_sockwatch_start(nt_sockwatch *w, nt_why *why)
{
	if (pthread_create(&w->th, NULL, run, w) != 0)
		return nt_fail(why, NT_ERR_NOMEM, "cannot start the connection watch");
	w->started = true;
	return NT_OK;
}

void nt_sockwatch_stats_get(nt_sockwatch *w, nt_sockwatch_stats *out)
{
	if (w == NULL) {
		memset(out, 0, sizeof *out);
		return;
	}
	pthread_mutex_lock(&w->mu);
	*out = w->st;
	pthread_mutex_unlock(&w->mu);
}

void nt_sockwatch_free(nt_sockwatch *w)
{
	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->quit = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->th, NULL);
	}
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	pthread_mutex_destroy(&w->scan_mu);
	free(w->cur);
	free(w->prev);
	for (unsigned i = 0; i < w->nl; i++)
		free(w->l[i].pipes);
	free(w);
}
