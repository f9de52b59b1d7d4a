/* Secret key files: {"type":"notary-secret-key/1","secret":"<hex32>","pubkey":"<hex32>"}
 *
 * Every buffer that ever holds the secret (file text, hex, decoded bytes,
 * jansson's copy of the string value) is wiped before it is released. The
 * file is written with snprintf rather than through jansson because the
 * object is fixed and needs no escaping, and jansson's encoder would leave
 * unwipeable copies of the secret in buffers it reallocates and frees. */
#include "crypto/keys.h"
#include "crypto/keyseal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "base/hex.h"

#define KEYFILE_TYPE "notary-secret-key/1"
/* A real key file is about 170 bytes; anything far larger is not one. */
#define KEYFILE_MAX 4096

/* Makes the new directory entry durable, so a key reported as written
 * survives a crash. Best effort: some file systems refuse fsync on a
 * directory, and the file's own data is already synced by then. */
static void sync_parent(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return;
	int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(copy);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static nt_err write_text(const char *path, char *text, size_t tcap, int len, nt_why *why);

nt_err nt_keyfile_write_pass(const char *path, const nt_seckey *k, const uint8_t *pass, size_t plen,
			     nt_why *why)
{
	char text[1024];
	size_t len = 0;
	nt_err e = nt_keyseal_text(k, pass, plen, text, sizeof text, &len, why);
	if (e != NT_OK)
		return e;
	return write_text(path, text, sizeof text, (int)len, why);
}

nt_err nt_keyfile_write(const char *path, const nt_seckey *k, nt_why *why)
{
	uint8_t secret[32];
	char secret_hex[65], pub_hex[65];
	char text[256];
	nt_pubkey pub;

	nt_seckey_pubkey(k, &pub);
	nt_hex_encode(pub.b, sizeof pub.b, pub_hex);
	nt_seckey_secret(k, secret);
	nt_hex_encode(secret, sizeof secret, secret_hex);
	OPENSSL_cleanse(secret, sizeof secret);
	int len =
	    snprintf(text, sizeof text, "{\"type\":\"%s\",\"secret\":\"%s\",\"pubkey\":\"%s\"}\n",
		     KEYFILE_TYPE, secret_hex, pub_hex);
	OPENSSL_cleanse(secret_hex, sizeof secret_hex);
	if (len < 0 || (size_t)len >= sizeof text) {
		/* cannot happen: the text has a fixed length */
		OPENSSL_cleanse(text, sizeof text);
		return nt_fail(why, NT_ERR_ARG, "key file text does not fit");
	}
	return write_text(path, text, sizeof text, len, why);
}

/* Creates path (mode 0600, never over an existing file) with text, then
 * wipes text (tcap bytes). */
static nt_err write_text(const char *path, char *text, size_t tcap, int len, nt_why *why)
{
	/* O_EXCL: never replace an existing key, which may be the only copy of
	 * a validator's or a party's identity. O_NOFOLLOW: a symlink planted at
	 * path must not redirect the secret elsewhere. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		OPENSSL_cleanse(text, tcap);
		if (e == EEXIST)
			return nt_fail(why, NT_ERR_EXISTS,
				       "%s already exists; refusing to overwrite a key file", path);
		if (e == EACCES || e == EPERM)
			return nt_fail(why, NT_ERR_PERM, "cannot create key file %s: %s", path,
				       strerror(e));
		return nt_fail(why, NT_ERR_IO, "cannot create key file %s: %s", path, strerror(e));
	}
	int e = write_all(fd, text, (size_t)len);
	OPENSSL_cleanse(text, tcap);
	if (e == 0 && fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (e != 0) {
		/* A partial key file is worse than none: it would be refused
		 * later with a confusing message, and it blocks a retry. */
		unlink(path);
		return nt_fail(why, NT_ERR_IO, "cannot write key file %s: %s", path, strerror(e));
	}
	sync_parent(path);
	return NT_OK;
}

/* Reads at most cap bytes of fd; *n is the count. Returns 0 or an errno. */
static int read_upto(int fd, char *buf, size_t cap, size_t *n)
{
	size_t got = 0;
	while (got < cap) {
		ssize_t r = read(fd, buf + got, cap - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	*n = got;
	return 0;
}

/* Opens and checks the file, and reads it into buf (capacity KEYFILE_MAX+1). */
static nt_err load_text(const char *path, char *buf, size_t *len, nt_why *why)
{
	/* O_NONBLOCK so that a FIFO at path fails the checks below instead of
	 * blocking the caller in open(). */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR)
			return nt_fail(why, NT_ERR_NOT_FOUND, "key file %s does not exist", path);
		if (e == EACCES || e == EPERM)
			return nt_fail(why, NT_ERR_PERM, "cannot open key file %s: %s", path,
				       strerror(e));
		return nt_fail(why, NT_ERR_IO, "cannot open key file %s: %s", path, strerror(e));
	}
	/* fstat on the open descriptor, so the checks apply to the very file
	 * we read even if path is swapped meanwhile. */
	struct stat st;
	nt_err ret = NT_OK;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		ret = nt_fail(why, NT_ERR_IO, "cannot stat key file %s: %s", path, strerror(e));
	} else if (!S_ISREG(st.st_mode)) {
		ret = nt_fail(why, NT_ERR_IO, "key file %s is not a regular file", path);
	} else if ((st.st_mode & 077) != 0) {
		/* Like ssh and signify: a secret others could read may already be
		 * compromised, and one others could write may be substituted. */
		ret = nt_fail(why, NT_ERR_PERM,
			      "key file %s is %s by others (mode %04o); run: chmod 600 %s", path,
			      (st.st_mode & 044) != 0 ? "readable" : "accessible",
			      (unsigned)(st.st_mode & 07777), path);
	} else if (st.st_size > KEYFILE_MAX) {
		ret = nt_fail(why, NT_ERR_RANGE,
			      "key file %s is too large (%lld bytes; a key file is under %d)", path,
			      (long long)st.st_size, KEYFILE_MAX);
	}
	if (ret != NT_OK) {
		close(fd);
		return ret;
	}
	size_t n = 0;
	/* Read one byte past the limit in case the file grew since fstat. */
	int e = read_upto(fd, buf, KEYFILE_MAX + 1, &n);
	close(fd);
	if (e != 0)
		return nt_fail(why, NT_ERR_IO, "cannot read key file %s: %s", path, strerror(e));
	if (n > KEYFILE_MAX)
		return nt_fail(why, NT_ERR_RANGE, "key file %s is too large", path);
	*len = n;
	return NT_OK;
}

