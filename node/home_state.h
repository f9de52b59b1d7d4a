/* DIR/node_state: what a node home has been through, kept beside data/
 * and consensus/ rather than in them.
 *
 * The store (data/) and the sign-state (consensus/sign_state) each say
 * "nothing happened yet" when they are missing, which is also what a brand
 * new node looks like. A validator that lost both would therefore start
 * over at height 1 and sign a second, different chain. This small file
 * remembers two facts that only ever become true -- the store once held a
 * block, the validator once signed -- so that the node can tell "new" from
 * "lost" at start (node/store_guard.c). It is written once per fact
 * (atomically: tmp, fsync, rename, fsync of the directory) and never
 * cleared by the node.
 *
 * Format: one JSON object,
 *   {"version":1,"chain_id":"...","validators_hash":"<64 hex>",
 *    "had_blocks":true|false,"has_signed":true|false}
 * The chain identity ties the facts to one genesis: a home re-used for
 * another chain does not inherit them.
 *
 * Not thread-safe: the node's loop (or a CLI command) only. */
#ifndef NT_HOME_STATE_H
#define NT_HOME_STATE_H

#include "core/genesis.h"

#include <stdbool.h>

#define NT_HOME_STATE_FILE "node_state"
#define NT_HOME_STATE_MAX 4096 /* bytes; a longer file is corrupt */

typedef struct {
	char chain_id[NT_CHAIN_ID_MAX + 1];
	nt_hash validators_hash;
	bool had_blocks;
	bool has_signed;
} nt_home_state;

/* Reads path. Missing file: NT_ERR_NOT_FOUND. Not such an object (bad
 * JSON, wrong types, too long): NT_ERR_CORRUPT with why saying what. *out
 * is untouched on failure. */
nt_err nt_home_state_load(const char *path, nt_home_state *out, nt_why *why) NT_MUST_CHECK;

/* Durably replaces path with st (see above). NT_ERR_IO with why on a
 * system failure; path then holds the old or the new content. */
nt_err nt_home_state_save(const char *path, const nt_home_state *st, nt_why *why) NT_MUST_CHECK;

/* Whether st was written for the chain of g. */
bool nt_home_state_same_chain(const nt_home_state *st, const nt_genesis *g);

#endif
