/* The simulator's only source of randomness and its trace output.
 *
 * xoshiro256** seeded through splitmix64 from the seed: every random choice
 * of a run comes from here, in event order, so a seed replays exactly. The
 * trace prints virtual times and hashes only (never pointers or wall time),
 * which keeps two runs of one seed byte-identical. */
#include <stdarg.h>
#include <stdio.h>

#include "tools/sim/sim.h"

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void sim_rng_seed(sim *s, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		s->rng[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t sim_rand(sim *s)
{
	uint64_t *r = s->rng;
	uint64_t out = rotl(r[1] * 5, 7) * 9;
	uint64_t t = r[1] << 17;
	r[2] ^= r[0];
	r[3] ^= r[1];
	r[1] ^= r[2];
	r[0] ^= r[3];
	r[2] ^= t;
	r[3] = rotl(r[3], 45);
	return out;
}

uint64_t sim_range(sim *s, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + sim_rand(s) % (hi - lo + 1);
}

bool sim_chance(sim *s, unsigned per_mille)
{
	if (per_mille == 0)
		return false;
	return sim_rand(s) % 1000 < per_mille;
}

void sim_trace(sim *s, const char *fmt, ...)
{
	if (s->tr == NULL)
		return;
	va_list ap;
	fprintf(s->tr, "%8llu ", (unsigned long long)(s->now - SIM_T0));
	va_start(ap, fmt);
	vfprintf(s->tr, fmt, ap);
	va_end(ap);
	fputc('\n', s->tr);
}

const char *sim_short(const nt_hash *h, char buf[17])
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < 4; i++) {
		buf[2 * i] = hx[h->b[i] >> 4];
		buf[2 * i + 1] = hx[h->b[i] & 15];
	}
	buf[8] = 0;
	return buf;
}