/* The string member name of obj, or NULL. */
static const char *member_str(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Wipes jansson's copy of a string member before the object is freed. The
 * buffer is allocated by jansson and only exposed as const. */
static void wipe_member(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);
	if (json_is_string(v))
		OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
}

static nt_err decode_key(json_t *root, const char *path, nt_seckey **out, nt_why *why)
{
	if (!json_is_object(root))
		return nt_fail(why, NT_ERR_JSON, "key file %s is not a JSON object", path);
	const char *type = member_str(root, "type");
	if (type == NULL)
		return nt_fail(why, NT_ERR_JSON, "key file %s has no \"type\"", path);
	if (strcmp(type, KEYFILE_TYPE) != 0)
		return nt_fail(
		    why, NT_ERR_JSON,
		    "%s is not a notary secret key file (type \"%.40s\", expected \"%s\")", path,
		    type, KEYFILE_TYPE);
	const char *secret_hex = member_str(root, "secret");
	const char *pub_hex = member_str(root, "pubkey");
	if (secret_hex == NULL || pub_hex == NULL)
		return nt_fail(why, NT_ERR_JSON,
			       "key file %s lacks a \"secret\" or \"pubkey\" string", path);

	uint8_t secret[32];
	nt_pubkey want;
	if (nt_hex_decode32(secret_hex, secret) != NT_OK) {
		OPENSSL_cleanse(secret, sizeof secret);
		return nt_fail(why, NT_ERR_DECODE, "key file %s: \"secret\" is not 64 hex digits",
			       path);
	}
	if (nt_hex_decode32(pub_hex, want.b) != NT_OK) {
		OPENSSL_cleanse(secret, sizeof secret);
		return nt_fail(why, NT_ERR_DECODE, "key file %s: \"pubkey\" is not 64 hex digits",
			       path);
	}
	nt_seckey *k = NULL;
	nt_err e = nt_seckey_from_bytes(secret, &k);
	OPENSSL_cleanse(secret, sizeof secret);
	if (e == NT_ERR_ARG)
		return nt_fail(why, NT_ERR_DECODE,
			       "key file %s: \"secret\" is not a valid secp256k1 secret key", path);
	if (e != NT_OK)
		return nt_fail(why, e, "key file %s: cannot load key: %s", path, nt_strerror(e));
	nt_pubkey got;
	nt_seckey_pubkey(k, &got);
	if (CRYPTO_memcmp(got.b, want.b, sizeof got.b) != 0) {
		nt_seckey_free(k);
		return nt_fail(why, NT_ERR_CORRUPT,
			       "key file %s is corrupt: its pubkey does not match its secret",
			       path);
	}
	*out = k;
	return NT_OK;
}

nt_err nt_keyfile_read(const char *path, nt_seckey **out, nt_why *why)
{
	return nt_keyfile_read_pass(path, NULL, 0, out, why);
}

nt_err nt_keyfile_read_pass(const char *path, const uint8_t *pass, size_t plen, nt_seckey **out,
			    nt_why *why)
{
	char buf[KEYFILE_MAX + 1];
	size_t len = 0;
	nt_err e = load_text(path, buf, &len, why);
	if (e != NT_OK) {
		OPENSSL_cleanse(buf, sizeof buf);
		return e;
	}
	json_error_t jerr;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	OPENSSL_cleanse(buf, sizeof buf);
	if (root == NULL) {
		/* Only the position: jerr.text can quote file content, which here
		 * may be part of the secret. */
		e = nt_fail(why, NT_ERR_JSON, "key file %s is not valid JSON (line %d, column %d)",
			    path, jerr.line, jerr.column);
		OPENSSL_cleanse(&jerr, sizeof jerr);
		return e;
	}
	const char *type = member_str(root, "type");
	if (type != NULL && strcmp(type, NT_KEYFILE_SEALED_TYPE) == 0)
		e = nt_keyseal_open(root, path, pass, plen, out, why);
	else
		e = decode_key(root, path, out, why);
	wipe_member(root, "secret");
	json_decref(root);
	return e;
}
