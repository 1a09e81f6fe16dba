/// Text from input bytes that keeps every byte: valid UTF-8 as it is, and in a run that is not
/// valid UTF-8 each byte that is not part of a valid sequence as `\xNN` (and `\` as `\\`).
///
/// trace-cmd prints the bytes of comms, marker and trace_printk text raw; a Swift `String`
/// cannot hold invalid UTF-8, and decoding with replacement would turn every such byte into
/// U+FFFD, losing which byte it was. Escaping is lossless and visible in error messages, tables
/// and JSON.
///
/// - Complexity: O(n); the escaping pass runs only when validation fails.
public enum EscapedText {
  /// The text of `bytes`.
  @inline(__always)
  public static func string(_ bytes: ArraySlice<UInt8>) -> String {
    if let valid = String(validating: bytes, as: UTF8.self) { return valid }
    return escaping(bytes)
  }

  /// The text of `bytes`.
  public static func string(_ bytes: [UInt8]) -> String { string(bytes[...]) }

  /// The text of any bytes (a record's field, a C string's bytes); copied only to escape.
  public static func string(_ bytes: some Collection<UInt8>) -> String {
    if let valid = String(validating: bytes, as: UTF8.self) { return valid }
    return escaping(ArraySlice(bytes))
  }

  static func escaping(_ bytes: ArraySlice<UInt8>) -> String {
    var out = ""
    var i = bytes.startIndex
    while i < bytes.endIndex {
      let byte = bytes[i]
      let length = sequenceLength(bytes, i)
      if length > 0 {
        if byte == UInt8(ascii: "\\") {
          out += "\\\\"
        } else {
          out += String(decoding: bytes[i..<(i + length)], as: UTF8.self)
        }
        i += length
      } else {
        let hex = Array("0123456789abcdef")
        out += "\\x" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xF)])
        i += 1
      }
    }
    return out
  }

  /// The length of the valid UTF-8 sequence starting at `i`, or 0 when none starts there.
  static func sequenceLength(_ b: ArraySlice<UInt8>, _ i: Int) -> Int {
    let first = b[i]
    if first < 0x80 { return 1 }
    let length: Int
    var low: UInt8 = 0x80
    var high: UInt8 = 0xBF
    switch first {
    case 0xC2...0xDF: length = 2
    case 0xE0:
      length = 3
      low = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: length = 3
    case 0xED:
      length = 3
      high = 0x9F
    case 0xF0:
      length = 4
      low = 0x90
    case 0xF1...0xF3: length = 4
    case 0xF4:
      length = 4
      high = 0x8F
    default: return 0
    }
    guard i + length <= b.endIndex else { return 0 }
    for k in 1..<length {
      let c = b[i + k]
      let (lo, hi) = k == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
      guard c >= lo, c <= hi else { return 0 }
    }
    return length
  }
}
