// Unsafe code: none of its own. Chunks are decompressed into `PageStorage` through its
// `withUnsafeMutableBytes`; `ChunkPrefetcher` hands each storage from its reading thread to the
// decoder, and only one of them holds it at a time (`Batch` is `@unchecked Sendable` for that).

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

  /// File bytes read ahead of the walk: the headers and compressed bytes of the next chunks
  /// (trace-cmd's compress to a few kB each), so one `pread` serves dozens of chunks.
  private var window: [UInt8] = []
  private var windowStart = 0
  private static let windowBytes = 256 << 10

  init(file: FileBytes, layout: TraceDatLayout, pageSize: Int, nextReadOffset: Int, chunksLeft: Int, end: Int) {
    self.file = file
    self.layout = layout
    self.pageSize = pageSize
    self.nextReadOffset = nextReadOffset
    self.chunksLeft = chunksLeft
    self.end = end
  }

  private func location(_ offset: Int) -> InputLocation { InputLocation(file: layout.file, byteOffset: offset) }

  /// `count` bytes at file offset `offset`, from the window, which is refilled from `offset`
  /// when it does not hold them; fewer only at the end of the file.
  private mutating func bytes(at offset: Int, count: Int) throws -> ArraySlice<UInt8> {
    if offset < windowStart || offset + count > windowStart + window.count {
      window = try file.read(at: offset, count: max(count, Self.windowBytes))
      windowStart = offset
    }
    let start = offset - windowStart
    return window[start..<min(start + count, window.count)]
  }

  /// The next chunk, decompressed into `reusing` when it is large enough (else into new
  /// storage); nil after the last.
  ///
  /// - Throws: ``TraceParseError`` for a header past the file, a chunk size that is not whole
  ///   pages, or compressed bytes that do not decompress to it; ``NativeTraceError`` from `pread`.
  mutating func next(reusing: PageStorage?) throws -> Chunk? {
    guard let header = try nextHeader() else { return nil }
    let compressed = try bytes(at: header.start + 8, count: header.compressedSize)
    guard compressed.count == header.compressedSize else {
      throw TraceParseError(reason: .truncated(needed: header.compressedSize, available: compressed.count), location: location(header.start + 8))
    }
    let needed = header.plainSize + pageSize + RingBufferPage.slackBytes
    // A new storage's pages are all written by the decompression (or it throws): only the slack
    // after them is zeroed.
    let storage = reusing.flatMap { $0.count >= needed ? $0 : nil } ?? PageStorage(count: needed, zeroedFrom: header.plainSize)
    let compression = layout.compression
    let chunkLocation = location(header.start + 8)
    try storage.withUnsafeMutableBytes { (raw) throws(TraceParseError) in
      try compression.decompress(compressed, expectedSize: header.plainSize, into: raw, location: chunkLocation)
    }
    return Chunk(storage: storage, pages: header.plainSize / pageSize, fileOffset: header.start, bytesRead: header.bytesRead)
  }

  /// Reads and checks the next chunk's header (the chunk count first, before the first chunk)
  /// and moves past the chunk; nil after the last. `start` is the header's file offset.
  mutating func nextHeader() throws -> (start: Int, compressedSize: Int, plainSize: Int, bytesRead: Int)? {
    var bytesRead = 0
    if chunksLeft < 0 {
      guard end - nextReadOffset >= 4 else { return nil }
      var header = ByteCursor(bytes: Array(try bytes(at: nextReadOffset, count: 4)), file: layout.file,
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
    var header = ByteCursor(bytes: Array(try bytes(at: chunkStart, count: 8)), file: layout.file,
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
    nextReadOffset = chunkStart + 8 + compressedSize
    chunksLeft -= 1
    return (chunkStart, compressedSize, plainSize, bytesRead + 8 + compressedSize)
  }
}

/// Reads and decompresses a CPU's chunks on threads of their own, a few batches ahead of the
/// decoder that calls ``next()``: decompression (a third of decoding a zstd trace) then runs
/// on whichever core is free, not on the thread of the busiest CPU's stream.
///
/// Chunks go in batches of at most 8 chunks or 512 kB of pages (the first chunk past it closes
/// the batch), at most 4 batches waiting per thread, so memory stays a few MB a thread whatever
/// the chunk size (trace-cmd writes 40 kB chunks, pokestat's writer 256 kB). With `workers`
/// threads, worker `w` decompresses batches `w`, `w + workers`, ... (walking past the others'
/// chunk headers, which give every worker the same batches), and ``next()`` takes batches from
/// the workers in turn, so chunks come back in file order. An error comes back in that order
/// too, after the chunks before it: a header error outside a worker's own batches ends that
/// worker quietly, and the batch's owner reports it. Dropping the prefetcher stops its threads
/// at their next hand-off.
final class ChunkPrefetcher {
  /// Chunks moving from a reading thread to the decoder: the reading thread drops its
  /// references when it sends them.
  private struct Batch: @unchecked Sendable {
    var chunks: [CompressedChunkReader.Chunk]
    /// Closed by the size rule: the next batch comes from the next worker. A batch cut short
    /// (by the end of the data or an error) is followed by the end or the error, from the same
    /// worker.
    var isWhole: Bool
  }

  /// A reader, moved to its thread (its `FileBytes` is used there only).
  private struct ReaderBox: @unchecked Sendable {
    var reader: CompressedChunkReader
  }

  private static let batchChunks = 8
  static let defaultBatchBytes = 512 << 10
  private let channels: [ChunkChannel<Batch>]
  private var pending: [CompressedChunkReader.Chunk] = []
  private var position = 0
  /// Whole batches taken so far: the next comes from worker `batches % workers`.
  private var batches = 0
  private var finished = false

  /// Starts `readers.count` threads, one per reader (each should own a `FileBytes` of its own
  /// and start where the others do).
  ///
  /// - Parameter batchBytes: bytes of pages that close a batch (tests use small ones).
  init(_ readers: [CompressedChunkReader], batchBytes: Int = defaultBatchBytes) {
    precondition(!readers.isEmpty, "a prefetcher needs a reader")
    let workers = readers.count
    channels = readers.map { _ in ChunkChannel<Batch>(capacity: 4) }
    for (worker, reader) in readers.enumerated() {
      let channel = channels[worker]
      let box = ReaderBox(reader: reader)
      // Threads of their own, not a dispatch queue's: the stream decoders already hold the
      // global queue's threads (one per core) and wait on these.
      let thread = Thread {
        var reader = box.reader
        var batch: [CompressedChunkReader.Chunk] = []
        var batchNumber = 0
        var inBatch = 0
        var bytesInBatch = 0
        do {
          while true {
            let mine = batchNumber % workers == worker
            if mine {
              guard let chunk = try reader.next(reusing: nil) else { break }
              batch.append(chunk)
              bytesInBatch += chunk.pages * reader.pageSize
            } else {
              guard let header = try reader.nextHeader() else { break }
              bytesInBatch += header.plainSize
            }
            inBatch += 1
            if inBatch == Self.batchChunks || bytesInBatch >= batchBytes {
              if mine {
                guard channel.send(.events([Batch(chunks: batch, isWhole: true)])) else { return }
                batch = []
              }
              inBatch = 0
              bytesInBatch = 0
              batchNumber += 1
            }
          }
          if !batch.isEmpty { guard channel.send(.events([Batch(chunks: batch, isWhole: false)])) else { return } }
          _ = channel.send(.end(skipped: 0))
        } catch {
          guard batchNumber % workers == worker else {
            _ = channel.send(.end(skipped: 0))
            return
          }
          if !batch.isEmpty { guard channel.send(.events([Batch(chunks: batch, isWhole: false)])) else { return } }
          _ = channel.send(.failure(error))
        }
      }
      thread.name = "pokestat-chunks"
      thread.start()
    }
  }

  deinit { for channel in channels { channel.cancel() } }

  /// The next chunk in file order, waiting for its worker; nil after the last.
  func next() throws -> CompressedChunkReader.Chunk? {
    while position == pending.count {
      guard !finished else { return nil }
      pending = []
      position = 0
      switch channels[batches % channels.count].receive() {
      case .events(let sent):
        for batch in sent {
          pending += batch.chunks
          if batch.isWhole { batches += 1 }
        }
      case .end: finished = true
      case .failure(let error):
        finished = true
        throw error
      }
    }
    position += 1
    return pending[position - 1]
  }
}
