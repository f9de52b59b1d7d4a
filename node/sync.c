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

#include "base/hex.h"
#include "core/merkle.h"
#include "core/record.h"
#include "net/rpc_client.h"
#include "node/rpc.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CALL_MS 5000
#define BACKOFF_MS 500
#define BATCH 50 /* blocks asked per call (the server also caps by size) */
#define MAX_WORKERS 8
/* Verified blocks remembered for nt_sync_verified: more than the window,
 * so an entry outlives its block's stay in the loop's queue. */
#define VERIFIED_MAX (2 * NT_SYNC_WINDOW + 2 * BATCH)

typedef struct {
	uint64_t height;
	uint32_t count;
	nt_hash root;
} verified;

/* One decoded entry of a reply and how its records fared. */
typedef struct {
	nt_block *b;
	nt_commit c, lc;
	bool has_lc;
	uint8_t state; /* ST_* */
	nt_hash root;  /* of the ids of the record bytes, when ST_OK */
} item;

enum { ST_TODO = 0, ST_BUSY, ST_OK, ST_BAD };

/* One reply, decoded: n items from height from (fewer than asked if an
 * entry was bad: e says why), or behind (the peer's tip is below from). */
typedef struct {
	bool valid; /* s->pre only: a prefetched batch of request gen */
	uint64_t from, gen;
	size_t peer;
	nt_err e;
	bool behind;
	item *it;
	size_t n;
} batch;

