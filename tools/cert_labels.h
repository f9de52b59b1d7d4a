/* The words of an evidence certificate in Chinese and English, kept in one
 * table (tools/cert_labels.c) so that a translator reads them in one place. */
#ifndef NT_CERT_LABELS_H
#define NT_CERT_LABELS_H

#include <stddef.h>

typedef enum {
	NT_CERT_EN = 1,
	NT_CERT_ZH = 2,
	NT_CERT_BOTH = 3, /* "中文 / English" */
} nt_cert_lang;

typedef enum {
	NT_L_TITLE,
	NT_L_SUMMARY_TITLE,
	NT_L_VALID,
	NT_L_INVALID,
	NT_L_VALID_SENTENCE,
	NT_L_INVALID_SENTENCE,
	NT_L_AS_OF,
	NT_L_NETWORK,
	NT_L_FINGERPRINT,
	NT_L_FP_HINT,
	NT_L_NO_FINGERPRINT,
	NT_L_FP_OF_RECEIPT,
	NT_L_FP_OF_GENESIS,
	NT_L_FILE,
	NT_L_FILE_CHECKED,
	NT_L_FILE_NOT_CHECKED,
	NT_L_FILE_MISMATCH,
	NT_L_FILE_DIGEST_FOUND,
	NT_L_FILE_SIZE,
	NT_L_FILE_SIZE_STATED,
	NT_L_BYTES,
	NT_L_DIGEST,
	NT_L_SALTED,
	NT_L_TIME_UTC,
	NT_L_TIME_BEIJING,
	NT_L_NO_LATER,
	NT_L_SIGNERS,
	NT_L_NOT_ESTABLISHED,
	NT_L_SUBMITTER,
	NT_L_CASE,
	NT_L_META_TITLE,
	NT_L_MEDIA_TYPE,
	NT_L_META_FILE_NAME,
	NT_L_META_OTHER,
	NT_L_META_MATCHED,
	NT_L_META_UNDISCLOSED,
	NT_L_META_UNVERIFIED,
	NT_L_RECORD_ID,
	NT_L_BLOCK,
	NT_L_HEIGHT,
	NT_L_BLOCK_HASH,
	NT_L_MADE,
	NT_L_QR_FULL,
	NT_L_QR_REF,
	NT_L_QR_NONE,
	NT_L_BLOCK_CAPTION,
	NT_L_HOW_TO_CHECK,
	NT_L_PAGE,
	NT_L_COL_FILE,
	NT_L_COL_DIGEST,
	NT_L_COL_TIME,
	NT_L_COL_VERDICT,
	NT_L_RECORDS,
	NT_L_ALL_VALID,
	NT_L_SOME_INVALID,
	NT_L__COUNT
} nt_label_id;

/* The label in one language (NT_CERT_EN or NT_CERT_ZH; NT_CERT_BOTH gives
 * the Chinese). Static storage. */
const char *nt_label(nt_label_id id, nt_cert_lang lang);

/* The label in lang into buf: for NT_CERT_BOTH "中文 / English". Returns buf. */
const char *nt_label_fmt(nt_label_id id, nt_cert_lang lang, char *buf, size_t cap);

/* "--lang" values: "en", "zh", "both". 0 if s is none of them. */
nt_cert_lang nt_lang_parse(const char *s);

#endif
