/* Byzantine validators. They run the real engine (to follow heights and
 * rounds) over a real ledger, but the host replaces what the engine sends:
 *
 *   BYZ_MIXED   as proposer, often equivocates the classic way: block v1 to
 *               a set X of honest nodes just large enough that X plus the
 *               Byzantine nodes is a quorum, block v2 to the others (the
 *               next round's proposer among them, so it stays unlocked);
 *               prevotes follow the split, and the precommit for v1 goes to
 *               only part of X, so some honest nodes decide v1 while the
 *               others are locked on it without deciding. That is exactly
 *               what the lock rules (lines 22-33) must survive. Otherwise
 *               it votes for the first proposal it saw, ignoring locks,
 *               sometimes for a random (invalid) hash or two ways at once,
 *               and now and then sends garbage and far-future messages.
 *               In runs with set changes its second block is sometimes a
 *               change block no quorum approved (sim_change_forge).
 *   BYZ_SILENT  sends nothing.
 *   BYZ_GARBAGE votes honestly-looking but floods malformed bytes, mutated
 *               messages and far-height votes through the real decoders.
 * Every Byzantine node also forges now and then what an outsider with no
 * key can send (forge()): votes and proposals that name an honest
 * validator but carry a wrong signature, for the height its target runs
 * and the one after (the messages that used to start heights and fill the
 * WAL), and proposals whose genuine signature and header come with other
 * records, or whose block claims more than the size bound.
 * All other signatures are real, made with the validator's own key. */
#include <stdlib.h>
#include <string.h>

#include "core/peermsg.h"
#include "tools/sim/sim.h"

static byz_plan *plan_find(sim *s, uint64_t h, uint32_t r)
{
	for (unsigned i = 0; i < sizeof s->plans / sizeof s->plans[0]; i++)
		if (s->plans[i].used && s->plans[i].h == h && s->plans[i].r == r)
			return &s->plans[i];
	return NULL;
}

static byz_plan *plan_new(sim *s, uint64_t h, uint32_t r)
{
	static const unsigned N = sizeof s->plans / sizeof s->plans[0];
	byz_plan *p = &s->plans[(h * 7 + r) % N];
	memset(p, 0, sizeof *p);
	p->used = true;
	p->h = h;
	p->r = r;
	return p;
}

void byz_on_proposal_seen(sim_node *d, const nt_proposal *p)
{
	for (unsigned i = 0; i < 8; i++)
		if (d->bseen[i].h == p->height && d->bseen[i].r == p->round)
			return;
	unsigned k = d->nbseen++ % 8;
	d->bseen[k].h = p->height;
	d->bseen[k].r = p->round;
	d->bseen[k].bh = p->block_hash;
}

static const nt_hash *seen_of(const sim_node *d, uint64_t h, uint32_t r)
{
	for (unsigned i = 0; i < 8; i++)
		if (d->bseen[i].h == h && d->bseen[i].r == r)
			return &d->bseen[i].bh;
	return NULL;
}

static void sign_proposal(sim_node *d, nt_proposal *q)
{
	nt_hash m;
	nt_proposal_sighash(d->s->g.chain_id, q->height, q->round, q->valid_round, &q->block_hash,
			    &m);
	if (nt_sign(d->key, &m, &q->sig) != NT_OK)
		memset(&q->sig, 0, sizeof q->sig);
}

static nt_vote mkvote(sim_node *d, uint8_t type, uint64_t h, uint32_t r, const nt_hash *bh)
{
	nt_vote v;
	nt_hash m;
	memset(&v, 0, sizeof v);
	v.type = type;
	int idx = sim_index_at(d, h); /* our index in the set of h */
	v.index = (uint16_t)(idx >= 0 ? idx : d->id);
	v.height = h;
	v.round = r;
	if (bh != NULL)
		v.block_hash = *bh;
	v.timestamp = sim_node_now(d);
	nt_vote_sighash(type, d->s->g.chain_id, h, r, &v.block_hash, v.timestamp, &m);
	if (nt_sign(d->key, &m, &v.sig) != NT_OK)
		memset(&v.sig, 0, sizeof v.sig);
	return v;
}

