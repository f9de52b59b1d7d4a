/* JSON-RPC transport, client side: one nng REQ socket, one call at a time. */
#include "net/rpc_client.h"

#include "net/tls_nng.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdlib.h>
#include <string.h>

#define CLIENT_RECV_MAX (64u * 1024 * 1024)

struct nt_rpc_client {
	nng_socket sock;
	char *url;
};

static int dial(nng_socket sock, const char *url, const nt_tls_opts *tls)
{
	if (!nt_url_is_tls(url))
		return nng_dial(sock, url, NULL, NNG_FLAG_NONBLOCK);
	nng_dialer d;
	int rv = nng_dialer_create(&d, sock, url);
	if (rv == 0)
		rv = nt_tls_dialer_set(d, tls);
	if (rv == 0)
		rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK);
	return rv;
}

nt_err nt_rpc_client_open(const char *url, nt_rpc_client **out, nt_why *why)
{
	return nt_rpc_client_open_ex(url, NULL, out, why);
}

nt_err nt_rpc_client_open_ex(const char *url, const nt_tls_opts *tls, nt_rpc_client **out,
			     nt_why *why)
{
	if (url == NULL || out == NULL)
		return nt_fail(why, NT_ERR_ARG, "no node URL given");
	if (nt_url_is_tls(url) && (tls == NULL || tls->ca_pem == NULL))
		return nt_fail(why, NT_ERR_ARG,
			       "%s is TLS: say which certificate to trust (--ca FILE or --pin "
			       "SHA256)",
			       url);
	nt_rpc_client *c = calloc(1, sizeof *c);
	if (c == NULL || (c->url = strdup(url)) == NULL) {
		free(c);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	int rv = nng_req0_open(&c->sock);
	if (rv != 0) {
		free(c->url);
		free(c);
		return nt_fail(why, NT_ERR_NET, "cannot open RPC socket: %s", nng_strerror(rv));
	}
	/* Requests are idempotent but a submit may legitimately wait up to a
	 * minute for its block: never resend behind the caller's back. */
	if ((rv = nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, CLIENT_RECV_MAX)) != 0 ||
	    (rv = nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) != 0 ||
	    (rv = dial(c->sock, url, tls)) != 0) {
		nt_fail(why, NT_ERR_NET, "cannot connect to %s: %s", url, nng_strerror(rv));
		nng_close(c->sock);
		free(c->url);
		free(c);
		return NT_ERR_NET;
	}
	*out = c;
	return NT_OK;
}

static nt_err call_error(const nt_rpc_client *c, int rv, int timeout_ms, nt_why *why)
{
	if (rv == NNG_ETIMEDOUT) {
		int secs = (timeout_ms + 999) / 1000;
		if (nt_url_is_tls(c->url))
			return nt_fail(why, NT_ERR_TIMEOUT,
				       "no node answered at %s within %d s (is notaryd running and "
				       "serving TLS there, with the certificate you trust?)",
				       c->url, secs);
		return nt_fail(why, NT_ERR_TIMEOUT,
			       "no node answered at %s within %d s (is notaryd running? if it "
			       "serves tls+tcp://, use that URL)",
			       c->url, secs);
	}
	return nt_fail(why, NT_ERR_NET, "RPC to %s failed: %s", c->url, nng_strerror(rv));
}

nt_err nt_rpc_client_call(nt_rpc_client *c, const char *req, size_t len, int timeout_ms,
			  char **resp, size_t *resp_len, nt_why *why)
{
	if (c == NULL || req == NULL || resp == NULL || timeout_ms <= 0)
		return nt_fail(why, NT_ERR_ARG, "invalid RPC call arguments");
	int rv;
	if ((rv = nng_socket_set_ms(c->sock, NNG_OPT_SENDTIMEO, timeout_ms)) != 0 ||
	    (rv = nng_socket_set_ms(c->sock, NNG_OPT_RECVTIMEO, timeout_ms)) != 0)
		return call_error(c, rv, timeout_ms, why);
	/* nng_send copies the buffer when no flag says otherwise. */
	if ((rv = nng_send(c->sock, (void *)req, len, 0)) != 0)
		return call_error(c, rv, timeout_ms, why);
	char *buf = NULL;
	size_t n = 0;
	if ((rv = nng_recv(c->sock, &buf, &n, NNG_FLAG_ALLOC)) != 0)
		return call_error(c, rv, timeout_ms, why);
	char *r = malloc(n + 1);
	if (r == NULL) {
		nng_free(buf, n);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	memcpy(r, buf, n);
	r[n] = '\0';
	nng_free(buf, n);
	*resp = r;
	if (resp_len != NULL)
		*resp_len = n;
	return NT_OK;
}

void nt_rpc_client_close(nt_rpc_client *c)
{
	if (c == NULL)
		return;
	nng_close(c->sock);
	free(c->url);
	free(c);
}
