/* The host driver (core/cons_driver.h): the order in which it calls its
 * I/O table. A recording table over a real engine and in-memory ledger;
 * each test checks the durability rules the node relies on: a signature
 * leaves only after the WAL sync and the sign-state save that cover it, a
 * peer's input is logged before the actions it caused, nothing
 * unauthenticated reaches the log or the host, a decided block is stored
 * before the log moves to the next height. */
#include "tests/testutil.h"

#include <string.h>

#include "core/cons_driver.h"
#include "core/peermsg.h"
#include "tests/cons_harness.h"

enum { OP_APPEND = 1, OP_SYNC, OP_RESET, OP_SAVE, OP_SEND, OP_SCHED, OP_BLOCK, OP_FEED };

typedef struct {
	int k;
	nt_cons_hrs hrs; /* SAVE, SEND; APPEND: height and round */
	bool own, in_log;
	uint64_t h; /* RESET, BLOCK, FEED */
} op;

typedef struct {
	net *w;
	node *d; /* the harness's node: key, ledger, propose / valid */
	op ops[256];
	int n;
	nt_hash proposed; /* block hash of our last proposal */
	nt_err block_result;
	unsigned bugs;
} rec;

static void put(rec *r, op o)
{
	assert_true(r->n < 256);
	r->ops[r->n++] = o;
}

static uint64_t r_now(void *arg)
{
	rec *r = arg;
	return r->w->now;
}

static nt_err r_propose(void *arg, uint64_t h, uint64_t now, nt_block **out)
{
	rec *r = arg;
	return host_propose(r->d, h, now, out);
}

static bool r_valid(void *arg, const nt_block *b, const nt_commit *lc, uint64_t now)
{
	rec *r = arg;
	return host_valid(r->d, b, lc, now);
}

static void r_before_feed(void *arg, uint64_t h, unsigned from, const nt_proposal *p)
{
	(void)from;
	(void)p;
	put(arg, (op){.k = OP_FEED, .h = h});
}

static nt_err r_append(void *arg, const nt_drv_entry *e)
{
	put(arg, (op){.k = OP_APPEND,
		      .hrs = {e->height, e->round, e->step},
		      .own = e->own,
		      .in_log = e->in_log});
	return NT_OK;
}

static nt_err r_sync(void *arg)
{
	put(arg, (op){.k = OP_SYNC});
	return NT_OK;
}

static nt_err r_reset(void *arg, uint64_t h)
{
	put(arg, (op){.k = OP_RESET, .h = h});
	return NT_OK;
}

static nt_err r_save(void *arg, const nt_cons_hrs *hrs)
{
	put(arg, (op){.k = OP_SAVE, .hrs = *hrs});
	return NT_OK;
}

static nt_cons_hrs hrs_of(const nt_cons_action *a)
{
	if (a->type == NT_CONS_BROADCAST_PROPOSAL)
		return (nt_cons_hrs){a->proposal->height, a->proposal->round, NT_STEP_PROPOSE};
	return (nt_cons_hrs){a->vote.height, a->vote.round,
			     a->vote.type == NT_VOTE_PREVOTE ? NT_STEP_PREVOTE : NT_STEP_PRECOMMIT};
}

static void r_send(void *arg, const nt_cons_action *a, const uint8_t *msg, size_t len)
{
	rec *r = arg;
	assert_true(len > 0 && msg != NULL);
	if (a->type == NT_CONS_BROADCAST_PROPOSAL)
		r->proposed = a->proposal->block_hash;
	put(r, (op){.k = OP_SEND, .hrs = hrs_of(a)});
}

static void r_sched(void *arg, const nt_cons_hrs *hrs, uint64_t delay)
{
	(void)delay;
	put(arg, (op){.k = OP_SCHED, .hrs = *hrs});
}

static nt_err r_block(void *arg, const nt_block *b, const nt_commit *c, const nt_commit *lc)
{
	rec *r = arg;
	nt_why why = {{0}};
	put(r, (op){.k = OP_BLOCK, .h = b->header.height});
	if (r->block_result != NT_OK)
		return r->block_result;
	return nt_ledger_append(r->d->l, b, c, lc, &why);
}

