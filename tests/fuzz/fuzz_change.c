/* Fuzz target: nt_change_decode (a pending validator-set change as peers
 * gossip it and clients send it over RPC, core/valset_change.h), then
 * nt_changepool_add of what decodes against a fixed version 2 chain: the
 * four fuzz keys (secret keys 32 x 0x01..0x04, names "fuzz 0".."fuzz 3",
 * chain fuzz-net, as fuzz_peermsg), next change index 0.
 *
 * Plain input: the whole input is one wire form. A change that decodes
 * encodes back to the input byte for byte; added to an empty pool it is
 * either refused with a reason (the pool stays empty) or every approval the
 * pool then holds verifies (a fuzzer cannot forge BIP-340, so acceptance
 * means the input carried real signatures).
 *
 * Script (first byte 0xFE): frames `u8 op || u16 len || wire form`, fed in
 * order to ONE pool. op bit 0: re-sign each approval whose index is in the
 * set with that validator's key over the change as decoded (its
 * change_index included), so the script reaches acceptance, repeats, ready
 * and a full pool; bit 1: after the add, the chain moves to its next change
 * index and the pool is pruned. After every step the pool's invariants are
 * checked: a refused add leaves it as it was and says why, every approval
 * it holds verifies for its change, no validator twice, ready() at quorum,
 * find() by the full hash. FUZZ_VERBOSE=1 prints each add's outcome (handy
 * when writing seeds). */
#include "core/valset_change.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "tests/fuzz/fuzz.h"

#define NKEYS 4
static nt_genesis gen;
static nt_seckey *keys[NKEYS];

static void setup(void)
{
	if (keys[0] != NULL)
		return;
	memset(&gen, 0, sizeof gen);
	strcpy(gen.chain_id, "fuzz-net");
	gen.genesis_time = 1796083200000ull; /* 2026-12-01T00:00:00Z */
	gen.version = 2;
	gen.vals.n = NKEYS;
	for (int i = 0; i < NKEYS; i++) {
		uint8_t secret[32];
		memset(secret, i + 1, sizeof secret);
		fz_check(nt_seckey_from_bytes(secret, &keys[i]) == NT_OK);
		nt_seckey_pubkey(keys[i], &gen.vals.keys[i]);
		snprintf(gen.vals.names[i], sizeof gen.vals.names[i], "fuzz %d", i);
	}
	fz_check(nt_genesis_seal(&gen) == NT_OK);
}

/* What the pool holds, to show a refusal changed nothing. */
typedef struct {
	size_t n;
	const nt_change *ch[NT_CHANGEPOOL_MAX];
	uint16_t na[NT_CHANGEPOOL_MAX];
} snap;

static void take(const nt_changepool *p, snap *s)
{
	memset(s, 0, sizeof *s);
	s->n = nt_changepool_count(p);
	fz_check(s->n <= NT_CHANGEPOOL_MAX);
	for (size_t i = 0; i < s->n; i++) {
		s->ch[i] = nt_changepool_at(p, i);
		s->na[i] = s->ch[i]->n;
	}
}

/* Every change in p is well formed and every approval verifies, checked
 * here from the bytes, not by the pool's own functions. */
static void check_pool(const nt_changepool *p, const nt_change_ctx *ctx)
{
	size_t n = nt_changepool_count(p);
	fz_check(n <= NT_CHANGEPOOL_MAX);
	fz_check(nt_changepool_at(p, n) == NULL);
	unsigned q = nt_valset_quorum(ctx->cur);
	const nt_change *first_ready = NULL;
	for (size_t i = 0; i < n; i++) {
		const nt_change *c = nt_changepool_at(p, i);
		fz_check(c != NULL && c->set_bytes != NULL && c->next != NULL);
		nt_hash h;
		nt_sha256(c->set_bytes, c->set_len, &h);
		fz_check(memcmp(h.b, c->next_hash.b, NT_HASH_LEN) == 0);
		fz_check(memcmp(h.b, ctx->cur_hash.b, NT_HASH_LEN) != 0);
		for (size_t j = 0; j < i; j++) /* one entry per change */
			fz_check(nt_changepool_at(p, j)->change_index != c->change_index ||
				 memcmp(nt_changepool_at(p, j)->next_hash.b, h.b, NT_HASH_LEN) !=
				     0);
		nt_hash re;
		fz_check(nt_valset_hash_v2(c->next, &re) == NT_OK);
		fz_check(memcmp(re.b, h.b, NT_HASH_LEN) == 0);
		fz_check(c->n >= 1 && c->n <= ctx->cur->n);
		nt_hash msg;
		fz_check(nt_valset_approval_hash(gen.chain_id, &gen.genesis_hash, c->change_index,
						 &ctx->cur_hash, &h, &msg) == NT_OK);
		bool seen[NT_MAX_VALIDATORS] = {false};
		for (uint16_t k = 0; k < c->n; k++) {
			const nt_approval *a = &c->approvals[k];
			fz_check(a->index < ctx->cur->n && !seen[a->index]);
			seen[a->index] = true;
			fz_check(nt_verify(&ctx->cur->keys[a->index], &msg, &a->sig));
		}
		if (first_ready == NULL && c->change_index == ctx->change_index && c->n >= q)
			first_ready = c;
		/* All changes share the chain's change index (add takes no other and
		 * prune drops the rest), so the full hash names one. */
		fz_check(c->change_index == ctx->change_index);
		fz_check(nt_changepool_find(p, h.b, NT_HASH_LEN) == c);
	}
	fz_check(nt_changepool_ready(p, ctx) == first_ready);
}

