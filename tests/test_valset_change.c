/* The pool of pending validator-set changes (core/valset_change.h): every
 * rule of nt_changepool_add and the nt_change_check_* functions on a real
 * version 2 genesis with BIP-340 keys, each refusal with its reason and the
 * pool unchanged after it; accumulation, ready at quorum, prune, find, the
 * wire form, and a ready change put into a block that the ledger takes
 * (and one below quorum that it refuses). */
#include "tests/testutil.h"

#include "core/ledger.h"
#include "core/valset_change.h"
#include "crypto/digest.h"
#include "tests/ledger_fix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fixture: a 4-validator version 2 chain at height 0, an outsider's
 * key, the set s5 (the four and office E, whose key is `extra`) and an
 * empty pool judged against the chain's next change (index 0). */
typedef struct {
	fix *f;
	nt_seckey *outsider;
	nt_seckey *extra;
	nt_change_ctx ctx;
	nt_changepool *p;
	nt_valset s5;
	uint8_t vb[NT_VALSET_BYTES_MAX]; /* valset_bytes of s5 */
	size_t vl;
	nt_hash vh; /* H(vb) */
} ct;

static fix *v2_fix(void)
{
	fix *f = fix_new(4, false);
	nt_ledger_free(f->l);
	f->l = NULL;
	f->g.version = 2;
	assert_int_equal(nt_genesis_seal(&f->g), NT_OK);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_open(f->kv, &f->g, &f->l, &why), NT_OK);
	return f;
}

static size_t encode_set(const nt_valset *s, uint8_t *out)
{
	size_t n = 0;
	assert_int_equal(nt_valset_encode(s, out, NT_VALSET_BYTES_MAX, &n), NT_OK);
	return n;
}

static int setup(void **state)
{
	tu_seed();
	ct *t = calloc(1, sizeof *t);
	assert_non_null(t);
	t->f = v2_fix();
	assert_int_equal(nt_seckey_generate(&t->outsider), NT_OK);
	assert_int_equal(nt_seckey_generate(&t->extra), NT_OK);
	t->s5 = t->f->g.vals;
	t->s5.n = 5;
	nt_seckey_pubkey(t->extra, &t->s5.keys[4]);
	snprintf(t->s5.names[4], sizeof t->s5.names[4], "Office E");
	t->vl = encode_set(&t->s5, t->vb);
	nt_sha256(t->vb, t->vl, &t->vh);
	assert_int_equal(nt_change_ctx_init(&t->ctx, &t->f->g, nt_ledger_next_valset(t->f->l),
					    nt_ledger_change_count(t->f->l)),
			 NT_OK);
	assert_int_equal(t->ctx.change_index, 0);
	assert_int_equal(nt_changepool_new(&t->p), NT_OK);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	ct *t = *state;
	nt_changepool_free(t->p);
	nt_seckey_free(t->outsider);
	nt_seckey_free(t->extra);
	fix_free(t->f);
	free(t);
	return 0;
}

/* An approval by key k as validator index of the change from vh to nh,
 * change ci, on chain (chain_id, gh). */
static void sign_as(const nt_seckey *k, uint16_t index, const char *chain_id, const nt_hash *gh,
		    uint64_t ci, const nt_hash *vh, const nt_hash *nh, nt_approval *a)
{
	nt_hash msg;
	assert_int_equal(nt_valset_approval_hash(chain_id, gh, ci, vh, nh, &msg), NT_OK);
	a->index = index;
	assert_int_equal(nt_sign(k, &msg, &a->sig), NT_OK);
}

/* A valid approval by validator i of the change to nh under t->ctx. */
static void approve(const ct *t, uint16_t i, const nt_hash *nh, nt_approval *a)
{
	const nt_genesis *g = &t->f->g;
	sign_as(t->f->vkeys[i], i, g->chain_id, &g->genesis_hash, t->ctx.change_index,
		&t->ctx.cur_hash, nh, a);
}

/* Approvals by the validators in mask (bit i = index i) of the change to nh. */
static uint16_t approve_mask(const ct *t, unsigned mask, const nt_hash *nh, nt_approval *ap)
{
	uint16_t n = 0;
	for (uint16_t i = 0; i < 4; i++)
		if (mask & (1u << i))
			approve(t, i, nh, &ap[n++]);
	return n;
}

static void add_ok(ct *t, uint64_t ci, const uint8_t *sb, size_t sl, const nt_approval *ap,
		   uint16_t n, unsigned want_added)
{
	nt_why why = {{0}};
	unsigned added = 99;
	if (nt_changepool_add(t->p, &t->ctx, ci, sb, sl, ap, n, &added, &why) != NT_OK)
		fail_msg("add: %s", why.msg);
	assert_int_equal(added, want_added);
}

/* What the pool holds, to show that a refusal changed nothing. */
typedef struct {
	size_t n;
	uint64_t ci[NT_CHANGEPOOL_MAX];
	nt_hash h[NT_CHANGEPOOL_MAX];
	uint16_t na[NT_CHANGEPOOL_MAX];
	nt_approval ap[NT_CHANGEPOOL_MAX][4];
} snap;

static void take(const nt_changepool *p, snap *s)
{
	memset(s, 0, sizeof *s);
	s->n = nt_changepool_count(p);
	for (size_t i = 0; i < s->n; i++) {
		const nt_change *c = nt_changepool_at(p, i);
		assert_true(c->n <= 4);
		s->ci[i] = c->change_index;
		s->h[i] = c->next_hash;
		s->na[i] = c->n;
		memcpy(s->ap[i], c->approvals, c->n * sizeof(nt_approval));
	}
}

