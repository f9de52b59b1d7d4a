/* The Tendermint engine (core/consensus.c) and peer messages (core/peermsg.c).
 *
 * Most cases run an in-memory network: N engines, each over its own
 * in-memory ledger, a message queue with a virtual clock, timers, and a host
 * that proposes with nt_ledger_propose, checks with nt_ledger_check_block and
 * applies every COMMIT with nt_ledger_append (so every commit the engine
 * builds is also checked by the ledger's commit verification). Messages
 * travel encoded (core/peermsg), so the wire format is exercised too. */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/consensus.h"
#include "core/kv.h"
#include "core/ledger.h"
#include "core/peermsg.h"
#include "core/record.h"
#include "crypto/digest.h"

#define T0 1790000000000ull
#define MAXN 8
#define MAXH 64
#define LC_SEEN 32

typedef struct net net;

typedef struct {
	net *net;
	int id;
	nt_seckey *key;
	nt_kv *kv;
	nt_ledger *l;
	nt_cons *e;
	bool silent;	 /* never created: a crashed validator */
	bool equivocate; /* sends a second block to half of the peers */
	nt_cons_hrs persisted;
	uint64_t commits;
	uint32_t max_round; /* highest round of a commit */
	/* The last commit each block valid() saw named, by block hash: the
	 * COMMIT action carries no proposal, and append needs the commit of
	 * h-1 that the decided block names (it replaces ours). */
	struct {
		nt_hash bh;
		nt_commit *lc; /* NULL: none (height 1) */
		bool used;
	} seen[LC_SEEN];
	unsigned nseen;
} node;

typedef struct {
	uint64_t at, seq;
	int to;
	bool timer;
	uint64_t h;
	uint32_t r;
	uint8_t step;
	uint8_t *msg;
	size_t len;
} event;

struct net {
	int n, nobs; /* validators, then observers (key NULL) */
	nt_genesis g;
	node nodes[MAXN + 1];
	nt_seckey *sub;
	uint64_t now, seq, reccount;
	event *ev;
	size_t nev, cap;
	/* delivery: delay in [dmin, dmax], dup_pct percent duplicated */
	uint64_t dmin, dmax;
	unsigned dup_pct;
	uint64_t target; /* nodes start no height above this */
	nt_hash decided[MAXH + 1];
	bool have[MAXH + 1];
	uint64_t evidence;
	uint64_t synced; /* blocks fetched by catch_up */
};

static nt_seckey *key_from(uint64_t tag)
{
	uint8_t secret[32];
	nt_hash h;
	nt_sha256(&tag, sizeof tag, &h);
	memcpy(secret, h.b, 32);
	nt_seckey *k = NULL;
	assert_int_equal(nt_seckey_from_bytes(secret, &k), NT_OK);
	return k;
}

/* A fresh signed record (deterministic). */
static size_t make_record(net *w, uint8_t *out)
{
	nt_record r;
	memset(&r, 0, sizeof r);
	r.version = NT_RECORD_VERSION;
	r.alg = NT_ALG_SHA256;
	r.digest_len = 32;
	uint64_t c = ++w->reccount;
	size_t dl;
	assert_int_equal(nt_digest_buf(NT_ALG_SHA256, &c, sizeof c, r.digest, &dl), NT_OK);
	r.client_time = T0;
	assert_int_equal(nt_record_sign(&r, w->sub), NT_OK);
	size_t len = 0;
	assert_int_equal(nt_record_encode(&r, out, NT_RECORD_MAX, &len), NT_OK);
	return len;
}

static nt_block *build_block(net *w, const nt_ledger *l, int proposer, uint64_t now, unsigned nrec)
{
	uint8_t recs[3][NT_RECORD_MAX];
	const uint8_t *ptrs[3];
	size_t lens[3];
	for (unsigned i = 0; i < nrec && i < 3; i++) {
		lens[i] = make_record(w, recs[i]);
		ptrs[i] = recs[i];
	}
	const nt_header *tip = nt_ledger_tip(l);
	uint64_t t = now;
	if (tip != NULL && t <= tip->time)
		t = tip->time + 1;
	nt_block *b = NULL;
	assert_int_equal(nt_ledger_propose(l, ptrs, lens, nrec, t, &w->g.vals.keys[proposer], &b),
			 NT_OK);
	return b;
}

static nt_err host_propose(void *arg, uint64_t height, uint64_t now, nt_block **out)
{
	node *d = arg;
	assert_int_equal(height, nt_ledger_height(d->l) + 1);
	*out = build_block(d->net, d->l, d->id, now, 1 + (unsigned)(height % 3));
	return NT_OK;
}

/* Remembers (id(b), lc) for the COMMIT of b; a block hash fixes the
 * header and so the last commit it names. */
static void seen_put(node *d, const nt_block *b, const nt_commit *lc)
{
	nt_hash bh;
	assert_int_equal(nt_header_hash(&b->header, &bh), NT_OK);
	unsigned slot = d->nseen % LC_SEEN;
	for (unsigned i = 0; i < LC_SEEN; i++)
		if (d->seen[i].used && memcmp(d->seen[i].bh.b, bh.b, 32) == 0)
			slot = i;
	if (slot == d->nseen % LC_SEEN)
		d->nseen++;
	d->seen[slot].used = true;
	d->seen[slot].bh = bh;
	free(d->seen[slot].lc);
	d->seen[slot].lc = NULL;
	if (lc != NULL) {
		d->seen[slot].lc = malloc(sizeof *lc);
		assert_non_null(d->seen[slot].lc);
		*d->seen[slot].lc = *lc;
	}
}

static const nt_commit *seen_get(node *d, const nt_hash *bh)
{
	for (unsigned i = 0; i < LC_SEEN; i++)
		if (d->seen[i].used && memcmp(d->seen[i].bh.b, bh->b, 32) == 0)
			return d->seen[i].lc;
	fail_msg("node %d decided a block valid() never saw", d->id);
	return NULL;
}

static void seen_free(node *d)
{
	for (unsigned i = 0; i < LC_SEEN; i++)
		free(d->seen[i].lc);
	memset(d->seen, 0, sizeof d->seen);
}

static bool host_valid(void *arg, const nt_block *b, const nt_commit *lc, uint64_t now)
{
	node *d = arg;
	/* the engine checked that lc hashes to the header's last_commit_hash;
	 * the ledger checks it names our tip and verifies its signatures */
	nt_why why = {{0}};
	nt_err err = nt_ledger_check_block(d->l, b, lc, now, 2000, NULL, NULL, &why);
	if (err == NT_OK)
		seen_put(d, b, lc);
	return err == NT_OK;
}

static nt_err host_last_commit(void *arg, uint64_t height, nt_commit *out)
{
	node *d = arg;
	return nt_ledger_commit(d->l, height, out);
}

static nt_cons_config test_cfg(void)
{
	nt_cons_config c;
	nt_cons_config_default(&c);
	c.timeout_propose_ms = 400;
	c.timeout_propose_delta_ms = 100;
	c.timeout_prevote_ms = 150;
	c.timeout_prevote_delta_ms = 50;
	c.timeout_precommit_ms = 150;
	c.timeout_precommit_delta_ms = 50;
	c.max_clock_skew_ms = 2000;
	return c;
}

static void genesis_for(nt_genesis *g, int n, uint64_t tagbase)
{
	memset(g, 0, sizeof *g);
	strcpy(g->chain_id, "cons-test");
	g->genesis_time = T0 - 1000;
	g->vals.n = (uint16_t)n;
	for (int i = 0; i < n; i++) {
		nt_seckey *k = key_from(tagbase + (uint64_t)i);
		nt_seckey_pubkey(k, &g->vals.keys[i]);
		nt_seckey_free(k);
		snprintf(g->vals.names[i], sizeof g->vals.names[i], "Office %d", i);
	}
	nt_valset_hash(&g->vals, &g->validators_hash);
}

static net *net_new(int n, int nobs, unsigned silent_mask)
{
	net *w = calloc(1, sizeof *w);
	assert_non_null(w);
	w->n = n;
	w->nobs = nobs;
	w->now = T0;
	w->dmin = w->dmax = 10;
	genesis_for(&w->g, n, 100);
	w->sub = key_from(999);
	nt_cons_config cfg = test_cfg();
	for (int i = 0; i < n + nobs; i++) {
		node *d = &w->nodes[i];
		d->net = w;
		d->id = i;
		d->silent = i < n && (silent_mask >> i) & 1;
		if (d->silent)
			continue;
		if (i < n)
			d->key = key_from(100 + (uint64_t)i);
		nt_why why = {{0}};
		assert_int_equal(nt_kv_mem_new(&d->kv), NT_OK);
		assert_int_equal(nt_ledger_open(d->kv, &w->g, &d->l, &why), NT_OK);
		nt_cons_host host = {.arg = d,
				     .propose = host_propose,
				     .valid = host_valid,
				     .last_commit = host_last_commit};
		assert_int_equal(nt_cons_new(&w->g, d->key, &cfg, &host, &d->e), NT_OK);
		assert_int_equal(nt_cons_self(d->e), i < n ? i : -1);
	}
	return w;
}

static void net_free(net *w)
{
	for (int i = 0; i < w->n + w->nobs; i++) {
		node *d = &w->nodes[i];
		nt_cons_free(d->e);
		nt_ledger_free(d->l);
		nt_kv_close(d->kv);
		nt_seckey_free(d->key);
		seen_free(d);
	}
	for (size_t i = 0; i < w->nev; i++)
		free(w->ev[i].msg);
	free(w->ev);
	nt_seckey_free(w->sub);
	free(w);
}

static void push_ev(net *w, const event *e)
{
	if (w->nev == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 256;
		w->ev = realloc(w->ev, w->cap * sizeof *w->ev);
		assert_non_null(w->ev);
	}
	w->ev[w->nev] = *e;
	w->ev[w->nev].seq = w->seq++;
	w->nev++;
}

static void send_to(net *w, int to, const uint8_t *msg, size_t len)
{
	if (w->nodes[to].silent)
		return;
	unsigned copies = 1 + (w->dup_pct && tu_rand() % 100 < w->dup_pct);
	for (unsigned c = 0; c < copies; c++) {
		event e = {0};
		e.to = to;
		e.at = w->now + w->dmin +
		       (w->dmax > w->dmin ? tu_rand() % (w->dmax - w->dmin + 1) : 0);
		e.msg = malloc(len);
		assert_non_null(e.msg);
		memcpy(e.msg, msg, len);
		e.len = len;
		push_ev(w, &e);
	}
}

