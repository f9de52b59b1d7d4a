/* Tests for crypto/ keys: BIP-340 vectors, signatures, secret keys from
 * bytes, garbage to verify, key files. */
#include "tests/testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/hex.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "node/digest_file.h"

/* ---- helpers ---- */

static void unhex(const char *hex, uint8_t *out, size_t want)
{
	size_t n = 0;
	assert_int_equal(nt_hex_decode(hex, out, want, &n), NT_OK);
	assert_int_equal(n, want);
}

/* A key from seeded randomness, so a failure replays with NT_SEED. */
static nt_seckey *rand_key(void)
{
	uint8_t secret[32];
	nt_seckey *k = NULL;
	do {
		tu_rand_bytes(secret, sizeof secret);
	} while (nt_seckey_from_bytes(secret, &k) != NT_OK);
	return k;
}

/* ---- BIP-340 ---- */

/* bitcoin/bips bip-0340/test-vectors.csv (the has_even_y version). */
static const struct {
	const char *sec, *pub, *msg, *sig;
	bool ok;
} bip340[] = {
    {"0000000000000000000000000000000000000000000000000000000000000003",
     "F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA8215"
     "25F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0",
     true},
    {"B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF",
     "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "6896BD60EEAE296DB48A229FF71DFE071BDE413E6D43F917DC8DCF8C78DE3341"
     "8906D11AC976ABCCB20B091292BFF4EA897EFCB639EA871CFA95F6DE339E4B0A",
     true},
    {"C90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B14E5C9",
     "DD308AFEC5777E13121FA72B9CC1B7CC0139715309B086C960E18FD969774EB8",
     "7E2D58D8B3BCDF1ABADEC7829054F90DDA9805AAB56C77333024B9D0A508B75C",
     "5831AAEED7B44BB74E5EAB94BA9D4294C49BCF2A60728D8B4C200F50DD313C1B"
     "AB745879A5AD954A72C45A91C3A51D3C7ADEA98D82F8481E0E1E03674A6F3FB7",
     true},
    {"0B432B2677937381AEF05BB02A66ECD012773062CF3FA2549E44F58ED2401710",
     "25D1DFF95105F5253C4022F628A996AD3A0D95FBF21D468A1B33F8C160D8F517",
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
     "7EB0509757E246F19449885651611CB965ECC1A187DD51B64FDA1EDC9637D5EC"
     "97582B9CB13DB3933705B32BA982AF5AF25FD78881EBB32771FC5922EFC66EA3",
     true},
    {NULL, "D69C3509BB99E412E68B0FE8544E72837DFA30746D8BE2AA65975F29D22DC7B9",
     "4DF3C3F68FCC83B27E9D42C90431A72499F17875C81A599B566C9889B9696703",
     "00000000000000000000003B78CE563F89A0ED9414F5AA28AD0D96D6795F9C63"
     "76AFB1548AF603B3EB45C9F8207DEE1060CB71C04E80F593060B07D28308D7F4",
     true},
    /* 5: public key not on the curve */
    {NULL, "EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34",
     "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769"
     "69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B",
     false},
    /* 6: has_even_y(R) is false */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "FFF97BD5755EEEA420453A14355235D382F6472F8568A18B2F057A1460297556"
     "3CC27944640AC607CD107AE10923D9EF7A73C643E166BE5EBEAFA34B1AC553E2",
     false},
    /* 7: negated message */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "1FA62E331EDBC21C394792D2AB1100A7B432B013DF3F6FF4F99FCB33E0E1515F"
     "28890B3EDB6E7189B630448B515CE4F8622A954CFE545735AAEA5134FCCDB2BD",
     false},
    /* 8: negated s value */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769"
     "961764B3AA9B2FFCB6EF947B6887A226E8D7C93E00C5ED0C1834FF0D0C2E6DA6",
     false},
    /* 9: sG - eP is infinite (x(inf) as 0) */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "0000000000000000000000000000000000000000000000000000000000000000"
     "123DDA8328AF9C23A94C1FEECFD123BA4FB73476F0D594DCB65C6425BD186051",
     false},
    /* 10: sG - eP is infinite (x(inf) as 1) */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "0000000000000000000000000000000000000000000000000000000000000001"
     "7615FBAF5AE28864013C099742DEADB4DBA87F11AC6754F93780D5A1837CF197",
     false},
    /* 11: sig[0:32] is not an X coordinate on the curve */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "4A298DACAE57395A15D0795DDBFD1DCB564DA82B0F269BC70A74F8220429BA1D"
     "69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B",
     false},
    /* 12: sig[0:32] is equal to field size */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F"
     "69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B",
     false},
    /* 13: sig[32:64] is equal to curve order */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769"
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
     false},
    /* 14: public key exceeds the field size */
    {NULL, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30",
     "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769"
     "69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B",
     false},
};

