import Foundation

/// Buffered output to standard output or to the file given with `-o`.
final class OutputSink {
  private let handle: FileHandle
  private var buffer: [UInt8] = []

  init(path: String?) throws {
    if let path, path != "-" {
      guard FileManager.default.createFile(atPath: path, contents: nil) else {
        throw InputFailure("cannot create \(path)")
      }
      handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    } else {
      handle = FileHandle.standardOutput
    }
    buffer.reserveCapacity(1 << 16)
  }

  func write(_ text: String) {
    buffer.append(contentsOf: text.utf8)
    if buffer.count >= 1 << 16 { flush() }
  }

  /// Appends bytes as they are (text that need not be UTF-8).
  func write(bytes: [UInt8]) {
    buffer.append(contentsOf: bytes)
    if buffer.count >= 1 << 16 { flush() }
  }

  /// Writes a large block at once, after what is buffered (one write, no copy into the buffer).
  func writeBlock(_ bytes: [UInt8]) {
    flush()
    handle.write(Data(bytes))
  }

  func flush() {
    guard !buffer.isEmpty else { return }
    handle.write(Data(buffer))
    buffer.removeAll(keepingCapacity: true)
  }

  deinit { flush() }
}
