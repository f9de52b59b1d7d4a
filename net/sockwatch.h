/* The connections nng does not count: TCP connections our listeners
 * accepted that are still in their TLS or SP handshake (nng 1.5.2 makes a
 * pipe of them only after both, and gives a TLS handshake no deadline),
 * and the HTTP server's connections (nng's HTTP server has no cap and no
 * idle timeout). A thread looks at the process's own sockets once a
 * second, ten times a second while they pile up (/proc/self/fd, getsockname/getpeername, TCP_INFO) and cuts,
 * with shutdown(2), those past a deadline or over a cap; nng then sees
 * the connection fail and frees it on its own path.
 *
 * shutdown(2) and not close(2): the descriptor stays nng's, so it cannot
 * be reused under nng. Each cut re-reads the socket's two addresses
 * first, so a descriptor nng closed and reused in between is left alone.
 * docs/OPERATIONS.md "Descriptors, connections and memory" has the
 * operator's side. */
#ifndef NT_SOCKWATCH_H
#define NT_SOCKWATCH_H

#include "base/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* A TCP endpoint: IPv4 as v4-mapped IPv6, so both families compare. */
typedef struct {
	uint8_t a[16];
	uint16_t port; /* host order */
} nt_addrkey;

typedef struct {
	uint32_t handshake_ms;	/* a connection not made a pipe this long after we saw it: cut; 0 never */
	unsigned handshake_max; /* connections in handshake per listener; 0: no cap */
	unsigned per_addr_max;	/* ... and per source address (and HTTP connections); 0: no cap */
	uint32_t http_idle_ms;	/* an HTTP connection sent nothing this long: cut; 0 never */
	unsigned http_max;	/* HTTP connections; 0: no cap */
} nt_sockwatch_opts;

typedef struct {
	unsigned handshaking;	   /* now, all pipe listeners */
	unsigned http_open;	   /* now */
	uint64_t handshake_cut;	   /* past handshake_ms */
	uint64_t handshake_capped; /* over handshake_max or per_addr_max */
	uint64_t http_idle_cut;	   /* past http_idle_ms */
	uint64_t http_capped;	   /* over http_max or per_addr_max */
	uint64_t scans;
	uint32_t scan_us; /* the last scan's duration */
} nt_sockwatch_stats;

/* --- the rules, pure (tests/test_sockwatch.c) --- */

typedef enum {
	NT_SW_KEEP = 0,
	NT_SW_HANDSHAKE_LATE,
	NT_SW_HANDSHAKE_OVER,
	NT_SW_HTTP_IDLE,
	NT_SW_HTTP_OVER,
} nt_sw_verdict;

typedef struct {
	int fd;
	unsigned lst;	     /* index of the listener it was accepted on */
	bool http;	     /* that listener is the HTTP server's */
	bool pipe;	     /* nng made a pipe of it (pipe listeners only) */
	nt_addrkey peer;     /* the client's address */
	uint64_t seen_ms;    /* when a scan first saw it */
	uint32_t heard_ms;   /* since the client last sent data (TCP_INFO) */
	uint32_t spoke_ms;   /* since we last sent it data (TCP_INFO) */
	nt_sw_verdict cut;   /* set by nt_sockwatch_judge */
	bool young;	     /* ... seen less than NT_SOCKWATCH_GRACE_MS ago */
} nt_sw_conn;

/* The per-address cap counts only connections seen this long ago: a
 * burst of honest clients behind one address (an office's NAT, a
 * benchmark) is not cut while it waits its turn; a TLS handshake costs
 * the node about 5 ms of CPU (mbedTLS, P-256), so 256 at once take over
 * a second. */
#define NT_SOCKWATCH_GRACE_MS 3000

/* Decides which of c[0..n) to cut at now (ms, the clock of seen_ms):
 * handshakes past the deadline, and HTTP connections quiet (age and
 * spoke_ms both) past http_idle_ms; then, per listener, those over the
 * per-address cap (young ones neither counted nor cut) and over the
 * listener's cap (all counted). Over a cap the connection the client was
 * silent on longest goes first (a stalled one before a working one, an
 * old one before a young one). Reorders c. Returns how many were cut. */
size_t nt_sockwatch_judge(const nt_sockwatch_opts *o, nt_sw_conn *c, size_t n, uint64_t now);

/* --- the thread --- */

typedef struct nt_sockwatch nt_sockwatch;
struct nt_pipeguard;

nt_err nt_sockwatch_new(const nt_sockwatch_opts *o, nt_sockwatch **out, nt_why *why) NT_MUST_CHECK;
/* Listeners to watch, before nt_sockwatch_start: a pipe listener (its
 * guard knows the pipes) or the HTTP server's (guard NULL). port 0: not
 * added. At most NT_SOCKWATCH_MAX_LST. */
#define NT_SOCKWATCH_MAX_LST 4
void nt_sockwatch_add(nt_sockwatch *w, uint16_t port, struct nt_pipeguard *guard);
nt_err nt_sockwatch_start(nt_sockwatch *w, nt_why *why) NT_MUST_CHECK;
/* One scan now, as the thread does; for tests. */
void nt_sockwatch_scan(nt_sockwatch *w);
void nt_sockwatch_stats_get(nt_sockwatch *w, nt_sockwatch_stats *out);
/* Stops the thread and frees; before the watched servers are freed. NULL:
 * no-op. */
void nt_sockwatch_free(nt_sockwatch *w);

#endif
