/* notary audit: re-checks a stopped node's whole store offline, from height
 * 1 to the tip (core/ledger.h nt_ledger_audit). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/genesis.h"
#include "core/kv.h"
#include "core/ledger.h"
#include "node/config.h"
#include "node/genesis_file.h"
#include "node/kv_leveldb.h"
#include "tools/cli.h"

static const char audit_usage[] =
    "usage: notary audit --home DIR\n\n"
    "Re-checks a node's whole store offline: every header links and follows the\n"
    "chain rules, every commit and record signature verifies, both Merkle roots,\n"
    "the ledger-wide log and every index. The node must be stopped (the store is\n"
    "locked while notaryd runs). Reads DIR/config.json for data_dir and\n"
    "genesis_file (docs/CONFIG.md) as the node does.\n\n"
    "Options:\n"
    "  -d, --home DIR   the node's home directory (required)\n"
    "  -h, --help       show this help\n\n"
    "Exit codes: 0 the store is consistent, 1 it is not (the first problem is\n"
    "printed), 2 usage error, no store, or the store is in use.\n\n"
    "Example:\n"
    "  notary audit --home ./office\n";

/* DIR/rel, or rel itself when absolute. */
static char *resolve(const char *home, const char *rel)
{
	size_t n = strlen(home) + strlen(rel) + 2;
	char *s = malloc(n);
	if (s == NULL)
		return NULL;
	if (rel[0] == '/')
		snprintf(s, n, "%s", rel);
	else
		snprintf(s, n, "%s/%s", home, rel);
	return s;
}

/* LevelDB holds a POSIX record lock on DIR/LOCK while open. Asking with
 * F_GETLK gives a clear answer without depending on LevelDB's message. */
static bool store_locked(const char *data_dir)
{
	char *lock = resolve(data_dir, "LOCK");
	if (lock == NULL)
		return false;
	int fd = open(lock, O_RDWR | O_CLOEXEC);
	free(lock);
	if (fd < 0)
		return false;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	bool locked = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	return locked;
}

typedef struct {
	uint64_t last;
	bool tty;
} progress_state;

static void progress(void *arg, uint64_t height, uint64_t tip)
{
	progress_state *p = arg;
	if (height != tip && height - p->last < 1000)
		return;
	p->last = height;
	if (p->tty)
		fprintf(stderr, "\raudit: height %llu of %llu", (unsigned long long)height,
			(unsigned long long)tip);
	else if (height != tip)
		fprintf(stderr, "audit: height %llu of %llu\n", (unsigned long long)height,
			(unsigned long long)tip);
	if (p->tty && height == tip)
		fputc('\n', stderr);
}

typedef struct {
	const char *genesis, *data;
} audit_paths;

static int run_audit(const audit_paths *p, nt_genesis *g)
{
	nt_why why = {{0}};
	nt_err e = nt_genesis_load(p->genesis, g, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "audit", "cannot use genesis file %s: %s",
				     p->genesis, why.msg[0] ? why.msg : nt_strerror(e));
	struct stat st;
	if (stat(p->data, &st) != 0 || !S_ISDIR(st.st_mode))
		return nt_cli_errorf(NT_EXIT_USAGE, "audit",
				     "no store at %s (has the node ever run?)", p->data);
	if (store_locked(p->data))
		return nt_cli_errorf(NT_EXIT_USAGE, "audit",
				     "the store %s is in use; stop notaryd first", p->data);

	nt_kv *kv = NULL;
	e = nt_kv_leveldb_open(p->data, &kv, &why);
	if (e != NT_OK) {
		if (strstr(why.msg, "lock") != NULL)
			return nt_cli_errorf(NT_EXIT_USAGE, "audit",
					     "the store %s is in use; stop notaryd first (%s)",
					     p->data, why.msg);
		printf("audit FAILED: cannot open the store %s: %s\n", p->data,
		       why.msg[0] ? why.msg : nt_strerror(e));
		return NT_EXIT_FAIL;
	}
	nt_ledger *l = NULL;
	e = nt_ledger_open(kv, g, &l, &why);
	if (e != NT_OK) {
		nt_kv_close(kv);
		printf("audit FAILED: %s\n", why.msg[0] ? why.msg : nt_strerror(e));
		return NT_EXIT_FAIL;
	}
	progress_state ps = {0, isatty(STDERR_FILENO) != 0};
	fprintf(stderr, "audit: checking %llu blocks of chain \"%s\"\n",
		(unsigned long long)nt_ledger_height(l), g->chain_id);
	e = nt_ledger_audit(l, progress, &ps, &why);
	int rc;
	if (e != NT_OK) {
		if (ps.tty)
			fputc('\n', stderr);
		printf("audit FAILED: %s\n", why.msg[0] ? why.msg : nt_strerror(e));
		rc = NT_EXIT_FAIL;
	} else {
		const nt_header *tip = nt_ledger_tip(l);
		nt_hash root;
		nt_merkle_log_root(nt_ledger_log(l), &root);
		char hex[65];
		nt_cli_hex32(root.b, hex);
		printf("audit OK: %llu blocks, %llu records, log_root %s\n",
		       (unsigned long long)nt_ledger_height(l),
		       (unsigned long long)(tip != NULL ? tip->log_size : 0), hex);
		rc = NT_EXIT_OK;
	}
	nt_ledger_free(l);
	nt_kv_close(kv);
	return rc;
}

int nt_cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"home", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *home = NULL;
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":d:h", opts)) != -1) {
		switch (c) {
		case 'd':
			home = optarg;
			break;
		case 'h':
			fputs(audit_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return nt_cli_usage_error("audit", "unexpected argument '%s'", argv[optind]);
	if (home == NULL)
		return nt_cli_usage_error("audit", "--home DIR is required");

	/* The node's own config parser, so that audit opens exactly the store
	 * and genesis the node uses. */
	nt_config cfg;
	nt_why why = {{0}};
	nt_err e = nt_config_load(home, &cfg, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "audit", "%s (is %s a node home?)",
				     why.msg[0] ? why.msg : nt_strerror(e), home);
	audit_paths p = {cfg.genesis_file, cfg.data_dir};
	nt_genesis *g = malloc(sizeof *g);
	int rc =
	    g != NULL ? run_audit(&p, g) : nt_cli_errorf(NT_EXIT_FAIL, "audit", "out of memory");
	free(g);
	nt_config_free(&cfg);
	return rc;
}
