/* The message log of one height (see core/consensus_votes.h). */
#include "core/consensus_votes.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/digest.h"

void cv_book_init(cv_book *b, unsigned n)
{
	memset(b, 0, sizeof *b);
	b->n = n;
}

static void round_free(cv_round *r)
{
	if (r == NULL)
		return;
	for (unsigned i = 0; i < r->nprops; i++)
		if (r->props[i].owns) {
			nt_block_free(r->props[i].p.block);
			free(r->props[i].p.last_commit);
		}
	free(r->votes[0]);
	free(r->votes[1]);
	free(r->has[0]);
	free(r->has[1]);
	free(r->alt[0]);
	free(r->alt[1]);
	free(r->has_alt[0]);
	free(r->has_alt[1]);
	free(r);
}

void cv_book_clear(cv_book *b)
{
	for (size_t i = 0; i < b->nrounds; i++)
		round_free(b->rounds[i]);
	free(b->rounds);
	b->rounds = NULL;
	b->nrounds = b->cap = 0;
}

cv_round *cv_book_find(const cv_book *b, uint32_t round)
{
	for (size_t i = 0; i < b->nrounds; i++)
		if (b->rounds[i]->round == round)
			return b->rounds[i];
	return NULL;
}

nt_err cv_book_get(cv_book *b, uint32_t round, cv_round **out)
{
	cv_round *r = cv_book_find(b, round);
	if (r != NULL) {
		*out = r;
		return NT_OK;
	}
	if (b->nrounds == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		cv_round **nr = realloc(b->rounds, cap * sizeof *nr);
		if (nr == NULL)
			return NT_ERR_NOMEM;
		b->rounds = nr;
		b->cap = cap;
	}
	r = calloc(1, sizeof *r);
	if (r == NULL)
		return NT_ERR_NOMEM;
	r->round = round;
	r->n = b->n;
	for (int t = 0; t < 2; t++) {
		r->votes[t] = calloc(b->n, sizeof(nt_vote));
		r->has[t] = calloc(b->n, sizeof(bool));
		r->alt[t] = calloc(b->n, sizeof(nt_vote));
		r->has_alt[t] = calloc(b->n, sizeof(bool));
		if (r->votes[t] == NULL || r->has[t] == NULL || r->alt[t] == NULL ||
		    r->has_alt[t] == NULL) {
			round_free(r);
			return NT_ERR_NOMEM;
		}
	}
	b->rounds[b->nrounds++] = r;
	*out = r;
	return NT_OK;
}

bool cv_hash_is_nil(const nt_hash *h)
{
	static const nt_hash zero;
	return memcmp(h->b, zero.b, NT_HASH_LEN) == 0;
}

bool cv_hash_eq(const nt_hash *a, const nt_hash *b)
{
	return memcmp(a->b, b->b, NT_HASH_LEN) == 0;
}

bool cv_vote_eq(const nt_vote *a, const nt_vote *b)
{
	return a->type == b->type && a->index == b->index && a->height == b->height &&
	       a->round == b->round && a->timestamp == b->timestamp &&
	       cv_hash_eq(&a->block_hash, &b->block_hash) &&
	       memcmp(a->sig.b, b->sig.b, NT_SIG_LEN) == 0;
}

const nt_vote *cv_vote_for(const cv_round *r, int t, unsigned i, const nt_hash *hash)
{
	if (r->has[t][i] && cv_hash_eq(&r->votes[t][i].block_hash, hash))
		return &r->votes[t][i];
	if (r->has_alt[t][i] && cv_hash_eq(&r->alt[t][i].block_hash, hash))
		return &r->alt[t][i];
	return NULL;
}

bool cv_has_copy(const cv_round *r, const nt_vote *v)
{
	int t = cv_ti(v->type);
	return v->index < r->n &&
	       ((r->has[t][v->index] && cv_vote_eq(&r->votes[t][v->index], v)) ||
		(r->has_alt[t][v->index] && cv_vote_eq(&r->alt[t][v->index], v)));
}

unsigned cv_count(const cv_round *r, uint8_t type, const nt_hash *hash)
{
	unsigned c = 0;
	int t = cv_ti(type);
	for (unsigned i = 0; i < r->n; i++)
		if (hash == NULL ? r->has[t][i] : cv_vote_for(r, t, i, hash) != NULL)
			c++;
	return c;
}

const nt_hash *cv_quorum_hash(const cv_round *r, uint8_t type, unsigned q)
{
	int t = cv_ti(type);
	if (cv_count(r, type, NULL) < q)
		return NULL;
	/* O(n^2) in the worst case, n <= 128, and only once a quorum of any
	 * votes exists: cheaper than keeping a hash table in step. */
	for (unsigned i = 0; i < r->n; i++) {
		if (r->has[t][i] && !cv_hash_is_nil(&r->votes[t][i].block_hash) &&
		    cv_count(r, type, &r->votes[t][i].block_hash) >= q)
			return &r->votes[t][i].block_hash;
		if (r->has_alt[t][i] && !cv_hash_is_nil(&r->alt[t][i].block_hash) &&
		    cv_count(r, type, &r->alt[t][i].block_hash) >= q)
			return &r->alt[t][i].block_hash;
	}
	return NULL;
}

