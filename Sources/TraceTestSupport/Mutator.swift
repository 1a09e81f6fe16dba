import TraceModel

/// Seeded, deterministic mutations of fuzz inputs: the same bytes, fields and generator state
/// give the same output.
///
/// Binary inputs get bit flips, random bytes, runs of one byte (0x00, 0xff, 0x41), truncation,
/// duplicated and deleted spans, and (half of all mutations when fields are known) a 1/2/4/8-byte
/// size, offset, count or id field overwritten with a boundary value: 0, 1, 0x7f…, 0x80…, all
/// ones, the old value ±1 or ×2, the file size ±1. Text inputs also get line mutations: a line
/// deleted, duplicated, cut short, two lines swapped, its digits replaced (by 0, 9…9, a number
/// past 2^64, a negative one), or bytes that are not UTF-8 inserted.
public struct Mutator: Sendable {
  public var fields: [StructField]
  public var isText: Bool

  public init(fields: [StructField] = [], isText: Bool) {
    self.fields = fields
    self.isText = isText
  }

  /// Applies one to three mutations to `input`.
  public func mutate(_ input: [UInt8], rng: inout SplitMix64) -> (bytes: [UInt8], mutations: [Mutation]) {
    var bytes = input
    var done: [Mutation] = []
    let count = rng.chance(60) ? 1 : (rng.chance(70) ? 2 : 3)
    for _ in 0..<count {
      done.append(mutateOnce(&bytes, rng: &rng))
    }
    return (bytes, done)
  }

  private func mutateOnce(_ bytes: inout [UInt8], rng: inout SplitMix64) -> Mutation {
    if bytes.isEmpty {
      let run = [UInt8](repeating: rng.pick([0, 0x0a, 0x41, 0xff]), count: 1 + rng.below(16))
      bytes = run
      return Mutation(kind: .byteRun, offset: 0, detail: "\(run.count) bytes into an empty input")
    }
    if isText, rng.chance(55), let mutation = mutateLine(&bytes, rng: &rng) { return mutation }
    if !fields.isEmpty, rng.chance(50) { return overwriteField(&bytes, rng: &rng) }
    let kinds: [Mutation.Kind] = [.bitFlip, .bitFlip, .randomBytes, .byteRun, .truncate, .duplicateSpan, .deleteSpan]
    let kind = rng.pick(kinds)
    let at = position(in: bytes, rng: &rng)
    switch kind {
    case .bitFlip:
      let bit = rng.below(8)
      bytes[at] ^= 1 << bit
      return Mutation(kind: kind, offset: at, detail: "bit \(bit)")
    case .randomBytes:
      let count = min(1 + rng.below(8), bytes.count - at)
      for index in at..<at + count { bytes[index] = UInt8(truncatingIfNeeded: rng.next()) }
      return Mutation(kind: kind, offset: at, detail: "\(count) random bytes")
    case .byteRun:
      let value = rng.pick([UInt8(0), 0xff, 0x41, 0x20, 0x0a])
      let count = min(1 + rng.below(rng.chance(80) ? 16 : 4096), bytes.count - at)
      for index in at..<at + count { bytes[index] = value }
      return Mutation(kind: kind, offset: at, detail: "\(count) × 0x\(String(value, radix: 16))")
    case .truncate:
      bytes.removeSubrange(at...)
      return Mutation(kind: kind, offset: at, detail: "cut to \(at) bytes")
    case .duplicateSpan:
      let count = min(1 + rng.below(rng.chance(70) ? 64 : 8192), bytes.count - at)
      let span = Array(bytes[at..<at + count])
      let target = rng.below(bytes.count + 1)
      bytes.insert(contentsOf: span, at: target)
      return Mutation(kind: kind, offset: at, detail: "\(count) bytes copied to \(target)")
    default:
      let count = min(1 + rng.below(rng.chance(70) ? 64 : 8192), bytes.count - at)
      bytes.removeSubrange(at..<at + count)
      return Mutation(kind: .deleteSpan, offset: at, detail: "\(count) bytes deleted")
    }
  }

  /// A byte position: near a known field a third of the time, else anywhere.
  private func position(in bytes: [UInt8], rng: inout SplitMix64) -> Int {
    if !fields.isEmpty, rng.chance(33) {
      let field = rng.pick(fields)
      let at = field.offset + rng.below(field.width + 8)
      if at < bytes.count { return at }
    }
    return rng.below(bytes.count)
  }

