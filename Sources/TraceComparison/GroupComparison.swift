import Foundation

/// One sampled metric in one stratum, before and after: a row of the per-group table.
///
/// Rows come from ``rows(before:after:directions:)``: for every metric, a row over all its
/// samples, then one per stratum (flip key and value, entry count) when a side has more than
/// one; when a side pools several runs, the same rows again with one sample per run (the run's
/// median).
public struct GroupComparison: Hashable, Sendable, Codable {
  public var metric: String
  public var unit: SampleSet.Unit
  /// The stratum; nil for the row over every sample of the metric.
  public var group: SampleSet.Stratum?
  public var before: SampleSummary
  public var after: SampleSummary
  /// `(median after - median before) / |median before| × 100`; nil when before is 0 and after
  /// is not.
  public var changePercent: Double?
  public var direction: MetricDirection
  public var verdict: MetricComparison.Verdict?
  public var test: TwoSampleTest
  /// Values in input order (for the plots and the CSV).
  public var beforeValues: [Double]
  public var afterValues: [Double]

  /// `all batches`, `all flips`, or the stratum's label.
  public var groupLabel: String {
    group?.label ?? "all \(unit == .batch ? "batches" : unit.rawValue + "s")"
  }

  enum CodingKeys: String, CodingKey {
    case metric, unit, group, before, after, direction, verdict, samples
    case changePercent = "change_percent"
    case groupLabel = "group_label"
    case mannWhitney = "mann_whitney"
    case shift
    case ratioOfMedians = "ratio_of_medians"
    case beyondNoise = "beyond_noise"
    case decidedBy = "decided_by"
    case summary
    case beforeValues = "before_values"
    case afterValues = "after_values"
  }

  /// Compares one metric's samples in one group.
  ///
  /// - Precondition: both sides have at least one value.
  public init(
    metric: String, unit: SampleSet.Unit, group: SampleSet.Stratum?, before: [Double], after: [Double],
    beforeRuns: Int, afterRuns: Int, direction: MetricDirection
  ) {
    self.metric = metric
    self.unit = unit
    self.group = group
    self.before = SampleSummary(before, unit: unit, runs: beforeRuns)
    self.after = SampleSummary(after, unit: unit, runs: afterRuns)
    self.direction = direction
    beforeValues = before
    afterValues = after
    let old = self.before.median, new = self.after.median
    changePercent = MetricDirection.changePercent(before: old, after: new)
    verdict = direction.verdict(before: old, after: new)
    test = TwoSampleTest(before: before, after: after, unit: unit)
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    metric = try container.decode(String.self, forKey: .metric)
    unit = try container.decode(SampleSet.Unit.self, forKey: .unit)
    group = try container.decodeIfPresent(SampleSet.Stratum.self, forKey: .group)
    before = try container.decode(SampleSummary.self, forKey: .before)
    after = try container.decode(SampleSummary.self, forKey: .after)
    changePercent = try container.decodeIfPresent(Double.self, forKey: .changePercent)
    direction = try container.decode(MetricDirection.self, forKey: .direction)
    verdict = try container.decodeIfPresent(MetricComparison.Verdict.self, forKey: .verdict)
    test = TwoSampleTest(
      mannWhitney: try container.decode(Statistics.MannWhitney.self, forKey: .mannWhitney),
      shift: try container.decode(Estimate.self, forKey: .shift),
      ratioOfMedians: try container.decode(Estimate.self, forKey: .ratioOfMedians),
      beyondNoise: try container.decode(Bool.self, forKey: .beyondNoise),
      decidedBy: try container.decode(String.self, forKey: .decidedBy),
      summary: try container.decode(String.self, forKey: .summary))
    beforeValues = try container.decode([Double].self, forKey: .beforeValues)
    afterValues = try container.decode([Double].self, forKey: .afterValues)
  }

  /// The JSON row: flat, every key present (null when unknown), `samples` with n and unit per
  /// side, `shift` and `ratio_of_medians` with their `interval` objects.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(metric, forKey: .metric)
    try container.encode(unit, forKey: .unit)
    try container.encode(groupLabel, forKey: .groupLabel)
    try container.encode(group, forKey: .group)
    try container.encode(["before": before.samples, "after": after.samples], forKey: .samples)
    try container.encode(before, forKey: .before)
    try container.encode(after, forKey: .after)
    try container.encode(changePercent, forKey: .changePercent)
    try container.encode(direction, forKey: .direction)
    try container.encode(verdict, forKey: .verdict)
    try container.encode(test.mannWhitney, forKey: .mannWhitney)
    try container.encode(test.shift, forKey: .shift)
    try container.encode(test.ratioOfMedians, forKey: .ratioOfMedians)
    try container.encode(test.beyondNoise, forKey: .beyondNoise)
    try container.encode(test.decidedBy, forKey: .decidedBy)
    try container.encode(test.summary, forKey: .summary)
    try container.encode(beforeValues, forKey: .beforeValues)
    try container.encode(afterValues, forKey: .afterValues)
  }
}

