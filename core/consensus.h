/* The Tendermint consensus engine: a pure, deterministic state machine.
 *
 * Implements Algorithm 1 of Buchman, Kwon, Milosevic, "The latest gossip on
 * BFT consensus" (arXiv:1807.04938). The code quotes the paper's line numbers
 * at each upon-rule. No sockets, clocks, threads or disk: the host (node/ or
 * a test harness) feeds events in -- a proposal, a vote, a fired timeout, the
 * start of a height -- always with its current time `now` (ms since the
 * epoch), and performs the actions that come out, IN ORDER.
 *
 * Values are blocks (core/block.h); id(v) is the block_hash H(header bytes).
 *
 * Messages
 *   Proposal (height, round, valid_round or -1, block, proposer index, sig),
 *   sig = BIP-340 by vals[proposer] over
 *     TH("notary/proposal", str8 chain_id || u64 height || u32 round ||
 *        u32 valid_round (0xffffffff for -1) || 32 block_hash)
 *   Vote: FORMATS.md votes, sig over nt_vote_sighash(type, chain_id, height,
 *   round, block_hash, timestamp), plus the voter's validator index. A vote
 *   for nil has an all-zero block_hash. Votes do not carry the chain_id: a
 *   vote of another chain simply fails its signature check.
 *
 * Parameters of the algorithm
 *   "The set" below is the validator set of the running height: the one
 *   the host gave nt_cons_start_height_set for it, else the last one given,
 *   else the genesis set. n validators in the set's order (equal power).
 *   2f+1 means quorum = floor(2n/3)+1 (nt_valset_quorum) and f+1 means
 *   weak = n - quorum + 1, the smallest set that must contain an honest
 *   validator. Heights start at 1. proposer(h, r) = vals[(h + r) % n]:
 *   round-robin over the set's order, shifted by one each height so that the
 *   job rotates even when every height decides in round 0.
 *   timeoutX(r) = base_X + r * delta_X (ms): timeouts grow linearly with the
 *   round so that eventually they exceed the real message delay.
 *
 * Changing the validator set (FORMATS.md, version 2)
 *   The engine takes a height's set from the host when the height starts
 *   (nt_cons_start_height_set, copied); it never reads blocks for it: the
 *   host passes the set its chain names for h (next_validators_hash of h-1
 *   and the valset_bytes of the change block; the genesis set at h = 1).
 *   Everything of the height comes from that set: n, quorum, weak,
 *   proposer(h, r), the index range and the key of every signature check,
 *   the vote tallies and the commit (indices of the set). Our own index
 *   follows our key: in a new set we may have another index, none (then we
 *   are an observer for that height: we sign nothing and emit no
 *   PERSIST_SIGNED), or become a member. The sign-state is the key's, kept
 *   across changes. A set with the same keys in the same order as the one
 *   before (names aside) changes nothing: the engine then behaves exactly
 *   as with one set.
 *   Messages of height+1 arriving before that height starts are
 *   authenticated (nt_cons_authenticate_*, on_*) against the set of the
 *   RUNNING height, since the next set is not known yet; a validator index
 *   beyond that set is dropped (NT_DROP_BAD_INDEX; the sender's later
 *   messages or the round's timeouts cover it). When start_height files
 *   them under a different set, each is checked again: index in range,
 *   proposer(h, r) and the header's proposer key, signature by the new
 *   set's key. One that does not fit is dropped and counted as
 *   NT_DROP_OLD_SET: messages of the old set for the new height are
 *   refused (a removed validator's vote, a retired key's signature).
 *
 * The last commit
 *   Each validator's commit for height h holds the 2f+1 precommits IT saw
 *   first, so two honest nodes usually store different (equally valid)
 *   commits, while the header of h+1 names exactly one by last_commit_hash.
 *   A proposal therefore carries the proposer's commit of h-1, and valid()
 *   receives it: the host must accept a block whose last commit differs
 *   from its own stored one when that commit verifies for the same block,
 *   and store the block's version when it applies h+1 (the canonical
 *   commit of h is the one h+1 names). See the report: the ledger needs
 *   an API for that (nt_ledger_check_block compares with its own commit).
 *
 * valid(v)
 *   The host's valid() callback (the node calls nt_ledger_check_block). The
 *   engine additionally requires header.height == h and header.chain_id ==
 *   the genesis chain_id. When deciding whether to prevote v (lines 23, 29)
 *   the engine passes the local clock as `now` and itself checks
 *   header.time <= now + max_clock_skew_ms. When 2f+1 validators already
 *   prevoted or precommitted v (lines 36, 49) it passes now = 0, meaning "skip
 *   the clock bound": a correct validator's clock already accepted the time,
 *   and refusing a decided value because of our own skewed clock would only
 *   stall us. Results are cached per proposal.
 *
 * Heights and commits
 *   After a decision (lines 49-54) the engine emits COMMIT and then stays idle
 *   at that height: it does NOT move to h+1 by itself, because valid() of the
 *   next height depends on the ledger having applied this block. The host
 *   appends the block (nt_ledger_append), and then calls
 *   nt_cons_start_height(h+1). Messages for h+1 that arrive before are kept in
 *   a small bounded buffer and replayed then. A message for a height above
 *   ours + 1 (dropped, NT_ERR_CHAIN, NT_DROP_FAR_HEIGHT) means the network
 *   decided without us: the host fetches the missing blocks with their
 *   commits (block sync, nt_ledger_append checks each commit) and calls
 *   start_height with its new height. The tests' harness does exactly that.
 *
 * Signing and crashes (double-sign protection)
 *   The engine keeps the last signed (height, round, step) -- step 1 =
 *   proposal, 2 = prevote, 3 = precommit -- and refuses to sign anything at
 *   or below it in that lexicographic order. Before every BROADCAST_PROPOSAL
 *   or BROADCAST_VOTE of a new signature it emits PERSIST_SIGNED; the host
 *   MUST write it durably (fsync) before executing any later action, so that
 *   a vote or proposal never leaves before its sign-state is on disk. The
 *   action carries the message it protects (its vote, or its proposal), so
 *   a host that logs its own messages with the sign-state needs no look at
 *   the actions after it; nothing promises that the broadcast comes next. After a
 *   restart the host calls nt_cons_set_last_signed() with the persisted value
 *   before start_height: the engine then never signs again for a (h, r, step)
 *   it may already have signed; it just stays silent in that step. When a
 *   step's own vote is withheld for that reason, the engine schedules that
 *   step's timeout at once, so a node that restarted mid-round (even the only
 *   validator of a one-node network) still moves on to a round it may sign in.
 *   Timeouts only ever affect liveness, never safety.
 *   Locks (lockedValue/lockedRound) live in memory only. A host that must
 *   survive crashes without counting as faulty logs every input event of
 *   the height (proposals, votes -- its own included --, fired timeouts) in
 *   a write-ahead log and replays them in order after set_last_signed and
 *   start_height: state transitions, including locking, happen even when a
 *   signature is withheld, so the replay rebuilds the locks and the round.
 *
 * Byzantine input
 *   Nothing a peer sends can abort the engine. Every dropped message returns
 *   an error code and bumps a counter (nt_cons_stats, by reason): bad
 *   signature, validator index out of range, wrong chain (proposal), old or
 *   far-future height (late votes of a height we already decided count as
 *   old), round more than NT_CONS_MAX_ROUND_AHEAD ahead, a proposal from a
 *   validator that is not proposer(h, r), a valid_round not below the
 *   round, a fresh block (valid_round -1) whose header names another
 *   proposer, a last commit that is not the one the header names, too many
 *   future rounds from one validator, a buffered next-height message that
 *   does not fit the new height's set (NT_DROP_OLD_SET). A second,
 *   different vote from the same validator for the same (h, r, type) is
 *   equivocation: the first is kept, the pair is counted and reported as an
 *   EVIDENCE action. A proposer that sends two different blocks in one round
 *   is counted too; the first drives our prevote, and both are remembered
 *   (at most NT_CONS_PROPOSALS_PER_ROUND) so that a decision on either can
 *   still be recognised (safety comes from the votes, not from the proposal).
 *   Because a validator cannot decide a block it never received, the host
 *   relays every proposal that on_proposal accepted (NT_OK) to its peers
 *   once (gossip; duplicates cost the receiver one hash and are dropped).
 *
 * Observers (key NULL, or a key not in the height's validator set) follow
 * proposals and votes and emit COMMIT, but never sign and never emit
 * PERSIST_SIGNED. Membership is decided per height (set changes above).
 *
 * Not thread-safe: one owner (the node's loop, a test, the simulator). */
