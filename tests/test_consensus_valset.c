/* Per-height validator sets (core/consensus.h "Changing the validator
 * set"): a network whose set changes at height 3 -- a validator added,
 * removed, or one key rotated -- and the re-check of messages buffered for
 * the new height.
 *
 * The network runs every node in the host driver (core/cons_driver.h),
 * started at each height with the set of that height
 * (nt_drv_start_height_set), over a chain of its own: the ledger
 * (core/ledger.h) verifies commits against the genesis set only, so this
 * file keeps the chain itself (block hashes by height) and verifies every
 * commit against the set of its height with nt_commit_verify. Keys,
 * genesis and test config come from tests/cons_harness.h. */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cons_driver.h"
#include "core/consensus.h"
#include "core/merkle.h"
#include "tests/cons_harness.h"

#define VN 6	   /* nodes at most */
#define VH 8	   /* heights run */
#define CHANGE_H 3 /* the first height of the new set */
#define KEYBASE 500

typedef struct vnet vnet;

typedef struct {
	vnet *w;
	int id;
	nt_seckey *key;
	nt_pubkey pk;
	nt_drv *drv;
	uint64_t height; /* blocks applied */
	nt_hash chain[VH + 2];
	uint64_t next; /* a commit asks to start this height */
	nt_cons_hrs persisted;
	uint64_t first_signed, last_signed; /* heights of sign-state saves (0: none) */
} vnode;

typedef struct {
	uint64_t at, seq;
	int to;
	bool timer;
	nt_cons_hrs hrs;
	uint8_t *msg;
	size_t len;
} vev;

struct vnet {
	int nn;
	nt_genesis g;
	nt_valset sets[2]; /* [0] heights below CHANGE_H, [1] from CHANGE_H */
	vnode nodes[VN];
	uint64_t now, seq;
	vev *ev;
	size_t nev, cap;
	nt_hash decided[VH + 2];
	bool have[VH + 2];
};

static const nt_valset *set_of(const vnet *w, uint64_t h)
{
	return &w->sets[h >= CHANGE_H];
}

static void set_from(nt_valset *vs, const int *tags, int n)
{
	memset(vs, 0, sizeof *vs);
	vs->n = (uint16_t)n;
	for (int i = 0; i < n; i++) {
		nt_seckey *k = key_from(KEYBASE + (uint64_t)tags[i]);
		nt_seckey_pubkey(k, &vs->keys[i]);
		nt_seckey_free(k);
		snprintf(vs->names[i], sizeof vs->names[i], "Office %d", tags[i]);
	}
}

static void push(vnet *w, const vev *e)
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

/* ---- the driver's I/O table ---- */

static uint64_t v_now(void *arg)
{
	vnode *d = arg;
	return d->w->now;
}

/* An empty block on our chain, proposed by our key. */
static nt_err v_propose(void *arg, uint64_t height, uint64_t now, nt_block **out)
{
	vnode *d = arg;
	assert_int_equal(height, d->height + 1);
	nt_block *b = calloc(1, sizeof *b);
	assert_non_null(b);
	nt_header *h = &b->header;
	h->version = NT_HEADER_VERSION;
	strcpy(h->chain_id, d->w->g.chain_id);
	h->height = height;
	h->time = now;
	if (height > 1)
		h->prev_hash = d->chain[height - 1];
	nt_merkle_root(NULL, 0, &h->records_root);
	nt_valset_hash(set_of(d->w, height), &h->validators_hash);
	h->proposer = d->pk;
	*out = b;
	return NT_OK;
}

static bool v_valid(void *arg, const nt_block *b, const nt_commit *lc, uint64_t now)
{
	(void)lc;
	(void)now;
	vnode *d = arg;
	const nt_header *h = &b->header;
	static const nt_hash zero;
	const nt_hash *prev = h->height > 1 ? &d->chain[h->height - 1] : &zero;
	return h->height == d->height + 1 && memcmp(h->prev_hash.b, prev->b, 32) == 0 &&
	       nt_valset_index(set_of(d->w, h->height), &h->proposer) >= 0;
}

static nt_err v_wal(void *arg, const nt_drv_entry *e)
{
	(void)arg;
	(void)e;
	return NT_OK;
}

