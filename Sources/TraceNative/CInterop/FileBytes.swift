#if canImport(Glibc)
  import Glibc
#endif
import TraceModel

/// An open trace file read with `pread(2)`, so memory holds only what is being decoded.
final class FileBytes {  // not Sendable: one per task
  private let descriptor: Int32
  let path: String
  let size: Int

  /// Opens with `open(2)` and sizes with `fstat(2)`.
  init(path: String) throws(NativeTraceError) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw NativeTraceError(function: "open", path: path, errno: errno) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let saved = errno
      close(fd)
      throw NativeTraceError(function: "fstat", path: path, errno: saved)
    }
    descriptor = fd
    self.path = path
    size = Int(info.st_size)
  }

  deinit { close(descriptor) }

  /// Reads `count` bytes at `offset`; fewer only at the end of the file.
  func read(at offset: Int, count: Int) throws -> [UInt8] {
    let available = max(0, min(count, size - offset))
    var buffer = [UInt8](repeating: 0, count: available)
    try read(at: offset, into: &buffer, count: available)
    return buffer
  }

  /// Fills the first `count` bytes of `buffer` from `offset` (`pread(2)`, retried on EINTR).
  func read(at offset: Int, into buffer: inout [UInt8], count: Int) throws {
    var done = 0
    while done < count {
      let result = buffer.withUnsafeMutableBytes { raw in
        pread(descriptor, raw.baseAddress! + done, count - done, off_t(offset + done))
      }
      if result < 0 {
        if errno == EINTR { continue }
        throw NativeTraceError(function: "pread", path: path, errno: errno)
      }
      if result == 0 {
        throw TraceParseError(reason: .truncated(needed: count, available: done),
                              location: InputLocation(file: path, byteOffset: offset + done))
      }
      done += result
    }
  }
}

/// A C library or system call failed; names the call, like NIO's `IOError`.
public struct NativeTraceError: Error, Hashable, Sendable, CustomStringConvertible {
  public var function: String
  public var path: String
  public var errno: Int32

  public init(function: String, path: String, errno: Int32) {
    self.function = function
    self.path = path
    self.errno = errno
  }

  public var description: String {
    "\(path): \(function) failed: \(String(cString: strerror(errno)))"
  }
}
