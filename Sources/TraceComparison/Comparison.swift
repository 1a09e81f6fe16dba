import Foundation

/// Before/after comparison of every metric both sides measured, with the statistics repeated
/// runs allow.
///
/// ```swift
/// let c = Comparison(before: beforeSet, after: afterSet)
/// c.metrics.first { $0.name == "elapsed" }?.changePercent  // -1.92
/// ```
public struct Comparison: Hashable, Sendable, Codable {
  /// One side's inputs.
  public struct Side: Hashable, Sendable, Codable {
    public var files: [String]
    public var runs: Int
    public init(files: [String], runs: Int) {
      self.files = files
      self.runs = runs
    }
  }

  public var before: Side
  public var after: Side
  /// Metrics measured on both sides, in the before side's order (then the after side's).
  public var metrics: [MetricComparison]
  /// Metrics only one side measured (a counter missing from one perf stat run, a program
  /// unloaded in between).
  public var onlyBefore: [String]
  public var onlyAfter: [String]
  /// Plain-language notes (pairings made, metrics left out, what the samples do not know).
  public var notes: [String]
  /// Per-group rows of the samples inside the inputs (batches and flips of traces, records of
  /// kernel logs): see ``GroupComparison/rows(before:after:directions:)``. Empty when no input
  /// holds samples.
  public var groups: [GroupComparison]
  /// Groups (metric, unit, stratum) that only one side has.
  public var groupsOnlyBefore: [GroupComparison.OneSided]
  public var groupsOnlyAfter: [GroupComparison.OneSided]

  enum CodingKeys: String, CodingKey {
    case before, after, metrics, notes, groups
    case onlyBefore = "only_before"
    case onlyAfter = "only_after"
    case groupsOnlyBefore = "groups_only_before"
    case groupsOnlyAfter = "groups_only_after"
  }

  /// Compares `before` with `after` metric by metric.
  ///
  /// When each side has throughput rows of exactly one implementation and they differ (the
  /// seed's `freelist` before, `array` after), both are renamed `<before>-><after>.threads=<n>`
  /// so that they pair up.
  ///
  /// - Parameters:
  ///   - beforeSamples, afterSamples: the samples inside each side's inputs, for the per-group rows.
  ///   - directions: overrides of ``MetricDirection/inferred(for:)`` by metric name.
  public init(
    before: MetricSet, after: MetricSet, beforeFiles: [String] = [], afterFiles: [String] = [],
    beforeSamples: SampleSet = .empty, afterSamples: SampleSet = .empty,
    directions: [String: MetricDirection] = [:]
  ) {
    var before = before
    var after = after
    var notes: [String] = []
    if before.throughputImplementations.count == 1, after.throughputImplementations.count == 1,
      case let (old, new) = (before.throughputImplementations[0], after.throughputImplementations[0]), old != new
    {
      let paired = "\(old)->\(new)"
      before = before.renaming { $0.hasPrefix(old + ".") ? paired + $0.dropFirst(old.count) : nil }
      after = after.renaming { $0.hasPrefix(new + ".") ? paired + $0.dropFirst(new.count) : nil }
      notes.append("throughput rows paired across sides: \(old) before, \(new) after (metrics \(paired).threads=<n>)")
    }
    self.before = Side(files: beforeFiles, runs: before.runs)
    self.after = Side(files: afterFiles, runs: after.runs)
    var metrics: [MetricComparison] = []
    for name in before.names {
      guard let old = before[name], let new = after[name], !old.isEmpty, !new.isEmpty else { continue }
      metrics.append(
        MetricComparison(name: name, before: old, after: new, direction: directions[name] ?? .inferred(for: name)))
    }
    self.metrics = metrics
    onlyBefore = before.names.filter { after[$0] == nil }
    onlyAfter = after.names.filter { before[$0] == nil }
    let grouped = GroupComparison.rows(before: beforeSamples, after: afterSamples, directions: directions)
    groups = grouped.rows
    groupsOnlyBefore = grouped.onlyBefore
    groupsOnlyAfter = grouped.onlyAfter
    for note in beforeSamples.notes { notes.append("before: " + note) }
    for note in afterSamples.notes { notes.append("after: " + note) }
    self.notes = notes
  }
}