/* The call is refused with e and a reason containing what; the pool is as
 * it was. */
static void add_refused(ct *t, uint64_t ci, const uint8_t *sb, size_t sl, const nt_approval *ap,
			uint16_t n, nt_err e, const char *what)
{
	snap before, after;
	take(t->p, &before);
	nt_why why = {{0}};
	unsigned added = 99;
	nt_err got = nt_changepool_add(t->p, &t->ctx, ci, sb, sl, ap, n, &added, &why);
	if (got != e)
		fail_msg("add: %s (%d), expected %s (%d) '%s'", nt_strerror(got), got,
			 nt_strerror(e), e, why.msg);
	if (strstr(why.msg, what) == NULL)
		fail_msg("refusal '%s', expected '%s'", why.msg, what);
	assert_int_equal(added, 0);
	take(t->p, &after);
	assert_memory_equal(&before, &after, sizeof before);
}

/* ---- the context and bad arguments ---- */

static void test_ctx_and_bad_arguments(void **state)
{
	ct *t = *state;
	nt_change_ctx c;
	assert_int_equal(nt_change_ctx_init(NULL, &t->f->g, &t->f->g.vals, 0), NT_ERR_ARG);
	assert_int_equal(nt_change_ctx_init(&c, NULL, &t->f->g.vals, 0), NT_ERR_ARG);
	assert_int_equal(nt_change_ctx_init(&c, &t->f->g, NULL, 0), NT_ERR_ARG);
	/* The context's hash is the chain's version 2 validators_hash. */
	assert_memory_equal(&t->ctx.cur_hash, &t->f->g.validators_hash, sizeof(nt_hash));
	nt_approval a;
	approve(t, 0, &t->vh, &a);
	nt_why why = {{0}};
	unsigned added = 99;
	assert_int_equal(nt_changepool_add(NULL, &t->ctx, 0, t->vb, t->vl, &a, 1, &added, &why),
			 NT_ERR_ARG);
	assert_int_equal(added, 0);
	add_refused(t, 0, NULL, t->vl, &a, 1, NT_ERR_ARG, "no change");
	add_refused(t, 0, t->vb, t->vl, NULL, 1, NT_ERR_ARG, "no change");
	assert_int_equal(nt_changepool_add(t->p, NULL, 0, t->vb, t->vl, &a, 1, &added, &why),
			 NT_ERR_ARG);
	/* More approvals than any set has validators. */
	nt_approval *many = calloc(NT_MAX_VALIDATORS + 1, sizeof *many);
	assert_non_null(many);
	add_refused(t, 0, t->vb, t->vl, many, NT_MAX_VALIDATORS + 1, NT_ERR_RANGE,
		    "129 approvals, more than 128");
	free(many);
	assert_int_equal(nt_changepool_count(t->p), 0);
}

/* ---- nt_changepool_add: accepted ---- */

static void test_add_first_approval(void **state)
{
	ct *t = *state;
	nt_approval a;
	approve(t, 2, &t->vh, &a);
	add_ok(t, 0, t->vb, t->vl, &a, 1, 1);
	assert_int_equal(nt_changepool_count(t->p), 1);
	const nt_change *c = nt_changepool_at(t->p, 0);
	assert_non_null(c);
	assert_null(nt_changepool_at(t->p, 1));
	assert_int_equal(c->change_index, 0);
	assert_int_equal(c->set_len, t->vl);
	assert_memory_equal(c->set_bytes, t->vb, t->vl);
	assert_memory_equal(&c->next_hash, &t->vh, sizeof t->vh);
	assert_int_equal(c->next->n, 5);
	assert_memory_equal(c->next->keys, t->s5.keys, 5 * sizeof(nt_pubkey));
	assert_string_equal(c->next->names[4], "Office E");
	assert_int_equal(c->n, 1);
	assert_memory_equal(&c->approvals[0], &a, sizeof a);
	/* The pool keeps its own copy of the set. */
	assert_ptr_not_equal(c->set_bytes, t->vb);
}

static void test_add_accumulates_and_skips_repeats(void **state)
{
	ct *t = *state;
	nt_approval ap[4];
	uint16_t n = approve_mask(t, 0x1, &t->vh, ap);
	add_ok(t, 0, t->vb, t->vl, ap, n, 1);
	n = approve_mask(t, 0x6, &t->vh, ap); /* 1, 2 */
	add_ok(t, 0, t->vb, t->vl, ap, n, 2);
	n = approve_mask(t, 0x3, &t->vh, ap); /* 0, 1 again: nothing new, not an error */
	add_ok(t, 0, t->vb, t->vl, ap, n, 0);
	n = approve_mask(t, 0xc, &t->vh, ap); /* 2 again, 3 new */
	add_ok(t, 0, t->vb, t->vl, ap, n, 1);
	assert_int_equal(nt_changepool_count(t->p), 1);
	const nt_change *c = nt_changepool_at(t->p, 0);
	assert_int_equal(c->n, 4);
	for (uint16_t i = 0; i < 4; i++)
		assert_int_equal(c->approvals[i].index, i);
	/* added may be NULL */
	nt_why why = {{0}};
	assert_int_equal(nt_changepool_add(t->p, &t->ctx, 0, t->vb, t->vl, ap, n, NULL, &why),
			 NT_OK);
}

/* ---- nt_changepool_add: refused, the pool unchanged ---- */

