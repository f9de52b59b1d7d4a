/* TLS settings of nng endpoints (see net/tls.h). */
#include "net/tls_nng.h"

#include <nng/supplemental/tls/tls.h>
#include <stdio.h>
#include <string.h>

static const char *const tls_schemes[] = {"tls+tcp://", "tls+tcp4://", "tls+tcp6://", "https://",
					  "wss://"};
static const char *const plain_schemes[] = {"tcp://", "tcp4://", "tcp6://", "http://", "ws://"};

bool nt_url_is_tls(const char *url)
{
	for (size_t i = 0; url != NULL && i < sizeof tls_schemes / sizeof tls_schemes[0]; i++)
		if (strncmp(url, tls_schemes[i], strlen(tls_schemes[i])) == 0)
			return true;
	return false;
}

static bool loopback_host(const char *h, size_t n)
{
	if (n == 9 && strncmp(h, "localhost", 9) == 0)
		return true;
	if (n == 5 && strncmp(h, "[::1]", 5) == 0)
		return true;
	/* 127.a.b.c: four decimal parts, the first 127 */
	if (n < 9 || n > 15 || strncmp(h, "127.", 4) != 0)
		return false;
	int dots = 0;
	for (size_t i = 4; i < n; i++) {
		if (h[i] == '.')
			dots++;
		else if (h[i] < '0' || h[i] > '9')
			return false;
	}
	return dots == 2;
}

bool nt_url_plain_public(const char *url)
{
	if (url == NULL)
		return false;
	const char *rest = NULL;
	for (size_t i = 0; i < sizeof plain_schemes / sizeof plain_schemes[0]; i++)
		if (strncmp(url, plain_schemes[i], strlen(plain_schemes[i])) == 0)
			rest = url + strlen(plain_schemes[i]);
	if (rest == NULL)
		return false;
	/* host[:port][/path]; an IPv6 host is in brackets */
	size_t n;
	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');
		if (close == NULL)
			return true;
		n = (size_t)(close - rest) + 1;
	} else {
		n = strcspn(rest, ":/");
	}
	return !loopback_host(rest, n);
}

/* A configuration for o (mode: client or server); 0 or nng's error. On 0
 * the caller holds one reference to *out (nng_tls_config_free drops it). */
static int make_config(const nt_tls_opts *o, nng_tls_mode mode, nng_tls_config **out)
{
	nng_tls_config *c = NULL;
	int rv = nng_tls_config_alloc(&c, mode);
	if (rv != 0)
		return rv;
	if (o->cert_pem != NULL &&
	    (rv = nng_tls_config_own_cert(c, o->cert_pem, o->key_pem, NULL)) != 0)
		goto fail;
	if (o->ca_pem != NULL && (rv = nng_tls_config_ca_chain(c, o->ca_pem, NULL)) != 0)
		goto fail;
	/* A client always checks the server; a server checks its clients
	 * when asked (mutual TLS between nodes). */
	rv = nng_tls_config_auth_mode(c, o->verify_peer || mode == NNG_TLS_MODE_CLIENT
					     ? NNG_TLS_AUTH_MODE_REQUIRED
					     : NNG_TLS_AUTH_MODE_NONE);
	if (rv != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	nng_tls_config_free(c);
	return rv;
}

int nt_tls_listener_set(nng_listener l, const nt_tls_opts *o)
{
	nng_tls_config *c;
	int rv = make_config(o, NNG_TLS_MODE_SERVER, &c);
	if (rv != 0)
		return rv;
	/* The listener takes its own hold on c. */
	rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, c);
	nng_tls_config_free(c);
	return rv;
}

int nt_tls_dialer_set(nng_dialer d, const nt_tls_opts *o)
{
	nng_tls_config *c;
	int rv = make_config(o, NNG_TLS_MODE_CLIENT, &c);
	if (rv != 0)
		return rv;
	rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, c);
	nng_tls_config_free(c);
	return rv;
}

unsigned long long nt_tls_listener_refused(nng_listener l)
{
	nng_stat *all = NULL;
	if (nng_listener_id(l) <= 0 || nng_stats_get(&all) != 0)
		return 0;
	unsigned long long v = 0;
	nng_stat *ls = nng_stat_find_listener(all, l);
	nng_stat *a = ls != NULL ? nng_stat_find(ls, "auth") : NULL;
	if (a != NULL)
		v = (unsigned long long)nng_stat_value(a);
	nng_stats_free(all);
	return v;
}
