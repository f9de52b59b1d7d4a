/* The ledger: chain rules and the stored chain, on top of nt_kv.
 *
 * Key layout (all integers big-endian so keys sort by height):
 *   "T"                      -> tip: u64 height || 32 tip block_hash || merkle log
 *   "h" u64 height           -> header bytes
 *   "c" u64 height           -> commit bytes
 *   "r" u64 height u32 index -> record bytes
 *   "i" record_id            -> u64 height || u32 index
 *   "d" u8 alg u8 len digest record_id -> "" (digest index, prefix scan)
 *   "l" u64 log position     -> record_id  (the ledger-wide log, in order)
 *   "v" u64 height           -> change section of a version 2 change block
 * One block with all its indexes and the new tip is one synced batch, so
 * after a crash a block is either wholly there or wholly absent.
 *
 * Threads: an nt_ledger has one owner (the node's loop, a test, the
 * simulator), and every nt_ledger_* function is for that owner's thread
 * alone. Other threads get an nt_ledger_reader (below), never the ledger. */
#ifndef NT_LEDGER_H
#define NT_LEDGER_H

#include "base/err.h"
#include "core/block.h"
#include "core/commit.h"
#include "core/genesis.h"
#include "core/kv.h"
#include "core/merkle.h"
#include "core/valset.h"

typedef struct nt_ledger nt_ledger;

/* Opens the ledger over kv (which it does NOT own; close kv after
 * nt_ledger_free). An empty store starts at height 0. A store whose tip does
 * not match g (another chain_id or validator set) or is unreadable is
 * NT_ERR_CORRUPT with why saying so. */
nt_err nt_ledger_open(nt_kv *kv, const nt_genesis *g, nt_ledger **out, nt_why *why) NT_MUST_CHECK;
void nt_ledger_free(nt_ledger *l);

const nt_genesis *nt_ledger_genesis(const nt_ledger *l);
uint64_t nt_ledger_height(const nt_ledger *l);
/* Header of the tip, or NULL at height 0. */
const nt_header *nt_ledger_tip(const nt_ledger *l);
/* block_hash of the tip (zeros at height 0). */
const nt_hash *nt_ledger_tip_hash(const nt_ledger *l);
const nt_merkle_log *nt_ledger_log(const nt_ledger *l);

/* Validator sets. A version 2 chain changes its set in change blocks
 * (FORMATS.md "Changing the validator set"): the set of a change block at
 * h commits h itself, the new set commits h+1 on. A version 1 chain keeps
 * the genesis set. */
/* The set that commits the next block (tip + 1). */
const nt_valset *nt_ledger_next_valset(const nt_ledger *l);
/* The number of change blocks at or below the tip: the change_index of
 * the next change. */
uint64_t nt_ledger_change_count(const nt_ledger *l);

/* Builds the next block (height tip+1) from n records that are already
 * decoded and verified: prev_hash, last_commit_hash, both roots, log_size
 * and validators_hash (of nt_ledger_next_valset) are filled; in version 2
 * next_validators_hash equals it (no change). To make a change block, set
 * header.next_validators_hash to H(valset_bytes) and attach the section
 * with nt_block_set_change. time must exceed the tip's time
 * (NT_ERR_CHAIN otherwise). */
nt_err nt_ledger_propose(const nt_ledger *l, const uint8_t *const *recs, const size_t *lens,
			 uint32_t n, uint64_t time, const nt_pubkey *proposer,
			 nt_block **out) NT_MUST_CHECK;

/* Returns true if the record with this id is known to decode strictly and
 * carry a valid signature already (e.g. it sits in the mempool, which admits
 * only such records), so checking may skip both: the id pins the bytes. */
typedef bool (*nt_known_valid_fn)(void *arg, const nt_hash *record_id);

