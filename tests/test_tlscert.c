/* Node TLS certificates and bindings (crypto/tlscert.c), and the pinning
 * they are used for (net/tls.c under net/peer.c) over real loopback TCP:
 * a listed certificate connects, an unlisted one is refused by the
 * listener, and a dialer refuses a listener whose certificate is not the
 * pinned one. */
#include "tests/testutil.h"

#include "crypto/digest.h"
#include "crypto/keys.h"
#include "crypto/tlscert.h"
#include "net/peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 8000

typedef struct {
	char *key, *crt;
} pair;

static void make_pair(const char *name, pair *p)
{
	nt_why why = {{0}};
	if (nt_tlscert_generate(name, (int64_t)time(NULL) - 60, 30, &p->key, &p->crt, &why) !=
	    NT_OK)
		fail_msg("generate: %s", why.msg);
}

static void free_pair(pair *p)
{
	OPENSSL_cleanse(p->key, strlen(p->key));
	free(p->key);
	free(p->crt);
}

static void test_certificate(void **state)
{
	(void)state;
	pair a, b;
	make_pair("node0", &a);
	make_pair("node1", &b);
	nt_why why = {{0}};
	nt_hash fa, fa2, fb;
	assert_int_equal(nt_tlscert_fingerprint(a.crt, strlen(a.crt), &fa, &why), NT_OK);
	assert_int_equal(nt_tlscert_fingerprint(a.crt, strlen(a.crt), &fa2, &why), NT_OK);
	assert_int_equal(nt_tlscert_fingerprint(b.crt, strlen(b.crt), &fb, &why), NT_OK);
	assert_memory_equal(fa.b, fa2.b, NT_HASH_LEN);
	assert_memory_not_equal(fa.b, fb.b, NT_HASH_LEN);
	assert_int_equal(nt_tlscert_check_pair(a.crt, a.key, &why), NT_OK);
	assert_int_equal(nt_tlscert_check_pair(a.crt, b.key, &why), NT_ERR_MISMATCH);
	int64_t left = 0;
	assert_int_equal(
	    nt_tlscert_expires_in(a.crt, strlen(a.crt), (int64_t)time(NULL), &left, &why), NT_OK);
	assert_true(left > 29 * 86400 && left <= 30 * 86400);
	/* not exactly one P-256 certificate */
	size_t n = strlen(a.crt) + strlen(b.crt) + 1;
	char *two = malloc(n);
	snprintf(two, n, "%s%s", a.crt, b.crt);
	assert_int_equal(nt_tlscert_fingerprint(two, strlen(two), &fa2, &why), NT_ERR_DECODE);
	free(two);
	assert_int_equal(nt_tlscert_fingerprint("junk", 4, &fa2, &why), NT_ERR_DECODE);
	assert_int_equal(nt_tlscert_fingerprint(a.key, strlen(a.key), &fa2, &why), NT_ERR_DECODE);
	free_pair(&a);
	free_pair(&b);
}

static void test_binding(void **state)
{
	(void)state;
	nt_seckey *k1, *k2;
	assert_int_equal(nt_seckey_generate(&k1), NT_OK);
	assert_int_equal(nt_seckey_generate(&k2), NT_OK);
	nt_pubkey p1, p2;
	nt_seckey_pubkey(k1, &p1);
	nt_seckey_pubkey(k2, &p2);
	nt_hash fp;
	memset(fp.b, 0x5a, sizeof fp.b);
	nt_sig sig;
	assert_int_equal(nt_tlscert_bind(k1, &fp, &sig), NT_OK);
	assert_true(nt_tlscert_binding_ok(&p1, &fp, &sig));
	assert_false(nt_tlscert_binding_ok(&p2, &fp, &sig)); /* another office's key */
	fp.b[31] ^= 1;
	assert_false(nt_tlscert_binding_ok(&p1, &fp, &sig)); /* another certificate */
	/* the message is the tagged hash of the fingerprint alone */
	nt_hash m, want;
	nt_tlscert_binding_msg(&fp, &m);
	nt_tagged_hash(NT_TLSCERT_BINDING_TAG, fp.b, NT_HASH_LEN, &want);
	assert_memory_equal(m.b, want.b, NT_HASH_LEN);
	nt_seckey_free(k1);
	nt_seckey_free(k2);
}

static void test_urls(void **state)
{
	(void)state;
	assert_true(nt_url_is_tls("tls+tcp://10.0.0.1:7401"));
	assert_true(nt_url_is_tls("https://a.example:443/"));
	assert_false(nt_url_is_tls("tcp://10.0.0.1:7401"));
	assert_false(nt_url_is_tls("ipc:///run/notary.sock"));
	static const char *const public_[] = {"tcp://0.0.0.0:7400",	"tcp://10.0.0.1:7401",
					      "tcp://[::]:7400",	"http://192.0.2.1:7480/",
					      "tcp://notary.example:1", "tcp4://128.0.0.1:1",
					      "tcp://127.0.0.1.evil:1", "tcp://:7400"};
	for (size_t i = 0; i < sizeof public_ / sizeof public_[0]; i++)
		assert_true(nt_url_plain_public(public_[i]));
	static const char *const local[] = {"tcp://127.0.0.1:7400",   "tcp://127.1.2.3:1",
					    "tcp://localhost:7400",   "tcp://[::1]:7400",
					    "http://127.0.0.1:7480/", "tls+tcp://0.0.0.0:7401",
					    "ipc:///tmp/x",	      "https://0.0.0.0:7480/"};
	for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
		assert_false(nt_url_plain_public(local[i]));
}

