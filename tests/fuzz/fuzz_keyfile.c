/* Fuzz target: nt_keyfile_read (crypto/keys.h), the secret key file a node
 * or a party loads at start. The input is the file, written with mode 0600
 * (the reader refuses anything looser) into a private directory on /dev/shm
 * (or /tmp) created once and reused.
 *
 * Properties: a refusal says why and returns no key; an accepted file is a
 * JSON object whose "pubkey" is the public key of the loaded secret, the
 * key signs a message that verifies (and a different message does not),
 * and nt_keyfile_write of the key followed by nt_keyfile_read gives the
 * same public key and signature (signing is deterministic). A sealed key
 * file (notary-secret-key-sealed/1) is refused without a passphrase and
 * read with the seeds' passphrase "fuzz" (corpus/keyfile/sealed-*): the
 * same properties hold for what it opens. */
#include "base/hex.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[128], path2[128];

static void setup(void)
{
	if (path[0] != '\0')
		return;
	fz_scratch_path("key", "validator.key", path, sizeof path);
	fz_scratch_path("key", "rewritten.key", path2, sizeof path2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fz_check(fd >= 0);
	/* umask can only clear bits, but a file left by another run may not be 0600. */
	fz_check(fchmod(fd, 0600) == 0);
	fz_check(size == 0 || write(fd, data, size) == (ssize_t)size);
	close(fd);

	nt_seckey *k = NULL;
	nt_why why = {""};
	nt_err e = nt_keyfile_read(path, &k, &why);
	if (e == NT_ERR_ARG && strstr(why.msg, "passphrase") != NULL) {
		fz_check(k == NULL);
		e = nt_keyfile_read_pass(path, (const uint8_t *)"fuzz", 4, &k, &why);
	}
	if (e != NT_OK) {
		fz_check(k == NULL);
		fz_check(e == NT_ERR_NOMEM || why.msg[0] != '\0');
		fz_check(e != NT_ERR_PERM && e != NT_ERR_NOT_FOUND);
		return 0;
	}
	fz_check(k != NULL);
	nt_pubkey pub;
	nt_seckey_pubkey(k, &pub);
	fz_check(nt_pubkey_valid(&pub));

	/* The file's own "pubkey" names the key that was loaded. */
	json_t *root = json_loadb((const char *)data, size, 0, NULL);
	fz_check(json_is_object(root));
	const char *hex = json_string_value(json_object_get(root, "pubkey"));
	nt_pubkey want;
	fz_check(hex != NULL && nt_hex_decode32(hex, want.b) == NT_OK);
	fz_check(memcmp(want.b, pub.b, NT_PUBKEY_LEN) == 0);
	json_decref(root);

	nt_hash msg, other;
	nt_sig sig, sig2;
	nt_sha256(data, size, &msg);
	other = msg;
	other.b[0] ^= 1;
	fz_check(nt_sign(k, &msg, &sig) == NT_OK);
	fz_check(nt_verify(&pub, &msg, &sig));
	fz_check(!nt_verify(&pub, &other, &sig));

	unlink(path2);
	fz_check(nt_keyfile_write(path2, k, &why) == NT_OK);
	/* Never overwrites. */
	fz_check(nt_keyfile_write(path2, k, &why) == NT_ERR_EXISTS && why.msg[0] != '\0');
	nt_seckey *k2 = NULL;
	e = nt_keyfile_read(path2, &k2, &why);
	if (e != NT_OK)
		fprintf(stderr, "fuzz: re-read failed: %s\n", why.msg);
	fz_check(e == NT_OK);
	nt_pubkey pub2;
	nt_seckey_pubkey(k2, &pub2);
	fz_check(memcmp(pub.b, pub2.b, NT_PUBKEY_LEN) == 0);
	fz_check(nt_sign(k2, &msg, &sig2) == NT_OK);
	fz_check(memcmp(sig.b, sig2.b, sizeof sig.b) == 0);
	nt_seckey_free(k2);
	nt_seckey_free(k);
	unlink(path2);
	return 0;
}
