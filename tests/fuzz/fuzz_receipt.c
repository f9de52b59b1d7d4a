/* Fuzz target: nt_receipt_parse (receipt JSON is what a judge's clerk feeds
 * to notary verify, from anywhere) and, when it parses, nt_receipt_verify
 * against the genesis of tests/vectors/receipt-v1, once without a file and
 * once with the record's own digest as the file's. */
#include "core/receipt.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const nt_genesis *g = fz_vector_genesis();
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

	why.msg[0] = '\0';
	e = nt_receipt_verify(r, g, NULL, 0, &why);
	fz_check(e == NT_OK || why.msg[0] != '\0');
	why.msg[0] = '\0';
	e = nt_receipt_verify(r, g, r->record.digest, r->record.digest_len, &why);
	fz_check(e == NT_OK || why.msg[0] != '\0');
	free(r);
	return 0;
}
