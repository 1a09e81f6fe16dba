import TraceModel

extension IPIAnalyzer {
  /// The analysis of every event of `source`, read in time order on this thread
  /// (``EventSource/forEachEventInTimeOrder(fields:_:)``, only ``selection``'s fields decoded).
  ///
  /// The plain event path, for in-memory sources and tests; `TracePipeline`'s `Pipeline.analyze`
  /// is what the command line runs (decoding trace.dat CPUs in parallel, kernel logs,
  /// summary inputs, the CPU-count check).
  ///
  /// - Throws: what the source's streams throw (``TraceParseError`` for bad input).
  public static func report(for source: some EventSource, options: AnalysisOptions = AnalysisOptions()) throws -> AnalysisReport {
    var analyzer = IPIAnalyzer(metadata: source.metadata, options: options)
    let skipped = try source.forEachEventInTimeOrder(fields: selection) { analyzer.consume($0) }
    return analyzer.finish(skippedEvents: skipped)
  }
}
