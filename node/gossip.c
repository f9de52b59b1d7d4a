/* Peer messages: from the transport's threads into the loop, and out.
 *
 * The handler runs on nng's threads: it checks what is cheap and
 * parallel there -- the envelope signature of node-level types, and the
 * signature of a gossiped record (each record is verified once, here or in
 * the RPC thread that took it) -- then copies the message into the loop's
 * bounded queue. Consensus messages go to the loop as they are: the engine
 * checks their signatures (it needs its height to know what to drop first).
 * Whatever is dropped is counted by reason; nothing a peer sends can stop
 * the node.
 *
 * Record gossip, two sealed types (core/peermsg.h envelope):
 *   TX  (16): body = one encoded record;
 *   TXS (18): body = u16 n (1..NT_GOSSIP_TXS_MAX) || n x (u32 len || record),
 *             big-endian, no trailing bytes.
 * Records new to the mempool are collected during a loop turn and sent as
 * one TXS (a TX when alone) at its end: the envelope's signature and the
 * message's trip through the transport, which cost more than the record
 * itself, are paid once per batch. The collecting adds no wait: the loop
 * turn that took the records also sends them.
 * bus0 is best effort and a validator that was down (or not yet connected)
 * misses a TX for good, so the loop re-sends pending records whose oldest
 * waited REGOSSIP_AGE_MS: at most REGOSSIP_PER_S records a second, oldest
 * first, at once when a peer connects. Receivers drop what they hold. */
#include "node/node_internal.h"
#include "node/passfile.h"

#include "base/codec.h"
#include "core/record.h"
#include "node/log.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const drop_names[ND__COUNT] = {
    [ND_QUEUE_FULL] = "queue full",
    [ND_MALFORMED] = "malformed",
    [ND_UNKNOWN_TYPE] = "unknown type",
    [ND_BAD_SIG] = "bad signature",
    [ND_UNKNOWN_SENDER] = "bad index",
    [ND_BAD_RECORD] = "bad record",
    [ND_COMMITTED] = "record already committed",
    [ND_MEMPOOL_FULL] = "mempool full",
    [ND_SYNC_REJECTED] = "sync rejected",
};

void nd_peer_event_free(peer_event *ev)
{
	if (ev == NULL)
		return;
	free(ev->msg);
	nt_block_free(ev->block);
	free(ev->commit);
	free(ev->last_commit);
	free(ev);
}

/* Queues ev for the loop (takes it); false if full or closed (ev freed). */
static bool push(node *n, peer_event *ev)
{
	queue *q = &n->q;
	size_t bytes = ev->len + sizeof *ev;
	pthread_mutex_lock(&q->mu);
	bool ok = !q->closed && q->pn < PEER_QUEUE_MAX && q->pbytes + bytes <= PEER_QUEUE_BYTES &&
		  (ev->kind != PE_SYNC || q->nsync < SYNC_QUEUE_MAX);
	if (ok) {
		ev->next = NULL;
		if (q->pt != NULL)
			q->pt->next = ev;
		else
			q->ph = ev;
		q->pt = ev;
		q->pn++;
		q->pbytes += bytes;
		if (ev->kind == PE_SYNC)
			q->nsync++;
		pthread_cond_signal(&q->cv);
	}
	bool full = !ok && !q->closed;
	pthread_mutex_unlock(&q->mu);
	if (full)
		nd_count_drop(n, ND_QUEUE_FULL);
	if (!ok)
		nd_peer_event_free(ev);
	return ok;
}

void nd_count_drop(node *n, nd_drop d)
{
	/* Counted on the transport, sync and loop threads; each counter is
	 * read alone (status), so relaxed atomics suffice: no lock. */
	__atomic_add_fetch(&n->gossip.dropped[d], 1, __ATOMIC_RELAXED);
}

/* A gossiped record: decoded and verified here (transport thread), then
 * queued for the loop. */
