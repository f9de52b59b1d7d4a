/* Shared by the fuzz targets (tests/fuzz/fuzz_*.c) and the standalone
 * driver. Each target defines LLVMFuzzerTestOneInput; libFuzzer (make fuzz)
 * or tests/fuzz/standalone.c (make test, gcc + ASan) calls it.
 *
 * A target must never leak, never keep state that changes what a later input
 * does (beyond caches loaded once), and abort only when a property of OUR
 * code is broken (a round trip that does not round-trip, an error reply that
 * is not JSON): the sanitizers and fz_check turn those into crash files. */
#ifndef NT_FUZZ_H
#define NT_FUZZ_H

#include "node/genesis_file.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant of the code under test: report and abort, so that
 * libFuzzer saves the input. */
#define fz_check(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz: property failed at %s:%d: %s\n", __FILE__,          \
				__LINE__, #cond);                                                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Consumes a result the target does not care about (gcc ignores a (void)
 * cast on warn_unused_result). */
static inline void fz_ignore(nt_err e)
{
	(void)e;
}

/* The genesis of tests/vectors/receipt-v1 (NT_VECTORS overrides the
 * directory), loaded on first use. A missing file is a broken test setup,
 * not an input problem, so it aborts with a message. */
static inline const nt_genesis *fz_load_vector_genesis(nt_genesis *g, const char *sub)
{
	const char *dir = getenv("NT_VECTORS");
	char path[1024];
	nt_why why = {""};
	snprintf(path, sizeof path, "%s/%s/genesis.json", dir != NULL ? dir : "tests/vectors", sub);
	if (nt_genesis_load(path, g, &why) != NT_OK) {
		fprintf(stderr, "fuzz: cannot load %s: %s (run from the repository root)\n", path,
			why.msg);
		abort();
	}
	return g;
}

/* The notary-genesis/2 of tests/vectors/receipt-v2, as above. */
static inline const nt_genesis *fz_vector_genesis_v2(void)
{
	static nt_genesis g;
	static int loaded;
	if (!loaded) {
		fz_load_vector_genesis(&g, "receipt-v2");
		loaded = 1;
	}
	return &g;
}

static inline const nt_genesis *fz_vector_genesis(void)
{
	static nt_genesis g;
	static int loaded;
	if (!loaded) {
		const char *dir = getenv("NT_VECTORS");
		char path[1024];
		nt_why why = {""};
		snprintf(path, sizeof path, "%s/receipt-v1/genesis.json",
			 dir != NULL ? dir : "tests/vectors");
		if (nt_genesis_load(path, &g, &why) != NT_OK) {
			fprintf(stderr, "fuzz: cannot load %s: %s (run from the repository root)\n",
				path, why.msg);
			abort();
		}
		loaded = 1;
	}
	return &g;
}

/* For targets that read files: a private directory made on first use, on
 * /dev/shm when it is writable (inputs run at memory speed), else /tmp,
 * emptied and removed when the process exits (a crash leaves it behind).
 * fz_scratch_path puts name in it. One target per process, so one
 * directory; tag names it (nt-fuzz-TAG-XXXXXX). */
static char fz_scratch[64];

static inline void fz_scratch_cleanup(void)
{
	DIR *d = opendir(fz_scratch);
	if (d != NULL) {
		struct dirent *e;
		char p[sizeof fz_scratch + 256];
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
				snprintf(p, sizeof p, "%s/%s", fz_scratch, e->d_name);
				unlink(p);
			}
		closedir(d);
	}
	rmdir(fz_scratch);
}

static inline void fz_scratch_path(const char *tag, const char *name, char *out, size_t cap)
{
	if (fz_scratch[0] == '\0') {
		const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(fz_scratch, sizeof fz_scratch, "%s/nt-fuzz-%s-XXXXXX", base, tag);
		fz_check(mkdtemp(fz_scratch) != NULL);
		atexit(fz_scratch_cleanup);
	}
	fz_check((size_t)snprintf(out, cap, "%s/%s", fz_scratch, name) < cap);
}

#endif
