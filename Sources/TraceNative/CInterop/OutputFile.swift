// Unsafe code: none of its own; swift-system's `FileDescriptor` writes (and retries EINTR).

import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// A file being written, owning its descriptor (`open(2)` with `O_CREAT|O_TRUNC`, `close(2)`
/// in `deinit`), through swift-system's `FileDescriptor`.
final class OutputFile {  // not Sendable: one writer
  private let descriptor: FileDescriptor
  let path: String
  /// Bytes written so far (the file offset of the next write).
  private(set) var offset = 0

  /// Creates or truncates `path` (mode 0644).
  ///
  /// - Throws: ``NativeTraceError`` naming `open`.
  init(path: String) throws(NativeTraceError) {
    descriptor = try SystemCall.system("open", path: path) {
      try FileDescriptor.open(
        FilePath(path), .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
    }
    self.path = path
  }

  deinit { try? descriptor.close() }

  /// Appends `bytes` (`write(2)`, retried on EINTR and short writes).
  func append(_ bytes: some Collection<UInt8>) throws(NativeTraceError) {
    let written = try SystemCall.system("write", path: path) { try descriptor.writeAll(bytes) }
    offset += written
  }

  /// Overwrites bytes already written at `position` (`pwrite(2)`, retried on EINTR and
  /// short writes), for sizes known only later.
  func patch(_ bytes: [UInt8], at position: Int) throws(NativeTraceError) {
    precondition(position + bytes.count <= offset, "patching past what was written")
    _ = try SystemCall.system("pwrite", path: path) { try descriptor.writeAll(toAbsoluteOffset: Int64(position), bytes) }
  }

  /// Flushes to disk (`fsync(2)`).
  func sync() throws(NativeTraceError) {
    _ = try SystemCall.retryingOnInterrupt("fsync", path: path) { fsync(descriptor.rawValue) }
  }
}
