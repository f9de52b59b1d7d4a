/* Fuzz target: the peer message decoders (core/peermsg.h) and, behind
 * them, the consensus engine, with a fixed 4-validator set whose secret
 * keys are 32 bytes of 0x01, 0x02, 0x03, 0x04 (chain "fuzz-net").
 *
 * Every input goes through nt_peermsg_vote_decode,
 * nt_peermsg_proposal_decode and nt_peermsg_open whole. Then the first
 * byte picks what else happens:
 *   0xFE  engine script: the rest is frames `u16 len || msg`, fed in order
 *         to one engine (validator 0, height 1): msg type 1 a proposal,
 *         2 a vote, 3 a timeout (u8 step || u32 round), 4 time passing
 *         (u32 ms). Decoded votes and proposals are RE-SIGNED with the key
 *         of their index (a fuzzer cannot forge BIP-340), so the script
 *         reaches the algorithm's rules instead of the signature check.
 *         A COMMIT starts the next height, as the node does.
 *   0xFC  outsider script: the same frames, NOT re-signed, as anyone who
 *         can reach a node sends them. Each vote and proposal goes through
 *         nt_cons_authenticate_* first: what it accepts must verify from
 *         its bytes alone (signature of the named validator, records and
 *         last commit bound to the signed header); what it refuses is fed
 *         to the engine anyway and must be neither kept (nt_cons_kept) nor
 *         answered with a signature.
 *   0xFD  seal round trip: u8 type || u8 sender || body is sealed with
 *         nt_peermsg_seal and must open to the same type, sender, body.
 *   1, 2  a single proposal or vote that decodes is re-signed and fed to a
 *         fresh engine.
 * The engine must not crash, leak or abort whatever it is fed. */
#include "core/block.h"
#include "core/commit.h"
#include "core/merkle.h"
#include "core/consensus.h"
#include "core/peermsg.h"
#include "crypto/digest.h"
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
	gen.vals.n = NKEYS;
	for (int i = 0; i < NKEYS; i++) {
		uint8_t secret[32];
		memset(secret, i + 1, sizeof secret);
		fz_check(nt_seckey_from_bytes(secret, &keys[i]) == NT_OK);
		nt_seckey_pubkey(keys[i], &gen.vals.keys[i]);
		snprintf(gen.vals.names[i], sizeof gen.vals.names[i], "fuzz %d", i);
	}
	nt_valset_hash(&gen.vals, &gen.validators_hash);
}

/* ---- the host of the engine ---- */

static nt_err host_propose(void *arg, uint64_t height, uint64_t now, nt_block **out)
{
	(void)arg;
	nt_block *b;
	nt_err e = nt_block_new(0, &b);
	if (e != NT_OK)
		return e;
	nt_header *h = &b->header;
	h->version = NT_HEADER_VERSION;
	strcpy(h->chain_id, gen.chain_id);
	h->height = height;
	h->time = now;
	h->validators_hash = gen.validators_hash;
	h->proposer = gen.vals.keys[0];
	*out = b;
	return NT_OK;
}

static bool host_valid(void *arg, const nt_block *b, const nt_commit *lc, uint64_t now)
{
	(void)arg;
	(void)lc;
	(void)now;
	/* Something a real host refuses, so both answers are exercised. */
	return b->header.record_count == b->count;
}

static nt_cons *engine_new(uint64_t now)
{
	nt_cons_config cfg;
	nt_cons_config_default(&cfg);
	nt_cons_host host = {.arg = NULL, .propose = host_propose, .valid = host_valid};
	nt_cons *e = NULL;
	fz_check(nt_cons_new(&gen, keys[0], &cfg, &host, &e) == NT_OK);
	nt_cons_actions acts;
	fz_check(nt_cons_start_height(e, 1, now, &acts) == NT_OK);
	return e;
}

/* After a decision the host appends the block and starts the next height. */
static void after(nt_cons *e, const nt_cons_actions *acts, uint64_t now)
{
	bool commit = false;
	for (size_t i = 0; i < acts->n; i++) {
		const nt_cons_action *a = &acts->v[i];
		if (a->type == NT_CONS_COMMIT) {
			fz_check(a->block != NULL && a->commit != NULL);
			fz_check(a->commit->count >= nt_valset_quorum(&gen.vals));
			commit = true;
		}
	}
	if (commit) {
		nt_cons_actions more;
		fz_check(nt_cons_start_height(e, nt_cons_height(e) + 1, now, &more) == NT_OK);
	}
}

