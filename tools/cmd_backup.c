/* notary backup / notary restore (docs/OPERATIONS.md "Backups"): a node's
 * chain, genesis and config in one file, made while the node runs, and a
 * new home made from it in which every block was checked again.
 *
 * The backup is logical: it asks the node for its blocks with the public
 * `sync` method, as a peer catching up would, so it is consistent by
 * construction (blocks and commits never change once stored) and needs
 * neither the store's lock nor the node to stop. A node whose rpc is
 * tls+tcp:// is asked over TLS trusting the home's own certificate: whoever
 * has the home needs no --ca to reach it. The restore appends every block
 * through the ledger, which checks its chain rules, roots and commit against
 * the set of its height: a damaged or forged backup cannot make a store
 * that audits clean.
 *
 * File layout (integers big-endian):
 *   "NTBK" || u8 1 || u32 hlen || header JSON
 *       {"format":"notary-backup/1","chain_id","height","made","validator":bool}
 *   entries: u8 kind || u32 len || len bytes
 *     kind 1 a file:  u16 nlen || name || data  (config.json, genesis.json, the
 *                     node's TLS certificate and the peers' certificates it lists,
 *                     as paths relative to the home; validator.key,
 *                     validator.next.key and the TLS key only with --include-keys)
 *     kind 2 a block: u32 || block || u32 || commit || u32 || last_commit (len 0: none)
 *   kind 3, len 32: SHA-256 of every byte before this entry (the file is whole) */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/codec.h"
#include "base/hex.h"
#include "core/block.h"
#include "core/commit.h"
#include "core/genesis.h"
#include "core/ledger.h"
#include "crypto/digest.h"
#include "node/config.h"
#include "node/genesis_file.h"
#include "node/home_state.h"
#include "node/kv_leveldb.h"
#include "tools/cli.h"
#include "tools/cli_tls.h"

#include <openssl/evp.h>

#define BK_MAGIC "NTBK"
#define BK_FILE 1
#define BK_BLOCK 2
#define BK_END 3
#define BK_ENTRY_MAX (NT_BLOCK_MAX_BYTES + 2 * NT_COMMIT_MAX + 64)
#define SYNC_BATCH 50

static const char backup_usage[] =
    "usage: notary backup --home DIR --out FILE [--include-keys] [--ca FILE | --pin SHA256]\n"
    "       notary restore FILE --home NEWDIR\n\n"
    "backup: asks the running node of DIR (its config.json's rpc) for every block\n"
    "and commit, as a peer catching up would, and writes them with DIR's\n"
    "genesis.json and config.json to FILE (written to FILE.tmp, synced, then\n"
    "renamed: FILE is whole or absent). The node keeps running. Keys are left\n"
    "out unless --include-keys (then FILE is mode 0600: keep it as you keep the\n"
    "key). The sign-state (consensus/) is never in it: see docs/OPERATIONS.md.\n"
    "A node whose rpc is tls+tcp:// is asked over TLS trusting DIR's own\n"
    "certificate (its config's tls.cert_file), unless --ca or --pin says otherwise.\n\n"
    "restore: makes NEWDIR from FILE: config.json, genesis.json, any keys, and a\n"
    "store into which every block is appended again through the ledger's\n"
    "checks. For a validator's backup it also writes NEWDIR/node_state saying\n"
    "the office has signed before, so notaryd refuses to start until the\n"
    "office's sign-state is back in NEWDIR/consensus/ (kept apart from backups)\n"
    "or repaired to the network's current height: a validator that forgot what\n"
    "it signed can sign twice.\n\n"
    "Options:\n"
    "  --home DIR        the node's home (backup: read; restore: created)\n"
    "  -o, --out FILE    the backup file to write\n"
    "  --include-keys    put validator.key (and validator.next.key) in the backup\n"
    "  --ca FILE         backup, tls+tcp:// rpc: trust exactly the certificates in\n"
    "                    FILE instead of DIR's tls.crt\n"
    "  --pin SHA256      backup, tls+tcp:// rpc: trust only the certificate with\n"
    "                    this fingerprint instead of DIR's tls.crt\n"
    "  -h, --help        show this help\n\n"
    "Examples:\n"
    "  notary backup --home /var/lib/notary --out notary-2026-12-07.ntbk\n"
    "  notary restore notary-2026-12-07.ntbk --home /var/lib/notary-new\n";

