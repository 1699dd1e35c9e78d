# A thin wrapper: installs missing Debian packages (when it can), configures, builds, runs.
#   make demo   the classic demo: train an MLP on two moons, write the pictures and logs
#               (micrograd-out/: decision boundary, training curves, graph, JSON/CSV log)
#   make test   every test: C++ (GoogleTest), CLI and Python (pytest), then C++ again under ASan+UBSan,
#               the threading tests under TSan, then the fuzz harnesses for 10 s each (docs/testing.md)
#   make tsan   the tests that use threads, under ThreadSanitizer
#   make fuzz [FUZZ_SECONDS=N]   the fuzz harnesses alone, longer
#   make bench  the benchmarks on this machine (docs/benchmarks.md)
#   make bench-peers CODIPACK_DIR=/path ADEPT_DIR=/path
#               this project next to CoDiPack, Adept and plain double (bench/peers/README.md)
# Everything else is plain CMake: cmake -S . -B build && cmake --build build && ctest --test-dir build

BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_TSAN ?= build-tsan
JOBS       ?= $(shell nproc)
PYTHON     ?= /usr/bin/python3

# Debian packages the build and the demo need, and those only the tests need (make test).
PACKAGES = build-essential cmake pkg-config libgtest-dev libbenchmark-dev \
           pybind11-dev python3-dev python3-graphviz \
           graphviz libgraphviz-dev libcli11-dev nlohmann-json3-dev gnuplot-nox zlib1g-dev \
           emscripten
TEST_PACKAGES = python3-pytest python3-torch python3-numpy python3-sklearn clang-format clang \
                libclang-rt-14-dev chromium
BUILD_FUZZ   ?= build-fuzz
FUZZ_SECONDS ?= 15

.PHONY: demo test deps test-deps web-deps install-packages build build-asan tsan format-check fuzz lecture bench bench-peers clean

deps:
	@$(MAKE) --no-print-directory install-packages WANT="$(PACKAGES)"
	@$(MAKE) --no-print-directory web-deps || echo "warning: the page's npm packages could not be \
	installed: everything but the interactive page (--html) builds; make test needs them"

test-deps:
	@$(MAKE) --no-print-directory install-packages WANT="$(PACKAGES) $(TEST_PACKAGES)"
	@$(MAKE) --no-print-directory web-deps

# The interactive page's tools from npm, at the versions web/package-lock.json pins (graphviz for
# the browser, inlined into the page; eslint and puppeteer-core for its tests), in web/node_modules.
# (npm: Debian's package, unless an npm is already there, e.g. with NodeSource's nodejs.)
web-deps:
	@command -v npm >/dev/null || $(MAKE) --no-print-directory install-packages WANT=npm
	@if [ ! -f web/node_modules/.package-lock.json ] || \
	    ! cmp -s web/package-lock.json web/node_modules/.package-lock.json.copy; then \
	  echo "Installing the page's npm packages (web/package-lock.json)"; \
	  (cd web && npm ci --no-audit --no-fund --loglevel=error) && \
	  cp web/package-lock.json web/node_modules/.package-lock.json.copy; \
	fi

