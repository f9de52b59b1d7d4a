/* notary-sim: options, one run per seed, the summary.
 *
 *   notary-sim [--seeds N] [--start S] [--validators V] [--byzantine K]
 *              [--faults all|none|delay,loss,dup,reorder,partition,crash,skew]
 *              [--heights H] [--time MS] [--heal MS] [--records R]
 *              [--changes N] [--inject-bug NAME] [--trace] [--keep-going]
 *
 * Exit 0 when every seed passed, 1 when a check failed (the failing seed,
 * the check and a replay command are printed), 2 on a usage error. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/genesis.h"
#include "crypto/digest.h"
#include "tools/sim/sim.h"

static const struct {
	const char *name;
	unsigned bit;
} fault_names[] = {
    {"delay", F_DELAY},		{"loss", F_LOSS},   {"dup", F_DUP},   {"reorder", F_REORDER},
    {"partition", F_PARTITION}, {"crash", F_CRASH}, {"skew", F_SKEW},
};

static const struct {
	const char *name;
	unsigned bit;
} bug_names[] = {
    {"skip-lock", BUG_SKIP_LOCK},
    {"weak-quorum", BUG_WEAK_QUORUM},
    {"no-wal", BUG_NO_WAL},
    {"wal-current-only", BUG_WAL_CUR},
    {"wal-unauth", BUG_WAL_UNAUTH},
    {"start-unauth", BUG_START_UNAUTH},
    {"send-before-sync", BUG_SEND_BEFORE_SYNC},
    {"late-switch", BUG_LATE_SWITCH},
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: notary-sim [--seeds N] [--start S] [--validators V] [--byzantine K]\n"
		"                  [--faults all|none|LIST] [--heights H] [--time MS] [--heal MS]\n"
		"                  [--records R] [--changes N] [--inject-bug NAME] [--trace]\n"
		"                  [--keep-going]\n"
		"  LIST: comma-separated delay,loss,dup,reorder,partition,crash,skew\n"
		"  NAME: skip-lock, weak-quorum, no-wal, wal-current-only, wal-unauth,\n"
		"        start-unauth, send-before-sync, late-switch (planted bugs;\n"
		"        late-switch needs --changes)\n"
		"  --changes N (default 0, at most 8): odd seeds (version 2 chains) change the\n"
		"    validator set N times: add an office, remove one or rotate one's key,\n"
		"    approved by a quorum of the current set; the run also waits for the\n"
		"    new set to commit 2 blocks after the last change (the default --time\n"
		"    grows by 5000 per change)\n"
		"  --heights H (default 6): run until every honest node has H blocks and every\n"
		"    record a receipt, after the faults heal at --heal MS (virtual, default\n"
		"    3000); --time MS is the virtual deadline for that (default heal + 30000),\n"
		"    the liveness bound. --time without --heights runs the whole time.\n");
}

static bool parse_list(const char *arg, bool faults, unsigned *out)
{
	unsigned m = 0;
	if (faults && strcmp(arg, "all") == 0) {
		*out = F_ALL;
		return true;
	}
	if (strcmp(arg, "none") == 0) {
		*out = 0;
		return true;
	}
	char buf[256];
	snprintf(buf, sizeof buf, "%s", arg);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		bool found = false;
		if (faults) {
			for (size_t i = 0; i < sizeof fault_names / sizeof fault_names[0]; i++)
				if (strcmp(t, fault_names[i].name) == 0) {
					m |= fault_names[i].bit;
					found = true;
				}
		} else {
			for (size_t i = 0; i < sizeof bug_names / sizeof bug_names[0]; i++)
				if (strcmp(t, bug_names[i].name) == 0) {
					m |= bug_names[i].bit;
					found = true;
				}
		}
		if (!found) {
			fprintf(stderr, "notary-sim: unknown %s '%s'\n", faults ? "fault" : "bug",
				t);
			return false;
		}
	}
	*out = m;
	return true;
}

static bool num(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s == 0 || *end != 0 || *s == '-' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int parse(int argc, char **argv, sim_opts *o)
{
	memset(o, 0, sizeof *o);
	o->seeds = 100;
	o->start = 1;
	o->validators = 4;
	o->byzantine = 1;
	o->faults = F_ALL;
	o->faults_arg = "all";
	o->heights = 6;
	o->heal_ms = 3000;
	o->records = 12;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x;
		bool ok = true, takes = true;
		if (strcmp(a, "--trace") == 0) {
			o->trace = true;
			takes = false;
		} else if (strcmp(a, "--keep-going") == 0) {
			o->keep_going = true;
			takes = false;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (v == NULL) {
			ok = false;
		} else if (strcmp(a, "--seeds") == 0) {
			ok = num(v, 1, UINT64_MAX, &o->seeds);
		} else if (strcmp(a, "--start") == 0) {
			ok = num(v, 0, UINT64_MAX, &o->start);
		} else if (strcmp(a, "--validators") == 0) {
			ok = num(v, 1, SIM_MAXV, &x);
			o->validators = (int)x;
		} else if (strcmp(a, "--byzantine") == 0) {
			ok = num(v, 0, SIM_MAXV, &x);
			o->byzantine = (int)x;
		} else if (strcmp(a, "--faults") == 0) {
			ok = parse_list(v, true, &o->faults);
			o->faults_arg = v;
		} else if (strcmp(a, "--inject-bug") == 0) {
			ok = parse_list(v, false, &o->bugs);
			o->bugs_arg = v;
		} else if (strcmp(a, "--heights") == 0) {
			ok = num(v, 1, 100000, &o->heights);
			o->heights_set = true;
		} else if (strcmp(a, "--time") == 0) {
			ok = num(v, 1, 1000000000, &o->time_ms);
		} else if (strcmp(a, "--heal") == 0) {
			ok = num(v, 0, 100000000, &o->heal_ms);
		} else if (strcmp(a, "--changes") == 0) {
			ok = num(v, 0, SIM_MAXCHG, &x);
			o->changes = (unsigned)x;
		} else if (strcmp(a, "--records") == 0) {
			ok = num(v, 0, 100000, &x);
			o->records = (unsigned)x;
		} else {
			fprintf(stderr, "notary-sim: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		}
		if (!ok) {
			fprintf(stderr, "notary-sim: bad or missing value for %s\n", a);
			return 2;
		}
		if (takes)
			i++;
	}
	if ((o->bugs & BUG_LATE_SWITCH) && o->changes == 0) {
		fprintf(stderr, "notary-sim: --inject-bug late-switch needs --changes N\n");
		return 2;
	}
	if (o->byzantine >= o->validators) {
		fprintf(stderr, "notary-sim: --byzantine must be below --validators\n");
		return 2;
	}
	return 0;
}

nt_seckey *sim_derive_key(uint64_t seed, const char *what, int i)
{
	uint8_t in[64];
	int n = snprintf((char *)in, sizeof in, "%s/%llu/%d", what, (unsigned long long)seed, i);
	for (uint32_t ctr = 0;; ctr++) {
		nt_hash h;
		nt_sha256_2(in, (size_t)n, &ctr, sizeof ctr, &h);
		nt_seckey *k = NULL;
		if (nt_seckey_from_bytes(h.b, &k) == NT_OK)
			return k;
	}
}

static void make_records(sim *s)
{
	s->nrecs = s->o.records;
	s->recs = calloc(s->nrecs ? s->nrecs : 1, sizeof *s->recs);
	if (s->recs == NULL) {
		fprintf(stderr, "notary-sim: out of memory\n");
		exit(2);
	}
	/* with set changes, records keep coming while the set changes, so
	 * that receipts carry one change, two, ... */
	uint64_t late = s->g.version == 2 ? 3000 * (uint64_t)s->o.changes : 0;
	for (unsigned i = 0; i < s->nrecs; i++) {
		sim_rec *r = &s->recs[i];
		nt_record rec;
		memset(&rec, 0, sizeof rec);
		rec.version = NT_RECORD_VERSION;
		rec.alg = NT_ALG_SHA256;
		rec.digest_len = 32;
		uint64_t tag[2] = {s->seed, i};
		size_t dl;
		if (nt_digest_buf(NT_ALG_SHA256, tag, sizeof tag, rec.digest, &dl) != NT_OK)
			exit(2);
		rec.size = 1000 + i;
		rec.client_time = SIM_T0;
		int m = snprintf(rec.meta, sizeof rec.meta, "{\"case\":\"sim-%u\"}", i);
		rec.meta_len = (uint16_t)m;
		if (nt_record_sign(&rec, s->subkeys[i % 3]) != NT_OK ||
		    nt_record_encode(&rec, r->bytes, sizeof r->bytes, &r->len) != NT_OK)
			exit(2);
		nt_record_id(r->bytes, r->len, &r->id);
		r->home = -1;
		sim_ev e;
		memset(&e, 0, sizeof e);
		e.kind = EV_SUBMIT;
		e.at = SIM_T0 + sim_range(s, 0, s->heal_at - SIM_T0 + 1000 + late);
		e.h = i;
		sim_push(s, &e);
	}
}

