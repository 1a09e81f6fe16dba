/// A duration as a kernel log prints it in words (`Took 324 usec`, `took 1.5 ms`): the one
/// number-and-unit parser of `analyze` (`KernelLogReader`) and `compare` (`TextPokeLog`).
public enum LoggedDuration {
  /// Nanoseconds per unit.
  private static let scales: [String: Double] = [
    "ns": 1, "nsec": 1, "nsecs": 1, "us": 1e3, "usec": 1e3, "usecs": 1e3, "µs": 1e3, "ms": 1e6, "msec": 1e6,
    "msecs": 1e6, "s": 1e9, "sec": 1e9, "secs": 1e9,
  ]

  /// `amount` `unit`s in nanoseconds, rounded to the nearest nanosecond.
  ///
  /// Units: ns/nsec/nsecs, us/usec/usecs/µs, ms/msec/msecs, s/sec/secs. Nil for another unit,
  /// an amount that is no number or is negative, and a duration past `UInt64` nanoseconds
  /// (584 years: `1e30 usec`, `inf`), which no log line means.
  public static func nanoseconds(_ amount: Substring, unit: Substring) -> UInt64? {
    guard let value = Double(amount), value >= 0, let scale = scales[String(unit)] else { return nil }
    let nanoseconds = (value * scale).rounded()
    guard nanoseconds < 0x1p64 else { return nil }
    return UInt64(nanoseconds)
  }
}
