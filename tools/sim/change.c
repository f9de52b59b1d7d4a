/* Validator-set changes (FORMATS.md "Changing the validator set"), planned
 * by the simulator, which plays the offices' operators.
 *
 * With --changes N a version 2 (odd) seed plans N changes one after the
 * other: the first at a random time before the faults heal, each next one
 * a little after the one before landed. A change adds an office (a new
 * node that boots from an empty store, catches up by block sync and votes
 * from the first height of the new set), removes one (its node stays up
 * and follows the chain as an observer) or rotates one office's key (its
 * node switches to the new key when it starts the first height of the new
 * set; the old key is destroyed then). Every set keeps its Byzantine
 * members within f. The operators of the current set sign approvals
 * (nt_valset_approval_hash), each at its own pace, and hand them to their
 * own node, which keeps them in its pool of pending changes
 * (core/valset_change.h, as node/valset_host.c does) and gossips them
 * through the faulty network; every node re-gossips its pool to one peer
 * per tick, and a restarted node learns it again that way. The first block
 * a node builds once its pool holds a quorum is the change block
 * (nt_change_apply_to_block), so the change lands wherever consensus takes
 * it. Byzantine operators approve or not, and Byzantine nodes gossip
 * forged approvals beside real ones (the pool takes all or nothing).
 * A rotated office switches keys as node/ does: nt_drv_set_key before the
 * first height of the new set, the old key destroyed.
 * A change may also crash one honest node at its boundary: when it accepts
 * the change block (before the commit) or just after it applied it.
 *
 * The chain's sets by height (sim_chain_set) come from the landed changes
 * alone; the checks use them to tell which key an office signs with at a
 * height (chk_signer) and to count the changes a receipt must carry. */
#include <stdlib.h>
#include <string.h>

#include "crypto/digest.h"
#include "tools/sim/sim.h"

static void oom(void)
{
	fprintf(stderr, "notary-sim: out of memory\n");
	exit(2);
}

static const char *const kind_names[] = {"?", "add", "remove", "rotate the key of"};

const nt_valset *sim_chain_set(const sim *s, uint64_t h)
{
	const nt_valset *v = &s->g.vals;
	for (unsigned i = 0; i < s->nlanded && s->chg[i].landed < h; i++)
		v = s->chg[i].to;
	return v;
}

int sim_node_of_key(const sim *s, const nt_pubkey *pk)
{
	for (int i = 0; i < s->n; i++)
		for (int k = 0; k < s->nodes[i].npubs; k++)
			if (memcmp(s->nodes[i].pubs[k].b, pk->b, sizeof pk->b) == 0)
				return i;
	return -1;
}

int sim_node_of_index(const sim *s, uint64_t h, unsigned i)
{
	const nt_valset *v = sim_chain_set(s, h);
	return i < v->n ? sim_node_of_key(s, &v->keys[i]) : -1;
}

int sim_index_at(const sim_node *d, uint64_t h)
{
	return nt_valset_index(sim_chain_set(d->s, h), &d->pubs[d->nkey]);
}

/* ---- planning ---- */

static void push(sim *s, int kind, int to, uint64_t at)
{
	sim_ev e;
	memset(&e, 0, sizeof e);
	e.kind = kind;
	e.to = to;
	e.at = at;
	sim_push(s, &e);
}

static void push_approval(sim *s, int to, uint64_t at, uint64_t index, unsigned k)
{
	sim_ev e;
	memset(&e, 0, sizeof e);
	e.kind = EV_APPROVAL;
	e.to = to;
	e.at = at;
	e.h = index;
	e.r = k;
	sim_push(s, &e);
}

void sim_change_setup(sim *s)
{
	s->want_changes = s->g.version == 2 ? s->o.changes : 0;
	if (s->want_changes > 0)
		push(s, EV_PLAN, 0, s->now + sim_range(s, 0, s->heal_at - SIM_T0 + 1000));
}

