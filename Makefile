# pokestat: `make run` installs what is missing, builds, and analyzes a bundled real trace;
# `make test` installs what is missing and runs every test. See README.md.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := pkg-config libtraceevent-dev libtracefs-dev libzstd-dev zlib1g-dev trace-cmd chromium
RUN_FIXTURE ?= fixtures/tracedat/lab61-4cpu.v7zstd.dat
BIN := .build/debug/pokestat

.PHONY: deps build run test bench release clean lint
.PHONY: fuzz

# Installs the Debian packages the build and the tests need, when any is missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$( [ $$(id -u) -eq 0 ] || echo sudo ) apt-get update -q && \
	  $$( [ $$(id -u) -eq 0 ] || echo sudo ) apt-get install -y -q $$missing; \
	fi

build: deps
	$(SWIFT) build

run: build
	$(BIN) analyze $(RUN_FIXTURE) --predict

# Tests that need a live kernel mount tracefs when they can (root); they skip with a reason
# otherwise, and must not skip when CI is set.
test: deps
	@if [ $$(id -u) -eq 0 ] && [ ! -e /sys/kernel/tracing/trace ]; then \
	  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true; fi
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build 2>&1 | tee .build/test.log; exit $${PIPESTATUS[0]}

release: deps
	$(SWIFT) build -c release

bench: release
	scripts/bench.sh

lint:
	$(SWIFT) format lint -r Sources Tests

clean:
	rm -rf .build

# The mutation fuzzer (docs/fuzzing.md): CASES mutated fixtures through dump, analyze --json,
# stats and check, each a subprocess of the debug binary under 2 GiB and a TIMEOUT-second cap.
# Failing inputs go to FUZZ_OUT with the seed and case number. FUZZ_MODE=in-process is faster
# but stops at the first trap; FUZZ_FULL=1 mutates whole fixtures instead of the small seeds.
SEED ?= $(shell date +%s)
CASES ?= 2000
FUZZ_MODE ?= subprocess
FUZZ_OUT ?= .build/fuzz-failures
FUZZ_FULL ?=
TIMEOUT ?= 10
fuzz: deps
	$(SWIFT) build --build-tests
	POKESTAT_FUZZ_SEED=$(SEED) POKESTAT_FUZZ_CASES=$(CASES) POKESTAT_FUZZ_MODE=$(FUZZ_MODE) \
	  POKESTAT_FUZZ_OUT=$(FUZZ_OUT) POKESTAT_FUZZ_FULL=$(FUZZ_FULL) POKESTAT_FUZZ_TIMEOUT=$(TIMEOUT) \
	  $(SWIFT) test --skip-build --filter 'FuzzTests.longRun' 2>&1 | tee .build/fuzz.log | grep -E '^(fuzz|  case|    )'; \
	  exit $${PIPESTATUS[0]}
