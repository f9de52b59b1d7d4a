/* Micro-benchmarks of hot spots (docs/PERFORMANCE.md): the SHA-256 entry
 * points, receipts of one block, checking plus appending a large block, and
 * what the node's durable writes cost on this disk (a WAL append + sync, a
 * WAL reset, a sign-state save). Not a test: `make micro` builds
 * build/bench-micro, which prints ns per operation (best of several
 * rounds, so a busy shared machine shows less noise).
 *
 *   bench-micro [--only sha|receipt|block|durable|transport] [--records N] [--rounds R] [--iters I]
 *
 * --only block --rounds 1 is the run to profile under callgrind. */
#include "core/ledger.h"
#include "core/receipt.h"
#include "core/record.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "node/privval.h"
#include "node/wal.h"
#include "tests/bench_transport.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T0 1790000000000ULL

static int rounds = 5;
static long iters = 400000; /* calls per round of each SHA-256 benchmark */

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, nt_err e, const nt_why *why)
{
	fprintf(stderr, "bench-micro: %s: %s %s\n", what, nt_strerror(e), why ? why->msg : "");
	exit(1);
}

/* ---- SHA-256 ---- */

static uint8_t buf300[300];
static volatile uint8_t sink;

typedef void (*op_fn)(void);

static void op_sha2_65(void)
{
	static const uint8_t one = 0x01;
	nt_hash h;
	nt_sha256_2(&one, 1, buf300, 64, &h);
	buf300[0] ^= h.b[0];
}

static void op_sha_300(void)
{
	nt_hash h;
	nt_sha256(buf300, sizeof buf300, &h);
	buf300[0] ^= h.b[0];
}

static void op_tagged_300(void)
{
	nt_hash h;
	nt_tagged_hash("notary/record", buf300, sizeof buf300, &h);
	buf300[0] ^= h.b[0];
}

static void op_node_hash(void)
{
	nt_hash a, b;
	memcpy(a.b, buf300, 32);
	memcpy(b.b, buf300 + 32, 32);
	nt_merkle_node_hash(&a, &b, &a);
	buf300[0] ^= a.b[0];
}

/* Best ns/op over `rounds` rounds of n calls. */
static double time_op(op_fn f, long n)
{
	double best = 1e30;
	for (int r = 0; r < rounds; r++) {
		double t = now_ns();
		for (long i = 0; i < n; i++)
			f();
		double d = (now_ns() - t) / (double)n;
		if (d < best)
			best = d;
	}
	sink = buf300[0];
	return best;
}

static void bench_sha(void)
{
	for (size_t i = 0; i < sizeof buf300; i++)
		buf300[i] = (uint8_t)(i * 7 + 1);
	printf("sha256_2 65 B (merkle node)      %8.1f ns/op\n", time_op(op_sha2_65, iters));
	printf("merkle_node_hash                 %8.1f ns/op\n", time_op(op_node_hash, iters));
	printf("sha256 300 B                     %8.1f ns/op\n", time_op(op_sha_300, iters));
	printf("tagged_hash notary/record 300 B  %8.1f ns/op\n", time_op(op_tagged_300, iters));
}

/* ---- a ledger with one big block ---- */

typedef struct {
	nt_seckey *vkey;
	nt_genesis g;
	uint32_t n;
	uint8_t **recs;
	size_t *lens;
} world;

