/* The mempool: records waiting for a block.
 *
 * Each pending record is one heap block (entry header + a copy of the record
 * bytes), so pointers handed out by peek stay put until that record is
 * removed. Entries are found by id through an open-addressing table (linear
 * probing, backward-shift deletion, so no tombstones) and kept in arrival
 * order on an intrusive doubly linked list: add, contains and remove are
 * O(1), peek is O(records returned).
 *
 * Record ids are SHA-256 outputs, but a submitter can grind a nonce until
 * many ids land in one probe run. The table index therefore mixes the id
 * with a per-pool key the submitter never sees (random in a node). Iteration order never
 * depends on the table, so the key does not make the pool nondeterministic. */
#include "core/mempool.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
	struct entry *prev, *next; /* arrival order: head is the oldest */
	nt_hash id;
	uint64_t time;
	size_t len;
	bool owned;
	nt_pubkey owner;
	uint8_t data[];
} entry;

/* Pending records per owner (nt_mempool_add_owned): open addressing like
 * the id table, count 0 marks a free slot. */
typedef struct {
	nt_pubkey key;
	size_t count, bytes;
} owner_ent;

struct nt_mempool {
	size_t max_records, max_bytes;
	size_t count, bytes;
	entry **slots; /* cap slots, NULL when free; cap is a power of two */
	size_t cap;
	uint64_t key[4];
	entry *head, *tail;
	owner_ent *own; /* ocap slots (0 until the first owned record) */
	size_t ocap, nown;
};

#define MIN_CAP 64

/* splitmix64's finalizer: every input bit affects every output bit. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t hash32(const nt_mempool *mp, const uint8_t *b)
{
	uint64_t h = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t w;
		memcpy(&w, b + 8 * i, 8);
		h = mix(h ^ w ^ mp->key[i]);
	}
	return h;
}

static size_t slot_of(const nt_mempool *mp, const nt_hash *id)
{
	return (size_t)hash32(mp, id->b) & (mp->cap - 1);
}

/* Index of id's slot, or of the free slot where it would go. The table is
 * never full (load <= 1/2), so the probe ends. */
static size_t find(const nt_mempool *mp, const nt_hash *id)
{
	size_t mask = mp->cap - 1;
	size_t i = slot_of(mp, id);
	while (mp->slots[i] != NULL && memcmp(mp->slots[i]->id.b, id->b, NT_HASH_LEN) != 0)
		i = (i + 1) & mask;
	return i;
}

static nt_err grow(nt_mempool *mp)
{
	size_t old_cap = mp->cap;
	entry **old = mp->slots;
	if (old_cap > SIZE_MAX / 2 / sizeof *old)
		return NT_ERR_NOMEM;
	entry **slots = calloc(old_cap * 2, sizeof *slots);
	if (slots == NULL)
		return NT_ERR_NOMEM;
	mp->slots = slots;
	mp->cap = old_cap * 2;
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i] != NULL)
			mp->slots[find(mp, &old[i]->id)] = old[i];
	}
	free(old);
	return NT_OK;
}

/* ---- owners ---- */

static size_t own_find(const nt_mempool *mp, const nt_pubkey *k)
{
	size_t mask = mp->ocap - 1;
	size_t i = (size_t)hash32(mp, k->b) & mask;
	while (mp->own[i].count != 0 && memcmp(mp->own[i].key.b, k->b, NT_PUBKEY_LEN) != 0)
		i = (i + 1) & mask;
	return i;
}

static nt_err own_grow(nt_mempool *mp)
{
	size_t old_cap = mp->ocap;
	owner_ent *old = mp->own;
	size_t cap = old_cap ? old_cap * 2 : MIN_CAP;
	if (cap > SIZE_MAX / sizeof *old)
		return NT_ERR_NOMEM;
	owner_ent *t = calloc(cap, sizeof *t);
	if (t == NULL)
		return NT_ERR_NOMEM;
	mp->own = t;
	mp->ocap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].count != 0)
			mp->own[own_find(mp, &old[i].key)] = old[i];
	free(old);
	return NT_OK;
}

