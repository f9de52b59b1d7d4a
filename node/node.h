/* notaryd: a node wired from its home directory (docs/CONFIG.md).
 *
 * One loop thread owns the ledger, the mempool and the requests waiting for
 * a block; RPC threads parse requests (and verify submitted records) and
 * hand them to the loop through a bounded queue. */
#ifndef NT_NODE_H
#define NT_NODE_H

#include <signal.h>

#ifndef NT_VERSION
#define NT_VERSION "0.1.0"
#endif

/* Runs the node of home until *stop becomes non-zero (a signal handler sets
 * it) or a fatal error. Returns the process exit code: 0 after a clean
 * shutdown, 1 after a fatal error (logged with the reason), NT_EXIT_RESTART
 * after a clean stop because the node could not go on serving (nng's
 * connection clean-up wedged: docs/OPERATIONS.md); restart it. */
#define NT_EXIT_RESTART 75
int nt_node_run(const char *home, const volatile sig_atomic_t *stop);

#endif