/* ---- writing ---- */

typedef struct {
	FILE *f;
	EVP_MD_CTX *h;
	bool failed;
} bk_out;

static void out_bytes(bk_out *o, const void *p, size_t n)
{
	if (o->failed)
		return;
	if ((n > 0 && fwrite(p, 1, n, o->f) != n) || EVP_DigestUpdate(o->h, p, n) != 1)
		o->failed = true;
}

static void out_u32(bk_out *o, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	out_bytes(o, b, 4);
}

static void out_entry_head(bk_out *o, uint8_t kind, uint32_t len)
{
	out_bytes(o, &kind, 1);
	out_u32(o, len);
}

static void out_file(bk_out *o, const char *name, const char *data, size_t len)
{
	size_t nl = strlen(name);
	out_entry_head(o, BK_FILE, (uint32_t)(2 + nl + len));
	uint8_t b[2] = {(uint8_t)(nl >> 8), (uint8_t)nl};
	out_bytes(o, b, 2);
	out_bytes(o, name, nl);
	out_bytes(o, data, len);
}

/* Hex into a malloc'd buffer; NULL with *len 0 for JSON null. */
static bool unhex(const json_t *v, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (json_is_null(v))
		return true;
	const char *s = json_string_value(v);
	if (s == NULL || strlen(s) % 2 != 0 || strlen(s) / 2 > BK_ENTRY_MAX)
		return false;
	size_t cap = strlen(s) / 2;
	if ((*out = malloc(cap ? cap : 1)) == NULL)
		return false;
	if (nt_hex_decode(s, *out, cap, len) != NT_OK) {
		free(*out);
		*out = NULL;
		return false;
	}
	return true;
}

static int add_home_file(bk_out *o, const char *name, const char *path, bool optional)
{
	char *data = NULL;
	size_t len = 0;
	nt_why why = {{0}};
	nt_err e = nt_cli_read_file(path, 4u * 1024 * 1024, &data, &len, &why);
	if (e == NT_ERR_NOT_FOUND && optional)
		return NT_EXIT_OK;
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "backup", "%s", why.msg);
	out_file(o, name, data, len);
	free(data);
	return NT_EXIT_OK;
}

/* path relative to home if it is inside it, else NULL. */
static const char *in_home(const char *home, const char *path)
{
	size_t hl = strlen(home);
	if (path == NULL || strncmp(path, home, hl) != 0 || path[hl] != '/')
		return NULL;
	const char *rel = path + hl + 1;
	return strstr(rel, "..") == NULL ? rel : NULL;
}

/* The TLS certificates the config names (this node's, the peers'), and the
 * TLS key with the other keys. One outside the home is left out, with a
 * note: restore could not put it back where the config says. */
static int add_certs(bk_out *o, const char *home, const nt_config *cfg, bool keys)
{
	const char *files[2 + NT_CONFIG_MAX_PEERS];
	size_t n = 0;
	files[n++] = cfg->tls_cert_file;
	if (keys)
		files[n++] = cfg->tls_key_file;
	for (size_t i = 0; i < cfg->npeers && cfg->peer_tls_cert != NULL; i++)
		if (cfg->peer_tls_cert[i] != NULL)
			files[n++] = cfg->peer_tls_cert[i];
	for (size_t i = 0; i < n; i++) {
		if (files[i] == NULL || !nt_cli_exists(files[i]))
			continue;
		const char *rel = in_home(home, files[i]);
		if (rel == NULL) {
			fprintf(stderr, "backup: %s is outside %s: not in the backup\n", files[i],
				home);
			continue;
		}
		int rc = add_home_file(o, rel, files[i], false);
		if (rc != NT_EXIT_OK)
			return rc;
	}
	return NT_EXIT_OK;
}

