/* notaryd internals shared by node.c (wiring and the loop), rpc_front.c
 * (JSON-RPC requests, waiters, the RPC threads' reader), consensus_host.c
 * (the engine's host: actions, timers, WAL, heights), catchup.c (fetched
 * blocks), gossip.c (peer messages: transport thread -> loop, signed
 * node-level types, drop counters), store_guard.c and netguard.c.
 *
 * Threads: see the table above struct node. */
#ifndef NT_NODE_INTERNAL_H
#define NT_NODE_INTERNAL_H

#include "core/cons_driver.h"
#include "core/consensus.h"
#include "core/kv.h"
#include "core/ledger.h"
#include "core/mempool.h"
#include "core/peermsg.h"
#include "core/valset_change.h"
#include "crypto/keys.h"
#include "net/http_server.h"
#include "net/peer.h"
#include "net/rpc_server.h"
#include "node/access.h"
#include "node/config.h"
#include "node/home_state.h"
#include "node/metrics.h"
#include "node/netguard.h"
#include "node/privval.h"
#include "node/rpc.h"
#include "node/sigcache.h"
#include "node/sync.h"
#include "node/tls_setup.h"
#include "node/wal.h"
#include "node/walbuf.h"

#include <assert.h>
#include <pthread.h>
#include <stdint.h>

/* Signed node-level peer message types (core/peermsg.h nt_peermsg_seal). */
enum {
	NT_GOSSIP_TX = 16,     /* body: one encoded record (mempool gossip) */
	NT_GOSSIP_STATUS = 17, /* body: u64 tip height || u64 engine height || u32 round */
	NT_GOSSIP_TXS = 18,    /* body: u16 n || n x (u32 len || record): a batch */
	NT_GOSSIP_CHANGE = 19, /* body: a pending set change (core/valset_change.h) */
};
/* New records are gossiped in TXS batches of up to NT_GOSSIP_TXS_MAX, one
 * per loop turn (gossip.c). Re-gossip of pending records: at most
 * REGOSSIP_PER_S a second, oldest first, only while the oldest waited
 * REGOSSIP_AGE_MS. */
#define NT_GOSSIP_TXS_MAX 128
#define NT_GOSSIP_TXS_BYTES (256u * 1024)
#define REGOSSIP_PER_S 256
#define REGOSSIP_AGE_MS 1000
#define NT_GOSSIP_STATUS_LEN (8 + 8 + 4)

/* WAL entries are peer messages (PROPOSAL / VOTE as on the wire) or a
 * fired timeout (core/cons_driver.h, NT_DRV_TIMEOUT_*). */

/* Node-level drop reasons (beside the engine's nt_cons_drop). */
typedef enum {
	ND_QUEUE_FULL = 0, /* the loop's peer queue was full */
	ND_MALFORMED,	   /* a proposal / vote / envelope that does not decode */
	ND_UNKNOWN_TYPE,
	ND_BAD_SIG,	   /* envelope or record signature */
	ND_UNKNOWN_SENDER, /* envelope sender index out of range */
	ND_BAD_RECORD,	   /* gossiped record that does not decode */
	ND_COMMITTED,	   /* gossiped record already in the ledger */
	ND_MEMPOOL_FULL,
	ND_SYNC_REJECTED, /* a synced block or commit that failed its checks */
	ND__COUNT
} nd_drop;

/* Where a reply goes: a single request (b == NULL), or slot `slot` of a
 * batch (node.c), which sends the joined array once every slot is filled. */
typedef struct rpc_batch rpc_batch;
typedef struct {
	nt_rpc_req *req;
	rpc_batch *b;
	size_t slot;
	nd_metrics *m; /* counts the reply's error code (node/metrics.h) */
} reply_to;

/* Queue entry kinds. A batch takes one entry for all its elements that need
 * the loop (it holds one nng context, like a single request). */
typedef struct {
	reply_to to;	  /* single request */
	nt_rpc_call call; /* single request */
	rpc_batch *batch; /* non-NULL: the batch's queued elements instead */
} rpc_event;

