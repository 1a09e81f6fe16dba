#!/usr/bin/env python3
"""Independent counts of a `pokestat record` trace.dat, from `trace-cmd report` text only.

usage: expected-record.py TRACE.dat   (prints one JSON object)

Counts, without pokestat:
  flips            FLIP_BEGIN trace_marker lines
  batches          kprobe entries on the batch function (text_poke_bp_batch,
                   smp_text_poke_batch_process/_finish, arch_jump_label_transform_apply),
                   whatever the probe's group; batch_returns: the kretprobe's lines
  entries          the batch probes' nr_entries values, in order
  ipis_sent        IPI targets of every send: native_send_call_func_ipi (bits of mask=),
                   native_send_call_func_single_ipi (one), ipi_send_cpu (one),
                   ipi_send_cpumask (CPUs of cpumask=)
  text_poke_syncs  sends whose kernel_stack (the next event on the send's CPU, its `=> fn`
                   lines), above its first interrupt-entry frame, passes through the batch
                   function; text_poke_ipis: their targets
  received_per_cpu call_function_entry + call_function_single_entry per CPU
"""
import json, re, subprocess, sys

BATCH = ("text_poke_bp_batch", "smp_text_poke_batch_process", "smp_text_poke_batch_finish",
         "arch_jump_label_transform_apply")
IRQ_ENTRY = ("asm_", "sysvec_", "__sysvec_", "exc_", "__irq_exit", "handle_softirqs", "__do_softirq", "do_softirq",
             "__softirqentry")
LINE = re.compile(r"^\s*(?P<task>.+?)-(?P<pid>\d+)\s+\[(?P<cpu>\d+)\]\s+(?:\S+\s+)?(?P<ts>\d+\.\d+):\s+(?P<name>[\w:]+):\s*(?P<rest>.*)$")


def cpus_of_list(text):
    out = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def targets(name, rest):
    if name == "native_send_call_func_ipi":
        m = re.search(r"mask=(0x[0-9a-fA-F]+)", rest)
        return bin(int(m.group(1), 16)).count("1") if m else None
    if name in ("native_send_call_func_single_ipi", "ipi_send_cpu"):
        return 1
    if name == "ipi_send_cpumask":
        m = re.search(r"cpumask=(\S+)", rest)
        return len(cpus_of_list(m.group(1))) if m else None
    return None


def main(path):
    report = subprocess.run(["trace-cmd", "report", "-i", path], check=True, capture_output=True, text=True).stdout
    flips = batches = returns = ipis = syncs = tp_ipis = 0
    entries, received = [], {}
    # A send's kernel_stack is the next event on the same CPU (report lines of other CPUs may
    # come between): sends wait per CPU for their stack; frames belong to the latest stack line.
    pending = {}   # cpu -> targets of its latest send without a stack yet
    frames = None  # [targets, [fn...]] of the stack being read

    def own_frames(stack):
        # the send's own call chain: the frames above the first interrupt entry (below it is
        # the interrupted context, e.g. a timer interrupt that arrived inside a batch)
        out = []
        for f in stack:
            if f.startswith(IRQ_ENTRY) or f in ("irq_exit", "irq_exit_rcu", "common_interrupt"):
                break
            out.append(f)
        return out

    def close_stack():
        nonlocal syncs, tp_ipis, frames
        if frames is not None and any(f in BATCH for f in own_frames(frames[1])):
            syncs += 1
            tp_ipis += frames[0]
        frames = None

    for line in report.splitlines():
        if line.startswith("=> "):
            if frames is not None:
                frames[1].append(line[3:].split(" ")[0])
            continue
        m = LINE.match(line)
        if not m:
            continue
        close_stack()
        name, rest, cpu = m.group("name"), m.group("rest"), int(m.group("cpu"))
        if name == "kernel_stack":
            if cpu in pending:
                frames = [pending.pop(cpu), []]
            continue
        pending.pop(cpu, None)  # another event on this CPU first: that send has no stack
        if name == "print" and "FLIP_BEGIN" in rest:
            flips += 1
        elif name in BATCH:
            batches += 1
            e = re.search(r"nr_entries=(-?\d+)", rest)
            entries.append(int(e.group(1)) if e else None)
        elif name.endswith("_ret") and name[:-4] in BATCH:
            returns += 1
        elif name in ("call_function_entry", "call_function_single_entry"):
            received[str(cpu)] = received.get(str(cpu), 0) + 1
        else:
            t = targets(name, rest)
            if t is not None:
                ipis += t
                pending[cpu] = t
    close_stack()
    print(json.dumps({"flips": flips, "batches": batches, "batch_returns": returns, "entries": entries,
                      "ipis_sent": ipis, "text_poke_syncs": syncs, "text_poke_ipis": tp_ipis,
                      "received_per_cpu": received, "received": sum(received.values())}, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