static void take_record(node *n, uint16_t sender, const uint8_t *body, size_t blen)
{
	nt_hash id;
	nt_record_id(body, blen, &id);
	/* Most copies of a record are not its first (see sigcache.h). */
	if (!nd_sigcache_has(n->gossip.sigs, &id)) {
		nt_record *rec = malloc(sizeof *rec);
		if (rec == NULL)
			return;
		if (blen > NT_RECORD_MAX || nt_record_decode(body, blen, rec, NULL) != NT_OK) {
			free(rec);
			nd_count_drop(n, ND_BAD_RECORD);
			return;
		}
		nt_err e = nt_record_verify(rec);
		free(rec);
		if (e != NT_OK) {
			nd_count_drop(n, ND_BAD_SIG);
			return;
		}
		nd_sigcache_add(n->gossip.sigs, &id);
	}
	peer_event *ev = calloc(1, sizeof *ev);
	if (ev == NULL)
		return;
	ev->sender = sender;
	ev->kind = PE_TX;
	ev->msg = malloc(blen);
	if (ev->msg == NULL) {
		free(ev);
		return;
	}
	memcpy(ev->msg, body, blen);
	ev->len = blen;
	ev->id = id;
	push(n, ev);
}

/* Node-level signed messages, checked on this (transport) thread. */
static void on_signed(node *n, const uint8_t *msg, size_t len)
{
	uint8_t type;
	uint16_t sender;
	const uint8_t *body;
	size_t blen;
	nt_why why = {{0}};
	/* The sender's key in the set of the next block, or in the one before
	 * the last change (valset_host.c). */
	nt_pubkey cand[2];
	int nc = nd_valset_peer_keys(n, nt_peermsg_sender(msg, len), cand);
	nt_err e = nc == 0 ? NT_ERR_RANGE : NT_ERR_SIGNATURE;
	for (int i = 0; i < nc && e != NT_OK; i++)
		e = nt_peermsg_open_as(msg, len, n->genesis.chain_id, &cand[i], &type, &sender,
				       &body, &blen, &why);
	if (nc == 0 &&
	    (len < NT_PEERMSG_SIGNED_FIXED || len > NT_PEERMSG_SIGNED_FIXED + NT_PEERMSG_MAX_BODY))
		e = NT_ERR_DECODE;
	if (e != NT_OK) {
		nd_count_drop(n, e == NT_ERR_SIGNATURE ? ND_BAD_SIG
				 : e == NT_ERR_RANGE   ? ND_UNKNOWN_SENDER
						       : ND_MALFORMED);
		return;
	}
	/* self may drop to -1 at start (store_guard.c) while this runs. */
	int self = __atomic_load_n(&n->self, __ATOMIC_RELAXED);
	if (self >= 0 && sender == (uint16_t)self)
		return; /* our own, echoed back by a peer: nothing to learn */
	/* Signed by another validator: the connection is a peer's (a replay
	 * passes too; see docs/OPERATIONS.md on what this does not stop). */
	nt_peer_authentic();
	peer_event *ev = calloc(1, sizeof *ev);
	if (ev == NULL)
		return;
	ev->sender = sender;
	if (type == NT_GOSSIP_STATUS) {
		if (blen != NT_GOSSIP_STATUS_LEN) {
			free(ev);
			nd_count_drop(n, ND_MALFORMED);
			return;
		}
		nt_reader r;
		nt_reader_init(&r, body, blen);
		ev->kind = PE_STATUS;
		ev->status[0] = nt_get_u64(&r);
		ev->status[1] = nt_get_u64(&r);
		ev->status[2] = nt_get_u32(&r);
		push(n, ev);
		return;
	}
	if (type == NT_GOSSIP_CHANGE) {
		if (blen > NT_CHANGE_WIRE_MAX || (ev->msg = malloc(blen ? blen : 1)) == NULL) {
			free(ev);
			nd_count_drop(n, ND_MALFORMED);
			return;
		}
		memcpy(ev->msg, body, blen);
		ev->len = blen;
		ev->kind = PE_CHANGE;
		push(n, ev);
		return;
	}
	free(ev);
	if (type == NT_GOSSIP_TX) {
		take_record(n, sender, body, blen);
		return;
	}
	if (type != NT_GOSSIP_TXS) {
		nd_count_drop(n, ND_UNKNOWN_TYPE);
		return;
	}
	uint16_t cnt = blen >= 2 ? (uint16_t)(body[0] << 8 | body[1]) : 0;
	if (cnt == 0 || cnt > NT_GOSSIP_TXS_MAX) {
		nd_count_drop(n, ND_MALFORMED);
		return;
	}
	/* Walk the batch first: a malformed one is dropped whole. */
	size_t off = 2;
	for (uint16_t i = 0; i < cnt; i++) {
		if (blen - off < 4) {
			nd_count_drop(n, ND_MALFORMED);
			return;
		}
		uint32_t l = (uint32_t)body[off] << 24 | (uint32_t)body[off + 1] << 16 |
			     (uint32_t)body[off + 2] << 8 | body[off + 3];
		if (l > blen - off - 4) {
			nd_count_drop(n, ND_MALFORMED);
			return;
		}
		off += 4 + l;
	}
	if (off != blen) {
		nd_count_drop(n, ND_MALFORMED);
		return;
	}
	off = 2;
	for (uint16_t i = 0; i < cnt; i++) {
		uint32_t l = (uint32_t)body[off] << 24 | (uint32_t)body[off + 1] << 16 |
			     (uint32_t)body[off + 2] << 8 | body[off + 3];
		take_record(n, sender, body + off + 4, l);
		off += 4 + l;
	}
}