void sim_change_free(sim *s)
{
	for (unsigned i = 0; i < s->nchg; i++) {
		free(s->chg[i].to);
		free(s->chg[i].vb);
	}
	s->nchg = s->nlanded = 0;
}

static int byz_members(const sim *s, const nt_valset *v)
{
	int nb = 0;
	for (unsigned i = 0; i < v->n; i++) {
		int who = sim_node_of_key(s, &v->keys[i]);
		nb += who >= 0 && s->nodes[who].byz;
	}
	return nb;
}

/* The secret key office `who` holds for pk (an office that has not switched
 * to a rotated key yet still holds it), or NULL. */
static const nt_seckey *key_for(const sim_node *d, const nt_pubkey *pk)
{
	if (memcmp(d->pubs[d->nkey].b, pk->b, sizeof pk->b) == 0)
		return d->key;
	if (d->next_key != NULL && memcmp(d->pubs[d->nkey + 1].b, pk->b, sizeof pk->b) == 0)
		return d->next_key;
	return NULL;
}

/* Draws the change: what is feasible keeps every set's Byzantine members
 * within f = (n - 1) / 3 and the nodes within SIM_MAXV. */
static bool draw(sim *s, const nt_valset *cur, sim_change *c)
{
	int nb = byz_members(s, cur);
	int kinds[3], nk = 0;
	if (s->n < SIM_MAXV && cur->n < NT_MAX_VALIDATORS && 3 * nb <= cur->n)
		kinds[nk++] = CHG_ADD;
	int rm[SIM_MAXV], nrm = 0, rot[SIM_MAXV], nrot = 0;
	for (unsigned i = 0; i < cur->n; i++) {
		int who = sim_node_of_key(s, &cur->keys[i]);
		if (who < 0)
			continue;
		const sim_node *d = &s->nodes[who];
		int left = nb - (d->byz != 0);
		if (cur->n >= 2 && 3 * left <= (int)cur->n - 2)
			rm[nrm++] = (int)i;
		if (d->next_key == NULL && d->npubs < SIM_MAXKEYS)
			rot[nrot++] = (int)i;
	}
	if (nrm > 0)
		kinds[nk++] = CHG_REMOVE;
	if (nrot > 0)
		kinds[nk++] = CHG_ROTATE;
	if (nk == 0)
		return false;
	c->kind = kinds[sim_range(s, 0, (uint64_t)nk - 1)];
	*c->to = *cur;
	nt_valset *to = c->to;
	if (c->kind == CHG_ADD) {
		int id = s->n;
		sim_node *d = &s->nodes[id];
		memset(d, 0, sizeof *d);
		d->id = id;
		d->key = sim_derive_key(s->seed, "validator", id);
		nt_seckey_pubkey(d->key, &d->pubs[0]);
		d->npubs = 1;
		if (sim_node_init(s, d) != NT_OK)
			oom();
		/* now and then a Byzantine office joins, when the new set can
		 * take one more */
		if (3 * (nb + 1) <= (int)cur->n && sim_chance(s, 250))
			d->byz = sim_chance(s, 700)   ? BYZ_MIXED
				 : sim_chance(s, 500) ? BYZ_SILENT
						      : BYZ_GARBAGE;
		s->n++;
		to->keys[to->n] = d->pubs[0];
		snprintf(to->names[to->n], sizeof to->names[to->n], "Office %d", id);
		to->n++;
		c->office = id;
		/* its operator sets the node up while approvals gather, or after */
		push(s, EV_BOOT, id, s->now + sim_range(s, 0, 3000));
	} else if (c->kind == CHG_REMOVE) {
		int i = rm[sim_range(s, 0, (uint64_t)nrm - 1)];
		c->office = sim_node_of_key(s, &to->keys[i]);
		memmove(&to->keys[i], &to->keys[i + 1], (to->n - i - 1) * sizeof to->keys[0]);
		memmove(&to->names[i], &to->names[i + 1], (to->n - i - 1) * sizeof to->names[0]);
		to->n--;
	} else {
		int i = rot[sim_range(s, 0, (uint64_t)nrot - 1)];
		sim_node *d = &s->nodes[sim_node_of_key(s, &to->keys[i])];
		c->office = d->id;
		d->next_key = sim_derive_key(s->seed, "rotated", d->id * SIM_MAXKEYS + d->npubs);
		nt_seckey_pubkey(d->next_key, &d->pubs[d->npubs]);
		to->keys[i] = d->pubs[d->npubs];
		d->npubs++;
	}
	return true;
}

