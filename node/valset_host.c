/* The node's side of validator-set changes (FORMATS.md "Changing the
 * validator set", docs/OPERATIONS.md "Changing the validator set"):
 *
 * - following the set: at every height start the node looks up its key in
 *   the set that commits the height (the ledger's nt_ledger_next_valset)
 *   and becomes a validator, moves to another index, or becomes an observer
 *   by itself; a rotated office switches to the key waiting in
 *   next_key_file and wipes the old one, keeping its sign-state (which
 *   belongs to the office, so the new key never signs at or below what the
 *   old one signed);
 * - the keys peers sign envelopes with, for the transport threads: the
 *   current set and the one before the last change, so that a peer one
 *   change ahead or behind is still heard;
 * - approvals: operators hand them in over RPC (valset_approve), peers
 *   gossip them (NT_GOSSIP_CHANGE); every one is checked when it enters the
 *   pool (core/valset_change.h), and a proposer puts the first change with a
 *   quorum into its next block.
 *
 * The pool is kept in DIR/valset_pending too (written whenever it changes,
 * read at start, every approval checked again then): an approval handed to
 * a node that crashed before gossiping it is not lost. Peers' re-gossip
 * (every CHANGE_GOSSIP_MS) fills in the rest. File layout:
 *   "NTVP" || u8 1 || u32 n || n x { u32 len || a pending change's wire form }
 * The file is advisory: a damaged one is logged and ignored (approvals can
 * be handed in again; none of them is trusted without its check). */
#include "node/node_internal.h"
#include "node/passfile.h"

#include "base/codec.h"
#include "base/hex.h"
#include "core/jsonx.h"
#include "crypto/digest.h"
#include "node/fsutil.h"
#include "node/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHANGE_GOSSIP_MS 3000
#define PENDING_FILE "valset_pending"
#define PENDING_MAX (8u + NT_CHANGEPOOL_MAX * (4u + NT_CHANGE_WIRE_MAX))

static void pool_save(node *n);
static void pool_load(node *n);

static nt_err ctx_of(const node *n, nt_change_ctx *ctx)
{
	return nt_change_ctx_init(ctx, &n->genesis, nt_ledger_next_valset(n->ledger),
				  nt_ledger_change_count(n->ledger));
}

/* ---- the keys peers sign with ---- */

static void keys_publish(node *n, const nt_valset *s)
{
	nt_hash h;
	nt_valset_hash(s, &h); /* keys only: what envelopes are checked against */
	if (memcmp(h.b, n->vs.cur_hash.b, NT_HASH_LEN) == 0 && n->vs.nkeys[0] > 0)
		return;
	pthread_mutex_lock(&n->vs.keys_mu);
	if (n->vs.nkeys[0] > 0) {
		memcpy(n->vs.keys[1], n->vs.keys[0], sizeof n->vs.keys[0]);
		n->vs.nkeys[1] = n->vs.nkeys[0];
	}
	memcpy(n->vs.keys[0], s->keys, (size_t)s->n * sizeof s->keys[0]);
	n->vs.nkeys[0] = s->n;
	pthread_mutex_unlock(&n->vs.keys_mu);
	n->vs.cur_hash = h;
	/* indexes name other offices now: who was heard from starts over */
	if (n->gossip.peer_seen != NULL)
		memset(n->gossip.peer_seen, 0, NT_MAX_VALIDATORS * sizeof *n->gossip.peer_seen);
}

int nd_valset_peer_keys(node *n, int sender, nt_pubkey out[2])
{
	int k = 0;
	if (sender < 0)
		return 0;
	pthread_mutex_lock(&n->vs.keys_mu);
	for (int i = 0; i < 2; i++)
		if (sender < n->vs.nkeys[i] &&
		    (k == 0 || memcmp(out[0].b, n->vs.keys[i][sender].b, NT_PUBKEY_LEN) != 0))
			out[k++] = n->vs.keys[i][sender];
	pthread_mutex_unlock(&n->vs.keys_mu);
	return k;
}

/* ---- our own place in the set ---- */

/* Overwrites the file behind fd with zeros and syncs it: the old key's
 * bytes must not survive in the file system's blocks (FORMATS.md: "A
 * retired key must be destroyed"). */