static void broadcast(net *w, int from, const uint8_t *msg, size_t len)
{
	for (int i = 0; i < w->n + w->nobs; i++)
		if (i != from)
			send_to(w, i, msg, len);
}

static int hrs_cmp(const nt_cons_hrs *a, const nt_cons_hrs *b)
{
	if (a->height != b->height)
		return a->height < b->height ? -1 : 1;
	if (a->round != b->round)
		return a->round < b->round ? -1 : 1;
	return a->step < b->step ? -1 : a->step > b->step;
}

/* An equivocating proposer: a second block, signed, for the odd peers. */
static void send_equivocation(net *w, node *d, const nt_proposal *p)
{
	nt_proposal q = *p;
	q.block = build_block(w, d->l, d->id, w->now + 1, 2);
	assert_int_equal(nt_header_hash(&q.block->header, &q.block_hash), NT_OK);
	nt_hash m;
	nt_proposal_sighash(w->g.chain_id, q.height, q.round, q.valid_round, &q.block_hash, &m);
	assert_int_equal(nt_sign(d->key, &m, &q.sig), NT_OK);
	uint8_t *b1, *b2;
	size_t l1, l2;
	assert_int_equal(nt_peermsg_proposal_encode(p, &b1, &l1), NT_OK);
	assert_int_equal(nt_peermsg_proposal_encode(&q, &b2, &l2), NT_OK);
	for (int i = 0; i < w->n + w->nobs; i++)
		if (i != d->id)
			send_to(w, i, i % 2 ? b2 : b1, i % 2 ? l2 : l1);
	free(b1);
	free(b2);
	nt_block_free(q.block);
}

/* Executes the actions of one engine call; returns the height to start
 * next (0: none), which must happen only after the actions are done. */
static uint64_t exec(net *w, node *d, nt_cons_actions acts)
{
	uint64_t next = 0;
	for (size_t i = 0; i < acts.n; i++) {
		const nt_cons_action *a = &acts.v[i];
		switch (a->type) {
		case NT_CONS_PERSIST_SIGNED:
			/* strictly increasing: never two signatures for one step */
			assert_true(hrs_cmp(&a->hrs, &d->persisted) > 0);
			assert_non_null(d->key);
			/* it carries the message it protects */
			if (a->hrs.step == NT_STEP_PROPOSE) {
				if (a->proposal != NULL) {
					assert_int_equal(a->proposal->height, a->hrs.height);
					assert_int_equal(a->proposal->round, a->hrs.round);
				}
			} else {
				assert_int_equal(a->vote.height, a->hrs.height);
				assert_int_equal(a->vote.round, a->hrs.round);
				assert_int_equal(a->vote.type, a->hrs.step == NT_STEP_PREVOTE
								   ? NT_VOTE_PREVOTE
								   : NT_VOTE_PRECOMMIT);
				assert_int_equal(a->vote.index, d->id);
			}
			d->persisted = a->hrs;
			break;
		case NT_CONS_BROADCAST_PROPOSAL: {
			const nt_proposal *p = a->proposal;
			nt_cons_hrs s = {p->height, p->round, NT_STEP_PROPOSE};
			assert_int_equal(hrs_cmp(&s, &d->persisted), 0);
			if (d->equivocate) {
				send_equivocation(w, d, p);
				break;
			}
			uint8_t *buf;
			size_t len;
			assert_int_equal(nt_peermsg_proposal_encode(p, &buf, &len), NT_OK);
			broadcast(w, d->id, buf, len);
			free(buf);
			break;
		}
		case NT_CONS_BROADCAST_VOTE: {
			nt_cons_hrs s = {a->vote.height, a->vote.round,
					 a->vote.type == NT_VOTE_PREVOTE ? NT_STEP_PREVOTE
									 : NT_STEP_PRECOMMIT};
			assert_int_equal(hrs_cmp(&s, &d->persisted), 0);
			uint8_t buf[NT_PEERMSG_VOTE_LEN];
			nt_peermsg_vote_encode(&a->vote, buf);
			broadcast(w, d->id, buf, sizeof buf);
			break;
		}
		case NT_CONS_SCHEDULE_TIMEOUT: {
			event e = {0};
			e.timer = true;
			e.to = d->id;
			e.at = w->now + a->delay_ms;
			e.h = a->hrs.height;
			e.r = a->hrs.round;
			e.step = a->hrs.step;
			push_ev(w, &e);
			break;
		}
		case NT_CONS_COMMIT: {
			nt_why why = {{0}};
			uint64_t h = a->commit->height;
			nt_hash bh;
			assert_int_equal(nt_header_hash(&a->block->header, &bh), NT_OK);
			assert_memory_equal(bh.b, a->commit->block_hash.b, 32);
			for (unsigned j = 1; j < a->commit->count; j++)
				assert_true(a->commit->sigs[j].index >
					    a->commit->sigs[j - 1].index);
			for (unsigned j = 0; j < a->commit->count; j++)
				assert_true(a->commit->sigs[j].timestamp >= a->block->header.time);
			assert_true(h <= MAXH);
			assert_int_equal(
			    nt_commit_verify(a->commit, w->g.chain_id, &w->g.vals, &why), NT_OK);
			/* the commit of h-1 the block names replaces ours */
			nt_err err =
			    nt_ledger_append(d->l, a->block, a->commit, seen_get(d, &bh), &why);
			if (err != NT_OK)
				fail_msg("node %d append %llu: %s", d->id, (unsigned long long)h,
					 why.msg);
			assert_true(h <= MAXH);
			if (w->have[h]) /* agreement */
				assert_memory_equal(w->decided[h].b, bh.b, 32);
			w->have[h] = true;
			w->decided[h] = bh;
			d->commits++;
			if (a->commit->round > d->max_round)
				d->max_round = a->commit->round;
			next = h + 1;
			break;
		}
		case NT_CONS_EVIDENCE:
			w->evidence++;
			assert_int_equal(a->vote.index, a->vote2.index);
			break;
		default:
			fail_msg("unknown action %d", (int)a->type);
		}
	}
	return next;
}

static void run_node(net *w, node *d, nt_cons_actions acts)
{
	uint64_t next = exec(w, d, acts);
	while (next != 0 && next <= w->target) {
		assert_int_equal(nt_ledger_height(d->l), next - 1);
		assert_int_equal(nt_cons_start_height(d->e, next, w->now, &acts), NT_OK);
		next = exec(w, d, acts);
	}
}

static void net_start(net *w)
{
	for (int i = 0; i < w->n + w->nobs; i++) {
		node *d = &w->nodes[i];
		if (d->silent)
			continue;
		nt_cons_actions acts;
		assert_int_equal(nt_cons_start_height(d->e, 1, w->now, &acts), NT_OK);
		run_node(w, d, acts);
	}
}

/* Block sync, as node/ will do it: a message of height h means its sender
 * has h-1 blocks; fetch what we miss from the node that has the most, with
 * commits (nt_ledger_append verifies each), and restart consensus above. */
static void catch_up(net *w, node *d, uint64_t msg_height)
{
	if (msg_height <= nt_ledger_height(d->l) + 1)
		return;
	node *src = NULL;
	for (int i = 0; i < w->n + w->nobs; i++)
		if (!w->nodes[i].silent &&
		    (src == NULL || nt_ledger_height(w->nodes[i].l) > nt_ledger_height(src->l)))
			src = &w->nodes[i];
	uint64_t upto = nt_ledger_height(src->l);
	if (upto > msg_height - 1)
		upto = msg_height - 1;
	if (upto <= nt_ledger_height(d->l))
		return;
	while (nt_ledger_height(d->l) < upto) {
		uint64_t h = nt_ledger_height(d->l) + 1;
		nt_block *b = NULL;
		nt_commit c;
		nt_why why = {{0}};
		nt_hash bh;
		assert_int_equal(nt_ledger_block(src->l, h, &b), NT_OK);
		assert_int_equal(nt_ledger_commit(src->l, h, &c), NT_OK);
		assert_int_equal(nt_header_hash(&b->header, &bh), NT_OK);
		assert_memory_equal(bh.b, w->decided[h].b, 32);
		/* src applied h, so its commit of h-1 is the one b names */
		nt_commit lc;
		if (h > 1)
			assert_int_equal(nt_ledger_commit(src->l, h - 1, &lc), NT_OK);
		assert_int_equal(nt_ledger_append(d->l, b, &c, h > 1 ? &lc : NULL, &why), NT_OK);
		nt_block_free(b);
		w->synced++;
	}
	nt_cons_actions acts;
	if (upto + 1 <= w->target) {
		assert_int_equal(nt_cons_start_height(d->e, upto + 1, w->now, &acts), NT_OK);
		run_node(w, d, acts);
	}
}

static void deliver(net *w, event *e)
{
	node *d = &w->nodes[e->to];
	nt_cons_actions acts;
	if (e->timer) {
		assert_int_equal(nt_cons_on_timeout(d->e, e->h, e->r, e->step, w->now, &acts),
				 NT_OK);
	} else if (nt_peermsg_type(e->msg, e->len) == NT_PEERMSG_VOTE) {
		nt_vote v;
		assert_int_equal(nt_peermsg_vote_decode(e->msg, e->len, &v, NULL), NT_OK);
		nt_err err = nt_cons_on_vote(d->e, &v, w->now, &acts);
		/* duplicates and late votes are dropped; nothing else may fail */
		assert_true(err == NT_OK || err == NT_ERR_EXISTS || err == NT_ERR_CHAIN);
		if (err == NT_ERR_CHAIN) {
			run_node(w, d, acts);
			catch_up(w, d, v.height);
			return;
		}
	} else {
		nt_proposal p;
		assert_int_equal(nt_peermsg_proposal_decode(e->msg, e->len, &p, NULL), NT_OK);
		nt_err err = nt_cons_on_proposal(d->e, &p, w->now, &acts);
		assert_null(p.block);
		assert_null(p.last_commit);
		assert_true(err == NT_OK || err == NT_ERR_EXISTS || err == NT_ERR_CHAIN);
		if (err == NT_ERR_CHAIN) {
			uint64_t ph = p.height;
			run_node(w, d, acts);
			catch_up(w, d, ph);
			return;
		}
		/* Gossip: relay a proposal the first time it is accepted, so a
		 * block an equivocating proposer showed to some reaches all. */
		if (err == NT_OK)
			broadcast(w, d->id, e->msg, e->len);
	}
	run_node(w, d, acts);
}

static uint64_t min_height(const net *w)
{
	uint64_t m = UINT64_MAX;
	for (int i = 0; i < w->n + w->nobs; i++)
		if (!w->nodes[i].silent && nt_ledger_height(w->nodes[i].l) < m)
			m = nt_ledger_height(w->nodes[i].l);
	return m;
}

