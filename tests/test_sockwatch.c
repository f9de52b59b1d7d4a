#include "tests/testutil.h"

#include "net/pipeguard.h"
#include "net/sockwatch.h"

#include <arpa/inet.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const nt_sockwatch_opts OPTS = {.handshake_ms = 10000,
				       .handshake_max = 4,
				       .per_addr_max = 2,
				       .http_idle_ms = 20000,
				       .http_max = 3};

static nt_addrkey addr(uint8_t host, uint16_t port)
{
	nt_addrkey k = {.port = port};
	k.a[10] = k.a[11] = 0xff;
	k.a[12] = 10;
	k.a[15] = host;
	return k;
}

static nt_sw_conn conn(int fd, unsigned lst, bool http, uint8_t host, uint64_t seen,
		       uint32_t heard, uint32_t spoke)
{
	return (nt_sw_conn){.fd = fd,
			    .lst = lst,
			    .http = http,
			    .peer = addr(host, (uint16_t)(40000 + fd)),
			    .seen_ms = seen,
			    .heard_ms = heard,
			    .spoke_ms = spoke};
}

static nt_sw_verdict verdict_of(const nt_sw_conn *c, size_t n, int fd)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].fd == fd)
			return c[i].cut;
	fail_msg("fd %d lost", fd);
	return NT_SW_KEEP;
}

/* A handshake is cut at the deadline, not before; a pipe never. */
static void test_deadline(void **state)
{
	(void)state;
	uint64_t now = 100000;
	nt_sw_conn c[] = {
	    conn(3, 0, false, 1, now - 9999, 9999, UINT32_MAX),
	    conn(4, 0, false, 2, now - 10000, 10000, UINT32_MAX),
	    conn(5, 0, false, 3, now - 50000, 50000, 50000),
	};
	c[2].pipe = true;
	assert_int_equal(nt_sockwatch_judge(&OPTS, c, 3, now), 1);
	assert_int_equal(verdict_of(c, 3, 3), NT_SW_KEEP);
	assert_int_equal(verdict_of(c, 3, 4), NT_SW_HANDSHAKE_LATE);
	assert_int_equal(verdict_of(c, 3, 5), NT_SW_KEEP);
	nt_sockwatch_opts never = OPTS;
	never.handshake_ms = 0;
	assert_int_equal(nt_sockwatch_judge(&never, c, 3, now), 0);
}

/* Per address: the most silent go first; other addresses are untouched;
 * young connections are neither counted nor cut. */
static void test_per_address(void **state)
{
	(void)state;
	uint64_t now = 100000;
	nt_sw_conn c[] = {
	    conn(10, 0, false, 7, now - 3000, 3000, UINT32_MAX),
	    conn(11, 0, false, 7, now - 3500, 100, UINT32_MAX), /* it just sent data */
	    conn(12, 0, false, 7, now - 5000, 5000, UINT32_MAX),
	    conn(13, 0, false, 7, now - 4000, 4000, UINT32_MAX),
	    conn(14, 0, false, 7, now - 10, 10, UINT32_MAX), /* young */
	    conn(15, 0, false, 8, now - 6000, 6000, UINT32_MAX),
	};
	assert_int_equal(nt_sockwatch_judge(&OPTS, c, 6, now), 2);
	assert_int_equal(verdict_of(c, 6, 12), NT_SW_HANDSHAKE_OVER);
	assert_int_equal(verdict_of(c, 6, 13), NT_SW_HANDSHAKE_OVER);
	assert_int_equal(verdict_of(c, 6, 10), NT_SW_KEEP);
	assert_int_equal(verdict_of(c, 6, 11), NT_SW_KEEP);
	assert_int_equal(verdict_of(c, 6, 14), NT_SW_KEEP);
	assert_int_equal(verdict_of(c, 6, 15), NT_SW_KEEP);
}

/* The listener's cap counts what the per-address cap left, and each
 * listener has its own. */
