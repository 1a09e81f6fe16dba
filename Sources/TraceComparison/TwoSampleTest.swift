import Foundation

/// Everything the comparison says about two samples: the two-sided Mann-Whitney U test, the
/// Hodges-Lehmann shift with its 95% interval, and the bootstrap 95% interval of the ratio of
/// medians, with the sentence that names the deciding test.
public struct TwoSampleTest: Hashable, Sendable, Codable {
  public var mannWhitney: Statistics.MannWhitney
  /// `after - before`, in the metric's unit.
  public var shift: Estimate
  /// `median(after) / median(before)`.
  public var ratioOfMedians: Estimate
  /// True when p ≤ ``alpha``.
  public var beyondNoise: Bool
  /// The test that decided: `two-sided Mann-Whitney U (exact)` or `(normal approximation)`.
  public var decidedBy: String
  /// The decision in plain words, with p and n.
  public var summary: String

  /// The significance level.
  public static let alpha = 0.05

  enum CodingKeys: String, CodingKey {
    case shift, summary
    case mannWhitney = "mann_whitney"
    case ratioOfMedians = "ratio_of_medians"
    case beyondNoise = "beyond_noise"
    case decidedBy = "decided_by"
  }

  /// - Parameter unit: what a sample is (`batch`, `flip`, `run`), for the wording.
  /// - Precondition: both samples have at least one value.
  public init(before: [Double], after: [Double], unit: SampleSet.Unit) {
    mannWhitney = Statistics.mannWhitney(before, after)
    shift = Statistics.hodgesLehmann(before: before, after: after)
    ratioOfMedians = Statistics.bootstrapRatioOfMedians(before: before, after: after)
    beyondNoise = mannWhitney.p <= Self.alpha
    decidedBy = "two-sided Mann-Whitney U (\(mannWhitney.isExact ? "exact" : "normal approximation"))"
    let p = String(format: "%.3g", mannWhitney.p)
    let plural = unit.rawValue + (unit == .batch ? "es" : "s")
    let counts = "n = \(before.count) vs \(after.count) \(plural)"
    if beyondNoise {
      summary = "beyond noise by the \(decidedBy) test: U = \(String(format: "%g", mannWhitney.u)), p = \(p) ≤ \(Self.alpha), \(counts)"
    } else if mannWhitney.smallestPossibleP > Self.alpha {
      summary = "cannot be decided with \(counts): the \(decidedBy) test cannot go below p = \(String(format: "%.3g", mannWhitney.smallestPossibleP)) (p = \(p))"
    } else {
      summary = "within noise by the \(decidedBy) test: U = \(String(format: "%g", mannWhitney.u)), p = \(p) > \(Self.alpha), \(counts)"
    }
  }
}