/* Runs until every live node has `height` blocks or the clock passes limit. */
static void net_run(net *w, uint64_t height, uint64_t limit_ms)
{
	while (min_height(w) < height && w->nev > 0 && w->now < T0 + limit_ms) {
		size_t best = 0;
		for (size_t i = 1; i < w->nev; i++)
			if (w->ev[i].at < w->ev[best].at ||
			    (w->ev[i].at == w->ev[best].at && w->ev[i].seq < w->ev[best].seq))
				best = i;
		event e = w->ev[best];
		w->ev[best] = w->ev[--w->nev];
		if (e.at > w->now)
			w->now = e.at;
		deliver(w, &e);
		free(e.msg);
	}
}

static void check_chains_equal(net *w, uint64_t upto)
{
	for (int i = 0; i < w->n + w->nobs; i++) {
		node *d = &w->nodes[i];
		if (d->silent)
			continue;
		for (uint64_t h = 1; h <= upto; h++) {
			nt_header hd;
			nt_hash bh;
			assert_int_equal(nt_ledger_header(d->l, h, &hd), NT_OK);
			assert_int_equal(nt_header_hash(&hd, &bh), NT_OK);
			assert_memory_equal(bh.b, w->decided[h].b, 32);
		}
	}
}

/* ---- network cases ---- */

static void honest(int n, int nobs, uint64_t heights)
{
	net *w = net_new(n, nobs, 0);
	w->target = heights;
	net_start(w);
	net_run(w, heights, 600000);
	assert_true(min_height(w) >= heights);
	assert_int_equal(nt_ledger_height(w->nodes[0].l), heights); /* target honoured */
	check_chains_equal(w, heights);
	for (int i = 0; i < n + nobs; i++) {
		const nt_cons_stats *s = nt_cons_stats_get(w->nodes[i].e);
		assert_int_equal(s->dropped[NT_DROP_BAD_SIG], 0);
		assert_int_equal(s->equivocations, 0);
		/* with a fixed 10 ms delay every height decides in round 0 */
		assert_int_equal(w->nodes[i].max_round, 0);
	}
	if (nobs > 0) /* the observer committed too, and never signed */
		assert_int_equal(w->nodes[n].persisted.step, 0);
	net_free(w);
}

static void test_honest_4_with_observer(void **state)
{
	(void)state;
	honest(4, 1, 20);
}

static void test_honest_7(void **state)
{
	(void)state;
	honest(7, 0, 20);
}

static void test_single_validator(void **state)
{
	(void)state;
	honest(1, 0, 20);
}

static void test_one_silent_of_4(void **state)
{
	(void)state;
	net *w = net_new(4, 0, 1u << 2);
	w->target = MAXH;
	net_start(w);
	net_run(w, 12, 600000);
	assert_true(min_height(w) >= 12);
	check_chains_equal(w, 12);
	/* proposer(h, r) = (h + r) % 4 hits node 2 every fourth height: those
	 * heights decide in a later round, reached by timeouts */
	uint32_t mr = 0;
	for (int i = 0; i < 4; i++)
		if (!w->nodes[i].silent && w->nodes[i].max_round > mr)
			mr = w->nodes[i].max_round;
	assert_true(mr >= 1);
	net_free(w);
}

/* f = 2 of 7 silent: still live. */
static void test_two_silent_of_7(void **state)
{
	(void)state;
	net *w = net_new(7, 0, (1u << 0) | (1u << 4));
	w->target = MAXH;
	net_start(w);
	net_run(w, 8, 600000);
	assert_true(min_height(w) >= 8);
	check_chains_equal(w, 8);
	net_free(w);
}

/* A validator crashes mid-height and restarts with only its persisted
 * sign-state (no write-ahead log): it never signs a step twice (exec()
 * asserts every PERSIST_SIGNED is above the one before the crash) and the
 * network keeps agreeing. */
static void test_crash_restart(void **state)
{
	(void)state;
	net *w = net_new(4, 0, 0);
	w->dmin = 0;
	w->dmax = 40;
	w->target = MAXH;
	net_start(w);
	net_run(w, 5, 600000);
	for (int k = 0; k < 3; k++) {
		node *d = &w->nodes[k];
		nt_cons_free(d->e);
		nt_cons_config cfg = test_cfg();
		nt_cons_host host = {.arg = d,
				     .propose = host_propose,
				     .valid = host_valid,
				     .last_commit = host_last_commit};
		assert_int_equal(nt_cons_new(&w->g, d->key, &cfg, &host, &d->e), NT_OK);
		nt_cons_set_last_signed(d->e, &d->persisted);
		nt_cons_actions acts;
		assert_int_equal(
		    nt_cons_start_height(d->e, nt_ledger_height(d->l) + 1, w->now, &acts), NT_OK);
		run_node(w, d, acts);
		net_run(w, 5 + 3 * (uint64_t)(k + 1), 600000);
	}
	assert_true(min_height(w) >= 14);
	check_chains_equal(w, 14);
	net_free(w);
}

static void test_two_silent_of_4(void **state)
{
	(void)state;
	net *w = net_new(4, 0, (1u << 1) | (1u << 3));
	w->target = MAXH;
	net_start(w);
	net_run(w, 1, 60000);
	assert_int_equal(nt_ledger_height(w->nodes[0].l), 0);
	assert_int_equal(nt_ledger_height(w->nodes[2].l), 0);
	assert_false(w->have[1]);
	/* Only 2 of the 3 prevotes needed: after OnTimeoutPropose both wait in
	 * the prevote step for 2f+1 prevotes (line 34) -- no timeout may move
	 * them on, and nothing is signed beyond the nil prevote. */
	assert_int_equal(w->nev, 0);
	for (int i = 0; i < 4; i += 2) {
		assert_false(nt_cons_decided(w->nodes[i].e));
		assert_int_equal(nt_cons_round(w->nodes[i].e), 0);
		assert_int_equal(nt_cons_step(w->nodes[i].e), NT_STEP_PREVOTE);
		assert_int_equal(w->nodes[i].persisted.step, NT_STEP_PREVOTE);
	}
	net_free(w);
}

static void test_random_order_duplicates(void **state)
{
	(void)state;
	const int sizes[] = {4, 7};
	for (int k = 0; k < 2; k++) {
		net *w = net_new(sizes[k], 1, 0);
		w->dmin = 0;
		w->dmax = 250; /* beyond the timeouts: forces rounds and reordering */
		w->dup_pct = 30;
		w->target = MAXH;
		net_start(w);
		net_run(w, 10, 3600000);
		assert_true(min_height(w) >= 10);
		check_chains_equal(w, 10);
		uint64_t dups = 0;
		for (int i = 0; i < w->n; i++)
			dups += nt_cons_stats_get(w->nodes[i].e)->dropped[NT_DROP_DUPLICATE];
		assert_true(dups > 0);
		net_free(w);
	}
}

static void test_equivocating_proposer(void **state)
{
	(void)state;
	net *w = net_new(4, 1, 0);
	w->nodes[1].equivocate = true; /* proposer of height 1 round 0, and more */
	w->dmin = 0;
	w->dmax = 30;
	w->target = MAXH;
	net_start(w);
	net_run(w, 8, 600000);
	assert_true(min_height(w) >= 8);
	check_chains_equal(w, 8);
	uint64_t eq = 0;
	for (int i = 0; i < 5; i++)
		eq += nt_cons_stats_get(w->nodes[i].e)->equivocations;
	assert_true(eq > 0); /* the relayed second blocks were seen and counted */
	net_free(w);
}

/* ---- single-engine cases: I hold every key and feed messages by hand ---- */

typedef struct {
	nt_genesis g;
	nt_seckey *keys[4];
	nt_kv *kv;
	nt_ledger *l;
	nt_cons *e;
	net *w; /* for build_block's record counter and submitter */
	node host;
	nt_cons_actions acts;
	nt_block *last_b; /* a copy of the last fresh block feed_proposal made */
} solo;

static solo *solo_new(int n, int self, const nt_cons_hrs *restore)
{
	solo *s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->w = calloc(1, sizeof *s->w);
	assert_non_null(s->w);
	s->w->sub = key_from(999);
	genesis_for(&s->g, n, 200);
	s->w->g = s->g;
	for (int i = 0; i < n; i++)
		s->keys[i] = key_from(200 + (uint64_t)i);
	nt_why why = {{0}};
	assert_int_equal(nt_kv_mem_new(&s->kv), NT_OK);
	assert_int_equal(nt_ledger_open(s->kv, &s->g, &s->l, &why), NT_OK);
	s->host.net = s->w;
	s->host.id = self;
	s->host.l = s->l;
	nt_cons_host host = {.arg = &s->host,
			     .propose = host_propose,
			     .valid = host_valid,
			     .last_commit = host_last_commit};
	nt_cons_config cfg = test_cfg();
	assert_int_equal(nt_cons_new(&s->g, self >= 0 ? s->keys[self] : NULL, &cfg, &host, &s->e),
			 NT_OK);
	if (restore != NULL)
		nt_cons_set_last_signed(s->e, restore);
	assert_int_equal(nt_cons_start_height(s->e, 1, T0, &s->acts), NT_OK);
	return s;
}

static void solo_free(solo *s)
{
	nt_cons_free(s->e);
	nt_ledger_free(s->l);
	nt_kv_close(s->kv);
	for (int i = 0; i < 4; i++)
		nt_seckey_free(s->keys[i]);
	nt_seckey_free(s->w->sub);
	nt_block_free(s->last_b);
	seen_free(&s->host);
	free(s->w);
	free(s);
}

static nt_vote mkvote(solo *s, int idx, uint8_t type, uint64_t h, uint32_t r, const nt_hash *bh)
{
	nt_vote v;
	memset(&v, 0, sizeof v);
	v.type = type;
	v.index = (uint16_t)idx;
	v.height = h;
	v.round = r;
	if (bh != NULL)
		v.block_hash = *bh;
	v.timestamp = T0 + 5000;
	nt_hash m;
	nt_vote_sighash(type, s->g.chain_id, h, r, &v.block_hash, v.timestamp, &m);
	assert_int_equal(nt_sign(s->keys[idx], &m, &v.sig), NT_OK);
	return v;
}

static nt_err feed_vote(solo *s, int idx, uint8_t type, uint32_t r, const nt_hash *bh)
{
	nt_vote v = mkvote(s, idx, type, 1, r, bh);
	return nt_cons_on_vote(s->e, &v, T0 + 100, &s->acts);
}

