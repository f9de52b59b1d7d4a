/* Start-up checks that the store (data/) and the validator's own record of
 * what it did (the sign-state, the WAL header, DIR/node_state) still agree.
 *
 * Why: the sign-state only stops the engine from signing at or below what
 * it signed; it cannot give back lost blocks. A validator whose data/ was
 * deleted or restored from an old backup has a store below what it signed.
 * Those blocks exist and carry its signature, so it must never build other
 * ones at those heights (receipts of both would verify: a fork). It can
 * only get them back, from its peers or from a backup. Left alone it sits
 * at the old height without a word; with consensus/ gone too it would build
 * a second chain. This file makes both cases loud, refuses to start when
 * the node has nobody to catch up from, and reports the state in `status`.
 *
 * Evidence of a height the store once reached (any one suffices):
 *   - sign-state height S: the node signed at S, so it held S-1;
 *   - WAL header height W: the WAL is reset to W only after block W-1 was
 *     stored (consensus_host.c, do_commit and start_height);
 *   - node_state had_blocks: it held block 1 at least.
 * The store is behind when that height is above the store's tip. */
#include "node/node_internal.h"

#include "node/log.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* While behind, remind the operator this often. */
#define REMIND_MS 60000

static void path_in(const node *n, char *buf, size_t cap, const char *rel)
{
	snprintf(buf, cap, "%s/%s", n->home, rel);
}

/* Whether another validator can hand us the blocks we lack: fetched
 * blocks come only through the sync thread (peers with an "rpc" URL), and
 * only other validators decide new ones. */
static bool can_catch_up(const node *n)
{
	return nt_ledger_next_valset(n->ledger)->n > 1 && n->catchup.sync != NULL;
}

static void loud_behind(const node *n, const nt_cons_hrs *s, uint64_t wal_h, bool alone)
{
	uint64_t tip = nt_ledger_height(n->ledger), need = n->guard_need;
	nt_log(NT_LOG_ERROR,
	       "STORE BEHIND: the store %s holds blocks up to height %" PRIu64
	       ", but this node had already reached height %" PRIu64,
	       n->cfg.data_dir, tip, need);
	nt_log(NT_LOG_ERROR,
	       "  evidence: sign-state last signed height %" PRIu64 " (%s/consensus/sign_state)"
	       ", WAL of height %" PRIu64 ", node_state %s",
	       s->height, n->home, wal_h,
	       n->hs.had_blocks ? "says this home held blocks" : "has no record of blocks");
	if (s->round == UINT32_MAX && s->height - 1 == need)
		nt_log(NT_LOG_ERROR,
		       "  cause: the sign-state was set by --repair-sign-state to height %" PRIu64
		       ", above this store (expected when the network went on while this node was "
		       "stopped), or data/ was deleted or restored from an old backup. Blocks "
		       "%" PRIu64 "..%" PRIu64 " exist; this validator may have signed them",
		       s->height, tip + 1, need);
	else
		nt_log(NT_LOG_ERROR,
		       "  cause: data/ was deleted, or restored from a backup older than the node. "
		       "Blocks %" PRIu64 "..%" PRIu64 " exist and carry this validator's signature",
		       tip + 1, need);
	nt_log(NT_LOG_ERROR,
	       "  risk: building other blocks at those heights would fork the chain (receipts "
	       "of both would verify). It must get them back instead; until then it makes no "
	       "block, and its sign-state keeps it from signing anything at or below height "
	       "%" PRIu64,
	       s->height);
	if (!alone) {
		nt_log(NT_LOG_ERROR,
		       "  what happens now: the node follows its peers and fetches the missing "
		       "blocks by itself, then signs again. Or stop it and restore data/ from a "
		       "backup that reaches height %" PRIu64 " (docs/OPERATIONS.md, \"Store behind "
		       "the sign-state\")",
		       need);
		return;
	}
	nt_log(NT_LOG_ERROR,
	       "  this node cannot catch up: %s. Ways out: stop it and restore data/ from a "
	       "backup that reaches height %" PRIu64 "; or start it with --allow-store-behind to "
	       "serve the blocks it holds, read-only, without ever signing (docs/OPERATIONS.md, "
	       "\"Store behind the sign-state\")",
	       nt_ledger_next_valset(n->ledger)->n == 1 ? "it is the only validator, nobody else holds or makes "
					"these blocks"
				      : "no peer with an \"rpc\" URL to fetch blocks from is "
					"configured",
	       need);
}

