/* notary-sim: a deterministic simulator of N nodes built from the real core.
 *
 * Every node is the real consensus engine (core/consensus.h) over the real
 * ledger (core/ledger.h on an in-memory store whose synced writes are the
 * only durable state), the real mempool and real receipts. There are no
 * sockets, threads or clocks: one event queue ordered by (virtual time,
 * sequence number) drives everything, and one PRNG seeded from the seed makes
 * every choice (delays, losses, partitions, crashes, Byzantine moves). So a
 * seed replays byte for byte.
 *
 * Files: sim.c (options, the seed loop), net.c (event queue, virtual network
 * and its faults), node.c (one node: host callbacks, actions, block sync,
 * records), life.c (boot, crash and restart), change.c (validator-set
 * changes), wal.c (its WAL), simkv.c (its disk), byz.c (Byzantine
 * behaviours), check.c (invariants), trace.c (PRNG and trace). */
#ifndef NT_SIM_H
#define NT_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cons_driver.h"
#include "core/consensus.h"
#include "core/kv.h"
#include "core/ledger.h"
#include "core/mempool.h"
#include "core/record.h"
#include "core/valset_change.h"

#define SIM_MAXV 16
#define SIM_T0 1790000000000ull
#define SIM_LC_SEEN 32
/* A peer message type of the simulator only: a raw record (mempool gossip). */
#define SIM_MSG_RECORD 0x40
/* Another: u8 type || u64 tip, a node's height (node/'s STATUS), sent only
 * in runs with set changes: a node behind a change cannot authenticate the
 * new set's messages, so they cannot tell it that it is behind. */
#define SIM_MSG_STATUS 0x41
#define SIM_MSG_STATUS_LEN 9
/* And: u8 type || a pending set change's wire form (core/valset_change.h,
 * nt_change_encode), the node's NT_GOSSIP_CHANGE. */
#define SIM_MSG_CHANGE 0x42
/* Set changes planned per run at most, keys one office holds over a run. */
#define SIM_MAXCHG 8
#define SIM_MAXKEYS 4

/* Faults (bit mask). */
enum {
	F_DELAY = 1u << 0,
	F_LOSS = 1u << 1,
	F_DUP = 1u << 2,
	F_REORDER = 1u << 3,
	F_PARTITION = 1u << 4,
	F_CRASH = 1u << 5,
	F_SKEW = 1u << 6,
	F_ALL = (1u << 7) - 1,
};

/* Planted bugs (--inject-bug). The engine ones map to nt_cons_config.inject_bugs. */
enum {
	BUG_SKIP_LOCK = 1u << 0,    /* engine: prevote ignores the lock */
	BUG_WEAK_QUORUM = 1u << 1,  /* engine: decide on f+1 precommits */
	BUG_NO_WAL = 1u << 2,	    /* host: restart without WAL and sign-state */
	BUG_WAL_CUR = 1u << 3,	    /* host: WAL only the current height (node/ before walbuf) */
	BUG_WAL_UNAUTH = 1u << 4,   /* host: WAL a message before it is authenticated */
	BUG_START_UNAUTH = 1u << 5, /* host: any message of tip+1 starts that height */
	BUG_SEND_BEFORE_SYNC = 1u << 6, /* host: a signature leaves before its sign-state sync */
	BUG_LATE_SWITCH = 1u << 7, /* host: the first height of a new set runs with the old one */
};

typedef struct {
	uint64_t seeds, start;
	int validators, byzantine;
	unsigned faults;
	unsigned bugs;
	bool trace;
	bool keep_going; /* do not stop at the first failing seed */
	uint64_t heights;
	bool heights_set; /* --heights given: stop once reached */
	uint64_t time_ms; /* virtual deadline; 0: heal_at + liveness bound */
	uint64_t heal_ms; /* faults stop at this virtual time */
	unsigned records;
	unsigned changes; /* set changes a version 2 (odd) seed plans */
	const char *faults_arg, *bugs_arg;
} sim_opts;

/* Byzantine strategies. */
enum { BYZ_NONE = 0, BYZ_MIXED, BYZ_SILENT, BYZ_GARBAGE };

/* One write-ahead log entry: an input of the current height. */
enum { WAL_PROPOSAL = 1, WAL_VOTE, WAL_TIMEOUT };
typedef struct {
	uint8_t kind;
	bool own;
	uint64_t h;
	uint32_t r;
	uint8_t step;
	uint8_t *msg;
	size_t len;
} wal_ent;

typedef struct sim sim;