bool cv_sent(const cv_round *r, unsigned idx)
{
	if (idx >= r->n)
		return false;
	if (r->has[0][idx] || r->has[1][idx])
		return true;
	for (unsigned i = 0; i < r->nprops; i++)
		if (r->props[i].p.proposer == idx)
			return true;
	return false;
}

unsigned cv_senders(const cv_round *r)
{
	unsigned c = 0;
	for (unsigned i = 0; i < r->n; i++)
		if (cv_sent(r, i))
			c++;
	return c;
}

unsigned cv_future_rounds(const cv_book *b, unsigned idx, uint32_t above)
{
	unsigned c = 0;
	for (size_t i = 0; i < b->nrounds; i++)
		if (b->rounds[i]->round > above && cv_sent(b->rounds[i], idx))
			c++;
	return c;
}

cv_prop *cv_find_block(const cv_book *b, const nt_hash *hash)
{
	for (size_t i = 0; i < b->nrounds; i++) {
		cv_round *r = b->rounds[i];
		for (unsigned j = 0; j < r->nprops; j++)
			if (cv_hash_eq(&r->props[j].p.block_hash, hash))
				return &r->props[j];
	}
	return NULL;
}

/* ---- the engine's filing, shared with core/consensus.c ---- */

const char *nt_cons_drop_name(nt_cons_drop d)
{
	static const char *const names[NT_DROP__COUNT] = {
	    "bad signature",
	    "validator index out of range",
	    "bad vote type",
	    "wrong chain",
	    "old height",
	    "far height",
	    "round too far ahead",
	    "flood",
	    "not the proposer",
	    "bad proposal",
	    "duplicate",
	    "equivocation",
	    "not of the height's set",
	};
	return (unsigned)d < NT_DROP__COUNT ? names[d] : "unknown";
}

void cv_next_clear(nt_cons *e)
{
	for (unsigned i = 0; i < e->next_nprops; i++) {
		nt_block_free(e->next_props[i].block);
		free(e->next_props[i].last_commit);
	}
	e->next_nprops = 0;
	e->next_nvotes = 0;
	memset(e->next_per_val, 0, e->n);
}

nt_err cv_push(nt_cons *e, const nt_cons_action *a)
{
	if (e->nacts == e->acts_cap) {
		size_t cap = e->acts_cap ? e->acts_cap * 2 : 16;
		nt_cons_action *na = realloc(e->acts, cap * sizeof *na);
		if (na == NULL)
			return NT_ERR_NOMEM;
		e->acts = na;
		e->acts_cap = cap;
	}
	e->acts[e->nacts++] = *a;
	return NT_OK;
}

/* ---- filing messages in the log ---- */

nt_err cv_drop(nt_cons *e, nt_cons_drop why, nt_err err)
{
	e->stats.dropped[why]++;
	return err;
}

/* Stores a vote whose signature is known to be good. */
nt_err cv_file_vote(nt_cons *e, const nt_vote *v, bool own)
{
	cv_round *r;
	int t = cv_ti(v->type);
	cv_round *have = cv_book_find(&e->book, v->round);
	if (have != NULL && have->has[t][v->index]) {
		const nt_vote *first = &have->votes[t][v->index];
		if (cv_has_copy(have, v))
			return cv_drop(e, NT_DROP_DUPLICATE, NT_ERR_EXISTS);
		nt_cons_action a = {.type = NT_CONS_EVIDENCE};
		a.vote = *first;
		a.vote2 = *v;
		e->stats.equivocations++;
		(void)cv_drop(e, NT_DROP_EQUIVOCATION, NT_ERR_EXISTS);
		/* Kept (once) when it names another value: see cv_round.alt. */
		if (!have->has_alt[t][v->index] &&
		    !cv_hash_eq(&first->block_hash, &v->block_hash)) {
			have->alt[t][v->index] = *v;
			have->has_alt[t][v->index] = true;
			e->kept++;
		}
		nt_err err = cv_push(e, &a);
		return err != NT_OK ? err : NT_ERR_EXISTS;
	}
	/* Bound what one validator can make us allocate: rounds above ours. */
	if (!own && v->round > e->round && (have == NULL || !cv_sent(have, v->index)) &&
	    cv_future_rounds(&e->book, v->index, e->round) >= NT_CONS_FUTURE_ROUNDS_PER_VAL)
		return cv_drop(e, NT_DROP_FLOOD, NT_ERR_FULL);
	nt_err err = cv_book_get(&e->book, v->round, &r);
	if (err != NT_OK)
		return err;
	r->votes[t][v->index] = *v;
	r->has[t][v->index] = true;
	if (!own)
		e->kept++;
	return NT_OK;
}