static void loud_lost_sign_state(const node *n)
{
	uint64_t tip = nt_ledger_height(n->ledger);
	nt_log(NT_LOG_ERROR,
	       "SIGN-STATE LOST: %s/consensus/sign_state is missing, but %s/%s says this "
	       "validator has signed before%s",
	       n->home, n->home, NT_HOME_STATE_FILE,
	       tip == 0 ? ", and the store is empty too (were data/ and consensus/ deleted?)"
			: " (was consensus/ deleted?)");
	nt_log(NT_LOG_ERROR,
	       "  risk: without it the node would sign again at heights it already signed, "
	       "differently (a fork, or votes that mark it as a faulty validator); refusing to "
	       "start");
	nt_log(NT_LOG_ERROR,
	       "  way out, with the node stopped: notaryd --home %s --repair-sign-state H, with H "
	       "the height the network is deciding now (\"consensus_height\" of `notary status "
	       "--json` on another node); for a network of one validator H is this store's "
	       "height, %" PRIu64 "%s (docs/OPERATIONS.md, \"The sign-state\")",
	       n->home, tip,
	       tip == 0 && nt_ledger_next_valset(n->ledger)->n == 1
		   ? ", which cannot be right here: restore data/ from a backup first"
		   : "");
}

/* The height the store is known to have reached (see the top). */
static uint64_t known_height(const node *n, const nt_cons_hrs *s, uint64_t wal_h)
{
	uint64_t need = s->height > 0 ? s->height - 1 : 0;
	if (wal_h > 0 && wal_h - 1 > need)
		need = wal_h - 1;
	if (n->hs.had_blocks && need == 0)
		need = 1;
	return need;
}

static void load_home_state(node *n)
{
	char path[4200];
	path_in(n, path, sizeof path, NT_HOME_STATE_FILE);
	nt_why why = {{0}};
	nt_home_state st;
	nt_err e = nt_home_state_load(path, &st, &why);
	if (e == NT_OK && nt_home_state_same_chain(&st, &n->genesis)) {
		n->hs = st;
		return;
	}
	if (e == NT_OK)
		nt_log(NT_LOG_WARN, "%s was written for chain %s, not this genesis; it is replaced",
		       path, st.chain_id);
	else if (e != NT_ERR_NOT_FOUND)
		nt_log(NT_LOG_WARN, "%s; it is written anew", why.msg);
	memset(&n->hs, 0, sizeof n->hs);
	memcpy(n->hs.chain_id, n->genesis.chain_id, sizeof n->hs.chain_id);
	n->hs.validators_hash = n->genesis.validators_hash;
}

