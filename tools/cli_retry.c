/* Waiting out the node's fair limits (docs/OPERATIONS.md "Fair limits"):
 * which refusals are worth sending again, and a bounded wait before doing
 * so. The node says how long in data.retry_after_ms (docs/RPC.md); the
 * caller's budget (`notary submit --retry-for`) bounds the total, so a
 * client never waits on a node forever, and a node that keeps refusing ends
 * in a clear error instead of a silent hang. */
#include "tools/cli.h"

#include <errno.h>
#include <time.h>

/* A node may ask for 1 ms (a rate of 1,000/s); waiting a little longer lets
 * tokens pile up for a batch's many requests, and keeps a refused client
 * from spinning through round trips and progress lines. */
#define RETRY_MIN_MS 50

bool nt_cli_rpc_retryable(const nt_rpc_status *st)
{
	return st->outcome == NT_RPC_ERROR &&
	       (st->code == NT_RPC_E_RATE || st->code == NT_RPC_E_SHARE);
}

const char *nt_cli_rpc_limit_name(const nt_rpc_status *st)
{
	return st->code == NT_RPC_E_SHARE ? "this key's share of the node's mempool is used"
					  : "rate limited by the node";
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

bool nt_cli_retry_wait(nt_cli_retry *r, const char *cmd, const nt_rpc_status *st, unsigned attempt,
		       size_t n)
{
	if (!nt_cli_rpc_retryable(st))
		return false;
	uint64_t ms = st->retry_after_ms < RETRY_MIN_MS ? RETRY_MIN_MS : st->retry_after_ms;
	if (r->waited_ms >= r->budget_ms || ms > r->budget_ms - r->waited_ms)
		return false;
	fprintf(stderr, "notary %s: %s: retrying in %.1f s (attempt %u", cmd,
		nt_cli_rpc_limit_name(st), (double)ms / 1000.0, attempt);
	if (n > 1)
		fprintf(stderr, ", %zu requests", n);
	fputs(")\n", stderr);
	fflush(stderr);
	sleep_ms(ms);
	r->waited_ms += ms;
	return true;
}
