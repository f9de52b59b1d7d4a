/* Fuzz target: nt_commit_decode, then nt_commit_time and nt_commit_verify
 * against the vector genesis (commits arrive in receipts, proposals and
 * block sync). A commit that decodes must encode back to its input. */
#include "core/commit.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const nt_genesis *g = fz_vector_genesis();
	static nt_commit c; /* 9 KiB: off the stack */
	static uint8_t out[NT_COMMIT_MAX];
	nt_why why = {""};
	nt_err e = nt_commit_decode(data, size, &c, &why);
	if (e != NT_OK) {
		/* Every refusal says why (except running out of memory). */
		fz_check(e == NT_ERR_NOMEM || why.msg[0] != '\0');
		return 0;
	}
	fz_check(c.count <= NT_MAX_VALIDATORS);
	size_t len = 0;
	fz_check(nt_commit_encode(&c, out, sizeof out, &len) == NT_OK);
	fz_check(len == size && memcmp(out, data, size) == 0);

	uint64_t t = nt_commit_time(&c);
	if (c.count == 0) {
		fz_check(t == 0);
	} else {
		/* The median is one of the timestamps. */
		int found = 0;
		for (unsigned i = 0; i < c.count; i++)
			found |= c.sigs[i].timestamp == t;
		fz_check(found);
	}
	why.msg[0] = '\0';
	if (nt_commit_verify(&c, g->chain_id, &g->vals, &why) != NT_OK)
		fz_check(why.msg[0] != '\0');
	return 0;
}
