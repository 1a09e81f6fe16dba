#if canImport(Glibc)
  import Glibc
#endif
import TraceModel

/// Writes the decompressed bytes of a gzip or zstd file to a file descriptor, for readers that
/// need random access (a gzipped trace.dat): the text readers decompress as a stream instead.
public enum DecompressedCopy {
  /// The largest decompressed size written: past it the copy stops with an error that says
  /// to decompress the file first.
  public static let defaultLimitBytes = 8 << 30

  /// Copies `path`'s decompressed bytes (`gzip -dc` / `zstd -dc`, as ``Compression`` tells)
  /// to `descriptor` in 1 MiB blocks.
  ///
  /// - Returns: the number of bytes written.
  /// - Throws: ``TraceParseError``: the decompressor failed (corrupt or truncated input), the
  ///   output passed `limitBytes`, or `write(2)` failed (a full disk).
  public static func write(_ path: String, to descriptor: Int32, limitBytes: Int = defaultLimitBytes)
    throws(TraceParseError) -> Int
  {
    let channel = try ByteChannel.open(path)
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var total = 0
    while true {
      let got = try channel.read(into: &buffer, at: 0, count: buffer.count)
      if got == 0 { return total }
      total += got
      guard total <= limitBytes else {
        throw TraceParseError(
          reason: .invalidValue(
            what: "decompressed size",
            found: "over \(limitBytes >> 30) GiB; decompress it first (gzip -dk or zstd -d) and give the uncompressed file"),
          location: InputLocation(file: path))
      }
      var done = 0
      while done < got {
        let written = buffer.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + done, got - done) }
        if written < 0, errno == EINTR { continue }
        guard written > 0 else {
          throw TraceParseError(
            reason: .readFailed(detail: "writing the decompressed copy: \(String(cString: strerror(errno)))"),
            location: InputLocation(file: path))
        }
        done += written
      }
    }
  }
}