static void wipe_fd(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	uint8_t z[256] = {0};
	if (len < 0 || lseek(fd, 0, SEEK_SET) != 0)
		return;
	for (off_t done = 0; done < len;) {
		size_t k = (size_t)(len - done) < sizeof z ? (size_t)(len - done) : sizeof z;
		ssize_t w = write(fd, z, k);
		if (w <= 0)
			return;
		done += w;
	}
	(void)fsync(fd);
}

static void sync_dir_of(const char *path)
{
	char dir[4200];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof dir, ".");
	else
		*slash = '\0';
	int fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Our key is not in s: if the office's rotated key waits in next_key_file
 * and s names it, it takes over. Order: the new key file replaces the old
 * one by rename (atomic: a crash leaves one of the two keys as the key
 * file, never none), then the old file's blocks are zeroed through a
 * descriptor opened before the rename, then the old key leaves memory. */
static bool try_rotate(node *n, const nt_valset *s, uint64_t h)
{
	const char *next = n->cfg.next_key_file;
	if (next == NULL || access(next, F_OK) != 0)
		return false;
	nt_why why = {{0}};
	nt_seckey *nk = NULL;
	if (nt_key_load(next, n->cfg.key_passphrase_file, &nk, &why) != NT_OK) {
		nt_log(NT_LOG_ERROR, "cannot read the waiting rotated key %s: %s", next, why.msg);
		return false;
	}
	nt_pubkey npk;
	nt_seckey_pubkey(nk, &npk);
	int idx = nt_valset_index(s, &npk);
	if (idx < 0) {
		char hx[65];
		nt_hex_encode(npk.b, NT_PUBKEY_LEN, hx);
		nt_log(NT_LOG_DEBUG,
		       "the waiting key %s (%.16s) is not in the set of height %" PRIu64, next, hx,
		       h);
		nt_seckey_free(nk);
		return false;
	}
	int oldfd = open(n->cfg.key_file, O_WRONLY | O_CLOEXEC);
	if (rename(next, n->cfg.key_file) != 0) {
		nt_log(NT_LOG_ERROR, "cannot move the rotated key %s over %s: %s", next,
		       n->cfg.key_file, strerror(errno));
		if (oldfd >= 0)
			close(oldfd);
		nt_seckey_free(nk);
		return false;
	}
	sync_dir_of(n->cfg.key_file);
	if (oldfd >= 0) {
		wipe_fd(oldfd);
		close(oldfd);
	}
	char oh[65], nh[65];
	nt_hex_encode(n->pub.b, NT_PUBKEY_LEN, oh);
	nt_hex_encode(npk.b, NT_PUBKEY_LEN, nh);
	nt_seckey *old = n->key;
	n->key = nk;
	pthread_mutex_lock(&n->front.pub_mu);
	n->pub = npk;
	pthread_mutex_unlock(&n->front.pub_mu);
	if (n->host.drv != NULL)
		nt_drv_set_key(n->host.drv, n->key);
	nt_seckey_free(old); /* wiped on free */
	nt_log(NT_LOG_INFO,
	       "key rotated at height %" PRIu64 ": %.16s... (%s) replaces %.16s...; %s now holds "
	       "the new key, the old one was overwritten with zeros on disk and wiped from "
	       "memory; the sign-state carries over",
	       h, nh, s->names[idx], oh, n->cfg.key_file);
	return true;
}