static void feed_vote(nt_cons *e, nt_vote *v, uint64_t now)
{
	if (v->index < NKEYS) {
		nt_hash m;
		nt_vote_sighash(v->type, gen.chain_id, v->height, v->round, &v->block_hash,
				v->timestamp, &m);
		fz_check(nt_sign(keys[v->index], &m, &v->sig) == NT_OK);
	}
	nt_cons_actions acts;
	fz_ignore(nt_cons_on_vote(e, v, now, &acts));
	after(e, &acts, now);
}

/* Takes p->block and p->last_commit. */
static void feed_proposal(nt_cons *e, nt_proposal *p, uint64_t now)
{
	if (p->proposer < NKEYS) {
		nt_hash m;
		nt_proposal_sighash(gen.chain_id, p->height, p->round, p->valid_round,
				    &p->block_hash, &m);
		fz_check(nt_sign(keys[p->proposer], &m, &p->sig) == NT_OK);
	}
	nt_cons_actions acts;
	fz_ignore(nt_cons_on_proposal(e, p, now, &acts));
	fz_check(p->block == NULL && p->last_commit == NULL);
	after(e, &acts, now);
}

/* ---- outsiders ---- */

static bool signed_nothing(const nt_cons_actions *acts)
{
	for (size_t i = 0; i < acts->n; i++)
		if (acts->v[i].type == NT_CONS_PERSIST_SIGNED)
			return false;
	return true;
}

/* The message's bytes verify on their own, apart from the engine. */
static bool proposal_authentic(const nt_proposal *p)
{
	if (p->block == NULL || p->proposer >= NKEYS ||
	    p->block->count != p->block->header.record_count)
		return false;
	nt_hash x;
	nt_merkle_root(p->block->ids, p->block->count, &x);
	if (memcmp(x.b, p->block->header.records_root.b, NT_HASH_LEN) != 0)
		return false;
	if (nt_header_hash(&p->block->header, &x) != NT_OK ||
	    memcmp(x.b, p->block_hash.b, NT_HASH_LEN) != 0)
		return false;
	if (p->last_commit != NULL) {
		uint8_t buf[NT_COMMIT_MAX];
		size_t len;
		if (nt_commit_encode(p->last_commit, buf, sizeof buf, &len) != NT_OK)
			return false;
		nt_sha256(buf, len, &x);
		if (memcmp(x.b, p->block->header.last_commit_hash.b, NT_HASH_LEN) != 0)
			return false;
	}
	nt_proposal_sighash(gen.chain_id, p->height, p->round, p->valid_round, &p->block_hash, &x);
	return nt_verify(&gen.vals.keys[p->proposer], &x, &p->sig);
}

static void outsider_vote(nt_cons *e, const nt_vote *v, uint64_t now)
{
	nt_cons_actions acts;
	if (nt_cons_authenticate_vote(e, v) == NT_OK) {
		nt_hash m;
		nt_vote_sighash(v->type, gen.chain_id, v->height, v->round, &v->block_hash,
				v->timestamp, &m);
		fz_check(v->index < NKEYS && nt_verify(&gen.vals.keys[v->index], &m, &v->sig));
		fz_ignore(nt_cons_on_vote(e, v, now, &acts));
		after(e, &acts, now);
		return;
	}
	uint64_t kept = nt_cons_kept(e);
	fz_ignore(nt_cons_on_vote(e, v, now, &acts));
	fz_check(nt_cons_kept(e) == kept && signed_nothing(&acts));
}

/* Takes p->block and p->last_commit. */
static void outsider_proposal(nt_cons *e, nt_proposal *p, uint64_t now)
{
	nt_cons_actions acts;
	if (nt_cons_authenticate_proposal(e, p) == NT_OK) {
		fz_check(proposal_authentic(p));
		fz_ignore(nt_cons_on_proposal(e, p, now, &acts));
		after(e, &acts, now);
		return;
	}
	uint64_t kept = nt_cons_kept(e);
	fz_ignore(nt_cons_on_proposal(e, p, now, &acts));
	fz_check(nt_cons_kept(e) == kept && signed_nothing(&acts));
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void script(const uint8_t *data, size_t size, bool outsider)
{
	uint64_t now = gen.genesis_time + 1000;
	nt_cons *e = engine_new(now);
	size_t off = 0;
	unsigned steps = 0;
	/* Bounded so that one input costs at most a few hundred signatures. */
	while (size - off >= 2 && steps++ < 64) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len == 0 || len > size - off)
			break;
		const uint8_t *m = data + off;
		off += len;
		nt_vote v;
		nt_proposal p;
		nt_cons_actions acts;
		switch (m[0]) {
		case NT_PEERMSG_PROPOSAL:
			if (nt_peermsg_proposal_decode(m, len, &p, NULL) != NT_OK)
				break;
			if (outsider)
				outsider_proposal(e, &p, now);
			else
				feed_proposal(e, &p, now);
			break;
		case NT_PEERMSG_VOTE:
			if (nt_peermsg_vote_decode(m, len, &v, NULL) != NT_OK)
				break;
			if (outsider)
				outsider_vote(e, &v, now);
			else
				feed_vote(e, &v, now);
			break;
		case 3:
			if (len >= 6) {
				fz_ignore(nt_cons_on_timeout(e, nt_cons_height(e), be32(m + 2),
							     m[1], now, &acts));
				after(e, &acts, now);
			}
			break;
		case 4:
			if (len >= 5)
				now += be32(m + 1);
			break;
		default:
			break;
		}
	}
	/* FUZZ_VERBOSE=1 shows how far a seed gets (when writing seeds). */
	if (getenv("FUZZ_VERBOSE") != NULL) {
		const nt_cons_stats *st = nt_cons_stats_get(e);
		fprintf(stderr, "script: height %llu round %u step %u, dropped",
			(unsigned long long)nt_cons_height(e), nt_cons_round(e), nt_cons_step(e));
		for (int i = 0; i < NT_DROP__COUNT; i++)
			fprintf(stderr, " %llu", (unsigned long long)st->dropped[i]);
		fprintf(stderr, ", equivocations %llu\n", (unsigned long long)st->equivocations);
	}
	nt_cons_free(e);
}