static void test_refuse_index_out_of_range(void **state)
{
	ct *t = *state;
	nt_approval a;
	/* office E's own key, as index 4: not a member of the current set yet */
	const nt_genesis *g = &t->f->g;
	sign_as(t->extra, 4, g->chain_id, &g->genesis_hash, 0, &t->ctx.cur_hash, &t->vh, &a);
	add_refused(t, 0, t->vb, t->vl, &a, 1, NT_ERR_RANGE, "names validator index 4");
	a.index = 0xffff;
	add_refused(t, 0, t->vb, t->vl, &a, 1, NT_ERR_RANGE, "names validator index 65535");
	assert_int_equal(nt_change_check_approval(&t->ctx, &t->vh, &a, NULL), NT_ERR_RANGE);
}

static void test_refuse_outsider_signature(void **state)
{
	ct *t = *state;
	nt_approval a;
	const nt_genesis *g = &t->f->g;
	sign_as(t->outsider, 1, g->chain_id, &g->genesis_hash, 0, &t->ctx.cur_hash, &t->vh, &a);
	add_refused(t, 0, t->vb, t->vl, &a, 1, NT_ERR_SIGNATURE,
		    "approval of validator 1 (Office B) does not verify");
	/* A valid signature moved to another index does not verify either. */
	approve(t, 1, &t->vh, &a);
	a.index = 2;
	add_refused(t, 0, t->vb, t->vl, &a, 1, NT_ERR_SIGNATURE, "validator 2");
	/* A flipped bit. */
	approve(t, 1, &t->vh, &a);
	a.sig.b[10] ^= 0x20;
	add_refused(t, 0, t->vb, t->vl, &a, 1, NT_ERR_SIGNATURE, "does not verify");
}

static void test_refuse_same_validator_twice(void **state)
{
	ct *t = *state;
	nt_approval ap[3];
	approve(t, 0, &t->vh, &ap[0]);
	approve(t, 1, &t->vh, &ap[1]);
	ap[2] = ap[1];
	add_refused(t, 0, t->vb, t->vl, ap, 3, NT_ERR_RANGE,
		    "approval 2: validator 1 approves twice");
	/* Also when the pool holds the change already. */
	add_ok(t, 0, t->vb, t->vl, ap, 1, 1);
	add_refused(t, 0, t->vb, t->vl, &ap[1], 2, NT_ERR_RANGE, "validator 1 approves twice");
}

static void test_refuse_stale_change_index(void **state)
{
	ct *t = *state;
	/* The chain made its first change: the next one is 1. */
	assert_int_equal(nt_change_ctx_init(&t->ctx, &t->f->g, &t->f->g.vals, 1), NT_OK);
	nt_approval a;
	const nt_genesis *g = &t->f->g;
	sign_as(t->f->vkeys[0], 0, g->chain_id, &g->genesis_hash, 0, &t->ctx.cur_hash, &t->vh, &a);
	add_refused(t, 0, t->vb, t->vl, &a, 1, NT_ERR_CHAIN,
		    "is for change 0, but this chain's next change is 1 (that change is decided "
		    "already)");
	/* Given as change 1, the signature over change 0 does not verify. */
	add_refused(t, 1, t->vb, t->vl, &a, 1, NT_ERR_SIGNATURE, "does not verify for change 1");
}

static void test_refuse_future_change_index(void **state)
{
	ct *t = *state;
	nt_approval a;
	const nt_genesis *g = &t->f->g;
	sign_as(t->f->vkeys[0], 0, g->chain_id, &g->genesis_hash, 1, &t->ctx.cur_hash, &t->vh, &a);
	add_refused(t, 1, t->vb, t->vl, &a, 1, NT_ERR_CHAIN,
		    "this node has not seen the changes before it yet");
	add_refused(t, 0, t->vb, t->vl, &a, 1, NT_ERR_SIGNATURE, "does not verify for change 0");
}

static void test_refuse_other_set(void **state)
{
	ct *t = *state;
	/* Signed as if s5 were the current set. */
	nt_approval a;
	const nt_genesis *g = &t->f->g;
	sign_as(t->f->vkeys[3], 3, g->chain_id, &g->genesis_hash, 0, &t->vh, &t->vh, &a);
	add_refused(t, 0, t->vb, t->vl, &a, 1, NT_ERR_SIGNATURE, "another chain, set or change");
	/* Signed for another new set than the one given. */
	nt_valset s6 = t->s5;
	snprintf(s6.names[4], sizeof s6.names[4], "Office E2");
	uint8_t b6[NT_VALSET_BYTES_MAX];
	size_t l6 = encode_set(&s6, b6);
	nt_hash h6;
	nt_sha256(b6, l6, &h6);
	approve(t, 3, &h6, &a);
	add_refused(t, 0, t->vb, t->vl, &a, 1, NT_ERR_SIGNATURE, "does not verify");
	assert_int_equal(nt_change_check_approval(&t->ctx, &h6, &a, NULL), NT_OK);
}

static void test_refuse_other_chain(void **state)
{
	ct *t = *state;
	nt_approval a;
	const nt_genesis *g = &t->f->g;
	sign_as(t->f->vkeys[0], 0, "other-net.1", &g->genesis_hash, 0, &t->ctx.cur_hash, &t->vh,
		&a);
	add_refused(t, 0, t->vb, t->vl, &a, 1, NT_ERR_SIGNATURE, "does not verify");
	nt_hash gh = g->genesis_hash;
	gh.b[31] ^= 1;
	sign_as(t->f->vkeys[0], 0, g->chain_id, &gh, 0, &t->ctx.cur_hash, &t->vh, &a);
	add_refused(t, 0, t->vb, t->vl, &a, 1, NT_ERR_SIGNATURE, "does not verify");
}

