/// Kernel symbols from a `/proc/kallsyms` copy, for resolving addresses to functions.
///
/// trace.dat files carry the traced machine's kallsyms (the KALLSYMS section); text traces
/// usually print names already.
public struct SymbolTable: Sendable {
  private var addresses: [UInt64] = []
  private var names: [String] = []

  public init() {}

  /// Parses kallsyms text (`ffffffff81000000 T _text [module]`). Lines that do not parse are skipped.
  ///
  /// - Complexity: O(n log n) in the number of lines.
  public init(kallsyms text: String) {
    var pairs: [(UInt64, String)] = []
    pairs.reserveCapacity(text.utf8.count / 40)
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
      let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
      guard parts.count >= 3, let address = UInt64(parts[0], radix: 16), address != 0 else { continue }
      let type = parts[1].first ?? " "
      // Text symbols only: data symbols would shadow nothing useful for call chains.
      guard type == "t" || type == "T" || type == "w" || type == "W" else { continue }
      pairs.append((address, String(parts[2])))
    }
    pairs.sort { $0.0 < $1.0 }
    addresses = pairs.map(\.0)
    names = pairs.map(\.1)
  }

  public var isEmpty: Bool { addresses.isEmpty }
  public var count: Int { addresses.count }

  /// The function containing `address` and the offset into it, or nil below the first symbol.
  ///
  /// - Complexity: O(log n).
  public func symbolize(_ address: UInt64) -> (name: String, offset: UInt64)? {
    var low = 0
    var high = addresses.count
    while low < high {
      let mid = (low + high) / 2
      if addresses[mid] <= address { low = mid + 1 } else { high = mid }
    }
    guard low > 0 else { return nil }
    return (names[low - 1], address - addresses[low - 1])
  }

  /// The address of a function by name (first match), for tests and probes.
  public func address(of name: String) -> UInt64? {
    names.firstIndex(of: name).map { addresses[$0] }
  }
}
