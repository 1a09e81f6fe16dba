/// The value of one event field, typed as the event's format declares it.
public enum FieldValue: Hashable, Sendable, CustomStringConvertible {
  case unsigned(UInt64)
  case signed(Int64)
  case string(String)
  /// A cpumask, as the list of CPU numbers whose bit is set.
  case cpuList([Int])
  /// An array or dynamic field that is not a string, as raw bytes.
  case bytes([UInt8])

  /// The value as an unsigned integer, when it is a number.
  public var unsignedValue: UInt64? {
    switch self {
    case .unsigned(let v): return v
    case .signed(let v): return UInt64(bitPattern: v)
    case .string(let s):
      if s.hasPrefix("0x") { return UInt64(s.dropFirst(2), radix: 16) }
      return UInt64(s)
    default: return nil
    }
  }

  /// The value as a signed integer, when it is a number.
  public var signedValue: Int64? {
    switch self {
    case .unsigned(let v): return Int64(bitPattern: v)
    case .signed(let v): return v
    case .string(let s): return Int64(s)
    default: return nil
    }
  }

  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  public var description: String {
    switch self {
    case .unsigned(let v): return String(v)
    case .signed(let v): return String(v)
    case .string(let s): return s
    case .cpuList(let cpus): return CPUList.format(cpus)
    case .bytes(let b): return b.map { String($0, radix: 16) }.joined(separator: " ")
    }
  }
}

/// One named field of an event.
public struct EventField: Hashable, Sendable {
  public var name: String
  public var value: FieldValue
  public init(name: String, value: FieldValue) {
    self.name = name
    self.value = value
  }
}

/// CPU lists in the kernel's `2-5,7` notation.
public enum CPUList {
  /// Parses `0-3,6` into `[0, 1, 2, 3, 6]`; nil if the text is not a CPU list.
  public static func parse(_ text: Substring) -> [Int]? {
    if text.isEmpty { return [] }
    var cpus: [Int] = []
    for part in text.split(separator: ",") {
      // Empty bounds kept, so `-5` and `5-` are no list (a sign is no CPU number).
      let bounds = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
      guard let low = Int(bounds[0]) else { return nil }
      if bounds.count == 2 {
        // No kernel has more than 8192 CPUs (x86 CONFIG_MAXSMP); a longer range comes from a
        // damaged line and is no CPU list (it would allocate one element per CPU).
        guard let high = Int(bounds[1]), high >= low, high < maxCPUs else { return nil }
        cpus.append(contentsOf: low...high)
        if cpus.count > 4 * maxCPUs { return nil }
      } else {
        cpus.append(low)
      }
    }
    return cpus
  }

  /// One more than the highest CPU number a list may name (``TraceMetadata/maximumCPUs``).
  public static let maxCPUs = TraceMetadata.maximumCPUs

  /// Formats CPU numbers as ranges: `[0, 1, 2, 5]` is `0-2,5`.
  public static func format(_ cpus: [Int]) -> String {
    var parts: [String] = []
    var index = 0
    let sorted = cpus.sorted()
    while index < sorted.count {
      var end = index
      while end + 1 < sorted.count, sorted[end + 1] == sorted[end] + 1 { end += 1 }
      parts.append(end == index ? "\(sorted[index])" : "\(sorted[index])-\(sorted[end])")
      index = end + 1
    }
    return parts.joined(separator: ",")
  }
}