static void test_refuse_empty_set(void **state)
{
	ct *t = *state;
	const uint8_t none[2] = {0, 0}; /* u16 n = 0 */
	nt_hash h;
	nt_sha256(none, sizeof none, &h);
	nt_approval a;
	approve(t, 0, &h, &a);
	add_refused(t, 0, none, sizeof none, &a, 1, NT_ERR_RANGE,
		    "the new validator set is invalid");
	nt_valset next;
	nt_why why = {{0}};
	assert_int_equal(nt_change_check_set(&t->ctx, none, sizeof none, &next, &why),
			 NT_ERR_RANGE);
	/* Truncated and trailing bytes are no set either. */
	approve(t, 0, &t->vh, &a);
	add_refused(t, 0, t->vb, t->vl - 1, &a, 1, NT_ERR_RANGE,
		    "the new validator set is invalid");
	assert_int_equal(nt_change_check_set(&t->ctx, t->vb, t->vl - 1, &next, &why), NT_ERR_RANGE);
}

static void test_refuse_duplicate_key(void **state)
{
	ct *t = *state;
	nt_valset dup = t->s5;
	dup.keys[4] = dup.keys[2];
	uint8_t db[NT_VALSET_BYTES_MAX];
	size_t dl = encode_set(&dup, db);
	nt_hash h;
	nt_sha256(db, dl, &h);
	nt_approval a;
	approve(t, 0, &h, &a);
	add_refused(t, 0, db, dl, &a, 1, NT_ERR_RANGE, "the new validator set is invalid");
}

static void test_refuse_same_set(void **state)
{
	ct *t = *state;
	uint8_t cb[NT_VALSET_BYTES_MAX];
	size_t cl = encode_set(&t->f->g.vals, cb);
	nt_hash h;
	nt_sha256(cb, cl, &h);
	assert_memory_equal(&h, &t->ctx.cur_hash, sizeof h);
	nt_approval a;
	approve(t, 0, &h, &a);
	add_refused(t, 0, cb, cl, &a, 1, NT_ERR_RANGE, "equals the current one");
	/* The same keys under other names are another set (names are hashed). */
	nt_valset renamed = t->f->g.vals;
	snprintf(renamed.names[0], sizeof renamed.names[0], "Office A (renamed)");
	cl = encode_set(&renamed, cb);
	nt_sha256(cb, cl, &h);
	nt_valset next;
	nt_why why = {{0}};
	assert_int_equal(nt_change_check_set(&t->ctx, cb, cl, &next, &why), NT_OK);
}

static void test_refuse_zero_approvals(void **state)
{
	ct *t = *state;
	nt_approval a;
	approve(t, 0, &t->vh, &a);
	add_refused(t, 0, t->vb, t->vl, &a, 0, NT_ERR_ARG, "needs at least one approval");
	add_refused(t, 0, t->vb, t->vl, NULL, 0, NT_ERR_ARG, "needs at least one approval");
	/* Also for a change the pool holds already. */
	add_ok(t, 0, t->vb, t->vl, &a, 1, 1);
	add_refused(t, 0, t->vb, t->vl, &a, 0, NT_ERR_ARG, "needs at least one approval");
}

static void test_refuse_version1_chain(void **state)
{
	ct *t = *state;
	fix *f1 = fix_new(4, false); /* version 1 */
	nt_change_ctx ctx1;
	assert_int_equal(nt_change_ctx_init(&ctx1, &f1->g, nt_ledger_next_valset(f1->l), 0), NT_OK);
	nt_approval a;
	sign_as(f1->vkeys[0], 0, f1->g.chain_id, &f1->g.genesis_hash, 0, &ctx1.cur_hash, &t->vh,
		&a);
	/* A valid signature: only the chain's version refuses it. */
	assert_int_equal(nt_change_check_approval(&ctx1, &t->vh, &a, NULL), NT_OK);
	nt_why why = {{0}};
	unsigned added = 99;
	assert_int_equal(nt_changepool_add(t->p, &ctx1, 0, t->vb, t->vl, &a, 1, &added, &why),
			 NT_ERR_CHAIN);
	assert_non_null(strstr(why.msg, "version 1 chain keeps its genesis set"));
	assert_int_equal(added, 0);
	assert_int_equal(nt_changepool_count(t->p), 0);
	fix_free(f1);
}

/* A set of s5's keys whose fifth office is named after k: a distinct
 * change per k. */
static size_t variant(const ct *t, unsigned k, uint8_t *out, nt_hash *h)
{
	nt_valset s = t->s5;
	snprintf(s.names[4], sizeof s.names[4], "Office E %u", k);
	size_t l = encode_set(&s, out);
	nt_sha256(out, l, h);
	return l;
}

static void test_refuse_pool_full(void **state)
{
	ct *t = *state;
	uint8_t b[NT_VALSET_BYTES_MAX];
	nt_hash h;
	nt_approval a;
	for (unsigned k = 0; k < NT_CHANGEPOOL_MAX; k++) {
		size_t l = variant(t, k, b, &h);
		approve(t, 0, &h, &a);
		add_ok(t, 0, b, l, &a, 1, 1);
	}
	assert_int_equal(nt_changepool_count(t->p), NT_CHANGEPOOL_MAX);
	size_t l = variant(t, NT_CHANGEPOOL_MAX, b, &h);
	approve(t, 0, &h, &a);
	add_refused(t, 0, b, l, &a, 1, NT_ERR_FULL, "8 other set changes are waiting");
	/* A full pool still takes approvals of the changes it holds. */
	l = variant(t, 3, b, &h);
	approve(t, 1, &h, &a);
	add_ok(t, 0, b, l, &a, 1, 1);
	assert_int_equal(nt_changepool_at(t->p, 3)->n, 2);
	/* An invalid approval of a new change is refused for what it is. */
	l = variant(t, NT_CHANGEPOOL_MAX + 1, b, &h);
	approve(t, 1, &h, &a);
	a.sig.b[0] ^= 1;
	add_refused(t, 0, b, l, &a, 1, NT_ERR_SIGNATURE, "does not verify");
}

