import Foundation
import Testing
import TraceComparison

/// Known answers computed by hand (or, for the tie case, by enumerating all C(8,4) = 70 splits).
@Suite struct StatisticsTests {
  @Test("median and type-7 quartiles of small samples")
  func quantiles() {
    #expect(Statistics.median([3, 1, 2]) == 2)
    #expect(Statistics.median([4, 1, 3, 2]) == 2.5)
    // positions 1 + 3 × 0.25 = 1.75 and 1 + 3 × 0.75 = 3.25 in 1 2 3 4
    #expect(Statistics.quantile([1, 2, 3, 4], 0.25) == 1.75)
    #expect(Statistics.quantile([1, 2, 3, 4], 0.75) == 3.25)
    #expect(Statistics.quantile([10], 0.25) == 10)
    let spread = RunStatistics.Spread([5, 1, 9, 3])
    #expect(spread.median == 4 && spread.min == 1 && spread.max == 9 && spread.q1 == 2.5 && spread.q3 == 6)
  }

  @Test("Mann-Whitney: 3 vs 3 fully separated gives U = 0 and the smallest possible p, 2/20")
  func separatedThree() {
    let result = Statistics.mannWhitney([1, 2, 3], [4, 5, 6])
    #expect(result.u == 0)
    #expect(abs(result.p - 0.1) < 1e-12)
    #expect(result.isExact)
    #expect(abs(result.smallestPossibleP - 0.1) < 1e-12)
  }

  @Test("Mann-Whitney: 4 vs 4 fully separated gives p = 2/70")
  func separatedFour() {
    let result = Statistics.mannWhitney([5, 6, 7, 8], [1, 2, 3, 4])
    #expect(result.u == 16)
    #expect(abs(result.p - 2.0 / 70) < 1e-12)
  }

  @Test("Mann-Whitney: interleaved 3 vs 3 gives U = 3, p = 14/20")
  func interleaved() {
    // U of x: 3>2, 5>2, 5>4. Null distribution of U for 3 vs 3 (counts for U = 0...9):
    // 1 1 2 3 3 3 3 2 1 1; |U - 4.5| >= 1.5 for U <= 3 or U >= 6: 7 + 7 = 14 of 20.
    let result = Statistics.mannWhitney([1, 3, 5], [2, 4, 6])
    #expect(result.u == 3)
    #expect(abs(result.p - 0.7) < 1e-12)
  }

  @Test("Mann-Whitney with ties: midranks, exact over all 70 splits")
  func ties() {
    // x = 1 2 2 3, y = 2 3 4 4: U = 2.5 (ties count 1/2); 14 of the 70 splits are at least as
    // far from 8 as 2.5 is (enumerated with itertools.combinations).
    let result = Statistics.mannWhitney([1, 2, 2, 3], [2, 3, 4, 4])
    #expect(result.u == 2.5)
    #expect(abs(result.p - 0.2) < 1e-12)
  }

  @Test("Mann-Whitney beyond 40 runs uses the normal approximation")
  func normalApproximation() {
    let x = (0..<25).map(Double.init)
    let y = (0..<25).map { Double($0) + 100 }
    let result = Statistics.mannWhitney(x, y)
    #expect(!result.isExact)
    #expect(result.u == 0)
    // z = (312.5 - 0.5) / sqrt(25·25·51/12) = 6.052; two-sided p ≈ 1.43e-9
    #expect(result.p > 1e-9 && result.p < 2e-9)
  }

  @Test("plain words: 3 runs per side cannot show a change beyond noise; 4 can")
  func plainWords() {
    let three = MetricComparison(name: "elapsed", before: [10, 11, 12], after: [5, 6, 7], direction: .lowerIsBetter)
    let stats3 = try! #require(three.statistics)
    #expect(!stats3.beyondNoise && !stats3.rangesOverlap)
    #expect(three.noise.contains("cannot be shown beyond noise with 3 and 3 runs"))
    #expect(three.noise.contains("smallest possible p is 0.1"))
    let four = MetricComparison(name: "elapsed", before: [10, 11, 12, 13], after: [5, 6, 7, 8], direction: .lowerIsBetter)
    #expect(four.statistics?.beyondNoise == true)
    #expect(four.noise.hasPrefix("beyond run-to-run noise"))
    #expect(four.verdict == .better)
    #expect(four.changePercent == (6.5 - 11.5) / 11.5 * 100)
    let mixed = MetricComparison(name: "elapsed", before: [1, 3, 5, 7], after: [2, 4, 6, 8], direction: .lowerIsBetter)
    #expect(mixed.noise.hasPrefix("within run-to-run noise"))
    let single = MetricComparison(name: "elapsed", before: [2], after: [1], direction: .lowerIsBetter)
    #expect(single.statistics == nil)
    #expect(single.noise.contains("no spread is known"))
  }

  @Test("directions from metric names")
  func directions() {
    #expect(MetricDirection.inferred(for: "itlb_miss_per_s") == .lowerIsBetter)
    #expect(MetricDirection.inferred(for: "walk_per_kinst") == .lowerIsBetter)
    #expect(MetricDirection.inferred(for: "ITLB_WALK/L1I_TLB") == .lowerIsBetter)
    #expect(MetricDirection.inferred(for: "iTLB-load-misses") == .lowerIsBetter)
    #expect(MetricDirection.inferred(for: "elapsed") == .lowerIsBetter)
    #expect(MetricDirection.inferred(for: "hn_egress.ns_per_run") == .lowerIsBetter)
    #expect(MetricDirection.inferred(for: "flips.ipis_sent_mean") == .lowerIsBetter)
    #expect(MetricDirection.inferred(for: "array.threads=96") == .higherIsBetter)
    #expect(MetricDirection.inferred(for: "INST_RETIRED") == .unknown)
    #expect(MetricDirection.inferred(for: "hn_egress.run_cnt") == .unknown)
  }
}