struct nt_sync {
	char **urls;
	const nt_tls_opts **tls; /* per URL, or NULL (the caller's) */
	nt_rpc_client **clients; /* opened on first use */
	size_t n, cur;
	nt_sync_deliver deliver;
	void *arg;
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool quit, pending;
	uint64_t from, to, gen;
	uint64_t applied; /* the loop's height (nt_sync_applied) */
	verified *ver;	  /* ring of VERIFIED_MAX, under mu */
	size_t nver, ver_next;
	unsigned workers; /* verifying threads besides this one */
	batch pre;	  /* the next batch, fetched while the last one was delivered */
	/* Signs sync requests to peers that refuse unsigned ones (-32009,
	 * access.sync_open 0); set before the first request, sync thread only
	 * after. signed_[i]: peer i asked for it. */
	nt_seckey *signer;
	bool *signed_;
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

/* The records of one reply, verified by whoever takes them first: the
 * helpers and the sync thread while it waits to deliver. */
typedef struct {
	item *it;
	size_t n, next;
	bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} vjob;

/* Decodes strictly and verifies the signature of every record of b; the
 * same work nt_ledger_check_block does for a record it does not know. */
static bool verify_block(const nt_block *b, nt_record *rec, nt_hash *root)
{
	for (uint32_t i = 0; i < b->count; i++)
		if (nt_record_decode(b->recs[i], b->lens[i], rec, NULL) != NT_OK ||
		    nt_record_verify(rec) != NT_OK)
			return false;
	/* b->ids were computed from the record bytes by nt_block_decode. */
	nt_merkle_root(b->ids, b->count, root);
	return true;
}

/* Takes and verifies the next untaken item; false when none is left (or
 * the job stopped). Called with j->mu held; returns with it held. */
static bool verify_next(vjob *j, nt_record *rec)
{
	if (j->stop || j->next >= j->n)
		return false;
	item *it = &j->it[j->next++];
	it->state = ST_BUSY;
	pthread_mutex_unlock(&j->mu);
	nt_hash root;
	bool ok = verify_block(it->b, rec, &root);
	pthread_mutex_lock(&j->mu);
	it->root = root;
	it->state = ok ? ST_OK : ST_BAD;
	pthread_cond_broadcast(&j->cv);
	return true;
}

static void *verify_worker(void *arg)
{
	vjob *j = arg;
	nt_record *rec = malloc(sizeof *rec);
	pthread_mutex_lock(&j->mu);
	while (rec != NULL && verify_next(j, rec))
		;
	pthread_mutex_unlock(&j->mu);
	free(rec);
	return NULL;
}

/* Waits until block height h may be delivered (within the window above
 * what the loop applied); false if the request changed or we quit. */
static bool window_wait(nt_sync *s, uint64_t gen, uint64_t h)
{
	pthread_mutex_lock(&s->mu);
	while (!s->quit && s->gen == gen && h > s->applied + NT_SYNC_WINDOW)
		pthread_cond_wait(&s->cv, &s->mu);
	bool ok = !s->quit && s->gen == gen;
	pthread_mutex_unlock(&s->mu);
	return ok;
}

static void remember(nt_sync *s, const item *it)
{
	pthread_mutex_lock(&s->mu);
	verified *v = &s->ver[s->ver_next];
	v->height = it->b->header.height;
	v->count = it->b->count;
	v->root = it->root;
	s->ver_next = (s->ver_next + 1) % VERIFIED_MAX;
	if (s->nver < VERIFIED_MAX)
		s->nver++;
	pthread_mutex_unlock(&s->mu);
}

/* Verifies the n decoded items (in parallel) and delivers them in order,
 * from height from. Returns how many were delivered; *bad when one had a
 * record that does not decode or verify (it is delivered unmarked, so the
 * loop refuses it and says why, and nothing after it is). */
static size_t verify_deliver(nt_sync *s, item *it, size_t n, uint64_t from, uint64_t gen,
			     nt_record *rec, bool *bad)
{
	*bad = false;
	vjob j = {.it = it, .n = n};
	pthread_mutex_init(&j.mu, NULL);
	pthread_cond_init(&j.cv, NULL);
	pthread_t thr[MAX_WORKERS];
	unsigned nt = 0;
	for (unsigned w = 0; w < s->workers && w + 1 < n; w++)
		if (pthread_create(&thr[nt], NULL, verify_worker, &j) == 0)
			nt++;
	size_t k = 0;
	for (; k < n; k++) {
		/* Verify while the item is not done (or help with later ones). */
		pthread_mutex_lock(&j.mu);
		while (it[k].state != ST_OK && it[k].state != ST_BAD)
			if (!verify_next(&j, rec))
				pthread_cond_wait(&j.cv, &j.mu);
		bool ok = it[k].state == ST_OK;
		pthread_mutex_unlock(&j.mu);
		if (!window_wait(s, gen, from + k))
			break; /* replaced or stopped meanwhile */
		if (ok)
			remember(s, &it[k]);
		s->deliver(s->arg, it[k].b, &it[k].c, it[k].has_lc ? &it[k].lc : NULL);
		it[k].b = NULL;
		if (!ok) {
			*bad = true;
			k++;
			break;
		}
		advance(s, gen, from + k + 1, false);
	}
	pthread_mutex_lock(&j.mu);
	j.stop = true;
	pthread_mutex_unlock(&j.mu);
	for (unsigned w = 0; w < nt; w++)
		pthread_join(thr[w], NULL);
	pthread_mutex_destroy(&j.mu);
	pthread_cond_destroy(&j.cv);
	return k;
}

/* The sync request text for peer i (signed when it asked for that). */
static char *request_text(nt_sync *s, size_t i, uint64_t from, uint64_t want)
{
	json_t *params = json_pack("{s:I,s:i}", "from", (json_int_t)from, "max",
				   (int)(want < BATCH ? want : BATCH));
	if (params != NULL && s->signer != NULL && s->signed_[i]) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
		if (nt_rpc_auth_add(params, "sync", s->signer, now) != NT_OK) {
			json_decref(params);
			params = NULL;
		}
	}
	json_t *req = params != NULL ? json_pack("{s:s,s:i,s:s,s:o}", "jsonrpc", "2.0", "id", 1,
						 "method", "sync", "params", params)
				     : NULL;
	char *text = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	return text;
}

/* Calls `sync` on peer i for up to want blocks from height from and
 * decodes the reply into out (see batch). */
