/* notary submit: each file's record, built before anything is sent
 * (submit_internal.h). A public record carries the file's digest, size and
 * metadata; a private one a salted digest and a commitment to the metadata,
 * whose salt and clear text stay on this machine. A receipt already at the
 * receipt's path is reused rather than overwritten, so the earliest attested
 * time is kept. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/hex.h"
#include "core/receipt.h"
#include "node/digest_file.h"
#include "tools/cli.h"
#include "tools/submit_internal.h"

/* What a private record not committed in time leaves at its receipt's path
 * (docs/CLI.md): its record, salt and clear metadata, so that submitting it
 * again completes the receipt file instead of losing them. */
#define PENDING_FORMAT "notary-private-pending/1"

static char *meta_json(const submit_opts *o, const char *path, const char **bad)
{
	json_t *m = json_object();
	const char *names[] = {"case", "title", "media_type"};
	const char *vals[] = {o->case_ref, o->title, o->media_type};
	const char *opts[] = {"--case", "--title", "--media-type"};
	for (int i = 0; i < 3; i++) {
		if (vals[i] == NULL)
			continue;
		json_t *s = json_string(vals[i]);
		if (s == NULL) {
			*bad = opts[i];
			json_decref(m);
			return NULL;
		}
		json_object_set_new(m, names[i], s);
	}
	if (!o->no_file_name) {
		json_t *fn = json_string(nt_cli_basename(path));
		if (fn == NULL) {
			*bad = "the file name";
			json_decref(m);
			return NULL;
		}
		json_object_set_new(m, "file_name", fn);
	}
	char *s = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(m);
	if (s == NULL)
		*bad = "metadata";
	return s;
}

/* A private record's salt, from this machine's CSPRNG (the kernel's, which
 * blocks only until it is seeded at boot). Never sent to a node. */
