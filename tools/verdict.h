/* The verdict for people: what `notary verify` prints about a receipt, as
 * ordered, labelled lines in English or Chinese (issue 12, FORMATS.md
 * "Verifying a version 2 receipt", step 7).
 *
 * This module only formats. The caller verifies (nt_receipt_verify_full),
 * hashes the file and looks up the local time zone, and passes the results
 * in; nt_verdict_build turns them into lines, and the caller prints them
 * (nt_verdict_write) or lays them out elsewhere (a certificate). Every text
 * comes from one message table keyed by nt_vmsg, in both languages, so any
 * other rendering can ask for "label X in language L" (nt_verdict_msg) and
 * "the value of field F" (nt_verdict_value) and say exactly what the
 * terminal says.
 *
 * Example:
 *   nt_verdict_in in = {.status = NT_VERDICT_VALID, .receipt = r, .genesis = g,
 *                       .result = &res, .file = "chat.zip", ...};
 *   nt_verdict *v = NULL;
 *   if (nt_verdict_build(&in, NT_LANG_ZH, &v) == NT_OK) {
 *           nt_verdict_write(v, stdout);
 *           nt_verdict_free(v);
 *   }
 */
#ifndef NT_VERDICT_H
#define NT_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "core/receipt.h"

typedef enum { NT_LANG_EN = 0, NT_LANG_ZH = 1, NT_LANG_COUNT } nt_lang;

/* Every text of a verdict. Labels end in _L; the others are printf formats
 * whose arguments are the same, in the same order, in every language. */
typedef enum {
	/* the verdict in one line */
	NT_VM_VALID_FILE,      /* chain_id, height */
	NT_VM_VALID_NO_FILE,   /* chain_id, height */
	NT_VM_INVALID,	       /* why (English, from the library) */
	NT_VM_INVALID_FILE,    /* (zh: a summary; the reason follows) */
	NT_VM_INVALID_NETWORK, /* */
	NT_VM_INVALID_RECEIPT, /* */
	/* network */
	NT_VM_NETWORK_L,
	NT_VM_NETWORK_V2,	 /* chain_id, fingerprint */
	NT_VM_NETWORK_V1,	 /* chain_id */
	NT_VM_COMPARE,		 /* */
	NT_VM_RECEIPT_NETWORK_L, /* another network's receipt */
	NT_VM_GENESIS_GIVEN,	 /* chain_id, fingerprint, "(the genesis file given)" */
	NT_VM_GENESIS_GIVEN_V1,	 /* chain_id */
	/* the file */
	NT_VM_FILE_L,
	NT_VM_FILE_MATCHES,	/* name, size */
	NT_VM_FILE_NOT_CHECKED, /* */
	NT_VM_FILE_STATED_SIZE, /* size */
	NT_VM_FILE_DIFFERS,	/* name */
	NT_VM_DIGEST_L,		/* "the file's digest" */
	NT_VM_SALTED_L,		/* the digest on the ledger of a salted record */
	NT_VM_SALTED_V,		/* alg, hex */
	NT_VM_EXPECTED_L,	/* wrong file: what the record holds */
	NT_VM_FOUND_L,		/* wrong file: what the file gives */
	NT_VM_SIZE_BYTES,	/* size */
	NT_VM_SIZE_UNDISCLOSED, /* */
	/* time */
	NT_VM_TIME_L, /* "existed no later than" */
	NT_VM_TIME_LOCAL_L,
	/* who */
	NT_VM_SIGNERS_L,
	NT_VM_SIGNERS_COUNT, /* signed, of */
	NT_VM_LIST_SEP,	     /* between two names */
	NT_VM_VALSET_L,
	NT_VM_VALSET_GENESIS, /* */
	NT_VM_VALSET_CHANGES, /* changes */
	NT_VM_PRIVATE_L,
	NT_VM_PRIVATE_SALTED,	   /* */
	NT_VM_PRIVATE_SALT_USED,   /* appended when a file was checked */
	NT_VM_PRIVATE_META_OK,	   /* */
	NT_VM_PRIVATE_META_HIDDEN, /* */
	NT_VM_SUBMITTER_L,
	NT_VM_SUBMITTER_V, /* key hex, client time */
	/* case metadata */
	NT_VM_CASE_L,
	NT_VM_TITLE_L,
	NT_VM_MEDIA_TYPE_L,
	NT_VM_FILE_NAME_L,
	NT_VM_META_OTHER_L, /* key */
	/* the record */
	NT_VM_RECORD_ID_L,
	NT_VM_RECORD_ID_V, /* hex */
	NT_VM_BLOCK_L,
	NT_VM_BLOCK_V, /* height, hash */
	NT_VM_REASON_L,
	/* several files (the CLI's one line per file and the summary) */
	NT_VM_BRIEF_VALID,   /* name, record id prefix, height, time */
	NT_VM_BRIEF_INVALID, /* name, why */
	NT_VM_BRIEF_ERROR,   /* name, message */
	NT_VM_KIND_FILE,     /* the kinds of failure, short */
	NT_VM_KIND_NETWORK,
	NT_VM_KIND_RECEIPT,
	NT_VM_SUMMARY,	      /* files, valid, invalid */
	NT_VM_SUMMARY_ERRORS, /* appended: not checked */
	NT_VM_COUNT
} nt_vmsg;

