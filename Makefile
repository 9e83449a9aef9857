# The two commands a newcomer types (see README.md):
#   make demo   installs dependencies, builds, and runs watchstate against fake servers
#   make test   installs dependencies, builds, and runs every test
#   make fuzz   runs every libFuzzer target FUZZ_SECONDS each (clang; tests/fuzz/README.md)
BUILD ?= build
# Release: what `make test` and `make demo` build (no debug info: the build is twice as fast on
# two cores). Developers wanting a debugger: make BUILD=build-dev CMAKE_ARGS=-DCMAKE_BUILD_TYPE=RelWithDebInfo
CMAKE_ARGS ?= -DCMAKE_BUILD_TYPE=Release
JOBS ?= 2

.PHONY: deps configure build test test-asan test-deploy demo clean fuzz-deps fuzz-build fuzz

deps:
	./deploy/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 300

# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan:
	$(MAKE) test BUILD=build-asan CMAKE_ARGS="-DWS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1"

# The image and the compose stacks, for real, with podman (tests/deploy/run.sh; needs root). It
# builds the image itself: it does not need `make build`.
test-deploy:
	./deploy/install-deploy-deps.sh
	./tests/deploy/run.sh

# Only the two programs the demo runs (a third of a full build: no tests).
demo: configure
	cmake --build $(BUILD) -j$(JOBS) --target watchstate ws-fakeserver
	./deploy/demo.sh $(BUILD)

# Fuzzing: clang with libFuzzer, ASan and UBSan, in its own folder. Asserts stay on (-O1, no
# NDEBUG): a broken library invariant is a finding too.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=

# clang and its runtime (libFuzzer, ASan, UBSan): only the fuzz build needs them.
fuzz-deps: deps
	./deploy/install-deps.sh clang libclang-rt-14-dev

fuzz-build: fuzz-deps
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DWS_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
	  "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only" $(FUZZ_CMAKE_ARGS)
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target ws_fuzzers

# make fuzz FUZZ_SECONDS=120 [FUZZ_TARGETS="plex_webhook servers_yaml"]
fuzz: fuzz-build
	./tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf build build-asan build-fuzz
