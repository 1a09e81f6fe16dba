import Testing
import TraceAnalysis
import TraceModel

/// The edges of batch ranges and flip windows, now that the analyzer counts receptions as they
/// come instead of searching kept lists at the end (issue #15): both ends are included, events at
/// a window's start time count even when they come before the event that opens it, and a
/// batch's range reaches its latest acknowledgement, wherever that falls.
@Suite struct WindowEdgeTests {
  static func event(_ micros: UInt64, cpu: Int, _ system: String, _ name: String, _ fields: [(String, FieldValue)] = []) -> TraceEvent {
    TraceEvent(timestamp: Timestamp(nanoseconds: micros * 1000), cpu: cpu, pid: 1, comm: "init", system: system, name: name,
               fields: fields.map { EventField(name: $0.0, value: $0.1) })
  }
  static func entry(_ micros: UInt64, cpu: Int) -> TraceEvent {
    event(micros, cpu: cpu, "irq_vectors", "call_function_single_entry", [("vector", .unsigned(251))])
  }
  static func exit(_ micros: UInt64, cpu: Int) -> TraceEvent {
    event(micros, cpu: cpu, "irq_vectors", "call_function_single_exit", [("vector", .unsigned(251))])
  }
  /// A text_poke sync (its callback is do_sync_core) from CPU 1 to `target`.
  static func sync(_ micros: UInt64, to target: Int) -> TraceEvent {
    event(micros, cpu: 1, "ipi", "ipi_send_cpu", [
      ("cpu", .unsigned(UInt64(target))), ("callsite", .string("on_each_cpu_cond_mask+0x5e")),
      ("callback", .string("do_sync_core+0x0")),
    ])
  }
  static func marker(_ micros: UInt64, _ text: String) -> TraceEvent {
    event(micros, cpu: 0, "ftrace", "print", [("buf", .string(text))])
  }
  /// Events the analysis ignores, 1 µs apart from `micros` on: enough to make the analyzer
  /// finish batches on the way (it looks every 1024 inputs).
  static func filler(from micros: UInt64, count: Int) -> [TraceEvent] {
    (0..<count).map { event(micros + UInt64($0), cpu: 3, "sched", "sched_switch") }
  }
  static func analyze(_ events: [TraceEvent]) -> AnalysisReport {
    var analyzer = IPIAnalyzer(metadata: TraceMetadata(file: "test", formatDescription: "events"))
    for event in events { analyzer.consume(event) }
    return analyzer.finish()
  }

  /// CPU 2's receptions at 1000 (before the batch's first sync, at the same time), 1010 and
  /// 1020 (before CPU 0's exit at 1030 acknowledges the batch) are in its range; 1040 is not.
  static let batchEvents: [TraceEvent] = [
    entry(1000, cpu: 2), sync(1000, to: 0), entry(1010, cpu: 0), entry(1010, cpu: 2), entry(1020, cpu: 2),
    exit(1030, cpu: 0), entry(1040, cpu: 2),
  ]

  @Test("a batch's range runs from its start time to its latest acknowledgement", arguments: [0, 3000])
  func batchRange(_ fillerEvents: Int) throws {
    let report = Self.analyze(Self.batchEvents + Self.filler(from: 2000, count: fillerEvents))
    let batch = try #require(report.textPoke.batches.first)
    #expect(report.textPoke.batches.count == 1)
    #expect(batch.receivedPerCPU == ["0": 1])
    #expect(batch.otherReceivedPerCPU == ["2": 3])
    #expect(batch.unattributedReceivedPerCPU == ["2": 3])
  }

  @Test("a marked flip's window holds both ends, and what came first at its start time", arguments: [0, 3000])
  func flipWindow(_ fillerEvents: Int) throws {
    let report = Self.analyze(
      Self.filler(from: 0, count: fillerEvents) + [
        Self.entry(5000, cpu: 0), Self.marker(5000, "FLIP_BEGIN k=1"), Self.entry(5100, cpu: 2),
        Self.marker(5200, "FLIP_END k=1"), Self.entry(5200, cpu: 0), Self.entry(5201, cpu: 2),
      ])
    let flip = try #require(report.flips.first)
    #expect(report.flips.count == 1)
    #expect(flip.allReceivedPerCPU == ["0": 2, "2": 1])
    #expect(flip.allIPIsReceived == 3)
  }
}
