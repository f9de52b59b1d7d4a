/* Private to core/ledger*.c: the ledger object, key builders for the layout
 * documented in core/ledger.h, and helpers shared by the query and audit
 * files. Nothing outside the ledger includes this. */
#ifndef NT_LEDGER_INTERNAL_H
#define NT_LEDGER_INTERNAL_H

#include "base/codec.h"
#include "core/block.h"
#include "core/ledger.h"
#include "core/receipt.h"
#include "core/valset.h"
#include "crypto/digest.h"

struct nt_ledger {
	nt_kv *kv; /* not owned */
	nt_genesis g;
	uint64_t height;
	nt_header tip;		 /* valid when height > 0 */
	nt_hash tip_hash;	 /* zeros at height 0 */
	nt_hash tip_commit_hash; /* H(commit bytes of the tip), next last_commit_hash */
	nt_merkle_log log;	 /* every record id through the tip */
	bool unsynced;		 /* appended without fsync since the last synced write */
	/* Validator sets (version 2 chains change them; a version 1 chain
	 * keeps the genesis set): cur commits height + 1, tipset committed
	 * the tip (the set a last commit of the tip verifies against). Their
	 * hashes are those headers carry (v1 or v2 hash, per the genesis). */
	nt_valset cur;
	nt_hash cur_hash;
	nt_valset tipset;
	uint64_t nchanges; /* change blocks at or below the tip */
};

/* Key prefixes (one byte each). */
#define NTL_TIP 'T'
#define NTL_HEADER 'h'
#define NTL_COMMIT 'c'
#define NTL_RECORD 'r'
#define NTL_INDEX 'i'
#define NTL_DIGEST 'd'
#define NTL_LOG 'l'
/* 'm' u64 height -> every level of the block's records tree (merkle.h
 * layout, leaves first), so that one receipt reads its proof instead of
 * loading and hashing the whole block. Absent in stores written before
 * it existed and for empty blocks; readers then fall back to the block. */
#define NTL_TREE 'm'
/* 'v' u64 height -> the change section of a version 2 change block
 * (core/block.h: u32 len || valset_bytes || u16 n || approvals). */
#define NTL_VALSET 'v'

#define NTL_KEY_U64_LEN 9  /* tag u64 */
#define NTL_KEY_REC_LEN 13 /* 'r' u64 height u32 index */
#define NTL_KEY_ID_LEN 33  /* 'i' record_id */
#define NTL_KEY_DIGEST_MAX (3 + 64 + 32)
#define NTL_LOCATION_LEN 12 /* u64 height u32 index */
#define NTL_TIP_MAX (8 + 32 + NT_MERKLE_LOG_MAX)

static inline void ntl_key_u64(uint8_t out[NTL_KEY_U64_LEN], uint8_t tag, uint64_t v)
{
	nt_writer w;
	nt_writer_init(&w, out, NTL_KEY_U64_LEN);
	nt_put_u8(&w, tag);
	nt_put_u64(&w, v);
}

static inline void ntl_key_rec(uint8_t out[NTL_KEY_REC_LEN], uint64_t height, uint32_t index)
{
	nt_writer w;
	nt_writer_init(&w, out, NTL_KEY_REC_LEN);
	nt_put_u8(&w, NTL_RECORD);
	nt_put_u64(&w, height);
	nt_put_u32(&w, index);
}

static inline void ntl_key_id(uint8_t out[NTL_KEY_ID_LEN], const nt_hash *id)
{
	out[0] = NTL_INDEX;
	for (int i = 0; i < NT_HASH_LEN; i++)
		out[1 + i] = id->b[i];
}

/* "d" alg len digest [record_id]; id NULL builds the scan prefix. dlen must
 * be at most 64. Returns the key length. */
