#!/bin/bash
# Copied from the team's shared lab (shared/lab/run-guest.sh) so the project can remake its lab fixtures on its own.
# Boot a Debian 6.1 cloud kernel under QEMU with N vCPUs, flip static keys inside the
# guest while ftrace records IPIs / text_poke_bp_batch, and save the traces on the host.
# usage: run-guest.sh NCPUS OUT.txt      (env: ACCEL=tcg|kvm, WORK=/tmp/lab, MEM=1G)
# outputs: OUT.txt (event trace), OUT.fgraph.txt (function_graph), OUT.summary.txt,
#          OUT.console.log (whole serial log), OUT.dat (trace-cmd extract, if it worked)
set -euo pipefail
NCPU=${1:?usage: $0 NCPUS OUT.txt}; OUT=${2:?usage: $0 NCPUS OUT.txt}; OUT=${OUT%.txt}
WORK=${WORK:-/tmp/lab}; ACCEL=${ACCEL:-tcg}; MEM=${MEM:-1G}
mkdir -p "$WORK" "$(dirname "$OUT")"; cd "$WORK"
export DEBIAN_FRONTEND=noninteractive
if ! command -v qemu-system-x86_64 >/dev/null || [ ! -x /bin/busybox ] || ! command -v cpio >/dev/null \
   || ! command -v trace-cmd >/dev/null; then
  apt-get update -q && apt-get install -y -q qemu-system-x86 busybox-static cpio trace-cmd
fi
# --- kernel: download (not install) the current linux-image-*-cloud-amd64 and unpack it
if ! ls kroot/boot/vmlinuz-* >/dev/null 2>&1; then
  apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1 || apt-get update -q
  PKG=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
  (umask 022; apt-get download "$PKG") && dpkg -x "$PKG"_*.deb kroot
fi
K=$(ls kroot/boot/vmlinuz-* | head -1)
# --- initramfs: static busybox + trace-cmd with its shared libs + /init
R=$WORK/initramfs; rm -rf "$R"; mkdir -p "$R"/{bin,proc,sys,dev,tmp,lib64,lib/x86_64-linux-gnu}
cp /bin/busybox "$R"/bin/
if command -v trace-cmd >/dev/null; then
  cp "$(command -v trace-cmd)" "$R"/bin/
  for l in $(ldd "$(command -v trace-cmd)" | grep -o '/[^ ]*'); do cp -L "$l" "$R$l"; done
fi
cat > "$R"/init <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin; export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev
mount -t tracefs tracefs /sys/kernel/tracing; echo 1 > /proc/sys/kernel/printk
T=/sys/kernel/tracing; I=$T/instances/ev; mkdir $I
t0=$(cut -d' ' -f1 /proc/uptime)
echo; echo "@@@INFO kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) uptime_at_init=$t0"
echo "@@@INFO tracers: $(cat $T/available_tracers)"
echo "@@@INFO ipi_events: $(ls $T/events/ipi 2>&1 | tr '\n' ' ')"
echo "@@@INFO kprobe_events: $([ -f $T/kprobe_events ] && echo yes || echo no)"
grep -E ' (text_poke_bp_batch|text_poke_bp|poke_int3_handler|text_poke_finish|text_poke_sync|text_poke_queue|smp_text_poke[a-z_]*)$' /proc/kallsyms | sed 's/^/@@@SYM /'
for b in $T $I; do echo 8192 > $b/buffer_size_kb; echo global > $b/trace_clock; echo 0 > $b/tracing_on; done
# kprobes (defined globally, enabled in instance "ev")
kp() { echo "$1" >> $T/kprobe_events 2>/dev/null && echo 1 > $I/events/kprobes/$2/enable || echo "@@@WARN kprobe $2 failed"; }
kp 'p:tpb text_poke_bp_batch nr=%si:u32' tpb
kp 'r:tpb_ret text_poke_bp_batch' tpb_ret
kp 'p:sendipi native_send_call_func_ipi mask=+0(%di):x64' sendipi
kp 'p:sendipi1 native_send_call_func_single_ipi cpu=%di:s32' sendipi1
echo stacktrace > $I/events/kprobes/sendipi/trigger 2>/dev/null || true
echo stacktrace > $I/events/kprobes/sendipi1/trigger 2>/dev/null || true
for e in ipi irq_vectors/call_function_entry irq_vectors/call_function_exit \
         irq_vectors/call_function_single_entry irq_vectors/call_function_single_exit; do
  [ -e $I/events/$e/enable ] && echo 1 > $I/events/$e/enable || echo "@@@WARN no event $e"
done
# function_graph on text_poke_bp_batch (top-level buffer), children limited to a few functions
for f in text_poke_bp_batch text_poke text_poke_sync do_sync_core on_each_cpu_cond_mask \
         smp_call_function_many_cond native_send_call_func_ipi native_send_call_func_single_ipi; do
  echo $f >> $T/set_ftrace_filter 2>/dev/null || true; done
echo text_poke_bp_batch > $T/set_graph_function && echo function_graph > $T/current_tracer \
  && echo funcgraph-abstime > $T/trace_options || echo "@@@WARN function_graph setup failed"
