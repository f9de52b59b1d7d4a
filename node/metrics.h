/* The node's Prometheus metrics (docs/OPERATIONS.md "Metrics"): histograms
 * and counters the loop keeps, and the text exposition format (version
 * 0.0.4) that GET /metrics on the HTTP listener serves. The loop renders
 * the text once a second into a buffer under a lock; the HTTP threads copy
 * it (a scrape never reaches the loop, and sees values at most a second
 * old). */
#ifndef NT_METRICS_H
#define NT_METRICS_H

#include "base/err.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ND_HIST_MAX 12
#define ND_RPC_METHODS 16
#define ND_RPC_CODES 16

/* A histogram with fixed upper bounds (le), cumulative when rendered. */
typedef struct {
	size_t nb;
	double le[ND_HIST_MAX];
	uint64_t count[ND_HIST_MAX + 1]; /* per bucket, the last one +Inf */
	uint64_t n;
	double sum;
} nd_hist;

void nd_hist_init(nd_hist *h, const double *le, size_t nb);
void nd_hist_observe(nd_hist *h, double v);

/* What the loop measures itself (loop only). */
typedef struct {
	nd_hist commit_seconds; /* height start -> block stored */
	nd_hist rounds;		/* rounds a height took (1 = decided in round 0) */
	nd_hist block_records;	/* records per block */
	nd_hist fsync_seconds;	/* one WAL sync */
	uint64_t blocks;	/* blocks stored (decided or fetched) */
	/* JSON-RPC requests by method ([ND_RPC_METHODS]: ones that did not
	 * parse) and answers by error code; any thread: atomic */
	uint64_t rpc_method[ND_RPC_METHODS + 1];
	uint64_t rpc_error[ND_RPC_CODES + 1]; /* [ND_RPC_CODES]: a code not in the list */
	/* the published text (HTTP threads read it under mu) */
	pthread_mutex_t mu;
	char *text;
	size_t len;
	uint64_t next_render; /* monotonic ms (loop) */
} nd_metrics;

void nd_metrics_init(nd_metrics *m);
void nd_metrics_destroy(nd_metrics *m);

/* A text being built (loop): the exposition format's lines. */
typedef struct {
	char *buf;
	size_t len, cap;
	bool failed;
} nd_mtext;

void nd_mtext_gauge(nd_mtext *t, const char *name, const char *help, double v);
void nd_mtext_counter(nd_mtext *t, const char *name, const char *help, uint64_t v);
/* One labelled sample of a family: head (HELP/TYPE) is written when help
 * is not NULL (the first sample of the family). */
void nd_mtext_sample(nd_mtext *t, const char *name, const char *type, const char *help,
		     const char *label, const char *value, double v);
void nd_mtext_hist(nd_mtext *t, const char *name, const char *help, const nd_hist *h);

/* Counts a request of method (< ND_RPC_METHODS; ND_RPC_METHODS for one
 * that did not parse) and a reply's error code, if it has one (any thread). */
void nd_metrics_count_method(nd_metrics *m, unsigned method);
void nd_metrics_count_reply(nd_metrics *m, const char *reply);
/* The two counter families, with method names from name(i). */
void nd_metrics_render_rpc(nd_metrics *m, nd_mtext *t, const char *(*name)(unsigned));

/* Replaces the published text with t's (takes its buffer). */
void nd_metrics_publish(nd_metrics *m, nd_mtext *t);
/* A copy of the published text (malloc'd) for a scrape; NULL if none yet. */
char *nd_metrics_copy(nd_metrics *m, size_t *len);

#endif
