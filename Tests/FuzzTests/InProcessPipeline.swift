import Foundation
import TraceAnalysis
import TraceComparison
import TraceModel
import TraceNative
import TraceReaders
import TraceReports

/// The work of `pokestat dump`, `analyze --json`, `stats` and `check`, run in this process
/// through the library calls the commands make (Sources/pokestat/Commands/Dump.swift,
/// Analyze.swift, TextStats.swift, Check.swift and Options/InputOptions.swift).
///
/// The few lines of glue that live in the CLI target (opening a trace by its detected format,
/// feeding the analyzer) are repeated here, because a test target cannot import an executable;
/// the subprocess mode (``SubprocessRun``) runs the real binary and so covers that glue too.
enum InProcessPipeline {
  /// The four commands, by their command-line names.
  static let commands = ["dump", "analyze", "stats", "check"]

  /// A format the commands refuse (the CLI's `InputFailure`): one line, like the CLI's message.
  struct Refused: Error, CustomStringConvertible {
    var description: String
  }

  /// Runs `command` on the file at `path`.
  static func run(_ command: String, path: String) throws {
    switch command {
    case "dump":
      let reader = try TraceDatReader(path: path, attachesStacks: false)
      var lines = 0
      try TraceDatReport.forEachLine(of: reader) { _ in lines += 1 }
    case "analyze":
      let report = try analyze(path)
      _ = try AnalysisRenderer.json(report)
    case "stats":
      try stats(path)
    case "check":
      let analysis = try analyze(path)
      if let problem = PredictionCheck.cpuCountProblem(analysis, cpus: nil) { throw problem }
      let report = PredictionCheck.check(analysis, kernel: nil, cpus: nil)
      _ = try CheckRenderer.render(report, as: .table)
      // The CLI exits 2 with one line when no rules apply (unknown or unsupported architecture).
      if report.verdict.exitStatus == 2 { throw Refused(description: "\(path): check: \(report.notes.last ?? "no rules")") }
    default:
      preconditionFailure("unknown command \(command)")
    }
  }

  // MARK: - analyze (Analyze.analyze and OpenedTrace.open)

  static func analyze(_ path: String) throws -> AnalysisReport {
    let report = try analyzeUnchecked(path)
    try report.checkCPUCount()
    return report
  }

  private static func analyzeUnchecked(_ path: String) throws -> AnalysisReport {
    let format = try detectInput(path: path).format
    let options = TextReaderOptions(lenient: false)
    switch format {
    case .traceDat:
      let reader = try TraceDatReader(path: path)
      var analyzer = IPIAnalyzer(metadata: reader.metadata, options: AnalysisOptions())
      let skipped: Int
      if reader.streamCount > 1 {
        let symbols = reader.metadata.symbols
        skipped = try reader.forEachDigestedInTimeOrderConcurrently(
          fields: IPIAnalyzer.selection, plan: IPIRecord.digestPlan,
          transform: {
            var classifier = EventClassifier(symbols: symbols)
            return { classifier.input($0) }
          },
          time: { $0.timestamp }
        ) { analyzer.consume($0) }
      } else {
        skipped = try reader.forEachEventInTimeOrderConcurrently(fields: IPIAnalyzer.selection) { analyzer.consume($0) }
      }
      return analyzer.finish(skippedEvents: skipped)
    case .ftraceText, .traceCmdReport:
      let source = try FtraceTextSource(path: path, options: options)
      var analyzer = IPIAnalyzer(metadata: source.metadata, options: AnalysisOptions())
      var stream = try source.stream(0, fields: IPIAnalyzer.selection)
      while let event = try stream.next() { analyzer.consume(event) }
      return analyzer.finish(skippedEvents: stream.skippedEvents)
    case .perfScript:
      let source = try PerfScriptSource(path: path, options: options)
      var analyzer = IPIAnalyzer(metadata: source.metadata, options: AnalysisOptions())
      var stream = try source.stream(0, fields: IPIAnalyzer.selection)
      while let event = try stream.next() { analyzer.consume(event) }
      return analyzer.finish(skippedEvents: stream.skippedEvents)
    case .dmesg:
      let (log, _) = try KernelLogReader.read(path: path, options: options)
      var analyzer = IPIAnalyzer(metadata: TraceMetadata(file: path, formatDescription: "kernel log"), options: AnalysisOptions())
      for record in log.durations {
        analyzer.recordLoggedBatch(start: record.timestamp, entries: record.entries, durationNanoseconds: record.durationNanoseconds)
      }
      return analyzer.finish()
    default:
      throw Refused(description: "\(path): \(format.rawValue) input has no events to analyze")
    }
  }

  // MARK: - stats (Stats.run)

  static func stats(_ path: String) throws {
    let format = try detectInput(path: path).format
    let options = TextReaderOptions(lenient: false)
    let selection = FieldSelection.only(["ipi:ipi_send_cpu", "ipi:ipi_send_cpumask"])
    var tally = EventTally()
    switch format {
    case .traceDat:
      let reader = try TraceDatReader(path: path, attachesStacks: false)
      tally = try reader.reduceStreamsConcurrently(
        fields: selection, reducer: IPITargetCounter()).summary
    case .ftraceText, .traceCmdReport:
      let source = try FtraceTextSource(path: path, options: options, parallelStreams: 2)
      tally = try source.reduceTextStreamsConcurrently(
        fields: selection, reducer: IPITargetCounter()).summary
    case .perfScript:
      let source = try PerfScriptSource(path: path, options: options)
      var stream = try source.stream(0, fields: selection)
      while let event = try stream.next() { tally.add(event) }
    default:
      throw Refused(description: "\(path): \(format.rawValue) holds no events")
    }
    _ = tally.ipiTargets.values.reduce(0, +)
  }
}
