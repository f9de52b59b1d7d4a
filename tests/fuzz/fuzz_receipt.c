/* Fuzz target: nt_receipt_parse (receipt JSON is what a judge's clerk feeds
 * to notary verify, from anywhere) and, when it parses, nt_receipt_verify
 * against the genesis of tests/vectors/receipt-v1 (a version 2 receipt:
 * receipt-v2's), once without a file and once with the record's own digest
 * as the file's. */
#include "core/receipt.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nt_receipt *r = NULL;
	nt_why why = {""};
	/* The input is not NUL-terminated: the parser must honour len. */
	nt_err e = nt_receipt_parse((const char *)data, size, &r, &why);
	if (e != NT_OK) {
		fz_check(e == NT_ERR_NOMEM || why.msg[0] != '\0');
		fz_check(r == NULL);
		return 0;
	}
	fz_check(r != NULL);
	fz_check(r->record_len <= sizeof r->record_bytes);
	fz_check(r->header_len <= sizeof r->header_bytes);
	fz_check(r->commit_len <= sizeof r->commit_bytes);
	fz_check(r->proof_len <= NT_MERKLE_PROOF_MAX);
	fz_check(r->change_count <= NT_RECEIPT_CHANGES_MAX);
	for (size_t i = 0; i < r->change_count; i++)
		fz_check(r->changes[i].header_len <= sizeof r->changes[i].header_bytes &&
			 r->changes[i].next_validators_len <= NT_VALSET_BYTES_MAX);
	const nt_genesis *g = r->format == 2 ? fz_vector_genesis_v2() : fz_vector_genesis();

	why.msg[0] = '\0';
	e = nt_receipt_verify(r, g, NULL, 0, &why);
	fz_check(e == NT_OK || why.msg[0] != '\0');
	why.msg[0] = '\0';
	e = nt_receipt_verify(r, g, r->record.digest, r->record.digest_len, &why);
	fz_check(e == NT_OK || why.msg[0] != '\0');
	free(r);
	return 0;
}
