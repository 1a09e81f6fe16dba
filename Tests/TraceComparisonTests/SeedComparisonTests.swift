import Foundation
import Testing
import TraceAnalysis
import TraceComparison
import TraceModel
import TracePipeline
import TraceReaders
import TraceTestSupport

/// The seeds' before/after figures, reproduced from their tools' own output. Expected numbers
/// are the cover letters' text (shared/seeds) or awk over `trace-cmd report`
/// (scripts/fixtures/expected-compare-lab.sh), never pokestat output.
@Suite struct SeedComparisonTests {
  /// The metrics `compare` reads from a perf stat file (``Pipeline/loadForComparison(_:lenient:options:)``).
  static func perfStat(_ name: String) throws -> MetricSet {
    try Pipeline.loadForComparison(Fixtures.url("text/\(name)").path).metrics
  }

  /// The metrics `compare` reads from `bpftool prog show` output.
  static func bpftool(_ name: String) throws -> MetricSet {
    try Pipeline.loadForComparison(Fixtures.url("text/\(name)").path).metrics
  }

  static func withDerived(_ set: MetricSet, _ arguments: [String]) throws -> MetricSet {
    var set = set
    for argument in arguments {
      let metric = try DerivedMetric(parsing: argument)
      set = set.adding(metric.name, values: try metric.values(in: set))
    }
    return set
  }

  static func rounded(_ value: Double?) -> Double? { value.map { ($0 * 100).rounded() / 100 } }

  @Test("seed 003: iTLB metrics from perf stat, to two decimals")
  func itlb() throws {
    let derived = [
      "itlb_miss_per_s={iTLB-load-misses}/elapsed", "walk_per_kinst=ITLB_WALK/(INST_RETIRED/1000)", "ITLB_WALK/L1I_TLB",
    ]
    let comparison = Comparison(
      before: try Self.withDerived(try Self.perfStat("perfstat-seed-itlb-before.txt"), derived),
      after: try Self.withDerived(try Self.perfStat("perfstat-seed-itlb-after.txt"), derived))
    func change(_ name: String) -> Double? { Self.rounded(comparison.metrics.first { $0.name == name }?.changePercent) }
    // "iTLB-load-misses/Sec (Less is better) ---> 63.16% decrease"
    #expect(change("itlb_miss_per_s") == -63.16)
    // "ITLB_WALK/1000 INST_RETIRED (Less is better) ---> 42.71% decrease"
    #expect(change("walk_per_kinst") == -42.71)
    // "ITLB_Walk/L1I_TLB (Less is better) ---> 42.47% decrease"
    #expect(change("ITLB_WALK/L1I_TLB") == -42.47)
    // "Compilation time ---> 1.92% faster"
    #expect(change("elapsed") == -1.92)
    for name in ["itlb_miss_per_s", "walk_per_kinst", "ITLB_WALK/L1I_TLB", "elapsed"] {
      #expect(comparison.metrics.first { $0.name == name }?.verdict == .better, "\(name)")
    }
    #expect(comparison.metrics.first { $0.name == "ITLB_WALK" }?.before == 333278635)
  }

  @Test("seed 000: bpftool ns per run, 36 vs 28 ns")
  func bpftoolNanosecondsPerRun() throws {
    let comparison = Comparison(before: try Self.bpftool("bpftool-seed-before.txt"), after: try Self.bpftool("bpftool-seed-after.txt"))
    let metric = try #require(comparison.metrics.first { $0.name == "hn_egress.ns_per_run" })
    #expect(metric.before == 3009063719.0 / 82757845)
    #expect(metric.after == 1928223019.0 / 67682728)
    // "-> average cost is 36 nsec per call" / "28 nsec per call" (integer division)
    #expect(Int(metric.before) == 36 && Int(metric.after) == 28)
    #expect(metric.verdict == .better)
    #expect(comparison.metrics.map(\.name) == ["hn_egress.ns_per_run", "hn_egress.run_cnt", "hn_egress.run_time_ns"])
  }

  @Test("seed 000: text_poke_bp_batch durations, 2,655,300 vs 702 us at 164 entries")
  func durations() throws {
    func log(_ name: String) throws -> MetricSet {
      let text = try String(contentsOf: Fixtures.url("compare/\(name)"), encoding: .utf8)
      return MetricSet.textPokeLog(try TextPokeLog.parse(text: text, path: name))
    }
    let comparison = Comparison(before: try log("dmesg-seed-before.txt"), after: try log("dmesg-seed-after.txt"))
    let big = try #require(comparison.metrics.first { $0.name == "text_poke.nr_entries=164.duration_ns" })
    #expect(big.before == 2_655_300_000 && big.after == 702_000)
    #expect(Self.rounded(big.changePercent) == Self.rounded((702.0 - 2655300) / 2655300 * 100))
    let small = try #require(comparison.metrics.first { $0.name == "text_poke.nr_entries=2.duration_ns" })
    #expect(small.before == 324_000 && small.after == 519_000 && small.verdict == .worse)
  }

