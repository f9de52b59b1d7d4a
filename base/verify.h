/* NT_VERIFY(cond): an invariant of our own, checked in test builds.
 *
 * Built with -DNT_VERIFY_ON (the sanitizer build, SANFLAGS, and the
 * simulator's own core objects under build/sim/), a false cond prints
 * "file:line: NT_VERIFY failed: cond" to stderr and aborts, at the line
 * that broke the invariant. In every other build it costs nothing: cond is
 * not evaluated, only type-checked (inside sizeof), so a variable kept for
 * a check is still "used". After libsecp256k1's VERIFY_CHECK (src/util.h).
 *
 * Only for our own invariants (STYLE.md, habit 4): bytes from a peer, a
 * client or the disk get an error code, never an NT_VERIFY. cond must have
 * no side effects: release builds do not run it. */
#ifndef NT_VERIFY_H
#define NT_VERIFY_H

#ifdef NT_VERIFY_ON
#include <stdio.h>
#include <stdlib.h>

#define NT_VERIFY(cond)                                                                            \
	do {                                                                                       \
		if (__builtin_expect(!(cond), 0)) {                                                \
			fprintf(stderr, "%s:%d: NT_VERIFY failed: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)
#else
#define NT_VERIFY(cond) ((void)sizeof(!(cond)))
#endif

#endif