echo "@@@INFO ftrace_filter: $(cat $T/set_ftrace_filter | tr '\n' ' ')"
mark() { echo "$*" > $T/trace_marker; echo "$*" > $I/trace_marker; }
cal() { echo "@@@CAL $1 $(grep -E '^ *CAL:' /proc/interrupts | tr -s ' ')"; }
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
echo "@@@BEGIN events"; cat $I/trace; echo "@@@END events"
echo "@@@BEGIN fgraph"; cat $T/trace; echo "@@@END fgraph"
if [ -x /bin/trace-cmd ]; then
  cd /tmp && trace-cmd extract -a -o /tmp/trace.dat > /tmp/tc.log 2>&1; echo "@@@INFO trace-cmd rc=$?"
  tail -3 /tmp/tc.log | sed 's/^/@@@TC /'
  [ -f /tmp/trace.dat ] && base64 /tmp/trace.dat > /dev/ttyS1
fi
echo "@@@INFO uptime_at_end=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
EOF
chmod +x "$R"/init
(cd "$R" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > initrd-lab.gz
# --- boot
case $ACCEL in kvm) A="-accel kvm -cpu host,-arch-capabilities";; *) A="-accel tcg,thread=multi -cpu max";; esac
s=$(date +%s.%N)
timeout "${TIMEOUT:-600}" qemu-system-x86_64 $A -smp "$NCPU" -m "$MEM" -nographic -no-reboot -net none \
  -serial mon:stdio -serial file:"$OUT.dat.b64" -kernel "$K" -initrd initrd-lab.gz \
  -append "console=ttyS0 panic=-1 quiet" < /dev/null | tr -d '\r' > "$OUT.console.log" || true
e=$(date +%s.%N); WALL=$(awk -v a="$s" -v b="$e" 'BEGIN{printf "%.2f", b-a}')
sec() { sed -n "/^@@@BEGIN $1\$/,/^@@@END $1\$/p" "$OUT.console.log" | sed '1d;$d'; }
sec events > "$OUT.txt"; sec fgraph > "$OUT.fgraph.txt"
[ -s "$OUT.dat.b64" ] && base64 -di "$OUT.dat.b64" > "$OUT.dat" 2>/dev/null; rm -f "$OUT.dat.b64"
# --- per-flip summary from the event trace
{ echo "ncpu=$NCPU accel=$ACCEL qemu_wall_s=$WALL"; grep -E '^@@@(INFO|WARN|SYM)' "$OUT.console.log"
  awk -v N="$NCPU" -f - "$OUT.txt" <<'AWK'
function ts(){ match($0, / [0-9]+\.[0-9]+: /); return substr($0, RSTART+1, RLENGTH-3)+0 }
function cpu(){ match($0, /\[[0-9]+\]/); return substr($0, RSTART+1, RLENGTH-2)+0 }
function pop(h,  n,d,v){ n=0; h=tolower(h); sub(/^0x/,"",h); while(h!=""){ d=substr(h,length(h),1)
  v=index("0123456789abcdef",d)-1; while(v){ n+=v%2; v=int(v/2) }; h=substr(h,1,length(h)-1) }; return n }
function fin(){ if (cur!="") { if (tp) { tpc++; tpi+=curn } else { oc++; oi+=curn } }; cur="" }
!/^ => / { fin() }
/tracing_mark_write: FLIP_BEGIN/ { f=$NF; inflip=1; nb=ne=tpc=tpi=oc=oi=0; dur=""; delete cfe; delete cfse; next }
/tracing_mark_write: FLIP_END/ { inflip=0; line=""; tot=0
  for(c=0;c<N;c++){ line=line sprintf(" %d/%d", cfe[c]+0, cfse[c]+0); tot+=cfe[c]+cfse[c] }
  printf "%-21s batches=%d entries=%d textpoke_sends=%d(ipis %d) other_sends=%d(ipis %d) cf+cfs_received=%d expected=3*b*(N-1)=%d tpb_us=[%s] per-cpu cf/cfs:%s\n",
    f, nb, ne, tpc, tpi, oc, oi, tot, 3*nb*(N-1), dur, line; next }
!inflip { next }
/ tpb: / { nb++; c=cpu(); t=ts(); match($0,/nr=[0-9]+/); ne+=substr($0,RSTART+3,RLENGTH-3); st[c]=t; next }
/ tpb_ret: / { c=cpu(); if (c in st) dur=dur sprintf("%s%.0f", dur==""?"":" ", (ts()-st[c])*1e6); next }
/ sendipi: / { c=cpu(); match($0,/mask=0x[0-9a-f]+/); pn[c]=pop(substr($0,RSTART+5,RLENGTH-5)); next }
/ sendipi1: / { pn[cpu()]=1; next }
/<stack trace>/ { c=cpu(); if (c in pn) { cur=c; curn=pn[c]; delete pn[c]; tp=irq=0 }; next }
/^ => / { if (cur!="") { if (/asm_|softirq|irq_exit/) irq=1; if (/text_poke/ && !irq) tp=1 }; next }
/call_function_entry:/ { cfe[cpu()]++; next }
/call_function_single_entry:/ { cfse[cpu()]++; next }
END { fin() }
AWK
  echo "function_graph text_poke_bp_batch durations (us) per flip:"
  awk '/FLIP_BEGIN/{f=$(NF-1)} /FLIP_END/{print "  " f ": " d; d=""} /\|  \}/{match($0,/[0-9]+\.[0-9]+ us/); d=d " " substr($0,RSTART,RLENGTH-3)}' "$OUT.fgraph.txt"
  grep '^@@@CAL' "$OUT.console.log"; } > "$OUT.summary.txt"
cat "$OUT.summary.txt"
