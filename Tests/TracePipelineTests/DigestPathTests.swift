import Foundation
import Testing
import TraceAnalysis
import TraceModel
import TraceNative
import TraceTestSupport

@testable import TracePipeline

/// The compact record path (`Pipeline.analyze` on a multi-CPU trace.dat: digests from
/// ring-buffer bytes, classified events for the rest, merged across threads) against the plain
/// ``TraceEvent`` path, which every other reader uses.
struct DigestPathTests {
  static let fixtures = Fixtures.files(in: "tracedat", suffix: ".dat") + Fixtures.files(in: "tracedat", suffix: ".dat.gz")

  /// The report from compact records (the pipeline's trace.dat path), and how many inputs
  /// came as records.
  static func fastReport(_ reader: TraceDatReader, chunkSize: Int) throws -> (AnalysisReport, records: Int) {
    var analyzer = IPIAnalyzer(metadata: reader.metadata)
    var records = 0
    let skipped = try Pipeline.feedDigested(reader, to: &analyzer, chunkSize: chunkSize) { input in
      if case .record = input { records += 1 }
    }
    return (analyzer.finish(skippedEvents: skipped), records)
  }

  static func eventReport(_ reader: TraceDatReader) throws -> AnalysisReport {
    try IPIAnalyzer.report(for: reader)
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
