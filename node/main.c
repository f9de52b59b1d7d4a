/* notaryd: the node daemon. Foreground, logs to stderr. */
#include "node/log.h"
#include "node/node.h"
#include "node/wal.h"

#include <signal.h>
#include <stdbool.h>
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
	fprintf(f,
		"usage: notaryd --home DIR [--log-level debug|info|warn|error] [--quarantine-wal]\n"
		"       notaryd --help | --version\n"
		"\n"
		"Runs the node whose home directory DIR holds config.json, genesis.json,\n"
		"the validator key and data/ (see docs/CONFIG.md). Logs go to stderr;\n"
		"the log level may also come from the NOTARY_LOG environment variable.\n"
		"SIGINT or SIGTERM stops the node cleanly (exit 0); a fatal error exits 1.\n"
		"\n"
		"--quarantine-wal  moves a corrupt consensus WAL (DIR/consensus/cs.wal) aside\n"
		"                  to cs.wal.corrupt-<seconds>, then starts normally with an\n"
		"                  empty one (docs/OPERATIONS.md explains why that is safe).\n");
}

int main(int argc, char **argv)
{
	const char *home = NULL, *level = getenv("NOTARY_LOG");
	bool quarantine = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--quarantine-wal") == 0) {
			quarantine = true;
			continue;
		}
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

	if (quarantine) {
		char path[4200], renamed[4300];
		nt_why why = {{0}};
		snprintf(path, sizeof path, "%s/consensus/cs.wal", home);
		nt_err e = nt_wal_quarantine(path, renamed, sizeof renamed, &why);
		/* nt_wal_quarantine logs the move itself. */
		if (e == NT_ERR_NOT_FOUND)
			nt_log(NT_LOG_INFO, "--quarantine-wal: there is no WAL at %s; starting",
			       path);
		else if (e != NT_OK) {
			nt_log(NT_LOG_ERROR, "cannot quarantine the WAL %s: %s", path,
			       why.msg[0] ? why.msg : nt_strerror(e));
			return 1;
		}
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
