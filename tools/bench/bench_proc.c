/* notary-bench: the nodes as processes. A testnet written by build/notary
 * in a temporary folder, one notaryd per node, /proc readings, and a
 * cleanup that runs however the program ends: atexit for a normal exit or
 * an error path, signal handlers for Ctrl-C / SIGTERM, and a parent-death
 * signal in each child for a bench killed with -9. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/rpc_client.h"
#include "tools/bench/bench.h"

#define STOP_GRACE_MS 10000
#define START_WAIT_MS 20000
#define TESTNET_WAIT_MS 60000

static bench_cluster *g_cluster; /* for atexit and the signal handlers */

uint64_t bench_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t bench_now_ms(void)
{
	return bench_now_us() / 1000u;
}

void bench_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Only async-signal-safe calls: kill the process groups, say where the
 * folder is, leave. */
static void on_signal(int sig)
{
	bench_cluster *c = g_cluster;
	if (c != NULL)
		for (unsigned i = 0; i < BENCH_MAX_NODES; i++)
			if (c->nodes[i].pid > 0)
				kill(-c->nodes[i].pid, SIGKILL);
	static const char msg[] = "notary-bench: interrupted; nodes killed, temporary folder left\n";
	ssize_t w = write(2, msg, sizeof msg - 1);
	(void)w;
	_exit(128 + sig);
}

static void at_exit(void)
{
	if (g_cluster != NULL)
		bench_cluster_stop(g_cluster);
}

static void install_cleanup(bench_cluster *c)
{
	g_cluster = c;
	static bool once;
	if (once)
		return;
	once = true;
	atexit(at_exit);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static bool port_free(unsigned port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return false;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok = bind(s, (struct sockaddr *)&a, sizeof a) == 0;
	close(s);
	return ok;
}

/* The first port the kernel hands out to outgoing connections: ports
 * below it are never taken by a client socket, which could otherwise grab a
 * node's port before the node (the observer starts last) binds it. */
static unsigned ephemeral_low(void)
{
	unsigned lo = 32768, hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f != NULL) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2 || lo < 12000)
			lo = 32768;
		fclose(f);
	}
	return lo;
}

static unsigned free_base_port(unsigned nodes)
{
	srand((unsigned)(getpid() ^ time(NULL)));
	unsigned slots = (ephemeral_low() - 10000u - 10u * nodes - 2u) / 10u;
	for (int t = 0; t < 300; t++) {
		unsigned base = 10000u + 10u * (unsigned)(rand() % slots);
		bool ok = true;
		for (unsigned i = 0; ok && i < nodes; i++)
			ok = port_free(base + 10 * i) && port_free(base + 10 * i + 1);
		if (ok)
			return base;
	}
	return 0;
}

/* Runs argv with output to log, waits at most wait_ms. Exit status or -1. */
static int run_wait(char *const argv[], const char *log, unsigned wait_ms)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(argv[0], argv);
		_exit(127);
	}
	uint64_t end = bench_now_ms() + wait_ms;
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (bench_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		bench_sleep_ms(20);
	}
}

/* The certificate each tls+tcp:// node presents, for bench_rpc_open. */
static struct {
	char url[64];
	char *pem;
} trust[BENCH_MAX_NODES];
static unsigned ntrust;

nt_err bench_rpc_open(const char *url, nt_rpc_client **out, nt_why *why)
{
	for (unsigned i = 0; i < ntrust; i++)
		if (strcmp(trust[i].url, url) == 0) {
			nt_tls_opts t = {.ca_pem = trust[i].pem, .verify_peer = true};
			return nt_rpc_client_open_ex(url, &t, out, why);
		}
	return nt_rpc_client_open(url, out, why);
}

static nt_err read_pem(const char *home, char **out, nt_why *why)
{
	char path[2100];
	snprintf(path, sizeof path, "%s/tls.crt", home);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return nt_fail(why, NT_ERR_IO, "cannot read %s: %s", path, strerror(errno));
	char *buf = calloc(1, 16384);
	size_t n = buf != NULL ? fread(buf, 1, 16383, f) : 0;
	fclose(f);
	if (n == 0) {
		free(buf);
		return nt_fail(why, NT_ERR_IO, "cannot read %s", path);
	}
	*out = buf;
	return NT_OK;
}

