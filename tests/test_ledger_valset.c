/* Validator-set changes in a version 2 ledger (FORMATS.md "Changing the
 * validator set"): change blocks with approvals, the new set committing
 * from the next height, the stored changes across a reopen, receipts that
 * carry the changes, and every refusal. */
#include "tests/testutil.h"

#include "core/ledger.h"
#include "core/receipt.h"
#include "crypto/digest.h"
#include "tests/ledger_fix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NK 8

typedef struct {
	fix *f;
	nt_seckey *pool[NK];	   /* every key ever used: 0..3 genesis, 4 added, 5 rotated in */
	nt_valset cur;		   /* the set that commits the next block */
	int ck[NT_MAX_VALIDATORS]; /* pool index of each member of cur */
	nt_valset old;		   /* the set before the last change */
	int ok[NT_MAX_VALIDATORS];
	uint64_t ids_at[16]; /* a record id index (into f) per height */
} vt;

static vt *vt_new(void)
{
	vt *t = calloc(1, sizeof *t);
	assert_non_null(t);
	t->f = fix_new(4, true);
	fix *f = t->f;
	nt_ledger_free(f->l);
	f->l = NULL;
	f->g.version = 2;
	assert_int_equal(nt_genesis_seal(&f->g), NT_OK);
	nt_why why = {{0}};
	assert_int_equal(nt_ledger_open(f->kv, &f->g, &f->l, &why), NT_OK);
	for (int i = 0; i < 4; i++)
		t->pool[i] = f->vkeys[i];
	for (int i = 4; i < NK; i++)
		assert_int_equal(nt_seckey_generate(&t->pool[i]), NT_OK);
	t->cur = f->g.vals;
	for (int i = 0; i < 4; i++)
		t->ck[i] = i;
	return t;
}

static void vt_free(vt *t)
{
	for (int i = 4; i < NK; i++)
		nt_seckey_free(t->pool[i]);
	fix_free(t->f);
	free(t);
}

/* A commit of b by the members of s (keys: pool indexes km) in mask. */
static void commit_by(vt *t, const nt_block *b, const nt_valset *s, const int *km, unsigned mask,
		      nt_commit *c)
{
	memset(c, 0, sizeof *c);
	c->height = b->header.height;
	assert_int_equal(nt_header_hash(&b->header, &c->block_hash), NT_OK);
	for (int i = 0; i < s->n; i++) {
		if (!(mask & (1u << i)))
			continue;
		nt_commit_sig *sg = &c->sigs[c->count++];
		sg->index = (uint16_t)i;
		sg->timestamp = b->header.time + (uint64_t)i;
		nt_hash msg;
		nt_vote_sighash(NT_VOTE_PRECOMMIT, t->f->g.chain_id, c->height, 0, &c->block_hash,
				sg->timestamp, &msg);
		assert_int_equal(nt_sign(t->pool[km[i]], &msg, &sg->sig), NT_OK);
	}
}

/* The next block with n fresh records, proposed by a member of cur. */
static nt_block *vt_block(vt *t, uint32_t n, uint8_t digests[][32])
{
	fix *f = t->f;
	static uint8_t recbuf[4][NT_RECORD_MAX];
	size_t lens[4];
	const uint8_t *ptrs[4];
	assert_true(n <= 4);
	for (uint32_t i = 0; i < n; i++) {
		lens[i] = make_record(f, recbuf[i], digests[i], i % 2 == 0);
		ptrs[i] = recbuf[i];
	}
	f->now += 1000;
	uint64_t h = nt_ledger_height(f->l) + 1;
	nt_pubkey prop = t->cur.keys[h % t->cur.n];
	nt_block *b = NULL;
	assert_int_equal(nt_ledger_propose(f->l, ptrs, lens, n, f->now, &prop, &b), NT_OK);
	return b;
}

/* Makes b a change block to next, approved by the members of cur in mask
 * (signing with pool keys km, which may differ from the members' own) for
 * change change_index. */