extension TwoSampleTest {
  init(mannWhitney: Statistics.MannWhitney, shift: Estimate, ratioOfMedians: Estimate, beyondNoise: Bool,
       decidedBy: String, summary: String) {
    self.mannWhitney = mannWhitney
    self.shift = shift
    self.ratioOfMedians = ratioOfMedians
    self.beyondNoise = beyondNoise
    self.decidedBy = decidedBy
    self.summary = summary
  }
}

// MARK: - Building the rows

extension GroupComparison {
  /// A group that only one side has: the metric, its unit and the stratum.
  public struct OneSided: Hashable, Sendable, Codable {
    public var metric: String
    public var unit: SampleSet.Unit
    public var group: SampleSet.Stratum
    public var n: Int
  }

  /// Every row both sides can fill, and the groups only one side has.
  ///
  /// Metrics come in first-seen order (before, then after). For each metric and unit: the row
  /// over all samples, then, when either side has two strata or more, one row per stratum both
  /// sides have (in first-seen order). With more than one run on a side, the same rows follow
  /// at unit `run`: one sample per run and group, the run's median.
  public static func rows(
    before: SampleSet, after: SampleSet, directions: [String: MetricDirection] = [:]
  ) -> (rows: [GroupComparison], onlyBefore: [OneSided], onlyAfter: [OneSided]) {
    struct Key: Hashable {
      var metric: String
      var unit: SampleSet.Unit
    }
    var order: [Key] = []
    var seen: Set<Key> = []
    for sample in before.samples + after.samples {
      let key = Key(metric: sample.metric, unit: sample.unit)
      if seen.insert(key).inserted { order.append(key) }
    }
    func strata(_ samples: [SampleSet.Sample]) -> [SampleSet.Stratum] {
      var list: [SampleSet.Stratum] = []
      var known: Set<SampleSet.Stratum> = []
      for sample in samples where known.insert(sample.stratum).inserted { list.append(sample.stratum) }
      return list
    }
    func runs(_ samples: [SampleSet.Sample]) -> Int { Set(samples.map(\.run)).count }
    var rows: [GroupComparison] = [], onlyBefore: [OneSided] = [], onlyAfter: [OneSided] = []
    var runRows: [GroupComparison] = []
    let pooled = before.runs > 1 || after.runs > 1
    for key in order {
      let old = before.samples.filter { $0.metric == key.metric && $0.unit == key.unit }
      let new = after.samples.filter { $0.metric == key.metric && $0.unit == key.unit }
      let direction = directions[key.metric] ?? .inferred(for: key.metric)
      let oldStrata = strata(old), newStrata = strata(new)
      var groups: [SampleSet.Stratum?] = [nil]
      if oldStrata.count > 1 || newStrata.count > 1 || oldStrata != newStrata {
        for stratum in oldStrata {
          if newStrata.contains(stratum) {
            groups.append(stratum)
          } else {
            onlyBefore.append(OneSided(metric: key.metric, unit: key.unit, group: stratum,
                                       n: old.filter { $0.stratum == stratum }.count))
          }
        }
        for stratum in newStrata where !oldStrata.contains(stratum) {
          onlyAfter.append(OneSided(metric: key.metric, unit: key.unit, group: stratum,
                                    n: new.filter { $0.stratum == stratum }.count))
        }
      }
      for group in groups {
        let x = group.map { g in old.filter { $0.stratum == g } } ?? old
        let y = group.map { g in new.filter { $0.stratum == g } } ?? new
        guard !x.isEmpty, !y.isEmpty else { continue }
        rows.append(GroupComparison(
          metric: key.metric, unit: key.unit, group: group, before: x.map(\.value), after: y.map(\.value),
          beforeRuns: runs(x), afterRuns: runs(y), direction: direction))
        if pooled {
          func perRun(_ samples: [SampleSet.Sample]) -> [Double] {
            var byRun: [Int: [Double]] = [:]
            for sample in samples { byRun[sample.run, default: []].append(sample.value) }
            return byRun.keys.sorted().map { Statistics.median(byRun[$0]!) }
          }
          let xr = perRun(x), yr = perRun(y)
          runRows.append(GroupComparison(
            metric: key.metric + ".run_median", unit: .run, group: group, before: xr, after: yr,
            beforeRuns: xr.count, afterRuns: yr.count, direction: direction))
        }
      }
    }
    return (rows + runRows, onlyBefore, onlyAfter)
  }
}
