/* Where the built verification page is (node/web_page.h). */
#include "node/web_page.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

nt_err nt_web_page_path(const char *configured, char *out, size_t cap)
{
	if (configured != NULL && strcmp(configured, "auto") != 0) {
		snprintf(out, cap, "%s", configured);
		return NT_OK;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash != NULL) {
			*slash = '\0';
			snprintf(out, cap, "%s/web/verify.html", exe);
			if (access(out, R_OK) == 0)
				return NT_OK;
		}
	}
	snprintf(out, cap, "/usr/share/notary/verify.html");
	return access(out, R_OK) == 0 ? NT_OK : NT_ERR_NOT_FOUND;
}
