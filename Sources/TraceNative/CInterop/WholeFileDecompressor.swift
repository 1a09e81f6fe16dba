// Unsafe code: zlib's `z_stream` and zstd's `ZSTD_inBuffer`/`ZSTD_outBuffer` point into two
// arrays lent for one call (`withUnsafe*Bytes`); the streams are freed before returning.

#if canImport(Glibc)
  import Glibc
#endif
import CZlib
import CZstd
import TraceModel

/// Decompresses a whole gzip or zstd file into a file descriptor, in this process (zlib's
/// `inflate` with gzip framing, zstd's streaming decoder), 1 MiB of input at a time.
///
/// trace.dat is read at random offsets, so a compressed trace.dat is decompressed whole to a
/// temporary file first (``TemporaryTraceFile``). Concatenated gzip members and zstd frames
/// are all decompressed, as `gzip -dc` and `zstd -dc` do.
enum WholeFileDecompressor {
  /// The largest decompressed size written: past it the copy stops with an error that says
  /// to decompress the file first.
  static let defaultLimitBytes = 8 << 30

  private static let blockBytes = 1 << 20

  /// Writes the decompressed bytes of the file open at `input` (read from its current offset)
  /// to `output` (nothing for `.none`).
  ///
  /// - Parameter path: the file's name, for error locations.
  /// - Returns: the number of decompressed bytes written.
  /// - Throws: ``TraceParseError``: `.corruptCompressedData` at the compressed byte offset where
  ///   the data stopped making sense or ended early (a truncated file), `.invalidValue` past
  ///   `limitBytes`, `.readFailed` when `read(2)` or `write(2)` fails (a full disk).
  static func copy(
    _ compression: Compression, from input: Int32, to output: Int32, path: String, limitBytes: Int = defaultLimitBytes
  ) throws(TraceParseError) -> Int {
    var sink = Sink(descriptor: output, path: path, limitBytes: limitBytes)
    switch compression {
    case .none: return 0
    case .gzip: try inflateAll(from: input, into: &sink)
    case .zstd: try zstdDecompressAll(from: input, into: &sink)
    }
    return sink.written
  }

  /// Where decompressed bytes go: a descriptor, with the size limit checked on every block.
  private struct Sink {
    let descriptor: Int32
    let path: String
    let limitBytes: Int
    var written = 0

