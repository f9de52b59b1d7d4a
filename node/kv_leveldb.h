/* The LevelDB implementation of the store (core/kv.h). It lives in node/
 * so that core/ stays pure: the simulator and the core's own code need no
 * disk and no LevelDB. */
#ifndef NT_KV_LEVELDB_H
#define NT_KV_LEVELDB_H

#include "core/kv.h"

/* LevelDB store in directory dir (created if missing). NT_ERR_IO with why
 * carrying LevelDB's message (e.g. the lock is held by another process). */
/* Table files LevelDB keeps open at most (its max_open_files; it adds a
 * handful of its own: log, manifest, lock, info log). The node reserves
 * descriptors for them (node/netguard.c); LevelDB's default of 1,000 would
 * alone exhaust a 1,024-descriptor limit. */
#define NT_KV_LEVELDB_MAX_OPEN_FILES 128
nt_err nt_kv_leveldb_open(const char *dir, nt_kv **out, nt_why *why) NT_MUST_CHECK;

/* Translates one of LevelDB's error strings (its errptr text, e.g.
 * "IO error: /data/000012.log: No space left on device") to nt_err:
 * "Corruption: ..." is NT_ERR_CORRUPT, anything else NT_ERR_IO. why (may be
 * NULL) gets "what: " (unless what is NULL) and the original text; for a
 * full disk or quota it starts with "no space left on device" and what to
 * do, so that the hint survives when a long path is cut off. Pure: the
 * LevelDB store calls it on every failure; tests call it with strings. */
nt_err nt_kv_leveldb_error(const char *msg, const char *what, nt_why *why) NT_MUST_CHECK;

/* After nt_kv_leveldb_open failed with why: true if another process holds
 * the store (LevelDB's LOCK file), i.e. a node is running on this home. */
bool nt_kv_leveldb_in_use(const nt_why *why);

#endif
