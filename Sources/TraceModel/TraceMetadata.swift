/// What a trace says about itself, apart from its events.
public struct TraceMetadata: Sendable {
  /// The input's path as the user gave it.
  public var file: String
  /// Which reader produced it (`trace.dat v7 zstd`, `trace-cmd report`, ...).
  public var formatDescription: String
  /// CPUs on the traced machine, when the trace records it.
  public var cpuCount: Int?
  /// `uname -a` style text of the traced machine (trace.dat UNAME option).
  public var uname: String?
  /// The trace clock (`local`, `global`, `counter`, ...).
  public var clock: String?
  /// Whether timestamps count nanoseconds (false for `counter` and raw `x86-tsc`).
  public var clockIsNanoseconds: Bool
  /// The tracefs instances the trace holds ("" is the top-level buffer).
  public var buffers: [String]
  /// The traced kernel's symbols, empty when the trace carries none.
  public var symbols: SymbolTable
  /// Events the kernel reported dropped per CPU before the trace was saved (CPUSTAT
  /// `overrun` + `dropped events`), when known.
  public var droppedPerCPU: [Int: Int]
  /// The architecture the trace's content shows when it records no uname (a trace.dat's
  /// kallsyms and ring-buffer long size), with the evidence; nil when not unambiguous.
  public var inferredArchitecture: InferredArchitecture? = nil

  public init(
    file: String, formatDescription: String, cpuCount: Int? = nil, uname: String? = nil,
    clock: String? = nil, clockIsNanoseconds: Bool = true, buffers: [String] = [""],
    symbols: SymbolTable = SymbolTable(), droppedPerCPU: [Int: Int] = [:]
  ) {
    self.file = file
    self.formatDescription = formatDescription
    self.cpuCount = cpuCount
    self.uname = uname
    self.clock = clock
    self.clockIsNanoseconds = clockIsNanoseconds
    self.buffers = buffers
    self.symbols = symbols
    self.droppedPerCPU = droppedPerCPU
  }

  /// The kernel release from ``uname`` (its third word, as `uname -a` prints it).
  public var kernelRelease: String? {
    guard let uname else { return nil }
    let words = uname.split(separator: " ")
    return words.count >= 3 ? String(words[2]) : nil
  }

  /// The traced machine's architecture as `uname -m` names it (`x86_64`, `aarch64`,
  /// `armv7l`, `i686`, ...): the last word of ``uname`` (trace-cmd writes sysname, nodename,
  /// release[, version], machine); nil when the trace records no uname.
  public var architecture: String? {
    guard let uname else { return nil }
    var words = uname.split(separator: " ")
    if words.last == "GNU/Linux" { words.removeLast() }  // `uname -a` text
    guard words.count >= 3, let last = words.last, last.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
    return String(last)
  }

  /// An architecture read from a trace's content rather than its uname.
  public struct InferredArchitecture: Hashable, Sendable {
    /// As `uname -m` would name it (`aarch64`, `armv7l`, `arm`, `x86_64`, `i686`).
    public var machine: String
    /// What showed it (`kallsyms el0_sync (arm64 exception vectors), 8-byte longs`).
    public var evidence: String
    public init(machine: String, evidence: String) {
      self.machine = machine
      self.evidence = evidence
    }
  }

  /// The kernel version from ``kernelRelease``.
  public var kernelVersion: KernelVersion? { kernelRelease.flatMap { KernelVersion(release: $0) } }
}
