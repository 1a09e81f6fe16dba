import Foundation
import Testing
import TraceTestSupport

/// `pokestat stats` and `pokestat analyze` on trace.dat files this project did not make
/// (fixtures/foreign/tracedat/): exit 0, and the event count trace-cmd report gives.
@Suite struct ForeignTraceDatCommandTests {
  static let files = (Fixtures.files(in: "foreign/tracedat", suffix: ".dat") + Fixtures.files(in: "foreign/tracedat", suffix: ".dat.gz")).sorted()

  /// Events as `trace-cmd report -R` prints them: lines after `cpus=`, without stack frames
  /// (-R prints no continuation lines for a bprint text holding a newline).
  static func reportEvents(_ path: String) throws -> Int {
    try Fixtures.traceCmdReport(try Fixtures.materialize(path), raw: true).dropFirst()
      .filter { !$0.hasPrefix("=>") && !$0.hasPrefix(" =>") && !$0.contains("EVENTS DROPPED]") }.count
  }

  @Test("stats counts every event trace-cmd report -R prints",
        .enabled(if: Fixtures.canRun(with: "trace-cmd"), "trace-cmd is not installed (apt-get install trace-cmd)"),
        arguments: files)
  func stats(_ path: String) throws {
    #expect(!Self.files.isEmpty)
    let result = try CommandLine.run(["stats", try Fixtures.materialize(path).path])
    #expect(result.status == 0, "\(result.stderr)")
    let events = result.stdout.split(separator: "\n").first { $0.hasPrefix("events: ") }.map { Int($0.dropFirst(8)) }
    #expect(events == .some(try Self.reportEvents(path)))
  }

  @Test("analyze --json runs on each and reports the file's CPUs", arguments: files)
  func analyze(_ path: String) throws {
    let result = try CommandLine.run(["analyze", "--json", try Fixtures.materialize(path).path])
    #expect(result.status == 0, "\(result.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let report = path.replacingOccurrences(of: ".dat.gz", with: ".report.gz").replacingOccurrences(of: ".dat", with: ".report.gz")
    let header = String(decoding: try Data(contentsOf: try Fixtures.materialize(report)), as: UTF8.self).prefix { $0 != "\n" }
    #expect("cpus=\(json["cpus"] as? Int ?? -1)" == header)
    #expect((json["events"] as? Int ?? 0) > 0)
  }
}
