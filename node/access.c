/* Access lists and limits (node/access.h). */
#include "node/node_internal.h"

#include "base/hex.h"
#include "node/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* A list file larger than this is refused (a million keys take 65 MB). */
#define KEYS_FILE_MAX (80u * 1024 * 1024)

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, NT_PUBKEY_LEN);
}

static bool listed(const nt_pubkey *v, size_t n, const nt_pubkey *k)
{
	return v != NULL && bsearch(k, v, n, sizeof *v, key_cmp) != NULL;
}

nt_err nd_access_read_keys(const char *path, nt_pubkey **out, size_t *n, nt_why *why)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return nt_fail(why, errno == ENOENT ? NT_ERR_NOT_FOUND : NT_ERR_IO,
			       "cannot open %s: %s", path, strerror(errno));
	nt_pubkey *v = NULL;
	size_t cnt = 0, cap = 0, lineno = 0, total = 0;
	char line[512];
	nt_err e = NT_OK;
	while (e == NT_OK && fgets(line, sizeof line, f) != NULL) {
		lineno++;
		size_t l = strlen(line);
		total += l;
		if (l == sizeof line - 1 && line[l - 1] != '\n') {
			e = nt_fail(why, NT_ERR_RANGE, "%s line %zu: longer than %zu characters",
				    path, lineno, sizeof line - 2);
			break;
		}
		if (total > KEYS_FILE_MAX) {
			e = nt_fail(why, NT_ERR_RANGE, "%s is larger than %u bytes", path,
				    KEYS_FILE_MAX);
			break;
		}
		char *hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		char *s = line, *end;
		while (*s == ' ' || *s == '\t')
			s++;
		end = s + strlen(s);
		while (end > s &&
		       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
			*--end = '\0';
		if (*s == '\0')
			continue;
		nt_pubkey k;
		if (end - s != 64 || nt_hex_decode32(s, k.b) != NT_OK) {
			e = nt_fail(why, NT_ERR_DECODE,
				    "%s line %zu: not a public key (64 hex digits): %.70s", path,
				    lineno, s);
			break;
		}
		if (cnt == cap) {
			size_t nc = cap ? 2 * cap : 64;
			nt_pubkey *nv = realloc(v, nc * sizeof *nv);
			if (nv == NULL) {
				e = nt_fail(why, NT_ERR_NOMEM, "out of memory");
				break;
			}
			v = nv;
			cap = nc;
		}
		v[cnt++] = k;
	}
	if (e == NT_OK && ferror(f))
		e = nt_fail(why, NT_ERR_IO, "cannot read %s", path);
	fclose(f);
	if (e != NT_OK) {
		free(v);
		return e;
	}
	if (cnt > 0) /* qsort wants a non-NULL array even for 0 */
		qsort(v, cnt, sizeof *v, key_cmp);
	size_t u = 0;
	for (size_t i = 0; i < cnt; i++)
		if (u == 0 || memcmp(&v[u - 1], &v[i], sizeof *v) != 0)
			v[u++] = v[i];
	if (u == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = u;
	return NT_OK;
}

/* Logs the keys in a but not in b (at most a few by name). */
static size_t log_diff(const char *what, const char *sign, const nt_pubkey *a, size_t na,
		       const nt_pubkey *b, size_t nb)
{
	size_t shown = 0, cnt = 0;
	for (size_t i = 0; i < na; i++) {
		if (listed(b, nb, &a[i]))
			continue;
		cnt++;
		if (shown++ < 8) {
			char hex[65];
			nt_hex_encode(a[i].b, NT_PUBKEY_LEN, hex);
			nt_log(NT_LOG_INFO, "%s: %s%s", what, sign, hex);
		}
	}
	if (shown > 8)
		nt_log(NT_LOG_INFO, "%s: ... and %zu more %s", what, shown - 8,
		       sign[0] == '+' ? "added" : "removed");
	return cnt;
}

/* Reads the list at path into *v / *n (under mu); on failure keeps the old
 * one. at_start: a failure is returned (the node does not start). */
static nt_err load_list(node *n, const char *what, const char *path, nt_pubkey **v, size_t *cnt,
			bool at_start, nt_why *why)
{
	if (path == NULL || path[0] == '\0')
		return NT_OK;
	nt_pubkey *nv = NULL;
	size_t nn = 0;
	nt_err e = nd_access_read_keys(path, &nv, &nn, why);
	if (e != NT_OK) {
		if (!at_start)
			nt_log(NT_LOG_ERROR, "%s not reloaded, the old list stays: %s", what,
			       why->msg);
		return e;
	}
	pthread_mutex_lock(&n->acc.mu);
	nt_pubkey *old = *v;
	size_t on = *cnt;
	*v = nv;
	*cnt = nn;
	pthread_mutex_unlock(&n->acc.mu);
	if (at_start) {
		nt_log(NT_LOG_INFO, "%s: %zu key%s from %s", what, nn, nn == 1 ? "" : "s", path);
	} else {
		size_t add = log_diff(what, "+", nv, nn, old, on);
		size_t del = log_diff(what, "-", old, on, nv, nn);
		nt_log(NT_LOG_INFO, "%s reloaded from %s: %zu key%s (%zu added, %zu removed)", what,
		       path, nn, nn == 1 ? "" : "s", add, del);
	}
	free(old);
	return NT_OK;
}

nt_err nd_access_open(node *n, nt_why *why)
{
	nd_access *a = &n->acc;
	pthread_mutex_init(&a->mu, NULL);
	a->mu_ok = true;
	nt_err e =
	    load_list(n, "submitters", n->cfg.access_submitters, &a->subs, &a->nsubs, true, why);
	if (e == NT_OK && n->cfg.access_submitters[0] != '\0' && a->subs == NULL)
		nt_log(NT_LOG_WARN, "access.submitters %s lists no key: every submit is refused",
		       n->cfg.access_submitters);
	if (e == NT_OK)
		e = load_list(n, "clients", n->cfg.access_clients, &a->clients, &a->nclients, true,
			      why);
	if (e != NT_OK)
		return e;
	if (!n->cfg.access_public && a->clients == NULL)
		nt_log(NT_LOG_WARN, "access.public is 0 and no client key is listed "
				    "(access.clients): only the operator's socket answers queries");
	uint8_t seed[2][NT_LIMITER_KEY_LEN];
	if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed)
		return nt_fail(why, NT_ERR_IO, "the system gave no random bytes (getrandom)");
	if ((e = nt_limiter_new(n->cfg.limiter_slots, n->cfg.submit_rate, n->cfg.submit_burst,
				seed[0], &a->keys)) != NT_OK ||
	    (e = nt_limiter_new(n->cfg.limiter_slots, n->cfg.conn_rate, n->cfg.conn_burst, seed[1],
				&a->conns)) != NT_OK)
		return nt_fail(why, e, "cannot create the rate limiters");
	return NT_OK;
}