static void setup(sim *s)
{
	const sim_opts *o = &s->o;
	s->n = o->validators;
	s->now = SIM_T0;
	s->heal_at = SIM_T0 + (o->faults ? o->heal_ms : 0);
	s->deadline = o->time_ms ? SIM_T0 + o->time_ms : s->heal_at + 30000;
	s->healed = o->faults == 0;
	/* Tendermint's timeout_commit, the gossip period and the block-sync
	 * poll vary per seed: their races with round changes are where lock
	 * bugs show. */
	s->commit_delay = sim_range(s, 50, 1000);
	s->tick_ms = sim_range(s, 200, 1000);
	s->sync_delay = sim_range(s, 100, 800);
	/* an idle network makes a block only this often (block.heartbeat_s) */
	s->heartbeat_ms = sim_range(s, 1500, 4000);
	s->retry_ms = 1500;
	s->skew_bound = (o->faults & F_SKEW) ? 400 : 0;

	memset(&s->g, 0, sizeof s->g);
	snprintf(s->g.chain_id, sizeof s->g.chain_id, "sim");
	s->g.genesis_time = SIM_T0 - 1000;
	s->g.vals.n = (uint16_t)s->n;
	for (int i = 0; i < s->n; i++) {
		sim_node *d = &s->nodes[i];
		d->id = i;
		d->key = sim_derive_key(s->seed, "validator", i);
		nt_seckey_pubkey(d->key, &d->pubs[0]);
		d->npubs = 1;
		s->g.vals.keys[i] = d->pubs[0];
		snprintf(s->g.vals.names[i], sizeof s->g.vals.names[i], "Office %d", i);
		if (s->skew_bound) {
			d->clk_base =
			    (int64_t)sim_range(s, 0, 2 * (uint64_t)s->skew_bound) - s->skew_bound;
			d->clk_rate = (int64_t)sim_range(s, 0, 40) - 20;
		}
	}
	/* Both chain formats, by seed: odd seeds run a notary-genesis/2 chain
	 * (version 2 headers and receipts, what notary init writes), even
	 * seeds a version 1 chain (networks started before it). */
	s->g.version = (s->seed & 1) ? 2 : 1;
	if (nt_genesis_seal(&s->g) != NT_OK) {
		fprintf(stderr, "notary-sim: cannot seal the genesis\n");
		exit(2);
	}
	for (int i = 0; i < 3; i++)
		s->subkeys[i] = sim_derive_key(s->seed, "submitter", i);

	nt_cons_config_default(&s->cfg);
	s->cfg.timeout_propose_ms = 300;
	s->cfg.timeout_propose_delta_ms = 100;
	s->cfg.timeout_prevote_ms = 100;
	s->cfg.timeout_prevote_delta_ms = 50;
	s->cfg.timeout_precommit_ms = 100;
	s->cfg.timeout_precommit_delta_ms = 50;
	s->cfg.max_clock_skew_ms = 2000;
	if (o->bugs & BUG_SKIP_LOCK)
		s->cfg.inject_bugs |= NT_CONS_BUG_SKIP_LOCK;
	if (o->bugs & BUG_WEAK_QUORUM)
		s->cfg.inject_bugs |= NT_CONS_BUG_WEAK_QUORUM;
	/* the host's bugs live in the driver that node/ runs too */
	if (o->bugs & BUG_WAL_CUR)
		s->cfg.inject_bugs |= NT_DRV_BUG_WAL_CUR;
	if (o->bugs & BUG_WAL_UNAUTH)
		s->cfg.inject_bugs |= NT_DRV_BUG_WAL_UNAUTH;
	if (o->bugs & BUG_START_UNAUTH)
		s->cfg.inject_bugs |= NT_DRV_BUG_START_UNAUTH;
	if (o->bugs & BUG_SEND_BEFORE_SYNC)
		s->cfg.inject_bugs |= NT_DRV_BUG_SEND_BEFORE_SYNC;
	if (o->bugs & BUG_LATE_SWITCH)
		s->cfg.inject_bugs |= NT_DRV_BUG_LATE_SWITCH;

	/* Byzantine validators: distinct, chosen by the seed */
	for (int k = 0; k < o->byzantine;) {
		int i = (int)sim_range(s, 0, (uint64_t)s->n - 1);
		if (s->nodes[i].byz)
			continue;
		uint64_t m = sim_range(s, 0, 99);
		s->nodes[i].byz = m < 70 ? BYZ_MIXED : m < 85 ? BYZ_SILENT : BYZ_GARBAGE;
		k++;
	}
	for (int i = 0; i < s->n; i++)
		if (sim_node_init(s, &s->nodes[i]) != NT_OK)
			exit(2);
	sim_net_setup(s);
	make_records(s);
	if (o->faults & F_CRASH) {
		unsigned k = (unsigned)sim_range(s, 1, 4);
		for (unsigned j = 0; j < k; j++) {
			sim_ev e;
			memset(&e, 0, sizeof e);
			e.kind = EV_CRASH;
			e.to = (int)sim_range(s, 0, (uint64_t)s->n - 1);
			e.at = SIM_T0 + sim_range(s, 0, o->heal_ms);
			e.h = sim_range(s, 50, 1500); /* downtime */
			sim_push(s, &e);
		}
	}
	sim_ev e;
	memset(&e, 0, sizeof e);
	e.kind = EV_HEAL;
	e.at = s->heal_at;
	sim_push(s, &e);
	static const char *const modes[] = {"honest", "mixed", "silent", "garbage"};
	for (int i = 0; i < s->n; i++)
		sim_trace(s, "n%d %s, clock %+lld ms %+lld ms/s", i, modes[s->nodes[i].byz],
			  (long long)s->nodes[i].clk_base, (long long)s->nodes[i].clk_rate);
	sim_trace(s,
		  "net delay %llu-%llu ms loss %u dup %u reorder %u permille, commit delay "
		  "%llu ms, heal at %llu ms",
		  (unsigned long long)s->dmin, (unsigned long long)s->dmax, s->loss_pm, s->dup_pm,
		  s->reorder_pm, (unsigned long long)s->commit_delay,
		  (unsigned long long)(s->heal_at - SIM_T0));
	sim_change_setup(s);
	/* each change is planned after the one before landed: 5 s more each */
	if (!o->time_ms)
		s->deadline += 5000 * (uint64_t)s->want_changes;
	for (int i = 0; i < s->n; i++)
		sim_node_boot(&s->nodes[i]);
}

