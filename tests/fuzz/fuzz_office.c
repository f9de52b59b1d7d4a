/* Fuzz target: nt_office_parse (tools/office.h), the decoder of the public
 * office.json files that offices send to the coordinator of the set-up
 * ceremony: text from anyone. The module lives in tools/ (the CLI alone
 * uses it), so it is included here whole. Properties: a refusal says why
 * and leaves the output untouched; an accepted office has a str8u name, a
 * valid key and URLs the parser accepts; written back with nt_office_text
 * it parses to the same office, and that text is a fixed point. */
#include "tests/fuzz/fuzz.h"
#include "tools/office.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nt_office *o = malloc(sizeof *o), *again = malloc(sizeof *again);
	if (o == NULL || again == NULL) {
		free(o);
		free(again);
		return 0;
	}
	memset(o, 0xA5, sizeof *o);
	nt_office untouched;
	memcpy(&untouched, o, sizeof untouched);
	nt_why why = {""};
	nt_err e = nt_office_parse((const char *)data, size, o, &why);
	if (e != NT_OK) {
		fz_check(e == NT_ERR_NOMEM || why.msg[0] != '\0');
		fz_check(memcmp(o, &untouched, sizeof untouched) == 0);
		goto out;
	}
	fz_check(nt_str8u_valid(o->name, strlen(o->name)));
	fz_check(nt_pubkey_valid(&o->pubkey));
	fz_check(nt_office_url_valid(o->p2p));
	fz_check(o->rpc[0] == '\0' || nt_office_url_valid(o->rpc));
	fz_check(o->http[0] == '\0' || nt_office_url_valid(o->http));
	fz_check(o->tls_cert_sha256[0] == '\0' || strlen(o->tls_cert_sha256) == 64);
	char *text = nt_office_text(o);
	if (text == NULL)
		goto out;
	memset(again, 0, sizeof *again);
	fz_check(nt_office_parse(text, strlen(text), again, &why) == NT_OK);
	fz_check(strcmp(again->name, o->name) == 0 &&
		 memcmp(again->pubkey.b, o->pubkey.b, NT_PUBKEY_LEN) == 0 &&
		 strcmp(again->p2p, o->p2p) == 0 && strcmp(again->rpc, o->rpc) == 0 &&
		 strcmp(again->http, o->http) == 0 &&
		 strcmp(again->tls_cert_sha256, o->tls_cert_sha256) == 0);
	char *text2 = nt_office_text(again);
	fz_check(text2 == NULL || strcmp(text, text2) == 0);
	free(text2);
	free(text);
out:
	free(o);
	free(again);
	return 0;
}
