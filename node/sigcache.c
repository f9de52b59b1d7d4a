/* A direct-mapped table of record ids behind striped locks: lookups come
 * from nng's worker threads and the loop at once, so one lock would be
 * contended; a stripe covers every STRIPES-th slot. Ids are hashes, so
 * their first bytes already spread evenly over the slots. */
#include "node/sigcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 64

struct nd_sigcache {
	size_t mask;
	nt_hash *slot;
	unsigned char *used;
	pthread_mutex_t mu[STRIPES];
};

nt_err nd_sigcache_new(unsigned log2_slots, nd_sigcache **out)
{
	if (out == NULL || log2_slots < 4 || log2_slots > 24)
		return NT_ERR_ARG;
	nd_sigcache *c = calloc(1, sizeof *c);
	size_t n = (size_t)1 << log2_slots;
	if (c != NULL) {
		c->slot = calloc(n, sizeof *c->slot);
		c->used = calloc(n, 1);
	}
	if (c == NULL || c->slot == NULL || c->used == NULL) {
		if (c != NULL) {
			free(c->slot);
			free(c->used);
		}
		free(c);
		return NT_ERR_NOMEM;
	}
	c->mask = n - 1;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&c->mu[i], NULL);
	*out = c;
	return NT_OK;
}

void nd_sigcache_free(nd_sigcache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&c->mu[i]);
	free(c->slot);
	free(c->used);
	free(c);
}

static size_t slot_of(const nd_sigcache *c, const nt_hash *id)
{
	size_t v = 0;
	memcpy(&v, id->b, sizeof v);
	return v & c->mask;
}

void nd_sigcache_add(nd_sigcache *c, const nt_hash *id)
{
	if (c == NULL || id == NULL)
		return;
	size_t i = slot_of(c, id);
	pthread_mutex_t *m = &c->mu[i % STRIPES];
	pthread_mutex_lock(m);
	c->slot[i] = *id;
	c->used[i] = 1;
	pthread_mutex_unlock(m);
}

bool nd_sigcache_has(nd_sigcache *c, const nt_hash *id)
{
	if (c == NULL || id == NULL)
		return false;
	size_t i = slot_of(c, id);
	pthread_mutex_t *m = &c->mu[i % STRIPES];
	pthread_mutex_lock(m);
	bool hit = c->used[i] && memcmp(c->slot[i].b, id->b, NT_HASH_LEN) == 0;
	pthread_mutex_unlock(m);
	return hit;
}