/* Counts len bytes more under k (room made by own_reserve). */
static void own_add(nt_mempool *mp, const nt_pubkey *k, size_t len)
{
	size_t i = own_find(mp, k);
	if (mp->own[i].count == 0) {
		mp->own[i].key = *k;
		mp->nown++;
	}
	mp->own[i].count++;
	mp->own[i].bytes += len;
}

/* Makes sure one more owner fits at load <= 1/2. */
static nt_err own_reserve(nt_mempool *mp)
{
	if ((mp->nown + 1) * 2 > mp->ocap)
		return own_grow(mp);
	return NT_OK;
}

static void own_sub(nt_mempool *mp, const nt_pubkey *k, size_t len)
{
	if (mp->ocap == 0)
		return;
	size_t mask = mp->ocap - 1;
	size_t hole = own_find(mp, k);
	if (mp->own[hole].count == 0)
		return;
	mp->own[hole].bytes -= len;
	if (--mp->own[hole].count > 0)
		return;
	mp->nown--;
	/* backward-shift deletion, as delete_slot */
	size_t j = hole;
	for (;;) {
		j = (j + 1) & mask;
		if (mp->own[j].count == 0)
			break;
		size_t home = (size_t)hash32(mp, mp->own[j].key.b) & mask;
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			mp->own[hole] = mp->own[j];
			hole = j;
		}
	}
	memset(&mp->own[hole], 0, sizeof mp->own[hole]);
}

void nt_mempool_owner_usage(const nt_mempool *mp, const nt_pubkey *owner, size_t *records,
			    size_t *bytes)
{
	size_t c = 0, b = 0;
	if (mp != NULL && owner != NULL && mp->ocap != 0) {
		size_t i = own_find(mp, owner);
		c = mp->own[i].count;
		b = mp->own[i].bytes;
	}
	if (records != NULL)
		*records = c;
	if (bytes != NULL)
		*bytes = b;
}

size_t nt_mempool_owners(const nt_mempool *mp)
{
	return mp != NULL ? mp->nown : 0;
}

size_t nt_mempool_max_records(const nt_mempool *mp)
{
	return mp != NULL ? mp->max_records : 0;
}

size_t nt_mempool_max_bytes(const nt_mempool *mp)
{
	return mp != NULL ? mp->max_bytes : 0;
}

nt_err nt_mempool_new(size_t max_records, size_t max_bytes, const uint8_t key[NT_MEMPOOL_KEY_LEN],
		      nt_mempool **out)
{
	if (out == NULL || key == NULL || max_records == 0 || max_bytes == 0)
		return NT_ERR_ARG;
	nt_mempool *mp = calloc(1, sizeof *mp);
	if (mp == NULL)
		return NT_ERR_NOMEM;
	mp->cap = MIN_CAP;
	mp->slots = calloc(mp->cap, sizeof *mp->slots);
	if (mp->slots == NULL) {
		free(mp);
		return NT_ERR_NOMEM;
	}
	_Static_assert(sizeof mp->key == NT_MEMPOOL_KEY_LEN, "mempool key size");
	memcpy(mp->key, key, sizeof mp->key);
	mp->max_records = max_records;
	mp->max_bytes = max_bytes;
	*out = mp;
	return NT_OK;
}

void nt_mempool_free(nt_mempool *mp)
{
	if (mp == NULL)
		return;
	entry *e = mp->head;
	while (e != NULL) {
		entry *next = e->next;
		free(e);
		e = next;
	}
	free(mp->slots);
	free(mp->own);
	free(mp);
}

nt_err nt_mempool_add(nt_mempool *mp, const uint8_t *rec, size_t len, const nt_hash *id,
		      uint64_t now)
{
	return nt_mempool_add_owned(mp, rec, len, id, NULL, now);
}

