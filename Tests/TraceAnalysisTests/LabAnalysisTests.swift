import Foundation
import Testing
import TraceAnalysis
import TraceModel
import TraceNative
import TraceReaders
import TraceTestSupport

/// One flip as the lab script's own awk counted it (fixtures/lab/*.summary.txt): the
/// independent expected numbers for the 6.1 kernel.
struct LabFlip: Equatable {
  var key: String
  var batches: Int
  var entries: Int
  var textPokeSends: Int
  var textPokeIPIs: Int
  var otherIPIs: Int
  var received: Int
  var kprobeMicroseconds: [Int]
  var receivedPerCPU: [Int]

  /// Parses `key=v batches=1 entries=64 textpoke_sends=3(ipis 9) other_sends=0(ipis 0)
  /// cf+cfs_received=9 ... tpb_us=[6181] per-cpu cf/cfs: 3/0 3/0 ...`.
  init?(line: Substring) {
    func number(after label: String) -> Int? {
      guard let range = line.range(of: label) else { return nil }
      return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
    guard let first = line.split(separator: " ").first, first.contains("="),
      let batches = number(after: "batches="), let entries = number(after: "entries="),
      let sends = number(after: "textpoke_sends="), let ipis = number(after: "textpoke_sends=\(sends)(ipis "),
      let other = number(after: "other_sends="), let received = number(after: "cf+cfs_received="),
      let durations = line.range(of: "tpb_us=["), let perCPU = line.range(of: "per-cpu cf/cfs:")
    else { return nil }
    let otherSends = line[line.range(of: "other_sends=")!.upperBound...]
    guard let otherIPIs = Int(otherSends.drop { $0 != "s" }.dropFirst(2).prefix { $0.isNumber }) else { return nil }
    _ = other
    key = String(first)
    self.batches = batches
    self.entries = entries
    textPokeSends = sends
    textPokeIPIs = ipis
    self.otherIPIs = otherIPIs
    self.received = received
    kprobeMicroseconds = line[durations.upperBound...].prefix { $0 != "]" }.split(separator: " ").compactMap { Int($0) }
    receivedPerCPU = line[perCPU.upperBound...].split(separator: " ").map { pair in
      pair.split(separator: "/").compactMap { Int($0) }.reduce(0, +)
    }
  }
}

struct LabCase: CustomTestStringConvertible, Sendable {
  var cpus: Int
  var testDescription: String { "lab 6.1, \(cpus) CPUs" }
  var text: String { "lab/lab61-\(cpus)cpu.txt" }
  var fgraph: String { "lab/lab61-\(cpus)cpu.fgraph.txt" }
  var summary: String { "lab/lab61-\(cpus)cpu.summary.txt" }

  static let all = [2, 4, 8].map { LabCase(cpus: $0) }

  func expectedFlips() throws -> [LabFlip] {
    try String(contentsOf: Fixtures.url(summary), encoding: .utf8).split(separator: "\n").compactMap(LabFlip.init(line:))
  }