void nd_access_close(node *n)
{
	nd_access *a = &n->acc;
	nt_limiter_free(a->keys);
	nt_limiter_free(a->conns);
	free(a->subs);
	free(a->clients);
	if (a->mu_ok)
		pthread_mutex_destroy(&a->mu);
	memset(a, 0, sizeof *a);
}

int nd_access_reload(node *n)
{
	nt_why why = {{0}};
	nd_access *a = &n->acc;
	__atomic_add_fetch(&a->reloads, 1, __ATOMIC_RELAXED);
	int bad = 0;
	if (n->cfg.access_submitters[0] == '\0' && n->cfg.access_clients[0] == '\0')
		nt_log(NT_LOG_INFO, "reload: no access list is configured (access.submitters, "
				    "access.clients); nothing to read");
	bad += load_list(n, "submitters", n->cfg.access_submitters, &a->subs, &a->nsubs, false,
			 &why) != NT_OK;
	bad += load_list(n, "clients", n->cfg.access_clients, &a->clients, &a->nclients, false,
			 &why) != NT_OK;
	return bad;
}

static uint64_t wall_ms(void)
{
	return nd_wall_ms();
}

bool nd_access_conn(node *n, nt_rpc_req *req, uint32_t cost, uint64_t *retry_ms)
{
	uint8_t k[NT_LIMITER_KEY_LEN] = {0};
	uint32_t id = nt_rpc_req_conn(req);
	if (id == 0)
		return true;
	memcpy(k, &id, sizeof id);
	pthread_mutex_lock(&n->acc.mu);
	bool ok = nt_limiter_take(n->acc.conns, k, nd_mono_ms(), cost, retry_ms);
	pthread_mutex_unlock(&n->acc.mu);
	if (!ok)
		__atomic_add_fetch(&n->acc.rate_limited, 1, __ATOMIC_RELAXED);
	return ok;
}

