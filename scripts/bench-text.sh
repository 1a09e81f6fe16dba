#!/bin/bash
# Text reader benchmark (issue 3): parse `trace-cmd report` text of the big benchmark trace,
# counting IPI targets per CPU, and compare with mawk counting `cpu=` per CPU and with
# `trace-cmd report` writing the text. Prints lines/s and max RSS (KB) per tool.
# The report text is generated once and cached next to the trace (about 2 GB).
# usage: scripts/bench-text.sh            (needs `swift build -c release` first)
# env:   DAT (default /tmp/perfbase/big.dat, made by scripts/make-big-trace.sh), TXT, BIN, RUNS,
#        BASE (another pokestat binary, e.g. an older build, timed right after BIN in each run:
#        on this shared machine only interleaved runs compare two builds fairly)
set -euo pipefail
DAT=${DAT:-/tmp/perfbase/big.dat}
TXT=${TXT:-${DAT%.dat}.txt}
BIN=${BIN:-.build/release/pokestat}
BASE=${BASE:-}
RUNS=${RUNS:-3}
[ -f "$DAT" ] || { echo "missing $DAT: run DUR=50 OUT=$DAT scripts/make-big-trace.sh" >&2; exit 2; }
[ -x "$BIN" ] || { echo "missing $BIN: run swift build -c release" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# timed LABEL CMD...: runs CMD with /usr/bin/time and prints LABEL, wall seconds, max RSS,
# lines per wall second and lines per CPU (user + sys) second; the machine is shared, so the
# CPU-time rate is the steadier figure.
timed() {
  local label=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$tmp/time" "$@" > "$tmp/out"
  read -r secs rss user sys < "$tmp/time"
  awk -v l="$label" -v s="$secs" -v r="$rss" -v c="$(echo "$user + $sys" | bc)" -v n="$lines" \
    'BEGIN { printf "%-22s %7.2f s %9d KB %6.2f M lines/s wall %6.2f M lines/s CPU\n", l, s, r, (s > 0 ? n / s / 1e6 : 0), (c > 0 ? n / c / 1e6 : 0) }'
}

if [ ! -s "$TXT" ] || [ ! -s "$TXT.time" ]; then
  echo "generating $TXT once (trace-cmd report)..." >&2
  /usr/bin/time -f "%e %M %U %S" -o "$TXT.time" trace-cmd report "$DAT" > "$TXT" 2>/dev/null
fi
lines=$(wc -l < "$TXT")
echo "input: $TXT, $(stat -c %s "$TXT") bytes, $lines lines; $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
read -r secs rss user sys < "$TXT.time"
awk -v s="$secs" -v r="$rss" -v c="${user:+$(echo "$user + $sys" | bc)}" -v n="$lines" \
  'BEGIN { printf "%-22s %7.2f s %9d KB %6.2f M lines/s wall %6s M lines/s CPU (timed when the text was made)\n", "trace-cmd report", s, r, n / s / 1e6, (c > 0 ? sprintf("%.2f", n / c / 1e6) : "?") }'

MAWK_PROG='{ if (match($0, / cpu=[0-9]+/)) c[substr($0, RSTART + 5, RLENGTH - 5)]++ } END { for (k in c) print "cpu " k ": " c[k] }'
for run in $(seq "$RUNS"); do
  timed "pokestat stats" "$BIN" stats "$TXT"
  grep -A9 '^ipi targets' "$tmp/out" | tr '\n' ' '; echo
  if [ -n "$BASE" ]; then
    timed "pokestat stats (BASE)" "$BASE" stats "$TXT"
    grep -A9 '^ipi targets' "$tmp/out" | tr '\n' ' '; echo
  fi
  timed "mawk cpu= per CPU" mawk "$MAWK_PROG" "$TXT"
  sort "$tmp/out" | tr '\n' ' '; echo
done
if [ "${DAT_TOO:-1}" = 1 ]; then
  timed "pokestat stats (.dat)" "$BIN" stats "$DAT"
  grep -A9 '^ipi targets' "$tmp/out" | tr '\n' ' '; echo
fi
