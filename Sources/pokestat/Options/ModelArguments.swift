import ArgumentParser
import PatchEngine
import TraceModel

/// `--arch`: the architectures the patching model has rules for.
enum Architecture: String, CaseIterable, ExpressibleByArgument {
  case x86, arm64
}

/// `--arm64-backport`: whether an arm64 5.3-6.10 kernel carries the jump-label kick.
enum Arm64Backport: String, CaseIterable, ExpressibleByArgument {
  case yes, no
}

/// `--refcount shared|per-cpu`.
extension RefcountKind: ExpressibleByArgument {}

/// `--kernel 6.1` or a full release, `6.1.0-13-amd64`.
extension KernelVersion: ExpressibleByArgument {
  public init?(argument: String) { self.init(release: argument) }
}

/// Comma-separated lists of counts (`--entries 56,3`, `--concurrency 4,24`, `--threads 1,2`),
/// parsed through `transform:` so that a bad element is a usage error naming the option.
enum CountList {
  /// The counts in `text`, each in `range`.
  /// - Throws: `ValidationError` naming the first element that is not a count in `range`.
  static func parse(_ text: String, in range: ClosedRange<Int>) throws -> [Int] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { field in
      guard let n = Int(field.trimmingCharacters(in: .whitespaces)), range.contains(n) else {
        throw ValidationError("'\(field)' is not a count from \(range.lowerBound) to \(range.upperBound)")
      }
      return n
    }
  }
}
