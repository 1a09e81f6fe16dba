import TraceReaders

/// An input whose format holds nothing the asked-for step uses (a perf stat file given to
/// `analyze`, a `/proc/interrupts` series given to `export`), or that cannot be read at all.
///
/// Its ``description`` is one line naming the file, as the command line prints it.
public struct UnusableInput: Error, Hashable, Sendable, CustomStringConvertible {
  /// What the step needed and the input lacks.
  public enum Reason: Hashable, Sendable {
    /// ``Pipeline/analyze(_:format:lenient:options:timeline:progress:)`` reads event traces,
    /// kernel logs and summary inputs; this format is none of them.
    case noEventsToAnalyze(InputFormat)
    /// ``Pipeline/chromeTrace(_:format:lenient:)`` needs events.
    case noEventsToExport(InputFormat)
    /// ``Pipeline/count(_:lenient:byName:)`` needs events.
    case noEventsToCount(InputFormat)
    /// ``Pipeline/loadForComparison(_:lenient:options:)`` found no metric in this format.
    case noMetricsToCompare(InputFormat)
    /// The file (or standard input) could not be read.
    case unreadable
  }

  /// The input as the caller named it (`-` for standard input).
  public var path: String
  public var reason: Reason

  public init(path: String, reason: Reason) {
    self.path = path
    self.reason = reason
  }

  public var description: String {
    switch reason {
    case .noEventsToAnalyze(let format):
      return "\(path): \(format.rawValue) input has no events to analyze (analyze reads trace.dat, ftrace and trace-cmd report text, perf script, perf report, /proc/interrupts and kernel logs; compare reads the others)"
    case .noEventsToExport(let format):
      return "\(path): \(format.rawValue) holds no events to export (export reads trace.dat, ftrace and report text, perf script)"
    case .noEventsToCount(let format):
      return "\(path): \(format.rawValue) holds no events; `pokestat stats` reads trace.dat, ftrace text, trace-cmd report and perf script"
    case .noMetricsToCompare(let format):
      return "\(path): \(format.rawValue) input has no metrics to compare (compare reads traces, perf stat, bpftool, /proc/interrupts, kernel logs with `Took N usec` and throughput tables)"
    case .unreadable:
      return "\(path): cannot read"
    }
  }
}
