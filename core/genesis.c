/* Genesis file parsing and the UTC time format (FORMATS.md "Genesis file"). */
#include "core/genesis.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/codec.h"
#include "base/hex.h"
#include "core/jsonx.h"
#include "crypto/digest.h"
#include "crypto/keys.h"

#define GENESIS_TAG "notary/genesis"

/* 9999-12-31T23:59:59.999Z */
#define TIME_MAX_MS 253402300799999ULL

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

nt_err nt_time_parse(const char *s, uint64_t *ms)
{
	/* YYYY-MM-DDTHH:MM:SS[.sss]Z, fixed positions, nothing else. */
	int Y, M, D, h, m, sec, milli = 0;
	if (s == NULL)
		return NT_ERR_ARG;
	size_t n = strlen(s);
	if (n != 20 && n != 24)
		return NT_ERR_DECODE;
	if (!digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
	    !digits(s + 8, 2, &D) || s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' ||
	    !digits(s + 14, 2, &m) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return NT_ERR_DECODE;
	if (n == 24 && (s[19] != '.' || !digits(s + 20, 3, &milli)))
		return NT_ERR_DECODE;
	if (s[n - 1] != 'Z')
		return NT_ERR_DECODE;
	if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 59)
		return NT_ERR_RANGE;
	struct tm tm = {0};
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	/* timegm normalises Feb 30 to Mar 2; such a date is an error here. */
	if (t < 0 || tm.tm_mday != D || tm.tm_mon != M - 1)
		return NT_ERR_RANGE;
	*ms = (uint64_t)t * 1000u + (uint64_t)milli;
	return NT_OK;
}

void nt_time_format(uint64_t ms, char buf[32])
{
	time_t t = (time_t)(ms / 1000u);
	struct tm tm;
	/* The format has four year digits; later times are not ours to print. */
	if (ms > TIME_MAX_MS || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, 32, "(time out of range)");
		return;
	}
	snprintf(buf, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
		 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
		 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u, (unsigned)(ms % 1000u));
}

static nt_err parse_validator(json_t *v, size_t i, nt_genesis *g, nt_why *why)
{
	if (!json_is_object(v))
		return nt_fail(why, NT_ERR_JSON, "genesis validator %zu is not an object", i);
	json_t *name = json_object_get(v, "name");
	json_t *pk = json_object_get(v, "pubkey");
	if (g->version == 2 && !json_is_string(name))
		return nt_fail(why, NT_ERR_JSON,
			       "genesis validator %zu has no name string (required in %s)", i,
			       NT_GENESIS_FORMAT_2);
	if (name != NULL) {
		if (!json_is_string(name))
			return nt_fail(why, NT_ERR_JSON,
				       "genesis validator %zu name is not a string", i);
		if (g->version != 2 && json_string_length(name) > NT_VALIDATOR_NAME_MAX_V1)
			return nt_fail(why, NT_ERR_RANGE,
				       "genesis validator %zu name is longer than %d bytes", i,
				       NT_VALIDATOR_NAME_MAX_V1);
		if (g->version == 2 &&
		    !nt_str8u_valid(json_string_value(name), json_string_length(name)))
			return nt_fail(why, NT_ERR_RANGE,
				       "genesis validator %zu name is not 1..%d bytes of UTF-8 "
				       "without control characters",
				       i, NT_VALIDATOR_NAME_MAX);
		memcpy(g->vals.names[i], json_string_value(name), json_string_length(name));
		g->vals.names[i][json_string_length(name)] = '\0';
	}
	if (!json_is_string(pk))
		return nt_fail(why, NT_ERR_JSON, "genesis validator %zu has no pubkey string", i);
	if (nt_hex_decode32(json_string_value(pk), g->vals.keys[i].b) != NT_OK)
		return nt_fail(why, NT_ERR_DECODE,
			       "genesis validator %zu pubkey is not 64 hex digits", i);
	if (!nt_pubkey_valid(&g->vals.keys[i]))
		return nt_fail(why, NT_ERR_DECODE,
			       "genesis validator %zu pubkey is not a valid x-only key", i);
	for (size_t j = 0; j < i; j++)
		if (memcmp(g->vals.keys[j].b, g->vals.keys[i].b, NT_PUBKEY_LEN) == 0)
			return nt_fail(why, NT_ERR_EXISTS,
				       "genesis validators %zu and %zu have the same pubkey", j, i);
	return NT_OK;
}

