import Foundation
import Testing
import TraceAnalysis
import TraceModel
import TraceNative
import TraceReaders
import TraceTestSupport

/// The compact record path (`pokestat analyze` on trace.dat: digests from ring-buffer bytes,
/// classified events for the rest, merged across threads) against the plain ``TraceEvent``
/// path, which every other reader uses.
struct IPIRecordTests {
  static let fixtures = Fixtures.files(in: "tracedat", suffix: ".dat") + Fixtures.files(in: "tracedat", suffix: ".dat.gz")

  /// The report from compact records, and how many inputs came as records.
  static func fastReport(_ reader: TraceDatReader, chunkSize: Int) throws -> (AnalysisReport, records: Int) {
    var analyzer = IPIAnalyzer(metadata: reader.metadata)
    let symbols = reader.metadata.symbols
    var records = 0
    let skipped = try reader.forEachDigestedInTimeOrderConcurrently(
      fields: IPIAnalyzer.selection, plan: IPIRecord.digestPlan, chunkSize: chunkSize,
      transform: {
        var classifier = EventClassifier(symbols: symbols)
        return { classifier.input($0) }
      },
      time: { $0.timestamp }
    ) { input in
      if case .record = input { records += 1 }
      analyzer.consume(input)
    }
    return (analyzer.finish(skippedEvents: skipped), records)
  }

  static func eventReport(_ reader: TraceDatReader) throws -> AnalysisReport {
    var analyzer = IPIAnalyzer(metadata: reader.metadata)
    let skipped = try reader.forEachEventInTimeOrder(fields: IPIAnalyzer.selection) { analyzer.consume($0) }
    return analyzer.finish(skippedEvents: skipped)
  }

  @Test("compact records and TraceEvents give the same report", arguments: fixtures)
  func sameReport(_ fixture: String) throws {
    for attachesStacks in [true, false] {
      let reader = try TraceDatReader(path: try Fixtures.materialize(fixture).path, attachesStacks: attachesStacks)
      let expected = try Self.eventReport(reader)
      // Small chunks make the merge cross chunk boundaries often.
      for chunkSize in [7, 16384] {
        let (report, _) = try Self.fastReport(reader, chunkSize: chunkSize)
        #expect(report == expected, "\(fixture) stacks \(attachesStacks) chunk \(chunkSize)")
      }
    }
  }

  @Test("the IPI fixtures are read as compact records")
  func recordsAreUsed() throws {
    var total = 0
    for fixture in Self.fixtures {
      let reader = try TraceDatReader(path: try Fixtures.materialize(fixture).path)
      total += try Self.fastReport(reader, chunkSize: 4096).records
    }
    #expect(total > 1000)
  }
}
