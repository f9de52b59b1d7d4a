/* The CLI's TLS (see tools/cli_tls.h).
 *
 * Why a client connects twice: nng 1.5.2 does not hand the server's
 * certificate to its user, so on its own a refused handshake is only "no
 * answer". The CLI first shakes hands with OpenSSL (nothing else is sent),
 * looks at the certificate, and explains what is wrong (not the pinned one,
 * expired, no TLS at all). Then nng connects trusting exactly that
 * certificate (--pin) or the --ca file, so a server swapped in between the
 * two connections fails the second handshake. */
#include "tools/cli_tls.h"

#include "base/hex.h"
#include "crypto/tlscert.h"
#include "tools/cli.h"

#include <errno.h>
#include <netdb.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ---- a node's certificate ---- */

/* why = prefix + ": " + why (nt_fail must not read the buffer it writes). */
static nt_err wrap(nt_why *why, nt_err e, const char *prefix)
{
	char inner[sizeof why->msg];
	snprintf(inner, sizeof inner, "%s", why->msg);
	return nt_fail(why, e, "%s: %s", prefix, inner);
}

static void id_fill(nt_cli_tls_id *id)
{
	nt_hex_encode(id->fp.b, NT_HASH_LEN, id->fp_hex);
	nt_hex_encode(id->bind.b, NT_SIG_LEN, id->bind_hex);
}

nt_err nt_cli_tls_make(const char *home, const char *name, const nt_seckey *signer,
		       nt_cli_tls_id *out, nt_why *why)
{
	char *kp = nt_cli_path_join(home, "tls.key"), *cp = nt_cli_path_join(home, "tls.crt");
	char *key = NULL, *crt = NULL;
	nt_err e = NT_ERR_NOMEM;
	if (kp == NULL || cp == NULL) {
		nt_fail(why, e, "out of memory");
		goto out;
	}
	if (nt_cli_exists(kp) || nt_cli_exists(cp)) {
		e = nt_fail(why, NT_ERR_EXISTS, "%s or %s exists already; refusing to overwrite",
			    kp, cp);
		goto out;
	}
	if ((e = nt_tlscert_generate(name, (int64_t)time(NULL) - 3600, NT_TLSCERT_DAYS, &key, &crt,
				     why)) != NT_OK ||
	    (e = nt_tlscert_fingerprint(crt, strlen(crt), &out->fp, why)) != NT_OK ||
	    (e = nt_tlscert_bind(signer, &out->fp, &out->bind)) != NT_OK)
		goto out;
	if ((e = nt_cli_write_file(kp, key, strlen(key), 0600, false, why)) != NT_OK ||
	    (e = nt_cli_write_file(cp, crt, strlen(crt), 0644, false, why)) != NT_OK)
		goto out;
	id_fill(out);
out:
	if (key != NULL) {
		OPENSSL_cleanse(key, strlen(key));
		free(key);
	}
	free(crt);
	free(kp);
	free(cp);
	return e;
}

/* A small file whole (at most cap bytes), NUL-terminated. */
static nt_err slurp(const char *path, size_t cap, char **out, nt_why *why)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return nt_fail(why, errno == ENOENT ? NT_ERR_NOT_FOUND : NT_ERR_IO,
			       "cannot open %s: %s", path, strerror(errno));
	char *b = malloc(cap + 2);
	size_t n = b != NULL ? fread(b, 1, cap + 1, f) : 0;
	bool err = ferror(f) != 0;
	fclose(f);
	if (b == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	if (err || n > cap) {
		free(b);
		return nt_fail(why, err ? NT_ERR_IO : NT_ERR_RANGE,
			       err ? "cannot read %s" : "%s is too large", path);
	}
	b[n] = '\0';
	*out = b;
	return NT_OK;
}

nt_err nt_cli_tls_bind_file(const char *path, const nt_seckey *signer, nt_cli_tls_id *out,
			    nt_why *why)
{
	char *crt = NULL;
	nt_err e = slurp(path, NT_TLSCERT_PEM_MAX, &crt, why);
	if (e != NT_OK)
		return e;
	if ((e = nt_tlscert_fingerprint(crt, strlen(crt), &out->fp, why)) == NT_OK &&
	    (e = nt_tlscert_bind(signer, &out->fp, &out->bind)) == NT_OK)
		id_fill(out);
	else if (e != NT_OK)
		e = wrap(why, e, path);
	free(crt);
	return e;
}

/* ---- clients ---- */

static const char *opt_ca, *opt_pin, *home_cert;