static void on_submit(sim *s, const sim_ev *e)
{
	sim_rec *r = &s->recs[e->h];
	if (r->receipt)
		return;
	int up[SIM_MAXV], n = 0;
	for (int i = 0; i < s->n; i++)
		if (s->nodes[i].up && !s->nodes[i].byz)
			up[n++] = i;
	if (n > 0) {
		int to = up[sim_range(s, 0, (uint64_t)n - 1)];
		if (r->first_submit == 0)
			r->first_submit = s->now;
		r->home = to;
		sim_node_submit(&s->nodes[to], r);
	}
	if (!r->receipt) {
		sim_ev x = *e;
		x.at = s->now + s->retry_ms;
		sim_push(s, &x);
	}
}

static bool done(sim *s)
{
	/* --time without --heights: run the whole virtual time */
	if (s->now < s->heal_at || (s->o.time_ms && !s->o.heights_set))
		return false;
	for (int i = 0; i < s->n; i++) {
		const sim_node *d = &s->nodes[i];
		if (!d->byz && (!d->up || nt_ledger_height(d->l) < s->o.heights))
			return false;
	}
	for (unsigned i = 0; i < s->nrecs; i++)
		if (!s->recs[i].receipt)
			return false;
	return sim_changes_done(s);
}

static void dispatch(sim *s, sim_ev *e)
{
	switch (e->kind) {
	case EV_SUBMIT:
		on_submit(s, e);
		break;
	case EV_CRASH: {
		sim_node *d = &s->nodes[e->to];
		if (d->byz || !d->up || s->healed)
			break;
		sim_node_crash(d);
		sim_ev r;
		memset(&r, 0, sizeof r);
		r.kind = EV_RESTART;
		r.to = e->to;
		r.at = s->now + e->h;
		if (r.at > s->heal_at)
			r.at = s->heal_at;
		sim_push(s, &r);
		break;
	}
	case EV_RESTART:
		sim_node_restart(&s->nodes[e->to]);
		break;
	case EV_PART:
	case EV_PART_HEAL:
		sim_on_part(s, e);
		break;
	case EV_PLAN:
	case EV_BOOT:
	case EV_APPROVAL:
	case EV_BCRASH:
		sim_change_event(s, e);
		break;
	case EV_HEAL:
		s->healed = true;
		memset(s->part, 0, sizeof s->part);
		sim_trace(s, "net healed");
		for (int i = 0; i < s->n; i++)
			sim_node_restart(&s->nodes[i]);
		break;
	default:
		sim_node_event(&s->nodes[e->to], e);
	}
}

