#if canImport(Glibc)
  import Glibc
#endif

/// A file being written, owning its descriptor (`open(2)` with `O_CREAT|O_TRUNC`, `close(2)`
/// in `deinit`).
final class OutputFile {  // not Sendable: one writer
  private let descriptor: Int32
  let path: String
  /// Bytes written so far (the file offset of the next write).
  private(set) var offset = 0

  /// Creates or truncates `path` (mode 0644).
  init(path: String) throws(NativeTraceError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw NativeTraceError(function: "open", path: path, errno: errno) }
    descriptor = fd
    self.path = path
  }

  deinit { close(descriptor) }

  /// Appends `bytes` (`write(2)`, retried on EINTR and short writes).
  func append(_ bytes: some Collection<UInt8>) throws(NativeTraceError) {
    let array = Array(bytes)
    var done = 0
    while done < array.count {
      let result = array.withUnsafeBytes { write(descriptor, $0.baseAddress! + done, array.count - done) }
      if result < 0 {
        if errno == EINTR { continue }
        throw NativeTraceError(function: "write", path: path, errno: errno)
      }
      done += result
    }
    offset += done
  }

  /// Overwrites bytes already written at `position` (`pwrite(2)`), for sizes known only later.
  func patch(_ bytes: [UInt8], at position: Int) throws(NativeTraceError) {
    precondition(position + bytes.count <= offset, "patching past what was written")
    let result = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress!, bytes.count, off_t(position)) }
    guard result == bytes.count else { throw NativeTraceError(function: "pwrite", path: path, errno: result < 0 ? errno : EIO) }
  }

  /// Flushes to disk (`fsync(2)`).
  func sync() throws(NativeTraceError) {
    guard fsync(descriptor) == 0 else { throw NativeTraceError(function: "fsync", path: path, errno: errno) }
  }
}