static nt_err v_sync(void *arg)
{
	(void)arg;
	return NT_OK;
}

static nt_err v_reset(void *arg, uint64_t h)
{
	(void)arg;
	(void)h;
	return NT_OK;
}

static nt_err v_sign_save(void *arg, const nt_cons_hrs *hrs)
{
	vnode *d = arg;
	assert_true(hrs_cmp(hrs, &d->persisted) > 0);
	/* only a member of the height's set signs */
	assert_true(nt_valset_index(set_of(d->w, hrs->height), &d->pk) >= 0);
	d->persisted = *hrs;
	if (d->first_signed == 0)
		d->first_signed = hrs->height;
	d->last_signed = hrs->height;
	return NT_OK;
}

static void v_broadcast(void *arg, const nt_cons_action *a, const uint8_t *msg, size_t len)
{
	(void)a;
	vnode *d = arg;
	vnet *w = d->w;
	for (int i = 0; i < w->nn; i++) {
		if (i == d->id)
			continue;
		vev e = {0};
		e.to = i;
		e.at = w->now + 10;
		e.msg = malloc(len);
		assert_non_null(e.msg);
		memcpy(e.msg, msg, len);
		e.len = len;
		push(w, &e);
	}
}

static void v_schedule(void *arg, const nt_cons_hrs *hrs, uint64_t delay)
{
	vnode *d = arg;
	vev e = {0};
	e.timer = true;
	e.to = d->id;
	e.at = d->w->now + delay;
	e.hrs = *hrs;
	push(d->w, &e);
}

static nt_err v_append(void *arg, const nt_block *b, const nt_commit *c, const nt_commit *lc)
{
	(void)lc;
	vnode *d = arg;
	vnet *w = d->w;
	uint64_t h = c->height;
	assert_int_equal(h, d->height + 1);
	assert_true(h <= VH);
	nt_hash bh;
	assert_int_equal(nt_header_hash(&b->header, &bh), NT_OK);
	assert_memory_equal(bh.b, c->block_hash.b, 32);
	/* built from the height's set: its indices, its quorum, its keys */
	nt_why why = {{0}};
	if (nt_commit_verify(c, w->g.chain_id, set_of(w, h), &why) != NT_OK)
		fail_msg("node %d commit of %llu: %s", d->id, (unsigned long long)h, why.msg);
	if (w->have[h])
		assert_memory_equal(w->decided[h].b, bh.b, 32);
	w->have[h] = true;
	w->decided[h] = bh;
	d->chain[h] = bh;
	d->height = h;
	d->next = h + 1;
	return NT_OK;
}

static void run_node_v(vnode *d)
{
	while (d->next != 0 && d->next <= VH) {
		uint64_t h = d->next;
		d->next = 0;
		assert_int_equal(nt_drv_start_height_set(d->drv, h, set_of(d->w, h)), NT_OK);
	}
	d->next = 0;
}

/* nn nodes with keys KEYBASE + tags[i]; the genesis set is old[0..nold),
 * the set from CHANGE_H on is new[0..nnew) (tags). */
static vnet *vnet_new(const int *tags, int nn, const int *old, int nold, const int *new, int nnew)
{
	vnet *w = calloc(1, sizeof *w);
	assert_non_null(w);
	w->nn = nn;
	w->now = T0;
	genesis_for(&w->g, 1, 0); /* chain_id and time; the set is below */
	set_from(&w->sets[0], old, nold);
	set_from(&w->sets[1], new, nnew);
	w->g.vals = w->sets[0];
	nt_valset_hash(&w->g.vals, &w->g.validators_hash);
	nt_cons_config cfg = test_cfg();
	for (int i = 0; i < nn; i++) {
		vnode *d = &w->nodes[i];
		d->w = w;
		d->id = i;
		d->key = key_from(KEYBASE + (uint64_t)tags[i]);
		nt_seckey_pubkey(d->key, &d->pk);
		nt_drv_io io = {.arg = d,
				.now = v_now,
				.propose = v_propose,
				.valid = v_valid,
				.wal_append = v_wal,
				.wal_sync = v_sync,
				.wal_reset = v_reset,
				.sign_save = v_sign_save,
				.broadcast = v_broadcast,
				.schedule = v_schedule,
				.append_block = v_append};
		assert_int_equal(nt_drv_new(&w->g, d->key, &cfg, &io, 0, &d->drv), NT_OK);
	}
	for (int i = 0; i < nn; i++) {
		w->nodes[i].next = 1;
		run_node_v(&w->nodes[i]);
	}
	return w;
}

