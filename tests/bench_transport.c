/* What nng 1.5.2's tls+tcp:// costs against tcp:// per message, apart
 * from the node: one REQ client and one REP echo server in this process,
 * so the CPU figure holds both ends of both messages of a round trip. */
#include "tests/bench_transport.h"

#include "crypto/tlscert.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double wall_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
	       (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

static void *echo(void *arg)
{
	nng_socket *rep = arg;
	nng_msg *m;
	while (nng_recvmsg(*rep, &m, 0) == 0)
		if (nng_sendmsg(*rep, m, 0) != 0)
			nng_msg_free(m);
	return NULL;
}

static void check(int rv, const char *what)
{
	if (rv != 0) {
		fprintf(stderr, "bench-micro: %s: %s\n", what, nng_strerror(rv));
		exit(1);
	}
}

static nng_tls_config *tls_config(nng_tls_mode mode, const char *crt, const char *key)
{
	nng_tls_config *c = NULL;
	check(nng_tls_config_alloc(&c, mode), "TLS config");
	if (mode == NNG_TLS_MODE_SERVER) {
		check(nng_tls_config_own_cert(c, crt, key, NULL), "own certificate");
		check(nng_tls_config_auth_mode(c, NNG_TLS_AUTH_MODE_NONE), "auth mode");
	} else {
		check(nng_tls_config_ca_chain(c, crt, NULL), "CA");
		check(nng_tls_config_auth_mode(c, NNG_TLS_AUTH_MODE_REQUIRED), "auth mode");
	}
	return c;
}

/* Best of rounds: wall and CPU microseconds per round trip of size bytes. */
static void measure(const char *url, const char *crt, const char *key, size_t size, int n,
		    int rounds, double *wall_us, double *cpu_us)
{
	bool tls = strncmp(url, "tls+", 4) == 0;
	nng_socket rep, req;
	nng_listener l;
	nng_dialer d;
	check(nng_rep0_open(&rep), "REP");
	check(nng_listener_create(&l, rep, url), "listener");
	nng_tls_config *sc = tls ? tls_config(NNG_TLS_MODE_SERVER, crt, key) : NULL;
	if (tls)
		check(nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, sc), "listener TLS");
	check(nng_listener_start(l, 0), url);
	int port = 0;
	check(nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port), "bound port");
	char dial[64];
	snprintf(dial, sizeof dial, "%s://127.0.0.1:%d", tls ? "tls+tcp" : "tcp", port);
	pthread_t th;
	pthread_create(&th, NULL, echo, &rep);
	check(nng_req0_open(&req), "REQ");
	check(nng_dialer_create(&d, req, dial), "dialer");
	nng_tls_config *cc = tls ? tls_config(NNG_TLS_MODE_CLIENT, crt, key) : NULL;
	if (tls)
		check(nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cc), "dialer TLS");
	check(nng_dialer_start(d, 0), url);
	char *buf = calloc(1, size);
	*wall_us = *cpu_us = 1e18;
	for (int r = -1; r < rounds; r++) { /* round -1 warms up */
		double w0 = wall_s(), c0 = cpu_s();
		for (int i = 0; i < n; i++) {
			char *got = NULL;
			size_t len = 0;
			check(nng_send(req, buf, size, 0), "send");
			check(nng_recv(req, &got, &len, NNG_FLAG_ALLOC), "receive");
			nng_free(got, len);
		}
		double w = (wall_s() - w0) / n * 1e6, c = (cpu_s() - c0) / n * 1e6;
		if (r >= 0) {
			*wall_us = w < *wall_us ? w : *wall_us;
			*cpu_us = c < *cpu_us ? c : *cpu_us;
		}
	}
	free(buf);
	nng_close(req);
	nng_close(rep);
	pthread_join(th, NULL);
	if (tls) {
		nng_tls_config_free(sc);
		nng_tls_config_free(cc);
	}
}

void bench_transport(int rounds)
{
	char *key = NULL, *crt = NULL;
	nt_why why = {{0}};
	if (nt_tlscert_generate("bench", (int64_t)time(NULL) - 60, 1, &key, &crt, &why) != NT_OK) {
		fprintf(stderr, "bench-micro: %s\n", why.msg);
		exit(1);
	}
	static const struct {
		size_t size;
		int n;
	} cases[] = {{300, 5000}, {4096, 3000}, {65536, 500}};
	printf("REQ/REP round trips on loopback, both ends in one process (best of %d):\n",
	       rounds);
	printf("  %8s %22s %22s\n", "bytes", "tcp:// wall / CPU us", "tls+tcp:// wall / CPU us");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double pw, pc, tw, tc;
		measure("tcp://127.0.0.1:0", NULL, NULL, cases[i].size, cases[i].n, rounds, &pw,
			&pc);
		measure("tls+tcp://127.0.0.1:0", crt, key, cases[i].size, cases[i].n, rounds, &tw,
			&tc);
		printf("  %8zu %10.0f / %9.0f %10.0f / %9.0f\n", cases[i].size, pw, pc, tw, tc);
	}
	free(crt);
	OPENSSL_cleanse(key, strlen(key));
	free(key);
}
