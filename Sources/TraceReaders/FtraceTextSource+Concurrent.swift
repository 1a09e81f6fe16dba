import Dispatch
import Synchronization
import TraceModel

/// The result of ``FtraceTextSource/reduceTextStreamsConcurrently(fields:reducer:)``:
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
  /// ``EventSource/reduceStreamsConcurrently(fields:reducer:)``, and also merges the
  /// ranges' skipped lines, which the generic reduction cannot see.
  ///
  /// - Throws: the error of the earliest range that failed (the first bad line in file order).
  public func reduceTextStreamsConcurrently<Reducer: EventReducer>(
    fields: FieldSelection, reducer: Reducer
  ) throws -> TextStreamReduction<Reducer.Summary> {
    typealias Summary = Reducer.Summary
    // Ranges planned for checked edges may start where a fresh stream reads differently.
    precondition(!hasCheckedEdges, "a source opened with orderedRangeBytes is read with forEachInFileOrderConcurrently")
    let count = streamCount
    let results = Mutex<[Int: Result<(Summary, Int, SkippedLines), any Error>]>([:])
    DispatchQueue.concurrentPerform(iterations: count) { index in
      let outcome: Result<(Summary, Int, SkippedLines), any Error> = Result {
        var stream = try self.stream(index, fields: fields)
        var summary = reducer.empty
        while let event = try stream.next() { reducer.fold(&summary, event) }
        return (summary, stream.skippedEvents, stream.skipped)
      }
      results.withLock { $0[index] = outcome }
    }
    var total = reducer.empty
    var skippedEvents = 0
    var skippedLines = SkippedLines()
    let collected = results.withLock { $0 }
    for index in 0..<count {
      let (summary, streamSkipped, lines) = try collected[index]!.get()
      total = reducer.merge(total, summary)
      skippedEvents += streamSkipped
      skippedLines.add(lines)
    }
    return TextStreamReduction(summary: total, skippedEvents: skippedEvents, skippedLines: skippedLines)
  }
}
