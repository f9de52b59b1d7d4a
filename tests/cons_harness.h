/* The test harness of the Tendermint engine (core/consensus.c), shared by
 * tests/test_consensus_*.c.
 *
 * A network case runs N engines, each in the host driver node/ runs
 * (core/cons_driver.h) over its own in-memory ledger, a message queue with
 * a virtual clock, timers, and an I/O table that proposes with
 * nt_ledger_propose, checks with nt_ledger_check_block and applies every
 * COMMIT with nt_ledger_append (so every commit the engine
 * builds is also checked by the ledger's commit verification). Messages
 * travel encoded (core/peermsg), so the wire format is exercised too.
 *
 * A single-engine case (solo) holds every key and feeds messages by hand.
 * Every helper fails the running cmocka test on an unexpected error. */
#ifndef NT_TESTS_CONS_HARNESS_H
#define NT_TESTS_CONS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cons_driver.h"
#include "core/consensus.h"
#include "core/kv.h"
#include "core/ledger.h"

#define T0 1790000000000ull
#define MAXN 8
#define MAXH 64
#define LC_SEEN 32

typedef struct net net;

typedef struct {
	net *net;
	int id;
	nt_seckey *key;
	nt_kv *kv;
	nt_ledger *l;
	nt_drv *drv; /* the host driver node/ runs, over the harness's I/O */
	nt_cons *e;  /* its engine */
	uint64_t next;	      /* a commit asks to start this height (0: none) */
	uint64_t wal_entries; /* what the driver logged */
	bool silent;	 /* never created: a crashed validator */
	bool equivocate; /* sends a second block to half of the peers */
	nt_cons_hrs persisted;
	uint64_t commits;
	uint32_t max_round; /* highest round of a commit */
	/* The last commit each block valid() saw named, by block hash: the
	 * COMMIT action carries no proposal, and append needs the commit of
	 * h-1 that the decided block names (it replaces ours). */
	struct {
		nt_hash bh;
		nt_commit *lc; /* NULL: none (height 1) */
		bool used;
	} seen[LC_SEEN];
	unsigned nseen;
} node;

typedef struct {
	uint64_t at, seq;
	int to;
	bool timer;
	uint64_t h;
	uint32_t r;
	uint8_t step;
	uint8_t *msg;
	size_t len;
} event;

struct net {
	int n, nobs; /* validators, then observers (key NULL) */
	nt_genesis g;
	node nodes[MAXN + 1];
	nt_seckey *sub;
	uint64_t now, seq, reccount;
	event *ev;
	size_t nev, cap;
	/* delivery: delay in [dmin, dmax], dup_pct percent duplicated */
	uint64_t dmin, dmax;
	unsigned dup_pct;
	uint64_t target; /* nodes start no height above this */
	nt_hash decided[MAXH + 1];
	bool have[MAXH + 1];
	uint64_t evidence;
	uint64_t synced; /* blocks fetched by catch_up */
};

/* ---- the network of engines ---- */

nt_seckey *key_from(uint64_t tag);
size_t make_record(net *w, uint8_t *out);
nt_block *build_block(net *w, const nt_ledger *l, int proposer, uint64_t now, unsigned nrec);
nt_err host_propose(void *arg, uint64_t height, uint64_t now, nt_block **out);
void seen_put(node *d, const nt_block *b, const nt_commit *lc);
const nt_commit *seen_get(node *d, const nt_hash *bh);
void seen_free(node *d);
bool host_valid(void *arg, const nt_block *b, const nt_commit *lc, uint64_t now);
nt_err host_last_commit(void *arg, uint64_t height, nt_commit *out);
nt_cons_config test_cfg(void);
void genesis_for(nt_genesis *g, int n, uint64_t tagbase);
net *net_new(int n, int nobs, unsigned silent_mask);
void net_free(net *w);
void push_ev(net *w, const event *e);
void send_to(net *w, int to, const uint8_t *msg, size_t len);
void broadcast(net *w, int from, const uint8_t *msg, size_t len);
int hrs_cmp(const nt_cons_hrs *a, const nt_cons_hrs *b);
void send_equivocation(net *w, node *d, const nt_proposal *p);
void node_engine_new(net *w, node *d, const nt_cons_config *cfg);
void run_node(net *w, node *d);
void node_start(net *w, node *d, uint64_t h);
void net_start(net *w);
void catch_up(net *w, node *d, uint64_t msg_height);
void deliver(net *w, event *e);
uint64_t min_height(const net *w);
void net_run(net *w, uint64_t height, uint64_t limit_ms);
void check_chains_equal(net *w, uint64_t upto);

/* ---- single-engine cases: I hold every key and feed messages by hand ---- */

typedef struct {
	nt_genesis g;
	nt_seckey *keys[4];
	nt_kv *kv;
	nt_ledger *l;
	nt_cons *e;
	net *w; /* for build_block's record counter and submitter */
	node host;
	nt_cons_actions acts;
	nt_block *last_b; /* a copy of the last fresh block feed_proposal made */
} solo;

solo *solo_new(int n, int self, const nt_cons_hrs *restore);
void solo_free(solo *s);
/* A vote of validator idx signed with key. */
nt_vote vote_signed(const nt_genesis *g, const nt_seckey *key, int idx, uint8_t type,
		    uint64_t h, uint32_t r, const nt_hash *bh, uint64_t ts);
nt_vote mkvote(solo *s, int idx, uint8_t type, uint64_t h, uint32_t r, const nt_hash *bh);
nt_err feed_vote(solo *s, int idx, uint8_t type, uint32_t r, const nt_hash *bh);
nt_block *copy_block(const nt_block *b);
nt_err feed_prop_h(solo *s, uint64_t h, int idx, uint32_t r, int32_t vr, nt_block *blk,
		   nt_commit *lc, nt_hash *bh);
nt_err feed_proposal(solo *s, int idx, uint32_t r, int32_t vr, const nt_block *reuse, nt_hash *bh);
const nt_vote *emitted(const solo *s, uint8_t type);
bool is_nil(const nt_hash *h);
bool has_action(const solo *s, nt_cons_action_type t);

#endif
