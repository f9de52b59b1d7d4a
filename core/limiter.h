/* Token buckets for many clients in a fixed amount of memory.
 *
 * A limiter holds one bucket per key (a submitter's public key, a
 * connection's id): `rate` tokens a second up to `burst`, one taken per
 * request (or `cost`). Pure: the time comes in as an argument (monotonic
 * ms), no locking (the node wraps it in a mutex).
 *
 * Memory is fixed at nt_limiter_new: a table of `slots` buckets in sets of
 * NT_LIMITER_WAYS. A key maps to one set (its bytes mixed with a secret
 * seed, so nobody can aim many keys at one set); when the set is full the
 * bucket touched longest ago is evicted. A bucket that has refilled to
 * `burst` carries no state, so evicting it is lossless; evicting a
 * half-empty one forgives its debt, which is the price of the bound: a
 * flood of distinct keys costs the limiter nothing but forgotten debts of
 * idle keys, never memory. Per-key limits do not stop someone who makes
 * many keys (keys are free): the per-connection bucket and the mempool's
 * bounds do. */
#ifndef NT_LIMITER_H
#define NT_LIMITER_H

#include "base/err.h"
#include "base/types.h"

#define NT_LIMITER_KEY_LEN 32
#define NT_LIMITER_WAYS 8

typedef struct nt_limiter nt_limiter;

/* slots is rounded up to a multiple of NT_LIMITER_WAYS (at least one
 * set); rate 0 means "no limit" (take always succeeds, nothing is kept).
 * burst 0 is taken as rate. seed: NT_LIMITER_KEY_LEN secret bytes (random
 * in a node, fixed in tests). */
nt_err nt_limiter_new(size_t slots, uint32_t rate_per_s, uint32_t burst,
		      const uint8_t seed[NT_LIMITER_KEY_LEN], nt_limiter **out) NT_MUST_CHECK;
void nt_limiter_free(nt_limiter *l);

/* Takes cost tokens from key's bucket at now_ms. true: allowed. false:
 * refused, nothing taken, and *retry_ms (may be NULL) is how long until
 * cost tokens will be there (at least 1; a cost above burst can never
 * pass: then the time to a full bucket). */
bool nt_limiter_take(nt_limiter *l, const uint8_t key[NT_LIMITER_KEY_LEN], uint64_t now_ms,
		     uint32_t cost, uint64_t *retry_ms);

/* Buckets in use, the table's capacity and buckets evicted so far. */
size_t nt_limiter_used(const nt_limiter *l);
size_t nt_limiter_capacity(const nt_limiter *l);
uint64_t nt_limiter_evictions(const nt_limiter *l);

#endif
