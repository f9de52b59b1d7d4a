/* Connection guard (see net/pipeguard.h).
 *
 * Pipes are kept in an open-addressing table keyed by nng's pipe id, under
 * one mutex taken by nng's pipe callbacks, by the protocol's callbacks
 * (begin / end / authentic) and by the reaper thread. Pipes are never
 * closed with the mutex held: nng may run a pipe callback, which takes it,
 * from inside nng_pipe_close. */
#include "net/pipeguard.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
	uint32_t id; /* 0: empty slot (nng pipe ids are never 0) */
	bool inbound;
	bool authentic;
	unsigned inflight;
	uint64_t waiting;     /* bytes of replies queued on contexts */
	uint64_t unconfirmed; /* bytes of the last reply the pipe took */
	uint64_t last_ms;     /* added, or its last request completed */
	uint64_t closing_at;  /* we closed it (0: not yet) */
	nt_addrkey remote;    /* inbound: the client's address (net/sockwatch.h) */
} slot;

struct nt_pipeguard {
	nt_pipeguard_opts o;
	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t cv;
	slot *tab;
	size_t cap, n; /* cap: a power of two; n: used slots */
	nt_pipeguard_stats st;
	bool quit;
	pthread_t reaper;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static size_t home_of(const nt_pipeguard *g, uint32_t id)
{
	return (size_t)(id * 2654435761u) & (g->cap - 1);
}

static slot *find(nt_pipeguard *g, uint32_t id)
{
	for (size_t i = home_of(g, id);; i = (i + 1) & (g->cap - 1)) {
		if (g->tab[i].id == id)
			return &g->tab[i];
		if (g->tab[i].id == 0)
			return NULL;
	}
}

static void put(nt_pipeguard *g, const slot *s)
{
	size_t i = home_of(g, s->id);
	while (g->tab[i].id != 0)
		i = (i + 1) & (g->cap - 1);
	g->tab[i] = *s;
	g->n++;
}

/* Keeps the load under one half; false when memory runs out (the pipe is
 * then refused rather than tracked badly). */
static bool grow(nt_pipeguard *g)
{
	if (2 * (g->n + 1) <= g->cap)
		return true;
	slot *old = g->tab;
	size_t ocap = g->cap;
	slot *t = calloc(ocap * 2, sizeof *t);
	if (t == NULL)
		return false;
	g->tab = t;
	g->cap = ocap * 2;
	g->n = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].id != 0)
			put(g, &old[i]);
	free(old);
	return true;
}

/* Backward-shift deletion keeps every probe chain unbroken. */
static void del(nt_pipeguard *g, slot *s)
{
	size_t i = (size_t)(s - g->tab), mask = g->cap - 1;
	g->tab[i].id = 0;
	g->n--;
	for (size_t j = (i + 1) & mask; g->tab[j].id != 0; j = (j + 1) & mask) {
		size_t h = home_of(g, g->tab[j].id);
		/* Move j back into the hole i unless its home lies in (i, j]. */
		bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
		if (stays)
			continue;
		g->tab[i] = g->tab[j];
		g->tab[j].id = 0;
		i = j;
	}
}

static void addrkey_of(const nng_sockaddr *sa, nt_addrkey *k)
{
	memset(k, 0, sizeof *k);
	if (sa->s_family == NNG_AF_INET) {
		k->a[10] = k->a[11] = 0xff;
		memcpy(k->a + 12, &sa->s_in.sa_addr, 4);
		k->port = (uint16_t)(((const uint8_t *)&sa->s_in.sa_port)[0] << 8 |
				     ((const uint8_t *)&sa->s_in.sa_port)[1]);
	} else if (sa->s_family == NNG_AF_INET6) {
		memcpy(k->a, sa->s_in6.sa_addr, 16);
		k->port = (uint16_t)(((const uint8_t *)&sa->s_in6.sa_port)[0] << 8 |
				     ((const uint8_t *)&sa->s_in6.sa_port)[1]);
	}
}

static void on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	nt_pipeguard *g = arg;
	uint32_t id = (uint32_t)nng_pipe_id(p);
	pthread_mutex_lock(&g->mu);
	if (ev == NNG_PIPE_EV_ADD_PRE) {
		bool over = g->o.max_pipes > 0 && g->n >= g->o.max_pipes;
		if (over || !grow(g)) {
			g->st.refused++;
			pthread_mutex_unlock(&g->mu);
			/* nng lets ADD_PRE reject a pipe by closing it. */
			nng_pipe_close(p);
			return;
		}
		nng_listener l = nng_pipe_listener(p);
		slot s = {.id = id, .inbound = nng_listener_id(l) > 0, .last_ms = mono_ms()};
		nng_sockaddr sa;
		if (s.inbound && nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) == 0)
			addrkey_of(&sa, &s.remote);
		put(g, &s);
	} else if (ev == NNG_PIPE_EV_REM_POST) {
		slot *s = find(g, id);
		if (s != NULL) {
			if (s->closing_at != 0 && g->st.close_pending > 0)
				g->st.close_pending--;
			g->st.reply_bytes -= s->waiting + s->unconfirmed;
			del(g, s);
		}
	}
	pthread_mutex_unlock(&g->mu);
}

