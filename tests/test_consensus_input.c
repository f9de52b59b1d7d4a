/* What reaches the Tendermint engine (core/consensus.c) from outside:
 * authentication of what peers send, the peer messages (core/peermsg.c)
 * and mutated wire messages (tests/cons_harness.h). */
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
#include "tests/cons_harness.h"

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

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_peermsg),
	    cmocka_unit_test(test_garbage_input),
	    cmocka_unit_test(test_authenticate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
