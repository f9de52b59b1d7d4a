/* The node's TLS set-up (see node/tls_setup.h).
 *
 * Where the network lists the offices' certificates: each entry of
 * config.json's "peers" names the peer's certificate file ("tls_cert"),
 * its SHA-256 fingerprint ("tls_fingerprint", what offices compare by
 * phone or letter) and its binding ("tls_binding": the peer's validator
 * key's BIP-340 signature of TH("notary/tls-cert", fingerprint)). A
 * binding must verify under a key of the current validator set, so only
 * an office's validator key can list a certificate for it.
 *
 * Pinning: mbedTLS (under nng) trusts exactly the certificates handed to
 * it (net/tls.h): the p2p listener gets every listed peer certificate, the
 * dialer of peer i only peer i's. */
#include "node/tls_setup.h"

#include "base/hex.h"
#include "crypto/tlscert.h"
#include "node/fsutil.h"
#include "node/log.h"
#include "node/node_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* why = prefix + ": " + why (nt_fail must not read the buffer it writes). */
static nt_err wrap(nt_why *why, nt_err e, const char *prefix)
{
	char inner[sizeof why->msg];
	snprintf(inner, sizeof inner, "%s", why->msg);
	return nt_fail(why, e, "%s: %s", prefix, inner);
}

/* Reads a PEM file of at most NT_TLSCERT_PEM_MAX bytes into a new string.
 * secret: refuse a file others may read (a key). */
