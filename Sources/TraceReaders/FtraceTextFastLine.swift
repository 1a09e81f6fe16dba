// The one unsafe-pointer file of the ftrace text reader (style guide: "Bounds-checked by
// default"). Measured need: `pokestat stats` on the 17.4 M line `trace-cmd report` benchmark
// (scripts/bench-text.sh) spent ~40% of its time in bounds-checked byte loops over the report's
// padded columns (parseEvent, parseTimestampToken, nameIndex); see docs/performance.md.
//
// Contract: `FastEventLine.parse` either returns exactly what the safe path
// (`FtraceTextStream.parseEvent`) would find for the line, or nil, in which case the caller
// runs the safe path on the line. It only reads `bytes[start..<end]` (and, for the name key,
// up to 15 bytes from the name's start when they lie inside `bytes`), after checking the range.
// FtraceTextFastPathTests runs both paths on every text fixture and compares the events.

import TraceModel

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The parts of the common `trace-cmd report` event line
/// `   comm-pid [cpu]   seconds.fraction: name:   info`, found with unsafe pointers.
///
/// Only that exact shape is recognized (leading space, no instance prefix, no flags column,
/// no `(tgid)`, no `(+diff)`); every other line is left to the bounds-checked parser.
struct FastEventLine {
  /// The comm's range is `commStart..<commEnd`; the pid follows its last `-`.
  var commStart: Int
  var commEnd: Int
  var pid: UInt64
  var cpu: Int
  /// Nanoseconds, as `Timestamp(seconds:fractionDigits:digitCount:)` computes them.
  var timestamp: UInt64
  /// The event name's range (`nameEnd` is its colon).
  var nameStart: Int
  var nameEnd: Int
  /// The name's lookup key: its length in the top byte and its first 7 bytes (little-endian).
  var nameKey: UInt64
  /// Bytes 7..<15 of the name (little-endian, zero past its end); with ``nameKey`` the whole
  /// name when it is at most 15 bytes long.
  var nameTail: UInt64
  /// The first byte after the name's colon and the padding after it.
  var infoStart: Int

  private static let space: UInt8 = 0x20
  private static let spaces: UInt64 = 0x2020_2020_2020_2020

  /// The parts of `bytes[start..<end]` if it has the common report shape, else nil.
  ///
  /// - Complexity: O(length of the line up to the info), 8 bytes at a time over padding.
  static func parse(_ bytes: [UInt8], _ start: Int, _ end: Int) -> FastEventLine? {
    precondition(start >= 0 && start <= end && end <= bytes.count, "line range outside its block")
    return bytes.withUnsafeBufferPointer { buffer -> FastEventLine? in
      guard let base = buffer.baseAddress, start < end, base[start] == space else { return nil }
      return parse(base, start, end, limit: buffer.count)
    }
  }

