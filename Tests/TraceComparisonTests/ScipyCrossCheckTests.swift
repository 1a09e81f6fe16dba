import Foundation
import Testing
import TraceComparison
import TraceTestSupport

/// Every statistic of the per-group rows against scipy and numpy on fixed samples: the
/// committed outputs of scripts/fixtures/scipy-compare-statistics.py (fixtures/compare/scipy/,
/// regenerated with a venv as the script's header says; the tests need no Python).
@Suite struct ScipyCrossCheckTests {
  struct Reference {
    var name: String
    var json: [String: Any]
    var before: [Double] { json["before"] as! [Double] }
    var after: [Double] { json["after"] as! [Double] }
    func object(_ key: String) -> [String: Any]? { json[key] as? [String: Any] }
  }

  static func reference(_ path: String) throws -> Reference {
    let data = try Data(contentsOf: Fixtures.url(path))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    return Reference(name: path, json: json)
  }

  static let cases = Fixtures.files(in: "compare/scipy", suffix: ".json")

  static func close(_ a: Double?, _ b: Double?, relative: Double = 1e-9) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    return abs(a - b) <= relative * max(abs(a), abs(b), 1e-300)
  }

  @Test("the scipy reference files are all there")
  func present() {
    #expect(Self.cases.count == 8, "\(Self.cases)")
  }

  @Test("n, median, quartiles, min/max, p90 and p99 equal numpy's", arguments: cases)
  func summary(_ path: String) throws {
    let reference = try Self.reference(path)
    let sides = try #require(reference.object("summary"))
    for (values, key) in [(reference.before, "before"), (reference.after, "after")] {
      let expected = try #require(sides[key] as? [String: Any])
      let summary = SampleSummary(values, unit: .batch, runs: 1)
      #expect(summary.samples.n == expected["n"] as? Int)
      for (name, value) in [("median", summary.median), ("q1", summary.q1), ("q3", summary.q3), ("min", summary.min),
                            ("max", summary.max)] {
        #expect(Self.close(value, expected[name] as? Double), "\(key) \(name)")
      }
      #expect(Self.close(summary.p90, expected["p90"] as? Double), "\(key) p90")
      #expect(Self.close(summary.p99, expected["p99"] as? Double), "\(key) p99")
    }
  }

  @Test("Mann-Whitney U and its two-sided p equal scipy's", arguments: cases)
  func mannWhitney(_ path: String) throws {
    let reference = try Self.reference(path)
    let expected = try #require(reference.object("mann_whitney"))
    let method = try #require(expected["method"] as? String)
    let result = Statistics.mannWhitney(reference.before, reference.after)
    #expect(result.u == expected["u"] as? Double)
    let p = try #require(expected["p"] as? Double)
    if method.contains("Monte Carlo") {
      // A seeded sample of scipy's permutation null: agreement within its Monte Carlo error.
      #expect(abs(result.p - p) < 0.01, "\(result.p) vs \(p)")
    } else {
      #expect(Self.close(result.p, p, relative: 1e-9), "\(result.p) vs \(p) (\(method))")
    }
    #expect(result.isExact == (reference.before.count + reference.after.count <= Statistics.exactLimit))
  }

  @Test("Hodges-Lehmann shift and its distribution-free 95% interval equal numpy + scipy's", arguments: cases)
  func hodgesLehmann(_ path: String) throws {
    let reference = try Self.reference(path)
    let expected = try #require(reference.object("hodges_lehmann"))
    let result = Statistics.hodgesLehmann(before: reference.before, after: reference.after)
    #expect(Self.close(result.estimate, expected["shift"] as? Double))
    let interval = try #require(result.interval)
    #expect(Self.close(interval.low, expected["low"] as? Double), "low \(interval.low)")
    #expect(Self.close(interval.high, expected["high"] as? Double), "high \(interval.high)")
    #expect(Self.close(interval.achievedLevel, expected["confidence"] as? Double))
    #expect(interval.method == "hodges-lehmann " + (expected["method"] as! String))
  }

  @Test("bootstrap 95% interval of the ratio of medians agrees with scipy.stats.bootstrap", arguments: cases)
  func bootstrap(_ path: String) throws {
    let reference = try Self.reference(path)
    let expected = try #require(reference.object("bootstrap_ratio"))
    let result = Statistics.bootstrapRatioOfMedians(before: reference.before, after: reference.after)
    #expect(Self.close(result.estimate, expected["ratio"] as? Double))
    let interval = try #require(result.interval)
    #expect(interval.resamples == 10_000 && interval.seed == 13 && interval.method == "bootstrap percentile")
    // Two Monte Carlo estimates (10,000 seeded resamples here, 100,000 in scipy): within 5%.
    #expect(Self.close(interval.low, expected["low"] as? Double, relative: 0.05), "low \(interval.low)")
    #expect(Self.close(interval.high, expected["high"] as? Double, relative: 0.05), "high \(interval.high)")
    // Seeded: the same inputs give the same interval.
    #expect(Statistics.bootstrapRatioOfMedians(before: reference.before, after: reference.after) == result)
  }

  @Test("too few samples: no interval, and the reason says why")
  func tooFew() {
    let shift = Statistics.hodgesLehmann(before: [1, 2], after: [3, 4])
    #expect(shift.estimate == 2 && shift.interval == nil)
    #expect(shift.missing == "2 vs 2 samples are too few for a 95% interval")
    let ratio = Statistics.bootstrapRatioOfMedians(before: [1, 2, 3], after: [2, 4, 6])
    #expect(ratio.estimate == 2 && ratio.interval == nil)
    #expect(ratio.missing?.contains("5 samples per side") == true)
    #expect(Statistics.bootstrapRatioOfMedians(before: [0, 0, 0], after: [1, 1, 1]).estimate == nil)
    let small = SampleSummary([1, 2, 3], unit: .flip, runs: 1)
    #expect(small.p90 == nil && small.p99 == nil)
  }
}
