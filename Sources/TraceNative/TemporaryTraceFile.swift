#if canImport(Glibc)
  import Glibc
#endif
import Foundation
import TraceModel

/// A decompressed copy of a gzip- or zstd-compressed trace.dat in the temporary directory,
/// removed when the last reader holding it goes away.
///
/// trace.dat is read at random offsets (sections, per-CPU page data), so a compressed file is
/// decompressed whole, once, in this process, to `$TMPDIR` (or `/tmp`), at most
/// ``WholeFileDecompressor/defaultLimitBytes`` bytes. Streams already opened keep reading after the
/// file is unlinked (they hold their own descriptors).
final class TemporaryTraceFile: Sendable {
  /// The copy's path.
  let path: String

  /// Decompresses `original` when its first bytes announce gzip or zstd; nil otherwise.
  ///
  /// - Throws: ``TraceParseError`` when the decompressor fails or the copy cannot be written.
  static func decompressingIfNeeded(_ original: String) throws -> TemporaryTraceFile? {
    guard original != "-" else { return nil }
    let input = open(original, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else { return nil }  // the reader's own open names the error
    defer { close(input) }
    var magic = [UInt8](repeating: 0, count: 4)
    let got = magic.withUnsafeMutableBytes { pread(input, $0.baseAddress, 4, 0) }
    let compression = Compression(firstBytes: magic.prefix(max(0, got)))
    guard compression != .none else { return nil }
    let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    var template = Array("\(directory)/pokestat-XXXXXX.dat".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
    guard fd >= 0 else {
      throw TraceParseError(
        reason: .readFailed(detail: "cannot create a temporary file in \(directory) to decompress it: \(String(cString: strerror(errno)))"),
        location: InputLocation(file: original))
    }
    let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    let copy = TemporaryTraceFile(path: path)
    defer { close(fd) }
    _ = try WholeFileDecompressor.copy(compression, from: input, to: fd, path: original)
    return copy
  }

  private init(path: String) { self.path = path }

  deinit { unlink(path) }
}