bool nt_cli_tls_option(int c, const char *arg)
{
	if (c == NT_CLI_OPT_CA)
		opt_ca = arg;
	else if (c == NT_CLI_OPT_PIN)
		opt_pin = arg;
	else
		return false;
	return true;
}

void nt_cli_tls_trust_home(const char *path)
{
	home_cert = path;
}

static bool set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* --ca and --pin are one trust: the first place that names either supplies
 * both, so a --ca on the command line is not overruled by a pin from the
 * environment or the settings file. */
nt_cli_from nt_cli_tls_trust_for(const char *url, const char **ca, const char **pin)
{
	const nt_cli_settings *s = nt_cli_settings_get();
	const char *eca = getenv("NOTARY_NODE_CA"), *epin = getenv("NOTARY_NODE_FINGERPRINT");
	nt_cli_from from = NT_CLI_FROM_NONE;
	*ca = *pin = NULL;
	if (set(opt_ca) || set(opt_pin)) {
		*ca = opt_ca;
		*pin = opt_pin;
		from = NT_CLI_FROM_FLAG;
	} else if (home_cert != NULL) {
		/* the node of a home presents the home's certificate, and the
		 * environment names the node one usually talks to */
		*ca = home_cert;
		from = NT_CLI_FROM_DEFAULT;
	} else if (set(eca) || set(epin)) {
		*ca = eca;
		*pin = epin;
		from = NT_CLI_FROM_ENV;
	} else if (s->node != NULL && strcmp(s->node, url) == 0 &&
		   (s->ca != NULL || s->pin != NULL)) {
		/* The file's pin is the fingerprint of the file's node: on any
		 * other node it would only produce a false alarm. */
		*ca = s->ca;
		*pin = s->pin;
		from = NT_CLI_FROM_FILE;
	}
	if (!set(*ca))
		*ca = NULL;
	if (!set(*pin))
		*pin = NULL;
	return from;
}

/* tls+tcp://HOST:PORT -> host, port. */
static bool split_url(const char *url, char *host, size_t hcap, char *port, size_t pcap)
{
	const char *p = strstr(url, "://");
	if (p == NULL)
		return false;
	p += 3;
	const char *hend, *colon;
	if (*p == '[') {
		hend = strchr(p, ']');
		if (hend == NULL || hend[1] != ':')
			return false;
		colon = hend + 1;
		p++;
	} else {
		colon = strrchr(p, ':');
		hend = colon;
	}
	if (colon == NULL || (size_t)(hend - p) >= hcap || strlen(colon + 1) >= pcap ||
	    colon[1] == '\0')
		return false;
	memcpy(host, p, (size_t)(hend - p));
	host[hend - p] = '\0';
	snprintf(port, pcap, "%s", colon + 1);
	port[strcspn(port, "/")] = '\0';
	return true;
}

static int dial_tcp(const char *host, const char *port, nt_why *why, const char *url)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int rv = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rv != 0) {
		nt_fail(why, NT_ERR_NET, "cannot resolve %s: %s", url, gai_strerror(rv));
		return -1;
	}
	int fd = -1, err = 0;
	for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		/* Linux applies the send timeout to connect as well. */
		struct timeval tv = {NT_CLI_CONNECT_MS / 1000, 0};
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		nt_fail(why, NT_ERR_NET, "cannot connect to %s: %s (is notaryd running?)", url,
			strerror(err));
	return fd;
}

/* The node's certificate, from one TLS handshake with OpenSSL. */
static nt_err fetch_cert(const char *url, X509 **out, nt_why *why)
{
	char host[256], port[16];
	if (!split_url(url, host, sizeof host, port, sizeof port))
		return nt_fail(why, NT_ERR_ARG, "%s is not a URL like tls+tcp://HOST:PORT", url);
	int fd = dial_tcp(host, port, why, url);
	if (fd < 0)
		return NT_ERR_NET;
	nt_err e = NT_OK;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = ctx != NULL ? SSL_new(ctx) : NULL;
	if (ssl == NULL) {
		e = nt_fail(why, NT_ERR_CRYPTO, "cannot set up TLS (OpenSSL)");
		goto out;
	}
	/* Not verified here: the certificate is checked below, against the
	 * pin or the --ca file, and nng checks it again. */
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		unsigned long err = ERR_peek_last_error();
		char buf[160];
		ERR_error_string_n(err, buf, sizeof buf);
		e = nt_fail(why, NT_ERR_NET,
			    "no TLS handshake with %s (%s): is it a plain tcp:// node? then use "
			    "tcp://%s:%s",
			    url, err != 0 ? buf : "the connection closed or timed out", host, port);
		goto out;
	}
	*out = SSL_get1_peer_certificate(ssl);
	if (*out == NULL)
		e = nt_fail(why, NT_ERR_NET, "%s sent no certificate", url);
	SSL_shutdown(ssl);