  /// `key=value: 6689.485` lines of the summary's function_graph section.
  func expectedGraphDurations() throws -> [(key: String, microseconds: Double)] {
    let text = try String(contentsOf: Fixtures.url(summary), encoding: .utf8)
    guard let section = text.range(of: "durations (us) per flip:\n") else { return [] }
    return text[section.upperBound...].split(separator: "\n").prefix { $0.hasPrefix("  ") }.compactMap { line in
      let parts = line.split(separator: ":")
      guard parts.count == 2, let value = Double(parts[1].trimmingCharacters(in: .whitespaces)) else { return nil }
      return (parts[0].trimmingCharacters(in: .whitespaces), value)
    }
  }
}

func analyze(_ source: some EventSource, options: AnalysisOptions = AnalysisOptions()) throws -> AnalysisReport {
  try IPIAnalyzer.report(for: source, options: options)
}

@Suite struct LabAnalysisTests {
  @Test("per-flip batches, entries, text_poke sends and IPIs match the lab's awk counts", arguments: LabCase.all)
  func flipsMatchLabSummary(_ lab: LabCase) throws {
    let expected = try lab.expectedFlips()
    try #require(expected.count == 18)
    let report = try analyze(try FtraceTextSource(path: Fixtures.url(lab.text).path))
    try #require(report.flips.count == expected.count)
    #expect(report.cpus == lab.cpus)
    for (flip, want) in zip(report.flips, expected) {
      #expect("\(flip.key ?? "")=\(flip.value ?? "")" == want.key)
      #expect(flip.batches == want.batches, "\(want.key)")
      let batches = report.textPoke.batches.filter { $0.startNs >= flip.startNs && $0.startNs <= flip.endNs }
      #expect(batches.compactMap(\.entries).reduce(0, +) == want.entries, "\(want.key)")
      #expect(flip.syncs == want.textPokeSends, "\(want.key)")
      #expect(flip.ipisSent == want.textPokeIPIs, "\(want.key)")
      #expect(flip.otherIPIsSent == want.otherIPIs, "\(want.key)")
      #expect(flip.allIPIsReceived == want.received, "\(want.key)")
      #expect((0..<lab.cpus).map { flip.allReceivedPerCPU[String($0)] ?? 0 } == want.receivedPerCPU, "\(want.key)")
      #expect(batches.map { Int((Double($0.durationNs ?? 0) / 1000).rounded()) } == want.kprobeMicroseconds, "\(want.key)")
      #expect(batches.allSatisfy { $0.durationSource == "kprobe" })
    }
    #expect(report.textPoke.attribution == ["stack"])
  }

  @Test("function_graph batch durations match the lab's awk over the graph text", arguments: LabCase.all)
  func graphDurations(_ lab: LabCase) throws {
    let expected = try lab.expectedGraphDurations()
    try #require(!expected.isEmpty)
    let report = try analyze(try FtraceTextSource(path: Fixtures.url(lab.fgraph).path))
    let batches = report.textPoke.batches.filter { $0.sources.contains("function_graph") }
    #expect(batches.count == expected.count)
    for (batch, want) in zip(batches, expected) {
      #expect(batch.durationSource == "function_graph")
      #expect(batch.durationNs == UInt64((want.microseconds * 1000).rounded()), "\(want.key)")
    }
    #expect(report.flips.map { "\($0.key ?? "")=\($0.value ?? "")" } == expected.map(\.key))
  }

  @Test("the 6.1 lab coalesces syncs: some flips reach fewer than 3 x (N-1) CPUs, never more")
  func coalescedSendsAreFewerNotMore() throws {
    let report = try analyze(try FtraceTextSource(path: Fixtures.url("lab/lab61-8cpu.txt").path))
    let perFlip = report.flips.map(\.ipisSent)
    #expect(perFlip.allSatisfy { $0 <= 3 * 7 })
    #expect(perFlip.contains { $0 < 3 * 7 })
  }
}

/// The local 6.18 flip traces against awk over their `trace-cmd report` text
/// (scripts/fixtures/expected-local-flips.sh, output checked in as `*.expected`).
@Suite struct LocalAnalysisTests {
  struct Expected: Equatable {
    var key: String
    var sends: Int
    var ipis: Int
    var other: Int
    var received: Int
    var perCPU: [Int]
  }

  static func expected(_ name: String) throws -> [Expected] {
    try String(contentsOf: Fixtures.url("tracedat/\(name).expected"), encoding: .utf8).split(separator: "\n").map { line in
      let words = line.split(separator: " ")
      func value(_ label: String) -> Substring { words.first { $0.hasPrefix(label + "=") }!.dropFirst(label.count + 1) }
      return Expected(key: String(words[0]), sends: Int(value("tp_sends"))!, ipis: Int(value("tp_ipis"))!,
                      other: Int(value("other_ipis"))!, received: Int(value("received"))!,
                      perCPU: value("per_cpu").split(separator: "/").map { Int($0)! })
    }
  }

