import Foundation
import TraceAnalysis
import TraceComparison
import TraceModel
import TraceReaders

/// One input read for `compare`: its metrics, and what the plots and per-group rows use.
public struct ComparedInput {
  public var metrics: MetricSet
  /// The analysis of a trace input (trace.dat, ftrace or report text); nil otherwise.
  public var analysis: AnalysisReport?
  /// The `Took N usec` records of a kernel log; nil otherwise.
  public var textPokeLog: TextPokeLog?

  public init(metrics: MetricSet, analysis: AnalysisReport? = nil, textPokeLog: TextPokeLog? = nil) {
    self.metrics = metrics
    self.analysis = analysis
    self.textPokeLog = textPokeLog
  }
}

/// One side of a comparison (before or after): every file is one run.
public struct ComparisonSide {
  /// Every metric, with one value per run that has it.
  public var metrics: MetricSet
  /// The analyses of the trace inputs, in run order (for the HTML plots).
  public var traces: [AnalysisReport]
  /// The samples inside traces and kernel logs (batches, flips), pooled with their run ids.
  public var samples: SampleSet

  public init(metrics: MetricSet, traces: [AnalysisReport], samples: SampleSet) {
    self.metrics = metrics
    self.traces = traces
    self.samples = samples
  }
}

extension Pipeline {
  /// Reads one side of a comparison: every file is one run.
  ///
  /// - Throws: what ``loadForComparison(_:lenient:options:)-(String,_,_)`` throws, for the
  ///   first file that fails.
  public static func loadForComparison(
    _ files: [String], lenient: Bool = false, options: AnalysisOptions = AnalysisOptions()
  ) throws -> ComparisonSide {
    var side = ComparisonSide(metrics: .empty, traces: [], samples: .empty)
    for (run, file) in files.enumerated() {
      let input = try loadForComparison(file, lenient: lenient, options: options)
      side.metrics = side.metrics.appendingRun(input.metrics)
      if let trace = input.analysis {
        side.traces.append(trace)
        side.samples = side.samples.appending(SampleSet.analysis(trace, run: run))
      } else if let log = input.textPokeLog {
        side.samples = side.samples.appending(SampleSet.textPokeLog(log, file: file, run: run))
      }
    }
    return side
  }

  /// The metrics of one input, by its detected format: a trace's analysis by its JSON paths,
  /// perf stat counters, bpftool programs, `/proc/interrupts` rows, a kernel log's `Took N
  /// usec` records, or a throughput table (tried when no format is recognized).
  ///
  /// - Throws: ``TraceParseError`` from the readers; ``UnusableInput`` for a format with no
  ///   metrics (perf script, perf report) or a file that cannot be read.
  public static func loadForComparison(
    _ file: String, lenient: Bool = false, options analysisOptions: AnalysisOptions = AnalysisOptions()
  ) throws -> ComparedInput {
    let options = TextReaderOptions(lenient: lenient)
    let detection = Result { () throws(TraceParseError) in try detectInput(path: file).format }
    if case .failure(let error) = detection, case .unrecognizedFormat = error.reason {
      // Throughput tables have no tool of their own; try that shape before giving up.
      let text = try readText(file)
      return ComparedInput(metrics: MetricSet.throughput(try ThroughputTable.parse(text: text, path: file)))
    }
    let format = try detection.get()
    switch format {
    case .traceDat, .ftraceText, .traceCmdReport:
      let report = try analyze(file, format: format, lenient: lenient, options: analysisOptions).report
      return ComparedInput(metrics: MetricSet.analysis(report), analysis: report)
    case .perfStatText, .perfStatCSV, .perfStatJSON:
      let set = try PerfStatReader.read(path: file, options: options).counters
      return ComparedInput(metrics: MetricSet.perfStat(
        counters: set.counters.map { ($0.event, $0.value) }, elapsedSeconds: set.elapsedSeconds,
        userSeconds: set.userSeconds, sysSeconds: set.sysSeconds))
    case .bpftoolText, .bpftoolJSON:
      let programs = try BPFProgramReader.read(path: file, options: options).programs
      return ComparedInput(metrics: MetricSet.bpfPrograms(programs.map {
        MetricSet.BPFProgramRun(name: $0.name, tag: $0.tag, runTimeNanoseconds: $0.runTimeNanoseconds, runCount: $0.runCount)
      }))
    case .procInterrupts:
      let snapshots = try InterruptsReader.read(path: file, options: options).snapshots
      return ComparedInput(metrics: MetricSet.interrupts(snapshots.map { $0.rows.map { ($0.name, $0.counts) } }))
    case .dmesg:
      let log = try TextPokeLog.parse(text: try readText(file), path: file)
      return ComparedInput(metrics: MetricSet.textPokeLog(log), textPokeLog: log)
    case .perfScript, .perfReport:
      throw UnusableInput(path: file, reason: .noMetricsToCompare(format))
    }
  }

  /// The whole text of `file` (`-`: standard input), bytes that are not UTF-8 replaced.
  static func readText(_ file: String) throws(UnusableInput) -> String {
    let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
    guard let data else { throw UnusableInput(path: file, reason: .unreadable) }
    return String(decoding: data, as: UTF8.self)
  }
}
