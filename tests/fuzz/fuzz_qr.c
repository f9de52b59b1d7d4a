/* Fuzz target: nt_qr_receipt_decode (tools/qr_receipt.h), the decoder of
 * what a phone scans from a certificate's QR code or what pdftotext gives
 * of a certificate: text from anyone. The module lives in tools/ (the CLI
 * alone links zlib), so it is included here whole, as signify's fuzz
 * harnesses include their parser. Properties: a refusal says why and
 * returns nothing; a whole receipt comes back as JSON whose record_id is
 * the one the decoder reports; if that JSON is a receipt nt_receipt_parse
 * accepts, encoding it again and decoding gives the same JSON (the
 * compact form is canonical), through NR1 and through the page block. */
#include "tests/fuzz/fuzz.h"
#include "tools/qr_receipt.c"

static void round_trip(const char *json)
{
	nt_receipt *r = NULL;
	if (nt_receipt_parse(json, strlen(json), &r, NULL) != NT_OK)
		return;
	char *code = NULL, *block = NULL, *again = NULL, *again2 = NULL;
	fz_check(nt_qr_receipt_encode(r, &code) == NT_OK);
	fz_check(nt_qr_receipt_block(r, 200, &block) == NT_OK);
	fz_check(nt_qr_receipt_decode(code, &again, NULL, NULL) == NT_OK);
	fz_check(nt_qr_receipt_decode(block, &again2, NULL, NULL) == NT_OK);
	fz_check(strcmp(again, json) == 0 && strcmp(again2, json) == 0);
	free(code);
	free(block);
	free(again);
	free(again2);
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *json = (char *)"untouched";
	nt_qr_info info;
	nt_why why = {""};
	nt_err e = nt_qr_receipt_decode(text, &json, &info, &why);
	free(text);
	if (e != NT_OK) {
		fz_check(e == NT_ERR_NOMEM || why.msg[0] != '\0');
		fz_check(strcmp(json, "untouched") == 0);
		return 0;
	}
	if (!info.full) {
		fz_check(json == NULL);
		return 0;
	}
	fz_check(json != NULL);
	json_t *j = json_loads(json, 0, NULL);
	fz_check(j != NULL);
	nt_hash id;
	fz_check(nt_hex_decode32(json_string_value(json_object_get(j, "record_id")), id.b) ==
		 NT_OK);
	fz_check(memcmp(id.b, info.record_id.b, NT_HASH_LEN) == 0);
	json_decref(j);
	round_trip(json);
	free(json);
	return 0;
}
