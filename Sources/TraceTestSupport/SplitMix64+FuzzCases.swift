import TraceModel

/// The fuzzer's use of ``SplitMix64`` (TraceModel): one generator per case, so every fuzz case
/// can be replayed from its campaign seed and case number.
extension SplitMix64 {
  /// The generator of case `index` of the campaign seeded with `seed`: independent of every
  /// other case, so one case replays without running the ones before it.
  public init(seed: UInt64, case index: Int) {
    var mixer = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
    self.init(seed: mixer.next())
  }

  /// A number in `0..<bound` (`bound` > 0), by modulo: the recorded campaigns replay with it.
  public mutating func below(_ bound: Int) -> Int {
    precondition(bound > 0, "below(_:) needs a positive bound")
    return Int(next() % UInt64(bound))
  }

  /// True with probability `percent`/100.
  public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

  /// One element of a non-empty array.
  public mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
}
