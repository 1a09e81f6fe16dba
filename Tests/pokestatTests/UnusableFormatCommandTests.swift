import Foundation
import Testing
import TraceTestSupport

/// A trace.dat one of whose event formats cannot be used (fixtures/bad/format-label-broken.v6.dat.gz,
/// made by scripts/fixtures/make-format-label-fixture.py: sched_switch's `format:` label is
/// `for*at:`): it costs that event type only, in every command, with one warning line; an exit 2
/// always has exactly one line on standard error (issue 11, gaps C, D and E).
@Suite struct UnusableFormatCommandTests {
  static let fixture = "bad/format-label-broken.v6.dat.gz"
  /// trace-cmd report 3.1.6 of the edited file, stored by the generator script.
  static let report = "bad/format-label-broken.v6.report.gz"

  static func reportLines() throws -> [Substring] {
    String(decoding: try Data(contentsOf: try Fixtures.materialize(report)), as: UTF8.self)
      .split(separator: "\n", omittingEmptySubsequences: false)
  }

  static func stderrLines(_ text: String) -> [Substring] { text.split(separator: "\n") }

  /// The one warning every command gives for this file.
  static func isFormatWarning(_ line: Substring) -> Bool {
    line.hasPrefix("pokestat: warning: ") && line.contains("event sched:sched_switch (id 94): its format has no \"format:\" line")
      && line.contains("unknown:94")
  }

  @Test("dump prints what trace-cmd report prints, [FAILED TO PARSE] for the unusable type, and warns once")
  func dump() throws {
    let path = try Fixtures.materialize(Self.fixture).path
    let result = try CommandLine.run(["dump", path])
    #expect(result.status == 0, "\(result.stderr)")
    let stored = try Self.reportLines()
    #expect(result.stdout.split(separator: "\n", omittingEmptySubsequences: false) == stored)
    #expect(stored.filter { $0.hasSuffix(" sched_switch:         [FAILED TO PARSE]") }.count == 293)
    if Fixtures.canRun(with: "trace-cmd") {
      let theirs = try Fixtures.run(Fixtures.which("trace-cmd") ?? "/usr/bin/trace-cmd", ["report", path])
      #expect(result.stdout == theirs)
    }
    let errors = Self.stderrLines(result.stderr)
    #expect(errors.count == 1 && errors.allSatisfy(Self.isFormatWarning), "\(result.stderr)")
  }

  @Test("stats and analyze count the unusable type as unknown:94, everything else as before, with one warning")
  func statsAndAnalyze() throws {
    let path = try Fixtures.materialize(Self.fixture).path
    let events = try Self.reportLines().dropFirst().filter { !$0.isEmpty }.count
    #expect(events == 293)
    let stats = try CommandLine.run(["stats", "--by-name", path])
    #expect(stats.status == 0, "\(stats.stderr)")
    #expect(stats.stdout.contains("\nevents: \(events)\n"), "\(stats.stdout)")
    #expect(stats.stdout.contains("  unknown:94: 293\n"), "\(stats.stdout)")
    #expect(Self.stderrLines(stats.stderr).count == 1 && Self.stderrLines(stats.stderr).allSatisfy(Self.isFormatWarning))
    let plain = try CommandLine.run(["stats", path])
    #expect(plain.stdout.contains("\nevents: \(events)\n"))
    let analyze = try CommandLine.run(["analyze", "--json", path])
    #expect(analyze.status == 0, "\(analyze.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(analyze.stdout.utf8)) as? [String: Any])
    #expect(json["events"] as? Int == events)
    #expect(Self.stderrLines(analyze.stderr).count == 1 && Self.stderrLines(analyze.stderr).allSatisfy(Self.isFormatWarning))
  }

  @Test("check reads it (i686: no batch, exit 1) and warns once")
  func check() throws {
    let result = try CommandLine.run(["check", try Fixtures.materialize(Self.fixture).path])
    #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("verdict: no-batches"))
    #expect(Self.stderrLines(result.stderr).count == 1 && Self.stderrLines(result.stderr).allSatisfy(Self.isFormatWarning))
  }

  @Test("every command warns about each print fmt it drops, once (print-fmt-missing-field: two events)")
  func warningsInEveryCommand() throws {
    let path = try Fixtures.materialize("bad/print-fmt-missing-field.v6.dat.gz").path
    for command in [["dump"], ["stats"], ["stats", "--by-name"], ["analyze"], ["analyze", "--json"], ["check"]] {
      let result = try CommandLine.run(command + [path])
      #expect(result.status == 0 || (command == ["check"] && result.status == 1), "\(command): \(result.stderr)")
      let lines = Self.stderrLines(result.stderr)
      #expect(lines.count == 2, "\(command): \(result.stderr)")
      #expect(lines.contains { $0.contains("event sched:sched_switch (id 94): its print fmt") }, "\(command)")
      #expect(lines.contains { $0.contains("event irq:softirq_raise (id 66): its print fmt") }, "\(command)")
    }
  }

  @Test("a trace.dat with a format warning that then fails: exit 2 and one line on standard error, the error")
  func oneLineOnFailure() throws {
    // The edited file with its last ring-buffer page's commit (4-byte long at page offset 8)
    // made larger than a page: reading fails there, after the format was withheld.
    var bytes = [UInt8](try Data(contentsOf: try Fixtures.materialize(Self.fixture)))
    #expect(bytes.count % 4096 == 0)
    let page = bytes.count - 4096
    bytes.replaceSubrange(page + 8..<page + 12, with: [0xff, 0xff, 0xff, 0x00])
    let path = NSTemporaryDirectory() + "pokestat-warn-then-fail-\(UUID().uuidString).dat"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    for command in [["dump"], ["stats"], ["stats", "--by-name"], ["analyze"], ["check"]] {
      let result = try CommandLine.run(command + [path])
      #expect(result.status == 2, "\(command): \(result.stderr)")
      let lines = Self.stderrLines(result.stderr)
      #expect(lines.count == 1, "\(command): \(result.stderr)")
      #expect(lines.first?.hasPrefix("pokestat: \(path) @ byte \(page):") == true, "\(command): \(result.stderr)")
    }
  }
}
