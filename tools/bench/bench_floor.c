/* notary-bench: the floor, measured in the same run as the load so the
 * efficiency ratio compares like with like (same machine, same moment):
 * BIP-340 verifies per second on one core, SHA-256 of a record-sized
 * buffer, LevelDB batched puts with one sync per batch of 1000. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/kv.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "node/kv_leveldb.h"
#include "tools/bench/bench.h"

/* Runs for at least min_ms, in rounds of `chunk` calls. */
static double verify_rate(unsigned min_ms, nt_why *why, nt_err *err)
{
	uint8_t sec[32];
	for (int i = 0; i < 32; i++)
		sec[i] = (uint8_t)(i * 7 + 1);
	nt_seckey *k = NULL;
	*err = nt_seckey_from_bytes(sec, &k);
	if (*err != NT_OK) {
		nt_fail(why, *err, "cannot make a key");
		return 0;
	}
	enum { NMSG = 64 };
	nt_hash msg[NMSG];
	nt_sig sig[NMSG];
	nt_pubkey pk;
	nt_seckey_pubkey(k, &pk);
	for (int i = 0; i < NMSG && *err == NT_OK; i++) {
		nt_sha256(&i, sizeof i, &msg[i]);
		*err = nt_sign(k, &msg[i], &sig[i]);
	}
	nt_seckey_free(k);
	if (*err != NT_OK) {
		nt_fail(why, *err, "cannot sign");
		return 0;
	}
	uint64_t t0 = bench_now_us(), n = 0, bad = 0;
	while (bench_now_us() - t0 < (uint64_t)min_ms * 1000u) {
		for (int i = 0; i < NMSG; i++)
			bad += !nt_verify(&pk, &msg[i], &sig[i]);
		n += NMSG;
	}
	double s = (double)(bench_now_us() - t0) / 1e6;
	if (bad != 0) {
		*err = nt_fail(why, NT_ERR_SIGNATURE, "a floor signature did not verify");
		return 0;
	}
	return (double)n / s;
}

static double sha_rate(unsigned min_ms)
{
	uint8_t rec[300];
	for (size_t i = 0; i < sizeof rec; i++)
		rec[i] = (uint8_t)i;
	nt_hash h;
	uint64_t t0 = bench_now_us(), n = 0;
	while (bench_now_us() - t0 < (uint64_t)min_ms * 1000u) {
		for (int i = 0; i < 1000; i++) {
			nt_sha256(rec, sizeof rec, &h);
			rec[0] = h.b[0]; /* a dependency, so nothing is hoisted */
		}
		n += 1000;
	}
	return (double)n / ((double)(bench_now_us() - t0) / 1e6);
}

/* Keys like the ledger's (a prefix byte and a 32-byte hash), ~300-byte
 * values, 1000 per batch, sync on each batch as the node does per block. */
static double kv_rate(const char *dir, unsigned batches, nt_why *why, nt_err *err)
{
	nt_kv *kv = NULL;
	*err = nt_kv_leveldb_open(dir, &kv, why);
	if (*err != NT_OK)
		return 0;
	uint8_t key[33], val[300];
	memset(val, 0xab, sizeof val);
	uint64_t t0 = bench_now_us(), n = 0;
	for (unsigned b = 0; b < batches && *err == NT_OK; b++) {
		nt_kv_batch *batch = NULL;
		*err = nt_kv_batch_new(&batch);
		for (unsigned i = 0; i < 1000 && *err == NT_OK; i++) {
			uint32_t x = b * 1000u + i;
			key[0] = 'r';
			nt_hash h;
			nt_sha256(&x, sizeof x, &h);
			memcpy(key + 1, h.b, 32);
			memcpy(val, &x, sizeof x);
			*err = nt_kv_batch_put(batch, key, sizeof key, val, sizeof val);
		}
		if (*err == NT_OK)
			*err = nt_kv_write(kv, batch, true, NULL);
		nt_kv_batch_free(batch);
		n += 1000;
	}
	double s = (double)(bench_now_us() - t0) / 1e6;
	nt_kv_close(kv);
	if (*err != NT_OK) {
		nt_fail(why, *err, "LevelDB floor: %s", nt_strerror(*err));
		return 0;
	}
	return (double)n / s;
}

nt_err bench_floor_measure(const char *tmpdir, bool quick, bench_floor *out, nt_why *why)
{
	nt_err e = NT_OK;
	bench_floor f = {0};
	f.cores = sysconf(_SC_NPROCESSORS_ONLN);
	f.verifies_per_s = verify_rate(quick ? 300 : 1500, why, &e);
	if (e != NT_OK)
		return e;
	f.sha256_per_s = sha_rate(quick ? 200 : 1000);
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/floor-leveldb", tmpdir);
	f.kv_puts_per_s = kv_rate(dir, quick ? 20 : 100, why, &e);
	if (e != NT_OK)
		return e;
	*out = f;
	return NT_OK;
}