bool nt_pipeguard_begin(nt_pipeguard *g, nng_pipe p)
{
	pthread_mutex_lock(&g->mu);
	slot *s = find(g, (uint32_t)nng_pipe_id(p));
	bool ok = true;
	if (s != NULL) {
		ok = g->o.max_inflight == 0 || s->inflight < g->o.max_inflight;
		if (ok)
			s->inflight++;
		else if (s->closing_at == 0) {
			s->closing_at = mono_ms();
			g->st.close_pending++;
			g->st.flood_closed++;
		}
	}
	pthread_mutex_unlock(&g->mu);
	if (!ok)
		nng_pipe_close(p);
	return ok;
}

bool nt_pipeguard_reply_begin(nt_pipeguard *g, nng_pipe p, size_t len)
{
	pthread_mutex_lock(&g->mu);
	bool ok = g->o.reply_budget == 0 || len <= g->o.shed_min ||
		  g->st.reply_bytes + len <= g->o.reply_budget;
	slot *s = find(g, (uint32_t)nng_pipe_id(p));
	if (!ok)
		g->st.shed++;
	else if (s != NULL) {
		s->waiting += len;
		g->st.reply_bytes += len;
	}
	pthread_mutex_unlock(&g->mu);
	return ok;
}

void nt_pipeguard_reply_done(nt_pipeguard *g, nng_pipe p, size_t len, bool ok)
{
	pthread_mutex_lock(&g->mu);
	slot *s = find(g, (uint32_t)nng_pipe_id(p));
	bool close = false;
	if (s != NULL) {
		/* A reply begun before the pipe was known is not counted. */
		uint64_t l = len <= s->waiting ? len : s->waiting;
		s->waiting -= l;
		g->st.reply_bytes -= l;
		if (ok) {
			g->st.reply_bytes -= s->unconfirmed;
			s->unconfirmed = l;
			g->st.reply_bytes += l;
		}
		if (s->inflight > 0)
			s->inflight--;
		s->last_ms = mono_ms();
		close = !ok && s->closing_at == 0;
		if (close) {
			s->closing_at = s->last_ms;
			g->st.close_pending++;
			g->st.flood_closed++;
		}
	}
	pthread_mutex_unlock(&g->mu);
	if (close)
		nng_pipe_close(p);
}

void nt_pipeguard_end(nt_pipeguard *g, nng_pipe p)
{
	pthread_mutex_lock(&g->mu);
	slot *s = find(g, (uint32_t)nng_pipe_id(p));
	if (s != NULL) {
		if (s->inflight > 0)
			s->inflight--;
		s->last_ms = mono_ms();
	}
	pthread_mutex_unlock(&g->mu);
}

static void mark(nt_pipeguard *g, nng_pipe p, bool authentic)
{
	pthread_mutex_lock(&g->mu);
	slot *s = find(g, (uint32_t)nng_pipe_id(p));
	if (s != NULL) {
		s->last_ms = mono_ms();
		if (authentic)
			s->authentic = true;
	}
	pthread_mutex_unlock(&g->mu);
}

void nt_pipeguard_authentic(nt_pipeguard *g, nng_pipe p)
{
	mark(g, p, true);
}

void nt_pipeguard_activity(nt_pipeguard *g, nng_pipe p)
{
	mark(g, p, false);
}

void nt_pipeguard_close(nt_pipeguard *g, nng_pipe p)
{
	pthread_mutex_lock(&g->mu);
	slot *s = find(g, (uint32_t)nng_pipe_id(p));
	bool first = s != NULL && s->closing_at == 0;
	if (first) {
		s->closing_at = mono_ms();
		g->st.close_pending++;
		g->st.flood_closed++;
	}
	pthread_mutex_unlock(&g->mu);
	if (first)
		nng_pipe_close(p);
}

void nt_pipeguard_stats_get(nt_pipeguard *g, nt_pipeguard_stats *out)
{
	pthread_mutex_lock(&g->mu);
	*out = g->st;
	out->open = (unsigned)g->n;
	pthread_mutex_unlock(&g->mu);
}

