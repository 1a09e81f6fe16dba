import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceNative

/// A whole-file gzip or zstd trace.dat (as people attach them to bug reports) is decompressed
/// in-process by ``WholeFileDecompressor``; the plain file, decompressed by `gzip -dc`, is the
/// reference.
@Suite struct CompressedTraceDatTests {
  static let fixture = "foreign/tracedat/i686-buildroot-4.13.9-4cpu.v6.dat.gz"

  /// Every event of the trace.dat at `path`, as `cpu timestamp name` lines.
  static func eventLines(_ path: String) throws -> [String] {
    let reader = try TraceDatReader(path: path)
    var lines: [String] = []
    _ = try reader.forEachEventInTimeOrder(fields: .all) { event in
      lines.append("\(event.cpu) \(event.timestamp) \(event.name)")
    }
    return lines
  }

  /// Writes `bytes` to a new temporary file whose name ends in `suffix`.
  static func temporary(_ bytes: [UInt8], suffix: String) throws -> String {
    let path = NSTemporaryDirectory() + "pokestat-compressed-\(UUID().uuidString)\(suffix)"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test("a gzip trace.dat reads as its gzip -dc output does")
  func gzipMatchesPlain() throws {
    let plain = try Self.eventLines(try Fixtures.materialize(Self.fixture).path)
    #expect(plain.count > 1000)
    #expect(try Self.eventLines(Fixtures.url(Self.fixture).path) == plain)
  }

  @Test("a zstd trace.dat reads as the plain file does", .enabled(if: Fixtures.canRun(with: "zstd"), "needs the zstd tool"))
  func zstdMatchesPlain() throws {
    let plainPath = try Fixtures.materialize(Self.fixture).path
    let zstdPath = NSTemporaryDirectory() + "pokestat-compressed-\(UUID().uuidString).dat.zst"
    defer { try? FileManager.default.removeItem(atPath: zstdPath) }
    _ = try Fixtures.run(try #require(Fixtures.which("zstd")), ["-q", "-3", plainPath, "-o", zstdPath])
    #expect(try Self.eventLines(zstdPath) == Self.eventLines(plainPath))
  }

  @Test("a truncated gzip trace.dat is an error at a byte offset inside the file", arguments: [64, 4096, 100_000, 255_000])
  func truncatedGzip(cut: Int) throws {
    let whole = Array(try Data(contentsOf: Fixtures.url(Self.fixture)))
    let path = try Self.temporary(Array(whole.prefix(cut)), suffix: ".dat.gz")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let error = try #require(throws: TraceParseError.self) { _ = try TraceDatReader(path: path) }
    #expect(error.location.file == path)
    #expect(error.description.contains("truncated"))
    #expect((error.location.byteOffset ?? -1) <= cut)
  }

  @Test("a gzip trace.dat with a flipped byte fails its check, never a partial read", arguments: [10, 1_000, 128_000, 255_700])
  func corruptGzip(offset: Int) throws {
    var bytes = Array(try Data(contentsOf: Fixtures.url(Self.fixture)))
    bytes[offset] ^= 0x5A
    let path = try Self.temporary(bytes, suffix: ".dat.gz")
    defer { try? FileManager.default.removeItem(atPath: path) }
    // A header byte (offset 10) may leave a valid member; then the events must be whole.
    do {
      let lines = try Self.eventLines(path)
      #expect(lines == (try Self.eventLines(try Fixtures.materialize(Self.fixture).path)))
    } catch let error as TraceParseError {
      #expect(error.location.file == path)
    }
  }

  @Test("a truncated zstd stream is an error at a byte offset inside the file")
  func truncatedZstd() throws {
    // A zstd frame made by libzstd itself, so the test needs no tool: the plain file, compressed.
    let plain = Array(try Data(contentsOf: try Fixtures.materialize(Self.fixture)))
    let frame = try ZstdCompressor.compress(plain, path: Self.fixture)
    let frameBytes = frame.count
    #expect(frameBytes > 0)
    let whole = try Self.temporary(Array(frame.prefix(frameBytes)), suffix: ".dat.zst")
    defer { try? FileManager.default.removeItem(atPath: whole) }
    #expect(try Self.eventLines(whole) == Self.eventLines(try Fixtures.materialize(Self.fixture).path))
    let cut = try Self.temporary(Array(frame.prefix(frameBytes / 2)), suffix: ".dat.zst")
    defer { try? FileManager.default.removeItem(atPath: cut) }
    let error = try #require(throws: TraceParseError.self) { _ = try TraceDatReader(path: cut) }
    #expect(error.location.file == cut)
    #expect(error.description.contains("truncated"))
  }

  @Test("whole-file decompression gives the bytes back at every block boundary", arguments: [0, 1, 1 << 20, (1 << 20) + 1, 3 << 20])
  func boundaries(size: Int) throws {
    var generator = SplitMix64(seed: UInt64(size))
    // Half random, half runs: compressible, and decompressing to exactly `size` bytes.
    let original = (0..<size).map { index in index & 4096 < 2048 ? UInt8(truncatingIfNeeded: generator.next()) : UInt8(index >> 12 & 0xff) }
    let plain = try Self.temporary(original, suffix: ".bin")
    defer { try? FileManager.default.removeItem(atPath: plain) }
    _ = try Fixtures.run("/bin/gzip", ["-k", "-f", plain])
    defer { try? FileManager.default.removeItem(atPath: plain + ".gz") }
    let zstd = try Self.temporary(try ZstdCompressor.compress(original, path: plain), suffix: ".zst")
    defer { try? FileManager.default.removeItem(atPath: zstd) }
    for (path, compression) in [(plain + ".gz", Compression.gzip), (zstd, .zstd)] {
      let copy = plain + ".out"
      defer { try? FileManager.default.removeItem(atPath: copy) }
      let input = open(path, O_RDONLY)
      let output = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
      defer {
        close(input)
        close(output)
      }
      #expect(try WholeFileDecompressor.copy(compression, from: input, to: output, path: path) == size)
      #expect(Array(try Data(contentsOf: URL(fileURLWithPath: copy))) == original, "\(compression) of \(size) bytes")
    }
  }
}
