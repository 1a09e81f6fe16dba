/// A confidence interval: where the true value lies with the stated confidence.
public struct Interval: Hashable, Sendable, Codable {
  public var low: Double
  public var high: Double
  /// The nominal confidence (0.95).
  public var level: Double
  /// The exact coverage when it is known (the Hodges-Lehmann interval from the exact
  /// Mann-Whitney distribution covers at least `level`); nil otherwise.
  public var achievedLevel: Double?
  /// `hodges-lehmann exact`, `hodges-lehmann normal` or `bootstrap percentile`.
  public var method: String
  /// Bootstrap resamples drawn, and the generator's seed; nil for other methods.
  public var resamples: Int?
  public var seed: UInt64?

  enum CodingKeys: String, CodingKey {
    case low, high, level, method, resamples, seed
    case achievedLevel = "achieved_level"
  }

  public init(low: Double, high: Double, level: Double, achievedLevel: Double? = nil, method: String,
              resamples: Int? = nil, seed: UInt64? = nil) {
    self.low = low
    self.high = high
    self.level = level
    self.achievedLevel = achievedLevel
    self.method = method
    self.resamples = resamples
    self.seed = seed
  }

  /// Writes every key, null when unknown.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(low, forKey: .low)
    try container.encode(high, forKey: .high)
    try container.encode(level, forKey: .level)
    try container.encode(achievedLevel, forKey: .achievedLevel)
    try container.encode(method, forKey: .method)
    try container.encode(resamples, forKey: .resamples)
    try container.encode(seed, forKey: .seed)
  }
}

/// A point estimate with its interval (nil when the samples are too small for one) and, when
/// there is none, why.
public struct Estimate: Hashable, Sendable, Codable {
  public var estimate: Double?
  public var interval: Interval?
  /// Why there is no estimate or no interval, in plain words; nil when both exist.
  public var missing: String?

  public init(estimate: Double?, interval: Interval?, missing: String? = nil) {
    self.estimate = estimate
    self.interval = interval
    self.missing = missing
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(estimate, forKey: .estimate)
    try container.encode(interval, forKey: .interval)
    try container.encode(missing, forKey: .missing)
  }
}