static inline size_t ntl_key_digest(uint8_t out[NTL_KEY_DIGEST_MAX], uint8_t alg,
				    const uint8_t *digest, uint8_t dlen, const nt_hash *id)
{
	nt_writer w;
	nt_writer_init(&w, out, NTL_KEY_DIGEST_MAX);
	nt_put_u8(&w, NTL_DIGEST);
	nt_put_u8(&w, alg);
	nt_put_u8(&w, dlen);
	nt_put_bytes(&w, digest, dlen);
	if (id != NULL)
		nt_put_bytes(&w, id->b, NT_HASH_LEN);
	return w.len;
}

static inline bool ntl_hash_eq(const nt_hash *a, const nt_hash *b)
{
	int d = 0;
	for (int i = 0; i < NT_HASH_LEN; i++)
		d |= a->b[i] ^ b->b[i];
	return d == 0;
}

/* The records stored at one height, in index order. */
typedef struct {
	uint32_t n;
	uint8_t **recs;
	size_t *lens;
	nt_hash *ids;
} ntl_recs;

void ntl_recs_free(ntl_recs *r);

/* Loads the "r" entries of height. NT_ERR_CORRUPT (why says what) if a key
 * is malformed or the indexes are not 0, 1, 2, ... */
nt_err ntl_load_records(nt_kv *kv, uint64_t height, ntl_recs *out, nt_why *why);

/* Reads and decodes the header / commit stored at height. NT_ERR_NOT_FOUND
 * if absent, NT_ERR_CORRUPT if it does not decode. raw/raw_len (may be
 * NULL) receive the encoded bytes. */
/* A header's identity against the genesis (FORMATS.md, "Block header"
 * and "Block header, version 2"): the version the genesis implies (1 for
 * a version 1 genesis, 2 for notary-genesis/2), the chain_id, the
 * validators_hash (vhash: that of the set that commits the block), and in
 * version 2 the genesis_hash.
 * NT_ERR_CHAIN (NT_ERR_DECODE for a version mismatch) with the reason. */
nt_err ntl_check_identity(const nt_genesis *g, const nt_header *h, const nt_hash *vhash,
			  nt_why *why);

/* The change section of b against the set s that commits it
 * (FORMATS.md "Changing the validator set"): none unless the header is a
 * change block; otherwise valset_bytes decode strictly into *next and hash
 * to next_validators_hash, and at least quorum(s) distinct validators of
 * s approve change change_index with valid signatures. */
nt_err ntl_check_change(const nt_genesis *g, const nt_valset *s, uint64_t change_index,
			const nt_block *b, nt_valset *next, nt_why *why);

/* The stored set changes at heights <= upto, in height order. */
typedef struct {
	size_t n, cap;
	uint64_t *heights;
	nt_valset **sets; /* the new set of each */
} ntl_changes;
nt_err ntl_load_changes(nt_kv *kv, uint64_t upto, ntl_changes *out, nt_why *why);
void ntl_changes_free(ntl_changes *c);
/* The receipt members every record of the block (h, c) shares, as of
 * reader r: in version 2 with the chain's set changes below h's height
 * and the set that commits it as "validators". */
nt_err ntl_receipt_block(const nt_ledger_reader *r, const nt_header *h, const nt_commit *c,
			 nt_receipt_block **out);
/* The header hash of a set for chain g (v1 or v2 hash). */
nt_err ntl_set_hash(const nt_genesis *g, const nt_valset *s, nt_hash *out);
/* The header version a chain of genesis g writes. */
uint8_t ntl_header_version(const nt_genesis *g);

nt_err ntl_load_header(nt_kv *kv, uint64_t height, nt_header *out, uint8_t *raw, size_t *raw_len,
		       nt_why *why);
nt_err ntl_load_commit(nt_kv *kv, uint64_t height, nt_commit *out, uint8_t *raw, size_t *raw_len,
		       nt_why *why);

/* Decodes a "T" value. */
nt_err ntl_decode_tip(const uint8_t *v, size_t vl, uint64_t *height, nt_hash *hash,
		      nt_merkle_log *log);

#endif
