# glearn: graph learning in C.  `make help` lists the targets.

CC       ?= gcc
PREFIX   ?= /usr/local
OPT      ?= -O3 -march=native -fno-math-errno
CFLAGS   ?= $(OPT)
WARN      = -std=c11 -ffp-contract=fast -D_GNU_SOURCE -Wall -Wextra -Werror -fopenmp
INC       = -I. -I/usr/include/suitesparse -I/usr/include/igraph \
            -I/usr/include/x86_64-linux-gnu/openblas-pthread
LIBS      = -lopenblas -lmetis -lcxsparse -ligraph -lmatio -lz -lcurl \
            -lcrypto -lm -fopenmp

MODULES   = core graph datasets sampler optim gnn embed
LIB_SRC   = $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
# Every tools/*.c but the shared helpers is a program.
TOOLS     = $(patsubst tools/%.c,%,$(filter-out tools/cli.c,$(wildcard tools/*.c)))
TEST_SRC  = $(wildcard tests/*.c)
BENCH_SRC = $(wildcard bench/*.c)
HDRS      = glearn.h $(foreach m,$(MODULES) tools tests,$(wildcard $(m)/*.h))

# Two builds side by side: the optimised one in build/, the sanitized one
# (AddressSanitizer + UndefinedBehaviorSanitizer) in build-san/.
B        ?= build
SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=all

LIB_OBJ   = $(LIB_SRC:%.c=$(B)/%.o)
TEST_OBJ  = $(TEST_SRC:%.c=$(B)/%.o)
# The tools of the optimised build go to bin/, the sanitized ones stay in
# build-san/bin/ (the tests run the tools of their own build: GLEARN_BIN).
BINDIR    = $(if $(filter build,$(B)),bin,$(B)/bin)
BIN       = $(TOOLS:%=$(BINDIR)/%)

.PHONY: all lib tools test test-san san check deps bench-deps bench \
        bench-accuracy install \
        uninstall clean help run-main

all: lib tools $(B)/glearn-tests

help:
	@echo "make            build libglearn.a, the tools in bin/ and the tests"
	@echo "make deps       install the Debian packages glearn needs (apt-get)"
	@echo "make test       run the test suite"
	@echo "make test-san   run the test suite under ASan + UBSan"
	@echo "make bench      benchmarks against the references in bench/"
	@echo "make bench-deps install the benchmark references' packages"
	@echo "make bench-accuracy  accuracy tables of every model and embedding (slow)"
	@echo "make install    install library, headers and tools under PREFIX"

lib: $(B)/libglearn.a
tools: $(BIN)

$(B)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(INC) -c $< -o $@

$(B)/libglearn.a: $(LIB_OBJ)
	@mkdir -p $(B)
	rm -f $@ && ar rcs $@ $^

# Every tool links the shared command-line helpers of tools/cli.c.
$(BINDIR)/%: $(B)/tools/%.o $(B)/tools/cli.o $(B)/libglearn.a
	@mkdir -p $(BINDIR)
	$(CC) $(WARN) $(CFLAGS) $< $(B)/tools/cli.o $(B)/libglearn.a $(LIBS) -o $@

$(B)/glearn-tests: $(TEST_OBJ) $(B)/libglearn.a
	$(CC) $(WARN) $(CFLAGS) $(TEST_OBJ) $(B)/libglearn.a $(LIBS) -o $@

# The tests find the tools and the datasets relative to the repository root.
test: all
	GLEARN_BIN=$(BINDIR) ./$(B)/glearn-tests $(T)

test-san san:
	$(MAKE) B=build-san CFLAGS="$(SAN_FLAGS)" build-san/glearn-tests tools
	GLEARN_BIN=build-san/bin ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	GLEARN_SANITIZED=1 ./build-san/glearn-tests $(T)

check: test test-san

# Debian packages; safe to run twice (apt-get install is idempotent).
DEPS = build-essential pkg-config libopenblas-dev libmetis-dev \
       libsuitesparse-dev libigraph-dev zlib1g-dev libmatio-dev \
       libcurl4-openssl-dev libssl-dev python3-numpy python3-gensim
BENCH_DEPS = python3-torch python3-scipy python3-gensim python3-numpy
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(DEPS)
bench-deps: deps
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(BENCH_DEPS)

bench: all $(B)/glearn-bench
	bench/run.sh

$(B)/glearn-bench: $(BENCH_SRC:%.c=$(B)/%.o) $(B)/libglearn.a
	$(CC) $(WARN) $(CFLAGS) $(BENCH_SRC:%.c=$(B)/%.o) $(B)/libglearn.a $(LIBS) -o $@

# Accuracy tables (long: RUNS=10 seeds of every model and dataset).
bench-accuracy: all
	/usr/bin/python3 bench/accuracy.py
	/usr/bin/python3 bench/embed_quality.py

# The main job of the README.
run-main: all
	./bin/gnn-train cora gcn

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
	  $(DESTDIR)$(PREFIX)/include/glearn
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(B)/libglearn.a $(DESTDIR)$(PREFIX)/lib/
	install -m 644 glearn.h $(DESTDIR)$(PREFIX)/include/glearn/
	for m in $(MODULES); do \
	  install -d $(DESTDIR)$(PREFIX)/include/glearn/$$m; \
	  for h in $$m/*.h; do [ -f "$$h" ] && \
	    install -m 644 $$h $(DESTDIR)$(PREFIX)/include/glearn/$$m/; done; \
	done; true

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(PREFIX)/bin/%) $(DESTDIR)$(PREFIX)/lib/libglearn.a
	rm -rf $(DESTDIR)$(PREFIX)/include/glearn

clean:
	rm -rf build build-san bin
