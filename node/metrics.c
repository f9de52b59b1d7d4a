/* Prometheus text exposition for the node (node/metrics.h). */
#include "node/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nd_hist_init(nd_hist *h, const double *le, size_t nb)
{
	memset(h, 0, sizeof *h);
	h->nb = nb < ND_HIST_MAX ? nb : ND_HIST_MAX;
	memcpy(h->le, le, h->nb * sizeof *le);
}

void nd_hist_observe(nd_hist *h, double v)
{
	size_t i = 0;
	while (i < h->nb && v > h->le[i])
		i++;
	h->count[i]++;
	h->n++;
	h->sum += v;
}

void nd_metrics_init(nd_metrics *m)
{
	static const double secs[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
	static const double rounds[] = {1, 2, 3, 4, 6, 8};
	static const double recs[] = {0, 1, 10, 100, 1000, 10000};
	static const double fsync[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
				       0.025,  0.05,  0.1,    0.5,   1};
	memset(m, 0, sizeof *m);
	nd_hist_init(&m->commit_seconds, secs, sizeof secs / sizeof secs[0]);
	nd_hist_init(&m->rounds, rounds, sizeof rounds / sizeof rounds[0]);
	nd_hist_init(&m->block_records, recs, sizeof recs / sizeof recs[0]);
	nd_hist_init(&m->fsync_seconds, fsync, sizeof fsync / sizeof fsync[0]);
	pthread_mutex_init(&m->mu, NULL);
}

void nd_metrics_destroy(nd_metrics *m)
{
	pthread_mutex_lock(&m->mu);
	free(m->text);
	m->text = NULL;
	pthread_mutex_unlock(&m->mu);
	pthread_mutex_destroy(&m->mu);
}

static void put(nd_mtext *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(nd_mtext *t, const char *fmt, ...)
{
	if (t->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 4096;
		while (cap - t->len <= (size_t)n)
			cap *= 2;
		char *b = realloc(t->buf, cap);
		if (b == NULL) {
			t->failed = true;
			return;
		}
		t->buf = b;
		t->cap = cap;
	}
}

static void head(nd_mtext *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void nd_mtext_gauge(nd_mtext *t, const char *name, const char *help, double v)
{
	head(t, name, "gauge", help);
	put(t, "%s %.17g\n", name, v);
}

void nd_mtext_counter(nd_mtext *t, const char *name, const char *help, uint64_t v)
{
	head(t, name, "counter", help);
	put(t, "%s %llu\n", name, (unsigned long long)v);
}

void nd_mtext_sample(nd_mtext *t, const char *name, const char *type, const char *help,
		     const char *label, const char *value, double v)
{
	if (help != NULL)
		head(t, name, type, help);
	put(t, "%s{%s=\"%s\"} %.17g\n", name, label, value, v);
}

void nd_mtext_hist(nd_mtext *t, const char *name, const char *help, const nd_hist *h)
{
	head(t, name, "histogram", help);
	uint64_t cum = 0;
	for (size_t i = 0; i < h->nb; i++) {
		cum += h->count[i];
		put(t, "%s_bucket{le=\"%g\"} %llu\n", name, h->le[i], (unsigned long long)cum);
	}
	put(t, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->n);
	put(t, "%s_sum %.17g\n%s_count %llu\n", name, h->sum, name, (unsigned long long)h->n);
}

/* The codes of docs/RPC.md (net/rpc_codes.h). */
static const int codes[] = {-32700, -32600, -32601, -32602, -32603, -32001, -32002, -32003,
			    -32004, -32005, -32006, -32007, -32008, -32009, -32010};
#define NCODES (sizeof codes / sizeof codes[0])
_Static_assert(NCODES <= ND_RPC_CODES, "ND_RPC_CODES too small");

void nd_metrics_count_method(nd_metrics *m, unsigned method)
{
	if (method > ND_RPC_METHODS)
		method = ND_RPC_METHODS;
	__atomic_add_fetch(&m->rpc_method[method], 1, __ATOMIC_RELAXED);
}

void nd_metrics_count_reply(nd_metrics *m, const char *reply)
{
	static const char key[] = "\"error\":{\"code\":";
	/* An error reply names its code right after the id (nt_rpc_error); a
	 * result (up to a 4 MiB sync answer) is not scanned past that. */
	size_t head = reply != NULL ? strnlen(reply, 1024) : 0;
	const char *e = head > 0 ? memmem(reply, head, key, sizeof key - 1) : NULL;
	if (e == NULL)
		return;
	int code = atoi(e + sizeof key - 1);
	size_t i = 0;
	while (i < NCODES && codes[i] != code)
		i++;
	__atomic_add_fetch(&m->rpc_error[i < NCODES ? i : ND_RPC_CODES], 1, __ATOMIC_RELAXED);
}

void nd_metrics_render_rpc(nd_metrics *m, nd_mtext *t, const char *(*name)(unsigned))
{
	bool first = true;
	for (unsigned i = 0; i <= ND_RPC_METHODS; i++) {
		uint64_t v = __atomic_load_n(&m->rpc_method[i], __ATOMIC_RELAXED);
		const char *nm = i < ND_RPC_METHODS ? name(i) : "(unparsed)";
		if (nm == NULL || (v == 0 && i == ND_RPC_METHODS))
			continue;
		nd_mtext_sample(
		    t, "notary_rpc_requests_total", "counter",
		    first ? "JSON-RPC requests, by method (batch elements count one each)." : NULL,
		    "method", nm, (double)v);
		first = false;
	}
	first = true;
	for (unsigned i = 0; i <= ND_RPC_CODES; i++) {
		if (i >= NCODES && i != ND_RPC_CODES)
			continue;
		char c[16];
		snprintf(c, sizeof c, "%d", i < NCODES ? codes[i] : 0);
		nd_mtext_sample(
		    t, "notary_rpc_errors_total", "counter",
		    first ? "JSON-RPC error answers, by code (docs/RPC.md; 0: another)." : NULL,
		    "code", c, (double)__atomic_load_n(&m->rpc_error[i], __ATOMIC_RELAXED));
		first = false;
	}
}

void nd_metrics_publish(nd_metrics *m, nd_mtext *t)
{
	if (t->failed) {
		free(t->buf);
		memset(t, 0, sizeof *t);
		return;
	}
	pthread_mutex_lock(&m->mu);
	free(m->text);
	m->text = t->buf;
	m->len = t->len;
	pthread_mutex_unlock(&m->mu);
	memset(t, 0, sizeof *t);
}

char *nd_metrics_copy(nd_metrics *m, size_t *len)
{
	char *c = NULL;
	pthread_mutex_lock(&m->mu);
	if (m->text != NULL && (c = malloc(m->len + 1)) != NULL) {
		memcpy(c, m->text, m->len);
		c[m->len] = '\0';
		*len = m->len;
	}
	pthread_mutex_unlock(&m->mu);
	return c;
}
