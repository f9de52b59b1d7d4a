/* The node's TLS (node/tls_setup.c): its certificate, the peers' pinned
 * certificates with their bindings checked, and the refusal of plain TCP
 * beyond loopback. Set at start on the loop thread, read-only after. */
#ifndef ND_TLS_SETUP_H
#define ND_TLS_SETUP_H

#include "base/err.h"
#include "core/valset.h"
#include "net/tls.h"
#include "node/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	char *cert_pem, *key_pem;  /* this node's (NULL when no URL is TLS) */
	char *trusted;		   /* every listed peer certificate, concatenated */
	char **peer_pem;	   /* npeers: peer i's pinned certificate or NULL */
	nt_tls_opts listen;	   /* p2p listener: ours, peers must be in trusted */
	nt_tls_opts rpc;	   /* rpc (and https) listener: ours, clients free */
	nt_tls_opts *dial;	   /* npeers: ours, peer i's certificate pinned */
	const nt_tls_opts **dialp; /* npeers: &dial[i] for tls+tcp:// peers, else NULL */
	const nt_tls_opts **syncp; /* npeers: for peer_rpc[i] when it is TLS, else NULL */
	size_t npeers;
	uint64_t refused_seen; /* peer handshakes refused, as last logged (loop) */
	uint64_t rpc_refused_seen;
} nd_tls;

/* Loads what cfg's URLs need: refuses plain TCP on a non-loopback address
 * unless allow_insecure; for TLS URLs reads the node's certificate and
 * key and each listed peer certificate it will use (all of them for a TLS
 * p2p listener, else those of peers with a TLS URL), checks its
 * fingerprint and that its binding verifies under a key of vs. NT_OK: t
 * filled (nd_tls_free). */
nt_err nd_tls_load(const nt_config *cfg, const nt_valset *vs, bool allow_insecure, nd_tls *t,
		   nt_why *why) NT_MUST_CHECK;
void nd_tls_free(nd_tls *t);

#endif