/* The operators of the current set approve, each at its own pace, and hand
 * the approval to their own node (valset_approve), which gossips it. */
static void approve(sim *s, const nt_valset *cur, sim_change *c)
{
	nt_hash from, msg;
	if (nt_valset_hash_v2(cur, &from) != NT_OK ||
	    nt_valset_approval_hash(s->g.chain_id, &s->g.genesis_hash, c->index, &from, &c->to_hash,
				    &msg) != NT_OK) {
		sim_fail(s, "engine", "cannot build the approval message of change %llu",
			 (unsigned long long)c->index);
		return;
	}
	for (unsigned i = 0; i < cur->n; i++) {
		int who = sim_node_of_key(s, &cur->keys[i]);
		if (who < 0)
			continue;
		const sim_node *d = &s->nodes[who];
		const nt_seckey *k = key_for(d, &cur->keys[i]);
		if (k == NULL || (d->byz && sim_chance(s, 500)))
			continue; /* a Byzantine operator may never approve */
		nt_approval *a = &c->appr[c->nappr];
		a->index = (uint16_t)i;
		if (nt_sign(k, &msg, &a->sig) != NT_OK)
			continue;
		c->appr_by[c->nappr] = who;
		push_approval(s, who, s->now + sim_range(s, 0, 1500), c->index, c->nappr);
		c->nappr++;
	}
}

static void plan(sim *s)
{
	if (s->nchg >= s->want_changes || s->nchg != s->nlanded || s->failed)
		return;
	const nt_valset *cur = sim_chain_set(s, UINT64_MAX);
	sim_change *c = &s->chg[s->nchg];
	memset(c, 0, sizeof *c);
	c->crash_node = -1;
	c->index = s->nlanded;
	c->planned = s->now;
	c->quorum = nt_valset_quorum(cur);
	if ((c->to = malloc(sizeof *c->to)) == NULL ||
	    (c->vb = malloc(NT_VALSET_BYTES_MAX)) == NULL)
		oom();
	if (!draw(s, cur, c) ||
	    nt_valset_encode(c->to, c->vb, NT_VALSET_BYTES_MAX, &c->vlen) != NT_OK) {
		free(c->to);
		free(c->vb);
		s->want_changes = s->nchg; /* nothing feasible: no more changes */
		return;
	}
	nt_sha256(c->vb, c->vlen, &c->to_hash);
	s->nchg++;
	approve(s, cur, c);
	if ((s->o.faults & F_CRASH) && sim_chance(s, 500)) {
		int hon[SIM_MAXV], nh = 0;
		for (int i = 0; i < s->n; i++)
			if (!s->nodes[i].byz)
				hon[nh++] = i;
		c->crash_node = hon[sim_range(s, 0, (uint64_t)nh - 1)];
		c->crash_before = sim_chance(s, 500);
	}
	char sb[17];
	sim_trace(s,
		  "plan change %llu: %s office %d (%u -> %u validators, %s), %u approvals, "
		  "quorum %u%s",
		  (unsigned long long)c->index, kind_names[c->kind], c->office, cur->n, c->to->n,
		  sim_short(&c->to_hash, sb), c->nappr, c->quorum,
		  c->crash_node < 0 ? ""
		  : c->crash_before ? ", a crash before the boundary"
				    : ", a crash after the boundary");
	if (c->crash_node >= 0)
		sim_trace(s, "change %llu: node %d will crash at the boundary",
			  (unsigned long long)c->index, c->crash_node);
}

