/* The harness of the consensus tests (tests/cons_harness.h). */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cons_driver.h"
#include "core/consensus.h"
#include "core/kv.h"
#include "core/ledger.h"
#include "core/peermsg.h"
#include "core/record.h"
#include "crypto/digest.h"
#include "tests/cons_harness.h"

nt_seckey *key_from(uint64_t tag)
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
size_t make_record(net *w, uint8_t *out)
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

nt_block *build_block(net *w, const nt_ledger *l, int proposer, uint64_t now, unsigned nrec)
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

nt_err host_propose(void *arg, uint64_t height, uint64_t now, nt_block **out)
{
	node *d = arg;
	assert_int_equal(height, nt_ledger_height(d->l) + 1);
	*out = build_block(d->net, d->l, d->id, now, 1 + (unsigned)(height % 3));
	return NT_OK;
}

/* Remembers (id(b), lc) for the COMMIT of b; a block hash fixes the
 * header and so the last commit it names. */
void seen_put(node *d, const nt_block *b, const nt_commit *lc)
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

const nt_commit *seen_get(node *d, const nt_hash *bh)
{
	for (unsigned i = 0; i < LC_SEEN; i++)
		if (d->seen[i].used && memcmp(d->seen[i].bh.b, bh->b, 32) == 0)
			return d->seen[i].lc;
	fail_msg("node %d decided a block valid() never saw", d->id);
	return NULL;
}

void seen_free(node *d)
{
	for (unsigned i = 0; i < LC_SEEN; i++)
		free(d->seen[i].lc);
	memset(d->seen, 0, sizeof d->seen);
}

bool host_valid(void *arg, const nt_block *b, const nt_commit *lc, uint64_t now)
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

nt_err host_last_commit(void *arg, uint64_t height, nt_commit *out)
{
	node *d = arg;
	return nt_ledger_commit(d->l, height, out);
}

nt_cons_config test_cfg(void)
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

void genesis_for(nt_genesis *g, int n, uint64_t tagbase)
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

net *net_new(int n, int nobs, unsigned silent_mask)
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
		node_engine_new(w, d, &cfg);
		assert_int_equal(nt_cons_self(d->e), i < n ? i : -1);
	}
	return w;
}

