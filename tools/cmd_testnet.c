/* notary testnet: write (and optionally run) a local network of N validators
 * and M observers that share one genesis, each node in its own home.
 *
 * Writing is the easy half. Running is a small supervisor: one notaryd child
 * per node, each in its own process group (so a terminal's Ctrl-C reaches
 * only us and we stop the children in order) and with a parent-death signal
 * (so a supervisor killed with -9 does not leave orphan nodes behind). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/hex.h"
#include "core/genesis.h"
#include "crypto/keys.h"
#include "node/config.h"
#include "node/genesis_file.h"
#include "tools/cli.h"
#include "tools/cli_tls.h"

#define TN_MAX_VALIDATORS 64
#define TN_MAX_OBSERVERS 64
#define TN_MAX_NODES (TN_MAX_VALIDATORS + TN_MAX_OBSERVERS)
#define TN_DEFAULT_PORT 7400
#define TN_PORT_STRIDE 10
#define TN_STOP_GRACE_MS 10000
#define TN_LOG_TAIL_LINES 12

static const char testnet_usage[] =
    "usage: notary testnet --dir DIR --validators N [--observers M] [--chain-id ID]\n"
    "                      [--base-port P] [--genesis-format 1|2] [--tls] [--run]\n\n"
    "Writes a local network that runs on one machine: DIR/node0 .. DIR/node{N+M-1},\n"
    "each a node home with its own validator.key (0600), config.json, and the SAME\n"
    "genesis.json naming the first N nodes' keys as the validators (\"Notary Office\n"
    "A\", \"Notary Office B\", ...). Observers follow the chain and serve clients but\n"
    "do not vote. Node i listens for clients on tcp://127.0.0.1:(P+10*i), for\n"
    "peers on tcp://127.0.0.1:(P+10*i+1) and serves the verification page on\n"
    "http://127.0.0.1:(P+10*i+2)/; every node lists all others as peers, with\n"
    "their TLS certificates (DIR/nodeI/peers/) and bindings (docs/CONFIG.md).\n"
    "Peer links are plain tcp:// on loopback unless --tls makes them mutual TLS.\n"
    "Refuses a DIR that already holds node0.\n\n"
    "Options:\n"
    "  -d, --dir DIR          directory to create the node homes in (required)\n"
    "  -n, --validators N     number of validators, 1-64 (required unless --run\n"
    "                         finds a testnet in DIR already)\n"
    "  -o, --observers M      number of non-voting nodes, 0-64 (default 0)\n"
    "  -c, --chain-id ID      chain id, 1-50 of [a-z0-9._-] (default local-testnet)\n"
    "  -p, --base-port P      first node's client port (default 7400)\n"
    "  -g, --genesis-format F 2 (default): notary-genesis/2, whose office names and\n"
    "                         genesis are covered by the chain's hashes and whose\n"
    "                         fingerprint identifies the network; 1: the old format\n"
    "                         (for networks that must match version 1 tools)\n"
    "  -t, --tls              peers talk over tls+tcp:// with mutual TLS: each node\n"
    "                         accepts only the listed (pinned) certificates\n"
    "  -r, --run              then start one notaryd per node (DIR/nodeI/notaryd.log)\n"
    "                         and stop them all on Ctrl-C; with a testnet already in\n"
    "                         DIR, just run it\n"
    "  -h, --help             show this help\n\n"
    "Example:\n"
    "  notary testnet --dir ./net --validators 4 --run\n"
    "  notary submit --node tcp://127.0.0.1:7410 --key party.key exhibit.pdf\n";

typedef struct {
	char name[16];	   /* "node3" */
	char home[4096];   /* DIR/node3 */
	char rpc[64];	   /* tcp://127.0.0.1:7430 */
	char p2p[64];	   /* tcp://127.0.0.1:7431 */
	char http[64];	   /* http://127.0.0.1:7432/ (the verification page) */
	nt_cli_tls_id tls; /* its certificate's fingerprint and binding */
	const char *role;  /* "validator" or "observer" */
	pid_t pid;	   /* 0: not running */
} tn_node;

/* "Notary Office A".."Z", then "AA", "AB", ... like spreadsheet columns. */
static void office_name(unsigned i, char *buf, size_t cap)
{
	char letters[8];
	size_t n = 0;
	unsigned v = i + 1;
	while (v > 0 && n < sizeof letters) {
		v--;
		letters[n++] = (char)('A' + v % 26);
		v /= 26;
	}
	char rev[8];
	for (size_t k = 0; k < n; k++)
		rev[k] = letters[n - 1 - k];
	snprintf(buf, cap, "Notary Office %.*s", (int)n, rev);
}

