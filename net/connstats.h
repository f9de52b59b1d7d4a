/* Connection counters of a transport (net/pipeguard.h keeps them), in
 * plain types so that node/ can report them without nng's headers. */
#ifndef NT_CONNSTATS_H
#define NT_CONNSTATS_H

#include <stdint.h>

/* A connection we closed whose removal nng has not reported after this
 * long counts as stuck: its clean-up is wedged. */
#define NT_CONN_STUCK_MS 10000

typedef struct {
	unsigned open;		/* connections added and not yet removed */
	uint64_t refused;	/* closed at connection: over the cap */
	uint64_t idle_closed;	/* closed by the idle timeout */
	uint64_t unauth_closed; /* inbound peer that authenticated nothing in time */
	uint64_t flood_closed;	/* too many requests in flight, or a reply that could not leave */
	uint64_t shed;		/* large replies replaced by "busy": reply memory budget */
	uint64_t reply_bytes;	/* bytes of replies held now (queued or not confirmed written) */
	unsigned close_pending; /* closed by us, nng's removal not seen yet */
	unsigned close_stuck;	/* ... for more than NT_CONN_STUCK_MS: clean-up wedged */
} nt_conn_stats;

#endif