static nt_err patch_config(const char *home, unsigned rpc_contexts, unsigned interval_ms,
			   const char *rpc, nt_why *why)
{
	char path[2100];
	snprintf(path, sizeof path, "%s/config.json", home);
	json_error_t je;
	json_t *cfg = json_load_file(path, 0, &je);
	if (cfg == NULL)
		return nt_fail(why, NT_ERR_JSON, "cannot read %s: %s", path, je.text);
	if (rpc_contexts > 0)
		json_object_set_new(cfg, "rpc_contexts", json_integer(rpc_contexts));
	json_object_set_new(cfg, "rpc", json_string(rpc));
	/* The catch-up client dials the peers' rpc: over TLS too, pinned to
	 * the certificate each peers entry lists. */
	size_t i;
	json_t *peer;
	json_array_foreach(json_object_get(cfg, "peers"), i, peer)
	{
		const char *u = json_string_value(json_object_get(peer, "rpc"));
		char tls[80];
		if (nt_url_is_tls(rpc) && u != NULL && strncmp(u, "tcp://", 6) == 0 &&
		    snprintf(tls, sizeof tls, "tls+%s", u) < (int)sizeof tls)
			json_object_set_new(peer, "rpc", json_string(tls));
	}
	if (interval_ms > 0) {
		json_t *blk = json_object_get(cfg, "block");
		if (!json_is_object(blk)) {
			blk = json_object();
			json_object_set_new(cfg, "block", blk);
		}
		json_object_set_new(blk, "interval_ms", json_integer(interval_ms));
	}
	int rv = json_dump_file(cfg, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(cfg);
	if (rv != 0)
		return nt_fail(why, NT_ERR_IO, "cannot write %s", path);
	return NT_OK;
}

nt_err bench_cluster_setup(bench_cluster *c, unsigned validators, unsigned observers,
			   unsigned rpc_contexts, unsigned interval_ms, nt_why *why)
{
	unsigned total = validators + observers;
	if (validators == 0 || total > BENCH_MAX_NODES)
		return nt_fail(why, NT_ERR_ARG, "1..%d nodes", BENCH_MAX_NODES);
	install_cleanup(c);
	char exe[1024];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return nt_fail(why, NT_ERR_IO, "cannot read /proc/self/exe");
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL)
		return nt_fail(why, NT_ERR_IO, "odd /proc/self/exe %s", exe);
	*slash = '\0';
	snprintf(c->bindir, sizeof c->bindir, "%s", exe);
	char notary[1100], notaryd[1100];
	snprintf(notary, sizeof notary, "%s/notary", c->bindir);
	snprintf(notaryd, sizeof notaryd, "%s/notaryd", c->bindir);
	if (access(notary, X_OK) != 0 || access(notaryd, X_OK) != 0)
		return nt_fail(why, NT_ERR_NOT_FOUND,
			       "%s and %s must exist beside notary-bench (run make bench)", notary,
			       notaryd);

	const char *tmp = getenv("TMPDIR");
	snprintf(c->dir, sizeof c->dir, "%s/notary-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(c->dir) == NULL) {
		c->dir[0] = '\0';
		return nt_fail(why, NT_ERR_IO, "cannot create a temporary folder: %s",
			       strerror(errno));
	}
	c->validators = validators;
	c->observers = observers;
	unsigned base = free_base_port(total);
	if (base == 0)
		return nt_fail(why, NT_ERR_NET, "no free range of loopback ports found");
	char net[1100], sv[16], so[16], sp[16], log[1100];
	snprintf(net, sizeof net, "%s/net", c->dir);
	snprintf(sv, sizeof sv, "%u", validators);
	snprintf(so, sizeof so, "%u", observers);
	snprintf(sp, sizeof sp, "%u", base);
	snprintf(log, sizeof log, "%s/testnet.log", c->dir);
	char *argv[] = {notary,	       "testnet", "--dir", net, "--validators", sv, "--observers",
			so,	       "--chain-id", "bench", "--base-port", sp, NULL, NULL};
	if (c->tls)
		argv[12] = "--tls";
	int rc = run_wait(argv, log, TESTNET_WAIT_MS);
	if (rc != 0)
		return nt_fail(why, NT_ERR_IO, "notary testnet failed (exit %d); see %s", rc, log);
	for (unsigned i = 0; i < total; i++) {
		bench_node *nd = &c->nodes[i];
		snprintf(nd->home, sizeof nd->home, "%s/node%u", net, i);
		snprintf(nd->rpc, sizeof nd->rpc, "%stcp://127.0.0.1:%u",
			 c->tls_clients ? "tls+" : "", base + 10 * i);
		nt_err e = patch_config(nd->home, rpc_contexts, interval_ms, nd->rpc, why);
		if (e == NT_OK && c->tls_clients) {
			snprintf(trust[ntrust].url, sizeof trust[ntrust].url, "%s", nd->rpc);
			e = read_pem(nd->home, &trust[ntrust].pem, why);
			ntrust += e == NT_OK;
		}
		if (e != NT_OK)
			return e;
	}
	return NT_OK;
}

