/* The JSON-RPC `sync` method (docs/RPC.md): consecutive blocks with their
 * commits, for nodes catching up.
 *
 * The reply is written by hand into one growing buffer instead of through
 * jansson: it is mostly hex of up to a few MiB, and a JSON tree would hold
 * every byte three times (tree, dump, envelope). Everything in it is hex or
 * a number, so there is nothing to escape. */
#include "node/rpc.h"

#include "base/hex.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char *p;
	size_t len, cap;
	bool oom;
} sbuf;

static bool sb_reserve(sbuf *b, size_t more)
{
	if (b->oom)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void sb_str(sbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (sb_reserve(b, n)) {
		memcpy(b->p + b->len, s, n + 1);
		b->len += n;
	}
}

static void sb_hex(sbuf *b, const uint8_t *v, size_t n)
{
	if (sb_reserve(b, 2 + 2 * n)) {
		b->p[b->len++] = '"';
		nt_hex_encode(v, n, b->p + b->len);
		b->len += 2 * n;
		b->p[b->len++] = '"';
		b->p[b->len] = '\0';
	}
}

/* A stored block or commit of height h is missing or unreadable although
 * h <= tip: the store is damaged (or failing), not the request. */
static char *storage_error(const nt_rpc_env *env, const char *id, nt_err e, uint64_t h,
			   const char *what)
{
	char detail[64];
	snprintf(detail, sizeof detail, "the %s of height %" PRIu64, what, h);
	nt_rpc_note_store_error(env, e, detail);
	if (e == NT_ERR_NOMEM)
		return nt_rpc_error(id, NT_RPC_E_INTERNAL, "out of memory");
	return nt_rpc_error(id, NT_RPC_E_STORAGE,
			    "storage failure reading the %s of height %" PRIu64 ": %s", what, h,
			    nt_strerror(e));
}

/* The commit of height h, encoded into out (NT_COMMIT_MAX bytes). */
static nt_err load_commit(const nt_ledger_reader *l, uint64_t h, uint8_t *out, size_t *len)
{
	nt_commit *c = malloc(sizeof *c);
	if (c == NULL)
		return NT_ERR_NOMEM;
	nt_err e = nt_ledger_reader_commit(l, h, c);
	if (e == NT_OK && nt_commit_encode(c, out, NT_COMMIT_MAX, len) != NT_OK)
		e = NT_ERR_CORRUPT;
	free(c);
	return e;
}

char *nt_rpc_exec_sync(const nt_rpc_env *env, const nt_rpc_call *c)
{
	const nt_ledger_reader *l = env->reader;
	const char *id = c->id ? c->id : "null";
	uint64_t tip = l->height;
	uint64_t from = c->height;
	uint32_t max = c->max >= 1 && c->max <= NT_RPC_SYNC_MAX ? c->max : NT_RPC_SYNC_DEFAULT;
	sbuf b = {0};
	char num[64];
	sb_str(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
	sb_str(&b, id);
	snprintf(num, sizeof num, ",\"result\":{\"height\":%" PRIu64 ",\"blocks\":[", tip);
	sb_str(&b, num);
	static const char tail[] = "]}}";

	/* The last commit of `from` is our commit of from-1: canonical, since
	 * we applied `from` (it replaced ours by the one `from` names). Each
	 * block's commit then serves as the next one's last commit. */
	uint8_t *lc = NULL, *cm = NULL;
	size_t lcl = 0, cml = 0;
	char *err = NULL;
	if (from <= tip) {
		lc = malloc(NT_COMMIT_MAX);
		cm = malloc(NT_COMMIT_MAX);
		if (lc == NULL || cm == NULL) {
			err = nt_rpc_error(c->id, NT_RPC_E_INTERNAL, "out of memory");
			goto out;
		}
		nt_err e;
		if (from > 1 && (e = load_commit(l, from - 1, lc, &lcl)) != NT_OK) {
			err = storage_error(env, c->id, e, from - 1, "commit");
			goto out;
		}
	}
	uint32_t n = 0;
	for (uint64_t h = from; h <= tip && n < max; h++) {
		nt_block *blk = NULL;
		uint8_t *bb = NULL;
		size_t bl = 0;
		nt_err e = nt_ledger_reader_block(l, h, &blk);
		if (e == NT_OK && nt_block_encode(blk, &bb, &bl) != NT_OK)
			e = NT_ERR_NOMEM;
		nt_block_free(blk);
		if (e != NT_OK) {
			err = storage_error(env, c->id, e, h, "block");
			goto out;
		}
		if ((e = load_commit(l, h, cm, &cml)) != NT_OK) {
			free(bb);
			err = storage_error(env, c->id, e, h, "commit");
			goto out;
		}
		/* {"height":H,"block":"..","commit":"..","last_commit":".."|null}, */
		size_t entry = 96 + 2 * (bl + cml + lcl);
		if (n > 0 && b.len + entry + sizeof tail > NT_RPC_SYNC_REPLY_MAX) {
			free(bb);
			break;
		}
		snprintf(num, sizeof num, "%s{\"height\":%" PRIu64 ",\"block\":", n ? "," : "", h);
		sb_str(&b, num);
		sb_hex(&b, bb, bl);
		free(bb);
		sb_str(&b, ",\"commit\":");
		sb_hex(&b, cm, cml);
		sb_str(&b, ",\"last_commit\":");
		if (h == 1)
			sb_str(&b, "null");
		else
			sb_hex(&b, lc, lcl);
		sb_str(&b, "}");
		uint8_t *t = lc;
		lc = cm;
		cm = t;
		lcl = cml;
		n++;
	}
	sb_str(&b, tail);
	if (b.oom)
		err = nt_rpc_error(c->id, NT_RPC_E_INTERNAL, "out of memory");
out:
	free(lc);
	free(cm);
	if (err != NULL) {
		free(b.p);
		return err;
	}
	return b.p;
}