install-packages:
	@missing=$$(for p in $(WANT); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing Debian packages:" $$missing; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "error: not root and no sudo; install these yourself: apt-get install -y $$missing"; exit 1; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DMICROGRAD_WARNINGS_AS_ERRORS=ON
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMICROGRAD_SANITIZE=ON \
	  -DMICROGRAD_WARNINGS_AS_ERRORS=ON -DMICROGRAD_BUILD_PYTHON=OFF -DMICROGRAD_BUILD_BENCH=OFF \
	  -DMICROGRAD_BUILD_WEB=OFF
	cmake --build $(BUILD_ASAN) -j $(JOBS)

demo: build
	$(BUILD)/cli/micrograd train --out micrograd-out

# Every C++ file as .clang-format wants it (clang-format 14, Debian 12).
format-check: test-deps
	find include src tests cli python bench examples fuzz web -path web/node_modules -prune -o \( -name '*.cpp' -o -name '*.hpp' \) -print0 | xargs -0 clang-format --dry-run -Werror

test: test-deps format-check build build-asan
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	ctest --test-dir $(BUILD_ASAN) --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory tsan
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

# The tests of the tape, of Value and of ParallelGradient (every test that starts a thread is
# there: a Value used from another thread, one tape per thread, data-parallel gradients) under
# ThreadSanitizer: a data race stops the run with TSan's report. About 40 s (build included).
tsan: deps
	cmake -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMICROGRAD_BUILD_PYTHON=OFF \
	  -DMICROGRAD_BUILD_BENCH=OFF -DMICROGRAD_BUILD_CLI=OFF -DMICROGRAD_BUILD_EXAMPLES=OFF \
	  "-DCMAKE_CXX_FLAGS=-fsanitize=thread -O1 -g" -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread
	cmake --build $(BUILD_TSAN) -j $(JOBS) --target test_tape test_value test_parallel
	TSAN_OPTIONS=halt_on_error=1 $(BUILD_TSAN)/tests/test_tape --gtest_brief=1
	TSAN_OPTIONS=halt_on_error=1 $(BUILD_TSAN)/tests/test_value --gtest_brief=1
	TSAN_OPTIONS=halt_on_error=1 $(BUILD_TSAN)/tests/test_parallel --gtest_brief=1

# The fuzz harnesses (fuzz/): clang with ASan + UBSan + libFuzzer, each run FUZZ_SECONDS over a
# copy of the corpus (new inputs it finds stay in $(BUILD_FUZZ)/corpus, the repository's is
# untouched). A crash stops with the input that caused it.
fuzz: test-deps
	cmake -S . -B $(BUILD_FUZZ) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DMICROGRAD_FUZZ=ON -DMICROGRAD_BUILD_TESTS=OFF -DMICROGRAD_BUILD_PYTHON=OFF \
	  -DMICROGRAD_BUILD_BENCH=OFF -DMICROGRAD_BUILD_CLI=OFF -DMICROGRAD_BUILD_EXAMPLES=OFF \
	  "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all"
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzz_expr fuzz_csv
	@for h in expr csv; do \
	  mkdir -p $(BUILD_FUZZ)/corpus/$$h && cp -n fuzz/corpus/$$h/* $(BUILD_FUZZ)/corpus/$$h/ && \
	  echo "fuzzing $$h for $(FUZZ_SECONDS) s" && \
	  $(BUILD_FUZZ)/fuzz/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -rss_limit_mb=2048 \
	    -artifact_prefix=$(BUILD_FUZZ)/ -print_final_stats=1 $(BUILD_FUZZ)/corpus/$$h \
	    > $(BUILD_FUZZ)/fuzz_$$h.log 2>&1; rc=$$?; tail -6 $(BUILD_FUZZ)/fuzz_$$h.log; \
	  if [ $$rc != 0 ]; then echo "fuzz_$$h failed (exit $$rc): $(BUILD_FUZZ)/fuzz_$$h.log"; exit 1; fi; \
	done

lecture: build
	$(BUILD)/examples/lecture

# The benchmarks on this machine, pinned to one core (docs/benchmarks.md: how to read them).
bench: build
	taskset -c 1 $(BUILD)/bench/bench_w1
	taskset -c 1 $(BUILD)/bench/bench_w2

# The side-by-side peer benchmark: local checkouts of the peers (empty: that peer is left out),
# its own Release -O3 -march=native build, ROUNDS interleaved rounds pinned to core CPU.
CODIPACK_DIR ?=
ADEPT_DIR    ?=
BUILD_BENCH  ?= build-bench
ROUNDS       ?= 5
CPU          ?= 1
bench-peers: deps
	cmake -S . -B $(BUILD_BENCH) -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-O3 -march=native" \
	  -DMICROGRAD_CODIPACK_DIR="$(CODIPACK_DIR)" -DMICROGRAD_ADEPT_DIR="$(ADEPT_DIR)"
	cmake --build $(BUILD_BENCH) -j $(JOBS) --target peer_bench_micrograd \
	  $(if $(CODIPACK_DIR),peer_bench_codipack) $(if $(ADEPT_DIR),peer_bench_adept)
	$(PYTHON) bench/peers/compare --build-dir $(BUILD_BENCH) --rounds $(ROUNDS) --cpu $(CPU)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