static int draw_salt(uint8_t salt[SALT_LEN])
{
	size_t got = 0;
	while (got < SALT_LEN) {
		ssize_t r = getrandom(salt + got, SALT_LEN - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return nt_cli_errorf(NT_EXIT_FAIL, "submit",
					     "the system gave no random bytes for the salt: %s",
					     r < 0 ? strerror(errno) : "none");
		got += (size_t)r;
	}
	return NT_EXIT_OK;
}

/* The fields of a private record (FORMATS.md "Private records") from the
 * salt, the file's digest and the clear metadata: version 2, both flags, the
 * salted digest and the commitment to the metadata. The size stays 0 ("not
 * disclosed"): a file's exact length narrows down which file it is, which is
 * what a private record hides. */
static nt_err private_fields(const uint8_t salt[SALT_LEN], const item *it, const char *meta,
			     nt_record *rec)
{
	size_t dl = 0;
	nt_err e =
	    nt_record_salted_digest(rec->alg, salt, it->digest, it->digest_len, rec->digest, &dl);
	if (e != NT_OK)
		return e;
	nt_hash c;
	nt_record_meta_commitment(salt, meta, strlen(meta), &c);
	rec->version = NT_RECORD_VERSION_2;
	rec->flags = NT_RECORD_FLAG_SALTED | NT_RECORD_FLAG_META;
	rec->digest_len = (uint8_t)dl;
	rec->size = 0;
	rec->meta_len = NT_HASH_LEN;
	memcpy(rec->meta, c.b, NT_HASH_LEN);
	rec->meta[NT_HASH_LEN] = '\0';
	return NT_OK;
}

/* The salt and clear metadata of a private record's receipt file (or
 * pending file): both present (*priv true), both absent (false), else an
 * exit code. *cmeta points into doc. */
static int receipt_private(const item *it, json_t *doc, bool *priv, uint8_t salt[SALT_LEN],
			   const char **cmeta)
{
	const char *salt_hex = nt_cli_jstr(doc, "salt", NULL);
	*cmeta = nt_cli_jstr(doc, "meta", NULL);
	*priv = salt_hex != NULL || *cmeta != NULL;
	if (*priv &&
	    (salt_hex == NULL || *cmeta == NULL || nt_hex_decode32(salt_hex, salt) != NT_OK))
		return nt_cli_errorf(NT_EXIT_FAIL, "submit",
				     "%s is a private record's receipt with a damaged salt or "
				     "metadata; keep it, and choose --out for a new receipt",
				     it->out_path);
	return NT_EXIT_OK;
}

/* The record of a private record's pending file (nt_submit_write_pending):
 * decoded into *rec and its bytes into it->rec. False if text is not one. */
static bool pending_record(item *it, json_t *doc, nt_record *rec)
{
	if (strcmp(nt_cli_jstr(doc, "format", ""), PENDING_FORMAT) != 0)
		return false;
	size_t len = 0;
	if (nt_hex_decode(nt_cli_jstr(doc, "record", ""), it->rec, sizeof it->rec, &len) != NT_OK ||
	    nt_record_decode(it->rec, len, rec, NULL) != NT_OK)
		return false;
	it->rec_len = len;
	return true;
}

/* An existing receipt at it->out_path: reuse its record if it is this file,
 * this key and this metadata; otherwise refuse rather than lose it (an older
 * receipt proves an earlier time). A private record's receipt is reused with
 * its own salt, which goes into the new receipt file again: overwriting it
 * with the node's copy would lose the salt and the metadata for good. So is
 * the pending file of a private record that was not committed in time. */
static int adopt_existing(item *it, const submit_opts *o, const char *meta)
{
	char *text = NULL;
	size_t len = 0;
	nt_why why = {{0}};
	nt_receipt *r = NULL;
	nt_record *rec = NULL;
	json_t *doc = NULL;
	if (nt_cli_read_file(it->out_path, NT_RECEIPT_V2_TEXT_MAX, &text, &len, &why) == NT_OK) {
		doc = json_loadb(text, len, 0, NULL);
		if (nt_receipt_parse(text, len, &r, &why) == NT_OK) {
			rec = &r->record;
			memcpy(it->rec, r->record_bytes, r->record_len);
			it->rec_len = r->record_len;
		} else if ((r = malloc(sizeof *r)) != NULL && pending_record(it, doc, &r->record)) {
			rec = &r->record;
		}
	}
	if (rec == NULL) {
		free(text);
		free(r);
		json_decref(doc);
		return nt_cli_errorf(NT_EXIT_FAIL, "submit",
				     "%s exists and is not a receipt; move it away or choose --out",
				     it->out_path);
	}
	bool priv = false;
	uint8_t salt[SALT_LEN];
	const char *cmeta = NULL;
	int rc = receipt_private(it, doc, &priv, salt, &cmeta);
	free(text);
	nt_record *want = NULL;
	if (rc == NT_EXIT_OK && priv != o->private_rec) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "submit",
				   "%s holds the receipt of a %s record; move it away or choose "
				   "--out",
				   it->out_path, priv ? "private" : "public (not --private)");
	} else if (rc == NT_EXIT_OK && priv) {
		/* What this file and metadata give with the receipt's salt. */
		want = calloc(1, sizeof *want);
		if (want == NULL) {
			rc = nt_cli_errorf(NT_EXIT_FAIL, "submit", "out of memory");
		} else {
			want->alg = (uint8_t)o->alg;
			want->digest_len = (uint8_t)it->digest_len;
			if (private_fields(salt, it, meta, want) != NT_OK)
				rc = nt_cli_errorf(NT_EXIT_FAIL, "submit",
						   "cannot check the private record of %s",
						   it->out_path);
		}
	}
	const uint8_t *digest = want != NULL ? want->digest : it->digest;
	if (rc != NT_EXIT_OK) {
		/* reported */
	} else if (rec->alg != o->alg || rec->digest_len != it->digest_len ||
		   memcmp(rec->digest, digest, it->digest_len) != 0) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "submit",
				   "%s holds the receipt of other content (the file changed, or "
				   "another --alg); move it away or choose --out",
				   it->out_path);
	} else if (memcmp(rec->submitter.b, o->pk.b, NT_PUBKEY_LEN) != 0 ||
		   (want == NULL && strcmp(rec->meta, meta) != 0) ||
		   (want != NULL && (rec->meta_len != want->meta_len ||
				     memcmp(rec->meta, want->meta, want->meta_len) != 0 ||
				     strcmp(cmeta, meta) != 0))) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "submit",
				   "%s already holds a receipt for this file from another key or "
				   "with other metadata; move it away or choose --out to keep both",
				   it->out_path);
	} else if (priv && (it->clear_meta = strdup(cmeta)) == NULL) {
		rc = nt_cli_errorf(NT_EXIT_FAIL, "submit", "out of memory");
	} else {
		if (priv)
			memcpy(it->salt, salt, SALT_LEN);
		it->reused = true;
	}
	explicit_bzero(salt, sizeof salt);
	json_decref(doc);
	free(want);
	free(r);
	return rc;
}

