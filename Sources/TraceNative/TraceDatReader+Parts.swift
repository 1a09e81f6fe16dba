import Dispatch
import Foundation
import Synchronization
import TraceModel

/// A piece of one stream's data that decodes on its own: whole v7 chunks, or whole pages.
///
/// A CPU's stream is one file region; `pokestat stats` cuts it into parts so that a trace whose
/// events sit mostly on one CPU still keeps every core busy.
struct StreamPart: Sendable {
  var stream: Int
  /// File offset of the part's first page, or of its first chunk header.
  var offset: Int
  /// File offset where the part's pages end (uncompressed data).
  var end: Int
  /// Chunks in the part (compressed v7 data); nil: pages from `offset` to `end`, or for
  /// compressed data the whole stream from its chunk count.
  var chunks: Int?
}

extension TraceDatReader {
  /// Uncompressed bytes of ring-buffer pages per part: large enough that starting a part costs
  /// nothing measurable, small enough that the last parts spread over the cores.
  public static let partPlainBytes = 16 << 20

  /// The parts of stream `index`, in file order. Compressed data is cut between chunks, found
  /// by walking the chunk headers; a header that does not add up leaves the stream whole, so
  /// its decoder reports the damage where it is.
  func parts(ofStream index: Int, plainBytes: Int = partPlainBytes) -> [StreamPart] {
    let place = streamPlaces[index]
    let data = layout.buffers[place.buffer].cpus[place.cpu]
    let pageSize = layout.buffers[place.buffer].pageSize
    let whole = StreamPart(stream: index, offset: data.offset, end: data.offset + data.size, chunks: nil)
    guard layout.compression != .none else {
      let pagesPerPart = max(1, plainBytes / pageSize)
      let pages = data.size / pageSize
      return stride(from: 0, to: max(pages, 1), by: pagesPerPart).map { first in
        let start = data.offset + first * pageSize
        let stop = first + pagesPerPart >= pages ? data.offset + data.size : start + pagesPerPart * pageSize
        return StreamPart(stream: index, offset: start, end: stop, chunks: nil)
      }
    }
    guard let file = try? FileBytes(path: layout.dataPath ?? layout.file) else { return [whole] }
    var chunks = CompressedChunkReader(
      file: file, layout: layout, pageSize: pageSize, nextReadOffset: data.offset, chunksLeft: -1, end: whole.end)
    var parts: [StreamPart] = []
    var partStart: Int?
    var partChunks = 0
    var partBytes = 0
    do {
      while let header = try chunks.nextHeader() {
        partStart = partStart ?? header.start
        partChunks += 1
        partBytes += header.plainSize
        if partBytes >= plainBytes, let start = partStart {
          parts.append(StreamPart(stream: index, offset: start, end: whole.end, chunks: partChunks))
          (partStart, partChunks, partBytes) = (nil, 0, 0)
        }
      }
    } catch {
      return [whole]
    }
    if let start = partStart { parts.append(StreamPart(stream: index, offset: start, end: whole.end, chunks: partChunks)) }
    return parts.isEmpty ? [whole] : parts
  }

  /// Like ``EventSource/reduceStreamsConcurrently(fields:reducer:)``, but each stream is cut
  /// into parts (``parts(ofStream:)``) and every core takes the next part as it finishes one,
  /// so a trace with one busy CPU is not read by one core. Events of a part are folded in
  /// order; parts are folded in any order, so `reducer` must not depend on event order.
  ///
  /// - Parameter partBytes: uncompressed bytes per part (tests cut fixtures into many).
  /// - Throws: the error of the first part, in stream and file order, that failed.
  public func reducePartsConcurrently<Reducer: EventReducer>(
    fields: FieldSelection, reducer: Reducer, partBytes: Int = partPlainBytes
  ) throws -> StreamReduction<Reducer.Summary> {
    let allParts = (0..<streamCount).flatMap { parts(ofStream: $0, plainBytes: partBytes) }
    let workers = max(1, min(allParts.count, ProcessInfo.processInfo.activeProcessorCount))
    let next = Atomic<Int>(0)
    let results = Mutex<[(summary: Reducer.Summary, skipped: Int)]>([])
    let failures = Mutex<[Int: any Error]>([:])
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      var decoders: [Int: CPUStreamDecoder] = [:]
      var summary = reducer.empty
      while true {
        let index = next.add(1, ordering: .relaxed).oldValue
        guard index < allParts.count else { break }
        let part = allParts[index]
        do {
          let decoder: CPUStreamDecoder
          if let known = decoders[part.stream] {
            decoder = known
          } else {
            let place = streamPlaces[part.stream]
            decoder = try CPUStreamDecoder(
              layout: layout, bufferIndex: place.buffer, cpuIndex: place.cpu, fields: fields,
              forPrinting: false, symbols: metadata.symbols)
            decoder.progress = progress
            decoders[part.stream] = decoder
          }
          decoder.restart(at: part)
          while let event = try decoder.nextEvent() { reducer.fold(&summary, event) }
        } catch {
          failures.withLock { $0[index] = error }
          next.store(allParts.count, ordering: .relaxed)
        }
      }
      let skipped = decoders.values.reduce(0) { $0 + $1.skippedEvents }
      results.withLock { $0.append((summary, skipped)) }
    }
    if let first = failures.withLock({ $0 }).min(by: { $0.key < $1.key }) { throw first.value }
    let collected = results.withLock { $0 }
    return StreamReduction(
      summary: collected.reduce(reducer.empty) { reducer.merge($0, $1.summary) },
      skippedEvents: collected.reduce(0) { $0 + $1.skipped })
  }
}
