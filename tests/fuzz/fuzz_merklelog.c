/* Fuzz target: nt_merkle_log_decode, the decoder of the incremental log
 * stored with the chain tip (core/ledger.c reads it back from the database
 * at every open, so its bytes are whatever the disk holds).
 *
 * Properties: a refusal is NT_ERR_DECODE and leaves the output untouched
 * (the API has no why); an accepted log encodes back to exactly the input,
 * keeps the peaks of cleared bits zero, and after appending a leaf its
 * encoding decodes to the same log with size + 1, the same root, the new
 * leaf's carry chain folded into one peak and every higher peak unchanged.
 *
 * Decode refuses size 2^64 - 1 (a full log, on which append would assert):
 * every accepted log can take one more leaf, which is checked below. */
#include "core/merkle.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nt_merkle_log log, back, sentinel;
	static uint8_t out[NT_MERKLE_LOG_MAX];
	memset(&sentinel, 0xA5, sizeof sentinel);
	log = sentinel;
	nt_err e = nt_merkle_log_decode(data, size, &log);
	if (e != NT_OK) {
		fz_check(e == NT_ERR_DECODE);
		fz_check(memcmp(&log, &sentinel, sizeof log) == 0);
		return 0;
	}
	fz_check(size >= 8 && size <= NT_MERKLE_LOG_MAX);
	for (unsigned i = 0; i < 64; i++) {
		if (!(log.size & ((uint64_t)1 << i))) {
			static const nt_hash zero;
			fz_check(memcmp(log.peaks[i].b, zero.b, NT_HASH_LEN) == 0);
		}
	}
	size_t len = 0;
	fz_check(nt_merkle_log_encode(&log, out, sizeof out, &len) == NT_OK);
	fz_check(len == size && memcmp(out, data, size) == 0);
	/* One byte short of the encoding is refused, not truncated. */
	fz_check(nt_merkle_log_encode(&log, out, size - 1, &len) == NT_ERR_RANGE);

	nt_hash root, root2;
	nt_merkle_log_root(&log, &root);
	fz_check(log.size != UINT64_MAX);

	nt_hash leaf;
	nt_merkle_leaf_hash(data, size, &leaf);
	nt_merkle_log grown = log;
	nt_merkle_log_append(&grown, &leaf);
	fz_check(grown.size == log.size + 1);
	/* The carry stops at the lowest clear bit c of the old size: bits
	 * below it are cleared, bit c gets the merged peak, the rest stay. */
	unsigned c = (unsigned)__builtin_ctzll(~log.size);
	for (unsigned i = 0; i < 64; i++) {
		static const nt_hash zero;
		if (i > c)
			fz_check(memcmp(&grown.peaks[i], &log.peaks[i], NT_HASH_LEN) == 0);
		else if (i < c)
			fz_check(memcmp(&grown.peaks[i], &zero, NT_HASH_LEN) == 0);
	}
	if (c == 0)
		fz_check(memcmp(&grown.peaks[0], &leaf, NT_HASH_LEN) == 0);
	nt_merkle_log_root(&grown, &root);
	fz_check(nt_merkle_log_encode(&grown, out, sizeof out, &len) == NT_OK);
	fz_check(len == 8 + (size_t)__builtin_popcountll(grown.size) * NT_HASH_LEN);
	if (grown.size == UINT64_MAX) {
		/* now full: its encoding is refused (see the top) */
		fz_check(nt_merkle_log_decode(out, len, &back) == NT_ERR_DECODE);
	} else {
		fz_check(nt_merkle_log_decode(out, len, &back) == NT_OK);
		fz_check(memcmp(&back, &grown, sizeof back) == 0);
		nt_merkle_log_root(&back, &root2);
		fz_check(memcmp(&root, &root2, sizeof root) == 0);
	}
	/* A lone leaf appended to an empty log is its own root (RFC 9162). */
	if (log.size == 0)
		fz_check(memcmp(&root, &leaf, sizeof root) == 0);
	return 0;
}