nt_err nt_genesis_parse(const char *json, size_t len, nt_genesis *out, nt_why *why)
{
	if (len > NT_GENESIS_TEXT_MAX)
		return nt_fail(why, NT_ERR_RANGE, "genesis file is larger than %d bytes",
			       NT_GENESIS_TEXT_MAX);
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return nt_fail(why, NT_ERR_JSON, "genesis is not valid JSON (line %d: %s)",
			       jerr.line, jerr.text);
	nt_genesis *g = calloc(1, sizeof *g);
	nt_err e = NT_OK;
	if (g == NULL) {
		e = NT_ERR_NOMEM;
		goto out;
	}
	if (!json_is_object(root)) {
		e = nt_fail(why, NT_ERR_JSON, "genesis is not a JSON object");
		goto out;
	}
	json_t *fmt = json_object_get(root, "format");
	if (fmt != NULL) {
		const char *f = json_string_value(fmt);
		if (f != NULL && strcmp(f, NT_GENESIS_FORMAT_2) == 0)
			g->version = 2;
		else if (f != NULL && strcmp(f, "notary-genesis/1") == 0)
			g->version = 1;
		else {
			e = nt_fail(why, NT_ERR_RANGE,
				    "genesis format is not \"notary-genesis/1\" or \"%s\"",
				    NT_GENESIS_FORMAT_2);
			goto out;
		}
	} else {
		g->version = 1;
	}
	const char *cid = json_string_value(json_object_get(root, "chain_id"));
	if (cid == NULL) {
		e = nt_fail(why, NT_ERR_JSON, "genesis has no chain_id string");
		goto out;
	}
	if (!nt_chain_id_valid(cid) || strlen(cid) > NT_CHAIN_ID_MAX) {
		e = nt_fail(why, NT_ERR_RANGE,
			    "genesis chain_id is not 1..%d characters of [a-z0-9._-]",
			    NT_CHAIN_ID_MAX);
		goto out;
	}
	memcpy(g->chain_id, cid, strlen(cid) + 1);
	const char *gt = json_string_value(json_object_get(root, "genesis_time"));
	if (gt == NULL) {
		e = nt_fail(why, NT_ERR_JSON, "genesis has no genesis_time string");
		goto out;
	}
	if (nt_time_parse(gt, &g->genesis_time) != NT_OK) {
		e = nt_fail(why, NT_ERR_DECODE,
			    "genesis_time is not a UTC time like 2026-11-29T00:00:00.000Z");
		goto out;
	}
	json_t *vals = json_object_get(root, "validators");
	if (!json_is_array(vals)) {
		e = nt_fail(why, NT_ERR_JSON, "genesis has no validators array");
		goto out;
	}
	size_t n = json_array_size(vals);
	if (n < 1 || n > NT_MAX_VALIDATORS) {
		e = nt_fail(why, NT_ERR_RANGE, "genesis lists %zu validators (must be 1..%d)", n,
			    NT_MAX_VALIDATORS);
		goto out;
	}
	for (size_t i = 0; i < n && e == NT_OK; i++)
		e = parse_validator(json_array_get(vals, i), i, g, why);
	if (e != NT_OK)
		goto out;
	g->vals.n = (uint16_t)n;
	e = nt_genesis_seal(g);
	if (e != NT_OK) {
		e = nt_fail(why, e, "genesis cannot be encoded as %s", NT_GENESIS_FORMAT_2);
		goto out;
	}
	*out = *g;
out:
	free(g);
	json_decref(root);
	return e;
}

