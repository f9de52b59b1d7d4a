/* Proposed validator-set changes and the approvals gathered for them,
 * before a change block carries them (FORMATS.md "Changing the validator
 * set"; docs/FORMATS.md "Set changes in blocks").
 *
 * Offices approve a change at their own pace: each approval is a signature
 * of a current validator over nt_valset_approval_hash(chain_id,
 * genesis_hash, change_index, validators_hash, H(new valset_bytes)). A node
 * keeps the approvals it hears of in a pool; once one change holds a quorum
 * of the current set, a proposer puts it in its next block. Every approval
 * is checked when it enters, so the pool holds nothing a keyless client or
 * peer made up, and a change is dropped as soon as the chain moves past its
 * change_index (an approval can never be replayed for another change).
 *
 * The wire form of a pending change (peer gossip, RPC hex):
 *   u64 change_index || u32 len || valset_bytes || u16 n ||
 *   n x { u16 index || 64 sig }
 * i.e. the change index and a change block's section (core/block.h). */
#ifndef NT_VALSET_CHANGE_H
#define NT_VALSET_CHANGE_H

#include "base/err.h"
#include "core/block.h"
#include "core/genesis.h"
#include "core/valset.h"

/* A change waiting for approvals. */
typedef struct {
	uint64_t change_index;
	uint8_t *set_bytes; /* valset_bytes of the new set (malloc'd) */
	size_t set_len;
	nt_hash next_hash; /* H(set_bytes): the change block's next_validators_hash */
	nt_valset *next;   /* set_bytes decoded (malloc'd) */
	nt_hash cur_hash;  /* validators_hash of the set the approvals are signed for */
	nt_approval approvals[NT_MAX_VALIDATORS];
	uint16_t n; /* approvals, at most one per validator index */
} nt_change;

/* The most changes a pool holds at once: an honest network has one or two
 * in flight; past it new proposals are refused until one lands. */
#define NT_CHANGEPOOL_MAX 8
/* The largest wire form. */
#define NT_CHANGE_WIRE_MAX (8 + 4 + NT_VALSET_BYTES_MAX + 2 + NT_MAX_VALIDATORS * (2 + NT_SIG_LEN))

/* The state a change is judged against: the chain's identity, the set that
 * commits the next block and the change_index of the next change. */
typedef struct {
	const nt_genesis *genesis;
	const nt_valset *cur;
	nt_hash cur_hash; /* version 2 validators_hash of cur */
	uint64_t change_index;
} nt_change_ctx;

/* Fills ctx->cur_hash from cur. NT_ERR_RANGE if cur cannot be encoded. */
nt_err nt_change_ctx_init(nt_change_ctx *ctx, const nt_genesis *g, const nt_valset *cur,
			  uint64_t change_index) NT_MUST_CHECK;

/* Checks one approval of the change to next_hash: index in the current set,
 * signature over the approval message. NT_ERR_RANGE / NT_ERR_SIGNATURE with
 * why. */
nt_err nt_change_check_approval(const nt_change_ctx *ctx, const nt_hash *next_hash,
				const nt_approval *a, nt_why *why) NT_MUST_CHECK;

/* Checks a new set against the current one: it decodes strictly (1..
 * NT_MAX_VALIDATORS offices, distinct valid keys, str8u names: nt_valset_decode)
 * into *next and differs from the current set. */
nt_err nt_change_check_set(const nt_change_ctx *ctx, const uint8_t *set_bytes, size_t set_len,
			   nt_valset *next, nt_why *why) NT_MUST_CHECK;

/* Wire form (above). *out malloc'd. */
nt_err nt_change_encode(uint64_t change_index, const uint8_t *set_bytes, size_t set_len,
			const nt_approval *approvals, uint16_t n, uint8_t **out,
			size_t *len) NT_MUST_CHECK;
/* Strict structural decode; *set_bytes points INTO buf. approvals holds
 * NT_MAX_VALIDATORS entries. Checks nothing against a chain. On failure
 * every output is untouched. */
nt_err nt_change_decode(const uint8_t *buf, size_t len, uint64_t *change_index,
			const uint8_t **set_bytes, size_t *set_len, nt_approval *approvals,
			uint16_t *n, nt_why *why) NT_MUST_CHECK;

typedef struct nt_changepool nt_changepool;

nt_err nt_changepool_new(nt_changepool **out) NT_MUST_CHECK;
void nt_changepool_free(nt_changepool *p);

/* Adds approvals of the change (change_index, set_bytes) after checking
 * everything against ctx: the change_index is the chain's next one, the new
 * set is well formed and differs from the current one, and every approval
 * is valid (all or nothing: one bad approval refuses the whole call).
 * Approvals the pool holds already are skipped. *added (may be NULL) is
 * the number of new approvals. NT_ERR_FULL: NT_CHANGEPOOL_MAX other
 * changes are pending. n == 0 is refused: a change enters the pool only
 * with a current validator's approval. */
nt_err nt_changepool_add(nt_changepool *p, const nt_change_ctx *ctx, uint64_t change_index,
			 const uint8_t *set_bytes, size_t set_len, const nt_approval *approvals,
			 uint16_t n, unsigned *added, nt_why *why) NT_MUST_CHECK;

/* Drops every change that ctx makes stale: another change_index, or
 * approvals signed for another current set. Call after each block. */
void nt_changepool_prune(nt_changepool *p, const nt_change_ctx *ctx);

/* The oldest change with a quorum of the current set's approvals, or NULL. */
const nt_change *nt_changepool_ready(const nt_changepool *p, const nt_change_ctx *ctx);

size_t nt_changepool_count(const nt_changepool *p);
const nt_change *nt_changepool_at(const nt_changepool *p, size_t i);
/* The pending change whose next_hash starts with the prefix (1..32 bytes),
 * or NULL (also when the prefix names more than one). */
const nt_change *nt_changepool_find(const nt_changepool *p, const uint8_t *prefix, size_t len);

/* Attaches ch to b as its change section and sets the header's
 * next_validators_hash: b becomes a change block (b must be version 2). */
nt_err nt_change_apply_to_block(const nt_change *ch, nt_block *b) NT_MUST_CHECK;

#endif