static void make_change(vt *t, nt_block *b, const uint8_t *vb, size_t vl, const int *km,
			unsigned mask, uint64_t change_index)
{
	fix *f = t->f;
	nt_sha256(vb, vl, &b->header.next_validators_hash);
	nt_hash msg;
	assert_int_equal(nt_valset_approval_hash(f->g.chain_id, &f->g.genesis_hash, change_index,
						 &b->header.validators_hash,
						 &b->header.next_validators_hash, &msg),
			 NT_OK);
	nt_approval ap[NT_MAX_VALIDATORS];
	uint16_t n = 0;
	for (int i = 0; i < 16; i++) {
		if (!(mask & (1u << i)))
			continue;
		ap[n].index = (uint16_t)i;
		assert_int_equal(nt_sign(t->pool[km[i]], &msg, &ap[n].sig), NT_OK);
		n++;
	}
	assert_int_equal(nt_block_set_change(b, vb, vl, ap, n), NT_OK);
}

static size_t encode_set(const nt_valset *s, uint8_t *out)
{
	size_t n = 0;
	assert_int_equal(nt_valset_encode(s, out, NT_VALSET_BYTES_MAX, &n), NT_OK);
	return n;
}

static void expect_refused(vt *t, const nt_block *b, const char *what)
{
	nt_why why = {{0}};
	nt_err e = nt_ledger_check_block(t->f->l, b, NULL, 0, 0, NULL, NULL, &why);
	if (e == NT_OK)
		fail_msg("check_block accepted a block that should fail with '%s'", what);
	if (strstr(why.msg, what) == NULL)
		fail_msg("refusal '%s', expected '%s'", why.msg, what);
}

/* Checks and appends b with a commit by cur (all members); a change block
 * then moves cur to next (members in pool indexes nk). */
static void vt_append(vt *t, nt_block *b, uint8_t digests[][32], const nt_valset *next,
		      const int *nk)
{
	fix *f = t->f;
	nt_why why = {{0}};
	nt_commit c;
	commit_by(t, b, &t->cur, t->ck, (1u << t->cur.n) - 1, &c);
	if (nt_ledger_check_block(f->l, b, NULL, 0, 0, NULL, NULL, &why) != NT_OK)
		fail_msg("check_block: %s", why.msg);
	if (nt_ledger_append(f->l, b, &c, NULL, &why) != NT_OK)
		fail_msg("append: %s", why.msg);
	remember(f, b, digests);
	if (next != NULL) {
		t->old = t->cur;
		memcpy(t->ok, t->ck, sizeof t->ok);
		t->cur = *next;
		memcpy(t->ck, nk, sizeof t->ck);
	}
	assert_memory_equal(nt_ledger_next_valset(f->l)->keys, t->cur.keys,
			    t->cur.n * sizeof(nt_pubkey));
	nt_block_free(b);
}

static void plain_block(vt *t)
{
	uint8_t digests[4][32];
	nt_block *b = vt_block(t, 2, digests);
	vt_append(t, b, digests, NULL, NULL);
}

/* Every record's receipt verifies against the genesis alone and lists the
 * changes below its height. */
static void check_receipts(vt *t, const uint64_t *changes, size_t nchanges)
{
	fix *f = t->f;
	nt_receipt_verdict *v = malloc(sizeof *v);
	assert_non_null(v);
	for (int i = 0; i < f->nrec; i++) {
		char *json = NULL;
		assert_int_equal(nt_ledger_receipt(f->l, &f->ids[i], &json), NT_OK);
		nt_receipt *r = NULL;
		nt_why why = {{0}};
		if (nt_receipt_parse(json, strlen(json), &r, &why) != NT_OK)
			fail_msg("parse (height %llu): %s", (unsigned long long)f->heights[i],
				 why.msg);
		size_t want = 0;
		while (want < nchanges && changes[want] < f->heights[i])
			want++;
		assert_int_equal(r->change_count, want);
		if (nt_receipt_verify_full(r, &f->g, f->digests[i], 32, v, &why) != NT_OK)
			fail_msg("verify (height %llu): %s", (unsigned long long)f->heights[i],
				 why.msg);
		assert_int_equal(v->changes, want);
		nt_valset s;
		assert_int_equal(nt_ledger_valset_at(f->l, f->heights[i], &s), NT_OK);
		assert_int_equal(v->set.n, s.n);
		assert_memory_equal(v->set.keys, s.keys, s.n * sizeof(nt_pubkey));
		free(r);
		free(json);
	}
	free(v);
}