static void log_tail(const char *path, char *out, size_t cap)
{
	out[0] = '\0';
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	long from = sz > (long)cap - 1 ? sz - (long)cap + 1 : 0;
	fseek(f, from, SEEK_SET);
	size_t n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	fclose(f);
}

nt_err bench_node_start(bench_cluster *c, unsigned i, nt_why *why)
{
	bench_node *nd = &c->nodes[i];
	char notaryd[1100], log[2100];
	snprintf(notaryd, sizeof notaryd, "%s/notaryd", c->bindir);
	snprintf(log, sizeof log, "%s/notaryd.log", nd->home);
	pid_t pid = fork();
	if (pid < 0)
		return nt_fail(why, NT_ERR_IO, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* Own process group: a terminal's Ctrl-C reaches only the
		 * bench, which then kills the nodes itself. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(notaryd, notaryd, "--home", nd->home, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	nd->pid = pid;
	nd->started_ms = bench_now_ms();
	uint64_t end = nd->started_ms + START_WAIT_MS;
	while (bench_now_ms() < end) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			nd->pid = 0;
			char tail[600];
			log_tail(log, tail, sizeof tail);
			return nt_fail(why, NT_ERR_IO, "notaryd for node%u exited at start: %s", i,
				       tail);
		}
		if (bench_node_height(nd->rpc, 500) >= 0)
			return NT_OK;
		bench_sleep_ms(50);
	}
	return nt_fail(why, NT_ERR_TIMEOUT, "node%u did not answer on %s within %d s", i, nd->rpc,
		       START_WAIT_MS / 1000);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void bench_cluster_stop(bench_cluster *c)
{
	for (unsigned i = 0; i < BENCH_MAX_NODES; i++)
		if (c->nodes[i].pid > 0)
			kill(c->nodes[i].pid, SIGTERM);
	uint64_t end = bench_now_ms() + STOP_GRACE_MS;
	for (unsigned i = 0; i < BENCH_MAX_NODES; i++) {
		pid_t pid = c->nodes[i].pid;
		if (pid <= 0)
			continue;
		int st;
		while (waitpid(pid, &st, WNOHANG) == 0) {
			if (bench_now_ms() > end) {
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				break;
			}
			bench_sleep_ms(20);
		}
		c->nodes[i].pid = 0;
	}
	if (c->dir[0] != '\0') {
		if (c->keep)
			fprintf(stderr, "notary-bench: kept %s\n", c->dir);
		else
			nftw(c->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		c->dir[0] = '\0';
	}
}

double bench_proc_cpu_s(pid_t pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces: fields count from the last ')'. */
	char *p = strrchr(buf, ')');
	if (p == NULL)
		return -1;
	unsigned long long ut = 0, stime = 0;
	/* After ")": state(3) ... utime is field 14, stime 15. */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stime) !=
	    2)
		return -1;
	return (double)(ut + stime) / (double)sysconf(_SC_CLK_TCK);
}

double bench_proc_hwm_mb(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	double mb = -1;
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long kb;
		if (sscanf(line, "VmHWM: %lu kB", &kb) == 1) {
			mb = (double)kb / 1024.0;
			break;
		}
	}
	fclose(f);
	return mb;
}

static uint64_t g_du;
static int du_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F || flag == FTW_D || flag == FTW_DP)
		g_du += (uint64_t)st->st_blocks * 512u;
	return 0;
}

uint64_t bench_du(const char *path)
{
	g_du = 0;
	nftw(path, du_entry, 16, FTW_PHYS);
	return g_du;
}

int64_t bench_node_height(const char *url, int timeout_ms)
{
	nt_rpc_client *cl = NULL;
	nt_why why = {{0}};
	if (bench_rpc_open(url, &cl, &why) != NT_OK)
		return -1;
	static const char req[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}";
	char *resp = NULL;
	size_t len = 0;
	int64_t h = -1;
	if (nt_rpc_client_call(cl, req, sizeof req - 1, timeout_ms, &resp, &len, &why) == NT_OK) {
		json_t *j = json_loadb(resp, len, 0, NULL);
		json_t *v = json_object_get(json_object_get(j, "result"), "height");
		if (json_is_integer(v))
			h = (int64_t)json_integer_value(v);
		json_decref(j);
		free(resp);
	}
	nt_rpc_client_close(cl);
	return h;
}