static bool node_paths(const char *dir, unsigned i, tn_node *nd)
{
	memset(nd, 0, sizeof *nd);
	snprintf(nd->name, sizeof nd->name, "node%u", i);
	int n = snprintf(nd->home, sizeof nd->home, "%s/%s", dir, nd->name);
	return n > 0 && (size_t)n < sizeof nd->home - 32;
}

static void node_urls(tn_node *nd, unsigned i, unsigned base, bool tls)
{
	unsigned port = base + TN_PORT_STRIDE * i;
	snprintf(nd->rpc, sizeof nd->rpc, "tcp://127.0.0.1:%u", port);
	snprintf(nd->p2p, sizeof nd->p2p, "%s://127.0.0.1:%u", tls ? "tls+tcp" : "tcp", port + 1);
	snprintf(nd->http, sizeof nd->http, "http://127.0.0.1:%u/", port + 2);
}

static void print_table(const tn_node *nodes, unsigned total)
{
	printf("  %-7s %-10s %-24s %s\n", "node", "role", "RPC (clients)", "p2p (peers)");
	for (unsigned i = 0; i < total; i++)
		printf("  %-7s %-10s %-24s %s\n", nodes[i].name, nodes[i].role, nodes[i].rpc,
		       nodes[i].p2p);
}

/* ---- writing ---- */

static json_t *peers_of(const tn_node *nodes, unsigned total, unsigned self)
{
	json_t *a = json_array();
	for (unsigned j = 0; a != NULL && j < total; j++) {
		if (j == self)
			continue;
		char crt[48];
		snprintf(crt, sizeof crt, "peers/%s.crt", nodes[j].name);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "p2p", nodes[j].p2p, "rpc",
				      nodes[j].rpc, "tls_cert", crt, "tls_fingerprint",
				      nodes[j].tls.fp_hex, "tls_binding", nodes[j].tls.bind_hex);
		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Copies each other node's tls.crt to nd's peers/NAME.crt. */
static int copy_peer_certs(const tn_node *nd, unsigned i, const tn_node *nodes, unsigned total)
{
	char dir[sizeof nd->home + 32];
	snprintf(dir, sizeof dir, "%s/peers", nd->home);
	if (nt_cli_mkdirs(dir, 0755) != 0)
		return nt_cli_errorf(NT_EXIT_FAIL, "testnet", "cannot create %s: %s", dir,
				     strerror(errno));
	for (unsigned j = 0; j < total; j++) {
		if (j == i)
			continue;
		char src[sizeof nd->home + 32], dst[sizeof nd->home + 64], buf[8192];
		snprintf(src, sizeof src, "%s/tls.crt", nodes[j].home);
		snprintf(dst, sizeof dst, "%s/%s.crt", dir, nodes[j].name);
		FILE *f = fopen(src, "rb");
		size_t n = f != NULL ? fread(buf, 1, sizeof buf, f) : 0;
		if (f != NULL)
			fclose(f);
		nt_why why = {{0}};
		if (n == 0 || n == sizeof buf)
			return nt_cli_errorf(NT_EXIT_FAIL, "testnet", "cannot read %s", src);
		if (nt_cli_write_file(dst, buf, n, 0644, false, &why) != NT_OK)
			return nt_cli_errorf(NT_EXIT_FAIL, "testnet", "%s", why.msg);
	}
	return NT_EXIT_OK;
}

static int write_config(const tn_node *nd, unsigned i, const tn_node *nodes, unsigned total)
{
	nt_why why = {{0}};
	char path[sizeof nd->home + 32];
	if (copy_peer_certs(nd, i, nodes, total) != NT_EXIT_OK)
		return NT_EXIT_FAIL;
	json_t *cfg =
	    nt_config_json(nd->name, nd->rpc, nd->p2p, nd->http, peers_of(nodes, total, i));
	if (cfg == NULL)
		return nt_cli_errorf(NT_EXIT_FAIL, "testnet", "out of memory");
	snprintf(path, sizeof path, "%s/config.json", nd->home);
	nt_err e = nt_cli_write_json(path, cfg, 0644, false, &why);
	json_decref(cfg);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "testnet", "%s", why.msg);
	return NT_EXIT_OK;
}

/* The key, the genesis and the TLS certificate (bound by signer: the
 * node's own key, or for an observer the first office's). */
