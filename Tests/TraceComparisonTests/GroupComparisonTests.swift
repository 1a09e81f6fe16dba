import Foundation
import Testing
import TraceAnalysis
import TraceComparison
import TracePipeline
import TraceTestSupport

/// Per-group rows from the seeds' inputs. Expected samples come from awk over `trace-cmd report`
/// (scripts/fixtures/expected-compare-lab-batches.sh → fixtures/compare/lab61-*.batches), the
/// expected statistics from scipy (fixtures/compare/scipy/), the kernel-log figures from the
/// log text itself; never from pokestat.
@Suite struct GroupComparisonTests {
  static func report(_ name: String) throws -> AnalysisReport {
    try Pipeline.analyze(Fixtures.url("tracedat/\(name).v7zstd.dat").path).report
  }

  static func awkLists(_ name: String) throws -> [String: [String]] {
    let text = try String(contentsOf: Fixtures.url("compare/\(name).batches"), encoding: .utf8)
    var lists: [String: [String]] = [:]
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: "=", maxSplits: 1)
      lists[String(parts[0])] = parts.count == 2 ? parts[1].split(separator: " ").map(String.init) : []
    }
    return lists
  }

  static func values(_ set: SampleSet, _ metric: String) -> [Double] {
    set.samples.filter { $0.metric == metric }.map(\.value)
  }

  @Test("lab traces: per-batch samples and flip strata equal awk over trace-cmd report", arguments: ["lab61-2cpu", "lab61-8cpu"])
  func labSamples(_ name: String) throws {
    let awk = try Self.awkLists(name)
    let set = SampleSet.analysis(try Self.report(name), run: 0)
    // One batch per flip in these traces, so the per-flip lists are the per-batch lists.
    #expect(try #require(awk["batches_per_flip"]).allSatisfy { $0 == "1" })
    func numbers(_ key: String) throws -> [Double] { try #require(awk[key]).map { Double($0)! } }
    #expect(Self.values(set, "batch.ipis_sent") == (try numbers("batch_ipis_sent")))
    #expect(Self.values(set, "batch.syncs") == (try numbers("batch_syncs")))
    #expect(Self.values(set, "batch.entries") == (try numbers("batch_entries")))
    #expect(Self.values(set, "batch.duration_ns") == (try numbers("batch_duration_ns")))
    #expect(Self.values(set, "flip.ipis_sent") == (try numbers("batch_ipis_sent")))
    let flipKeys = set.samples.filter { $0.metric == "flip.window_ns" }.map { "\($0.stratum.key ?? "?")=\($0.stratum.value ?? "?")" }
    #expect(flipKeys == awk["flip_keys"])
    let batchStrata = set.samples.filter { $0.metric == "batch.ipis_sent" }.map(\.stratum)
    let expectedStrata = zip(try #require(awk["flip_keys"]), try numbers("batch_entries")).map { "\($0)|\(Int($1))" }
    #expect(batchStrata.map { "\($0.key ?? "?")=\($0.value ?? "?")|\($0.entries ?? -1)" } == expectedStrata)
  }

  static func scipy(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: Fixtures.url("compare/scipy/\(name).json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  @Test("lab 2 vs 8 CPUs: IPIs per batch differ beyond noise (3 vs 21); syncs per batch do not (3 vs 3)")
  func labSignificance() throws {
    let comparison = Comparison(
      before: .empty, after: .empty,
      beforeSamples: SampleSet.analysis(try Self.report("lab61-2cpu"), run: 0),
      afterSamples: SampleSet.analysis(try Self.report("lab61-8cpu"), run: 0))
    func row(_ metric: String, _ label: String = "all batches") throws -> GroupComparison {
      try #require(comparison.groups.first { $0.metric == metric && $0.groupLabel == label }, "\(metric) \(label)")
    }
    let ipis = try row("batch.ipis_sent")
    let ipiReference = try Self.scipy("lab61-2v8-batch-ipis-sent")
    let ipiTest = try #require(ipiReference["mann_whitney"] as? [String: Any])
    #expect(ipis.before.samples.n == 18 && ipis.after.samples.n == 18 && ipis.unit == .batch)
    #expect(ipis.before.median == 3 && ipis.after.median == 21)
    #expect(ipis.test.beyondNoise && ipis.test.mannWhitney.isExact)
    #expect(abs(ipis.test.mannWhitney.p - (ipiTest["p"] as! Double)) <= 1e-9 * ipis.test.mannWhitney.p)
    #expect(ipis.test.summary.hasPrefix("beyond noise by the two-sided Mann-Whitney U (exact) test"))
    #expect(ipis.verdict == .worse)
    let hl = try #require(ipiReference["hodges_lehmann"] as? [String: Any])
    #expect(ipis.test.shift.estimate == hl["shift"] as? Double)
    #expect(ipis.test.shift.interval?.low == hl["low"] as? Double && ipis.test.shift.interval?.high == hl["high"] as? Double)

    let syncs = try row("batch.syncs")
    let syncReference = try #require(try Self.scipy("lab61-2v8-batch-syncs")["mann_whitney"] as? [String: Any])
    #expect(syncs.before.median == 3 && syncs.after.median == 3)
    #expect(!syncs.test.beyondNoise)
    #expect(syncs.test.mannWhitney.p == syncReference["p"] as? Double)
    #expect(syncs.test.summary.hasPrefix("within noise by the two-sided Mann-Whitney U (exact) test"))

    let durations = try row("batch.duration_ns")
    let durationTest = try #require(try Self.scipy("lab61-2v8-batch-duration-ns")["mann_whitney"] as? [String: Any])
    #expect(abs(durations.test.mannWhitney.p - (durationTest["p"] as! Double)) <= 1e-9)

    // Strata: every flip key=value with its entry count, 3 batches a side; none one-sided.
    let strata = comparison.groups.filter { $0.metric == "batch.ipis_sent" && $0.group != nil }.map(\.groupLabel)
    #expect(strata == [
      "bpf_stats_enabled=1, nr_entries=64", "bpf_stats_enabled=0, nr_entries=64", "sched_schedstats=1, nr_entries=76",
      "sched_schedstats=0, nr_entries=76", "timer_migration=0, nr_entries=2", "timer_migration=1, nr_entries=2",
    ])
    let stratum = try row("batch.ipis_sent", "timer_migration=1, nr_entries=2")
    #expect(stratum.before.samples.n == 3 && stratum.after.samples.n == 3)
    // Three a side cannot reach p ≤ 0.05: the row says so instead of calling it noise.
    #expect(stratum.test.summary.hasPrefix("cannot be decided with n = 3 vs 3 batches"))
    #expect(comparison.groupsOnlyBefore.isEmpty && comparison.groupsOnlyAfter.isEmpty)
    #expect(try row("flip.window_ns", "all flips").unit == .flip)
  }

  static func log(_ name: String) throws -> TextPokeLog {
    let text = try String(contentsOf: Fixtures.url("compare/\(name)"), encoding: .utf8)
    return try TextPokeLog.parse(text: text, path: name)
  }

  @Test("seed kernel logs: one row per nr_entries under bpf_stats_enabled=0, with n and the Took figures")
  func seedLogs() throws {
    let comparison = Comparison(
      before: .empty, after: .empty,
      beforeSamples: SampleSet.textPokeLog(try Self.log("dmesg-seed-before.txt"), file: "before", run: 0),
      afterSamples: SampleSet.textPokeLog(try Self.log("dmesg-seed-after.txt"), file: "after", run: 0))
    let rows = comparison.groups.filter { $0.metric == "batch.duration_ns" && $0.group != nil }
    // The logs: `echo 0 >/proc/sys/kernel/bpf_stats_enabled`, then nr_entries=2 "Took 324 usec"
    // (519 after) and nr_entries=164 "Took 2655300 usec" (702 after).
    #expect(rows.map(\.groupLabel) == ["bpf_stats_enabled=0, nr_entries=2", "bpf_stats_enabled=0, nr_entries=164"])
    #expect(rows.map(\.before.median) == [324_000, 2_655_300_000])
    #expect(rows.map(\.after.median) == [519_000, 702_000])
    #expect(rows.allSatisfy { $0.before.samples.n == 1 && $0.after.samples.n == 1 && $0.unit == .batch })
    #expect(rows.allSatisfy { $0.test.shift.interval == nil && $0.test.ratioOfMedians.interval == nil })
    #expect(rows[1].test.summary.hasPrefix("cannot be decided with n = 1 vs 1 batches"))
    #expect(rows[1].test.shift.estimate == Double(702_000 - 2_655_300_000))
  }

  @Test("strata one side lacks are listed, unknown entries are said")
  func oneSided() {
    func sample(_ key: String?, _ entries: Int?, _ value: Double) -> SampleSet.Sample {
      SampleSet.Sample(metric: "batch.duration_ns", unit: .batch,
                       stratum: SampleSet.Stratum(key: key, value: key == nil ? nil : "1", entries: entries,
                                                  entriesUnknown: entries == nil),
                       run: 0, value: value)
    }
    let before = SampleSet(samples: [sample("a", 2, 10), sample("a", 2, 11), sample("b", 5, 9)], runs: 1, notes: [])
    let after = SampleSet(samples: [sample("a", 2, 8), sample(nil, nil, 7)], runs: 1, notes: ["after.dat: entries unknown"])
    let comparison = Comparison(before: .empty, after: .empty, beforeSamples: before, afterSamples: after)
    #expect(comparison.groups.map(\.groupLabel) == ["all batches", "a=1, nr_entries=2"])
    #expect(comparison.groupsOnlyBefore.map(\.group.label) == ["b=1, nr_entries=5"])
    #expect(comparison.groupsOnlyAfter.map(\.group.label) == ["flip unknown, entries unknown"])
    #expect(comparison.notes == ["after: after.dat: entries unknown"])
  }

  @Test("a trace with lost events: its samples are said to be lower bounds")
  func lostEvents() throws {
    let report = try Self.report("local618-lost-events")
    #expect(report.countsAreLowerBounds)
    let set = SampleSet.analysis(report, run: 0)
    #expect(set.notes.contains { $0.contains("events lost: per-batch and per-flip counts are lower bounds") })
    #expect(!Self.values(set, "batch.syncs").isEmpty)
  }

  @Test("past the pair limit the Hodges-Lehmann estimate is missing and says why, instead of sorting 4M+ pairs")
  func pairLimit() {
    let x = (0..<2001).map(Double.init), y = (0..<2000).map { Double($0) + 0.5 }
    let shift = Statistics.hodgesLehmann(before: x, after: y)
    #expect(shift.estimate == nil && shift.interval == nil)
    #expect(shift.missing == "2001 × 2000 pairs are more than the 4000000 this estimate sorts")
  }

  @Test("several runs per side: batches pooled with run ids, and run-level rows of run medians")
  func pooledRuns() throws {
    let two = try Self.report("lab61-2cpu"), eight = try Self.report("lab61-8cpu")
    let before = SampleSet.analysis(two, run: 0).appending(SampleSet.analysis(two, run: 1))
    let after = SampleSet.analysis(eight, run: 0).appending(SampleSet.analysis(eight, run: 1))
    let comparison = Comparison(before: .empty, after: .empty, beforeSamples: before, afterSamples: after)
    let batch = try #require(comparison.groups.first { $0.metric == "batch.ipis_sent" && $0.group == nil })
    #expect(batch.before.samples.n == 36 && batch.before.samples.runs == 2)
    #expect(!batch.test.mannWhitney.isExact)  // 72 samples: the normal approximation
    let run = try #require(comparison.groups.first { $0.metric == "batch.ipis_sent.run_median" && $0.group == nil })
    #expect(run.unit == .run && run.before.samples.n == 2 && run.beforeValues == [3, 3] && run.afterValues == [21, 21])
  }
}
