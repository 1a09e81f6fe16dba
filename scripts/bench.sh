#!/bin/bash
# The benchmarks of docs/performance.md (`make bench`, issue #15). Every target is measured
# against its anchor in the same run, runs interleaved (pokestat, anchor, pokestat, ...): this
# 2-CPU machine is shared and wall times move 10-30% between runs, so only rows of one run
# compare. Each row: median and range of RUNS runs (wall seconds), median max RSS, the rate.
#
# usage: scripts/bench.sh [SECTION...]     sections: stats analyze dump text memory jobs callgrind
#                                          (default: all of them, in that order)
# env:   BENCH_DIR   where the big traces live (default bench-data; made on first use, as root,
#                    by scripts/make-big-trace.sh: about 19 M events in a minute)
#        BIG         the zstd trace.dat (default $BENCH_DIR/big.dat); its uncompressed copy is
#                    ${BIG%.dat}.none.dat (trace-cmd convert), its report text ${BIG%.dat}.report.txt
#        BIG2 BIG4   traces 2x and 4x as long, for the memory section (default $BENCH_DIR/big2x.dat
#                    and big4x.dat, made from big.none.dat's pages by scripts/make-long-trace.sh)
#        RUNS        runs per row (default 5)
#        BIN         the pokestat binary (default .build/release/pokestat)
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-bench-data}; mkdir -p "$BENCH_DIR"
BIG=${BIG:-$BENCH_DIR/big.dat}
NONE=${BIG%.dat}.none.dat
TXT=${BIG%.dat}.report.txt
RUNS=${RUNS:-5}
BIN=${BIN:-.build/release/pokestat}
SECTIONS=("$@"); [ ${#SECTIONS[@]} -gt 0 ] || SECTIONS=(stats analyze dump text memory jobs callgrind)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ -x "$BIN" ] || swift build -c release

if [ ! -s "$BIG" ]; then
  [ "$(id -u)" = 0 ] || { echo "bench: need root to record $BIG (or set BIG=path/to/trace.dat)" >&2; exit 2; }
  echo "recording $BIG (about a minute)..." >&2
  OUT="$(realpath -m "$BIG")" DUR=${DUR:-50} bash scripts/make-big-trace.sh >&2
fi
[ -s "$NONE" ] || (cd "$(dirname "$NONE")" && trace-cmd convert -i "$(realpath "$BIG")" -o "$(basename "$NONE")" --compression none >/dev/null 2>&1)

# The libtracecmd anchor: a plain C event loop (scripts/bench/libtracecmd-count-ipi.c).
ANCHOR=$tmp/libtracecmd-count-ipi
anchor_build() {
  [ -x "$ANCHOR" ] && return
  pkg-config --exists libtracecmd || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libtracecmd-dev >/dev/null
  cc -O2 -o "$ANCHOR" scripts/bench/libtracecmd-count-ipi.c $(pkg-config --cflags --libs libtracecmd libtraceevent)
}

events=$("$BIN" stats "$BIG" | awk '/^events:/{print $2}')
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/{printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -r); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "trace: $BIG ($(du -h "$BIG" | cut -f1) zstd, $(du -h "$NONE" | cut -f1) uncompressed), $events events; $RUNS runs a row"

# once LABEL CMD...: one timed run; appends "seconds maxrss_kib" to $tmp/LABEL.
once() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" > /dev/null 2> "$tmp/stderr" || { echo "bench: $label failed:" >&2; cat "$tmp/stderr" >&2; exit 1; }
  cat "$tmp/time" >> "$tmp/$label"
}

# row LABEL EVENTS [ANCHOR_LABEL]: median and range of LABEL's runs, its rate, and the ratio of
# the anchor's median time to its own (>1: faster than the anchor).
row() {
  local label=$1 count=$2 anchor=${3:-}
  local anchor_median=0
  [ -n "$anchor" ] && anchor_median=$(sort -n "$tmp/$anchor" | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }')
  local rss; rss=$(sort -n -k2 "$tmp/$label" | awk '{ m[NR] = $2 } END { print m[int((NR + 1) / 2)] }')
  sort -n "$tmp/$label" | awk -v l="$label" -v n="$count" -v a="$anchor_median" -v an="$anchor" -v rss="$rss" '
    { t[NR] = $1 }
    END {
      med = t[int((NR + 1) / 2)]
      printf "%-34s %8.2f s  (%6.2f-%6.2f)  %7.1f MiB  %6.2f M ev/s", l, med, t[1], t[NR], rss / 1024, (med > 0 ? n / med / 1e6 : 0)
      if (a > 0) printf "  %5.2fx %s", a / med, an
      printf "\n"
    }'
}

header() {
  echo
  echo "== $1 (load $(cut -d' ' -f1-3 /proc/loadavg))"
  printf "%-34s %10s  %-17s  %11s  %13s  %s\n" command median "(min-max)" "max RSS" rate "vs anchor"
}

for section in "${SECTIONS[@]}"; do
  case $section in
    stats)
      header "stats: every event counted (target 20 M events/s on zstd)"
      for _ in $(seq "$RUNS"); do once stats-zstd "$BIN" stats "$BIG"; once stats-none "$BIN" stats "$NONE"; done
      row stats-zstd "$events"; row stats-none "$events" ;;
    analyze)
      anchor_build
      header "analyze --json vs libtracecmd's C loop on the uncompressed copy (target 2x)"
      for _ in $(seq "$RUNS"); do
        once analyze-json-zstd "$BIN" analyze --json "$BIG"
        once libtracecmd-loop-none "$ANCHOR" "$NONE"
      done
      row libtracecmd-loop-none "$events"; row analyze-json-zstd "$events" libtracecmd-loop-none ;;
    dump)
      header "dump vs trace-cmd report, same file, output to /dev/null (target 2x)"
      for file in "$BIG" "$NONE"; do
        kind=zstd; [ "$file" = "$NONE" ] && kind=none
        for _ in $(seq "$RUNS"); do once "report-$kind" trace-cmd report "$file"; once "dump-$kind" "$BIN" dump "$file"; done
        row "report-$kind" "$events"; row "dump-$kind" "$events" "report-$kind"
      done ;;
    text)
      if [ ! -s "$TXT" ]; then echo "making $TXT once (trace-cmd report)..." >&2; trace-cmd report "$NONE" > "$TXT" 2>/dev/null; fi
      command -v mawk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q mawk >/dev/null
      lines=$(wc -l < "$TXT")
      header "analyze on report text ($(du -h "$TXT" | cut -f1), $lines lines) vs mawk (target 2x)"
      # Two anchors: mawk counting what analyze needs at the least (IPI targets and receptions
      # per CPU), and mawk counting what analyze reports from the text without pairing (events
      # per name and CPU, sends per CPU and target, receptions).
      for _ in $(seq "$RUNS"); do
        once mawk-count-ipi mawk -f scripts/bench/mawk-count-ipi.awk "$TXT"
        once mawk-analyze-text mawk -f scripts/bench/mawk-analyze-text.awk "$TXT"
        once analyze-json-text "$BIN" analyze -q --json "$TXT"
        once stats-text "$BIN" stats "$TXT"
      done
      row mawk-count-ipi "$lines"; row mawk-analyze-text "$lines"
      row analyze-json-text "$lines" mawk-count-ipi; row analyze-json-text "$lines" mawk-analyze-text
      row stats-text "$lines" mawk-count-ipi ;;
    memory)
      header "analyze peak RSS as the trace grows (target: under 128 MiB, under 10% growth 1x to 4x)"
      for _ in $(seq "$RUNS"); do once analyze-1x "$BIN" analyze --json "$BIG"; done
      row analyze-1x "$events"
      for scale in 2 4; do
        var=BIG$scale; file=${!var:-$BENCH_DIR/big${scale}x.dat}
        if [ ! -s "$file" ]; then
          echo "making $file from $NONE's pages repeated $scale times..." >&2
          swift build --build-tests >/dev/null && COMPRESSION=zstd scripts/make-long-trace.sh "$NONE" "$scale" "$file" >&2
        fi
        n=$("$BIN" stats "$file" | awk '/^events:/{print $2}')
        for _ in $(seq "$RUNS"); do once "analyze-${scale}x" "$BIN" analyze --json "$file"; done
        row "analyze-${scale}x" "$n"
      done ;;
    jobs)
      # Many traces at once: 8 copies of the mid-size trace, one thread against every core.
      MID=${MID:-fixtures/bench/mid-300k.v7zstd.dat}
      copies=(); for i in 1 2 3 4 5 6 7 8; do cp "$MID" "$tmp/mid-$i.dat"; copies+=("$tmp/mid-$i.dat"); done
      n=$(( 8 * $("$BIN" stats "$MID" | awk '/^events:/{print $2}') ))
      header "analyze of 8 traces (8 x $MID): --jobs 1 against --jobs $(nproc)"
      for _ in $(seq "$RUNS"); do
        once analyze-8-traces-jobs-1 "$BIN" analyze --jobs 1 --json "${copies[@]}"
        once "analyze-8-traces-jobs-$(nproc)" "$BIN" analyze --jobs "$(nproc)" --json "${copies[@]}"
      done
      row analyze-8-traces-jobs-1 "$n"; row "analyze-8-traces-jobs-$(nproc)" "$n" analyze-8-traces-jobs-1 ;;
    callgrind)
      # Instruction counts repeat exactly for one binary and input: they show a regression
      # that wall time on this machine hides.
      command -v valgrind >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends valgrind >/dev/null
      MID=${MID:-fixtures/bench/mid-300k.v7zstd.dat}
      # valgrind 3.19 cannot read the DWARF 5 of Swift 6 binaries: count a copy without it.
      strip --strip-debug -o "$tmp/pokestat-nodebug" "$BIN"
      echo; echo "== callgrind instruction counts on $MID ($("$BIN" stats "$MID" | awk '/^events:/{print $2}') events)"
      for command in "stats" "analyze --json" "dump"; do
        # shellcheck disable=SC2086
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$tmp/pokestat-nodebug" $command "$MID" > /dev/null 2> "$tmp/cg"
        printf "%-34s %16s instructions\n" "pokestat $command" "$(awk '/Collected :/{print $NF}' "$tmp/cg")"
      done ;;
    *) echo "bench: unknown section $section (stats analyze dump text memory jobs callgrind)" >&2; exit 2 ;;
  esac
done
