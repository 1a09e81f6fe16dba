import Foundation
import Testing
import TraceAnalysis
import TraceComparison
import TraceModel
import TraceNative
import TraceReaders
import TraceTestSupport

private func analysis(_ fixture: String) throws -> AnalysisReport {
  let path = try Fixtures.materialize(fixture).path
  if fixture.contains("tracedat/") { return try IPIAnalyzer.report(for: TraceDatReader(path: path)) }
  return try IPIAnalyzer.report(for: FtraceTextSource(path: path))
}

@Suite struct PredictionCheckTests {
  static let realFixtures = [
    "tracedat/local618-flips-stack.v7zstd.dat", "tracedat/local618-flips-nostack.v7zstd.dat",
    "tracedat/lab61-2cpu.v7zstd.dat", "tracedat/lab61-4cpu.v7zstd.dat", "tracedat/lab61-8cpu.v7zstd.dat",
    "lab/lab61-2cpu.txt", "lab/lab61-4cpu.txt", "lab/lab61-8cpu.txt",
  ]

  @Test("every real trace matches the model or is explained", arguments: realFixtures)
  func realTracesPass(_ fixture: String) throws {
    let report = PredictionCheck.check(try analysis(fixture), kernel: fixture.contains("lab61") ? KernelVersion(6, 1) : nil, cpus: nil)
    #expect(report.verdict != .unexplained)
    #expect(!report.batches.isEmpty)
    let unexplained = report.batches.flatMap(\.items).filter { $0.verdict == .unexplained }
    #expect(unexplained.isEmpty, "\(unexplained)")
  }

  @Test("the lab's coalesced syncs are named as a pending call-single queue")
  func coalescedSendsAreNamed() throws {
    let report = PredictionCheck.check(try analysis("lab/lab61-4cpu.txt"), kernel: KernelVersion(6, 1), cpus: nil)
    let items = report.batches.flatMap(\.items).filter { $0.explanation == "call-single-queue-already-pending" }
    // Flip 3 (sched_schedstats=1): CPU 1 got 2 of 3 syncs and 4 other single-call interrupts
    // (fixtures/lab/lab61-4cpu.summary.txt: "per-cpu cf/cfs: 3/0 2/4 0/0 3/0").
    #expect(items.contains { $0.quantity == "ipis_received cpu1" && $0.observed == 2 && $0.predicted == 3 })
    #expect(report.batches[2].flip == 3)
  }

  @Test("an injected extra IPI is unexplained, naming the batch and the CPU")
  func extraIPI() throws {
    let report = PredictionCheck.check(try analysis("lab/injected-extra-ipi.txt"), kernel: KernelVersion(6, 1), cpus: nil)
    #expect(report.verdict == .unexplained)
    let bad = report.batches.filter { $0.verdict == .unexplained }
    #expect(bad.map(\.batch) == [1])
    #expect(bad.first?.items.contains { $0.quantity == "unattributed_ipis cpu1" && $0.verdict == .unexplained } == true)
    #expect(bad.first?.items.contains { $0.quantity == "syncs" && $0.observed == 4 } == true)
  }

  @Test("a missing sync is unexplained, naming the batch and each CPU that missed it")
  func missingSync() throws {
    let report = PredictionCheck.check(try analysis("lab/injected-missing-sync.txt"), kernel: KernelVersion(6, 1), cpus: nil)
    #expect(report.verdict == .unexplained)
    let bad = try #require(report.batches.first { $0.verdict == .unexplained })
    #expect(bad.batch == 1)
    let short = bad.items.filter { $0.verdict == .unexplained && $0.quantity.hasPrefix("ipis_received") }.map(\.quantity)
    #expect(short == ["ipis_received cpu0", "ipis_received cpu1", "ipis_received cpu2"])
  }
}
