/* Block sync (node/sync.c) and the `sync` RPC method (node/rpc_sync.c),
 * over loopback nng: a server backed by a real ledger answers through
 * nt_rpc_parse / nt_rpc_exec_query, canned servers misbehave, and the
 * fetched blocks are appended to a second ledger with
 * nt_ledger_append(l, block, commit, last_commit). */
#include "tests/testutil.h"

#include "core/ledger.h"
#include "core/record.h"
#include "tests/solo.h"
#include "crypto/digest.h"
#include "net/rpc_client.h"
#include "net/rpc_server.h"
#include "node/rpc.h"
#include "node/sync.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define T0 1790000000000ULL
#define NBLK 7

typedef struct {
	nt_genesis g;
	nt_seckey *key;
	nt_kv *kv;
	nt_ledger *l;
} chain;

static void chain_new(chain *c, uint64_t nblocks, const nt_seckey *key)
{
	memset(c, 0, sizeof *c);
	strcpy(c->g.chain_id, "sync-test");
	c->g.genesis_time = T0 - 1000;
	c->g.vals.n = 1;
	if (key == NULL) {
		assert_int_equal(nt_seckey_generate(&c->key), NT_OK);
		key = c->key;
	}
	nt_seckey_pubkey(key, &c->g.vals.keys[0]);
	strcpy(c->g.vals.names[0], "A");
	nt_valset_hash(&c->g.vals, &c->g.validators_hash);
	nt_why why = {{0}};
	assert_int_equal(nt_kv_mem_new(&c->kv), NT_OK);
	assert_int_equal(nt_ledger_open(c->kv, &c->g, &c->l, &why), NT_OK);
	for (uint64_t h = 1; h <= nblocks; h++) {
		nt_block *b = NULL;
		nt_commit cm;
		assert_int_equal(
		    nt_solo_produce(c->l, key, NULL, NULL, 0, T0 + h * 1000, &b, &cm, &why), NT_OK);
		assert_int_equal(nt_ledger_append(c->l, b, &cm, NULL, &why), NT_OK);
		nt_block_free(b);
	}
}

static void chain_free(chain *c)
{
	nt_ledger_free(c->l);
	nt_kv_close(c->kv);
	nt_seckey_free(c->key);
}

/* ---- servers ---- */

typedef struct {
	const nt_ledger *l; /* NULL: canned */
	nt_ledger_reader rd; /* l's, taken at start: the handler's thread
			      * gets the reader, never the ledger */
	const char *canned; /* result JSON text for canned servers */
	uint32_t cap;	    /* ledger server: blocks per reply at most */
	pthread_mutex_t mu;
	unsigned calls;
	nt_rpc_server *srv;
	char url[64];
} server;

static void handler(void *arg, nt_rpc_req *req, const char *body, size_t len)
{
	server *sv = arg;
	pthread_mutex_lock(&sv->mu);
	sv->calls++;
	pthread_mutex_unlock(&sv->mu);
	char *out = NULL;
	if (sv->l == NULL) {
		out = nt_rpc_result("1", sv->canned);
	} else {
		nt_rpc_call c;
		char *err = NULL;
		if (nt_rpc_parse(body, len, &c, &err) != NT_OK) {
			out = err;
		} else {
			if (c.method == NT_RPC_SYNC && c.max > sv->cap)
				c.max = sv->cap;
			nt_rpc_env env;
			memset(&env, 0, sizeof env);
			env.reader = &sv->rd;
			out = nt_rpc_exec_query(&env, &c);
			nt_rpc_call_free(&c);
		}
	}
	assert_non_null(out);
	nt_rpc_reply(req, out, strlen(out));
	free(out);
}

static unsigned free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t al = sizeof a;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void server_start(server *sv, const nt_ledger *l, const char *canned, uint32_t cap)
{
	memset(sv, 0, sizeof *sv);
	sv->l = l;
	if (l != NULL)
		nt_ledger_reader_get(l, &sv->rd);
	sv->canned = canned;
	sv->cap = cap;
	pthread_mutex_init(&sv->mu, NULL);
	snprintf(sv->url, sizeof sv->url, "tcp://127.0.0.1:%u", free_port());
	nt_why why = {{0}};
	if (nt_rpc_server_start(sv->url, 1, NT_RPC_MAX_MSG, handler, nt_rpc_fault_reply, sv,
				&sv->srv, &why) != NT_OK)
		fail_msg("server: %s", why.msg);
}