void nd_valset_follow(node *n)
{
	ND_ON_LOOP(n);
	const nt_valset *s = nt_ledger_next_valset(n->ledger);
	uint64_t h = nt_ledger_height(n->ledger) + 1;
	keys_publish(n, s);
	nt_change_ctx ctx;
	if (n->vs.pool != NULL && ctx_of(n, &ctx) == NT_OK) {
		size_t before = nt_changepool_count(n->vs.pool);
		nt_changepool_prune(n->vs.pool, &ctx);
		if (nt_changepool_count(n->vs.pool) != before)
			pool_save(n);
	}
	if (n->read_only)
		return;
	int idx = nt_valset_index(s, &n->pub);
	if (idx < 0 && try_rotate(n, s, h))
		idx = nt_valset_index(s, &n->pub);
	int was = n->self;
	if (idx == was)
		return;
	if (idx >= 0 && n->host.pv == NULL && nd_cons_open_sign_state(n) != NT_OK) {
		n->fatal = true;
		return;
	}
	__atomic_store_n(&n->self, idx, __ATOMIC_RELAXED); /* peer threads read it */
	pthread_mutex_lock(&n->front.pub_mu);
	n->front.is_validator = idx >= 0;
	pthread_mutex_unlock(&n->front.pub_mu);
	if (idx >= 0 && was < 0)
		nt_log(NT_LOG_INFO,
		       "joined the validator set at height %" PRIu64 " as %s (%d of %u)", h,
		       s->names[idx], idx, (unsigned)s->n);
	else if (idx >= 0)
		nt_log(NT_LOG_INFO, "validator index moves from %d to %d at height %" PRIu64, was,
		       idx, h);
	else
		nt_log(NT_LOG_WARN,
		       "this node's key is not in the validator set of height %" PRIu64
		       " (%u offices): it follows the chain as an observer from here on (an "
		       "office that was removed needs to do nothing; one whose key was rotated "
		       "places the new key at %s and it takes over at the next height)",
		       h, (unsigned)s->n, n->cfg.next_key_file);
}

nt_err nd_valset_open(node *n, nt_why *why)
{
	if (pthread_mutex_init(&n->vs.keys_mu, NULL) != 0)
		return nt_fail(why, NT_ERR_NOMEM, "cannot create a lock");
	n->vs.mu_ok = true;
	if (nt_changepool_new(&n->vs.pool) != NT_OK)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	const nt_valset *s = nt_ledger_next_valset(n->ledger);
	keys_publish(n, s);
	n->self = nt_valset_index(s, &n->pub);
	if (n->genesis.version >= 2)
		pool_load(n);
	return NT_OK;
}

void nd_valset_close(node *n)
{
	nt_changepool_free(n->vs.pool);
	n->vs.pool = NULL;
	if (n->vs.mu_ok)
		pthread_mutex_destroy(&n->vs.keys_mu);
	n->vs.mu_ok = false;
}

/* ---- the pool on disk ---- */

static void pending_path(const node *n, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", n->home, PENDING_FILE);
}

/* Writes the pool (or removes the file when it is empty). A failure is
 * logged: the approvals stay in memory and in the peers' pools. */
static void pool_save(node *n)
{
	char path[4200];
	pending_path(n, path, sizeof path);
	size_t cnt = nt_changepool_count(n->vs.pool);
	if (cnt == 0) {
		if (unlink(path) != 0 && errno != ENOENT)
			nt_log(NT_LOG_WARN, "cannot remove %s: %s", path, strerror(errno));
		return;
	}
	uint8_t *buf = malloc(PENDING_MAX);
	if (buf == NULL)
		return;
	nt_writer w;
	nt_writer_init(&w, buf, PENDING_MAX);
	nt_put_bytes(&w, "NTVP", 4);
	nt_put_u8(&w, 1);
	nt_put_u32(&w, (uint32_t)cnt);
	for (size_t i = 0; i < cnt; i++) {
		const nt_change *c = nt_changepool_at(n->vs.pool, i);
		uint8_t *wire = NULL;
		size_t wl = 0;
		if (nt_change_encode(c->change_index, c->set_bytes, c->set_len, c->approvals, c->n,
				     &wire, &wl) != NT_OK) {
			w.ok = false;
			break;
		}
		nt_put_u32(&w, (uint32_t)wl);
		nt_put_bytes(&w, wire, wl);
		free(wire);
	}
	nt_why why = {{0}};
	if (!w.ok || nt_fs_write_atomic(path, buf, w.len, &why) != NT_OK)
		nt_log(NT_LOG_WARN, "cannot keep the pending set change approvals in %s: %s", path,
		       w.ok ? why.msg : "cannot encode them");
	free(buf);
}

static const nt_change *pool_add(node *n, const uint8_t *buf, size_t len, unsigned *added,
				 nt_why *why);

/* Reads DIR/valset_pending back into the pool, checking every approval
 * against the chain as it is now: what a change made stale is dropped. */
