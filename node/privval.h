/* The validator's sign-state file: the last (height, round, step) it signed.
 *
 * The consensus engine refuses to sign at or below its last signed hrs and
 * asks the host to persist each new one (NT_CONS_PERSIST_SIGNED) before the
 * signature leaves (core/consensus.h, "Signing and crashes"). This module is
 * that persistence. After a restart the node loads the value and hands it to
 * nt_cons_set_last_signed() before nt_cons_start_height().
 *
 * File layout: 22 bytes, integers big-endian:
 *   "NTSS" || u8 version (1) || u64 height || u32 round || u8 step ||
 *   u32 crc,  crc = CRC-32C (nt_crc32c, node/wal.h) of the 18 bytes before it
 * step is 0 (nothing signed: then height and round are 0 too) or
 * NT_STEP_PROPOSE / NT_STEP_PREVOTE / NT_STEP_PRECOMMIT with height >= 1.
 *
 * A missing file means nothing signed yet (all zero). A file that is not
 * exactly such a record is NT_ERR_CORRUPT and the node must refuse to start:
 * guessing a value could let it sign twice. There is no automatic repair:
 * the operator runs notaryd --repair-sign-state H (nt_privval_repair, with
 * the checks of node/sign_repair.c; docs/OPERATIONS.md).
 *
 * Saving writes path.tmp, fdatasyncs it, renames it over path and fsyncs
 * the directory (kept open in the nt_privval object): when nt_privval_save
 * returns NT_OK the value survives a power loss. A path.tmp found at open
 * is the remains of a save that crashed before its rename (that save never
 * returned, so its vote never left): it is ignored and removed.
 *
 * Never lowers: saving a value below the stored one is refused with
 * NT_ERR_ARG (the engine never asks for that, so it is a bug in the caller,
 * and writing it would re-open signatures already given). Saving the stored
 * value again is a no-op that returns NT_OK without touching the disk.
 *
 * Not thread-safe: one owner (the node's consensus loop). */
#ifndef NT_PRIVVAL_H
#define NT_PRIVVAL_H

#include "base/err.h"
#include "core/consensus.h"

#define NT_PRIVVAL_FILE_SIZE 22

typedef struct nt_privval nt_privval;

/* Reads the sign-state at path without opening anything for writing (for
 * status tools). Missing file: *out = {0, 0, 0} and NT_OK. Malformed:
 * NT_ERR_CORRUPT with why naming the file and the problem. */
nt_err nt_privval_load(const char *path, nt_cons_hrs *out, nt_why *why) NT_MUST_CHECK;

/* Loads path (as nt_privval_load), removes a stale path.tmp and keeps the
 * directory open for cheap syncs. The directory must exist. On NT_OK free
 * with nt_privval_free. */
nt_err nt_privval_open(const char *path, nt_privval **out, nt_why *why) NT_MUST_CHECK;
void nt_privval_free(nt_privval *pv);

/* The stored value (the last one saved, or loaded at open). */
nt_cons_hrs nt_privval_get(const nt_privval *pv);

/* Durably stores hrs (see above). NT_ERR_ARG if hrs is malformed (step not
 * 1..3, height 0) or below the stored value; NT_ERR_IO if the system
 * failed. After NT_ERR_IO the file holds the old or the new value and the
 * object keeps the old one; the node must not sign and should stop. */
nt_err nt_privval_save(nt_privval *pv, const nt_cons_hrs *hrs, nt_why *why) NT_MUST_CHECK;

/* Operator repair of a damaged or missing sign-state (e.g. notaryd
 * --repair-sign-state H): durably records that everything up to and
 * including height h may have been signed, {h, UINT32_MAX, precommit}, so
 * the node signs again only from height h+1. h should be the network's
 * current height. Works when the file is missing or corrupt (it is replaced)
 * and otherwise never lowers: NT_ERR_ARG if the stored value is higher.
 * h must be >= 1. The node must not be running. */
nt_err nt_privval_repair(const char *path, uint64_t h, nt_why *why) NT_MUST_CHECK;

/* Lexicographic order on (height, round, step): <0, 0, >0. */
int nt_privval_cmp(const nt_cons_hrs *a, const nt_cons_hrs *b);

#endif
