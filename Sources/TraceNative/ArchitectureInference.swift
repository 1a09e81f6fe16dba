import TraceModel

/// The architecture of a trace.dat without a uname, from symbols only one architecture's kernel
/// has and the ring buffer's long size (`header_page`'s `commit` size: 4 on 32-bit kernels).
///
/// Only unambiguous evidence counts: an arm64 exception vector with 8-byte longs, a 32-bit ARM
/// IRQ entry or CPU support routine with 4-byte longs, an x86 system-call entry of the
/// matching width. Anything else (no kallsyms, symbols of two architectures, a width that
/// contradicts the symbols) gives nil.
enum ArchitectureInference {
  /// (machine, symbols that show it, the long size its kernel has, what to say).
  private static let rules: [(machine: String, symbols: [String], longSize: Int, what: String)] = [
    ("aarch64", ["el0_sync", "el1_irq", "el0t_64_sync", "el1h_64_irq"], 8, "arm64 exception vectors"),
    ("armv7l", ["cpu_v7_proc_init", "cpu_v7_do_idle", "cpu_v7_switch_mm"], 4, "ARMv7 CPU support, arch/arm/mm/proc-v7.S"),
    ("arm", ["__irq_svc", "__irq_usr"], 4, "32-bit ARM IRQ entry, arch/arm/kernel/entry-armv.S"),
    ("x86_64", ["entry_SYSCALL_64"], 8, "x86-64 system-call entry"),
    ("i686", ["entry_INT80_32", "entry_SYSENTER_32"], 4, "32-bit x86 system-call entry"),
  ]

  /// The architecture `kallsyms` (the trace's `/proc/kallsyms` text) and `longSize` show, or nil.
  static func infer(kallsyms: [UInt8], longSize: Int) -> TraceMetadata.InferredArchitecture? {
    guard !kallsyms.isEmpty else { return nil }
    let present = coreSymbols(in: kallsyms, among: Set(rules.flatMap(\.symbols)))
    var found: [(machine: String, symbol: String, what: String, longSize: Int)] = []
    for rule in rules {
      if let symbol = rule.symbols.first(where: { present.contains($0) }) {
        found.append((rule.machine, symbol, rule.what, rule.longSize))
      }
    }
    // ARMv7 is a 32-bit ARM: its more precise name wins over "arm".
    if found.contains(where: { $0.machine == "armv7l" }) { found.removeAll { $0.machine == "arm" } }
    guard found.count == 1, let only = found.first, only.longSize == longSize else { return nil }
    return TraceMetadata.InferredArchitecture(
      machine: only.machine, evidence: "kallsyms \(only.symbol) (\(only.what)) and \(longSize)-byte longs")
  }

  /// Which of `names` are core-kernel symbols of `kallsyms`: a line that ends with the name right
  /// after a space (modules' lines go on with `\t[module]`). One pass over the bytes, comparing
  /// only names of a wanted length (kallsyms is megabytes; a search per name took seconds).
  static func coreSymbols(in kallsyms: [UInt8], among names: Set<String>) -> Set<String> {
    var wanted: [[UInt8]: String] = [:]
    for name in names { wanted[Array(name.utf8)] = name }
    let lengths = Set(wanted.keys.map(\.count))
    var present: Set<String> = []
    var lineStart = 0
    var lastSpace = -1
    for index in kallsyms.indices {
      switch kallsyms[index] {
      case UInt8(ascii: " "):
        lastSpace = index
      case UInt8(ascii: "\n"):
        if lastSpace >= lineStart, lengths.contains(index - lastSpace - 1),
          let name = wanted[Array(kallsyms[(lastSpace + 1)..<index])]
        {
          present.insert(name)
        }
        lineStart = index + 1
      default:
        break
      }
    }
    return present
  }
}