/* Whether this chain takes the record bytes rec by their version: version
 * 1 records on every chain, version 2 (FORMATS.md "Private records") only on
 * a chain of a notary-genesis/2 genesis, whose receipts can carry them.
 * NT_ERR_RANGE with the reason otherwise. Reads the version byte only. */
nt_err nt_ledger_record_allowed(const nt_ledger *l, const uint8_t *rec, size_t len,
				nt_why *why) NT_MUST_CHECK;

/* valid(v): everything a verifier checks, plus the chain rules. The block
 * is the next height; prev_hash / validators_hash / log_root / log_size
 * follow from the tip; records decode and their signatures verify (unless
 * known_valid says so); no record repeats one in the block or the ledger;
 * records_root and record_count match; the proposer is a validator of the
 * set that commits this height and validators_hash is that set's; a
 * change block's section passes ntl_check_change (new set decodes, hashes
 * to next_validators_hash, quorum of valid approvals of the current set
 * for change_index = nt_ledger_change_count), and other blocks carry none; time >
 * previous time and time <= now + max_skew_ms (skip the clock bound with
 * now == 0). why names the first failure.
 *
 * The last commit. Each validator stores the 2f+1 precommits IT saw for a
 * height, so honest nodes hold different valid commits for the tip, and the
 * header names exactly one by last_commit_hash:
 *   last_commit NULL: last_commit_hash must be H(our stored commit of the
 *     tip) (zeros at height 1);
 *   last_commit set (tip height >= 1, i.e. block height >= 2): its encoding
 *     must hash to last_commit_hash, it must be for (tip height, tip
 *     block_hash), and it must verify against the set that committed the tip
 *     (signatures are skipped when it is byte-identical to our stored one).
 * At height 1 last_commit must be NULL: a non-NULL one is NT_ERR_CHAIN
 * (there is no commit of height 0 to name). */
nt_err nt_ledger_check_block(const nt_ledger *l, const nt_block *b, const nt_commit *last_commit,
			     uint64_t now, uint64_t max_skew_ms, nt_known_valid_fn known_valid,
			     void *arg, nt_why *why) NT_MUST_CHECK;

/* Appends a checked block with its commit c: verifies the commit (height,
 * block_hash, quorum, signatures) and the structural chain rules (including
 * last_commit exactly as check_block does), then writes block, commit,
 * indexes and the new tip in ONE synced batch. When last_commit differs
 * from our stored commit of the tip, the same batch replaces that stored
 * commit with last_commit: the canonical commit of h-1 is the one h names,
 * and receipts of h-1 built afterwards carry it (receipts built before
 * keep verifying: both commits are valid). On any failure nothing changes.
 * c and last_commit are borrowed. */
nt_err nt_ledger_append(nt_ledger *l, const nt_block *b, const nt_commit *c,
			const nt_commit *last_commit, nt_why *why) NT_MUST_CHECK;

/* nt_ledger_append with a choice: sync false writes the same one atomic
 * batch without waiting for fsync, so a crash (of the machine; a crashed
 * process loses nothing LevelDB already wrote) may lose it. Only for blocks
 * that are already decided and can be fetched again (catch-up): the caller
 * must call nt_ledger_flush before anything depends on them being durable.
 * nt_ledger_append(...) is nt_ledger_append_ex(..., true, why). */
nt_err nt_ledger_append_ex(nt_ledger *l, const nt_block *b, const nt_commit *c,
			   const nt_commit *last_commit, bool sync, nt_why *why) NT_MUST_CHECK;
/* Makes every append so far durable (one synced, empty write); a no-op when
 * nothing unsynced was appended. NT_ERR_IO etc. with why on failure. */
nt_err nt_ledger_flush(nt_ledger *l, nt_why *why) NT_MUST_CHECK;
/* True while appends made with sync false are not yet flushed. */
bool nt_ledger_unsynced(const nt_ledger *l);

