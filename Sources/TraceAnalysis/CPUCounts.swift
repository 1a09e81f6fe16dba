/// Counts per CPU number, like a `[Int: Int]` (a CPU counted once is present, even at 0) but
/// stored in an array that grows to the highest CPU seen: no hashing per event. Numbers outside
/// `0..<CPUNumber.limit` (the unknown CPU, -1) are counted in one slot of their own.
struct CPUCounts {
  private var values: [Int?] = []
  private var unknown: Int?

  subscript(cpu: Int, default initial: Int) -> Int {
    get {
      guard cpu >= 0, cpu < CPUNumber.limit else { return unknown ?? initial }
      return cpu < values.count ? values[cpu] ?? initial : initial
    }
    set {
      guard cpu >= 0, cpu < CPUNumber.limit else { unknown = newValue; return }
      if cpu >= values.count { values.append(contentsOf: repeatElement(nil, count: cpu + 1 - values.count)) }
      values[cpu] = newValue
    }
  }

  var isEmpty: Bool { unknown == nil && !values.contains { $0 != nil } }

  /// The present CPUs and their counts (the unknown CPU as ``CPUNumber/unknown``).
  var dictionary: [Int: Int] {
    var result: [Int: Int] = [:]
    for (cpu, count) in values.enumerated() { if let count { result[cpu] = count } }
    if let unknown { result[CPUNumber.unknown] = unknown }
    return result
  }
}