static void vnet_free(vnet *w)
{
	for (int i = 0; i < w->nn; i++) {
		nt_drv_free(w->nodes[i].drv);
		nt_seckey_free(w->nodes[i].key);
	}
	for (size_t i = 0; i < w->nev; i++)
		free(w->ev[i].msg);
	free(w->ev);
	free(w);
}

static uint64_t vmin_height(const vnet *w)
{
	uint64_t m = UINT64_MAX;
	for (int i = 0; i < w->nn; i++)
		if (w->nodes[i].height < m)
			m = w->nodes[i].height;
	return m;
}

/* Until every node has VH blocks (bounded: 10 virtual minutes). */
static void vnet_run(vnet *w)
{
	while (vmin_height(w) < VH && w->nev > 0 && w->now < T0 + 600000) {
		size_t best = 0;
		for (size_t i = 1; i < w->nev; i++)
			if (w->ev[i].at < w->ev[best].at ||
			    (w->ev[i].at == w->ev[best].at && w->ev[i].seq < w->ev[best].seq))
				best = i;
		vev e = w->ev[best];
		w->ev[best] = w->ev[--w->nev];
		if (e.at > w->now)
			w->now = e.at;
		vnode *d = &w->nodes[e.to];
		if (e.timer) {
			assert_int_equal(
			    nt_drv_on_timeout(d->drv, e.hrs.height, e.hrs.round, e.hrs.step),
			    NT_OK);
		} else {
			nt_err err = nt_drv_on_message(d->drv, e.msg, e.len, NULL);
			assert_true(err == NT_OK || err == NT_ERR_EXISTS || err == NT_ERR_CHAIN ||
				    err == NT_ERR_RANGE);
		}
		free(e.msg);
		run_node_v(d);
	}
	assert_int_equal(vmin_height(w), VH);
	for (int i = 0; i < w->nn; i++)
		for (uint64_t h = 1; h <= VH; h++)
			assert_memory_equal(w->nodes[i].chain[h].b, w->decided[h].b, 32);
}

/* (1) A fifth validator joins at height 3: everyone, the new one included,
 * decides 3.. with the new set, and the new one signs from height 3 on. */
