#!/bin/bash
# Regenerates the lab fixtures (fixtures/lab/<suite>-<arch>-smp<N>.*): boots each Debian kernel
# under QEMU with scripts/lab/run-guest2.sh, one guest at a time, copies what it brought back,
# and recomputes the expected numbers with scripts/fixtures/expected-lab.py (never pokestat).
#
#   scripts/lab/make-fixtures.sh [NAME...]     NAME like trixie-amd64-smp4 or
#                                              trixie-amd64-smp4-nosendprobes; default: all
#   EXPECTED_ONLY=1 scripts/lab/make-fixtures.sh   only recompute the .expected files
# env: WORK (downloads and scratch, default /tmp/pokestat-lab), OUT (guest outputs,
#      default $WORK/out), TIMEOUT (per boot, s).
#
# Per fixture: NAME.dat (the guest's `trace-cmd extract -a`: top-level function_graph buffer and
# instance `ev`), NAME.txt.gz (the `ev` instance's tracefs text), NAME.guest.txt (the guest's
# @@@ lines: kernel, events, symbols, /proc/interrupts around each flip), NAME.expected (both
# buffers) and NAME.txt.expected (`--buffer ev`, what the text holds).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAB=$ROOT/scripts/lab; DEST=$ROOT/fixtures/lab
WORK=${WORK:-/tmp/pokestat-lab}; OUT=${OUT:-$WORK/out}
ALL="trixie-amd64-smp4 bookworm-arm64-smp2 bullseye-arm64-smp2 trixie-amd64-smp2 sid-amd64-smp4 sid-amd64-smp2
     bullseye-amd64-smp2 bullseye-amd64-smp4 bookworm-arm64-smp4 bullseye-arm64-smp4 trixie-arm64-smp2 trixie-arm64-smp4
     trixie-amd64-smp4-nosendprobes bookworm-amd64-smp2 bookworm-amd64-smp4"
NAMES=${*:-$ALL}
mkdir -p "$OUT" "$DEST"
[ -n "${EXPECTED_ONLY:-}" ] || "$LAB/setup-suites.sh"
failed=""
for name in $NAMES; do
  base=${name%-nosendprobes}; sendprobes=1; [ "$base" != "$name" ] && sendprobes=0
  suite=${base%%-*}; rest=${base#*-}; arch=${rest%%-*}; cpus=${rest##*-smp}
  if [ -z "${EXPECTED_ONLY:-}" ]; then
    echo "== $name: SUITE=$suite ARCH=$arch SENDPROBES=$sendprobes $cpus vCPUs ($(date +%T))"
    rm -f "$OUT/$name".{dat,txt,summary.txt}
    if ! WORK=$WORK SUITE=$suite ARCH=$arch SENDPROBES=$sendprobes "$LAB/run-guest2.sh" "$cpus" "$OUT/$base" > "$OUT/$name.run.log" 2>&1 \
       || [ ! -s "$OUT/$name.dat" ]; then
      echo "   boot failed or brought back no trace.dat: see $OUT/$name.run.log and $OUT/$name.console.log"
      failed="$failed $name"; continue
    fi
    cp "$OUT/$name.dat" "$DEST/$name.dat"
    gzip -9c "$OUT/$name.txt" > "$DEST/$name.txt.gz"
    cp "$OUT/$name.summary.txt" "$DEST/$name.guest.txt"
  fi
  [ -f "$DEST/$name.dat" ] || { echo "   no $DEST/$name.dat"; failed="$failed $name"; continue; }
  python3 "$ROOT/scripts/fixtures/expected-lab.py" "$DEST/$name.dat" > "$DEST/$name.expected"
  python3 "$ROOT/scripts/fixtures/expected-lab.py" --buffer ev "$DEST/$name.dat" > "$DEST/$name.txt.expected"
  echo "   $(tail -1 "$DEST/$name.expected" | cut -d' ' -f1-10)"
done
[ -z "$failed" ] || { echo "failed:$failed"; exit 1; }