static char *denied(node *n, const char *id, const char *msg)
{
	__atomic_add_fetch(&n->acc.denied, 1, __ATOMIC_RELAXED);
	return nt_rpc_error(id, NT_RPC_E_DENIED, "%s", msg);
}

static char *signed_by_listed(node *n, const nt_rpc_call *c, bool validators);

char *nd_access_call(node *n, const nt_rpc_call *c, bool admin)
{
	nd_access *a = &n->acc;
	const char *id = c->id;
	switch (c->method) {
	case NT_RPC_RELOAD:
		if (!admin)
			return nt_rpc_error(id, NT_RPC_E_ADMIN,
					    "reload is answered only on the operator's socket "
					    "(access.admin, docs/OPERATIONS.md)");
		return NULL;
	case NT_RPC_VALSET_APPROVE:
		if (!admin && n->cfg.access_admin[0] != '\0')
			return nt_rpc_error(
			    id, NT_RPC_E_ADMIN,
			    "valset_approve is answered only on the operator's "
			    "socket (%s); `notary valset approve --home DIR` uses it",
			    n->cfg.access_admin);
		return NULL;
	case NT_RPC_SUBMIT: {
		if (admin)
			return NULL;
		char hex[65];
		pthread_mutex_lock(&a->mu);
		bool ok = a->subs == NULL && n->cfg.access_submitters[0] == '\0';
		ok = ok || listed(a->subs, a->nsubs, &c->submitter);
		uint64_t retry = 0;
		bool rate_ok =
		    !ok || nt_limiter_take(a->keys, c->submitter.b, nd_mono_ms(), 1, &retry);
		pthread_mutex_unlock(&a->mu);
		if (!ok) {
			char m[200];
			nt_hex_encode(c->submitter.b, NT_PUBKEY_LEN, hex);
			snprintf(m, sizeof m,
				 "submitter key %s is not registered with this node "
				 "(access.submitters); ask the notary office to add it",
				 hex);
			return denied(n, id, m);
		}
		if (!rate_ok) {
			__atomic_add_fetch(&a->rate_limited, 1, __ATOMIC_RELAXED);
			return nt_rpc_error_retry(id, NT_RPC_E_RATE, retry,
						  "rate limited: this submitter key sends more "
						  "than %u records a second; retry after %" PRIu64
						  " ms",
						  n->cfg.submit_rate, retry);
		}
		return NULL;
	}
	case NT_RPC_SYNC:
		if (admin || n->cfg.access_sync_open)
			return NULL;
		return signed_by_listed(n, c, true);
	case NT_RPC_STATUS:
	case NT_RPC_RECEIPT:
	case NT_RPC_FIND:
	case NT_RPC_BLOCK:
	case NT_RPC_VALIDATORS:
	case NT_RPC_VALSET_PENDING:
		break;
	}
	if (admin || n->cfg.access_public)
		return NULL;
	return signed_by_listed(n, c, false);
}

/* A signed, fresh request of a key in access.clients (or, validators too,
 * of a key of the current validator set); else the -32009 reply. */
static char *signed_by_listed(node *n, const nt_rpc_call *c, bool validators)
{
	nd_access *a = &n->acc;
	const char *id = c->id;
	if (!c->auth)
		return denied(n, id,
			      validators
				  ? "this node serves sync only to validators and listed "
				    "clients: sign the request (params \"auth\", docs/RPC.md)"
				  : "this node answers queries only to listed clients: sign "
				    "the request (params \"auth\", docs/RPC.md; `notary ... "
				    "--key K`)");
	uint64_t now = wall_ms(), win = (uint64_t)n->cfg.auth_window_s * 1000;
	if (c->auth_time_ms + win < now || c->auth_time_ms > now + win)
		return denied(n, id,
			      "the signed request's time is too far from the node's clock "
			      "(access.auth_window_s); check the client's clock");
	pthread_mutex_lock(&a->mu);
	bool ok = listed(a->clients, a->nclients, &c->client);
	pthread_mutex_unlock(&a->mu);
	if (!ok && validators && n->vs.mu_ok) {
		pthread_mutex_lock(&n->vs.keys_mu);
		for (int s = 0; s < 2 && !ok; s++)
			for (uint16_t i = 0; i < n->vs.nkeys[s] && !ok; i++)
				ok = memcmp(n->vs.keys[s][i].b, c->client.b, NT_PUBKEY_LEN) == 0;
		pthread_mutex_unlock(&n->vs.keys_mu);
	}
	if (!ok) {
		char hex[65], m[160];
		nt_hex_encode(c->client.b, NT_PUBKEY_LEN, hex);
		snprintf(m, sizeof m, "client key %s is not listed (access.clients)", hex);
		return denied(n, id, m);
	}
	return NULL;
}