static void on_peer(void *arg, const uint8_t *msg, size_t len)
{
	node *n = arg;
	uint8_t t = nt_peermsg_type(msg, len);
	if (t == 0) {
		nd_count_drop(n, ND_MALFORMED);
		return;
	}
	if (t != NT_PEERMSG_PROPOSAL && t != NT_PEERMSG_VOTE) {
		on_signed(n, msg, len);
		return;
	}
	if (t == NT_PEERMSG_VOTE && len != NT_PEERMSG_VOTE_LEN) {
		nd_count_drop(n, ND_MALFORMED);
		return;
	}
	peer_event *ev = calloc(1, sizeof *ev);
	if (ev == NULL)
		return;
	ev->kind = PE_MSG;
	ev->msg = malloc(len);
	if (ev->msg == NULL) {
		free(ev);
		return;
	}
	memcpy(ev->msg, msg, len);
	ev->len = len;
	push(n, ev);
}

static void on_sync(void *arg, nt_block *block, const nt_commit *commit,
		    const nt_commit *last_commit)
{
	node *n = arg;
	peer_event *ev = calloc(1, sizeof *ev);
	if (ev == NULL) {
		nt_block_free(block);
		return;
	}
	ev->kind = PE_SYNC;
	ev->block = block;
	ev->commit = malloc(sizeof *ev->commit);
	if (last_commit != NULL)
		ev->last_commit = malloc(sizeof *ev->last_commit);
	if (ev->commit == NULL || (last_commit != NULL && ev->last_commit == NULL) ||
	    commit == NULL) {
		nd_peer_event_free(ev);
		return;
	}
	*ev->commit = *commit;
	if (last_commit != NULL)
		*ev->last_commit = *last_commit;
	/* A full queue drops the block; the loop asks again when it sees it is
	 * still behind. */
	push(n, ev);
}

/* Slots of the verified-records cache: ~2 MiB, several blocks' worth. */
#define SIGCACHE_LOG2 16

