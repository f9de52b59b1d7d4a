/* The compact receipt: encoder and decoder (tools/qr_receipt.h, and
 * docs/FORMATS.md "Compact receipt for QR codes" for the bytes).
 *
 * The compact bytes keep only what a verifier checks (the record, the
 * proof, the header, the commit, the set changes, a private record's salt
 * and clear meta); every other receipt member is recomputed from them on
 * decoding, so a decoded receipt is the canonical one. */
#include "tools/qr_receipt.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "base/codec.h"
#include "base/hex.h"

#define COMPACT_VERSION 1
#define FLAG_SALT 1u
#define FLAG_META 2u
/* Decompressed compact bytes are at most half a version 2 receipt's text
 * (which is hex): a larger stream is refused before it is inflated whole. */
#define COMPACT_MAX (NT_RECEIPT_V2_TEXT_MAX / 2)

static const char b45_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* ---- compact bytes ---- */

static void put_b16(nt_writer *w, const void *b, size_t n)
{
	if (n > UINT16_MAX) {
		w->ok = false;
		return;
	}
	nt_put_u16(w, (uint16_t)n);
	nt_put_bytes(w, b, n);
}

static size_t compact_cap(const nt_receipt *r)
{
	size_t cap = 64 + r->record_len + r->proof_len * NT_HASH_LEN + r->header_len +
		     r->commit_len + NT_RECORD_SALT_LEN + r->meta_len;
	for (size_t i = 0; i < r->change_count; i++)
		cap += 6 + r->changes[i].header_len + NT_COMMIT_MAX +
		       r->changes[i].next_validators_len;
	return cap;
}

nt_err nt_qr_receipt_compact(const nt_receipt *r, uint8_t **out, size_t *len)
{
	if (r == NULL || out == NULL || len == NULL || (r->format != 1 && r->format != 2))
		return NT_ERR_ARG;
	/* Only the bytes travel: a receipt whose JSON members say something
	 * else than its bytes cannot be carried without changing it. */
	nt_hash id;
	nt_record_id(r->record_bytes, r->record_len, &id);
	if (memcmp(id.b, r->record_id.b, NT_HASH_LEN) != 0 || r->height != r->header.height ||
	    strcmp(r->chain_id, r->header.chain_id) != 0 ||
	    (r->format == 2 &&
	     memcmp(r->genesis_hash.b, r->header.genesis_hash.b, NT_HASH_LEN) != 0))
		return NT_ERR_MISMATCH;
	size_t cap = compact_cap(r);
	uint8_t *buf = malloc(cap);
	uint8_t *cb = malloc(NT_COMMIT_MAX);
	if (buf == NULL || cb == NULL) {
		free(buf);
		free(cb);
		return NT_ERR_NOMEM;
	}
	nt_writer w;
	nt_writer_init(&w, buf, cap);
	nt_put_u8(&w, COMPACT_VERSION);
	nt_put_u8(&w, (uint8_t)r->format);
	put_b16(&w, r->record_bytes, r->record_len);
	nt_put_u64(&w, r->leaf_index);
	nt_put_u8(&w, (uint8_t)r->proof_len);
	for (size_t i = 0; i < r->proof_len; i++)
		nt_put_bytes(&w, r->proof[i].b, NT_HASH_LEN);
	put_b16(&w, r->header_bytes, r->header_len);
	put_b16(&w, r->commit_bytes, r->commit_len);
	nt_err e = NT_OK;
	if (r->format == 2) {
		nt_put_u16(&w, (uint16_t)r->change_count);
		for (size_t i = 0; i < r->change_count && e == NT_OK; i++) {
			const nt_receipt_change *c = &r->changes[i];
			size_t cl = 0;
			e = nt_commit_encode(&c->commit, cb, NT_COMMIT_MAX, &cl);
			put_b16(&w, c->header_bytes, c->header_len);
			put_b16(&w, cb, cl);
			put_b16(&w, c->next_validators, c->next_validators_len);
		}
		uint8_t flags = (r->has_salt ? FLAG_SALT : 0) | (r->has_meta ? FLAG_META : 0);
		nt_put_u8(&w, flags);
		if (r->has_salt)
			nt_put_bytes(&w, r->salt, NT_RECORD_SALT_LEN);
		if (r->has_meta)
			put_b16(&w, r->meta, r->meta_len);
	}
	free(cb);
	if (e == NT_OK && !w.ok)
		e = NT_ERR_RANGE;
	if (e != NT_OK) {
		free(buf);
		return e;
	}
	*out = buf;
	*len = w.len;
	return NT_OK;
}