static void test_bip340_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bip340 / sizeof bip340[0]; i++) {
		nt_pubkey pk;
		nt_hash msg;
		nt_sig sig;
		unhex(bip340[i].pub, pk.b, 32);
		unhex(bip340[i].msg, msg.b, 32);
		unhex(bip340[i].sig, sig.b, 64);
		if (nt_verify(&pk, &msg, &sig) != bip340[i].ok)
			fail_msg("BIP-340 vector %zu: expected %s", i,
				 bip340[i].ok ? "valid" : "invalid");
		if (bip340[i].sec != NULL) {
			uint8_t sec[32];
			nt_seckey *k = NULL;
			nt_pubkey got;
			unhex(bip340[i].sec, sec, 32);
			assert_int_equal(nt_seckey_from_bytes(sec, &k), NT_OK);
			nt_seckey_pubkey(k, &got);
			assert_memory_equal(got.b, pk.b, 32);
			/* libsecp256k1 treats a NULL aux_rand as 32 zero bytes,
			 * which is vector 0's aux, so nt_sign must reproduce it. */
			if (i == 0) {
				nt_sig mine;
				assert_int_equal(nt_sign(k, &msg, &mine), NT_OK);
				assert_memory_equal(mine.b, sig.b, 64);
			}
			nt_seckey_free(k);
		}
	}
	nt_pubkey pk;
	unhex(bip340[5].pub, pk.b, 32);
	assert_false(nt_pubkey_valid(&pk));
	unhex(bip340[14].pub, pk.b, 32);
	assert_false(nt_pubkey_valid(&pk));
	unhex(bip340[4].pub, pk.b, 32);
	assert_true(nt_pubkey_valid(&pk));
}

static void test_sign_verify(void **state)
{
	(void)state;
	for (int round = 0; round < 20; round++) {
		nt_seckey *k = rand_key();
		nt_pubkey pk;
		nt_hash msg;
		nt_sig sig, again;
		nt_seckey_pubkey(k, &pk);
		assert_true(nt_pubkey_valid(&pk));
		tu_rand_bytes(msg.b, 32);
		assert_int_equal(nt_sign(k, &msg, &sig), NT_OK);
		assert_true(nt_verify(&pk, &msg, &sig));
		/* deterministic */
		assert_int_equal(nt_sign(k, &msg, &again), NT_OK);
		assert_memory_equal(sig.b, again.b, 64);

		size_t bit = (size_t)(tu_rand() % 256);
		nt_hash m2 = msg;
		m2.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(nt_verify(&pk, &m2, &sig));

		bit = (size_t)(tu_rand() % 512);
		nt_sig s2 = sig;
		s2.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(nt_verify(&pk, &msg, &s2));

		bit = (size_t)(tu_rand() % 256);
		nt_pubkey p2 = pk;
		p2.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(nt_verify(&p2, &msg, &sig));

		/* another key does not verify it */
		nt_seckey *other = rand_key();
		nt_pubkey opk;
		nt_seckey_pubkey(other, &opk);
		assert_false(nt_verify(&opk, &msg, &sig));
		nt_seckey_free(other);
		nt_seckey_free(k);
	}
}