/* A copy through the wire encoding. */
static nt_block *copy_block(const nt_block *b)
{
	uint8_t *buf;
	size_t len;
	nt_block *c = NULL;
	assert_int_equal(nt_block_encode(b, &buf, &len), NT_OK);
	assert_int_equal(nt_block_decode(buf, len, &c, NULL), NT_OK);
	free(buf);
	return c;
}

/* Signs and feeds a proposal; takes blk and lc. */
static nt_err feed_prop_h(solo *s, uint64_t h, int idx, uint32_t r, int32_t vr, nt_block *blk,
			  nt_commit *lc, nt_hash *bh)
{
	nt_proposal p;
	memset(&p, 0, sizeof p);
	p.height = h;
	p.round = r;
	p.valid_round = vr;
	p.proposer = (uint16_t)idx;
	p.block = blk;
	p.last_commit = lc;
	assert_int_equal(nt_header_hash(&p.block->header, &p.block_hash), NT_OK);
	if (bh != NULL)
		*bh = p.block_hash;
	nt_hash m;
	nt_proposal_sighash(s->g.chain_id, h, r, vr, &p.block_hash, &m);
	assert_int_equal(nt_sign(s->keys[idx], &m, &p.sig), NT_OK);
	nt_err err = nt_cons_on_proposal(s->e, &p, T0 + 100, &s->acts);
	assert_null(p.block);
	assert_null(p.last_commit);
	return err;
}

/* A proposal for height 1 by idx; *bh receives the block hash. */
static nt_err feed_proposal(solo *s, int idx, uint32_t r, int32_t vr, const nt_block *reuse,
			    nt_hash *bh)
{
	nt_block *b;
	if (reuse != NULL) {
		b = copy_block(reuse);
	} else {
		b = build_block(s->w, s->l, idx, T0 + 50, 1);
		nt_block_free(s->last_b);
		s->last_b = copy_block(b);
	}
	return feed_prop_h(s, 1, idx, r, vr, b, NULL, bh);
}

/* The vote of this type among the last actions, or NULL. */
static const nt_vote *emitted(const solo *s, uint8_t type)
{
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == NT_CONS_BROADCAST_VOTE && s->acts.v[i].vote.type == type)
			return &s->acts.v[i].vote;
	return NULL;
}

static bool is_nil(const nt_hash *h)
{
	static const nt_hash z;
	return memcmp(h->b, z.b, 32) == 0;
}

static bool has_action(const solo *s, nt_cons_action_type t)
{
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == t)
			return true;
	return false;
}

static void test_bad_votes_dropped(void **state)
{
	(void)state;
	solo *s = solo_new(4, 0, NULL);
	const nt_cons_stats *st = nt_cons_stats_get(s->e);
	nt_hash x;
	memset(x.b, 0x42, 32);

	nt_vote v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, 0, &x);
	v.sig.b[5] ^= 1;
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_SIGNATURE);
	assert_int_equal(s->acts.n, 0);
	v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, 0, &x);
	v.index = 2; /* signed by 1, claims 2 */
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_SIGNATURE);
	v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, 0, &x);
	v.timestamp++; /* any changed field breaks the signature */
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_SIGNATURE);
	{
		/* a vote of another chain fails its signature here */
		nt_hash m;
		v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, 0, &x);
		nt_vote_sighash(v.type, "other-chain", 1, 0, &x, v.timestamp, &m);
		assert_int_equal(nt_sign(s->keys[1], &m, &v.sig), NT_OK);
		assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_SIGNATURE);
	}
	assert_int_equal(st->dropped[NT_DROP_BAD_SIG], 4);

	v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, 0, &x);
	v.index = 4;
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_RANGE);
	v.index = 65535;
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_RANGE);
	assert_int_equal(st->dropped[NT_DROP_BAD_INDEX], 2);

	v = mkvote(s, 1, NT_VOTE_PREVOTE, 5, 0, &x);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_CHAIN);
	assert_int_equal(st->dropped[NT_DROP_FAR_HEIGHT], 1);
	v = mkvote(s, 1, NT_VOTE_PREVOTE, 0, 0, &x);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_CHAIN);
	assert_int_equal(st->dropped[NT_DROP_OLD_HEIGHT], 1);
	v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, NT_CONS_MAX_ROUND_AHEAD + 1, &x);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_RANGE);
	assert_int_equal(st->dropped[NT_DROP_FAR_ROUND], 1);
	v = mkvote(s, 1, 7, 1, 0, &x);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_DECODE);
	assert_int_equal(st->dropped[NT_DROP_BAD_TYPE], 1);

	/* a good vote, its copy, and a conflicting second vote */
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &x), NT_OK);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &x), NT_ERR_EXISTS);
	assert_int_equal(st->dropped[NT_DROP_DUPLICATE], 1);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, NULL), NT_ERR_EXISTS);
	assert_int_equal(st->equivocations, 1);
	assert_true(has_action(s, NT_CONS_EVIDENCE));
	assert_memory_equal(s->acts.v[0].vote.block_hash.b, x.b, 32);
	assert_true(is_nil(&s->acts.v[0].vote2.block_hash));

	/* the next height is buffered, a bounded number per validator */
	for (uint32_t r = 0; r < NT_CONS_NEXT_VOTES_PER_VAL; r++) {
		v = mkvote(s, 2, NT_VOTE_PREVOTE, 2, r, &x);
		assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_OK);
	}
	v = mkvote(s, 2, NT_VOTE_PREVOTE, 2, 9, &x);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_FULL);
	/* one validator may occupy only a few rounds above ours */
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 5, &x), NT_OK);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PRECOMMIT, 5, &x), NT_OK);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 6, &x), NT_OK);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 7, &x), NT_ERR_FULL);
	assert_int_equal(st->dropped[NT_DROP_FLOOD], 2);
	assert_int_equal(nt_cons_round(s->e), 0); /* one sender is not f+1 */

	/* proposals */
	assert_int_equal(feed_proposal(s, 2, 0, -1, NULL, NULL), NT_ERR_ARG);
	assert_int_equal(feed_proposal(s, 1, 1, -1, NULL, NULL), NT_ERR_ARG); /* 2 proposes r1 */
	assert_int_equal(st->dropped[NT_DROP_NOT_PROPOSER], 2);
	assert_int_equal(feed_proposal(s, 2, 1, 1, NULL, NULL), NT_ERR_RANGE); /* vr >= r */
	assert_int_equal(st->dropped[NT_DROP_BAD_PROPOSAL], 1);
	nt_proposal p;
	memset(&p, 0, sizeof p);
	p.height = 1;
	p.proposer = 1;
	p.valid_round = -1;
	assert_int_equal(nt_cons_on_proposal(s->e, &p, T0, &s->acts), NT_ERR_ARG);
	assert_int_equal(st->dropped[NT_DROP_BAD_PROPOSAL], 2);
	p.block = build_block(s->w, s->l, 1, T0, 1);
	strcpy(p.block->header.chain_id, "other-chain");
	assert_int_equal(nt_cons_on_proposal(s->e, &p, T0, &s->acts), NT_ERR_CHAIN);
	assert_null(p.block);
	assert_int_equal(st->dropped[NT_DROP_WRONG_CHAIN], 1);
	p.block = build_block(s->w, s->l, 1, T0, 1);
	memset(p.sig.b, 0x11, 64);
	assert_int_equal(nt_cons_on_proposal(s->e, &p, T0, &s->acts), NT_ERR_SIGNATURE);
	assert_int_equal(st->dropped[NT_DROP_BAD_SIG], 5);
	p.block = build_block(s->w, s->l, 1, T0, 1);
	p.proposer = 9;
	assert_int_equal(nt_cons_on_proposal(s->e, &p, T0, &s->acts), NT_ERR_RANGE);
	assert_int_equal(st->dropped[NT_DROP_BAD_INDEX], 3);

	/* none of it made us vote or move */
	assert_int_equal(nt_cons_step(s->e), NT_STEP_PROPOSE);
	assert_int_equal(nt_cons_last_signed(s->e).step, 0);
	/* the honest proposal and a second, different one from the same proposer */
	nt_hash a, b;
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
	const nt_vote *pv = emitted(s, NT_VOTE_PREVOTE);
	assert_non_null(pv);
	assert_memory_equal(pv->block_hash.b, a.b, 32);
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &b), NT_OK); /* remembered */
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, NULL), NT_ERR_EXISTS);
	assert_int_equal(st->equivocations, 3);
	for (int i = 0; i < NT_DROP__COUNT; i++)
		assert_non_null(nt_cons_drop_name((nt_cons_drop)i));
	solo_free(s);
}