static void fetch_batch(nt_sync *s, size_t i, uint64_t from, uint64_t want, batch *out)
{
	memset(out, 0, sizeof *out);
	out->from = from;
	out->peer = i;
	nt_why why = {{0}};
	if (s->clients[i] == NULL &&
	    nt_rpc_client_open_ex(s->urls[i], s->tls[i], &s->clients[i], &why) != NT_OK) {
		out->e = NT_ERR_NET;
		return;
	}
	json_t *root = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		char *req = request_text(s, i, from, want);
		if (req == NULL) {
			out->e = NT_ERR_NOMEM;
			return;
		}
		char *resp = NULL;
		size_t resp_len = 0;
		out->e = nt_rpc_client_call(s->clients[i], req, strlen(req), CALL_MS, &resp,
					    &resp_len, &why);
		free(req);
		if (out->e != NT_OK)
			return;
		root = json_loadb(resp, resp_len, 0, NULL);
		free(resp);
		/* a peer that serves sync only to listed keys: sign from now on */
		json_t *code = json_object_get(json_object_get(root, "error"), "code");
		if (!json_is_integer(code) || json_integer_value(code) != NT_RPC_E_DENIED ||
		    s->signer == NULL || s->signed_[i])
			break;
		s->signed_[i] = true;
		json_decref(root);
		root = NULL;
	}
	json_t *res = json_object_get(root, "result");
	json_t *tip = json_object_get(res, "height");
	json_t *blocks = json_object_get(res, "blocks");
	if (!json_is_integer(tip) || json_integer_value(tip) < 0 || !json_is_array(blocks)) {
		json_decref(root);
		out->e = NT_ERR_DECODE;
		return;
	}
	if ((uint64_t)json_integer_value(tip) < from) {
		json_decref(root);
		out->behind = true;
		return;
	}
	size_t nb = json_array_size(blocks);
	if (nb > want)
		nb = (size_t)want;
	out->it = nb > 0 ? calloc(nb, sizeof *out->it) : NULL;
	nt_err e = nb == 0 ? NT_ERR_DECODE : out->it == NULL ? NT_ERR_NOMEM : NT_OK;
	/* Decode every entry first (cheap); a bad one ends the batch. */
	for (; e == NT_OK && out->n < nb; out->n++) {
		item *x = &out->it[out->n];
		e = decode_entry(json_array_get(blocks, out->n), from + out->n, &x->b, &x->c,
				 &x->lc, &x->has_lc);
		if (e != NT_OK)
			break;
	}
	json_decref(root);
	out->e = e;
}

static void batch_free(batch *b)
{
	for (size_t k = 0; k < b->n; k++)
		nt_block_free(b->it[k].b);
	free(b->it);
	memset(b, 0, sizeof *b);
}

typedef struct {
	nt_sync *s;
	uint64_t from, want;
	batch out;
} prefetch;

static void *prefetch_run(void *arg)
{
	prefetch *p = arg;
	fetch_batch(p->s, p->s->cur, p->from, p->want, &p->out);
	return NULL;
}

/* Asks the current peer for from..to, verifies what it sends and delivers
 * it, in order. While this batch is verified and delivered, the next one
 * is already being fetched (kept in s->pre for the next call). *progress:
 * something was delivered or the request is finished. An error means: try
 * another peer (after what was delivered). */
static nt_err fetch(nt_sync *s, uint64_t from, uint64_t to, uint64_t gen, bool *progress)
{
	*progress = false;
	batch cur;
	if (s->pre.valid && s->pre.gen == gen && s->pre.from == from && s->pre.peer == s->cur) {
		cur = s->pre;
		memset(&s->pre, 0, sizeof s->pre);
	} else {
		batch_free(&s->pre);
		fetch_batch(s, s->cur, from, to - from + 1, &cur);
	}
	if (cur.behind) {
		/* The peer is not ahead of us: nothing to fetch. */
		advance(s, gen, from, true);
		*progress = true;
		return NT_OK;
	}
	nt_err e = cur.e;
	nt_record *rec = malloc(sizeof *rec);
	if (rec == NULL) {
		batch_free(&cur);
		return NT_ERR_NOMEM;
	}
	prefetch pf = {.s = s, .from = from + cur.n};
	pthread_t pthr;
	bool pf_on = e == NT_OK && pf.from <= to;
	if (pf_on) {
		pf.want = to - pf.from + 1;
		pf_on = pthread_create(&pthr, NULL, prefetch_run, &pf) == 0;
	}
	bool bad = false;
	size_t sent = cur.n > 0 ? verify_deliver(s, cur.it, cur.n, from, gen, rec, &bad) : 0;
	free(rec);
	if (pf_on) {
		pthread_join(pthr, NULL);
		if (sent == cur.n && !bad) {
			s->pre = pf.out;
			s->pre.valid = true;
			s->pre.gen = gen;
		} else {
			batch_free(&pf.out);
		}
	}
	for (size_t k = 0; k < sent; k++)
		cur.it[k].b = NULL; /* delivered: the loop owns them */
	batch_free(&cur);
	if (bad && e == NT_OK)
		e = NT_ERR_SIGNATURE;
	/* Blocks already delivered count as progress even if a later entry
	 * was bad; the next call starts after them (from another peer). */
	*progress = sent > (bad ? 1u : 0u);
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
	free(s->tls);
	free(s->signed_);
	nt_seckey_free(s->signer);
	free(s->ver);
	batch_free(&s->pre);
	free(s);
}

