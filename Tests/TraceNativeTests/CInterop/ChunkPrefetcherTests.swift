import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceNative

/// Time-ordered readers decompress chunks on a thread of their own (``ChunkPrefetcher``): the
/// events, and the error of a damaged chunk, must be those of decompressing in line.
@Suite struct ChunkPrefetcherTests {
  /// Every event of every stream as (timestamp, cpu, name), or the error that stopped it.
  static func read(_ path: String, readAheadThreads: Int) throws -> ([[String]], TraceParseError?) {
    let reader = try TraceDatReader(path: path, attachesStacks: false, readsSymbols: false)
    var streams: [[String]] = []
    for place in reader.streamPlaces {
      let decoder = try CPUStreamDecoder(
        layout: reader.layout, bufferIndex: place.buffer, cpuIndex: place.cpu, fields: .none,
        forPrinting: false, symbols: SymbolTable())
      decoder.readAheadThreads = readAheadThreads
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
    let inline = try Self.read(path, readAheadThreads: 0)
    #expect(inline.1 == nil)
    for threads in 1...3 {
      let ahead = try Self.read(path, readAheadThreads: threads)
      #expect(ahead.1 == nil)
      #expect(inline.0 == ahead.0, "\(threads) threads")
    }
    #expect(inline.0.joined().count > 200)
  }

  @Test("chunks come back in file order whatever the batch size and the thread count",
        arguments: [1, 100_000, ChunkPrefetcher.defaultBatchBytes])
  func fileOrder(_ batchBytes: Int) throws {
    let path = try Fixtures.materialize("bench/mid-300k.v7zstd.dat").path
    let layout = try TraceDatReader(path: path, attachesStacks: false, readsSymbols: false).layout
    let data = layout.buffers[0].cpus[0]
    func reader() throws -> CompressedChunkReader {
      CompressedChunkReader(file: try FileBytes(path: path), layout: layout, pageSize: layout.buffers[0].pageSize,
                            nextReadOffset: data.offset, chunksLeft: -1, end: data.offset + data.size)
    }
    var inline = try reader()
    var expected: [Int] = []
    while let chunk = try inline.next(reusing: nil) { expected.append(chunk.fileOffset) }
    #expect(expected.count > 20)
    for threads in 1...3 {
      let prefetcher = ChunkPrefetcher(try (0..<threads).map { _ in try reader() }, batchBytes: batchBytes)
      var offsets: [Int] = []
      while let chunk = try prefetcher.next() { offsets.append(chunk.fileOffset) }
      #expect(offsets == expected, "\(threads) threads")
    }
  }

  /// How the 20th chunk of CPU 0 is damaged: its compressed bytes (only the thread that
  /// decompresses it sees that), or its header's compressed size (every thread walks past it).
  enum ChunkDamage: String, CaseIterable, Sendable {
    case compressedBytes
    case headerSize
  }

  @Test("a damaged chunk in the middle: the same events before it, the same error at its offset",
        arguments: ChunkDamage.allCases)
  func damagedChunk(_ damage: ChunkDamage) throws {
    var damagedAt = 0
    try DamagedTraceDat.with("bench/mid-300k.v7zstd.dat", damage: { bytes, layout in
      var offset = layout.buffers[0].cpus[0].offset + 4
      for _ in 0..<20 {
        offset += 8 + (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
      }
      switch damage {
      case .compressedBytes:
        damagedAt = offset + 8
        for index in damagedAt..<damagedAt + 32 { bytes[index] = 0x5a }
      case .headerSize:
        damagedAt = offset
        for index in offset..<offset + 4 { bytes[index] = 0xff }
      }
    }) { path in
      let inline = try Self.read(path, readAheadThreads: 0)
      #expect(inline.1?.location.byteOffset == damagedAt)
      #expect(inline.0[0].count > 1000)
      for threads in 1...3 {
        let ahead = try Self.read(path, readAheadThreads: threads)
        #expect(ahead.1?.description == inline.1?.description, "\(threads) threads")
        #expect(ahead.0 == inline.0, "\(threads) threads")
      }
    }
  }
}
