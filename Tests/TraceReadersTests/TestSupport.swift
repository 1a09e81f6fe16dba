import Foundation
import TraceModel
import TraceTestSupport

/// Helpers shared by the reader tests.
enum TestFiles {
  /// The key=value numbers of `fixtures/text/<name>.expected` (made by scripts/fixtures/expected-counts.sh).
  static func expected(_ name: String) throws -> [String: String] {
    let text = try String(contentsOf: Fixtures.url("text/\(name).expected"), encoding: .utf8)
    var values: [String: String] = [:]
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
    }
    return values
  }

  /// Writes `bytes` to a new temporary file and returns its path.
  static func temporary(_ bytes: [UInt8], suffix: String = ".txt") throws -> String {
    let path = NSTemporaryDirectory() + "pokestat-readers-\(UUID().uuidString)\(suffix)"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  static func temporary(_ text: String, suffix: String = ".txt") throws -> String {
    try temporary(Array(text.utf8), suffix: suffix)
  }

  /// `seconds.fraction` text as nanoseconds, computed without `Timestamp`.
  static func nanoseconds(_ text: String) -> UInt64 {
    let parts = text.split(separator: ".")
    let fraction = String(parts[1]) + String(repeating: "0", count: 9 - parts[1].count)
    return UInt64(parts[0])! * 1_000_000_000 + UInt64(fraction)!
  }
}