static int write_node(tn_node *nd, const nt_seckey *key, const nt_seckey *signer, const char *gjson)
{
	nt_why why = {{0}};
	char path[sizeof nd->home + 32];
	if (nt_cli_mkdirs(nd->home, 0700) != 0)
		return nt_cli_errorf(NT_EXIT_FAIL, "testnet", "cannot create %s: %s", nd->home,
				     strerror(errno));
	snprintf(path, sizeof path, "%s/validator.key", nd->home);
	nt_err e = nt_keyfile_write(path, key, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "testnet", "cannot write %s: %s", path,
				     why.msg[0] ? why.msg : nt_strerror(e));
	snprintf(path, sizeof path, "%s/genesis.json", nd->home);
	e = nt_cli_write_file(path, gjson, strlen(gjson), 0644, false, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "testnet", "%s", why.msg);
	if (nt_cli_tls_make(nd->home, nd->name, signer, &nd->tls, &why) != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "testnet", "cannot make the TLS certificate: %s",
				     why.msg);
	return NT_EXIT_OK;
}

static int write_testnet(const char *dir, unsigned nv, unsigned no, const char *chain_id,
			 unsigned base, unsigned format, bool tls, tn_node *nodes)
{
	unsigned total = nv + no;
	for (unsigned i = 0; i < total; i++) {
		if (!node_paths(dir, i, &nodes[i]))
			return nt_cli_usage_error("testnet", "--dir path is too long");
		node_urls(&nodes[i], i, base, tls);
		nodes[i].role = i < nv ? "validator" : "observer";
		if (nt_cli_exists(nodes[i].home))
			return nt_cli_errorf(NT_EXIT_FAIL, "testnet",
					     "%s already exists; refusing to overwrite a testnet "
					     "(remove %s to start over, or add --run to run it)",
					     nodes[i].home, dir);
	}
	if (nt_cli_mkdirs(dir, 0755) != 0)
		return nt_cli_errorf(NT_EXIT_FAIL, "testnet", "cannot create %s: %s", dir,
				     strerror(errno));

	int rc = NT_EXIT_FAIL;
	nt_seckey **keys = calloc(total, sizeof *keys);
	nt_genesis *g = calloc(1, sizeof *g);
	char *gjson = NULL;
	if (keys == NULL || g == NULL) {
		nt_cli_errorf(NT_EXIT_FAIL, "testnet", "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < total; i++) {
		nt_err e = nt_seckey_generate(&keys[i]);
		if (e != NT_OK) {
			nt_cli_errorf(NT_EXIT_FAIL, "testnet", "cannot generate a key: %s",
				      nt_strerror(e));
			goto out;
		}
	}
	snprintf(g->chain_id, sizeof g->chain_id, "%s", chain_id);
	g->genesis_time = nt_cli_now_ms();
	g->vals.n = (uint16_t)nv;
	for (unsigned i = 0; i < nv; i++) {
		nt_seckey_pubkey(keys[i], &g->vals.keys[i]);
		office_name(i, g->vals.names[i], sizeof g->vals.names[i]);
	}
	g->version = (uint8_t)format;
	if (nt_genesis_seal(g) != NT_OK || nt_genesis_to_json(g, &gjson) != NT_OK) {
		nt_cli_errorf(NT_EXIT_FAIL, "testnet", "cannot build genesis.json");
		goto out;
	}
	for (unsigned i = 0; i < total; i++) {
		if (write_node(&nodes[i], keys[i], keys[i < nv ? i : 0], gjson) != NT_EXIT_OK)
			goto out;
	}
	for (unsigned i = 0; i < total; i++) {
		if (write_config(&nodes[i], i, nodes, total) != NT_EXIT_OK)
			goto out;
	}

	printf("created a testnet in %s: chain \"%s\", %u validator%s, %u observer%s\n", dir,
	       g->chain_id, nv, nv == 1 ? "" : "s", no, no == 1 ? "" : "s");
	if (nt_genesis_is_v2(g)) {
		char fp[NT_FINGERPRINT_LEN + 1];
		nt_genesis_fingerprint(&g->genesis_hash, fp);
		printf("fingerprint %s (compare it with every verdict of this network)\n", fp);
	}
	print_table(nodes, total);
	printf("\nEach nodeI holds validator.key (0600), config.json and the same genesis.json\n"
	       "(the trust anchor: give it to anyone who must verify receipts), its TLS key\n"
	       "and certificate (tls.key, tls.crt) and the other nodes' certificates in\n"
	       "peers/, listed with their bindings in config.json. Peer links: %s.\n",
	       tls ? "mutual TLS (tls+tcp://), listed certificates only"
		   : "plain tcp:// on loopback (--tls for mutual TLS)");
	rc = NT_EXIT_OK;
out:
	for (unsigned i = 0; keys != NULL && i < total; i++)
		nt_seckey_free(keys[i]);
	free(keys);
	free(g);
	free(gjson);
	return rc;
}

/* ---- running ---- */

/* Fills nodes[] from the homes found in DIR (node0, node1, ... while they
 * have a config.json). Returns how many, 0 if none. */
static unsigned load_testnet(const char *dir, tn_node *nodes)
{
	nt_genesis *g = calloc(1, sizeof *g);
	unsigned n = 0;
	for (; n < TN_MAX_NODES; n++) {
		tn_node *nd = &nodes[n];
		char path[sizeof nd->home + 32];
		if (!node_paths(dir, n, nd))
			break;
		snprintf(path, sizeof path, "%s/config.json", nd->home);
		json_error_t jerr;
		json_t *cfg = json_load_file(path, 0, &jerr);
		if (cfg == NULL)
			break;
		snprintf(nd->rpc, sizeof nd->rpc, "%s", nt_cli_jstr(cfg, "rpc", "?"));
		snprintf(nd->p2p, sizeof nd->p2p, "%s", nt_cli_jstr(cfg, "p2p", "?"));
		json_decref(cfg);

		/* The role is whether this node's key is in its genesis. */
		nd->role = "?";
		nt_why why = {{0}};
		nt_seckey *k = NULL;
		snprintf(path, sizeof path, "%s/genesis.json", nd->home);
		if (g != NULL && nt_genesis_load(path, g, &why) == NT_OK) {
			snprintf(path, sizeof path, "%s/validator.key", nd->home);
			if (nt_keyfile_read(path, &k, &why) == NT_OK) {
				nt_pubkey pk;
				nt_seckey_pubkey(k, &pk);
				nd->role =
				    nt_valset_index(&g->vals, &pk) >= 0 ? "validator" : "observer";
				nt_seckey_free(k);
			}
		}
	}
	free(g);
	return n;
}

/* notaryd beside this executable. */
static bool find_notaryd(char *out, size_t cap)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return false;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (slash == NULL)
		return false;
	*slash = '\0';
	int m = snprintf(out, cap, "%s/notaryd", self);
	return m > 0 && (size_t)m < cap && access(out, X_OK) == 0;
}

