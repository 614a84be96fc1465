# glearn: graph learning in C.  `make help` lists the targets.

CC       ?= gcc
PREFIX   ?= /usr/local
OPT      ?= -O3 -fno-math-errno
CFLAGS   ?= $(OPT)
# Portable by default: the library runs on any x86-64 and each a * b + c is
# rounded twice, as ISO C says.  NATIVE=1 builds for this machine's CPU
# (AVX2, FMA, ...) and lets the compiler fuse a * b + c into one rounding:
# faster, but the last bits of results then depend on the CPU.
ARCH      = $(if $(filter 1,$(NATIVE)),-march=native -ffp-contract=fast)
WARN      = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -fopenmp $(ARCH)
# Open MPI's headers and library (dist/ alone includes mpi.h).
MPI_INC   = -I/usr/lib/x86_64-linux-gnu/openmpi/include
MPI_LIB   = -L/usr/lib/x86_64-linux-gnu/openmpi/lib -lmpi
INC       = -I. -I/usr/include/suitesparse -I/usr/include/igraph \
            -I/usr/include/x86_64-linux-gnu/openblas-pthread $(MPI_INC)
LIBS      = -lopenblas -lmetis -lcxsparse -ligraph -lmatio -lz -lcurl \
            -lcrypto $(MPI_LIB) -lm -fopenmp

