# pokestat: `make run` installs what is missing, builds, and analyzes a bundled real trace;
# `make test` installs what is missing and runs every test. See README.md.
SHELL := /bin/bash
SWIFT ?= swift
# What `make run` needs to build and run (no recommended packages: they pulled in systemd, avahi
# and cups). The tests also need the oracles and renderers in TEST_PACKAGES.
APT_PACKAGES := pkg-config libtraceevent-dev libtracefs-dev libzstd-dev zlib1g-dev trace-cmd
TEST_PACKAGES := chromium python3-venv
RUN_FIXTURE ?= fixtures/tracedat/lab61-4cpu.v7zstd.dat
BIN := .build/debug/pokestat
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: deps test-deps build run test bench release clean lint man install install-test

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

build: deps
	$(SWIFT) build

run: build
	$(BIN) analyze $(RUN_FIXTURE) --predict

# The test-only tools (headless Chromium renders the HTML reports).
test-deps: deps
	@$(MAKE) --no-print-directory deps PACKAGES="$(TEST_PACKAGES)"

# Tests that need a live kernel mount tracefs when they can (root); they skip with a reason
# otherwise, and must not skip when CI is set.
test: test-deps
	@if [ $$(id -u) -eq 0 ] && [ ! -e /sys/kernel/tracing/trace ]; then \
	  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true; fi
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build 2>&1 | tee .build/test.log; exit $${PIPESTATUS[0]}
	@$(MAKE) --no-print-directory install-test

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
	rm -rf .build
