/* Fuzz target: nt_record_decode, the decoder of every record a client
 * submits and a peer's block carries. A record that decodes must encode back
 * to exactly its input (the decoder is strict, so each record has one
 * encoding and record_id names it), and hashing and verifying it must not
 * crash. */
#include "core/record.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Static: nt_record is about 4 KiB, and keeping it off the stack keeps
	 * ASan's stack frames small. Nothing carries over between inputs:
	 * decode overwrites it or leaves it alone, and we only read it after
	 * NT_OK. */
	static nt_record rec;
	static uint8_t out[NT_RECORD_MAX];
	nt_why why = {""};
	nt_err e = nt_record_decode(data, size, &rec, &why);
	if (e != NT_OK) {
		/* Every refusal says why (except running out of memory). */
		fz_check(e == NT_ERR_NOMEM || why.msg[0] != '\0');
		return 0;
	}
	fz_check(size <= NT_RECORD_MAX);
	size_t len = 0;
	fz_check(nt_record_encode(&rec, out, sizeof out, &len) == NT_OK);
	fz_check(len == size && memcmp(out, data, size) == 0);
	fz_check(strlen(rec.meta) == rec.meta_len);

	nt_hash h;
	fz_check(nt_record_sighash(&rec, &h) == NT_OK);
	nt_record_id(data, size, &h);
	fz_ignore(nt_record_verify(&rec));
	return 0;
}