nt_err nt_genesis_to_json(const nt_genesis *g, char **out)
{
	if (!nt_chain_id_valid(g->chain_id) || g->vals.n < 1 || g->vals.n > NT_MAX_VALIDATORS)
		return NT_ERR_ARG;
	char tbuf[32];
	nt_time_format(g->genesis_time, tbuf);
	json_t *root = json_object();
	json_t *vals = json_array();
	bool ok = root != NULL && vals != NULL;
	if (nt_genesis_is_v2(g)) {
		uint8_t gb[NT_GENESIS_BYTES_MAX];
		size_t gl;
		/* Only what parses back: every name a str8u. */
		if (nt_genesis_encode(g, gb, sizeof gb, &gl) != NT_OK) {
			json_decref(vals);
			json_decref(root);
			return NT_ERR_ARG;
		}
		ok = ok &&
		     json_object_set_new(root, "format", json_string(NT_GENESIS_FORMAT_2)) == 0;
	}
	ok = ok && json_object_set_new(root, "chain_id", json_string(g->chain_id)) == 0;
	ok = ok && json_object_set_new(root, "genesis_time", json_string(tbuf)) == 0;
	for (unsigned i = 0; ok && i < g->vals.n; i++) {
		char hex[2 * NT_PUBKEY_LEN + 1];
		json_t *v = json_object();
		nt_hex_encode(g->vals.keys[i].b, NT_PUBKEY_LEN, hex);
		ok = v != NULL && json_array_append_new(vals, v) == 0;
		/* names must be valid UTF-8 for jansson; a bad one fails the call */
		if (ok && g->vals.names[i][0] != '\0')
			ok = json_object_set_new(v, "name", json_string(g->vals.names[i])) == 0;
		ok = ok && json_object_set_new(v, "pubkey", json_string(hex)) == 0;
	}
	if (ok) {
		ok = json_object_set_new(root, "validators", vals) == 0;
		vals = NULL;
	}
	nt_err e = ok ? nt_json_dump_pretty(root, out) : NT_ERR_NOMEM;
	json_decref(vals);
	json_decref(root);
	return e;
}

bool nt_genesis_is_v2(const nt_genesis *g)
{
	return g != NULL && g->version == 2;
}

nt_err nt_genesis_encode(const nt_genesis *g, uint8_t *out, size_t cap, size_t *len)
{
	if (g == NULL || out == NULL || len == NULL || !nt_chain_id_valid(g->chain_id))
		return NT_ERR_RANGE;
	size_t cl = strlen(g->chain_id);
	nt_writer w;
	nt_writer_init(&w, out, cap);
	nt_put_u8(&w, 2);
	nt_put_u8(&w, (uint8_t)cl);
	nt_put_bytes(&w, g->chain_id, cl);
	nt_put_u64(&w, g->genesis_time);
	if (!w.ok || w.len > cap)
		return NT_ERR_RANGE;
	size_t vl;
	nt_err e = nt_valset_encode(&g->vals, out + w.len, cap - w.len, &vl);
	if (e != NT_OK)
		return e;
	*len = w.len + vl;
	return NT_OK;
}

nt_err nt_genesis_hash(const nt_genesis *g, nt_hash *out)
{
	uint8_t *buf = malloc(NT_GENESIS_BYTES_MAX);
	if (buf == NULL)
		return NT_ERR_NOMEM;
	size_t n;
	nt_err e = nt_genesis_encode(g, buf, NT_GENESIS_BYTES_MAX, &n);
	if (e == NT_OK)
		nt_tagged_hash(GENESIS_TAG, buf, n, out);
	free(buf);
	return e;
}

nt_err nt_genesis_seal(nt_genesis *g)
{
	if (g == NULL)
		return NT_ERR_ARG;
	if (!nt_genesis_is_v2(g)) {
		nt_valset_hash(&g->vals, &g->validators_hash);
		memset(g->genesis_hash.b, 0, NT_HASH_LEN);
		return NT_OK;
	}
	nt_hash vh, gh;
	nt_err e = nt_valset_hash_v2(&g->vals, &vh);
	if (e == NT_OK)
		e = nt_genesis_hash(g, &gh);
	if (e != NT_OK)
		return e;
	g->validators_hash = vh;
	g->genesis_hash = gh;
	return NT_OK;
}

void nt_genesis_fingerprint(const nt_hash *genesis_hash, char out[NT_FINGERPRINT_LEN + 1])
{
	char *p = out;
	for (int grp = 0; grp < 4; grp++) {
		if (grp > 0)
			*p++ = '-';
		nt_hex_encode(genesis_hash->b + 4 * grp, 4, p);
		p += 8;
	}
	*p = '\0';
}
