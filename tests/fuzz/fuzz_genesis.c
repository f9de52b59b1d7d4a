/* Fuzz target: nt_genesis_parse (a genesis file is handed over by a court
 * or downloaded; the verifier trusts its keys but must not trust its bytes)
 * and nt_time_parse. A genesis that parses must survive nt_genesis_to_json
 * and parse back to the same chain, time and validators. */
#include "core/genesis.h"
#include "crypto/keys.h"
#include "tests/fuzz/fuzz.h"

static void check_time(const uint8_t *data, size_t size)
{
	char s[64];
	if (size >= sizeof s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	uint64_t ms = 0, again = 0;
	if (nt_time_parse(s, &ms) != NT_OK)
		return;
	char buf[32];
	nt_time_format(ms, buf);
	fz_check(nt_time_parse(buf, &again) == NT_OK && again == ms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static nt_genesis g, g2; /* ~37 KiB each: off the stack */
	nt_why why = {""};
	check_time(data, size);
	nt_err e = nt_genesis_parse((const char *)data, size, &g, &why);
	if (e != NT_OK) {
		fz_check(e == NT_ERR_NOMEM || why.msg[0] != '\0');
		return 0;
	}
	fz_check(nt_chain_id_valid(g.chain_id));
	fz_check(g.vals.n >= 1 && g.vals.n <= NT_MAX_VALIDATORS);
	nt_hash vh, gh;
	if (nt_genesis_is_v2(&g)) {
		/* version 2: H(valset_bytes), and the genesis_hash of genesis_bytes */
		fz_check(nt_valset_hash_v2(&g.vals, &vh) == NT_OK);
		fz_check(nt_genesis_hash(&g, &gh) == NT_OK);
		fz_check(memcmp(gh.b, g.genesis_hash.b, NT_HASH_LEN) == 0);
	} else {
		nt_valset_hash(&g.vals, &vh);
	}
	fz_check(memcmp(vh.b, g.validators_hash.b, NT_HASH_LEN) == 0);
	for (unsigned i = 0; i < g.vals.n; i++) {
		fz_check(nt_pubkey_valid(&g.vals.keys[i]));
		fz_check(nt_valset_index(&g.vals, &g.vals.keys[i]) == (int)i);
	}

	char *json = NULL;
	if (nt_genesis_to_json(&g, &json) != NT_OK)
		return 0; /* only NOMEM */
	e = nt_genesis_parse(json, strlen(json), &g2, &why);
	if (e != NT_OK)
		fprintf(stderr, "fuzz: re-parse failed: %s\n%s\n", why.msg, json);
	fz_check(e == NT_OK);
	free(json);
	fz_check(strcmp(g.chain_id, g2.chain_id) == 0);
	fz_check(g.genesis_time == g2.genesis_time);
	fz_check(g.vals.n == g2.vals.n);
	fz_check(nt_genesis_is_v2(&g) == nt_genesis_is_v2(&g2));
	fz_check(memcmp(g.genesis_hash.b, g2.genesis_hash.b, NT_HASH_LEN) == 0);
	for (unsigned i = 0; i < g.vals.n; i++) {
		fz_check(memcmp(g.vals.keys[i].b, g2.vals.keys[i].b, NT_PUBKEY_LEN) == 0);
		fz_check(strcmp(g.vals.names[i], g2.vals.names[i]) == 0);
	}
	return 0;
}
