# notary: evidence-notarization ledger.
#   make          build build/notaryd and build/notary (installs missing packages)
#   make test     unit tests (plain and ASan+UBSan builds) and process tests
#   make run      start a one-validator ledger on tcp://127.0.0.1:7400

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
CPPFLAGS = -I. -D_GNU_SOURCE
STD      = -std=c11
LIBS     = -lnng -lleveldb -lsecp256k1 -ljansson -lssl -lcrypto -lpthread
SANFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

B        = build
LIB_SRC  = $(wildcard core/*.c crypto/*.c net/*.c)
NODE_SRC = $(filter-out node/main.c,$(wildcard node/*.c))
TOOL_SRC = $(wildcard tools/*.c)
TEST_SRC = $(wildcard tests/test_*.c)
TESTS    = $(TEST_SRC:tests/%.c=$(B)/tests/%)
ASAN_TESTS = $(TEST_SRC:tests/%.c=$(B)/asan/tests/%)

obj      = $(patsubst %.c,$(B)/obj/%.o,$(1))
aobj     = $(patsubst %.c,$(B)/asan/obj/%.o,$(1))

DEPS_OK  = $(B)/.deps-ok

.PHONY: all test unit run deps clean format
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
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/%: $(B)/obj/tests/%.o $(B)/obj/tests/testutil.o $(B)/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(B)/asan/tests/%: $(B)/asan/obj/tests/%.o $(B)/asan/obj/tests/testutil.o $(B)/asan/libnotary.a
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LIBS) -lcmocka

unit: $(TESTS) $(ASAN_TESTS)

# The test runner prints one summary line "N passed, N failed".
test: all unit
	@python3 tests/run.py --build $(B)

run: all
	@B=$(B) sh tools/dev-run.sh

format:
	clang-format -i $(LIB_SRC) $(NODE_SRC) node/main.c $(TOOL_SRC) $(wildcard */*.h tests/*.c)

clean:
	rm -rf $(B)

.SECONDARY:
-include $(shell find $(B) -name '*.d' 2>/dev/null)
