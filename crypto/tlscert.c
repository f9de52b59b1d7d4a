/* TLS certificates and bindings (see crypto/tlscert.h), with OpenSSL 3. */
#include "crypto/tlscert.h"

#include "crypto/digest.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

static nt_err ossl_fail(nt_why *why, const char *what)
{
	return nt_fail(why, NT_ERR_CRYPTO, "cannot %s (OpenSSL)", what);
}

/* The text of a memory BIO as a new NUL-terminated string. */
static char *bio_text(BIO *b)
{
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (s != NULL) {
		memcpy(s, p, (size_t)n);
		s[n] = '\0';
	}
	return s;
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (e == NULL)
		return 0;
	int ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

nt_err nt_tlscert_generate(const char *name, int64_t not_before, uint32_t days, char **key_pem,
			   char **cert_pem, nt_why *why)
{
	if (name == NULL || key_pem == NULL || cert_pem == NULL || days == 0 || strlen(name) > 48)
		return nt_fail(why, NT_ERR_ARG, "a certificate needs a name of 1..48 characters");
	nt_err e = NT_ERR_CRYPTO;
	EVP_PKEY *pk = EVP_EC_gen("prime256v1");
	X509 *x = X509_new();
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	char *ks = NULL, *cs = NULL;
	if (pk == NULL || x == NULL || kb == NULL || cb == NULL) {
		e = ossl_fail(why, "make a P-256 key");
		goto out;
	}
	uint8_t serial[16];
	BIGNUM *bn = NULL;
	char cn[64];
	snprintf(cn, sizeof cn, "notary %s", name);
	X509_NAME *subj = X509_get_subject_name(x);
	if (RAND_bytes(serial, sizeof serial) != 1) {
		e = ossl_fail(why, "draw a serial number");
		goto out;
	}
	serial[0] &= 0x7f; /* a positive INTEGER */
	if ((bn = BN_bin2bn(serial, sizeof serial, NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL) {
		BN_free(bn);
		e = ossl_fail(why, "set the serial number");
		goto out;
	}
	BN_free(bn);
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &(time_t){(time_t)not_before}) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, &(time_t){(time_t)not_before}) ==
		NULL ||
	    X509_set_pubkey(x, pk) != 1 ||
	    X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
				       0) != 1 ||
	    X509_set_issuer_name(x, subj) != 1 ||
	    !add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(x, NID_ext_key_usage, "serverAuth,clientAuth") ||
	    !add_ext(x, NID_subject_key_identifier, "hash") ||
	    X509_sign(x, pk, EVP_sha256()) == 0) {
		e = ossl_fail(why, "build the certificate");
		goto out;
	}
	if (PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_X509(cb, x) != 1 || (ks = bio_text(kb)) == NULL ||
	    (cs = bio_text(cb)) == NULL) {
		e = ossl_fail(why, "write the key and certificate");
		goto out;
	}
	*key_pem = ks;
	*cert_pem = cs;
	ks = cs = NULL;
	e = NT_OK;
out:
	if (ks != NULL) {
		OPENSSL_cleanse(ks, strlen(ks));
		free(ks);
	}
	free(cs);
	/* The memory BIO held the key's PEM: BIO_free does not wipe it. */
	if (kb != NULL) {
		char *p = NULL;
		long n = BIO_get_mem_data(kb, &p);
		if (n > 0 && p != NULL)
			OPENSSL_cleanse(p, (size_t)n);
	}
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(pk);
	return e;
}

/* The one certificate in pem; NULL (why set) otherwise. */
static X509 *one_cert(const char *pem, size_t len, nt_why *why)
{
	if (pem == NULL || len == 0 || len > NT_TLSCERT_PEM_MAX) {
		nt_fail(why, NT_ERR_DECODE, "not a certificate (empty or over %d bytes)",
			NT_TLSCERT_PEM_MAX);
		return NULL;
	}
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	X509 *extra = x != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	ERR_clear_error();
	if (x == NULL || extra != NULL) {
		X509_free(x);
		X509_free(extra);
		nt_fail(why, NT_ERR_DECODE,
			x == NULL ? "no PEM certificate found"
				  : "more than one certificate: give exactly one");
		return NULL;
	}
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[32] = "";
	size_t gl = 0;
	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof group, &gl) != 1 ||
	    strcmp(group, "prime256v1") != 0) {
		X509_free(x);
		nt_fail(why, NT_ERR_DECODE, "the certificate's key is not P-256 ECDSA");
		return NULL;
	}
	return x;
}

nt_err nt_tlscert_fingerprint(const char *pem, size_t len, nt_hash *out, nt_why *why)
{
	X509 *x = one_cert(pem, len, why);
	if (x == NULL)
		return NT_ERR_DECODE;
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	X509_free(x);
	if (n <= 0)
		return ossl_fail(why, "encode the certificate");
	nt_sha256(der, (size_t)n, out);
	OPENSSL_free(der);
	return NT_OK;
}

nt_err nt_tlscert_check_pair(const char *cert_pem, const char *key_pem, nt_why *why)
{
	if (cert_pem == NULL || key_pem == NULL)
		return nt_fail(why, NT_ERR_ARG, "no certificate or key");
	X509 *x = one_cert(cert_pem, strlen(cert_pem), why);
	if (x == NULL)
		return NT_ERR_DECODE;
	BIO *b = BIO_new_mem_buf(key_pem, -1);
	EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	ERR_clear_error();
	nt_err e = NT_OK;
	if (k == NULL)
		e = nt_fail(why, NT_ERR_DECODE, "the TLS key file holds no unencrypted PEM key");
	else if (X509_check_private_key(x, k) != 1)
		e = nt_fail(why, NT_ERR_MISMATCH, "the TLS key is not the certificate's key");
	ERR_clear_error();
	EVP_PKEY_free(k);
	X509_free(x);
	return e;
}

nt_err nt_tlscert_expires_in(const char *pem, size_t len, int64_t now, int64_t *out, nt_why *why)
{
	X509 *x = one_cert(pem, len, why);
	if (x == NULL)
		return NT_ERR_DECODE;
	ASN1_TIME *t = ASN1_TIME_new();
	int day = 0, sec = 0;
	bool ok = t != NULL && ASN1_TIME_set(t, (time_t)now) != NULL &&
		  ASN1_TIME_diff(&day, &sec, t, X509_get0_notAfter(x)) == 1;
	ASN1_TIME_free(t);
	X509_free(x);
	if (!ok)
		return ossl_fail(why, "read the certificate's expiry");
	*out = (int64_t)day * 86400 + sec;
	return NT_OK;
}

void nt_tlscert_binding_msg(const nt_hash *fp, nt_hash *out)
{
	nt_tagged_hash(NT_TLSCERT_BINDING_TAG, fp->b, NT_HASH_LEN, out);
}

nt_err nt_tlscert_bind(const nt_seckey *k, const nt_hash *fp, nt_sig *out)
{
	nt_hash m;
	nt_tlscert_binding_msg(fp, &m);
	return nt_sign(k, &m, out);
}

bool nt_tlscert_binding_ok(const nt_pubkey *pk, const nt_hash *fp, const nt_sig *sig)
{
	nt_hash m;
	nt_tlscert_binding_msg(fp, &m);
	return nt_verify(pk, &m, sig);
}
