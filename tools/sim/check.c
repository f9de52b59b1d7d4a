/* The invariants, checked as the run goes.
 *
 *   agreement   no two honest nodes commit different blocks at one height
 *   validity    every committed (or synced) block passes the ledger's
 *               check_block and append (node.c), every receipt verifies
 *               from the genesis alone, with the set changes below it
 *   double-sign no honest office signs two different messages for one
 *               (height, round, step), across crashes and key rotations
 *   valset      an honest office signs only with the key the set of the
 *               height gives it (chk_signer)
 *   durability  no record with a handed-out receipt is ever lost
 *   liveness    after the faults heal, every record commits in bounded time
 *               and every planned set change lands (change.c)
 * The first failure ends the seed; sim.c prints it with a replay command. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/merkle.h"
#include "core/peermsg.h"
#include "core/receipt.h"
#include "crypto/digest.h"
#include "tools/sim/sim.h"

void sim_fail(sim *s, const char *check, const char *fmt, ...)
{
	if (s->failed)
		return;
	s->failed = true;
	snprintf(s->fail_check, sizeof s->fail_check, "%s", check);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->fail_msg, sizeof s->fail_msg, fmt, ap);
	va_end(ap);
	sim_trace(s, "FAIL %s: %s", s->fail_check, s->fail_msg);
}

void chk_commit(sim *s, int node, uint64_t h, const nt_hash *bh)
{
	char a[17], b[17];
	if (h >= s->ndecided) {
		uint64_t n = h + 64;
		nt_hash *nd = realloc(s->decided, n * sizeof *nd);
		uint8_t *nh = realloc(s->have, n);
		if (nd == NULL || nh == NULL) {
			fprintf(stderr, "notary-sim: out of memory\n");
			exit(2);
		}
		memset(nh + s->ndecided, 0, n - s->ndecided);
		s->decided = nd;
		s->have = nh;
		s->ndecided = n;
	}
	if (!s->have[h]) {
		s->have[h] = (uint8_t)(node + 1);
		s->decided[h] = *bh;
		return;
	}
	if (memcmp(s->decided[h].b, bh->b, NT_HASH_LEN) != 0)
		sim_fail(s, "agreement",
			 "nodes %d and %d committed different blocks at height "
			 "%llu (%s vs %s)",
			 s->have[h] - 1, node, (unsigned long long)h, sim_short(&s->decided[h], a),
			 sim_short(bh, b));
}

/* Open addressing on (h, r, step); looked up, never iterated. */
static size_t slot_of(uint64_t h, uint32_t r, uint8_t step, size_t cap)
{
	uint64_t x = h * 0x9e3779b97f4a7c15ull ^ ((uint64_t)r << 8 | step) * 0xc2b2ae3d27d4eb4full;
	return (size_t)(x ^ (x >> 29)) & (cap - 1);
}

static void sig_grow(sim *s, int node)
{
	size_t cap = s->sigcap[node] ? s->sigcap[node] * 2 : 256;
	sig_slot *t = calloc(cap, sizeof *t);
	if (t == NULL) {
		fprintf(stderr, "notary-sim: out of memory\n");
		exit(2);
	}
	for (size_t i = 0; i < s->sigcap[node]; i++) {
		const sig_slot *o = &s->sigs[node][i];
		if (!o->used)
			continue;
		size_t j = slot_of(o->h, o->r, o->step, cap);
		while (t[j].used)
			j = (j + 1) & (cap - 1);
		t[j] = *o;
	}
	free(s->sigs[node]);
	s->sigs[node] = t;
	s->sigcap[node] = cap;
}

void chk_signed(sim *s, int node, uint64_t h, uint32_t r, uint8_t step, const nt_hash *m)
{
	static const char *const names[] = {"?", "proposal", "prevote", "precommit"};
	if (2 * (s->nsig[node] + 1) > s->sigcap[node])
		sig_grow(s, node);
	size_t cap = s->sigcap[node];
	size_t j = slot_of(h, r, step, cap);
	sig_slot *t = s->sigs[node];
	while (t[j].used) {
		if (t[j].h == h && t[j].r == r && t[j].step == step) {
			if (memcmp(t[j].m.b, m->b, NT_HASH_LEN) != 0)
				sim_fail(s, "double-sign",
					 "honest node %d signed two different "
					 "%ss at height %llu round %u",
					 node, names[step <= 3 ? step : 0], (unsigned long long)h,
					 r);
			return;
		}
		j = (j + 1) & (cap - 1);
	}
	t[j].used = 1;
	t[j].h = h;
	t[j].r = r;
	t[j].step = step;
	t[j].m = *m;
	s->nsig[node]++;
}