static void send_vote(sim_node *d, int to, const nt_vote *v)
{
	uint8_t buf[NT_PEERMSG_VOTE_LEN];
	nt_peermsg_vote_encode(v, buf);
	sim_send(d->s, d->id, to, buf, sizeof buf);
}

/* Equivocates: v1 (the engine's proposal p) to X, a second signed block to
 * the rest; the plan makes the Byzantine votes follow the split. */
static bool equivocate(sim_node *d, const nt_proposal *p)
{
	sim *s = d->s;
	nt_proposal q = *p;
	q.block = NULL;
	q.last_commit = NULL;
	uint64_t t = p->block->header.time + 1 + sim_range(s, 0, 50);
	bool invalid = sim_chance(s, 150);
	if (invalid)
		t += 3600 * 1000; /* beyond every honest clock bound */
	if (sim_node_build_block(d, p->height, t, (unsigned)sim_range(s, 0, 1), &q.block) !=
	    NT_OK) {
		nt_block_free(q.block);
		return false;
	}
	/* in runs with set changes, v2 is sometimes a change nobody approved */
	if (!invalid && s->want_changes > 0 && sim_chance(s, 250))
		invalid = sim_change_forge(d, q.block);
	if (nt_header_hash(&q.block->header, &q.block_hash) != NT_OK) {
		nt_block_free(q.block);
		return false;
	}
	q.valid_round = -1;
	if (p->last_commit != NULL) {
		q.last_commit = malloc(sizeof *q.last_commit);
		if (q.last_commit != NULL)
			*q.last_commit = *p->last_commit;
	}
	sign_proposal(d, &q);

	/* the honest members of the height's set, the next round's proposer
	 * placed last (in Y) */
	const nt_valset *set = sim_chain_set(s, p->height);
	int hon[SIM_MAXV], nh = 0, nbyz = 0;
	int next = sim_node_of_index(s, p->height, (unsigned)((p->height + p->round + 1) % set->n));
	for (unsigned k = 0; k < set->n; k++) {
		int i = sim_node_of_key(s, &set->keys[k]);
		if (i < 0)
			continue;
		if (s->nodes[i].byz)
			nbyz++;
		else if (i != next)
			hon[nh++] = i;
	}
	for (int i = nh - 1; i > 0; i--) { /* shuffle */
		int j = (int)sim_range(s, 0, (uint64_t)i);
		int x = hon[i];
		hon[i] = hon[j];
		hon[j] = x;
	}
	if (next >= 0 && !s->nodes[next].byz)
		hon[nh++] = next;
	int quorum = (int)nt_valset_quorum(set);
	int nx = quorum - nbyz;
	if (nx < 1)
		nx = 1;
	if (nx > nh)
		nx = nh;
	byz_plan *pl = plan_new(s, p->height, p->round);
	pl->v1 = p->block_hash;
	pl->v2 = q.block_hash;
	for (int i = 0; i < nx; i++)
		pl->xmask |= 1u << hon[i];
	/* the precommit for v1 goes to a proper part of X (at least one) */
	int nd = nx > 1 ? (int)sim_range(s, 1, (uint64_t)nx - 1) : 1;
	for (int i = 0; i < nd; i++)
		pl->deciders |= 1u << hon[i];

	uint8_t *b1 = NULL, *b2 = NULL;
	size_t l1 = 0, l2 = 0;
	if (nt_peermsg_proposal_encode(p, &b1, &l1) == NT_OK &&
	    nt_peermsg_proposal_encode(&q, &b2, &l2) == NT_OK) {
		char s1[17], s2[17];
		sim_trace(s, "n%d BYZ equivocate h%llu r%u %s to %#x, %s%s to the rest", d->id,
			  (unsigned long long)p->height, p->round, sim_short(&p->block_hash, s1),
			  pl->xmask, sim_short(&q.block_hash, s2), invalid ? " (invalid)" : "");
		for (int i = 0; i < s->n; i++) {
			if (i == d->id)
				continue;
			bool x = s->nodes[i].byz || (pl->xmask >> i & 1);
			sim_send(s, d->id, i, x ? b1 : b2, x ? l1 : l2);
		}
	}
	free(b1);
	free(b2);
	nt_block_free(q.block);
	free(q.last_commit);
	return true;
}