char *nd_access_share(node *n, const nt_rpc_call *c, size_t len)
{
	ND_ON_LOOP(n);
	size_t recs = 0, bytes = 0;
	nt_mempool_owner_usage(n->mp, &c->submitter, &recs, &bytes);
	uint64_t pct = n->cfg.mempool_share_pct;
	uint64_t max_r = (uint64_t)nt_mempool_max_records(n->mp) * pct / 100;
	uint64_t max_b = (uint64_t)nt_mempool_max_bytes(n->mp) * pct / 100;
	/* A key may always hold two blocks' worth (the next blocks take it
	 * anyway): a small pool does not starve a lone client. */
	if (max_r < 2ull * n->cfg.block_max_records)
		max_r = 2ull * n->cfg.block_max_records;
	if (max_b < 2ull * n->cfg.block_max_bytes)
		max_b = 2ull * n->cfg.block_max_bytes;
	if (pct >= 100 || (recs + 1 <= max_r && bytes + len <= max_b))
		return NULL;
	__atomic_add_fetch(&n->acc.share_refused, 1, __ATOMIC_RELAXED);
	/* the next block frees room: about one block interval */
	uint64_t retry = n->cfg.block_interval_ms > 0 ? n->cfg.block_interval_ms : 200;
	return nt_rpc_error_retry(c->id, NT_RPC_E_SHARE, retry,
				  "this submitter key holds %zu pending records (%zu bytes), its "
				  "share of the mempool (%u%%); retry after %" PRIu64 " ms",
				  recs, bytes, n->cfg.mempool_share_pct, retry);
}

char *nd_access_reload_reply(node *n, const nt_rpc_call *c)
{
	int bad = nd_access_reload(n);
	pthread_mutex_lock(&n->acc.mu);
	json_t *r = json_pack("{s:b,s:I,s:I,s:b}", "reloaded", bad == 0, "submitters",
			      (json_int_t)n->acc.nsubs, "clients", (json_int_t)n->acc.nclients,
			      "submitters_open", n->cfg.access_submitters[0] == '\0');
	pthread_mutex_unlock(&n->acc.mu);
	return nt_rpc_reply_json(c->id, r);
}

void nd_access_status(node *n, json_t *o)
{
	nd_access *a = &n->acc;
	pthread_mutex_lock(&a->mu);
	json_t *x = json_pack(
	    "{s:b,s:I,s:I,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "public", n->cfg.access_public != 0,
	    "submitters", (json_int_t)a->nsubs, "clients", (json_int_t)a->nclients,
	    "submitters_open", n->cfg.access_submitters[0] == '\0', "rate_limited",
	    (json_int_t)__atomic_load_n(&a->rate_limited, __ATOMIC_RELAXED), "share_refused",
	    (json_int_t)__atomic_load_n(&a->share_refused, __ATOMIC_RELAXED), "denied",
	    (json_int_t)__atomic_load_n(&a->denied, __ATOMIC_RELAXED), "reloads",
	    (json_int_t)__atomic_load_n(&a->reloads, __ATOMIC_RELAXED), "limiter_keys",
	    (json_int_t)nt_limiter_used(a->keys), "limiter_conns",
	    (json_int_t)nt_limiter_used(a->conns), "limiter_evictions",
	    (json_int_t)(nt_limiter_evictions(a->keys) + nt_limiter_evictions(a->conns)));
	pthread_mutex_unlock(&a->mu);
	if (x != NULL)
		json_object_set_new(o, "access", x);
}
