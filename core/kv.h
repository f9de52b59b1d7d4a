/* The store's only I/O: a small ordered key-value interface.
 *
 * Two implementations: LevelDB (node/kv_leveldb.h, the node's) and memory
 * (core/kv_mem.c, tests and the simulator). Everything above it (ledger
 * layout, indexes) is shared, so both behave the same. */
#ifndef NT_KV_H
#define NT_KV_H

#include "base/err.h"
#include "base/types.h"

typedef struct nt_kv nt_kv;

/* A batch of writes applied atomically by nt_kv_write. */
typedef struct nt_kv_batch nt_kv_batch;

nt_err nt_kv_batch_new(nt_kv_batch **out) NT_MUST_CHECK;
void nt_kv_batch_free(nt_kv_batch *b);
/* Copies key and value. */
nt_err nt_kv_batch_put(nt_kv_batch *b, const void *k, size_t kl, const void *v,
		       size_t vl) NT_MUST_CHECK;
nt_err nt_kv_batch_del(nt_kv_batch *b, const void *k, size_t kl) NT_MUST_CHECK;
size_t nt_kv_batch_count(const nt_kv_batch *b);

/* Return non-zero from a scan callback to stop early. */
typedef int (*nt_kv_scan_fn)(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl);

struct nt_kv_ops {
	/* *v is malloc'd (caller frees). NT_ERR_NOT_FOUND if absent. */
	nt_err (*get)(nt_kv *kv, const void *k, size_t kl, uint8_t **v, size_t *vl);
	/* Atomic. With sync, durable (fsync) before returning. On failure
	 * may say why in the store's own words (why is never NULL here). */
	nt_err (*write)(nt_kv *kv, const nt_kv_batch *b, bool sync, nt_why *why);
	/* Calls fn for every key starting with prefix, in key order. */
	nt_err (*scan)(nt_kv *kv, const void *prefix, size_t pl, nt_kv_scan_fn fn, void *arg);
	void (*close)(nt_kv *kv);
};

struct nt_kv {
	const struct nt_kv_ops *ops;
};

nt_err nt_kv_get(nt_kv *kv, const void *k, size_t kl, uint8_t **v, size_t *vl) NT_MUST_CHECK;
/* Applies b atomically (durably first with sync). On failure fills why
 * (may be NULL): for LevelDB its own message with an operator hint first
 * (nt_kv_leveldb_error), e.g. for a full disk; nt_strerror when the store
 * said nothing. The ledger passes one, so that the node can say what broke. */
nt_err nt_kv_write(nt_kv *kv, const nt_kv_batch *b, bool sync, nt_why *why) NT_MUST_CHECK;
nt_err nt_kv_scan(nt_kv *kv, const void *prefix, size_t pl, nt_kv_scan_fn fn, void *arg) NT_MUST_CHECK;
/* Closes and frees; NULL is a no-op. */
void nt_kv_close(nt_kv *kv);

/* In-memory store. */
nt_err nt_kv_mem_new(nt_kv **out) NT_MUST_CHECK;

/* Batch internals for implementations: iterate the operations in order. */
typedef void (*nt_kv_batch_fn)(void *arg, bool is_put, const uint8_t *k, size_t kl,
			       const uint8_t *v, size_t vl);
void nt_kv_batch_each(const nt_kv_batch *b, nt_kv_batch_fn fn, void *arg);

#endif
