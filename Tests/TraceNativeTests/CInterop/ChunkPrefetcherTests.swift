import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceNative

/// Time-ordered readers decompress chunks on a thread of their own (``ChunkPrefetcher``): the
/// events, and the error of a damaged chunk, must be those of decompressing in line.
@Suite struct ChunkPrefetcherTests {
  /// Every event of every stream as (timestamp, cpu, name), or the error that stopped it.
  static func read(_ path: String, readsAhead: Bool) throws -> ([[String]], TraceParseError?) {
    let reader = try TraceDatReader(path: path, attachesStacks: false, readsSymbols: false)
    var streams: [[String]] = []
    for place in reader.streamPlaces {
      let decoder = try CPUStreamDecoder(
        layout: reader.layout, bufferIndex: place.buffer, cpuIndex: place.cpu, fields: .none,
        forPrinting: false, symbols: SymbolTable())
      decoder.readsAhead = readsAhead
      var events: [String] = []
      do {
        while let event = try decoder.nextEvent() {
          events.append("\(event.timestamp.nanoseconds) \(event.cpu) \(event.system):\(event.name) \(event.lostBefore)")
        }
      } catch let error as TraceParseError {
        streams.append(events)
        return (streams, error)
      }
      streams.append(events)
    }
    return (streams, nil)
  }

  @Test("the events of every chunk, read ahead or in line",
        arguments: ["bench/mid-300k.v7zstd.dat", "tracedat/lab61-4cpu.v7zstd.dat", "tracedat/local618-lost-events.v7zstd.dat",
                    "tracedat/local618-flips-stack.v7zlib.dat", "foreign/tracedat/x86_64-vbox-5.15-tc314.v7zstd.dat"])
  func sameEvents(_ fixture: String) throws {
    let path = try Fixtures.materialize(fixture).path
    let inline = try Self.read(path, readsAhead: false)
    let ahead = try Self.read(path, readsAhead: true)
    #expect(inline.1 == nil)
    #expect(ahead.1 == nil)
    #expect(inline.0 == ahead.0)
    #expect(inline.0.joined().count > 200)
  }

  @Test("a damaged chunk in the middle: the same events before it, the same error at its offset")
  func damagedChunk() throws {
    let path = try Fixtures.materialize("bench/mid-300k.v7zstd.dat").path
    let reader = try TraceDatReader(path: path, attachesStacks: false, readsSymbols: false)
    let data = reader.layout.buffers[0].cpus[0]
    var bytes = try FileBytes(path: path).read(at: 0, count: reader.layout.fileSize)
    // Walk to the 20th chunk of CPU 0 and overwrite its compressed bytes.
    var offset = data.offset + 4
    for _ in 0..<20 {
      let compressed = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
      offset += 8 + compressed
    }
    for index in offset + 8..<offset + 40 { bytes[index] = 0x5a }
    let damaged = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-prefetch-\(getpid()).dat")
    try Data(bytes).write(to: damaged)
    defer { try? FileManager.default.removeItem(at: damaged) }
    let inline = try Self.read(damaged.path, readsAhead: false)
    let ahead = try Self.read(damaged.path, readsAhead: true)
    let error = try #require(ahead.1)
    #expect(error.description == inline.1?.description)
    #expect(error.location.byteOffset == offset + 8)
    #expect(ahead.0 == inline.0)
    #expect(ahead.0[0].count > 1000)
  }
}
