import TraceAnalysis
import TraceModel
import TraceReaders
import TraceReports

extension Pipeline {
  /// A trace's text_poke batches, IPIs and flips as Chrome trace-event JSON's model
  /// (``ChromeTrace``), for Perfetto and chrome://tracing.
  ///
  /// - Throws: what ``TraceInput/open(_:format:lenient:progress:)`` throws;
  ///   ``UnusableInput`` for summary inputs (perf report, `/proc/interrupts`), which hold no
  ///   events.
  public static func chromeTrace(_ path: String, format: InputFormat? = nil, lenient: Bool = false) throws -> ChromeTrace {
    let input = try TraceInput.open(path, format: format, lenient: lenient)
    if case .summary(let kind, _) = input { throw UnusableInput(path: path, reason: .noEventsToExport(kind)) }
    var analyzer = IPIAnalyzer(metadata: input.metadata, options: AnalysisOptions())
    var ipis: [ChromeTrace.IPIMark] = []
    let counts = try input.forEachEventInTimeOrder(fields: IPIAnalyzer.selection) { event in
      analyzer.consume(event)
      ipis += ipiMarks(event)
    }
    analyzer.noteCPUSeen(counts.highestCPU)
    var report = analyzer.finish(skippedEvents: counts.skippedEvents)
    report.file = path
    return ChromeTrace(report: report, ipis: ipis)
  }

  /// The IPIs one event shows: a call-function entry is a reception on its CPU; an
  /// `ipi:ipi_send_cpu`/`ipi_send_cpumask` names its targets (``CPUMask`` reads the mask).
  public static func ipiMarks(_ event: TraceEvent) -> [ChromeTrace.IPIMark] {
    let time = event.timestamp.nanoseconds
    let name = "\(event.system):\(event.name)"
    switch (event.system, event.name) {
    case ("irq_vectors", "call_function_entry"), ("irq_vectors", "call_function_single_entry"):
      return [ChromeTrace.IPIMark(timeNanoseconds: time, targetCPU: event.cpu, kind: .received, event: name)]
    case ("ipi", "ipi_send_cpu"):
      guard let cpu = event[field: "cpu"]?.unsignedValue else { return [] }
      return [ChromeTrace.IPIMark(timeNanoseconds: time, targetCPU: Int(clamping: cpu), senderCPU: event.cpu, kind: .sent, event: name)]
    case ("ipi", "ipi_send_cpumask"):
      let targets = event[field: "cpumask"].flatMap { CPUMask.cpus(in: $0) } ?? []
      return targets.map {
        ChromeTrace.IPIMark(timeNanoseconds: time, targetCPU: $0, senderCPU: event.cpu, kind: .sent, event: name)
      }
    default:
      return []
    }
  }
}