nt_err nt_mempool_add_owned(nt_mempool *mp, const uint8_t *rec, size_t len, const nt_hash *id,
			    const nt_pubkey *owner, uint64_t now)
{
	if (mp == NULL || id == NULL || (rec == NULL && len > 0))
		return NT_ERR_ARG;
	size_t i = find(mp, id);
	if (mp->slots[i] != NULL)
		return NT_ERR_EXISTS;
	if (mp->count >= mp->max_records || len > mp->max_bytes - mp->bytes)
		return NT_ERR_FULL;
	if (len > SIZE_MAX - sizeof(entry))
		return NT_ERR_NOMEM;
	/* Keep the load at most 1/2 so probe runs stay short. */
	if ((mp->count + 1) * 2 > mp->cap) {
		nt_err e = grow(mp);
		if (e != NT_OK)
			return e;
		i = find(mp, id);
	}
	if (owner != NULL) {
		nt_err e = own_reserve(mp);
		if (e != NT_OK)
			return e;
	}
	entry *e = malloc(sizeof *e + len);
	if (e == NULL)
		return NT_ERR_NOMEM;
	e->owned = owner != NULL;
	if (owner != NULL) {
		e->owner = *owner;
		own_add(mp, owner, len);
	}
	e->id = *id;
	e->time = now;
	e->len = len;
	if (len > 0)
		memcpy(e->data, rec, len);
	e->next = NULL;
	e->prev = mp->tail;
	if (mp->tail != NULL)
		mp->tail->next = e;
	else
		mp->head = e;
	mp->tail = e;
	mp->slots[i] = e;
	mp->count++;
	mp->bytes += len;
	return NT_OK;
}

bool nt_mempool_contains(const nt_mempool *mp, const nt_hash *id)
{
	if (mp == NULL || id == NULL)
		return false;
	return mp->slots[find(mp, id)] != NULL;
}

size_t nt_mempool_count(const nt_mempool *mp)
{
	return mp != NULL ? mp->count : 0;
}

size_t nt_mempool_bytes(const nt_mempool *mp)
{
	return mp != NULL ? mp->bytes : 0;
}

uint64_t nt_mempool_oldest(const nt_mempool *mp)
{
	return mp != NULL && mp->head != NULL ? mp->head->time : 0;
}

size_t nt_mempool_peek(const nt_mempool *mp, size_t max_n, size_t max_bytes, const uint8_t **recs,
		       size_t *lens, nt_hash *ids)
{
	if (mp == NULL)
		return 0;
	size_t n = 0, total = 0;
	for (const entry *e = mp->head; e != NULL && n < max_n; e = e->next) {
		/* The first record always goes, so one record larger than a
		 * block's budget cannot wedge the pool forever. */
		if (n > 0 && (total > max_bytes || e->len > max_bytes - total))
			break;
		if (recs != NULL)
			recs[n] = e->data;
		if (lens != NULL)
			lens[n] = e->len;
		if (ids != NULL)
			ids[n] = e->id;
		total += e->len;
		n++;
	}
	return n;
}

/* Backward-shift deletion: pull later members of the probe run into the
 * hole so that lookups never need tombstones. */
static void delete_slot(nt_mempool *mp, size_t hole)
{
	size_t mask = mp->cap - 1;
	size_t j = hole;
	for (;;) {
		j = (j + 1) & mask;
		entry *e = mp->slots[j];
		if (e == NULL)
			break;
		size_t home = slot_of(mp, &e->id);
		/* e may move to the hole only if its home is not cyclically
		 * inside (hole, j]; otherwise a lookup would stop early. */
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			mp->slots[hole] = e;
			hole = j;
		}
	}
	mp->slots[hole] = NULL;
}

void nt_mempool_remove(nt_mempool *mp, const nt_hash *ids, size_t n)
{
	if (mp == NULL || ids == NULL)
		return;
	for (size_t k = 0; k < n; k++) {
		size_t i = find(mp, &ids[k]);
		entry *e = mp->slots[i];
		if (e == NULL)
			continue;
		delete_slot(mp, i);
		if (e->prev != NULL)
			e->prev->next = e->next;
		else
			mp->head = e->next;
		if (e->next != NULL)
			e->next->prev = e->prev;
		else
			mp->tail = e->prev;
		mp->count--;
		mp->bytes -= e->len;
		if (e->owned)
			own_sub(mp, &e->owner, e->len);
		free(e);
	}
}
