# A thin wrapper: installs missing Debian packages (when it can), configures, builds, runs.
#   make demo   the classic demo: train an MLP on two moons, write the pictures and logs
#               (micrograd-out/: decision boundary, training curves, graph, JSON/CSV log)
#   make test   every test: C++ (GoogleTest), CLI and Python (pytest), then C++ again under ASan+UBSan
#   make bench-peers CODIPACK_DIR=/path ADEPT_DIR=/path
#               this project next to CoDiPack, Adept and plain double (bench/peers/README.md)
# Everything else is plain CMake: cmake -S . -B build && cmake --build build && ctest --test-dir build

BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc)
PYTHON     ?= /usr/bin/python3

# Debian packages the build, the tests and the demo need.
PACKAGES = build-essential cmake pkg-config libgtest-dev libbenchmark-dev \
           pybind11-dev python3-dev python3-pytest python3-torch python3-graphviz \
           graphviz libgraphviz-dev libcli11-dev nlohmann-json3-dev gnuplot-nox clang-format

.PHONY: demo test deps build build-asan format-check lecture bench bench-peers clean

deps:
	@missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
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
	  -DMICROGRAD_WARNINGS_AS_ERRORS=ON -DMICROGRAD_BUILD_PYTHON=OFF -DMICROGRAD_BUILD_BENCH=OFF
	cmake --build $(BUILD_ASAN) -j $(JOBS)

demo: build
	$(BUILD)/cli/micrograd train --out micrograd-out

# Every C++ file as .clang-format wants it (clang-format 14, Debian 12).
format-check: deps
	find include src tests cli python bench examples \( -name '*.cpp' -o -name '*.hpp' \) -print0 | xargs -0 clang-format --dry-run -Werror

test: format-check build build-asan
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	ctest --test-dir $(BUILD_ASAN) --output-on-failure -j $(JOBS)

lecture: build
	$(BUILD)/examples/lecture

bench: build
	@ls $(BUILD)/bench/ 2>/dev/null

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