static void world_init(world *w, uint32_t n)
{
	memset(w, 0, sizeof *w);
	if (nt_seckey_generate(&w->vkey) != NT_OK)
		die("keygen", NT_ERR_CRYPTO, NULL);
	strcpy(w->g.chain_id, "bench-net.1");
	w->g.genesis_time = T0 - 1000;
	w->g.vals.n = 1;
	nt_seckey_pubkey(w->vkey, &w->g.vals.keys[0]);
	strcpy(w->g.vals.names[0], "Office A");
	nt_valset_hash(&w->g.vals, &w->g.validators_hash);
	nt_seckey *sub = NULL;
	if (nt_seckey_generate(&sub) != NT_OK)
		die("keygen", NT_ERR_CRYPTO, NULL);
	w->n = n;
	w->recs = calloc(n, sizeof *w->recs);
	w->lens = calloc(n, sizeof *w->lens);
	nt_record *r = calloc(1, sizeof *r);
	if (w->recs == NULL || w->lens == NULL || r == NULL)
		die("alloc", NT_ERR_NOMEM, NULL);
	/* Records shaped like notary-bench's: a SHA-256 digest and ~150 bytes
	 * of metadata. */
	for (uint32_t i = 0; i < n; i++) {
		memset(r, 0, sizeof *r);
		r->version = NT_RECORD_VERSION;
		r->alg = NT_ALG_SHA256;
		r->digest_len = 32;
		uint32_t file[2] = {i, 0x5eed};
		size_t dl = 0;
		if (nt_digest_buf(NT_ALG_SHA256, file, sizeof file, r->digest, &dl) != NT_OK)
			die("digest", NT_ERR_CRYPTO, NULL);
		r->size = 1000 + i;
		r->client_time = T0 + i;
		snprintf(r->meta, sizeof r->meta,
			 "{\"case\":\"C-2031-%05u\",\"title\":\"exhibit %u chat export\","
			 "\"media_type\":\"application/json\",\"file_name\":\"chat-%u.json\"}",
			 i, i, i);
		r->meta_len = (uint16_t)strlen(r->meta);
		if (nt_record_sign(r, sub) != NT_OK)
			die("sign", NT_ERR_CRYPTO, NULL);
		w->recs[i] = malloc(NT_RECORD_MAX);
		if (w->recs[i] == NULL ||
		    nt_record_encode(r, w->recs[i], NT_RECORD_MAX, &w->lens[i]) != NT_OK)
			die("encode", NT_ERR_NOMEM, NULL);
	}
	free(r);
	nt_seckey_free(sub);
}

static void world_free(world *w)
{
	for (uint32_t i = 0; i < w->n; i++)
		free(w->recs[i]);
	free(w->recs);
	free(w->lens);
	nt_seckey_free(w->vkey);
}

static bool all_valid(void *arg, const nt_hash *id)
{
	(void)arg, (void)id;
	return true;
}

static void sign_commit(const world *w, const nt_block *b, nt_commit *c)
{
	memset(c, 0, sizeof *c);
	c->height = b->header.height;
	if (nt_header_hash(&b->header, &c->block_hash) != NT_OK)
		die("header hash", NT_ERR_RANGE, NULL);
	c->count = 1;
	c->sigs[0].index = 0;
	c->sigs[0].timestamp = b->header.time;
	nt_hash msg;
	nt_vote_sighash(NT_VOTE_PRECOMMIT, w->g.chain_id, c->height, 0, &c->block_hash,
			b->header.time, &msg);
	if (nt_sign(w->vkey, &msg, &c->sigs[0].sig) != NT_OK)
		die("sign commit", NT_ERR_CRYPTO, NULL);
}

typedef struct {
	double propose, check_known, check_verify, append;
} block_times;

/* One fresh memory ledger; proposes, checks and appends the world's
 * records as block 1. *lo (may be NULL) receives the open ledger. */
static void one_block(const world *w, block_times *t, bool verify, nt_kv **kvo, nt_ledger **lo)
{
	nt_kv *kv = NULL;
	nt_ledger *l = NULL;
	nt_why why = {{0}};
	nt_err e = nt_kv_mem_new(&kv);
	if (e == NT_OK)
		e = nt_ledger_open(kv, &w->g, &l, &why);
	if (e != NT_OK)
		die("open", e, &why);
	nt_block *b = NULL;
	double t0 = now_ns();
	e = nt_ledger_propose(l, (const uint8_t *const *)w->recs, w->lens, w->n, T0,
			      &w->g.vals.keys[0], &b);
	double t1 = now_ns();
	if (e != NT_OK)
		die("propose", e, NULL);
	e = nt_ledger_check_block(l, b, NULL, 0, 0, all_valid, NULL, &why);
	double t2 = now_ns();
	if (e != NT_OK)
		die("check_block", e, &why);
	double t3 = t2;
	if (verify) {
		e = nt_ledger_check_block(l, b, NULL, 0, 0, NULL, NULL, &why);
		t3 = now_ns();
		if (e != NT_OK)
			die("check_block (verify)", e, &why);
	}
	nt_commit *c = malloc(sizeof *c);
	if (c == NULL)
		die("alloc", NT_ERR_NOMEM, NULL);
	sign_commit(w, b, c);
	double t4 = now_ns();
	e = nt_ledger_append(l, b, c, NULL, &why);
	double t5 = now_ns();
	if (e != NT_OK)
		die("append", e, &why);
	free(c);
	nt_block_free(b);
	t->propose = t1 - t0;
	t->check_known = t2 - t1;
	t->check_verify = t3 - t2;
	t->append = t5 - t4;
	if (lo != NULL) {
		*lo = l;
		*kvo = kv;
	} else {
		nt_ledger_free(l);
		nt_kv_close(kv);
	}
}

