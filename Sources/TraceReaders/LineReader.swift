#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import TraceModel

/// Reads a text input line by line over UTF-8 bytes, in large blocks, without a `String`
/// per line.
///
/// A line is returned as a range into ``buffer``, valid until the next call. Line ends are
/// `\n` or `\r\n`; a final line without a newline is returned too. A line holding a NUL byte
/// is binary data, not text, and throws (or is reported through ``nextLine()`` as binary).
///
/// - Complexity: memory is one block (1 MiB) plus the longest line.
struct LineReader {
  /// The bytes of the current block; a returned line range indexes into it.
  private(set) var buffer: [UInt8]
  private let channel: ByteChannel
  private var start = 0
  private var end = 0
  private var atEnd = false
  /// The 1-based number of the last line returned, counted from where reading started (see
  /// ``lineBase`` for a byte range that starts past the file's first line).
  private(set) var lineNumber = 0
  /// For a reader over a byte range of a file: the lines before the range, counted only when an
  /// error location needs them (nil: the reader starts at line 1).
  private let lineBase: LineBase?
  /// Whether the last line returned ended without a newline (a truncated final line).
  private(set) var lastLineWasUnterminated = false
  /// The byte offset of the last line returned (or rejected as binary), counted from where the
  /// channel starts reading (the start of its byte range).
  private(set) var lastLineOffset = 0

  static let blockSize = 1 << 20
  /// Lines longer than this are an error rather than a reason to grow without bound.
  static let maximumLineLength = 64 << 20

  var path: String { channel.path }

  init(channel: ByteChannel, lineBase: LineBase? = nil) {
    self.channel = channel
    self.lineBase = lineBase
    self.buffer = [UInt8](repeating: 0, count: Self.blockSize)
  }

  /// Opens `path` (see ``ByteChannel/open(_:)``).
  init(path: String) throws(TraceParseError) {
    self.init(channel: try ByteChannel.open(path))
  }

  /// Loads the first block (if nothing is loaded yet) and returns the bytes not yet returned
  /// as lines, for sniffing headers and formats without consuming them.
  mutating func peek() throws(TraceParseError) -> ArraySlice<UInt8> {
    if end == 0, !atEnd { try refill() }
    return buffer[start..<end]
  }

  /// The location of the last line returned (its line number in the whole file).
  var location: InputLocation { location(line: lineNumber) }

  /// The location of line `line` of this reader, numbered in the whole file.
  func location(line: Int) -> InputLocation {
    InputLocation(file: channel.path, line: (lineBase?.lines ?? 0) + line)
  }

  /// The next line's byte range in ``buffer`` (without its line end), or nil at the end.
  ///
  /// - Throws: ``TraceParseError`` when reading fails, a line holds a NUL byte, or a line
  ///   exceeds ``maximumLineLength``.
  mutating func nextLine() throws(TraceParseError) -> Range<Int>? {
    var scanFrom = start
    while true {
      if let newline = findNewline(from: scanFrom) {
        let lineStart = start
        start = newline + 1
        lineNumber += 1
        lastLineWasUnterminated = false
        lastLineOffset = bytesRead - end + lineStart
        return try finish(lineStart..<newline)
      }
      scanFrom = end
      if atEnd {
        guard start < end else { return nil }
        let lineStart = start
        start = end
        lineNumber += 1
        lastLineWasUnterminated = true
        lastLineOffset = bytesRead - end + lineStart
        return try finish(lineStart..<end)
      }
      try refill()
      // The bytes before the new block were scanned already (refill moved them to the front).
      scanFrom = end - lastReadCount
    }
  }

  private var lastReadCount = 0
  /// The first NUL byte at or after ``start`` in the loaded bytes, or ``end`` when there is
  /// none: one `memchr` per block instead of one per line (lines before it hold no NUL).
  private var nextNUL = 0
  /// Told the bytes of each read (decompressed bytes for gzip/zstd input).
  var progress: ReadProgress? {
    didSet { progress?.advance(bytesRead) }  // what was read before, e.g. to sniff the format
  }
  /// Bytes read from the channel so far.
  private(set) var bytesRead = 0