/* ---- the change on the nodes ---- */

static const sim_change *pending(const sim *s)
{
	return s->nchg > s->nlanded ? &s->chg[s->nlanded] : NULL;
}

/* The state d's pool judges changes against (node/valset_host.c ctx_of). */
static bool ctx_of(const sim_node *d, nt_change_ctx *ctx)
{
	return d->l != NULL && d->pool != NULL &&
	       nt_change_ctx_init(ctx, &d->s->g, nt_ledger_next_valset(d->l),
				  nt_ledger_change_count(d->l)) == NT_OK;
}

static const nt_change *ready(const sim_node *d)
{
	nt_change_ctx ctx;
	return ctx_of(d, &ctx) ? nt_changepool_ready(d->pool, &ctx) : NULL;
}

bool sim_change_ready(const sim_node *d)
{
	return ready(d) != NULL;
}

void sim_change_prune(sim_node *d)
{
	nt_change_ctx ctx;
	if (ctx_of(d, &ctx))
		nt_changepool_prune(d->pool, &ctx);
}

static void send_change(sim_node *d, int to, const nt_change *c)
{
	uint8_t *w = NULL, *m;
	size_t wl = 0;
	if (nt_change_encode(c->change_index, c->set_bytes, c->set_len, c->approvals, c->n, &w,
			     &wl) != NT_OK)
		return;
	if ((m = malloc(wl + 1)) == NULL)
		oom();
	m[0] = SIM_MSG_CHANGE;
	memcpy(m + 1, w, wl);
	if (to < 0)
		sim_broadcast(d->s, d->id, m, wl + 1);
	else
		sim_send(d->s, d->id, to, m, wl + 1);
	free(m);
	free(w);
}

/* Approvals into d's pool, each checked there (nt_changepool_add); when
 * something was new, what the pool then holds of that change goes to every
 * peer (node/valset_host.c: for peers that missed a part). */
static bool pool_add(sim_node *d, uint64_t index, const uint8_t *vb, size_t vl,
		     const nt_approval *ap, uint16_t n)
{
	nt_change_ctx ctx;
	unsigned added = 0;
	nt_why why = {{0}};
	if (!ctx_of(d, &ctx) ||
	    nt_changepool_add(d->pool, &ctx, index, vb, vl, ap, n, &added, &why) != NT_OK) {
		d->garbage_in++;
		return false;
	}
	if (added == 0)
		return false;
	nt_hash nh;
	nt_sha256(vb, vl, &nh);
	for (size_t i = 0; i < nt_changepool_count(d->pool) && !d->byz; i++) {
		const nt_change *c = nt_changepool_at(d->pool, i);
		if (memcmp(c->next_hash.b, nh.b, NT_HASH_LEN) == 0)
			send_change(d, -1, c);
	}
	return true;
}

bool sim_change_gossip_in(sim_node *d, const uint8_t *msg, size_t len)
{
	uint64_t index;
	const uint8_t *vb;
	size_t vl;
	nt_approval ap[NT_MAX_VALIDATORS];
	uint16_t n;
	nt_why why = {{0}};
	if (len < 1 ||
	    nt_change_decode(msg + 1, len - 1, &index, &vb, &vl, ap, &n, &why) != NT_OK) {
		d->garbage_in++;
		return false;
	}
	return pool_add(d, index, vb, vl, ap, n);
}

void sim_change_gossip_tick(sim_node *d)
{
	sim *s = d->s;
	if (d->pool == NULL || nt_changepool_count(d->pool) == 0 || s->n < 2)
		return;
	int to = (int)sim_range(s, 0, (uint64_t)s->n - 2);
	if (to >= d->id)
		to++;
	for (size_t i = 0; i < nt_changepool_count(d->pool); i++)
		send_change(d, to, nt_changepool_at(d->pool, i));
}