    /// Writes the first `count` bytes of `block`.
    mutating func write(_ block: [UInt8], count: Int) throws(TraceParseError) {
      written += count
      guard written <= limitBytes else {
        throw TraceParseError(
          reason: .invalidValue(
            what: "decompressed size",
            found: "over \(limitBytes >> 30) GiB; decompress it first (gzip -dk or zstd -d) and give the uncompressed file"),
          location: InputLocation(file: path))
      }
      var done = 0
      while done < count {
        let got = block.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + done, count - done) }
        if got < 0, errno == EINTR { continue }
        guard got > 0 else {
          throw TraceParseError(
            reason: .readFailed(detail: "writing the decompressed copy: \(String(cString: strerror(errno)))"),
            location: InputLocation(file: path))
        }
        done += got
      }
    }
  }

  /// Reads up to `buffer.count` bytes; 0 at end of file.
  private static func readBlock(_ fd: Int32, into buffer: inout [UInt8], path: String, offset: Int) throws(TraceParseError) -> Int {
    while true {
      let got = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if got < 0, errno == EINTR { continue }
      guard got >= 0 else {
        throw TraceParseError(
          reason: .readFailed(detail: "read: \(String(cString: strerror(errno)))"), location: InputLocation(file: path, byteOffset: offset))
      }
      return got
    }
  }

  private static func corrupt(_ algorithm: String, _ detail: String, path: String, offset: Int) -> TraceParseError {
    TraceParseError(
      reason: .corruptCompressedData(algorithm: algorithm, detail: detail), location: InputLocation(file: path, byteOffset: offset))
  }

  /// One decompressor call: the input bytes it used, the output bytes it produced, whether a
  /// gzip member or zstd frame is left unfinished, and the decompressor's complaint if any.
  private struct Step {
    var used = 0
    var produced = 0
    var unfinished = false
    var failure: String?
  }

  /// Feeds the file to `step` block by block and writes what it produces, until the file ends.
  /// `step` gets the unused rest of the current input block (empty to drain held-back output)
  /// and the whole output buffer, both lent for the call only.
  ///
  /// - Throws: ``TraceParseError`` `.corruptCompressedData` when `step` fails, stops making
  ///   progress, or the file ends inside a member or frame (truncated).
  private static func pump(
    from fd: Int32, into sink: inout Sink, algorithm: String, truncated: String,
    _ step: (_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) -> Step
  ) throws(TraceParseError) {
    var input = [UInt8](repeating: 0, count: blockBytes)
    var output = [UInt8](repeating: 0, count: blockBytes)
    var consumed = 0  // compressed bytes used so far: the offset errors name
    var unfinished = false
    while true {
      let got = try readBlock(fd, into: &input, path: sink.path, offset: consumed)
      if got == 0 {
        guard !unfinished else { throw corrupt(algorithm, truncated, path: sink.path, offset: consumed) }
        return
      }
      var offset = 0
      // Until the block is used and the output buffer was not filled (nothing held back).
      while true {
        let result = input.withUnsafeBytes { source in
          output.withUnsafeMutableBytes { target in step(UnsafeRawBufferPointer(rebasing: source[offset..<got]), target) }
        }
        if let failure = result.failure { throw corrupt(algorithm, failure, path: sink.path, offset: consumed + result.used) }
        try sink.write(output, count: result.produced)
        offset += result.used
        consumed += result.used
        // A call that did nothing says nothing: zstd, asked to drain after a frame ended
        // exactly at the output's end, answers that it awaits the next frame's header.
        if result.used > 0 || result.produced > 0 { unfinished = result.unfinished }
        if offset == got && result.produced < output.count { break }
        if result.used == 0 && result.produced == 0 {
          guard offset == got else { throw corrupt(algorithm, "no progress", path: sink.path, offset: consumed) }
          break
        }
      }
    }
  }

  private static func inflateAll(from fd: Int32, into sink: inout Sink) throws(TraceParseError) {
    var stream = z_stream()
    // 16 + MAX_WBITS: gzip framing only (inflateInit2 is a macro, so its function is called).
    guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw corrupt("gzip", "zlib could not start", path: sink.path, offset: 0)
    }
    defer { inflateEnd(&stream) }
    var inMember = true  // false right after a member ended: the next input starts another
    try pump(from: fd, into: &sink, algorithm: "gzip", truncated: "the file ends inside a compressed member (truncated)") {
      source, target in
      if !inMember {
        if source.isEmpty { return Step() }
        guard inflateReset(&stream) == Z_OK else { return Step(failure: "zlib could not restart") }
        inMember = true
      }
      stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress?.assumingMemoryBound(to: Bytef.self))
      stream.avail_in = uInt(source.count)
      stream.next_out = target.baseAddress!.assumingMemoryBound(to: Bytef.self)
      stream.avail_out = uInt(target.count)
      let status = inflate(&stream, Z_NO_FLUSH)
      let step = Step(used: source.count - Int(stream.avail_in), produced: target.count - Int(stream.avail_out), unfinished: true)
      // Pointers into the lent buffers must not outlive this call.
      stream.next_in = nil
      stream.next_out = nil
      switch status {
      case Z_STREAM_END:
        inMember = false
        return Step(used: step.used, produced: step.produced, unfinished: false)
      case Z_OK, Z_BUF_ERROR:
        return step
      default:
        return Step(used: step.used, failure: stream.msg.map { String(cString: $0) } ?? "zlib status \(status)")
      }
    }
  }

  private static func zstdDecompressAll(from fd: Int32, into sink: inout Sink) throws(TraceParseError) {
    guard let stream = ZSTD_createDStream() else { throw corrupt("zstd", "zstd could not start", path: sink.path, offset: 0) }
    defer { ZSTD_freeDStream(stream) }
    ZSTD_initDStream(stream)
    try pump(from: fd, into: &sink, algorithm: "zstd", truncated: "the file ends inside a frame (truncated)") { source, target in
      var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
      var outBuffer = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
      let hint = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
      if ZSTD_isError(hint) != 0 { return Step(used: inBuffer.pos, failure: String(cString: ZSTD_getErrorName(hint))) }
      // A nonzero hint: the frame wants more input.
      return Step(used: inBuffer.pos, produced: outBuffer.pos, unfinished: hint != 0)
    }
  }
}