void net_free(net *w)
{
	for (int i = 0; i < w->n + w->nobs; i++) {
		node *d = &w->nodes[i];
		nt_drv_free(d->drv);
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

void push_ev(net *w, const event *e)
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

void send_to(net *w, int to, const uint8_t *msg, size_t len)
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

void broadcast(net *w, int from, const uint8_t *msg, size_t len)
{
	for (int i = 0; i < w->n + w->nobs; i++)
		if (i != from)
			send_to(w, i, msg, len);
}

int hrs_cmp(const nt_cons_hrs *a, const nt_cons_hrs *b)
{
	if (a->height != b->height)
		return a->height < b->height ? -1 : 1;
	if (a->round != b->round)
		return a->round < b->round ? -1 : 1;
	return a->step < b->step ? -1 : a->step > b->step;
}

/* An equivocating proposer: a second block, signed, for the odd peers. */
void send_equivocation(net *w, node *d, const nt_proposal *p)
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

/* ---- the host driver's I/O table (core/cons_driver.h) ----
 * No WAL: a restarted node has only its sign-state, which is enough for
 * safety (tests/test_consensus_net.c restarts nodes that way). */

static uint64_t io_now(void *arg)
{
	node *d = arg;
	return d->net->now;
}

/* A message of a height above ours + 1: block sync first, then the
 * engine sees the message at its new height. */
static void io_before_feed(void *arg, uint64_t h, unsigned from, const nt_proposal *p)
{
	(void)from;
	(void)p;
	node *d = arg;
	catch_up(d->net, d, h);
}

static nt_err io_wal_append(void *arg, const nt_drv_entry *ent)
{
	node *d = arg;
	assert_true(ent->len > 0);
	d->wal_entries++;
	return NT_OK;
}

static nt_err io_wal_nop(void *arg)
{
	(void)arg;
	return NT_OK;
}

static nt_err io_wal_reset(void *arg, uint64_t h)
{
	(void)arg;
	(void)h;
	return NT_OK;
}

static nt_err io_sign_save(void *arg, const nt_cons_hrs *hrs)
{
	node *d = arg;
	/* strictly increasing: never two signatures for one step */
	assert_true(hrs_cmp(hrs, &d->persisted) > 0);
	assert_non_null(d->key);
	d->persisted = *hrs;
	return NT_OK;
}

static void io_broadcast(void *arg, const nt_cons_action *a, const uint8_t *msg, size_t len)
{
	node *d = arg;
	net *w = d->net;
	/* the driver saved the sign-state of this signature before sending */
	nt_cons_hrs s;
	if (a->type == NT_CONS_BROADCAST_PROPOSAL)
		s = (nt_cons_hrs){a->proposal->height, a->proposal->round, NT_STEP_PROPOSE};
	else
		s = (nt_cons_hrs){a->vote.height, a->vote.round,
				  a->vote.type == NT_VOTE_PREVOTE ? NT_STEP_PREVOTE
								  : NT_STEP_PRECOMMIT};
	assert_int_equal(hrs_cmp(&s, &d->persisted), 0);
	if (a->type == NT_CONS_BROADCAST_PROPOSAL && d->equivocate) {
		send_equivocation(w, d, a->proposal);
		return;
	}
	broadcast(w, d->id, msg, len);
}

static void io_schedule(void *arg, const nt_cons_hrs *hrs, uint64_t delay)
{
	node *d = arg;
	event e = {0};
	e.timer = true;
	e.to = d->id;
	e.at = d->net->now + delay;
	e.h = hrs->height;
	e.r = hrs->round;
	e.step = hrs->step;
	push_ev(d->net, &e);
}

static nt_err io_append_block(void *arg, const nt_block *b, const nt_commit *c,
			      const nt_commit *lc)
{
	node *d = arg;
	net *w = d->net;
	nt_why why = {{0}};
	uint64_t h = c->height;
	if (h <= nt_ledger_height(d->l))
		return NT_ERR_EXISTS; /* block sync was faster */
	nt_hash bh;
	assert_int_equal(nt_header_hash(&b->header, &bh), NT_OK);
	assert_memory_equal(bh.b, c->block_hash.b, 32);
	for (unsigned j = 1; j < c->count; j++)
		assert_true(c->sigs[j].index > c->sigs[j - 1].index);
	for (unsigned j = 0; j < c->count; j++)
		assert_true(c->sigs[j].timestamp >= b->header.time);
	assert_true(h <= MAXH);
	assert_int_equal(nt_commit_verify(c, w->g.chain_id, &w->g.vals, &why), NT_OK);
	/* the driver hands over the commit of h-1 the block names, which
	 * valid() saw (the harness's own table must agree) */
	const nt_commit *seen = seen_get(d, &bh);
	if (lc != NULL) {
		assert_non_null(seen);
		assert_memory_equal(lc, seen, sizeof *lc);
	}
	nt_err err = nt_ledger_append(d->l, b, c, lc, &why);
	if (err != NT_OK)
		fail_msg("node %d append %llu: %s", d->id, (unsigned long long)h, why.msg);
	if (w->have[h]) /* agreement */
		assert_memory_equal(w->decided[h].b, bh.b, 32);
	w->have[h] = true;
	w->decided[h] = bh;
	d->commits++;
	if (c->round > d->max_round)
		d->max_round = c->round;
	d->next = h + 1;
	return NT_OK;
}

static void io_evidence(void *arg, const nt_cons_action *a)
{
	node *d = arg;
	d->net->evidence++;
	assert_int_equal(a->vote.index, a->vote2.index);
}

void node_engine_new(net *w, node *d, const nt_cons_config *cfg)
{
	nt_drv_io io = {.arg = d,
			.now = io_now,
			.propose = host_propose,
			.valid = host_valid,
			.last_commit = host_last_commit,
			.before_feed = io_before_feed,
			.wal_append = io_wal_append,
			.wal_sync = io_wal_nop,
			.wal_reset = io_wal_reset,
			.sign_save = io_sign_save,
			.broadcast = io_broadcast,
			.schedule = io_schedule,
			.append_block = io_append_block,
			.evidence = io_evidence};
	assert_int_equal(nt_drv_new(&w->g, d->key, cfg, &io, 0, &d->drv), NT_OK);
	d->e = nt_drv_engine(d->drv);
}

/* Starts heights while a commit asks for the next (up to the target). */
void run_node(net *w, node *d)
{
	while (d->next != 0 && d->next <= w->target) {
		uint64_t h = d->next;
		d->next = 0;
		assert_int_equal(nt_ledger_height(d->l), h - 1);
		assert_int_equal(nt_drv_start_height(d->drv, h), NT_OK);
	}
	d->next = 0;
}

void node_start(net *w, node *d, uint64_t h)
{
	assert_int_equal(nt_drv_start_height(d->drv, h), NT_OK);
	run_node(w, d);
}

void net_start(net *w)
{
	for (int i = 0; i < w->n + w->nobs; i++) {
		node *d = &w->nodes[i];
		if (d->silent)
			continue;
		node_start(w, d, 1);
	}
}

/* Block sync, as node/catchup.c does it: a message of height h means its sender
 * has h-1 blocks; fetch what we miss from the node that has the most, with
 * commits (nt_ledger_append verifies each), and restart consensus above. */
void catch_up(net *w, node *d, uint64_t msg_height)
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
	if (upto + 1 <= w->target)
		node_start(w, d, upto + 1);
}

void deliver(net *w, event *e)
{
	node *d = &w->nodes[e->to];
	if (e->timer) {
		assert_int_equal(nt_drv_on_timeout(d->drv, e->h, e->r, e->step), NT_OK);
	} else {
		bool relay = false;
		nt_err err = nt_drv_on_message(d->drv, e->msg, e->len, &relay);
		/* duplicates and late or far messages are dropped; nothing else
		 * may fail */
		assert_true(err == NT_OK || err == NT_ERR_EXISTS || err == NT_ERR_CHAIN);
		/* Gossip: relay a proposal the first time it is accepted, so a
		 * block an equivocating proposer showed to some reaches all. */
		if (relay)
			broadcast(w, d->id, e->msg, e->len);
	}
	run_node(w, d);
}

uint64_t min_height(const net *w)
{
	uint64_t m = UINT64_MAX;
	for (int i = 0; i < w->n + w->nobs; i++)
		if (!w->nodes[i].silent && nt_ledger_height(w->nodes[i].l) < m)
			m = nt_ledger_height(w->nodes[i].l);
	return m;
}

/* Runs until every live node has `height` blocks or the clock passes limit. */
void net_run(net *w, uint64_t height, uint64_t limit_ms)
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

void check_chains_equal(net *w, uint64_t upto)
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

solo *solo_new(int n, int self, const nt_cons_hrs *restore)
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

void solo_free(solo *s)
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

nt_vote vote_signed(const nt_genesis *g, const nt_seckey *key, int idx, uint8_t type,
		    uint64_t h, uint32_t r, const nt_hash *bh, uint64_t ts)
{
	nt_vote v;
	memset(&v, 0, sizeof v);
	v.type = type;
	v.index = (uint16_t)idx;
	v.height = h;
	v.round = r;
	if (bh != NULL)
		v.block_hash = *bh;
	v.timestamp = ts;
	nt_hash m;
	nt_vote_sighash(type, g->chain_id, h, r, &v.block_hash, v.timestamp, &m);
	assert_int_equal(nt_sign(key, &m, &v.sig), NT_OK);
	return v;
}

nt_vote mkvote(solo *s, int idx, uint8_t type, uint64_t h, uint32_t r, const nt_hash *bh)
{
	return vote_signed(&s->g, s->keys[idx], idx, type, h, r, bh, T0 + 5000);
}

nt_err feed_vote(solo *s, int idx, uint8_t type, uint32_t r, const nt_hash *bh)
{
	nt_vote v = mkvote(s, idx, type, 1, r, bh);
	return nt_cons_on_vote(s->e, &v, T0 + 100, &s->acts);
}

/* A copy through the wire encoding. */
nt_block *copy_block(const nt_block *b)
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
nt_err feed_prop_h(solo *s, uint64_t h, int idx, uint32_t r, int32_t vr, nt_block *blk,
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
nt_err feed_proposal(solo *s, int idx, uint32_t r, int32_t vr, const nt_block *reuse, nt_hash *bh)
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
const nt_vote *emitted(const solo *s, uint8_t type)
{
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == NT_CONS_BROADCAST_VOTE && s->acts.v[i].vote.type == type)
			return &s->acts.v[i].vote;
	return NULL;
}

bool is_nil(const nt_hash *h)
{
	static const nt_hash z;
	return memcmp(h->b, z.b, 32) == 0;
}

bool has_action(const solo *s, nt_cons_action_type t)
{
	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.v[i].type == t)
			return true;
	return false;
}