  private static func parse(_ b: UnsafePointer<UInt8>, _ start: Int, _ end: Int, limit: Int)
    -> FastEventLine?
  {
    var i = skipSpaces(b, start, end)
    guard i < end else { return nil }
    let first = b[i]
    // Comments, stack frames, function_graph rows (a digit first) and tab-indented lines.
    if first == 0x23 || first == 0x3D || first == 0x09 || (first >= 0x30 && first <= 0x39) {
      return nil
    }
    // `CPU:N [LOST ...]`, `cpus=N`, `version = N`.
    if first == 0x43 || first == 0x63 || first == 0x76 {
      if hasPrefix(b, i, end, "CPU:") || hasPrefix(b, i, end, "cpus=")
        || hasPrefix(b, i, end, "version =")
      {
        return nil
      }
    }
    let commStart = i
    // The first token (comm-pid; a comm with spaces fails the `[` check below).
    i = firstSpace(b, i, end, orColon: false)
    let taskEnd = i
    i = skipSpaces(b, i, end)
    // `[cpu]` then a space.
    guard i < end, b[i] == 0x5B else { return nil }
    i += 1
    let cpuStart = i
    var cpu = 0
    while i < end, b[i] &- 0x30 < 10 {
      cpu = cpu &* 10 &+ Int(b[i] &- 0x30)
      i += 1
    }
    // More than 9 digits: leave the overflow cases to the safe parser.
    guard i > cpuStart, i - cpuStart <= 9, i + 1 < end, b[i] == 0x5D, b[i + 1] == space else {
      return nil
    }
    i = skipSpaces(b, i + 1, end)
    // `seconds.fraction:` ending the token.
    var seconds: UInt64 = 0
    let secondsStart = i
    while i < end, b[i] &- 0x30 < 10 {
      seconds = seconds &* 10 &+ UInt64(b[i] &- 0x30)
      i += 1
    }
    // 18 digits at most in each number: longer ones (which could wrap) go to the safe parser.
    guard i > secondsStart, i - secondsStart <= 18, i < end, b[i] == 0x2E else { return nil }
    i += 1
    let fractionStart = i
    var fraction: UInt64 = 0
    while i < end, b[i] &- 0x30 < 10 {
      fraction = fraction &* 10 &+ UInt64(b[i] &- 0x30)
      i += 1
    }
    guard i > fractionStart, i - fractionStart <= 18, i < end, b[i] == 0x3A, i + 1 == end || b[i + 1] == space else {
      return nil
    }
    let digitCount = i - fractionStart
    i += 1
    // comm-pid: digits after the last '-' up to the end of the first token; `(tgid)` is not handled.
    var dash = taskEnd
    while dash > commStart, b[dash - 1] &- 0x30 < 10 { dash -= 1 }
    guard dash < taskEnd, taskEnd - dash <= 18, dash > commStart, b[dash - 1] == 0x2D else { return nil }
    var pid: UInt64 = 0
    for k in dash..<taskEnd { pid = pid &* 10 &+ UInt64(b[k] &- 0x30) }
    // `name:` (a `(+diff)` column is left to the safe parser).
    i = skipSpaces(b, i, end)
    guard i < end, b[i] != 0x28 else { return nil }
    let nameStart = i
    i = firstSpace(b, i, end, orColon: true)
    guard i < end, b[i] == 0x3A, i > nameStart else { return nil }
    let nameEnd = i
    let length = nameEnd - nameStart
    var key = UInt64(truncatingIfNeeded: min(length, 255)) << 56
    let prefix = min(length, 7)
    let tailCount = min(max(length - 7, 0), 8)
    var tail: UInt64 = 0
    if nameStart + 15 <= limit {
      let word = UInt64(
        littleEndian: UnsafeRawPointer(b + nameStart).loadUnaligned(as: UInt64.self))
      key |= word & ((1 << UInt64(8 * prefix)) - 1)
      let next = UInt64(
        littleEndian: UnsafeRawPointer(b + nameStart + 7).loadUnaligned(as: UInt64.self))
      tail = tailCount == 8 ? next : next & ((1 << UInt64(8 * tailCount)) - 1)
    } else {
      for k in 0..<prefix { key |= UInt64(b[nameStart + k]) << UInt64(8 * k) }
      for k in 0..<tailCount { tail |= UInt64(b[nameStart + 7 + k]) << UInt64(8 * k) }
    }
    return FastEventLine(
      commStart: commStart, commEnd: dash - 1, pid: pid, cpu: cpu,
      timestamp: Timestamp(seconds: seconds, fractionDigits: fraction, digitCount: digitCount)
        .nanoseconds,
      nameStart: nameStart, nameEnd: nameEnd, nameKey: key, nameTail: tail,
      infoStart: skipSpaces(b, nameEnd + 1, end))
  }

  /// The first index at or after `i` (up to `end`) whose byte is not a space, 8 bytes at a time.
  private static func skipSpaces(_ b: UnsafePointer<UInt8>, _ from: Int, _ end: Int) -> Int {
    var i = from
    #if _endian(little)
      while i + 8 <= end {
        let word = UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) ^ spaces
        if word != 0 { return i + word.trailingZeroBitCount / 8 }
        i += 8
      }
    #endif
    while i < end, b[i] == space { i += 1 }
    return i
  }

  private static let ones: UInt64 = 0x0101_0101_0101_0101
  private static let highBits: UInt64 = 0x8080_8080_8080_8080
  private static let colons: UInt64 = 0x3A3A_3A3A_3A3A_3A3A

  /// The high bit of each zero byte of `word`; exact for the lowest one (a borrow can only
  /// mark bytes above it), which is all the callers use.
  private static func zeroBytes(_ word: UInt64) -> UInt64 { (word &- ones) & ~word & highBits }

  /// The first index at or after `from` (up to `end`) holding a space, or a colon too when
  /// `orColon`, 8 bytes at a time.
  private static func firstSpace(_ b: UnsafePointer<UInt8>, _ from: Int, _ end: Int, orColon: Bool)
    -> Int
  {
    var i = from
    #if _endian(little)
      while i + 8 <= end {
        let word = UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self)
        var hits = zeroBytes(word ^ spaces)
        if orColon { hits |= zeroBytes(word ^ colons) }
        if hits != 0 { return i + hits.trailingZeroBitCount / 8 }
        i += 8
      }
    #endif
    while i < end, b[i] != space, !orColon || b[i] != 0x3A { i += 1 }
    return i
  }

  private static func hasPrefix(
    _ b: UnsafePointer<UInt8>, _ i: Int, _ end: Int, _ prefix: StaticString
  ) -> Bool {
    let count = prefix.utf8CodeUnitCount
    guard end - i >= count else { return false }
    return memcmp(b + i, prefix.utf8Start, count) == 0
  }

  /// Whether `a[aStart..<aStart + count]` equals `b[bStart..<bStart + count]` (ranges checked).
  static func equal(_ a: [UInt8], _ aStart: Int, _ b: [UInt8], _ bStart: Int, count: Int) -> Bool {
    precondition(
      count >= 0 && aStart >= 0 && bStart >= 0 && aStart + count <= a.count
        && bStart + count <= b.count)
    return a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        count == 0 || memcmp(pa.baseAddress! + aStart, pb.baseAddress! + bStart, count) == 0
      }
    }
  }
}