typedef struct {
	sim *s;
	int id;
	int byz; /* BYZ_* */
	bool up;
	bool born;	/* booted once (an office added later boots when planned) */
	uint32_t epoch; /* incarnation: events of an older one are void */
	nt_seckey *key;
	/* The office's keys: every key it held or was handed for a rotation,
	 * in order; key is pubs[nkey], next_key (a rotation's, NULL: none)
	 * replaces it when a height of a set that names it starts. */
	nt_pubkey pubs[SIM_MAXKEYS];
	int npubs, nkey;
	nt_seckey *next_key;
	/* the store: dur holds what was written with sync; live is what the
	 * running process sees (the same, since the ledger always syncs) */
	nt_kv *kv;
	nt_kv *dur;
	nt_ledger *l;
	nt_mempool *mp;
	nt_changepool *pool;	    /* pending set changes and their approvals (volatile) */
	nt_drv *drv;		    /* the consensus host driver (core/cons_driver.h) */
	nt_cons *e;		    /* its engine, for the checks */
	int64_t clk_base, clk_rate; /* clock offset ms, drift ms per virtual s */
	/* durable: the sign-state PERSIST_SIGNED saved */
	nt_cons_hrs persisted;
	/* durable up to wal_synced: the inputs of the current height and the
	 * early ones of the next (which the engine buffers) */
	wal_ent *wal;
	size_t wal_n, wal_cap, wal_synced;
	/* the last commit each block valid() accepted named (see consensus.h) */
	struct {
		nt_hash bh;
		nt_commit *lc;
		bool used;
	} seen[SIM_LC_SEEN];
	unsigned nseen;
	uint64_t sync_hint;
	bool sync_pending;
	/* when heights start (node/consensus_host.c's rule): the virtual
	 * time of our last block (heartbeats), a start already queued */
	uint64_t last_block_at;
	bool start_soon;
	/* the lock at the crash, which replaying the WAL must restore */
	uint64_t crash_h;
	int32_t crash_lock;
	nt_hash crash_lock_hash;
	/* Byzantine: the first proposal seen per (height, round) */
	struct {
		uint64_t h;
		uint32_t r;
		nt_hash bh;
	} bseen[8];
	unsigned nbseen;
	/* statistics */
	uint64_t commits, synced, crashes, garbage_in;
	uint32_t max_round;
} sim_node;

/* Events. */
enum {
	EV_MSG = 1,
	EV_TIMER,
	EV_START,
	EV_SYNC,
	EV_TICK,
	EV_CRASH,
	EV_RESTART,
	EV_SUBMIT,
	EV_PART,
	EV_PART_HEAL,
	EV_HEAL,
	EV_PLAN,     /* the operators plan the next set change */
	EV_APPROVAL, /* an operator hands approval r of change h to its node */
	EV_BOOT,     /* an added office's node starts */
	EV_BCRASH,   /* a crash at a set change's boundary */
};

typedef struct {
	uint64_t at, seq;
	int kind;
	int to, from;
	uint32_t epoch;
	uint64_t h;
	uint32_t r;
	uint8_t step;
	uint8_t *msg;
	size_t len;
} sim_ev;

/* One submitted record and what became of it. */
typedef struct {
	uint8_t bytes[NT_RECORD_MAX];
	size_t len;
	nt_hash id;
	uint64_t first_submit;
	int home; /* node the client waits on (-1: not yet submitted) */
	bool receipt;
	uint64_t receipt_at, height;
} sim_rec;

/* What one honest node signed at (h, r, step): the signed message hash. */
typedef struct {
	uint64_t h;
	uint32_t r;
	uint8_t step, used;
	nt_hash m;
} sig_slot;

/* A Byzantine split of one (height, round) shared by the Byzantine nodes. */
typedef struct {
	uint64_t h;
	uint32_t r;
	bool used;
	nt_hash v1, v2;
	uint32_t xmask;	   /* honest nodes shown v1; the rest see v2 */
	uint32_t deciders; /* of xmask: those sent our precommit for v1 */
} byz_plan;

/* A planned validator-set change (change.c). */
enum { CHG_ADD = 1, CHG_REMOVE, CHG_ROTATE };
typedef struct {
	int kind;
	int office;	  /* the node added, removed or rotated */
	uint64_t index;	  /* change_index: changes landed before it */
	uint64_t planned; /* virtual time */
	nt_valset *to;	  /* the new set (malloc'd) */
	uint8_t *vb;	  /* its valset_bytes (malloc'd) */
	size_t vlen;
	nt_hash to_hash; /* next_validators_hash: H(vb) */
	unsigned quorum; /* of the set it changes */
	nt_approval appr[SIM_MAXV];
	int appr_by[SIM_MAXV]; /* the node of the operator who signed it */
	unsigned nappr;
	int crash_node;	   /* a crash at the boundary: this node, -1: none */
	bool crash_before; /* when it accepts the change block, else after it commits */
	bool crashed;
	uint64_t landed; /* height of the change block, 0: not yet */
} sim_change;

