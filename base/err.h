/* One error type for the whole project.
 *
 * Fallible functions return nt_err (NT_OK == 0) and leave their outputs
 * untouched on failure. Where a caller needs to show a person *why* something
 * failed (a receipt a judge checks, a block a peer sent) the function also
 * takes an optional nt_why, filled with one specific English sentence. */
#ifndef NT_ERR_H
#define NT_ERR_H

#include <stddef.h>

#define NT_MUST_CHECK __attribute__((warn_unused_result))
#define NT_PRINTF(a, b) __attribute__((format(printf, a, b)))

typedef enum {
	NT_OK = 0,
	NT_ERR_NOMEM,     /* allocation failed */
	NT_ERR_ARG,       /* caller passed a bad argument (usage error) */
	NT_ERR_DECODE,    /* bytes are not a well-formed encoding */
	NT_ERR_RANGE,     /* a field or message is out of its allowed range or size */
	NT_ERR_JSON,      /* text is not the JSON we expect */
	NT_ERR_SIGNATURE, /* a signature does not verify */
	NT_ERR_MISMATCH,  /* two values that must be equal are not (digest, id, hash) */
	NT_ERR_PROOF,     /* a Merkle proof does not verify */
	NT_ERR_QUORUM,    /* a commit does not carry enough valid signatures */
	NT_ERR_CHAIN,     /* a block breaks a chain rule (height, prev hash, time...) */
	NT_ERR_NOT_FOUND, /* no such key, record, block, file */
	NT_ERR_EXISTS,    /* already present (duplicate record, existing file) */
	NT_ERR_FULL,      /* a bounded queue or pool is full */
	NT_ERR_IO,        /* the operating system or the store failed */
	NT_ERR_CORRUPT,   /* stored data is inconsistent */
	NT_ERR_PERM,      /* file permissions are unsafe or access denied */
	NT_ERR_CRYPTO,    /* a cryptographic library call failed */
	NT_ERR_TIMEOUT,   /* waited too long */
	NT_ERR_NET,       /* network transport failure */
	NT_ERR__COUNT
} nt_err;

const char *nt_strerror(nt_err e);

/* A human-readable reason, filled by functions that verify things.
 * Always NUL-terminated; empty when nothing was said. */
typedef struct {
	char msg[256];
} nt_why;

/* Sets why->msg (if why is not NULL) and returns e, so that a check can be
 * written as `return nt_fail(why, NT_ERR_PROOF, "proof too short");`. */
nt_err nt_fail(nt_why *why, nt_err e, const char *fmt, ...) NT_PRINTF(3, 4);

#endif
