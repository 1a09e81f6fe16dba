import Foundation
import TraceModel

// MARK: - Hodges-Lehmann shift and the bootstrap ratio of medians

extension Statistics {
  /// Pooled sample sizes up to which the Mann-Whitney test and the Hodges-Lehmann interval use
  /// exact distributions; beyond it, the normal approximation.
  public static let exactLimit = 40

  /// The Hodges-Lehmann estimate of the shift `after - before` (the median of all n·m pairwise
  /// differences) with its distribution-free confidence interval.
  ///
  /// The interval is `[D(k), D(nm+1-k)]` of the sorted differences, `k` the largest with
  /// `2 P(U ≤ k-1) ≤ 1 - level` under the no-ties null distribution of the Mann-Whitney U
  /// (exact up to ``exactLimit`` values in all, else
  /// `k = ⌊nm/2 + 1/2 - z·√(nm(n+m+1)/12)⌋`), as in Hollander & Wolfe and R's `wilcox.test`.
  /// Nil interval when even `k = 1` misses the level (too few samples); nil estimate past
  /// ``hodgesLehmannPairLimit`` pairs.
  ///
  /// - Precondition: both samples have at least one value.
  /// - Complexity: O(nm log nm), plus O(n·m·nm) for the exact distribution.
  public static func hodgesLehmann(before: [Double], after: [Double], level: Double = 0.95) -> Estimate {
    precondition(!before.isEmpty && !after.isEmpty, "Hodges-Lehmann needs values on both sides")
    let n = before.count, m = after.count
    guard n * m <= hodgesLehmannPairLimit else {
      return Estimate(estimate: nil, interval: nil,
                      missing: "\(n) × \(m) pairs are more than the \(hodgesLehmannPairLimit) this estimate sorts")
    }
    var differences: [Double] = []
    differences.reserveCapacity(n * m)
    for y in after { for x in before { differences.append(y - x) } }
    differences.sort()
    let estimate = median(differences)
    let alpha = 1 - level
    let k: Int
    var achieved: Double?
    let method: String
    if n + m <= exactLimit {
      let cumulative = mannWhitneyNullCumulative(n: n, m: m)
      var best = 0
      while best + 1 <= n * m / 2, 2 * cumulative[best] <= alpha { best += 1 }
      k = best
      if k >= 1 { achieved = 1 - 2 * cumulative[k - 1] }
      method = "hodges-lehmann exact"
    } else {
      let sigma = (Double(n * m) * Double(n + m + 1) / 12).squareRoot()
      k = Int((Double(n * m) / 2 + 0.5 - normalQuantile(1 - alpha / 2) * sigma).rounded(.down))
      method = "hodges-lehmann normal"
    }
    guard k >= 1, k <= n * m else {
      return Estimate(estimate: estimate, interval: nil,
                      missing: "\(n) vs \(m) samples are too few for a \(percentText(level)) interval")
    }
    return Estimate(estimate: estimate, interval: Interval(
      low: differences[k - 1], high: differences[n * m - k], level: level, achievedLevel: achieved, method: method))
  }

  /// `P(U ≤ u)` for `u = 0 ... nm` under the null hypothesis without ties.
  ///
  /// Counts arrangements by the recurrence `c(i, j, u) = c(i-1, j, u-j) + c(i, j-1, u)`, divided by
  /// C(n+m, n).
  /// - Complexity: O(n · m · nm) time and memory.
  static func mannWhitneyNullCumulative(n: Int, m: Int) -> [Double] {
    // rows[j]: counts for the current i and j = 0 ... m; each has i·j + 1 entries.
    var previous = [[Double]](repeating: [1], count: m + 1)  // i = 0
    if n > 0 {
      for i in 1...n {
        var current: [[Double]] = [[1]]  // j = 0
        if m > 0 {
          for j in 1...m {
            var counts = [Double](repeating: 0, count: i * j + 1)
            let above = previous[j]  // (i-1, j): shifted by j
            for (u, count) in above.enumerated() { counts[u + j] += count }
            for (u, count) in current[j - 1].enumerated() { counts[u] += count }
            current.append(counts)
          }
        }
        previous = current
      }
    }
    let counts = previous[m]
    let total = counts.reduce(0, +)
    var running = 0.0
    return counts.map { running += $0; return running / total }
  }

