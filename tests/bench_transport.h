/* bench-micro --only transport (tests/bench_transport.c). */
#ifndef NT_BENCH_TRANSPORT_H
#define NT_BENCH_TRANSPORT_H

/* REQ/REP round trips on loopback over tcp:// and tls+tcp:// (the
 * nodes' P-256 certificates, pinned as the node does): wall time and the
 * process's CPU per round trip, best of rounds. */
void bench_transport(int rounds);

#endif
