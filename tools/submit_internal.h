/* notary submit's internals, shared by its three files:
 *
 *   cmd_submit.c      the command: options, --help, the key, one item per
 *                     FILE, and the order of the steps;
 *   submit_prepare.c  each file's record before anything is sent: its
 *                     digest, metadata, a private record's salt, the reuse
 *                     of a receipt or pending file already at its receipt's
 *                     path, and the pending file a private record leaves
 *                     when it is not committed in time;
 *   submit_send.c     the node: submit and receipt requests one by one or in
 *                     batches, the waits on its limits (--retry-for), the
 *                     receipts' checks and saving, and the report per file.
 *
 * Only these three files include it. */
#ifndef NT_SUBMIT_INTERNAL_H
#define NT_SUBMIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/types.h"
#include "core/genesis.h"
#include "core/record.h"
#include "crypto/digest.h"
#include "crypto/keys.h"

/* The salt of a private record (FORMATS.md "Private records"). */
#define SALT_LEN NT_RECORD_SALT_LEN

/* ST_SAVE: the node's receipt checked, in `text`, not yet written. */
enum { ST_PENDING, ST_SAVE, ST_DONE, ST_FAILED };

typedef struct {
	const char *path;
	char *out_path;
	uint8_t rec[NT_RECORD_MAX];
	size_t rec_len;
	uint8_t digest[NT_DIGEST_MAX];
	size_t digest_len;
	nt_hash id;
	char id_hex[65];
	int state;
	bool sent;
	bool reused;  /* the record of an existing receipt, sent again */
	bool at_node; /* the node took it, or may have (no answer) */
	char *text;   /* the receipt to write (ST_SAVE) */
	/* Private records only: the salt and the clear metadata, which go into
	 * the receipt file and nowhere else (never to the node). */
	uint8_t salt[SALT_LEN];
	char *clear_meta;
	size_t text_len;
	uint64_t height;
	char attested[40];
} item;

typedef struct {
	const char *pass_path; /* --passphrase-file */
	const char *node, *key_path, *case_ref, *title, *media_type, *out, *genesis_path;
	int alg;
	bool private_rec;  /* --private */
	bool no_file_name; /* --no-file-name */
	uint64_t timeout_ms;
	uint64_t retry_for_ms; /* --retry-for */
	nt_pubkey pk;
	nt_genesis *genesis; /* only with --genesis */
} submit_opts;

/* Hashes it->path and builds its signed record into it (or reuses the one
 * of a receipt already at it->out_path); prints why not. Returns an exit
 * code. */
int nt_submit_prepare(item *it, const submit_opts *o, const nt_seckey *key) NT_MUST_CHECK;

/* Keeps a private record's record, salt and clear metadata at its receipt's
 * path when the node took it, or may have, without a receipt here. Returns
 * false, having said why on stderr, if they could not be kept. */
bool nt_submit_write_pending(const item *it) NT_MUST_CHECK;

/* Sends the n prepared items to o->node, saves the receipts of those
 * committed and prints one line per file. Returns an exit code. */
int nt_submit_run(const submit_opts *o, item *items, size_t n);

#endif