/* Approval k of change `index` reaches its operator's node (valset_approve):
 * into the pool, and out to the peers. The pool lives in memory: when the
 * node crashes before its gossip got through, the approval is gone, so the
 * operator looks again (notary valset pending) every 3 s until the change
 * lands and hands it in again if needed; a node that is down gets it when
 * it is back. */
static void on_approval(sim *s, sim_node *d, uint64_t index, unsigned k)
{
	if (index >= s->nchg || index < s->nlanded)
		return; /* landed already */
	const sim_change *c = &s->chg[index];
	push_approval(s, d->id, s->now + (d->up ? 3000 : 500), index, k);
	if (d->up && pool_add(d, index, c->vb, c->vlen, &c->appr[k], 1))
		sim_trace(s, "n%d: approval %u of change %llu handed in", d->id, k,
			  (unsigned long long)index);
}

void sim_change_attach(sim_node *d, nt_block *b)
{
	const nt_change *c = b->header.version == NT_HEADER_VERSION_2 ? ready(d) : NULL;
	nt_hash keep = b->header.next_validators_hash;
	if (c != NULL && nt_change_apply_to_block(c, b) != NT_OK)
		b->header.next_validators_hash = keep;
}

/* A Byzantine proposer's change block that no quorum approved: the set
 * with one more office (a key of its own), approved by its own key alone
 * or by the real approvals of the pending change, which sign another set.
 * Honest nodes must refuse it (nt_ledger_check_block). True if b is one. */
bool sim_change_forge(sim_node *d, nt_block *b)
{
	sim *s = d->s;
	if (b->header.version != NT_HEADER_VERSION_2 || nt_header_is_change(&b->header))
		return false;
	const nt_valset *cur = nt_ledger_next_valset(d->l);
	if (cur->n >= NT_MAX_VALIDATORS)
		return false;
	nt_valset *to = malloc(sizeof *to);
	uint8_t *vb = malloc(NT_VALSET_BYTES_MAX);
	if (to == NULL || vb == NULL)
		oom();
	*to = *cur;
	nt_seckey *k = sim_derive_key(s->seed, "bogus", (int)nt_ledger_height(d->l));
	nt_seckey_pubkey(k, &to->keys[to->n]);
	nt_seckey_free(k);
	snprintf(to->names[to->n], sizeof to->names[to->n], "Bogus office");
	to->n++;
	size_t vl = 0;
	nt_hash from, to_hash, msg;
	nt_approval ap[SIM_MAXV];
	unsigned n = 0;
	bool ok = nt_valset_encode(to, vb, NT_VALSET_BYTES_MAX, &vl) == NT_OK &&
		  nt_valset_hash_v2(cur, &from) == NT_OK;
	if (ok) {
		nt_sha256(vb, vl, &to_hash);
		ok = nt_valset_approval_hash(s->g.chain_id, &s->g.genesis_hash,
					     nt_ledger_change_count(d->l), &from, &to_hash,
					     &msg) == NT_OK;
	}
	const sim_change *c = pending(s);
	if (ok && c != NULL && sim_chance(s, 500)) {
		for (unsigned i = 0; i < c->nappr; i++)
			ap[n++] = c->appr[i]; /* genuine, but for the planned set */
	} else if (ok) {
		int self = nt_valset_index(cur, &d->pubs[d->nkey]);
		ap[0].index = (uint16_t)(self >= 0 ? self : 0);
		ok = nt_sign(d->key, &msg, &ap[0].sig) == NT_OK;
		n = 1;
	}
	nt_hash keep = b->header.next_validators_hash;
	if (ok) {
		b->header.next_validators_hash = to_hash;
		if (nt_block_set_change(b, vb, vl, ap, (uint16_t)n) != NT_OK) {
			b->header.next_validators_hash = keep;
			ok = false;
		}
	}
	free(to);
	free(vb);
	if (ok)
		sim_trace(s,
			  "n%d BYZ forges a change block (%u approvals of another set or its own)",
			  d->id, n);
	return ok;
}

