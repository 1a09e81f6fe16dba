import TraceAnalysis

/// Named measurements of one side of a comparison: each metric's value in every run.
///
/// A run is one input file (one `perf stat` output, one trace, one bpftool listing). Sets of
/// several runs are built by ``appendingRun(_:)``; a metric absent from a run simply has fewer
/// values. Names follow the tool that measured them: perf events as perf printed them
/// (`ITLB_WALK`, `iTLB-load-misses`), `elapsed`/`user`/`sys` in seconds, `<prog>.ns_per_run`,
/// JSON paths of the trace analysis (`text_poke.ipis_sent`), `CAL.delta`, `<impl>.threads=<n>`.
///
/// ```swift
/// var side = MetricSet(run: [("elapsed", 189.03)])
/// side = side.appendingRun(MetricSet(run: [("elapsed", 188.5)]))
/// side["elapsed"]  // [189.03, 188.5]
/// ```
public struct MetricSet: Hashable, Sendable, Codable {
  /// Metric names in first-seen order.
  public private(set) var names: [String]
  /// Values per metric, one per run that measured it, in run order.
  public private(set) var values: [String: [Double]]
  /// Runs combined into this set.
  public private(set) var runs: Int
  /// Implementations of throughput tables seen (`freelist`, `array`), for pairing one
  /// implementation before with another after.
  public private(set) var throughputImplementations: [String]

  /// The identity of ``appendingRun(_:)``: no metrics, no runs.
  public static let empty = MetricSet(names: [], values: [:], runs: 0, throughputImplementations: [])

  init(names: [String], values: [String: [Double]], runs: Int, throughputImplementations: [String]) {
    self.names = names
    self.values = values
    self.runs = runs
    self.throughputImplementations = throughputImplementations
  }

  /// One run's measurements, in the order given; a repeated name keeps its last value.
  public init(run measurements: [(name: String, value: Double)], throughputImplementations: [String] = []) {
    var names: [String] = []
    var values: [String: [Double]] = [:]
    for (name, value) in measurements {
      if values[name] == nil { names.append(name) }
      values[name] = [value]
    }
    self.init(names: names, values: values, runs: 1, throughputImplementations: throughputImplementations)
  }

  /// The values of `name` over the runs, nil when no run measured it.
  public subscript(name: String) -> [Double]? { values[name] }

  /// This set followed by the runs of `other`. Associative, with ``empty`` as identity.
  public func appendingRun(_ other: MetricSet) -> MetricSet {
    var merged = self
    for name in other.names {
      if merged.values[name] == nil { merged.names.append(name) }
      merged.values[name, default: []] += other.values[name] ?? []
    }
    merged.runs += other.runs
    for implementation in other.throughputImplementations where !merged.throughputImplementations.contains(implementation) {
      merged.throughputImplementations.append(implementation)
    }
    return merged
  }

  /// A copy with `name` added to every run from `values` (one per run), or replaced.
  public func adding(_ name: String, values newValues: [Double]) -> MetricSet {
    var copy = self
    if copy.values[name] == nil { copy.names.append(name) }
    copy.values[name] = newValues
    return copy
  }

  /// A copy with every metric renamed by `rename` (names mapping to nil are kept as they are).
  public func renaming(_ rename: (String) -> String?) -> MetricSet {
    var copy = MetricSet.empty
    copy.runs = runs
    copy.throughputImplementations = throughputImplementations
    for name in names {
      let newName = rename(name) ?? name
      if copy.values[newName] == nil { copy.names.append(newName) }
      copy.values[newName, default: []] += values[name] ?? []
    }
    return copy
  }

  /// A copy with `first` (those present) moved to the front, in that order.
  public func movingToFront(_ first: [String]) -> MetricSet {
    var copy = self
    let front = first.filter { values[$0] != nil }
    copy.names = front + names.filter { !front.contains($0) }
    return copy
  }
}