typedef struct peer_event {
	struct peer_event *next;
	uint8_t kind; /* PE_MSG, PE_TX (verified), PE_STATUS, PE_SYNC, PE_CHANGE */
	uint16_t sender;
	size_t len;
	uint8_t *msg;		/* PE_MSG: raw message; PE_TX: record bytes; PE_CHANGE: body */
	nt_hash id;		/* PE_TX: record_id */
	uint64_t status[3];	/* PE_STATUS */
	nt_block *block;	/* PE_SYNC */
	nt_commit *commit;	/* PE_SYNC */
	nt_commit *last_commit; /* PE_SYNC, may be NULL */
} peer_event;

enum { PE_MSG = 1, PE_TX, PE_STATUS, PE_SYNC, PE_CHANGE };

/* Contexts of the operator's socket (access.admin). */
#define ND_ADMIN_CONTEXTS 8

#define PEER_QUEUE_MAX 8192
#define PEER_QUEUE_BYTES (256u * 1024 * 1024)
#define SYNC_QUEUE_MAX 256

/* The loop's inbox: RPC threads push client requests (rpc_front.c), the
 * peer transport and the sync thread push peer events (gossip.c), the loop
 * drains both (nd_front_drain). Every field under mu. */
typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	rpc_event *ev;
	size_t cap, head, n;
	peer_event *ph, *pt; /* peer events, FIFO */
	size_t pn, pbytes, nsync;
	bool closed;
} queue;

typedef struct {
	reply_to to;
	char *id;
	nt_hash record_id;
	uint64_t deadline;
} waiter;

typedef struct {
	uint64_t at; /* monotonic ms */
	uint64_t h;
	uint32_t r;
	uint8_t step;
} timer;

#define MAX_TIMERS 64

/* The RPC front (rpc_front.c): requests in, replies out, waiters, and the
 * reader that queries on the RPC threads use. */
typedef struct {
	nt_rpc_server *srv; /* loop: started last, stopped first */
	rpc_event *batch;   /* loop: drain scratch, rpc_contexts entries */
	waiter *w;	    /* loop */
	size_t nw, wcap;
	bool is_validator; /* set before the server starts; status "is_validator" */
	/* pub: the ledger as the RPC threads see it, an nt_ledger_reader
	 * (core/ledger.h) the loop publishes under pub_mu once a block is
	 * durable and before any waiter of it is answered (nd_front_publish);
	 * queries copy it out under pub_mu and use the copy unlocked. */
	pthread_mutex_t pub_mu;
	nt_ledger_reader pub;
	/* Held for reading while a query uses a reader on an RPC thread;
	 * shutdown takes it for writing and sets store_closed before the
	 * ledger and the store go. Writer-preferring. */
	pthread_rwlock_t store_lock;
	bool store_closed; /* under store_lock */
	/* corrupt store reads (status "store_corruptions"): any thread,
	 * atomic (nt_rpc_note_store_error) */
	uint64_t store_corruptions;
} nd_front;

/* Peer messages (gossip.c). */
typedef struct {
	nt_peer *peer;		     /* started and stopped by the loop; nt_peer_* any thread */
	nd_sigcache *sigs;	     /* records verified recently: any thread (own lock) */
	uint64_t dropped[ND__COUNT]; /* any thread: atomic (nd_count_drop) */
	uint64_t next_status;	     /* monotonic ms */
	uint64_t *peer_tip;	     /* per validator: tip height from STATUS */
	uint64_t *peer_seen;	     /* per validator of the current set: monotonic ms of its
				      * last STATUS (zeroed when the set changes) */
	uint64_t quorum_lost_at;     /* monotonic ms quorum was last seen missing (0: seen) */
	uint64_t quorum_warned_at;   /* monotonic ms of the last WARN about it */
	uint64_t next_regossip;	     /* monotonic ms */
	unsigned peers_seen;	     /* nt_peer_connected at the last tick */
	uint64_t peer_joined_at;     /* monotonic ms a peer last connected (or start) */
	uint64_t regossiped;	     /* records re-sent (status "records_regossiped") */
	uint8_t *txs;		     /* new records not yet gossiped: a TXS body */
	size_t txs_len, txs_n;
} nd_gossip;