static void test_all_or_nothing(void **state)
{
	ct *t = *state;
	nt_approval ap[4];
	uint16_t n = approve_mask(t, 0x7, &t->vh, ap);
	ap[2].sig.b[63] ^= 1; /* validator 2's is bad */
	add_refused(t, 0, t->vb, t->vl, ap, n, NT_ERR_SIGNATURE, "approval 2: ");
	assert_int_equal(nt_changepool_count(t->p), 0);
	/* And for a change the pool holds: one good, one outsider's. */
	add_ok(t, 0, t->vb, t->vl, ap, 1, 1);
	const nt_genesis *g = &t->f->g;
	approve(t, 1, &t->vh, &ap[0]);
	sign_as(t->outsider, 3, g->chain_id, &g->genesis_hash, 0, &t->ctx.cur_hash, &t->vh, &ap[1]);
	add_refused(t, 0, t->vb, t->vl, ap, 2, NT_ERR_SIGNATURE, "approval 1: ");
	assert_int_equal(nt_changepool_at(t->p, 0)->n, 1);
	/* One out of range after good ones. */
	approve(t, 3, &t->vh, &ap[1]);
	ap[2] = ap[1];
	ap[2].index = 7;
	add_refused(t, 0, t->vb, t->vl, ap, 3, NT_ERR_RANGE, "approval 2: ");
	assert_int_equal(nt_changepool_at(t->p, 0)->n, 1);
}

/* ---- ready, prune, find ---- */

static void test_ready_at_quorum(void **state)
{
	ct *t = *state;
	assert_int_equal(nt_valset_quorum(&t->f->g.vals), 3); /* floor(8/3) + 1 */
	assert_int_equal(nt_valset_quorum(&t->s5), 4);	      /* floor(10/3) + 1 */
	assert_null(nt_changepool_ready(t->p, &t->ctx));
	uint8_t b[NT_VALSET_BYTES_MAX];
	nt_hash h;
	size_t l = variant(t, 0, b, &h);
	nt_approval ap[4];
	uint16_t n = approve_mask(t, 0x3, &h, ap); /* change A: 2 of 4 */
	add_ok(t, 0, b, l, ap, n, 2);
	n = approve_mask(t, 0x3, &t->vh, ap); /* change B: 2 of 4 */
	add_ok(t, 0, t->vb, t->vl, ap, n, 2);
	assert_null(nt_changepool_ready(t->p, &t->ctx));
	n = approve_mask(t, 0x8, &t->vh, ap); /* B reaches 3 */
	add_ok(t, 0, t->vb, t->vl, ap, n, 1);
	const nt_change *r = nt_changepool_ready(t->p, &t->ctx);
	assert_ptr_equal(r, nt_changepool_at(t->p, 1));
	assert_memory_equal(&r->next_hash, &t->vh, sizeof t->vh);
	n = approve_mask(t, 0x4, &h, ap); /* A reaches 3 too: A is older */
	add_ok(t, 0, b, l, ap, n, 1);
	assert_ptr_equal(nt_changepool_ready(t->p, &t->ctx), nt_changepool_at(t->p, 0));
	/* Judged against the next change index, nothing is ready. */
	nt_change_ctx c1;
	assert_int_equal(nt_change_ctx_init(&c1, &t->f->g, &t->f->g.vals, 1), NT_OK);
	assert_null(nt_changepool_ready(t->p, &c1));
}

static void test_prune_other_change_index(void **state)
{
	ct *t = *state;
	nt_approval a;
	approve(t, 0, &t->vh, &a);
	add_ok(t, 0, t->vb, t->vl, &a, 1, 1); /* change 0 */
	nt_change_ctx c0 = t->ctx;
	assert_int_equal(nt_change_ctx_init(&t->ctx, &t->f->g, &t->f->g.vals, 1), NT_OK);
	uint8_t b[NT_VALSET_BYTES_MAX];
	nt_hash h;
	size_t l = variant(t, 0, b, &h);
	approve(t, 0, &h, &a); /* signed for change 1 */
	add_ok(t, 1, b, l, &a, 1, 1);
	assert_int_equal(nt_changepool_count(t->p), 2);
	nt_changepool_prune(t->p, &t->ctx); /* keeps change 1 */
	assert_int_equal(nt_changepool_count(t->p), 1);
	assert_int_equal(nt_changepool_at(t->p, 0)->change_index, 1);
	assert_memory_equal(&nt_changepool_at(t->p, 0)->next_hash, &h, sizeof h);
	nt_changepool_prune(t->p, &t->ctx); /* idempotent */
	assert_int_equal(nt_changepool_count(t->p), 1);
	nt_changepool_prune(t->p, &c0);
	assert_int_equal(nt_changepool_count(t->p), 0);
	nt_changepool_prune(t->p, &c0); /* an empty pool */
	assert_int_equal(nt_changepool_count(t->p), 0);
}

/* prune and ready judge approvals by the set they were signed for too, not
 * only by the change index (core/valset_change.h). */
