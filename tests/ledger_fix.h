/* The fixture of the ledger tests (tests/test_ledger_*.c): a ledger over the
 * memory store or LevelDB with 1 or 4 validators, and a record of
 * everything appended so it can be queried back. Every helper fails the
 * running cmocka test on an unexpected error. */
#ifndef NT_TESTS_LEDGER_FIX_H
#define NT_TESTS_LEDGER_FIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/kv.h"
#include "core/ledger.h"
#include "core/record.h"
#include "crypto/keys.h"

#define MAXREC 256
#define T0 1790000000000ULL

typedef struct {
	char *dir; /* LevelDB tmpdir or NULL for memory */
	nt_kv *kv;
	nt_genesis g;
	nt_seckey *vkeys[4];
	int nv;
	nt_seckey *sub; /* submitter */
	nt_ledger *l;
	/* everything appended so far */
	int nrec;
	uint8_t *recs[MAXREC];
	size_t lens[MAXREC];
	nt_hash ids[MAXREC];
	uint64_t heights[MAXREC];
	uint32_t idx[MAXREC];
	uint8_t digests[MAXREC][32];
	uint64_t now;
} fix;

void open_kv(fix *f);
fix *fix_new(int nv, bool leveldb);
void fix_free(fix *f);
size_t make_record(fix *f, uint8_t *out, uint8_t digest[32], bool with_meta);
void sign_commit(fix *f, const nt_block *b, unsigned mask, uint32_t round, nt_commit *c);
nt_block *next_block(fix *f, uint32_t n, uint8_t recbuf[][NT_RECORD_MAX], size_t *lens,
		     uint8_t digests[][32]);
void remember(fix *f, const nt_block *b, uint8_t digests[][32]);
void grow(fix *f, uint32_t n);
void check_queries(fix *f);

#endif
