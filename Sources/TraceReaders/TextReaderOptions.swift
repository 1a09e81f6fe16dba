import TraceModel

/// Options shared by the text readers.
public struct TextReaderOptions: Hashable, Sendable {
  /// Skip lines that do not parse instead of throwing; the reader counts them
  /// (``FtraceTextStream/skippedLineCount`` and the `skippedLines` of each result), so the
  /// caller can report how many were skipped. Off by default: no silent skipping.
  public var lenient: Bool

  public init(lenient: Bool = false) {
    self.lenient = lenient
  }
}

/// Lines a lenient reader skipped: how many, and where the first one was.
public struct SkippedLines: Hashable, Sendable {
  /// How many lines were skipped.
  public var count: Int
  /// The error the first skipped line would have thrown.
  public var first: TraceParseError?

  public init(count: Int = 0, first: TraceParseError? = nil) {
    self.count = count
    self.first = first
  }

  /// Counts `error` as skipped when `lenient`, otherwise throws it.
  mutating func skipOrThrow(_ error: TraceParseError, lenient: Bool) throws(TraceParseError) {
    guard lenient else { throw error }
    if first == nil { first = error }
    count += 1
  }
}
