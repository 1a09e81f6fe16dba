import Foundation
import Testing
import TraceAnalysis
import TraceComparison
import TraceModel
import TraceReaders
import TraceTestSupport

/// `check` and an unknown CPU count (issue 11, item 3): never a trap, never a prediction made
/// for 0 CPUs without saying so.
@Suite("check with a CPU count the trace does not give")
struct CPUCountCheckTests {
  /// perf script without a `[cpu]` column: the sends' targets (`cpu=0`, `cpu=1`) are the only CPUs named.
  static func perfScriptWithoutCPU() throws -> AnalysisReport {
    try IPIAnalyzer.report(for: PerfScriptSource(path: Fixtures.url("text/perfscript-ipi-ns.txt").path))
  }

  @Test("no event names its CPU: the CPU count comes from the send targets, inferred and said so")
  func inferredFromTargets() throws {
    let report = try Self.perfScriptWithoutCPU()
    let want = try TestExpectations.values("text/perfscript-ipi-ns.expected")
    #expect(report.eventsWithoutCPU == Int(want["samples"]!)!)
    let targets = want.keys.filter { $0.hasPrefix("targets_cpu") }.compactMap {
      Int($0.dropFirst(11))
    }
    #expect(report.cpus == (targets.max() ?? -1) + 1)
    #expect(report.cpusInferred)
    #expect(!report.textPoke.batches.isEmpty)
    let check = PredictionCheck.check(report, kernel: nil, cpus: nil)
    #expect(check.assumptions.contains { $0.contains("inferred") })
    #expect(PredictionCheck.cpuCountProblem(report, cpus: nil) == nil)
  }

  @Test("a 0 CPU count with batches: check does not trap, and cpuCountProblem asks for --cpus")
  func zeroCPUs() throws {
    var report = try Self.perfScriptWithoutCPU()
    report.cpus = 0
    let check = PredictionCheck.check(report, kernel: nil, cpus: nil)
    #expect(check.cpus == 1)
    #expect(check.assumptions.contains { $0.contains("no event names its CPU") })
    let problem = try #require(PredictionCheck.cpuCountProblem(report, cpus: nil))
    #expect(problem.description.contains("--cpus"))
    #expect(PredictionCheck.cpuCountProblem(report, cpus: 2) == nil)
  }
}

enum TestExpectations {
  static func values(_ relative: String) throws -> [String: String] {
    var values: [String: String] = [:]
    for line in try String(contentsOf: Fixtures.url(relative), encoding: .utf8).split(
      separator: "\n")
    {
      let parts = line.split(separator: "=", maxSplits: 1)
      if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
    }
    return values
  }
}