/* What a Byzantine node gossips of a pending change: a real approval with
 * a forged one in an honest validator's name (the pool takes all or
 * nothing), or its own approval of a set with an office of its own. */
void sim_change_forge_gossip(sim_node *d)
{
	sim *s = d->s;
	const sim_change *c = pending(s);
	if (c == NULL || c->nappr == 0 || s->n < 2)
		return;
	int to = (int)sim_range(s, 0, (uint64_t)s->n - 2);
	if (to >= d->id)
		to++;
	nt_approval ap[2];
	ap[0] = c->appr[sim_range(s, 0, c->nappr - 1)];
	ap[1] = ap[0];
	ap[1].index = (uint16_t)sim_range(s, 0, c->to->n); /* some index, maybe out of range */
	ap[1].sig.b[sim_range(s, 0, NT_SIG_LEN - 1)] ^= 1;
	uint8_t *w = NULL, *m;
	size_t wl = 0;
	if (ap[1].index == ap[0].index)
		ap[1].index = (uint16_t)(ap[0].index + 1);
	if (nt_change_encode(c->index, c->vb, c->vlen, ap, 2, &w, &wl) != NT_OK)
		return;
	if ((m = malloc(wl + 1)) == NULL)
		oom();
	m[0] = SIM_MSG_CHANGE;
	memcpy(m + 1, w, wl);
	sim_send(s, d->id, to, m, wl + 1);
	free(m);
	free(w);
}

static void boundary_crash(sim *s, sim_change *c, int who, uint64_t within)
{
	c->crashed = true;
	push(s, EV_BCRASH, who, s->now + sim_range(s, 0, within));
}

void sim_change_valid(sim_node *d, const nt_block *b)
{
	sim_change *c = (sim_change *)pending(d->s);
	if (c != NULL && nt_header_is_change(&b->header) && c->crash_node == d->id &&
	    c->crash_before && !c->crashed)
		boundary_crash(d->s, c, d->id, 30);
}

void sim_change_appended(sim_node *d, const nt_block *b)
{
	sim *s = d->s;
	const nt_header *h = &b->header;
	if (!nt_header_is_change(h))
		return;
	uint64_t k = nt_ledger_change_count(d->l) - 1;
	if (k < s->nlanded) {
		sim_change *c = &s->chg[k];
		if (c->crash_node == d->id && !c->crash_before && !c->crashed)
			boundary_crash(s, c, d->id, s->commit_delay);
		return;
	}
	if (k != s->nlanded || k >= s->nchg) {
		sim_fail(s, "validity",
			 "node %d applied set change %llu at height %llu, which no "
			 "quorum of operators approved",
			 d->id, (unsigned long long)k, (unsigned long long)h->height);
		return;
	}
	sim_change *c = &s->chg[k];
	if (b->valset_len != c->vlen || memcmp(b->valset_bytes, c->vb, c->vlen) != 0) {
		sim_fail(s, "validity",
			 "node %d applied change %llu at height %llu with a set the "
			 "operators did not approve",
			 d->id, (unsigned long long)k, (unsigned long long)h->height);
		return;
	}
	c->landed = h->height;
	s->nlanded++;
	sim_trace(s, "change %llu landed at h%llu (%u approvals): %s office %d",
		  (unsigned long long)k, (unsigned long long)h->height, b->napprovals,
		  kind_names[c->kind], c->office);
	if (c->crash_node == d->id && !c->crash_before && !c->crashed)
		boundary_crash(s, c, d->id, s->commit_delay);
	if (s->nchg < s->want_changes)
		push(s, EV_PLAN, 0, s->now + sim_range(s, 200, 1500));
}