#ifndef NT_CONSENSUS_H
#define NT_CONSENSUS_H

#include "base/err.h"
#include "core/block.h"
#include "core/commit.h"
#include "core/genesis.h"
#include "crypto/keys.h"

/* Steps of a round; also the step field of the sign-state and timeouts. */
enum { NT_STEP_PROPOSE = 1, NT_STEP_PREVOTE = 2, NT_STEP_PRECOMMIT = 3 };

/* Rounds further ahead of ours than this are dropped (a bound on memory and
 * on what a Byzantine validator can make us allocate). */
#define NT_CONS_MAX_ROUND_AHEAD 1000u
/* A validator may have messages in at most this many rounds above ours. */
#define NT_CONS_FUTURE_ROUNDS_PER_VAL 2u
/* Proposals remembered per round (an equivocating proposer sends several). */
#define NT_CONS_PROPOSALS_PER_ROUND 2
/* Messages for height+1 kept until start_height(height+1). */
#define NT_CONS_NEXT_VOTES_PER_VAL 4u
#define NT_CONS_NEXT_PROPOSALS 4u

typedef struct {
	uint64_t height;
	uint32_t round;
	int32_t valid_round; /* -1, or 0 <= valid_round < round */
	uint16_t proposer;   /* validator index */
	nt_block *block;
	nt_hash block_hash; /* id(block); the engine recomputes it */
	/* The commit of height-1 that block->header.last_commit_hash names
	 * (NULL at height 1, or when the proposer's host gives none). It is
	 * not covered by the proposal signature: it is bound by the header
	 * hash instead, and the engine checks H(commit bytes) against it. */
	nt_commit *last_commit;
	nt_sig sig;
} nt_proposal;

