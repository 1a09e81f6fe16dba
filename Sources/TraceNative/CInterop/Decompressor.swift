// Unsafe code: zstd and zlib write into a buffer lent for the call (an array's
// `withUnsafeMutableBytes` or a `PageStorage`'s) and read an input lent the same way.

import CZlib
import CZstd
import TraceModel

/// The compression algorithms trace.dat v7 names in its header (`zstd`, `zlib`, `none`).
enum CompressionAlgorithm: String, Sendable {
  case none
  case zstd
  case zlib

  /// Decompresses one block whose uncompressed size the file states, into `output`
  /// (resized to fit). Calls `ZSTD_decompress` or zlib's `uncompress`.
  ///
  /// - Throws: ``TraceParseError`` `.corruptCompressedData` at `location` when the block does
  ///   not decompress to exactly `expectedSize` bytes.
  func decompress(
    _ input: ArraySlice<UInt8>, expectedSize: Int, into output: inout [UInt8], location: InputLocation
  ) throws(TraceParseError) {
    if output.count < expectedSize { output = [UInt8](repeating: 0, count: expectedSize) }
    let result = output.withUnsafeMutableBytes { target in
      Result { () throws(TraceParseError) in
        try decompress(input, expectedSize: expectedSize, into: target, location: location)
      }
    }
    try result.get()
  }

  /// Decompresses one block into the first `expectedSize` bytes of `output` (at least that
  /// large), which is not kept past the call.
  func decompress(
    _ input: ArraySlice<UInt8>, expectedSize: Int, into output: UnsafeMutableRawBufferPointer, location: InputLocation
  ) throws(TraceParseError) {
    precondition(output.count >= expectedSize, "decompression target smaller than the block")
    let produced: Int
    let failure: String?
    switch self {
    case .none:
      guard input.count == expectedSize else {
        throw TraceParseError(reason: .corruptCompressedData(algorithm: rawValue, detail: "size mismatch"), location: location)
      }
      output.copyBytes(from: input)
      return
    case .zstd:
      let result = input.withUnsafeBytes { source in
        ZSTD_decompress(output.baseAddress, expectedSize, source.baseAddress, source.count)
      }
      if ZSTD_isError(result) != 0 {
        failure = String(cString: ZSTD_getErrorName(result))
        produced = 0
      } else {
        failure = nil
        produced = result
      }
    case .zlib:
      var length = uLongf(expectedSize)
      let status = input.withUnsafeBytes { source in
        uncompress(
          output.baseAddress?.assumingMemoryBound(to: Bytef.self), &length,
          source.baseAddress?.assumingMemoryBound(to: Bytef.self), uLong(source.count))
      }
      failure = status == Z_OK ? nil : "zlib status \(status)"
      produced = Int(length)
    }
    if let failure {
      throw TraceParseError(reason: .corruptCompressedData(algorithm: rawValue, detail: failure), location: location)
    }
    guard produced == expectedSize else {
      throw TraceParseError(
        reason: .corruptCompressedData(algorithm: rawValue, detail: "decompressed to \(produced) bytes, expected \(expectedSize)"),
        location: location)
    }
  }
}