/* The lock rules, lines 22-43, with validator 0 of 4 (quorum 3, f+1 = 2). */
static void test_lock_rules(void **state)
{
	(void)state;
	solo *s = solo_new(4, 0, NULL);
	nt_hash a, b, h;
	const nt_vote *v;

	/* round 0: proposer 1 proposes A; we prevote A, see 2f+1 prevotes,
	 * lock A and precommit A (lines 22-24, 36-43) */
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
	v = emitted(s, NT_VOTE_PREVOTE);
	assert_non_null(v);
	assert_memory_equal(v->block_hash.b, a.b, 32);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	assert_null(emitted(s, NT_VOTE_PRECOMMIT));
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	v = emitted(s, NT_VOTE_PRECOMMIT);
	assert_non_null(v);
	assert_memory_equal(v->block_hash.b, a.b, 32);
	assert_int_equal(nt_cons_locked(s->e, &h), 0);
	assert_memory_equal(h.b, a.b, 32);
	assert_int_equal(nt_cons_valid_round(s->e), 0);
	/* the others precommit nil: no decision; 2f+1 precommits -> timeout */
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PRECOMMIT, 0, NULL), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PRECOMMIT, 0, NULL), NT_OK);
	assert_true(has_action(s, NT_CONS_SCHEDULE_TIMEOUT));
	assert_false(nt_cons_decided(s->e));
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 0, NT_STEP_PRECOMMIT, T0 + 200, &s->acts),
			 NT_OK);
	assert_int_equal(nt_cons_round(s->e), 1);

	/* round 1: proposer 2 proposes B without a valid_round: locked on A,
	 * we prevote nil (line 23 fails, line 26) */
	assert_int_equal(feed_proposal(s, 2, 1, -1, NULL, &b), NT_OK);
	v = emitted(s, NT_VOTE_PREVOTE);
	assert_non_null(v);
	assert_true(is_nil(&v->block_hash));
	/* two others prevote B: with ours 2f+1 prevotes of any kind (line 34) */
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 1, &b), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 1, &b), NT_OK);
	assert_true(has_action(s, NT_CONS_SCHEDULE_TIMEOUT));
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 1, NT_STEP_PREVOTE, T0 + 300, &s->acts),
			 NT_OK);
	v = emitted(s, NT_VOTE_PRECOMMIT); /* line 63 */
	assert_non_null(v);
	assert_true(is_nil(&v->block_hash));
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PRECOMMIT, 1, NULL), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PRECOMMIT, 1, NULL), NT_OK);
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 1, NT_STEP_PRECOMMIT, T0 + 400, &s->acts),
			 NT_OK);
	assert_int_equal(nt_cons_round(s->e), 2);
	assert_int_equal(nt_cons_locked(s->e, NULL), 0);

	/* round 2: proposer 3 re-proposes B with valid_round 1, but only 2 of
	 * the 3 needed prevotes for B in round 1 exist: line 28 waits */
	assert_int_equal(feed_proposal(s, 3, 2, 1, s->last_b, NULL), NT_OK);
	assert_null(emitted(s, NT_VOTE_PREVOTE));
	assert_int_equal(nt_cons_step(s->e), NT_STEP_PROPOSE);
	/* the third prevote for B in round 1 arrives: lockedRound 0 <= vr 1, so
	 * we prevote B although locked on A (lines 28-30) */
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 1, &b), NT_OK);
	v = emitted(s, NT_VOTE_PREVOTE);
	assert_non_null(v);
	assert_memory_equal(v->block_hash.b, b.b, 32);
	/* 2f+1 prevotes for B in round 2: lock B (lines 36-43) */
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 2, &b), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 2, &b), NT_OK);
	v = emitted(s, NT_VOTE_PRECOMMIT);
	assert_non_null(v);
	assert_memory_equal(v->block_hash.b, b.b, 32);
	assert_int_equal(nt_cons_locked(s->e, &h), 2);
	assert_memory_equal(h.b, b.b, 32);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PRECOMMIT, 2, NULL), NT_OK);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PRECOMMIT, 2, NULL), NT_OK);
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 2, NT_STEP_PRECOMMIT, T0 + 500, &s->acts),
			 NT_OK);

	/* round 3: we are the proposer and re-propose validValue B with
	 * validRound 2 (lines 15-16, 19), then prevote it (line 28) */
	assert_int_equal(nt_cons_round(s->e), 3);
	const nt_proposal *own = NULL;
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == NT_CONS_BROADCAST_PROPOSAL)
			own = s->acts.v[i].proposal;
	assert_non_null(own);
	assert_int_equal(own->valid_round, 2);
	assert_memory_equal(own->block_hash.b, b.b, 32);
	v = emitted(s, NT_VOTE_PREVOTE);
	assert_non_null(v);
	assert_memory_equal(v->block_hash.b, b.b, 32);

	/* decision (lines 49-54) from others' precommits: the commit carries
	 * the deciding round and the ledger accepts it */
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PRECOMMIT, 3, &b), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PRECOMMIT, 3, &b), NT_OK);
	assert_false(nt_cons_decided(s->e));
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PRECOMMIT, 3, &b), NT_OK);
	assert_true(nt_cons_decided(s->e));
	const nt_cons_action *c = &s->acts.v[s->acts.n - 1];
	assert_int_equal(c->type, NT_CONS_COMMIT);
	assert_int_equal(c->commit->round, 3);
	assert_int_equal(c->commit->count, 3);
	assert_memory_equal(c->commit->block_hash.b, b.b, 32);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_append(s->l, c->block, c->commit, NULL, &why), NT_OK);
	/* votes for the decided height are now late */
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 4, NULL), NT_ERR_CHAIN);
	solo_free(s);
}

static void count_persist(const solo *s, const nt_cons_hrs *floor, unsigned *n)
{
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == NT_CONS_PERSIST_SIGNED) {
			assert_true(hrs_cmp(&s->acts.v[i].hrs, floor) > 0);
			(*n)++;
		}
}

static void test_set_last_signed(void **state)
{
	(void)state;
	/* One validator restarted after signing up to (1, 0, precommit): it
	 * must sign nothing in round 0, and still commit in round 1. */
	nt_cons_hrs lim = {1, 0, NT_STEP_PRECOMMIT};
	solo *s = solo_new(1, 0, &lim);
	unsigned np = 0;
	count_persist(s, &lim, &np);
	assert_int_equal(np, 0);
	assert_false(has_action(s, NT_CONS_BROADCAST_PROPOSAL));
	assert_true(has_action(s, NT_CONS_SCHEDULE_TIMEOUT));
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 0, NT_STEP_PROPOSE, T0 + 10, &s->acts), NT_OK);
	count_persist(s, &lim, &np);
	assert_false(has_action(s, NT_CONS_BROADCAST_VOTE));
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 0, NT_STEP_PREVOTE, T0 + 20, &s->acts), NT_OK);
	count_persist(s, &lim, &np);
	assert_false(has_action(s, NT_CONS_BROADCAST_VOTE));
	assert_int_equal(np, 0);
	assert_int_equal(nt_cons_stats_get(s->e)->sign_refused, 3);
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 0, NT_STEP_PRECOMMIT, T0 + 30, &s->acts),
			 NT_OK);
	count_persist(s, &lim, &np);
	assert_int_equal(np, 3); /* proposal, prevote, precommit of round 1 */
	assert_true(nt_cons_decided(s->e));
	const nt_cons_action *c = &s->acts.v[s->acts.n - 1];
	assert_int_equal(c->type, NT_CONS_COMMIT);
	assert_int_equal(c->commit->round, 1);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_append(s->l, c->block, c->commit, NULL, &why), NT_OK);
	nt_cons_hrs last = nt_cons_last_signed(s->e);
	assert_int_equal(last.round, 1);
	assert_int_equal(last.step, NT_STEP_PRECOMMIT);
	/* never lowered */
	nt_cons_hrs low = {1, 0, NT_STEP_PROPOSE};
	nt_cons_set_last_signed(s->e, &low);
	assert_int_equal(nt_cons_last_signed(s->e).round, 1);
	/* start_height must move forward */
	assert_int_equal(nt_cons_start_height(s->e, 1, T0 + 40, &s->acts), NT_ERR_ARG);
	assert_int_equal(nt_cons_start_height(s->e, 2, T0 + 40, &s->acts), NT_OK);
	assert_true(has_action(s, NT_CONS_COMMIT)); /* n = 1: decided at once */
	solo_free(s);

	/* Validator 0 of 4 restarted after its prevote of (1, 0): no second
	 * prevote, but it may still precommit in that round. */
	nt_cons_hrs pv = {1, 0, NT_STEP_PREVOTE};
	s = solo_new(4, 0, &pv);
	nt_hash a;
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
	assert_null(emitted(s, NT_VOTE_PREVOTE));
	assert_int_equal(nt_cons_step(s->e), NT_STEP_PREVOTE);
	assert_int_equal(nt_cons_stats_get(s->e)->sign_refused, 1);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	assert_null(emitted(s, NT_VOTE_PRECOMMIT)); /* our own prevote is missing */
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	const nt_vote *v = emitted(s, NT_VOTE_PRECOMMIT);
	assert_non_null(v);
	assert_memory_equal(v->block_hash.b, a.b, 32);
	solo_free(s);
}

/* Height 2: the proposal carries the last commit the header names; early
 * messages of the next height are buffered and replayed. */
/* What an outsider with no key can send is refused before the host keeps
 * it or acts on it, and only what the engine kept advances nt_cons_kept. */
static void test_authenticate(void **state)
{
	(void)state;
	solo *s = solo_new(4, 0, NULL);
	const nt_cons_stats *st = nt_cons_stats_get(s->e);
	nt_hash x;
	memset(x.b, 0x42, 32);
	uint64_t kept = nt_cons_kept(s->e);

	/* forged votes for our height, the next and a far one: refused */
	for (uint64_t h = 1; h <= 7; h += 3) {
		nt_vote v = mkvote(s, 1, NT_VOTE_PREVOTE, h, 0, &x);
		v.sig.b[9] ^= 0x80;
		assert_int_equal(nt_cons_authenticate_vote(s->e, &v), NT_ERR_SIGNATURE);
		v = mkvote(s, 1, NT_VOTE_PRECOMMIT, h, 0, &x);
		v.index = 3; /* signed by 1 */
		assert_int_equal(nt_cons_authenticate_vote(s->e, &v), NT_ERR_SIGNATURE);
	}
	assert_int_equal(st->dropped[NT_DROP_BAD_SIG], 6);
	/* an index beyond the set and a bad type cost no signature check */
	nt_vote v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, 0, &x);
	v.index = 4;
	assert_int_equal(nt_cons_authenticate_vote(s->e, &v), NT_ERR_RANGE);
	v = mkvote(s, 1, 9, 1, 0, &x);
	assert_int_equal(nt_cons_authenticate_vote(s->e, &v), NT_ERR_DECODE);

	/* genuine ones pass, for this height, the next and a far one */
	v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, 0, &x);
	assert_int_equal(nt_cons_authenticate_vote(s->e, &v), NT_OK);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_OK);
	assert_int_equal(nt_cons_kept(s->e), kept + 1);
	/* the copy is refused before its signature, and not kept again */
	assert_int_equal(nt_cons_authenticate_vote(s->e, &v), NT_ERR_EXISTS);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_EXISTS);
	assert_int_equal(nt_cons_kept(s->e), kept + 1);
	v = mkvote(s, 2, NT_VOTE_PREVOTE, 2, 0, &x);
	assert_int_equal(nt_cons_authenticate_vote(s->e, &v), NT_OK);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_OK); /* buffered */
	assert_int_equal(nt_cons_kept(s->e), kept + 2);
	v = mkvote(s, 2, NT_VOTE_PREVOTE, 40, 0, &x);
	assert_int_equal(nt_cons_authenticate_vote(s->e, &v), NT_OK);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_CHAIN);
	assert_int_equal(nt_cons_kept(s->e), kept + 2); /* a hint, never kept */

	/* an equivocation's second vote is kept (it may count) */
	v = mkvote(s, 1, NT_VOTE_PREVOTE, 1, 0, NULL);
	assert_int_equal(nt_cons_authenticate_vote(s->e, &v), NT_OK);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0, &s->acts), NT_ERR_EXISTS);
	assert_int_equal(nt_cons_kept(s->e), kept + 3);
	/* a flood past the per-validator bound is not */
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 5, &x), NT_OK);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 6, &x), NT_OK);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 7, &x), NT_ERR_FULL);
	assert_int_equal(nt_cons_kept(s->e), kept + 5);

	/* proposals: a genuine header and signature carrying other records */
	nt_proposal p;
	memset(&p, 0, sizeof p);
	p.height = 1;
	p.proposer = 1;
	p.valid_round = -1;
	p.block = build_block(s->w, s->l, 1, T0 + 50, 2);
	assert_int_equal(nt_header_hash(&p.block->header, &p.block_hash), NT_OK);
	nt_hash m;
	nt_proposal_sighash(s->g.chain_id, 1, 0, -1, &p.block_hash, &m);
	assert_int_equal(nt_sign(s->keys[1], &m, &p.sig), NT_OK);
	assert_int_equal(nt_cons_authenticate_proposal(s->e, &p), NT_OK);
	nt_block *other = build_block(s->w, s->l, 1, T0 + 50, 2);
	nt_hash keep_id = p.block->ids[1];
	p.block->ids[1] = other->ids[1]; /* as if the wire carried another record */
	assert_int_equal(nt_cons_authenticate_proposal(s->e, &p), NT_ERR_CHAIN);
	p.block->ids[1] = keep_id;
	/* the same records in another order */
	nt_hash t0 = p.block->ids[0];
	p.block->ids[0] = p.block->ids[1];
	p.block->ids[1] = t0;
	assert_int_equal(nt_cons_authenticate_proposal(s->e, &p), NT_ERR_CHAIN);
	assert_int_equal(nt_cons_on_proposal(s->e, &p, T0 + 100, &s->acts), NT_ERR_CHAIN);
	nt_block_free(other);
	assert_int_equal(st->dropped[NT_DROP_BAD_PROPOSAL], 3);
	assert_int_equal(nt_cons_kept(s->e), kept + 5);
	assert_int_equal(nt_cons_last_signed(s->e).step, 0);
	/* a forged signature on a well-formed proposal */
	p.block = build_block(s->w, s->l, 1, T0 + 50, 1);
	memset(p.sig.b, 0x5a, sizeof p.sig.b);
	assert_int_equal(nt_cons_authenticate_proposal(s->e, &p), NT_ERR_SIGNATURE);
	nt_block_free(p.block);
	/* and the genuine one is kept, once */
	nt_hash a;
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
	assert_int_equal(nt_cons_kept(s->e), kept + 6);
	solo_free(s);
}