static int fetch_blocks(bk_out *o, nt_cli_rpc *rpc, uint64_t tip)
{
	uint64_t next = 1, last_report = 0;
	while (next <= tip && !o->failed) {
		json_t *res = NULL;
		nt_rpc_status st;
		json_t *params =
		    json_pack("{s:I,s:i}", "from", (json_int_t)next, "max", SYNC_BATCH);
		if (nt_cli_rpc_call(rpc, "sync", params, 30000, &res, &st) != NT_RPC_RESULT)
			return nt_cli_rpc_report("backup", &st);
		json_t *blocks = json_object_get(res, "blocks");
		size_t n = json_array_size(blocks);
		for (size_t i = 0; i < n && next <= tip; i++, next++) {
			json_t *b = json_array_get(blocks, i);
			uint64_t h = 0;
			uint8_t *parts[3] = {NULL, NULL, NULL};
			size_t lens[3] = {0, 0, 0};
			bool ok = nt_cli_ju64(b, "height", &h) && h == next &&
				  unhex(json_object_get(b, "block"), &parts[0], &lens[0]) &&
				  parts[0] != NULL &&
				  unhex(json_object_get(b, "commit"), &parts[1], &lens[1]) &&
				  parts[1] != NULL &&
				  unhex(json_object_get(b, "last_commit"), &parts[2], &lens[2]);
			if (ok) {
				out_entry_head(o, BK_BLOCK,
					       (uint32_t)(12 + lens[0] + lens[1] + lens[2]));
				for (int k = 0; k < 3; k++) {
					out_u32(o, (uint32_t)lens[k]);
					out_bytes(o, parts[k], lens[k]);
				}
			}
			for (int k = 0; k < 3; k++)
				free(parts[k]);
			if (!ok) {
				json_decref(res);
				return nt_cli_errorf(NT_EXIT_FAIL, "backup",
						     "the node's sync answer for height %" PRIu64
						     " is malformed",
						     next);
			}
		}
		json_decref(res);
		if (n == 0)
			return nt_cli_errorf(NT_EXIT_FAIL, "backup",
					     "the node sent no block from height %" PRIu64, next);
		if (next - 1 >= last_report + 1000 || next > tip) {
			fprintf(stderr, "backup: %" PRIu64 " of %" PRIu64 " blocks\n", next - 1,
				tip);
			last_report = next - 1;
		}
	}
	return o->failed ? nt_cli_errorf(NT_EXIT_FAIL, "backup", "cannot write the backup: %s",
					 strerror(errno))
			 : NT_EXIT_OK;
}

