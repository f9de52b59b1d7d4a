/* Internal to net/: applies nt_tls_opts to nng endpoints. */
#ifndef NT_TLS_NNG_H
#define NT_TLS_NNG_H

#include "net/tls.h"

#include <nng/nng.h>

/* Sets a TLS configuration built from o on the listener or dialer (before
 * it starts). Returns nng's error code (0: done). */
int nt_tls_listener_set(nng_listener l, const nt_tls_opts *o);
int nt_tls_dialer_set(nng_dialer d, const nt_tls_opts *o);

/* Handshakes a listener refused (nng's "auth" statistic: the other side's
 * certificate was not trusted, or it spoke no TLS at all); 0 when
 * statistics are off. */
unsigned long long nt_tls_listener_refused(nng_listener l);

#endif