/* Decodes w and checks the round trip; false if it does not decode. */
static bool decode(const uint8_t *w, size_t wl, uint64_t *ci, const uint8_t **sb, size_t *sl,
		   nt_approval *ap, uint16_t *n)
{
	nt_why why = {""};
	nt_err e = nt_change_decode(w, wl, ci, sb, sl, ap, n, &why);
	if (e != NT_OK) {
		fz_check(why.msg[0] != '\0');
		fz_check(e == NT_ERR_DECODE || e == NT_ERR_RANGE);
		return false;
	}
	fz_check(*n <= NT_MAX_VALIDATORS && *sl >= 1 && *sb >= w && *sb + *sl <= w + wl);
	uint8_t *out = NULL;
	size_t ol = 0;
	fz_check(nt_change_encode(*ci, *sb, *sl, ap, *n, &out, &ol) == NT_OK);
	fz_check(ol == wl && memcmp(out, w, wl) == 0);
	free(out);
	return true;
}

/* One add, with the properties that hold whatever the input. */
static void add(nt_changepool *p, const nt_change_ctx *ctx, uint64_t ci, const uint8_t *sb,
		size_t sl, const nt_approval *ap, uint16_t n)
{
	snap before, after;
	take(p, &before);
	nt_why why = {""};
	unsigned added = 12345;
	nt_err e = nt_changepool_add(p, ctx, ci, sb, sl, ap, n, &added, &why);
	take(p, &after);
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr,
			"fuzz_change: add %u approvals of change %llu: %s (added %u, pool %zu)\n",
			n, (unsigned long long)ci, e == NT_OK ? "ok" : why.msg, added, after.n);
	if (e != NT_OK) {
		fz_check(why.msg[0] != '\0');
		fz_check(added == 0);
		fz_check(memcmp(&before, &after, sizeof before) == 0);
	} else {
		/* Accepted: every approval given verifies (so none was forged). */
		nt_hash h, msg;
		nt_sha256(sb, sl, &h);
		fz_check(nt_valset_approval_hash(gen.chain_id, &gen.genesis_hash, ci,
						 &ctx->cur_hash, &h, &msg) == NT_OK);
		for (uint16_t i = 0; i < n; i++)
			fz_check(ap[i].index < ctx->cur->n &&
				 nt_verify(&ctx->cur->keys[ap[i].index], &msg, &ap[i].sig));
		fz_check(ci == ctx->change_index && n >= 1);
		const nt_change *c = nt_changepool_find(p, h.b, NT_HASH_LEN);
		fz_check(c != NULL && c->change_index == ci);
		size_t had = 0;
		for (size_t i = 0; i < before.n; i++)
			if (before.ch[i] == c)
				had = before.na[i];
		fz_check(c->n == had + added);
		fz_check(after.n == before.n || (after.n == before.n + 1 && had == 0));
	}
	check_pool(p, ctx);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void run_script(const uint8_t *data, size_t size)
{
	static nt_approval ap[NT_MAX_VALIDATORS];
	nt_changepool *p = NULL;
	fz_check(nt_changepool_new(&p) == NT_OK);
	nt_change_ctx ctx;
	fz_check(nt_change_ctx_init(&ctx, &gen, &gen.vals, 0) == NT_OK);
	size_t at = 0;
	while (at + 3 <= size) {
		uint8_t op = data[at];
		size_t len = get16(data + at + 1);
		at += 3;
		if (len > size - at)
			len = size - at;
		const uint8_t *w = data + at;
		at += len;
		uint64_t ci;
		const uint8_t *sb;
		size_t sl;
		uint16_t n;
		if (!decode(w, len, &ci, &sb, &sl, ap, &n))
			continue;
		if (op & 1) {
			nt_hash h, msg;
			nt_sha256(sb, sl, &h);
			fz_check(nt_valset_approval_hash(gen.chain_id, &gen.genesis_hash, ci,
							 &ctx.cur_hash, &h, &msg) == NT_OK);
			for (uint16_t i = 0; i < n; i++)
				if (ap[i].index < NKEYS)
					fz_check(nt_sign(keys[ap[i].index], &msg, &ap[i].sig) ==
						 NT_OK);
		}
		add(p, &ctx, ci, sb, sl, ap, n);
		if (op & 2) {
			ctx.change_index++;
			nt_changepool_prune(p, &ctx);
			for (size_t i = 0; i < nt_changepool_count(p); i++)
				fz_check(nt_changepool_at(p, i)->change_index == ctx.change_index);
			check_pool(p, &ctx);
		}
	}
	nt_changepool_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	if (size >= 1 && data[0] == 0xFE) {
		run_script(data + 1, size - 1);
		return 0;
	}
	static nt_approval ap[NT_MAX_VALIDATORS];
	uint64_t ci;
	const uint8_t *sb;
	size_t sl;
	uint16_t n;
	if (!decode(data, size, &ci, &sb, &sl, ap, &n))
		return 0;
	nt_changepool *p = NULL;
	fz_check(nt_changepool_new(&p) == NT_OK);
	nt_change_ctx ctx;
	fz_check(nt_change_ctx_init(&ctx, &gen, &gen.vals, 0) == NT_OK);
	add(p, &ctx, ci, sb, sl, ap, n);
	nt_changepool_free(p);
	return 0;
}
