/* Block production for a one-validator network: the proposer's own
 * precommit is the whole quorum (floor(2*1/3) + 1 == 1). */
#include "tests/solo.h"

#include <string.h>

/* The caller hands over records it already verified. */
static bool all_verified(void *arg, const nt_hash *id)
{
	(void)arg, (void)id;
	return true;
}

nt_err nt_solo_produce(const nt_ledger *l, const nt_seckey *key, const uint8_t *const *recs,
		       const size_t *lens, uint32_t n, uint64_t now, nt_block **block,
		       nt_commit *commit, nt_why *why)
{
	if (l == NULL || key == NULL || block == NULL || commit == NULL)
		return nt_fail(why, NT_ERR_ARG,
			       "solo production needs a ledger, a key and outputs");
	const nt_genesis *g = nt_ledger_genesis(l);
	nt_pubkey pk;
	nt_seckey_pubkey(key, &pk);
	if (g->vals.n != 1)
		return nt_fail(
		    why, NT_ERR_ARG,
		    "solo block production needs exactly 1 validator, the genesis lists %u",
		    (unsigned)g->vals.n);
	if (memcmp(g->vals.keys[0].b, pk.b, NT_PUBKEY_LEN) != 0)
		return nt_fail(why, NT_ERR_ARG, "this key is not the chain's validator");

	const nt_header *tip = nt_ledger_tip(l);
	uint64_t time = now;
	if (tip != NULL && time <= tip->time)
		time = tip->time + 1;
	nt_block *b = NULL;
	nt_err e = nt_ledger_propose(l, recs, lens, n, time, &pk, &b);
	if (e != NT_OK)
		return nt_fail(why, e, "cannot build block %llu: %s",
			       (unsigned long long)nt_ledger_height(l) + 1, nt_strerror(e));

	/* Re-check the chain rules (a record already in the ledger, a record
	 * that does not decode) so a bad batch fails here, not at append. */
	e = nt_ledger_check_block(l, b, NULL, 0, 0, all_verified, NULL, why);
	if (e != NT_OK) {
		nt_block_free(b);
		return e;
	}
	nt_hash bh, msg;
	e = nt_header_hash(&b->header, &bh);
	if (e == NT_OK) {
		nt_vote_sighash(NT_VOTE_PRECOMMIT, g->chain_id, b->header.height, 0, &bh, time,
				&msg);
		nt_sig sig;
		e = nt_sign(key, &msg, &sig);
		if (e == NT_OK) {
			memset(commit, 0, sizeof *commit);
			commit->height = b->header.height;
			commit->round = 0;
			commit->block_hash = bh;
			commit->count = 1;
			commit->sigs[0].index = 0;
			commit->sigs[0].timestamp = time;
			commit->sigs[0].sig = sig;
		}
	}
	if (e != NT_OK) {
		nt_block_free(b);
		return nt_fail(why, e, "cannot sign block %llu: %s",
			       (unsigned long long)nt_ledger_height(l) + 1, nt_strerror(e));
	}
	*block = b;
	return NT_OK;
}
