// Unsafe code: none of its own. Chunks are decompressed into `PageStorage` through its
// `withUnsafeMutableBytes`; `ChunkPrefetcher` hands each storage from its reading thread to the
// decoder, and only one of them holds it at a time (`Handoff` is `@unchecked Sendable` for that).

import Foundation
import TraceModel

/// Reads one CPU's compressed v7 data in file order: its chunk count, then each chunk's
/// header, compressed bytes and their decompression into ``PageStorage``.
struct CompressedChunkReader {
  /// One decompressed chunk: whole pages, plus slack after them.
  struct Chunk {
    var storage: PageStorage
    var pages: Int
    /// The chunk's file offset (its header): what errors about its pages name.
    var fileOffset: Int
    /// File bytes read for it (its header, its compressed bytes, the chunk count before the first).
    var bytesRead: Int
  }

  let file: FileBytes
  let layout: TraceDatLayout
  let pageSize: Int
  /// Where the next chunk header (or, before the first, the chunk count) is.
  var nextReadOffset: Int
  /// Chunks left; -1 before the count is read.
  var chunksLeft: Int
  /// Where this CPU's data ends.
  let end: Int

  private func location(_ offset: Int) -> InputLocation { InputLocation(file: layout.file, byteOffset: offset) }

  /// The next chunk, decompressed into `reusing` when it is large enough (else into new
  /// storage); nil after the last.
  ///
  /// - Throws: ``TraceParseError`` for a header past the file, a chunk size that is not whole
  ///   pages, or compressed bytes that do not decompress to it; ``NativeTraceError`` from `pread`.
  mutating func next(reusing: PageStorage?) throws -> Chunk? {
    var bytesRead = 0
    if chunksLeft < 0 {
      guard end - nextReadOffset >= 4 else { return nil }
      var header = ByteCursor(bytes: try file.read(at: nextReadOffset, count: 4), file: layout.file,
                              baseOffset: nextReadOffset, bigEndian: layout.bigEndian)
      chunksLeft = Int(try header.readUInt32())
      nextReadOffset += 4
      bytesRead += 4
    }
    guard chunksLeft > 0 else { return nil }
    let chunkStart = nextReadOffset
    guard layout.fileSize - chunkStart >= 8 else {
      throw TraceParseError(reason: .truncated(needed: 8, available: layout.fileSize - chunkStart), location: location(chunkStart))
    }
    var header = ByteCursor(bytes: try file.read(at: chunkStart, count: 8), file: layout.file,
                            baseOffset: chunkStart, bigEndian: layout.bigEndian)
    let compressedSize = Int(try header.readUInt32())
    let plainSize = Int(try header.readUInt32())
    guard compressedSize <= layout.fileSize - chunkStart - 8 else {
      throw TraceParseError(reason: .sectionPastEnd(section: "compressed chunk", end: chunkStart + 8 + compressedSize, fileSize: layout.fileSize),
                            location: location(chunkStart))
    }
    guard plainSize % pageSize == 0, plainSize <= 1 << 28 else {
      throw TraceParseError(reason: .invalidValue(what: "chunk size", found: "\(plainSize) bytes is not a whole number of \(pageSize)-byte pages"),
                            location: location(chunkStart + 4))
    }
    let compressed = try file.read(at: chunkStart + 8, count: compressedSize)
    let needed = plainSize + pageSize + RingBufferPage.slackBytes
    // A new storage's pages are all written by the decompression (or it throws): only the slack
    // after them is zeroed.
    let storage = reusing.flatMap { $0.count >= needed ? $0 : nil } ?? PageStorage(count: needed, zeroedFrom: plainSize)
    let compression = layout.compression
    let chunkLocation = location(chunkStart + 8)
    try storage.withUnsafeMutableBytes { (raw) throws(TraceParseError) in
      try compression.decompress(compressed[...], expectedSize: plainSize, into: raw, location: chunkLocation)
    }
    nextReadOffset = chunkStart + 8 + compressedSize
    chunksLeft -= 1
    return Chunk(storage: storage, pages: plainSize / pageSize, fileOffset: chunkStart, bytesRead: bytesRead + 8 + compressedSize)
  }
}

/// Reads and decompresses a CPU's chunks on a thread of its own, a few batches ahead of the
/// decoder that calls ``next()``: decompression (a third of decoding a zstd trace) then runs
/// on whichever core is free, not on the thread of the busiest CPU's stream.
///
/// Errors come back from ``next()`` in file order, after the chunks before them. Dropping the
/// prefetcher stops its thread at its next hand-off.
final class ChunkPrefetcher {
  /// A chunk moving from the reading thread to the decoder: the reading thread drops its
  /// reference when it sends it.
  private struct Handoff: @unchecked Sendable {
    var chunk: CompressedChunkReader.Chunk
  }

  /// The reader, moved to the reading thread (its `FileBytes` is used there only).
  private struct ReaderBox: @unchecked Sendable {
    var reader: CompressedChunkReader
  }

  /// Chunks per hand-off: one semaphore round trip per 8 chunks (about 320 kB of pages).
  private static let batch = 8
  private let channel = ChunkChannel<Handoff>(capacity: 4)
  private var pending: [Handoff] = []
  private var position = 0
  private var finished = false

  /// Starts reading with `reader` (which should own a `FileBytes` of its own).
  init(_ reader: CompressedChunkReader) {
    let channel = self.channel
    let box = ReaderBox(reader: reader)
    // A thread of its own, not a dispatch queue's: the stream decoders already hold the global
    // queue's threads (one per core) and wait on this one.
    let thread = Thread {
      var reader = box.reader
      var batch: [Handoff] = []
      do {
        while let chunk = try reader.next(reusing: nil) {
          batch.append(Handoff(chunk: chunk))
          if batch.count == Self.batch {
            guard channel.send(.events(batch)) else { return }
            batch = []
          }
        }
        if !batch.isEmpty { guard channel.send(.events(batch)) else { return } }
        _ = channel.send(.end(skipped: 0))
      } catch {
        if !batch.isEmpty { guard channel.send(.events(batch)) else { return } }
        _ = channel.send(.failure(error))
      }
    }
    thread.name = "pokestat-chunks"
    thread.start()
  }

  deinit { channel.cancel() }

  /// The next chunk in file order, waiting for the reading thread; nil after the last.
  func next() throws -> CompressedChunkReader.Chunk? {
    while position == pending.count {
      guard !finished else { return nil }
      pending = []
      position = 0
      switch channel.receive() {
      case .events(let chunks): pending = chunks
      case .end: finished = true
      case .failure(let error):
        finished = true
        throw error
      }
    }
    position += 1
    return pending[position - 1].chunk
  }
}