static void test_seckey_bytes(void **state)
{
	(void)state;
	static const char *bad[] = {
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    /* the group order n, and n+1... up to all ones, are not scalars */
	    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
	    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
	};
	nt_seckey *sentinel = (nt_seckey *)&sentinel;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t sec[32];
		nt_seckey *k = sentinel;
		unhex(bad[i], sec, 32);
		assert_int_equal(nt_seckey_from_bytes(sec, &k), NT_ERR_ARG);
		assert_ptr_equal(k, sentinel);
	}
	/* n - 1 is the largest valid scalar */
	uint8_t sec[32];
	nt_seckey *k = NULL;
	unhex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140", sec, 32);
	assert_int_equal(nt_seckey_from_bytes(sec, &k), NT_OK);
	uint8_t back[32];
	nt_seckey_secret(k, back);
	assert_memory_equal(back, sec, 32);
	nt_seckey_free(k);
	nt_seckey_free(NULL);

	/* generated keys are distinct and sign */
	nt_seckey *a = NULL, *b = NULL;
	assert_int_equal(nt_seckey_generate(&a), NT_OK);
	assert_int_equal(nt_seckey_generate(&b), NT_OK);
	nt_pubkey pa, pb;
	nt_seckey_pubkey(a, &pa);
	nt_seckey_pubkey(b, &pb);
	assert_memory_not_equal(pa.b, pb.b, 32);
	nt_hash msg;
	nt_sig sig;
	nt_tagged_hash("notary/test", "m", 1, &msg);
	assert_int_equal(nt_sign(a, &msg, &sig), NT_OK);
	assert_true(nt_verify(&pa, &msg, &sig));
	assert_false(nt_verify(&pb, &msg, &sig));
	nt_seckey_free(a);
	nt_seckey_free(b);
}

static void test_verify_garbage(void **state)
{
	(void)state;
	nt_pubkey pk;
	nt_hash msg;
	nt_sig sig;
	memset(pk.b, 0, 32);
	memset(msg.b, 0, 32);
	memset(sig.b, 0, 64);
	assert_false(nt_pubkey_valid(&pk));
	assert_false(nt_verify(&pk, &msg, &sig));
	memset(pk.b, 0xff, 32);
	memset(sig.b, 0xff, 64);
	assert_false(nt_pubkey_valid(&pk));
	assert_false(nt_verify(&pk, &msg, &sig));
	/* random bytes: about half are valid keys; none verifies */
	int valid = 0;
	for (int i = 0; i < 500; i++) {
		tu_rand_bytes(pk.b, 32);
		tu_rand_bytes(msg.b, 32);
		tu_rand_bytes(sig.b, 64);
		valid += nt_pubkey_valid(&pk);
		assert_false(nt_verify(&pk, &msg, &sig));
	}
	assert_true(valid > 150 && valid < 350);
}

/* ---- key files ---- */