static void test_next_height(void **state)
{
	(void)state;
	solo *s = solo_new(4, 0, NULL);
	nt_hash a, b;
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PRECOMMIT, 0, &a), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PRECOMMIT, 0, &a), NT_OK);
	assert_true(nt_cons_decided(s->e));
	const nt_cons_action *c = &s->acts.v[s->acts.n - 1];
	assert_int_equal(c->type, NT_CONS_COMMIT);
	/* our own precommit is in the commit, stamped no earlier than the header */
	assert_int_equal(c->commit->sigs[0].index, 0);
	assert_true(c->commit->sigs[0].timestamp >= c->block->header.time);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_append(s->l, c->block, c->commit, NULL, &why), NT_OK);

	/* proposer(2, 0) = 2; its block names our stored commit of height 1 */
	nt_commit *lc = malloc(sizeof *lc);
	assert_non_null(lc);
	assert_int_equal(nt_ledger_commit(s->l, 1, lc), NT_OK);
	nt_block *blk = build_block(s->w, s->l, 2, T0 + 200, 2);
	/* a last commit that is not the one the header names */
	nt_commit *bad = malloc(sizeof *bad);
	assert_non_null(bad);
	*bad = *lc;
	bad->count--;
	assert_int_equal(feed_prop_h(s, 2, 2, 0, -1, copy_block(blk), bad, NULL), NT_ERR_CHAIN);
	/* a header that names another proposer */
	nt_block *other = copy_block(blk);
	other->header.proposer = s->g.vals.keys[3];
	nt_commit *lc2 = malloc(sizeof *lc2);
	assert_non_null(lc2);
	*lc2 = *lc;
	assert_int_equal(feed_prop_h(s, 2, 2, 0, -1, other, lc2, NULL), NT_ERR_CHAIN);
	/* no last commit at all */
	assert_int_equal(feed_prop_h(s, 2, 2, 0, -1, copy_block(blk), NULL, NULL), NT_ERR_CHAIN);
	assert_int_equal(nt_cons_stats_get(s->e)->dropped[NT_DROP_BAD_PROPOSAL], 3);

	/* the right one, through the wire, while we are still at height 1 */
	nt_proposal p;
	memset(&p, 0, sizeof p);
	p.height = 2;
	p.valid_round = -1;
	p.proposer = 2;
	p.block = blk;
	p.last_commit = lc;
	assert_int_equal(nt_header_hash(&blk->header, &b), NT_OK);
	nt_hash m;
	nt_proposal_sighash(s->g.chain_id, 2, 0, -1, &b, &m);
	assert_int_equal(nt_sign(s->keys[2], &m, &p.sig), NT_OK);
	uint8_t *buf;
	size_t len;
	assert_int_equal(nt_peermsg_proposal_encode(&p, &buf, &len), NT_OK);
	nt_block_free(blk);
	free(lc);
	nt_proposal q;
	assert_int_equal(nt_peermsg_proposal_decode(buf, len, &q, &why), NT_OK);
	free(buf);
	assert_non_null(q.last_commit);
	assert_int_equal(q.last_commit->height, 1);
	assert_int_equal(nt_cons_on_proposal(s->e, &q, T0 + 210, &s->acts), NT_OK);
	assert_int_equal(s->acts.n, 0); /* buffered */
	nt_vote v = mkvote(s, 3, NT_VOTE_PREVOTE, 2, 0, &b);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0 + 210, &s->acts), NT_OK);
	/* the next height replays both: we prevote the block at once */
	assert_int_equal(nt_cons_start_height(s->e, 2, T0 + 220, &s->acts), NT_OK);
	const nt_vote *pv = emitted(s, NT_VOTE_PREVOTE);
	assert_non_null(pv);
	assert_int_equal(pv->height, 2);
	assert_memory_equal(pv->block_hash.b, b.b, 32);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0 + 230, &s->acts), NT_ERR_EXISTS);
	/* with validator 3's replayed prevote and one more: lock and precommit */
	v = mkvote(s, 1, NT_VOTE_PREVOTE, 2, 0, &b);
	assert_int_equal(nt_cons_on_vote(s->e, &v, T0 + 230, &s->acts), NT_OK);
	assert_non_null(emitted(s, NT_VOTE_PRECOMMIT));
	solo_free(s);
}

/* An observer follows and commits but never signs. */
static void test_observer_never_signs(void **state)
{
	(void)state;
	solo *s = solo_new(4, -1, NULL);
	assert_int_equal(nt_cons_self(s->e), -1);
	nt_hash a;
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
	assert_int_equal(s->acts.n, 0);
	for (int i = 1; i < 4; i++)
		assert_int_equal(feed_vote(s, i, NT_VOTE_PRECOMMIT, 0, &a), NT_OK);
	assert_true(nt_cons_decided(s->e));
	for (size_t i = 0; i < s->acts.n; i++)
		assert_true(s->acts.v[i].type == NT_CONS_COMMIT ||
			    s->acts.v[i].type == NT_CONS_SCHEDULE_TIMEOUT);
	assert_int_equal(nt_cons_last_signed(s->e).step, 0);
	solo_free(s);
}

/* ---- peer messages ---- */

