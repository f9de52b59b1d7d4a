/* notaryd: a node wired from its home directory (docs/CONFIG.md).
 *
 * One loop thread owns the ledger, the mempool and the requests waiting for
 * a block; RPC threads parse requests (and verify submitted records) and
 * hand them to the loop through a bounded queue. */
#ifndef NT_NODE_H
#define NT_NODE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/version.h"

/* Start-up choices from the command line (zero: the defaults). */
typedef struct {
	/* A validator whose store is behind its sign-state and that cannot
	 * catch up from peers starts anyway, read-only: it serves what its
	 * store holds and never signs (node/store_guard.c). */
	bool allow_store_behind;
	/* Plain tcp:// (or http://) on a non-loopback address is allowed,
	 * with a warning; refused otherwise (node/tls_setup.c). */
	bool allow_insecure;
	/* Set by a SIGHUP handler: the loop re-reads the access lists
	 * (node/access.h) and clears it. NULL: none. */
	volatile sig_atomic_t *reload;
} nt_node_opts;

/* Runs the node of home until *stop becomes non-zero (a signal handler sets
 * it) or a fatal error. opts may be NULL. Returns the process exit code: 0
 * after a clean shutdown, 1 after a fatal error or a refusal to start
 * (logged with the reason), NT_EXIT_RESTART after a clean stop because the
 * node could not go on serving (nng's connection clean-up wedged:
 * docs/OPERATIONS.md); restart it. */
#define NT_EXIT_RESTART 75
int nt_node_run(const char *home, const nt_node_opts *opts, const volatile sig_atomic_t *stop);

/* notaryd --repair-sign-state H: with the node stopped, records in the
 * sign-state of home that every height up to and including h may have been
 * signed (node/privval.h, nt_privval_repair), after checking h against the
 * store: h below the store's height is refused (the validator may have
 * signed every stored block), and in a network of one validator h must be
 * the store's height (a higher one would forbid the next block forever).
 * Logs what it did or why not; returns the exit code (0 done, 1 refused
 * or failed). */
int nt_node_repair_sign_state(const char *home, uint64_t h);

#endif
