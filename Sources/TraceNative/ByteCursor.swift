import TraceModel

/// A bounds-checked reader over bytes taken from a file, so every error knows its offset.
struct ByteCursor {
  let bytes: [UInt8]
  let file: String
  /// Where `bytes[0]` sits in the file, so errors name file offsets.
  let baseOffset: Int
  let bigEndian: Bool
  private(set) var offset = 0

  init(bytes: [UInt8], file: String, baseOffset: Int = 0, bigEndian: Bool = false) {
    self.bytes = bytes
    self.file = file
    self.baseOffset = baseOffset
    self.bigEndian = bigEndian
  }

  var remaining: Int { bytes.count - offset }
  var isAtEnd: Bool { offset >= bytes.count }
  var fileOffset: Int { baseOffset + offset }

  func error(_ reason: TraceParseError.Reason, at position: Int? = nil) -> TraceParseError {
    TraceParseError(reason: reason, location: InputLocation(file: file, byteOffset: baseOffset + (position ?? offset)))
  }

  private func require(_ count: Int) throws(TraceParseError) {
    guard count >= 0, remaining >= count else {
      throw error(.truncated(needed: count, available: max(0, remaining)))
    }
  }

  /// Reads an unsigned integer of `size` bytes (1, 2, 4 or 8) in the file's byte order.
  mutating func readUInt(size: Int) throws(TraceParseError) -> UInt64 {
    try require(size)
    var value: UInt64 = 0
    if bigEndian {
      for index in 0..<size { value = value << 8 | UInt64(bytes[offset + index]) }
    } else {
      for index in (0..<size).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
    }
    offset += size
    return value
  }

  mutating func readUInt8() throws(TraceParseError) -> UInt8 { UInt8(try readUInt(size: 1)) }
  mutating func readUInt16() throws(TraceParseError) -> UInt16 { UInt16(try readUInt(size: 2)) }
  mutating func readUInt32() throws(TraceParseError) -> UInt32 { UInt32(try readUInt(size: 4)) }
  mutating func readUInt64() throws(TraceParseError) -> UInt64 { try readUInt(size: 8) }

  /// Reads a size or count and checks it fits in what is left.
  mutating func readLength(size: Int, what: String) throws(TraceParseError) -> Int {
    let start = offset
    let value = try readUInt(size: size)
    guard value <= UInt64(remaining) else {
      // The claimed end can be past Int.max (a damaged 8-byte size): clamp it for the message.
      let here = baseOffset + offset
      let end = value > UInt64(Int.max - here) ? Int.max : here + Int(value)
      throw error(.sectionPastEnd(section: what, end: end, fileSize: baseOffset + bytes.count), at: start)
    }
    return Int(value)
  }

  mutating func readBytes(_ count: Int) throws(TraceParseError) -> [UInt8] {
    try require(count)
    defer { offset += count }
    return Array(bytes[offset..<offset + count])
  }

  /// Reads a NUL-terminated string and the NUL.
  mutating func readCString() throws(TraceParseError) -> String {
    guard let end = bytes[offset...].firstIndex(of: 0) else {
      throw error(.truncated(needed: remaining + 1, available: remaining))
    }
    defer { offset = end + 1 }
    return String(decoding: bytes[offset..<end], as: UTF8.self)
  }

  mutating func skip(_ count: Int) throws(TraceParseError) {
    try require(count)
    offset += count
  }

  mutating func seek(to position: Int) { offset = position }
}