static nt_err deflate_compact(const nt_receipt *r, uint8_t **out, size_t *len)
{
	uint8_t *c = NULL;
	size_t cl = 0;
	nt_err e = nt_qr_receipt_compact(r, &c, &cl);
	if (e != NT_OK)
		return e;
	uLongf zl = compressBound((uLong)cl);
	uint8_t *z = malloc(zl);
	if (z == NULL) {
		free(c);
		return NT_ERR_NOMEM;
	}
	int zrc = compress2(z, &zl, c, (uLong)cl, Z_BEST_COMPRESSION);
	free(c);
	if (zrc != Z_OK) {
		free(z);
		return zrc == Z_MEM_ERROR ? NT_ERR_NOMEM : NT_ERR_RANGE;
	}
	*out = z;
	*len = zl;
	return NT_OK;
}

/* ---- base45 (RFC 9285) and base64 (RFC 4648 section 4) ---- */

static void base45_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i + 1 < n; i += 2) {
		unsigned v = (unsigned)in[i] * 256u + in[i + 1];
		out[o++] = b45_alphabet[v % 45];
		out[o++] = b45_alphabet[(v / 45) % 45];
		out[o++] = b45_alphabet[v / (45 * 45)];
	}
	if (n % 2 == 1) {
		unsigned v = in[n - 1];
		out[o++] = b45_alphabet[v % 45];
		out[o++] = b45_alphabet[v / 45];
	}
	out[o] = '\0';
}

static int b45_value(char c)
{
	const char *p = c != '\0' ? strchr(b45_alphabet, c) : NULL;
	return p != NULL ? (int)(p - b45_alphabet) : -1;
}

/* out holds at least 2 * n / 3 + 1 bytes. */
static nt_err base45_decode(const char *s, size_t n, uint8_t *out, size_t *len)
{
	if (n % 3 == 1)
		return NT_ERR_DECODE;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		size_t k = n - i >= 3 ? 3 : 2;
		unsigned v = 0, m = 1;
		for (size_t j = 0; j < k; j++) {
			int d = b45_value(s[i + j]);
			if (d < 0)
				return NT_ERR_DECODE;
			v += (unsigned)d * m;
			m *= 45;
		}
		if (k == 3) {
			if (v > 0xffff)
				return NT_ERR_DECODE;
			out[o++] = (uint8_t)(v >> 8);
			out[o++] = (uint8_t)v;
		} else {
			if (v > 0xff)
				return NT_ERR_DECODE;
			out[o++] = (uint8_t)v;
		}
	}
	*len = o;
	return NT_OK;
}

/* base64 with '=' padding into out (4 * ceil(n / 3) + 1 bytes). */
static size_t base64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

/* s: n base64 characters (white space already removed), n % 4 == 0,
 * with at most two '=' at the very end. */
static nt_err base64_decode(const char *s, size_t n, uint8_t *out, size_t *len)
{
	if (n % 4 != 0)
		return NT_ERR_DECODE;
	size_t pad = 0;
	if (n >= 4 && s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		bool last = i + 4 == n;
		uint32_t v = 0;
		for (size_t j = 0; j < 4; j++) {
			v <<= 6;
			if (last && j >= 4 - pad)
				continue;
			const char *p = s[i + j] != '\0' ? strchr(b64_alphabet, s[i + j]) : NULL;
			if (p == NULL)
				return NT_ERR_DECODE;
			v |= (uint32_t)(p - b64_alphabet);
		}
		size_t k = last ? 3 - pad : 3;
		for (size_t j = 0; j < k; j++)
			out[o++] = (uint8_t)(v >> (16 - 8 * j));
	}
	*len = o;
	return NT_OK;
}

/* ---- encoders ---- */

