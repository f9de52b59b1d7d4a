/* Catch-up through the peers' JSON-RPC `sync` method (see node/sync.h).
 *
 * One thread sleeps on a condition variable until the loop asks for a
 * range. It then calls `sync` on the current peer; whatever goes wrong with
 * a peer (no answer within CALL_MS, an error reply, a reply that does not
 * decode, heights out of order) moves on to the next peer, and when every
 * peer failed in a row the thread backs off BACKOFF_MS. Each request has a
 * generation number: a newer request replaces the range, and blocks of the
 * old one that are still being decoded are dropped instead of delivered.
 * Nothing here is trusted: the loop verifies every block and commit before
 * applying it. */
#include "node/sync.h"

#include "core/hex.h"
#include "net/rpc_client.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CALL_MS 5000
#define BACKOFF_MS 500
#define BATCH 50 /* blocks asked per call (the server also caps by size) */

struct nt_sync {
	char **urls;
	nt_rpc_client **clients; /* opened on first use */
	size_t n, cur;
	nt_sync_deliver deliver;
	void *arg;
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool quit, pending;
	uint64_t from, to, gen;
};

/* The range as it stands; false when there is none (or we quit). */
static bool current(nt_sync *s, uint64_t *from, uint64_t *to, uint64_t *gen)
{
	pthread_mutex_lock(&s->mu);
	bool ok = !s->quit && s->pending;
	*from = s->from;
	*to = s->to;
	*gen = s->gen;
	pthread_mutex_unlock(&s->mu);
	return ok;
}

/* Records progress of request gen: the next height wanted, or done. */
static void advance(nt_sync *s, uint64_t gen, uint64_t next, bool done)
{
	pthread_mutex_lock(&s->mu);
	if (s->gen == gen) {
		s->from = next;
		if (done || next > s->to)
			s->pending = false;
	}
	pthread_mutex_unlock(&s->mu);
}

static void backoff(nt_sync *s)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)BACKOFF_MS * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&s->mu);
	uint64_t gen = s->gen;
	/* A new request or stop ends the wait early. */
	while (!s->quit && s->gen == gen)
		if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&s->mu);
}

/* Hex string member name of o into a malloc'd buffer. */
static nt_err get_bytes(json_t *o, const char *name, uint8_t **out, size_t *len, size_t max)
{
	json_t *v = json_object_get(o, name);
	if (!json_is_string(v))
		return NT_ERR_DECODE;
	const char *hex = json_string_value(v);
	size_t hl = json_string_length(v);
	if (hl == 0 || hl % 2 != 0 || hl / 2 > max || strlen(hex) != hl)
		return NT_ERR_DECODE;
	uint8_t *b = malloc(hl / 2);
	if (b == NULL)
		return NT_ERR_NOMEM;
	if (nt_hex_decode(hex, b, hl / 2, len) != NT_OK) {
		free(b);
		return NT_ERR_DECODE;
	}
	*out = b;
	return NT_OK;
}

static nt_err get_commit(json_t *o, const char *name, nt_commit *out)
{
	uint8_t *b = NULL;
	size_t len = 0;
	nt_err e = get_bytes(o, name, &b, &len, NT_COMMIT_MAX);
	if (e != NT_OK)
		return e;
	e = nt_commit_decode(b, len, out, NULL);
	free(b);
	return e;
}

/* One entry of the reply: it must be height h. On NT_OK *blk is ours and
 * c / lc are filled (*has_lc false at height 1). */
static nt_err decode_entry(json_t *ent, uint64_t h, nt_block **blk, nt_commit *c, nt_commit *lc,
			   bool *has_lc)
{
	json_t *jh = json_object_get(ent, "height");
	if (!json_is_object(ent) || !json_is_integer(jh) || json_integer_value(jh) < 1 ||
	    (uint64_t)json_integer_value(jh) != h)
		return NT_ERR_CHAIN;
	uint8_t *bb = NULL;
	size_t bl = 0;
	nt_err e = get_bytes(ent, "block", &bb, &bl, NT_BLOCK_MAX_BYTES);
	if (e != NT_OK)
		return e;
	nt_block *b = NULL;
	e = nt_block_decode(bb, bl, &b, NULL);
	free(bb);
	if (e != NT_OK)
		return e;
	json_t *jlc = json_object_get(ent, "last_commit");
	*has_lc = h > 1;
	if (b->header.height != h || (e = get_commit(ent, "commit", c)) != NT_OK ||
	    c->height != h || (h == 1 && !json_is_null(jlc)) ||
	    (h > 1 && ((e = get_commit(ent, "last_commit", lc)) != NT_OK || lc->height != h - 1))) {
		nt_block_free(b);
		return e != NT_OK ? e : NT_ERR_CHAIN;
	}
	*blk = b;
	return NT_OK;
}

/* Asks the current peer for from..to and delivers what it sends, in order.
 * *progress: something was delivered or the request is finished. An error
 * means: try another peer (after what was delivered). */