static void bench_block(const world *w, bool verify)
{
	block_times best = {1e30, 1e30, 1e30, 1e30};
	for (int r = 0; r < rounds; r++) {
		block_times t;
		one_block(w, &t, verify, NULL, NULL);
		if (t.propose < best.propose)
			best.propose = t.propose;
		if (t.check_known < best.check_known)
			best.check_known = t.check_known;
		if (t.check_verify < best.check_verify)
			best.check_verify = t.check_verify;
		if (t.append < best.append)
			best.append = t.append;
	}
	printf("block of %u records (memory store):\n", w->n);
	printf("  propose                        %8.3f ms  (%6.2f us/record)\n", best.propose / 1e6,
	       best.propose / 1e3 / w->n);
	printf("  check_block, known valid       %8.3f ms  (%6.2f us/record)\n",
	       best.check_known / 1e6, best.check_known / 1e3 / w->n);
	if (verify)
		printf("  check_block, verify sigs       %8.3f ms  (%6.2f us/record)\n",
		       best.check_verify / 1e6, best.check_verify / 1e3 / w->n);
	printf("  append                         %8.3f ms  (%6.2f us/record)\n", best.append / 1e6,
	       best.append / 1e3 / w->n);
}

/* ---- receipts ---- */

static void bench_receipt(const world *w)
{
	block_times t;
	nt_kv *kv = NULL;
	nt_ledger *l = NULL;
	one_block(w, &t, false, &kv, &l);
	nt_hash *ids = malloc(w->n * sizeof *ids);
	if (ids == NULL)
		die("alloc", NT_ERR_NOMEM, NULL);
	for (uint32_t i = 0; i < w->n; i++)
		nt_record_id(w->recs[i], w->lens[i], &ids[i]);
	size_t bytes = 0;

	/* One receipt per record through nt_ledger_receipt: what the node did
	 * for every waiter of a committed block. Few rounds: it is the slow one. */
	double best = 1e30;
	for (int r = 0; r < (rounds < 2 ? rounds : 2); r++) {
		double t0 = now_ns();
		for (uint32_t i = 0; i < w->n; i++) {
			char *json = NULL;
			nt_err e = nt_ledger_receipt(l, &ids[i], &json);
			if (e != NT_OK)
				die("receipt", e, NULL);
			bytes = strlen(json);
			free(json);
		}
		double d = now_ns() - t0;
		if (d < best)
			best = d;
	}
	printf("receipts of a %u-record block (%zu B each):\n", w->n, bytes);
	printf("  nt_ledger_receipt x %-5u       %8.3f ms  (%8.2f us/receipt)\n", w->n, best / 1e6,
	       best / 1e3 / w->n);

	best = 1e30;
	double best_load = 1e30;
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		nt_block_receipts *br = NULL;
		nt_err e = nt_ledger_block_receipts(l, 1, &br);
		if (e != NT_OK)
			die("block_receipts", e, NULL);
		double t1 = now_ns();
		for (uint32_t i = 0; i < w->n; i++) {
			char *json = NULL;
			e = nt_block_receipts_get(br, &ids[i], &json);
			if (e != NT_OK)
				die("block_receipts_get", e, NULL);
			free(json);
		}
		nt_block_receipts_free(br);
		double d = now_ns() - t0;
		if (d < best)
			best = d;
		if (t1 - t0 < best_load)
			best_load = t1 - t0;
	}
	printf("  nt_ledger_block_receipts load  %8.3f ms\n", best_load / 1e6);
	printf("  block_receipts + get x %-5u    %8.3f ms  (%8.2f us/receipt)\n", w->n, best / 1e6,
	       best / 1e3 / w->n);

	/* nt_receipt_build alone, with a proof of a realistic length. */
	nt_header h;
	nt_commit *c = malloc(sizeof *c);
	if (c == NULL || nt_ledger_header(l, 1, &h) != NT_OK || nt_ledger_commit(l, 1, c) != NT_OK)
		die("header/commit", NT_ERR_CORRUPT, NULL);
	nt_hash proof[NT_MERKLE_PROOF_MAX];
	size_t plen = 0;
	if (nt_merkle_inclusion_proof(ids, w->n, w->n / 2, proof, &plen) != NT_OK)
		die("proof", NT_ERR_ARG, NULL);
	best = 1e30;
	long nb = 20000;
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		for (long i = 0; i < nb; i++) {
			char *json = NULL;
			if (nt_receipt_build(w->recs[w->n / 2], w->lens[w->n / 2], w->n / 2, proof,
					     plen, &h, c, &w->g.vals, &json) != NT_OK)
				die("receipt_build", NT_ERR_NOMEM, NULL);
			free(json);
		}
		double d = (now_ns() - t0) / (double)nb;
		if (d < best)
			best = d;
	}
	printf("  nt_receipt_build (proof %2zu)    %8.2f us/op\n", plen, best / 1e3);
	free(c);
	free(ids);
	nt_ledger_free(l);
	nt_kv_close(kv);
}