struct sim {
	sim_opts o;
	uint64_t seed;
	uint64_t rng[4];
	FILE *tr; /* trace, or NULL */
	int n;
	nt_genesis g;
	nt_cons_config cfg;
	sim_node nodes[SIM_MAXV];
	nt_seckey *subkeys[3];
	/* time and events */
	uint64_t now, seq;
	sim_ev *heap;
	size_t nheap, capheap;
	/* network parameters of this seed */
	uint64_t dmin, dmax;
	unsigned loss_pm, dup_pm, reorder_pm; /* per mille */
	uint64_t heal_at, deadline;
	uint64_t commit_delay, tick_ms, retry_ms, sync_delay, heartbeat_ms;
	int64_t skew_bound;
	int part[SIM_MAXV]; /* partition side of each node; all 0: none */
	bool healed;
	/* records */
	sim_rec *recs;
	unsigned nrecs;
	/* checks */
	nt_hash *decided;
	uint8_t *have;
	uint64_t ndecided;
	/* per height: started by a node that had records or a due heartbeat,
	 * or by a Byzantine validator's own signed message */
	uint8_t *justified;
	uint64_t njustified;
	sig_slot *sigs[SIM_MAXV];
	size_t sigcap[SIM_MAXV], nsig[SIM_MAXV];
	byz_plan plans[16];
	/* set changes: planned (nchg) and landed (nlanded, in order) */
	unsigned want_changes;
	sim_change chg[SIM_MAXCHG];
	unsigned nchg, nlanded;
	bool failed;
	char fail_check[32];
	char fail_msg[512];
	/* statistics */
	uint64_t delivered, dropped, evidence, steps;
};

/* trace.c: PRNG and output */
void sim_rng_seed(sim *s, uint64_t seed);
uint64_t sim_rand(sim *s);
/* Uniform in [lo, hi]. */
uint64_t sim_range(sim *s, uint64_t lo, uint64_t hi);
bool sim_chance(sim *s, unsigned per_mille);
void sim_trace(sim *s, const char *fmt, ...) NT_PRINTF(2, 3);
/* First 8 hex digits of a hash, for traces. */
const char *sim_short(const nt_hash *h, char buf[17]);

/* net.c: events and the virtual network */
void sim_push(sim *s, const sim_ev *e);
bool sim_pop(sim *s, sim_ev *out);
void sim_events_free(sim *s);
/* Sends a copy of msg from -> to through the faulty network. */
void sim_send(sim *s, int from, int to, const uint8_t *msg, size_t len);
void sim_broadcast(sim *s, int from, const uint8_t *msg, size_t len);
bool sim_reachable(const sim *s, int a, int b);
bool sim_faulty_phase(const sim *s);
void sim_net_setup(sim *s);
void sim_on_part(sim *s, const sim_ev *e);

/* sim.c: a key derived from the seed (validators, submitters, rotations) */
nt_seckey *sim_derive_key(uint64_t seed, const char *what, int i);

/* node.c */
void sim_node_sched(sim_node *d, int kind, uint64_t delay, uint64_t h, uint32_t r, uint8_t step);
/* A driver for d's key (before it, the office takes a rotated key if the
 * set of its next height names it); log_h: the height its WAL is the log
 * of (0: reset at the first start_height). */
void sim_node_engine_new(sim_node *d, uint64_t log_h);
/* Feeds the driver d's WAL again, in order. */
void sim_node_replay_wal(sim_node *d);
/* An idle node starts its next height if something is due. */
void sim_node_maybe_start(sim_node *d);
nt_err sim_node_init(sim *s, sim_node *d);
void sim_node_free(sim_node *d);
void sim_node_boot(sim_node *d);
void sim_node_crash(sim_node *d);
void sim_node_restart(sim_node *d);
uint64_t sim_node_now(const sim_node *d);
void sim_node_event(sim_node *d, const sim_ev *e);
void sim_node_submit(sim_node *d, sim_rec *r);
/* Executes the actions of one engine call (honest or Byzantine host). */
void sim_node_catch_up(sim_node *d, uint64_t upto);
nt_err sim_node_build_block(sim_node *d, uint64_t height, uint64_t time, unsigned skip,
			    nt_block **out);

/* change.c: validator-set changes planned by the simulator, which plays
 * the offices' operators */
void sim_change_setup(sim *s);
void sim_change_free(sim *s);
void sim_change_event(sim *s, const sim_ev *e);
/* The set that commits height h on the chain (the genesis set and every
 * landed change below h). */