/* ---- Readers ----
 *
 * An nt_ledger_reader answers the queries below about the chain up to one
 * tip: the store handle, the genesis and that tip (height, block hash,
 * header), as a plain value. The owner takes one with nt_ledger_reader_get;
 * nothing writes to it afterwards, so the value, and copies of it, may be
 * used from any number of threads at once without a lock while the owner
 * goes on appending. Safe from any thread, given:
 *   - a store whose get and scan may run concurrently with each other and
 *     with the owner's writes: LevelDB's (node/kv_leveldb.c) may; the
 *     in-memory store (core/kv_mem.c) may not, so its readers stay on the
 *     owner's thread;
 *   - that the ledger and the store outlive every use of the reader: the
 *     caller's to ensure (notaryd: node/node_internal.h, "Threads");
 *   - the genesis it points to is the ledger's copy, never written after
 *     nt_ledger_open;
 *   - what is stored at or below its height never changes, except that an
 *     append may replace the stored commit of the reader's tip by another
 *     valid commit of the same block (see nt_ledger_append).
 * Answers are as of the reader's height: a block, record or index entry
 * stored after the reader was taken is NT_ERR_NOT_FOUND (a digest search
 * leaves it out), so a published reader never shows more than its
 * publisher published. */
typedef struct {
	nt_kv *kv;		   /* not owned; only get and scan are used */
	const nt_genesis *genesis; /* the ledger's */
	uint64_t height;	   /* 0: empty chain */
	nt_hash tip_hash;	   /* block_hash of the tip; zeros at height 0 */
	nt_header tip;		   /* the tip's header; valid when height > 0 */
} nt_ledger_reader;

/* The ledger's reader at its current tip (owner's thread). */
void nt_ledger_reader_get(const nt_ledger *l, nt_ledger_reader *out);

/* Queries, as of r's height. NT_ERR_NOT_FOUND when absent; a block at or
 * below the height that cannot be read is NT_ERR_CORRUPT. */
nt_err nt_ledger_reader_header(const nt_ledger_reader *r, uint64_t height,
			       nt_header *out) NT_MUST_CHECK;
nt_err nt_ledger_reader_commit(const nt_ledger_reader *r, uint64_t height,
			       nt_commit *out) NT_MUST_CHECK;
nt_err nt_ledger_reader_block(const nt_ledger_reader *r, uint64_t height,
			      nt_block **out) NT_MUST_CHECK;
nt_err nt_ledger_reader_locate(const nt_ledger_reader *r, const nt_hash *record_id,
			       uint64_t *height, uint32_t *index) NT_MUST_CHECK;
/* The encoded record at (height, index) into buf (cap >= NT_RECORD_MAX
 * always suffices); NT_ERR_NOT_FOUND when there is none. */
nt_err nt_ledger_reader_record(const nt_ledger_reader *r, uint64_t height, uint32_t index,
			       uint8_t *buf, size_t cap, size_t *len) NT_MUST_CHECK;
/* Up to cap record ids whose record has this digest, in ledger order. */
nt_err nt_ledger_reader_find_digest(const nt_ledger_reader *r, int alg, const uint8_t *digest,
				    size_t dlen, nt_hash *ids, size_t cap, size_t *n) NT_MUST_CHECK;
/* The validator set that commits height (1 .. r->height + 1): the genesis
 * set until the first change block, and so on. NT_ERR_NOT_FOUND outside. */
nt_err nt_ledger_reader_valset_at(const nt_ledger_reader *r, uint64_t height,
				  nt_valset *out) NT_MUST_CHECK;
/* The heights of the change blocks at or below r's height, in order: up to
 * cap of them into heights, *n = how many there are. */
nt_err nt_ledger_reader_changes(const nt_ledger_reader *r, uint64_t *heights, size_t cap,
				size_t *n) NT_MUST_CHECK;
/* Receipt JSON for a committed record (see core/receipt.h); *out malloc'd. */
nt_err nt_ledger_reader_receipt(const nt_ledger_reader *r, const nt_hash *record_id,
				char **out) NT_MUST_CHECK;