/* Catch-up from peers' sync RPC (catchup.c; the thread: sync.c). */
typedef struct {
	nt_sync *sync;		/* its own thread; nt_sync_* from the loop */
	uint64_t best_peer_tip; /* max of peer_tip and far messages */
	uint64_t behind_since;	/* monotonic ms we first saw a peer ahead (0: no) */
	uint64_t sync_asked_at, sync_asked_to;
	uint64_t sync_seen_tip, sync_moved_at; /* when the tip last moved */
	uint64_t blocks_synced;
} nd_catchup;

/* The consensus engine's host (consensus_host.c). */
typedef struct {
	nt_cons_config ccfg;
	nt_drv *drv;   /* executes the engine's actions (core/cons_driver.h) */
	nt_cons *cons; /* the driver's engine, for introspection: feed it via drv */
	nt_privval *pv;
	nt_wal *wal;
	timer timers[MAX_TIMERS];
	size_t ntimers;
	bool next_seen; /* a peer message for the next height arrived */
	/* messages of the engine's height+1 that it buffered: in the WAL of
	 * its height and re-appended when the WAL is reset (node/walbuf.h) */
	nt_walbuf *next_wal;
	uint64_t last_block;	/* monotonic ms of the last block (or start) */
	uint64_t started_at;	/* monotonic ms the current height started */
	uint32_t height_rounds; /* highest round seen at the running height */
	/* our own latest messages (proposal, prevote, precommit of one round),
	 * re-sent while the height does not finish: bus0 is best effort, and a
	 * peer that (re)connects late would otherwise wait forever */
	uint8_t *own[3];
	size_t own_len[3];
	uint64_t own_h;
	uint32_t own_r;
	uint64_t next_resend; /* monotonic ms */
	uint64_t relayed;     /* status "proposals_relayed" */
	/* block cadence: records added since the running height started, and
	 * whether the next height may start at once */
	bool arrived;
	bool pipeline;
	uint64_t pipeline_until; /* monotonic ms: after a non-empty block */
} nd_host;

/* Validator-set changes (valset_host.c). */
typedef struct {
	nt_changepool *pool;  /* loop: approvals heard of (core/valset_change.h) */
	uint64_t next_gossip; /* monotonic ms */
	nt_hash cur_hash;     /* loop: the set keys[0] holds (version 1 hash) */
	/* The keys peer envelopes are checked against on the transport
	 * threads: [0] the set that commits the next block, [1] the one
	 * before the last change (a peer one change behind or ahead). */
	pthread_mutex_t keys_mu;
	bool mu_ok;
	uint16_t nkeys[2];		      /* under keys_mu */
	nt_pubkey keys[2][NT_MAX_VALIDATORS]; /* under keys_mu */
} nd_valset;

/* The verification page over HTTP (http_front.c). */
typedef struct {
	nt_http_server *srv;  /* its own (nng) threads; stopped with the RPC server */
	char *page, *genesis; /* the bytes it serves, read at start */
	size_t page_len, genesis_len;
} nd_http;