static void test_listener_cap(void **state)
{
	(void)state;
	uint64_t now = 100000;
	nt_sw_conn c[12];
	size_t n = 0;
	for (int i = 0; i < 6; i++) /* 6 addresses, 1 each, on listener 0 */
		c[n++] = conn(20 + i, 0, false, (uint8_t)(20 + i), now - 2000 - (uint64_t)i,
			      2000 + (uint32_t)i, UINT32_MAX);
	for (int i = 0; i < 4; i++) /* listener 1: at its cap */
		c[n++] = conn(30 + i, 1, false, (uint8_t)(30 + i), now - 2000, 2000, UINT32_MAX);
	assert_int_equal(nt_sockwatch_judge(&OPTS, c, n, now), 2);
	/* the two most silent of listener 0: fds 25 and 24 */
	assert_int_equal(verdict_of(c, n, 25), NT_SW_HANDSHAKE_OVER);
	assert_int_equal(verdict_of(c, n, 24), NT_SW_HANDSHAKE_OVER);
	for (int fd = 20; fd < 24; fd++)
		assert_int_equal(verdict_of(c, n, fd), NT_SW_KEEP);
	for (int fd = 30; fd < 34; fd++)
		assert_int_equal(verdict_of(c, n, fd), NT_SW_KEEP);
}

/* A burst of young connections counts against the listener's cap (the
 * most silent cut), not against the per-address one. */
static void test_young_burst(void **state)
{
	(void)state;
	uint64_t now = 100000;
	nt_sw_conn c[7];
	for (int i = 0; i < 7; i++) /* one address, all seen in this scan */
		c[i] = conn(60 + i, 0, false, 9, now, 10 * (uint32_t)i, UINT32_MAX);
	assert_int_equal(nt_sockwatch_judge(&OPTS, c, 7, now), 3);
	for (int i = 0; i < 7; i++)
		assert_int_equal(verdict_of(c, 7, 60 + i),
				 i >= 4 ? NT_SW_HANDSHAKE_OVER : NT_SW_KEEP);
}

/* HTTP: quiet means nothing sent to it for the idle time, however old; a
 * connection that is sent data stays; the cap cuts the most silent. */
static void test_http(void **state)
{
	(void)state;
	uint64_t now = 100000;
	nt_sw_conn c[] = {
	    /* half a request 25 s ago, nothing answered */
	    conn(40, 2, true, 1, now - 25000, 25000, UINT32_MAX),
	    /* a keep-alive client answered 5 s ago */
	    conn(41, 2, true, 2, now - 60000, 5000, 5000),
	    /* a new connection: never spoken to, but young */
	    conn(42, 2, true, 3, now - 3000, 3000, UINT32_MAX),
	    /* answered 21 s ago */
	    conn(43, 2, true, 4, now - 90000, 21000, 21000),
	};
	assert_int_equal(nt_sockwatch_judge(&OPTS, c, 4, now), 2);
	assert_int_equal(verdict_of(c, 4, 40), NT_SW_HTTP_IDLE);
	assert_int_equal(verdict_of(c, 4, 43), NT_SW_HTTP_IDLE);
	assert_int_equal(verdict_of(c, 4, 41), NT_SW_KEEP);
	assert_int_equal(verdict_of(c, 4, 42), NT_SW_KEEP);

	nt_sw_conn d[6];
	for (int i = 0; i < 6; i++)
		d[i] = conn(50 + i, 0, true, (uint8_t)(50 + i), now - 5000, 1000 * (uint32_t)i,
			    1000);
	assert_int_equal(nt_sockwatch_judge(&OPTS, d, 6, now), 3);
	for (int i = 0; i < 6; i++)
		assert_int_equal(verdict_of(d, 6, 50 + i), i >= 3 ? NT_SW_HTTP_OVER : NT_SW_KEEP);
}

/* The thread's scan on real sockets: a connection to the watched port that
 * never becomes a pipe is shut down after the deadline (the client reads
 * EOF); one to another port is left alone. */
static int listen_any(uint16_t *port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s, 8), 0);
	socklen_t len = sizeof a;
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return s;
}

static int dial(uint16_t port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
	return s;
}

/* True if fd reads EOF within ms (what the server sent first, such as
 * nng's SP header, is read past). */
static bool eof_within(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char b[64];
	while (poll(&p, 1, ms) == 1) {
		ssize_t n = read(fd, b, sizeof b);
		if (n <= 0)
			return n == 0;
	}
	return false;
}

