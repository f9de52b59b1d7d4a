/* notaryd's wiring: start, the event loop, and stop.
 *
 * Threads: the loop thread (the caller of nt_node_run) owns ledger,
 * mempool, waiters and the consensus engine (consensus_host.c): it handles
 * the requests and peer events the other threads queue (rpc_front.c,
 * gossip.c), feeds the engine and executes its actions. The RPC threads
 * answer read-only queries from a published nt_ledger_reader. Who may
 * touch what: the table in node_internal.h. Every network size, n = 1
 * included, runs the same Tendermint engine. A receipt of a block this
 * node committed leaves only after the synced append of that block
 * returned (fetched blocks: catchup.c). */
#include "node/node.h"
#include "node/passfile.h"

#include "base/hex.h"
#include "node/genesis_file.h"
#include "node/kv_leveldb.h"
#include "node/log.h"
#include "node/node_internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* The loop wakes at least this often to notice the stop flag. */
#define TICK_MS 100

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t nd_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t nd_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

static uint64_t next_deadline(const node *n, uint64_t now)
{
	return nd_waiters_deadline(n, nd_cons_deadline(n, now + TICK_MS));
}

static void run_loop(node *n, const volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
	while (!*stop && !n->fatal && !n->net.restart) {
		nd_front_drain(n, next_deadline(n, nd_mono_ms()));
		if (n->fatal)
			break;
		if (reload != NULL && *reload) {
			*reload = 0;
			nt_log(NT_LOG_INFO, "SIGHUP: reloading the access lists");
			(void)nd_access_reload(n);
		}
		nd_cons_tick(n);
		nd_gossip_status_tick(n, nd_mono_ms());
		nd_gossip_regossip_tick(n, nd_mono_ms());
		nd_valset_tick(n, nd_mono_ms());
		nd_metrics_tick(n, nd_mono_ms());
		nd_gossip_quorum_tick(n, nd_mono_ms());
		nd_waiters_settle(n, nd_mono_ms(), false);
		nd_guard_tick(n, nd_mono_ms());
		nd_net_tick(n, nd_mono_ms());
	}
}

/* ---- start and stop ---- */

static int fail_start(const char *what, const nt_why *why, nt_err e)
{
	nt_log(NT_LOG_ERROR, "%s: %s", what, why->msg[0] ? why->msg : nt_strerror(e));
	return 1;
}

static int open_all(node *n, const char *home, const nt_node_opts *opts)
{
	nt_why why = {{0}};
	nt_err e;
	if ((e = nt_config_load(home, &n->cfg, &why)) != NT_OK)
		return fail_start("cannot load the configuration", &why, e);
	if ((e = nt_genesis_load(n->cfg.genesis_file, &n->genesis, &why)) != NT_OK)
		return fail_start("cannot load the genesis file", &why, e);
	if ((e = nt_key_load(n->cfg.key_file, n->cfg.key_passphrase_file, &n->key, &why)) != NT_OK)
		return fail_start("cannot read the validator key", &why, e);
	nt_seckey_pubkey(n->key, &n->pub);
	char pk[65];
	nt_hex_encode(n->pub.b, NT_PUBKEY_LEN, pk);
	if ((e = nt_kv_leveldb_open(n->cfg.data_dir, &n->kv, &why)) != NT_OK) {
		if (nt_kv_leveldb_in_use(&why))
			nt_log(NT_LOG_ERROR,
			       "the store %s is in use: is another notaryd running with this home? "
			       "(%s)",
			       n->cfg.data_dir, why.msg);
		else
			fail_start("cannot open the store", &why, e);
		return 1;
	}
	if ((e = nt_ledger_open(n->kv, &n->genesis, &n->ledger, &why)) != NT_OK)
		return fail_start("cannot open the ledger", &why, e);
	/* our index in the set that commits the next block (not the genesis
	 * set once the chain changed it) */
	if ((e = nd_valset_open(n, &why)) != NT_OK)
		return fail_start("cannot start", &why, e);
	/* A secret key for the mempool's table: nobody can craft record ids
	 * that pile up in one slot of it. */
	uint8_t mpkey[NT_MEMPOOL_KEY_LEN];
	if (getrandom(mpkey, sizeof mpkey, 0) != (ssize_t)sizeof mpkey)
		return fail_start("cannot create the mempool",
				  &(nt_why){.msg = "the system gave no random bytes (getrandom)"},
				  NT_ERR_IO);
	if ((e = nt_mempool_new(n->cfg.mempool_max_records, n->cfg.mempool_max_bytes, mpkey,
				&n->mp)) != NT_OK)
		return fail_start("cannot create the mempool", &why, e);

	if ((e = nd_access_open(n, &why)) != NT_OK)
		return fail_start("cannot read the access lists", &why, e);

	/* + the operator's socket's contexts */
	size_t br = n->cfg.block_max_records, qc = n->cfg.rpc_contexts + ND_ADMIN_CONTEXTS;
	n->recs = calloc(br, sizeof *n->recs);
	n->lens = calloc(br, sizeof *n->lens);
	n->ids = calloc(br, sizeof *n->ids);
	n->q.ev = calloc(qc, sizeof *n->q.ev);
	n->front.batch = calloc(qc, sizeof *n->front.batch);
	if (!n->recs || !n->lens || !n->ids || !n->q.ev || !n->front.batch) {
		nt_log(NT_LOG_ERROR, "out of memory");
		return 1;
	}
	/* Every event holds one nng context until answered, so the queue
	 * never needs more slots than there are contexts. */
	n->q.cap = qc;
	n->host.last_block = nd_mono_ms();
	n->gossip.peer_joined_at = n->host.last_block;

	const nt_header *tip = nt_ledger_tip(n->ledger);
	char th[65] = "-";
	if (tip != NULL)
		nt_hex_encode(nt_ledger_tip_hash(n->ledger)->b, NT_HASH_LEN, th);
	char role[64];
	unsigned nv = nt_ledger_next_valset(n->ledger)->n;
	if (n->self >= 0)
		snprintf(role, sizeof role, "validator %d of %u", n->self, nv);
	else
		snprintf(role, sizeof role, "observer (not among the %u validators)", nv);
	if (nd_net_plan(n) != 0)
		return 1;
	if ((e = nd_tls_load(&n->cfg, nt_ledger_next_valset(n->ledger),
			     opts != NULL && opts->allow_insecure, &n->tls, &why)) != NT_OK)
		return fail_start("cannot set up the network links", &why, e);
	nt_log(NT_LOG_INFO, "notaryd %s: chain %s, height %" PRIu64 ", tip %.16s, %s, key %s (%s)",
	       NT_VERSION, n->genesis.chain_id, nt_ledger_height(n->ledger), th, role, pk,
	       n->cfg.moniker);
	if ((e = nd_gossip_start(n, &why)) != NT_OK)
		return fail_start("cannot start the peer transport", &why, e);
	if (nd_guard_start(n, opts != NULL && opts->allow_store_behind) != 0)
		return 1;
	if ((e = nd_cons_open(n, &why)) != NT_OK)
		return fail_start("cannot start consensus", &why, e);
	if (n->fatal)
		return 1;

	if ((e = nd_front_start(n, &why)) != NT_OK)
		return fail_start("cannot start the RPC server", &why, e);
	if ((e = nd_http_start(n, &why)) != NT_OK)
		return fail_start("cannot start the HTTP server (http.listen)", &why, e);
	if ((e = nd_connwatch_start(n, &why)) != NT_OK)
		return fail_start("cannot watch the connections", &why, e);
	nt_log(NT_LOG_INFO,
	       "serving JSON-RPC on %s (%u contexts); blocks every %u ms or %u records", n->cfg.rpc,
	       n->cfg.rpc_contexts, n->cfg.block_interval_ms, n->cfg.block_max_records);
	return 0;
}