size_t nt_pipeguard_inbound(nt_pipeguard *g, nt_addrkey *out, size_t cap)
{
	size_t k = 0;
	pthread_mutex_lock(&g->mu);
	for (size_t i = 0; i < g->cap; i++) {
		if (g->tab[i].id == 0 || !g->tab[i].inbound)
			continue;
		if (k < cap)
			out[k] = g->tab[i].remote;
		k++;
	}
	pthread_mutex_unlock(&g->mu);
	return k;
}

uint16_t nt_listener_port(nng_listener l)
{
	nng_sockaddr sa;
	if (nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa) != 0)
		return 0;
	nt_addrkey k;
	addrkey_of(&sa, &k);
	return k.port;
}

#define REAP_BATCH 256

/* One pass: marks the pipes to close (idle, unauthenticated), counts the
 * stuck ones, then closes outside the lock. */
static void reap(nt_pipeguard *g, uint64_t now)
{
	uint32_t ids[REAP_BATCH];
	size_t k = 0;
	unsigned stuck = 0;
	pthread_mutex_lock(&g->mu);
	for (size_t i = 0; i < g->cap; i++) {
		slot *s = &g->tab[i];
		if (s->id == 0)
			continue;
		if (s->closing_at != 0) {
			if (now - s->closing_at >= NT_PIPEGUARD_STUCK_MS)
				stuck++;
			continue;
		}
		bool idle =
		    g->o.idle_ms > 0 && s->inflight == 0 && now - s->last_ms >= g->o.idle_ms;
		bool unauth = g->o.auth_ms > 0 && s->inbound && !s->authentic &&
			      now - s->last_ms >= g->o.auth_ms;
		if ((!idle && !unauth) || k == REAP_BATCH)
			continue;
		s->closing_at = now;
		g->st.close_pending++;
		if (unauth)
			g->st.unauth_closed++;
		else
			g->st.idle_closed++;
		ids[k++] = s->id;
	}
	g->st.close_stuck = stuck;
	pthread_mutex_unlock(&g->mu);
	for (size_t i = 0; i < k; i++) {
		nng_pipe p = NNG_PIPE_INITIALIZER;
		p.id = ids[i];
		nng_pipe_close(p);
	}
}

static void *reaper(void *arg)
{
	nt_pipeguard *g = arg;
	uint32_t t = 1000;
	if (g->o.idle_ms > 0 && g->o.idle_ms / 4 < t)
		t = g->o.idle_ms / 4;
	if (g->o.auth_ms > 0 && g->o.auth_ms / 4 < t)
		t = g->o.auth_ms / 4;
	if (t < 20)
		t = 20;
	pthread_mutex_lock(&g->mu);
	while (!g->quit) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += t / 1000;
		ts.tv_nsec += (long)(t % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->cv, &g->mu, &ts);
		if (g->quit)
			break;
		pthread_mutex_unlock(&g->mu);
		reap(g, mono_ms());
		pthread_mutex_lock(&g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

nt_err nt_pipeguard_attach(nng_socket sock, const nt_pipeguard_opts *o, nt_pipeguard **out,
			   nt_why *why)
{
	nt_pipeguard *g = calloc(1, sizeof *g);
	if (g == NULL || (g->tab = calloc(64, sizeof *g->tab)) == NULL) {
		free(g);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	g->cap = 64;
	if (o != NULL)
		g->o = *o;
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&g->reaper, NULL, reaper, g) != 0) {
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->mu);
		free(g->tab);
		free(g);
		return nt_fail(why, NT_ERR_NOMEM, "cannot start the connection reaper");
	}
	int rv;
	if ((rv = nng_pipe_notify(sock, NNG_PIPE_EV_ADD_PRE, on_pipe, g)) != 0 ||
	    (rv = nng_pipe_notify(sock, NNG_PIPE_EV_REM_POST, on_pipe, g)) != 0) {
		/* A NULL callback unregisters: nothing refers to g after. */
		(void)nng_pipe_notify(sock, NNG_PIPE_EV_ADD_PRE, NULL, NULL);
		(void)nng_pipe_notify(sock, NNG_PIPE_EV_REM_POST, NULL, NULL);
		nt_pipeguard_free(g);
		return nt_fail(why, NT_ERR_NET, "cannot watch the socket's connections: %s",
			       nng_strerror(rv));
	}
	*out = g;
	return NT_OK;
}

void nt_pipeguard_free(nt_pipeguard *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	g->quit = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->reaper, NULL);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g->tab);
	free(g);
}
