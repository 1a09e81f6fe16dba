import Foundation
import Testing
import TracePipeline
import TraceReports
import TraceTestSupport

/// `analyze`'s table, Markdown, CSV and JSON renderings of a few real inputs, compared byte for
/// byte with the files in fixtures/golden/analyze/ (`<input file name>.<format>`), so a change
/// to any rendering shows up in review.
///
/// These files are snapshots of pokestat's own output: they guard the rendering, not the
/// numbers. The numbers are checked against independent oracles elsewhere (trace-cmd report,
/// the lab's awk summaries, the `.expected` files beside the text fixtures). After an intended
/// change, rewrite them with
/// `POKESTAT_UPDATE_GOLDEN=1 swift test --skip-build --filter AnalysisGoldenTests`.
@Suite struct AnalysisGoldenTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var input: String
    var format: ReportFormat
    var testDescription: String { "\(input) as \(format.rawValue)" }
    /// fixtures/golden/analyze/<file name>.<format extension>.
    var goldenPath: String {
      let suffix = format == .table ? "txt" : format == .markdown ? "md" : format.rawValue
      return "fixtures/golden/analyze/\((input as NSString).lastPathComponent).\(suffix)"
    }
  }

  static let inputs = [
    "fixtures/tracedat/lab61-2cpu.v7zstd.dat",  // x86 6.1 in QEMU: function_graph, FLIP markers
    "fixtures/tracedat/local618-flips-stack.v7zstd.dat",  // this machine's 6.18: ipi_send_cpu, stacks
    "fixtures/text/lab61-fgraph.txt",  // function_graph text
    "fixtures/text/local618-multi-events.perfscript.txt",  // perf script
    "fixtures/text/dmesg-seed-textpoke.txt",  // a kernel log with Took N usec lines
    "fixtures/text/interrupts-snapshots.txt",  // /proc/interrupts snapshots
  ]
  static let cases = inputs.flatMap { input in ReportFormat.allCases.map { Case(input: input, format: $0) } }

  @Test("analyze renders as its golden file", arguments: cases)
  func golden(_ testCase: Case) throws {
    let root = Fixtures.repositoryRoot.path + "/"
    let report = try Pipeline.analyze(root + testCase.input).report
    // The report names its input as given: the absolute path, made relative to the repository.
    let rendered = try AnalysisRenderer.render(report, as: testCase.format).replacingOccurrences(of: root, with: "")
    let golden = Fixtures.repositoryRoot.appendingPathComponent(testCase.goldenPath)
    if ProcessInfo.processInfo.environment["POKESTAT_UPDATE_GOLDEN"] == "1" {
      try rendered.write(to: golden, atomically: true, encoding: .utf8)
      return
    }
    let expected = try String(contentsOf: golden, encoding: .utf8)
    #expect(rendered == expected, "\(testCase.goldenPath) differs: rerun with POKESTAT_UPDATE_GOLDEN=1 after an intended change")
  }
}