/* Orderly shutdown: refuse new requests, handle what is queued, commit
 * what is pending, answer every waiter, then stop the transport (which
 * must not be touched after). */
static void shutdown_node(node *n)
{
	nd_connwatch_stop(n);
	nd_front_close(n);
	if (n->front.srv != NULL && !n->fatal) {
		nd_front_drain(n, 0);
		/* Alone, we can still commit what is pending before leaving;
		 * with peers, it stays in their mempools (gossip) instead. */
		if (nt_ledger_next_valset(n->ledger)->n == 1 && n->self == 0 &&
		    n->host.cons != NULL)
			for (int i = 0; i < 64 && !n->fatal && !nd_cons_running(n) &&
					nt_mempool_count(n->mp) > 0;
			     i++)
				nd_cons_maybe_start(n, true);
	}
	nd_http_stop(n); /* before the store goes: it reads receipts */
	nd_front_stop(n);
	nd_gossip_stop(n);
}

static void free_all(node *n)
{
	nd_tls_free(&n->tls);
	free(n->front.w);
	free(n->recs);
	free(n->lens);
	free(n->ids);
	nd_cons_close(n);
	nd_valset_close(n);
	free(n->q.ev);
	free(n->front.batch);
	nt_mempool_free(n->mp);
	nt_ledger_free(n->ledger);
	nt_kv_close(n->kv);
	nt_seckey_free(n->key);
	nt_config_free(&n->cfg);
}

int nt_node_run(const char *home, const nt_node_opts *opts, const volatile sig_atomic_t *stop)
{
	node *n = calloc(1, sizeof *n);
	if (n == NULL) {
		nt_log(NT_LOG_ERROR, "out of memory");
		return 1;
	}
	n->loop = pthread_self();
	nd_front_init(n);
	nd_metrics_init(&n->metrics);
	n->home = home;
	int rc = open_all(n, home, opts);
	if (rc == 0) {
		run_loop(n, stop, opts != NULL ? opts->reload : NULL);
		nt_log(NT_LOG_INFO, "%s",
		       n->fatal ? "stopping after a fatal error"
		       : n->net.restart
			   ? "shutting down to be restarted (connection clean-up wedged)"
			   : "shutting down");
	}
	shutdown_node(n);
	if (rc == 0 && !n->fatal)
		nt_log(NT_LOG_INFO, "stopped cleanly at height %" PRIu64,
		       nt_ledger_height(n->ledger));
	if (n->fatal)
		rc = 1;
	else if (rc == 0 && n->net.restart)
		rc = NT_EXIT_RESTART;
	free_all(n);
	if (n->leak)
		return rc; /* an abandoned transport may still lock n->q.mu */
	nd_access_close(n);
	nd_front_destroy(n);
	nd_metrics_destroy(&n->metrics);
	free(n);
	return rc;
}
