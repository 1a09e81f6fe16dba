import Dispatch
import Synchronization
import TraceModel

/// The result of ``FtraceTextSource/reduceStreamsConcurrently(fields:empty:fold:merge:)``:
/// the generic reduction plus the lines the streams skipped in lenient mode.
public struct TextStreamReduction<Summary: Sendable>: Sendable {
  public var summary: Summary
  public var skippedEvents: Int
  /// The skipped lines of all ranges: their count, and the first one in file order.
  public var skippedLines: SkippedLines
}

extension FtraceTextSource {
  /// Reads every byte range on its own thread (the style guide's parallel driver), folds its
  /// events into a summary and merges the summaries in range (file) order, like
  /// ``EventSource/reduceStreamsConcurrently(fields:empty:fold:merge:)``, and also merges the
  /// ranges' skipped lines, which the generic reduction cannot see.
  ///
  /// - Throws: the error of the earliest range that failed (the first bad line in file order).
  public func reduceTextStreamsConcurrently<Summary: Sendable>(
    fields: FieldSelection,
    empty: @Sendable () -> Summary,
    fold: @Sendable (inout Summary, TraceEvent) -> Void,
    merge: (Summary, Summary) -> Summary
  ) throws -> TextStreamReduction<Summary> {
    let count = streamCount
    let results = Mutex<[Int: Result<(Summary, Int, SkippedLines), any Error>]>([:])
    DispatchQueue.concurrentPerform(iterations: count) { index in
      let outcome: Result<(Summary, Int, SkippedLines), any Error> = Result {
        var stream = try self.stream(index, fields: fields)
        var summary = empty()
        while let event = try stream.next() { fold(&summary, event) }
        return (summary, stream.skippedEvents, stream.skipped)
      }
      results.withLock { $0[index] = outcome }
    }
    var total = empty()
    var skippedEvents = 0
    var skippedLines = SkippedLines()
    let collected = results.withLock { $0 }
    for index in 0..<count {
      let (summary, streamSkipped, lines) = try collected[index]!.get()
      total = merge(total, summary)
      skippedEvents += streamSkipped
      skippedLines.add(lines)
    }
    return TextStreamReduction(summary: total, skippedEvents: skippedEvents, skippedLines: skippedLines)
  }
}