const nt_valset *sim_chain_set(const sim *s, uint64_t h);
/* The node whose office holds (or held) key pk, or -1. */
int sim_node_of_key(const sim *s, const nt_pubkey *pk);
/* The node behind validator index i of the set of height h, or -1. */
int sim_node_of_index(const sim *s, uint64_t h, unsigned i);
/* d's validator index in the set of h, or -1. */
int sim_index_at(const sim_node *d, uint64_t h);
/* d's pool holds a change with a quorum of approvals of its chain's set. */
bool sim_change_ready(const sim_node *d);
/* Makes b (just built by d) the change block, when d is ready. */
void sim_change_attach(sim_node *d, nt_block *b);
/* The pool's side of node/valset_host.c: after each block and before each
 * height, drop what the chain made stale; a gossiped change enters the
 * pool (true if it added an approval); each gossip tick d sends what it
 * holds to one peer. */
void sim_change_prune(sim_node *d);
bool sim_change_gossip_in(sim_node *d, const uint8_t *msg, size_t len);
void sim_change_gossip_tick(sim_node *d);
/* Byzantine d gossips a forged approval beside a real one. */
void sim_change_forge_gossip(sim_node *d);
/* Byzantine d makes b a change block no quorum approved (true if done). */
bool sim_change_forge(sim_node *d, nt_block *b);
/* b passed valid() on honest node d / was appended by d. */
void sim_change_valid(sim_node *d, const nt_block *b);
void sim_change_appended(sim_node *d, const nt_block *b);
/* Before d starts a height (node/valset_host.c's nd_valset_follow): if the
 * set of that height names the office's rotated key, the driver signs with
 * it from that height on (nt_drv_set_key) and the old key is destroyed. */
void sim_office_follow(sim_node *d);
/* " (the first height of the set that change k made)" if h is one, else "". */
const char *sim_change_note(const sim *s, uint64_t h, char *buf, size_t cap);
/* All planned changes landed, and the chain went on with the new set. */
bool sim_changes_done(const sim *s);
void sim_changes_final(sim *s);
void sim_status_tick(sim_node *d);

/* simkv.c: a store whose synced writes survive sim_node_crash */
nt_err simkv_new(nt_kv *dur, nt_kv **out) NT_MUST_CHECK;
void simkv_crash(nt_kv *kv);

/* wal.c: the WAL (durable up to wal_synced) and the last-commit table */
void sim_wal_append(sim_node *d, uint8_t kind, bool own, const uint8_t *msg, size_t len, uint64_t h,
		    uint32_t r, uint8_t step);
void sim_wal_truncate(sim_node *d, size_t n);
/* Drops entries of heights below h, keeping the order and the synced mark. */
void sim_wal_keep_from(sim_node *d, uint64_t h);
/* The last commit a block accepted by valid() named (the COMMIT action has
 * only the block): remembered by block hash. */
void sim_seen_put(sim_node *d, const nt_block *b, const nt_commit *lc);
bool sim_seen_get(sim_node *d, const nt_hash *bh, const nt_commit **lc);
void sim_seen_clear(sim_node *d);

/* byz.c */
void byz_on_proposal_seen(sim_node *d, const nt_proposal *p);
void byz_broadcast_proposal(sim_node *d, const nt_proposal *p);
void byz_broadcast_vote(sim_node *d, const nt_vote *v);
/* Extra hostile traffic at a gossip tick. */
void byz_tick(sim_node *d);

/* check.c */
void sim_fail(sim *s, const char *check, const char *fmt, ...) NT_PRINTF(3, 4);
void chk_commit(sim *s, int node, uint64_t h, const nt_hash *bh);
void chk_signed(sim *s, int node, uint64_t h, uint32_t r, uint8_t step, const nt_hash *m);
void chk_receipt(sim *s, sim_node *d, sim_rec *r);
void chk_durable(sim *s, sim_node *d);
/* A height started on node's side, with a reason that may make an empty
 * block right (records pending, a heartbeat due, a Byzantine signer). */
void chk_started(sim *s, uint64_t h, bool justified);
/* An honest node committed b: no empty block nobody had a reason for. */
void chk_no_empty_block(sim *s, const sim_node *d, const nt_block *b);
/* What an honest node writes to its WAL: authenticated bytes only, and no
 * more entries for its height than the engine can keep. */
void chk_wal_append(sim *s, const sim_node *d, uint8_t kind, bool own, const uint8_t *msg,
		    size_t len);
void chk_final(sim *s);
/* A signature honest node d makes at height h: its office holds that key
 * in the set of h (no removed office, no retired key signs). */
void chk_signer(sim *s, const sim_node *d, uint64_t h, uint32_t r, uint8_t step);
/* Honest d started h: its engine runs h with the chain's set of h. */
void chk_height_set(sim *s, const sim_node *d, uint64_t h);
void chk_free(sim *s);

#endif