/* Which part of the verdict a line is; a part may have several lines. */
typedef enum {
	NT_VF_VERDICT = 0,
	NT_VF_NETWORK,
	NT_VF_COMPARE,
	NT_VF_RECEIPT_NETWORK,
	NT_VF_FILE,
	NT_VF_DIGEST,
	NT_VF_SALTED_DIGEST,
	NT_VF_EXPECTED,
	NT_VF_FOUND,
	NT_VF_TIME,
	NT_VF_TIME_LOCAL,
	NT_VF_SIGNERS,
	NT_VF_VALSET,
	NT_VF_PRIVATE,
	NT_VF_SUBMITTER,
	NT_VF_META, /* one line per member: case, title, media type, file name, others */
	NT_VF_RECORD_ID,
	NT_VF_BLOCK,
	NT_VF_REASON,
	NT_VF_COUNT
} nt_vfield;

typedef enum {
	NT_VERDICT_VALID = 0,	  /* verified (with the file when one is given) */
	NT_VERDICT_FILE_MISMATCH, /* the receipt verifies, the file is another one */
	NT_VERDICT_OTHER_NETWORK, /* the receipt is of another chain or genesis */
	NT_VERDICT_INVALID,	  /* anything else */
} nt_verdict_status;

/* A time zone as the verdict shows it: the local time is UTC + offset_s. */
typedef struct {
	long offset_s; /* seconds east of UTC */
	char abbr[16]; /* "CST"; may be "" */
	char name[64]; /* "Asia/Shanghai"; "" when not known */
} nt_verdict_zone;

typedef struct {
	nt_verdict_status status;
	const nt_receipt *receipt; /* NULL when the receipt did not even parse */
	const nt_genesis *genesis; /* required */
	/* What nt_receipt_verify_full established: required for VALID and
	 * FILE_MISMATCH (for the latter, the result without the file). */
	const nt_receipt_verdict *result;
	const char *why; /* the library's reason, for every status but VALID */
	/* The file: NULL name when none was given. */
	const char *file;
	uint64_t file_size;
	const uint8_t *file_digest; /* under the record's algorithm; NULL if none */
	size_t file_digest_len;
	/* Salted records: D(salt || file digest) with the receipt's salt, or NULL. */
	const uint8_t *file_salted;
	size_t file_salted_len;
	const nt_verdict_zone *zone; /* the local time zone; NULL: UTC only */
} nt_verdict_in;

typedef struct {
	nt_vfield field;
	const char *label; /* "" on a continuation line */
	const char *value; /* terminal control characters already replaced by '?' */
} nt_verdict_line;

typedef struct nt_verdict nt_verdict;

/* Builds the verdict's lines from in, in the order people read them: the
 * verdict in one line, the network and its fingerprint (with the sentence
 * to compare it), the file (name, size, the file's digest; expected and
 * found for a wrong file), the time (UTC and local, "no later than"), the
 * signing offices "N of M", the submitter, the case metadata, the record id
 * and the block. Returns NT_ERR_ARG if in lacks what its status needs,
 * NT_ERR_NOMEM. On NT_OK *out is the caller's: free with nt_verdict_free. */
nt_err nt_verdict_build(const nt_verdict_in *in, nt_lang lang, nt_verdict **out) NT_MUST_CHECK;
void nt_verdict_free(nt_verdict *v);
size_t nt_verdict_count(const nt_verdict *v);
/* The i-th line (i < nt_verdict_count); owned by v. */
const nt_verdict_line *nt_verdict_line_at(const nt_verdict *v, size_t i);
/* The value of the first line of field f, NULL if the verdict has none. */
const char *nt_verdict_value(const nt_verdict *v, nt_vfield f);
/* Writes every line to f: the label padded to a column (by display width,
 * a Chinese character counting two), then the value. */
void nt_verdict_write(const nt_verdict *v, FILE *f);

/* One line as nt_verdict_write writes it: label, padding, value. */
void nt_verdict_write_line(FILE *f, const char *label, const char *value);

/* The text of message m in lang (never NULL; a label or a printf format). */
const char *nt_verdict_msg(nt_vmsg m, nt_lang lang);

/* Message m in lang formatted with the arguments its comment above names
 * (in that order; they are not type-checked), control characters replaced
 * by '?'. malloc'd (NULL when out of memory); the caller frees. */
char *nt_verdict_format(nt_lang lang, nt_vmsg m, ...);

/* "en" / "zh" (also "zh_CN", "zh-CN", "en_US"...). false if unknown. */
bool nt_verdict_lang_parse(const char *s, nt_lang *out);
/* The language of the environment's locale variables, by POSIX precedence
 * (LC_ALL, then LC_MESSAGES, then LANG; the first that is set and not
 * empty): Chinese if it starts with "zh", else English. Pass getenv's. */
nt_lang nt_verdict_lang_env(const char *lc_all, const char *lc_messages, const char *lang);

#define NT_VERDICT_TIME_MAX 160
/* "2026-12-02 01:30:00.123 CST (UTC+08:00, Asia/Shanghai)": ms since the
 * epoch shown in zone z (pure: no time zone database is read). */
void nt_verdict_time_local(uint64_t ms, const nt_verdict_zone *z, nt_lang lang,
			   char buf[NT_VERDICT_TIME_MAX]);
/* "2026-12-01 17:30:00.123 UTC". */
void nt_verdict_time_utc(uint64_t ms, char buf[40]);
/* The zone the process's TZ gives at time ms (localtime_r: this reads the
 * time zone database); name is shown as the zone's name (may be NULL). */
nt_err nt_verdict_zone_here(uint64_t ms, const char *name, nt_verdict_zone *out) NT_MUST_CHECK;

#endif