static nt_err read_pem(const char *path, bool secret, char **out, nt_why *why)
{
	int fd = nt_fs_open_regular(path);
	if (fd == -2)
		return nt_fail(why, NT_ERR_IO, "%s is not a regular file", path);
	if (fd < 0)
		return nt_fail(why, errno == ENOENT ? NT_ERR_NOT_FOUND : NT_ERR_IO,
			       "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (secret && (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0)) {
		close(fd);
		return nt_fail(why, NT_ERR_PERM,
			       "%s may be read by others (mode %03o): chmod 600 %s", path,
			       (unsigned)(st.st_mode & 0777), path);
	}
	char *buf = malloc(NT_TLSCERT_PEM_MAX + 2);
	if (buf == NULL) {
		close(fd);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	ssize_t n = nt_fs_read_fd(fd, buf, NT_TLSCERT_PEM_MAX + 1);
	close(fd);
	if (n < 0 || n > NT_TLSCERT_PEM_MAX) {
		OPENSSL_cleanse(buf, NT_TLSCERT_PEM_MAX + 2);
		free(buf);
		return nt_fail(why, n < 0 ? NT_ERR_IO : NT_ERR_RANGE,
			       n < 0 ? "cannot read %s" : "%s is too large for a PEM file", path);
	}
	buf[n] = '\0';
	*out = buf;
	return NT_OK;
}

/* Refuses cleartext beyond loopback unless allowed (then warns). */
static nt_err check_plain(const char *what, const char *url, bool allow, nt_why *why)
{
	if (url == NULL || !nt_url_plain_public(url))
		return NT_OK;
	if (!allow)
		return nt_fail(why, NT_ERR_PERM,
			       "%s %s is plain TCP on a non-loopback address: its traffic would "
			       "cross the network unencrypted and unauthenticated. Use tls+tcp:// "
			       "(https:// for HTTP; docs/OPERATIONS.md), or start notaryd with "
			       "--allow-insecure",
			       what, url);
	nt_log(NT_LOG_WARN, "--allow-insecure: %s %s is plain TCP on a non-loopback address", what,
	       url);
	return NT_OK;
}

static nt_err check_urls(const nt_config *c, bool allow, nt_why *why)
{
	nt_err e;
	if ((e = check_plain("p2p", c->p2p, allow, why)) != NT_OK ||
	    (e = check_plain("rpc", c->rpc, allow, why)) != NT_OK ||
	    (e = check_plain("http.listen", c->http_listen, allow, why)) != NT_OK)
		return e;
	for (size_t i = 0; i < c->npeers; i++) {
		char what[48];
		snprintf(what, sizeof what, "peers[%zu].p2p", i);
		if ((e = check_plain(what, c->peers[i], allow, why)) != NT_OK)
			return e;
		snprintf(what, sizeof what, "peers[%zu].rpc", i);
		if ((e = check_plain(what, c->peer_rpc[i], allow, why)) != NT_OK)
			return e;
	}
	return NT_OK;
}

static bool needs_own(const nt_config *c)
{
	bool any = nt_url_is_tls(c->p2p) || nt_url_is_tls(c->rpc) || nt_url_is_tls(c->http_listen);
	for (size_t i = 0; i < c->npeers; i++)
		any = any || nt_url_is_tls(c->peers[i]);
	return any;
}

/* Peer i's certificate: read, fingerprint as listed, binding by a key of vs. */
static nt_err load_peer(const nt_config *c, size_t i, const nt_valset *vs, char **pem, nt_why *why)
{
	nt_err e = read_pem(c->peer_tls_cert[i], false, pem, why);
	if (e != NT_OK) {
		char pre[48];
		snprintf(pre, sizeof pre, "peers[%zu].tls_cert", i);
		return wrap(why, e, pre);
	}
	nt_hash fp, want;
	nt_sig sig;
	if ((e = nt_tlscert_fingerprint(*pem, strlen(*pem), &fp, why)) != NT_OK)
		return wrap(why, e, c->peer_tls_cert[i]);
	size_t sl = 0;
	if (strlen(c->peer_tls_fp[i]) != 2 * NT_HASH_LEN ||
	    nt_hex_decode32(c->peer_tls_fp[i], want.b) != NT_OK)
		return nt_fail(why, NT_ERR_DECODE,
			       "peers[%zu].tls_fingerprint must be 64 hex digits (SHA-256)", i);
	if (CRYPTO_memcmp(fp.b, want.b, NT_HASH_LEN) != 0) {
		char got[2 * NT_HASH_LEN + 1];
		nt_hex_encode(fp.b, NT_HASH_LEN, got);
		return nt_fail(why, NT_ERR_MISMATCH,
			       "peers[%zu]: the certificate %s has fingerprint %s, not the "
			       "listed tls_fingerprint %s",
			       i, c->peer_tls_cert[i], got, c->peer_tls_fp[i]);
	}
	if (strlen(c->peer_tls_binding[i]) != 2 * NT_SIG_LEN ||
	    nt_hex_decode(c->peer_tls_binding[i], sig.b, NT_SIG_LEN, &sl) != NT_OK ||
	    sl != NT_SIG_LEN)
		return nt_fail(why, NT_ERR_DECODE,
			       "peers[%zu].tls_binding must be 128 hex digits (a signature)", i);
	int by = -1;
	for (unsigned k = 0; by < 0 && k < vs->n; k++)
		if (nt_tlscert_binding_ok(&vs->keys[k], &fp, &sig))
			by = (int)k;
	if (by < 0)
		return nt_fail(why, NT_ERR_SIGNATURE,
			       "peers[%zu] (%s): tls_binding of certificate %.16s... is not signed "
			       "by any validator key of the current set: the certificate is not "
			       "bound to an office; refusing to trust it (the office makes the "
			       "binding with its validator key: docs/OPERATIONS.md)",
			       i, c->peers[i], c->peer_tls_fp[i]);
	int64_t left = 0;
	if (nt_tlscert_expires_in(*pem, strlen(*pem), (int64_t)time(NULL), &left, why) == NT_OK &&
	    left < 30 * 86400)
		nt_log(NT_LOG_WARN, "peers[%zu]: TLS certificate %.16s %s", i, c->peer_tls_fp[i],
		       left < 0 ? "has EXPIRED: its handshakes will fail"
				: "expires within 30 days");
	nt_log(NT_LOG_INFO, "peers[%zu] %s: TLS certificate %.16s bound by validator %d (%s)", i,
	       c->peers[i], c->peer_tls_fp[i], by, vs->names[by]);
	return NT_OK;
}

static nt_err load_own(const nt_config *c, nd_tls *t, nt_why *why)
{
	nt_err e;
	if ((e = read_pem(c->tls_cert_file, false, &t->cert_pem, why)) != NT_OK ||
	    (e = read_pem(c->tls_key_file, true, &t->key_pem, why)) != NT_OK) {
		char inner[sizeof why->msg];
		snprintf(inner, sizeof inner, "%s", why->msg);
		return nt_fail(why, e,
			       "%s (a tls+tcp:// or https:// URL needs this node's TLS certificate "
			       "and key: notary init and notary testnet make them, notary tls-cert "
			       "--home DIR adds them to an older home)",
			       inner);
	}
	if ((e = nt_tlscert_check_pair(t->cert_pem, t->key_pem, why)) != NT_OK)
		return wrap(why, e, c->tls_cert_file);
	nt_hash fp;
	if ((e = nt_tlscert_fingerprint(t->cert_pem, strlen(t->cert_pem), &fp, why)) != NT_OK)
		return wrap(why, e, c->tls_cert_file);
	char hex[2 * NT_HASH_LEN + 1];
	nt_hex_encode(fp.b, NT_HASH_LEN, hex);
	nt_log(NT_LOG_INFO, "TLS: this node's certificate %s, fingerprint %s", c->tls_cert_file,
	       hex);
	return NT_OK;
}

nt_err nd_tls_load(const nt_config *c, const nt_valset *vs, bool allow_insecure, nd_tls *out,
		   nt_why *why)
{
	nd_tls t = {0};
	nt_err e = check_urls(c, allow_insecure, why);
	if (e != NT_OK)
		return e;
	size_t np = c->npeers;
	t.npeers = np;
	t.peer_pem = calloc(np + 1, sizeof *t.peer_pem);
	t.dial = calloc(np + 1, sizeof *t.dial);
	t.dialp = calloc(np + 1, sizeof *t.dialp);
	t.syncp = calloc(np + 1, sizeof *t.syncp);
	if (t.peer_pem == NULL || t.dial == NULL || t.dialp == NULL || t.syncp == NULL) {
		nd_tls_free(&t);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	if (needs_own(c) && (e = load_own(c, &t, why)) != NT_OK)
		goto fail;
	size_t total = 0;
	for (size_t i = 0; i < np; i++) {
		bool tls_p2p = nt_url_is_tls(c->peers[i]);
		bool tls_rpc = c->peer_rpc[i] != NULL && nt_url_is_tls(c->peer_rpc[i]);
		if (c->peer_tls_cert[i] == NULL) {
			if (tls_p2p || tls_rpc) {
				e = nt_fail(
				    why, NT_ERR_ARG,
				    "peers[%zu] %s is TLS but lists no certificate: add its "
				    "\"tls_cert\", \"tls_fingerprint\" and \"tls_binding\"",
				    i, tls_p2p ? c->peers[i] : c->peer_rpc[i]);
				goto fail;
			}
			continue;
		}
		/* Read only when used: a plain network may list certificates
		 * (notary testnet does) without their files at hand. */
		if (!tls_p2p && !tls_rpc && !nt_url_is_tls(c->p2p))
			continue;
		if ((e = load_peer(c, i, vs, &t.peer_pem[i], why)) != NT_OK)
			goto fail;
		total += strlen(t.peer_pem[i]) + 1;
		t.dial[i] = (nt_tls_opts){.cert_pem = t.cert_pem,
					  .key_pem = t.key_pem,
					  .ca_pem = t.peer_pem[i],
					  .verify_peer = true};
		if (tls_p2p)
			t.dialp[i] = &t.dial[i];
		if (tls_rpc)
			t.syncp[i] = &t.dial[i];
	}
	if ((t.trusted = calloc(total + 1, 1)) == NULL) {
		e = nt_fail(why, NT_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < np; i++)
		if (t.peer_pem[i] != NULL) {
			strcat(t.trusted, t.peer_pem[i]);
			strcat(t.trusted, "\n");
		}
	if (nt_url_is_tls(c->p2p) && total == 0 && np > 0)
		nt_log(NT_LOG_WARN,
		       "p2p %s is TLS but no peer lists a certificate: every peer "
		       "connection will be refused",
		       c->p2p);
	t.listen = (nt_tls_opts){.cert_pem = t.cert_pem,
				 .key_pem = t.key_pem,
				 .ca_pem = total > 0 ? t.trusted : NULL,
				 .verify_peer = true};
	t.rpc = (nt_tls_opts){.cert_pem = t.cert_pem, .key_pem = t.key_pem};
	*out = t;
	return NT_OK;
fail:
	nd_tls_free(&t);
	return e;
}

void nd_tls_free(nd_tls *t)
{
	if (t == NULL)
		return;
	if (t->key_pem != NULL) {
		OPENSSL_cleanse(t->key_pem, strlen(t->key_pem));
		free(t->key_pem);
	}
	free(t->cert_pem);
	free(t->trusted);
	for (size_t i = 0; t->peer_pem != NULL && i < t->npeers; i++)
		free(t->peer_pem[i]);
	free(t->peer_pem);
	free(t->dial);
	free(t->dialp);
	free(t->syncp);
	memset(t, 0, sizeof *t);
}

void nd_tls_tick(node *n)
{
	uint64_t p = nt_peer_tls_refused(n->gossip.peer);
	if (p > n->tls.refused_seen)
		nt_log(NT_LOG_WARN,
		       "p2p: %" PRIu64 " TLS handshake%s refused (%" PRIu64
		       " in all): a certificate that is not listed, or no TLS spoken",
		       p - n->tls.refused_seen, p - n->tls.refused_seen == 1 ? "" : "s", p);
	n->tls.refused_seen = p;
	uint64_t r = nt_rpc_server_tls_refused(n->front.srv);
	if (r > n->tls.rpc_refused_seen)
		nt_log(NT_LOG_INFO, "rpc: %" PRIu64 " TLS handshake%s failed (%" PRIu64 " in all)",
		       r - n->tls.rpc_refused_seen, r - n->tls.rpc_refused_seen == 1 ? "" : "s", r);
	n->tls.rpc_refused_seen = r;
}