static void test_keyfile_roundtrip(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char path[512];
	snprintf(path, sizeof path, "%s/key.json", dir);
	nt_seckey *k = rand_key();
	nt_why why = {{0}};
	assert_int_equal(nt_keyfile_write(path, k, &why), NT_OK);

	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* the documented format, to the byte */
	char *text = tu_read(path, 0, NULL);
	uint8_t sec[32];
	char sec_hex[65], pub_hex[65], want[256];
	nt_pubkey pk;
	nt_seckey_secret(k, sec);
	nt_seckey_pubkey(k, &pk);
	nt_hex_encode(sec, 32, sec_hex);
	nt_hex_encode(pk.b, 32, pub_hex);
	snprintf(want, sizeof want,
		 "{\"type\":\"notary-secret-key/1\",\"secret\":\"%s\",\"pubkey\":\"%s\"}\n",
		 sec_hex, pub_hex);
	assert_string_equal(text, want);
	free(text);

	nt_seckey *back = NULL;
	assert_int_equal(nt_keyfile_read(path, &back, &why), NT_OK);
	nt_pubkey bpk;
	nt_seckey_pubkey(back, &bpk);
	assert_memory_equal(bpk.b, pk.b, 32);
	nt_hash msg;
	nt_sig s1, s2;
	tu_rand_bytes(msg.b, 32);
	assert_int_equal(nt_sign(k, &msg, &s1), NT_OK);
	assert_int_equal(nt_sign(back, &msg, &s2), NT_OK);
	assert_memory_equal(s1.b, s2.b, 64);
	nt_seckey_free(back);

	/* never overwrite, and leave the existing file alone */
	nt_seckey *other = rand_key();
	why.msg[0] = '\0';
	assert_int_equal(nt_keyfile_write(path, other, &why), NT_ERR_EXISTS);
	assert_non_null(strstr(why.msg, path));
	text = tu_read(path, 0, NULL);
	assert_string_equal(text, want);
	free(text);

	/* a missing directory is an error, not a crash */
	snprintf(path, sizeof path, "%s/no/such/dir/key.json", dir);
	assert_int_not_equal(nt_keyfile_write(path, other, NULL), NT_OK);

	/* a symlink at the target is refused too */
	char link[512];
	snprintf(path, sizeof path, "%s/elsewhere", dir);
	snprintf(link, sizeof link, "%s/link.json", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_not_equal(nt_keyfile_write(link, other, NULL), NT_OK);
	assert_int_equal(access(path, F_OK), -1);

	nt_seckey_free(other);
	nt_seckey_free(k);
	tu_rmdir(dir);
	free(dir);
}

static void test_keyfile_perm(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char path[512];
	snprintf(path, sizeof path, "%s/key.json", dir);
	nt_seckey *k = rand_key();
	assert_int_equal(nt_keyfile_write(path, k, NULL), NT_OK);

	static const mode_t modes[] = {0644, 0640, 0604, 0620, 0602, 0610, 0666};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		nt_seckey *out = (nt_seckey *)&out;
		nt_why why = {{0}};
		assert_int_equal(chmod(path, modes[i]), 0);
		assert_int_equal(nt_keyfile_read(path, &out, &why), NT_ERR_PERM);
		assert_ptr_equal(out, (nt_seckey *)&out);
		assert_non_null(strstr(why.msg, "chmod 600"));
		assert_non_null(strstr(why.msg, path));
	}
	nt_why why = {{0}};
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(nt_keyfile_read(path, &(nt_seckey *){NULL}, &why), NT_ERR_PERM);
	assert_non_null(strstr(why.msg, "readable by others (mode 0644)"));

	/* 0400 (read-only for the owner) is fine */
	assert_int_equal(chmod(path, 0400), 0);
	nt_seckey *out = NULL;
	assert_int_equal(nt_keyfile_read(path, &out, NULL), NT_OK);
	nt_seckey_free(out);
	nt_seckey_free(k);
	tu_rmdir(dir);
	free(dir);
}

/* Writes len bytes as a 0600 key file and expects nt_keyfile_read to give e. */
static void expect_read_n(const char *dir, const char *text, size_t len, nt_err e)
{
	char path[512];
	snprintf(path, sizeof path, "%s/bad.json", dir);
	unlink(path);
	tu_write_file(path, text, len, 0600);
	nt_seckey *out = (nt_seckey *)&out;
	nt_why why = {{0}};
	nt_err got = nt_keyfile_read(path, &out, &why);
	if (got != e)
		fail_msg("key file %s: got %s (%s), want %s", text, nt_strerror(got), why.msg,
			 nt_strerror(e));
	if (e == NT_OK) {
		assert_ptr_not_equal(out, (nt_seckey *)&out);
		nt_seckey_free(out);
		return;
	}
	assert_ptr_equal(out, (nt_seckey *)&out);
	assert_non_null(strstr(why.msg, path));
}

static void expect_bad(const char *dir, const char *text, nt_err e)
{
	expect_read_n(dir, text, strlen(text), e);
}