/* Hashes the file and builds its signed record. Returns an exit code. */
int nt_submit_prepare(item *it, const submit_opts *o, const nt_seckey *key)
{
	nt_why why = {{0}};
	uint64_t size = 0;
	nt_err e = nt_digest_file(o->alg, it->path, it->digest, &it->digest_len, &size, &why);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, "submit", "cannot read %s: %s", it->path,
				     why.msg[0] ? why.msg : nt_strerror(e));
	const char *bad = NULL;
	char *meta = meta_json(o, it->path, &bad);
	if (meta == NULL)
		return nt_cli_errorf(NT_EXIT_USAGE, "submit", "%s is not valid UTF-8", bad);
	size_t mlen = strlen(meta);
	if (mlen > NT_META_MAX) {
		free(meta);
		return nt_cli_errorf(NT_EXIT_USAGE, "submit",
				     "the metadata for %s is %zu bytes as JSON; the limit is %d "
				     "(shorten --case / --title / --media-type)",
				     it->path, mlen, NT_META_MAX);
	}
	int rc = NT_EXIT_OK;
	if (nt_cli_exists(it->out_path)) {
		rc = adopt_existing(it, o, meta);
	} else {
		nt_record *rec = calloc(1, sizeof *rec);
		if (rec == NULL) {
			free(meta);
			return nt_cli_errorf(NT_EXIT_FAIL, "submit", "out of memory");
		}
		rec->alg = (uint8_t)o->alg;
		rec->digest_len = (uint8_t)it->digest_len;
		rec->client_time = nt_cli_now_ms();
		if (o->private_rec) {
			rc = draw_salt(it->salt);
			if (rc == NT_EXIT_OK && private_fields(it->salt, it, meta, rec) != NT_OK)
				rc =
				    nt_cli_errorf(NT_EXIT_FAIL, "submit",
						  "cannot build a private record for %s", it->path);
			if (rc == NT_EXIT_OK) {
				it->clear_meta = meta; /* for the receipt file */
				meta = NULL;
			}
		} else {
			rec->version = NT_RECORD_VERSION;
			memcpy(rec->digest, it->digest, it->digest_len);
			rec->size = size;
			rec->meta_len = (uint16_t)mlen;
			memcpy(rec->meta, meta, mlen + 1);
		}
		e = rc == NT_EXIT_OK ? nt_record_sign(rec, key) : NT_OK;
		if (rc == NT_EXIT_OK && e == NT_OK)
			e = nt_record_encode(rec, it->rec, sizeof it->rec, &it->rec_len);
		free(rec);
		if (rc == NT_EXIT_OK && e != NT_OK)
			rc = nt_cli_errorf(NT_EXIT_FAIL, "submit",
					   "cannot build the record for %s: %s", it->path,
					   nt_strerror(e));
	}
	free(meta);
	if (rc == NT_EXIT_OK) {
		nt_record_id(it->rec, it->rec_len, &it->id);
		nt_cli_hex32(it->id.b, it->id_hex);
	}
	return rc;
}

/* A private record the node took, or may have taken, without a receipt
 * here (not committed in time, no answer, or a receipt that cannot be
 * saved): its record, salt and clear metadata go to its receipt's path
 * (never over an existing file), so that submitting the same file again
 * completes the receipt file. Without it the salt, and with it any proof,
 * would be gone when this exits. A record the node refused needs none. */
bool nt_submit_write_pending(const item *it)
{
	char salt_hex[2 * SALT_LEN + 1];
	char *hex = malloc(2 * it->rec_len + 1);
	if (hex == NULL)
		return false;
	nt_hex_encode(it->rec, it->rec_len, hex);
	nt_hex_encode(it->salt, SALT_LEN, salt_hex);
	json_t *doc =
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "format", PENDING_FORMAT, "record_id",
		      it->id_hex, "record", hex, "salt", salt_hex, "meta", it->clear_meta);
	free(hex);
	explicit_bzero(salt_hex, sizeof salt_hex);
	nt_why why = {{0}};
	bool ok = doc != NULL && nt_cli_write_json(it->out_path, doc, 0600, false, &why) == NT_OK;
	json_decref(doc);
	if (!ok)
		fprintf(stderr, "notary submit: cannot keep the salt of %s in %s: %s\n", it->path,
			it->out_path, why.msg[0] ? why.msg : "out of memory");
	return ok;
}
