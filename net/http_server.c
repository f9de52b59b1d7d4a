/* Static HTTP answers on nng's HTTP server (net/http_server.h). */
#include "net/http_server.h"

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <nng/supplemental/tls/tls.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DOCS 8

typedef struct {
	nt_http_server *srv;
	const nt_http_doc *doc; /* NULL: the tree */
} route;

struct nt_http_server {
	nng_http_server *srv;
	nt_http_doc docs[MAX_DOCS];
	route routes[MAX_DOCS + 1];
	size_t ndocs;
	char *prefix;
	nt_http_tree_fn fn;
	void *arg;
	uint16_t port; /* from the URL */
};

/* The page is self-contained: no script, style, font or image from
 * anywhere, no form posting; it may fetch from its own origin only
 * (/genesis.json, /receipt/<id>). */
static const char csp[] =
    "default-src 'none'; script-src 'unsafe-inline' 'wasm-unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data: blob:; worker-src blob:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static nng_http_res *answer(int status, const void *body, size_t len, const char *ctype, bool copy)
{
	nng_http_res *res = NULL;
	if (nng_http_res_alloc(&res) != 0)
		return NULL;
	int rv = nng_http_res_set_status(res, (uint16_t)status);
	if (rv == 0)
		rv = nng_http_res_set_header(res, "Content-Type",
					     ctype != NULL ? ctype : "text/plain; charset=utf-8");
	if (rv == 0)
		rv = nng_http_res_set_header(res, "Content-Security-Policy", csp);
	if (rv == 0)
		rv = nng_http_res_set_header(res, "X-Content-Type-Options", "nosniff");
	if (rv == 0)
		rv = nng_http_res_set_header(res, "Referrer-Policy", "no-referrer");
	if (rv == 0)
		rv = nng_http_res_set_header(res, "Cache-Control", "no-cache");
	if (rv == 0 && body != NULL && len > 0)
		rv = copy ? nng_http_res_copy_data(res, body, len)
			  : nng_http_res_set_data(res, body, len);
	if (rv != 0) {
		nng_http_res_free(res);
		return NULL;
	}
	return res;
}

static void finish(nng_aio *aio, nng_http_res *res)
{
	if (res == NULL) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static bool has_body(nng_http_req *req)
{
	void *d;
	size_t n;
	nng_http_req_get_data(req, &d, &n);
	return n > 0 || nng_http_req_get_header(req, "Content-Length") != NULL ||
	       nng_http_req_get_header(req, "Transfer-Encoding") != NULL;
}

static void on_request(nng_aio *aio)
{
	nng_http_req *req = nng_aio_get_input(aio, 0);
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	route *r = nng_http_handler_get_data(h);
	const char *m = nng_http_req_get_method(req);
	if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) {
		static const char msg[] = "only GET\n";
		nng_http_res *res = answer(405, msg, sizeof msg - 1, NULL, false);
		if (res != NULL)
			(void)nng_http_res_set_header(res, "Allow", "GET, HEAD");
		finish(aio, res);
		return;
	}
	if (has_body(req)) {
		static const char msg[] = "a GET has no body\n";
		finish(aio, answer(400, msg, sizeof msg - 1, NULL, false));
		return;
	}
	if (r->doc != NULL && r->doc->fn == NULL) {
		finish(aio, answer(200, r->doc->body, r->doc->len, r->doc->ctype, false));
		return;
	}
	nt_http_server *s = r->srv;
	const char *rest = "";
	nt_http_tree_fn fn = s->fn;
	void *arg = s->arg;
	if (r->doc != NULL) {
		fn = r->doc->fn;
		arg = r->doc->arg;
	} else {
		const char *uri = nng_http_req_get_uri(req);
		size_t pl = strlen(s->prefix);
		rest = strncmp(uri, s->prefix, pl) == 0 ? uri + pl : "";
		if (*rest == '/')
			rest++;
	}
	char *body = NULL;
	size_t len = 0;
	const char *ctype = NULL;
	int status = fn(arg, rest, &body, &len, &ctype);
	if (body != NULL && len == 0)
		len = strlen(body);
	nng_http_res *res = answer(status, body, len, ctype, true);
	free(body);
	finish(aio, res);
}