static unsigned server_calls(server *sv)
{
	pthread_mutex_lock(&sv->mu);
	unsigned n = sv->calls;
	pthread_mutex_unlock(&sv->mu);
	return n;
}

static void server_stop(server *sv)
{
	(void)nt_rpc_server_stop(sv->srv, NT_RPC_STOP_MS);
	pthread_mutex_destroy(&sv->mu);
}

/* ---- the receiving side: appends what is delivered ---- */

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	chain *dst;
	uint64_t delivered;
	uint64_t next;		    /* height expected */
	bool order_ok;		    /* every delivery was the next height */
	bool append_ok;		    /* every append succeeded */
	bool lc_null_ok;	    /* last_commit NULL exactly at height 1 */
	nt_sync *s;		    /* set: ask nt_sync_verified, and check like the loop */
	uint64_t verified, refused; /* by nt_sync_verified; by check_block */
	uint64_t last_h;
} sink;

/* known_valid as catchup.c builds it: the sync thread's word or nothing. */
static bool sink_known(void *arg, const nt_hash *id)
{
	(void)id;
	return *(const bool *)arg;
}

static void deliver(void *arg, nt_block *b, const nt_commit *c, const nt_commit *lc)
{
	sink *k = arg;
	pthread_mutex_lock(&k->mu);
	uint64_t h = b->header.height;
	if (h != k->next)
		k->order_ok = false;
	if ((h == 1) != (lc == NULL))
		k->lc_null_ok = false;
	nt_why why = {{0}};
	if (k->s != NULL) {
		bool v = nt_sync_verified(k->s, b);
		k->verified += v;
		if (k->dst != NULL &&
		    nt_ledger_check_block(k->dst->l, b, lc, 0, 0, sink_known, &v, &why) != NT_OK) {
			k->refused++;
			k->next = h; /* it was not applied */
			k->delivered++;
			k->last_h = h;
			pthread_cond_broadcast(&k->cv);
			pthread_mutex_unlock(&k->mu);
			nt_block_free(b);
			return;
		}
	}
	k->last_h = h;
	if (k->dst != NULL && nt_ledger_append(k->dst->l, b, c, lc, &why) != NT_OK) {
		fprintf(stderr, "append %llu: %s\n", (unsigned long long)h, why.msg);
		k->append_ok = false;
	}
	k->next = h + 1;
	k->delivered++;
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->mu);
	nt_block_free(b);
}

static void sink_init(sink *k, chain *dst, uint64_t next)
{
	memset(k, 0, sizeof *k);
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	k->dst = dst;
	k->next = next;
	k->order_ok = k->append_ok = k->lc_null_ok = true;
}

static void sink_wait(sink *k, uint64_t n)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 20;
	pthread_mutex_lock(&k->mu);
	while (k->delivered < n)
		if (pthread_cond_timedwait(&k->cv, &k->mu, &ts) != 0)
			break;
	uint64_t got = k->delivered;
	pthread_mutex_unlock(&k->mu);
	if (got < n)
		fail_msg("only %llu of %llu blocks delivered", (unsigned long long)got,
			 (unsigned long long)n);
}

static void sink_destroy(sink *k)
{
	pthread_mutex_destroy(&k->mu);
	pthread_cond_destroy(&k->cv);
}

/* ---- cases ---- */

/* A dead URL and a garbage server first: the sync rotates to the good
 * server, which answers 3 blocks per call; everything arrives in order and
 * appends to an empty ledger of the same chain. */