  /// The median of `after` over the median of `before`, with a seeded percentile bootstrap
  /// interval: each sample resampled with replacement on its own, `resamples` times.
  ///
  /// Nil interval with fewer than ``bootstrapMinimum`` values on a side, or when a resampled
  /// before median is 0; nil ratio when the before median is 0.
  ///
  /// - Complexity: O(resamples · (n log n + m log m)).
  public static func bootstrapRatioOfMedians(
    before: [Double], after: [Double], level: Double = 0.95, resamples: Int = defaultResamples,
    seed: UInt64 = defaultSeed
  ) -> Estimate {
    precondition(!before.isEmpty && !after.isEmpty, "a ratio of medians needs values on both sides")
    let denominator = median(before)
    guard denominator != 0 else {
      return Estimate(estimate: nil, interval: nil, missing: "the before median is 0")
    }
    let ratio = median(after) / denominator
    guard before.count >= bootstrapMinimum, after.count >= bootstrapMinimum else {
      return Estimate(estimate: ratio, interval: nil,
                      missing: "a bootstrap needs \(bootstrapMinimum) samples per side, not \(before.count) vs \(after.count)")
    }
    var rng = SplitMix64(seed: seed)
    var ratios: [Double] = []
    ratios.reserveCapacity(resamples)
    let x = ResampledMedian(before), y = ResampledMedian(after)
    var xCounts = [Int](repeating: 0, count: before.count), yCounts = [Int](repeating: 0, count: after.count)
    for _ in 0..<resamples {
      let low = x.median(drawing: &xCounts, with: &rng)
      let high = y.median(drawing: &yCounts, with: &rng)
      guard low != 0 else {
        return Estimate(estimate: ratio, interval: nil, missing: "a resampled before median is 0")
      }
      ratios.append(high / low)
    }
    ratios.sort()
    let alpha = 1 - level
    return Estimate(estimate: ratio, interval: Interval(
      low: sortedQuantile(ratios, alpha / 2), high: sortedQuantile(ratios, 1 - alpha / 2), level: level,
      method: "bootstrap percentile", resamples: resamples, seed: seed))
  }

  /// Pairwise differences the Hodges-Lehmann estimate sorts at most (8 bytes each: 32 MB).
  public static let hodgesLehmannPairLimit = 4_000_000

  /// Resamples per bootstrap interval.
  public static let defaultResamples = 10_000
  /// The bootstrap generator's seed (fixed: the same inputs give the same interval).
  public static let defaultSeed: UInt64 = 13
  /// Samples per side below which no bootstrap interval is given.
  public static let bootstrapMinimum = 5

  /// The median of a resample with replacement, in O(n): the original values are sorted once,
  /// so drawing index i means drawing the i-th smallest value, and the resample's middle order
  /// statistics are found by counting draws per index.
  struct ResampledMedian {
    let sorted: [Double]
    init(_ values: [Double]) { sorted = values.sorted() }

    /// Draws `sorted.count` indices (in the order a plain resample would) and returns the
    /// median of the values drawn (the mean of the two middle ones for an even count).
    func median(drawing counts: inout [Int], with rng: inout SplitMix64) -> Double {
      let n = sorted.count
      for index in counts.indices { counts[index] = 0 }
      for _ in 0..<n { counts[rng.next(below: n)] += 1 }
      let lowerRank = (n - 1) / 2, upperRank = n / 2  // 0-based ranks of the middle values
      var seen = 0
      var lower: Double?
      for (index, count) in counts.enumerated() where count > 0 {
        seen += count
        if lower == nil, seen > lowerRank { lower = sorted[index] }
        if seen > upperRank { return (lower! + sorted[index]) / 2 }
      }
      preconditionFailure("counts add up to n")
    }
  }

  /// Type 7 quantile of already sorted values.
  static func sortedQuantile(_ sorted: [Double], _ p: Double) -> Double {
    let position = Double(sorted.count - 1) * p
    let lower = Int(position.rounded(.down))
    let upper = Swift.min(lower + 1, sorted.count - 1)
    return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
  }

  /// The standard normal quantile, by bisection on `erfc` (accurate to 1e-12; used once per
  /// interval).
  static func normalQuantile(_ p: Double) -> Double {
    var low = -40.0, high = 40.0
    for _ in 0..<200 {
      let mid = (low + high) / 2
      if 0.5 * erfc(-mid / 2.0.squareRoot()) < p { low = mid } else { high = mid }
    }
    return (low + high) / 2
  }

  static func percentText(_ level: Double) -> String { String(format: "%g%%", level * 100) }
}