/* A driver for validator `self` of the harness's n-validator network. */
static nt_drv *drv_for(rec *r, int n, int self, bool peers, uint64_t log_h, unsigned bugs)
{
	memset(r, 0, sizeof *r);
	r->bugs = bugs;
	r->w = net_new(n, 0, 0);
	r->d = &r->w->nodes[self];
	nt_drv_io io = {.arg = r,
			.now = r_now,
			.propose = r_propose,
			.valid = r_valid,
			.before_feed = r_before_feed,
			.wal_append = r_append,
			.wal_sync = r_sync,
			.wal_reset = r_reset,
			.sign_save = r_save,
			.broadcast = peers ? r_send : NULL,
			.schedule = r_sched,
			.append_block = r_block};
	nt_cons_config cfg = test_cfg();
	cfg.inject_bugs = r->bugs;
	nt_drv *drv = NULL;
	assert_int_equal(nt_drv_new(&r->w->g, r->d->key, &cfg, &io, log_h, &drv), NT_OK);
	return drv;
}

static void drv_done(rec *r, nt_drv *drv)
{
	nt_drv_free(drv);
	net_free(r->w);
}

static int hcmp(const nt_cons_hrs *a, const nt_cons_hrs *b)
{
	return hrs_cmp(a, b);
}

/* Every SEND and every BLOCK comes after a SYNC and then a SAVE covering
 * each of our messages appended before it. Returns false if not. */
static bool signatures_durable_first(const rec *r)
{
	for (int i = 0; i < r->n; i++) {
		if (r->ops[i].k != OP_SEND && r->ops[i].k != OP_BLOCK)
			continue;
		for (int a = 0; a < i; a++) {
			if (r->ops[a].k != OP_APPEND || !r->ops[a].own)
				continue;
			bool synced = false, saved = false;
			for (int j = a + 1; j < i; j++) {
				if (r->ops[j].k == OP_SYNC)
					synced = true;
				else if (r->ops[j].k == OP_SAVE && synced &&
					 r->ops[j].hrs.height >= r->ops[a].hrs.height)
					saved = true;
			}
			if (!synced || !saved)
				return false;
		}
		if (r->ops[i].k == OP_SEND) {
			/* and the save covers this very signature */
			bool covered = false;
			for (int j = 0; j < i; j++)
				if (r->ops[j].k == OP_SAVE && hcmp(&r->ops[j].hrs, &r->ops[i].hrs) >= 0)
					covered = true;
			if (!covered)
				return false;
		}
	}
	return true;
}

static int count(const rec *r, int k)
{
	int c = 0;
	for (int i = 0; i < r->n; i++)
		c += r->ops[i].k == k;
	return c;
}

static nt_vote signed_vote(rec *r, int idx, uint8_t type, uint64_t h, uint32_t rd,
			   const nt_hash *bh)
{
	nt_seckey *k = key_from(100 + (uint64_t)idx);
	nt_vote v = vote_signed(&r->w->g, k, idx, type, h, rd, bh, r->w->now + 10);
	nt_seckey_free(k);
	return v;
}

static nt_err send_vote(nt_drv *drv, const nt_vote *v)
{
	uint8_t b[NT_PEERMSG_VOTE_LEN];
	nt_peermsg_vote_encode(v, b);
	return nt_drv_on_message(drv, b, sizeof b, NULL);
}

