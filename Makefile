# pokestat: `make run` installs what is missing, builds, and analyzes a bundled real trace;
# `make test` installs what is missing and runs every test. See README.md.
SHELL := /bin/bash
SWIFT ?= swift
# What `make run` needs to build and run (no recommended packages: they pulled in systemd, avahi
# and cups). The tests also need the oracles and renderers in TEST_PACKAGES.
APT_PACKAGES := pkg-config libtraceevent-dev libtracefs-dev libzstd-dev zlib1g-dev zstd trace-cmd
TEST_PACKAGES := chromium python3-venv
RUN_FIXTURE ?= fixtures/tracedat/lab61-4cpu.v7zstd.dat
BIN := .build/debug/pokestat
PREFIX ?= /usr/local
DESTDIR ?=

# The guest test (Tests/pokestatTests/RecordGuestTests.swift) boots Debian bookworm's cloud
# kernel under QEMU (scripts/lab/run-guest2.sh MODE=record): qemu, a static busybox and cpio
# are installed, and the kernel package is downloaded (never installed) into $(LAB_WORK)/debs.
GUEST_PACKAGES := qemu-system-x86 busybox-static cpio
LAB_WORK ?= $(CURDIR)/.build/lab
GUEST_KERNEL_META := linux-image-cloud-amd64

.PHONY: deps test-deps guest-deps build run test asan bench release clean lint lab lab-expected man install install-test fuzz

# Installs the Debian packages in PACKAGES (default: what the build needs) when any is missing.
deps:
	@missing=""; for p in $(or $(PACKAGES),$(APT_PACKAGES)); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$( [ $$(id -u) -eq 0 ] || echo sudo ) apt-get update -q && \
	  $$( [ $$(id -u) -eq 0 ] || echo sudo ) apt-get install -y -q --no-install-recommends $$missing; \
	fi

# bookworm (the machine's own suite) is all this relies on: the kernel image the meta
# package depends on, downloaded with apt-get download as run-guest2.sh expects it.
guest-deps: deps
	@$(MAKE) --no-print-directory deps PACKAGES="$(GUEST_PACKAGES)"
	@mkdir -p $(LAB_WORK)/debs; \
	ver=$$(apt-cache policy $(GUEST_KERNEL_META) | awk '/Candidate:/{print $$2}'); \
	pkg=$$(apt-cache show "$(GUEST_KERNEL_META)=$$ver" | awk -F': ' '/^Depends:/{n=split($$2,a,/[ ,|]+/); for(i=1;i<=n;i++) if(a[i]~/^linux-image-/){print a[i]; exit}}'); \
	[ -n "$$pkg" ] || { echo "no $(GUEST_KERNEL_META) in the apt sources"; exit 2; }; \
	deb=$(LAB_WORK)/debs/$${pkg}_$${ver//:/%3a}_amd64.deb; \
	if [ ! -f "$$deb" ]; then echo "downloading $$pkg $$ver"; \
	  (cd $(LAB_WORK)/debs && umask 022 && apt-get download -q "$$pkg=$$ver"); fi

build: deps
	$(SWIFT) build

run: build
	$(BIN) analyze $(RUN_FIXTURE) --predict

# The test-only tools (headless Chromium renders the HTML reports).
test-deps: deps
	@$(MAKE) --no-print-directory deps PACKAGES="$(TEST_PACKAGES)"

# Tests that need a live kernel mount tracefs when they can (root); they skip with a reason
# otherwise, and must not skip when CI is set.
test: test-deps guest-deps
	@if [ $$(id -u) -eq 0 ] && [ ! -e /sys/kernel/tracing/trace ]; then \
	  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true; fi
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build 2>&1 | tee .build/test.log; exit $${PIPESTATUS[0]}
	@$(MAKE) --no-print-directory install-test

# The test suite under AddressSanitizer (docs/architecture.md, "Unsafe code"): every Swift and C
# target of the package built with --sanitize=address into its own .build-asan, then the tests
# run from there. Not part of `make test`: on 2 cores it takes over two hours, most of it the
# in-process fuzz pass (7,600 s under ASan, 540 s without). ASAN_OPTIONS below turn
# off leak detection (the Swift runtime keeps metadata caches until exit) and make any report fail
# the run; ASAN_FILTER narrows it (`make asan ASAN_FILTER=TraceNativeTests`). The fuzzer's
# subprocess pass and the fuzz regressions' binary runs are skipped: their 2 GiB `ulimit -v` cannot
# hold ASan's shadow reservation (ASan exits 1 with "failed to allocate", not a finding).
ASAN_OPTIONS ?= detect_leaks=0:abort_on_error=0:halt_on_error=1
ASAN_FILTER ?=
asan: test-deps
	@if [ $$(id -u) -eq 0 ] && [ ! -e /sys/kernel/tracing/trace ]; then \
	  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true; fi
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	ASAN_OPTIONS=$(ASAN_OPTIONS) $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan \
	  --skip 'boundedSubprocess' --skip 'FuzzRegressionTests/subprocess' $(if $(ASAN_FILTER),--filter '$(ASAN_FILTER)') 2>&1 | tee .build-asan/test.log; exit $${PIPESTATUS[0]}

release: deps
	$(SWIFT) build -c release

# The man page, from the argument parser (swift-argument-parser's generate-manual plugin; it
# builds the release binary itself, with build parameters of its own: depending on `release`
# too would rebuild the package twice on every install).
man: deps
	mkdir -p .build/manual
	$(SWIFT) package --disable-sandbox plugin generate-manual --configuration release --output-directory .build/manual

# make install PREFIX=... [DESTDIR=...]: the release binary, bash/zsh/fish completions, the man page.
install: man
	scripts/install.sh .build/release/pokestat .build/manual/pokestat.1 "$(PREFIX)" "$(DESTDIR)"

# Installs into a temporary PREFIX and checks the files, the completions and the man page
# (outside `swift test`, whose build lock the release build and the plugin need).
install-test:
	scripts/check-install.sh

bench: release
	scripts/bench.sh

lint:
	$(SWIFT) format lint -r Sources Tests

clean:
	rm -rf .build .build-asan

# The QEMU kernel lab (scripts/lab/README.md): sets up the apt suites once, boots every lab
# kernel (amd64 5.10/6.12/7.x, arm64 5.10/6.1/6.12, 2 and 4 vCPUs; one guest at a time, about
# 15-25 min on a loaded machine) and rewrites fixtures/lab/<suite>-<arch>-smp<N>.* with their
# expected numbers. `make lab LAB_FIXTURES="trixie-amd64-smp4"` remakes one; `make lab-expected`
# only recomputes the .expected files (trace-cmd and python3).
LAB_FIXTURES ?=
lab:
	scripts/lab/make-fixtures.sh $(LAB_FIXTURES)

lab-expected:
	EXPECTED_ONLY=1 scripts/lab/make-fixtures.sh $(LAB_FIXTURES)

# Regenerates the scipy reference statistics of `pokestat compare` (fixtures/compare/scipy/) in a
# throwaway venv; `make test` reads the committed files and needs no Python packages.
.PHONY: scipy-fixtures
scipy-fixtures:
	python3 -m venv .build/scipy-venv
	.build/scipy-venv/bin/pip install -q scipy numpy
	.build/scipy-venv/bin/python scripts/fixtures/scipy-compare-statistics.py

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
