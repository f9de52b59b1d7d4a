/* LevelDB nt_kv (the node's store), through LevelDB's C API.
 *
 * Threads: get and scan may run on any number of threads at once and
 * concurrently with a write: LevelDB's DB is thread-safe, the read options
 * are only read after open, and each scan has its own iterator. This is
 * what lets notaryd's RPC threads read through an nt_ledger_reader
 * (core/ledger.h) while the loop appends. Write and close: the owner's
 * thread only, and close after every reader is done.
 *
 * LevelDB reports failures as malloc'd strings through an errptr. They are
 * translated by nt_kv_leveldb_error ("Corruption: ..." becomes
 * NT_ERR_CORRUPT, anything else NT_ERR_IO) and freed with leveldb_free.
 * Open and write carry the text in an nt_why; get and scan only return
 * the code (their callers, many and on many threads, have no why).
 *
 * A scan iterates over an implicit snapshot: writes made from inside a scan
 * callback are not seen by that scan. */
#include "node/kv_leveldb.h"

#include <errno.h>
#include <leveldb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Block cache: modest, the working set is the recent blocks and indexes. */
#define LDB_CACHE_BYTES (32u * 1024 * 1024)
#define LDB_BLOOM_BITS 10

typedef struct {
	nt_kv base;
	leveldb_t *db;
	leveldb_options_t *opts;
	leveldb_cache_t *cache;
	leveldb_filterpolicy_t *bloom;
	leveldb_readoptions_t *ropts;
	leveldb_writeoptions_t *wopts;	    /* no sync */
	leveldb_writeoptions_t *wopts_sync; /* fsync before returning */
} ldb_kv;

/* LevelDB's env turns errno into text with strerror (util/env_posix.cc
 * PosixError), so a full disk reads "IO error: FILE: No space left on
 * device". Matched both as glibc's English text and as this process's
 * strerror, in case a locale is ever set. */
static bool says_errno(const char *msg, const char *english, int errnum)
{
	return strstr(msg, english) != NULL || strstr(msg, strerror(errnum)) != NULL;
}

nt_err nt_kv_leveldb_error(const char *msg, const char *what, nt_why *why)
{
	if (msg == NULL)
		msg = "(no message)";
	nt_err e = strncmp(msg, "Corruption", 10) == 0 ? NT_ERR_CORRUPT : NT_ERR_IO;
	const char *sep = what != NULL ? ": " : "";
	if (what == NULL)
		what = "";
	/* The generic "input/output error" hid that the node only needs disk
	 * space; the hint goes first so a long path cannot cut it off. */
	if (e == NT_ERR_IO && (says_errno(msg, "No space left on device", ENOSPC) ||
			       says_errno(msg, "Disk quota exceeded", EDQUOT)))
		return nt_fail(why, e,
			       "%s%sno space left on device: free space on the store's disk (or "
			       "move data_dir to a larger one), then restart the node (%s)",
			       what, sep, msg);
	return nt_fail(why, e, "%s%s%s", what, sep, msg);
}

/* Translates an errptr string (nt_kv_leveldb_error) and frees it. */
static nt_err take_err(char *err, nt_why *why, const char *what)
{
	nt_err e = nt_kv_leveldb_error(err, what, why);
	leveldb_free(err);
	return e;
}

static nt_err ldb_get(nt_kv *kv, const void *k, size_t kl, uint8_t **v, size_t *vl)
{
	ldb_kv *l = (ldb_kv *)kv;
	char *err = NULL;
	size_t n = 0;
	char *val = leveldb_get(l->db, l->ropts, k, kl, &n, &err);
	if (err != NULL) {
		leveldb_free(val);
		return take_err(err, NULL, "get");
	}
	if (val == NULL)
		return NT_ERR_NOT_FOUND;
	/* Callers free with free(); LevelDB's buffer must go back through
	 * leveldb_free, so hand out our own copy. */
	uint8_t *copy = malloc(n > 0 ? n : 1);
	if (copy == NULL) {
		leveldb_free(val);
		return NT_ERR_NOMEM;
	}
	if (n > 0)
		memcpy(copy, val, n);
	leveldb_free(val);
	*v = copy;
	*vl = n;
	return NT_OK;
}

static void to_writebatch(void *arg, bool is_put, const uint8_t *k, size_t kl, const uint8_t *v,
			  size_t vl)
{
	leveldb_writebatch_t *wb = arg;
	if (is_put)
		leveldb_writebatch_put(wb, (const char *)k, kl, (const char *)v, vl);
	else
		leveldb_writebatch_delete(wb, (const char *)k, kl);
}

static nt_err ldb_write(nt_kv *kv, const nt_kv_batch *b, bool sync, nt_why *why)
{
	ldb_kv *l = (ldb_kv *)kv;
	if (nt_kv_batch_count(b) == 0)
		return NT_OK;
	leveldb_writebatch_t *wb = leveldb_writebatch_create();
	if (wb == NULL)
		return NT_ERR_NOMEM;
	nt_kv_batch_each(b, to_writebatch, wb);
	char *err = NULL;
	leveldb_write(l->db, sync ? l->wopts_sync : l->wopts, wb, &err);
	leveldb_writebatch_destroy(wb);
	if (err != NULL)
		return take_err(err, why, NULL);
	return NT_OK;
}

