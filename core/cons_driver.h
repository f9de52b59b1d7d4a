/* The consensus host driver: the one place where the engine's actions
 * (core/consensus.h) are executed, its input is written to the WAL and its
 * signatures are made durable. The node (node/consensus_host.c), the
 * simulator (tools/sim/node.c) and the unit tests run the same driver and
 * differ only in their I/O table (nt_drv_io), so the ordering the simulator
 * checks under crashes is the ordering that ships.
 *
 * Durability order (what the driver guarantees to the I/O table):
 *   - A message from the wire is authenticated (nt_cons_authenticate_*)
 *     before anything else happens because of it: before the host hears of
 *     its height (before_feed), before it reaches the engine or the WAL.
 *   - It is appended to the WAL iff the engine kept it (nt_cons_kept), and
 *     before any action of that engine call runs.
 *   - PERSIST_SIGNED appends our own signed message (the action carries it)
 *     and marks the sign-state dirty. Before the first later action through
 *     which a signature can leave the node (a broadcast; a commit, whose
 *     receipts carry our precommit) and at the latest at the end of the
 *     call, the driver calls wal_sync and then sign_save: one sync covers
 *     every signature of the call. The sign-state never lowers, so saving
 *     the last one covers the earlier ones.
 *   - After a block is stored, the WAL is reset for the next height
 *     (wal_reset keeps what the log holds of that height).
 *
 * What the WAL holds, per height h (the log's height): the engine's kept
 * input of h, fired timeouts of h's current round, our own messages, and
 * the kept messages of h+1 (the engine buffers them; a lock at h+1 may
 * rest on them). Timeouts are encoded as NT_DRV_TIMEOUT_TAG || u64 height
 * || u32 round || u8 step; messages as core/peermsg.h encodes them.
 *
 * Pure: no clock, file or socket here; all of it is in the table. One
 * owner, like the engine. */
#ifndef NT_CONS_DRIVER_H
#define NT_CONS_DRIVER_H

#include "core/consensus.h"

#define NT_DRV_TIMEOUT_TAG 0xF0
#define NT_DRV_TIMEOUT_LEN (1 + 8 + 4 + 1)

/* Planted bugs, for the simulator only (in nt_cons_config.inject_bugs,
 * beside the engine's NT_CONS_BUG_*): each breaks one rule above, and
 * the simulator's checks must catch it. */
#define NT_DRV_BUG_WAL_CUR 0x10u	  /* WAL only the current height */
#define NT_DRV_BUG_WAL_UNAUTH 0x20u	  /* WAL a message before authenticating it */
#define NT_DRV_BUG_START_UNAUTH 0x40u	  /* before_feed before authenticating */
#define NT_DRV_BUG_SEND_BEFORE_SYNC 0x80u /* broadcast, then sync the sign-state */
#define NT_DRV_BUG_LATE_SWITCH 0x100u	  /* a new set's first height runs with the old set */

enum { NT_DRV_ENT_PROPOSAL = 1, NT_DRV_ENT_VOTE, NT_DRV_ENT_TIMEOUT };

/* One WAL entry, with what the driver knows of it. */
typedef struct {
	uint8_t kind; /* NT_DRV_ENT_* */
	bool own;     /* signed by us */
	/* Replayed: the bytes are in the log already. The driver still
	 * reports an entry of the log's height + 1, so that a host which keeps
	 * those apart (to carry them across the reset) can rebuild that copy;
	 * a host without such a copy ignores in_log entries. */
	bool in_log;
	uint64_t height;
	uint32_t round;
	uint8_t step; /* timeouts */
	const uint8_t *bytes;
	size_t len;
} nt_drv_entry;

/* The I/O table. Every function is required unless marked optional. A
 * function returning nt_err that fails stops the driver for good
 * (nt_drv_failed): the host reports the reason itself. */
