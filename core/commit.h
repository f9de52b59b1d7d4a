/* Votes and the commit certificate (FORMATS.md "Votes and the commit"). */
#ifndef NT_COMMIT_H
#define NT_COMMIT_H

#include "base/err.h"
#include "base/types.h"
#include "core/valset.h"

enum { NT_VOTE_PREVOTE = 1, NT_VOTE_PRECOMMIT = 2 };

#define NT_COMMIT_MAX (8 + 4 + 32 + 2 + NT_MAX_VALIDATORS * (2 + 8 + 64))

/* TH("notary/vote", u8 type || str8 chain_id || u64 height || u32 round ||
 *    32 block_hash || u64 timestamp). block_hash all zeros for nil. */
void nt_vote_sighash(uint8_t type, const char *chain_id, uint64_t height, uint32_t round,
		     const nt_hash *block_hash, uint64_t timestamp, nt_hash *out);

typedef struct {
	uint16_t index;
	uint64_t timestamp;
	nt_sig sig;
} nt_commit_sig;

typedef struct {
	uint64_t height;
	uint32_t round;
	nt_hash block_hash;
	uint16_t count;
	nt_commit_sig sigs[NT_MAX_VALIDATORS];
} nt_commit;

nt_err nt_commit_encode(const nt_commit *c, uint8_t *out, size_t cap, size_t *len) NT_MUST_CHECK;
/* Structural decode: sizes, count <= NT_MAX_VALIDATORS, no trailing bytes.
 * Index order and signatures are checked by nt_commit_verify. */
nt_err nt_commit_decode(const uint8_t *buf, size_t len, nt_commit *out, nt_why *why) NT_MUST_CHECK;

/* A commit is valid when it has at least quorum entries, indexes strictly
 * increasing and below n, and every signature verifies as a precommit for
 * (chain_id, height, round, block_hash, timestamp) under that key.
 * why names the first failure, e.g. "commit signature of validator 1 invalid". */
nt_err nt_commit_verify(const nt_commit *c, const char *chain_id, const nt_valset *vs,
			nt_why *why) NT_MUST_CHECK;

/* Attested time: median of the timestamps (sorted, element count/2).
 * 0 for an empty commit. */
uint64_t nt_commit_time(const nt_commit *c);

#endif