MODULES   = core graph datasets sampler optim gnn embed dist
LIB_SRC   = $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
# Every tools/*.c but the shared helpers, the tools' option tables and
# parsers (tools/TOOL-opts.c) and the wait policy's library is a program.
CLI_SRC   = tools/cli.c $(wildcard tools/*-opts.c)
TOOLS     = $(patsubst tools/%.c,%,$(filter-out $(CLI_SRC) tools/omp-passive.c,\
              $(wildcard tools/*.c)))
TEST_SRC  = $(wildcard tests/*.c)
BENCH_SRC = $(wildcard bench/*.c)
HDRS      = glearn.h $(foreach m,$(MODULES) tools tests,$(wildcard $(m)/*.h))
# The installed headers: glearn.h and each module's public header, not the
# modules' private internal.h.
PUB_HDRS  = glearn.h $(filter-out %/internal.h,$(foreach m,$(MODULES),\
              $(wildcard $(m)/*.h)))

# The version, read from the public header (its one definition): the
# shared library is libglearn.so.MAJOR.MINOR.PATCH with soname
# libglearn.so.MAJOR.
version   = $(shell sed -n \
              's/^.define GL_VERSION_$(1)  *\([0-9]*\) *$$/\1/p' core/core.h)
MAJOR    := $(call version,MAJOR)
VERSION  := $(MAJOR).$(call version,MINOR).$(call version,PATCH)
ifneq ($(words $(subst ., ,$(VERSION))),3)
  $(error cannot read GL_VERSION_MAJOR, _MINOR and _PATCH from core/core.h)
endif
SONAME    = libglearn.so.$(MAJOR)
SOFILE    = libglearn.so.$(VERSION)

# Two builds side by side: the optimised one in build/, the sanitized one
# (AddressSanitizer + UndefinedBehaviorSanitizer) in build-san/.
B        ?= build
SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=all

LIB_OBJ   = $(LIB_SRC:%.c=$(B)/%.o)
# The library's objects serve the static and the shared library alike:
# position-independent, but calls inside the library bound and inlined as
# before (no interposition of glearn's own functions), so the same code.
PIC       = -fPIC -fno-semantic-interposition
$(LIB_OBJ): OBJ_FLAGS = $(PIC)
TEST_OBJ  = $(TEST_SRC:%.c=$(B)/%.o)
# The tools of the optimised build go to bin/, the sanitized ones stay in
# build-san/bin/ (the tests run the tools of their own build: GLEARN_BIN).
BINDIR    = $(if $(filter build,$(B)),bin,$(B)/bin)
BIN       = $(TOOLS:%=$(BINDIR)/%)

.PHONY: all lib tools test test-san san check deps bench-deps bench \
        bench-accuracy bench-gnnbench bench-dist install \
        uninstall clean help run-main fuzz fuzzers fuzz-run FORCE

all: lib tools $(B)/glearn-tests

help:
	@echo "make            build libglearn.a and libglearn.so (in build/), the"
	@echo "                tools in bin/ and the tests"
	@echo "make deps       install the Debian packages glearn needs (apt-get)"
	@echo "make test       run the test suite"
	@echo "make test-san   run the test suite under ASan + UBSan"
	@echo "make fuzz       build the libFuzzer harnesses of fuzz/ (clang) in"
	@echo "                build-fuzz/"
	@echo "make fuzz-run   run each harness FUZZ_TIME seconds ($(FUZZ_TIME)) over"
	@echo "                a copy of its corpus; fails on a crash"
	@echo "make NATIVE=1   build for this machine's CPU (-march=native,"
	@echo "                fused multiply-adds): faster, not portable"
	@echo "make bench      benchmarks against the references in bench/"
	@echo "make bench-deps install the benchmark references' packages"
	@echo "make bench-dist the distributed scale run and its scaling model"
	@echo "make bench-accuracy  accuracy tables of every model and embedding (slow)"
	@echo "make bench-gnnbench  GCN, GAT, GraphMix with defaults on the gnn-benchmark sets"
	@echo "make install    install under PREFIX (/usr/local; DESTDIR=DIR"
	@echo "                stages it in DIR): lib/ libglearn.so.$(VERSION), its"
	@echo "                links, libglearn.a and libglearn-passive.so,"
	@echo "                lib/pkgconfig/glearn.pc,"
	@echo "                include/glearn/ the headers, bin/ the tools,"
	@echo "                share/man/man1/ their pages,"
	@echo "                share/glearn/data/ the shipped datasets"
	@echo "make uninstall  remove what make install put there (same PREFIX,"
	@echo "                DESTDIR)"
	@echo "make clean      remove build/, build-san/, build-fuzz/ and bin/"

lib: $(B)/libglearn.a $(B)/libglearn.so
tools: $(BIN)

# The compile command, kept in $(B)/.cflags (rewritten only when it
# changes): every object depends on it, so other CFLAGS, or objects from
# before the library's were position-independent, are compiled again.
COMPILE = $(CC) $(WARN) $(CFLAGS) $(INC) | $(PIC)
$(B)/.cflags: FORCE
	@mkdir -p $(B)
	@echo '$(COMPILE)' | cmp -s - $@ || echo '$(COMPILE)' > $@

$(B)/%.o: %.c $(HDRS) $(B)/.cflags
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(OBJ_FLAGS) $(INC) -c $< -o $@

$(B)/libglearn.a: $(LIB_OBJ)
	@mkdir -p $(B)
	rm -f $@ && ar rcs $@ $^

# The shared library carries its dependencies (a program links -lglearn
# alone) and must leave no symbol undefined.
$(B)/$(SOFILE): $(LIB_OBJ)
	$(CC) $(WARN) $(CFLAGS) -shared -Wl,-soname,$(SONAME) \
	  -Wl,--no-undefined $^ $(LIBS) -o $@
$(B)/$(SONAME): $(B)/$(SOFILE)
	ln -sfn $(SOFILE) $@
$(B)/libglearn.so: $(B)/$(SONAME)
	ln -sfn $(SONAME) $@

# Every tool links libglearn-cli.a, the shared command-line helpers of
# tools/cli.c and the tools' option parsers (which the fuzzers link too),
# and libglearn-passive.so after libgomp (OMP_WAIT_POLICY=passive before
# libgomp starts: tools/omp-passive.c), found beside the tool's lib/ when
# installed, else in the build folder.
PASSIVE   = libglearn-passive.so
$(B)/$(PASSIVE): tools/omp-passive.c
	@mkdir -p $(B)
	$(CC) $(WARN) $(CFLAGS) -fPIC -shared -Wl,-soname,$(PASSIVE) $< -o $@
$(B)/libglearn-cli.a: $(CLI_SRC:%.c=$(B)/%.o)
	rm -f $@ && ar rcs $@ $^
$(BINDIR)/%: $(B)/tools/%.o $(B)/libglearn-cli.a $(B)/libglearn.a \
             $(B)/$(PASSIVE)
	@mkdir -p $(BINDIR)
	$(CC) $(WARN) $(CFLAGS) $< $(B)/libglearn-cli.a $(B)/libglearn.a $(LIBS) \
	  -lgomp -Wl,--no-as-needed $(B)/$(PASSIVE) \
	  '-Wl,-rpath,$$ORIGIN/../lib:$$ORIGIN/../$(B):$$ORIGIN/..' -o $@

$(B)/glearn-tests: $(TEST_OBJ) $(B)/libglearn.a
	$(CC) $(WARN) $(CFLAGS) $(TEST_OBJ) $(B)/libglearn.a $(LIBS) -o $@

# The tests find the tools and the datasets relative to the repository root.
test: all
	GLEARN_BIN=$(BINDIR) ./$(B)/glearn-tests $(T)

test-san san:
	$(MAKE) B=build-san CFLAGS="$(SAN_FLAGS)" build-san/glearn-tests tools
	GLEARN_BIN=build-san/bin ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	GLEARN_SANITIZED=1 ./build-san/glearn-tests $(T)

check: test test-san

# ------------------------------------------------------------ fuzzing
# libFuzzer harnesses (fuzz/*.c), one a loader, the checkpoint reader and
# each tool's option parser (fuzz/opts_*.c, linking libglearn-cli.a),
# built with clang against the library compiled with the fuzzer's
# coverage, ASan and UBSan in build-fuzz/.  The fuzz build skips the npz members' CRC-32 check
# (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION), so that mutated members reach
# the .npy parser.  fuzz-run runs each harness FUZZ_TIME seconds over a
# scratch copy of its seed corpus fuzz/corpus/NAME/ (with fuzz/NAME.dict
# when there is one) and fails on the first crash, leak, timeout or
# allocation above the limit; the input that did it is left in
# build-fuzz/run/NAME/.
FUZZ_CC   = clang
FUZZ_FLAGS = -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all \
             -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -Wno-pass-failed
FUZZ_TIME ?= 10
FUZZ_OPTS ?= -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=30
FUZZ_NAMES = $(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c))

fuzz:
	$(MAKE) B=build-fuzz CC=$(FUZZ_CC) \
	  CFLAGS="$(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined" \
	  fuzzers

fuzzers: $(FUZZ_NAMES:%=$(B)/fuzz/%)
$(B)/fuzz/%: fuzz/%.c fuzz/fuzz.h $(HDRS) $(B)/libglearn-cli.a \
             $(B)/libglearn.a
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined $(INC) \
	  $< $(B)/libglearn-cli.a $(B)/libglearn.a $(LIBS) -o $@

fuzz-run: fuzz
	@for f in $(FUZZ_NAMES); do \
	  r=build-fuzz/run/$$f; rm -rf $$r; mkdir -p $$r/corpus || exit 1; \
	  cp fuzz/corpus/$$f/* $$r/corpus/ || exit 1; \
	  d=; [ ! -f fuzz/$$f.dict ] || d=-dict=fuzz/$$f.dict; \
	  echo "fuzz $$f: $(FUZZ_TIME) s"; \
	  build-fuzz/fuzz/$$f $$r/corpus $$d -max_total_time=$(FUZZ_TIME) \
	    $(FUZZ_OPTS) -artifact_prefix=$$r/ > $$r/log 2>&1 || \
	    { tail -n 60 $$r/log; echo "fuzz $$f: FAILED (input and log in $$r/)"; \
	      exit 1; }; \
	  grep -E '^(#[0-9]+.*DONE|Done)' $$r/log | tail -n 2; \
	done

# Debian packages; safe to run twice (apt-get install is idempotent).
DEPS = build-essential pkg-config libopenblas-dev libmetis-dev \
       libsuitesparse-dev libigraph-dev zlib1g-dev libmatio-dev \
       libcurl4-openssl-dev libssl-dev libopenmpi-dev openmpi-bin procps \
       python3-numpy python3-gensim clang libclang-rt-14-dev libomp-14-dev
BENCH_DEPS = python3-torch python3-scipy python3-gensim python3-numpy time
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(DEPS)
bench-deps: deps
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(BENCH_DEPS)

bench: all $(B)/glearn-bench
	bench/run.sh
	bench/dist.sh

$(B)/glearn-bench: $(BENCH_SRC:%.c=$(B)/%.o) $(B)/libglearn.a
	$(CC) $(WARN) $(CFLAGS) $(BENCH_SRC:%.c=$(B)/%.o) $(B)/libglearn.a $(LIBS) -o $@

# The distributed scale run (bench/dist.sh: the 2M-node power-law graph
# partitioned into 1, 2, 4, 8 parts, full-batch GCN on as many ranks) and
# its scaling model (bench/scaling.py).  Part of make bench.
bench-dist: all
	bench/dist.sh

# Accuracy tables (long: RUNS=10 seeds of every model and dataset).
bench-accuracy: all
	/usr/bin/python3 bench/accuracy.py
	/usr/bin/python3 bench/embed_quality.py

# GCN, GAT and GraphMix(GCN) with their defaults (Shchur et al.'s protocol)
# on every gnn-benchmark npz the registry knows, beside the published ones.
bench-gnnbench: all
	DATASETS=gnnbench /usr/bin/python3 bench/accuracy.py

# The main job of the README.
run-main: all
	./bin/gnn-train cora gcn

# ------------------------------------------------------------ install
# Everything goes under $(DESTDIR)$(PREFIX); glearn.pc names PREFIX alone.
# The library finds the datasets in PREFIX/share/glearn/data (beside its
# lib/ or bin/).  Idempotent: a second install overwrites the same files.
DEST      = $(DESTDIR)$(PREFIX)
INSTALL  ?= install
MAN       = $(wildcard man/*.1)
DATA      = $(shell find data -type f | sort)
# glearn's own folders, the deepest first: uninstall removes them when
# empty (what a user added stays, with its folder).
HDR_DIRS  = $(patsubst %/,%,$(filter-out ./,$(sort $(dir $(PUB_HDRS)))))
OWN_DIRS  = $(HDR_DIRS:%=$(DEST)/include/glearn/%) $(DEST)/include/glearn \
            $(addprefix $(DEST)/share/glearn/,\
              $(shell find data -depth -type d)) \
            $(DEST)/share/glearn

install: lib tools
	$(INSTALL) -d $(DEST)/bin $(DEST)/lib/pkgconfig $(DEST)/share/man/man1
	$(INSTALL) -m 755 $(BIN) $(DEST)/bin/
	$(INSTALL) -m 644 $(B)/libglearn.a $(DEST)/lib/
	$(INSTALL) -m 755 $(B)/$(SOFILE) $(B)/$(PASSIVE) $(DEST)/lib/
	ln -sfn $(SOFILE) $(DEST)/lib/$(SONAME)
	ln -sfn $(SONAME) $(DEST)/lib/libglearn.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	  -e 's|@LIBS@|$(strip $(LIBS))|' glearn.pc.in \
	  > $(DEST)/lib/pkgconfig/glearn.pc
	chmod 644 $(DEST)/lib/pkgconfig/glearn.pc
	for h in $(PUB_HDRS); do \
	  $(INSTALL) -D -m 644 $$h $(DEST)/include/glearn/$$h || exit 1; done
	$(INSTALL) -m 644 $(MAN) $(DEST)/share/man/man1/
	for f in $(DATA); do \
	  $(INSTALL) -D -m 644 $$f $(DEST)/share/glearn/$$f || exit 1; done

uninstall:
	rm -f $(TOOLS:%=$(DEST)/bin/%) $(MAN:man/%=$(DEST)/share/man/man1/%) \
	  $(addprefix $(DEST)/lib/,libglearn.a libglearn.so $(SONAME) $(SOFILE) \
	    $(PASSIVE)) \
	  $(DEST)/lib/pkgconfig/glearn.pc
	rm -f $(PUB_HDRS:%=$(DEST)/include/glearn/%)
	rm -f $(DATA:%=$(DEST)/share/glearn/%)
	for d in $(OWN_DIRS); do \
	  [ ! -d $$d ] || rmdir --ignore-fail-on-non-empty $$d || exit 1; done

clean:
	rm -rf build build-san build-fuzz bin