  @Test("per-flip text_poke syncs and receptions match awk over trace-cmd report",
        arguments: [("local618-flips-stack", "stack"), ("local618-flips-nostack", "callsite")])
  func flips(name: String, attribution: String) throws {
    let expected = try Self.expected(name)
    let report = try analyze(try TraceDatReader(path: Fixtures.url("tracedat/\(name).v7zstd.dat").path))
    #expect(report.textPoke.attribution == [attribution])
    try #require(report.flips.count == expected.count)
    for (flip, want) in zip(report.flips, expected) {
      #expect("\(flip.key ?? "")=\(flip.value ?? "")" == want.key)
      #expect(flip.syncs == want.sends)
      #expect(flip.ipisSent == want.ipis)
      #expect(flip.otherIPIsSent == want.other)
      #expect(flip.allIPIsReceived == want.received)
      #expect((0..<2).map { flip.allReceivedPerCPU[String($0)] ?? 0 } == want.perCPU)
      // This kernel, 2 CPUs: one batch per flip, 3 syncs, each one IPI to the other CPU.
      #expect(flip.batches == 1 && flip.ipisReceived == 3)
    }
    #expect(report.countsAreLowerBounds == false)
  }

  @Test("the same trace read as trace.dat and as trace-cmd report text gives the same analysis",
        .enabled(if: Fixtures.canRun(with: "trace-cmd"), "trace-cmd is not installed"))
  func textAndBinaryAgree() throws {
    let dat = Fixtures.url("tracedat/local618-flips-stack.v7zstd.dat")
    let text = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-report-\(getpid()).txt")
    try Fixtures.traceCmdReport(dat).joined(separator: "\n").write(to: text, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: text) }
    let fromDat = try analyze(try TraceDatReader(path: dat.path))
    let fromText = try analyze(try FtraceTextSource(path: text.path))
    #expect(fromText.ipi.sent == fromDat.ipi.sent)
    #expect(fromText.ipi.receivedPerCPU == fromDat.ipi.receivedPerCPU)
    #expect(fromText.textPoke.ipisSent == fromDat.textPoke.ipisSent)
    #expect(fromText.flips.map(\.ipisReceived) == fromDat.flips.map(\.ipisReceived))
    #expect(fromText.textPoke.batches.count == fromDat.textPoke.batches.count)
  }

  @Test("isolated CPUs report the IPIs that landed on them, by source")
  func isolated() throws {
    let report = try analyze(try TraceDatReader(path: Fixtures.url("tracedat/local618-flips-stack.v7zstd.dat").path),
                             options: AnalysisOptions(isolatedCPUs: [0]))
    let isolated = try #require(report.isolated)
    #expect(isolated.received == Int(report.ipi.receivedPerCPU["0"] ?? 0))
    #expect(isolated.textPokeReceived == report.textPoke.receivedPerCPU["0"] ?? 0)
    #expect(isolated.bySource.first?.name.hasPrefix("smp_text_poke_batch_finish") == true)
  }
}

@Suite struct LostEventsTests {
  /// `overrun` per CPU of the instance's CPUSTAT options, as `trace-cmd dump --options` prints them.
  static func traceCmdOverruns(_ file: URL) throws -> [String: Int] {
    let text = try Fixtures.run(Fixtures.which("trace-cmd") ?? "/usr/bin/trace-cmd", ["dump", "--options", "-i", file.path])
    var result: [String: Int] = [:]
    var cpu: String?
    for line in text.split(separator: "\n") {
      if line.hasPrefix("CPU: ") { cpu = String(line.dropFirst(5)) }
      if line.hasPrefix("overrun: "), let cpu, let value = Int(line.dropFirst(9)), value > 0 { result[cpu] = value }
    }
    return result
  }

  @Test("lost events make every count a lower bound, with the kernel's overrun counts per CPU",
        .enabled(if: Fixtures.canRun(with: "trace-cmd"), "trace-cmd is not installed"))
  func lostEvents() throws {
    let file = Fixtures.url("tracedat/local618-lost-events.v7zstd.dat")
    let report = try analyze(try TraceDatReader(path: file.path))
    #expect(report.countsAreLowerBounds)
    let expected = try Self.traceCmdOverruns(file)
    #expect(!expected.isEmpty)
    #expect(report.lostEventsPerCPU == expected)
    #expect(report.lostEvents == expected.values.reduce(0, +))
    // The flips after the overflow survived whole: 6 flips, 3 syncs each.
    #expect(report.flips.count == 6)
    #expect(report.flips.allSatisfy { $0.syncs == 3 && $0.ipisSent == 3 })
  }
}
