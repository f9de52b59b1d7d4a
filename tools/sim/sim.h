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
 * and its faults), node.c (one node: host callbacks, actions, crash and
 * restart, block sync, records), wal.c (its WAL), simkv.c (its disk), byz.c
 * (Byzantine behaviours), check.c (invariants), trace.c (PRNG and trace). */
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

#define SIM_MAXV 16
#define SIM_T0 1790000000000ull
#define SIM_LC_SEEN 32
/* A peer message type of the simulator only: a raw record (mempool gossip). */
#define SIM_MSG_RECORD 0x40

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
	BUG_SKIP_LOCK = 1u << 0,   /* engine: prevote ignores the lock */
	BUG_WEAK_QUORUM = 1u << 1, /* engine: decide on f+1 precommits */
	BUG_NO_WAL = 1u << 2,	   /* host: restart without WAL and sign-state */
	BUG_WAL_CUR = 1u << 3,	   /* host: WAL only the current height (node/ before walbuf) */
	BUG_WAL_UNAUTH = 1u << 4,  /* host: WAL a message before it is authenticated */
	BUG_START_UNAUTH = 1u << 5, /* host: any message of tip+1 starts that height */
	BUG_SEND_BEFORE_SYNC = 1u << 6, /* host: a signature leaves before its sign-state sync */
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
	uint32_t epoch; /* incarnation: events of an older one are void */
	nt_seckey *key;
	/* the store: dur holds what was written with sync; live is what the
	 * running process sees (the same, since the ledger always syncs) */
	nt_kv *kv;
	nt_kv *dur;
	nt_ledger *l;
	nt_mempool *mp;
	nt_drv *drv; /* the consensus host driver (core/cons_driver.h) */
	nt_cons *e;  /* its engine, for the checks */
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

/* node.c */
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
void chk_free(sim *s);

#endif