static pid_t spawn(const char *notaryd, const tn_node *nd, const sigset_t *oldmask)
{
	char log[sizeof nd->home + 32];
	snprintf(log, sizeof log, "%s/notaryd.log", nd->home);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		nt_cli_errorf(NT_EXIT_FAIL, "testnet", "cannot open %s: %s", log, strerror(errno));
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		nt_cli_errorf(NT_EXIT_FAIL, "testnet", "fork: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (pid == 0) {
		/* Child: only async-signal-safe calls until exec. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1); /* the supervisor died before the prctl */
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		sigprocmask(SIG_SETMASK, oldmask, NULL);
		execl(notaryd, "notaryd", "--home", nd->home, (char *)NULL);
		static const char msg[] = "notary testnet: cannot execute notaryd\n";
		ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
		(void)w;
		_exit(127);
	}
	close(fd);
	return pid;
}

/* Prints the last lines of a node's log, defused for the terminal. */
static void log_tail(const tn_node *nd)
{
	char path[sizeof nd->home + 32];
	snprintf(path, sizeof path, "%s/notaryd.log", nd->home);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return;
	char buf[4097];
	long start = 0;
	if (fseek(f, 0, SEEK_END) == 0) {
		long size = ftell(f);
		start = size > 4096 ? size - 4096 : 0;
	}
	fseek(f, start, SEEK_SET);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Find the start of the last TN_LOG_TAIL_LINES lines. */
	size_t end = n;
	while (end > 0 && buf[end - 1] == '\n')
		buf[--end] = '\0';
	size_t pos = end;
	int lines = 0;
	while (pos > 0) {
		if (buf[pos - 1] == '\n' && ++lines == TN_LOG_TAIL_LINES)
			break;
		pos--;
	}
	fprintf(stderr, "---- last lines of %s ----\n", path);
	/* put_safe turns '\n' into '?' too: print line by line. */
	for (char *line = buf + pos; line != NULL;) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		fputs("  ", stderr);
		nt_cli_put_safe(stderr, line);
		fputc('\n', stderr);
		line = nl != NULL ? nl + 1 : NULL;
	}
}