typedef struct {
	double wall;
	uint64_t vms, heights, rounds, commits, synced, crashes, evidence, delivered, garbage;
	uint64_t changes; /* set changes landed */
	uint64_t latency; /* longest wait for a receipt counted from the heal */
} run_stats;

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_seed(const sim_opts *o, uint64_t seed, run_stats *st)
{
	sim *s = calloc(1, sizeof *s);
	if (s == NULL)
		return 2;
	double t0 = wall_now();
	s->o = *o;
	s->seed = seed;
	s->now = SIM_T0;
	s->tr = o->trace ? stdout : NULL;
	sim_rng_seed(s, seed);
	sim_trace(s, "seed %llu: %d validators, %d Byzantine, faults %s", (unsigned long long)seed,
		  o->validators, o->byzantine, o->faults_arg);
	setup(s);
	sim_ev e;
	while (!s->failed && sim_pop(s, &e)) {
		if (e.at > s->deadline) {
			free(e.msg);
			break;
		}
		if (e.at > s->now)
			s->now = e.at;
		dispatch(s, &e);
		free(e.msg);
		s->steps++;
		if (done(s))
			break;
	}
	if (!s->failed && !done(s)) {
		uint64_t minh = UINT64_MAX;
		int who = -1;
		for (int i = 0; i < s->n; i++)
			if (!s->nodes[i].byz && s->nodes[i].l != NULL &&
			    nt_ledger_height(s->nodes[i].l) < minh) {
				minh = nt_ledger_height(s->nodes[i].l);
				who = i;
			}
		if (minh < o->heights)
			sim_fail(s, "liveness",
				 "node %d has only %llu of %llu blocks at the "
				 "deadline %llu ms (faults healed at %llu ms)",
				 who, (unsigned long long)minh, (unsigned long long)o->heights,
				 (unsigned long long)(s->now - SIM_T0),
				 (unsigned long long)(s->heal_at - SIM_T0));
	}
	if (!s->failed)
		chk_final(s);

	memset(st, 0, sizeof *st);
	st->vms = s->now - SIM_T0;
	st->heights = UINT64_MAX;
	for (int i = 0; i < s->n; i++) {
		sim_node *d = &s->nodes[i];
		if (!d->byz && d->l != NULL && nt_ledger_height(d->l) < st->heights)
			st->heights = nt_ledger_height(d->l);
		if (d->max_round > st->rounds)
			st->rounds = d->max_round;
		st->commits += d->commits;
		st->synced += d->synced;
		st->crashes += d->crashes;
		st->garbage += d->garbage_in;
	}
	for (unsigned i = 0; i < s->nrecs; i++) {
		const sim_rec *r = &s->recs[i];
		uint64_t from = r->first_submit > s->heal_at ? r->first_submit : s->heal_at;
		if (r->receipt && r->receipt_at > from && r->receipt_at - from > st->latency)
			st->latency = r->receipt_at - from;
	}
	st->evidence = s->evidence;
	st->changes = s->nlanded;
	st->delivered = s->delivered;
	sim_trace(s, "seed %llu %s: %llu heights, max round %llu, %llu records, %llu ms virtual",
		  (unsigned long long)seed, s->failed ? "FAILED" : "ok",
		  (unsigned long long)st->heights, (unsigned long long)st->rounds,
		  (unsigned long long)s->nrecs, (unsigned long long)st->vms);
	int rc = 0;
	if (s->failed) {
		printf("FAIL seed %llu: %s: %s\n", (unsigned long long)seed, s->fail_check,
		       s->fail_msg);
		rc = 1;
	}
	fflush(stdout);
	for (int i = 0; i < s->n; i++)
		sim_node_free(&s->nodes[i]);
	for (int i = 0; i < 3; i++)
		nt_seckey_free(s->subkeys[i]);
	sim_events_free(s);
	sim_change_free(s);
	chk_free(s);
	free(s->recs);
	free(s);
	st->wall = wall_now() - t0;
	return rc;
}