/* Threads and what guards each shared field.
 *
 * The loop thread (the caller of nt_node_run) owns the node: every field
 * not in this table is the loop's alone, and the ledger, the mempool and
 * the engine are never touched by another thread. The other threads:
 *   RPC    nng's workers of the JSON-RPC server (rpc_front.c on_rpc) and of
 *          the HTTP server (http_front.c: receipts through the reader)
 *   peer   nng's workers of the peer mesh (gossip.c on_peer)
 *   sync   the catch-up fetcher (node/sync.c; gossip.c on_sync)
 *
 *   field                       threads          guarded by
 *   q (all of it)               RPC, peer, sync  q.mu (q.cv signals the loop)
 *   front.pub                   RPC (read)       front.pub_mu; readers copy it
 *   front.store_closed          RPC (read)       front.store_lock (rwlock)
 *   kv, ledger's genesis        RPC via reader   front.store_lock held for reading
 *                                                while a reader is in use
 *   front.store_corruptions     RPC              atomic (relaxed)
 *   pub, front.is_validator     RPC (read)       front.pub_mu: a rotated key and a
 *                                                set change move them on the loop
 *   vs.keys, vs.nkeys           peer (read)      vs.keys_mu
 *   gossip.dropped[]            peer, sync, loop atomic (relaxed); each
 *                                                counter stands alone
 *   gossip.sigs                 peer, loop       its own lock (sigcache.c)
 *   self                        peer (read)      atomic: store_guard.c lowers
 *                                                it after the transport starts,
 *                                                valset_host.c follows the set
 *   cfg, genesis                all (read)       written before any thread
 *                                                starts, never after
 *   key                         loop only        replaced by a rotation
 *   rpc_batch (each)            RPC, loop        its mu (rpc_front.c)
 *   acc lists, limiters         RPC, loop        acc.mu (access.c)
 *   acc counters                RPC, loop        atomic (relaxed)
 *
 * Shutdown order: close q (no new events), take store_lock for writing
 * (no query in flight), drain, stop the RPC server, stop the transport and
 * the sync thread, then free; a transport that would not stop leaves the
 * node allocated (leak). */
typedef struct node {
	const char *home;
	nt_config cfg;
	nt_genesis genesis;
	nt_seckey *key;
	nt_pubkey pub;
	int self; /* validator index, -1: observer (read by peer threads: atomic) */
	nt_kv *kv;
	nt_ledger *ledger;
	nt_mempool *mp;
	queue q;
	/* peek scratch, block_max_records entries (loop: host and gossip) */
	const uint8_t **recs;
	size_t *lens;
	nt_hash *ids;
	bool fatal;
	bool leak;	/* a transport was abandoned at stop: keep the node alive */
	pthread_t loop; /* the loop thread (nt_node_run's caller): ND_ON_LOOP */

	nd_front front;
	nd_gossip gossip;
	nd_catchup catchup;
	nd_host host;
	nd_valset vs;
	nd_http http;
	nd_tls tls;	    /* set at start (tls_setup.c); read-only after */
	nd_access acc;	    /* access lists and limiters (access.c): acc.mu */
	nd_metrics metrics; /* loop; its rpc counters and text: any thread (metrics.h) */

	/* descriptors and connections (netguard.c) */
	nd_net_watch net;
	uint64_t net_next_check; /* monotonic ms */
	nt_sockwatch *watch;	       /* handshakes and HTTP connections (connwatch.c) */
	nt_sockwatch_stats watch_logged; /* loop: the counters at the last log line */
	bool watch_cutting;		 /* loop: the last tick saw connections cut */

	/* store guard (store_guard.c) */
	nt_home_state hs;      /* DIR/node_state as known (facts only get set) */
	bool hs_failed;	       /* writing it failed once: not tried again */
	uint64_t guard_need;   /* height the store must reach (0: it is not behind) */
	uint64_t guard_signed; /* sign-state height at start */
	uint64_t guard_warned; /* monotonic ms of the last reminder */
	bool read_only;	       /* --allow-store-behind took effect: self is -1 */
} node;

/* Asserts that the caller is the loop thread, where the functions that
 * touch loop-owned state (the table above struct node) must run. */
#define ND_ON_LOOP(n) assert(pthread_equal(pthread_self(), (n)->loop))

/* node.c */
uint64_t nd_mono_ms(void);
uint64_t nd_wall_ms(void);

/* rpc_front.c */
void nd_front_init(node *n); /* the inbox's and the front's locks */
void nd_front_destroy(node *n);
/* Starts the JSON-RPC server (last step of the start). */
nt_err nd_front_start(node *n, nt_why *why);
/* Publishes the ledger's tip to the RPC threads' reader if it is durable
 * (nt_ledger_unsynced false); the waiter functions call it first. */
