/* Genesis file: the trust anchor (FORMATS.md "Genesis file", and version 2's
 * "Genesis file and chain identity"). */
#ifndef NT_GENESIS_H
#define NT_GENESIS_H

#include "base/err.h"
#include "core/header.h"
#include "core/valset.h"

#define NT_GENESIS_FORMAT_2 "notary-genesis/2"
/* genesis_bytes = u8 2 || str8 chain_id || u64 genesis_time || valset_bytes */
#define NT_GENESIS_BYTES_MAX (1 + 1 + NT_CHAIN_ID_MAX + 8 + NT_VALSET_BYTES_MAX)
/* "3f2a9c1e-77b0d4e2-9a1c5f03-be6d2a71": 32 hex digits and 3 dashes */
#define NT_FINGERPRINT_LEN 35

typedef struct {
	char chain_id[NT_CHAIN_ID_MAX + 1];
	uint64_t genesis_time; /* ms since the epoch */
	nt_valset vals;
	/* Version 1: nt_valset_hash(&vals); version 2: H(valset_bytes).
	 * Filled by parse (and by nt_genesis_seal). */
	nt_hash validators_hash;
	/* Added by version 2. A zero-filled struct is a version 1 genesis, so
	 * code written for version 1 keeps working unchanged. */
	uint8_t version;      /* 0 or 1: version 1 (no "format" member); 2: notary-genesis/2 */
	nt_hash genesis_hash; /* version 2: TH("notary/genesis", genesis_bytes); else zeros */
} nt_genesis;

/* True if g is a version 2 genesis. */
bool nt_genesis_is_v2(const nt_genesis *g);

/* A genesis file lists at most 128 validators; anything near this size is
 * not one. */
#define NT_GENESIS_TEXT_MAX (1024 * 1024)

/* Parses genesis JSON text of at most NT_GENESIS_TEXT_MAX bytes. Checks
 * chain_id, the time format (YYYY-MM-DDTHH:MM:SS.sssZ),
 * 1..NT_MAX_VALIDATORS validators each with a valid x-only pubkey, no
 * duplicate keys. A "format" member selects the version: absent or
 * "notary-genesis/1" is version 1 (names optional, at most 64 bytes);
 * "notary-genesis/2" is version 2 (every name a str8u: 1..255 bytes of
 * UTF-8, no control characters), with validators_hash and genesis_hash
 * computed; any other value is refused. */
nt_err nt_genesis_parse(const char *json, size_t len, nt_genesis *out, nt_why *why) NT_MUST_CHECK;
/* core/ reads no files: nt_genesis_load (node/genesis_file.h) reads one. */

/* Serialises g as pretty JSON; *out is malloc'd, caller frees. A version 2
 * genesis gets "format": "notary-genesis/2" first and all of its names. */
nt_err nt_genesis_to_json(const nt_genesis *g, char **out) NT_MUST_CHECK;

/* Version 2 genesis_bytes of g (whatever g->version says):
 * u8 2 || str8 chain_id || u64 genesis_time || valset_bytes.
 * NT_ERR_RANGE if a field is invalid or cap too small
 * (NT_GENESIS_BYTES_MAX is always enough). */
nt_err nt_genesis_encode(const nt_genesis *g, uint8_t *out, size_t cap, size_t *len) NT_MUST_CHECK;

/* genesis_hash = TH("notary/genesis", genesis_bytes). */
nt_err nt_genesis_hash(const nt_genesis *g, nt_hash *out) NT_MUST_CHECK;

/* Fills g->validators_hash (and for version 2 g->genesis_hash) from the
 * other fields, for a genesis built in code (notary init, testnet). */
nt_err nt_genesis_seal(nt_genesis *g) NT_MUST_CHECK;

/* The fingerprint people compare: the first 16 bytes of genesis_hash in
 * lower-case hex, four groups of 8 digits joined by '-'. out gets
 * NT_FINGERPRINT_LEN characters and a NUL. */
void nt_genesis_fingerprint(const nt_hash *genesis_hash, char out[NT_FINGERPRINT_LEN + 1]);

/* "2026-11-29T16:00:00.123Z" <-> ms since the epoch (UTC). buf >= 25 bytes. */
void nt_time_format(uint64_t ms, char buf[32]);
nt_err nt_time_parse(const char *s, uint64_t *ms) NT_MUST_CHECK;

#endif
