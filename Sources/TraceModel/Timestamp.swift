/// A point on the trace clock, in nanoseconds.
///
/// Trace clocks (`local`, `global`, `mono`, ...) count nanoseconds since boot; counter clocks
/// (`counter`, `x86-tsc`) count ticks, and ``TraceMetadata/clockIsNanoseconds`` says which.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
  /// Nanoseconds (or ticks, for counter clocks) since the clock's origin.
  public var nanoseconds: UInt64

  public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

  /// Makes a timestamp from seconds and a fraction written in decimal, as trace text shows it
  /// (`433.286406` is 433 s and 286406 µs).
  public init(seconds: UInt64, fractionDigits: UInt64, digitCount: Int) {
    var scale: UInt64 = 1
    for _ in 0..<max(0, 9 - digitCount) { scale *= 10 }
    var fraction = fractionDigits
    if digitCount > 9 { for _ in 0..<(digitCount - 9) { fraction /= 10 } }
    self.nanoseconds = seconds &* 1_000_000_000 &+ fraction &* scale
  }

  public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

  /// Nanoseconds from `earlier` to `self`; zero if `earlier` is later.
  public func nanoseconds(since earlier: Timestamp) -> UInt64 {
    nanoseconds >= earlier.nanoseconds ? nanoseconds - earlier.nanoseconds : 0
  }

  /// Seconds with six decimals, as `trace-cmd report` prints it.
  public var description: String {
    let micros = nanoseconds / 1_000
    let fraction = String(micros % 1_000_000)
    return "\(micros / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
  }
}