  /// Moves the unread tail to the front, grows the buffer if a line fills it, and reads more.
  private mutating func refill() throws(TraceParseError) {
    if start > 0 {
      let tail = end - start
      if tail > 0 {
        buffer.withUnsafeMutableBytes { raw in
          let base = raw.baseAddress!
          _ = memmove(base, base + start, tail)
        }
      }
      end = tail
      start = 0
    }
    if end == buffer.count {
      guard buffer.count < Self.maximumLineLength else {
        throw TraceParseError(
          reason: .malformedLine(
            expected: "a text line shorter than \(Self.maximumLineLength) bytes",
            found: "no line end in \(buffer.count) bytes (binary data?)"),
          location: location(line: lineNumber + 1))
      }
      buffer.append(contentsOf: repeatElement(0, count: buffer.count))
    }
    let got = try channel.read(into: &buffer, at: end, count: buffer.count - end)
    lastReadCount = got
    bytesRead += got
    progress?.advance(got)
    if got == 0 { atEnd = true }
    end += got
    nextNUL = firstNUL(from: start)
  }

  private func firstNUL(from index: Int) -> Int {
    guard index < end else { return end }
    return buffer.withUnsafeBytes { raw -> Int in
      let base = raw.baseAddress!
      guard let hit = memchr(base + index, 0, end - index) else { return end }
      return base.distance(to: UnsafeRawPointer(hit))
    }
  }

  private func findNewline(from index: Int) -> Int? {
    guard index < end else { return nil }
    return buffer.withUnsafeBytes { raw -> Int? in
      let base = raw.baseAddress!
      guard let hit = memchr(base + index, 0x0A, end - index) else { return nil }
      return base.distance(to: UnsafeRawPointer(hit))
    }
  }

  /// Drops a `\r` before the line end and rejects binary data.
  private mutating func finish(_ range: Range<Int>) throws(TraceParseError) -> Range<Int> {
    var line = range
    if line.upperBound > line.lowerBound, buffer[line.upperBound - 1] == 0x0D {
      line = line.lowerBound..<(line.upperBound - 1)
    }
    // Lines are returned in order, so a NUL before this line's end is in this line (a `\r` or
    // `\n` is never a NUL); the next one is looked for after the line.
    if nextNUL < line.upperBound {
      nextNUL = firstNUL(from: start)
      throw TraceParseError(
        reason: .malformedLine(expected: "a text line", found: "binary data (a NUL byte)"),
        location: location(line: lineNumber))
    }
    return line
  }

  /// The line's text, for error messages and string fields.
  func text(_ range: Range<Int>) -> String {
    EscapedText.string(buffer[range])
  }
}

/// Reads every line of a small text input as strings, for the readers whose inputs are a few
/// kilobytes (perf stat, bpftool, /proc/interrupts, dmesg).
public struct TextLines {
  /// Each line with its 1-based number.
  var lines: [(number: Int, text: String)] = []
  var path: String

  init(path: String) throws(TraceParseError) {
    var reader = try LineReader(path: path)
    self.path = path
    while let range = try reader.nextLine() {
      lines.append((reader.lineNumber, reader.text(range)))
    }
  }

  init(text: String, path: String) {
    self.path = path
    // Split on bytes: Swift treats "\r\n" as one Character, so a Character split on "\n"
    // would miss CRLF line ends.
    var number = 0
    let bytes = Array(text.utf8)
    for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      number += 1
      var slice = line[...]
      if slice.last == UInt8(ascii: "\r") { slice = slice.dropLast() }
      lines.append((number, String(decoding: slice, as: UTF8.self)))
    }
    if let last = lines.last, last.text.isEmpty, bytes.last == UInt8(ascii: "\n") { lines.removeLast() }
  }
}
