/* What the node reports at GET /metrics (node/metrics.h,
 * docs/OPERATIONS.md "Metrics"): rendered by the loop once a second. */
#include "node/node_internal.h"

#include "node/log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define RENDER_MS 1000

static const char *method_name(unsigned i)
{
	return nt_rpc_method_name((nt_rpc_method)i);
}

static void render(node *n, nd_mtext *t)
{
	nd_metrics *m = &n->metrics;
	uint64_t tip = nt_ledger_height(n->ledger);
	nd_mtext_gauge(t, "notary_height", "Height of the last block this node stored.",
		       (double)tip);
	nd_mtext_gauge(t, "notary_consensus_round",
		       "Round of the height the consensus engine runs (0 when idle).",
		       nd_cons_running(n) ? (double)nt_cons_round(n->host.cons) : 0);
	nd_mtext_gauge(t, "notary_is_validator",
		       "1 if this node's key is in the set that commits the next block.",
		       n->self >= 0 ? 1 : 0);
	nd_mtext_gauge(t, "notary_validators", "Offices in the set that commits the next block.",
		       nt_ledger_next_valset(n->ledger)->n);
	nd_mtext_gauge(t, "notary_valset_changes", "Validator-set changes the chain made.",
		       (double)nt_ledger_change_count(n->ledger));
	nd_mtext_counter(t, "notary_blocks_total",
			 "Blocks stored since start (decided or fetched).", m->blocks);
	nd_mtext_hist(t, "notary_rounds_per_height",
		      "Rounds a height took before its block was decided here (1: round 0).",
		      &m->rounds);
	nd_mtext_hist(t, "notary_commit_latency_seconds",
		      "From the start of a height to its block stored.", &m->commit_seconds);
	nd_mtext_hist(t, "notary_block_records", "Records per stored block.", &m->block_records);
	nd_mtext_hist(t, "notary_wal_fsync_seconds", "Time of one consensus WAL sync.",
		      &m->fsync_seconds);
	nd_mtext_gauge(t, "notary_mempool_records", "Records waiting for a block.",
		       (double)nt_mempool_count(n->mp));
	nd_mtext_gauge(t, "notary_mempool_bytes", "Bytes of the records waiting for a block.",
		       (double)nt_mempool_bytes(n->mp));
	nd_mtext_gauge(t, "notary_peers_connected", "Peer connections up.",
		       n->gossip.peer != NULL ? (double)nt_peer_connected(n->gossip.peer) : 0);
	const nt_cons_stats *st = nt_cons_stats_get(n->host.cons);
	nd_mtext_counter(t, "notary_equivocations_total",
			 "Conflicting votes or proposals seen from a validator.",
			 st->equivocations);
	char *d = nd_gossip_dropped_json(n);
	json_t *dj = d != NULL ? json_loads(d, 0, NULL) : NULL;
	free(d);
	const char *key;
	json_t *v;
	bool first = true;
	json_object_foreach(dj, key, v)
	{
		nd_mtext_sample(t, "notary_messages_dropped_total", "counter",
				first ? "Peer messages and records dropped, by reason." : NULL,
				"reason", key, (double)json_integer_value(v));
		first = false;
	}
	json_decref(dj);
	uint64_t best = n->catchup.best_peer_tip;
	for (uint16_t i = 0; n->gossip.peer_tip != NULL && i < NT_MAX_VALIDATORS; i++)
		if (n->gossip.peer_tip[i] > best)
			best = n->gossip.peer_tip[i];
	nd_mtext_gauge(t, "notary_catchup_peer_height",
		       "Highest height a peer reported (catch-up target).", (double)best);
	nd_mtext_counter(t, "notary_catchup_blocks_total", "Blocks fetched from peers.",
			 n->catchup.blocks_synced);
	nd_mtext_counter(t, "notary_store_corruptions_total",
			 "Store reads that found corrupt data (run notary audit).",
			 __atomic_load_n(&n->front.store_corruptions, __ATOMIC_RELAXED));
	nt_sockwatch_stats ws;
	nt_sockwatch_stats_get(n->watch, &ws);
	nd_mtext_gauge(t, "notary_handshakes_open",
		       "Accepted rpc and p2p connections still in their TLS or SP handshake.",
		       ws.handshaking);
	nd_mtext_counter(t, "notary_handshakes_closed_total",
			 "Handshakes closed: too slow (net.handshake_timeout_ms) or over a cap.",
			 ws.handshake_cut + ws.handshake_capped);
	nd_mtext_gauge(t, "notary_http_connections", "HTTP connections open.", ws.http_open);
	nd_mtext_counter(t, "notary_http_connections_closed_total",
			 "HTTP connections closed: idle (http.idle_timeout_ms) or over a cap.",
			 ws.http_idle_cut + ws.http_capped);
	nd_metrics_render_rpc(m, t, method_name);
}

void nd_metrics_tick(node *n, uint64_t now)
{
	if (now < n->metrics.next_render || n->host.cons == NULL)
		return;
	n->metrics.next_render = now + RENDER_MS;
	nd_mtext t = {0};
	render(n, &t);
	nd_metrics_publish(&n->metrics, &t);
}
