#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const messages[NT_ERR__COUNT] = {
	[NT_OK] = "success",
	[NT_ERR_NOMEM] = "out of memory",
	[NT_ERR_ARG] = "invalid argument",
	[NT_ERR_DECODE] = "malformed encoding",
	[NT_ERR_RANGE] = "value out of range or too large",
	[NT_ERR_JSON] = "invalid JSON",
	[NT_ERR_SIGNATURE] = "signature does not verify",
	[NT_ERR_MISMATCH] = "values do not match",
	[NT_ERR_PROOF] = "Merkle proof does not verify",
	[NT_ERR_QUORUM] = "not enough valid validator signatures",
	[NT_ERR_CHAIN] = "block breaks a chain rule",
	[NT_ERR_NOT_FOUND] = "not found",
	[NT_ERR_EXISTS] = "already exists",
	[NT_ERR_FULL] = "queue full",
	[NT_ERR_IO] = "input/output error",
	[NT_ERR_CORRUPT] = "stored data is corrupt",
	[NT_ERR_PERM] = "unsafe permissions or access denied",
	[NT_ERR_CRYPTO] = "cryptographic library failure",
	[NT_ERR_TIMEOUT] = "timed out",
	[NT_ERR_NET] = "network error",
};

const char *nt_strerror(nt_err e)
{
	if ((unsigned)e >= NT_ERR__COUNT)
		return "unknown error";
	return messages[e];
}

nt_err nt_fail(nt_why *why, nt_err e, const char *fmt, ...)
{
	if (why != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why->msg, sizeof why->msg, fmt, ap);
		va_end(ap);
	}
	return e;
}