out:
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return e;
}

static void fp_of(X509 *x, nt_hash *fp)
{
	unsigned int n = NT_HASH_LEN;
	X509_digest(x, EVP_sha256(), fp->b, &n);
}

static char *pem_of(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL, *p = NULL;
	if (b != NULL && PEM_write_bio_X509(b, x) == 1) {
		long n = BIO_get_mem_data(b, &p);
		if (n > 0 && (s = malloc((size_t)n + 1)) != NULL) {
			memcpy(s, p, (size_t)n);
			s[n] = '\0';
		}
	}
	BIO_free(b);
	return s;
}

/* True when the DER of x is one of the certificates in pem. */
static bool in_file(X509 *x, const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	bool found = false;
	X509 *c;
	while (b != NULL && !found && (c = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		found = X509_cmp(x, c) == 0;
		X509_free(c);
	}
	ERR_clear_error();
	BIO_free(b);
	return found;
}

nt_err nt_cli_tls_client(const char *url, nt_tls_opts *out, char **hold, nt_why *why)
{
	memset(out, 0, sizeof *out);
	*hold = NULL;
	if (!nt_url_is_tls(url))
		return NT_OK;
	const char *ca, *pin;
	nt_cli_tls_trust_for(url, &ca, &pin);
	if (ca == NULL && pin == NULL)
		return nt_fail(why, NT_ERR_ARG,
			       "%s is TLS: say which certificate to trust with --ca FILE (the "
			       "node's tls.crt) or --pin SHA256 (its fingerprint), "
			       "NOTARY_NODE_CA / NOTARY_NODE_FINGERPRINT, or notary client-config",
			       url);
	nt_hash want;
	if (pin != NULL &&
	    (strlen(pin) != 2 * NT_HASH_LEN || nt_hex_decode32(pin, want.b) != NT_OK))
		return nt_fail(why, NT_ERR_ARG, "--pin must be 64 hex digits (SHA-256), not '%s'",
			       pin);
	char *capem = NULL;
	nt_err e;
	if (ca != NULL && (e = slurp(ca, 1 << 20, &capem, why)) != NT_OK)
		return e;
	X509 *x = NULL;
	if ((e = fetch_cert(url, &x, why)) != NT_OK) {
		free(capem);
		return e;
	}
	nt_hash fp;
	fp_of(x, &fp);
	char fph[2 * NT_HASH_LEN + 1];
	nt_hex_encode(fp.b, NT_HASH_LEN, fph);
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		char t[64] = "?";
		BIO *b = BIO_new(BIO_s_mem());
		if (b != NULL && ASN1_TIME_print(b, X509_get0_notAfter(x)) == 1) {
			int n = BIO_read(b, t, sizeof t - 1);
			t[n > 0 ? n : 0] = '\0';
		}
		BIO_free(b);
		e = nt_fail(why, NT_ERR_CRYPTO,
			    "the certificate of %s (fingerprint %s) expired on %s: refusing it; "
			    "the node's operator must make a new one",
			    url, fph, t);
	} else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
		e = nt_fail(why, NT_ERR_CRYPTO,
			    "the certificate of %s (fingerprint %s) is not valid yet: refusing it",
			    url, fph);
	} else if (pin != NULL && CRYPTO_memcmp(fp.b, want.b, NT_HASH_LEN) != 0) {
		e = nt_fail(why, NT_ERR_MISMATCH,
			    "the certificate of %s has fingerprint %s, not the pinned %s: refusing "
			    "it (someone may stand between you and the node, or its certificate "
			    "changed: ask its operator)",
			    url, fph, pin);
	} else if (pin == NULL && !in_file(x, capem)) {
		e = nt_fail(why, NT_ERR_MISMATCH,
			    "the certificate of %s (fingerprint %s) is not one of those in %s: "
			    "refusing it (self-signed and unknown, or someone stands between you "
			    "and the node)",
			    url, fph, ca);
	} else {
		/* nng trusts the file, or exactly the pinned certificate. */
		*hold = pin != NULL ? pem_of(x) : capem;
		if (pin != NULL)
			free(capem);
		capem = NULL;
		if (*hold == NULL)
			e = nt_fail(why, NT_ERR_NOMEM, "out of memory");
		out->ca_pem = *hold;
		out->verify_peer = true;
	}
	free(capem);
	X509_free(x);
	return e;
}
