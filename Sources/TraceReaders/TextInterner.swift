import TraceModel

/// Strings for short byte runs that repeat line after line (comms, buffer names), each made
/// once: a direct-mapped cache keyed by the bytes themselves.
///
/// Making a `String` validates its UTF-8 and, past 15 bytes, allocates; a trace has a few
/// hundred distinct comms over millions of lines. Runs longer than 16 bytes are not cached.
///
/// - Complexity: O(length) per lookup; memory is fixed (1024 slots).
struct TextInterner {
  private var first = [UInt64](repeating: 0, count: slotCount)
  private var second = [UInt64](repeating: 0, count: slotCount)
  private var lengths = [Int](repeating: -1, count: slotCount)
  private var strings = [String](repeating: "", count: slotCount)
  private static let slotCount = 1024

  /// The text of `bytes[start..<end]`.
  mutating func string(_ bytes: [UInt8], _ start: Int, _ end: Int) -> String {
    let length = end - start
    guard length <= 16 else { return EscapedText.string(bytes[start..<end]) }
    var low: UInt64 = 0
    var high: UInt64 = 0
    var index = 0
    while index < length {
      let byte = UInt64(bytes[start + index])
      if index < 8 { low |= byte << (8 * UInt64(index)) } else { high |= byte << (8 * UInt64(index - 8)) }
      index += 1
    }
    let mixed = (low &* 0x9E37_79B9_7F4A_7C15) ^ (high &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(length)
    let slot = Int(truncatingIfNeeded: mixed >> 54)
    if lengths[slot] == length, first[slot] == low, second[slot] == high { return strings[slot] }
    let text = EscapedText.string(bytes[start..<end])
    first[slot] = low
    second[slot] = high
    lengths[slot] = length
    strings[slot] = text
    return text
  }
}
