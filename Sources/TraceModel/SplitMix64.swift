/// A small seeded pseudo-random generator (SplitMix64: Steele, Lea and Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014; the constants of Java's `SplittableRandom` and
/// Vigna's `splitmix64.c`), so that bootstrap intervals and fuzz cases are the same on every run
/// and machine.
///
/// ```swift
/// var rng = SplitMix64(seed: 13)
/// rng.next(below: 18)  // an index in 0..<18
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public private(set) var state: UInt64

  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform integer in `0..<bound` (Lemire's multiply-shift with rejection).
  ///
  /// - Precondition: `bound > 0`.
  public mutating func next(below bound: Int) -> Int {
    precondition(bound > 0, "a random index below 0")
    let limit = UInt64(bound)
    while true {
      let product = next().multipliedFullWidth(by: limit)
      if product.low >= (0 &- limit) % limit { return Int(product.high) }
    }
  }
}
