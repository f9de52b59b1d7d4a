/* Drawing an evidence certificate as an A4 PDF with cairo and pango, and
 * its QR code with libqrencode (tools/cmd_certificate.c fills the text).
 * Nothing here checks a receipt: it lays out what it is given. */
#ifndef NT_CERT_PDF_H
#define NT_CERT_PDF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* One line of a certificate's table: a label and its value. */
typedef struct {
	const char *label;
	const char *value;
	bool mono; /* hex and keys: set in a monospace font, broken anywhere */
} nt_cert_row;

/* One record's page. */
typedef struct {
	bool valid;
	const char *verdict;	  /* "有效 / VALID" */
	const char *verdict_text; /* the sentence, or the reason it is invalid */
	const char *verdict_head; /* "Verdict (when this certificate was made)" */
	const nt_cert_row *rows;
	size_t nrows;
	const char *qr_text;	/* NULL: no QR code */
	const char *qr_caption; /* beside the QR code */
	const char *how_to;	/* beside the QR code, under the caption */
	const char *block;	/* machine-readable block (lines), or NULL */
	const char *block_caption;
} nt_cert_page;

/* One line of a batch's summary table. */
typedef struct {
	const char *file;
	const char *digest;
	const char *time;
	const char *verdict;
	bool valid;
} nt_cert_sum_row;

typedef struct {
	const char *title;
	const char *subtitle; /* e.g. "Records: 3, all valid" */
	const char *cols[4];  /* file, digest, time, verdict */
	const nt_cert_sum_row *rows;
	size_t n;
} nt_cert_summary;

typedef struct {
	const char *title;	 /* on every record page */
	const char *page_label;	 /* "Page" */
	const char *footer;	 /* e.g. the time the certificate was made */
	const char *pdf_title;	 /* the PDF's Title metadata */
	const char *pdf_subject; /* the PDF's Subject metadata, or NULL */
} nt_cert_doc;

/* The QR version (1..40) libqrencode picks for text at error correction
 * level M, or 0 if it does not fit in any. */
int nt_cert_qr_version(const char *text);

/* Writes the PDF to path: the summary page (if sum is not NULL), then one
 * page per record (a page whose machine-readable block does not fit
 * continues it on the next page). NT_ERR_IO (why says what cairo said),
 * NT_ERR_RANGE if a QR text does not fit in a QR code. */
nt_err nt_cert_pdf_write(const char *path, const nt_cert_doc *doc, const nt_cert_summary *sum,
			 const nt_cert_page *pages, size_t n, nt_why *why) NT_MUST_CHECK;

#endif