static void seal_round_trip(const uint8_t *data, size_t size)
{
	if (size < 3)
		return;
	uint8_t type = data[1];
	uint16_t sender = data[2] % NKEYS;
	const uint8_t *body = data + 3;
	size_t body_len = size - 3;
	uint8_t *msg = NULL;
	size_t len = 0;
	nt_err e = nt_peermsg_seal(type, gen.chain_id, sender, keys[sender], body_len ? body : NULL,
				   body_len, &msg, &len);
	if (type == 0 || type == NT_PEERMSG_PROPOSAL || type == NT_PEERMSG_VOTE) {
		fz_check(e == NT_ERR_ARG);
		return;
	}
	if (body_len > NT_PEERMSG_MAX_BODY) {
		fz_check(e == NT_ERR_RANGE);
		return;
	}
	fz_check(e == NT_OK);
	uint8_t t2 = 0;
	uint16_t s2 = 0;
	const uint8_t *b2 = NULL;
	size_t bl2 = 0;
	nt_why why = {""};
	e = nt_peermsg_open(msg, len, gen.chain_id, &gen.vals, &t2, &s2, &b2, &bl2, &why);
	if (e != NT_OK)
		fprintf(stderr, "fuzz: sealed message does not open: %s\n", why.msg);
	fz_check(e == NT_OK && t2 == type && s2 == sender && bl2 == body_len);
	fz_check(body_len == 0 || memcmp(b2, body, body_len) == 0);
	/* Another chain's validators must not accept it. */
	e = nt_peermsg_open(msg, len, "other-net", &gen.vals, &t2, &s2, &b2, &bl2, &why);
	fz_check(e == NT_ERR_SIGNATURE);
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	nt_why why = {""};
	nt_vote v;
	nt_proposal p;
	bool have_vote = nt_peermsg_vote_decode(data, size, &v, &why) == NT_OK;
	if (have_vote) {
		uint8_t again[NT_PEERMSG_VOTE_LEN];
		nt_peermsg_vote_encode(&v, again);
		fz_check(size == NT_PEERMSG_VOTE_LEN && memcmp(again, data, size) == 0);
	}
	bool have_prop = nt_peermsg_proposal_decode(data, size, &p, &why) == NT_OK;
	if (have_prop) {
		uint8_t *again = NULL;
		size_t len = 0;
		fz_check(p.block != NULL && p.block->header.height == p.height);
		fz_check(nt_peermsg_proposal_encode(&p, &again, &len) == NT_OK);
		fz_check(len == size && memcmp(again, data, size) == 0);
		free(again);
	}
	uint8_t type;
	uint16_t sender;
	const uint8_t *body;
	size_t body_len;
	if (nt_peermsg_open(data, size, gen.chain_id, &gen.vals, &type, &sender, &body, &body_len,
			    &why) == NT_OK)
		fz_check(body >= data && body + body_len <= data + size);

	uint64_t now = gen.genesis_time + 1000;
	if (have_vote) {
		nt_cons *e = engine_new(now);
		feed_vote(e, &v, now);
		nt_cons_free(e);
	}
	if (have_prop) {
		nt_cons *e = engine_new(now);
		feed_proposal(e, &p, now);
		nt_cons_free(e);
	}
	if (size > 0 && (data[0] == 0xFE || data[0] == 0xFC))
		script(data + 1, size - 1, data[0] == 0xFC);
	else if (size > 0 && data[0] == 0xFD)
		seal_round_trip(data, size);
	return 0;
}
