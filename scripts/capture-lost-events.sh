#!/bin/bash
# Records a small trace that overflows its ring buffer, for the lost-events tests: a private
# instance with a tiny per-CPU buffer, ipi + irq_vectors + csd + sched events,
# `perf bench sched pipe` overflows it, then bpf_stats_enabled flips 6 times; saved with
# `trace-cmd extract -B`.
# The kernel marks overwritten pages as missed events, which trace-cmd report prints as
# "CPU:N [EVENTS DROPPED]". usage: capture-lost-events.sh OUT.dat
set -euo pipefail
OUT=${1:?usage: $0 OUT.dat}
T=/sys/kernel/tracing; NAME=pokestat-lost-$$; I=$T/instances/$NAME; BPF=/proc/sys/kernel/bpf_stats_enabled
orig_bpf=$(cat $BPF)
cleanup() { echo "$orig_bpf" > $BPF; [ -d "$I" ] && { echo 0 > $I/tracing_on; rmdir "$I" 2>/dev/null || true; }; }
trap cleanup EXIT INT TERM
mkdir "$I"
echo 16 > $I/buffer_size_kb
for e in ipi irq_vectors/call_function_single_entry irq_vectors/call_function_entry sched/sched_switch sched/sched_wakeup csd/csd_queue_cpu; do
  echo 1 > $I/events/$e/enable
done
echo 1 > $I/tracing_on
# First overflow the buffer (the oldest pages are overwritten), then flip: the flips survive.
perf bench sched pipe -l 20000 >/dev/null 2>&1
for i in $(seq 3); do
  echo "FLIP_BEGIN bpf_stats_enabled=1" > $I/trace_marker; echo 1 > $BPF; echo "FLIP_END bpf_stats_enabled=1" > $I/trace_marker
  echo "FLIP_BEGIN bpf_stats_enabled=0" > $I/trace_marker; echo 0 > $BPF; echo "FLIP_END bpf_stats_enabled=0" > $I/trace_marker
done
echo 0 > $I/tracing_on
cat $I/per_cpu/cpu*/stats | grep -E "overrun|dropped" >&2
tmp=$(mktemp -d); (cd "$tmp" && trace-cmd extract -B "$NAME" -o "$(realpath -m "$OUT")" >/dev/null 2>&1); rm -rf "$tmp"
ls -l "$OUT"