typedef struct {
	uint8_t type; /* NT_VOTE_PREVOTE or NT_VOTE_PRECOMMIT */
	uint16_t index;
	uint64_t height;
	uint32_t round;
	nt_hash block_hash; /* zeros: nil */
	uint64_t timestamp;
	nt_sig sig;
} nt_vote;

/* The sign-state: the last (height, round, step) this validator signed. */
typedef struct {
	uint64_t height;
	uint32_t round;
	uint8_t step; /* 0 = nothing signed yet, else NT_STEP_* */
} nt_cons_hrs;

typedef struct {
	uint64_t timeout_propose_ms, timeout_propose_delta_ms;
	uint64_t timeout_prevote_ms, timeout_prevote_delta_ms;
	uint64_t timeout_precommit_ms, timeout_precommit_delta_ms;
	uint64_t max_clock_skew_ms; /* bound on a proposal's time ahead of ours */
	/* FOR THE SIMULATOR ONLY (tools/sim): planted bugs, NT_CONS_BUG_*, that
	 * its checks must catch. Always 0 in a node; config_default sets 0. */
	unsigned inject_bugs;
} nt_cons_config;

/* Planted bugs (nt_cons_config.inject_bugs), for the simulator only. */
#define NT_CONS_BUG_SKIP_LOCK 0x1u   /* prevote ignores lockedValue/lockedRound */
#define NT_CONS_BUG_WEAK_QUORUM 0x2u /* decide on f+1 precommits */

/* 3000+500r, 1000+500r, 1000+500r, skew 2000 ms. */
void nt_cons_config_default(nt_cons_config *c);

/* The host table. arg is passed back unchanged. */
typedef struct {
	void *arg;
	/* getValue() (line 18): a new block for height built from the mempool
	 * (nt_ledger_propose; time = max(now, tip time + 1), proposer = our key).
	 * On NT_OK the engine owns *out. An error just means we propose nothing
	 * this round (others time out). */
	nt_err (*propose)(void *arg, uint64_t height, uint64_t now, nt_block **out);
	/* valid(v): nt_ledger_check_block(ledger, b, now, skew, ...) == NT_OK,
	 * with last_commit (may be NULL) the proposal's commit of height-1,
	 * already checked by the engine to hash to b's last_commit_hash and to
	 * name b's prev_hash; the host still verifies its signatures.
	 * now == 0 asks to skip the clock bound (see above). */
	bool (*valid)(void *arg, const nt_block *b, const nt_commit *last_commit, uint64_t now);
	/* Optional (may be NULL): copies the stored commit of `height` (the
	 * tip, h-1 when proposing h) into *out, so our proposals carry it. */
	nt_err (*last_commit)(void *arg, uint64_t height, nt_commit *out);
} nt_cons_host;

typedef enum {
	NT_CONS_PERSIST_SIGNED = 1, /* hrs: fsync before any later action; the
				     * message signed: vote (step prevote or
				     * precommit) or proposal (step propose;
				     * NULL if it was ours already, on replay) */
	NT_CONS_BROADCAST_PROPOSAL, /* proposal */
	NT_CONS_BROADCAST_VOTE,	    /* vote */
	NT_CONS_SCHEDULE_TIMEOUT,   /* hrs (the step that times out), delay_ms */
	NT_CONS_COMMIT,		    /* block, commit */
	NT_CONS_EVIDENCE,	    /* vote (the first) and vote2 (the conflicting one) */
} nt_cons_action_type;

