import Dispatch
import Synchronization
import TraceModel

/// The result of reducing every stream of a source: the merged summary and the events the
/// streams skipped (outside the field selection).
public struct StreamReduction<Summary: Sendable>: Sendable {
  public var summary: Summary
  public var skippedEvents: Int
}

extension EventSource where Self: Sendable {
  /// Reads every stream on its own thread, folds its events into a summary, and merges the
  /// summaries (in stream order). `merge` must be associative with `empty()` as identity.
  ///
  /// This is the fast path for counts that need no global time order.
  public func reduceStreamsConcurrently<Summary: Sendable>(
    fields: FieldSelection,
    empty: @Sendable () -> Summary,
    fold: @Sendable (inout Summary, TraceEvent) -> Void,
    merge: (Summary, Summary) -> Summary
  ) throws -> StreamReduction<Summary> {
    let count = streamCount
    let results = Mutex<[Int: Result<(Summary, Int), any Error>]>([:])
    DispatchQueue.concurrentPerform(iterations: count) { index in
      let outcome: Result<(Summary, Int), any Error> = Result {
        var stream = try self.stream(index, fields: fields)
        var summary = empty()
        while let event = try stream.next() { fold(&summary, event) }
        return (summary, stream.skippedEvents)
      }
      results.withLock { $0[index] = outcome }
    }
    var total = empty()
    var skipped = 0
    let collected = results.withLock { $0 }
    for index in 0..<count {
      let (summary, streamSkipped) = try collected[index]!.get()
      total = merge(total, summary)
      skipped += streamSkipped
    }
    return StreamReduction(summary: total, skippedEvents: skipped)
  }
}