static void test_peermsg(void **state)
{
	(void)state;
	solo *s = solo_new(4, 0, NULL);
	nt_why why = {{0}};
	nt_hash x;
	memset(x.b, 7, 32);
	nt_vote v = mkvote(s, 2, NT_VOTE_PRECOMMIT, 3, 4, &x), v2;
	uint8_t vb[NT_PEERMSG_VOTE_LEN + 1];
	nt_peermsg_vote_encode(&v, vb);
	assert_int_equal(nt_peermsg_type(vb, sizeof vb), NT_PEERMSG_VOTE);
	assert_int_equal(nt_peermsg_vote_decode(vb, NT_PEERMSG_VOTE_LEN, &v2, &why), NT_OK);
	assert_int_equal(v2.index, 2);
	assert_int_equal(v2.round, 4);
	assert_memory_equal(v2.sig.b, v.sig.b, 64);
	assert_int_equal(nt_peermsg_vote_decode(vb, NT_PEERMSG_VOTE_LEN - 1, &v2, &why),
			 NT_ERR_DECODE);
	assert_int_equal(nt_peermsg_vote_decode(vb, NT_PEERMSG_VOTE_LEN + 1, &v2, &why),
			 NT_ERR_DECODE);
	vb[1] = 3; /* vote type */
	assert_int_equal(nt_peermsg_vote_decode(vb, NT_PEERMSG_VOTE_LEN, &v2, &why), NT_ERR_DECODE);
	vb[1] = NT_VOTE_PRECOMMIT;
	vb[2] = 0xff; /* index high byte */
	assert_int_equal(nt_peermsg_vote_decode(vb, NT_PEERMSG_VOTE_LEN, &v2, &why), NT_ERR_RANGE);
	vb[0] = NT_PEERMSG_PROPOSAL;
	assert_int_equal(nt_peermsg_vote_decode(vb, NT_PEERMSG_VOTE_LEN, &v2, &why), NT_ERR_DECODE);

	nt_proposal p, q;
	memset(&p, 0, sizeof p);
	p.height = 1;
	p.round = 2;
	p.valid_round = 1;
	p.proposer = 3;
	p.block = build_block(s->w, s->l, 3, T0, 2);
	memset(p.sig.b, 9, 64);
	uint8_t *buf;
	size_t len;
	assert_int_equal(nt_peermsg_proposal_encode(&p, &buf, &len), NT_OK);
	assert_int_equal(nt_peermsg_proposal_decode(buf, len, &q, &why), NT_OK);
	nt_hash ph;
	assert_int_equal(nt_header_hash(&p.block->header, &ph), NT_OK);
	assert_memory_equal(q.block_hash.b, ph.b, 32);
	assert_int_equal(q.valid_round, 1);
	assert_int_equal(q.block->count, 2);
	nt_block_free(q.block);
	for (size_t cut = 0; cut < len; cut += 1 + len / 40)
		assert_int_not_equal(nt_peermsg_proposal_decode(buf, cut, &q, &why), NT_OK);
	uint8_t *big = malloc(len + 1);
	assert_non_null(big);
	memcpy(big, buf, len);
	big[len] = 0;
	assert_int_equal(nt_peermsg_proposal_decode(big, len + 1, &q, &why), NT_ERR_DECODE);
	free(big);
	buf[1 + 8 + 4 + 3] = 2; /* valid_round 2 == round */
	assert_int_equal(nt_peermsg_proposal_decode(buf, len, &q, &why), NT_ERR_RANGE);
	buf[1 + 8 + 4 + 3] = 1;
	buf[1 + 7] = 2; /* height 2, block of height 1 */
	assert_int_equal(nt_peermsg_proposal_decode(buf, len, &q, &why), NT_ERR_MISMATCH);
	free(buf);
	p.valid_round = -1;
	assert_int_equal(nt_peermsg_proposal_encode(&p, &buf, &len), NT_OK);
	assert_int_equal(nt_peermsg_proposal_decode(buf, len, &q, &why), NT_OK);
	assert_int_equal(q.valid_round, -1);
	nt_block_free(q.block);
	free(buf);
	nt_block_free(p.block);

	/* signed envelope */
	const uint8_t body[] = "status 12";
	uint8_t t;
	uint16_t from;
	const uint8_t *bp;
	size_t bl;
	assert_int_equal(
	    nt_peermsg_seal(7, s->g.chain_id, 1, s->keys[1], body, sizeof body, &buf, &len), NT_OK);
	assert_int_equal(
	    nt_peermsg_open(buf, len, s->g.chain_id, &s->g.vals, &t, &from, &bp, &bl, &why), NT_OK);
	assert_int_equal(t, 7);
	assert_int_equal(from, 1);
	assert_int_equal(bl, sizeof body);
	assert_memory_equal(bp, body, bl);
	assert_int_equal(nt_peermsg_open(buf, len, "other", &s->g.vals, &t, &from, &bp, &bl, &why),
			 NT_ERR_SIGNATURE);
	buf[8] ^= 1;
	assert_int_equal(
	    nt_peermsg_open(buf, len, s->g.chain_id, &s->g.vals, &t, &from, &bp, &bl, &why),
	    NT_ERR_SIGNATURE);
	buf[8] ^= 1;
	buf[2] = 2; /* claims sender 2; the signature is 1's */
	assert_int_equal(
	    nt_peermsg_open(buf, len, s->g.chain_id, &s->g.vals, &t, &from, &bp, &bl, &why),
	    NT_ERR_SIGNATURE);
	buf[2] = 9; /* out of range */
	assert_int_equal(
	    nt_peermsg_open(buf, len, s->g.chain_id, &s->g.vals, &t, &from, &bp, &bl, &why),
	    NT_ERR_RANGE);
	assert_int_equal(
	    nt_peermsg_open(buf, len - 1, s->g.chain_id, &s->g.vals, &t, &from, &bp, &bl, &why),
	    NT_ERR_DECODE);
	buf[0] = NT_PEERMSG_VOTE;
	assert_int_equal(
	    nt_peermsg_open(buf, len, s->g.chain_id, &s->g.vals, &t, &from, &bp, &bl, &why),
	    NT_ERR_DECODE);
	free(buf);
	assert_int_equal(nt_peermsg_seal(NT_PEERMSG_VOTE, s->g.chain_id, 1, s->keys[1], body,
					 sizeof body, &buf, &len),
			 NT_ERR_ARG);
	assert_int_equal(nt_peermsg_seal(9, s->g.chain_id, 1, s->keys[1], NULL, 0, &buf, &len),
			 NT_OK);
	assert_int_equal(
	    nt_peermsg_open(buf, len, s->g.chain_id, &s->g.vals, &t, &from, &bp, &bl, &why), NT_OK);
	assert_int_equal(bl, 0);
	free(buf);
	solo_free(s);
}

/* Mutated wire messages through the decoders and into the engine: nothing
 * crashes or leaks (the ASan build runs this too), everything is counted. */
static void test_garbage_input(void **state)
{
	(void)state;
	solo *s = solo_new(4, 0, NULL);
	nt_proposal p;
	memset(&p, 0, sizeof p);
	p.height = 1;
	p.valid_round = -1;
	p.proposer = 1;
	p.block = build_block(s->w, s->l, 1, T0, 2);
	assert_int_equal(nt_header_hash(&p.block->header, &p.block_hash), NT_OK);
	nt_hash m;
	nt_proposal_sighash(s->g.chain_id, 1, 0, -1, &p.block_hash, &m);
	assert_int_equal(nt_sign(s->keys[1], &m, &p.sig), NT_OK);
	uint8_t *pm;
	size_t pl;
	assert_int_equal(nt_peermsg_proposal_encode(&p, &pm, &pl), NT_OK);
	nt_block_free(p.block);
	nt_vote v = mkvote(s, 2, NT_VOTE_PREVOTE, 1, 0, &p.block_hash);
	uint8_t vm[NT_PEERMSG_VOTE_LEN];
	nt_peermsg_vote_encode(&v, vm);
	uint8_t *buf = malloc(pl);
	assert_non_null(buf);
	unsigned decoded = 0, accepted = 0;
	for (int i = 0; i < 3000; i++) {
		bool vote = i % 2;
		size_t len = vote ? sizeof vm : pl;
		memcpy(buf, vote ? vm : pm, len);
		unsigned flips = 1 + (unsigned)(tu_rand() % 3);
		for (unsigned f = 0; f < flips; f++) {
			/* bias towards the fixed fields, where the checks are */
			size_t at = tu_rand() % (tu_rand() % 2 ? (len < 200 ? len : 200) : len);
			buf[at] ^= (uint8_t)(1 + tu_rand() % 255);
		}
		if (tu_rand() % 8 == 0)
			len = tu_rand() % len;
		nt_why why = {{0}};
		nt_err err;
		if (vote) {
			nt_vote d;
			if (nt_peermsg_vote_decode(buf, len, &d, &why) != NT_OK)
				continue;
			decoded++;
			err = nt_cons_on_vote(s->e, &d, T0 + 100, &s->acts);
		} else {
			nt_proposal d;
			if (nt_peermsg_proposal_decode(buf, len, &d, &why) != NT_OK)
				continue;
			decoded++;
			err = nt_cons_on_proposal(s->e, &d, T0 + 100, &s->acts);
			assert_null(d.block);
		}
		if (err == NT_OK)
			accepted++;
	}
	free(buf);
	free(pm);
	const nt_cons_stats *st = nt_cons_stats_get(s->e);
	uint64_t drops = 0;
	for (int k = 0; k < NT_DROP__COUNT; k++)
		drops += st->dropped[k];
	assert_true(decoded > 100);
	assert_true(drops + accepted >= decoded);
	assert_true(st->dropped[NT_DROP_BAD_SIG] > 0);
	/* nothing forged made us sign anything beyond what honest input allows */
	assert_true(nt_cons_last_signed(s->e).height <= 1);
	solo_free(s);
}

static void test_config_and_proposer(void **state)
{
	(void)state;
	solo *s = solo_new(4, 0, NULL);
	assert_int_equal(nt_cons_proposer(s->e, 1, 0), 1);
	assert_int_equal(nt_cons_proposer(s->e, 1, 3), 0);
	assert_int_equal(nt_cons_proposer(s->e, 4, 0), 0);
	/* the first timeout of a round grows linearly with it */
	uint64_t d0 = 0, d1 = 0;
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == NT_CONS_SCHEDULE_TIMEOUT)
			d0 = s->acts.v[i].delay_ms;
	assert_int_equal(d0, 400);
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 0, NT_STEP_PROPOSE, T0 + 400, &s->acts),
			 NT_OK);
	/* stale or bogus timeouts are ignored */
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 5, NT_STEP_PRECOMMIT, T0, &s->acts), NT_OK);
	assert_int_equal(s->acts.n, 0);
	assert_int_equal(nt_cons_on_timeout(s->e, 1, 0, 9, T0, &s->acts), NT_ERR_ARG);
	/* f+1 = 2 validators in round 1 make us skip there (lines 55-56) */
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 1, NULL), NT_OK);
	assert_int_equal(nt_cons_round(s->e), 0);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PRECOMMIT, 1, NULL), NT_OK);
	assert_int_equal(nt_cons_round(s->e), 1);
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == NT_CONS_SCHEDULE_TIMEOUT &&
		    s->acts.v[i].hrs.step == NT_STEP_PROPOSE)
			d1 = s->acts.v[i].delay_ms;
	assert_int_equal(d1, 500);
	solo_free(s);
	nt_cons_config d;
	nt_cons_config_default(&d);
	assert_true(d.timeout_propose_ms > 0 && d.max_clock_skew_ms > 0);
	nt_genesis g;
	genesis_for(&g, 2, 1);
	nt_cons *e = NULL;
	nt_cons_host bad = {0};
	assert_int_equal(nt_cons_new(&g, NULL, &d, &bad, &e), NT_ERR_ARG);
	nt_cons_free(NULL);
}

/* ---- an equivocating validator's two prevotes or precommits ----
 *
 * Validator 0 (us) of 4, quorum 3. Validator 3 is Byzantine and votes for
 * both A and B in one round; the engine keeps its first vote and one
 * conflicting second vote, which counts for its own value only (never in
 * the "any value" tallies), whichever arrives first. */

static unsigned count_actions(const solo *s, nt_cons_action_type t)
{
	unsigned c = 0;
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == t)
			c++;
	return c;
}

/* A SCHEDULE_TIMEOUT of this step among the last actions. */
static bool timeout_of(const solo *s, uint8_t step)
{
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == NT_CONS_SCHEDULE_TIMEOUT && s->acts.v[i].hrs.step == step)
			return true;
	return false;
}

/* Round 0 of height 1: proposer 1 shows A and (equivocating) B; we prevote
 * A. Then validator 3 prevotes A then B (order 0) or B then A (order 1):
 * the second is evidence, with exactly one EVIDENCE action. */
static solo *equiv_setup(nt_hash *a, nt_hash *b, int order)
{
	solo *s = solo_new(4, 0, NULL);
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, a), NT_OK);
	const nt_vote *v = emitted(s, NT_VOTE_PREVOTE);
	assert_non_null(v);
	assert_memory_equal(v->block_hash.b, a->b, 32);
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, b), NT_OK); /* remembered */
	assert_memory_not_equal(a->b, b->b, 32);
	const nt_hash *first = order == 0 ? a : b, *second = order == 0 ? b : a;
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, first), NT_OK);
	assert_int_equal(count_actions(s, NT_CONS_EVIDENCE), 0);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, second), NT_ERR_EXISTS);
	assert_int_equal(count_actions(s, NT_CONS_EVIDENCE), 1);
	return s;
}

/* (a) each value reaches 2f+1 with the honest votes and the Byzantine one,
 * in both orders; (b) line 34 (2f+1 prevotes for any value) counts the
 * Byzantine validator once. */
