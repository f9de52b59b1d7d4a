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

#include "core/genesis.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#endif