typedef struct {
	void *arg;
	/* The wall clock, ms since the epoch (the engine's `now`). */
	uint64_t (*now)(void *arg);
	/* The engine's host callbacks (core/consensus.h, nt_cons_host). The
	 * driver remembers the last commit each valid block names and hands
	 * it to append_block. */
	nt_err (*propose)(void *arg, uint64_t height, uint64_t now, nt_block **out);
	bool (*valid)(void *arg, const nt_block *b, const nt_commit *lc, uint64_t now);
	nt_err (*last_commit)(void *arg, uint64_t height, nt_commit *out); /* optional */
	/* An authenticated message of height h from validator `from` is about
	 * to reach the engine (p: the proposal, or NULL for a vote): the host
	 * may start height h now (nt_drv_start_height) or note that it is
	 * behind. Optional. */
	void (*before_feed)(void *arg, uint64_t h, unsigned from, const nt_proposal *p);
	/* The WAL: append (not yet durable), make all appended durable, and
	 * begin the log of height h keeping what it holds of h. */
	nt_err (*wal_append)(void *arg, const nt_drv_entry *e);
	nt_err (*wal_sync)(void *arg);
	nt_err (*wal_reset)(void *arg, uint64_t h);
	/* Durably store the sign-state. */
	nt_err (*sign_save)(void *arg, const nt_cons_hrs *hrs);
	/* Send our signed message (a broadcast action, encoded) to the peers.
	 * Optional: NULL means no peers, and then the sign-state is made
	 * durable once at the end of the call. */
	void (*broadcast)(void *arg, const nt_cons_action *a, const uint8_t *msg, size_t len);
	/* A timeout to fire later through nt_drv_on_timeout. */
	void (*schedule)(void *arg, const nt_cons_hrs *hrs, uint64_t delay_ms);
	/* The engine decided b with commit c (lc: the commit of height-1 the
	 * block names, or NULL). NT_OK: stored durably; NT_ERR_EXISTS: the
	 * height is stored already (block sync was faster); anything else is
	 * fatal. */
	nt_err (*append_block)(void *arg, const nt_block *b, const nt_commit *c,
			       const nt_commit *lc);
	/* A validator equivocated (EVIDENCE action). Optional. */
	void (*evidence)(void *arg, const nt_cons_action *a);
} nt_drv_io;

typedef struct nt_drv nt_drv;

/* A driver and its engine (see nt_cons_new; key may be NULL: observer).
 * io is copied. log_height: the height of the WAL as the host found it
 * (0: none); the log is reset before a height other than it starts. */
nt_err nt_drv_new(const nt_genesis *g, const nt_seckey *key, const nt_cons_config *cfg,
		  const nt_drv_io *io, uint64_t log_height, nt_drv **out) NT_MUST_CHECK;
void nt_drv_free(nt_drv *d);

/* The engine, for introspection (height, round, stats, ...). Feed it
 * through the driver only. */
nt_cons *nt_drv_engine(nt_drv *d);
const nt_cons *nt_drv_engine_const(const nt_drv *d);

/* Starts height h (see nt_cons_start_height): resets the WAL first if it
 * is another height's. Returns the engine's result. */
nt_err nt_drv_start_height(nt_drv *d, uint64_t h);
/* The same with the validator set of h (nt_cons_start_height_set): the
 * host passes the set its ledger names for h (the genesis set, or the one
 * the change block h-1 carried). */
nt_err nt_drv_start_height_set(nt_drv *d, uint64_t h, const nt_valset *set);
/* The engine's signing key from the next height on (nt_cons_set_key). */
void nt_drv_set_key(nt_drv *d, const nt_seckey *key);

/* A message from the wire (core/peermsg.h bytes). Returns the engine's
 * result (NT_ERR_DECODE if malformed, the authentication's if refused).
 * *relay (may be NULL) is set when the host should pass it on to its
 * peers: a proposal the engine accepted, not replayed. */
nt_err nt_drv_on_message(nt_drv *d, const uint8_t *msg, size_t len, bool *relay);

/* A timeout the host scheduled fired. */
nt_err nt_drv_on_timeout(nt_drv *d, uint64_t h, uint32_t r, uint8_t step);

/* Replays the WAL of the running height (after nt_cons_set_last_signed
 * through nt_drv_set_last_signed and nt_drv_start_height of the log's
 * height), entries in their order. An entry counts as in the log while
 * the log is still the one of the replayed height: if the replay decides
 * it, the rest is new input of the next height and is written again. */
void nt_drv_replay(nt_drv *d, const uint8_t *const *entries, const size_t *lens, size_t n);

void nt_drv_set_last_signed(nt_drv *d, const nt_cons_hrs *hrs);

/* The height the WAL is the log of. */
uint64_t nt_drv_log_height(const nt_drv *d);

/* Whether the engine runs an undecided height (started, not decided,
 * not set idle). */
bool nt_drv_running(const nt_drv *d);

/* The ledger moved past the engine's height (block sync): the engine is
 * idle, and its input is no longer logged, until the next start_height. */
void nt_drv_idle(nt_drv *d);

/* True once an I/O function failed: nothing more is done. */
bool nt_drv_failed(const nt_drv *d);

/* Decodes a timeout entry (NT_DRV_TIMEOUT_*): true if p is one. */
bool nt_drv_timeout_decode(const uint8_t *p, size_t len, uint64_t *h, uint32_t *r, uint8_t *step);

#endif
