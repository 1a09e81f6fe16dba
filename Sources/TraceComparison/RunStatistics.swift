import Foundation

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
  /// Hodges-Lehmann shift `after - before` of the runs, with its 95% interval.
  public var shift: Estimate
  /// Median of the after runs over the median of the before runs, with a bootstrap 95% interval.
  public var ratioOfMedians: Estimate

  enum CodingKeys: String, CodingKey {
    case before, after, summary
    case mannWhitney = "mann_whitney"
    case rangesOverlap = "ranges_overlap"
    case beyondNoise = "beyond_noise"
    case shift
    case ratioOfMedians = "ratio_of_medians"
  }

  /// The significance level the summary uses.
  public static let alpha = 0.05

  public init(before: [Double], after: [Double]) {
    self.before = Spread(before)
    self.after = Spread(after)
    mannWhitney = Statistics.mannWhitney(before, after)
    shift = Statistics.hodgesLehmann(before: before, after: after)
    ratioOfMedians = Statistics.bootstrapRatioOfMedians(before: before, after: after)
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