static void describe_status(int status, char *buf, size_t cap)
{
	if (WIFEXITED(status))
		snprintf(buf, cap, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, cap, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, cap, "status 0x%x", (unsigned)status);
}

static tn_node *by_pid(tn_node *nodes, unsigned n, pid_t pid)
{
	for (unsigned i = 0; i < n; i++)
		if (nodes[i].pid == pid)
			return &nodes[i];
	return NULL;
}

/* Reaps exited children; reports them unless quiet. Returns how many still run. */
static unsigned reap(tn_node *nodes, unsigned n, bool quiet)
{
	int status;
	pid_t pid;
	bool reported = false;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		tn_node *nd = by_pid(nodes, n, pid);
		if (nd == NULL)
			continue;
		nd->pid = 0;
		char how[96];
		describe_status(status, how, sizeof how);
		if (quiet) {
			printf("%s stopped (%s)\n", nd->name, how);
		} else {
			fprintf(stderr, "notary testnet: %s (%s) exited by itself: %s\n", nd->name,
				nd->rpc, how);
			log_tail(nd);
			reported = true;
		}
		fflush(stdout);
	}
	unsigned alive = 0;
	for (unsigned i = 0; i < n; i++)
		alive += nodes[i].pid > 0;
	if (reported && alive > 0)
		fprintf(stderr, "notary testnet: the other %u node%s keep running.\n", alive,
			alive == 1 ? "" : "s");
	return alive;
}

static void stop_all(tn_node *nodes, unsigned n)
{
	unsigned alive = reap(nodes, n, true);
	printf("stopping %u node%s...\n", alive, alive == 1 ? "" : "s");
	fflush(stdout);
	for (unsigned i = 0; i < n; i++)
		if (nodes[i].pid > 0)
			kill(nodes[i].pid, SIGTERM);
	uint64_t deadline = nt_cli_mono_ms() + TN_STOP_GRACE_MS;
	while (alive > 0 && nt_cli_mono_ms() < deadline) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
		alive = reap(nodes, n, true);
	}
	for (unsigned i = 0; i < n; i++) {
		if (nodes[i].pid <= 0)
			continue;
		fprintf(stderr, "notary testnet: %s did not stop within %d s; killing it\n",
			nodes[i].name, TN_STOP_GRACE_MS / 1000);
		kill(nodes[i].pid, SIGKILL);
		int status;
		while (waitpid(nodes[i].pid, &status, 0) < 0 && errno == EINTR)
			;
		nodes[i].pid = 0;
	}
}

static int run_testnet(const char *dir, tn_node *nodes, unsigned n)
{
	char notaryd[4096];
	if (!find_notaryd(notaryd, sizeof notaryd))
		return nt_cli_errorf(NT_EXIT_FAIL, "testnet",
				     "cannot find an executable notaryd beside this notary binary");

	/* Block the signals we wait for before the first fork, so none is lost
	 * between starting a child and waiting. Children get the old mask back. */
	sigset_t set, oldmask;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &oldmask);

	printf("\nstarting %u node%s (%s):\n", n, n == 1 ? "" : "s", notaryd);
	for (unsigned i = 0; i < n; i++) {
		pid_t pid = spawn(notaryd, &nodes[i], &oldmask);
		if (pid < 0) {
			stop_all(nodes, n);
			sigprocmask(SIG_SETMASK, &oldmask, NULL);
			return NT_EXIT_FAIL;
		}
		nodes[i].pid = pid;
		printf("  %-7s %-10s pid %-8d rpc %s  log %s/notaryd.log\n", nodes[i].name,
		       nodes[i].role, (int)pid, nodes[i].rpc, nodes[i].home);
	}
	printf("\nSubmit evidence through any node, from another terminal:\n"
	       "  notary keygen --out party.key\n"
	       "  notary submit --node %s --key party.key FILE\n"
	       "  notary verify --genesis %s/genesis.json --receipt FILE.receipt.json FILE\n"
	       "  notary status --node %s\n"
	       "Press Ctrl-C to stop all nodes.\n",
	       nodes[0].rpc, nodes[0].home, nodes[n > 1 ? n - 1 : 0].rpc);
	fflush(stdout);

	int rc = NT_EXIT_OK;
	for (;;) {
		struct timespec tick = {1, 0};
		siginfo_t si;
		int sig = sigtimedwait(&set, &si, &tick);
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
			printf("\nreceived %s\n", strsignal(sig));
			break;
		}
		/* SIGCHLD, or the tick: a missed SIGCHLD cannot hide an exit. */
		if (reap(nodes, n, false) == 0) {
			fprintf(stderr,
				"notary testnet: every node has exited; see the logs in %s\n", dir);
			rc = NT_EXIT_FAIL;
			break;
		}
	}
	stop_all(nodes, n);
	printf("all nodes stopped\n");
	fflush(stdout);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return rc;
}