static nt_err fetch(nt_sync *s, uint64_t from, uint64_t to, uint64_t gen, bool *progress)
{
	*progress = false;
	size_t i = s->cur;
	nt_why why = {{0}};
	if (s->clients[i] == NULL && nt_rpc_client_open(s->urls[i], &s->clients[i], &why) != NT_OK)
		return NT_ERR_NET;
	uint64_t want = to - from + 1;
	char req[160];
	int rl = snprintf(
	    req, sizeof req,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sync\",\"params\":{\"from\":%" PRIu64
	    ",\"max\":%u}}",
	    from, (unsigned)(want < BATCH ? want : BATCH));
	char *resp = NULL;
	size_t resp_len = 0;
	nt_err e =
	    nt_rpc_client_call(s->clients[i], req, (size_t)rl, CALL_MS, &resp, &resp_len, &why);
	if (e != NT_OK)
		return e;
	json_t *root = json_loadb(resp, resp_len, 0, NULL);
	free(resp);
	json_t *res = json_object_get(root, "result");
	json_t *tip = json_object_get(res, "height");
	json_t *blocks = json_object_get(res, "blocks");
	if (!json_is_integer(tip) || json_integer_value(tip) < 0 || !json_is_array(blocks)) {
		json_decref(root);
		return NT_ERR_DECODE;
	}
	if ((uint64_t)json_integer_value(tip) < from) {
		/* The peer is not ahead of us: nothing to fetch. */
		json_decref(root);
		advance(s, gen, from, true);
		*progress = true;
		return NT_OK;
	}
	size_t nb = json_array_size(blocks);
	nt_commit *c = malloc(sizeof *c), *lc = malloc(sizeof *lc);
	e = (c == NULL || lc == NULL) ? NT_ERR_NOMEM : nb == 0 ? NT_ERR_DECODE : NT_OK;
	uint64_t h = from;
	for (size_t k = 0; e == NT_OK && k < nb && h <= to; k++, h++) {
		nt_block *b = NULL;
		bool has_lc = false;
		e = decode_entry(json_array_get(blocks, k), h, &b, c, lc, &has_lc);
		if (e != NT_OK)
			break;
		uint64_t f2, t2, g2;
		if (!current(s, &f2, &t2, &g2) || g2 != gen) {
			nt_block_free(b); /* replaced or stopped meanwhile */
			break;
		}
		s->deliver(s->arg, b, c, has_lc ? lc : NULL);
		advance(s, gen, h + 1, false);
	}
	free(c);
	free(lc);
	json_decref(root);
	/* Blocks already delivered count as progress even if a later entry
	 * was bad; the next call starts after them (from another peer). */
	*progress = h > from;
	return e;
}

static void *run(void *arg)
{
	nt_sync *s = arg;
	size_t failures = 0;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (!s->quit && !s->pending)
			pthread_cond_wait(&s->cv, &s->mu);
		bool quit = s->quit;
		pthread_mutex_unlock(&s->mu);
		if (quit)
			break;
		uint64_t from, to, gen;
		if (!current(s, &from, &to, &gen))
			continue;
		bool progress = false;
		nt_err e = fetch(s, from, to, gen, &progress);
		if (progress)
			failures = 0;
		if (e == NT_OK)
			continue;
		s->cur = (s->cur + 1) % s->n;
		if (!progress && ++failures >= s->n) {
			failures = 0;
			backoff(s);
		}
	}
	return NULL;
}

static void free_all(nt_sync *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->urls != NULL)
			free(s->urls[i]);
		if (s->clients != NULL)
			nt_rpc_client_close(s->clients[i]);
	}
	free(s->urls);
	free(s->clients);
	free(s);
}

nt_err nt_sync_start(const char *const *rpc_urls, size_t nurls, nt_sync_deliver d, void *arg,
		     nt_sync **out, nt_why *why)
{
	if (rpc_urls == NULL || nurls == 0 || d == NULL || out == NULL)
		return nt_fail(why, NT_ERR_ARG, "block sync needs at least one peer RPC URL");
	nt_sync *s = calloc(1, sizeof *s);
	if (s == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	s->n = nurls;
	s->deliver = d;
	s->arg = arg;
	s->urls = calloc(nurls, sizeof *s->urls);
	s->clients = calloc(nurls, sizeof *s->clients);
	bool ok = s->urls != NULL && s->clients != NULL;
	for (size_t i = 0; ok && i < nurls; i++)
		ok = rpc_urls[i] != NULL && (s->urls[i] = strdup(rpc_urls[i])) != NULL;
	if (!ok) {
		free_all(s);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory (or a NULL URL)");
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->thr, NULL, run, s) != 0) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
		free_all(s);
		return nt_fail(why, NT_ERR_NOMEM, "cannot start the block sync thread");
	}
	*out = s;
	return NT_OK;
}

void nt_sync_request(nt_sync *s, uint64_t from, uint64_t to)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->from = from;
	s->to = to;
	s->pending = from >= 1 && from <= to;
	s->gen++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void nt_sync_stop(nt_sync *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->quit = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	/* At most one RPC call (CALL_MS) to wait for. */
	pthread_join(s->thr, NULL);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free_all(s);
}
