#!/bin/bash
# Copied from the team's shared bench script (shared/bench/make-big-trace.sh); used by scripts/bench.sh.
# Makes a large real trace.dat on this kernel for benchmarks.
# Function tracing is not permitted on this VM, so `trace-cmd record` fails
# ("Can't enable ftrace"). Instead: enable events by writing tracefs directly,
# run a workload, stop tracing, then save the ring buffer with
# `trace-cmd extract` (writes a v7, zstd-compressed trace.dat).
#
# Env knobs: OUT (output file), DUR (seconds of workload), BUF (buffer_size_kb
# per CPU), STACK=1 (options/stacktrace=1), FLIPS (bpf_stats flips; 0 = loop
# until DUR expires), PIPE=0/1 (run `perf bench sched pipe`), BUSY=N (N busy
# spinners), FLIP_SLEEP (sleep between flips).
set -u
T=/sys/kernel/tracing
OUT=${OUT:-/tmp/perfbase/big.dat}
DUR=${DUR:-30}
BUF=${BUF:-1000000}
STACK=${STACK:-0}
FLIPS=${FLIPS:-0}
PIPE=${PIPE:-1}
BUSY=${BUSY:-0}
FLIP_SLEEP=${FLIP_SLEEP:-0}   # seconds between flips (FLIPS>0 only)
BPF=/proc/sys/kernel/bpf_stats_enabled

# buffer_size_kb reads "7 (expanded: 1408)" before the buffer is first used: keep the number a write accepts.
orig_buf=$(awk '{print ($2 == "(expanded:") ? $3 + 0 : $1}' $T/buffer_size_kb)
orig_bpf=$(cat $BPF)
pids=()

restore() {
    for p in "${pids[@]}"; do pkill -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done  # perf bench forks its workers
    wait 2>/dev/null
    echo 0 > $T/tracing_on
    echo 0 > $T/events/enable
    echo 0 > $T/options/stacktrace
    echo > $T/trace
    echo "$orig_buf" > $T/buffer_size_kb
    echo "$orig_bpf" > $BPF
    echo 1 > $T/tracing_on
}
trap restore EXIT

echo 0 > $T/tracing_on
echo 0 > $T/events/enable
echo > $T/trace
echo "$BUF" > $T/buffer_size_kb
echo 1 > $T/events/ipi/enable
echo 1 > $T/events/irq_vectors/enable
echo 1 > $T/events/timer/enable
echo 1 > $T/events/sched/sched_switch/enable
echo 1 > $T/events/sched/sched_wakeup/enable
echo "$STACK" > $T/options/stacktrace
echo 1 > $T/tracing_on

start=$(date +%s.%N)
# 1) bpf_stats flipper: every flip toggles a static key -> text_poke -> IPIs
(
    if [ "$FLIPS" -gt 0 ]; then
        for ((i = 0; i < FLIPS; i++)); do echo 1 > $BPF; echo 0 > $BPF; sleep "$FLIP_SLEEP"; done
    else
        end=$(( $(date +%s) + DUR ))
        n=0
        while [ "$(date +%s)" -lt $end ]; do
            for ((i = 0; i < 200; i++)); do echo 1 > $BPF; echo 0 > $BPF; done
            n=$((n + 200))
        done
        echo "bpf_stats flips: $n" >&2
    fi
) &
flipper=$!
# 2) cross-CPU pipe ping-pong: sched_switch/sched_wakeup/reschedule IPIs
if [ "$PIPE" = 1 ]; then
    perf bench sched pipe -l 100000000 >/dev/null 2>&1 &
    pids+=($!)
fi
# 3) optional busy spinners
for ((b = 0; b < BUSY; b++)); do
    ( while :; do :; done ) &
    pids+=($!)
done
wait $flipper
for p in "${pids[@]}"; do pkill -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
wait 2>/dev/null
pids=()
echo 0 > $T/tracing_on
stop=$(date +%s.%N)
echo "workload seconds: $(echo "$stop - $start" | bc)" >&2
for c in $T/per_cpu/cpu*; do echo "== $c"; cat $c/stats; done >&2
rm -f "$OUT"
trace-cmd extract -o "$OUT" >&2
ls -l "$OUT" >&2
