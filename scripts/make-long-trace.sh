#!/bin/bash
# Makes a longer trace.dat from an uncompressed one by repeating its real ring-buffer pages
# with shifted timestamps (LongTraceMemoryTests.repeatedPages), for memory benchmarks of
# `pokestat analyze` (docs/performance.md). Needs the test build (`swift build --build-tests`).
#
#   [COMPRESSION=zstd] scripts/make-long-trace.sh SOURCE.none.dat COPIES OUT.dat
#   e.g. COMPRESSION=zstd scripts/make-long-trace.sh /work/bench-data/big.none.dat 4 /work/bench-data/big4x.dat
#
# The writer holds COPIES x the source's page bytes in memory (4 GiB for 4 copies of a 1 GB trace).
set -eu
[ $# -eq 3 ] || { echo "usage: $0 SOURCE.dat COPIES OUT.dat" >&2; exit 2; }
cd "$(dirname "$0")/.."
POKESTAT_LONG_TRACE_COMPRESSION=${COMPRESSION:-none} POKESTAT_LONG_TRACE_SOURCE=$(realpath "$1") POKESTAT_LONG_TRACE_COPIES=$2 POKESTAT_LONG_TRACE_OUT=$(realpath -m "$3") \
  swift test --skip-build --filter 'LongTraceMemoryTests/writeBenchmarkTrace'
ls -l "$3"
