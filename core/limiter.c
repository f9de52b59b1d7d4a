/* Token buckets in a fixed set-associative table (core/limiter.h).
 *
 * Tokens are kept in thousandths (milli-tokens) so that a rate of a few
 * per second refills smoothly at millisecond resolution without floats. */
#include "core/limiter.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	uint8_t key[NT_LIMITER_KEY_LEN];
	uint64_t at;	 /* ms of the last update; 0: the slot is free */
	uint64_t tokens; /* milli-tokens at `at` */
} bucket;

struct nt_limiter {
	bucket *b;
	size_t nsets;
	uint64_t rate, burst; /* tokens a second, tokens */
	uint64_t seed[4];
	size_t used;
	uint64_t evictions;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

nt_err nt_limiter_new(size_t slots, uint32_t rate_per_s, uint32_t burst,
		      const uint8_t seed[NT_LIMITER_KEY_LEN], nt_limiter **out)
{
	if (out == NULL || seed == NULL || slots > (SIZE_MAX / sizeof(bucket)) / 2)
		return NT_ERR_ARG;
	nt_limiter *l = calloc(1, sizeof *l);
	if (l == NULL)
		return NT_ERR_NOMEM;
	l->nsets = (slots + NT_LIMITER_WAYS - 1) / NT_LIMITER_WAYS;
	if (l->nsets == 0)
		l->nsets = 1;
	l->rate = rate_per_s;
	l->burst = burst != 0 ? burst : rate_per_s;
	memcpy(l->seed, seed, sizeof l->seed);
	if (l->rate != 0) {
		l->b = calloc(l->nsets * NT_LIMITER_WAYS, sizeof *l->b);
		if (l->b == NULL) {
			free(l);
			return NT_ERR_NOMEM;
		}
	}
	*out = l;
	return NT_OK;
}

void nt_limiter_free(nt_limiter *l)
{
	if (l == NULL)
		return;
	free(l->b);
	free(l);
}

static size_t set_of(const nt_limiter *l, const uint8_t *key)
{
	uint64_t h = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t w;
		memcpy(&w, key + 8 * i, 8);
		h = mix(h ^ w ^ l->seed[i]);
	}
	return (size_t)(h % l->nsets);
}

/* The bucket of key (refilled to now), or a fresh full one in its set. */
static bucket *lookup(nt_limiter *l, const uint8_t *key, uint64_t now)
{
	bucket *set = &l->b[set_of(l, key) * NT_LIMITER_WAYS];
	bucket *victim = NULL;
	for (size_t i = 0; i < NT_LIMITER_WAYS; i++) {
		bucket *b = &set[i];
		if (b->at != 0 && memcmp(b->key, key, NT_LIMITER_KEY_LEN) == 0) {
			if (now > b->at) {
				uint64_t add = (now - b->at) * l->rate; /* ms x tokens/s = milli */
				b->tokens = b->tokens + add > l->burst * 1000 ? l->burst * 1000
									      : b->tokens + add;
			}
			b->at = now > b->at ? now : b->at;
			return b;
		}
		if (victim == NULL || (victim->at != 0 && (b->at == 0 || b->at < victim->at)))
			victim = b;
	}
	if (victim->at != 0)
		l->evictions++;
	else
		l->used++;
	memcpy(victim->key, key, NT_LIMITER_KEY_LEN);
	victim->at = now != 0 ? now : 1;
	victim->tokens = l->burst * 1000;
	return victim;
}

bool nt_limiter_take(nt_limiter *l, const uint8_t key[NT_LIMITER_KEY_LEN], uint64_t now_ms,
		     uint32_t cost, uint64_t *retry_ms)
{
	if (l == NULL || l->rate == 0 || key == NULL)
		return true;
	bucket *b = lookup(l, key, now_ms);
	uint64_t need = (uint64_t)cost * 1000;
	if (b->tokens >= need) {
		b->tokens -= need;
		return true;
	}
	if (retry_ms != NULL) {
		uint64_t want = need <= l->burst * 1000 ? need : l->burst * 1000;
		uint64_t missing = want > b->tokens ? want - b->tokens : 0;
		uint64_t ms = (missing + l->rate - 1) / l->rate;
		*retry_ms = ms > 0 ? ms : 1;
	}
	return false;
}

size_t nt_limiter_used(const nt_limiter *l)
{
	return l != NULL ? l->used : 0;
}

size_t nt_limiter_capacity(const nt_limiter *l)
{
	return l != NULL && l->b != NULL ? l->nsets * NT_LIMITER_WAYS : 0;
}

uint64_t nt_limiter_evictions(const nt_limiter *l)
{
	return l != NULL ? l->evictions : 0;
}
