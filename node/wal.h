/* The consensus write-ahead log (WAL).
 *
 * The consensus engine keeps its locks in memory only (core/consensus.h,
 * "Signing and crashes"). To restart without forgetting them, the node
 * appends every proposal and vote it is about to feed the engine (its own
 * included) to this log, syncs once per batch BEFORE acting on the batch,
 * and after a restart replays the entries of the current height into the
 * engine. The WAL only needs the current height: nt_wal_reset() starts an
 * empty log for a new height.
 *
 * The payload of an entry is opaque here (the node chooses its encoding,
 * e.g. a type byte and a peer message).
 *
 * File layout (all integers big-endian):
 *   header (20 bytes): "NTWAL001" || u64 height || u32 crc
 *                      crc = CRC-32C of the 16 bytes before it
 *   then frames:       u32 length || u32 crc || payload
 *                      1 <= length <= NT_WAL_MAX_ENTRY, crc = CRC-32C(payload)
 * CRC-32C is the Castagnoli CRC (iSCSI, ext4, LevelDB), computed in wal.c
 * (no zlib): CRC-32C("123456789") = 0xe3069283.
 *
 * Crash rules, applied by nt_wal_open():
 *  - a torn tail, that is a final partial frame (fewer than 8 header bytes,
 *    or a length running past the end of the file), a final frame whose
 *    checksum fails and which ends exactly at the end of the file, or a tail
 *    of zero bytes only (what some filesystems show for an unsynced append),
 *    is what a crash during an unsynced append leaves: it is truncated away
 *    and logged (WARN);
 *  - a bad frame followed by more data, a length above NT_WAL_MAX_ENTRY or a
 *    bad header is corruption: NT_ERR_CORRUPT, why names the file and the
 *    byte offset and says how to recover. The recovery is
 *    nt_wal_quarantine(), which moves the file aside so that the node starts
 *    with an empty WAL. That is safe: the sign-state file (node/privval.h)
 *    still prevents double signing; the node only forgets its locks of the
 *    current height.
 *  Known limit of this framing: a length field damaged so that it points
 *  past the end of the file cannot be told from a torn last frame, so the
 *  log is cut there and later entries are lost (logged with the byte
 *  count). That costs at most the locks of the current height, exactly as
 *  a quarantine does; it never risks a double signature.
 *
 * Durability: nt_wal_append() only write()s; entries are durable once
 * nt_wal_sync() returned NT_OK. nt_wal_reset() and the creation of a new
 * file are atomic (a temporary file, fsync, rename, fsync of the directory).
 * After any I/O error the handle is failed: every later call except
 * nt_wal_close returns NT_ERR_IO, because after a failed write or fsync
 * the kernel may already have dropped the data; the node must stop.
 *
 * Not thread-safe: one owner (the node's consensus loop). */
#ifndef NT_WAL_H
#define NT_WAL_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

/* Bound on one entry's payload (a proposal carries a block of at most
 * NT_BLOCK_MAX_BYTES = 16 MiB plus its commit). Larger length fields are
 * corruption. */
#define NT_WAL_MAX_ENTRY (32u * 1024 * 1024)
#define NT_WAL_HEADER_SIZE 20
#define NT_WAL_FRAME_OVERHEAD 8

typedef struct nt_wal nt_wal;

/* What nt_wal_open found. */
typedef struct {
	uint64_t height;     /* from the header: the last nt_wal_reset (0 if new) */
	uint64_t entries;    /* valid entries after the header */
	uint64_t bytes;	     /* file size after any truncation */
	uint64_t torn_bytes; /* bytes of a torn tail truncated away (0: none) */
	int created;	     /* 1 if the file did not exist and was created */
} nt_wal_info;

/* Opens the WAL at path, creating it (height 0) if missing; the directory
 * must exist. Checks every frame, truncates a torn tail (see above) and
 * removes a stale path.tmp left by a crash during nt_wal_reset. info may be
 * NULL. Returns NT_ERR_CORRUPT for corruption (why: file, offset, recovery),
 * NT_ERR_IO for system errors. On NT_OK free with nt_wal_close. */
nt_err nt_wal_open(const char *path, nt_wal **out, nt_wal_info *info, nt_why *why) NT_MUST_CHECK;

/* Closes the file (without syncing: sync first what must survive).
 * NULL is a no-op. */
void nt_wal_close(nt_wal *w);

/* Appends one entry (1..NT_WAL_MAX_ENTRY bytes, else NT_ERR_ARG). Not
 * durable until nt_wal_sync. The bytes are copied to the file; p stays the
 * caller's. On a failed write the partial frame is cut off again. */
nt_err nt_wal_append(nt_wal *w, const void *p, size_t n, nt_why *why) NT_MUST_CHECK;

/* Makes every appended entry durable (fdatasync). */
nt_err nt_wal_sync(nt_wal *w, nt_why *why) NT_MUST_CHECK;

/* Called for each entry in order; p is valid only during the call. A
 * return other than NT_OK stops the replay, which returns it. */
typedef nt_err (*nt_wal_entry_fn)(void *arg, const uint8_t *p, size_t n);

/* Calls fn for every entry, oldest first (the ones appended since open too).
 * NT_ERR_CORRUPT if the file changed under us since it was checked. */
nt_err nt_wal_replay(nt_wal *w, nt_wal_entry_fn fn, void *arg, nt_why *why) NT_MUST_CHECK;

/* Atomically replaces the log with an empty one for `height` (any value;
 * the node calls it when it starts a height, before feeding that height's
 * first message to the engine). Durable when it returns NT_OK. On failure
 * the old log is still the file on disk, but the handle may be failed. */
nt_err nt_wal_reset(nt_wal *w, uint64_t height, nt_why *why) NT_MUST_CHECK;

/* The height of the header (the last reset), the number of entries and the
 * size of the file in bytes. */
uint64_t nt_wal_height(const nt_wal *w);
uint64_t nt_wal_entries(const nt_wal *w);
uint64_t nt_wal_size(const nt_wal *w);

/* The height in the header of the WAL at path, read without opening the
 * log (nothing is checked beyond the header, nothing is changed): for the
 * start-up checks that run before nt_wal_open (node/store_guard.c).
 * NT_ERR_NOT_FOUND if there is no file, NT_ERR_CORRUPT if the header is
 * short or bad (nt_wal_open will then say more), NT_ERR_IO otherwise. */
nt_err nt_wal_peek_height(const char *path, uint64_t *height) NT_MUST_CHECK;

/* Recovery from NT_ERR_CORRUPT (the WAL must not be open): renames path to
 * path.corrupt-<unix seconds> (adding -1, -2, ... if that name exists) and
 * syncs the directory, so that the next nt_wal_open creates an empty log.
 * The new name goes to renamed (cap bytes, may be NULL). NT_ERR_NOT_FOUND if
 * there is no file at path. */
nt_err nt_wal_quarantine(const char *path, char *renamed, size_t cap, nt_why *why) NT_MUST_CHECK;

/* CRC-32C (Castagnoli) of n bytes, continuing from crc (start with 0).
 * Also used by the sign-state file (node/privval.c). */
uint32_t nt_crc32c(uint32_t crc, const void *p, size_t n);

#endif
