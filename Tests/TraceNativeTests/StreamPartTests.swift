import Foundation
import Testing
import TraceModel
import TraceReaders
import TraceTestSupport

@testable import TraceNative

/// `pokestat stats` cuts CPU streams into parts read on every core
/// (``TraceDatReader/reducePartsConcurrently(fields:reducer:partBytes:)``): the counts must be
/// those of reading each stream whole, however small the parts.
@Suite struct StreamPartTests {
  static let selection = FieldSelection.only(["ipi:ipi_send_cpu", "ipi:ipi_send_cpumask"])

  @Test("parts of one page, of three pages and whole streams count the same events and IPI targets",
        arguments: DatFixture.all.map(\.path) + ForeignDat.all.map(\.path) + ["bench/mid-300k.v7zstd.dat"])
  func partsCountAsWholeStreams(_ path: String) throws {
    let reader = try TraceDatReader(path: try Fixtures.materialize(path).path, attachesStacks: false, readsSymbols: false)
    let whole = try reader.reduceStreamsConcurrently(fields: Self.selection, reducer: IPITargetCounter())
    #expect(whole.summary.returned + whole.skippedEvents > 0)
    for pages in [1, 3] {
      let pageSize = reader.layout.buffers[0].pageSize
      let streamParts = (0..<reader.streamCount).map { reader.parts(ofStream: $0, plainBytes: pages * pageSize).count }
      // Compressed fixtures hold one chunk per CPU, which parts do not cut, except the
      // 300k-event one (40 kB chunks); some foreign ones hold one page per CPU.
      let longerThanAPart = (0..<reader.streamCount).contains { reader.streamDataSize($0) > pages * pageSize }
      if (reader.compressionName == "none" && longerThanAPart) || path.hasPrefix("bench/") {
        #expect(streamParts.reduce(0, +) > reader.streamCount, "\(pages)-page parts cut no stream")
      }
      let parted = try reader.reducePartsConcurrently(fields: Self.selection, reducer: IPITargetCounter(), partBytes: pages * pageSize)
      #expect(parted.summary.returned == whole.summary.returned)
      #expect(parted.summary.ipiTargets == whole.summary.ipiTargets)
      #expect(parted.skippedEvents == whole.skippedEvents)
    }
  }

  @Test("the 300k-event trace cut into 3-page parts gives trace-cmd report's event and IPI-target counts",
        .enabled(if: Fixtures.canRun(with: "trace-cmd"), "trace-cmd is not installed (apt-get install trace-cmd)"))
  func partsAgainstTraceCmd() throws {
    let file = try Fixtures.materialize("bench/mid-300k.v7zstd.dat")
    let reader = try TraceDatReader(path: file.path, attachesStacks: false, readsSymbols: false)
    let parted = try reader.reducePartsConcurrently(
      fields: Self.selection, reducer: IPITargetCounter(), partBytes: 3 * reader.layout.buffers[0].pageSize)
    // The oracle: every record trace-cmd prints, and the `cpu=` field of its ipi_send_cpu lines.
    let lines = try Fixtures.traceCmdReport(file, raw: true).dropFirst().filter { !$0.hasPrefix("=>") }
    var targets: [Int: Int] = [:]
    for line in lines where line.contains("ipi_send_cpu:") {
      let field = try #require(line.split(separator: " ").first { $0.hasPrefix("cpu=") })
      targets[try #require(Int(field.dropFirst(4))), default: 0] += 1
    }
    #expect(!lines.contains { $0.contains("ipi_send_cpumask:") })
    #expect(parted.summary.returned + parted.skippedEvents == lines.count)
    #expect(parted.summary.ipiTargets == targets)
    #expect(targets.values.reduce(0, +) > 10_000)
  }

  @Test("a chunk header that does not add up leaves its stream whole, and the error is the stream's")
  func damagedChunkHeader() throws {
    var chunkHeader = 0
    try DamagedTraceDat.with("tracedat/local618-flips-nostack.v7zstd.dat", damage: { bytes, layout in
      // The first chunk's compressed size, made to run past the file.
      chunkHeader = layout.buffers[0].cpus[0].offset + 4
      for index in 0..<4 { bytes[chunkHeader + index] = 0xff }
    }) { path in
      let broken = try TraceDatReader(path: path, attachesStacks: false, readsSymbols: false)
      #expect(broken.parts(ofStream: 0, plainBytes: 4096).count == 1)
      let error = try #require(throws: TraceParseError.self) {
        _ = try broken.reducePartsConcurrently(fields: Self.selection, reducer: IPITargetCounter(), partBytes: 4096)
      }
      #expect(error.location.byteOffset == chunkHeader)
    }
  }
}
