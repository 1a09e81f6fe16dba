// Unsafe code: `read(at:into:)` fills a buffer its caller lends for the call only (through
// swift-system's `FileDescriptor`, which retries EINTR); nothing keeps the pointer.

import SystemPackage
import TraceModel

/// An open trace file read with `pread(2)`, so memory holds only what is being decoded.
final class FileBytes {  // not Sendable: one per task
  private let descriptor: FileDescriptor
  let path: String
  /// The file's size in bytes when it was opened.
  let size: Int

  /// Opens with `open(2)` and sizes with `fstat(2)` (swift-system's `FileDescriptor`).
  ///
  /// - Throws: ``NativeTraceError`` naming `open` or `fstat`.
  init(path: String) throws(NativeTraceError) {
    let descriptor = try SystemCall.system("open", path: path) {
      try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
    }
    do {
      size = Int(try SystemCall.system("fstat", path: path) { try descriptor.stat().size })
    } catch {
      try? descriptor.close()
      throw error
    }
    self.descriptor = descriptor
    self.path = path
  }

  deinit { try? descriptor.close() }

  /// Reads `count` bytes at `offset`; fewer only at the end of the file.
  func read(at offset: Int, count: Int) throws -> [UInt8] {
    let available = max(0, min(count, size - offset))
    var buffer = [UInt8](repeating: 0, count: available)
    try buffer.withUnsafeMutableBytes { raw in try read(at: offset, into: raw) }
    return buffer
  }

  /// Fills `buffer` from `offset` (`pread(2)`, retried on EINTR and short reads).
  ///
  /// - Throws: ``TraceParseError`` `.truncated` when the file ends first, ``NativeTraceError``
  ///   naming `pread`.
  func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
    var done = 0
    while done < buffer.count {
      let result = try SystemCall.system("pread", path: path) {
        try descriptor.read(
          fromAbsoluteOffset: Int64(offset + done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
      }
      if result == 0 {
        throw TraceParseError(reason: .truncated(needed: buffer.count, available: done),
                              location: InputLocation(file: path, byteOffset: offset + done))
      }
      done += result
    }
  }
}