nt_err nt_qr_receipt_encode(const nt_receipt *r, char **out)
{
	if (out == NULL)
		return NT_ERR_ARG;
	uint8_t *z = NULL;
	size_t zl = 0;
	nt_err e = deflate_compact(r, &z, &zl);
	if (e != NT_OK)
		return e;
	size_t pl = strlen(NT_QR_PREFIX);
	char *s = malloc(pl + (zl / 2) * 3 + 3 + 1);
	if (s == NULL) {
		free(z);
		return NT_ERR_NOMEM;
	}
	memcpy(s, NT_QR_PREFIX, pl);
	base45_encode(z, zl, s + pl);
	free(z);
	*out = s;
	return NT_OK;
}

void nt_qr_receipt_reference(const char *fingerprint, const nt_hash *record_id, uint64_t height,
			     char out[128])
{
	char id[2 * NT_HASH_LEN + 1];
	nt_hex_encode(record_id->b, NT_HASH_LEN, id);
	snprintf(out, 128, "%s%.*s/%s/%" PRIu64, NT_QR_REF_PREFIX, NT_FINGERPRINT_LEN,
		 fingerprint != NULL ? fingerprint : "", id, height);
	for (char *p = out; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
}

nt_err nt_qr_receipt_block(const nt_receipt *r, size_t width, char **out)
{
	if (out == NULL || width < 4 || width % 4 != 0)
		return NT_ERR_ARG;
	uint8_t *z = NULL;
	size_t zl = 0;
	nt_err e = deflate_compact(r, &z, &zl);
	if (e != NT_OK)
		return e;
	size_t bl = 4 * ((zl + 2) / 3);
	char *b = malloc(bl + 1);
	size_t cap = strlen(NT_QR_BLOCK_BEGIN) + strlen(NT_QR_BLOCK_END) + bl + bl / width + 8;
	char *s = malloc(cap);
	if (b == NULL || s == NULL) {
		free(z);
		free(b);
		free(s);
		return NT_ERR_NOMEM;
	}
	base64_encode(z, zl, b);
	free(z);
	size_t o = (size_t)sprintf(s, "%s\n", NT_QR_BLOCK_BEGIN);
	for (size_t i = 0; i < bl; i += width) {
		size_t k = bl - i < width ? bl - i : width;
		memcpy(s + o, b + i, k);
		o += k;
		s[o++] = '\n';
	}
	o += (size_t)sprintf(s + o, "%s\n", NT_QR_BLOCK_END);
	free(b);
	*out = s;
	return NT_OK;
}

/* ---- decoding ---- */

/* zlib stream -> at most COMPACT_MAX bytes. */
static nt_err inflate_capped(const uint8_t *z, size_t zl, uint8_t **out, size_t *len, nt_why *why)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (inflateInit(&zs) != Z_OK)
		return NT_ERR_NOMEM;
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	nt_err e = buf == NULL ? NT_ERR_NOMEM : NT_OK;
	zs.next_in = (Bytef *)(uintptr_t)z;
	zs.avail_in = (uInt)zl;
	int zrc = Z_OK;
	while (e == NT_OK && zrc != Z_STREAM_END) {
		if (n == cap) {
			if (cap >= COMPACT_MAX) {
				e = nt_fail(why, NT_ERR_RANGE,
					    "the compact receipt is larger than %d bytes",
					    COMPACT_MAX);
				break;
			}
			cap *= 2;
			uint8_t *nb = realloc(buf, cap);
			if (nb == NULL) {
				e = NT_ERR_NOMEM;
				break;
			}
			buf = nb;
		}
		zs.next_out = buf + n;
		zs.avail_out = (uInt)(cap - n);
		zrc = inflate(&zs, Z_NO_FLUSH);
		n = cap - zs.avail_out;
		if (zrc != Z_OK && zrc != Z_STREAM_END)
			e = nt_fail(why, NT_ERR_DECODE,
				    "the compact receipt is not a complete zlib stream");
	}
	if (e == NT_OK && zs.avail_in != 0)
		e = nt_fail(why, NT_ERR_DECODE, "bytes after the compact receipt's zlib stream");
	inflateEnd(&zs);
	if (e != NT_OK) {
		free(buf);
		return e;
	}
	*out = buf;
	*len = n;
	return NT_OK;
}

static json_t *hex_json(const uint8_t *b, size_t n)
{
	char *s = malloc(2 * n + 1);
	if (s == NULL)
		return NULL;
	nt_hex_encode(b, n, s);
	json_t *j = json_string(s);
	free(s);
	return j;
}

