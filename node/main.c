/* notaryd: the node daemon. Foreground, logs to stderr. */
#include "node/log.h"
#include "node/node.h"
#include "node/wal.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;

static void on_hup(int sig)
{
	(void)sig;
	reload_flag = 1;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: notaryd --home DIR [--log-level debug|info|warn|error] [--quarantine-wal]\n"
		"                          [--allow-store-behind] [--allow-insecure]\n"
		"       notaryd --home DIR --repair-sign-state H\n"
		"       notaryd --help | --version\n"
		"\n"
		"Runs the node whose home directory DIR holds config.json, genesis.json,\n"
		"the validator key and data/ (see docs/CONFIG.md). Logs go to stderr;\n"
		"the log level may also come from the NOTARY_LOG environment variable.\n"
		"SIGINT or SIGTERM stops the node cleanly (exit 0); a fatal error exits 1.\n"
		"SIGHUP re-reads the access lists (access.submitters, access.clients).\n"
		"\n"
		"--quarantine-wal  moves a corrupt consensus WAL (DIR/consensus/cs.wal) aside\n"
		"                  to cs.wal.corrupt-<seconds>, then starts normally with an\n"
		"                  empty one (docs/OPERATIONS.md explains why that is safe).\n"
		"--repair-sign-state H\n"
		"                  with the node stopped, replaces a damaged or lost sign-state\n"
		"                  (DIR/consensus/sign_state) by one that says \"everything up to\n"
		"                  height H may have been signed\", then exits. H: the height the\n"
		"                  network is deciding now (consensus_height in `notary status\n"
		"                  --json` on another node; with 2 or 3 validators its height,\n"
		"                  see docs/OPERATIONS.md); with one validator, this store's\n"
		"                  height. An H below the store's height is refused.\n"
		"--allow-store-behind\n"
		"                  a validator whose store is behind its sign-state (data/ lost\n"
		"                  or restored from an old backup) and that cannot fetch the\n"
		"                  missing blocks from other validators refuses to start; with\n"
		"                  this flag it starts read-only: it serves its blocks and never\n"
		"                  signs. With peers to catch up from it starts anyway, follows\n"
		"                  them and signs again once its store has caught up.\n"
		"--allow-insecure  lets rpc, p2p, peers or http.listen use plain tcp:// or\n"
		"                  http:// on an address other than loopback (127.0.0.0/8,\n"
		"                  ::1, localhost): their traffic then crosses the network\n"
		"                  unencrypted and unauthenticated. Without it such a config\n"
		"                  is refused at start; use tls+tcp:// and https:// instead.\n"
		"\n"
		"NEVER delete DIR/data/ or DIR/consensus/ of a validator: its signatures are\n"
		"in blocks others hold, and a validator that forgets them can sign a second,\n"
		"different chain whose receipts verify too. Restore data/ from a backup, or\n"
		"let the node fetch it from its peers; repair a bad sign-state with\n"
		"--repair-sign-state. DIR/node_state remembers that the home once held blocks\n"
		"and signed, so that such a loss is refused at start (docs/OPERATIONS.md).\n");
}

/* A decimal height >= 1, nothing else (no sign, no spaces, no overflow). */
static bool parse_height(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v == 0)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	const char *home = NULL, *level = getenv("NOTARY_LOG"), *repair = NULL;
	bool quarantine = false;
	nt_node_opts opts = {0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--quarantine-wal") == 0) {
			quarantine = true;
			continue;
		}
		if (strcmp(a, "--allow-insecure") == 0) {
			opts.allow_insecure = true;
			continue;
		}
		if (strcmp(a, "--allow-store-behind") == 0) {
			opts.allow_store_behind = true;
			continue;
		}
		if (strcmp(a, "--repair-sign-state") == 0 && i + 1 < argc) {
			repair = argv[++i];
			continue;
		}
		if (strncmp(a, "--repair-sign-state=", 20) == 0) {
			repair = a + 20;
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

	if (repair != NULL) {
		uint64_t h;
		if (!parse_height(repair, &h)) {
			fprintf(stderr,
				"notaryd: --repair-sign-state needs a height H >= 1 (a decimal "
				"number), not '%s'\n",
				repair);
			return 2;
		}
		if (quarantine || opts.allow_store_behind) {
			fprintf(stderr, "notaryd: --repair-sign-state runs alone and exits; start "
					"the node afterwards\n");
			return 2;
		}
		return nt_node_repair_sign_state(home, h);
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
	/* SIGHUP re-reads the access lists (access.submitters, access.clients);
	 * it never stops the node. */
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	opts.reload = &reload_flag;
	/* A client that disconnects must not kill the node. */
	signal(SIGPIPE, SIG_IGN);

	return nt_node_run(home, &opts, &stop_flag);
}
