// Unsafe code: zstd reads and writes arrays lent by `withUnsafe*Bytes` for the one call.

import CZstd
import SystemPackage

/// zstd compression of trace.dat v7 sections and trace-data chunks (`ZSTD_compress`).
enum ZstdCompressor {
  /// The library version trace.dat's header names (`ZSTD_versionString`).
  static var version: String { String(cString: ZSTD_versionString()) }

  /// Compresses `input` in one frame (`ZSTD_compressBound`, `ZSTD_compress`, level 3).
  ///
  /// - Throws: ``NativeTraceError`` naming `ZSTD_compress` (errno EIO) when zstd reports an error.
  static func compress(_ input: [UInt8], path: String) throws(NativeTraceError) -> [UInt8] {
    var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
    let size = input.withUnsafeBytes { source in
      output.withUnsafeMutableBytes { target in
        ZSTD_compress(target.baseAddress, target.count, source.baseAddress, source.count, 3)
      }
    }
    guard ZSTD_isError(size) == 0 else { throw NativeTraceError(function: "ZSTD_compress", path: path, errno: .ioError) }
    output.removeSubrange(size...)
    return output
  }
}
