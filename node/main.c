/* notaryd: the node daemon. Foreground, logs to stderr. */
#include "node/log.h"
#include "node/node.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: notaryd --home DIR [--log-level debug|info|warn|error]\n"
		   "       notaryd --help | --version\n"
		   "\n"
		   "Runs the node whose home directory DIR holds config.json, genesis.json,\n"
		   "the validator key and data/ (see docs/CONFIG.md). Logs go to stderr;\n"
		   "the log level may also come from the NOTARY_LOG environment variable.\n"
		   "SIGINT or SIGTERM stops the node cleanly (exit 0); a fatal error exits 1.\n");
}

int main(int argc, char **argv)
{
	const char *home = NULL, *level = getenv("NOTARY_LOG");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--version") == 0) {
			printf("notaryd %s\n", NT_VERSION);
			return 0;
		}
		if ((strcmp(a, "--home") == 0 || strcmp(a, "--log-level") == 0) && i + 1 < argc) {
			*(a[2] == 'h' ? &home : &level) = argv[++i];
		} else if (strncmp(a, "--home=", 7) == 0) {
			home = a + 7;
		} else if (strncmp(a, "--log-level=", 12) == 0) {
			level = a + 12;
		} else {
			fprintf(stderr, "notaryd: unexpected argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (home == NULL || home[0] == '\0') {
		fprintf(stderr, "notaryd: --home DIR is required\n");
		usage(stderr);
		return 2;
	}
	if (level != NULL && level[0] != '\0') {
		nt_log_level lv;
		if (nt_log_parse_level(level, &lv) != NT_OK) {
			fprintf(stderr,
				"notaryd: unknown log level '%s' (debug, info, warn, error)\n",
				level);
			return 2;
		}
		nt_log_set_level(lv);
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A client that disconnects must not kill the node. */
	signal(SIGPIPE, SIG_IGN);

	return nt_node_run(home, &stop_flag);
}
