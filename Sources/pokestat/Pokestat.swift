import ArgumentParser

/// The `pokestat` command: counts, predicts and explains the cost of live kernel text patching.
@main
struct Pokestat: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pokestat",
    abstract: "Count, predict and explain the cost of live kernel text patching.",
    discussion: """
      pokestat reads traces of static-key flips, text_poke batches, kprobes and BPF JIT activity \
      (trace.dat v6/v7, ftrace and trace-cmd report text, perf script, perf stat, bpftool, \
      /proc/interrupts), counts IPIs, int3 hits and batch durations, and compares them with a \
      reference model of the kernel's patching protocol.

      Exit status: 0 success, 1 a check found an unexplained difference, 2 bad input or usage.
      """,
    version: "0.1.0",
    subcommands: Pokestat.allSubcommands
  )
}
