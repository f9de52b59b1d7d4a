/* The verification page over HTTP (docs/VERIFY-PAGE.md): GET / the page,
 * GET /genesis.json this node's genesis file, GET /metrics its Prometheus
 * metrics (node/metrics.h), GET /receipt/<record_id> a
 * committed record's receipt (a convenience: the page says that its
 * verdict does not depend on trusting the node that served it). Static
 * bytes read at start; receipts from the RPC threads' reader under the
 * same store lock as queries (rpc_front.c), so the loop is never asked. */
#include "node/node_internal.h"

#include "base/hex.h"
#include "node/log.h"
#include "node/web_page.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_MAX (32u * 1024 * 1024)
#define GENESIS_MAX (1u * 1024 * 1024)

/* What / serves when no page was built (node and npm were missing when
 * notaryd was built): the CLI still verifies. */
static const char no_page[] =
    "<!doctype html><meta charset=utf-8><title>notary</title>"
    "<p>This node was built without the verification page (make web needs node and npm)."
    "<p>Verify receipts with <code>notary verify</code>, or open a verify.html written by "
    "<code>notary web --out verify.html</code> on a machine that has it.";

static nt_err slurp(const char *path, size_t max, char **out, size_t *len, nt_why *why)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return nt_fail(why, errno == ENOENT ? NT_ERR_NOT_FOUND : NT_ERR_IO,
			       "cannot open %s: %s", path, strerror(errno));
	char *buf = malloc(max + 1);
	size_t n = buf != NULL ? fread(buf, 1, max + 1, f) : 0;
	bool err = ferror(f);
	fclose(f);
	if (buf == NULL || err || n > max) {
		free(buf);
		return nt_fail(why,
			       buf == NULL ? NT_ERR_NOMEM
			       : err	   ? NT_ERR_IO
					   : NT_ERR_RANGE,
			       "cannot read %s%s", path, n > max ? ": too large" : "");
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return NT_OK;
}

static bool is_hex64(const char *s)
{
	size_t i = 0;
	for (; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return i == 64;
}

/* GET /receipt/<record_id> on an nng HTTP thread. */
static int receipt_fn(void *arg, const char *rest, char **body, size_t *len, const char **ctype)
{
	node *n = arg;
	(void)len;
	nt_hash id;
	if (!is_hex64(rest) || nt_hex_decode32(rest, id.b) != NT_OK) {
		*body = strdup("not a record id: /receipt/<64 hex digits>\n");
		return 404;
	}
	nd_front *f = &n->front;
	pthread_rwlock_rdlock(&f->store_lock);
	if (f->store_closed) {
		pthread_rwlock_unlock(&f->store_lock);
		*body = strdup("the node is stopping\n");
		return 503;
	}
	nt_ledger_reader r;
	pthread_mutex_lock(&f->pub_mu);
	r = f->pub;
	pthread_mutex_unlock(&f->pub_mu);
	char *json = NULL;
	nt_err e = nt_ledger_reader_receipt(&r, &id, &json);
	pthread_rwlock_unlock(&f->store_lock);
	if (e == NT_ERR_NOT_FOUND) {
		*body = strdup("no committed record with this id on this node\n");
		return 404;
	}
	if (e != NT_OK) {
		*body = strdup("storage failure\n");
		return 500;
	}
	*body = json;
	*ctype = "application/json";
	return 200;
}

/* GET /metrics: the text the loop rendered last (node/metrics_node.c). */
static int metrics_fn(void *arg, const char *rest, char **body, size_t *len, const char **ctype)
{
	node *n = arg;
	(void)rest;
	*body = nd_metrics_copy(&n->metrics, len);
	if (*body == NULL) {
		*body = strdup("no metrics yet: the node is starting\n");
		return 503;
	}
	*ctype = "text/plain; version=0.0.4; charset=utf-8";
	return 200;
}

nt_err nd_http_start(node *n, nt_why *why)
{
	const char *url = n->cfg.http_listen;
	if (url == NULL || url[0] == '\0') {
		nt_log(NT_LOG_INFO, "HTTP off (http.listen is empty): no verification page");
		return NT_OK;
	}
	char path[PATH_MAX + 32];
	nt_why sub = {{0}};
	nt_err e = nt_web_page_path(n->cfg.http_page, path, sizeof path);
	if (e == NT_OK)
		e = slurp(path, PAGE_MAX, &n->http.page, &n->http.page_len, &sub);
	if (e != NT_OK) {
		nt_log(NT_LOG_WARN,
		       "no verification page to serve (%s): / says so and points to notary "
		       "verify; build it with make web",
		       sub.msg[0] ? sub.msg : "web/verify.html not found beside notaryd");
		path[0] = '\0';
	}
	if ((e = slurp(n->cfg.genesis_file, GENESIS_MAX, &n->http.genesis, &n->http.genesis_len,
		       why)) != NT_OK)
		return e;
	nt_http_doc docs[] = {
	    {.path = "/",
	     .body = n->http.page != NULL ? n->http.page : no_page,
	     .len = n->http.page != NULL ? n->http.page_len : sizeof no_page - 1,
	     .ctype = "text/html; charset=utf-8"},
	    {.path = "/genesis.json",
	     .body = n->http.genesis,
	     .len = n->http.genesis_len,
	     .ctype = "application/json; charset=utf-8"},
	    {.path = "/metrics", .fn = metrics_fn, .arg = n},
	};
	if ((e = nt_http_start(url, docs, 3, "/receipt", receipt_fn, n, &n->http.srv, why)) !=
	    NT_OK)
		return e;
	nt_log(NT_LOG_INFO, "serving the verification page on %s%s%s", url,
	       path[0] ? " from " : " (not built)", path);
	return NT_OK;
}

void nd_http_stop(node *n)
{
	nt_http_stop(n->http.srv);
	n->http.srv = NULL;
	free(n->http.page);
	free(n->http.genesis);
	n->http.page = n->http.genesis = NULL;
}
