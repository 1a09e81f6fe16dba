import Dispatch
import Synchronization

/// The result of reducing every stream of a source: the merged summary and the events the
/// streams skipped (outside the field selection).
public struct StreamReduction<Summary: Sendable>: Sendable {
  public var summary: Summary
  public var skippedEvents: Int

  public init(summary: Summary, skippedEvents: Int) {
    self.summary = summary
    self.skippedEvents = skippedEvents
  }
}

extension EventSource where Self: Sendable {
  /// Reads every stream on its own thread, folds its events with `reducer`, and merges the
  /// summaries (in stream order).
  ///
  /// This is the fast path for counts that need no global time order.
  ///
  /// - Throws: the error of the lowest-numbered stream that failed.
  public func reduceStreamsConcurrently<Reducer: EventReducer>(
    fields: FieldSelection, reducer: Reducer
  ) throws -> StreamReduction<Reducer.Summary> {
    let count = streamCount
    let results = Mutex<[Int: Result<(Reducer.Summary, Int), any Error>]>([:])
    DispatchQueue.concurrentPerform(iterations: count) { index in
      let outcome: Result<(Reducer.Summary, Int), any Error> = Result {
        var stream = try self.stream(index, fields: fields)
        var summary = reducer.empty
        while let event = try stream.next() { reducer.fold(&summary, event) }
        return (summary, stream.skippedEvents)
      }
      results.withLock { $0[index] = outcome }
    }
    var total = reducer.empty
    var skipped = 0
    let collected = results.withLock { $0 }
    for index in 0..<count {
      let (summary, streamSkipped) = try collected[index]!.get()
      total = reducer.merge(total, summary)
      skipped += streamSkipped
    }
    return StreamReduction(summary: total, skippedEvents: skipped)
  }
}
