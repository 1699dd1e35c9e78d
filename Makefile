# A thin wrapper: installs missing Debian packages (when it can), configures, builds, runs.
#   make demo   the classic demo: train an MLP on two moons, write the pictures and logs
#               (micrograd-out/: decision boundary, training curves, graph, JSON/CSV log)
#   make test   every test: C++ (GoogleTest), CLI and Python (pytest), then C++ again under ASan+UBSan
# Everything else is plain CMake: cmake -S . -B build && cmake --build build && ctest --test-dir build

BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc)
PYTHON     ?= /usr/bin/python3

# Debian packages the build, the tests and the demo need.
PACKAGES = build-essential cmake pkg-config libgtest-dev libbenchmark-dev \
           pybind11-dev python3-dev python3-pytest python3-torch python3-graphviz \
           graphviz libgraphviz-dev libcli11-dev nlohmann-json3-dev gnuplot-nox clang-format

.PHONY: demo test deps build build-asan format-check lecture bench clean

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

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