nt_err nt_sync_start(const char *const *rpc_urls, size_t nurls, nt_sync_deliver d, void *arg,
		     nt_sync **out, nt_why *why)
{
	return nt_sync_start_ex(rpc_urls, NULL, nurls, d, arg, NULL, out, why);
}

nt_err nt_sync_start_ex(const char *const *rpc_urls, const nt_tls_opts *const *tls, size_t nurls,
			nt_sync_deliver d, void *arg, nt_seckey *signer, nt_sync **out, nt_why *why)
{
	if (rpc_urls == NULL || nurls == 0 || d == NULL || out == NULL) {
		nt_seckey_free(signer);
		return nt_fail(why, NT_ERR_ARG, "block sync needs at least one peer RPC URL");
	}
	nt_sync *s = calloc(1, sizeof *s);
	if (s == NULL) {
		nt_seckey_free(signer);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	s->signer = signer;
	s->signed_ = calloc(nurls, sizeof *s->signed_);
	s->n = nurls;
	s->deliver = d;
	s->arg = arg;
	s->urls = calloc(nurls, sizeof *s->urls);
	s->clients = calloc(nurls, sizeof *s->clients);
	s->tls = calloc(nurls, sizeof *s->tls);
	s->ver = calloc(VERIFIED_MAX, sizeof *s->ver);
	/* Verifying is the costly part of catch-up: one thread per CPU (this
	 * one included), while the loop applies what was delivered. */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	s->workers = cpus <= 1 ? 0 : cpus > MAX_WORKERS ? MAX_WORKERS - 1 : (unsigned)cpus - 1;
	bool ok = s->urls != NULL && s->clients != NULL && s->tls != NULL && s->ver != NULL &&
		  s->signed_ != NULL;
	for (size_t i = 0; ok && i < nurls; i++) {
		ok = rpc_urls[i] != NULL && (s->urls[i] = strdup(rpc_urls[i])) != NULL;
		if (ok && tls != NULL)
			s->tls[i] = tls[i];
	}
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
	s->applied = from > 0 ? from - 1 : 0;
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

void nt_sync_applied(nt_sync *s, uint64_t height)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	if (height > s->applied) {
		s->applied = height;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
}

bool nt_sync_verified(nt_sync *s, const nt_block *b)
{
	if (s == NULL || b == NULL)
		return false;
	bool found = false;
	pthread_mutex_lock(&s->mu);
	/* Newest first: the block asked about was usually delivered lately. */
	for (size_t k = 1; k <= s->nver && !found; k++) {
		const verified *v = &s->ver[(s->ver_next + VERIFIED_MAX - k) % VERIFIED_MAX];
		found = v->height == b->header.height && v->count == b->header.record_count &&
			memcmp(v->root.b, b->header.records_root.b, NT_HASH_LEN) == 0;
	}
	pthread_mutex_unlock(&s->mu);
	return found;
}

bool nt_sync_extend(nt_sync *s, uint64_t to)
{
	if (s == NULL)
		return false;
	pthread_mutex_lock(&s->mu);
	bool ok = !s->quit && s->pending;
	if (ok && to > s->to)
		s->to = to;
	pthread_mutex_unlock(&s->mu);
	return ok;
}
