import Foundation

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
    changePercent = MetricDirection.changePercent(before: self.before, after: self.after)
    verdict = direction.verdict(before: self.before, after: self.after)
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
    // Each value of a metric is one run (one input file).
    var extra = encoder.container(keyedBy: ExtraKeys.self)
    try extra.encode(
      ["before": SampleSummary.Count(n: beforeValues.count, unit: .run, runs: beforeValues.count),
       "after": SampleSummary.Count(n: afterValues.count, unit: .run, runs: afterValues.count)],
      forKey: .samples)
  }

  /// Keys written but not read back (derived from the values).
  enum ExtraKeys: String, CodingKey {
    case samples
  }
}