static void test_sync_rotates_and_delivers(void **state)
{
	(void)state;
	tu_seed();
	chain src, dst;
	chain_new(&src, NBLK, NULL);
	chain_new(&dst, 0, src.key);
	server good, junk;
	server_start(&good, src.l, NULL, 3);
	server_start(&junk, NULL, "{\"height\":99,\"blocks\":[{\"height\":1,\"block\":\"zz\"}]}",
		     0);
	char dead[64];
	snprintf(dead, sizeof dead, "tcp://127.0.0.1:%u", free_port());
	const char *urls[3] = {dead, junk.url, good.url};
	sink k;
	sink_init(&k, &dst, 1);
	nt_sync *s = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_sync_start(urls, 3, deliver, &k, &s, &why), NT_OK);
	nt_sync_request(s, 1, NBLK);
	sink_wait(&k, NBLK);
	assert_true(k.order_ok);
	assert_true(k.append_ok);
	assert_true(k.lc_null_ok);
	assert_int_equal(nt_ledger_height(dst.l), NBLK);
	assert_memory_equal(nt_ledger_tip_hash(dst.l), nt_ledger_tip_hash(src.l), 32);
	assert_true(server_calls(&junk) >= 1);
	assert_true(server_calls(&good) >= 3); /* 7 blocks, 3 per call */
	nt_sync_stop(s);
	server_stop(&good);
	server_stop(&junk);
	assert_int_equal(nt_ledger_audit(dst.l, NULL, NULL, &why), NT_OK);
	sink_destroy(&k);
	chain_free(&src);
	chain_free(&dst);
}

/* A peer whose tip is below `from` ends the request: no delivery and no
 * further calls. A later request in range is served. */
static void test_sync_peer_behind(void **state)
{
	(void)state;
	tu_seed();
	chain src;
	chain_new(&src, 3, NULL);
	server sv;
	server_start(&sv, src.l, NULL, 100);
	const char *urls[1] = {sv.url};
	sink k;
	sink_init(&k, NULL, 2);
	nt_sync *s = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_sync_start(urls, 1, deliver, &k, &s, &why), NT_OK);
	nt_sync_request(s, 5, 9);
	for (int i = 0; i < 200 && server_calls(&sv) == 0; i++)
		usleep(10000);
	usleep(300000);
	assert_int_equal(server_calls(&sv), 1);
	assert_int_equal(k.delivered, 0);
	/* heights 2..3 exist: delivered; to is capped at what was asked */
	nt_sync_request(s, 2, 2);
	sink_wait(&k, 1);
	usleep(100000);
	assert_int_equal(k.delivered, 1);
	assert_true(k.order_ok);
	assert_true(k.lc_null_ok);
	nt_sync_stop(s);
	server_stop(&sv);
	sink_destroy(&k);
	chain_free(&src);
}

/* Replies that must not be delivered: heights out of order, a block that
 * does not decode, a missing last commit, an error reply. */
static void test_sync_rejects_bad_replies(void **state)
{
	(void)state;
	tu_seed();
	chain src;
	chain_new(&src, 2, NULL);
	/* a genuine entry for height 2, to tamper with */
	nt_ledger_reader rd;
	nt_ledger_reader_get(src.l, &rd);
	nt_rpc_env env;
	memset(&env, 0, sizeof env);
	env.reader = &rd;
	nt_rpc_call c;
	memset(&c, 0, sizeof c);
	c.method = NT_RPC_SYNC;
	c.height = 2;
	c.max = 1;
	char *reply = nt_rpc_exec_query(&env, &c);
	assert_non_null(reply);
	assert_non_null(strstr(reply, "\"height\":2,\"blocks\":[{\"height\":2,"));
	const char *res = strstr(reply, "\"result\":") + 9;
	char *good = strndup(res, strlen(res) - 1);
	char *wrong_h = strdup(good);
	char *p = strstr(wrong_h, "[{\"height\":2,");
	p[11] = '3'; /* the entry claims height 3 */
	char *no_lc = strdup(good);
	p = strstr(no_lc, "\"last_commit\":\"");
	strcpy(p, "\"last_commit\":null}]}");
	/* a block with one stray byte in front: no longer decodes */
	char *bad_blk = malloc(strlen(good) + 3);
	assert_non_null(bad_blk);
	p = strstr(good, "\"block\":\"") + 9;
	size_t pre = (size_t)(p - good);
	memcpy(bad_blk, good, pre);
	memcpy(bad_blk + pre, "00", 2);
	strcpy(bad_blk + pre + 2, p);

	const char *cases[] = {wrong_h, no_lc, bad_blk, "{\"height\":2}", "[1,2]"};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		server sv;
		server_start(&sv, NULL, cases[i], 0);
		const char *urls[1] = {sv.url};
		sink k;
		sink_init(&k, NULL, 2);
		nt_sync *s = NULL;
		nt_why why = {{0}};
		assert_int_equal(nt_sync_start(urls, 1, deliver, &k, &s, &why), NT_OK);
		nt_sync_request(s, 2, 2);
		/* it keeps retrying (backing off 500 ms), never delivering */
		for (int t = 0; t < 300 && server_calls(&sv) < 2; t++)
			usleep(10000);
		if (server_calls(&sv) < 2)
			fail_msg("case %zu: %u calls", i, server_calls(&sv));
		nt_sync_stop(s);
		server_stop(&sv);
		if (k.delivered != 0)
			fail_msg("case %zu was delivered", i);
		sink_destroy(&k);
	}
	/* and the untampered reply is delivered */
	server sv;
	server_start(&sv, NULL, good, 0);
	const char *urls[1] = {sv.url};
	sink k;
	sink_init(&k, NULL, 2);
	nt_sync *s = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_sync_start(urls, 1, deliver, &k, &s, &why), NT_OK);
	nt_sync_request(s, 2, 2);
	sink_wait(&k, 1);
	nt_sync_stop(s);
	server_stop(&sv);
	sink_destroy(&k);

	free(good), free(wrong_h), free(no_lc), free(bad_blk), free(reply);
	chain_free(&src);
}

