import TraceAnalysis

// MARK: - perf stat, bpftool, /proc/interrupts

extension MetricSet {
  /// One `perf stat` run: every counted event by its name as perf printed it (lines of the same
  /// event on several CPUs add up), in the unit perf printed (`msec` for task-clock), plus
  /// `elapsed`, `user` and `sys` in seconds when present. Events perf could not count are left out.
  public static func perfStat(
    counters: [(event: String, value: Double?)], elapsedSeconds: Double?, userSeconds: Double? = nil,
    sysSeconds: Double? = nil
  ) -> MetricSet {
    var order: [String] = []
    var totals: [String: Double] = [:]
    for (event, value) in counters {
      guard let value else { continue }
      if totals[event] == nil { order.append(event) }
      totals[event, default: 0] += value
    }
    var run = order.map { (name: $0, value: totals[$0]!) }
    if let elapsedSeconds { run.append(("elapsed", elapsedSeconds)) }
    if let userSeconds { run.append(("user", userSeconds)) }
    if let sysSeconds { run.append(("sys", sysSeconds)) }
    return MetricSet(run: run)
  }

  /// One BPF program of a `bpftool prog show` listing, as the comparison needs it.
  public struct BPFProgramRun: Hashable, Sendable {
    public var name: String?
    public var tag: String?
    /// `run_time_ns`: total run time while bpf_stats_enabled was 1, in nanoseconds.
    public var runTimeNanoseconds: UInt64?
    /// `run_cnt`: runs counted while bpf_stats_enabled was 1.
    public var runCount: UInt64?

    public init(name: String?, tag: String?, runTimeNanoseconds: UInt64?, runCount: UInt64?) {
      self.name = name
      self.tag = tag
      self.runTimeNanoseconds = runTimeNanoseconds
      self.runCount = runCount
    }
  }

  /// One `bpftool prog show` listing: `<name>.ns_per_run`, `<name>.run_cnt` and
  /// `<name>.run_time_ns` per program with statistics. Programs are keyed by name, by tag when
  /// unnamed, and by `name[tag]` when a name repeats within the listing, so that the same
  /// program matches across runs even when its id changed.
  public static func bpfPrograms(_ programs: [BPFProgramRun]) -> MetricSet {
    var nameCounts: [String: Int] = [:]
    for program in programs { if let name = program.name { nameCounts[name, default: 0] += 1 } }
    var run: [(name: String, value: Double)] = []
    for program in programs {
      guard let time = program.runTimeNanoseconds, let count = program.runCount else { continue }
      let key: String
      if let name = program.name {
        key = nameCounts[name]! > 1 ? "\(name)[\(program.tag ?? "?")]" : name
      } else if let tag = program.tag {
        key = tag
      } else {
        continue
      }
      if count > 0 { run.append(("\(key).ns_per_run", Double(time) / Double(count))) }
      run.append(("\(key).run_cnt", Double(count)))
      run.append(("\(key).run_time_ns", Double(time)))
    }
    return MetricSet(run: run)
  }

  /// A series of `/proc/interrupts` snapshots: `<row>.total` (all CPUs, last snapshot) and,
  /// with two snapshots or more, `<row>.delta` (increase from the first to the last, all CPUs)
  /// and `<row>.cpu<N>.delta` for every CPU. Rows come in file order.
  ///
  /// - Parameter snapshots: each snapshot's rows: name and counts per CPU, CPU 0 first.
  public static func interrupts(_ snapshots: [[(name: String, counts: [UInt64])]]) -> MetricSet {
    guard let last = snapshots.last else { return MetricSet(run: []) }
    var run: [(name: String, value: Double)] = []
    let first = snapshots.count >= 2 ? snapshots[0] : nil
    for row in last {
      run.append(("\(row.name).total", Double(row.counts.reduce(0, +))))
      guard let first, let earlier = first.first(where: { $0.name == row.name }) else { continue }
      let cpus = min(row.counts.count, earlier.counts.count)
      let deltas = (0..<cpus).map { Double(row.counts[$0]) - Double(earlier.counts[$0]) }
      run.append(("\(row.name).delta", deltas.reduce(0, +)))
      for (cpu, delta) in deltas.enumerated() { run.append(("\(row.name).cpu\(cpu).delta", delta)) }
    }
    return MetricSet(run: run)
  }
}

// MARK: - Trace analyses

extension MetricSet {
  /// One trace's analysis, by the JSON paths of docs/analysis-json.md: `ipi.sent`,
  /// `ipi.received`, `ipi.received_per_cpu.<cpu>`, `text_poke.ipis_sent`,
  /// `text_poke.ipis_received`, `text_poke.syncs`, `text_poke.batches` (count),
  /// `text_poke.batch_duration_ns.{median,mean,max}` (batches of known duration),
  /// `flips` (count), per-flip means `flips.{batches,syncs,ipis_sent,ipis_received,all_ipis_received,duration_ns}_mean`,
  /// and `int3.share` (samples through the int3 handler / all samples) when samples exist.
  public static func analysis(_ report: AnalysisReport) -> MetricSet {
    var run: [(name: String, value: Double)] = [
      ("ipi.sent", Double(report.ipi.sent)),
      ("ipi.received", Double(report.ipi.received)),
    ]
    for cpu in 0..<report.cpus {
      run.append(("ipi.received_per_cpu.\(cpu)", Double(report.ipi.receivedPerCPU[String(cpu)] ?? 0)))
    }
    run += [
      ("text_poke.ipis_sent", Double(report.textPoke.ipisSent)),
      ("text_poke.ipis_received", Double(report.textPoke.ipisReceived)),
      ("text_poke.syncs", Double(report.textPoke.syncs)),
      ("text_poke.batches", Double(report.textPoke.batches.count)),
    ]
    let durations = report.textPoke.batches.compactMap(\.durationNs).map { Double($0) }
    if !durations.isEmpty {
      run.append(("text_poke.batch_duration_ns.median", Statistics.median(durations)))
      run.append(("text_poke.batch_duration_ns.mean", durations.reduce(0, +) / Double(durations.count)))
      run.append(("text_poke.batch_duration_ns.max", durations.max()!))
    }
    run.append(("flips", Double(report.flips.count)))
    if !report.flips.isEmpty {
      let count = Double(report.flips.count)
      func mean(_ value: (FlipSummary) -> Int) -> Double { Double(report.flips.map(value).reduce(0, +)) / count }
      run.append(("flips.batches_mean", mean(\.batches)))
      run.append(("flips.syncs_mean", mean(\.syncs)))
      run.append(("flips.ipis_sent_mean", mean(\.ipisSent)))
      run.append(("flips.ipis_received_mean", mean(\.ipisReceived)))
      run.append(("flips.all_ipis_received_mean", mean(\.allIPIsReceived)))
      run.append(("flips.duration_ns_mean", Double(report.flips.map { $0.endNs - $0.startNs }.reduce(0, +)) / count))
    }
    if report.int3.totalSamples > 0 {
      run.append(("int3.share", Double(report.int3.samples) / Double(report.int3.totalSamples)))
    }
    return MetricSet(run: run)
  }
}
