/* Records waiting for a block. Pure: no clock (times come in as
 * arguments), no locking (the node's loop thread owns it).
 *
 * A record in the mempool has already been decoded and its signature
 * verified once; block validation asks nt_mempool_contains() to skip a
 * second verification. */
#ifndef NT_MEMPOOL_H
#define NT_MEMPOOL_H

#include "base/err.h"
#include "base/types.h"

typedef struct nt_mempool nt_mempool;

/* key seeds the pool's hash table (NT_MEMPOOL_KEY_LEN bytes): secret and
 * random in a node, so that nobody can craft record ids that collide in
 * it; any fixed bytes in tests and the simulator (iteration order never
 * depends on it). The caller supplies it: core/ has no entropy source. */
#define NT_MEMPOOL_KEY_LEN 32
nt_err nt_mempool_new(size_t max_records, size_t max_bytes, const uint8_t key[NT_MEMPOOL_KEY_LEN],
		      nt_mempool **out) NT_MUST_CHECK;
void nt_mempool_free(nt_mempool *mp);

/* Copies the record in. NT_ERR_EXISTS if id is already pending,
 * NT_ERR_FULL if either bound would be exceeded. `now` is remembered as the
 * record's arrival time. */
nt_err nt_mempool_add(nt_mempool *mp, const uint8_t *rec, size_t len, const nt_hash *id,
		      uint64_t now) NT_MUST_CHECK;
/* As nt_mempool_add, and counts the record against owner (its submitter's
 * key; NULL: nobody) until it is removed, so that the node can hold each
 * key to a share of the pool (nt_mempool_owner_usage). The owners table
 * grows with the records, never past one entry per pending record. */
nt_err nt_mempool_add_owned(nt_mempool *mp, const uint8_t *rec, size_t len, const nt_hash *id,
			    const nt_pubkey *owner, uint64_t now) NT_MUST_CHECK;
/* Records and bytes pending under owner (0 and 0 if none). */
void nt_mempool_owner_usage(const nt_mempool *mp, const nt_pubkey *owner, size_t *records,
			    size_t *bytes);
/* Distinct owners with records pending. */
size_t nt_mempool_owners(const nt_mempool *mp);
/* The bounds given to nt_mempool_new. */
size_t nt_mempool_max_records(const nt_mempool *mp);
size_t nt_mempool_max_bytes(const nt_mempool *mp);
bool nt_mempool_contains(const nt_mempool *mp, const nt_hash *id);
size_t nt_mempool_count(const nt_mempool *mp);
size_t nt_mempool_bytes(const nt_mempool *mp);
/* Arrival time of the oldest pending record; 0 when empty. */
uint64_t nt_mempool_oldest(const nt_mempool *mp);

/* Fills up to max_n entries, oldest first, stopping before max_bytes would be
 * exceeded (at least one record if any is pending). Pointers stay valid until
 * the record is removed. Returns the number filled. */
size_t nt_mempool_peek(const nt_mempool *mp, size_t max_n, size_t max_bytes, const uint8_t **recs,
		       size_t *lens, nt_hash *ids);

/* Removes these ids if present (after their block is committed). */
void nt_mempool_remove(nt_mempool *mp, const nt_hash *ids, size_t n);

#endif
