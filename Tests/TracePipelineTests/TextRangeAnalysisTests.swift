import Foundation
import Testing
import TraceAnalysis
import TraceModel
import TraceReaders
import TraceTestSupport

@testable import TracePipeline

/// `Pipeline.analyze` on ftrace/report text read in byte ranges on several threads (events
/// parsed and classified there, fed in file order) against one stream over the whole file.
/// Every output format renders the report, the metadata and the sends compared here.
struct TextRangeAnalysisTests {
  /// The text fixtures read as ftrace or report text (the others are not analyzed as text).
  static let fixtures = Fixtures.textFiles().filter { fixture in
    guard let path = try? Fixtures.materialize(fixture).path,
      let (format, _) = try? detectInput(path: path)
    else {
      return false
    }
    return format == .ftraceText || format == .traceCmdReport
  }

  /// The analysis of `path` opened as `source`, or the error it ended with.
  static func analysis(_ source: FtraceTextSource, lenient: Bool) -> Result<
    AnalyzedTrace, TraceParseError
  > {
    do {
      return .success(try Pipeline.analyze(.text(source), lenient: lenient, timeline: true))
    } catch let error as TraceParseError {
      return .failure(error)
    } catch {
      Issue.record("unexpected error \(error)")
      return .failure(
        TraceParseError(reason: .readFailed(detail: "\(error)"), location: InputLocation(file: "")))
    }
  }

  @Test("analyze reads byte ranges to the one-stream report", arguments: fixtures)
  func rangesGiveOneStreamReport(_ fixture: String) throws {
    let path = try Fixtures.materialize(fixture).path
    let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
    for lenient in [false, true] {
      let options = TextReaderOptions(lenient: lenient)
      let one = try FtraceTextSource(path: path, options: options)
      #expect(one.streamCount == 1)
      let expected = Self.analysis(one, lenient: lenient)
      for ranges in [2, 7, 19] {
        let source = try FtraceTextSource(
          path: path, options: options, orderedRangeBytes: max(1, size / ranges))
        let actual = Self.analysis(source, lenient: lenient)
        let context = "\(fixture) lenient \(lenient) ranges \(source.streamCount)/\(ranges)"
        switch (expected, actual) {
        case (.success(let a), .success(let b)):
          #expect(a.report == b.report, "\(context)")
          #expect(a.sends == b.sends, "\(context)")
          #expect(a.metadata.cpuCount == b.metadata.cpuCount, "\(context)")
          #expect(a.metadata.formatDescription == b.metadata.formatDescription, "\(context)")
        case (.failure(let a), .failure(let b)):
          #expect(a == b, "\(context)")
        default:
          Issue.record("\(context): \(expected) against \(actual)")
        }
      }
    }
  }
}
