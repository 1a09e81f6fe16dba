/// Static-key flips as a workload marks them: `FLIP_BEGIN key=value` and `FLIP_END key=value`
/// trace_marker lines (as `pokestat record --flip` writes them), in time order.
///
/// A marker written to several buffers appears once per buffer; the repeats (within 10 ms, or
/// with no batch begun in between) are the same marker. A BEGIN while a flip is open ends that
/// flip.
struct FlipMarkers {
  /// One marked flip; times in nanoseconds on the trace clock.
  struct Flip {
    var key: String?
    var value: String?
    var start: UInt64
    /// nil while the flip is open (no END yet).
    var end: UInt64?
  }

  /// The flips, in the order their BEGIN markers came.
  private(set) var flips: [Flip] = []
  /// The index in ``flips`` of the flip without an END yet.
  private var open: Int?
  /// The analysis' batch count when the latest marker was read: a repeated marker with no batch
  /// between is the same marker read from another buffer.
  private var batchesAtLastMarker = 0

  /// Reads one marker's text at `time`, `batchesSoFar` batches into the trace; text that is no
  /// FLIP_BEGIN/FLIP_END is ignored.
  mutating func note(_ text: String, time: UInt64, batchesSoFar: Int) {
    let trimmed = text.trimmingCharacters(in: " \n\t")
    let words = trimmed.split(separator: " ", maxSplits: 1)
    guard let first = words.first, first == "FLIP_BEGIN" || first == "FLIP_END" else { return }
    let setting = words.count > 1 ? words[1] : ""
    let parts = setting.split(separator: "=", maxSplits: 1)
    let key = parts.first.map(String.init)
    let value = parts.count > 1 ? String(parts[1]) : nil
    // Markers written to several buffers appear once per buffer: a repeat of the open flip's
    // BEGIN, or an END right after the same flip closed, is the same marker. "Right after":
    // within 10 ms, or with no batch begun in between (a loaded TCG guest took 63 ms between
    // the two writes of one marker, fixtures/lab/bookworm-amd64-smp2.dat).
    let noBatchSinceLastMarker = batchesSoFar == batchesAtLastMarker
    defer { batchesAtLastMarker = batchesSoFar }
    if first == "FLIP_BEGIN", let current = open, flips[current].key == key, flips[current].value == value,
      time &- flips[current].start < 10_000_000 || noBatchSinceLastMarker
    {
      return
    }
    if first == "FLIP_END", open == nil, let last = flips.last, last.key == key, last.value == value,
      let end = last.end, time &- end < 10_000_000 || noBatchSinceLastMarker
    {
      return
    }
    if first == "FLIP_BEGIN" {
      if let current = open { flips[current].end = time }
      flips.append(Flip(key: key, value: value, start: time, end: nil))
      open = flips.count - 1
    } else if let current = open {
      flips[current].end = time
      open = nil
    }
  }
}

extension String {
  fileprivate func trimmingCharacters(in set: String) -> String {
    var result = Substring(self)
    while let first = result.first, set.contains(first) { result = result.dropFirst() }
    while let last = result.last, set.contains(last) { result = result.dropLast() }
    return String(result)
  }
}

