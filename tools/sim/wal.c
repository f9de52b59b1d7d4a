/* A node's write-ahead log and its table of last commits (see node.c for
 * the durability model). */
#include <stdlib.h>
#include <string.h>

#include "tools/sim/sim.h"

static void oom(void)
{
	fprintf(stderr, "notary-sim: out of memory\n");
	exit(2);
}

/* ---- the last commit each accepted block names ---- */

void sim_seen_put(sim_node *d, const nt_block *b, const nt_commit *lc)
{
	nt_hash bh;
	if (nt_header_hash(&b->header, &bh) != NT_OK)
		return;
	unsigned slot = d->nseen % SIM_LC_SEEN;
	bool fresh = true;
	for (unsigned i = 0; i < SIM_LC_SEEN; i++)
		if (d->seen[i].used && memcmp(d->seen[i].bh.b, bh.b, NT_HASH_LEN) == 0) {
			slot = i;
			fresh = false;
		}
	if (fresh)
		d->nseen++;
	d->seen[slot].used = true;
	d->seen[slot].bh = bh;
	free(d->seen[slot].lc);
	d->seen[slot].lc = NULL;
	if (lc != NULL) {
		if ((d->seen[slot].lc = malloc(sizeof *lc)) == NULL)
			oom();
		*d->seen[slot].lc = *lc;
	}
}

bool sim_seen_get(sim_node *d, const nt_hash *bh, const nt_commit **lc)
{
	for (unsigned i = 0; i < SIM_LC_SEEN; i++)
		if (d->seen[i].used && memcmp(d->seen[i].bh.b, bh->b, NT_HASH_LEN) == 0) {
			*lc = d->seen[i].lc;
			return true;
		}
	return false;
}

void sim_seen_clear(sim_node *d)
{
	for (unsigned i = 0; i < SIM_LC_SEEN; i++)
		free(d->seen[i].lc);
	memset(d->seen, 0, sizeof d->seen);
	d->nseen = 0;
}

/* ---- WAL ---- */

void sim_wal_truncate(sim_node *d, size_t n)
{
	for (size_t i = n; i < d->wal_n; i++)
		free(d->wal[i].msg);
	if (d->wal_n > n)
		d->wal_n = n;
	if (d->wal_synced > n)
		d->wal_synced = n;
}

/* Drops the entries of heights below h, keeping the order (and what of
 * the rest was synced). */
void sim_wal_keep_from(sim_node *d, uint64_t h)
{
	size_t o = 0, synced = 0;
	for (size_t i = 0; i < d->wal_n; i++) {
		if (d->wal[i].h < h) {
			free(d->wal[i].msg);
			continue;
		}
		if (i < d->wal_synced)
			synced++;
		d->wal[o++] = d->wal[i];
	}
	d->wal_n = o;
	d->wal_synced = synced;
}

void sim_wal_append(sim_node *d, uint8_t kind, bool own, const uint8_t *msg, size_t len, uint64_t h,
		    uint32_t r, uint8_t step)
{
	if (d->byz)
		return;
	if (d->wal_n == d->wal_cap) {
		size_t cap = d->wal_cap ? d->wal_cap * 2 : 64;
		wal_ent *nw = realloc(d->wal, cap * sizeof *nw);
		if (nw == NULL)
			oom();
		d->wal = nw;
		d->wal_cap = cap;
	}
	wal_ent *w = &d->wal[d->wal_n++];
	memset(w, 0, sizeof *w);
	w->kind = kind;
	w->own = own;
	w->h = h;
	w->r = r;
	w->step = step;
	if (len > 0) {
		if ((w->msg = malloc(len)) == NULL)
			oom();
		memcpy(w->msg, msg, len);
		w->len = len;
	}
	chk_wal_append(d->s, d, kind, own, msg, len);
}
