/* Signed requests (docs/RPC.md "Signed requests") and the error replies of
 * the limits: the parts of node/rpc.h that access control needs.
 *
 * A client proves it holds a key by signing what it asks: the method, the
 * params and the time. Nothing else is needed over plain nng REQ/REP, and
 * the same BIP-340 keys as records are used, so an office lists its
 * clients' keys like its submitters'. A captured request can be replayed
 * within the time window; it only asks the same read-only question again
 * (submits are authenticated by the record's own signature instead). */
#include "node/rpc.h"

#include "base/hex.h"
#include "core/jsonx.h"
#include "crypto/digest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nt_err nt_rpc_auth_hash(const char *method, json_t *params, uint64_t time_ms, nt_hash *out)
{
	char *canon = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	if (canon == NULL)
		return NT_ERR_NOMEM;
	/* JSON libraries agree on printable ASCII; escapes (\u00e9 or \u00E9)
	 * they do not. */
	bool ascii = strstr(canon, "\\u") == NULL;
	size_t ml = strlen(method), cl = strlen(canon);
	uint8_t *msg = ascii ? malloc(ml + cl + 2 + 8) : NULL;
	if (msg == NULL) {
		free(canon);
		return ascii ? NT_ERR_NOMEM : NT_ERR_ARG;
	}
	memcpy(msg, method, ml);
	msg[ml] = 0;
	memcpy(msg + ml + 1, canon, cl);
	msg[ml + 1 + cl] = 0;
	for (int i = 0; i < 8; i++)
		msg[ml + cl + 2 + i] = (uint8_t)(time_ms >> (56 - 8 * i));
	nt_tagged_hash(NT_RPC_AUTH_TAG, msg, ml + cl + 10, out);
	free(msg);
	free(canon);
	return NT_OK;
}

nt_err nt_rpc_auth_take(const char *method, json_t *params, nt_rpc_call *c, char *msg, size_t cap)
{
	json_t *a = json_object_get(params, "auth");
	c->auth = false;
	if (a == NULL)
		return NT_OK;
	json_incref(a);
	json_object_del(params, "auth");
	nt_err e = NT_ERR_ARG;
	json_t *pk = json_object_get(a, "pubkey"), *t = json_object_get(a, "time"),
	       *sg = json_object_get(a, "sig");
	nt_pubkey key;
	nt_sig sig;
	size_t sl = 0;
	nt_hash h;
	if (!json_is_object(a) || json_object_size(a) != 3 || !json_is_string(pk) ||
	    !json_is_integer(t) || json_integer_value(t) < 0 || !json_is_string(sg))
		snprintf(msg, cap,
			 "\"auth\" must be {\"pubkey\": HEX, \"time\": MS, \"sig\": HEX} "
			 "(docs/RPC.md, signed requests)");
	else if (json_string_length(pk) != 64 ||
		 nt_hex_decode32(json_string_value(pk), key.b) != NT_OK)
		snprintf(msg, cap, "auth.pubkey must be 64 hex digits");
	else if (json_string_length(sg) != 128 ||
		 nt_hex_decode(json_string_value(sg), sig.b, sizeof sig.b, &sl) != NT_OK ||
		 sl != sizeof sig.b)
		snprintf(msg, cap, "auth.sig must be 128 hex digits");
	else if ((e = nt_rpc_auth_hash(method, params, (uint64_t)json_integer_value(t), &h)) !=
		 NT_OK)
		snprintf(msg, cap, "%s",
			 e == NT_ERR_ARG ? "a signed request's params must be printable ASCII"
					 : "out of memory");
	else if (!nt_verify(&key, &h, &sig)) {
		e = NT_ERR_SIGNATURE;
		snprintf(msg, cap, "auth.sig does not verify (method, params without auth, time)");
	} else {
		c->auth = true;
		c->client = key;
		c->auth_time_ms = (uint64_t)json_integer_value(t);
	}
	json_decref(a);
	return e;
}

nt_err nt_rpc_auth_add(json_t *params, const char *method, const nt_seckey *k, uint64_t time_ms)
{
	nt_hash h;
	nt_sig sig;
	nt_pubkey pk;
	nt_err e = nt_rpc_auth_hash(method, params, time_ms, &h);
	if (e == NT_OK)
		e = nt_sign(k, &h, &sig);
	if (e != NT_OK)
		return e;
	nt_seckey_pubkey(k, &pk);
	json_t *a = json_pack("{s:o,s:I,s:o}", "pubkey", nt_json_hex(pk.b, NT_PUBKEY_LEN), "time",
			      (json_int_t)time_ms, "sig", nt_json_hex(sig.b, NT_SIG_LEN));
	if (a == NULL || json_object_set_new(params, "auth", a) != 0)
		return NT_ERR_NOMEM;
	return NT_OK;
}

char *nt_rpc_error_retry(const char *id, int code, uint64_t retry_ms, const char *fmt, ...)
{
	char m[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	json_t *err = json_pack("{s:i,s:s,s:{s:I}}", "code", code, "message", m, "data",
				"retry_after_ms", (json_int_t)retry_ms);
	char *es = err != NULL ? json_dumps(err, JSON_COMPACT) : NULL;
	json_decref(err);
	if (es == NULL)
		return NULL;
	char *out = NULL;
	if (asprintf(&out, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":%s}", id ? id : "null", es) <
	    0)
		out = NULL;
	free(es);
	return out;
}