static void test_prune_other_current_set(void **state)
{
	ct *t = *state;
	uint8_t b[NT_VALSET_BYTES_MAX];
	nt_hash h;
	size_t l = variant(t, 0, b, &h);
	nt_approval ap[4];
	uint16_t n = approve_mask(t, 0xf, &h, ap); /* all 4: a quorum of 4 and of 5 */
	add_ok(t, 0, b, l, ap, n, 4);
	assert_non_null(nt_changepool_ready(t->p, &t->ctx));
	/* Judged against another current set (s5) at the same change index,
	 * these approvals are for another set: not ready, pruned. */
	nt_change_ctx c5;
	assert_int_equal(nt_change_ctx_init(&c5, &t->f->g, &t->s5, 0), NT_OK);
	assert_null(nt_changepool_ready(t->p, &c5));
	nt_changepool_prune(t->p, &t->ctx);
	assert_int_equal(nt_changepool_count(t->p), 1);
	nt_changepool_prune(t->p, &c5);
	assert_int_equal(nt_changepool_count(t->p), 0);
}

static void test_find_by_prefix(void **state)
{
	ct *t = *state;
	/* Two changes whose next_hash share the first byte. */
	uint8_t b[2][NT_VALSET_BYTES_MAX];
	size_t l[2];
	nt_hash h[2];
	uint8_t firsts[256];
	unsigned owner[256];
	memset(firsts, 0, sizeof firsts);
	memset(owner, 0, sizeof owner);
	unsigned k = 0;
	for (;; k++) {
		assert_true(k < 5000);
		nt_hash hk;
		uint8_t tmp[NT_VALSET_BYTES_MAX];
		variant(t, k, tmp, &hk);
		if (firsts[hk.b[0]]) {
			l[0] = variant(t, owner[hk.b[0]], b[0], &h[0]);
			l[1] = variant(t, k, b[1], &h[1]);
			break;
		}
		firsts[hk.b[0]] = 1;
		owner[hk.b[0]] = k;
	}
	assert_int_equal(h[0].b[0], h[1].b[0]);
	nt_approval a;
	assert_null(nt_changepool_find(t->p, h[0].b, 1)); /* empty pool */
	for (int i = 0; i < 2; i++) {
		approve(t, 0, &h[i], &a);
		add_ok(t, 0, b[i], l[i], &a, 1, 1);
	}
	assert_null(nt_changepool_find(t->p, h[0].b, 1)); /* ambiguous */
	size_t common = 1;
	while (h[0].b[common] == h[1].b[common])
		common++;
	assert_null(nt_changepool_find(t->p, h[0].b, common));
	for (int i = 0; i < 2; i++) {
		const nt_change *c = nt_changepool_find(t->p, h[i].b, common + 1);
		assert_non_null(c);
		assert_memory_equal(&c->next_hash, &h[i], sizeof h[i]);
		assert_ptr_equal(nt_changepool_find(t->p, h[i].b, NT_HASH_LEN), c);
	}
	/* A prefix nobody has, and lengths out of 1..32. */
	uint8_t other[NT_HASH_LEN + 1];
	memcpy(other, h[0].b, NT_HASH_LEN);
	other[NT_HASH_LEN - 1] ^= 1;
	assert_null(nt_changepool_find(t->p, other, NT_HASH_LEN));
	assert_null(nt_changepool_find(t->p, h[0].b, 0));
	other[NT_HASH_LEN - 1] ^= 1;
	other[NT_HASH_LEN] = 0;
	assert_null(nt_changepool_find(t->p, other, NT_HASH_LEN + 1));
}

/* ---- wire form ---- */

