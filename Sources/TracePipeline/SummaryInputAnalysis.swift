import TraceAnalysis
import TraceModel
import TraceReaders

/// `analyze` for inputs that hold no events but summaries: `perf report --stdio` and
/// `/proc/interrupts` snapshot series. The report has no events; its `perf_report` or
/// `interrupts` section holds the findings.
public enum SummaryInputAnalysis {
  /// The int3 handler's share and callers in a `perf report --stdio` file.
  ///
  /// - Throws: ``TraceParseError`` from ``PerfReportReader``.
  public static func perfReport(path: String, options: TextReaderOptions = TextReaderOptions())
    throws(TraceParseError)
    -> AnalysisReport
  {
    let (entries, skipped) = try PerfReportReader.read(path: path, options: options)
    let header = try PerfReportReader.header(path: path)
    let handlers = entries.filter { KernelSymbols.int3HandlerNames.contains($0.symbol) }
    let selfValues = handlers.compactMap(\.selfPercent)
    let callers =
      handlers.first.map { entry in
        entry.callers.map { PerfReportSummary.Caller(symbol: $0.symbol, percent: $0.percent) }
      } ?? []
    var report = emptyReport(path: path, format: "perf report")
    report.perfReport = PerfReportSummary(
      event: header.event, samples: header.samples, entries: entries.count,
      int3Symbols: Array(Set(handlers.map(\.symbol))).sorted(),
      int3Percent: handlers.reduce(0) { $0 + $1.percent },
      int3SelfPercent: handlers.isEmpty || selfValues.count < handlers.count
        ? nil : selfValues.reduce(0, +),
      callers: callers, hasCallGraph: entries.contains { !$0.callGraph.isEmpty },
      top: entries.sorted { $0.percent > $1.percent }.prefix(3).map {
        .init(symbol: $0.symbol, percent: $0.percent)
      })
    report.skippedLines = options.lenient ? skipped.count : nil
    return report
  }

  /// Function-call IPIs per CPU per interval in a file of `/proc/interrupts` snapshots.
  ///
  /// - Throws: ``TraceParseError`` from ``InterruptsReader`` (an empty file, a row before any
  ///   header). A file without a function-call row (a uniprocessor kernel's) gives empty rows.
  public static func interrupts(path: String, options: TextReaderOptions = TextReaderOptions())
    throws(TraceParseError)
    -> AnalysisReport
  {
    let (snapshots, skipped) = try InterruptsReader.read(path: path, options: options)
    guard let first = snapshots.first else {
      throw TraceParseError(reason: .emptyInput, location: InputLocation(file: path))
    }
    // No function-call row: a uniprocessor kernel has none (no IPIs to count); `rows` is empty.
    let rowNames = first.rows.filter(isFunctionCallRow).map(\.name)
    func perCPU(_ snapshot: InterruptSnapshot) -> [UInt64] {
      var sums: [UInt64] = []
      for name in rowNames {
        guard let row = snapshot[row: name] else { continue }
        if row.counts.count > sums.count {
          sums += repeatElement(0, count: row.counts.count - sums.count)
        }
        for (cpu, count) in row.counts.enumerated() { sums[cpu] = sums[cpu] &+ count }
      }
      return sums
    }
    func keyed<T>(_ values: [T]) -> [String: T] {
      var result: [String: T] = [:]
      for (cpu, value) in values.enumerated() { result[String(cpu)] = value }
      return result
    }
    // The function-call rows' increases (InterruptSnapshot.deltas), summed per CPU.
    func functionCallIncrease(from earlier: InterruptSnapshot, to later: InterruptSnapshot) -> [Int64] {
      var sums: [Int64] = []
      for (name, counts) in later.deltas(since: earlier) where rowNames.contains(name) {
        if counts.count > sums.count { sums += repeatElement(0, count: counts.count - sums.count) }
        for (cpu, count) in counts.enumerated() { sums[cpu] = sums[cpu] &+ count }
      }
      return sums
    }
    let sums = snapshots.map(perCPU)
    let intervals = zip(snapshots, snapshots.dropFirst()).map { keyed(functionCallIncrease(from: $0, to: $1)) }
    let total = snapshots.count > 1 ? functionCallIncrease(from: first, to: snapshots[snapshots.count - 1]) : []
    var report = emptyReport(path: path, format: "/proc/interrupts snapshots")
    // The count covers every CPU a function-call row counts for: a row wider than the header
    // (a 32-bit ARM tablet's IPI rows under a `CPU0`-only header) widens it, and says so.
    let widest = sums.map(\.count).max() ?? 0
    report.cpus = max(first.cpuCount, widest)
    if sums.count > 1 {
      report.ipi.sources = rowNames.map { "proc_interrupts:\($0)" }
      report.ipi.receivedPerCPU = keyed(total.map { Int(clamping: max(0, $0)) })
      report.ipi.received = total.reduce(0) {
        saturatingSum($0, Int(clamping: max(0, $1)))
      }
    }
    report.interrupts = InterruptSeriesSummary(
      snapshots: snapshots.count, cpus: report.cpus, rows: rowNames, intervals: intervals,
      totalPerCPU: keyed(total), sinceBootPerCPU: keyed(sums.last ?? []))
    report.skippedLines = options.lenient ? skipped.count : nil
    report.cpusInferred = widest > first.cpuCount
    return report
  }

  /// x86 `CAL`, or a row described as (single) function call interrupts (arm `IPIn:` rows; the
  /// 2.6 kernels' lower-case `function call interrupts`).
  static func isFunctionCallRow(_ row: InterruptSnapshot.Row) -> Bool {
    let description = row.description.lowercased()
    return row.name == "CAL" || description == "function call interrupts"
      || description == "single function call interrupts"
  }

  static func emptyReport(path: String, format: String) -> AnalysisReport {
    var report = IPIAnalyzer(metadata: TraceMetadata(file: path, formatDescription: format))
      .finish()
    report.cpusInferred = false
    return report
  }

  /// `a + b`, or `Int.max` where that overflows (the counts come from files).
  static func saturatingSum(_ a: Int, _ b: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? Int.max : sum
  }
}
