import ArgumentParser
import TraceReaders

/// `--input-format` values in kebab-case (`trace-dat`, `perf-stat-csv`), as every other option
/// value is spelled; the camelCase raw values of earlier releases (`perfStatCSV`) are still
/// accepted but not listed.
extension InputFormat: ExpressibleByArgument {
  /// The kebab-case spelling of this format: `perfStatCSV` → `perf-stat-csv`.
  var argumentName: String {
    var name = ""
    var previousIsLower = false
    for character in rawValue {
      if character.isUppercase && previousIsLower { name += "-" }
      previousIsLower = character.isLowercase
      name += character.lowercased()
    }
    return name
  }

  public init?(argument: String) {
    guard let format = Self.allCases.first(where: { $0.argumentName == argument || $0.rawValue == argument }) else { return nil }
    self = format
  }

  public static var allValueStrings: [String] { allCases.map(\.argumentName) }

  /// One line per value in `--help`.
  public static var allValueDescriptions: [String: String] {
    Dictionary(uniqueKeysWithValues: allCases.map { ($0.argumentName, $0.summary) })
  }

  private var summary: String {
    switch self {
    case .traceDat: "trace-cmd's binary trace.dat (v6/v7)"
    case .ftraceText: "tracefs trace or trace_pipe text"
    case .traceCmdReport: "trace-cmd report text"
    case .perfScript: "perf script text"
    case .perfReport: "perf report --stdio text"
    case .perfStatText: "perf stat text"
    case .perfStatCSV: "perf stat -x, CSV"
    case .perfStatJSON: "perf stat -j JSON lines"
    case .bpftoolText: "bpftool prog show text"
    case .bpftoolJSON: "bpftool prog show --json"
    case .procInterrupts: "/proc/interrupts snapshots"
    case .dmesg: "kernel log (dmesg, or printk lines without timestamps)"
    }
  }
}