/* Validator 1 proposes height 1 round 0 ((h + r) % n), votes, decides. */
static void test_order_of_a_height(void **state)
{
	(void)state;
	rec r;
	nt_drv *drv = drv_for(&r, 4, 1, true, 0, 0);
	assert_int_equal(nt_drv_start_height(drv, 1), NT_OK);
	assert_int_equal(r.ops[0].k, OP_RESET); /* a log of height 1 first */
	assert_int_equal(r.ops[0].h, 1);
	assert_true(nt_drv_running(drv));
	/* proposal and prevote went out, each after its own sync and save */
	assert_int_equal(count(&r, OP_SEND), 2);
	assert_int_equal(count(&r, OP_SYNC), 2);
	assert_true(signatures_durable_first(&r));

	nt_vote v = signed_vote(&r, 0, NT_VOTE_PREVOTE, 1, 0, &r.proposed);
	assert_int_equal(send_vote(drv, &v), NT_OK);
	/* the third prevote (with ours) makes the quorum: it is handed to the
	 * host, logged, and only then comes our precommit, synced, saved and
	 * sent */
	int at = r.n;
	v = signed_vote(&r, 2, NT_VOTE_PREVOTE, 1, 0, &r.proposed);
	assert_int_equal(send_vote(drv, &v), NT_OK);
	op seq[16];
	int ns = 0;
	for (int i = at; i < r.n && ns < 16; i++)
		if (r.ops[i].k != OP_SCHED) /* timers may come in between */
			seq[ns++] = r.ops[i];
	int want[] = {OP_FEED, OP_APPEND, OP_APPEND, OP_SYNC, OP_SAVE, OP_SEND};
	assert_int_equal(ns, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(seq[i].k, want[i]);
	assert_false(seq[1].own);
	assert_true(seq[2].own);
	assert_int_equal(seq[4].hrs.step, NT_STEP_PRECOMMIT);
	assert_int_equal(seq[5].hrs.step, NT_STEP_PRECOMMIT);
	assert_int_equal(count(&r, OP_SEND), 3);

	for (int i = 0; i < 3; i++)
		if (i != 1) {
			v = signed_vote(&r, i, NT_VOTE_PRECOMMIT, 1, 0, &r.proposed);
			assert_int_equal(send_vote(drv, &v), NT_OK);
		}
	assert_int_equal(nt_ledger_height(r.d->l), 1);
	assert_false(nt_drv_running(drv));
	/* stored, then the log moves to height 2 */
	assert_int_equal(r.ops[r.n - 1].k, OP_RESET);
	assert_int_equal(r.ops[r.n - 1].h, 2);
	assert_int_equal(r.ops[r.n - 2].k, OP_BLOCK);
	assert_int_equal(nt_drv_log_height(drv), 2);
	assert_true(signatures_durable_first(&r));
	/* every peer message went to the host (before_feed) before the log */
	for (int i = 0; i < r.n; i++)
		if (r.ops[i].k == OP_APPEND && !r.ops[i].own)
			assert_int_equal(r.ops[i - 1].k, OP_FEED);
	drv_done(&r, drv);
}

/* The checker above is not vacuous: the planted bug that sends before the
 * sync breaks it. */
static void test_planted_send_before_sync_is_seen(void **state)
{
	(void)state;
	rec r;
	nt_drv *drv = drv_for(&r, 4, 1, true, 0, NT_DRV_BUG_SEND_BEFORE_SYNC);
	assert_int_equal(nt_drv_start_height(drv, 1), NT_OK);
	assert_int_equal(count(&r, OP_SEND), 2);
	assert_false(signatures_durable_first(&r));
	drv_done(&r, drv);
}

/* Without peers (one validator) a whole height costs one sync and one
 * save, both before the block is stored. */
static void test_no_peers_one_sync_per_call(void **state)
{
	(void)state;
	rec r;
	nt_drv *drv = drv_for(&r, 1, 0, false, 0, 0);
	r.w->target = 1;
	assert_int_equal(nt_drv_start_height(drv, 1), NT_OK);
	assert_int_equal(nt_ledger_height(r.d->l), 1);
	assert_int_equal(count(&r, OP_SYNC), 1);
	assert_int_equal(count(&r, OP_SAVE), 1);
	assert_int_equal(count(&r, OP_APPEND), 3); /* proposal, prevote, precommit */
	assert_true(signatures_durable_first(&r));
	int save = -1;
	for (int i = 0; i < r.n; i++)
		if (r.ops[i].k == OP_SAVE)
			save = i;
	assert_int_equal(r.ops[save].hrs.step, NT_STEP_PRECOMMIT);
	assert_int_equal(r.ops[save + 1].k, OP_BLOCK);
	drv_done(&r, drv);
}

/* A forged vote reaches neither the host nor the log; a vote of the next
 * height is logged (the engine buffers it). */
static void test_unauthenticated_never_logged(void **state)
{
	(void)state;
	rec r;
	nt_drv *drv = drv_for(&r, 4, 0, true, 0, 0);
	assert_int_equal(nt_drv_start_height(drv, 1), NT_OK);
	int before = r.n;
	nt_vote v = signed_vote(&r, 2, NT_VOTE_PREVOTE, 1, 0, NULL);
	v.sig.b[5] ^= 1;
	assert_int_equal(send_vote(drv, &v), NT_ERR_SIGNATURE);
	uint8_t junk[7] = {0};
	assert_int_equal(nt_drv_on_message(drv, junk, sizeof junk, NULL), NT_ERR_DECODE);
	assert_int_equal(r.n, before);

	v = signed_vote(&r, 2, NT_VOTE_PREVOTE, 2, 0, NULL);
	assert_int_equal(send_vote(drv, &v), NT_OK);
	assert_int_equal(r.ops[before].k, OP_FEED);
	assert_int_equal(r.ops[before].h, 2);
	assert_int_equal(r.ops[before + 1].k, OP_APPEND);
	assert_int_equal(r.ops[before + 1].hrs.height, 2);
	/* the same again: a copy the engine does not keep, not logged */
	before = r.n;
	assert_int_equal(send_vote(drv, &v), NT_ERR_EXISTS);
	assert_int_equal(r.n, before);
	drv_done(&r, drv);
}

/* A store that fails stops the driver for good. */
static void test_failed_store_stops_everything(void **state)
{
	(void)state;
	rec r;
	nt_drv *drv = drv_for(&r, 1, 0, false, 0, 0);
	r.block_result = NT_ERR_IO;
	(void)nt_drv_start_height(drv, 1);
	assert_true(nt_drv_failed(drv));
	assert_int_equal(r.ops[r.n - 1].k, OP_BLOCK); /* no reset after it */
	int before = r.n;
	nt_vote v = signed_vote(&r, 0, NT_VOTE_PREVOTE, 1, 0, NULL);
	assert_int_equal(send_vote(drv, &v), NT_ERR_IO);
	assert_int_equal(nt_drv_on_timeout(drv, 1, 0, NT_STEP_PROPOSE), NT_ERR_IO);
	assert_int_equal(r.n, before);
	drv_done(&r, drv);
}

/* Block sync stored the decided height first: nothing is reset. */
static void test_block_already_stored(void **state)
{
	(void)state;
	rec r;
	nt_drv *drv = drv_for(&r, 1, 0, false, 0, 0);
	r.block_result = NT_ERR_EXISTS;
	assert_int_equal(nt_drv_start_height(drv, 1), NT_OK);
	assert_false(nt_drv_failed(drv));
	assert_false(nt_drv_running(drv));
	assert_int_equal(r.ops[r.n - 1].k, OP_BLOCK);
	assert_int_equal(nt_drv_log_height(drv), 1);
	drv_done(&r, drv);
}

/* Replay: entries of the log's height are in the log already and are not
 * written again; one of the next height is reported (in_log) so that a
 * host can carry it across the reset; a timeout of the running round is
 * replayed too. */
static void test_replay(void **state)
{
	(void)state;
	rec r;
	nt_drv *drv = drv_for(&r, 4, 0, true, 1, 0);
	assert_int_equal(nt_drv_start_height(drv, 1), NT_OK);
	assert_int_equal(count(&r, OP_RESET), 0); /* the log is height 1's */
	nt_vote a = signed_vote(&r, 2, NT_VOTE_PREVOTE, 1, 0, NULL);
	nt_vote b = signed_vote(&r, 3, NT_VOTE_PREVOTE, 2, 0, NULL);
	uint8_t ea[NT_PEERMSG_VOTE_LEN], eb[NT_PEERMSG_VOTE_LEN], et[NT_DRV_TIMEOUT_LEN];
	nt_peermsg_vote_encode(&a, ea);
	nt_peermsg_vote_encode(&b, eb);
	et[0] = NT_DRV_TIMEOUT_TAG;
	memset(et + 1, 0, sizeof et - 1);
	et[8] = 1;		 /* height 1 */
	et[13] = NT_STEP_PROPOSE; /* round 0 */
	uint64_t h;
	uint32_t rd;
	uint8_t step;
	assert_true(nt_drv_timeout_decode(et, sizeof et, &h, &rd, &step));
	assert_int_equal(h, 1);
	assert_false(nt_drv_timeout_decode(et, sizeof et - 1, &h, &rd, &step));
	const uint8_t *ents[3] = {ea, eb, et};
	size_t lens[3] = {sizeof ea, sizeof eb, sizeof et};
	int before = r.n;
	nt_drv_replay(drv, ents, lens, 3);
	int next = 0, cur = 0;
	for (int i = before; i < r.n; i++)
		if (r.ops[i].k == OP_APPEND && !r.ops[i].own) {
			if (r.ops[i].hrs.height == 2) {
				assert_true(r.ops[i].in_log);
				next++;
			} else {
				cur++;
			}
		}
	assert_int_equal(next, 1);
	assert_int_equal(cur, 0);
	/* the replayed timeout moved us on: round 0's prevote step */
	assert_int_equal(nt_cons_step(nt_drv_engine(drv)), NT_STEP_PREVOTE);
	drv_done(&r, drv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_of_a_height),
	    cmocka_unit_test(test_planted_send_before_sync_is_seen),
	    cmocka_unit_test(test_no_peers_one_sync_per_call),
	    cmocka_unit_test(test_unauthenticated_never_logged),
	    cmocka_unit_test(test_failed_store_stops_everything),
	    cmocka_unit_test(test_block_already_stored),
	    cmocka_unit_test(test_replay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
