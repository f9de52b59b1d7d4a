/* Fuzz target: nt_block_decode (blocks come from peers in proposals and
 * block sync). A block that decodes must encode back to its input, and its
 * record ids must be the leaf hashes of its records. */
#include "core/block.h"
#include "core/record.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nt_block *b = NULL;
	nt_why why = {""};
	nt_err e = nt_block_decode(data, size, &b, &why);
	if (e != NT_OK) {
		/* Every refusal says why (except running out of memory). */
		fz_check(e == NT_ERR_NOMEM || why.msg[0] != '\0');
		fz_check(b == NULL);
		return 0;
	}
	fz_check(b != NULL && b->count <= NT_BLOCK_MAX_RECORDS);
	for (uint32_t i = 0; i < b->count; i++) {
		nt_hash id;
		fz_check(b->recs[i] != NULL || b->lens[i] == 0);
		nt_record_id(b->recs[i], b->lens[i], &id);
		fz_check(memcmp(id.b, b->ids[i].b, NT_HASH_LEN) == 0);
	}
	uint8_t *out = NULL;
	size_t len = 0;
	fz_check(nt_block_encode(b, &out, &len) == NT_OK);
	fz_check(len == size && memcmp(out, data, size) == 0);
	free(out);
	nt_block_free(b);
	return 0;
}
