import TraceModel

/// Folds events into a summary that can be merged across CPUs, files and hosts.
public protocol EventReducer<Summary>: Sendable {
  associatedtype Summary: Sendable
  /// The identity for ``merge(_:_:)``.
  var empty: Summary { get }
  /// Adds one event to a summary.
  func fold(_ summary: inout Summary, _ event: TraceEvent)
  /// Combines two summaries; must be associative with ``empty`` as identity.
  func merge(_ lhs: Summary, _ rhs: Summary) -> Summary
}