void byz_broadcast_proposal(sim_node *d, const nt_proposal *p)
{
	sim *s = d->s;
	if (d->byz == BYZ_SILENT)
		return;
	if (d->byz == BYZ_MIXED && s->n > 1 && sim_chance(s, 800) && equivocate(d, p))
		return;
	uint8_t *b = NULL;
	size_t l = 0;
	if (nt_peermsg_proposal_encode(p, &b, &l) == NT_OK)
		sim_broadcast(s, d->id, b, l);
	free(b);
}

void byz_broadcast_vote(sim_node *d, const nt_vote *ev)
{
	sim *s = d->s;
	if (d->byz == BYZ_SILENT)
		return;
	uint8_t type = ev->type;
	const byz_plan *pl = plan_find(s, ev->height, ev->round);
	if (pl != NULL && d->byz == BYZ_MIXED) {
		nt_vote a = mkvote(d, type, ev->height, ev->round, &pl->v1);
		nt_vote b = mkvote(d, type, ev->height, ev->round,
				   type == NT_VOTE_PREVOTE ? &pl->v2 : NULL);
		uint32_t to_a = type == NT_VOTE_PREVOTE ? pl->xmask : pl->deciders;
		for (int i = 0; i < s->n; i++) {
			if (i == d->id)
				continue;
			bool x = s->nodes[i].byz || (to_a >> i & 1);
			send_vote(d, i, x ? &a : &b);
		}
		return;
	}
	/* No plan: vote for the first proposal seen, whatever the locks say. */
	const nt_hash *seen = seen_of(d, ev->height, ev->round);
	nt_hash target = seen != NULL ? *seen : ev->block_hash;
	if (d->byz == BYZ_MIXED && sim_chance(s, 100)) {
		for (int i = 0; i < NT_HASH_LEN; i++)
			target.b[i] = (uint8_t)sim_rand(s); /* a block nobody has */
	}
	nt_vote a = mkvote(d, type, ev->height, ev->round, &target);
	if (d->byz == BYZ_MIXED && sim_chance(s, 150)) {
		nt_vote b = mkvote(d, type, ev->height, ev->round, NULL);
		for (int i = 0; i < s->n; i++)
			if (i != d->id)
				send_vote(d, i, sim_chance(s, 500) ? &a : &b);
		return;
	}
	for (int i = 0; i < s->n; i++)
		if (i != d->id)
			send_vote(d, i, &a);
}