nt_err nd_gossip_start(node *n, nt_why *why)
{
	/* per validator index, of whichever set the peer runs */
	n->gossip.peer_tip = calloc(NT_MAX_VALIDATORS, sizeof *n->gossip.peer_tip);
	n->gossip.peer_seen = calloc(NT_MAX_VALIDATORS, sizeof *n->gossip.peer_seen);
	if (n->gossip.peer_tip == NULL || n->gossip.peer_seen == NULL ||
	    nd_sigcache_new(SIGCACHE_LOG2, &n->gossip.sigs) != NT_OK)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	/* A network of one with no peers listed needs no transport (and does
	 * not take a port). */
	if (n->cfg.npeers == 0 && nt_ledger_next_valset(n->ledger)->n == 1)
		return NT_OK;
	const char **dial = calloc(n->cfg.npeers + 1, sizeof *dial);
	const char **rpcs = calloc(n->cfg.npeers + 1, sizeof *rpcs);
	const nt_tls_opts **rtls = calloc(n->cfg.npeers + 1, sizeof *rtls);
	if (dial == NULL || rpcs == NULL || rtls == NULL) {
		free(dial);
		free(rpcs);
		free(rtls);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	size_t nr = 0;
	for (size_t i = 0; i < n->cfg.npeers; i++) {
		dial[i] = n->cfg.peers[i];
		if (n->cfg.peer_rpc[i] != NULL) {
			rtls[nr] = n->tls.syncp[i];
			rpcs[nr++] = n->cfg.peer_rpc[i];
		}
	}
	/* Only validators' nodes belong here: a connection that delivers no
	 * signed message in time is closed (on_signed marks the good ones;
	 * every node sends a signed STATUS each second). */
	nt_peer_limits lim = {.max_conns = n->net.caps.peer_cap,
			      .auth_ms = n->cfg.peer_auth_timeout_ms,
			      .listen_tls = &n->tls.listen,
			      .dial_tls = n->tls.dialp};
	nt_err e = nt_peer_start_ex(n->cfg.p2p, dial, n->cfg.npeers, NT_PEERMSG_MAX, &lim, on_peer,
				    n, &n->gossip.peer, why);
	if (e == NT_OK && nr > 0) {
		/* Its own copy of our key for the sync thread: peers that serve
		 * sync only to listed keys (access.sync_open 0) get signed
		 * requests. Without it catch-up still asks unsigned. */
		nt_seckey *sk = NULL;
		nt_why kw = {{0}};
		if (nt_key_load(n->cfg.key_file, n->cfg.key_passphrase_file, &sk, &kw) != NT_OK)
			sk = NULL;
		e = nt_sync_start_ex(rpcs, rtls, nr, on_sync, n, sk, &n->catchup.sync, why);
	}
	free(dial);
	free(rpcs);
	free(rtls);
	if (e == NT_OK)
		nt_log(NT_LOG_INFO,
		       "peers: listening on %s%s, dialing %zu peer%s (%zu with RPC for catch-up)",
		       n->cfg.p2p,
		       nt_url_is_tls(n->cfg.p2p) ? " (mutual TLS, listed certificates only)" : "",
		       n->cfg.npeers, n->cfg.npeers == 1 ? "" : "s", nr);
	return e;
}

void nd_gossip_stop(node *n)
{
	/* The sync thread and the transport push into the queue: stop them
	 * first, then free what they left there. */
	nt_sync_stop(n->catchup.sync);
	n->catchup.sync = NULL;
	bool clean = nt_peer_stop(n->gossip.peer);
	n->gossip.peer = NULL;
	free(n->gossip.txs);
	n->gossip.txs = NULL;
	n->gossip.txs_n = 0;
	if (!clean) {
		nt_log(NT_LOG_WARN,
		       "the peer transport did not close within %d ms; leaving it to the exit",
		       NT_PEER_STOP_MS);
		n->leak = true; /* a handler still running may touch n */
		return;
	}
	/* Only the transport's threads and the loop use it (both done). */
	nd_sigcache_free(n->gossip.sigs);
	n->gossip.sigs = NULL;
	queue *q = &n->q;
	pthread_mutex_lock(&q->mu);
	peer_event *ev = q->ph;
	q->ph = q->pt = NULL;
	q->pn = q->pbytes = q->nsync = 0;
	pthread_mutex_unlock(&q->mu);
	while (ev != NULL) {
		peer_event *next = ev->next;
		nd_peer_event_free(ev);
		ev = next;
	}
	free(n->gossip.peer_tip);
	free(n->gossip.peer_seen);
	n->gossip.peer_seen = NULL;
	n->gossip.peer_tip = NULL;
}

void nd_gossip_broadcast(node *n, const uint8_t *msg, size_t len)
{
	if (n->gossip.peer == NULL)
		return;
	if (nt_peer_broadcast(n->gossip.peer, msg, len) != NT_OK)
		nt_log(NT_LOG_DEBUG, "peer broadcast of %zu bytes failed", len);
}

void nd_gossip_signed(node *n, uint8_t type, const uint8_t *body, size_t blen)
{
	if (n->gossip.peer == NULL || n->self < 0)
		return;
	uint8_t *msg = NULL;
	size_t len = 0;
	if (nt_peermsg_seal(type, n->genesis.chain_id, (uint16_t)n->self, n->key, body, blen, &msg,
			    &len) != NT_OK)
		return;
	nd_gossip_broadcast(n, msg, len);
	free(msg);
}

static void put_len(uint8_t *p, uint32_t l)
{
	p[0] = (uint8_t)(l >> 24);
	p[1] = (uint8_t)(l >> 16);
	p[2] = (uint8_t)(l >> 8);
	p[3] = (uint8_t)l;
}

void nd_gossip_flush(node *n)
{
	if (n->gossip.txs_n == 0)
		return;
	if (n->gossip.txs_n == 1) {
		nd_gossip_signed(n, NT_GOSSIP_TX, n->gossip.txs + 6, n->gossip.txs_len - 6);
	} else {
		n->gossip.txs[0] = (uint8_t)(n->gossip.txs_n >> 8);
		n->gossip.txs[1] = (uint8_t)n->gossip.txs_n;
		nd_gossip_signed(n, NT_GOSSIP_TXS, n->gossip.txs, n->gossip.txs_len);
	}
	n->gossip.txs_n = 0;
	n->gossip.txs_len = 2;
}

void nd_gossip_tx(node *n, const uint8_t *rec, size_t len)
{
	if (n->gossip.peer == NULL || n->self < 0)
		return;
	if (n->gossip.txs == NULL) {
		if ((n->gossip.txs = malloc(NT_GOSSIP_TXS_BYTES)) == NULL) {
			nd_gossip_signed(n, NT_GOSSIP_TX, rec, len);
			return;
		}
		n->gossip.txs_len = 2;
	}
	if (n->gossip.txs_n == NT_GOSSIP_TXS_MAX ||
	    n->gossip.txs_len + 4 + len > NT_GOSSIP_TXS_BYTES)
		nd_gossip_flush(n);
	put_len(n->gossip.txs + n->gossip.txs_len, (uint32_t)len);
	memcpy(n->gossip.txs + n->gossip.txs_len + 4, rec, len);
	n->gossip.txs_len += 4 + len;
	n->gossip.txs_n++;
}

void nd_gossip_status_tick(node *n, uint64_t now)
{
	/* Called at the end of every loop turn: the turn's new records go. */
	nd_gossip_flush(n);
	if (now < n->gossip.next_status)
		return;
	n->gossip.next_status = now + 1000;
	uint8_t body[NT_GOSSIP_STATUS_LEN];
	nt_writer w;
	nt_writer_init(&w, body, sizeof body);
	nt_put_u64(&w, nt_ledger_height(n->ledger));
	nt_put_u64(&w, nd_cons_running(n) ? nt_cons_height(n->host.cons) : 0);
	nt_put_u32(&w, nd_cons_running(n) ? nt_cons_round(n->host.cons) : 0);
	nd_gossip_signed(n, NT_GOSSIP_STATUS, body, sizeof body);
}

/* A verified record from a peer: into the mempool unless known. */
static void on_tx(node *n, peer_event *ev)
{
	uint64_t h;
	uint32_t idx;
	if (nt_mempool_contains(n->mp, &ev->id))
		return;
	nt_err e = nt_ledger_locate(n->ledger, &ev->id, &h, &idx);
	if (e == NT_OK) {
		nd_count_drop(n, ND_COMMITTED);
		return;
	}
	if (e != NT_ERR_NOT_FOUND)
		return;
	if (nt_ledger_record_allowed(n->ledger, ev->msg, ev->len, NULL) != NT_OK) {
		nd_count_drop(n, ND_MALFORMED); /* a peer of another chain version */
		return;
	}
	e = nt_mempool_add(n->mp, ev->msg, ev->len, &ev->id, nd_mono_ms());
	if (e == NT_ERR_FULL)
		nd_count_drop(n, ND_MEMPOOL_FULL);
	else if (e == NT_OK)
		n->host.arrived = true;
}

/* Oldest pending records, re-sent in TXS batches at a bounded rate. Each
 * second's budget is spent at once: records are cheap to re-send and a
 * receiver drops duplicates after one signature check. */
void nd_gossip_regossip_tick(node *n, uint64_t now)
{
	if (n->gossip.peer == NULL || n->self < 0)
		return;
	unsigned conn = nt_peer_connected(n->gossip.peer);
	bool joined = conn > n->gossip.peers_seen;
	n->gossip.peers_seen = conn;
	if (joined)
		n->gossip.peer_joined_at = now;
	if (conn == 0 || nt_mempool_count(n->mp) == 0)
		return;
	/* A peer that just connected may have missed any pending record,
	 * however young; otherwise only records that waited are re-sent. */
	if (!joined &&
	    (now < n->gossip.next_regossip || nt_mempool_oldest(n->mp) + REGOSSIP_AGE_MS > now))
		return;
	n->gossip.next_regossip = now + 1000;
	size_t max =
	    n->cfg.block_max_records < REGOSSIP_PER_S ? n->cfg.block_max_records : REGOSSIP_PER_S;
	/* n->recs holds block_max_records entries; the loop owns it */
	size_t cnt = nt_mempool_peek(n->mp, max, SIZE_MAX, n->recs, n->lens, n->ids);
	uint8_t *body = malloc(NT_GOSSIP_TXS_BYTES);
	if (body == NULL)
		return;
	for (size_t i = 0; i < cnt;) {
		size_t off = 2, k = 0;
		while (i < cnt && k < NT_GOSSIP_TXS_MAX &&
		       off + 4 + n->lens[i] <= NT_GOSSIP_TXS_BYTES) {
			uint32_t l = (uint32_t)n->lens[i];
			put_len(body + off, l);
			memcpy(body + off + 4, n->recs[i], l);
			off += 4 + l;
			i++;
			k++;
		}
		if (k == 0)
			break; /* cannot happen: a record is far below the batch size */
		body[0] = (uint8_t)(k >> 8);
		body[1] = (uint8_t)k;
		nd_gossip_signed(n, NT_GOSSIP_TXS, body, off);
		n->gossip.regossiped += k;
	}
	free(body);
	nt_log(NT_LOG_DEBUG, "re-gossiped %zu pending record%s%s", cnt, cnt == 1 ? "" : "s",
	       joined ? " (a peer connected)" : "");
}

void nd_gossip_event(node *n, peer_event *ev)
{
	switch (ev->kind) {
	case PE_MSG:
		nd_cons_on_message(n, ev->msg, ev->len);
		break;
	case PE_TX:
		on_tx(n, ev);
		break;
	case PE_STATUS:
		if (ev->sender < NT_MAX_VALIDATORS) {
			n->gossip.peer_tip[ev->sender] = ev->status[0];
			n->gossip.peer_seen[ev->sender] = nd_mono_ms();
		}
		nd_cons_peer_height(n, ev->status[0]);
		break;
	case PE_SYNC:
		nd_cons_on_synced(n, ev);
		break;
	case PE_CHANGE:
		nd_valset_on_gossip(n, ev->msg, ev->len);
		break;
	default:
		break;
	}
}

unsigned nd_gossip_offices_seen(const node *n, uint64_t now, json_t *silent)
{
	const nt_valset *s = nt_ledger_next_valset(n->ledger);
	unsigned seen = 0;
	for (uint16_t i = 0; i < s->n; i++) {
		bool heard = (int)i == n->self ||
			     (n->gossip.peer_seen != NULL && n->gossip.peer_seen[i] != 0 &&
			      n->gossip.peer_seen[i] + PEER_SEEN_MS >= now);
		if (heard)
			seen++;
		else if (silent != NULL)
			json_array_append_new(silent, json_string(s->names[i]));
	}
	return seen;
}

void nd_gossip_quorum_tick(node *n, uint64_t now)
{
	const nt_valset *s = nt_ledger_next_valset(n->ledger);
	unsigned q = nt_valset_quorum(s);
	if (s->n == 1 || n->gossip.peer_seen == NULL)
		return;
	unsigned seen = nd_gossip_offices_seen(n, now, NULL);
	nd_gossip *g = &n->gossip;
	if (seen >= q) {
		if (g->quorum_lost_at != 0 && g->quorum_warned_at != 0)
			nt_log(NT_LOG_INFO,
			       "a quorum is back: heard from %u of %u offices after %.0f s", seen,
			       (unsigned)s->n, (double)(now - g->quorum_lost_at) / 1000.0);
		g->quorum_lost_at = g->quorum_warned_at = 0;
		return;
	}
	if (g->quorum_lost_at == 0)
		g->quorum_lost_at = now;
	if (now - g->quorum_lost_at < QUORUM_WARN_MS ||
	    (g->quorum_warned_at != 0 && now - g->quorum_warned_at < 60000))
		return;
	g->quorum_warned_at = now;
	json_t *silent = json_array();
	nd_gossip_offices_seen(n, now, silent);
	char names[1024] = "";
	size_t used = 0;
	for (size_t i = 0; i < json_array_size(silent) && used < sizeof names - 1; i++)
		used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
					 json_string_value(json_array_get(silent, i)));
	json_decref(silent);
	nt_log(NT_LOG_WARN,
	       "no quorum for %.0f s: heard from %u of %u offices, %u needed; nothing can commit "
	       "until more come back. Not heard from: %s",
	       (double)(now - g->quorum_lost_at) / 1000.0, seen, (unsigned)s->n, q, names);
}

char *nd_gossip_dropped_json(const node *n)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	uint64_t mine[ND__COUNT];
	for (int i = 0; i < ND__COUNT; i++)
		mine[i] = __atomic_load_n(&n->gossip.dropped[i], __ATOMIC_RELAXED);
	const nt_cons_stats *st = n->host.cons ? nt_cons_stats_get(n->host.cons) : NULL;
	for (int i = 0; st != NULL && i < NT_DROP__COUNT; i++)
		json_object_set_new(o, nt_cons_drop_name((nt_cons_drop)i),
				    json_integer((json_int_t)st->dropped[i]));
	for (int i = 0; i < ND__COUNT; i++) {
		uint64_t v = mine[i];
		json_t *prev = json_object_get(o, drop_names[i]);
		if (prev != NULL)
			v += (uint64_t)json_integer_value(prev);
		json_object_set_new(o, drop_names[i], json_integer((json_int_t)v));
	}
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}
