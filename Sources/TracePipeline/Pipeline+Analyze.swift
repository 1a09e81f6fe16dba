import TraceAnalysis
import TraceModel
import TraceNative
import TraceReaders

/// One analyzed input: the analysis, what the input says about itself, and (when asked for)
/// every IPI send in time order.
public struct AnalyzedTrace: Sendable {
  public var report: AnalysisReport
  /// What the input says about itself (its uname gives `--format jsonl`'s host), without its
  /// kernel symbols: the analysis resolved what it needed, and a kept table (megabytes) would
  /// make `analyze --jobs` of many traces grow with their number.
  public var metadata: TraceMetadata
  /// Every send, in time order, when the analysis was asked for a timeline (`analyze --html`);
  /// else empty.
  public var sends: [TimelineSend]

  public init(report: AnalysisReport, metadata: TraceMetadata, sends: [TimelineSend] = []) {
    self.report = report
    self.metadata = metadata
    self.metadata.symbols = SymbolTable()
    self.sends = sends
  }
}

extension Pipeline {
  /// Opens `path` and analyzes it (``analyze(_:lenient:options:timeline:)-(TraceInput,_,_,_)``).
  ///
  /// - Throws: what ``TraceInput/open(_:format:lenient:progress:)`` throws; ``TraceParseError``
  ///   from the readers and from `AnalysisReport.checkCPUCount()`.
  public static func analyze(
    _ path: String, format: InputFormat? = nil, lenient: Bool = false, options: AnalysisOptions = AnalysisOptions(),
    timeline: Bool = false, progress: ((_ totalBytes: Int) -> ReadProgress)? = nil
  ) throws -> AnalyzedTrace {
    let input = try TraceInput.open(path, format: format, lenient: lenient, progress: progress)
    return try analyze(input, lenient: lenient, options: options, timeline: timeline)
  }

  /// Reads one input in time order through ``IPIAnalyzer``: IPIs sent and received, text_poke
  /// batches, flips and int3 hits.
  ///
  /// A trace.dat with several CPU streams takes the digest path: each stream is decoded on its
  /// own thread, IPI sends and receptions straight from the ring-buffer bytes into compact
  /// ``IPIRecord``s and other events classified there, and this thread merges and counts
  /// (``feedDigested(_:to:chunkSize:observe:)``; same report as the event path, which
  /// `IPIRecordTests` checks). A kernel log's `Took N usec` records become batches; summary
  /// inputs are analyzed whole by ``SummaryInputAnalysis``. A large text file is read in byte
  /// ranges, each parsed and classified (``EventClassifier``) on a thread of its own, and fed
  /// here in file order (`FtraceTextSource.forEachInFileOrderConcurrently`: the events and
  /// errors of one stream).
  ///
  /// - Parameter lenient: as the input was opened; sets the report's `skippedLines`.
  /// - Throws: ``TraceParseError`` from the readers and when the CPU count does not fit the
  ///   events (`AnalysisReport.checkCPUCount()`).
  public static func analyze(
    _ input: TraceInput, lenient: Bool = false, options: AnalysisOptions = AnalysisOptions(), timeline: Bool = false
  ) throws -> AnalyzedTrace {
    if case .summary(let kind, let path) = input {
      let textOptions = TextReaderOptions(lenient: lenient)
      let report = kind == .perfReport
        ? try SummaryInputAnalysis.perfReport(path: path, options: textOptions)
        : try SummaryInputAnalysis.interrupts(path: path, options: textOptions)
      return AnalyzedTrace(report: report, metadata: input.metadata)
    }
    var analyzer = IPIAnalyzer(metadata: input.metadata, options: options, keepsTimeline: timeline)
    let counts: TraceInput.FeedCounts
    if case .traceDat(let reader) = input, reader.streamCount > 1 {
      let skipped = try feedDigested(reader, to: &analyzer)
      counts = TraceInput.FeedCounts(skippedEvents: skipped, skippedLines: 0, highestCPU: -1)
    } else if case .text(let source) = input, source.streamCount > 1 {
      // Byte ranges parsed and classified on every core, consumed here in file order.
      let symbols = input.metadata.symbols
      let read = try source.forEachInFileOrderConcurrently(
        fields: IPIAnalyzer.selection,
        transform: {
          var classifier = EventClassifier(symbols: symbols)
          return { classifier.classify($0) }
        }
      ) { analyzer.consume($0) }
      counts = TraceInput.FeedCounts(textCounts: read)
    } else {
      counts = try input.forEachEventInTimeOrder(fields: IPIAnalyzer.selection) { analyzer.consume($0) }
    }
    if case .kernelLog(let log, _, _) = input {
      for record in log.durations {
        analyzer.recordLoggedBatch(start: record.timestamp, entries: record.entries, durationNanoseconds: record.durationNanoseconds)
      }
    }
    analyzer.noteCPUSeen(counts.highestCPU)
    var report = analyzer.finish(skippedEvents: counts.skippedEvents)
    try report.checkCPUCount()
    report.skippedLines = lenient ? counts.skippedLines : nil
    return AnalyzedTrace(report: report, metadata: input.metadata, sends: timeline ? analyzer.timelineSends : [])
  }

  /// Feeds every stream of `reader` to `analyzer` in time order through digests: sends and
  /// receptions as ``IPIRecord``s decoded from ring-buffer bytes, other selected events as
  /// classified ``TraceEvent``s, each stream on a thread of its own.
  ///
  /// - Parameters:
  ///   - chunkSize: inputs handed from a decoding thread to the merge at a time.
  ///   - observe: sees every input before the analyzer does (tests count the records).
  /// - Returns: the events the streams skipped (outside ``IPIAnalyzer/selection``).
  static func feedDigested(
    _ reader: TraceDatReader, to analyzer: inout IPIAnalyzer, chunkSize: Int = 16384,
    observe: (AnalysisInput) -> Void = { _ in }
  ) throws -> Int {
    let symbols = reader.metadata.symbols
    return try reader.forEachDigestedInTimeOrderConcurrently(
      fields: IPIAnalyzer.selection, plan: IPIRecord.digestPlan, chunkSize: chunkSize,
      transform: {
        var classifier = EventClassifier(symbols: symbols)
        return { classifier.input($0) }
      },
      time: { $0.timestamp }
    ) { input in
      observe(input)
      analyzer.consume(input)
    }
  }
}