static void test_scan_real_sockets(void **state)
{
	(void)state;
	uint16_t watched, other;
	int lw = listen_any(&watched), lo = listen_any(&other);
	int cw = dial(watched), co = dial(other);
	int aw = accept(lw, NULL, NULL), ao = accept(lo, NULL, NULL);
	assert_true(aw >= 0 && ao >= 0);
	nt_sockwatch_opts o = {.http_idle_ms = 300};
	nt_sockwatch *w = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_sockwatch_new(&o, &w, &why), NT_OK);
	nt_sockwatch_add(w, watched, NULL); /* as an HTTP port */
	nt_sockwatch_scan(w);
	nt_sockwatch_stats st;
	nt_sockwatch_stats_get(w, &st);
	assert_int_equal(st.http_open, 1);
	assert_false(eof_within(cw, 0));
	usleep(400 * 1000);
	nt_sockwatch_scan(w);
	nt_sockwatch_stats_get(w, &st);
	assert_int_equal(st.http_idle_cut, 1);
	assert_int_equal(st.http_open, 0);
	assert_true(eof_within(cw, 1000));
	assert_false(eof_within(co, 100));
	/* the descriptor is still ours (shut down, not closed) */
	assert_int_equal(send(aw, "x", 1, MSG_NOSIGNAL) < 0 ? errno : 0, EPIPE);
	nt_sockwatch_free(w);
	close(cw), close(co), close(aw), close(ao), close(lw), close(lo);
}

/* Waits (bounded) until g's socket has its one pipe. */
static void wait_one_pipe(nt_pipeguard *g)
{
	nt_pipeguard_stats ps = {0};
	for (int i = 0; i < 200 && ps.open == 0; i++) {
		usleep(10 * 1000);
		nt_pipeguard_stats_get(g, &ps);
	}
	assert_int_equal(ps.open, 1);
}

/* w (handshake_ms 300) sees exactly one handshake once nng accepted it,
 * and cuts it after the deadline: raw, its client end, reads EOF. */
static void cut_one_handshake(nt_sockwatch *w, int raw)
{
	nt_sockwatch_stats st = {0};
	for (int i = 0; i < 200 && st.handshaking == 0; i++) {
		usleep(10 * 1000);
		nt_sockwatch_scan(w);
		nt_sockwatch_stats_get(w, &st);
	}
	assert_int_equal(st.handshaking, 1);
	usleep(400 * 1000);
	nt_sockwatch_scan(w);
	nt_sockwatch_stats_get(w, &st);
	assert_int_equal(st.handshake_cut, 1);
	assert_true(eof_within(raw, 1000));
}

/* On a real nng listener: a REQ client (a pipe the guard knows) is never
 * cut, however long it stays; a socket that never sends its SP header is
 * cut after the deadline. */
static void test_pipes_kept_handshakes_cut(void **state)
{
	(void)state;
	nng_socket rep, req;
	nng_listener l;
	assert_int_equal(nng_rep0_open(&rep), 0);
	nt_pipeguard *g = NULL;
	nt_pipeguard_opts go = {0};
	nt_why why = {{0}};
	assert_int_equal(nt_pipeguard_attach(rep, &go, &g, &why), NT_OK);
	assert_int_equal(nng_listener_create(&l, rep, "tcp://127.0.0.1:0"), 0);
	assert_int_equal(nng_listener_start(l, 0), 0);
	uint16_t port = nt_listener_port(l);
	assert_true(port != 0);
	char url[64];
	snprintf(url, sizeof url, "tcp://127.0.0.1:%u", port);
	assert_int_equal(nng_req0_open(&req), 0);
	assert_int_equal(nng_dial(req, url, NULL, 0), 0);
	wait_one_pipe(g);
	int raw = dial(port);
	nt_sockwatch_opts o = {.handshake_ms = 300};
	nt_sockwatch *w = NULL;
	assert_int_equal(nt_sockwatch_new(&o, &w, &why), NT_OK);
	nt_sockwatch_add(w, port, g);
	cut_one_handshake(w, raw);
	nt_sockwatch_stats st;
	usleep(400 * 1000);
	nt_sockwatch_scan(w);
	nt_sockwatch_stats_get(w, &st);
	assert_int_equal(st.handshake_cut, 1);
	assert_int_equal(st.handshaking, 0);
	nt_pipeguard_stats ps;
	nt_pipeguard_stats_get(g, &ps);
	assert_int_equal(ps.open, 1); /* the REQ client's pipe */
	nt_sockwatch_free(w);
	close(raw);
	nng_close(req);
	nng_close(rep);
	nt_pipeguard_free(g);
}

