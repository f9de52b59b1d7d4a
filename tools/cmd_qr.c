/* notary qr: the compact receipt of QR codes and certificates
 * (tools/qr_receipt.h, docs/FORMATS.md "Compact receipt for QR codes"):
 * decode a scanned code or a certificate's text back into receipt JSON,
 * or encode a receipt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "core/receipt.h"
#include "tools/cert_pdf.h"
#include "tools/cli.h"
#include "tools/qr_receipt.h"

static const char qr_usage[] =
    "usage: notary qr decode [--out RECEIPT] TEXT|-\n"
    "       notary qr encode --receipt RECEIPT [--block]\n\n"
    "decode: TEXT is what a phone or `zbarimg --raw` read from a certificate's QR\n"
    "code (\"NR1:...\" or \"NRID:...\"), or, with -, standard input: a scanned\n"
    "code, or the text of a whole certificate (`pdftotext cert.pdf -`), whose\n"
    "machine-readable block ([BEGIN NOTARY RECEIPT NR1] ...) is decoded. A whole\n"
    "receipt is written as receipt JSON (to stdout, or to --out) for `notary\n"
    "verify`; what it names (fingerprint, record id, height) goes to stderr.\n"
    "A reference (\"NRID:\") names the record only: the command prints it and\n"
    "exits 1, since there is no receipt to verify; the certificate's block or\n"
    "`notary receipt RECORD_ID` from a node of that network gives the receipt.\n\n"
    "encode: prints the receipt's \"NR1:\" text and, on stderr, its sizes and the\n"
    "QR version it needs at level M; --block prints the certificate block instead.\n\n"
    "Nothing is verified here: run `notary verify` on the decoded receipt.\n\n"
    "Options:\n"
    "  -o, --out FILE       write the receipt JSON to FILE (replaced if it exists)\n"
    "  -r, --receipt FILE   the receipt to encode\n"
    "  -b, --block          encode as the certificate's machine-readable block\n"
    "  -h, --help           show this help\n\n"
    "Exit codes: 0 a receipt was decoded (or encoded), 1 only a reference, 2 usage\n"
    "error or text that is not a receipt code.\n\n"
    "Example:\n"
    "  zbarimg --raw -q page.png | notary qr decode --out r.json -\n"
    "  notary verify --genesis genesis.json --receipt r.json evidence.zip\n";

static void print_info(FILE *f, const nt_qr_info *in)
{
	char id[65];
	nt_cli_hex32(in->record_id.b, id);
	if (in->fingerprint[0] != '\0')
		fprintf(f, "fingerprint %s, ", in->fingerprint);
	fprintf(f, "record id %s, height %llu\n", id, (unsigned long long)in->height);
}

static int qr_decode(const char *arg, const char *out)
{
	char *text = NULL;
	nt_why why = {{0}};
	if (strcmp(arg, "-") == 0) {
		/* at most twice a version 2 receipt (a certificate's whole text) */
		nt_err e = nt_cli_read_stdin((size_t)NT_RECEIPT_V2_TEXT_MAX * 2, &text, NULL);
		if (e != NT_OK)
			return nt_cli_errorf(NT_EXIT_USAGE, "qr", "cannot read standard input: %s",
					     e == NT_ERR_RANGE ? "too large" : nt_strerror(e));
	} else {
		text = strdup(arg);
		if (text == NULL)
			return nt_cli_errorf(NT_EXIT_USAGE, "qr", "out of memory");
	}
	char *json = NULL;
	nt_qr_info info;
	nt_err e = nt_qr_receipt_decode(text, &json, &info, &why);
	free(text);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "qr", "cannot decode: %s",
				     why.msg[0] ? why.msg : nt_strerror(e));
	if (!info.full) {
		fputs("reference only (no receipt in it): ", stdout);
		print_info(stdout, &info);
		return NT_EXIT_FAIL;
	}
	fputs("receipt: ", stderr);
	print_info(stderr, &info);
	int rc = NT_EXIT_OK;
	if (out != NULL) {
		if (nt_cli_write_file(out, json, strlen(json), 0644, true, &why) != NT_OK)
			rc =
			    nt_cli_errorf(NT_EXIT_USAGE, "qr", "cannot write %s: %s", out, why.msg);
	} else {
		fputs(json, stdout);
	}
	free(json);
	return rc;
}

static int qr_encode(const char *receipt_path, bool block)
{
	nt_why why = {{0}};
	char *text = NULL;
	size_t len = 0;
	nt_err e = nt_cli_read_file(receipt_path, NT_RECEIPT_V2_TEXT_MAX, &text, &len, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "qr", "cannot read the receipt: %s", why.msg);
	nt_receipt *r = NULL;
	e = nt_receipt_parse(text, len, &r, &why);
	free(text);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "qr", "the receipt is malformed: %s", why.msg);
	uint8_t *compact = NULL;
	size_t clen = 0;
	char *s = NULL;
	e = nt_qr_receipt_compact(r, &compact, &clen);
	if (e == NT_OK)
		e = block ? nt_qr_receipt_block(r, 160, &s) : nt_qr_receipt_encode(r, &s);
	free(compact);
	free(r);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "qr", "cannot encode %s: %s", receipt_path,
				     e == NT_ERR_MISMATCH ? "its members disagree with its bytes"
							  : nt_strerror(e));
	fputs(s, stdout);
	if (!block) {
		fputc('\n', stdout);
		fprintf(stderr,
			"receipt %zu bytes, compact %zu bytes, text %zu characters, QR "
			"version %d at level M\n",
			len, clen, strlen(s), nt_cert_qr_version(s));
	}
	free(s);
	return NT_EXIT_OK;
}

int nt_cmd_qr(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"receipt", required_argument, NULL, 'r'},
	    {"block", no_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL, *receipt = NULL;
	bool block = false;
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":o:r:bh", opts)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'r':
			receipt = optarg;
			break;
		case 'b':
			block = true;
			break;
		case 'h':
			fputs(qr_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return nt_cli_usage_error("qr", "say decode or encode");
	const char *verb = argv[optind++];
	if (strcmp(verb, "decode") == 0) {
		if (argc - optind != 1)
			return nt_cli_usage_error("qr", "decode takes one TEXT (or - for stdin)");
		return qr_decode(argv[optind], out);
	}
	if (strcmp(verb, "encode") == 0) {
		if (receipt == NULL || optind != argc)
			return nt_cli_usage_error("qr", "encode takes --receipt RECEIPT");
		return qr_encode(receipt, block);
	}
	return nt_cli_usage_error("qr", "unknown action '%s' (decode or encode)", verb);
}
