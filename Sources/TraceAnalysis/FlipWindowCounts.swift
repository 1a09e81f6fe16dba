/// What happened inside one marked flip's window (from its `FLIP_BEGIN` to its `FLIP_END`
/// marker, both times included), counted as the events arrive instead of looked up in kept
/// lists of sends and receptions at the end.
///
/// ``IPIAnalyzer`` adds an event to every flip whose window holds the event's time: the open
/// flip and one that ended at that very time; events at a flip's start time that came before
/// its marker are added when the marker comes.
///
/// - Complexity: memory per flip O(CPUs + unbatched-patch sources).
struct FlipWindowCounts {
  /// IPIs of sends that are not text_poke syncs, as ``FlipSummary/otherIPIsSent``.
  var otherIPIsSent = 0
  /// Every call-function reception, per CPU (``CPUNumber/normalized(_:)``).
  var receivedPerCPU: [Int: Int] = [:]
  /// Sites patched on their own, per source (the summary takes the source that saw most).
  var unbatchedPerSource: [String: Int] = [:]
}