/* The RPC method itself: parameters, ranges, the last commit chain. */
static void test_rpc_sync_method(void **state)
{
	(void)state;
	tu_seed();
	chain src;
	chain_new(&src, 4, NULL);
	nt_ledger_reader rd;
	nt_ledger_reader_get(src.l, &rd);
	nt_rpc_env env;
	memset(&env, 0, sizeof env);
	env.reader = &rd;
	static const struct {
		const char *req;
		const char *want;
	} cases[] = {
	    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sync\",\"params\":{\"from\":1}}",
	     "\"result\":{\"height\":4,\"blocks\":[{\"height\":1,"},
	    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sync\",\"params\":{\"from\":9,\"max\":5}}",
	     "\"result\":{\"height\":4,\"blocks\":[]}"},
	    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sync\",\"params\":{\"from\":0}}",
	     "-32602"},
	    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sync\",\"params\":{}}", "-32602"},
	    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sync\",\"params\":{\"from\":1,\"max\":101}"
	     "}",
	     "-32602"},
	    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sync\",\"params\":{\"from\":1,\"max\":0}}",
	     "-32602"},
	    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sync\",\"params\":{\"from\":1,\"x\":1}}",
	     "-32602"},
	    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sync\",\"params\":{\"from\":\"1\"}}",
	     "-32602"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		nt_rpc_call c;
		char *out = NULL;
		if (nt_rpc_parse(cases[i].req, strlen(cases[i].req), &c, &out) == NT_OK) {
			out = nt_rpc_exec_query(&env, &c);
			nt_rpc_call_free(&c);
		}
		assert_non_null(out);
		if (strstr(out, cases[i].want) == NULL)
			fail_msg("case %zu: %s", i, out);
		free(out);
	}
	/* from 2, max 2: heights 2 and 3; 3's last commit is 2's commit */
	nt_rpc_call c;
	char *out = NULL;
	const char *req = "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"sync\",\"params\":{"
			  "\"from\":2,\"max\":2}}";
	assert_int_equal(nt_rpc_parse(req, strlen(req), &c, &out), NT_OK);
	out = nt_rpc_exec_query(&env, &c);
	nt_rpc_call_free(&c);
	json_t *root = json_loads(out, 0, NULL);
	assert_non_null(root);
	json_t *blocks = json_object_get(json_object_get(root, "result"), "blocks");
	assert_int_equal(json_array_size(blocks), 2);
	json_t *b2 = json_array_get(blocks, 0), *b3 = json_array_get(blocks, 1);
	assert_int_equal(json_integer_value(json_object_get(b2, "height")), 2);
	assert_int_equal(json_integer_value(json_object_get(b3, "height")), 3);
	assert_string_equal(json_string_value(json_object_get(b2, "commit")),
			    json_string_value(json_object_get(b3, "last_commit")));
	assert_true(json_is_string(json_object_get(b2, "last_commit")));
	json_decref(root);
	free(out);
	chain_free(&src);
}

