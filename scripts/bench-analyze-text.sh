#!/bin/bash
# `pokestat analyze` on trace-cmd report text against mawk (issue #15 part 4): RUNS interleaved
# runs of `pokestat analyze --json TXT` (BIN, and BASE when given, e.g. an older build) and of
# `mawk -f scripts/bench/mawk-analyze-text.awk TXT`, each timed with /usr/bin/time; prints every run, the
# load before and after, and the medians. The JSON of every pokestat run is compared with the
# first one's (cmp): the runs must agree.
# usage: scripts/bench-analyze-text.sh   (needs `swift build -c release` and the report text:
#        trace-cmd report /work/bench-data/big.none.dat > /work/bench-data/big.report.txt)
# env:   TXT (default /work/bench-data/big.report.txt), BIN, BASE, RUNS (default 5)
set -euo pipefail
TXT=${TXT:-/work/bench-data/big.report.txt}
BIN=${BIN:-.build/release/pokestat}
BASE=${BASE:-}
RUNS=${RUNS:-5}
AWK_PROG=$(dirname "$0")/bench/mawk-analyze-text.awk
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "input: $TXT, $(stat -c %s "$TXT") bytes; $(nproc) CPUs; before: $(uptime)"
timed() {  # LABEL CMD...: one timed run, its line appended to $tmp/LABEL
  local label=$1; shift
  /usr/bin/time -f "%e s %M KiB %U user %S sys" -o "$tmp/time" "$@" > "$tmp/out"
  echo "$label: $(cat "$tmp/time")"
  cut -d' ' -f1 "$tmp/time" >> "$tmp/$label"
}
for run in $(seq "$RUNS"); do
  timed analyze "$BIN" analyze --json "$TXT"
  if [ -f "$tmp/first.json" ]; then cmp -s "$tmp/out" "$tmp/first.json" || echo "analyze output differs in run $run"; else cp "$tmp/out" "$tmp/first.json"; fi
  if [ -n "$BASE" ]; then
    timed base "$BASE" analyze --json "$TXT"
    cmp -s "$tmp/out" "$tmp/first.json" || echo "base output differs in run $run"
  fi
  timed mawk mawk -f "$AWK_PROG" "$TXT"
done
echo "after: $(uptime)"
for label in analyze base mawk; do
  [ -f "$tmp/$label" ] || continue
  echo "median $label: $(sort -n "$tmp/$label" | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) " s over " NR " runs" }')"
done
