#if canImport(Glibc)
  import Glibc
#endif
import Foundation
import TraceModel
import TraceReaders

/// A decompressed copy of a gzip- or zstd-compressed trace.dat in the temporary directory,
/// removed when the last reader holding it goes away.
///
/// trace.dat is read at random offsets (sections, per-CPU page data), so a compressed file is
/// decompressed whole, once, to `$TMPDIR` (or `/tmp`), at most
/// ``DecompressedCopy/defaultLimitBytes`` bytes. Streams already opened keep reading after the
/// file is unlinked (they hold their own descriptors).
final class TemporaryTraceFile: Sendable {
  /// The copy's path.
  let path: String

  /// Decompresses `original` when its first bytes announce gzip or zstd; nil otherwise.
  ///
  /// - Throws: ``TraceParseError`` when the decompressor fails or the copy cannot be written.
  static func decompressingIfNeeded(_ original: String) throws -> TemporaryTraceFile? {
    guard original != "-", let handle = FileHandle(forReadingAtPath: original) else { return nil }
    let magic = handle.readData(ofLength: 4)
    try? handle.close()
    guard Compression(firstBytes: magic) != .none else { return nil }
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
    _ = try DecompressedCopy.write(original, to: fd)
    return copy
  }

  private init(path: String) { self.path = path }

  deinit { unlink(path) }
}