static void test_equivocating_prevotes_count(void **state)
{
	(void)state;
	for (int order = 0; order < 2; order++)
		for (int honest_b = 0; honest_b < 2; honest_b++) {
			nt_hash a, b, h;
			solo *s = equiv_setup(&a, &b, order);
			/* (b) prevotes so far: ours (A) and validator 3's two.
			 * Two validators, not three votes: no timeoutPrevote
			 * (line 34); no lock (A has ours and 3's, B has 3's). */
			assert_false(timeout_of(s, NT_STEP_PREVOTE));
			assert_null(emitted(s, NT_VOTE_PRECOMMIT));
			assert_int_equal(nt_cons_step(s->e), NT_STEP_PREVOTE);
			assert_int_equal(nt_cons_locked(s->e, NULL), -1);
			if (!honest_b) {
				/* (a) for A: ours + 1's + 3's = 2f+1 */
				assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &a), NT_OK);
				const nt_vote *pc = emitted(s, NT_VOTE_PRECOMMIT);
				assert_non_null(pc);
				assert_memory_equal(pc->block_hash.b, a.b, 32);
				assert_int_equal(nt_cons_locked(s->e, &h), 0);
				assert_memory_equal(h.b, a.b, 32);
			} else {
				/* 1 prevotes B: B has 1's and 3's; "any value" is
				 * now 3 validators: line 34 fires */
				assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &b), NT_OK);
				assert_true(timeout_of(s, NT_STEP_PREVOTE));
				assert_null(emitted(s, NT_VOTE_PRECOMMIT));
				assert_int_equal(nt_cons_locked(s->e, NULL), -1);
				/* (a) for B: 1's + 2's + 3's = 2f+1 although we
				 * prevoted A: lock B and precommit B (line 36) */
				assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 0, &b), NT_OK);
				const nt_vote *pc = emitted(s, NT_VOTE_PRECOMMIT);
				assert_non_null(pc);
				assert_memory_equal(pc->block_hash.b, b.b, 32);
				assert_int_equal(nt_cons_locked(s->e, &h), 0);
				assert_memory_equal(h.b, b.b, 32);
				assert_int_equal(nt_cons_valid_round(s->e), 0);
			}
			/* the two proposals and the two votes */
			assert_int_equal(nt_cons_stats_get(s->e)->equivocations, 2);
			solo_free(s);
		}
}

/* Without the equivocator's second vote B would miss its 2f+1: the same
 * honest votes with only one vote of 3 (for A) leave us unlocked. */
static void test_equivocation_needed_for_quorum(void **state)
{
	(void)state;
	nt_hash a, b;
	solo *s = solo_new(4, 0, NULL);
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
	assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &b), NT_OK);
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, &a), NT_OK);
	assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &b), NT_OK);
	assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 0, &b), NT_OK);
	assert_null(emitted(s, NT_VOTE_PRECOMMIT));
	assert_int_equal(nt_cons_locked(s->e, NULL), -1);
	/* now its conflicting vote for B arrives: B has 2f+1 */
	assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, &b), NT_ERR_EXISTS);
	assert_int_equal(count_actions(s, NT_CONS_EVIDENCE), 1);
	const nt_vote *pc = emitted(s, NT_VOTE_PRECOMMIT);
	assert_non_null(pc);
	assert_memory_equal(pc->block_hash.b, b.b, 32);
	solo_free(s);
}

/* (c) a decision on precommits that include the equivocator's second
 * vote: the commit lists each validator once (strictly increasing
 * indexes, count = distinct signers) and the ledger accepts it. */
static void test_equivocating_precommits_commit(void **state)
{
	(void)state;
	for (int order = 0; order < 2; order++) {
		nt_hash a, b;
		solo *s = solo_new(4, 0, NULL);
		assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &a), NT_OK);
		assert_int_equal(feed_proposal(s, 1, 0, -1, NULL, &b), NT_OK);
		/* 1, 2, 3 prevote B: we lock B and precommit B */
		assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &b), NT_OK);
		assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 0, &b), NT_OK);
		assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, &b), NT_OK);
		const nt_vote *pc = emitted(s, NT_VOTE_PRECOMMIT);
		assert_non_null(pc);
		assert_memory_equal(pc->block_hash.b, b.b, 32);
		/* 3 precommits both ways; with ours that is 2 for B, or 1 for A:
		 * 2 validators for "any value", no decision */
		const nt_hash *first = order == 0 ? &a : &b, *second = order == 0 ? &b : &a;
		assert_int_equal(feed_vote(s, 3, NT_VOTE_PRECOMMIT, 0, first), NT_OK);
		assert_int_equal(feed_vote(s, 3, NT_VOTE_PRECOMMIT, 0, second), NT_ERR_EXISTS);
		assert_int_equal(count_actions(s, NT_CONS_EVIDENCE), 1);
		assert_false(timeout_of(s, NT_STEP_PRECOMMIT)); /* line 47 needs 3 validators */
		assert_false(nt_cons_decided(s->e));
		/* 1 precommits B: ours, 1's, 3's = 2f+1 for B */
		assert_int_equal(feed_vote(s, 1, NT_VOTE_PRECOMMIT, 0, &b), NT_OK);
		assert_true(nt_cons_decided(s->e));
		const nt_cons_action *c = &s->acts.v[s->acts.n - 1];
		assert_int_equal(c->type, NT_CONS_COMMIT);
		assert_memory_equal(c->commit->block_hash.b, b.b, 32);
		assert_int_equal(c->commit->count, 3);
		bool seen_idx[4] = {false};
		for (unsigned i = 0; i < c->commit->count; i++) {
			uint16_t idx = c->commit->sigs[i].index;
			assert_true(idx < 4);
			assert_false(seen_idx[idx]);
			seen_idx[idx] = true;
			if (i > 0)
				assert_true(c->commit->sigs[i - 1].index < idx);
		}
		assert_true(seen_idx[0] && seen_idx[1] && seen_idx[3]);
		/* every signature is a precommit for B (A's would fail here) */
		nt_why why = {{0}};
		assert_int_equal(nt_ledger_append(s->l, c->block, c->commit, NULL, &why), NT_OK);
		solo_free(s);
	}
}

/* (d) one EVIDENCE per conflicting pair: copies of either vote are plain
 * duplicates; a third different vote is reported but dropped (it never
 * counts, so it cannot help a third value or nil reach 2f+1). */
static void test_equivocation_evidence_once(void **state)
{
	(void)state;
	nt_hash a, b, nil;
	memset(nil.b, 0, 32);
	for (int order = 0; order < 2; order++) {
		solo *s = equiv_setup(&a, &b, order);
		const nt_hash *first = order == 0 ? &a : &b, *second = order == 0 ? &b : &a;
		const nt_cons_stats *st = nt_cons_stats_get(s->e);
		uint64_t eq = st->equivocations;
		const nt_cons_action *ev = NULL;
		for (size_t i = 0; i < s->acts.n; i++)
			if (s->acts.v[i].type == NT_CONS_EVIDENCE)
				ev = &s->acts.v[i];
		assert_non_null(ev);
		/* the action names the pair: the kept first, then the second */
		assert_int_equal(ev->vote.index, 3);
		assert_int_equal(ev->vote2.index, 3);
		assert_memory_equal(ev->vote.block_hash.b, first->b, 32);
		assert_memory_equal(ev->vote2.block_hash.b, second->b, 32);

		/* copies of the second and of the first: no new evidence */
		uint64_t dup = st->dropped[NT_DROP_DUPLICATE];
		assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, second), NT_ERR_EXISTS);
		assert_int_equal(count_actions(s, NT_CONS_EVIDENCE), 0);
		assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, first), NT_ERR_EXISTS);
		assert_int_equal(count_actions(s, NT_CONS_EVIDENCE), 0);
		assert_int_equal(st->dropped[NT_DROP_DUPLICATE], dup + 2);
		assert_int_equal(st->equivocations, eq);

		/* a third value (nil): one EVIDENCE against the first, not kept */
		assert_int_equal(feed_vote(s, 3, NT_VOTE_PREVOTE, 0, &nil), NT_ERR_EXISTS);
		assert_int_equal(count_actions(s, NT_CONS_EVIDENCE), 1);
		assert_int_equal(st->equivocations, eq + 1);
		for (size_t i = 0; i < s->acts.n; i++)
			if (s->acts.v[i].type == NT_CONS_EVIDENCE) {
				assert_memory_equal(s->acts.v[i].vote.block_hash.b, first->b, 32);
				assert_true(is_nil(&s->acts.v[i].vote2.block_hash));
			}
		/* 1 and 2 prevote nil: with the third vote that would be 2f+1
		 * nil and a precommit nil (line 44); it was dropped, so only
		 * the "any value" rule fires (line 34, at 1's vote: 0, 1, 3) */
		assert_int_equal(feed_vote(s, 1, NT_VOTE_PREVOTE, 0, &nil), NT_OK);
		assert_true(timeout_of(s, NT_STEP_PREVOTE));
		assert_null(emitted(s, NT_VOTE_PRECOMMIT));
		assert_int_equal(feed_vote(s, 2, NT_VOTE_PREVOTE, 0, &nil), NT_OK);
		assert_null(emitted(s, NT_VOTE_PRECOMMIT));
		assert_int_equal(nt_cons_step(s->e), NT_STEP_PREVOTE);
		assert_int_equal(nt_cons_locked(s->e, NULL), -1);
		solo_free(s);
	}
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_validator),
	    cmocka_unit_test(test_honest_4_with_observer),
	    cmocka_unit_test(test_honest_7),
	    cmocka_unit_test(test_one_silent_of_4),
	    cmocka_unit_test(test_two_silent_of_4),
	    cmocka_unit_test(test_two_silent_of_7),
	    cmocka_unit_test(test_crash_restart),
	    cmocka_unit_test(test_random_order_duplicates),
	    cmocka_unit_test(test_equivocating_proposer),
	    cmocka_unit_test(test_bad_votes_dropped),
	    cmocka_unit_test(test_lock_rules),
	    cmocka_unit_test(test_set_last_signed),
	    cmocka_unit_test(test_next_height),
	    cmocka_unit_test(test_observer_never_signs),
	    cmocka_unit_test(test_peermsg),
	    cmocka_unit_test(test_garbage_input),
	    cmocka_unit_test(test_config_and_proposer),
	    cmocka_unit_test(test_equivocating_prevotes_count),
	    cmocka_unit_test(test_equivocation_needed_for_quorum),
	    cmocka_unit_test(test_equivocating_precommits_commit),
	    cmocka_unit_test(test_equivocation_evidence_once),
	    cmocka_unit_test(test_authenticate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
