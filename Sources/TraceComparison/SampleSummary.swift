/// One side's distribution of a sampled metric: count, median, quartiles, extremes and tail
/// percentiles (type 7 quantiles, as R's and NumPy's default).
public struct SampleSummary: Hashable, Sendable, Codable {
  /// Samples, what each stands for, and the runs (input files) they came from.
  public struct Count: Hashable, Sendable, Codable {
    public var n: Int
    public var unit: SampleSet.Unit
    public var runs: Int
    public init(n: Int, unit: SampleSet.Unit, runs: Int) {
      self.n = n
      self.unit = unit
      self.runs = runs
    }
  }

  public var samples: Count
  public var median: Double
  public var q1: Double
  public var q3: Double
  public var min: Double
  public var max: Double
  /// The 90th percentile, with 10 samples or more; nil below.
  public var p90: Double?
  /// The 99th percentile, with 100 samples or more; nil below.
  public var p99: Double?

  /// Samples needed for ``p90`` and ``p99``.
  public static let p90Minimum = 10
  public static let p99Minimum = 100

  /// - Precondition: `values` is not empty.
  public init(_ values: [Double], unit: SampleSet.Unit, runs: Int) {
    precondition(!values.isEmpty, "a summary of no samples")
    let sorted = values.sorted()
    samples = Count(n: values.count, unit: unit, runs: runs)
    median = Statistics.sortedQuantile(sorted, 0.5)
    q1 = Statistics.sortedQuantile(sorted, 0.25)
    q3 = Statistics.sortedQuantile(sorted, 0.75)
    min = sorted[0]
    max = sorted[sorted.count - 1]
    p90 = values.count >= Self.p90Minimum ? Statistics.sortedQuantile(sorted, 0.9) : nil
    p99 = values.count >= Self.p99Minimum ? Statistics.sortedQuantile(sorted, 0.99) : nil
  }

  enum CodingKeys: String, CodingKey {
    case samples, median, q1, q3, min, max, p90, p99
  }

  /// Writes `p90` and `p99` as null when n is too small: every key stays.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(samples, forKey: .samples)
    try container.encode(median, forKey: .median)
    try container.encode(q1, forKey: .q1)
    try container.encode(q3, forKey: .q3)
    try container.encode(min, forKey: .min)
    try container.encode(max, forKey: .max)
    try container.encode(p90, forKey: .p90)
    try container.encode(p99, forKey: .p99)
  }
}
