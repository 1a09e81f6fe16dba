import Foundation

/// Order statistics and the Mann-Whitney U test for small samples of repeated runs.
public enum Statistics {
  /// The median; the mean of the two middle values for an even count.
  ///
  /// - Precondition: `values` is not empty.
  /// - Complexity: O(n log n).
  public static func median(_ values: [Double]) -> Double { quantile(values, 0.5) }

  /// The `p` quantile by linear interpolation between order statistics (Hyndman & Fan type 7,
  /// R's and NumPy's default): position `1 + (n - 1) p` in the sorted values.
  ///
  /// - Precondition: `values` is not empty and `0 <= p <= 1`.
  public static func quantile(_ values: [Double], _ p: Double) -> Double {
    precondition(!values.isEmpty && (0...1).contains(p), "quantile of an empty sample or p outside 0...1")
    return sortedQuantile(values.sorted(), p)
  }

  /// The result of a two-sided Mann-Whitney U test.
  public struct MannWhitney: Hashable, Sendable, Codable {
    /// U of the first sample: pairs (x, y) with x > y, ties counting one half.
    public var u: Double
    /// Two-sided p-value: the chance, with no difference between the runs, of a U at least
    /// this far from its mean n·m/2.
    public var p: Double
    /// True when `p` comes from the exact permutation distribution (ties included), false for
    /// the normal approximation used beyond 40 runs in all.
    public var isExact: Bool
    /// The smallest two-sided p these sample sizes can give (2 / C(n+m, n) exactly).
    public var smallestPossibleP: Double

    enum CodingKeys: String, CodingKey {
      case u, p
      case isExact = "is_exact"
      case smallestPossibleP = "smallest_possible_p"
    }
  }

  /// The two-sided Mann-Whitney U test of `x` against `y`.
  ///
  /// Exact: the permutation distribution of the rank sum of `x` over every way of choosing
  /// `x.count` of the pooled (mid)ranks, by dynamic programming. Beyond 40 values in all, the
  /// normal approximation with tie correction and continuity correction.
  ///
  /// - Precondition: both samples have at least one value.
  /// - Complexity: O(N² · n · N) for N pooled values in the exact case.
  public static func mannWhitney(_ x: [Double], _ y: [Double]) -> MannWhitney {
    precondition(!x.isEmpty && !y.isEmpty, "Mann-Whitney needs values on both sides")
    let n = x.count, m = y.count, total = n + m
    var u = 0.0
    for a in x { for b in y { u += a > b ? 1 : a == b ? 0.5 : 0 } }
    let mean = Double(n * m) / 2
    let smallest = 2 / binomial(total, n)
    if total <= exactLimit {
      // Doubled midranks are integers; the rank sum of x determines U = R - n(n+1)/2.
      let pooled = (x + y).sorted()
      var doubledRanks: [Int] = []
      var index = 0
      while index < total {
        var end = index
        while end + 1 < total, pooled[end + 1] == pooled[index] { end += 1 }
        let doubled = index + 1 + end + 1  // twice the mean of ranks index+1 ... end+1
        for _ in index...end { doubledRanks.append(doubled) }
        index = end + 1
      }
      let maxSum = doubledRanks.reduce(0, +)
      // ways[k][s]: subsets of size k with doubled rank sum s.
      var ways = [[Double]](repeating: [Double](repeating: 0, count: maxSum + 1), count: n + 1)
      ways[0][0] = 1
      for rank in doubledRanks {
        for k in stride(from: min(n, total), through: 1, by: -1) {
          for s in stride(from: maxSum, through: rank, by: -1) where ways[k - 1][s - rank] != 0 {
            ways[k][s] += ways[k - 1][s - rank]
          }
        }
      }
      let offset = Double(n * (n + 1))  // doubled n(n+1)/2
      let distance = abs(u - mean)
      var extreme = 0.0
      for (sum, count) in ways[n].enumerated() where count != 0 {
        let uValue = (Double(sum) - offset) / 2
        if abs(uValue - mean) >= distance - 1e-9 { extreme += count }
      }
      return MannWhitney(u: u, p: min(1, extreme / binomial(total, n)), isExact: true, smallestPossibleP: smallest)
    }
    let pooled = (x + y).sorted()
    var tieTerm = 0.0
    var index = 0
    while index < total {
      var end = index
      while end + 1 < total, pooled[end + 1] == pooled[index] { end += 1 }
      let t = Double(end - index + 1)
      tieTerm += t * t * t - t
      index = end + 1
    }
    let nn = Double(total)
    let variance = Double(n * m) / 12 * ((nn + 1) - tieTerm / (nn * (nn - 1)))
    guard variance > 0 else { return MannWhitney(u: u, p: 1, isExact: false, smallestPossibleP: smallest) }
    let z = max(0, abs(u - mean) - 0.5) / variance.squareRoot()
    return MannWhitney(u: u, p: min(1, erfc(z / 2.0.squareRoot())), isExact: false, smallestPossibleP: smallest)
  }

  /// C(n, k) as a Double (exact up to 2^53).
  static func binomial(_ n: Int, _ k: Int) -> Double {
    var result = 1.0
    for i in 0..<min(k, n - k) { result = result * Double(n - i) / Double(i + 1) }
    return result.rounded()
  }
}