void sim_office_follow(sim_node *d)
{
	sim_change_prune(d);
	if (d->next_key == NULL ||
	    nt_valset_index(nt_ledger_next_valset(d->l), &d->pubs[d->nkey + 1]) < 0)
		return;
	nt_drv_set_key(d->drv, d->next_key);
	nt_seckey_free(d->key); /* a retired key is destroyed */
	d->key = d->next_key;
	d->next_key = NULL;
	d->nkey++;
	char sb[17];
	nt_hash x;
	memcpy(x.b, d->pubs[d->nkey].b, NT_HASH_LEN);
	sim_trace(d->s, "n%d takes its new key %s, the old one destroyed", d->id,
		  sim_short(&x, sb));
}

/* ---- events, the end ---- */

void sim_change_event(sim *s, const sim_ev *e)
{
	sim_node *d = &s->nodes[e->to];
	switch (e->kind) {
	case EV_PLAN:
		plan(s);
		break;
	case EV_BOOT:
		sim_trace(s, "n%d boots (an added office, %s, empty store)", d->id,
			  d->byz ? "Byzantine" : "honest");
		sim_node_boot(d);
		break;
	case EV_APPROVAL:
		on_approval(s, d, e->h, e->r);
		break;
	case EV_BCRASH:
		if (d->byz || !d->up || s->failed)
			break;
		sim_trace(s, "n%d crashes at the set change's boundary", d->id);
		sim_node_crash(d);
		push(s, EV_RESTART, d->id, s->now + sim_range(s, 50, 600));
		break;
	}
}

const char *sim_change_note(const sim *s, uint64_t h, char *buf, size_t cap)
{
	for (unsigned i = 0; i < s->nlanded; i++)
		if (s->chg[i].landed + 1 == h) {
			snprintf(buf, cap, " (the first height of the set that change %u made)", i);
			return buf;
		}
	return "";
}

bool sim_changes_done(const sim *s)
{
	if (s->want_changes == 0)
		return true;
	if (s->nlanded < s->want_changes)
		return false;
	/* the new set commits two blocks on every honest node */
	uint64_t need = s->chg[s->nlanded - 1].landed + 2;
	for (int i = 0; i < s->n; i++) {
		const sim_node *d = &s->nodes[i];
		if (!d->byz && (!d->up || nt_ledger_height(d->l) < need))
			return false;
	}
	return true;
}

void sim_changes_final(sim *s)
{
	if (s->nlanded < s->nchg || s->nchg < s->want_changes) {
		const sim_change *c = pending(s);
		if (c != NULL)
			sim_fail(
			    s, "liveness",
			    "set change %llu (%s office %d), planned at %llu ms, has not landed "
			    "by %llu ms (faults healed at %llu ms)",
			    (unsigned long long)c->index, kind_names[c->kind], c->office,
			    (unsigned long long)(c->planned - SIM_T0),
			    (unsigned long long)(s->now - SIM_T0),
			    (unsigned long long)(s->heal_at - SIM_T0));
		else
			sim_fail(s, "liveness", "only %u of %u set changes were planned by %llu ms",
				 s->nchg, s->want_changes, (unsigned long long)(s->now - SIM_T0));
		return;
	}
	if (!sim_changes_done(s))
		sim_fail(s, "liveness",
			 "the chain did not go on with the new set: change %u landed at height "
			 "%llu, not every honest node has 2 blocks more by %llu ms",
			 s->nlanded - 1, (unsigned long long)s->chg[s->nlanded - 1].landed,
			 (unsigned long long)(s->now - SIM_T0));
}

void sim_status_tick(sim_node *d)
{
	sim *s = d->s;
	if (s->want_changes == 0 || s->n < 2)
		return;
	int to = (int)sim_range(s, 0, (uint64_t)s->n - 2);
	if (to >= d->id)
		to++;
	uint8_t m[SIM_MSG_STATUS_LEN];
	uint64_t tip = nt_ledger_height(d->l);
	m[0] = SIM_MSG_STATUS;
	for (int i = 0; i < 8; i++)
		m[1 + i] = (uint8_t)(tip >> (56 - 8 * i));
	sim_send(s, d->id, to, m, sizeof m);
}
