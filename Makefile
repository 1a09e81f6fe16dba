# pokestat: `make run` installs what is missing, builds, and analyzes a bundled real trace;
# `make test` installs what is missing and runs every test. See README.md.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := pkg-config libtraceevent-dev libtracefs-dev libzstd-dev zlib1g-dev trace-cmd chromium
RUN_FIXTURE ?= fixtures/tracedat/lab61-4cpu.v7zstd.dat
BIN := .build/debug/pokestat

# The guest test (Tests/pokestatTests/RecordGuestTests.swift) boots Debian bookworm's cloud
# kernel under QEMU (scripts/lab/run-guest2.sh MODE=record): qemu, a static busybox and cpio
# are installed, and the kernel package is downloaded (never installed) into $(LAB_WORK)/debs.
GUEST_PACKAGES := qemu-system-x86 busybox-static cpio
LAB_WORK ?= $(CURDIR)/.build/lab
GUEST_KERNEL_META := linux-image-cloud-amd64

.PHONY: deps guest-deps build run test bench release clean lint

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

# bookworm (the machine's own suite) is all this relies on: the kernel image the meta
# package depends on, downloaded with apt-get download as run-guest2.sh expects it.
guest-deps: deps
	@missing=""; for p in $(GUEST_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$( [ $$(id -u) -eq 0 ] || echo sudo ) apt-get update -q && \
	  $$( [ $$(id -u) -eq 0 ] || echo sudo ) apt-get install -y -q $$missing; \
	fi
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

# Tests that need a live kernel mount tracefs when they can (root); they skip with a reason
# otherwise, and must not skip when CI is set.
test: deps guest-deps
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
