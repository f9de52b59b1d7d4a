/* Peer messages on the wire: proposals, votes, and a signed envelope.
 *
 * Every message is one envelope:
 *   u8 type || payload
 * Types 1 (PROPOSAL) and 2 (VOTE) carry a consensus message whose own
 * signature (nt_proposal_sighash / nt_vote_sighash, core/consensus.h)
 * already authenticates it, so their envelope adds nothing:
 *   PROPOSAL payload: u64 height || u32 round || u32 valid_round (0xffffffff
 *                     = -1) || u16 proposer || 64 sig || u16 commit_len ||
 *                     commit bytes (nt_commit_encode of the last commit;
 *                     commit_len 0: none) || u32 block_len || block bytes
 *                     (nt_block_encode)
 *   VOTE payload:     u8 vote_type || u16 index || u64 height || u32 round ||
 *                     32 block_hash || u64 timestamp || 64 sig   (123 bytes)
 * Every other type (block requests, status, ... defined by node/ later) is
 * signed by the sending validator over the whole message:
 *   u8 type || u16 sender || u32 body_len || body || 64 sig
 *   sig = BIP-340 by vals[sender] over
 *         TH("notary/peer", str8 chain_id || u8 type || u16 sender ||
 *            u32 body_len || body)
 * so unsigned garbage and messages from unknown keys are dropped before
 * anything else looks at them.
 *
 * Decoders are strict: exact sizes, no trailing bytes, block_len and
 * body_len bounded, validator indexes checked against n where the decoder
 * knows n. They never allocate more than the declared (bounded) size. */
#ifndef NT_PEERMSG_H
#define NT_PEERMSG_H

#include "base/err.h"
#include "core/consensus.h"
#include "core/valset.h"
#include "crypto/keys.h"

enum { NT_PEERMSG_PROPOSAL = 1, NT_PEERMSG_VOTE = 2 };

#define NT_PEERMSG_VOTE_LEN (1 + 1 + 2 + 8 + 4 + 32 + 8 + 64)
#define NT_PEERMSG_PROPOSAL_FIXED (1 + 8 + 4 + 4 + 2 + 64 + 2 + 4)
#define NT_PEERMSG_MAX_BODY (1u * 1024 * 1024)
#define NT_PEERMSG_SIGNED_FIXED (1 + 2 + 4 + 64)
/* The largest message of any type. */
#define NT_PEERMSG_MAX (NT_PEERMSG_PROPOSAL_FIXED + NT_COMMIT_MAX + NT_BLOCK_MAX_BYTES)

/* Type of a message (its first byte); 0 if empty. */
uint8_t nt_peermsg_type(const uint8_t *buf, size_t len);

/* Fixed-size vote message into out (NT_PEERMSG_VOTE_LEN bytes). */
void nt_peermsg_vote_encode(const nt_vote *v, uint8_t out[NT_PEERMSG_VOTE_LEN]);
/* Structural decode; the signature is checked by the engine. */
nt_err nt_peermsg_vote_decode(const uint8_t *buf, size_t len, nt_vote *out,
			      nt_why *why) NT_MUST_CHECK;

/* *out is malloc'd, caller frees. p->block must be set. */
nt_err nt_peermsg_proposal_encode(const nt_proposal *p, uint8_t **out, size_t *len) NT_MUST_CHECK;
/* On NT_OK out->block (and out->last_commit, if the message has one) are
 * malloc'd and the caller's (hand them to nt_cons_on_proposal), and
 * out->block_hash is computed from the header. */
nt_err nt_peermsg_proposal_decode(const uint8_t *buf, size_t len, nt_proposal *out,
				  nt_why *why) NT_MUST_CHECK;

/* A signed message of another type (type must not be 1 or 2, and not 0).
 * *out is malloc'd, caller frees. NT_ERR_RANGE if body_len is too large. */
nt_err nt_peermsg_seal(uint8_t type, const char *chain_id, uint16_t sender, const nt_seckey *key,
		       const uint8_t *body, size_t body_len, uint8_t **out,
		       size_t *len) NT_MUST_CHECK;
/* Checks a signed message against the validator set: sizes, sender < n, the
 * signature. On NT_OK *body points INTO buf (no copy). */
nt_err nt_peermsg_open(const uint8_t *buf, size_t len, const char *chain_id, const nt_valset *vs,
		       uint8_t *type, uint16_t *sender, const uint8_t **body, size_t *body_len,
		       nt_why *why) NT_MUST_CHECK;

/* The sender index of a signed message (unchecked), or -1 if too short:
 * lets a caller find the key of the sender's set before opening it. */
int nt_peermsg_sender(const uint8_t *buf, size_t len);
/* nt_peermsg_open with the sender's key given (the caller looked it up by
 * nt_peermsg_sender in the set it trusts). */
nt_err nt_peermsg_open_as(const uint8_t *buf, size_t len, const char *chain_id,
			  const nt_pubkey *key, uint8_t *type, uint16_t *sender,
			  const uint8_t **body, size_t *body_len, nt_why *why) NT_MUST_CHECK;

#endif