static int do_backup(const char *home, const char *out, bool keys)
{
	nt_config cfg;
	nt_why why = {{0}};
	if (nt_config_load(home, &cfg, &why) != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "backup", "cannot read %s/config.json: %s",
				     home, why.msg);
	int rc = NT_EXIT_FAIL;
	nt_cli_rpc *rpc = NULL;
	json_t *st = NULL;
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", out);
	bk_out o = {NULL, EVP_MD_CTX_new(), false};
	nt_rpc_status rs;
	/* The node presents the home's certificate (unless the operator
	 * swapped the file since it started: then --ca / --pin). */
	if (cfg.tls_cert_file != NULL && nt_cli_exists(cfg.tls_cert_file))
		nt_cli_tls_trust_home(cfg.tls_cert_file);
	if (nt_cli_rpc_open(cfg.rpc, &rpc, &why) != NT_OK) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "backup", "cannot use %s: %s", cfg.rpc, why.msg);
		goto done;
	}
	if (nt_cli_rpc_call(rpc, "status", NULL, NT_CLI_CONNECT_MS, &st, &rs) != NT_RPC_RESULT) {
		rc = nt_cli_rpc_report("backup", &rs);
		goto done;
	}
	uint64_t tip = 0;
	nt_cli_ju64(st, "height", &tip);
	if (nt_cli_exists(out)) {
		rc =
		    nt_cli_errorf(NT_EXIT_FAIL, "backup", "%s exists; refusing to replace it", out);
		goto done;
	}
	o.f = fopen(tmp, "wb");
	if (o.f == NULL || o.h == NULL || EVP_DigestInit_ex(o.h, EVP_sha256(), NULL) != 1) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "backup", "cannot create %s: %s", tmp,
				   strerror(errno));
		goto done;
	}
	if (keys)
		(void)chmod(tmp, 0600);
	char made[40];
	nt_cli_time_human(nt_cli_now_ms(), made);
	json_t *hd =
	    json_pack("{s:s,s:s,s:I,s:s,s:b,s:b}", "format", "notary-backup/1", "chain_id",
		      nt_cli_jstr(st, "chain_id", ""), "height", (json_int_t)tip, "made", made,
		      "validator", json_is_true(json_object_get(st, "is_validator")), "keys", keys);
	char *hs = hd != NULL ? json_dumps(hd, JSON_COMPACT) : NULL;
	json_decref(hd);
	if (hs == NULL)
		goto done;
	out_bytes(&o, BK_MAGIC, 4);
	uint8_t ver = 1;
	out_bytes(&o, &ver, 1);
	out_u32(&o, (uint32_t)strlen(hs));
	out_bytes(&o, hs, strlen(hs));
	free(hs);
	char *cfgpath = nt_cli_path_join(home, "config.json");
	rc = add_home_file(&o, "config.json", cfgpath, false);
	free(cfgpath);
	if (rc == NT_EXIT_OK)
		rc = add_home_file(&o, "genesis.json", cfg.genesis_file, false);
	rc = rc == NT_EXIT_OK ? add_certs(&o, home, &cfg, keys) : rc;
	if (rc == NT_EXIT_OK && keys)
		rc = add_home_file(&o, "validator.key", cfg.key_file, false);
	if (rc == NT_EXIT_OK && keys)
		rc = add_home_file(&o, "validator.next.key", cfg.next_key_file, true);
	if (rc == NT_EXIT_OK)
		rc = fetch_blocks(&o, rpc, tip);
	if (rc != NT_EXIT_OK)
		goto done;
	uint8_t digest[32];
	unsigned dl = 0;
	out_entry_head(&o, BK_END, 32);
	if (EVP_DigestFinal_ex(o.h, digest, &dl) != 1)
		o.failed = true;
	if (!o.failed && fwrite(digest, 1, 32, o.f) != 32)
		o.failed = true;
	if (o.failed || fflush(o.f) != 0 || fsync(fileno(o.f)) != 0 || fclose(o.f) != 0) {
		o.f = NULL;
		rc = nt_cli_errorf(NT_EXIT_FAIL, "backup", "cannot write %s: %s", tmp,
				   strerror(errno));
		goto done;
	}
	o.f = NULL;
	if (rename(tmp, out) != 0) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "backup", "cannot rename %s: %s", tmp,
				   strerror(errno));
		goto done;
	}
	printf("wrote %s: chain %s, %" PRIu64 " blocks, genesis and config%s\n", out,
	       nt_cli_jstr(st, "chain_id", "?"), tip,
	       keys ? ", and the keys (keep this file as you keep the key)" : " (no keys)");
	rc = NT_EXIT_OK;
done:
	if (o.f != NULL) {
		fclose(o.f);
		unlink(tmp);
	}
	if (rc != NT_EXIT_OK)
		unlink(tmp);
	EVP_MD_CTX_free(o.h);
	json_decref(st);
	nt_cli_rpc_close(rpc);
	nt_cli_tls_trust_home(NULL);
	nt_config_free(&cfg);
	return rc;
}

/* ---- reading ---- */

typedef struct {
	FILE *f;
	EVP_MD_CTX *h;
	uint8_t *buf; /* one entry */
} bk_in;