void nd_front_publish(node *n);
/* Whether client requests wait in the inbox (any thread). */
bool nd_front_requests_waiting(node *n);
/* Takes every queued event (waiting until deadline if there is none) and
 * handles them: client requests first, then peer events. */
void nd_front_drain(node *n, uint64_t deadline);
/* Refuses new requests and waits for the queries in flight on RPC threads;
 * after it no RPC thread uses the ledger. */
void nd_front_close(node *n);
/* Answers every waiter (after a fatal error: with the storage error), stops
 * the server and drops what was queued after the drain. */
void nd_front_stop(node *n);
void nd_waiters_settle(node *n, uint64_t now, bool all);
void nd_waiters_block(node *n, uint64_t height);
uint64_t nd_waiters_deadline(const node *n, uint64_t d); /* min(d, earliest waiter) */

/* consensus_host.c */
nt_err nd_cons_open(node *n, nt_why *why); /* engine, sign-state, WAL, replay */
void nd_cons_close(node *n);
void nd_cons_tick(node *n);			      /* fired timers, start policy, catch-up */
uint64_t nd_cons_deadline(const node *n, uint64_t d); /* min(d, next timer / start due) */
/* Feeds one consensus message (PROPOSAL / VOTE bytes) from a peer. */
void nd_cons_on_message(node *n, const uint8_t *msg, size_t len);
void nd_cons_on_synced(node *n, peer_event *ev);
void nd_cons_peer_height(node *n, uint64_t tip);
/* Starts the next height now if the cut policy says so (or force). */
void nd_cons_maybe_start(node *n, bool force);
bool nd_cons_block_due(const node *n, uint64_t now);
/* The engine runs an undecided height (tip+1). */
bool nd_cons_running(const node *n);
/* Block sync moved the ledger past the engine's height: idle it. */
void nd_cons_idle(node *n);

/* Opens the sign-state when the node's key first enters the set. */
nt_err nd_cons_open_sign_state(node *n);

/* tls_setup.c: logs TLS handshakes refused since the last call (loop,
 * once a second from nd_net_tick) */
void nd_tls_tick(node *n);

/* metrics_node.c: renders GET /metrics once a second (loop) */
void nd_metrics_tick(node *n, uint64_t now);

/* http_front.c: GET /, /genesis.json, /receipt/<id>, /metrics at http.listen */
nt_err nd_http_start(node *n, nt_why *why);
void nd_http_stop(node *n);

/* valset_host.c */
nt_err nd_valset_open(node *n, nt_why *why); /* after the ledger: pool, keys, self */
void nd_valset_close(node *n);
/* At each height start: our place in the set of the height, a rotated
 * key taking over, the keys table, stale approvals dropped. */
void nd_valset_follow(node *n);
/* Candidate keys for a peer envelope's sender index (any thread): 0..2. */
int nd_valset_peer_keys(node *n, int sender, nt_pubkey out[2]);
void nd_valset_on_gossip(node *n, const uint8_t *body, size_t len);
void nd_valset_tick(node *n, uint64_t now);	    /* re-gossip of pending changes */
bool nd_valset_ready(const node *n);		    /* a change has a quorum of approvals */
nt_err nd_valset_attach(node *n, nt_block *b);	    /* makes b the change block, if one is ready */
char *nd_valset_rpc(node *n, const nt_rpc_call *c); /* valset_approve, valset_pending */

/* helpers of consensus_host.c for catchup.c */
void nd_fatal(node *n, const char *what, const nt_why *why, nt_err e);
/* A record the mempool holds or whose signature was verified recently
 * (sigcache.h): check_block need not verify it again. arg: the node. */
bool nd_known_valid(void *arg, const nt_hash *id);

