# notary: evidence-notarization ledger.
#   make          build build/notaryd and build/notary (installs missing packages)
#   make test     unit tests (plain and ASan+UBSan builds) and process tests (one under TSan)
#   make check    the fast tier: layering check, plain unit tests, fuzz corpora (seconds)
#   make run      start a one-validator ledger on tcp://127.0.0.1:7400
#   make fuzz     libFuzzer run of every decoder (clang; FUZZ_SECONDS each, default 60)
#   make web      build/web/verify.html, the offline verification page (node + npm)

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
CPPFLAGS = -I. -D_GNU_SOURCE
STD      = -std=c11
LIBS     = -lnng -lleveldb -lsecp256k1 -ljansson -lssl -lcrypto -lpthread
# The notary CLI alone draws certificates (tools/cert_pdf.c: cairo, pango,
# libqrencode) and packs receipts for QR codes (zlib); notaryd links none
# of them. Expanded when used, so that a first `make` finds them once
# tools/install-deps.sh has installed the packages.
CERT_PKGS   = pangocairo cairo-pdf libqrencode zlib
CERT_CFLAGS = $(shell pkg-config --cflags $(CERT_PKGS))
CERT_LIBS   = $(shell pkg-config --libs $(CERT_PKGS))
# The sanitizer build also checks our own invariants (NT_VERIFY, base/verify.h).
SANFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -DNT_VERIFY_ON

