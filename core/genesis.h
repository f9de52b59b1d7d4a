/* Genesis file: the trust anchor (FORMATS.md "Genesis file"). */
#ifndef NT_GENESIS_H
#define NT_GENESIS_H

#include "base/err.h"
#include "core/header.h"
#include "core/valset.h"

typedef struct {
	char chain_id[NT_CHAIN_ID_MAX + 1];
	uint64_t genesis_time; /* ms since the epoch */
	nt_valset vals;
	nt_hash validators_hash; /* nt_valset_hash(&vals), filled by parse */
} nt_genesis;

/* A genesis file lists at most 128 validators; anything near this size is
 * not one. */
#define NT_GENESIS_TEXT_MAX (1024 * 1024)

/* Parses genesis JSON text of at most NT_GENESIS_TEXT_MAX bytes. Checks
 * chain_id, the time format (YYYY-MM-DDTHH:MM:SS.sssZ),
 * 1..NT_MAX_VALIDATORS validators each with a valid x-only pubkey, no
 * duplicate keys. */
nt_err nt_genesis_parse(const char *json, size_t len, nt_genesis *out, nt_why *why) NT_MUST_CHECK;
/* core/ reads no files: nt_genesis_load (node/genesis_file.h) reads one. */

/* Serialises g as pretty JSON; *out is malloc'd, caller frees. */
nt_err nt_genesis_to_json(const nt_genesis *g, char **out) NT_MUST_CHECK;

/* "2026-11-29T16:00:00.123Z" <-> ms since the epoch (UTC). buf >= 25 bytes. */
void nt_time_format(uint64_t ms, char buf[32]);
nt_err nt_time_parse(const char *s, uint64_t *ms) NT_MUST_CHECK;

#endif
