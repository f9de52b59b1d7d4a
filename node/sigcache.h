/* Record ids whose signature this node verified recently.
 *
 * A record reaches a validator several times: from its submitter or from
 * gossip, again over the second connection of a peer pair (each node dials
 * every peer, so two connections join most pairs), in re-gossip, and in
 * the proposal of the block that holds it. The id is the hash of the whole
 * record, signature included, so one verification vouches for every later
 * copy with that id; checking this cache costs one hash instead of a
 * BIP-340 verification. Bounded (a direct-mapped table: a newer id evicts
 * an older one in its slot) and safe to use from any thread. */
#ifndef ND_SIGCACHE_H
#define ND_SIGCACHE_H

#include "base/err.h"
#include "base/types.h"

#include <stdbool.h>

typedef struct nd_sigcache nd_sigcache;

/* 2^log2_slots entries of 32 bytes (log2_slots 4..24). */
nt_err nd_sigcache_new(unsigned log2_slots, nd_sigcache **out) NT_MUST_CHECK;
void nd_sigcache_free(nd_sigcache *c);
/* Remembers that the record with this id verified. NULL c: no-op. */
void nd_sigcache_add(nd_sigcache *c, const nt_hash *id);
/* True when id was added and not evicted since. NULL c: false. */
bool nd_sigcache_has(nd_sigcache *c, const nt_hash *id);

#endif