/* A signed record of random content (bad: its signature broken). */
static size_t make_record(const nt_seckey *k, uint8_t *out, bool bad)
{
	nt_record r;
	memset(&r, 0, sizeof r);
	r.version = NT_RECORD_VERSION;
	r.alg = NT_ALG_SHA256;
	r.digest_len = 32;
	uint64_t file[4] = {tu_rand(), tu_rand(), tu_rand(), tu_rand()};
	size_t dl = 0;
	assert_int_equal(nt_digest_buf(NT_ALG_SHA256, file, sizeof file, r.digest, &dl), NT_OK);
	r.size = sizeof file;
	r.client_time = T0;
	assert_int_equal(nt_record_sign(&r, k), NT_OK);
	size_t len = 0;
	assert_int_equal(nt_record_encode(&r, out, NT_RECORD_MAX, &len), NT_OK);
	if (bad)
		out[len - 1] ^= 0x01; /* the signature is last: still decodes */
	return len;
}

/* Appends nblocks blocks of 3 records to c; the record at index 1 of
 * block bad_h (0: none) has a broken signature (append stores it: only
 * check_block verifies record signatures). */
static void chain_grow_records(chain *c, uint64_t nblocks, uint64_t bad_h)
{
	nt_seckey *sub = NULL;
	assert_int_equal(nt_seckey_generate(&sub), NT_OK);
	nt_why why = {{0}};
	for (uint64_t i = 0; i < nblocks; i++) {
		uint64_t h = nt_ledger_height(c->l) + 1;
		uint8_t recs[3][NT_RECORD_MAX];
		const uint8_t *ptrs[3];
		size_t lens[3];
		for (int r = 0; r < 3; r++) {
			lens[r] = make_record(sub, recs[r], h == bad_h && r == 1);
			ptrs[r] = recs[r];
		}
		nt_block *b = NULL;
		nt_commit cm;
		assert_int_equal(
		    nt_solo_produce(c->l, c->key, ptrs, lens, 3, T0 + h * 1000, &b, &cm, &why),
		    NT_OK);
		assert_int_equal(nt_ledger_append(c->l, b, &cm, NULL, &why), NT_OK);
		nt_block_free(b);
	}
	nt_seckey_free(sub);
}

/* The sync thread verifies every record of what it fetches: each block it
 * delivers is known verified (nt_sync_verified), but not a copy whose
 * header names other records, nor the same records at another height. */
static void test_sync_verifies_records(void **state)
{
	(void)state;
	tu_seed();
	chain src, dst;
	chain_new(&src, 0, NULL);
	chain_grow_records(&src, NBLK, 0);
	chain_new(&dst, 0, src.key);
	server sv;
	server_start(&sv, src.l, NULL, 3);
	const char *urls[1] = {sv.url};
	sink k;
	sink_init(&k, &dst, 1);
	nt_sync *s = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_sync_start(urls, 1, deliver, &k, &s, &why), NT_OK);
	k.s = s;
	nt_sync_request(s, 1, NBLK);
	sink_wait(&k, NBLK);
	assert_true(k.order_ok);
	assert_true(k.append_ok);
	assert_int_equal(k.verified, NBLK);
	assert_int_equal(k.refused, 0);
	assert_int_equal(nt_ledger_height(dst.l), NBLK);

	nt_block *b = NULL;
	assert_int_equal(nt_ledger_block(src.l, 4, &b), NT_OK);
	assert_true(nt_sync_verified(s, b));
	b->header.records_root.b[7] ^= 1;
	assert_false(nt_sync_verified(s, b));
	b->header.records_root.b[7] ^= 1;
	b->header.height = NBLK + 1;
	assert_false(nt_sync_verified(s, b));
	b->header.height = 4;
	b->header.record_count = 2;
	assert_false(nt_sync_verified(s, b));
	assert_false(nt_sync_verified(NULL, b));
	assert_false(nt_sync_verified(s, NULL));
	nt_block_free(b);
	nt_sync_stop(s);
	server_stop(&sv);
	assert_int_equal(nt_ledger_audit(dst.l, NULL, NULL, &why), NT_OK);
	sink_destroy(&k);
	chain_free(&src);
	chain_free(&dst);
}

/* A peer serving a block with a bad record signature: the blocks before
 * it arrive verified, it arrives NOT marked verified (so the loop checks
 * its records and refuses it), and nothing after it is delivered. */