static bool in_bytes(bk_in *in, void *p, size_t n, bool hash)
{
	if (n > 0 && fread(p, 1, n, in->f) != n)
		return false;
	return !hash || EVP_DigestUpdate(in->h, p, n) == 1;
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Reads the header; *hdr is the parsed JSON. */
static int read_header(bk_in *in, const char *path, json_t **hdr)
{
	uint8_t head[9];
	if (!in_bytes(in, head, 9, true) || memcmp(head, BK_MAGIC, 4) != 0 || head[4] != 1)
		return nt_cli_errorf(NT_EXIT_FAIL, "restore",
				     "%s is not a notary backup (notary-backup/1)", path);
	uint32_t hl = be32(head + 5);
	if (hl > 65536 || !in_bytes(in, in->buf, hl, true))
		return nt_cli_errorf(NT_EXIT_FAIL, "restore", "%s: damaged header", path);
	json_error_t je;
	*hdr = json_loadb((const char *)in->buf, hl, 0, &je);
	if (*hdr == NULL)
		return nt_cli_errorf(NT_EXIT_FAIL, "restore", "%s: damaged header", path);
	return NT_EXIT_OK;
}

/* Reads the next entry into in->buf: its kind and length; 0 at a damage. */
static uint8_t next_entry(bk_in *in, uint32_t *len)
{
	uint8_t h[5];
	if (!in_bytes(in, h, 5, true))
		return 0;
	*len = be32(h + 1);
	if (h[0] == BK_END)
		return *len == 32 && in_bytes(in, in->buf, 32, false) ? BK_END : 0;
	if ((h[0] != BK_FILE && h[0] != BK_BLOCK) || *len > BK_ENTRY_MAX ||
	    !in_bytes(in, in->buf, *len, true))
		return 0;
	return h[0];
}

/* First pass: the file is whole (its END entry matches every byte). */
static int check_whole(const char *path, uint8_t *buf, uint64_t *blocks)
{
	bk_in in = {fopen(path, "rb"), EVP_MD_CTX_new(), buf};
	int rc = NT_EXIT_FAIL;
	json_t *hdr = NULL;
	if (in.f == NULL || in.h == NULL || EVP_DigestInit_ex(in.h, EVP_sha256(), NULL) != 1) {
		rc = nt_cli_errorf(NT_EXIT_USAGE, "restore", "cannot open %s: %s", path,
				   strerror(errno));
		goto out;
	}
	if ((rc = read_header(&in, path, &hdr)) != NT_EXIT_OK)
		goto out;
	rc = NT_EXIT_FAIL;
	*blocks = 0;
	for (;;) {
		uint32_t len;
		uint8_t k = next_entry(&in, &len);
		if (k == 0) {
			nt_cli_errorf(
			    rc, "restore",
			    "%s is damaged or incomplete (a backup that was interrupted?): "
			    "nothing restored",
			    path);
			goto out;
		}
		if (k == BK_BLOCK)
			(*blocks)++;
		if (k == BK_END)
			break;
	}
	uint8_t d[32];
	unsigned dl;
	uint8_t extra;
	if (EVP_DigestFinal_ex(in.h, d, &dl) != 1 || memcmp(d, buf, 32) != 0 ||
	    fread(&extra, 1, 1, in.f) != 0) {
		nt_cli_errorf(rc, "restore", "%s does not match its own checksum: nothing restored",
			      path);
		goto out;
	}
	rc = NT_EXIT_OK;
out:
	json_decref(hdr);
	if (in.f != NULL)
		fclose(in.f);
	EVP_MD_CTX_free(in.h);
	return rc;
}

static int write_home_file(const char *home, const char *name, const uint8_t *data, size_t len)
{
	static const char *const allowed[] = {"config.json", "genesis.json", "validator.key",
					      "validator.next.key"};
	bool ok = false;
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		ok = ok || strcmp(name, allowed[i]) == 0;
	/* certificates and the TLS key: relative paths inside the home */
	size_t nl = strlen(name);
	bool pem =
	    nl > 4 && (strcmp(name + nl - 4, ".crt") == 0 || strcmp(name + nl - 4, ".key") == 0);
	if (!ok && pem && name[0] != '/' && strstr(name, "..") == NULL)
		ok = true;
	if (!ok)
		return nt_cli_errorf(NT_EXIT_FAIL, "restore", "unexpected file '%s' in the backup",
				     name);
	char *path = nt_cli_path_join(home, name);
	char *slash = path != NULL ? strrchr(path, '/') : NULL;
	if (slash != NULL && strchr(name, '/') != NULL) {
		*slash = '\0';
		int mk = nt_cli_mkdirs(path, 0700);
		*slash = '/';
		if (mk != 0) {
			free(path);
			return nt_cli_errorf(NT_EXIT_FAIL, "restore",
					     "cannot create the folder of %s", name);
		}
	}
	nt_why why = {{0}};
	nt_err e = path == NULL
		       ? NT_ERR_NOMEM
		       : nt_cli_write_file(path, data, len,
					   strstr(name, ".key") != NULL ? 0600 : 0644, false, &why);
	free(path);
	return e == NT_OK ? NT_EXIT_OK
			  : nt_cli_errorf(NT_EXIT_FAIL, "restore", "cannot write %s: %s", name,
					  why.msg[0] ? why.msg : nt_strerror(e));
}

static int apply_block(nt_ledger *l, const uint8_t *p, uint32_t len, uint64_t *height)
{
	const uint8_t *q[3];
	uint32_t ql[3];
	size_t off = 0;
	for (int k = 0; k < 3; k++) {
		if (len - off < 4)
			return nt_cli_errorf(NT_EXIT_FAIL, "restore", "a block entry is malformed");
		ql[k] = be32(p + off);
		off += 4;
		if (ql[k] > len - off)
			return nt_cli_errorf(NT_EXIT_FAIL, "restore", "a block entry is malformed");
		q[k] = p + off;
		off += ql[k];
	}
	nt_why why = {{0}};
	nt_block *b = NULL;
	nt_commit c, lc;
	nt_err e = nt_block_decode(q[0], ql[0], &b, &why);
	if (e == NT_OK)
		e = nt_commit_decode(q[1], ql[1], &c, &why);
	if (e == NT_OK && ql[2] > 0)
		e = nt_commit_decode(q[2], ql[2], &lc, &why);
	if (e == NT_OK)
		e = nt_ledger_check_block(l, b, ql[2] > 0 ? &lc : NULL, 0, 0, NULL, NULL, &why);
	if (e == NT_OK)
		e = nt_ledger_append_ex(l, b, &c, ql[2] > 0 ? &lc : NULL, false, &why);
	uint64_t h = b != NULL ? b->header.height : 0;
	nt_block_free(b);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "restore", "block %" PRIu64 " refused: %s", h,
				     why.msg[0] ? why.msg : nt_strerror(e));
	*height = h;
	return NT_EXIT_OK;
}