static const uint8_t *get_b16(nt_reader *rd, size_t *n)
{
	*n = nt_get_u16(rd);
	return nt_get_view(rd, *n);
}

/* One valset change of the compact bytes as a receipt JSON entry. */
static nt_err change_json(nt_reader *rd, size_t i, json_t *arr, nt_why *why)
{
	size_t hl, cl, vl;
	const uint8_t *h = get_b16(rd, &hl);
	const uint8_t *c = get_b16(rd, &cl);
	const uint8_t *v = get_b16(rd, &vl);
	if (!rd->ok)
		return nt_fail(why, NT_ERR_DECODE, "the compact receipt ends inside change %zu", i);
	json_t *o = json_object();
	json_object_set_new(o, "header", hex_json(h, hl));
	json_object_set_new(o, "commit", hex_json(c, cl));
	json_object_set_new(o, "next_validators", hex_json(v, vl));
	json_array_append_new(arr, o);
	return NT_OK;
}

/* Compact bytes -> receipt JSON (and info). */
static nt_err compact_to_json(const uint8_t *b, size_t n, char **out, nt_qr_info *info, nt_why *why)
{
	nt_reader rd;
	nt_reader_init(&rd, b, n);
	uint8_t ver = nt_get_u8(&rd), format = nt_get_u8(&rd);
	if (!rd.ok || ver != COMPACT_VERSION)
		return nt_fail(why, NT_ERR_DECODE, "unknown compact receipt version %u", ver);
	if (format != 1 && format != 2)
		return nt_fail(why, NT_ERR_DECODE, "unknown receipt format %u in a compact receipt",
			       format);
	size_t rl, hl, cl;
	const uint8_t *rec = get_b16(&rd, &rl);
	uint64_t leaf = nt_get_u64(&rd);
	size_t np = nt_get_u8(&rd);
	const uint8_t *proof = nt_get_view(&rd, np * NT_HASH_LEN);
	const uint8_t *hdr = get_b16(&rd, &hl);
	const uint8_t *com = get_b16(&rd, &cl);
	if (!rd.ok)
		return nt_fail(why, NT_ERR_DECODE, "the compact receipt is truncated");
	if (np > NT_MERKLE_PROOF_MAX)
		return nt_fail(why, NT_ERR_RANGE, "compact receipt proof has %zu hashes", np);

	nt_header h;
	nt_err e = nt_header_decode(hdr, hl, &h, why);
	if (e != NT_OK)
		return e;
	nt_commit *c = malloc(sizeof *c);
	if (c == NULL)
		return NT_ERR_NOMEM;
	e = nt_commit_decode(com, cl, c, why);
	uint64_t t = e == NT_OK ? nt_commit_time(c) : 0;
	free(c);
	if (e != NT_OK)
		return e;

	nt_hash id;
	nt_record_id(rec, rl, &id);
	char iso[32];
	nt_time_format(t, iso);
	json_t *j = json_object();
	json_object_set_new(j, "format",
			    json_string(format == 2 ? NT_RECEIPT_FORMAT_2 : NT_RECEIPT_FORMAT));
	json_object_set_new(j, "chain_id", json_string(h.chain_id));
	if (format == 2)
		json_object_set_new(j, "genesis_hash", hex_json(h.genesis_hash.b, NT_HASH_LEN));
	json_object_set_new(j, "record", hex_json(rec, rl));
	json_object_set_new(j, "record_id", hex_json(id.b, NT_HASH_LEN));
	json_object_set_new(j, "height", json_integer((json_int_t)h.height));
	if (leaf > (uint64_t)INT64_MAX)
		e = nt_fail(why, NT_ERR_RANGE, "compact receipt leaf index out of range");
	json_object_set_new(j, "leaf_index", json_integer((json_int_t)(leaf & INT64_MAX)));
	json_t *pa = json_array();
	for (size_t i = 0; i < np; i++)
		json_array_append_new(pa, hex_json(proof + i * NT_HASH_LEN, NT_HASH_LEN));
	json_object_set_new(j, "proof", pa);
	json_object_set_new(j, "header", hex_json(hdr, hl));
	json_object_set_new(j, "commit", hex_json(com, cl));
	json_object_set_new(j, "time", json_string(iso));
	if (format == 2 && e == NT_OK) {
		size_t nc = nt_get_u16(&rd);
		json_t *ch = json_array();
		json_object_set_new(j, "valset_changes", ch);
		for (size_t i = 0; i < nc && e == NT_OK; i++)
			e = change_json(&rd, i, ch, why);
		uint8_t flags = nt_get_u8(&rd);
		if (e == NT_OK && (flags & ~(FLAG_SALT | FLAG_META)) != 0)
			e = nt_fail(why, NT_ERR_DECODE, "unknown compact receipt flags 0x%02x",
				    flags);
		if (e == NT_OK && (flags & FLAG_SALT)) {
			const uint8_t *salt = nt_get_view(&rd, NT_RECORD_SALT_LEN);
			if (salt != NULL)
				json_object_set_new(j, "salt", hex_json(salt, NT_RECORD_SALT_LEN));
		}
		if (e == NT_OK && (flags & FLAG_META)) {
			size_t ml;
			const uint8_t *m = get_b16(&rd, &ml);
			if (m != NULL)
				json_object_set_new(j, "meta", json_stringn((const char *)m, ml));
			if (m != NULL && json_object_get(j, "meta") == NULL)
				e = nt_fail(why, NT_ERR_DECODE,
					    "compact receipt meta is not UTF-8 text");
		}
	}
	if (e == NT_OK && !nt_reader_done(&rd))
		e = nt_fail(why, NT_ERR_DECODE,
			    rd.ok ? "bytes after the end of the compact receipt"
				  : "the compact receipt is truncated");
	char *s = e == NT_OK ? json_dumps(j, JSON_INDENT(2)) : NULL;
	json_decref(j);
	if (e == NT_OK && s == NULL)
		e = NT_ERR_NOMEM;
	if (e != NT_OK)
		return e;
	if (info != NULL) {
		memset(info, 0, sizeof *info);
		info->full = true;
		info->format = format;
		if (format == 2)
			nt_genesis_fingerprint(&h.genesis_hash, info->fingerprint);
		info->record_id = id;
		info->height = h.height;
	}
	if (out != NULL) {
		/* The receipt files our tools write end in a newline. */
		size_t sl = strlen(s);
		char *grown = realloc(s, sl + 2);
		if (grown == NULL) {
			free(s);
			return NT_ERR_NOMEM;
		}
		grown[sl] = '\n';
		grown[sl + 1] = '\0';
		*out = grown;
	} else {
		free(s);
	}
	return NT_OK;
}

