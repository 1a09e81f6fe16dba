/// Call-function receptions counted from the start of the trace: per CPU, and per CPU and
/// reception kind for those that answered no send in the trace.
///
/// ``IPIAnalyzer`` keeps no list of receptions. The receptions within a batch's time range are
/// a contiguous run of the time-ordered receptions, so their per-CPU counts are the difference
/// of two snapshots of these running counts: one taken when the batch begins, one when the
/// first reception past the batch's range end arrives (``IPIAnalyzer``'s batch lifecycle).
///
/// CPU numbers are ``CPUNumber/normalized(_:)`` ones (the unknown CPU is -1); kinds are the
/// analyzer's interned reception-kind indices.
///
/// - Complexity: memory O(CPUs × kinds), whatever the trace's length; ``add(_:)`` O(1) amortized.
struct ReceptionCounts {
  /// Per CPU slot (CPU + 1: slot 0 is the unknown CPU), every reception.
  private var all: [Int] = []
  /// Per kind, per CPU slot: the receptions that answered no send.
  private var unanswered: [[Int]] = []

  /// Counts one reception (`sign` -1 takes one away: a snapshot before recent receptions).
  mutating func add(_ reception: LoggedReception, sign: Int = 1) {
    let slot = Int(reception.cpu) + 1
    if slot >= all.count { all.append(contentsOf: repeatElement(0, count: slot + 1 - all.count)) }
    all[slot] += sign
    let kind = Int(reception.unansweredKind)
    guard kind >= 0 else { return }
    if kind >= unanswered.count { unanswered.append(contentsOf: repeatElement([], count: kind + 1 - unanswered.count)) }
    if slot >= unanswered[kind].count {
      unanswered[kind].append(contentsOf: repeatElement(0, count: slot + 1 - unanswered[kind].count))
    }
    unanswered[kind][slot] += sign
  }

  /// These counts without `receptions` (which they include): the counts as they were before them.
  func removing(_ receptions: some Sequence<LoggedReception>) -> ReceptionCounts {
    var result = self
    for reception in receptions { result.add(reception, sign: -1) }
    return result
  }

  /// Receptions per CPU counted since `earlier` (a snapshot of these counts), CPUs with none left out.
  func received(since earlier: ReceptionCounts) -> [Int: Int] {
    var result: [Int: Int] = [:]
    for (slot, count) in all.enumerated() {
      let difference = count - (slot < earlier.all.count ? earlier.all[slot] : 0)
      if difference > 0 { result[slot - 1] = difference }
    }
    return result
  }

  /// Receptions per CPU of the given kinds that answered no send, counted since `earlier`;
  /// CPUs with none left out.
  func unanswered(since earlier: ReceptionCounts, kinds: Set<Int32>) -> [Int: Int] {
    var result: [Int: Int] = [:]
    for kind in kinds where Int(kind) < unanswered.count {
      let now = unanswered[Int(kind)]
      let before = Int(kind) < earlier.unanswered.count ? earlier.unanswered[Int(kind)] : []
      for (slot, count) in now.enumerated() {
        let difference = count - (slot < before.count ? before[slot] : 0)
        if difference > 0 { result[slot - 1, default: 0] += difference }
      }
    }
    return result
  }
}

/// One reception as ``IPIAnalyzer`` keeps it for a short while (16 bytes): for the receptions
/// at the latest timestamp (a batch or flip beginning at that same time includes them) and
/// those after the latest acknowledgement of a batch still running (whose range end is known
/// only when it returns).
struct LoggedReception {
  /// Trace-clock time, ns.
  var time: UInt64
  /// ``CPUNumber/normalized(_:)`` CPU.
  var cpu: Int32
  /// The reception kind's index when the reception answered no send, else -1.
  var unansweredKind: Int32
}
