#!/bin/bash
# The reader and analysis benchmark of docs/performance.md (`make bench`).
# Uses a large real trace.dat made on this machine by scripts/make-big-trace.sh (about 18 M
# events: sched_switch/wakeup, ipi, irq_vectors, timer events while bpf_stats_enabled flips
# and `perf bench sched pipe` runs), cached in $BENCH_DIR, plus its uncompressed conversion.
# Prints events/s and max RSS for each command, measured in the same run.
# env: BENCH_DIR (default bench-data), BIG (a trace.dat to use instead), DUR (workload seconds, 50)
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-bench-data}; mkdir -p "$BENCH_DIR"
BIG=${BIG:-$BENCH_DIR/big.dat}
POKESTAT=.build/release/pokestat
[ -x "$POKESTAT" ] || swift build -c release
if [ ! -s "$BIG" ]; then
  [ "$(id -u)" = 0 ] || { echo "bench: need root to record $BIG (or set BIG=path/to/trace.dat)" >&2; exit 2; }
  echo "recording $BIG (about a minute)..." >&2
  OUT="$(realpath -m "$BIG")" DUR=${DUR:-50} bash scripts/make-big-trace.sh >&2
fi
NONE=${BIG%.dat}.none.dat
[ -s "$NONE" ] || (cd "$(dirname "$NONE")" && trace-cmd convert -i "$(realpath "$BIG")" -o "$(basename "$NONE")" --compression none >/dev/null 2>&1)

events=$("$POKESTAT" stats "$BIG" | awk '/^events:/{print $2}')
measure() {  # label, command...: prints "label seconds maxrss_kb"
  local label=$1; shift
  local out; out=$( { /usr/bin/time -f "%e %M" "$@" > /dev/null; } 2>&1 | tail -1)
  echo "$label $out"
}
results=()
results+=("$(measure "pokestat-count-zstd" "$POKESTAT" stats "$BIG")")
results+=("$(measure "pokestat-count-none" "$POKESTAT" stats "$NONE")")
results+=("$(measure "pokestat-analyze-zstd" "$POKESTAT" analyze --json "$BIG")")
results+=("$(measure "trace-cmd-report-none" trace-cmd report "$NONE")")
if [ "${WITH_ZSTD_REPORT:-0}" = 1 ]; then results+=("$(measure "trace-cmd-report-zstd" trace-cmd report "$BIG")"); fi

echo "trace: $BIG ($(du -h "$BIG" | cut -f1) zstd, $(du -h "$NONE" | cut -f1) uncompressed), $events events, $(nproc) CPUs"
printf "%-24s %10s %14s %12s %10s\n" command seconds "events/s" "max RSS MiB" "vs report"
base=$(printf '%s\n' "${results[@]}" | awk '$1=="trace-cmd-report-none"{print $2}')
for r in "${results[@]}"; do
  set -- $r
  awk -v l="$1" -v s="$2" -v m="$3" -v e="$events" -v b="$base" 'BEGIN {
    printf "%-24s %10.2f %14.0f %12.1f %9.1fx\n", l, s, e / s, m / 1024, b / s }'
done