  private func overwriteField(_ bytes: inout [UInt8], rng: inout SplitMix64) -> Mutation {
    let field = rng.pick(fields)
    guard field.offset + field.width <= bytes.count else {
      bytes.removeSubrange(min(field.offset, bytes.count)...)
      return Mutation(kind: .truncate, offset: field.offset, detail: "cut inside \(field.name)")
    }
    var old: UInt64 = 0
    for index in (0..<field.width).reversed() { old = old << 8 | UInt64(bytes[field.offset + index]) }
    let bits = field.width * 8
    let mask: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
    let top: UInt64 = 1 << UInt64(bits - 1)
    let candidates: [UInt64] = [
      0, 1, 2, 3, 4, 7, 8, 0xff, 0x1000, top - 1, top, mask, mask - 1, old &+ 1, old &- 1, old &* 2, old / 2,
      old &+ 4096, UInt64(bytes.count), UInt64(bytes.count) &- 1, UInt64(bytes.count) &+ 1, 1 << 27, (1 << 27) - 1,
      0x1000_0000, rng.next(),
    ]
    let value = rng.pick(candidates) & mask
    for index in 0..<field.width { bytes[field.offset + index] = UInt8(truncatingIfNeeded: value >> UInt64(8 * index)) }
    return Mutation(kind: .overwriteField, offset: field.offset,
                    detail: "\(field.name) 0x\(String(old, radix: 16)) -> 0x\(String(value, radix: 16))")
  }

  // MARK: - Lines

  /// The byte ranges of the lines (each without its newline).
  private func lineRanges(_ bytes: [UInt8]) -> [Range<Int>] {
    var ranges: [Range<Int>] = []
    var start = 0
    for (index, byte) in bytes.enumerated() where byte == 0x0a {
      ranges.append(start..<index)
      start = index + 1
    }
    if start < bytes.count { ranges.append(start..<bytes.count) }
    return ranges
  }

  private func mutateLine(_ bytes: inout [UInt8], rng: inout SplitMix64) -> Mutation? {
    let lines = lineRanges(bytes)
    guard !lines.isEmpty else { return nil }
    // Early lines hold headers and format-deciding first events: favour them.
    let index = rng.chance(40) ? rng.below(min(lines.count, 12)) : rng.below(lines.count)
    let line = lines[index]
    let withNewline = line.lowerBound..<min(line.upperBound + 1, bytes.count)
    let kinds: [Mutation.Kind] = [.deleteLine, .duplicateLine, .cutLine, .swapLines, .replaceDigits, .replaceDigits, .insertNonUTF8]
    let kind = rng.pick(kinds)
    switch kind {
    case .deleteLine:
      bytes.removeSubrange(withNewline)
      return Mutation(kind: kind, offset: line.lowerBound, detail: "line \(index + 1)")
    case .duplicateLine:
      let copy = Array(bytes[withNewline]) + (withNewline.upperBound == line.upperBound ? [0x0a] : [])
      let target = lines[rng.below(lines.count)].lowerBound
      bytes.insert(contentsOf: copy, at: target)
      return Mutation(kind: kind, offset: line.lowerBound, detail: "line \(index + 1) copied before byte \(target)")
    case .cutLine:
      let keep = line.isEmpty ? 0 : rng.below(line.count)
      bytes.removeSubrange(line.lowerBound + keep..<line.upperBound)
      return Mutation(kind: kind, offset: line.lowerBound, detail: "line \(index + 1) cut to \(keep) bytes")
    case .swapLines:
      let other = lines[rng.below(lines.count)]
      guard other != line else { return nil }
      let (first, second) = other.lowerBound < line.lowerBound ? (other, line) : (line, other)
      let a = Array(bytes[first]), b = Array(bytes[second])
      bytes.replaceSubrange(second, with: a)
      bytes.replaceSubrange(first, with: b)
      return Mutation(kind: kind, offset: first.lowerBound, detail: "lines at bytes \(first.lowerBound) and \(second.lowerBound)")
    case .replaceDigits:
      guard let runStart = bytes[line].indices.filter({ isDigit(bytes[$0]) }).randomElement(using: &rng) else { return nil }
      var runEnd = runStart
      while runEnd < line.upperBound, isDigit(bytes[runEnd]) || bytes[runEnd] == UInt8(ascii: ".") { runEnd += 1 }
      let replacement = rng.pick([
        "0", "9", "99999999999999999999999", "18446744073709551616", "-1", "4294967296", "2147483648", "65536", "1e308",
        "nan", "0.0", "9223372036854775807", "9223372036854775808", "00000", "", "-9223372036854775808", "1.5", "4096",
      ])
      let old = String(decoding: bytes[runStart..<runEnd], as: UTF8.self)
      bytes.replaceSubrange(runStart..<runEnd, with: Array(replacement.utf8))
      return Mutation(kind: kind, offset: runStart, detail: "\"\(old)\" -> \"\(replacement)\" in line \(index + 1)")
    default:
      let at = line.lowerBound + (line.isEmpty ? 0 : rng.below(line.count + 1))
      let junk: [UInt8] = rng.pick([[0xff], [0xc3], [0x80, 0x80], [0xed, 0xa0, 0x80], [0xfe, 0xff], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]])
      bytes.insert(contentsOf: junk, at: at)
      return Mutation(kind: .insertNonUTF8, offset: at, detail: "\(junk.count) bytes in line \(index + 1)")
    }
  }

  private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
