#!/bin/bash
# Copied from the team's shared lab (shared/lab/run-guest2.sh) so the project can remake its lab fixtures on its own.
# Generalized run-guest.sh: boot a Debian kernel of any suite (bullseye 5.10, bookworm 6.1,
# trixie 6.12, sid) for amd64 or arm64 under QEMU TCG with N vCPUs, flip static keys inside the
# guest while ftrace records IPIs / text patching, and save the traces on the host.
#
# usage: SUITE=bullseye|bookworm|trixie|sid ARCH=amd64|arm64 run-guest2.sh NCPUS [OUTBASE]
#   OUTBASE defaults to ./out/<suite>-<arch>-smp<N>
# env:   WORK=/tmp/lab2 (downloads and scratch), MEM=1G, TIMEOUT=900 (qemu wall limit, s),
#        FLAVOUR=cloud (kernel flavour: cloud -> linux-image-cloud-<arch>; "" -> linux-image-<arch>),
#        SENDPROBES=1 (amd64: kprobes on native_send_call_func{,_single}_ipi; 0 leaves them out, for
#        kernels with ipi_send_* tracepoints, and adds "-nosendprobes" to OUTBASE),
#        MODE=flip (default: the traced flip experiment) | record (amd64 only: run
#        `pokestat record` in the guest; POKESTAT=path of a release binary (required);
#        outputs OUTBASE-record.{console.log,rec.dat,...}); RECORDQUICK=1 (with MODE=record: one
#        `pokestat record --stacktrace --compression zstd` run only, no symbol survey, for the
#        test in `make test`; RECORDARGS overrides its arguments)
# outputs: OUTBASE.txt (events instance "ev", tracefs text), OUTBASE.fgraph.txt (top buffer,
#          function_graph), OUTBASE.dat (trace-cmd extract -a), OUTBASE.console.log,
#          OUTBASE.summary.txt (the guest's @@@ lines: kernel, events, symbols, /proc/interrupts)
#
# Nothing is installed from suites other than bookworm: kernels and arm64 userland are only
# `apt-get download`ed and unpacked with dpkg -x. The extra suites must be in an apt sources file
# (see README.md beside this script).
set -euo pipefail
LAB=$(cd "$(dirname "$0")" && pwd)
SUITE=${SUITE:-bookworm}; ARCH=${ARCH:-amd64}; MODE=${MODE:-flip}
NCPU=${1:?usage: SUITE=.. ARCH=.. $0 NCPUS [OUTBASE]}
OUT=${2:-$PWD/out/$SUITE-$ARCH-smp$NCPU}; OUT=${OUT%.txt}
SENDPROBES=${SENDPROBES:-1}
[ "$SENDPROBES" = 0 ] && OUT=$OUT-nosendprobes
[ "$MODE" = record ] && OUT=$OUT-record
case "$OUT" in /*) ;; *) OUT=$PWD/$OUT;; esac
WORK=${WORK:-/tmp/lab2}; MEM=${MEM:-$([ "$MODE" = record ] && echo 2G || echo 1G)}; FLAVOUR=${FLAVOUR-cloud}
POKESTAT=${POKESTAT:-}
[ "$MODE" = record ] && [ ! -x "$POKESTAT" ] && { echo "MODE=record needs POKESTAT=<pokestat release binary>"; exit 2; }
KW=$WORK/$SUITE-$ARCH${FLAVOUR:+-$FLAVOUR}
mkdir -p "$KW" "$WORK/debs" "$(dirname "$OUT")"; cd "$KW"
export DEBIAN_FRONTEND=noninteractive
case $ARCH in
  amd64) QEMU=qemu-system-x86_64; QPKG=qemu-system-x86; CONSOLE=ttyS0;;
  arm64) QEMU=qemu-system-aarch64; QPKG=qemu-system-arm; CONSOLE=ttyAMA0;;
  *) echo "ARCH must be amd64 or arm64"; exit 2;;
esac
if ! command -v $QEMU >/dev/null || [ ! -x /bin/busybox ] || ! command -v cpio >/dev/null \
   || ! command -v trace-cmd >/dev/null; then
  apt-get update -q && apt-get install -y -q $QPKG busybox-static cpio trace-cmd
fi
dl() { (cd "$WORK/debs" && umask 022 && apt-get download -q "$@" 2>&1 | grep -v unsandboxed || true); }
# --- kernel: the image package the suite's meta package depends on, downloaded and unpacked
META=linux-image-${FLAVOUR:+$FLAVOUR-}$ARCH; [ $ARCH = arm64 ] && META=$META:arm64
have_kernel() { compgen -G 'kroot/boot/vmlinuz-*' >/dev/null || compgen -G 'kroot/usr/lib/modules/*/vmlinuz' >/dev/null; }
if ! have_kernel; then
  apt-cache show "$META" >/dev/null 2>&1 || apt-get update -q
  if [ "$SUITE" = bookworm ]; then   # newest of bookworm and bookworm-security
    VER=$(apt-cache policy "$META" | awk '/Candidate:/{print $2}')
  else
    VER=$(apt-cache madison "$META" | awk -F'|' -v s=" $SUITE/main" 'index($3, s){gsub(/ /,"",$2); print $2; exit}')
  fi
  [ -n "$VER" ] || { echo "no $META in $SUITE (is the suite in an apt sources file?)"; exit 2; }
  PKG=$(apt-cache show "$META=$VER" | awk -F': ' '/^Depends:/{n=split($2,a,/[ ,|]+/); for(i=1;i<=n;i++) if(a[i]~/^linux-image-/){print a[i]; exit}}')
  PKG=${PKG%:arm64}
  echo "kernel package: $PKG $VER ($SUITE, $ARCH)"
  DEB=$WORK/debs/${PKG}_${VER//:/%3a}_$ARCH.deb
  [ -f "$DEB" ] || dl "$PKG:$ARCH=$VER"
  dpkg -x "$DEB" kroot
  if ! have_kernel; then
    # newer packaging (sid 7.x): the image package is a stub; vmlinuz is in linux-binary-*
    BIN=$(apt-cache show "$PKG:$ARCH=$VER" | awk -F': ' '/^Depends:/{n=split($2,a,/[ ,|]+/); for(i=1;i<=n;i++) if(a[i]~/^linux-binary-/){print a[i]; exit}}')
    BIN=${BIN%:$ARCH}; echo "kernel binary package: $BIN $VER"
    DEB=$WORK/debs/${BIN}_${VER//:/%3a}_$ARCH.deb
    [ -f "$DEB" ] || dl "$BIN:$ARCH=$VER"
    dpkg -x "$DEB" kroot
  fi
fi
if compgen -G 'kroot/boot/vmlinuz-*' >/dev/null; then K=$(ls kroot/boot/vmlinuz-* | head -1); KVER=${K##*/vmlinuz-}
else K=$(ls kroot/usr/lib/modules/*/vmlinuz | head -1); KVER=$(basename "$(dirname "$K")"); fi   # sid 7.x layout
# --- initramfs: static busybox + trace-cmd with its shared libs + /init
R=$KW/initramfs; rm -rf "$R"; mkdir -p "$R"/{bin,proc,sys,dev,tmp,lib}
if [ $ARCH = amd64 ]; then
  cp /bin/busybox "$R"/bin/
  copy_with_libs() { cp "$1" "$R"/bin/; for l in $(ldd "$1" | grep -o '/[^ ]*'); do mkdir -p "$R$(dirname $l)"; cp -L "$l" "$R$l"; done; }
  copy_with_libs "$(command -v trace-cmd)"
  if [ "$MODE" = record ]; then
    [ -x "$POKESTAT" ] || { echo "no pokestat at $POKESTAT"; exit 2; }
    copy_with_libs "$POKESTAT"
  fi
else
  # arm64 userland from bookworm: downloaded, unpacked with dpkg -x, never installed
  U=$WORK/arm64-userland
  if [ ! -x "$U/usr/bin/trace-cmd" ]; then
    for p in busybox-static trace-cmd libtraceevent1 libtracefs1 libzstd1 zlib1g libc6; do
      ls "$WORK"/debs/${p}_*_arm64.deb >/dev/null 2>&1 || dl "$p:arm64"
      dpkg -x "$(ls "$WORK"/debs/${p}_*_arm64.deb | head -1)" "$U"
    done
  fi
  cp "$U"/bin/busybox "$R"/bin/; cp "$U"/usr/bin/trace-cmd "$R"/bin/
  # copy the ELF interpreter and every DT_NEEDED library, recursively, from the unpacked tree
  need() { readelf -d "$1" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'; }
  todo="$(need "$U"/usr/bin/trace-cmd) ld-linux-aarch64.so.1"; done_=""
  while [ -n "$todo" ]; do
    set -- $todo; n=$1; shift; todo="$*"
    case " $done_ " in *" $n "*) continue;; esac; done_="$done_ $n"
    f=$(find "$U"/lib "$U"/usr/lib -name "$n" \( -type f -o -type l \) | head -1)
    [ -n "$f" ] || { echo "missing arm64 library $n"; exit 2; }
    rel=${f#$U}; mkdir -p "$R$(dirname "$rel")" "$R"/lib/aarch64-linux-gnu
    cp -L "$f" "$R$rel"; cp -L "$f" "$R"/lib/aarch64-linux-gnu/ 2>/dev/null || true
    todo="$todo $(need "$f")"
  done
  cp -L "$U"/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1 "$R"/lib/ld-linux-aarch64.so.1
fi
cat > "$R"/init <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin; export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev
mount -t tracefs tracefs /sys/kernel/tracing; mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo 1 > /proc/sys/kernel/printk
MODE=$(sed -n 's/.*labmode=\([a-z]*\).*/\1/p' /proc/cmdline)
SENDPROBES=$(sed -n 's/.*labsendprobes=\([01]\).*/\1/p' /proc/cmdline)
T=/sys/kernel/tracing; I=$T/instances/ev
M=$(uname -m); t0=$(cut -d' ' -f1 /proc/uptime)
echo; echo "@@@INFO kernel=$(uname -r) arch=$M cpus=$(grep -c ^processor /proc/cpuinfo) uptime_at_init=$t0 mode=$MODE"
echo "@@@INFO tracers: $(cat $T/available_tracers)"
echo "@@@INFO ipi_events: $(ls $T/events/ipi 2>&1 | tr '\n' ' ')"
echo "@@@INFO csd_events: $(ls $T/events/csd 2>&1 | tr '\n' ' ')"
echo "@@@INFO irq_vectors_call_function: $(ls -d $T/events/irq_vectors/call_function* 2>&1 | sed 's|.*/||' | tr '\n' ' ')"
echo "@@@INFO kprobe_events: $([ -f $T/kprobe_events ] && echo yes || echo no)"
SYMS='text_poke_array|text_poke_bp_batch|text_poke_bp|poke_int3_handler|text_poke_finish|text_poke_sync|text_poke_queue|smp_text_poke[a-z_]*|do_sync_core|native_send_call_func_ipi|native_send_call_func_single_ipi|aarch64_insn_patch_text_nosync|aarch64_insn_patch_text|arch_jump_label_transform|arch_jump_label_transform_queue|arch_jump_label_transform_apply|kick_all_cpus_sync|smp_call_function_many_cond|smp_call_function|on_each_cpu_cond_mask|smp_cross_call|arch_send_call_function_ipi_mask|jump_label_update|__jump_label_update'
grep -E " ($SYMS)\$" /proc/kallsyms | sed 's/^/@@@SYM /'
grep -q labquick=1 /proc/cmdline || for f in $(echo "$SYMS" | tr '|' ' '); do grep -qx "$f" $T/available_filter_functions && echo "@@@TRACEABLE $f"; done
[ -f /sys/kernel/debug/kprobes/blacklist ] && grep -E "($SYMS)\$" /sys/kernel/debug/kprobes/blacklist | sed 's/^/@@@KPROBE_BLACKLIST /'
has() { grep -qE " $1\$" /proc/kallsyms; }
if [ "$MODE" = record ] && grep -q labquick=1 /proc/cmdline; then
  mkdir -p /run /etc; export HOME=/tmp; echo "root:x:0:0:root:/tmp:/bin/sh" > /etc/passwd
  ARGS=$(cat /recordargs)
  echo "@@@BEGIN record"
  cd /tmp; pokestat record $ARGS -o /tmp/rec.dat > /tmp/rec.out 2>&1; echo "@@@INFO record rc=$?"
  cat /tmp/rec.out; echo "@@@END record"
  echo "@@@BEGIN leftovers"; ls $T/instances; cat $T/kprobe_events; cat /proc/sys/kernel/bpf_stats_enabled; echo "@@@END leftovers"
  echo "@@@BEGIN recdat"; [ -f /tmp/rec.dat ] && base64 /tmp/rec.dat; echo "@@@END recdat"
  poweroff -f
fi
if [ "$MODE" = record ]; then
  mkdir -p /run /etc; export HOME=/tmp; echo "root:x:0:0:root:/tmp:/bin/sh" > /etc/passwd
  echo "@@@INFO pokestat: $(pokestat --version 2>&1)"
  echo "@@@BEGIN record"
  cd /tmp; pokestat record --flip kernel.bpf_stats_enabled=1,0 --times 3 -o /tmp/rec.dat > /tmp/rec.out 2>&1; echo "@@@INFO record rc=$?"
  cat /tmp/rec.out; echo "@@@END record"
  echo "@@@BEGIN record_json"; cd /tmp; pokestat record --flip kernel.bpf_stats_enabled=1,0 --times 3 --stacktrace --json -o /tmp/rec-stack.dat 2>/tmp/rec2.err; echo "@@@INFO record2 rc=$?"; echo "@@@END record_json"
  echo "@@@BEGIN record2_stderr"; cat /tmp/rec2.err; echo "@@@END record2_stderr"
  echo "@@@BEGIN analyze"; pokestat analyze /tmp/rec.dat; echo "@@@INFO analyze rc=$?"; echo "@@@END analyze"
  echo "@@@BEGIN leftovers"; ls $T/instances; cat $T/kprobe_events; cat /proc/sys/kernel/bpf_stats_enabled; echo "@@@END leftovers"
  echo "@@@BEGIN recdat"; [ -f /tmp/rec.dat ] && base64 /tmp/rec.dat; echo "@@@END recdat"
  echo "@@@BEGIN recstackdat"; [ -f /tmp/rec-stack.dat ] && base64 /tmp/rec-stack.dat; echo "@@@END recstackdat"
  poweroff -f
fi
mkdir $I
for b in $T $I; do echo 8192 > $b/buffer_size_kb; echo global > $b/trace_clock; echo 0 > $b/tracing_on; done
# kprobes (defined globally, enabled in instance "ev")
kp() { echo "$1" >> $T/kprobe_events 2>/dev/null && echo 1 > $I/events/kprobes/$2/enable && echo "@@@INFO kprobe $2: $1" || echo "@@@WARN kprobe $2 failed: $1"; }
trig() { [ -e $I/events/$1/trigger ] && { echo stacktrace > $I/events/$1/trigger && echo "@@@INFO stacktrace trigger on $1" || echo "@@@WARN trigger $1 failed"; }; }
ev() { [ -e $I/events/$1/enable ] && echo 1 > $I/events/$1/enable && echo "@@@INFO event $1 on" || echo "@@@WARN no event $1"; }
if [ "$M" = x86_64 ]; then
  # the batch function: text_poke_bp_batch(tp, nr_entries) up to 6.15; from 6.16
  # smp_text_poke_batch_process(void) (or, where that is inlined, smp_text_poke_batch_finish),
  # whose entry count is text_poke_array.nr_entries (after vec[256] of 16 bytes: +4096)
  if has text_poke_bp_batch; then BATCH=text_poke_bp_batch; NR='nr=%si:u32'
  elif has smp_text_poke_batch_process; then BATCH=smp_text_poke_batch_process; NR='nr=@text_poke_array+4096:s32'
  else BATCH=smp_text_poke_batch_finish; NR='nr=@text_poke_array+4096:s32'; fi
  kp "p:tpb $BATCH $NR" tpb
  kp "r:tpb_ret $BATCH" tpb_ret
  if [ "$SENDPROBES" != 0 ]; then
    kp 'p:sendipi native_send_call_func_ipi mask=+0(%di):x64' sendipi
    kp 'p:sendipi1 native_send_call_func_single_ipi cpu=%di:s32' sendipi1
    trig kprobes/sendipi; trig kprobes/sendipi1
  else echo "@@@INFO no kprobes on native_send_call_func{,_single}_ipi (SENDPROBES=0)"; fi
  for e in ipi irq_vectors/call_function_entry irq_vectors/call_function_exit \
           irq_vectors/call_function_single_entry irq_vectors/call_function_single_exit; do ev $e; done
  trig ipi/ipi_send_cpu; trig ipi/ipi_send_cpumask
  GRAPH=$BATCH
  FILTER="$BATCH text_poke text_poke_sync smp_text_poke_sync_each_cpu do_sync_core on_each_cpu_cond_mask smp_call_function_many_cond native_send_call_func_ipi native_send_call_func_single_ipi"
else
  kp 'p:patch aarch64_insn_patch_text_nosync addr=%x0:x64 insn=%x1:x32' patch
  has arch_jump_label_transform_queue && kp 'p:jlq arch_jump_label_transform_queue' jlq
  has arch_jump_label_transform && kp 'p:jlt arch_jump_label_transform' jlt
  if has arch_jump_label_transform_apply; then
    kp 'p:jla arch_jump_label_transform_apply' jla; kp 'r:jla_ret arch_jump_label_transform_apply' jla_ret
  else echo "@@@INFO no arch_jump_label_transform_apply in kallsyms"; fi
  kp 'p:kick kick_all_cpus_sync' kick; kp 'r:kick_ret kick_all_cpus_sync' kick_ret
  trig kprobes/kick
  ev ipi; trig ipi/ipi_raise; trig ipi/ipi_send_cpu; trig ipi/ipi_send_cpumask
  GRAPH="arch_jump_label_transform_apply arch_jump_label_transform_queue arch_jump_label_transform"
  FILTER="$GRAPH aarch64_insn_patch_text_nosync kick_all_cpus_sync smp_call_function smp_call_function_many_cond arch_send_call_function_ipi_mask smp_cross_call __ipi_send_mask gic_ipi_send_mask"
fi
# function_graph (top-level buffer), children limited to a few functions
for f in $FILTER; do echo $f >> $T/set_ftrace_filter 2>/dev/null || true; done
for f in $GRAPH; do echo $f >> $T/set_graph_function 2>/dev/null || true; done
if [ -n "$(grep -v '^#' $T/set_graph_function)" ] && echo function_graph > $T/current_tracer; then
  echo funcgraph-abstime > $T/trace_options
else echo "@@@WARN function_graph setup failed"; fi
echo "@@@INFO ftrace_filter: $(cat $T/set_ftrace_filter | tr '\n' ' ')"
echo "@@@INFO graph_function: $(cat $T/set_graph_function | tr '\n' ' ')"
echo "@@@INFO current_tracer: $(cat $T/current_tracer)"
echo "@@@INFO kprobe_events_list: $(cat $T/kprobe_events | tr '\n' ';')"
mark() { echo "$*" > $T/trace_marker; echo "$*" > $I/trace_marker; }
cal() { echo "@@@CAL $1 $(grep -E '^ *(CAL|IPI1):' /proc/interrupts | tr -s ' ')"; }
echo "@@@BEGIN interrupts_before"; cat /proc/interrupts; echo "@@@END interrupts_before"
echo > $T/trace; echo > $I/trace; echo 1 > $T/tracing_on; echo 1 > $I/tracing_on
flip() { cal "before $1=$2"; mark "FLIP_BEGIN $1=$2"; echo $2 > /proc/sys/kernel/$1
         mark "FLIP_END $1=$2"; cal "after $1=$2"; }
for i in 1 2 3; do
  flip bpf_stats_enabled 1; flip bpf_stats_enabled 0
  flip sched_schedstats 1;  flip sched_schedstats 0
  [ -e /proc/sys/kernel/timer_migration ] && { flip timer_migration 0; flip timer_migration 1; }
done
echo 0 > $T/tracing_on; echo 0 > $I/tracing_on
echo "@@@BEGIN interrupts_after"; cat /proc/interrupts; echo "@@@END interrupts_after"
echo "@@@INFO overruns: $(grep -h overrun $T/per_cpu/cpu*/stats $I/per_cpu/cpu*/stats | awk '{s+=$2} END{print s}')"
echo "@@@BEGIN events"; cat $I/trace; echo "@@@END events"
echo "@@@BEGIN fgraph"; cat $T/trace; echo "@@@END fgraph"
if [ -x /bin/trace-cmd ]; then
  cd /tmp && trace-cmd extract -a -o /tmp/trace.dat > /tmp/tc.log 2>&1; echo "@@@INFO trace-cmd rc=$?"
  tail -3 /tmp/tc.log | sed 's/^/@@@TC /'
  if [ -f /tmp/trace.dat ]; then
    if [ "$M" = x86_64 ]; then base64 /tmp/trace.dat > /dev/ttyS1
    else echo "@@@BEGIN dat"; base64 /tmp/trace.dat; echo "@@@END dat"; fi
  fi
fi
echo "@@@INFO uptime_at_end=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
EOF
chmod +x "$R"/init
echo "${RECORDARGS:---flip kernel.bpf_stats_enabled=1,0 --times 3 --stacktrace --compression zstd}" > "$R"/recordargs
# RECORDQUICK: an uncompressed cpio (the kernel takes it as is), since gzip of the ~100 MB Swift
# runtime costs more time on a busy machine than QEMU's loading of the larger file
if [ "${RECORDQUICK:-0}" = 1 ]; then (cd "$R" && find . | cpio -o -H newc 2>/dev/null) > initrd-lab.gz
else (cd "$R" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > initrd-lab.gz; fi
# --- boot (TCG; KVM does not work on this host, see README.md)
APPEND="console=$CONSOLE panic=-1 quiet labmode=$MODE labsendprobes=$SENDPROBES labquick=${RECORDQUICK:-0}"
if [ $ARCH = amd64 ]; then
  Q=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max -serial mon:stdio -serial file:"$OUT.dat.b64")
else
  # pauth-impdef=on: the same pointer authentication, with QEMU's cheap hash instead of QARMA
  # (QEMU 7.2 has the property); CPU=max to emulate QARMA
  Q=(qemu-system-aarch64 -M virt -accel tcg,thread=multi -cpu ${CPU:-max,pauth-impdef=on} -serial mon:stdio)
fi
s=$(date +%s.%N)
if [ -z "${POSTONLY:-}" ]; then   # POSTONLY=1: only redo the host-side steps from OUTBASE.console.log
  echo "booting $K ($KVER) with ${Q[*]} -smp $NCPU"
  timeout "${TIMEOUT:-900}" "${Q[@]}" -smp "$NCPU" -m "$MEM" -nographic -no-reboot -net none \
    -kernel "$K" -initrd initrd-lab.gz -append "$APPEND" < /dev/null | tr -d '\r' > "$OUT.console.log" || true
fi
e=$(date +%s.%N); WALL=$(awk -v a="$s" -v b="$e" 'BEGIN{printf "%.2f", b-a}')
if [ -z "${POSTONLY:-}" ]; then echo "$WALL" > "$OUT.wall"; else WALL=$(cat "$OUT.wall" 2>/dev/null || echo unknown); fi
echo "qemu wall ${WALL}s"
sec() { sed -n "/^@@@BEGIN $1\$/,/^@@@END $1\$/p" "$OUT.console.log" | sed '1d;$d'; }
if [ "$MODE" = record ]; then
  sec recdat | base64 -di > "$OUT.rec.dat" 2>/dev/null || true
  sec recstackdat | base64 -di > "$OUT.rec-stack.dat" 2>/dev/null || true
  grep -E '^@@@(INFO|WARN)' "$OUT.console.log"; exit 0
fi
sec events > "$OUT.txt"; sec fgraph > "$OUT.fgraph.txt"
if [ $ARCH = amd64 ]; then
  [ -s "$OUT.dat.b64" ] && base64 -di "$OUT.dat.b64" > "$OUT.dat" 2>/dev/null; rm -f "$OUT.dat.b64"
else
  [ -n "$(sec dat | head -1)" ] && { sec dat | base64 -di > "$OUT.dat" 2>/dev/null || true; }
  # keep the console log readable: drop the base64 block (it is OUTBASE.dat now)
  sed -i '/^@@@BEGIN dat$/,/^@@@END dat$/{/^@@@/!d}' "$OUT.console.log"
fi
# --- what the guest reported (per-flip counts are yours to compute, independently of pokestat)
{ echo "suite=$SUITE arch=$ARCH kernel=$KVER ncpu=$NCPU accel=tcg qemu_wall_s=$WALL"
  grep -E '^@@@(INFO|WARN|SYM|TRACEABLE|KPROBE_BLACKLIST)' "$OUT.console.log"
  grep '^@@@CAL' "$OUT.console.log"; } > "$OUT.summary.txt" 2>&1
cat "$OUT.summary.txt"
