/* Fuzz target: nt_header_decode (headers arrive in receipts, blocks and
 * proposals), version 1 or 2. A header that decodes must encode back to its input and its
 * chain_id must pass nt_chain_id_valid. */
#include "core/header.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nt_header h;
	nt_why why = {""};
	nt_err e = nt_header_decode(data, size, &h, &why);
	if (e != NT_OK) {
		/* Every refusal says why (except running out of memory). */
		fz_check(e == NT_ERR_NOMEM || why.msg[0] != '\0');
		return 0;
	}
	uint8_t out[NT_HEADER_MAX];
	size_t len = 0;
	fz_check(nt_header_encode(&h, out, sizeof out, &len) == NT_OK);
	fz_check(len == size && memcmp(out, data, size) == 0);
	fz_check(nt_chain_id_valid(h.chain_id));
	fz_check((h.version == NT_HEADER_VERSION || h.version == NT_HEADER_VERSION_2) && h.height >= 1);
	nt_hash hash;
	fz_check(nt_header_hash(&h, &hash) == NT_OK);
	return 0;
}