/* ---- command ---- */

static bool parse_count(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	uint64_t v;
	if (!nt_cli_parse_u64(s, &v) || v < lo || v > hi)
		return false;
	*out = (unsigned)v;
	return true;
}

int nt_cmd_testnet(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"validators", required_argument, NULL, 'n'},
	    {"observers", required_argument, NULL, 'o'},
	    {"chain-id", required_argument, NULL, 'c'},
	    {"base-port", required_argument, NULL, 'p'},
	    {"genesis-format", required_argument, NULL, 'g'},
	    {"run", no_argument, NULL, 'r'},
	    {"tls", no_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *chain_id = "local-testnet";
	unsigned nv = 0, no = 0, base = TN_DEFAULT_PORT, format = 2;
	bool have_nv = false, run = false, tls = false;
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":d:n:o:c:p:g:rth", opts)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
			if (!parse_count(optarg, 1, TN_MAX_VALIDATORS, &nv))
				return nt_cli_usage_error("testnet",
							  "--validators must be 1-%d, not '%s'",
							  TN_MAX_VALIDATORS, optarg);
			have_nv = true;
			break;
		case 'o':
			if (!parse_count(optarg, 0, TN_MAX_OBSERVERS, &no))
				return nt_cli_usage_error("testnet",
							  "--observers must be 0-%d, not '%s'",
							  TN_MAX_OBSERVERS, optarg);
			break;
		case 'c':
			chain_id = optarg;
			break;
		case 'p':
			if (!parse_count(optarg, 1, 65535, &base))
				return nt_cli_usage_error(
				    "testnet", "--base-port must be 1-65535, not '%s'", optarg);
			break;
		case 'g':
			if (!parse_count(optarg, 1, 2, &format))
				return nt_cli_usage_error(
				    "testnet", "--genesis-format must be 1 or 2, not '%s'", optarg);
			break;
		case 'r':
			run = true;
			break;
		case 't':
			tls = true;
			break;
		case 'h':
			fputs(testnet_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return nt_cli_usage_error("testnet", "unexpected argument '%s'", argv[optind]);
	if (dir == NULL || dir[0] == '\0')
		return nt_cli_usage_error("testnet", "--dir DIR is required");
	if (!nt_chain_id_valid(chain_id))
		return nt_cli_usage_error("testnet", "chain id '%s' must be 1-50 of [a-z0-9._-]",
					  chain_id);

	tn_node *nodes = calloc(TN_MAX_NODES, sizeof *nodes);
	if (nodes == NULL)
		return nt_cli_errorf(NT_EXIT_FAIL, "testnet", "out of memory");
	int rc;
	unsigned found = run ? load_testnet(dir, nodes) : 0;
	if (found > 0) {
		printf("running the testnet found in %s (%u node%s; options other than --dir "
		       "are ignored)\n",
		       dir, found, found == 1 ? "" : "s");
		print_table(nodes, found);
		rc = run_testnet(dir, nodes, found);
	} else if (!have_nv) {
		rc = nt_cli_usage_error("testnet", "--validators N is required");
	} else if ((uint64_t)base + (uint64_t)TN_PORT_STRIDE * (nv + no - 1) + 1 > 65535) {
		rc = nt_cli_usage_error("testnet",
					"--base-port %u leaves no room for %u nodes (node i uses "
					"ports P+10*i and P+10*i+1)",
					base, nv + no);
	} else {
		rc = write_testnet(dir, nv, no, chain_id, base, format, tls, nodes);
		if (rc == NT_EXIT_OK && run)
			rc = run_testnet(dir, nodes, nv + no);
		else if (rc == NT_EXIT_OK)
			printf("\nStart every node and stop them all with Ctrl-C:\n"
			       "  notary testnet --dir %s --run\n"
			       "or one node per terminal:\n  notaryd --home %s\n",
			       dir, nodes[0].home);
	}
	free(nodes);
	return rc;
}
