#!/bin/bash
# Records bpf_stats_enabled flips on this machine's kernel into a small trace.dat.
# Function tracing is refused on the project's machines, so events are enabled by writing
# tracefs files and the ring buffer is saved with `trace-cmd extract` (v7, zstd).
# usage: capture-local-flips.sh OUT.dat        env: FLIPS (default 5), STACK=0|1, BUF (kb per CPU)
# Every tracefs setting and the sysctl are restored on exit (trap EXIT INT TERM).
set -euo pipefail
OUT=${1:?usage: $0 OUT.dat}; FLIPS=${FLIPS:-5}; STACK=${STACK:-0}; BUF=${BUF:-4096}
T=/sys/kernel/tracing; BPF=/proc/sys/kernel/bpf_stats_enabled
[ -e $T/trace ] || mount -t tracefs nodev $T
orig_buf=$(cat $T/buffer_size_kb | awk '{print $1}'); orig_bpf=$(cat $BPF)
orig_stack=$(cat $T/options/stacktrace); orig_on=$(cat $T/tracing_on)
restore() {
  echo 0 > $T/tracing_on; echo 0 > $T/events/enable; echo "$orig_stack" > $T/options/stacktrace
  echo > $T/trace; echo "$orig_buf" > $T/buffer_size_kb; echo "$orig_bpf" > $BPF
  echo "$orig_on" > $T/tracing_on
}
trap restore EXIT INT TERM
echo 0 > $T/tracing_on; echo 0 > $T/events/enable; echo > $T/trace; echo "$BUF" > $T/buffer_size_kb
for e in ipi/ipi_send_cpu ipi/ipi_send_cpumask irq_vectors/call_function_entry irq_vectors/call_function_exit \
         irq_vectors/call_function_single_entry irq_vectors/call_function_single_exit csd/csd_queue_cpu; do
  echo 1 > $T/events/$e/enable
done
echo "$STACK" > $T/options/stacktrace
echo 1 > $T/tracing_on
for ((i = 0; i < FLIPS; i++)); do
  echo "FLIP_BEGIN bpf_stats_enabled=1" > $T/trace_marker; echo 1 > $BPF; echo "FLIP_END bpf_stats_enabled=1" > $T/trace_marker
  echo "FLIP_BEGIN bpf_stats_enabled=0" > $T/trace_marker; echo 0 > $BPF; echo "FLIP_END bpf_stats_enabled=0" > $T/trace_marker
  sleep 0.05
done
echo 0 > $T/tracing_on
rm -f "$OUT"; tmp=$(mktemp -d); (cd "$tmp" && trace-cmd extract -o "$OUT" >/dev/null 2>&1) || (cd "$tmp" && trace-cmd extract -o "$OUT")
rm -rf "$tmp"; ls -l "$OUT"