  @Test("seed 002: freelist before, array after: 466.7x at 96 threads on the 96-core machine")
  func throughput() throws {
    func table(_ name: String) throws -> MetricSet {
      let text = try String(contentsOf: Fixtures.url("compare/\(name)"), encoding: .utf8)
      return MetricSet.throughput(try ThroughputTable.parse(text: text, path: name))
    }
    let comparison = Comparison(before: try table("throughput-seed-freelist.txt"), after: try table("throughput-seed-array.txt"))
    let metric = try #require(comparison.metrics.first { $0.name == "freelist->array.threads=96" })
    #expect(metric.before == 2_738_050 && metric.after == 1_277_862_473)
    // "the biggest gain as 466.7x of the original freelist throughput"
    #expect(((metric.after / metric.before) * 10).rounded() / 10 == 466.7)
    #expect(metric.direction == .higherIsBetter && metric.verdict == .better)
    #expect(comparison.metrics.count == 9)
    let both = try ThroughputTable.parse(
      text: try String(contentsOf: Fixtures.url("compare/throughput-seed-both.txt"), encoding: .utf8), path: "both")
    #expect(both.map(\.threads) == [[1, 2, 4, 8, 10, 16, 20, 32, 40], [1, 2, 4, 8, 16, 24, 48, 96, 192]])
    #expect(both.map { $0.rows.map(\.implementation) } == [["freelist", "array"], ["freelist", "array"]])
  }

  @Test("a throughput row with a missing value is an error at its line")
  func throughputError() throws {
    let error = try #require(throws: TraceParseError.self) {
      try ThroughputTable.parse(text: "1x 2x 4x\nfreelist: 1 2 3\narray: 4 5\n", path: "t.txt")
    }
    #expect(error.location.line == 3)
  }

  @Test("/proc/interrupts: CAL delta between snapshots")
  func interrupts() throws {
    let snapshots = try InterruptsReader.read(path: Fixtures.url("text/interrupts-snapshots.txt").path).snapshots
    let expected = try String(contentsOf: Fixtures.url("text/interrupts-snapshots.expected"), encoding: .utf8)
    // cal_delta_cpu0=6, cal_delta_cpu1=0 between consecutive snapshots (expected-counts.sh)
    #expect(expected.contains("cal_delta_cpu0=6") && expected.contains("cal_delta_cpu1=0"))
    let set = MetricSet.interrupts(snapshots.prefix(2).map { $0.rows.map { ($0.name, $0.counts) } })
    #expect(set["CAL.cpu0.delta"] == [6])
    #expect(set["CAL.cpu1.delta"] == [0])
    #expect(set["CAL.delta"] == [6])
  }

  static func expected(_ name: String) throws -> [String: Double] {
    let text = try String(contentsOf: Fixtures.url("compare/\(name).expected"), encoding: .utf8)
    var values: [String: Double] = [:]
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: "=", maxSplits: 1)
      if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
    }
    return values
  }

  static func analysis(_ name: String) throws -> MetricSet {
    try Pipeline.loadForComparison(Fixtures.url("tracedat/\(name).v7zstd.dat").path).metrics
  }

  @Test("IPIs per flip and batch durations: lab 6.1 with 2 vs 8 CPUs, against awk over trace-cmd report")
  func labTraces() throws {
    let before = try Self.expected("lab61-2cpu"), after = try Self.expected("lab61-8cpu")
    let comparison = Comparison(before: try Self.analysis("lab61-2cpu"), after: try Self.analysis("lab61-8cpu"))
    func metric(_ name: String) throws -> MetricComparison { try #require(comparison.metrics.first { $0.name == name }) }
    for name in ["ipi.received", "text_poke.ipis_sent", "flips", "text_poke.batch_duration_ns.median"] {
      #expect(try metric(name).before == before[name], "\(name)")
      #expect(try metric(name).after == after[name], "\(name)")
    }
    let perFlip = try metric("flips.ipis_sent_mean")
    #expect(abs(perFlip.before - before["flips.ipis_sent_mean"]!) < 1e-6)
    #expect(abs(perFlip.after - after["flips.ipis_sent_mean"]!) < 1e-6)
    let change = (after["flips.ipis_sent_mean"]! - before["flips.ipis_sent_mean"]!) / before["flips.ipis_sent_mean"]! * 100
    #expect(abs(perFlip.changePercent! - change) < 1e-3)
    #expect(perFlip.verdict == .worse)
  }

  @Test("repeated runs: metrics keep every run; the comparison reports medians and a test")
  func repeatedRuns() {
    func runs(_ values: [Double]) -> MetricSet {
      values.reduce(MetricSet.empty) { $0.appendingRun(MetricSet(run: [("elapsed", $1)])) }
    }
    let comparison = Comparison(before: runs([21.5, 21.4, 21.9, 21.6]), after: runs([19.7, 19.9, 19.6, 19.8]))
    let metric = comparison.metrics[0]
    #expect(metric.beforeValues == [21.5, 21.4, 21.9, 21.6])
    #expect(metric.before == 21.55 && metric.after == 19.75)
    #expect(metric.statistics?.mannWhitney.u == 16)
    #expect(metric.statistics?.beyondNoise == true)
    #expect(comparison.before.runs == 4)
  }
}
