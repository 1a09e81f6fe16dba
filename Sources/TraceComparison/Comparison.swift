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
  /// Plain-language notes (pairings made, metrics left out).
  public var notes: [String]

  enum CodingKeys: String, CodingKey {
    case before, after, metrics, notes
    case onlyBefore = "only_before"
    case onlyAfter = "only_after"
  }

  /// Compares `before` with `after` metric by metric.
  ///
  /// When each side has throughput rows of exactly one implementation and they differ (the
  /// seed's `freelist` before, `array` after), both are renamed `<before>-><after>.threads=<n>`
  /// so that they pair up.
  ///
  /// - Parameters:
  ///   - directions: overrides of ``MetricDirection/inferred(for:)`` by metric name.
  public init(
    before: MetricSet, after: MetricSet, beforeFiles: [String] = [], afterFiles: [String] = [],
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
    self.notes = notes
  }
}

/// One metric before and after.
public struct MetricComparison: Hashable, Sendable, Codable {
  public var name: String
  /// The median of the before runs (the value itself for one run).
  public var before: Double
  public var after: Double
  /// `(after - before) / |before| × 100`: negative is a decrease; nil when before is 0 and
  /// after is not.
  public var changePercent: Double?
  public var direction: MetricDirection
  /// `better`, `worse` or `same` by ``direction``; nil when the direction is unknown.
  public var verdict: Verdict?
  /// Every run's value, in run order.
  public var beforeValues: [Double]
  public var afterValues: [Double]
  /// Spread and significance; nil with one run on a side.
  public var statistics: RunStatistics?
  /// What the runs allow one to say about noise, in plain words.
  public var noise: String

  public enum Verdict: String, Hashable, Sendable, Codable {
    case better, worse, same
  }

  enum CodingKeys: String, CodingKey {
    case name, before, after, direction, verdict, statistics, noise
    case changePercent = "change_percent"
    case beforeValues = "before_values"
    case afterValues = "after_values"
  }

  /// Compares the runs of one metric.
  ///
  /// - Precondition: both sides have at least one value.
  public init(name: String, before: [Double], after: [Double], direction: MetricDirection) {
    precondition(!before.isEmpty && !after.isEmpty, "a metric compared without values")
    self.name = name
    self.beforeValues = before
    self.afterValues = after
    self.direction = direction
    self.before = Statistics.median(before)
    self.after = Statistics.median(after)
    if self.before != 0 {
      changePercent = (self.after - self.before) / abs(self.before) * 100
    } else {
      changePercent = self.after == 0 ? 0 : nil
    }
    if self.after == self.before {
      verdict = direction == .unknown ? nil : .same
    } else {
      switch direction {
      case .lowerIsBetter: verdict = self.after < self.before ? .better : .worse
      case .higherIsBetter: verdict = self.after > self.before ? .better : .worse
      case .unknown: verdict = nil
      }
    }
    if before.count >= 2, after.count >= 2 {
      let stats = RunStatistics(before: before, after: after)
      statistics = stats
      noise = stats.summary
    } else if before.count == 1, after.count == 1 {
      statistics = nil
      noise = "one run per side: no spread is known, so noise cannot be ruled out"
    } else {
      statistics = nil
      let side = before.count == 1 ? "before" : "after"
      noise = "one run on the \(side) side: its spread is unknown, so noise cannot be ruled out"
    }
  }
}

/// Medians, spreads and a Mann-Whitney U test of repeated runs.
public struct RunStatistics: Hashable, Sendable, Codable {
  /// One side's distribution.
  public struct Spread: Hashable, Sendable, Codable {
    public var runs: Int
    public var median: Double
    /// First and third quartiles (type 7 interpolation).
    public var q1: Double
    public var q3: Double
    public var min: Double
    public var max: Double

    public init(_ values: [Double]) {
      runs = values.count
      median = Statistics.median(values)
      q1 = Statistics.quantile(values, 0.25)
      q3 = Statistics.quantile(values, 0.75)
      min = values.min()!
      max = values.max()!
    }
  }

  public var before: Spread
  public var after: Spread
  public var mannWhitney: Statistics.MannWhitney
  /// Whether the before and after min–max ranges share any value.
  public var rangesOverlap: Bool
  /// True when p ≤ 0.05.
  public var beyondNoise: Bool
  /// The result in plain words.
  public var summary: String

  enum CodingKeys: String, CodingKey {
    case before, after, summary
    case mannWhitney = "mann_whitney"
    case rangesOverlap = "ranges_overlap"
    case beyondNoise = "beyond_noise"
  }

  /// The significance level the summary uses.
  public static let alpha = 0.05

  public init(before: [Double], after: [Double]) {
    self.before = Spread(before)
    self.after = Spread(after)
    mannWhitney = Statistics.mannWhitney(before, after)
    rangesOverlap = self.before.max >= self.after.min && self.after.max >= self.before.min
    beyondNoise = mannWhitney.p <= Self.alpha
    let p = String(format: "%.3g", mannWhitney.p)
    let test = "Mann-Whitney U = \(String(format: "%g", mannWhitney.u)), two-sided p = \(p)\(mannWhitney.isExact ? " exact" : "")"
    let ranges = rangesOverlap ? "the before and after ranges overlap" : "the before and after ranges do not overlap"
    if beyondNoise {
      summary = "beyond run-to-run noise (\(test)); \(ranges)"
    } else if mannWhitney.smallestPossibleP > Self.alpha {
      summary = "cannot be shown beyond noise with \(self.before.runs) and \(self.after.runs) runs: the smallest possible p is \(String(format: "%.3g", mannWhitney.smallestPossibleP)) (\(test)); \(ranges); add runs"
    } else {
      summary = "within run-to-run noise (\(test)); \(ranges)"
    }
  }
}

extension MetricComparison {
  /// Writes `change_percent`, `verdict` and `statistics` as null when unknown: the JSON keeps
  /// every key.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(name, forKey: .name)
    try container.encode(before, forKey: .before)
    try container.encode(after, forKey: .after)
    try container.encode(changePercent, forKey: .changePercent)
    try container.encode(direction, forKey: .direction)
    try container.encode(verdict, forKey: .verdict)
    try container.encode(beforeValues, forKey: .beforeValues)
    try container.encode(afterValues, forKey: .afterValues)
    try container.encode(statistics, forKey: .statistics)
    try container.encode(noise, forKey: .noise)
  }
}
