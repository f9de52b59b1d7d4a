/* A node's life cycle: init, boot (an added office's node boots late,
 * from an empty store), crash and restart (see node.c for the durability
 * model), free. */
#include <stdlib.h>
#include <string.h>

#include "tools/sim/sim.h"

static void oom(void)
{
	fprintf(stderr, "notary-sim: out of memory\n");
	exit(2);
}

static void open_volatile(sim_node *d)
{
	nt_why why = {{0}};
	if (nt_ledger_open(d->kv, &d->s->g, &d->l, &why) != NT_OK) {
		sim_fail(d->s, "durability", "node %d cannot open its store: %s", d->id, why.msg);
		return;
	}
	/* a fixed key: the simulator replays byte for byte */
	static const uint8_t mpkey[NT_MEMPOOL_KEY_LEN] = {0x5e, 0xed};
	if (nt_mempool_new(10000, 16u << 20, mpkey, &d->mp) != NT_OK ||
	    nt_changepool_new(&d->pool) != NT_OK)
		oom();
	sim_node_engine_new(d, 0);
}

nt_err sim_node_init(sim *s, sim_node *d)
{
	d->s = s;
	if (nt_kv_mem_new(&d->dur) != NT_OK || simkv_new(d->dur, &d->kv) != NT_OK)
		return NT_ERR_NOMEM;
	return NT_OK;
}

void sim_node_boot(sim_node *d)
{
	d->up = true;
	d->born = true;
	open_volatile(d);
	if (d->s->failed)
		return;
	d->last_block_at = d->s->now;
	sim_node_maybe_start(d);
	sim_node_sched(d, EV_TICK, d->s->tick_ms + sim_range(d->s, 0, d->s->tick_ms), 0, 0, 0);
}

static void close_volatile(sim_node *d)
{
	nt_drv_free(d->drv);
	d->drv = NULL;
	d->e = NULL;
	nt_mempool_free(d->mp);
	d->mp = NULL;
	nt_changepool_free(d->pool);
	d->pool = NULL;
	nt_ledger_free(d->l);
	d->l = NULL;
	sim_seen_clear(d);
}

void sim_node_crash(sim_node *d)
{
	if (!d->up)
		return;
	sim_trace(d->s, "n%d CRASH (wal %zu of %zu synced, signed h%llu r%u s%u)", d->id,
		  d->wal_synced, d->wal_n, (unsigned long long)d->persisted.height,
		  d->persisted.round, d->persisted.step);
	/* A lock is durable once a signature followed it (that sync wrote the
	 * prevotes it rests on): replay must rebuild it. */
	d->crash_h = nt_cons_height(d->e);
	d->crash_lock = nt_cons_locked(d->e, &d->crash_lock_hash);
	if (nt_cons_decided(d->e) || d->persisted.height != d->crash_h ||
	    (int64_t)d->persisted.round < d->crash_lock)
		d->crash_lock = -1;
	d->up = false;
	d->epoch++;
	d->crashes++;
	d->sync_pending = false;
	d->sync_hint = 0;
	close_volatile(d);
	simkv_crash(d->kv);
	sim_wal_truncate(d, d->wal_synced);
}

void sim_node_restart(sim_node *d)
{
	sim *s = d->s;
	if (d->up || !d->born)
		return;
	d->up = true;
	open_volatile(d);
	if (s->failed)
		return;
	chk_durable(s, d);
	uint64_t h = nt_ledger_height(d->l) + 1;
	bool no_wal = (s->o.bugs & BUG_NO_WAL) != 0;
	sim_wal_keep_from(d, no_wal ? UINT64_MAX : h);
	sim_trace(s, "n%d RESTART at h%llu (wal: %zu entries%s)", d->id, (unsigned long long)h,
		  d->wal_n, no_wal ? ", ignored: planted bug no-wal" : "");
	if (no_wal)
		memset(&d->persisted, 0, sizeof d->persisted);
	else
		nt_drv_set_last_signed(d->drv, &d->persisted);
	d->last_block_at = s->now;
	/* As node/: the height runs again only if the WAL holds input of it;
	 * otherwise the node is idle until something is due. */
	bool ran = false;
	for (size_t i = 0; i < d->wal_n; i++)
		ran = ran || d->wal[i].h == h;
	if (!ran) {
		sim_node_maybe_start(d);
		sim_node_sched(d, EV_TICK, s->tick_ms, 0, 0, 0);
		return;
	}
	sim_office_follow(d);
	nt_err err = nt_drv_start_height_set(d->drv, h, nt_ledger_next_valset(d->l));
	if (err != NT_OK)
		sim_fail(s, "engine", "node %d: start_height after restart: %s", d->id,
			 nt_strerror(err));
	else
		chk_height_set(s, d, h);
	if (!s->failed && d->up)
		sim_node_replay_wal(d);
	nt_hash lh;
	int32_t lr = nt_cons_locked(d->e, &lh);
	if (!no_wal && !s->failed && d->crash_lock >= 0 && nt_cons_height(d->e) == d->crash_h &&
	    (lr < d->crash_lock ||
	     (lr == d->crash_lock && memcmp(lh.b, d->crash_lock_hash.b, NT_HASH_LEN) != 0))) {
		char sb[17];
		sim_fail(s, "durability",
			 "node %d lost its lock (round %d on %s, height %llu) in "
			 "a crash: after WAL replay it is locked at round %d",
			 d->id, d->crash_lock, sim_short(&d->crash_lock_hash, sb),
			 (unsigned long long)d->crash_h, lr);
	}
	sim_node_sched(d, EV_TICK, s->tick_ms, 0, 0, 0);
}

void sim_node_free(sim_node *d)
{
	close_volatile(d);
	sim_wal_truncate(d, 0);
	free(d->wal);
	d->wal = NULL;
	d->wal_cap = 0;
	nt_kv_close(d->kv);
	nt_kv_close(d->dur);
	nt_seckey_free(d->key);
	nt_seckey_free(d->next_key);
	d->kv = d->dur = NULL;
	d->key = d->next_key = NULL;
}
