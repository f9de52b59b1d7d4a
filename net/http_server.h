/* A small static HTTP server on nng's own HTTP server (the Debian libnng
 * has it): a few fixed documents, and one path prefix whose answers a
 * callback makes (docs/VERIFY-PAGE.md: the verification page, the
 * genesis, receipts by id). GET (and HEAD) only; every other path is 404,
 * every other method 405, a request with a body 400. Each answer carries
 * headers that keep a browser from loading anything from elsewhere
 * (Content-Security-Policy) or sniffing types. It runs on nng's threads
 * and touches nothing of its user's but the callback. */
#ifndef NT_HTTP_SERVER_H
#define NT_HTTP_SERVER_H

#include "base/err.h"
#include "net/sockwatch.h"
#include "net/tls.h"

#include <stddef.h>

typedef struct nt_http_server nt_http_server;

/* Answers GET prefix + rest (rest without the prefix, e.g. the hex id of
 * "/receipt/<id>"): returns an HTTP status; on 200 *body is malloc'd
 * (taken by the server), *len its size and *ctype a static string; on
 * another status *body may hold a short text/plain message (or NULL).
 * Runs on an nng thread, any number at once. */
typedef int (*nt_http_tree_fn)(void *arg, const char *rest, char **body, size_t *len,
			       const char **ctype);

/* A document at one path ("/", "/genesis.json"): fixed bytes that outlive
 * the server and a content type, or (fn not NULL) an answer fn makes for
 * each request, called with rest "" and arg. */
typedef struct {
	const char *path;
	const void *body;
	size_t len;
	const char *ctype;
	nt_http_tree_fn fn;
	void *arg;
} nt_http_doc;

/* Listens on url (http://HOST:PORT/). prefix may be NULL (no tree). */
nt_err nt_http_start(const char *url, const nt_http_doc *docs, size_t ndocs, const char *prefix,
		     nt_http_tree_fn fn, void *arg, nt_http_server **out,
		     nt_why *why) NT_MUST_CHECK;
/* As nt_http_start; an https://HOST:PORT/ url needs tls (the server's
 * certificate, read during the call only). */
nt_err nt_http_start_ex(const char *url, const nt_tls_opts *tls, const nt_http_doc *docs,
			size_t ndocs, const char *prefix, nt_http_tree_fn fn, void *arg,
			nt_http_server **out, nt_why *why) NT_MUST_CHECK;
/* Hands the server's port to a connection watch (net/sockwatch.h): nng's
 * HTTP server bounds neither its connections nor their idle time. A URL
 * with port 0 is not watched. */
void nt_http_watch(nt_http_server *s, nt_sockwatch *w);
/* Stops accepting, waits for handlers in flight, frees. NULL: no-op. */
void nt_http_stop(nt_http_server *s);

#endif
