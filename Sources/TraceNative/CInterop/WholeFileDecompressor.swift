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
  /// The container a file's first bytes announce.
  enum Container {
    /// RFC 1952 gzip, magic `1f 8b`.
    case gzip
    /// Zstandard frame, magic `28 b5 2f fd`.
    case zstd

    /// The container these first bytes announce, or nil for an uncompressed file.
    init?(firstBytes: [UInt8]) {
      if firstBytes.count >= 2, firstBytes[0] == 0x1f, firstBytes[1] == 0x8b {
        self = .gzip
      } else if firstBytes.count >= 4, Array(firstBytes.prefix(4)) == [0x28, 0xb5, 0x2f, 0xfd] {
        self = .zstd
      } else {
        return nil
      }
    }
  }

  /// The largest decompressed size written: past it the copy stops with an error that says
  /// to decompress the file first.
  static let defaultLimitBytes = 8 << 30

  private static let blockBytes = 1 << 20

  /// Writes the decompressed bytes of the file open at `input` (read from its current offset)
  /// to `output`.
  ///
  /// - Parameter path: the file's name, for error locations.
  /// - Returns: the number of decompressed bytes written.
  /// - Throws: ``TraceParseError``: `.corruptCompressedData` at the compressed byte offset where
  ///   the data stopped making sense or ended early (a truncated file), `.invalidValue` past
  ///   `limitBytes`, `.readFailed` when `read(2)` or `write(2)` fails (a full disk).
  static func copy(
    _ container: Container, from input: Int32, to output: Int32, path: String, limitBytes: Int = defaultLimitBytes
  ) throws(TraceParseError) -> Int {
    var sink = Sink(descriptor: output, path: path, limitBytes: limitBytes)
    switch container {
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

  private static func inflateAll(from fd: Int32, into sink: inout Sink) throws(TraceParseError) {
    var stream = z_stream()
    // 16 + MAX_WBITS: gzip framing only (inflateInit2 is a macro, so its function is called).
    guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw corrupt("gzip", "zlib could not start", path: sink.path, offset: 0)
    }
    defer { inflateEnd(&stream) }
    var input = [UInt8](repeating: 0, count: blockBytes)
    var output = [UInt8](repeating: 0, count: blockBytes)
    var consumed = 0  // compressed bytes handed to zlib and used
    var inMember = true  // inside a gzip member (false right after one ended)
    while true {
      let got = try readBlock(fd, into: &input, path: sink.path, offset: consumed)
      if got == 0 {
        guard !inMember else { throw corrupt("gzip", "the file ends inside a compressed member (truncated)", path: sink.path, offset: consumed) }
        return
      }
      var offsetInBlock = 0
      while offsetInBlock < got {
        if !inMember {
          guard inflateReset(&stream) == Z_OK else { throw corrupt("gzip", "zlib could not restart", path: sink.path, offset: consumed) }
          inMember = true
        }
        let step = input.withUnsafeMutableBytes { source in
          output.withUnsafeMutableBytes { target in
            stream.next_in = source.baseAddress!.assumingMemoryBound(to: Bytef.self) + offsetInBlock
            stream.avail_in = uInt(got - offsetInBlock)
            stream.next_out = target.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(target.count)
            let status = inflate(&stream, Z_NO_FLUSH)
            let used = got - offsetInBlock - Int(stream.avail_in)
            let produced = target.count - Int(stream.avail_out)
            // Pointers into the lent buffers must not outlive this call.
            stream.next_in = nil
            stream.next_out = nil
            return (used: used, produced: produced, status: status)
          }
        }
        try sink.write(output, count: step.produced)
        offsetInBlock += step.used
        consumed += step.used
        switch step.status {
        case Z_OK, Z_BUF_ERROR:
          if step.used == 0 && step.produced == 0 {
            throw corrupt("gzip", "zlib made no progress", path: sink.path, offset: consumed)
          }
        case Z_STREAM_END:
          inMember = false
        default:
          let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(step.status)"
          throw corrupt("gzip", message, path: sink.path, offset: consumed)
        }
      }
    }
  }

  private static func zstdDecompressAll(from fd: Int32, into sink: inout Sink) throws(TraceParseError) {
    guard let stream = ZSTD_createDStream() else { throw corrupt("zstd", "zstd could not start", path: sink.path, offset: 0) }
    defer { ZSTD_freeDStream(stream) }
    ZSTD_initDStream(stream)
    var input = [UInt8](repeating: 0, count: blockBytes)
    var output = [UInt8](repeating: 0, count: blockBytes)
    var consumed = 0
    var frameOpen = false  // the last call returned a nonzero hint: a frame is unfinished
    while true {
      let got = try readBlock(fd, into: &input, path: sink.path, offset: consumed)
      if got == 0 {
        guard !frameOpen else { throw corrupt("zstd", "the file ends inside a frame (truncated)", path: sink.path, offset: consumed) }
        return
      }
      var offsetInBlock = 0
      // Loops until the block is used and the output buffer was not filled (nothing held back).
      while true {
        let step = input.withUnsafeBytes { source in
          output.withUnsafeMutableBytes { target in
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress! + offsetInBlock, size: got - offsetInBlock, pos: 0)
            var outBuffer = ZSTD_outBuffer(dst: target.baseAddress!, size: target.count, pos: 0)
            let hint = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
            return (used: inBuffer.pos, produced: outBuffer.pos, hint: hint)
          }
        }
        if ZSTD_isError(step.hint) != 0 {
          throw corrupt("zstd", String(cString: ZSTD_getErrorName(step.hint)), path: sink.path, offset: consumed + step.used)
        }
        try sink.write(output, count: step.produced)
        offsetInBlock += step.used
        consumed += step.used
        frameOpen = step.hint != 0
        if offsetInBlock == got && step.produced < output.count { break }
        if step.used == 0 && step.produced == 0 {
          throw corrupt("zstd", "zstd made no progress", path: sink.path, offset: consumed)
        }
      }
    }
  }
}