static void pool_load(node *n)
{
	char path[4200];
	pending_path(n, path, sizeof path);
	uint8_t *buf = malloc(PENDING_MAX + 1);
	ssize_t got = buf != NULL ? nt_fs_read_small(path, buf, PENDING_MAX + 1) : -1;
	if (got < 0) {
		if (buf != NULL && errno != ENOENT)
			nt_log(NT_LOG_WARN, "cannot read %s: %s", path, strerror(errno));
		free(buf);
		return;
	}
	nt_reader r;
	nt_reader_init(&r, buf, (size_t)got);
	uint8_t magic[4];
	nt_get_bytes(&r, magic, 4);
	uint8_t ver = nt_get_u8(&r);
	uint32_t cnt = nt_get_u32(&r);
	size_t kept = 0, dropped = 0;
	bool bad = !r.ok || memcmp(magic, "NTVP", 4) != 0 || ver != 1 || cnt > NT_CHANGEPOOL_MAX;
	for (uint32_t i = 0; !bad && i < cnt; i++) {
		uint32_t wl = nt_get_u32(&r);
		const uint8_t *wire = r.ok ? nt_get_view(&r, wl) : NULL;
		if (wire == NULL || !r.ok) {
			bad = true;
			break;
		}
		unsigned added = 0;
		nt_why why = {{0}};
		if (pool_add(n, wire, wl, &added, &why) != NULL)
			kept++;
		else
			dropped++;
	}
	if (bad || !nt_reader_done(&r))
		nt_log(NT_LOG_WARN,
		       "%s is damaged: pending set change approvals after the damage are "
		       "dropped (offices can approve again)",
		       path);
	if (kept > 0)
		nt_log(NT_LOG_INFO, "%zu pending set change%s read back from %s%s", kept,
		       kept == 1 ? "" : "s", path,
		       dropped > 0 ? " (others were decided while the node was down)" : "");
	free(buf);
	if (dropped > 0 || bad)
		pool_save(n);
}

/* ---- approvals ---- */

static void gossip_change(node *n, const nt_change *c)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	if (nt_change_encode(c->change_index, c->set_bytes, c->set_len, c->approvals, c->n, &buf,
			     &len) != NT_OK)
		return;
	nd_gossip_signed(n, NT_GOSSIP_CHANGE, buf, len);
	free(buf);
}

/* Adds the wire form of a change to the pool; the change it landed in
 * (NULL if refused, with why). */
static const nt_change *pool_add(node *n, const uint8_t *buf, size_t len, unsigned *added,
				 nt_why *why)
{
	uint64_t idx;
	const uint8_t *sb;
	size_t sl;
	nt_approval ap[NT_MAX_VALIDATORS];
	uint16_t k;
	nt_change_ctx ctx;
	if (nt_change_decode(buf, len, &idx, &sb, &sl, ap, &k, why) != NT_OK)
		return NULL;
	nt_err e = ctx_of(n, &ctx);
	if (e != NT_OK) {
		nt_fail(why, e, "cannot hash the current set");
		return NULL;
	}
	if (nt_changepool_add(n->vs.pool, &ctx, idx, sb, sl, ap, k, added, why) != NT_OK)
		return NULL;
	nt_hash h;
	nt_sha256(sb, sl, &h);
	return nt_changepool_find(n->vs.pool, h.b, NT_HASH_LEN);
}

void nd_valset_on_gossip(node *n, const uint8_t *body, size_t len)
{
	unsigned added = 0;
	nt_why why = {{0}};
	const nt_change *c = pool_add(n, body, len, &added, &why);
	if (c == NULL) {
		nt_log(NT_LOG_DEBUG, "a peer's set change approvals were refused: %s", why.msg);
		return;
	}
	if (added > 0) {
		char id[65];
		nt_hex_encode(c->next_hash.b, NT_HASH_LEN, id);
		nt_log(NT_LOG_INFO,
		       "set change %" PRIu64 " (%.16s): %u new approval%s from a peer, %u of %u "
		       "needed",
		       c->change_index, id, added, added == 1 ? "" : "s", (unsigned)c->n,
		       nt_valset_quorum(nt_ledger_next_valset(n->ledger)));
		gossip_change(n, c); /* what we now hold, for peers that missed a part */
		pool_save(n);
	}
}

