import Testing
import TraceModel

/// The one `Took N usec` number parser (`analyze`'s kernel logs and `compare`'s TextPokeLog).
struct LoggedDurationTests {
  @Test(
    "units scale to nanoseconds, rounded",
    arguments: [
      ("324", "usec", UInt64(324_000)), ("2655300", "usec", 2_655_300_000), ("1.5", "ms", 1_500_000), ("7", "us", 7_000),
      ("12", "ns", 12), ("2", "s", 2_000_000_000), ("0.0004", "usec", 0), ("3", "µs", 3_000),
    ])
  func scales(_ amount: String, _ unit: String, _ expected: UInt64) {
    #expect(LoggedDuration.nanoseconds(Substring(amount), unit: Substring(unit)) == expected)
  }

  @Test(
    "no duration: unknown unit, not a number, negative, past UInt64 nanoseconds",
    arguments: [("5", "parsecs"), ("abc", "usec"), ("-1", "usec"), ("1e30", "usec"), ("inf", "usec"), ("nan", "ms")])
  func rejects(_ amount: String, _ unit: String) {
    #expect(LoggedDuration.nanoseconds(Substring(amount), unit: Substring(unit)) == nil)
  }
}
