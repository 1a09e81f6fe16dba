import TraceModel

/// One sample of a perf sampling event: where a CPU was, with its kernel call chain.
public struct PerfSample: Hashable, Sendable {
  /// Nanoseconds on the sampling clock (CLOCK_MONOTONIC for `pokestat record --int3`).
  public var timeNanoseconds: UInt64
  public var cpu: Int
  public var pid: Int32
  public var tid: Int32
  /// The task's name (PERF_RECORD_COMM), or "" when none was seen.
  public var comm: String
  /// The event as perf names it (`cycles`, `cpu-clock`).
  public var event: String
  /// Call chain, innermost first, without perf's context markers (`PERF_CONTEXT_*`).
  public var callchain: [UInt64]

  public init(
    timeNanoseconds: UInt64, cpu: Int, pid: Int32, tid: Int32, comm: String, event: String,
    callchain: [UInt64]
  ) {
    self.timeNanoseconds = timeNanoseconds
    self.cpu = cpu
    self.pid = pid
    self.tid = tid
    self.comm = comm
    self.event = event
    self.callchain = callchain
  }
}

/// Writes samples as `perf script` prints them (its default fields with call chains), so that
/// ``PerfScriptSource`` and `pokestat analyze` read them as they read perf's own output.
///
/// ```
/// comm tid [cpu] seconds.micros: event:
/// \taddress symbol+0xoff ([kernel.kallsyms])
/// ```
/// followed by a blank line per sample; an address outside `symbols` prints `[unknown]`.
public enum PerfScriptWriter {
  public static func render(_ samples: [PerfSample], symbols: SymbolTable) -> String {
    var out = ""
    for sample in samples {
      let seconds = sample.timeNanoseconds / 1_000_000_000
      let micros = (sample.timeNanoseconds % 1_000_000_000) / 1000
      let cpu = String(sample.cpu)
      let paddedCPU = String(repeating: "0", count: max(0, 3 - cpu.count)) + cpu
      let fraction = String(micros)
      let comm =
        sample.comm.isEmpty
        ? ":\(sample.tid)" : sample.comm.replacingOccurrences(of: " ", with: "_")
      out +=
        "\(comm) \(sample.tid) [\(paddedCPU)] \(seconds).\(String(repeating: "0", count: 6 - fraction.count) + fraction): \(sample.event): \n"
      for address in sample.callchain {
        let hex = String(address, radix: 16)
        if let (name, offset) = symbols.symbolize(address) {
          out += "\t\(hex) \(name)+0x\(String(offset, radix: 16)) ([kernel.kallsyms])\n"
        } else {
          out += "\t\(hex) [unknown] ([unknown])\n"
        }
      }
      out += "\n"
    }
    return out
  }
}
