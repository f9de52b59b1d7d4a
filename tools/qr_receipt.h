/* The compact receipt (docs/FORMATS.md "Compact receipt for QR codes"):
 * a receipt re-encoded in binary, compressed, and written as text that a
 * QR code or a printed page can carry, and the decoder a verifier uses to
 * get the receipt JSON back.
 *
 * Three texts carry it:
 *   "NR1:" base45(Z)       a whole receipt, for a QR code (alphanumeric mode)
 *   "NRID:" FP/ID/HEIGHT   a reference only, when the receipt is too large
 *                          for a QR code a phone reads at print size
 *   a page block            base64(Z) between NT_QR_BLOCK_BEGIN and
 *                          NT_QR_BLOCK_END lines, printed on certificates
 * where Z is the zlib stream (RFC 1950) of the compact bytes. */
#ifndef NT_QR_RECEIPT_H
#define NT_QR_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/types.h"
#include "core/genesis.h"
#include "core/receipt.h"

#define NT_QR_PREFIX "NR1:"
#define NT_QR_REF_PREFIX "NRID:"
#define NT_QR_BLOCK_BEGIN "[BEGIN NOTARY RECEIPT NR1]"
#define NT_QR_BLOCK_END "[END NOTARY RECEIPT NR1]"
/* The largest QR code a certificate prints with a whole receipt in it:
 * version 25 (117 x 117 modules) at error correction level M. */
#define NT_QR_MAX_VERSION 25

/* What any of the three texts names. */
typedef struct {
	bool full;  /* the text carried a whole receipt */
	int format; /* the receipt's format, 1 or 2; 0 for a reference */
	char fingerprint[NT_FINGERPRINT_LEN + 1]; /* of the chain; "" for a version 1 receipt */
	nt_hash record_id;
	uint64_t height;
} nt_qr_info;

/* The compact bytes of r (before compression), for sizes and tests.
 * *out is malloc'd; caller frees. */
nt_err nt_qr_receipt_compact(const nt_receipt *r, uint8_t **out, size_t *len) NT_MUST_CHECK;

/* "NR1:" + base45(zlib(compact bytes of r)). *out is malloc'd, NUL-terminated. */
nt_err nt_qr_receipt_encode(const nt_receipt *r, char **out) NT_MUST_CHECK;

/* "NRID:" + fingerprint "/" record_id "/" height, upper case (all in the QR
 * alphanumeric set). fingerprint is "" for a version 1 chain. out holds at
 * least 128 bytes. */
void nt_qr_receipt_reference(const char *fingerprint, const nt_hash *record_id, uint64_t height,
			     char out[128]);

/* The page block: the BEGIN line, base64(zlib(compact bytes)) in lines of
 * `width` characters (a multiple of 4, at least 4), the END line, each line
 * ending in '\n'. *out is malloc'd, NUL-terminated. */
nt_err nt_qr_receipt_block(const nt_receipt *r, size_t width, char **out) NT_MUST_CHECK;

/* Decodes any of the three: text may have surrounding white space, and a
 * page block may sit inside other text (what pdftotext gives of a whole
 * certificate: the first block is taken). For a whole receipt
 * *receipt_json is a malloc'd, NUL-terminated receipt JSON text that
 * nt_receipt_parse accepts (members a verifier ignores, "validators", are
 * left out); for a reference it is set to NULL. receipt_json may be NULL
 * when only the info is wanted; info may be NULL. Nothing is verified
 * here: the receipt still goes through nt_receipt_verify_full.
 * NT_ERR_DECODE (not one of the texts, bad base45/base64, bad zlib,
 * trailing bytes), NT_ERR_RANGE (larger than a version 2 receipt may be),
 * and the receipt decoders' errors; why says which. */
nt_err nt_qr_receipt_decode(const char *text, char **receipt_json, nt_qr_info *info,
			    nt_why *why) NT_MUST_CHECK;

#endif
