# The two commands a newcomer types (see README.md):
#   make demo   installs dependencies, builds, and runs watchstate against fake servers
#   make test   installs dependencies, builds, and runs every test
BUILD ?= build
# Release: what `make test` and `make demo` build (no debug info: the build is twice as fast on
# two cores). Developers wanting a debugger: make BUILD=build-dev CMAKE_ARGS=-DCMAKE_BUILD_TYPE=RelWithDebInfo
CMAKE_ARGS ?= -DCMAKE_BUILD_TYPE=Release
JOBS ?= 2

.PHONY: deps configure build test test-asan test-deploy demo clean

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

demo: build
	./deploy/demo.sh $(BUILD)

clean:
	rm -rf build build-asan
