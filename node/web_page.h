/* Where the built verification page is (docs/VERIFY-PAGE.md): notaryd
 * serves it, notary web writes it out. */
#ifndef NT_WEB_PAGE_H
#define NT_WEB_PAGE_H

#include "base/err.h"

#include <stddef.h>

/* The page's path into out: configured itself unless it is NULL or
 * "auto"; for auto, web/verify.html beside the running executable
 * (build/notaryd, build/web/verify.html) if readable, else
 * /usr/share/notary/verify.html. NT_ERR_NOT_FOUND (out still names the
 * last place tried) when auto finds none. */
nt_err nt_web_page_path(const char *configured, char *out, size_t cap) NT_MUST_CHECK;

#endif
