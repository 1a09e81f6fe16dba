import Foundation
import Testing
import TraceAnalysis
import TraceModel
import TraceNative
import TraceReaders
import TraceTestSupport

/// One line of a lab fixture's `.expected` file (scripts/fixtures/expected-lab.py over
/// `trace-cmd report -t`): a flip, or the `total` of the whole trace.
struct LabExpectation {
  var fields: [String: String]

  init(line: Substring) {
    fields = [:]
    for word in line.split(separator: " ") {
      let parts = word.split(separator: "=", maxSplits: 1)
      if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
    }
    if line.hasPrefix("total") { fields["total"] = "1" }
  }

  var isTotal: Bool { fields["total"] != nil }
  func int(_ key: String) throws -> Int { try #require(fields[key].flatMap { Int($0) }, "\(key) in \(fields)") }
  func string(_ key: String) throws -> String { try #require(fields[key], "\(key) in \(fields)") }
}

/// A lab fixture: one Debian kernel booted by scripts/lab/run-guest2.sh (fixtures/README.md,
/// "Lab kernels"), read as the guest's trace.dat or as its tracefs text.
struct LabKernelCase: CustomTestStringConvertible, Sendable {
  /// `trixie-amd64-smp4`.
  var name: String
  /// The tracefs text of the `ev` instance (`OUTBASE.txt`, gzipped) instead of the trace.dat.
  var text: Bool

  var testDescription: String { "\(name) \(text ? "tracefs text" : "trace.dat")" }
  var expectedPath: String { "lab/\(name)\(text ? ".txt" : "").expected" }

  /// Every `fixtures/lab/<suite>-<arch>-smp<N>*.dat` (the 6.1 lab61 fixtures live in tracedat/).
  static let names: [String] = Fixtures.files(in: "lab", suffix: ".dat").map {
    String($0.dropFirst("lab/".count).dropLast(".dat".count))
  }
  static let all = names.flatMap { [LabKernelCase(name: $0, text: false), LabKernelCase(name: $0, text: true)] }

  func expectations() throws -> (flips: [LabExpectation], total: LabExpectation) {
    let lines = try String(contentsOf: Fixtures.url(expectedPath), encoding: .utf8).split(separator: "\n").map(LabExpectation.init)
    let total = try #require(lines.last { $0.isTotal })
    return (lines.filter { !$0.isTotal }, total)
  }

  func report() throws -> AnalysisReport {
    if text {
      return try analyze(try FtraceTextSource(path: Fixtures.materialize("lab/\(name).txt.gz").path))
    }
    return try analyze(try TraceDatReader(path: Fixtures.url("lab/\(name).dat").path))
  }
}

@Suite struct LabKernelTests {
  @Test("lab fixtures exist for every kernel at 2 and 4 vCPUs")
  func coverage() {
    for kernel in ["bullseye-amd64", "bookworm-amd64", "trixie-amd64", "sid-amd64", "bullseye-arm64", "bookworm-arm64", "trixie-arm64"] {
      for cpus in [2, 4] { #expect(LabKernelCase.names.contains("\(kernel)-smp\(cpus)"), "\(kernel)-smp\(cpus)") }
    }
  }

  @Test("per flip and in total, analyze equals the independent counts over trace-cmd report", arguments: LabKernelCase.all)
  func matchesExpected(_ lab: LabKernelCase) throws {
    let (flips, total) = try lab.expectations()
    let report = try lab.report()
    let cpus = try total.int("cpus")
    func perCPU(_ counts: [String: Int]) -> String { (0..<cpus).map { String(counts[String($0)] ?? 0) }.joined(separator: "/") }
    func durations(_ batches: [BatchSummary], _ source: String) -> String {
      let values = batches.compactMap { $0.durations[source] }.map(String.init)
      return values.isEmpty ? "-" : values.joined(separator: ",")
    }
    #expect(report.countsAreLowerBounds == false)
    try #require(report.flips.count == flips.count)
    for (flip, want) in zip(report.flips, flips) {
      let label = try want.string("flip")
      #expect("\(flip.key ?? "")=\(flip.value ?? "")" == (try want.string("key")), "flip \(label)")
      let batches = report.textPoke.batches.filter { $0.startNs >= flip.startNs && $0.startNs <= flip.endNs }
      #expect(flip.batches == (try want.int("batches")), "flip \(label)")
      #expect(batches.compactMap(\.entries).reduce(0, +) == (try want.int("entries")), "flip \(label)")
      #expect(flip.syncs == (try want.int("tp_sends")), "flip \(label)")
      #expect(flip.ipisSent == (try want.int("tp_ipis")), "flip \(label)")
      #expect(flip.allIPIsReceived == (try want.int("received")), "flip \(label)")
      #expect(perCPU(flip.allReceivedPerCPU) == (try want.string("received_per_cpu")), "flip \(label)")
      #expect(flip.unbatchedPatches == (try want.int("unbatched_entries")), "flip \(label)")
      if !lab.text {
        // Text timestamps are whole microseconds; the trace.dat's are the kernel's nanoseconds.
        #expect(durations(batches, "kprobe") == (try want.string("dur_kprobe")), "flip \(label)")
        #expect(durations(batches, "function_graph") == (try want.string("dur_function_graph")), "flip \(label)")
      }
    }
    #expect(report.textPoke.batches.count == (try total.int("batches")))
    #expect(report.textPoke.batches.compactMap(\.entries).reduce(0, +) == (try total.int("entries")))
    #expect(report.textPoke.syncs == (try total.int("tp_sends")))
    #expect(report.textPoke.ipisSent == (try total.int("tp_ipis")))
    #expect(report.ipi.sendEvents == (try total.int("sends")))
    #expect(report.ipi.sent == (try total.int("ipis")))
    #expect(report.ipi.received == (try total.int("received")))
    #expect(perCPU(report.ipi.receivedPerCPU) == (try total.string("received_per_cpu")))
    #expect(report.textPoke.unbatchedPatches == (try total.int("unbatched_entries")))
    #expect(report.cpus == cpus)
  }

  @Test("a kernel that patches each site on its own says so: no batch is what it does", arguments: ["bullseye-arm64-smp2", "bullseye-arm64-smp4"])
  func prefixArm64(_ name: String) throws {
    let report = try analyze(try TraceDatReader(path: Fixtures.url("lab/\(name).dat").path))
    #expect(report.textPoke.batches.isEmpty)
    #expect(report.textPoke.unbatchedPatches > 0)
    let note = try #require(report.textPoke.note)
    #expect(note.contains("arch_jump_label_transform") && note.contains("no IPI"))
  }

  @Test("arm64 with the jump-label fix: each batch is an apply whose one sync is the kick to every other CPU",
        arguments: ["bookworm-arm64-smp4", "trixie-arm64-smp4"])
  func arm64Apply(_ name: String) throws {
    let report = try analyze(try TraceDatReader(path: Fixtures.url("lab/\(name).dat").path))
    #expect(report.textPoke.batches.count == 18)
    #expect(report.textPoke.batches.allSatisfy { $0.syncs == 1 && $0.ipisSent <= 3 && ($0.entries ?? 0) > 0 })
    #expect(report.textPoke.batches.allSatisfy { Set($0.durations.keys) == ["function_graph", "kprobe"] })
    #expect(report.ipi.sources.contains("ipi:ipi_entry"))
    #expect(report.textPoke.note == nil)
  }

  /// The issue's double count: 6.12 with ipi tracepoints and kprobes on the send functions, and
  /// the same kernel with the tracepoints alone, count the same kind of sends.
  @Test("a send seen by the tracepoint and by the send-function kprobe counts once")
  func tracepointAndKprobeOnce() throws {
    let both = try analyze(try TraceDatReader(path: Fixtures.url("lab/trixie-amd64-smp4.dat").path))
    #expect(both.ipi.sources.contains("kprobe:native_send_call_func_ipi"))
    #expect(both.textPoke.syncs == 54)
    #expect(both.flips.allSatisfy { $0.syncs == 3 && $0.ipisSent <= 9 })
    let alone = try analyze(try TraceDatReader(path: Fixtures.url("lab/trixie-amd64-smp4-nosendprobes.dat").path))
    #expect(!alone.ipi.sources.contains { $0.hasPrefix("kprobe:") })
    #expect(alone.textPoke.syncs == 54)
  }

  @Test("the .expected and .txt.expected files are what scripts/fixtures/expected-lab.py prints for the fixtures",
        .enabled(if: Fixtures.canRun(with: "trace-cmd") && Fixtures.which("python3") != nil, "trace-cmd or python3 missing"),
        arguments: LabKernelCase.all)
  func expectedFilesAreCurrent(_ lab: LabKernelCase) throws {
    let script = Fixtures.repositoryRoot.appendingPathComponent("scripts/fixtures/expected-lab.py").path
    // The text fixture is the `ev` instance's tracefs file: its expectations cover that buffer.
    let buffer = lab.text ? ["--buffer", "ev"] : []
    let output = try Fixtures.run(Fixtures.which("python3")!, [script] + buffer + [Fixtures.url("lab/\(lab.name).dat").path])
    #expect(output == (try String(contentsOf: Fixtures.url(lab.expectedPath), encoding: .utf8)))
  }
}