/* store_guard.c: at start (after nd_gossip_start, before nd_cons_open)
 * checks the store against the sign-state, the WAL header and node_state;
 * non-zero: the node must not start (the reason is logged). The tick
 * records new facts in node_state and notices a store that caught up. */
int nd_guard_start(node *n, bool allow_store_behind);
void nd_guard_tick(node *n, uint64_t now);
/* The status member "store_behind_sign_state": null, or the heights. */
struct json_t *nd_guard_status(const node *n);
/* netguard.c */
/* Raises the soft descriptor limit to the hard one and derives the
 * connection caps (config or descriptor budget); 1 if the limit is too low. */
int nd_net_plan(node *n);
void nd_net_tick(node *n, uint64_t now); /* leak watchdog, about once a second */
int nd_net_fds_open(void);		 /* descriptors open now, -1 unknown */
/* Adds the connection and descriptor members of the status reply to o. */
void nd_net_status(const node *n, struct json_t *o);
/* connwatch.c: started after every listener, stopped before the first
 * closes; the tick (from nd_net_tick) logs what was cut. */
nt_err nd_connwatch_start(node *n, nt_why *why);
void nd_connwatch_stop(node *n);
void nd_connwatch_tick(node *n);
void nd_connwatch_status(const node *n, struct json_t *o);

/* access.c (node/access.h) */
nt_err nd_access_open(node *n, nt_why *why); /* lists and limiters, before the front */
void nd_access_close(node *n);
/* Re-reads the list files (SIGHUP, the reload method), logging what
 * changed; a file that fails keeps its old list. Returns the failures.
 * Any thread. */
int nd_access_reload(node *n);
/* Takes cost tokens of req's connection; false: refused (*retry_ms). */
bool nd_access_conn(node *n, nt_rpc_req *req, uint32_t cost, uint64_t *retry_ms);
/* The error reply for a parsed call that may not run (admin: it came on
 * the operator's socket), or NULL. Submits take a token of their key. */
char *nd_access_call(node *n, const nt_rpc_call *c, bool admin);
/* On the loop, before a submit enters the mempool: the -32008 reply if
 * the record's key would pass its share, or NULL. */
char *nd_access_share(node *n, const nt_rpc_call *c, size_t len);
char *nd_access_reload_reply(node *n, const nt_rpc_call *c);
void nd_access_status(node *n, struct json_t *o); /* status "access" */

/* catchup.c */
void nd_catchup_tick(node *n, uint64_t now);

/* gossip.c */
nt_err nd_gossip_start(node *n, nt_why *why);
void nd_gossip_stop(node *n);
void nd_gossip_event(node *n, peer_event *ev);
void nd_gossip_broadcast(node *n, const uint8_t *msg, size_t len);
void nd_gossip_tx(node *n, const uint8_t *rec, size_t len);
/* A node-level message signed by us (nothing if we are not a validator). */
void nd_gossip_signed(node *n, uint8_t type, const uint8_t *body, size_t blen);
void nd_gossip_flush(node *n); /* sends the records nd_gossip_tx collected */
void nd_gossip_status_tick(node *n, uint64_t now);
/* Offices of the current set heard from in the last PEER_SEEN_MS (self
 * included if a validator); the names of the others into silent (may be
 * NULL). Loop. */
#define PEER_SEEN_MS 3500
unsigned nd_gossip_offices_seen(const node *n, uint64_t now, json_t *silent);
/* WARN when no quorum of the set was heard from for QUORUM_WARN_MS, INFO
 * when it is back. Loop, once a turn. */
#define QUORUM_WARN_MS 10000
void nd_gossip_quorum_tick(node *n, uint64_t now);
/* Re-sends old pending records (a peer that was down missed them). */
void nd_gossip_regossip_tick(node *n, uint64_t now);
void nd_peer_event_free(peer_event *ev);
void nd_count_drop(node *n, nd_drop d); /* any thread */
/* JSON object text of {reason: count} (engine + node), malloc'd. */
char *nd_gossip_dropped_json(const node *n);

#endif