static atomic_uint received;

static void on_msg(void *arg, const uint8_t *msg, size_t len)
{
	(void)arg;
	(void)msg;
	(void)len;
	atomic_fetch_add(&received, 1);
}

static unsigned free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t al = sizeof a;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A TLS peer listening on url with cert p, trusting trust (NULL: nothing),
 * dialing dial (may be NULL) with pin as the one certificate it trusts. */
static nt_peer *tls_peer(const char *url, const pair *p, const char *trust, const char *dial,
			 const char *pin)
{
	nt_tls_opts lt = {
	    .cert_pem = p->crt, .key_pem = p->key, .ca_pem = trust, .verify_peer = true};
	nt_tls_opts dt = {
	    .cert_pem = p->crt, .key_pem = p->key, .ca_pem = pin, .verify_peer = true};
	const nt_tls_opts *dts[1] = {&dt};
	nt_peer_limits lim = {.listen_tls = &lt, .dial_tls = dts};
	nt_peer *out = NULL;
	nt_why why = {{0}};
	if (nt_peer_start_ex(url, &dial, dial != NULL ? 1 : 0, 4096, &lim, on_msg, NULL, &out,
			     &why) != NT_OK)
		fail_msg("peer %s: %s", url, why.msg);
	return out;
}

static bool wait_for(nt_peer *p, unsigned want, uint32_t ms)
{
	uint64_t end = now_ms() + ms;
	while (nt_peer_connected(p) < want) {
		if (now_ms() > end)
			return false;
		usleep(10000);
	}
	return true;
}

static void test_pinning(void **state)
{
	(void)state;
	pair a, b, r;
	make_pair("node0", &a);
	make_pair("node1", &b);
	make_pair("node1", &r); /* a rogue with the same name as b */
	char ua[64], ub[64], ur[64], ux[64];
	snprintf(ua, sizeof ua, "tls+tcp://127.0.0.1:%u", free_port());
	snprintf(ub, sizeof ub, "tls+tcp://127.0.0.1:%u", free_port());
	snprintf(ur, sizeof ur, "tls+tcp://127.0.0.1:%u", free_port());
	snprintf(ux, sizeof ux, "tls+tcp://127.0.0.1:%u", free_port());

	/* A lists B; B dials A pinning A's certificate: one link each way */
	nt_peer *pa = tls_peer(ua, &a, b.crt, NULL, NULL);
	nt_peer *pb = tls_peer(ub, &b, a.crt, ua, a.crt);
	assert_true(wait_for(pa, 1, WAIT_MS));
	atomic_store(&received, 0);
	uint64_t end = now_ms() + WAIT_MS;
	while (atomic_load(&received) == 0 && now_ms() < end) {
		assert_true(nt_peer_broadcast(pb, (const uint8_t *)"hello", 5) == NT_OK);
		usleep(50000);
	}
	assert_true(atomic_load(&received) > 0);

	/* R (unlisted at A, same name as B) dials A pinning A: A refuses it */
	uint64_t before = nt_peer_tls_refused(pa);
	nt_peer *pr = tls_peer(ur, &r, a.crt, ua, a.crt);
	end = now_ms() + WAIT_MS;
	while (nt_peer_tls_refused(pa) == before && now_ms() < end)
		usleep(20000);
	assert_true(nt_peer_tls_refused(pa) > before);
	assert_false(wait_for(pr, 1, 1000));
	assert_int_equal(nt_peer_connected(pa), 1);

	/* B2 dials X, a listener with R's certificate that would accept B,
	 * pinning A's: B2's dialer refuses X */
	nt_peer *px = tls_peer(ux, &r, b.crt, NULL, NULL);
	char ub2[64];
	snprintf(ub2, sizeof ub2, "tls+tcp://127.0.0.1:%u", free_port());
	nt_peer *pb2 = tls_peer(ub2, &b, a.crt, ux, a.crt);
	assert_false(wait_for(px, 1, 1500));
	assert_int_equal(nt_peer_connected(pb2), 0);

	assert_true(nt_peer_stop(pb2));
	assert_true(nt_peer_stop(px));
	assert_true(nt_peer_stop(pr));
	assert_true(nt_peer_stop(pb));
	assert_true(nt_peer_stop(pa));
	free_pair(&a);
	free_pair(&b);
	free_pair(&r);
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libnng.so\n";
}

int main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_certificate),
	    cmocka_unit_test(test_binding),
	    cmocka_unit_test(test_urls),
	    cmocka_unit_test(test_pinning),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	nng_fini();
	return rc;
}