static void test_keyfile_bad(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	/* vector 1 of BIP-340: a known secret and its key */
	const char *sec = "b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef";
	const char *pub = "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659";
	/* vector 2's key, valid but not this secret's */
	const char *other = "dd308afec5777e13121fa72b9cc1b7cc0139715309b086c960e18fd969774eb8";
	char text[512];

	snprintf(text, sizeof text,
		 "{\"type\":\"notary-secret-key/1\",\"secret\":\"%s\",\"pubkey\":\"%s\"}", sec,
		 pub);
	expect_bad(dir, text, NT_OK);
	/* upper-case hex and extra whitespace are still the same key */
	snprintf(
	    text, sizeof text,
	    " {\n \"pubkey\" : \"%s\",\n \"type\":\"notary-secret-key/1\",\n"
	    " \"secret\":\"B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF\"}\n",
	    pub);
	expect_bad(dir, text, NT_OK);

	snprintf(text, sizeof text,
		 "{\"type\":\"notary-secret-key/1\",\"secret\":\"%s\",\"pubkey\":\"%s\"}", sec,
		 other);
	expect_bad(dir, text, NT_ERR_CORRUPT);

	snprintf(text, sizeof text,
		 "{\"type\":\"notary-public-key/1\",\"secret\":\"%s\",\"pubkey\":\"%s\"}", sec,
		 pub);
	expect_bad(dir, text, NT_ERR_JSON);
	snprintf(text, sizeof text, "{\"secret\":\"%s\",\"pubkey\":\"%s\"}", sec, pub);
	expect_bad(dir, text, NT_ERR_JSON);
	snprintf(text, sizeof text, "{\"type\":1,\"secret\":\"%s\",\"pubkey\":\"%s\"}", sec, pub);
	expect_bad(dir, text, NT_ERR_JSON);
	snprintf(text, sizeof text, "{\"type\":\"notary-secret-key/1\",\"secret\":\"%s\"}", sec);
	expect_bad(dir, text, NT_ERR_JSON);
	snprintf(text, sizeof text,
		 "{\"type\":\"notary-secret-key/1\",\"secret\":\"%s\",\"secret\":\"%s\","
		 "\"pubkey\":\"%s\"}",
		 sec, sec, pub);
	expect_bad(dir, text, NT_ERR_JSON);

	expect_bad(dir, "", NT_ERR_JSON);
	expect_bad(dir, "not json at all", NT_ERR_JSON);
	expect_bad(dir, "[\"notary-secret-key/1\"]", NT_ERR_JSON);
	expect_bad(dir, "\"notary-secret-key/1\"", NT_ERR_JSON);
	expect_bad(dir, "{\"type\":\"notary-secret-key/1\",\"secret\":\"b7e1", NT_ERR_JSON);
	static const char bin[] = "\x00\x01\x02garbage\xff\xfe";
	expect_read_n(dir, bin, sizeof bin - 1, NT_ERR_JSON);

	/* bad hex: short, odd, non-hex, number */
	snprintf(text, sizeof text,
		 "{\"type\":\"notary-secret-key/1\",\"secret\":\"%.62s\",\"pubkey\":\"%s\"}", sec,
		 pub);
	expect_bad(dir, text, NT_ERR_DECODE);
	snprintf(text, sizeof text,
		 "{\"type\":\"notary-secret-key/1\",\"secret\":\"%sa\",\"pubkey\":\"%s\"}", sec,
		 pub);
	expect_bad(dir, text, NT_ERR_DECODE);
	snprintf(text, sizeof text,
		 "{\"type\":\"notary-secret-key/1\",\"secret\":\"%s\",\"pubkey\":\"%.63sg\"}", sec,
		 pub);
	expect_bad(dir, text, NT_ERR_DECODE);
	snprintf(text, sizeof text,
		 "{\"type\":\"notary-secret-key/1\",\"secret\":12,\"pubkey\":\"%s\"}", pub);
	expect_bad(dir, text, NT_ERR_JSON);
	/* zero is not a secret key */
	snprintf(text, sizeof text,
		 "{\"type\":\"notary-secret-key/1\",\"secret\":\"%064d\",\"pubkey\":\"%s\"}", 0,
		 pub);
	expect_bad(dir, text, NT_ERR_DECODE);

	/* oversized */
	char *big = malloc(10000);
	assert_non_null(big);
	memset(big, ' ', 9999);
	big[9999] = '\0';
	big[0] = '{';
	big[9998] = '}';
	expect_bad(dir, big, NT_ERR_RANGE);
	free(big);

	/* missing file, and a directory */
	char path[512];
	nt_why why = {{0}};
	nt_seckey *out = NULL;
	snprintf(path, sizeof path, "%s/none.json", dir);
	assert_int_equal(nt_keyfile_read(path, &out, &why), NT_ERR_NOT_FOUND);
	assert_non_null(strstr(why.msg, path));
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(nt_keyfile_read(dir, &out, &why), NT_ERR_IO);
	assert_null(out);
	tu_rmdir(dir);
	free(dir);
}