/* Hostile bytes: random, mutated, far-future, out-of-range. */
static void garbage(sim_node *d)
{
	sim *s = d->s;
	int to = (int)sim_range(s, 0, (uint64_t)s->n - 1);
	if (to == d->id)
		return;
	uint64_t h = nt_cons_height(d->e);
	uint8_t buf[512];
	size_t len;
	switch (sim_range(s, 0, 5)) {
	case 0: /* random bytes with a plausible type byte */
		len = (size_t)sim_range(s, 0, sizeof buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)sim_rand(s);
		if (len > 0)
			buf[0] = (uint8_t)sim_range(s, 0, 3);
		sim_send(s, d->id, to, buf, len);
		return;
	case 1: { /* a signed vote for a far-future height */
		nt_vote v = mkvote(d, NT_VOTE_PRECOMMIT, h + sim_range(s, 2, 1000000), 0, NULL);
		send_vote(d, to, &v);
		return;
	}
	case 2: { /* a vote with a flipped byte */
		nt_vote v = mkvote(d, NT_VOTE_PREVOTE, h, nt_cons_round(d->e), NULL);
		nt_peermsg_vote_encode(&v, buf);
		buf[sim_range(s, 0, NT_PEERMSG_VOTE_LEN - 1)] ^= (uint8_t)sim_range(s, 1, 255);
		sim_send(s, d->id, to, buf, NT_PEERMSG_VOTE_LEN);
		return;
	}
	case 3: { /* a far round, properly signed */
		nt_vote v = mkvote(d, NT_VOTE_PREVOTE, h,
				   nt_cons_round(d->e) + (uint32_t)sim_range(s, 3, 5000), NULL);
		send_vote(d, to, &v);
		return;
	}
	case 4: { /* a truncated or extended vote */
		nt_vote v = mkvote(d, NT_VOTE_PRECOMMIT, h, nt_cons_round(d->e), NULL);
		nt_peermsg_vote_encode(&v, buf);
		len = (size_t)sim_range(s, 0, NT_PEERMSG_VOTE_LEN + 8);
		sim_send(s, d->id, to, buf, len);
		return;
	}
	default: { /* a bogus proposal header: random bytes after type 1 */
		len = (size_t)sim_range(s, NT_PEERMSG_PROPOSAL_FIXED - 4, sizeof buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)sim_rand(s);
		buf[0] = NT_PEERMSG_PROPOSAL;
		sim_send(s, d->id, to, buf, len);
		return;
	}
	}
}

/* A random honest validator's index in the set of h (the one a forger
 * pretends to be). */
static int honest_index(sim *s, uint64_t h)
{
	const nt_valset *set = sim_chain_set(s, h);
	for (int tries = 0; tries < 16; tries++) {
		unsigned i = (unsigned)sim_range(s, 0, (uint64_t)set->n - 1);
		int who = sim_node_of_index(s, h, i);
		if (who >= 0 && !s->nodes[who].byz)
			return (int)i;
	}
	return 0;
}

static void send_proposal(sim_node *d, int to, const nt_proposal *q)
{
	uint8_t *b = NULL;
	size_t l = 0;
	if (nt_peermsg_proposal_encode(q, &b, &l) == NT_OK)
		sim_send(d->s, d->id, to, b, l);
	free(b);
}

/* A proposal for (h, r) as proposer(h, r) would make it, built from our
 * mempool, signed with our key (wrong for anyone else). */
static bool forged_proposal(sim_node *d, uint64_t h, uint32_t r, nt_proposal *q)
{
	sim *s = d->s;
	memset(q, 0, sizeof *q);
	if (h != nt_ledger_height(d->l) + 1 ||
	    sim_node_build_block(d, h, sim_node_now(d), 0, &q->block) != NT_OK)
		return false;
	q->height = h;
	q->round = r;
	q->valid_round = -1;
	const nt_valset *set = sim_chain_set(s, h);
	q->proposer = (uint16_t)((h + r) % (uint64_t)set->n);
	q->block->header.proposer = set->keys[q->proposer];
	if (h > 1) {
		q->last_commit = malloc(sizeof *q->last_commit);
		if (q->last_commit == NULL ||
		    nt_ledger_commit(d->l, h - 1, q->last_commit) != NT_OK) {
			nt_block_free(q->block);
			free(q->last_commit);
			return false;
		}
	}
	if (nt_header_hash(&q->block->header, &q->block_hash) != NT_OK) {
		nt_block_free(q->block);
		free(q->last_commit);
		return false;
	}
	sign_proposal(d, q);
	return true;
}

