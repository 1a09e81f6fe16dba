import ArgumentParser
import Foundation
import TraceAnalysis
import TraceModel
import TraceReaders
import TraceReports

extension Pokestat {
  /// `pokestat export --chrome FILE TRACE`: a trace's batches, IPIs and flips for Perfetto.
  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Export a trace's text_poke batches, IPIs and flips as Chrome trace-event JSON.",
      discussion: """
        The JSON opens in Perfetto's UI (ui.perfetto.dev, Open trace file) and in \
        chrome://tracing. One track per CPU holds that CPU's text_poke batches (complete \
        events with their duration) and the IPIs that reached it (instant events: receptions, \
        and sends that name their target); a `flips` track holds the static-key flips. Times \
        are microseconds on the trace clock.
        """)

    @Option(help: "Write Chrome trace-event JSON to this file ('-' for standard output).", completion: .file())
    var chrome: String

    @Argument(help: "The trace: trace.dat (v6/v7), ftrace or trace-cmd report text.", completion: .file())
    var trace: String

    @Option(help: "Read the input as this format instead of detecting it.")
    var inputFormat: InputFormat?

    @Flag(help: "Skip malformed text lines instead of stopping.")
    var lenient = false

    func run() throws {
      let opened = try OpenedTrace.open(trace, format: inputFormat, lenient: lenient)
      if case .summary(let kind, _) = opened {
        throw InputFailure("\(trace): \(kind.rawValue) holds no events to export (export reads trace.dat, ftrace and report text, perf script)")
      }
      var analyzer = IPIAnalyzer(metadata: opened.metadata, options: AnalysisOptions())
      var ipis: [ChromeTrace.IPIMark] = []
      let skipped = try opened.forEachEventInTimeOrder(fields: IPIAnalyzer.selection) { event in
        analyzer.consume(event)
        ipis += Self.marks(event)
      }
      analyzer.noteCPUSeen(skipped.highestCPU)
      var report = analyzer.finish(skippedEvents: skipped.skippedEvents)
      report.file = trace
      let json = try ChromeTrace(report: report, ipis: ipis).json()
      let sink = try OutputSink(path: chrome)
      sink.write(json)
      sink.flush()
    }

    /// The IPIs one event shows: a call-function entry is a reception on its CPU; an
    /// `ipi:ipi_send_cpu`/`ipi_send_cpumask` names its targets.
    static func marks(_ event: TraceEvent) -> [ChromeTrace.IPIMark] {
      let time = event.timestamp.nanoseconds
      let name = "\(event.system):\(event.name)"
      switch (event.system, event.name) {
      case ("irq_vectors", "call_function_entry"), ("irq_vectors", "call_function_single_entry"):
        return [ChromeTrace.IPIMark(timeNanoseconds: time, targetCPU: event.cpu, kind: .received, event: name)]
      case ("ipi", "ipi_send_cpu"):
        guard let cpu = event[field: "cpu"]?.unsignedValue else { return [] }
        return [ChromeTrace.IPIMark(timeNanoseconds: time, targetCPU: Int(clamping: cpu), senderCPU: event.cpu, kind: .sent, event: name)]
      case ("ipi", "ipi_send_cpumask"):
        return targets(event[field: "cpumask"]).map {
          ChromeTrace.IPIMark(timeNanoseconds: time, targetCPU: $0, senderCPU: event.cpu, kind: .sent, event: name)
        }
      default:
        return []
      }
    }

    static func targets(_ value: FieldValue?) -> [Int] {
      value.flatMap { CPUMask.cpus(in: $0) } ?? []
    }
  }
}