static int do_restore(const char *path, const char *home)
{
	uint8_t *buf = malloc(BK_ENTRY_MAX);
	if (buf == NULL)
		return nt_cli_errorf(NT_EXIT_FAIL, "restore", "out of memory");
	uint64_t nblocks = 0;
	int rc = check_whole(path, buf, &nblocks);
	if (rc != NT_EXIT_OK) {
		free(buf);
		return rc;
	}
	char *cfgp = nt_cli_path_join(home, "config.json");
	bool exists = cfgp != NULL && nt_cli_exists(cfgp);
	free(cfgp);
	if (exists) {
		free(buf);
		return nt_cli_errorf(NT_EXIT_FAIL, "restore",
				     "%s holds a config.json already: restore into a new directory",
				     home);
	}
	if (nt_cli_mkdirs(home, 0700) != 0) {
		free(buf);
		return nt_cli_errorf(NT_EXIT_FAIL, "restore", "cannot create %s: %s", home,
				     strerror(errno));
	}
	bk_in in = {fopen(path, "rb"), EVP_MD_CTX_new(), buf};
	json_t *hdr = NULL;
	nt_config cfg;
	bool cfg_ok = false;
	nt_genesis *g = malloc(sizeof *g);
	nt_kv *kv = NULL;
	nt_ledger *l = NULL;
	nt_why why = {{0}};
	uint64_t h = 0;
	rc = NT_EXIT_FAIL;
	if (in.f == NULL || in.h == NULL || g == NULL ||
	    EVP_DigestInit_ex(in.h, EVP_sha256(), NULL) != 1 ||
	    read_header(&in, path, &hdr) != NT_EXIT_OK)
		goto out;
	for (;;) {
		uint32_t len;
		uint8_t k = next_entry(&in, &len);
		if (k == BK_END || k == 0)
			break;
		if (k == BK_FILE) {
			uint16_t nl = (uint16_t)(buf[0] << 8 | buf[1]);
			char name[256];
			if (nl >= sizeof name || 2u + nl > len)
				goto out;
			memcpy(name, buf + 2, nl);
			name[nl] = '\0';
			if ((rc = write_home_file(home, name, buf + 2 + nl, len - 2 - nl)) !=
			    NT_EXIT_OK)
				goto out;
			rc = NT_EXIT_FAIL;
			continue;
		}
		if (l == NULL) { /* the first block: the files came before it */
			if (nt_config_load(home, &cfg, &why) != NT_OK ||
			    nt_genesis_load(cfg.genesis_file, g, &why) != NT_OK ||
			    nt_kv_leveldb_open(cfg.data_dir, &kv, &why) != NT_OK ||
			    nt_ledger_open(kv, g, &l, &why) != NT_OK) {
				nt_cli_errorf(rc, "restore", "cannot open the new store: %s",
					      why.msg);
				goto out;
			}
			cfg_ok = true;
			if (nt_ledger_height(l) != 0) {
				nt_cli_errorf(rc, "restore", "%s holds blocks already",
					      cfg.data_dir);
				goto out;
			}
		}
		if (apply_block(l, buf, len, &h) != NT_EXIT_OK)
			goto out;
		if (h % 1000 == 0)
			fprintf(stderr, "restore: %" PRIu64 " of %" PRIu64 " blocks\n", h, nblocks);
	}
	if (l != NULL && nt_ledger_flush(l, &why) != NT_OK) {
		nt_cli_errorf(rc, "restore", "cannot sync the store: %s", why.msg);
		goto out;
	}
	if (!cfg_ok && nt_config_load(home, &cfg, &why) == NT_OK)
		cfg_ok = true;
	bool validator = json_is_true(json_object_get(hdr, "validator"));
	if (validator && cfg_ok && nt_genesis_load(cfg.genesis_file, g, &why) == NT_OK) {
		/* The office signed before: notaryd must not start without its
		 * sign-state (node/store_guard.c). */
		nt_home_state st = {.had_blocks = h > 0, .has_signed = true};
		snprintf(st.chain_id, sizeof st.chain_id, "%s", g->chain_id);
		st.validators_hash = g->validators_hash;
		char *sp = nt_cli_path_join(home, "node_state");
		if (sp == NULL || nt_home_state_save(sp, &st, &why) != NT_OK) {
			free(sp);
			nt_cli_errorf(rc, "restore", "cannot write node_state: %s", why.msg);
			goto out;
		}
		free(sp);
	}
	printf("restored %s: chain %s, %" PRIu64 " blocks checked and stored\n", home,
	       nt_cli_jstr(hdr, "chain_id", "?"), h);
	if (validator)
		printf("next: put the office's validator key%s and its sign-state (consensus/"
		       "sign_state, kept apart) into %s, or repair the sign-state to the "
		       "network's current height (notaryd --home %s --repair-sign-state H); "
		       "notaryd refuses to start without one. Then `notary audit --home %s`.\n",
		       json_is_true(json_object_get(hdr, "keys")) ? " (restored)" : "", home, home,
		       home);
	rc = NT_EXIT_OK;
out:
	if (rc != NT_EXIT_OK)
		fprintf(stderr, "notary restore: %s is incomplete; delete it before trying again\n",
			home);
	nt_ledger_free(l);
	nt_kv_close(kv);
	if (cfg_ok)
		nt_config_free(&cfg);
	free(g);
	json_decref(hdr);
	if (in.f != NULL)
		fclose(in.f);
	EVP_MD_CTX_free(in.h);
	free(buf);
	return rc;
}