typedef struct {
	nt_cons_action_type type;
	nt_cons_hrs hrs;
	uint64_t delay_ms;
	const nt_proposal *proposal;
	nt_vote vote, vote2;
	const nt_block *block;
	const nt_commit *commit; /* precommits of the deciding round, by index */
} nt_cons_action;

/* Actions of one call. The array and every pointer in it (proposal, block,
 * commit) belong to the engine and stay valid until the next call on it
 * (any nt_cons_* function taking the engine) or nt_cons_free. Copy what you
 * keep. The host executes them in order. */
typedef struct {
	const nt_cons_action *v;
	size_t n;
} nt_cons_actions;

/* Reasons a message was not used; counters in nt_cons_stats.dropped. */
typedef enum {
	NT_DROP_BAD_SIG = 0,
	NT_DROP_BAD_INDEX,    /* validator index >= n */
	NT_DROP_BAD_TYPE,     /* vote type not prevote/precommit */
	NT_DROP_WRONG_CHAIN,  /* proposal's block of another chain */
	NT_DROP_OLD_HEIGHT,   /* below ours, or ours already decided */
	NT_DROP_FAR_HEIGHT,   /* above ours + 1 */
	NT_DROP_FAR_ROUND,    /* beyond NT_CONS_MAX_ROUND_AHEAD */
	NT_DROP_FLOOD,	      /* too many future rounds / buffer full */
	NT_DROP_NOT_PROPOSER, /* proposal from someone not proposer(h, r) */
	NT_DROP_BAD_PROPOSAL, /* valid_round, no block, header or last commit */
	NT_DROP_DUPLICATE,    /* exactly a message we have (harmless) */
	NT_DROP_EQUIVOCATION, /* a second, different vote or proposal */
	NT_DROP_OLD_SET,      /* buffered for the next height, does not fit its new set */
	NT_DROP__COUNT
} nt_cons_drop;

typedef struct {
	uint64_t dropped[NT_DROP__COUNT];
	uint64_t equivocations; /* votes and proposals */
	uint64_t sign_refused;	/* signatures withheld by the sign-state guard */
	uint64_t propose_failed;
	uint64_t invalid_proposals; /* valid(v) said no */
} nt_cons_stats;

/* Human name of a drop reason ("bad signature", ...). */
const char *nt_cons_drop_name(nt_cons_drop d);

typedef struct nt_cons nt_cons;

/* Creates an engine for the genesis g (copied; its set is the set until
 * the host gives another). key (may be NULL: observer) is borrowed and must
 * outlive the engine. host is copied. The engine is idle until
 * nt_cons_start_height(_set). */
nt_err nt_cons_new(const nt_genesis *g, const nt_seckey *key, const nt_cons_config *cfg,
		   const nt_cons_host *host, nt_cons **out) NT_MUST_CHECK;
void nt_cons_free(nt_cons *e);

/* Restores the sign-state persisted from PERSIST_SIGNED (before
 * start_height after a restart). Never lowers it. */
void nt_cons_set_last_signed(nt_cons *e, const nt_cons_hrs *hrs);
/* Replaces the signing key (NULL: observer) from the next height started
 * on: a rotated office key (FORMATS.md "Changing the validator set"). The
 * last-signed state stays: it belongs to the office, not to the key, so
 * the new key never signs at or below what the old one signed. The key
 * must outlive the engine or the next call. */
void nt_cons_set_key(nt_cons *e, const nt_seckey *key);
nt_cons_hrs nt_cons_last_signed(const nt_cons *e);

/* Every entry point below always sets *out (possibly to no actions), even
 * when it returns an error: after NT_ERR_NOMEM in the middle of a step the
 * actions produced so far must still be executed.
 *
 * start_height: resets the height state (lines 49-54's reset, or the
 * initialisation, lines 1-10), replays buffered messages of h and runs
 * StartRound(0). h must be >= 1 and above the current height (NT_ERR_ARG). */
nt_err nt_cons_start_height(nt_cons *e, uint64_t h, uint64_t now,
			    nt_cons_actions *out) NT_MUST_CHECK;
/* start_height with the validator set of h (copied; 1..NT_MAX_VALIDATORS
 * validators, else NT_ERR_ARG): from now on it is "the set" (see "Changing
 * the validator set" above) until another is given. nt_cons_start_height
 * keeps the last set given (the genesis set if none). */
