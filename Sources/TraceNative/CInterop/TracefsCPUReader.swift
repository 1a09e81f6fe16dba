// Unsafe code: a `struct tracefs_cpu *` (owned: `tracefs_cpu_close` in deinit). Each read
// writes into a `PageStorage` lent by `withUnsafeMutableBytes` for that call only.

import CTraceFS
import SystemPackage

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
  ///
  /// - Throws: ``NativeTraceError`` naming `open` or `tracefs_cpu_alloc_fd`.
  init(path: String, subbufSize: Int) throws(NativeTraceError) {
    let descriptor = try SystemCall.system("open", path: path) {
      try FileDescriptor.open(FilePath(path), .readOnly, options: [.nonBlocking, .closeOnExec])
    }
    do {
      handle = try SystemCall.nonNil("tracefs_cpu_alloc_fd", path: path, orElse: .noMemory) {
        tracefs_cpu_alloc_fd(descriptor.rawValue, Int32(subbufSize), true)
      }
    } catch {
      try? descriptor.close()
      throw error
    }
    self.path = path
    self.subbufSize = subbufSize
  }

  deinit { tracefs_cpu_close(handle) }

  /// Reads the next page into the start of `page` (at least ``subbufSize`` bytes) without
  /// blocking (`tracefs_cpu_read`), and zeroes the rest of the sub-buffer; returns the bytes
  /// read, 0 when the buffer is empty for now (EAGAIN).
  func readPage(into page: PageStorage) throws(NativeTraceError) -> Int {
    precondition(page.count >= subbufSize, "page buffer smaller than a sub-buffer")
    let count: Int
    do {
      count = Int(
        try page.withUnsafeMutableBytes { (raw) throws(NativeTraceError) in
          try SystemCall.retryingOnInterrupt("tracefs_cpu_read", path: path, orElse: .resourceTemporarilyUnavailable) {
            tracefs_cpu_read(handle, raw.baseAddress, true)
          }
        })
    } catch where error.errno == .resourceTemporarilyUnavailable {
      return 0
    }
    if count > 0, count < subbufSize {
      page.withUnsafeMutableBytes { raw in
        _ = UnsafeMutableRawBufferPointer(rebasing: raw[count..<subbufSize]).initializeMemory(as: UInt8.self, repeating: 0)
      }
    }
    return count
  }
}
