import Testing
import TraceAnalysis
import TraceModel

/// One send seen by the generic tracepoint and by the arch layer is paired by identity, not by
/// time (issue 12, defect 1). Events shaped as the 6.12 lab trace prints them
/// (fixtures/lab/trixie-amd64-smp4.txt.gz).
@Suite struct SendPairingTests {
  static func event(_ micros: UInt64, cpu: Int, _ system: String, _ name: String, _ fields: [(String, FieldValue)]) -> TraceEvent {
    TraceEvent(timestamp: Timestamp(nanoseconds: micros * 1000), cpu: cpu, pid: 1, comm: "init", system: system, name: name,
               fields: fields.map { EventField(name: $0.0, value: $0.1) })
  }
  static func mask(_ micros: UInt64, _ cpus: [Int]) -> TraceEvent {
    event(micros, cpu: 1, "ipi", "ipi_send_cpumask", [("cpumask", .cpuList(cpus)), ("callsite", .string("return_to_handler+0x0"))])
  }
  static func one(_ micros: UInt64, _ cpu: Int) -> TraceEvent {
    event(micros, cpu: 1, "ipi", "ipi_send_cpu", [("cpu", .unsigned(UInt64(cpu))), ("callsite", .string("ttwu_queue_wakelist+0xdd"))])
  }
  static func kprobeMask(_ micros: UInt64, _ word: UInt64) -> TraceEvent {
    event(micros, cpu: 1, "kprobes", "sendipi", [("__probe_func", .string("native_send_call_func_ipi")), ("mask", .unsigned(word))])
  }
  static func kprobeOne(_ micros: UInt64, _ cpu: Int64) -> TraceEvent {
    event(micros, cpu: 1, "kprobes", "sendipi1", [("__probe_func", .string("native_send_call_func_single_ipi")), ("cpu", .signed(cpu))])
  }
  static func analyze(_ events: [TraceEvent]) -> AnalysisReport {
    var analyzer = IPIAnalyzer(metadata: TraceMetadata(file: "test", formatDescription: "events"))
    for event in events { analyzer.consume(event) }
    return analyzer.finish()
  }

  @Test("a kprobe 80 µs after its tracepoint (stack traces under load) is the same send")
  func lateKprobe() {
    let report = Self.analyze([Self.mask(100, [0, 3]), Self.kprobeMask(180, 0b1001)])
    #expect(report.ipi.sendEvents == 1 && report.ipi.sent == 2)
    #expect(report.ipi.sources == ["ipi:ipi_send_cpumask", "kprobe:native_send_call_func_ipi"])
  }

  @Test("an interrupt's send nested between a tracepoint and its kprobe makes its own pair")
  func nested() {
    let report = Self.analyze([Self.one(100, 2), Self.one(110, 3), Self.kprobeOne(120, 3), Self.kprobeOne(130, 2)])
    #expect(report.ipi.sendEvents == 2 && report.ipi.sent == 2)
    #expect(report.ipi.matrix["1"] == ["2": 1, "3": 1])
  }

  @Test("other targets or another shape are another send", arguments: [
    [mask(100, [0, 3]), kprobeMask(110, 0b0011)],
    [one(100, 2), kprobeMask(110, 0b0100)],
  ])
  func different(_ events: [TraceEvent]) {
    #expect(Self.analyze(events).ipi.sendEvents == 2)
  }

  @Test("a kprobe without a tracepoint (5.10, 6.1) is a send; a kprobe pairs once")
  func alone() {
    #expect(Self.analyze([Self.kprobeOne(100, 0), Self.kprobeOne(200, 0)]).ipi.sendEvents == 2)
    #expect(Self.analyze([Self.one(100, 0), Self.kprobeOne(110, 0), Self.kprobeOne(120, 0)]).ipi.sendEvents == 2)
  }

  @Test("arm64: ipi_entry counts only function-call IPIs; ipi_raise pairs with the generic tracepoint")
  func arm64() {
    let reasonCall = FieldValue.string("Function call interrupts")
    let report = Self.analyze([
      Self.mask(100, [0, 2]),
      Self.event(105, cpu: 1, "ipi", "ipi_raise", [("target_cpus", .cpuList([0, 2])), ("reason", reasonCall)]),
      Self.event(120, cpu: 0, "ipi", "ipi_entry", [("reason", reasonCall)]),
      Self.event(121, cpu: 0, "ipi", "ipi_exit", [("reason", reasonCall)]),
      Self.event(130, cpu: 2, "ipi", "ipi_entry", [("reason", .string("Rescheduling interrupts"))]),
      Self.event(131, cpu: 2, "ipi", "ipi_entry", [("reason", reasonCall)]),
    ])
    #expect(report.ipi.sendEvents == 1 && report.ipi.sent == 2)
    #expect(report.ipi.received == 2 && report.ipi.receivedPerCPU == ["0": 1, "2": 1])
  }

  @Test("one interrupt seen by sources of two systems counts once; two vectors are two interrupts")
  func receptions() {
    let call = FieldValue.string("Function call interrupts")
    let twice = Self.analyze([
      Self.event(100, cpu: 0, "irq_vectors", "call_function_entry", [("vector", .unsigned(252))]),
      Self.event(101, cpu: 0, "ipi", "ipi_entry", [("reason", call)]),
      Self.event(110, cpu: 0, "ipi", "ipi_exit", [("reason", call)]),
    ])
    #expect(twice.ipi.received == 1)
    let vectors = Self.analyze([
      Self.event(100, cpu: 0, "irq_vectors", "call_function_entry", [("vector", .unsigned(252))]),
      Self.event(200, cpu: 0, "irq_vectors", "call_function_single_entry", [("vector", .unsigned(251))]),
    ])
    #expect(vectors.ipi.received == 2)
  }
}