/* What anyone who can reach a node can send: no valid signature. */
static void forge(sim_node *d)
{
	sim *s = d->s;
	int to = (int)sim_range(s, 0, (uint64_t)s->n - 1);
	if (to == d->id || s->nodes[to].byz || !s->nodes[to].up)
		return;
	const sim_node *t = &s->nodes[to];
	/* the height the target runs or, idle, the one it would start */
	uint64_t h = nt_ledger_height(t->l) + sim_range(s, 1, 2);
	uint32_t r = nt_cons_height(t->e) == h ? nt_cons_round(t->e) : 0;
	switch (sim_range(s, 0, 3)) {
	case 0: { /* a vote in an honest validator's name */
		nt_vote v = mkvote(d, (uint8_t)sim_range(s, NT_VOTE_PREVOTE, NT_VOTE_PRECOMMIT), h,
				   r, sim_chance(s, 500) ? NULL : seen_of(d, h, r));
		v.index = (uint16_t)honest_index(s, h);
		if (sim_chance(s, 500))
			for (int i = 0; i < NT_SIG_LEN; i++)
				v.sig.b[i] = (uint8_t)sim_rand(s);
		send_vote(d, to, &v);
		return;
	}
	case 1: { /* a proposal in the proposer's name */
		nt_proposal q;
		if (!forged_proposal(d, h, r, &q))
			return;
		if (sim_index_at(d, h) == (int)q.proposer)
			q.sig.b[0] ^= 1;
		send_proposal(d, to, &q);
		nt_block_free(q.block);
		free(q.last_commit);
		return;
	}
	case 2: { /* our own genuine proposal, with other records */
		uint64_t mh = nt_ledger_height(d->l) + 1;
		int self = sim_index_at(d, mh);
		if (self < 0)
			return; /* not a validator of that height */
		uint64_t sn = sim_chain_set(s, mh)->n;
		uint32_t mr = 0;
		while ((mh + mr) % sn != (uint64_t)self)
			mr++;
		nt_proposal q;
		if (!forged_proposal(d, mh, mr, &q))
			return;
		uint32_t count = q.block->count;
		if (count > 0) {
			q.block->count--; /* the header still counts it */
		} else {
			q.block->header.record_count = 1; /* signed, but no record comes */
			if (nt_header_hash(&q.block->header, &q.block_hash) == NT_OK)
				sign_proposal(d, &q);
		}
		send_proposal(d, to, &q);
		q.block->count = count;
		nt_block_free(q.block);
		free(q.last_commit);
		return;
	}
	default: { /* a proposal whose block claims more than the bound */
		uint8_t buf[NT_PEERMSG_PROPOSAL_FIXED + 64];
		memset(buf, 0, sizeof buf);
		buf[0] = NT_PEERMSG_PROPOSAL;
		for (size_t i = 1; i < sizeof buf; i++)
			buf[i] = (uint8_t)sim_rand(s);
		/* u16 commit_len 0, then u32 block_len beyond the maximum */
		size_t o = NT_PEERMSG_PROPOSAL_FIXED - 6;
		buf[o] = buf[o + 1] = 0;
		buf[o + 2] = 0xff;
		buf[o + 3] = 0xff;
		buf[o + 4] = 0xff;
		buf[o + 5] = (uint8_t)sim_range(s, 0, 255);
		sim_send(s, d->id, to, buf, sizeof buf);
		return;
	}
	}
}

void byz_tick(sim_node *d)
{
	sim *s = d->s;
	if (d->byz != BYZ_SILENT) {
		unsigned k = (unsigned)sim_range(s, 0, 3);
		for (unsigned i = 0; i < k; i++)
			forge(d);
	}
	if (d->byz != BYZ_SILENT && s->want_changes > 0 && sim_chance(s, 300))
		sim_change_forge_gossip(d);
	if (d->byz == BYZ_GARBAGE) {
		unsigned k = (unsigned)sim_range(s, 1, 6);
		for (unsigned i = 0; i < k; i++)
			garbage(d);
	} else if (d->byz == BYZ_MIXED && sim_chance(s, 300)) {
		garbage(d);
	}
}