static void test_valset_changes(void **state)
{
	(void)state;
	tu_seed();
	vt *t = vt_new();
	fix *f = t->f;
	uint8_t vb[NT_VALSET_BYTES_MAX];
	uint8_t digests[4][32];
	nt_why why = {{0}};
	plain_block(t);
	plain_block(t);

	/* Height 3 adds a fifth office, approved by 3 of the 4. */
	nt_valset s5 = t->cur;
	s5.n = 5;
	nt_seckey_pubkey(t->pool[4], &s5.keys[4]);
	snprintf(s5.names[4], sizeof s5.names[4], "%s", "杭州互联网公证处");
	int k5[NT_MAX_VALIDATORS] = {0, 1, 2, 3, 4};
	size_t vl = encode_set(&s5, vb);

	nt_block *b = vt_block(t, 2, digests);
	/* refusals first */
	make_change(t, b, vb, vl, t->ck, 0x3, 0); /* too few: 2 of 4 */
	expect_refused(t, b, "has 2 approvals, the current set needs 3");
	int fake[16] = {4, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4};
	make_change(t, b, vb, vl, fake, 0x7, 0); /* a non-member signs as validator 0 */
	expect_refused(t, b, "approval 0: approval of validator 0 (");
	make_change(t, b, vb, vl, fake, 0x16, 0); /* index 4: not in the current set */
	expect_refused(t, b, "names validator index 4");
	{
		/* the same validator twice */
		nt_approval ap[3];
		nt_hash msg;
		assert_int_equal(nt_valset_approval_hash(f->g.chain_id, &f->g.genesis_hash, 0,
							 &b->header.validators_hash,
							 &b->header.next_validators_hash, &msg),
				 NT_OK);
		uint16_t idx[3] = {0, 1, 1};
		for (int i = 0; i < 3; i++) {
			ap[i].index = idx[i];
			assert_int_equal(nt_sign(t->pool[idx[i]], &msg, &ap[i].sig), NT_OK);
		}
		assert_int_equal(nt_block_set_change(b, vb, vl, ap, 3), NT_OK);
		expect_refused(t, b, "repeats validator index 1");
	}
	make_change(t, b, vb, vl, t->ck, 0x7, 1); /* approvals for another change_index */
	expect_refused(t, b, "does not verify for change 0");
	{
		/* a new set with a key twice */
		nt_valset dup = s5;
		dup.keys[4] = dup.keys[2];
		uint8_t db[NT_VALSET_BYTES_MAX];
		size_t dl = encode_set(&dup, db);
		make_change(t, b, db, dl, t->ck, 0x7, 0);
		expect_refused(t, b, "new validator set is invalid");
	}
	make_change(t, b, vb, vl, t->ck, 0x7, 0);
	b->header.next_validators_hash.b[0] ^= 1; /* section does not match the header */
	expect_refused(t, b, "does not hash to next_validators_hash");
	b->header.next_validators_hash.b[0] ^= 1;
	{
		/* a change header without its section, a section without a change */
		nt_block *c = vt_block(t, 0, digests);
		c->header.next_validators_hash = b->header.next_validators_hash;
		expect_refused(t, c, "carries no new validator set");
		c->header.next_validators_hash = c->header.validators_hash;
		assert_int_equal(nt_block_set_change(c, vb, vl, b->approvals, b->napprovals),
				 NT_OK);
		expect_refused(t, c, "its header does not change the set");
		nt_block_free(c);
		f->now -= 1000;
	}
	/* the block encoding carries the section */
	{
		uint8_t *enc = NULL;
		size_t el = 0;
		assert_int_equal(nt_block_encode(b, &enc, &el), NT_OK);
		nt_block *d = NULL;
		assert_int_equal(nt_block_decode(enc, el, &d, &why), NT_OK);
		assert_int_equal(d->valset_len, vl);
		assert_memory_equal(d->valset_bytes, vb, vl);
		assert_int_equal(d->napprovals, 3);
		assert_memory_equal(d->approvals, b->approvals, 3 * sizeof(nt_approval));
		assert_int_equal(nt_block_decode(enc, el - 1, &d, &why), NT_ERR_DECODE);
		nt_block_free(d);
		free(enc);
	}
	vt_append(t, b, digests, &s5, k5); /* height 3 */
	assert_int_equal(nt_ledger_change_count(f->l), 1);

	/* Height 4 is the new set's: a commit by the old 4 is too few. */
	b = vt_block(t, 2, digests);
	{
		nt_commit c;
		commit_by(t, b, &t->old, t->ok, 0x7, &c); /* quorum of 4, not of 5 */
		assert_int_not_equal(nt_ledger_append(f->l, b, &c, NULL, &why), NT_OK);
		b->header.proposer = t->cur.keys[4];
		/* a header naming the old set */
		nt_hash vh = b->header.validators_hash;
		b->header.validators_hash = f->g.validators_hash;
		b->header.next_validators_hash = f->g.validators_hash;
		expect_refused(t, b, "validators_hash does not match the validator set");
		b->header.validators_hash = vh;
		b->header.next_validators_hash = vh;
	}
	vt_append(t, b, digests, NULL, NULL); /* height 4, proposed by the new office */

	/* Height 5 rotates office B's key (approvals: 4 of 5). */
	nt_valset s5r = t->cur;
	nt_seckey_pubkey(t->pool[5], &s5r.keys[1]);
	int k5r[NT_MAX_VALIDATORS] = {0, 5, 2, 3, 4};
	vl = encode_set(&s5r, vb);
	b = vt_block(t, 2, digests);
	make_change(t, b, vb, vl, t->ck, 0x7, 1);
	expect_refused(t, b, "has 3 approvals, the current set needs 4");
	make_change(t, b, vb, vl, t->ck, 0x1e, 0);
	expect_refused(t, b, "does not verify for change 1");
	make_change(t, b, vb, vl, t->ck, 0x1e, 1);
	vt_append(t, b, digests, &s5r, k5r); /* height 5 */

	/* Height 6: a commit by the old keys (B's retired one) does not count. */
	b = vt_block(t, 2, digests);
	{
		nt_commit c;
		commit_by(t, b, &t->old, t->ok, 0x1f, &c);
		nt_why w2 = {{0}};
		assert_int_not_equal(nt_ledger_append(f->l, b, &c, NULL, &w2), NT_OK);
		assert_int_equal(nt_ledger_height(f->l), 5);
	}
	vt_append(t, b, digests, NULL, NULL); /* height 6 */

	/* Height 7 removes the fifth office again. */
	nt_valset s4 = t->cur;
	s4.n = 4;
	int k4[NT_MAX_VALIDATORS] = {0, 5, 2, 3};
	vl = encode_set(&s4, vb);
	b = vt_block(t, 2, digests);
	make_change(t, b, vb, vl, t->ck, 0x1d, 2);
	vt_append(t, b, digests, &s4, k4); /* height 7 */
	plain_block(t);			   /* height 8 */

	const uint64_t ch[3] = {3, 5, 7};
	size_t n = 0;
	uint64_t hs[4];
	assert_int_equal(nt_ledger_changes(f->l, hs, 4, &n), NT_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(hs, ch, sizeof ch);
	nt_valset s;
	const nt_valset *want[10] = {NULL, &f->g.vals, &f->g.vals, &f->g.vals, &s5,
				     &s5,  &s5r,       &s5r,	   &s4,	       &s4};
	for (uint64_t h = 1; h <= 9; h++) {
		assert_int_equal(nt_ledger_valset_at(f->l, h, &s), NT_OK);
		assert_int_equal(s.n, want[h]->n);
		assert_memory_equal(s.keys, want[h]->keys, s.n * sizeof(nt_pubkey));
	}
	assert_int_equal(nt_ledger_valset_at(f->l, 10, &s), NT_ERR_NOT_FOUND);
	check_queries(f);
	assert_int_equal(nt_ledger_audit(f->l, NULL, NULL, &why), NT_OK);
	check_receipts(t, ch, 3);

	/* The changes survive a reopen of the store. */
	nt_ledger_free(f->l);
	f->l = NULL;
	nt_kv_close(f->kv);
	open_kv(f);
	if (nt_ledger_open(f->kv, &f->g, &f->l, &why) != NT_OK)
		fail_msg("reopen: %s", why.msg);
	assert_int_equal(nt_ledger_change_count(f->l), 3);
	assert_memory_equal(nt_ledger_next_valset(f->l)->keys, s4.keys, 4 * sizeof(nt_pubkey));
	if (nt_ledger_audit(f->l, NULL, NULL, &why) != NT_OK)
		fail_msg("audit: %s", why.msg);
	check_receipts(t, ch, 3);
	plain_block(t); /* height 9 */
	/* The block query returns change blocks with their section. */
	nt_block *blk = NULL;
	assert_int_equal(nt_ledger_block(f->l, 5, &blk), NT_OK);
	vl = encode_set(&s5r, vb);
	assert_int_equal(blk->valset_len, vl);
	assert_memory_equal(blk->valset_bytes, vb, vl);
	assert_non_null(blk->valset_bytes);
	assert_int_equal(blk->napprovals, 4);
	nt_block_free(blk);
	assert_int_equal(nt_ledger_block(f->l, 6, &blk), NT_OK);
	assert_null(blk->valset_bytes);
	nt_block_free(blk);
	check_receipts(t, ch, 3);
	vt_free(t);
}

/* The set that committed the tip checks a last commit given with the
 * first block after a change. */
static void test_last_commit_at_boundary(void **state)
{
	(void)state;
	tu_seed();
	vt *t = vt_new();
	fix *f = t->f;
	uint8_t vb[NT_VALSET_BYTES_MAX];
	uint8_t digests[4][32];
	plain_block(t);
	nt_valset s5 = t->cur;
	s5.n = 5;
	nt_seckey_pubkey(t->pool[4], &s5.keys[4]);
	snprintf(s5.names[4], sizeof s5.names[4], "Office E");
	int k5[NT_MAX_VALIDATORS] = {0, 1, 2, 3, 4};
	size_t vl = encode_set(&s5, vb);
	nt_block *b = vt_block(t, 1, digests);
	make_change(t, b, vb, vl, t->ck, 0xe, 0);
	nt_block *keep = NULL;
	{
		uint8_t *enc = NULL;
		size_t el = 0;
		nt_why why = {{0}};
		assert_int_equal(nt_block_encode(b, &enc, &el), NT_OK);
		assert_int_equal(nt_block_decode(enc, el, &keep, &why), NT_OK);
		free(enc);
	}
	vt_append(t, b, digests, &s5, k5); /* height 2, committed by the old set */
	/* Another valid commit of height 2 (by the old set, 3 of 4), named by
	 * height 3 as its last commit. */
	nt_commit lc;
	commit_by(t, keep, &t->old, t->ok, 0x7, &lc);
	nt_block_free(keep);
	b = vt_block(t, 1, digests);
	uint8_t craw[NT_COMMIT_MAX];
	size_t cl = 0;
	assert_int_equal(nt_commit_encode(&lc, craw, sizeof craw, &cl), NT_OK);
	nt_sha256(craw, cl, &b->header.last_commit_hash);
	nt_why why = {{0}};
	if (nt_ledger_check_block(f->l, b, &lc, 0, 0, NULL, NULL, &why) != NT_OK)
		fail_msg("check_block with the old set's last commit: %s", why.msg);
	nt_commit c;
	commit_by(t, b, &t->cur, t->ck, 0x1f, &c);
	if (nt_ledger_append(f->l, b, &c, &lc, &why) != NT_OK)
		fail_msg("append: %s", why.msg);
	remember(f, b, digests);
	nt_block_free(b);
	assert_int_equal(nt_ledger_audit(f->l, NULL, NULL, &why), NT_OK);
	vt_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valset_changes),
	    cmocka_unit_test(test_last_commit_at_boundary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