static void test_add_validator(void **state)
{
	(void)state;
	const int tags[] = {0, 1, 2, 3, 4};
	vnet *w = vnet_new(tags, 5, tags, 4, tags, 5);
	assert_int_equal(nt_cons_self(nt_drv_engine(w->nodes[4].drv)), -1);
	vnet_run(w);
	assert_int_equal(nt_cons_self(nt_drv_engine(w->nodes[4].drv)), 4);
	assert_int_equal(w->nodes[4].first_signed, CHANGE_H);
	assert_int_equal(w->nodes[4].last_signed, VH);
	for (int i = 0; i < 4; i++)
		assert_int_equal(w->nodes[i].first_signed, 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(
		    nt_cons_stats_get(nt_drv_engine(w->nodes[i].drv))->dropped[NT_DROP_BAD_SIG], 0);
	vnet_free(w);
}

/* (2) Validator 3 leaves at height 3: it signs nothing from then on (it
 * follows as an observer) and the other three go on. */
static void test_remove_validator(void **state)
{
	(void)state;
	const int tags[] = {0, 1, 2, 3};
	vnet *w = vnet_new(tags, 4, tags, 4, tags, 3);
	vnet_run(w);
	assert_int_equal(nt_cons_self(nt_drv_engine(w->nodes[3].drv)), -1);
	assert_int_equal(w->nodes[3].first_signed, 1);
	assert_true(w->nodes[3].last_signed < CHANGE_H);
	for (int i = 0; i < 3; i++)
		assert_int_equal(w->nodes[i].last_signed, VH);
	vnet_free(w);
}

/* (3) Validator 1's key is replaced by a new key (held by another node)
 * at height 3: the old key never signs at 3 or above, the new one does,
 * at index 1. */
static void test_rotate_key(void **state)
{
	(void)state;
	const int tags[] = {0, 1, 2, 3, 5};
	const int old[] = {0, 1, 2, 3};
	const int new[] = {0, 5, 2, 3};
	vnet *w = vnet_new(tags, 5, old, 4, new, 4);
	vnet_run(w);
	assert_int_equal(nt_cons_self(nt_drv_engine(w->nodes[1].drv)), -1);
	assert_int_equal(nt_cons_self(nt_drv_engine(w->nodes[4].drv)), 1);
	assert_true(w->nodes[1].last_signed < CHANGE_H);
	assert_int_equal(w->nodes[4].first_signed, CHANGE_H);
	assert_int_equal(w->nodes[4].last_signed, VH);
	vnet_free(w);
}

/* ---- (4) one engine, messages fed by hand ---- */

static nt_err no_propose(void *arg, uint64_t height, uint64_t now, nt_block **out)
{
	(void)arg;
	(void)height;
	(void)now;
	*out = NULL;
	return NT_ERR_ARG;
}

static bool always_valid(void *arg, const nt_block *b, const nt_commit *lc, uint64_t now)
{
	(void)arg;
	(void)b;
	(void)lc;
	(void)now;
	return true;
}

/* Votes of height 2 arrive while we run height 1 and are buffered
 * (authenticated against the set of height 1). When height 2 starts with
 * a set without validator 3 and with validator 1's key rotated, the votes
 * of 3 and of 1's old key are refused and counted; validator 2's is kept.
 * After the switch, the removed validator's votes are out of range. */
static void test_old_set_vote_refused(void **state)
{
	(void)state;
	const int old[] = {0, 1, 2, 3};
	const int new[] = {0, 5, 2};
	nt_genesis g;
	genesis_for(&g, 1, 0);
	set_from(&g.vals, old, 4);
	nt_valset vs2;
	set_from(&vs2, new, 3);
	nt_seckey *k[6];
	for (int i = 0; i < 6; i++)
		k[i] = key_from(KEYBASE + (uint64_t)i);
	nt_cons_host host = {.arg = NULL, .propose = no_propose, .valid = always_valid};
	nt_cons_config cfg = test_cfg();
	nt_cons *e = NULL;
	nt_cons_actions acts;
	assert_int_equal(nt_cons_new(&g, k[0], &cfg, &host, &e), NT_OK);
	assert_int_equal(nt_cons_start_height(e, 1, T0, &acts), NT_OK);
	const nt_cons_stats *st = nt_cons_stats_get(e);
	static const nt_hash nil;
	nt_vote v3 = vote_signed(&g, k[3], 3, NT_VOTE_PREVOTE, 2, 0, &nil, T0);
	nt_vote v1 = vote_signed(&g, k[1], 1, NT_VOTE_PREVOTE, 2, 0, &nil, T0);
	nt_vote v2 = vote_signed(&g, k[2], 2, NT_VOTE_PREVOTE, 2, 0, &nil, T0);
	assert_int_equal(nt_cons_authenticate_vote(e, &v3), NT_OK); /* the set of height 1 */
	assert_int_equal(nt_cons_on_vote(e, &v3, T0, &acts), NT_OK);
	assert_int_equal(nt_cons_on_vote(e, &v1, T0, &acts), NT_OK);
	assert_int_equal(nt_cons_on_vote(e, &v2, T0, &acts), NT_OK);
	assert_int_equal(st->dropped[NT_DROP_OLD_SET], 0);

	assert_int_equal(nt_cons_start_height_set(e, 2, &vs2, T0 + 10, &acts), NT_OK);
	assert_int_equal(st->dropped[NT_DROP_OLD_SET], 2);
	assert_int_equal(nt_cons_self(e), 0);
	/* validator 2's vote was filed: a resent copy is a duplicate */
	assert_int_equal(nt_cons_on_vote(e, &v2, T0 + 20, &acts), NT_ERR_EXISTS);
	assert_int_equal(st->dropped[NT_DROP_DUPLICATE], 1);
	/* the removed validator and the retired key, now at the new height */
	assert_int_equal(nt_cons_on_vote(e, &v3, T0 + 20, &acts), NT_ERR_RANGE);
	assert_int_equal(st->dropped[NT_DROP_BAD_INDEX], 1);
	assert_int_equal(nt_cons_on_vote(e, &v1, T0 + 20, &acts), NT_ERR_SIGNATURE);
	assert_int_equal(st->dropped[NT_DROP_BAD_SIG], 1);
	/* the new key at index 1 counts */
	nt_vote v5 = vote_signed(&g, k[5], 1, NT_VOTE_PREVOTE, 2, 0, &nil, T0);
	assert_int_equal(nt_cons_on_vote(e, &v5, T0 + 20, &acts), NT_OK);
	/* start_height without a set keeps the last one given */
	assert_int_equal(nt_cons_start_height(e, 3, T0 + 30, &acts), NT_OK);
	assert_int_equal(nt_cons_proposer(e, 3, 0), 0); /* (3 + 0) % 3 */
	nt_vote v3b = vote_signed(&g, k[3], 3, NT_VOTE_PREVOTE, 3, 0, &nil, T0);
	assert_int_equal(nt_cons_on_vote(e, &v3b, T0 + 40, &acts), NT_ERR_RANGE);
	assert_int_equal(nt_cons_start_height_set(e, 4, NULL, T0 + 50, &acts), NT_ERR_ARG);
	nt_cons_free(e);
	for (int i = 0; i < 6; i++)
		nt_seckey_free(k[i]);
}

/* A set with the same keys in the same order (an office renamed) changes
 * nothing: the buffered votes are filed without a second check. */
static void test_same_keys_no_change(void **state)
{
	(void)state;
	const int tags[] = {0, 1, 2, 3};
	nt_genesis g;
	genesis_for(&g, 1, 0);
	set_from(&g.vals, tags, 4);
	nt_valset renamed = g.vals;
	strcpy(renamed.names[2], "Office 2, renamed");
	nt_seckey *k[4];
	for (int i = 0; i < 4; i++)
		k[i] = key_from(KEYBASE + (uint64_t)i);
	nt_cons_host host = {.arg = NULL, .propose = no_propose, .valid = always_valid};
	nt_cons_config cfg = test_cfg();
	nt_cons *e = NULL;
	nt_cons_actions acts;
	assert_int_equal(nt_cons_new(&g, k[1], &cfg, &host, &e), NT_OK);
	assert_int_equal(nt_cons_start_height(e, 1, T0, &acts), NT_OK);
	static const nt_hash nil;
	nt_vote v[4];
	for (int i = 0; i < 4; i++) {
		v[i] = vote_signed(&g, k[i], i, NT_VOTE_PREVOTE, 2, 0, &nil, T0);
		if (i != 1)
			assert_int_equal(nt_cons_on_vote(e, &v[i], T0, &acts), NT_OK);
	}
	assert_int_equal(nt_cons_start_height_set(e, 2, &renamed, T0 + 10, &acts), NT_OK);
	const nt_cons_stats *st = nt_cons_stats_get(e);
	for (int d = 0; d < NT_DROP__COUNT; d++)
		assert_int_equal(st->dropped[d], 0);
	assert_int_equal(nt_cons_self(e), 1);
	/* the three buffered votes were filed: resent copies are duplicates */
	for (int i = 0; i < 4; i++)
		if (i != 1)
			assert_int_equal(nt_cons_on_vote(e, &v[i], T0 + 20, &acts), NT_ERR_EXISTS);
	assert_int_equal(st->dropped[NT_DROP_DUPLICATE], 3);
	nt_cons_free(e);
	for (int i = 0; i < 4; i++)
		nt_seckey_free(k[i]);
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_validator),	cmocka_unit_test(test_remove_validator),
	    cmocka_unit_test(test_rotate_key),		cmocka_unit_test(test_old_set_vote_refused),
	    cmocka_unit_test(test_same_keys_no_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