static nt_err ldb_scan(nt_kv *kv, const void *prefix, size_t pl, nt_kv_scan_fn fn, void *arg)
{
	ldb_kv *l = (ldb_kv *)kv;
	leveldb_iterator_t *it = leveldb_create_iterator(l->db, l->ropts);
	if (it == NULL)
		return NT_ERR_NOMEM;
	if (pl > 0)
		leveldb_iter_seek(it, prefix, pl);
	else
		leveldb_iter_seek_to_first(it);
	for (; leveldb_iter_valid(it); leveldb_iter_next(it)) {
		size_t kl = 0, vl = 0;
		const char *k = leveldb_iter_key(it, &kl);
		if (kl < pl || (pl > 0 && memcmp(k, prefix, pl) != 0))
			break;
		const char *v = leveldb_iter_value(it, &vl);
		if (fn(arg, (const uint8_t *)k, kl, (const uint8_t *)v, vl) != 0)
			break;
	}
	char *err = NULL;
	leveldb_iter_get_error(it, &err);
	leveldb_iter_destroy(it);
	if (err != NULL)
		return take_err(err, NULL, "scan");
	return NT_OK;
}

static void ldb_free_parts(ldb_kv *l)
{
	if (l->db != NULL)
		leveldb_close(l->db);
	if (l->ropts != NULL)
		leveldb_readoptions_destroy(l->ropts);
	if (l->wopts != NULL)
		leveldb_writeoptions_destroy(l->wopts);
	if (l->wopts_sync != NULL)
		leveldb_writeoptions_destroy(l->wopts_sync);
	if (l->opts != NULL)
		leveldb_options_destroy(l->opts);
	/* The options referenced these; destroy them after the DB is closed. */
	if (l->cache != NULL)
		leveldb_cache_destroy(l->cache);
	if (l->bloom != NULL)
		leveldb_filterpolicy_destroy(l->bloom);
	free(l);
}

static void ldb_close(nt_kv *kv)
{
	ldb_free_parts((ldb_kv *)kv);
}

static const struct nt_kv_ops ldb_ops = {
    .get = ldb_get,
    .write = ldb_write,
    .scan = ldb_scan,
    .close = ldb_close,
};

nt_err nt_kv_leveldb_open(const char *dir, nt_kv **out, nt_why *why)
{
	if (dir == NULL || *dir == '\0' || out == NULL)
		return nt_fail(why, NT_ERR_ARG, "no store directory given");
	ldb_kv *l = calloc(1, sizeof *l);
	if (l == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory opening the store");
	l->base.ops = &ldb_ops;
	l->opts = leveldb_options_create();
	l->cache = leveldb_cache_create_lru(LDB_CACHE_BYTES);
	l->bloom = leveldb_filterpolicy_create_bloom(LDB_BLOOM_BITS);
	l->ropts = leveldb_readoptions_create();
	l->wopts = leveldb_writeoptions_create();
	l->wopts_sync = leveldb_writeoptions_create();
	if (l->opts == NULL || l->cache == NULL || l->bloom == NULL || l->ropts == NULL ||
	    l->wopts == NULL || l->wopts_sync == NULL) {
		ldb_free_parts(l);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory opening the store");
	}
	leveldb_options_set_create_if_missing(l->opts, 1);
	leveldb_options_set_paranoid_checks(l->opts, 1);
	leveldb_options_set_max_open_files(l->opts, NT_KV_LEVELDB_MAX_OPEN_FILES);
	leveldb_options_set_cache(l->opts, l->cache);
	leveldb_options_set_filter_policy(l->opts, l->bloom);
	leveldb_options_set_compression(l->opts, leveldb_snappy_compression);
	leveldb_readoptions_set_verify_checksums(l->ropts, 1);
	leveldb_writeoptions_set_sync(l->wopts, 0);
	leveldb_writeoptions_set_sync(l->wopts_sync, 1);

	char *err = NULL;
	l->db = leveldb_open(l->opts, dir, &err);
	if (err != NULL || l->db == NULL) {
		char what[300];
		snprintf(what, sizeof what, "cannot open store %s", dir);
		nt_err e =
		    err != NULL ? take_err(err, why, what) : nt_fail(why, NT_ERR_IO, "%s", what);
		l->db = NULL;
		ldb_free_parts(l);
		return e;
	}
	*out = &l->base;
	return NT_OK;
}

bool nt_kv_leveldb_in_use(const nt_why *why)
{
	/* LevelDB says "IO error: lock DIR/LOCK: Resource temporarily
	 * unavailable"; its C API has no code for it. */
	return why != NULL && (strstr(why->msg, "lock") != NULL || strstr(why->msg, "LOCK") != NULL);
}