nt_err nt_cons_start_height_set(nt_cons *e, uint64_t h, const nt_valset *set, uint64_t now,
				nt_cons_actions *out) NT_MUST_CHECK;

/* A proposal from the wire. ALWAYS takes ownership of p->block and
 * p->last_commit (malloc'd; sets both to NULL), whatever it returns.
 * Drops: NT_ERR_SIGNATURE, NT_ERR_RANGE (index, round, valid_round),
 * NT_ERR_CHAIN (height, chain, header or last commit), NT_ERR_ARG (not the
 * proposer, no block), NT_ERR_EXISTS (duplicate or equivocation),
 * NT_ERR_FULL (flood). The host relays it to its peers on NT_OK. */
nt_err nt_cons_on_proposal(nt_cons *e, nt_proposal *p, uint64_t now,
			   nt_cons_actions *out) NT_MUST_CHECK;

/* A vote from the wire (our own replayed ones too). Drops as above, plus
 * NT_ERR_DECODE for a bad type. A conflicting second vote of a validator
 * is reported (EVIDENCE action, NT_ERR_EXISTS) yet may still count for its
 * value (core/consensus_votes.h): a host whose WAL keeps only accepted
 * input must keep such a vote too. */
nt_err nt_cons_on_vote(nt_cons *e, const nt_vote *v, uint64_t now,
		       nt_cons_actions *out) NT_MUST_CHECK;

/* Authentication, for the host to call BEFORE it keeps a message or acts
 * on it (writes it to its WAL, starts a height because of it, takes it as
 * a hint that it is behind): NT_OK only if the message is signed by the
 * validator of its height it names and every byte of it is covered by
 * that signature (a proposal's header by its block_hash, its records by
 * the header's records_root and record_count, its last commit by the
 * header's last_commit_hash). Messages the engine would drop anyway (old
 * height, round too far ahead, an exact copy we hold: NT_ERR_EXISTS,
 * not the proposer, malformed) are refused before any signature check;
 * a height above ours + 1 is checked in full (it may mean we are
 * behind). Signatures and indices are checked against the running
 * height's set, for messages of height+1 too (start_height checks those
 * again if the set changes). Drops are counted as on_* count them. No state changes but a
 * one-message memo: the on_* call that follows does not verify the same
 * signature again. authenticate_proposal sets p->block_hash. */
nt_err nt_cons_authenticate_vote(nt_cons *e, const nt_vote *v) NT_MUST_CHECK;
nt_err nt_cons_authenticate_proposal(nt_cons *e, nt_proposal *p) NT_MUST_CHECK;

/* How many messages from the wire the engine has kept so far: filed in
 * its log, buffered for the next height, or stored as the second vote of
 * an equivocation. A host whose WAL must hold exactly the input that
 * changed the engine's state logs a message iff an on_* call raised this
 * (and before executing that call's actions). What is not kept is never
 * needed to rebuild the state, so a WAL of kept messages is bounded by
 * what the engine keeps: per round at most NT_CONS_PROPOSALS_PER_ROUND
 * proposals and two votes (the second an equivocation) per validator
 * and vote type, plus the next-height buffer. */
uint64_t nt_cons_kept(const nt_cons *e);

/* A timeout scheduled by SCHEDULE_TIMEOUT fired (lines 57-67). Stale ones
 * (another height, round or step) are ignored with NT_OK. */
nt_err nt_cons_on_timeout(nt_cons *e, uint64_t h, uint32_t r, uint8_t step, uint64_t now,
			  nt_cons_actions *out) NT_MUST_CHECK;

/* Introspection for the host's status, logs and the tests. */
uint64_t nt_cons_height(const nt_cons *e);
uint32_t nt_cons_round(const nt_cons *e);
uint8_t nt_cons_step(const nt_cons *e);
bool nt_cons_decided(const nt_cons *e);
/* lockedRound (-1 if none) and, if locked and hash is not NULL, id(lockedValue). */
int32_t nt_cons_locked(const nt_cons *e, nt_hash *hash);
int32_t nt_cons_valid_round(const nt_cons *e);
/* Our validator index in the running height's set, or -1 for an observer. */
int nt_cons_self(const nt_cons *e);
const nt_cons_stats *nt_cons_stats_get(const nt_cons *e);
/* proposer(h, r) = (h + r) % n, n of the running height's set. */
unsigned nt_cons_proposer(const nt_cons *e, uint64_t h, uint32_t r);

/* TH("notary/proposal", ...) as above. */
void nt_proposal_sighash(const char *chain_id, uint64_t height, uint32_t round, int32_t valid_round,
			 const nt_hash *block_hash, nt_hash *out);

#endif