static nt_err add(nt_http_server *s, const char *path, route *r, bool tree, nt_why *why)
{
	nng_http_handler *h = NULL;
	int rv = nng_http_handler_alloc(&h, path, on_request);
	if (rv == 0)
		rv = nng_http_handler_set_method(h, NULL); /* we answer 405 ourselves */
	if (rv == 0)
		rv = nng_http_handler_collect_body(h, true, 0);
	if (rv == 0 && tree)
		rv = nng_http_handler_set_tree(h);
	if (rv == 0)
		rv = nng_http_handler_set_data(h, r, NULL);
	if (rv == 0)
		rv = nng_http_server_add_handler(s->srv, h);
	if (rv != 0) {
		if (h != NULL)
			nng_http_handler_free(h);
		return nt_fail(why, NT_ERR_IO, "cannot serve %s: %s", path, nng_strerror(rv));
	}
	return NT_OK;
}

nt_err nt_http_start(const char *url, const nt_http_doc *docs, size_t ndocs, const char *prefix,
		     nt_http_tree_fn fn, void *arg, nt_http_server **out, nt_why *why)
{
	return nt_http_start_ex(url, NULL, docs, ndocs, prefix, fn, arg, out, why);
}

nt_err nt_http_start_ex(const char *url, const nt_tls_opts *tls, const nt_http_doc *docs,
			size_t ndocs, const char *prefix, nt_http_tree_fn fn, void *arg,
			nt_http_server **out, nt_why *why)
{
	*out = NULL;
	if (url == NULL || ndocs > MAX_DOCS || (prefix != NULL && fn == NULL))
		return nt_fail(why, NT_ERR_ARG, "bad HTTP server arguments");
	nt_http_server *s = calloc(1, sizeof *s);
	if (s == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	nng_url *u = NULL;
	int rv = nng_url_parse(&u, url);
	bool https = rv == 0 && strcmp(u->u_scheme, "https") == 0;
	if (rv != 0 || (strcmp(u->u_scheme, "http") != 0 && !https) || (https && tls == NULL)) {
		if (u != NULL)
			nng_url_free(u);
		free(s);
		return nt_fail(why, NT_ERR_ARG,
			       https ? "http.listen %s needs the node's TLS certificate"
				     : "http.listen %s is not an http(s)://HOST:PORT/ URL",
			       url);
	}
	s->port = (uint16_t)strtoul(u->u_port, NULL, 10);
	rv = nng_http_server_hold(&s->srv, u);
	nng_url_free(u);
	if (rv != 0) {
		free(s);
		return nt_fail(why, NT_ERR_IO, "cannot serve HTTP on %s: %s", url,
			       nng_strerror(rv));
	}
	s->fn = fn;
	s->arg = arg;
	s->ndocs = ndocs;
	nt_err e = NT_OK;
	if (https) {
		nng_tls_config *c = NULL;
		if ((rv = nng_tls_config_alloc(&c, NNG_TLS_MODE_SERVER)) != 0 ||
		    (rv = nng_tls_config_own_cert(c, tls->cert_pem, tls->key_pem, NULL)) != 0 ||
		    (rv = nng_http_server_set_tls(s->srv, c)) != 0)
			e = nt_fail(why, NT_ERR_IO, "cannot serve HTTPS on %s: %s", url,
				    nng_strerror(rv));
		if (c != NULL)
			nng_tls_config_free(c); /* the server holds its own reference */
	}
	for (size_t i = 0; i < ndocs && e == NT_OK; i++) {
		s->docs[i] = docs[i];
		s->routes[i] = (route){s, &s->docs[i]};
		e = add(s, docs[i].path, &s->routes[i], false, why);
	}
	if (e == NT_OK && prefix != NULL) {
		if ((s->prefix = strdup(prefix)) == NULL)
			e = nt_fail(why, NT_ERR_NOMEM, "out of memory");
		s->routes[ndocs] = (route){s, NULL};
		if (e == NT_OK)
			e = add(s, prefix, &s->routes[ndocs], true, why);
	}
	if (e == NT_OK && (rv = nng_http_server_start(s->srv)) != 0)
		e = nt_fail(why, NT_ERR_IO, "cannot serve HTTP on %s: %s", url, nng_strerror(rv));
	if (e != NT_OK) {
		nng_http_server_release(s->srv);
		free(s->prefix);
		free(s);
		return e;
	}
	*out = s;
	return NT_OK;
}

void nt_http_watch(nt_http_server *s, nt_sockwatch *w)
{
	if (s != NULL)
		nt_sockwatch_add(w, s->port, NULL);
}

void nt_http_stop(nt_http_server *s)
{
	if (s == NULL)
		return;
	nng_http_server_stop(s->srv);
	nng_http_server_release(s->srv);
	free(s->prefix);
	free(s);
}
