#if canImport(Glibc)
  import Glibc
#endif
import CTraceFS

/// Reads one CPU's ring-buffer pages from `per_cpu/cpuN/trace_pipe_raw`, owning a
/// `struct tracefs_cpu *` (`tracefs_cpu_alloc_fd`, freed and closed by `tracefs_cpu_close`).
///
/// Each read consumes one sub-buffer (a page, `subbufSize` bytes) from the kernel: a full
/// one, or the events written so far into the page the writer is on.
final class TracefsCPUReader {  // not Sendable: created and used on its reader thread
  private let handle: OpaquePointer
  private let path: String
  /// Bytes each read returns at most: the ring buffer's sub-buffer (page) size.
  let subbufSize: Int

  /// Opens `path` (`open(2)`, nonblocking) and wraps it with `tracefs_cpu_alloc_fd`.
  init(path: String, subbufSize: Int) throws(NativeTraceError) {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw NativeTraceError(function: "open", path: path, errno: errno) }
    errno = 0
    guard let handle = tracefs_cpu_alloc_fd(fd, Int32(subbufSize), true) else {
      let saved = errno
      close(fd)
      throw NativeTraceError(function: "tracefs_cpu_alloc_fd", path: path, errno: saved == 0 ? ENOMEM : saved)
    }
    self.handle = handle
    self.path = path
    self.subbufSize = subbufSize
  }

  deinit { tracefs_cpu_close(handle) }

  /// Reads the next page into `page` (at least ``subbufSize`` bytes) without blocking
  /// (`tracefs_cpu_read`); returns the bytes read, 0 when the buffer is empty for now.
  func readPage(into page: inout [UInt8]) throws(NativeTraceError) -> Int {
    precondition(page.count >= subbufSize, "page buffer smaller than a sub-buffer")
    while true {
      errno = 0
      let result = page.withUnsafeMutableBytes { tracefs_cpu_read(handle, $0.baseAddress, true) }
      if result > 0 { return Int(result) }
      if result == 0 { return 0 }
      switch errno {
      case EINTR: continue
      case EAGAIN, 0: return 0
      default: throw NativeTraceError(function: "tracefs_cpu_read", path: path, errno: errno)
      }
    }
  }
}
