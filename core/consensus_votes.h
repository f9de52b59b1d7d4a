/* Internal to core/consensus*.c: the message log of one height.
 *
 * For each round that has messages: one vote slot per validator and vote
 * type (the first vote wins; a different second one is equivocation) and up
 * to NT_CONS_PROPOSALS_PER_ROUND proposals. Tallies are computed by scanning
 * the n slots (n <= 128), which keeps the structure trivially correct. */
#ifndef NT_CONSENSUS_VOTES_H
#define NT_CONSENSUS_VOTES_H

#include "core/consensus.h"

/* valid(v) cache states. */
enum { CV_UNKNOWN = 0, CV_YES = 1, CV_NO = 2 };

typedef struct {
	nt_proposal p;
	bool owns;	/* frees p.block (false: shares another entry's block) */
	uint8_t vclock; /* valid(v) with the clock bound */
	uint8_t vfree;	/* valid(v) without it */
} cv_prop;

typedef struct {
	uint32_t round;
	unsigned n; /* slots per vote type */
	unsigned nprops;
	cv_prop props[NT_CONS_PROPOSALS_PER_ROUND];
	/* [0] prevotes, [1] precommits; n slots each */
	nt_vote *votes[2];
	bool *has[2];
	/* One conflicting second vote per validator and type (an equivocator's
	 * vote for another value). It counts toward that value's 2f+1, as in
	 * the paper, where a Byzantine process's messages are all counted:
	 * otherwise honest nodes that kept different "first" votes of an
	 * equivocator may never see the same 2f+1 again (a liveness loss the
	 * simulator found). Never counted in the "any value" tallies. */
	nt_vote *alt[2];
	bool *has_alt[2];
} cv_round;

typedef struct {
	unsigned n;
	cv_round **rounds;
	size_t nrounds, cap;
} cv_book;

/* Index 0 for prevotes, 1 for precommits. */
static inline int cv_ti(uint8_t type)
{
	return type == NT_VOTE_PRECOMMIT ? 1 : 0;
}

void cv_book_init(cv_book *b, unsigned n);
/* Frees every round and the proposals' blocks they own. */
void cv_book_clear(cv_book *b);
cv_round *cv_book_find(const cv_book *b, uint32_t round);
nt_err cv_book_get(cv_book *b, uint32_t round, cv_round **out) NT_MUST_CHECK;

/* Validators with a vote of this type in r for hash, a second (alt) vote
 * included (NULL: any hash, i.e. validators that voted). */
unsigned cv_count(const cv_round *r, uint8_t type, const nt_hash *hash);
/* A non-nil hash with at least q votes of this type in r, or NULL. */
const nt_hash *cv_quorum_hash(const cv_round *r, uint8_t type, unsigned q);
/* Distinct validators with any message in r (votes and proposals). */
unsigned cv_senders(const cv_round *r);
/* True if validator idx sent anything in r. */
bool cv_sent(const cv_round *r, unsigned idx);
/* Rounds above `above` in which validator idx sent anything. */
unsigned cv_future_rounds(const cv_book *b, unsigned idx, uint32_t above);
/* A remembered proposal (any round) whose block has this hash, or NULL. */
cv_prop *cv_find_block(const cv_book *b, const nt_hash *hash);

/* The engine (core/consensus.c); here so the filing code can live beside
 * the log it fills. */
struct nt_cons {
	nt_genesis g;
	/* The set of the running height (the genesis set until the host
	 * gives another): n, quorum, weak and self follow from it. */
	nt_valset vals;
	unsigned n, quorum, weak;
	const nt_seckey *key;
	int self; /* our index, -1 for an observer */
	nt_cons_config cfg;
	nt_cons_host host;
	nt_cons_hrs last_signed;
	nt_cons_stats stats;

	/* Algorithm 1, lines 2-9 */
	bool started, decided;
	uint64_t height;
	uint32_t round;
	uint8_t step;
	const nt_block *locked_value; /* points into the book */
	nt_hash locked_hash;
	int32_t locked_round;
	const nt_block *valid_value;
	nt_commit *valid_lc; /* validValue's last commit, in the book too */
	nt_hash valid_hash;
	int32_t valid_round;
	/* "for the first time" guards of lines 34, 36, 47: per round_p */
	bool once34, once36, once47;
	cv_book book;

	/* Messages of height+1, replayed by start_height. */
	nt_vote *next_votes;
	size_t next_nvotes, next_cap;
	uint8_t *next_per_val;
	nt_proposal next_props[NT_CONS_NEXT_PROPOSALS];
	unsigned next_nprops;

	/* Messages kept (filed, buffered or stored as evidence): the host
	 * logs exactly those (nt_cons_kept). */
	uint64_t kept;
	/* The last message nt_cons_authenticate_* verified: on_vote and
	 * on_proposal skip a second check of the same signature. */
	bool auth_ok;
	uint16_t auth_index;
	nt_hash auth_m;
	nt_sig auth_sig;

	/* Output of the current call. */
	nt_cons_action *acts;
	size_t nacts, acts_cap;
	nt_commit commit;
	uint64_t now;
};

/* Appends an action to the current call's output. */
nt_err cv_push(nt_cons *e, const nt_cons_action *a) NT_MUST_CHECK;
/* Counts a dropped message and returns err. */
nt_err cv_drop(nt_cons *e, nt_cons_drop why, nt_err err);
/* Files a vote whose signature is good: duplicates, equivocation (an
 * EVIDENCE action), the per-validator bound on future rounds. */
nt_err cv_file_vote(nt_cons *e, const nt_vote *v, bool own) NT_MUST_CHECK;
/* Files a proposal whose signature is good; takes p->block and
 * p->last_commit unless borrowed (our re-proposal of validValue). */
nt_err cv_file_proposal(nt_cons *e, nt_proposal *p, bool own, bool borrowed,
			cv_prop **out) NT_MUST_CHECK;
/* Frees p's block and last commit unless borrowed; clears both. */
void cv_release(nt_proposal *p, bool borrowed);
/* Empties the next-height buffer. */
void cv_next_clear(nt_cons *e);
/* The last commit names the header's predecessor (see consensus.h). */
bool cv_last_commit_ok(const nt_block *b, const nt_commit *c);

bool cv_hash_is_nil(const nt_hash *h);
bool cv_hash_eq(const nt_hash *a, const nt_hash *b);
bool cv_vote_eq(const nt_vote *a, const nt_vote *b);
/* Validator i's vote of this type in r for hash (its first or its alt), or NULL. */
const nt_vote *cv_vote_for(const cv_round *r, int t, unsigned i, const nt_hash *hash);
/* True if v is exactly a vote already filed in r (first or alt). */
bool cv_has_copy(const cv_round *r, const nt_vote *v);

#endif