static int parse(int argc, char **argv, const char *cmd, const char **home, const char **out,
		 bool *keys, bool *tls)
{
	static const struct option opts[] = {
	    {"home", required_argument, NULL, 'H'},
	    {"out", required_argument, NULL, 'o'},
	    {"include-keys", no_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    NT_CLI_TLS_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":H:o:kh", opts)) != -1) {
		switch (c) {
		case 'H':
			*home = optarg;
			break;
		case 'o':
			*out = optarg;
			break;
		case 'k':
			*keys = true;
			break;
		case NT_CLI_OPT_CA:
		case NT_CLI_OPT_PIN:
			nt_cli_tls_option(c, optarg);
			*tls = true;
			break;
		case 'h':
			fputs(backup_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (*home == NULL)
		return nt_cli_usage_error(cmd, "--home DIR is required");
	return -1;
}

int nt_cmd_backup(int argc, char **argv)
{
	const char *home = NULL, *out = NULL;
	bool keys = false, tls = false;
	int rc = parse(argc, argv, "backup", &home, &out, &keys, &tls);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return nt_cli_usage_error("backup", "unexpected argument '%s'", argv[optind]);
	if (out == NULL)
		return nt_cli_usage_error("backup", "--out FILE is required");
	return do_backup(home, out, keys);
}

int nt_cmd_restore(int argc, char **argv)
{
	const char *home = NULL, *out = NULL;
	bool keys = false, tls = false;
	int rc = parse(argc, argv, "restore", &home, &out, &keys, &tls);
	if (rc >= 0)
		return rc;
	if (out != NULL || keys || tls)
		return nt_cli_usage_error("restore",
					  "--out, --include-keys, --ca and --pin belong to backup");
	if (optind + 1 != argc)
		return nt_cli_usage_error("restore", "give one backup FILE");
	return do_restore(argv[optind], home);
}
