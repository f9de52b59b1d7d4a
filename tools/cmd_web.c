/* notary web: writes the verification page for offline use (docs/VERIFY-PAGE.md). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/web_page.h"
#include "tools/cli.h"

static const char web_usage[] =
    "usage: notary web --out FILE [--force]\n\n"
    "Writes the verification page: one self-contained HTML file that checks an\n"
    "evidence file, its receipt and the network's genesis file in a browser, on\n"
    "the clerk's own computer, with no network at all (a USB stick, a court\n"
    "intranet). It is the same page every node serves at its http.listen\n"
    "address (docs/VERIFY-PAGE.md). The evidence file never leaves the\n"
    "computer the page runs on.\n\n"
    "Options:\n"
    "  -o, --out FILE   where to write the page (required)\n"
    "  -f, --force      replace FILE if it exists\n"
    "  -h, --help       show this help\n\n"
    "Example:\n"
    "  notary web --out verify.html\n";

int nt_cmd_web(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	bool force = false;
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":o:fh", opts)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			fputs(web_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return nt_cli_usage_error("web", "unexpected argument '%s'", argv[optind]);
	if (out == NULL)
		return nt_cli_usage_error("web", "--out FILE is required");
	char path[PATH_MAX + 32];
	if (nt_web_page_path(NULL, path, sizeof path) != NT_OK)
		return nt_cli_errorf(
		    NT_EXIT_FAIL, "web",
		    "no built page found (looked for web/verify.html beside this "
		    "program and for %s): build it with make web (needs node and npm)",
		    path);
	char *page = NULL;
	size_t len = 0;
	nt_why why = {{0}};
	if (nt_cli_read_file(path, 64u * 1024 * 1024, &page, &len, &why) != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "web", "%s", why.msg);
	nt_err e = nt_cli_write_file(out, page, len, 0644, force, &why);
	free(page);
	if (e == NT_ERR_EXISTS)
		return nt_cli_errorf(NT_EXIT_FAIL, "web", "%s exists; --force replaces it", out);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "web", "%s", why.msg);
	printf("wrote %s (%zu bytes): open it in a browser; it needs no network\n", out, len);
	return NT_EXIT_OK;
}