int nd_guard_start(node *n, bool allow_behind)
{
	load_home_state(n);
	if (n->self < 0)
		return 0; /* an observer never signs: it may lose its store freely */
	char path[4200];
	nt_why why = {{0}};
	nt_cons_hrs s;
	path_in(n, path, sizeof path, "consensus/sign_state");
	nt_err e = nt_privval_load(path, &s, &why);
	if (e != NT_OK) {
		nt_log(NT_LOG_ERROR, "%s", why.msg[0] ? why.msg : nt_strerror(e));
		if (e == NT_ERR_CORRUPT)
			nt_log(NT_LOG_ERROR,
			       "  way out, with the node stopped: notaryd --home %s "
			       "--repair-sign-state H, with H the height the network is deciding "
			       "now (\"consensus_height\" of `notary status --json` on another "
			       "node), or this store's height %" PRIu64 " in a network of one "
			       "validator (docs/OPERATIONS.md, \"The sign-state\")",
			       n->home, nt_ledger_height(n->ledger));
		return 1;
	}
	if (n->hs.has_signed && s.step == 0) {
		loud_lost_sign_state(n);
		return 1;
	}
	uint64_t wal_h = 0;
	path_in(n, path, sizeof path, "consensus/cs.wal");
	if (nt_wal_peek_height(path, &wal_h) != NT_OK)
		wal_h = 0; /* missing; or damaged, which nd_cons_open reports */
	uint64_t tip = nt_ledger_height(n->ledger);
	n->guard_signed = s.height;
	n->guard_need = known_height(n, &s, wal_h);
	bool alone = !can_catch_up(n);
	if (n->guard_need > tip) {
		loud_behind(n, &s, wal_h, alone);
		if (!alone)
			return 0;
		if (!allow_behind)
			return 1;
		/* Read-only: the engine gets no key, so nothing is signed or
		 * proposed at any height; submits are refused (node.c). */
		__atomic_store_n(&n->self, -1, __ATOMIC_RELAXED); /* peer threads read it */
		n->read_only = true;
		/* Nor may a height start by itself: starting one resets the WAL,
		 * whose height is part of the evidence above, and a later start
		 * without this flag must still see it. (Submits are refused; with
		 * one validator no peer message starts a height either, and with
		 * more the others decide those heights anyway.) */
		n->cfg.block_heartbeat_s = 0;
		nt_log(NT_LOG_WARN,
		       "--allow-store-behind: serving the %" PRIu64
		       " blocks of the store read-only; this node will not sign",
		       tip);
		return 0;
	}
	n->guard_need = 0;
	/* The repair's "every round of height H" at the height we would make
	 * next: nobody but us could decide it. */
	if (nt_ledger_next_valset(n->ledger)->n == 1 && s.height == tip + 1 && s.round == UINT32_MAX) {
		nt_log(NT_LOG_ERROR,
		       "the sign-state forbids every signature at height %" PRIu64
		       ", the next block of this one-validator chain (a --repair-sign-state "
		       "above the store's height %" PRIu64 "?): it could never make a block. "
		       "Restore data/ from a backup that reaches height %" PRIu64,
		       s.height, tip, s.height);
		return 1;
	}
	return 0;
}

static void mark(node *n, bool *fact, const char *what)
{
	if (*fact || n->hs_failed)
		return;
	char path[4200];
	path_in(n, path, sizeof path, NT_HOME_STATE_FILE);
	*fact = true;
	nt_why why = {{0}};
	nt_err e = nt_home_state_save(path, &n->hs, &why);
	if (e != NT_OK) {
		/* A guard, not a promise: keep running, but say it once. */
		nt_log(NT_LOG_WARN,
		       "cannot record in %s that %s: %s; a later loss of data/ or consensus/ "
		       "may go unnoticed",
		       path, what, why.msg);
		n->hs_failed = true;
	}
}

void nd_guard_tick(node *n, uint64_t now)
{
	uint64_t tip = nt_ledger_height(n->ledger);
	if (tip >= 1)
		mark(n, &n->hs.had_blocks, "this home holds blocks");
	if (n->host.pv != NULL && nt_privval_get(n->host.pv).step != 0)
		mark(n, &n->hs.has_signed, "this validator has signed");
	if (n->guard_need == 0 || n->read_only)
		return;
	if (tip >= n->guard_need) {
		nt_log(NT_LOG_INFO,
		       "the store caught up: height %" PRIu64 " reaches what this validator "
		       "signed (height %" PRIu64 "); it signs again from here",
		       tip, n->guard_signed);
		n->guard_need = 0;
		return;
	}
	if (now >= n->guard_warned + REMIND_MS) {
		if (n->guard_warned != 0)
			nt_log(NT_LOG_WARN,
			       "store still behind: height %" PRIu64 " of %" PRIu64
			       " needed; making no block below it, fetching blocks from peers",
			       tip, n->guard_need);
		n->guard_warned = now;
	}
}

json_t *nd_guard_status(const node *n)
{
	uint64_t tip = nt_ledger_height(n->ledger);
	if (n->guard_need == 0 || tip >= n->guard_need)
		return json_null();
	return json_pack("{s:I,s:I,s:I,s:b}", "store_height", (json_int_t)tip, "sign_state_height",
			 (json_int_t)n->guard_signed, "needed_height", (json_int_t)n->guard_need,
			 "read_only", n->read_only);
}