B        = build
LIB_SRC  = $(wildcard base/*.c core/*.c crypto/*.c net/*.c)
NODE_SRC = $(filter-out node/main.c,$(wildcard node/*.c))
TOOL_SRC = $(wildcard tools/*.c)
TEST_SRC = $(wildcard tests/test_*.c)
TESTS    = $(TEST_SRC:tests/%.c=$(B)/tests/%)
ASAN_TESTS = $(TEST_SRC:tests/%.c=$(B)/asan/tests/%)

obj      = $(patsubst %.c,$(B)/obj/%.o,$(1))
aobj     = $(patsubst %.c,$(B)/asan/obj/%.o,$(1))

DEPS_OK  = $(B)/.deps-ok

.PHONY: all test check unit run deps clean format fuzz fuzz-build sim sim-long bench micro tsan tsan-smoke web web-skip web-test
all: $(B)/notaryd $(B)/notary

$(DEPS_OK): tools/install-deps.sh
	@mkdir -p $(B)
	@sh tools/install-deps.sh
	@touch $@
deps: $(DEPS_OK)

$(B)/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c $< -o $@

$(B)/asan/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CPPFLAGS) $(SANFLAGS) $(WARN) -MMD -MP -c $< -o $@

$(B)/libnotary.a: $(call obj,$(LIB_SRC) $(NODE_SRC))
	@rm -f $@
	ar rcs $@ $^

$(B)/asan/libnotary.a: $(call aobj,$(LIB_SRC) $(NODE_SRC))
	@rm -f $@
	ar rcs $@ $^

$(B)/notaryd: $(call obj,node/main.c) $(B)/libnotary.a
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

$(B)/notary: $(call obj,$(TOOL_SRC)) $(B)/libnotary.a
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) $(CERT_LIBS)

$(B)/obj/tools/cert_pdf.o $(B)/tsan/obj/tools/cert_pdf.o: CPPFLAGS += $(CERT_CFLAGS)

$(B)/tests/%: $(B)/obj/tests/%.o $(B)/obj/tests/testutil.o $(B)/obj/tests/solo.o $(B)/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(B)/asan/tests/%: $(B)/asan/obj/tests/%.o $(B)/asan/obj/tests/testutil.o $(B)/asan/obj/tests/solo.o $(B)/asan/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LIBS) -lcmocka

# The consensus tests (tests/test_consensus_*.c) share the engine's test
# harness, tests/cons_harness.c, and the ledger tests (tests/test_ledger_*.c)
# tests/ledger_fix.c. (make picks the rule with the shorter stem.)
$(B)/tests/test_consensus_%: $(B)/obj/tests/test_consensus_%.o $(B)/obj/tests/cons_harness.o $(B)/obj/tests/testutil.o $(B)/obj/tests/solo.o $(B)/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(B)/asan/tests/test_consensus_%: $(B)/asan/obj/tests/test_consensus_%.o $(B)/asan/obj/tests/cons_harness.o $(B)/asan/obj/tests/testutil.o $(B)/asan/obj/tests/solo.o $(B)/asan/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(B)/tests/test_ledger_%: $(B)/obj/tests/test_ledger_%.o $(B)/obj/tests/ledger_fix.o $(B)/obj/tests/testutil.o $(B)/obj/tests/solo.o $(B)/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(B)/asan/tests/test_ledger_%: $(B)/asan/obj/tests/test_ledger_%.o $(B)/asan/obj/tests/ledger_fix.o $(B)/asan/obj/tests/testutil.o $(B)/asan/obj/tests/solo.o $(B)/asan/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LIBS) -lcmocka

# The pool of set changes (tests/test_valset_change.c) runs its changes
# through a ledger too, so it shares the ledger tests' fixture.
$(B)/tests/test_valset_change: $(B)/obj/tests/test_valset_change.o $(B)/obj/tests/ledger_fix.o $(B)/obj/tests/testutil.o $(B)/obj/tests/solo.o $(B)/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(B)/asan/tests/test_valset_change: $(B)/asan/obj/tests/test_valset_change.o $(B)/asan/obj/tests/ledger_fix.o $(B)/asan/obj/tests/testutil.o $(B)/asan/obj/tests/solo.o $(B)/asan/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LIBS) -lcmocka

# The verdict for people (tests/test_verdict.c) is the CLI's: it links
# tools/verdict.c, which libnotary.a does not hold.
$(B)/tests/test_verdict: $(B)/obj/tests/test_verdict.o $(B)/obj/tools/verdict.o $(B)/obj/tests/testutil.o $(B)/obj/tests/solo.o $(B)/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(B)/asan/tests/test_verdict: $(B)/asan/obj/tests/test_verdict.o $(B)/asan/obj/tools/verdict.o $(B)/asan/obj/tests/testutil.o $(B)/asan/obj/tests/solo.o $(B)/asan/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LIBS) -lcmocka

# The client settings file (tests/test_cli_settings.c) is the CLI's parser:
# it links tools/cli_settings.c, which libnotary.a does not hold.
$(B)/tests/test_cli_settings: $(B)/obj/tests/test_cli_settings.o $(B)/obj/tools/cli_settings.o $(B)/obj/tests/testutil.o $(B)/obj/tests/solo.o $(B)/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(B)/asan/tests/test_cli_settings: $(B)/asan/obj/tests/test_cli_settings.o $(B)/asan/obj/tools/cli_settings.o $(B)/asan/obj/tests/testutil.o $(B)/asan/obj/tests/solo.o $(B)/asan/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LIBS) -lcmocka

# The verification page (docs/VERIFY-PAGE.md): tools/web/ bundled into one
# self-contained HTML file. npm ci installs the exact versions of
# tools/web/package-lock.json into tools/web/node_modules (not committed).
# node and npm do not come from Debian here: `make` builds the page when both
# are on PATH and says so in one line when they are not.
WEB_DIR  = tools/web
WEB_PAGE = $(B)/web/verify.html
WEB_DEPS = $(WEB_DIR)/node_modules/.npm-ci-ok
HAVE_NODE := $(shell command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && echo yes)

$(WEB_DEPS): $(WEB_DIR)/package.json $(WEB_DIR)/package-lock.json
	cd $(WEB_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB_PAGE): $(WEB_DEPS) $(wildcard $(WEB_DIR)/src/*) $(WEB_DIR)/build.mjs
	cd $(WEB_DIR) && node build.mjs --out $(abspath $(WEB_PAGE))

web: $(WEB_PAGE)

ifeq ($(HAVE_NODE),yes)
all: $(WEB_PAGE)
else
all: web-skip
endif
# Chromium for tests/it_web.py, installed as the other packages are.
$(B)/.web-deps-ok: tools/install-deps.sh | $(DEPS_OK)
	@sh tools/install-deps.sh web
	@touch $@

web-skip:
	@echo "web: node and npm not found: build/web/verify.html not built (docs/VERIFY-PAGE.md)"

# The page's own tests: SM3 vectors, both languages' words, and the verifier
# against build/notary verify on every case of tests/vectors/ (make test runs
# these and the browser tests through tests/it_web.py).
web-test: $(WEB_PAGE) $(B)/notary $(B)/.web-deps-ok
	cd $(WEB_DIR) && NT_BUILD=$(abspath $(B)) node --test test/
	@NT_BUILD=$(abspath $(B)) python3 tests/it_web.py

# Fuzz targets (tests/fuzz/README.md). make test runs each one's corpus
# through a gcc ASan+UBSan build with a plain main() (standalone.c);
# make fuzz builds them with clang's libFuzzer and runs them.
FUZZ_TARGETS = record header commit block receipt genesis peermsg rpc wal merklelog signstate config keyfile nodestate change qr office keylist
FUZZ_ASAN    = $(FUZZ_TARGETS:%=$(B)/asan/fuzz/fuzz_%)
FUZZ_BINS    = $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang-14
FUZZ_FLAGS   = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
fobj         = $(patsubst %.c,$(B)/fuzz/obj/%.o,$(1))

$(B)/asan/fuzz/fuzz_%: $(B)/asan/obj/tests/fuzz/fuzz_%.o $(B)/asan/obj/tests/fuzz/standalone.o $(B)/asan/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LIBS)

# The compact receipt's decoder (tools/qr_receipt.c, included by its
# target) inflates with zlib.
$(B)/asan/fuzz/fuzz_qr $(B)/fuzz/fuzz_qr: LIBS += -lz

# clang is needed only here, so its packages are a separate list.
$(B)/.fuzz-deps-ok: tools/install-deps.sh | $(DEPS_OK)
	@sh tools/install-deps.sh fuzz
	@touch $@

# -Werror stays with the gcc build: another compiler's new warnings must
# not stop a fuzz run.
$(B)/fuzz/obj/%.o: %.c | $(B)/.fuzz-deps-ok
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(STD) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(filter-out -Werror,$(WARN)) -MMD -MP -c $< -o $@

$(B)/fuzz/libnotary.a: $(call fobj,$(LIB_SRC) $(NODE_SRC))
	@rm -f $@
	ar rcs $@ $^

$(B)/fuzz/fuzz_%: $(B)/fuzz/obj/tests/fuzz/fuzz_%.o $(B)/fuzz/libnotary.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@B=$(B) FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZ_TARGETS)

unit: $(TESTS) $(ASAN_TESTS) $(FUZZ_ASAN)

# The deterministic simulator (tools/sim/README.md): base/, core/ and
# crypto/ only, never node/ or net/, so it links its own archive. Its
# objects are its own (build/sim/obj/), built as the release ones but with
# NT_VERIFY on (base/verify.h): an invariant a simulated run breaks aborts
# at its line.
SIM_SRC  = $(wildcard tools/sim/*.c)
CORE_SRC = $(wildcard base/*.c core/*.c crypto/*.c)
SIM_LIBS = -lsecp256k1 -ljansson -lssl -lcrypto
SIM_LONG_SEEDS ?= 3000
sobj     = $(patsubst %.c,$(B)/sim/obj/%.o,$(1))

$(B)/sim/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CPPFLAGS) $(CFLAGS) -DNT_VERIFY_ON $(WARN) -MMD -MP -c $< -o $@

$(B)/sim/libnotary-core.a: $(call sobj,$(CORE_SRC))
	@rm -f $@
	ar rcs $@ $^

$(B)/notary-sim: $(call sobj,$(SIM_SRC)) $(B)/sim/libnotary-core.a
	$(CC) $(CFLAGS) -o $@ $^ $(SIM_LIBS)

$(B)/asan/libnotary-core.a: $(call aobj,$(CORE_SRC))
	@rm -f $@
	ar rcs $@ $^

$(B)/asan/notary-sim: $(call aobj,$(SIM_SRC)) $(B)/asan/libnotary-core.a
	$(CC) $(SANFLAGS) -o $@ $^ $(SIM_LIBS)

sim: $(B)/notary-sim

sim-long: $(B)/notary-sim
	$(B)/notary-sim --seeds $(SIM_LONG_SEEDS) --start 1 --validators 4 --byzantine 1 --faults all
	$(B)/notary-sim --seeds $$(( $(SIM_LONG_SEEDS) / 4 )) --start 100001 --validators 7 --byzantine 2 --faults all
	$(B)/notary-sim --seeds $$(( $(SIM_LONG_SEEDS) / 4 )) --start 200001 --validators 5 --byzantine 1 --faults all --records 30
	$(B)/notary-sim --seeds $$(( $(SIM_LONG_SEEDS) / 4 )) --start 300001 --validators 5 --byzantine 1 --faults all --changes 4

# The benchmark (docs/PERFORMANCE.md): starts notaryd processes, so it
# needs the two binaries beside it.
BENCH_SRC = $(wildcard tools/bench/*.c)

$(B)/notary-bench: $(call obj,$(BENCH_SRC)) $(B)/libnotary.a
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) -lm

bench: all $(B)/notary-bench

# Micro-benchmarks of hot spots (SHA-256, receipts, check_block + append of
# a large block, the node's durable writes, tcp:// against tls+tcp://).
# make test builds it but does not run it: timings are not pass/fail.
$(B)/bench-micro: $(call obj,tests/bench_micro.c tests/bench_transport.c) $(B)/libnotary.a
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

micro: $(B)/bench-micro

# ThreadSanitizer build of the node, the CLI and the bench (docs/ARCHITECTURE.md,
# "Threads"): build/tsan/notary-bench starts build/tsan/notaryd, and
# NT_BUILD=build/tsan runs the process tests on it; make test runs only
# the smoke below on it (~20 s).
TSANFLAGS = -O1 -g -fsanitize=thread -fno-omit-frame-pointer
tobj      = $(patsubst %.c,$(B)/tsan/obj/%.o,$(1))

$(B)/tsan/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CPPFLAGS) $(TSANFLAGS) $(WARN) -MMD -MP -c $< -o $@

$(B)/tsan/libnotary.a: $(call tobj,$(LIB_SRC) $(NODE_SRC))
	@rm -f $@
	ar rcs $@ $^

$(B)/tsan/notaryd: $(call tobj,node/main.c) $(B)/tsan/libnotary.a
	$(CC) $(TSANFLAGS) -o $@ $^ $(LIBS)

$(B)/tsan/notary: $(call tobj,$(TOOL_SRC)) $(B)/tsan/libnotary.a
	$(CC) $(TSANFLAGS) -o $@ $^ $(LIBS) $(CERT_LIBS)

$(B)/tsan/notary-bench: $(call tobj,$(BENCH_SRC)) $(B)/tsan/libnotary.a
	$(CC) $(TSANFLAGS) -o $@ $^ $(LIBS) -lm

tsan: $(B)/tsan/notaryd $(B)/tsan/notary $(B)/tsan/notary-bench

# The smoke that make test runs (tests/it_tsan.py): a short 4-validator
# bench under ThreadSanitizer that fails on any report of any process.
tsan-smoke: tsan
	@NT_BUILD=$(B) python3 tests/it_tsan.py

# The test runner prints one summary line "N passed, N failed"; it runs
# TEST_JOBS tests at once (tests/run.py -j).
TEST_JOBS ?= 2

WEB_TEST_DEPS = $(if $(filter yes,$(HAVE_NODE)),$(B)/.web-deps-ok)

test: all unit $(B)/notary-sim $(B)/notary-bench $(B)/bench-micro tsan $(WEB_TEST_DEPS)
	@python3 tests/run.py --build $(B) -j$(TEST_JOBS)

# The fast tier, for every edit: the layering check (tests/layers.py),
# plain unit tests and the fuzz corpora (seconds once built); make test
# runs everything.
check: $(TESTS) $(FUZZ_ASAN)
	@python3 tests/run.py --build $(B) --fast -j$(TEST_JOBS)

run: all
	@B=$(B) sh tools/dev-run.sh

format:
	clang-format -i $(LIB_SRC) $(NODE_SRC) node/main.c $(TOOL_SRC) $(SIM_SRC) $(BENCH_SRC) $(wildcard */*.h tools/sim/*.h tools/bench/*.h tests/*.c tests/fuzz/*.c)

clean:
	rm -rf $(B)

.SECONDARY:
-include $(shell find $(B) -name '*.d' 2>/dev/null)
