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
    var copy = text
    self = copy.withUTF8 { SymbolTable(kallsymsBytes: $0) }
  }

  /// Parses kallsyms bytes (as a trace.dat KALLSYMS section holds them) without building
  /// a String first.
  public init(kallsymsBytes bytes: UnsafeBufferPointer<UInt8>) {
    var pairs: [(UInt64, String)] = []
    pairs.reserveCapacity(bytes.count / 40)
    var index = 0
    let count = bytes.count
    while index < count {
      var lineEnd = index
      while lineEnd < count, bytes[lineEnd] != 10 { lineEnd += 1 }
      defer { index = lineEnd + 1 }
      // address
      var address: UInt64 = 0
      var cursor = index
      while cursor < lineEnd, let digit = Self.hexValue(bytes[cursor]) {
        address = address << 4 | UInt64(digit)
        cursor += 1
      }
      guard cursor > index, address != 0, cursor + 3 < lineEnd, bytes[cursor] == 32 else { continue }
      let type = bytes[cursor + 1]
      // Text symbols only: data symbols would shadow nothing useful for call chains.
      guard type == UInt8(ascii: "t") || type == UInt8(ascii: "T") || type == UInt8(ascii: "w") || type == UInt8(ascii: "W"),
        bytes[cursor + 2] == 32
      else { continue }
      let nameStart = cursor + 3
      var nameEnd = nameStart
      while nameEnd < lineEnd, bytes[nameEnd] != 32, bytes[nameEnd] != 9 { nameEnd += 1 }
      guard nameEnd > nameStart else { continue }
      pairs.append((address, String(decoding: UnsafeBufferPointer(rebasing: bytes[nameStart..<nameEnd]), as: UTF8.self)))
    }
    pairs.sort { $0.0 < $1.0 }
    addresses = pairs.map(\.0)
    names = pairs.map(\.1)
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 48...57: return byte - 48
    case 97...102: return byte - 87
    case 65...70: return byte - 55
    default: return nil
    }
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
