import Foundation
import TraceAnalysis
import TraceComparison
import TraceModel
@testable import TraceNative
import TracePipeline
import TraceReaders
import TraceReports

/// The work of `pokestat dump`, `analyze --json`, `stats` and `check`, run in this process
/// through the library calls the commands make (`TracePipeline`'s ``Pipeline``, and
/// `TraceCmdReportText` for `dump`); the subprocess mode (``SubprocessRun``) runs the real binary.
enum InProcessPipeline {
  /// The four commands, by their command-line names.
  static let commands = ["dump", "analyze", "stats", "check"]

  /// check's refusal when no rules apply (the CLI's exit status 2): one line, like the CLI's.
  struct Refused: Error, CustomStringConvertible {
    var description: String
  }

  /// Runs `command` on the file at `path`.
  static func run(_ command: String, path: String) throws {
    switch command {
    case "dump":
      let reader = try TraceDatReader(path: path, attachesStacks: false)
      // The threaded printer and its fast formatters (which `dump` uses only past 16 MB of CPU
      // data) on the same bytes, one thread per stream: any error is fine, a trap is not.
      _ = try? TraceCmdReportText.forEachBlock(of: reader, blockSize: 1 << 16, streamThreads: reader.streamCount) { _ in }
      var lines = 0
      try TraceCmdReportText.forEachLine(of: reader) { _ in lines += 1 }
    case "analyze":
      // Every rendering, the HTML page's timeline (which does arithmetic on times) included.
      // The byte-range text reader (which `analyze` uses only from 64 MiB) on the same bytes,
      // cut into about five ranges: any error is fine, a trap is not.
      if let size = TraceInput.plainFileSize(path), size > 1, case .text? = try? TraceInput.open(path) {
        if let source = try? FtraceTextSource(path: path, orderedRangeBytes: max(1, size / 5)) {
          _ = try? Pipeline.analyze(.text(source), timeline: true)
        }
      }
      let analyzed = try Pipeline.analyze(path, timeline: true)
      for format in ReportFormat.allCases { _ = try AnalysisRenderer.render(analyzed.report, as: format) }
      _ = AnalysisHTML.render([AnalysisHTML.Input(report: analyzed.report, sends: analyzed.sends, host: nil)])
    case "stats":
      let count = try Pipeline.count(path)
      _ = count.tally.ipiTargets.values.reduce(0, +)
    case "check":
      let report = try Pipeline.check(try Pipeline.analyze(path).report)
      _ = try CheckRenderer.render(report, as: .table)
      // The CLI exits 2 with one line when no rules apply (unknown or unsupported architecture).
      if report.verdict.exitStatus == 2 { throw Refused(description: "\(path): check: \(report.notes.last ?? "no rules")") }
    default:
      preconditionFailure("unknown command \(command)")
    }
  }
}
