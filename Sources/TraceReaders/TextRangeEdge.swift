/// What an ``FtraceTextStream`` held when it read the first line of the next byte range of its
/// file: how its own range ends, and whether a stream started fresh at that line can take over.
///
/// Counts are of the stream's whole input up to (not including) that line.
struct TextRangeEdge: Sendable {
  /// The line's number in the stream (1-based, from where the stream started reading).
  var line: Int
  /// Events the stream had put in its window before the line: the range's events are the
  /// first `eventsBefore` it returns (a stream returns events in the order they went in).
  var eventsBefore: Int
  /// ``FtraceTextStream/skippedEvents`` before the line.
  var skippedEventsBefore: Int
  /// ``FtraceTextStream/skipped`` before the line.
  var skippedBefore: SkippedLines
  /// Nothing but the window reaches across the line: no lost-events notice waits for its CPU's
  /// next event, no instance label for the next line, no stack block or wrapped text goes on,
  /// no function_graph function is open.
  var isClean: Bool
}