/* A client socket bound to local port `from` (shared: SO_REUSEADDR), dialed
 * to port `to`. */
static int dial_from(uint16_t from, uint16_t to)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	assert_int_equal(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(from),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	a.sin_port = htons(to);
	assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
	return s;
}

static uint16_t local_port(int s)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

/* The kernel gives one client port to connections towards different
 * ports: a pipe on one listener must not hide a stranger's handshake on
 * another that comes from the same address and port. */
static void test_pipe_of_another_listener(void **state)
{
	(void)state;
	nng_socket rep[2];
	nng_listener l[2];
	nt_pipeguard *g[2];
	uint16_t port[2];
	nt_pipeguard_opts go = {0};
	nt_why why = {{0}};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(nng_rep0_open(&rep[i]), 0);
		assert_int_equal(nt_pipeguard_attach(rep[i], &go, &g[i], &why), NT_OK);
		assert_int_equal(nng_listener_create(&l[i], rep[i], "tcp://127.0.0.1:0"), 0);
		assert_int_equal(nng_listener_start(l[i], 0), 0);
		port[i] = nt_listener_port(l[i]);
	}
	/* a REQ pipe on listener 0 from client port P (the SP header by hand) */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	uint16_t p = local_port(fd);
	a.sin_port = htons(port[0]);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	static const uint8_t sp_req[8] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};
	assert_int_equal(send(fd, sp_req, sizeof sp_req, 0), (ssize_t)sizeof sp_req);
	wait_one_pipe(g[0]);
	/* a silent stranger on listener 1 from the same address and port */
	int raw = dial_from(p, port[1]);
	nt_sockwatch_opts o = {.handshake_ms = 300};
	nt_sockwatch *w = NULL;
	assert_int_equal(nt_sockwatch_new(&o, &w, &why), NT_OK);
	nt_sockwatch_add(w, port[0], g[0]);
	nt_sockwatch_add(w, port[1], g[1]);
	cut_one_handshake(w, raw);
	assert_false(eof_within(fd, 100)); /* the pipe stays */
	nt_sockwatch_free(w);
	close(raw);
	close(fd);
	for (int i = 0; i < 2; i++) {
		nng_close(rep[i]);
		nt_pipeguard_free(g[i]);
	}
}

/* The same on ::1 (IPv6 addresses are kept as they are, IPv4 ones as
 * v4-mapped: both must be found). */
static void test_scan_ipv6(void **state)
{
	(void)state;
	int l = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 4) != 0) {
		if (l >= 0)
			close(l);
		skip(); /* no IPv6 loopback here */
	}
	socklen_t len = sizeof a;
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
	int c = socket(AF_INET6, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof a), 0);
	int s = accept(l, NULL, NULL);
	assert_true(s >= 0);
	nt_sockwatch_opts o = {.http_idle_ms = 200};
	nt_sockwatch *w = NULL;
	nt_why why = {{0}};
	assert_int_equal(nt_sockwatch_new(&o, &w, &why), NT_OK);
	nt_sockwatch_add(w, ntohs(a.sin6_port), NULL);
	nt_sockwatch_scan(w);
	usleep(300 * 1000);
	nt_sockwatch_scan(w);
	nt_sockwatch_stats st;
	nt_sockwatch_stats_get(w, &st);
	assert_int_equal(st.http_idle_cut, 1);
	assert_true(eof_within(c, 1000));
	nt_sockwatch_free(w);
	close(c), close(s), close(l);
}

/* LeakSanitizer: nng 1.5.2 leaks inside libnng when a socket closes with
 * a dial in flight (see tests/test_peer.c); ours stay checked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libnng.so\n";
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deadline),
	    cmocka_unit_test(test_per_address),
	    cmocka_unit_test(test_listener_cap),
	    cmocka_unit_test(test_young_burst),
	    cmocka_unit_test(test_http),
	    cmocka_unit_test(test_scan_real_sockets),
	    cmocka_unit_test(test_scan_ipv6),
	    cmocka_unit_test(test_pipes_kept_handshakes_cut),
	    cmocka_unit_test(test_pipe_of_another_listener),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	nng_fini();
	return rc;
}