static void test_sync_bad_record_signature(void **state)
{
	(void)state;
	tu_seed();
	chain src, dst;
	chain_new(&src, 0, NULL);
	chain_grow_records(&src, 4, 3);
	chain_new(&dst, 0, src.key);
	server sv;
	server_start(&sv, src.l, NULL, 100);
	const char *urls[1] = {sv.url};
	sink k;
	sink_init(&k, &dst, 1);
	nt_sync *s = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_sync_start(urls, 1, deliver, &k, &s, &why), NT_OK);
	k.s = s;
	nt_sync_request(s, 1, 4);
	sink_wait(&k, 3);
	usleep(200000);
	pthread_mutex_lock(&k.mu);
	assert_int_equal(k.verified, 2);
	assert_true(k.refused >= 1);
	assert_int_equal(k.last_h, 3); /* block 4 never came */
	pthread_mutex_unlock(&k.mu);
	assert_int_equal(nt_ledger_height(dst.l), 2);
	nt_sync_stop(s);
	server_stop(&sv);
	sink_destroy(&k);
	chain_free(&src);
	chain_free(&dst);
}

static uint64_t sink_count(sink *k)
{
	pthread_mutex_lock(&k->mu);
	uint64_t n = k->delivered;
	pthread_mutex_unlock(&k->mu);
	return n;
}

/* The sync thread runs at most NT_SYNC_WINDOW blocks ahead of what the
 * loop reported applied, and a request in progress can be extended. */
static void test_sync_window_and_extend(void **state)
{
	(void)state;
	tu_seed();
	const uint64_t total = NT_SYNC_WINDOW + 60;
	chain src;
	chain_new(&src, total, NULL);
	server sv;
	server_start(&sv, src.l, NULL, 50);
	const char *urls[1] = {sv.url};
	sink k;
	sink_init(&k, NULL, 1);
	nt_sync *s = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_sync_start(urls, 1, deliver, &k, &s, &why), NT_OK);
	nt_sync_request(s, 1, total - 20);
	sink_wait(&k, NT_SYNC_WINDOW);
	usleep(300000);
	assert_int_equal(sink_count(&k), NT_SYNC_WINDOW); /* waits for the loop */
	assert_true(nt_sync_extend(s, total));
	nt_sync_applied(s, 30);
	sink_wait(&k, NT_SYNC_WINDOW + 30);
	usleep(200000);
	assert_int_equal(sink_count(&k), NT_SYNC_WINDOW + 30);
	nt_sync_applied(s, total);
	sink_wait(&k, total);
	usleep(200000);
	assert_int_equal(sink_count(&k), total);
	assert_true(k.order_ok);
	/* done: nothing in progress to extend */
	for (int i = 0; i < 100 && nt_sync_extend(s, total + 5); i++)
		usleep(10000);
	assert_false(nt_sync_extend(s, total + 5));
	assert_false(nt_sync_extend(NULL, 1));
	nt_sync_applied(NULL, 1);
	nt_sync_stop(s);
	server_stop(&sv);
	sink_destroy(&k);
	chain_free(&src);
}

static void test_sync_bad_args(void **state)
{
	(void)state;
	nt_sync *s = NULL;
	nt_why why = {{0}};
	const char *urls[1] = {"tcp://127.0.0.1:1"};
	assert_int_equal(nt_sync_start(NULL, 1, deliver, NULL, &s, &why), NT_ERR_ARG);
	assert_int_equal(nt_sync_start(urls, 0, deliver, NULL, &s, &why), NT_ERR_ARG);
	assert_int_equal(nt_sync_start(urls, 1, NULL, NULL, &s, &why), NT_ERR_ARG);
	assert_null(s);
	/* an empty or inverted range is no request; stop is prompt */
	sink k;
	sink_init(&k, NULL, 1);
	assert_int_equal(nt_sync_start(urls, 1, deliver, &k, &s, &why), NT_OK);
	nt_sync_request(s, 5, 4);
	nt_sync_request(s, 0, 0);
	usleep(50000);
	nt_sync_stop(s);
	nt_sync_stop(NULL);
	nt_sync_request(NULL, 1, 2);
	assert_int_equal(k.delivered, 0);
	sink_destroy(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sync_rotates_and_delivers),
	    cmocka_unit_test(test_sync_peer_behind),
	    cmocka_unit_test(test_sync_rejects_bad_replies),
	    cmocka_unit_test(test_rpc_sync_method),
	    cmocka_unit_test(test_sync_bad_args),
	    cmocka_unit_test(test_sync_verifies_records),
	    cmocka_unit_test(test_sync_bad_record_signature),
	    cmocka_unit_test(test_sync_window_and_extend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
