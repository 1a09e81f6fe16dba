import Foundation
import Testing
import TraceAnalysis
import TraceComparison
import TraceModel
import TraceNative
import TraceReaders
import TraceTestSupport

/// Reads a fixture (trace.dat by its `.dat` suffix, text otherwise) through the analyzer.
private func analyzed(_ fixture: String) throws -> AnalysisReport {
  let path = try Fixtures.materialize(fixture).path
  if fixture.hasSuffix(".dat") {
    return try IPIAnalyzer.report(for: TraceDatReader(path: path))
  }
  return try IPIAnalyzer.report(for: FtraceTextSource(path: path))
}

/// `pokestat record`'s own trace from a bookworm 6.1 guest and texts cut from its
/// `trace-cmd report` (fixtures/record/README lines in fixtures/README.md).
@Suite struct CheckVerdictTests {
  static let recorded = "record/bookworm61-2cpu-record.v7zstd.dat"

  @Test(
    "record's own trace: kprobes of group pokestat_<pid> give the counts expected-record.py made from trace-cmd report",
    arguments: [
      "record/bookworm61-2cpu-record", "record/bullseye510-2cpu-record",
      "record/trixie612-2cpu-record", "record/sid72-2cpu-record",
    ])
  func recordedTraceCounts(_ name: String) throws {
    let expectedData = try Data(contentsOf: Fixtures.url(name + ".expected.json"))
    let expected = try #require(
      try JSONSerialization.jsonObject(with: expectedData) as? [String: Any])
    let report = try analyzed(name + ".v7zstd.dat")
    #expect(report.textPoke.batches.count == expected["batches"] as? Int)
    #expect(
      report.textPoke.batches.map(\.entries)
        == (expected["entries"] as? [Int])?.map { Optional($0) })
    #expect(
      report.textPoke.batches.allSatisfy { $0.durationSource == "kprobe" && $0.durationNs != nil })
    #expect(report.ipi.sent == expected["ipis_sent"] as? Int)
    #expect(report.ipi.received == expected["received"] as? Int)
    #expect(report.ipi.receivedPerCPU == expected["received_per_cpu"] as? [String: Int])
    #expect(report.textPoke.syncs == expected["text_poke_syncs"] as? Int)
    #expect(report.textPoke.ipisSent == expected["text_poke_ipis"] as? Int)
    #expect(report.flips.count == expected["flips"] as? Int)
    #expect(report.architecture == "x86_64")
    #expect(
      report.kallsymsPatchFunctions?.contains { $0 == "text_poke_bp_batch" || $0 == "smp_text_poke_batch_finish" } == true)
    #expect(report.ipi.sendsWithUnknownTargets == 0, "the send kprobes fetch their target CPU")
  }

  @Test("the recorded trace checks as x86 6.1 from its uname, every difference named")
  func recordedTraceChecks() throws {
    let check = PredictionCheck.check(try analyzed(Self.recorded), kernel: nil, cpus: nil)
    #expect(check.architecture == "x86_64")
    #expect(check.kernel == "6.1.0")
    #expect(check.batches.count == 6)
    #expect(check.verdict != .noBatches && check.verdict != .noRules)
    #expect(
      check.assumptions.allSatisfy { !$0.hasPrefix("architecture") },
      "uname names it: nothing inferred")
  }

  @Test("flips without a batch source: verdict no-batches, never a match on nothing")
  func flipsWithoutBatches() throws {
    let report = try analyzed("record/bookworm61-2cpu-nobatch.report.txt")
    #expect(report.flips.count == 6)
    #expect(report.textPoke.batches.isEmpty)
    let check = PredictionCheck.check(report, kernel: nil, cpus: nil)
    #expect(check.verdict == .noBatches)
    #expect(check.verdict.exitStatus == 1)
    #expect(check.notes.contains { $0.hasPrefix("6 flip(s) but no batch found") }, "\(check.notes)")
    #expect(check.architecture == "x86_64")
    #expect(
      check.assumptions.contains { $0.contains("inferred from irq_vectors") },
      "text has no uname: said how it was known")
  }

  @Test("an architecture without rules: verdict no-rules, exit status 2; analyze still counted")
  func noRulesForArchitecture() throws {
    let report = try analyzed(Self.recorded)
    #expect(report.textPoke.batches.count == 6)
    for machine in ["armv7l", "riscv64"] {
      let check = PredictionCheck.check(report, kernel: nil, cpus: nil, architecture: machine)
      #expect(check.verdict == .noRules)
      #expect(check.verdict.exitStatus == 2)
      #expect(check.batches.isEmpty)
      #expect(
        check.notes == [
          "the model has no rules for \(machine) (only x86 and arm64); analyze still counts its IPIs"
        ])
    }
  }

  @Test("markers only, no uname, no architecture-specific event: architecture unknown, no-rules")
  func unknownArchitecture() throws {
    let report = try analyzed("record/bookworm61-2cpu-markers.report.txt")
    #expect(report.architecture == nil)
    let check = PredictionCheck.check(report, kernel: nil, cpus: nil)
    #expect(check.verdict == .noRules)
    #expect(check.architecture == "unknown")
    #expect(check.notes.first?.hasPrefix("architecture unknown") == true)
  }

  @Test(
    "aarch64 rules on an arm64 release: the kallsyms apply function decides the backported kick")
  func arm64BackportFromKallsyms() throws {
    var report = try analyzed("record/bookworm61-2cpu-nobatch.report.txt")
    report.kernel = "6.1.0-57-cloud-arm64"
    report.kallsymsPatchFunctions = [
      "arch_jump_label_transform_apply", "arch_jump_label_transform_queue",
    ]
    let kicked = PredictionCheck.check(report, kernel: nil, cpus: nil, architecture: "aarch64")
    #expect(kicked.predictionPerBatch.patchProtocol == .arm64KickPerBatch)
    #expect(kicked.notes.contains { $0.contains("backported here") })
    #expect(kicked.verdict == .noBatches, "a kicking kernel must show its applies")

    report.kallsymsPatchFunctions = ["arch_jump_label_transform"]
    let quiet = PredictionCheck.check(report, kernel: nil, cpus: nil, architecture: "aarch64")
    #expect(quiet.predictionPerBatch.patchProtocol == .arm64NoSync)
    #expect(quiet.verdict == .match)
    #expect(
      quiet.notes.contains {
        $0.contains("no batch, no kick: this is what arm64 v6.1.0 without cfb00a357864 does")
      }, "\(quiet.notes)")

    report.kallsymsPatchFunctions = nil
    let unknown = PredictionCheck.check(report, kernel: nil, cpus: nil, architecture: "aarch64")
    #expect(unknown.assumptions.contains { $0.contains("depends on whether the stable backport") })
  }

  /// Every lab kernel's trace.dat (fixtures/lab/<suite>-<arch>-smp<N>.dat, issue 12).
  static let labKernels: [String] = Fixtures.files(in: "lab", suffix: ".dat")

  @Test("every lab kernel: check matches or explains every batch, and never matches on nothing", arguments: labKernels)
  func labKernelsCheck(_ fixture: String) throws {
    let report = try analyzed(fixture)
    let check = PredictionCheck.check(report, kernel: nil, cpus: nil)
    #expect(check.verdict == .match || check.verdict == .explained, "\(fixture): \(check.verdict) \(check.notes)")
    #expect(check.batches.allSatisfy { $0.verdict != .unexplained })
    #expect(check.batches.count == report.textPoke.batches.count)
    // A match with no batch only where the kernel makes none (arm64 before cfb00a357864).
    if check.batches.isEmpty {
      #expect(fixture.contains("bullseye-arm64"), "\(fixture): no batch checked")
      #expect(check.notes.contains { $0.contains("without cfb00a357864") })
    }
  }

  @Test("batches but no IPI source at all (function_graph text alone): no-ipi-source, exit 1, no fake 0 syncs")
  func batchesWithoutIPISource() throws {
    let report = try analyzed("lab/lab61-2cpu.fgraph.txt")
    #expect(!report.textPoke.batches.isEmpty)
    #expect(report.ipi.sources.isEmpty)
    let check = PredictionCheck.check(report, kernel: nil, cpus: nil)
    #expect(check.verdict == .noIPISource)
    #expect(check.verdict.exitStatus == 1)
    #expect(check.batches.allSatisfy { $0.verdict == .noIPISource })
    #expect(check.notes.contains { $0.contains("records no IPI") })
  }
}
