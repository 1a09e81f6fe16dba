/// Folds events into a summary that can be merged across CPUs, files and hosts.
///
/// The parallel drivers (``EventSource/reduceStreamsConcurrently(fields:reducer:)``, and the
/// text reader's byte ranges) fold each stream into its own summary on its own thread and then
/// merge the summaries in stream order, so a reducer's result must not depend on the order of
/// events across streams. Counts are such summaries (`IPITargetCounter` for `pokestat stats`);
/// the IPI analysis, which pairs events across CPUs, is not, and reads a time-ordered merge.
///
/// ```swift
/// struct EventCounter: EventReducer {
///   var empty: Int { 0 }
///   func fold(_ count: inout Int, _ event: TraceEvent) { count += 1 }
///   func merge(_ lhs: Int, _ rhs: Int) -> Int { lhs + rhs }
/// }
/// let events = try reader.reduceStreamsConcurrently(fields: .all, reducer: EventCounter()).summary
/// ```
public protocol EventReducer<Summary>: Sendable {
  associatedtype Summary: Sendable
  /// The identity for ``merge(_:_:)``.
  var empty: Summary { get }
  /// Adds one event to a summary.
  func fold(_ summary: inout Summary, _ event: TraceEvent)
  /// Combines two summaries; must be associative with ``empty`` as identity.
  func merge(_ lhs: Summary, _ rhs: Summary) -> Summary
}