static void print_replay(const char *argv0, const sim_opts *o, uint64_t seed)
{
	printf("replay: %s --seeds 1 --start %llu --validators %d --byzantine %d --faults %s "
	       "--records %u --heal %llu",
	       argv0, (unsigned long long)seed, o->validators, o->byzantine, o->faults_arg,
	       o->records, (unsigned long long)o->heal_ms);
	if (o->heights_set || !o->time_ms)
		printf(" --heights %llu", (unsigned long long)o->heights);
	if (o->time_ms)
		printf(" --time %llu", (unsigned long long)o->time_ms);
	if (o->changes)
		printf(" --changes %u", o->changes);
	if (o->bugs_arg != NULL)
		printf(" --inject-bug %s", o->bugs_arg);
	printf(" --trace\n");
}

int main(int argc, char **argv)
{
	sim_opts o;
	int rc = parse(argc, argv, &o);
	if (rc != 0)
		return rc;
	if (3 * o.byzantine >= o.validators)
		fprintf(stderr,
			"notary-sim: note: %d Byzantine of %d is more than f = %d; the "
			"checks may fail for a correct core\n",
			o.byzantine, o.validators, (o.validators - 1) / 3);
	double t0 = wall_now();
	uint64_t failed = 0, ran = 0, worst_seed = 0;
	run_stats worst = {0}, tot = {0};
	for (uint64_t i = 0; i < o.seeds; i++) {
		uint64_t seed = o.start + i;
		run_stats st = {0};
		int r = run_seed(&o, seed, &st);
		ran++;
		if (st.wall > worst.wall) {
			worst = st;
			worst_seed = seed;
		}
		tot.commits += st.commits;
		tot.synced += st.synced;
		tot.crashes += st.crashes;
		tot.evidence += st.evidence;
		tot.delivered += st.delivered;
		tot.garbage += st.garbage;
		tot.changes += st.changes;
		tot.vms += st.vms;
		if (st.latency > tot.latency)
			tot.latency = st.latency;
		if (r == 2)
			return 2;
		if (r != 0) {
			failed++;
			print_replay(argv[0], &o, seed);
			fflush(stdout);
			if (!o.keep_going)
				break;
		}
	}
	double wall = wall_now() - t0;
	fprintf(stderr,
		"notary-sim: %llu seeds (%llu..%llu), %llu failed; %d validators, %d Byzantine, "
		"faults %s%s%s%s\n"
		"  %.1f s wall, %.1f seeds/s; longest run: seed %llu (%.3f s wall, %llu virtual "
		"ms, %llu heights, max round %llu)\n"
		"  totals: %llu commits, %llu blocks synced, %llu crashes, %llu equivocations "
		"seen, %llu messages delivered, %llu garbage dropped, %llu set changes, %.0f "
		"virtual s; longest wait for a receipt after the heal: %llu ms\n",
		(unsigned long long)ran, (unsigned long long)o.start,
		(unsigned long long)(o.start + ran - 1), (unsigned long long)failed, o.validators,
		o.byzantine, o.faults_arg, o.changes ? ", set changes on odd seeds" : "",
		o.bugs_arg ? ", planted bug " : "", o.bugs_arg ? o.bugs_arg : "", wall,
		wall > 0 ? (double)ran / wall : 0.0, (unsigned long long)worst_seed, worst.wall,
		(unsigned long long)worst.vms, (unsigned long long)worst.heights,
		(unsigned long long)worst.rounds, (unsigned long long)tot.commits,
		(unsigned long long)tot.synced, (unsigned long long)tot.crashes,
		(unsigned long long)tot.evidence, (unsigned long long)tot.delivered,
		(unsigned long long)tot.garbage, (unsigned long long)tot.changes,
		(double)tot.vms / 1000.0, (unsigned long long)tot.latency);
	return failed ? 1 : 0;
}
