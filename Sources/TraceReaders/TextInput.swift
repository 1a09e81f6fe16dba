#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import Foundation
import TraceModel

/// An open byte stream: a file, standard input, or the output of `gzip -dc` / `zstd -dc`.
///
/// Owns its file descriptor (and decompressor process) and closes it in `deinit`. Not
/// `Sendable`: a reader lives in one task.
final class ByteChannel {
  /// The path as the user gave it (`-` for standard input), for error locations.
  let path: String
  private let fd: Int32
  private let ownsDescriptor: Bool
  private let process: Process?
  private var finished = false
  /// For a byte range of a file (``open(_:byteRange:)``): the bytes of the range not yet read.
  private var remaining: Int?

  private init(path: String, fd: Int32, ownsDescriptor: Bool, process: Process?, remaining: Int? = nil) {
    self.path = path
    self.fd = fd
    self.ownsDescriptor = ownsDescriptor
    self.process = process
    self.remaining = remaining
  }

  /// Opens the bytes `byteRange` of the regular, uncompressed file `path`: reading starts at
  /// `byteRange.lowerBound` and ends (returns 0) at `byteRange.upperBound`.
  static func open(_ path: String, byteRange: Range<Int>) throws(TraceParseError) -> ByteChannel {
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0, lseek(fd, off_t(byteRange.lowerBound), SEEK_SET) == off_t(byteRange.lowerBound) else {
      let detail = String(cString: strerror(errno))
      if fd >= 0 { close(fd) }
      throw TraceParseError(reason: .readFailed(detail: "open: \(detail)"), location: InputLocation(file: path))
    }
    return ByteChannel(path: path, fd: fd, ownsDescriptor: true, process: nil, remaining: byteRange.count)
  }

  /// The number of `\n` bytes in the first `offset` bytes of the file `path` (the lines before a
  /// byte range that starts a line), read with `pread(2)` in 1 MiB blocks.
  static func countLines(in path: String, before offset: Int) throws(TraceParseError) -> Int {
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw TraceParseError(
        reason: .readFailed(detail: "open: \(String(cString: strerror(errno)))"), location: InputLocation(file: path))
    }
    defer { close(fd) }
    var block = [UInt8](repeating: 0, count: 1 << 20)
    var position = 0
    var lines = 0
    while position < offset {
      let want = min(block.count, offset - position)
      let got = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(position)) }
      if got < 0, errno == EINTR { continue }
      guard got > 0 else {
        throw TraceParseError(
          reason: .readFailed(detail: "pread: \(got == 0 ? "file shrank" : String(cString: strerror(errno)))"),
          location: InputLocation(file: path))
      }
      lines += block.withUnsafeBytes { raw in
        var count = 0
        var p = raw.baseAddress!
        let end = p + got
        while p < end, let hit = memchr(p, 0x0A, end - p) {
          count += 1
          p = UnsafeRawPointer(hit) + 1
        }
        return count
      }
      position += got
    }
    return lines
  }

  deinit {
    if let process, process.isRunning { process.terminate() }
    if ownsDescriptor { close(fd) }
  }

  /// Opens `path` (`-` is standard input), transparently decompressing gzip and zstd files
  /// by running `gzip -dc` or `zstd -dc` (the C decompressors live in `TraceNative`).
  ///
  /// Compressed standard input is not decompressed: its first bytes are already consumed
  /// when the magic is seen.
  static func open(_ path: String, decompress: Bool = true) throws(TraceParseError) -> ByteChannel {
    if path == "-" {
      return ByteChannel(path: path, fd: STDIN_FILENO, ownsDescriptor: false, process: nil)
    }
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw TraceParseError(
        reason: .readFailed(detail: "open: \(String(cString: strerror(errno)))"),
        location: InputLocation(file: path))
    }
    var magic = [UInt8](repeating: 0, count: 4)
    let got = magic.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 4, 0) }
    let compression = Compression(firstBytes: magic.prefix(max(0, got)))
    guard compression != .none, decompress else {
      return ByteChannel(path: path, fd: fd, ownsDescriptor: true, process: nil)
    }
    close(fd)
    let tool = compression == .gzip ? "gzip" : "zstd"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool, "-dc", "--", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    // Its complaint (a truncated or corrupt file) becomes the error's text.
    process.standardError = Pipe()
    do { try process.run() } catch {
      throw TraceParseError(
        reason: .readFailed(detail: "cannot run \(tool) -dc: \(error)"), location: InputLocation(file: path))
    }
    let readFD = dup(pipe.fileHandleForReading.fileDescriptor)
    return ByteChannel(path: path, fd: readFD, ownsDescriptor: true, process: process)
  }

  /// Reads up to `count` bytes into `buffer` at `offset` with `read(2)`, retrying on `EINTR`;
  /// returns 0 at the end of the input.
  func read(into buffer: inout [UInt8], at offset: Int, count wanted: Int) throws(TraceParseError) -> Int {
    if finished { return 0 }
    var count = wanted
    if let remaining {
      if remaining == 0 {
        finished = true
        return 0
      }
      count = min(count, remaining)
    }
    while true {
      let got = buffer.withUnsafeMutableBytes { raw in
        Glibc.read(fd, raw.baseAddress! + offset, count)
      }
      if got > 0 {
        if let remaining { self.remaining = remaining - got }
        return got
      }
      if got == 0 {
        finished = true
        if let process {
          process.waitUntilExit()
          if process.terminationStatus != 0 {
            let complaint = (process.standardError as? Pipe).flatMap { pipe in
              String(decoding: pipe.fileHandleForReading.availableData.prefix(4096), as: UTF8.self)
                .split(separator: "\n").first.map(String.init)
            }
            let tool = process.arguments?.first ?? "decompressor"
            throw TraceParseError(
              reason: .readFailed(
                detail: "\(tool) -dc exited with status \(process.terminationStatus)" + (complaint.map { ": \($0)" } ?? "")),
              location: InputLocation(file: path))
          }
        }
        return 0
      }
      if errno == EINTR { continue }
      throw TraceParseError(
        reason: .readFailed(detail: "read: \(String(cString: strerror(errno)))"),
        location: InputLocation(file: path))
    }
  }
}
