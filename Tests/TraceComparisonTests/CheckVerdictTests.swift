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
      "record/bookworm61-2cpu-record", "record/bookworm61-4cpu-record", "record/bullseye510-2cpu-record",
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
    #expect(
      check.assumptions.allSatisfy { !$0.hasPrefix("architecture") },
      "uname names it: nothing inferred")
    // From `trace-cmd report` of the fixture (fixtures/README.md, record): the text_poke sends
    // per batch are 3, 2, 2, 3, 3, 2 (expected-record.py's text_poke_syncs 15); the CPU that
    // did not patch was halted in native_safe_halt (its reception stacks), not polling.
    #expect(check.batches.map { $0.items.first { $0.quantity == "syncs" }?.observed } == [3, 2, 2, 3, 3, 2])
    #expect(check.verdict == .explained)
    #expect(check.verdict.exitStatus == 0)
    let items = check.batches.flatMap { batch in batch.items.map { (batch.batch, $0) } }
    #expect(!items.contains { $0.1.explanation == "idle-polling-wake-without-ipi" }, "cpu1 took its interrupts: not woken without one")
    // Batch 2: cpu1 took 3 call-function-single interrupts during the batch (15.996698,
    // 15.997759, 15.999538) but the trace has 2 sends (15.997621, 15.998665), and its ring
    // buffer dropped nothing: a send was not recorded.
    func explanation(_ batch: Int, _ quantity: String) -> String? {
      items.first { $0.0 == batch && $0.1.quantity == quantity }?.1.explanation
    }
    #expect(explanation(2, "syncs") == "send-not-traced")
    #expect(explanation(2, "unattributed_ipis cpu1") == "send-not-traced")
    #expect(explanation(2, "ipis_received cpu1") == "send-not-traced")
    // Batches 3 and 6: an interrupt-path send to cpu0 (update_process_times ->
    // smp_call_function_single_async at 16.103628; ttwu_queue_wakelist at 16.432048) was still
    // pending when the first sync queued its call: that sync sent nothing.
    #expect(explanation(3, "syncs") == "call-single-queue-already-pending")
    #expect(explanation(6, "syncs") == "call-single-queue-already-pending")
    #expect(items.allSatisfy { $0.1.verdict != .unexplained })
  }

  @Test("every record trace (2 and 4 vCPUs, 5.10 to 7.2) checks as matched or explained", arguments: Fixtures.files(in: "record", suffix: ".dat"))
  func recordTracesCheck(_ fixture: String) throws {
    let check = PredictionCheck.check(try analyzed(fixture), kernel: nil, cpus: nil)
    #expect(check.verdict == .match || check.verdict == .explained, "\(fixture): \(check.verdict)")
    #expect(check.batches.count == 6)
    #expect(check.batches.flatMap(\.items).allSatisfy { $0.verdict != .unexplained })
  }

  @Test("4 vCPUs: cpu0, left out of batch 2's syncs, took their interrupts; one answers no recorded send")
  func recordedFourCPUs() throws {
    // trace-cmd report of the fixture: batch 2 (cpu3, 46.247156) sends mask=0x6 (cpu0 left
    // out), then cpu=2 alone, then mask=0x6; cpu0 takes call_function_single at 46.251375
    // (no recorded send), 46.284173, 46.285008 and 46.299368; timer-interrupt sends to cpu0
    // at 46.260145 and 46.295324 were pending when the later syncs queued.
    let check = PredictionCheck.check(try analyzed("record/bookworm61-4cpu-record.v7zstd.dat"), kernel: nil, cpus: nil)
    #expect(check.cpus == 4)
    let batch = try #require(check.batches.first { $0.batch == 2 })
    #expect(batch.items.first { $0.quantity == "ipis_received cpu0" }?.explanation == "call-single-queue-already-pending")
    #expect(batch.items.first { $0.quantity == "unattributed_ipis cpu0" }?.explanation == "send-not-traced")
  }

  @Test("a reception without a traced send is not a missing send when events were lost, nor when the receiver got more than the protocol sends")
  func sendNotTracedNeedsEvidence() throws {
    var report = try analyzed(Self.recorded)
    report.countsAreLowerBounds = true
    let lossy = PredictionCheck.check(report, kernel: nil, cpus: nil)
    #expect(!lossy.batches.flatMap(\.items).contains { $0.explanation == "send-not-traced" })
    #expect(lossy.batches[1].items.contains { $0.quantity == "syncs" && $0.explanation == "lost-events" })
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
      // The recording is x86_64 (its uname): the given architecture is applied, and said to
      // contradict it.
      #expect(
        check.notes == [
          "the model has no rules for \(machine) (only x86 and arm64); analyze still counts its IPIs",
          "--arch \(machine) applied as given, but the trace's own architecture is x86_64 (its uname)",
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
    let unseen = PredictionCheck.check(report, kernel: nil, cpus: nil, architecture: "aarch64")
    #expect(unseen.predictionPerBatch.patchProtocol == .arm64NoSync)
    #expect(unseen.verdict == .noBatches, "no arch_jump_label_transform call in the trace: no batch was not observed")
    #expect(unseen.notes.contains { $0.contains("no batch and no arch_jump_label_transform call") }, "\(unseen.notes)")

    // The writes that replace the batch, in every flip, and an IPI source: "no batch, no
    // kick" is observed.
    for index in report.flips.indices { report.flips[index].unbatchedPatches = 3 }
    report.textPoke.unbatchedPatches = 3 * report.flips.count
    let quiet = PredictionCheck.check(report, kernel: nil, cpus: nil, architecture: "aarch64")
    #expect(quiet.verdict == .match)
    #expect(
      quiet.notes.contains {
        $0.contains("no batch, no kick") && $0.contains("this is what arm64 v6.1.0 without cfb00a357864 does")
      }, "\(quiet.notes)")

    var silent = report
    silent.ipi.sources = []
    let deaf = PredictionCheck.check(silent, kernel: nil, cpus: nil, architecture: "aarch64")
    #expect(deaf.verdict == .noIPISource)
    #expect(deaf.notes.contains { $0.contains("no kick\" cannot be observed") }, "\(deaf.notes)")

    var unnamed = report
    unnamed.kernel = nil
    let assumed = PredictionCheck.check(unnamed, kernel: nil, cpus: nil, architecture: "aarch64")
    #expect(assumed.verdict == .match)
    #expect(assumed.notes.contains { $0.contains("an arm64 kernel (its version is unknown: v6.1 assumed)") }, "\(assumed.notes)")
    #expect(!assumed.notes.contains { $0.contains("arm64 v6.1.0") }, "a kernel it only assumed is not named as the kernel")

    report.kallsymsPatchFunctions = nil
    for index in report.flips.indices { report.flips[index].unbatchedPatches = 0 }
    report.textPoke.unbatchedPatches = 0
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

  /// Every lab kernel's tracefs text (`fixtures/lab/<name>.txt.gz`): no kallsyms, no uname.
  static let labTexts: [String] = Fixtures.files(in: "lab", suffix: ".txt.gz")

  @Test("every lab kernel's text checks without kallsyms: arm64's backport decided from its own events", arguments: labTexts)
  func labTextsCheck(_ fixture: String) throws {
    let report = try analyzed(fixture)
    #expect(report.kallsymsPatchFunctions == nil)
    let check = PredictionCheck.check(report, kernel: nil, cpus: nil)
    #expect(check.verdict == .match || check.verdict == .explained, "\(fixture): \(check.verdict) \(check.notes)")
    #expect(check.batches.count == report.textPoke.batches.count)
    guard check.architecture == "aarch64" else { return }
    if fixture.contains("bullseye-arm64") {
      #expect(check.predictionPerBatch.patchProtocol == .arm64NoSync)
      #expect(check.notes.contains { $0.contains("its own events show arch_jump_label_transform per entry") }, "\(check.notes)")
      #expect(check.notes.contains { $0.contains("an arm64 kernel (its version is unknown") }, "\(check.notes)")
    } else {
      #expect(check.predictionPerBatch.patchProtocol == .arm64KickPerBatch)
      #expect(check.notes.contains { $0.contains("its own events show arch_jump_label_transform_apply") }, "\(check.notes)")
      // The same with the kernel named: 6.1 (bookworm's series) and 6.12 (trixie's).
      for kernel in [KernelVersion(6, 1), KernelVersion(6, 12)] {
        #expect(PredictionCheck.check(report, kernel: kernel, cpus: nil).verdict != .unexplained)
      }
    }
  }

  /// Lines of the arm64 5.10 lab text (`bullseye-arm64-smp2.txt.gz`) that `keep` accepts,
  /// analyzed; the first 11 lines are the tracefs header.
  private func bullseye510(keeping keep: (Int, Substring) -> Bool) throws -> AnalysisReport {
    let full = try String(contentsOf: Fixtures.materialize("lab/bullseye-arm64-smp2.txt.gz"), encoding: .utf8)
    let lines = full.split(separator: "\n", omittingEmptySubsequences: false).enumerated().filter { keep($0.offset, $0.element) }
    let cut = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-cut-\(getpid())-\(UUID().uuidString).txt")
    try (lines.map(\.element).joined(separator: "\n") + "\n").write(to: cut, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: cut) }
    let text = try FtraceTextSource(path: cut.path)
    var analyzer = IPIAnalyzer(metadata: text.metadata)
    let skipped = try text.forEachEventInTimeOrder(fields: IPIAnalyzer.selection) { analyzer.consume($0) }
    return analyzer.finish(skippedEvents: skipped)
  }

  @Test("arm64 5.10: no batch matches only when the unbatched writes and an IPI source are in the trace")
  func arm64NoBatchNeedsEvidence() throws {
    let kernel = KernelVersion(5, 10)
    let full = PredictionCheck.check(try bullseye510 { _, _ in true }, kernel: kernel, cpus: nil, architecture: "arm64")
    #expect(full.verdict == .match)
    #expect(full.notes.contains { $0.contains("arch_jump_label_transform call(s), no batch, no kick") }, "\(full.notes)")

    // The header and the first two flips' markers only (the audit's m2.txt).
    var markers = 0
    let bare = try bullseye510 { index, line in
      if index < 11 { return true }
      guard line.contains("FLIP_BEGIN") || line.contains("FLIP_END"), markers < 4 else { return false }
      markers += 1
      return true
    }
    #expect(bare.flips.count == 2)
    let nothing = PredictionCheck.check(bare, kernel: kernel, cpus: nil, architecture: "arm64")
    #expect(nothing.verdict == .noBatches)
    #expect(nothing.verdict.exitStatus == 1)

    let noWrites = PredictionCheck.check(
      try bullseye510 { _, line in !line.contains("arch_jump_label_transform") }, kernel: kernel, cpus: nil, architecture: "arm64")
    #expect(noWrites.verdict == .noBatches)
    #expect(noWrites.notes.contains { $0.contains("no arch_jump_label_transform call") }, "\(noWrites.notes)")

    let noIPI = PredictionCheck.check(
      try bullseye510 { _, line in !line.contains(" ipi_") }, kernel: kernel, cpus: nil, architecture: "arm64")
    #expect(noIPI.verdict == .noIPISource)
    #expect(noIPI.verdict.exitStatus == 1)
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
