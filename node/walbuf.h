/* The next height's WAL entries, kept across a WAL reset.
 *
 * The engine buffers messages of height+1 that arrive before it starts that
 * height and files them at nt_cons_start_height (core/consensus.h), so a
 * lock at height+1 can rest on them. The WAL (node/wal.h) holds one height
 * and is reset at each commit. So the node appends every message of
 * height+1 that the engine buffered (nt_cons_on_* returned NT_OK) to the
 * WAL of height (after a crash they are replayed with it: the engine
 * buffers them again), keeps a copy here, and when it resets the WAL for
 * height+1 it re-appends the copies (nt_walbuf_reset_wal) before feeding
 * the engine anything else of height+1. Replaying them is harmless: the
 * engine drops what is not for its height.
 *
 * Bounded like the engine's next-height buffer: at most
 * n * NT_CONS_NEXT_VOTES_PER_VAL + NT_CONS_NEXT_PROPOSALS entries
 * (nt_walbuf_cap). Only messages the engine accepted are added, so the
 * bound is never reached by honest use; beyond it nt_walbuf_add refuses.
 *
 * Entries are the WAL payloads of node/node_internal.h: a PROPOSAL or VOTE
 * peer message as on the wire (core/peermsg.h). */
#ifndef NT_WALBUF_H
#define NT_WALBUF_H

#include "base/err.h"
#include "node/wal.h"

#include <stddef.h>
#include <stdint.h>

typedef struct nt_walbuf nt_walbuf;

/* Entries kept for a network of nvals validators. */
size_t nt_walbuf_cap(unsigned nvals);

/* An empty buffer of at most cap entries (cap >= 1, else NT_ERR_ARG). On
 * NT_OK free with nt_walbuf_free. */
nt_err nt_walbuf_new(size_t cap, nt_walbuf **out) NT_MUST_CHECK;
/* NULL is a no-op. */
void nt_walbuf_free(nt_walbuf *b);

/* Keeps a copy of entry p (1..NT_WAL_MAX_ENTRY bytes, else NT_ERR_ARG) of
 * `height`. The buffer holds one height: entries of a lower height than
 * the one held are refused (NT_ERR_CHAIN), a higher one drops the held
 * entries first (they are stale). NT_ERR_FULL at the bound, NT_ERR_NOMEM. */
nt_err nt_walbuf_add(nt_walbuf *b, uint64_t height, const uint8_t *p, size_t n) NT_MUST_CHECK;

/* Entries held, and their height (0 when empty). */
size_t nt_walbuf_count(const nt_walbuf *b);
uint64_t nt_walbuf_height(const nt_walbuf *b);

/* Drops every entry. */
void nt_walbuf_clear(nt_walbuf *b);

/* Replaces the log with an empty one for `height` (nt_wal_reset) and
 * appends the held entries of that height, oldest first. The buffer is
 * empty afterwards whatever happens (entries of another height are stale).
 * Not synced: the next nt_wal_sync, which comes before any signature of
 * `height` leaves, makes them durable; until then nothing of `height` was
 * signed, so losing them in a crash cannot cost a lock that matters. */
nt_err nt_walbuf_reset_wal(nt_walbuf *b, nt_wal *w, uint64_t height, nt_why *why) NT_MUST_CHECK;

/* Adds every entry of `height` found in w (in order) to b: after a crash
 * between a block's append and the WAL reset, the log of the decided
 * height still holds the next height's entries. Entries that are not
 * messages, or of another height, are skipped. */
nt_err nt_walbuf_load(nt_walbuf *b, nt_wal *w, uint64_t height, nt_why *why) NT_MUST_CHECK;

/* The height of a WAL entry that is a PROPOSAL or VOTE peer message (read
 * from its fixed header, without decoding the block). NT_ERR_DECODE for
 * anything else (a timeout entry, garbage). */
nt_err nt_walbuf_entry_height(const uint8_t *p, size_t n, uint64_t *height) NT_MUST_CHECK;

#endif