/* The node's durable writes, on the disk of $TMPDIR (or /tmp): they bound
 * how fast one validator can sign (one WAL sync and one sign-state save
 * per batch of signatures). */
static void bench_durable(void)
{
	const char *base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char dir[512], path[600];
	snprintf(dir, sizeof dir, "%s/bench-micro-XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		perror("bench-micro: mkdtemp");
		exit(1);
	}
	nt_why why = {{0}};
	nt_err e;
	nt_wal *w = NULL;
	snprintf(path, sizeof path, "%s/cs.wal", dir);
	if ((e = nt_wal_open(path, &w, NULL, &why)) != NT_OK)
		die("WAL open", e, &why);
	uint8_t vote[200];
	memset(vote, 0xab, sizeof vote);
	enum { N = 50 };
	double best_sync = 1e18, best_reset = 1e18, best_save = 1e18;
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		for (int i = 0; i < N; i++)
			if ((e = nt_wal_append(w, vote, sizeof vote, &why)) != NT_OK ||
			    (e = nt_wal_sync(w, &why)) != NT_OK)
				die("WAL append+sync", e, &why);
		double d = (now_ns() - t0) / N;
		best_sync = d < best_sync ? d : best_sync;
		t0 = now_ns();
		for (int i = 0; i < 10; i++)
			if ((e = nt_wal_reset(w, (uint64_t)(r * 10 + i) + 1, &why)) != NT_OK)
				die("WAL reset", e, &why);
		d = (now_ns() - t0) / 10;
		best_reset = d < best_reset ? d : best_reset;
	}
	nt_wal_close(w);
	unlink(path);
	nt_privval *pv = NULL;
	snprintf(path, sizeof path, "%s/sign_state", dir);
	if ((e = nt_privval_open(path, &pv, &why)) != NT_OK)
		die("sign-state open", e, &why);
	uint64_t h = 0;
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		for (int i = 0; i < N; i++) {
			nt_cons_hrs v = {.height = ++h, .round = 0, .step = NT_STEP_PREVOTE};
			if ((e = nt_privval_save(pv, &v, &why)) != NT_OK)
				die("sign-state save", e, &why);
		}
		double d = (now_ns() - t0) / N;
		best_save = d < best_save ? d : best_save;
	}
	nt_privval_free(pv);
	unlink(path);
	rmdir(dir);
	printf("durable writes on %s (best of %d rounds of %d):\n", base, rounds, N);
	printf("  WAL append + sync (200 B)  %10.0f ns\n", best_sync);
	printf("  WAL reset                  %10.0f ns\n", best_reset);
	printf("  sign-state save            %10.0f ns\n", best_save);
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	uint32_t n = 2000;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
			n = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
			iters = atol(argv[++i]);
		else {
			fprintf(stderr,
				"usage: bench-micro [--only sha|receipt|block|durable|transport] [--records N] "
				"[--rounds R] [--iters I]\n");
			return 2;
		}
	}
	if (n == 0 || n > NT_BLOCK_MAX_RECORDS || rounds < 1 || iters < 1) {
		fprintf(stderr, "bench-micro: records 1..%u, rounds >= 1\n", NT_BLOCK_MAX_RECORDS);
		return 2;
	}
	if (only == NULL || strcmp(only, "sha") == 0)
		bench_sha();
	if (only == NULL || strcmp(only, "durable") == 0)
		bench_durable();
	if (only == NULL || strcmp(only, "transport") == 0)
		bench_transport(rounds);
	if (only != NULL && (strcmp(only, "sha") == 0 || strcmp(only, "durable") == 0 ||
			     strcmp(only, "transport") == 0))
		return 0;
	/* A node's heap is warm: keep freed memory instead of returning it to
	 * the kernel, so each round does not pay page faults afresh (on this
	 * VM they cost more than the code being measured). */
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	mallopt(M_MMAP_THRESHOLD, 1 << 30);
	world w;
	world_init(&w, n);
	if (only == NULL || strcmp(only, "block") == 0)
		bench_block(&w, only == NULL);
	if (only == NULL || strcmp(only, "receipt") == 0)
		bench_receipt(&w);
	world_free(&w);
	return 0;
}