/* The same queries on the owner's thread, on the ledger's current reader
 * (nt_ledger_reader_get). One difference: nt_ledger_locate reports an
 * index entry above the tip as NT_ERR_CORRUPT (the owner's store has none). */
nt_err nt_ledger_header(const nt_ledger *l, uint64_t height, nt_header *out) NT_MUST_CHECK;
nt_err nt_ledger_commit(const nt_ledger *l, uint64_t height, nt_commit *out) NT_MUST_CHECK;
nt_err nt_ledger_block(const nt_ledger *l, uint64_t height, nt_block **out) NT_MUST_CHECK;
nt_err nt_ledger_locate(const nt_ledger *l, const nt_hash *record_id, uint64_t *height,
			uint32_t *index) NT_MUST_CHECK;
nt_err nt_ledger_record(const nt_ledger *l, uint64_t height, uint32_t index, uint8_t *buf,
			size_t cap, size_t *len) NT_MUST_CHECK;
nt_err nt_ledger_find_digest(const nt_ledger *l, int alg, const uint8_t *digest, size_t dlen,
			     nt_hash *ids, size_t cap, size_t *n) NT_MUST_CHECK;
nt_err nt_ledger_receipt(const nt_ledger *l, const nt_hash *record_id, char **out) NT_MUST_CHECK;
nt_err nt_ledger_valset_at(const nt_ledger *l, uint64_t height, nt_valset *out) NT_MUST_CHECK;
nt_err nt_ledger_changes(const nt_ledger *l, uint64_t *heights, size_t cap,
			 size_t *n) NT_MUST_CHECK;

/* All receipts of one block at once: loads the block's header, commit and
 * records once, hashes the ids and every Merkle level once (O(k) for k
 * records), after which each receipt costs an O(log k) proof and its JSON.
 * For answering every waiter of a block when it commits; a receipt from
 * here is byte for byte the one nt_ledger_receipt gives. The object is
 * self-contained (it does not reference the ledger or reader afterwards),
 * but use it from one thread at a time. NT_ERR_NOT_FOUND for a height not in the ledger,
 * NT_ERR_CORRUPT when the stored block is inconsistent. */
typedef struct nt_block_receipts nt_block_receipts;
nt_err nt_ledger_reader_block_receipts(const nt_ledger_reader *r, uint64_t height,
				       nt_block_receipts **out) NT_MUST_CHECK;
nt_err nt_ledger_block_receipts(const nt_ledger *l, uint64_t height,
				nt_block_receipts **out) NT_MUST_CHECK;
/* Number of records in the block. */
uint32_t nt_block_receipts_count(const nt_block_receipts *br);
/* Receipt JSON of the record with this id (*json_out malloc'd), or
 * NT_ERR_NOT_FOUND if it is not in this block. */
nt_err nt_block_receipts_get(const nt_block_receipts *br, const nt_hash *record_id,
			     char **json_out) NT_MUST_CHECK;
/* Receipt JSON of the record at index (< count), else NT_ERR_RANGE. */
nt_err nt_block_receipts_get_index(const nt_block_receipts *br, uint32_t index,
				   char **json_out) NT_MUST_CHECK;
void nt_block_receipts_free(nt_block_receipts *br);

/* Re-checks the whole store from height 1: every header links and follows
 * the chain rules, every commit verifies, every record decodes and its
 * signature verifies, both Merkle roots, the log, every index entry (both
 * directions) and the tip. progress (may be NULL) is called after each
 * height. Returns the first inconsistency (NT_ERR_CORRUPT etc.) with why
 * naming the height and what is wrong. */
typedef void (*nt_audit_progress_fn)(void *arg, uint64_t height, uint64_t tip);
nt_err nt_ledger_audit(const nt_ledger *l, nt_audit_progress_fn progress, void *arg,
		       nt_why *why) NT_MUST_CHECK;

#endif
