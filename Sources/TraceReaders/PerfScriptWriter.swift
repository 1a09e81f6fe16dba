import TraceModel

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