/* The set changes below height h on the chain. */
static size_t changes_below(const sim *s, uint64_t h)
{
	size_t n = 0;
	while (n < s->nlanded && s->chg[n].landed < h)
		n++;
	return n;
}

/* d's receipt of r verifies offline from the genesis alone
 * (nt_receipt_verify_full: for version 2 every set change below its
 * height, and the set they end with), names r, and carries every change
 * the chain made below its height. *height: the receipt's. */
static nt_err receipt_ok(sim *s, sim_node *d, const sim_rec *r, uint64_t *height, nt_why *why)
{
	char *json = NULL;
	nt_receipt *rc = NULL;
	nt_receipt_verdict *v = malloc(sizeof *v);
	if (v == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	nt_err err = nt_ledger_receipt(d->l, &r->id, &json);
	if (err == NT_OK)
		err = nt_receipt_parse(json, strlen(json), &rc, why);
	if (err == NT_OK)
		err = nt_receipt_verify_full(rc, &s->g, NULL, 0, v, why);
	if (err == NT_OK && memcmp(rc->record_id.b, r->id.b, NT_HASH_LEN) != 0)
		err = nt_fail(why, NT_ERR_MISMATCH, "receipt names another record");
	if (err == NT_OK && v->changes != changes_below(s, rc->height))
		err = nt_fail(why, NT_ERR_MISMATCH,
			      "receipt of height %llu carries %zu set changes, the chain made %zu "
			      "below it",
			      (unsigned long long)rc->height, v->changes,
			      changes_below(s, rc->height));
	if (err == NT_OK)
		*height = rc->height;
	free(v);
	free(rc);
	free(json);
	return err;
}

/* A receipt handed out by d: it must verify offline against genesis. */
void chk_receipt(sim *s, sim_node *d, sim_rec *r)
{
	nt_why why = {{0}};
	char sb[17];
	uint64_t height = 0;
	nt_err err = receipt_ok(s, d, r, &height, &why);
	if (err != NT_OK) {
		sim_fail(s, "validity",
			 "receipt of record %s from node %d does not verify: %s (%s)",
			 sim_short(&r->id, sb), d->id, nt_strerror(err), why.msg);
	} else {
		r->receipt = true;
		r->receipt_at = s->now;
		r->height = height;
		r->home = d->id;
		size_t nc = changes_below(s, height);
		if (nc == 0)
			sim_trace(s, "n%d receipt %s h%llu", d->id, sim_short(&r->id, sb),
				  (unsigned long long)r->height);
		else
			sim_trace(s, "n%d receipt %s h%llu (%zu set changes)", d->id,
				  sim_short(&r->id, sb), (unsigned long long)r->height, nc);
	}
}

/* At the end of a run with set changes: each record's receipt once more,
 * from the last honest node that holds it (an added office's node when
 * one did), after every change. */
static void final_receipts(sim *s)
{
	for (unsigned i = 0; i < s->nrecs && !s->failed; i++) {
		const sim_rec *r = &s->recs[i];
		for (int k = s->n - 1; k >= 0; k--) {
			sim_node *d = &s->nodes[k];
			if (d->byz || !d->up || nt_ledger_height(d->l) < r->height)
				continue;
			nt_why why = {{0}};
			char sb[17];
			uint64_t height = 0;
			if (receipt_ok(s, d, r, &height, &why) != NT_OK)
				sim_fail(s, "validity",
					 "at the end, node %d's receipt of record %s does not "
					 "verify: %s",
					 d->id, sim_short(&r->id, sb), why.msg);
			else
				sim_trace(s,
					  "final receipt %s h%llu from n%d verifies (%zu set "
					  "changes)",
					  sim_short(&r->id, sb), (unsigned long long)height, d->id,
					  changes_below(s, height));
			break;
		}
	}
}

/* Every receipted record that d's chain reaches is there, where the
 * receipt said; and the node that handed a receipt out still has it. */
void chk_durable(sim *s, sim_node *d)
{
	char sb[17];
	uint64_t top = nt_ledger_height(d->l);
	for (unsigned i = 0; i < s->nrecs && !s->failed; i++) {
		sim_rec *r = &s->recs[i];
		if (!r->receipt || (r->height > top && r->home != d->id))
			continue;
		uint64_t h = 0;
		uint32_t idx;
		if (nt_ledger_locate(d->l, &r->id, &h, &idx) != NT_OK || h != r->height)
			sim_fail(s, "durability",
				 "record %s (receipt from node %d, height %llu) "
				 "is missing from node %d (tip %llu)",
				 sim_short(&r->id, sb), r->home, (unsigned long long)r->height,
				 d->id, (unsigned long long)top);
	}
}

void chk_final(sim *s)
{
	char sb[17];
	for (int i = 0; i < s->n && !s->failed; i++)
		if (!s->nodes[i].byz && s->nodes[i].up)
			chk_durable(s, &s->nodes[i]);
	if (!s->failed && s->want_changes > 0) {
		sim_changes_final(s);
		final_receipts(s);
	}
	for (unsigned i = 0; i < s->nrecs && !s->failed; i++) {
		const sim_rec *r = &s->recs[i];
		if (!r->receipt)
			sim_fail(s, "liveness",
				 "record %s (first submitted at %llu ms) has no "
				 "receipt by %llu ms (faults healed at %llu ms)",
				 sim_short(&r->id, sb),
				 (unsigned long long)(r->first_submit - SIM_T0),
				 (unsigned long long)(s->now - SIM_T0),
				 (unsigned long long)(s->heal_at - SIM_T0));
	}
}

void chk_free(sim *s)
{
	free(s->decided);
	free(s->have);
	s->decided = NULL;
	s->have = NULL;
	s->ndecided = 0;
	free(s->justified);
	s->justified = NULL;
	s->njustified = 0;
	for (int i = 0; i < SIM_MAXV; i++) {
		free(s->sigs[i]);
		s->sigs[i] = NULL;
		s->sigcap[i] = s->nsig[i] = 0;
	}
}

/* ---- no empty blocks on anyone's say ---- */

void chk_started(sim *s, uint64_t h, bool justified)
{
	if (h >= s->njustified) {
		uint64_t n = h + 64;
		uint8_t *nj = realloc(s->justified, n);
		if (nj == NULL) {
			fprintf(stderr, "notary-sim: out of memory\n");
			exit(2);
		}
		memset(nj + s->njustified, 0, n - s->njustified);
		s->justified = nj;
		s->njustified = n;
	}
	if (justified)
		s->justified[h] = 1;
}

void chk_no_empty_block(sim *s, const sim_node *d, const nt_block *b)
{
	uint64_t h = b->header.height;
	if (b->count > 0 || nt_header_is_change(&b->header) ||
	    (h < s->njustified && s->justified[h]))
		return;
	sim_fail(s, "empty-block",
		 "node %d committed an empty block at height %llu that no node started for "
		 "pending records or a heartbeat, nor a validator's signed message",
		 d->id, (unsigned long long)h);
}

/* ---- the WAL holds authenticated bytes only, boundedly many ---- */

/* Signed by validator i of the set of height h, or (a message of the next
 * height authenticated while its set was not known yet) of h - 1. */
static bool signed_by(const sim *s, uint64_t h, unsigned i, const nt_hash *m, const nt_sig *sig)
{
	const nt_valset *a = sim_chain_set(s, h);
	const nt_valset *b = h > 1 ? sim_chain_set(s, h - 1) : a;
	return (i < a->n && nt_verify(&a->keys[i], m, sig)) ||
	       (b != a && i < b->n && nt_verify(&b->keys[i], m, sig));
}

static bool vote_authentic(const sim *s, const uint8_t *msg, size_t len)
{
	nt_vote v;
	nt_hash m;
	if (nt_peermsg_vote_decode(msg, len, &v, NULL) != NT_OK)
		return false;
	nt_vote_sighash(v.type, s->g.chain_id, v.height, v.round, &v.block_hash, v.timestamp, &m);
	return signed_by(s, v.height, v.index, &m, &v.sig);
}

/* Checked from the bytes alone, apart from the engine: every part of the
 * message is bound to the proposer's signature. */
static bool proposal_authentic(const sim *s, const uint8_t *msg, size_t len)
{
	nt_proposal p;
	if (nt_peermsg_proposal_decode(msg, len, &p, NULL) != NT_OK)
		return false;
	bool ok = p.block->header.record_count == p.block->count;
	nt_hash x;
	if (ok) {
		nt_merkle_root(p.block->ids, p.block->count, &x);
		ok = memcmp(x.b, p.block->header.records_root.b, NT_HASH_LEN) == 0;
	}
	if (ok && p.last_commit != NULL) {
		uint8_t buf[NT_COMMIT_MAX];
		size_t cl;
		ok = nt_commit_encode(p.last_commit, buf, sizeof buf, &cl) == NT_OK;
		if (ok) {
			nt_sha256(buf, cl, &x);
			ok = memcmp(x.b, p.block->header.last_commit_hash.b, NT_HASH_LEN) == 0;
		}
	}
	if (ok) {
		nt_proposal_sighash(s->g.chain_id, p.height, p.round, p.valid_round, &p.block_hash,
				    &x);
		ok = signed_by(s, p.height, p.proposer, &x, &p.sig);
	}
	nt_block_free(p.block);
	free(p.last_commit);
	return ok;
}

void chk_wal_append(sim *s, const sim_node *d, uint8_t kind, bool own, const uint8_t *msg,
		    size_t len)
{
	if (d->byz || kind == WAL_TIMEOUT)
		return;
	bool ok = kind == WAL_VOTE ? vote_authentic(s, msg, len) : proposal_authentic(s, msg, len);
	if (!ok) {
		sim_fail(s, "wal-auth",
			 "node %d wrote %s%s that no validator signed to its WAL (%zu bytes)",
			 d->id, own ? "its own " : "", kind == WAL_VOTE ? "a vote" : "a proposal",
			 len);
		return;
	}
	/* The engine keeps per round at most NT_CONS_PROPOSALS_PER_ROUND
	 * proposals, two votes (the second an equivocation) per validator and
	 * type, and 3 timeouts (counted double: a withheld vote re-arms one);
	 * rounds up to ours plus at most NT_CONS_FUTURE_ROUNDS_PER_VAL above
	 * it per validator; and for the next height its bounded buffer. */
	uint64_t cur = nt_cons_height(d->e);
	uint64_t n = (uint64_t)s->n, here = 0, next = 0;
	for (size_t i = 0; i < d->wal_n; i++) {
		here += d->wal[i].h == cur;
		next += d->wal[i].h == cur + 1;
	}
	uint64_t per_round = NT_CONS_PROPOSALS_PER_ROUND + 4 * n + 6;
	uint64_t rounds = (uint64_t)nt_cons_round(d->e) + 1 + NT_CONS_FUTURE_ROUNDS_PER_VAL * n;
	uint64_t max_next = NT_CONS_NEXT_VOTES_PER_VAL * n + NT_CONS_NEXT_PROPOSALS;
	if (here > rounds * per_round || next > max_next)
		sim_fail(s, "wal-bound",
			 "node %d holds %llu WAL entries of height %llu (round %u; bound %llu) and "
			 "%llu of the next (bound %llu)",
			 d->id, (unsigned long long)here, (unsigned long long)cur,
			 nt_cons_round(d->e), (unsigned long long)(rounds * per_round),
			 (unsigned long long)next, (unsigned long long)max_next);
}

/* ---- an office signs only with the key the set of the height gives it ---- */

void chk_signer(sim *s, const sim_node *d, uint64_t h, uint32_t r, uint8_t step)
{
	static const char *const names[] = {"?", "proposal", "prevote", "precommit"};
	const nt_valset *set = sim_chain_set(s, h);
	int own = -1;
	for (int k = 0; k < d->npubs && own < 0; k++)
		if (nt_valset_index(set, &d->pubs[k]) >= 0)
			own = k;
	const char *what = names[step <= 3 ? step : 0];
	if (own < 0)
		sim_fail(s, "valset",
			 "node %d signed a %s at height %llu round %u, but its office is not in "
			 "the set of that height (%u validators, %u set changes below it)",
			 d->id, what, (unsigned long long)h, r, set->n,
			 (unsigned)changes_below(s, h));
	else if (own != d->nkey)
		sim_fail(s, "valset",
			 "node %d signed a %s at height %llu round %u with its %s key, but the set "
			 "of that height gives its office key %d of %d",
			 d->id, what, (unsigned long long)h, r, own < d->nkey ? "new" : "old",
			 own + 1, d->npubs);
}

/* After honest d started height h: its engine runs h with the chain's set
 * of h: its own index (or observer) and the proposers of the first rounds
 * (which tell the set's size) are that set's. */
void chk_height_set(sim *s, const sim_node *d, uint64_t h)
{
	if (d->byz || nt_cons_height(d->e) != h)
		return;
	const nt_valset *set = sim_chain_set(s, h);
	int self = nt_cons_self(d->e), want = nt_valset_index(set, &d->pubs[d->nkey]);
	unsigned p0 = nt_cons_proposer(d->e, h, 0), p1 = nt_cons_proposer(d->e, h, 1);
	unsigned w0 = (unsigned)(h % set->n), w1 = (unsigned)((h + 1) % set->n);
	if (self == want && p0 == w0 && p1 == w1)
		return;
	char note[96];
	sim_fail(s, "valset",
		 "node %d runs height %llu as validator %d with proposers %u, %u (rounds 0, 1), "
		 "but the set of that height (%u validators, %u set changes below it) makes it "
		 "%d with proposers %u, %u%s",
		 d->id, (unsigned long long)h, self, p0, p1, set->n, (unsigned)changes_below(s, h),
		 want, w0, w1, sim_change_note(s, h, note, sizeof note));
}