/* A passphrase-protected key file: round trip, no secret in clear, the
 * wrong passphrase and every altered byte refused, no passphrase asked. */
static void test_keyfile_sealed(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char path[512], path2[512];
	snprintf(path, sizeof path, "%s/sealed.json", dir);
	snprintf(path2, sizeof path2, "%s/edited.json", dir);
	nt_seckey *k = rand_key();
	nt_why why = {{0}};
	static const uint8_t pass[] = "correct horse battery staple";
	assert_int_equal(nt_keyfile_write_pass(path, k, pass, 0, &why), NT_ERR_ARG);
	assert_int_equal(nt_keyfile_write_pass(path, k, pass, sizeof pass - 1, &why), NT_OK);
	assert_int_equal(nt_keyfile_write_pass(path, k, pass, sizeof pass - 1, &why),
			 NT_ERR_EXISTS);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *text = tu_read(path, 0, NULL);
	uint8_t sec[32];
	char sec_hex[65];
	nt_seckey_secret(k, sec);
	nt_hex_encode(sec, 32, sec_hex);
	assert_null(strstr(text, sec_hex));
	assert_non_null(strstr(text, "\"type\":\"notary-secret-key-sealed/1\""));
	assert_non_null(strstr(text, "\"n\":32768,\"r\":8,\"p\":1"));

	nt_seckey *back = NULL;
	assert_int_equal(nt_keyfile_read_pass(path, pass, sizeof pass - 1, &back, &why), NT_OK);
	nt_pubkey a, b;
	nt_seckey_pubkey(k, &a);
	nt_seckey_pubkey(back, &b);
	assert_memory_equal(a.b, b.b, 32);
	nt_seckey_free(back);
	back = NULL;
	/* no passphrase: says how to give one */
	assert_int_equal(nt_keyfile_read(path, &back, &why), NT_ERR_ARG);
	assert_non_null(strstr(why.msg, "passphrase"));
	assert_null(back);
	/* wrong passphrase */
	assert_int_equal(nt_keyfile_read_pass(path, (const uint8_t *)"wrong", 5, &back, &why),
			 NT_ERR_MISMATCH);
	assert_non_null(strstr(why.msg, "wrong passphrase"));
	/* a plain key file reads with or without a passphrase */
	snprintf(path2, sizeof path2, "%s/plain.json", dir);
	assert_int_equal(nt_keyfile_write(path2, k, &why), NT_OK);
	assert_int_equal(nt_keyfile_read_pass(path2, pass, 3, &back, &why), NT_OK);
	nt_seckey_free(back);
	back = NULL;
	/* each hex digit of the sealed, tag, nonce, salt and pubkey changed,
	 * and the cost: refused (the AEAD covers them) */
	static const char *const members[] = {"\"sealed\":\"", "\"tag\":\"",	"\"nonce\":\"",
					      "\"salt\":\"",   "\"pubkey\":\"", "\"r\":"};
	for (size_t m = 0; m < sizeof members / sizeof members[0]; m++) {
		char *edited = strdup(text);
		char *at = strstr(edited, members[m]) + strlen(members[m]);
		*at = *at == '1' ? '2' : '1';
		snprintf(path2, sizeof path2, "%s/edited%zu.json", dir, m);
		tu_write_file(path2, edited, strlen(edited), 0600);
		nt_err e = nt_keyfile_read_pass(path2, pass, sizeof pass - 1, &back, &why);
		if (e == NT_OK)
			fail_msg("an edited %s was accepted", members[m]);
		assert_null(back);
		free(edited);
	}
	free(text);
	nt_seckey_free(k);
	tu_rmdir(dir);
	free(dir);
}

int main(void)
{
	tu_seed();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bip340_vectors),    cmocka_unit_test(test_sign_verify),
	    cmocka_unit_test(test_seckey_bytes),      cmocka_unit_test(test_verify_garbage),
	    cmocka_unit_test(test_keyfile_roundtrip), cmocka_unit_test(test_keyfile_perm),
	    cmocka_unit_test(test_keyfile_bad),	      cmocka_unit_test(test_keyfile_sealed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
