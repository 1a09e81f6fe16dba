#!/bin/bash
# Build and run the InstancePools tests under ThreadSanitizer, in a scratch path of its own so
# the normal .build is untouched. The stress tests hand plain (non-atomic) per-object counters
# between threads through the pools, so a pool that misses a happens-before edge is reported
# as a data race. POKESTAT_POOL_SOAK=N multiplies the stress sizes.
# usage: scripts/tsan.sh [extra swift test arguments]
# Takes about 70 s on the 2-CPU development machine from an empty .build-tsan (build 58 s,
# tests 10 s; Swift 6.3.1), 30 s after a source change (tests 10-25 s with the CPUs shared); the
# timing is printed at the end. Checked that it can fail: with the array queue's CAS and loads
# made relaxed, TSan reports a race on the stress test's per-object counters and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
swift build --build-tests --sanitize=thread --scratch-path .build-tsan
built=$(date +%s)
TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1}" \
  swift test --skip-build --sanitize=thread --scratch-path .build-tsan --filter InstancePools "$@"
end=$(date +%s)
echo "tsan.sh: build $((built - start)) s, tests $((end - built)) s"