static nt_err zlib_to_json(const uint8_t *z, size_t zl, char **out, nt_qr_info *info, nt_why *why)
{
	uint8_t *c = NULL;
	size_t cl = 0;
	nt_err e = inflate_capped(z, zl, &c, &cl, why);
	if (e != NT_OK)
		return e;
	e = compact_to_json(c, cl, out, info, why);
	free(c);
	return e;
}

static bool prefix_ci(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

/* "NRID:" [FP] "/" ID "/" HEIGHT */
static nt_err decode_reference(const char *s, size_t n, nt_qr_info *info, nt_why *why)
{
	char buf[160];
	if (n >= sizeof buf)
		return nt_fail(why, NT_ERR_DECODE, "the reference is too long");
	memcpy(buf, s, n);
	buf[n] = '\0';
	for (char *p = buf; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	char *fp = buf, *id = strchr(fp, '/');
	char *height = id != NULL ? strchr(id + 1, '/') : NULL;
	if (id == NULL || height == NULL)
		return nt_fail(why, NT_ERR_DECODE,
			       "a reference is " NT_QR_REF_PREFIX "FINGERPRINT/RECORD_ID/HEIGHT");
	*id++ = '\0';
	*height++ = '\0';
	nt_qr_info in;
	memset(&in, 0, sizeof in);
	size_t fl = strlen(fp);
	bool fp_ok = fl == 0 || fl == NT_FINGERPRINT_LEN;
	for (size_t i = 0; i < fl && fp_ok; i++)
		fp_ok = (i % 9 == 8) ? fp[i] == '-' : isxdigit((unsigned char)fp[i]) != 0;
	if (!fp_ok)
		return nt_fail(why, NT_ERR_DECODE, "the reference's fingerprint is malformed");
	memcpy(in.fingerprint, fp, fl + 1);
	if (strlen(id) != 2 * NT_HASH_LEN || nt_hex_decode32(id, in.record_id.b) != NT_OK)
		return nt_fail(why, NT_ERR_DECODE,
			       "the reference's record id is not 64 hex digits");
	char *end = NULL;
	if (height[0] < '0' || height[0] > '9')
		return nt_fail(why, NT_ERR_DECODE, "the reference's height is not a number");
	in.height = strtoull(height, &end, 10);
	if (end == NULL || *end != '\0')
		return nt_fail(why, NT_ERR_DECODE, "the reference's height is not a number");
	if (info != NULL)
		*info = in;
	return NT_OK;
}

/* The base64 characters between the BEGIN line at b and the END line after
 * it, white space dropped. */
static nt_err decode_block_at(const char *b, char **out, nt_qr_info *info, nt_why *why)
{
	const char *end = strstr(b, NT_QR_BLOCK_END);
	if (end == NULL)
		return nt_fail(why, NT_ERR_DECODE, "the receipt block has no %s line",
			       NT_QR_BLOCK_END);
	b += strlen(NT_QR_BLOCK_BEGIN);
	size_t cap = (size_t)(end - b);
	char *s = malloc(cap + 1);
	uint8_t *z = malloc(cap / 4 * 3 + 3);
	if (s == NULL || z == NULL) {
		free(s);
		free(z);
		return NT_ERR_NOMEM;
	}
	size_t n = 0;
	for (const char *p = b; p < end; p++)
		if (!isspace((unsigned char)*p))
			s[n++] = *p;
	s[n] = '\0';
	size_t zl = 0;
	nt_err e = base64_decode(s, n, z, &zl);
	free(s);
	if (e != NT_OK)
		e = nt_fail(why, e, "the receipt block is not base64");
	else
		e = zlib_to_json(z, zl, out, info, why);
	free(z);
	return e;
}

/* The first block whose BEGIN marker stands alone between white space
 * (text around a certificate's block may name the markers). */
static nt_err decode_block(const char *text, char **out, nt_qr_info *info, nt_why *why)
{
	size_t bl = strlen(NT_QR_BLOCK_BEGIN);
	for (const char *b = strstr(text, NT_QR_BLOCK_BEGIN); b != NULL;
	     b = strstr(b + bl, NT_QR_BLOCK_BEGIN)) {
		bool line_start = b == text || isspace((unsigned char)b[-1]);
		bool line_end = isspace((unsigned char)b[bl]);
		if (line_start && line_end)
			return decode_block_at(b, out, info, why);
	}
	return nt_fail(why, NT_ERR_DECODE, "no receipt block (a line %s, base64, a line %s)",
		       NT_QR_BLOCK_BEGIN, NT_QR_BLOCK_END);
}

nt_err nt_qr_receipt_decode(const char *text, char **receipt_json, nt_qr_info *info, nt_why *why)
{
	if (text == NULL)
		return NT_ERR_ARG;
	if (strstr(text, NT_QR_BLOCK_BEGIN) != NULL)
		return decode_block(text, receipt_json, info, why);
	/* A space is a base45 digit: only line ends and tabs are trimmed. */
	while (isspace((unsigned char)*text))
		text++;
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == '\t'))
		n--;
	if (prefix_ci(text, NT_QR_REF_PREFIX)) {
		size_t pl = strlen(NT_QR_REF_PREFIX);
		nt_err e = decode_reference(text + pl, n - pl, info, why);
		if (e == NT_OK && receipt_json != NULL)
			*receipt_json = NULL;
		return e;
	}
	if (strncmp(text, NT_QR_PREFIX, strlen(NT_QR_PREFIX)) != 0)
		return nt_fail(why, NT_ERR_DECODE,
			       "not a receipt code: it starts with neither " NT_QR_PREFIX
			       " nor " NT_QR_REF_PREFIX " and holds no receipt block");
	size_t pl = strlen(NT_QR_PREFIX);
	uint8_t *z = malloc((n - pl) / 3 * 2 + 2);
	if (z == NULL)
		return NT_ERR_NOMEM;
	size_t zl = 0;
	nt_err e = base45_decode(text + pl, n - pl, z, &zl);
	if (e != NT_OK)
		e = nt_fail(why, e, "the code after " NT_QR_PREFIX " is not base45");
	else
		e = zlib_to_json(z, zl, receipt_json, info, why);
	free(z);
	return e;
}