static void test_wire_round_trip(void **state)
{
	ct *t = *state;
	nt_approval ap[4];
	uint16_t n = approve_mask(t, 0xb, &t->vh, ap);
	add_ok(t, 0, t->vb, t->vl, ap, n, 3);
	const nt_change *c = nt_changepool_at(t->p, 0);
	uint8_t *w = NULL;
	size_t wl = 0;
	assert_int_equal(nt_change_encode(c->change_index, c->set_bytes, c->set_len, c->approvals,
					  c->n, &w, &wl),
			 NT_OK);
	assert_int_equal(wl, 8 + 4 + t->vl + 2 + 3 * (2 + NT_SIG_LEN));
	uint64_t ci = 99;
	const uint8_t *sb = NULL;
	size_t sl = 0;
	nt_approval got[NT_MAX_VALIDATORS];
	uint16_t gn = 0;
	nt_why why = {{0}};
	assert_int_equal(nt_change_decode(w, wl, &ci, &sb, &sl, got, &gn, &why), NT_OK);
	assert_int_equal(ci, 0);
	assert_ptr_equal(sb, w + 12); /* a view into the buffer */
	assert_int_equal(sl, t->vl);
	assert_memory_equal(sb, t->vb, t->vl);
	assert_int_equal(gn, 3);
	assert_memory_equal(got, c->approvals, 3 * sizeof(nt_approval));
	/* What was decoded adds to a fresh pool as the same change. */
	nt_changepool *q = NULL;
	assert_int_equal(nt_changepool_new(&q), NT_OK);
	unsigned added = 0;
	assert_int_equal(nt_changepool_add(q, &t->ctx, ci, sb, sl, got, gn, &added, &why), NT_OK);
	assert_int_equal(added, 3);
	assert_memory_equal(&nt_changepool_at(q, 0)->next_hash, &t->vh, sizeof t->vh);
	nt_changepool_free(q);
	free(w);
	/* A large change index and zero approvals encode too (decode is
	 * structural only: add refuses n = 0). */
	assert_int_equal(nt_change_encode(UINT64_MAX - 1, t->vb, t->vl, NULL, 0, &w, &wl), NT_OK);
	assert_int_equal(nt_change_decode(w, wl, &ci, &sb, &sl, got, &gn, &why), NT_OK);
	assert_int_equal(ci, UINT64_MAX - 1);
	assert_int_equal(gn, 0);
	free(w);
	nt_changepool_free(NULL);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void decode_refused(const uint8_t *w, size_t wl, nt_err e, const char *what)
{
	uint64_t ci = 77;
	const uint8_t *sb = (const uint8_t *)"x";
	size_t sl = 77;
	uint16_t n = 77;
	nt_approval *ap = calloc(NT_MAX_VALIDATORS, sizeof *ap);
	assert_non_null(ap);
	nt_why why = {{0}};
	nt_err got = nt_change_decode(w, wl, &ci, &sb, &sl, ap, &n, &why);
	if (got != e)
		fail_msg("decode of %zu bytes: %s (%d) '%s', expected %s", wl, nt_strerror(got),
			 got, why.msg, nt_strerror(e));
	if (strstr(why.msg, what) == NULL)
		fail_msg("refusal '%s', expected '%s'", why.msg, what);
	/* Outputs untouched on failure. */
	assert_int_equal(ci, 77);
	assert_string_equal((const char *)sb, "x");
	assert_int_equal(sl, 77);
	assert_int_equal(n, 77);
	nt_approval zero;
	memset(&zero, 0, sizeof zero);
	for (size_t i = 0; i < NT_MAX_VALIDATORS; i++)
		assert_memory_equal(&ap[i], &zero, sizeof zero);
	free(ap);
}

static void test_wire_strict_decode(void **state)
{
	ct *t = *state;
	nt_approval ap[4];
	uint16_t n = approve_mask(t, 0x7, &t->vh, ap);
	uint8_t *w = NULL;
	size_t wl = 0;
	assert_int_equal(nt_change_encode(0, t->vb, t->vl, ap, n, &w, &wl), NT_OK);
	/* every truncation */
	for (size_t cut = 0; cut < wl; cut++) {
		uint64_t ci;
		const uint8_t *sb;
		size_t sl;
		nt_approval got[NT_MAX_VALIDATORS];
		uint16_t gn;
		nt_why why = {{0}};
		nt_err e = nt_change_decode(w, cut, &ci, &sb, &sl, got, &gn, &why);
		if (e != NT_ERR_DECODE || strstr(why.msg, "truncated") == NULL)
			fail_msg("cut at %zu: %s '%s'", cut, nt_strerror(e), why.msg);
	}
	decode_refused(w, 3, NT_ERR_DECODE, "set change is truncated");
	decode_refused(w, 12 + t->vl, NT_ERR_DECODE, "truncated in its new set");
	decode_refused(w, wl - 1, NT_ERR_DECODE, "truncated or followed by extra bytes");
	/* a trailing byte */
	uint8_t *big = calloc(1, NT_CHANGE_WIRE_MAX + 2);
	assert_non_null(big);
	memcpy(big, w, wl);
	decode_refused(big, wl + 1, NT_ERR_DECODE, "truncated or followed by extra bytes");
	/* a zero-length set */
	uint8_t z[8 + 4 + 2] = {0};
	decode_refused(z, sizeof z, NT_ERR_RANGE, "new set has length 0");
	/* a set longer than any valset_bytes */
	memcpy(big, w, 8);
	put32(big + 8, NT_VALSET_BYTES_MAX + 1);
	decode_refused(big, 12 + NT_VALSET_BYTES_MAX + 1 + 2, NT_ERR_RANGE, "new set has length");
	/* too many approvals: n = NT_MAX_VALIDATORS + 1, all there */
	size_t at = 12 + t->vl;
	memcpy(big, w, at);
	put16(big + at, NT_MAX_VALIDATORS + 1);
	decode_refused(big, at + 2, NT_ERR_RANGE, "129 approvals, more than 128");
	/* larger than any wire form */
	decode_refused(big, NT_CHANGE_WIRE_MAX + 1, NT_ERR_RANGE, "too large");
	/* n says 2 but 3 are there; n says 4 but 3 are there */
	memcpy(big, w, wl);
	put16(big + at, 2);
	decode_refused(big, wl, NT_ERR_DECODE, "followed by extra bytes");
	put16(big + at, 4);
	decode_refused(big, wl, NT_ERR_DECODE, "truncated");
	/* encode's own bounds */
	uint8_t *o = NULL;
	size_t ol = 0;
	assert_int_equal(nt_change_encode(0, t->vb, 0, ap, n, &o, &ol), NT_ERR_RANGE);
	assert_int_equal(nt_change_encode(0, t->vb, t->vl, ap, NT_MAX_VALIDATORS + 1, &o, &ol),
			 NT_ERR_RANGE);
	assert_int_equal(nt_change_encode(0, t->vb, t->vl, NULL, 1, &o, &ol), NT_ERR_ARG);
	assert_null(o);
	free(big);
	free(w);
}

/* ---- into a block ---- */

/* The next block (no records), proposed by its proposer in the current set. */
static nt_block *propose(ct *t)
{
	fix *f = t->f;
	f->now += 1000;
	const nt_valset *cur = nt_ledger_next_valset(f->l);
	uint64_t h = nt_ledger_height(f->l) + 1;
	nt_pubkey prop = cur->keys[h % cur->n];
	const uint8_t *recs[1] = {NULL};
	size_t lens[1] = {0};
	nt_block *b = NULL;
	assert_int_equal(nt_ledger_propose(f->l, recs, lens, 0, f->now, &prop, &b), NT_OK);
	return b;
}

static void test_apply_ready_change_to_block(void **state)
{
	ct *t = *state;
	fix *f = t->f;
	grow(f, 2); /* height 1: a plain block */
	nt_approval ap[4];
	uint16_t n = approve_mask(t, 0xd, &t->vh, ap); /* 0, 2, 3 */
	add_ok(t, 0, t->vb, t->vl, ap, n, 3);
	const nt_change *c = nt_changepool_ready(t->p, &t->ctx);
	assert_non_null(c);
	nt_block *b = propose(t);
	assert_false(nt_header_is_change(&b->header));
	assert_int_equal(nt_change_apply_to_block(c, b), NT_OK);
	assert_true(nt_header_is_change(&b->header));
	assert_memory_equal(&b->header.next_validators_hash, &t->vh, sizeof t->vh);
	assert_int_equal(b->valset_len, t->vl);
	assert_memory_equal(b->valset_bytes, t->vb, t->vl);
	assert_int_equal(b->napprovals, 3);
	nt_why why = {{0}};
	if (nt_ledger_check_block(f->l, b, NULL, f->now, 5000, NULL, NULL, &why) != NT_OK)
		fail_msg("check_block: %s", why.msg);
	nt_commit cm;
	sign_commit(f, b, 0xf, 0, &cm);
	if (nt_ledger_append(f->l, b, &cm, NULL, &why) != NT_OK)
		fail_msg("append: %s", why.msg);
	nt_block_free(b);
	assert_int_equal(nt_ledger_height(f->l), 2);
	assert_int_equal(nt_ledger_change_count(f->l), 1);
	const nt_valset *next = nt_ledger_next_valset(f->l);
	assert_int_equal(next->n, 5);
	assert_memory_equal(next->keys, t->s5.keys, 5 * sizeof(nt_pubkey));
	assert_string_equal(next->names[4], "Office E");

	/* The chain moved on: the pool drops the landed change, and its
	 * approvals are stale. */
	assert_int_equal(nt_change_ctx_init(&t->ctx, &f->g, next, nt_ledger_change_count(f->l)),
			 NT_OK);
	assert_memory_equal(&t->ctx.cur_hash, &t->vh, sizeof t->vh);
	assert_null(nt_changepool_ready(t->p, &t->ctx));
	nt_changepool_prune(t->p, &t->ctx);
	assert_int_equal(nt_changepool_count(t->p), 0);
	add_refused(t, 0, t->vb, t->vl, ap, n, NT_ERR_CHAIN, "that change is decided already");
	/* Proposing s5 again is no change now. */
	nt_approval a;
	sign_as(t->extra, 4, f->g.chain_id, &f->g.genesis_hash, 1, &t->vh, &t->vh, &a);
	assert_int_equal(nt_change_check_approval(&t->ctx, &t->vh, &a, NULL), NT_OK);
	add_refused(t, 1, t->vb, t->vl, &a, 1, NT_ERR_RANGE, "equals the current one");
}

static void test_apply_needs_version2_block(void **state)
{
	ct *t = *state;
	nt_approval a;
	approve(t, 0, &t->vh, &a);
	add_ok(t, 0, t->vb, t->vl, &a, 1, 1);
	const nt_change *c = nt_changepool_at(t->p, 0);
	nt_block *b = propose(t);
	b->header.version = 1;
	assert_int_equal(nt_change_apply_to_block(c, b), NT_ERR_CHAIN);
	assert_null(b->valset_bytes);
	assert_int_equal(nt_change_apply_to_block(NULL, b), NT_ERR_ARG);
	assert_int_equal(nt_change_apply_to_block(c, NULL), NT_ERR_ARG);
	nt_block_free(b);
}

static void test_block_below_quorum_refused(void **state)
{
	ct *t = *state;
	fix *f = t->f;
	nt_approval ap[4];
	uint16_t n = approve_mask(t, 0x5, &t->vh, ap); /* 2 of 4 */
	add_ok(t, 0, t->vb, t->vl, ap, n, 2);
	assert_null(nt_changepool_ready(t->p, &t->ctx));
	nt_block *b = propose(t);
	assert_int_equal(nt_change_apply_to_block(nt_changepool_at(t->p, 0), b), NT_OK);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_check_block(f->l, b, NULL, f->now, 5000, NULL, NULL, &why),
			 NT_ERR_CHAIN);
	assert_non_null(strstr(why.msg, "has 2 approvals, the current set needs 3"));
	nt_commit cm;
	sign_commit(f, b, 0xf, 0, &cm);
	memset(&why, 0, sizeof why);
	assert_int_equal(nt_ledger_append(f->l, b, &cm, NULL, &why), NT_ERR_CHAIN);
	assert_non_null(strstr(why.msg, "needs 3"));
	assert_int_equal(nt_ledger_height(f->l), 0);
	assert_int_equal(nt_ledger_change_count(f->l), 0);
	nt_block_free(b);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_ctx_and_bad_arguments),
	    T(test_add_first_approval),
	    T(test_add_accumulates_and_skips_repeats),
	    T(test_refuse_index_out_of_range),
	    T(test_refuse_outsider_signature),
	    T(test_refuse_same_validator_twice),
	    T(test_refuse_stale_change_index),
	    T(test_refuse_future_change_index),
	    T(test_refuse_other_set),
	    T(test_refuse_other_chain),
	    T(test_refuse_empty_set),
	    T(test_refuse_duplicate_key),
	    T(test_refuse_same_set),
	    T(test_refuse_zero_approvals),
	    T(test_refuse_version1_chain),
	    T(test_refuse_pool_full),
	    T(test_all_or_nothing),
	    T(test_ready_at_quorum),
	    T(test_prune_other_change_index),
	    T(test_prune_other_current_set),
	    T(test_find_by_prefix),
	    T(test_wire_round_trip),
	    T(test_wire_strict_decode),
	    T(test_apply_ready_change_to_block),
	    T(test_apply_needs_version2_block),
	    T(test_block_below_quorum_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