void cv_release(nt_proposal *p, bool borrowed)
{
	if (!borrowed) {
		nt_block_free(p->block);
		free(p->last_commit);
	}
	p->block = NULL;
	p->last_commit = NULL;
}

/* Stores a proposal whose signature is known to be good. Takes p->block,
 * unless borrowed (our re-proposal of validValue, owned by an earlier entry). */
nt_err cv_file_proposal(nt_cons *e, nt_proposal *p, bool own, bool borrowed, cv_prop **out)
{
	cv_round *have = cv_book_find(&e->book, p->round);
	if (have != NULL) {
		for (unsigned i = 0; i < have->nprops; i++) {
			const nt_proposal *q = &have->props[i].p;
			if (cv_hash_eq(&q->block_hash, &p->block_hash) &&
			    q->valid_round == p->valid_round) {
				cv_release(p, borrowed);
				return cv_drop(e, NT_DROP_DUPLICATE, NT_ERR_EXISTS);
			}
		}
		if (have->nprops > 0)
			e->stats.equivocations++;
		if (have->nprops == NT_CONS_PROPOSALS_PER_ROUND) {
			cv_release(p, borrowed);
			return cv_drop(e, NT_DROP_EQUIVOCATION, NT_ERR_EXISTS);
		}
	}
	if (!own && p->round > e->round && (have == NULL || !cv_sent(have, p->proposer)) &&
	    cv_future_rounds(&e->book, p->proposer, e->round) >= NT_CONS_FUTURE_ROUNDS_PER_VAL) {
		cv_release(p, borrowed);
		return cv_drop(e, NT_DROP_FLOOD, NT_ERR_FULL);
	}
	cv_round *r;
	nt_err err = cv_book_get(&e->book, p->round, &r);
	if (err != NT_OK) {
		cv_release(p, borrowed);
		return err;
	}
	cv_prop *slot = &r->props[r->nprops];
	memset(slot, 0, sizeof *slot);
	/* The same block seen before (a re-proposal of validValue): share it. */
	cv_prop *same = cv_find_block(&e->book, &p->block_hash);
	slot->p = *p;
	if (same != NULL) {
		/* Same header, so the same last_commit_hash: share both. */
		if (same->p.block != p->block && !borrowed) {
			nt_block_free(p->block);
			free(p->last_commit);
		}
		slot->p.block = same->p.block;
		slot->p.last_commit = same->p.last_commit;
		slot->owns = false;
		slot->vclock = same->vclock;
		slot->vfree = same->vfree;
	} else {
		/* A borrowed block always has an owner in the book (found above). */
		slot->owns = !borrowed;
	}
	p->block = NULL;
	p->last_commit = NULL;
	r->nprops++;
	if (!own)
		e->kept++;
	if (out != NULL)
		*out = slot;
	return NT_OK;
}

/* The proposal's last commit is the one the header names: height h-1, the
 * previous block, and H(commit bytes) == last_commit_hash. Absent only at
 * height 1 (the header then has zeros). Signatures are the host's job. */
bool cv_last_commit_ok(const nt_block *b, const nt_commit *c)
{
	const nt_header *h = &b->header;
	if (c == NULL)
		return true; /* the host's check of last_commit_hash decides */
	if (h->height <= 1 || c->height != h->height - 1 ||
	    !cv_hash_eq(&c->block_hash, &h->prev_hash))
		return false;
	uint8_t buf[NT_COMMIT_MAX];
	size_t len;
	nt_hash ch;
	if (nt_commit_encode(c, buf, sizeof buf, &len) != NT_OK)
		return false;
	nt_sha256(buf, len, &ch);
	return cv_hash_eq(&ch, &h->last_commit_hash);
}

/* ---- introspection ---- */

uint64_t nt_cons_height(const nt_cons *e)
{
	return e->height;
}

uint32_t nt_cons_round(const nt_cons *e)
{
	return e->round;
}

uint8_t nt_cons_step(const nt_cons *e)
{
	return e->step;
}

bool nt_cons_decided(const nt_cons *e)
{
	return e->decided;
}

int32_t nt_cons_locked(const nt_cons *e, nt_hash *hash)
{
	if (hash != NULL && e->locked_round >= 0)
		*hash = e->locked_hash;
	return e->locked_round;
}

int32_t nt_cons_valid_round(const nt_cons *e)
{
	return e->valid_round;
}

uint64_t nt_cons_kept(const nt_cons *e)
{
	return e->kept;
}

int nt_cons_self(const nt_cons *e)
{
	return e->self;
}

const nt_cons_stats *nt_cons_stats_get(const nt_cons *e)
{
	return &e->stats;
}