void nd_valset_tick(node *n, uint64_t now)
{
	if (now < n->vs.next_gossip || n->vs.pool == NULL)
		return;
	n->vs.next_gossip = now + CHANGE_GOSSIP_MS;
	for (size_t i = 0; i < nt_changepool_count(n->vs.pool); i++)
		gossip_change(n, nt_changepool_at(n->vs.pool, i));
}

bool nd_valset_ready(const node *n)
{
	/* Asked on every loop turn (nd_cons_block_due): an empty pool, the
	 * usual case, costs no hash of the current set. */
	if (n->vs.pool == NULL || nt_changepool_count(n->vs.pool) == 0 || n->genesis.version < 2)
		return false;
	nt_change_ctx ctx;
	return ctx_of(n, &ctx) == NT_OK && nt_changepool_ready(n->vs.pool, &ctx) != NULL;
}

nt_err nd_valset_attach(node *n, nt_block *b)
{
	nt_change_ctx ctx;
	if (n->vs.pool == NULL || n->genesis.version < 2 || ctx_of(n, &ctx) != NT_OK)
		return NT_OK;
	const nt_change *c = nt_changepool_ready(n->vs.pool, &ctx);
	if (c == NULL)
		return NT_OK;
	nt_err e = nt_change_apply_to_block(c, b);
	if (e == NT_OK)
		nt_log(NT_LOG_INFO,
		       "proposing set change %" PRIu64 " at height %" PRIu64
		       " with %u approvals: %u offices from the next height",
		       c->change_index, b->header.height, (unsigned)c->n, (unsigned)c->next->n);
	return e;
}

/* ---- RPC ---- */

static json_t *change_json(const nt_change *c, const nt_valset *cur)
{
	json_t *ap = json_array();
	for (uint16_t i = 0; ap != NULL && i < c->n; i++) {
		uint16_t ix = c->approvals[i].index;
		json_array_append_new(ap,
				      json_pack("{s:i,s:s,s:o}", "index", (int)ix, "name",
						ix < cur->n ? cur->names[ix] : "?", "sig",
						nt_json_hex(c->approvals[i].sig.b, NT_SIG_LEN)));
	}
	return json_pack("{s:o,s:I,s:o,s:o,s:i,s:b}", "change_id",
			 nt_json_hex(c->next_hash.b, NT_HASH_LEN), "change_index",
			 (json_int_t)c->change_index, "validators", nt_rpc_valset_json(c->next),
			 "approvals", ap, "quorum", (int)nt_valset_quorum(cur), "ready",
			 c->n >= nt_valset_quorum(cur));
}

char *nd_valset_rpc(node *n, const nt_rpc_call *c)
{
	ND_ON_LOOP(n);
	const nt_valset *cur = nt_ledger_next_valset(n->ledger);
	if (n->genesis.version < 2)
		return nt_rpc_error(c->id, NT_RPC_E_PARAMS,
				    "this chain's genesis is version 1: its validator set is fixed "
				    "(set changes need notary-genesis/2)");
	if (c->method == NT_RPC_VALSET_PENDING) {
		json_t *arr = json_array();
		for (size_t i = 0; arr != NULL && i < nt_changepool_count(n->vs.pool); i++)
			json_array_append_new(arr,
					      change_json(nt_changepool_at(n->vs.pool, i), cur));
		json_t *res = json_pack("{s:I,s:o,s:o}", "change_index",
					(json_int_t)nt_ledger_change_count(n->ledger), "current",
					nt_rpc_valset_json(cur), "pending", arr);
		return nt_rpc_reply_json(c->id, res);
	}
	unsigned added = 0;
	nt_why why = {{0}};
	const nt_change *ch = pool_add(n, c->change, c->change_len, &added, &why);
	if (ch == NULL)
		return nt_rpc_error(c->id, NT_RPC_E_PARAMS, "set change refused: %s", why.msg);
	nt_log(NT_LOG_INFO, "set change %" PRIu64 ": %u new approval%s handed in, %u of %u needed",
	       ch->change_index, added, added == 1 ? "" : "s", (unsigned)ch->n,
	       nt_valset_quorum(cur));
	if (added > 0) {
		gossip_change(n, ch);
		pool_save(n);
	}
	json_t *res = change_json(ch, cur);
	if (res != NULL)
		json_object_set_new(res, "added", json_integer(added));
	return nt_rpc_reply_json(c->id, res);
}
