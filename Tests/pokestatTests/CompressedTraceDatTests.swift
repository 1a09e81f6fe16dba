import Foundation
import Testing
import TraceTestSupport

/// A gzip-compressed trace.dat given as it is stored (`*.dat.gz`) is read: every command gives
/// what it gives on the decompressed file; a damaged one is one line and exit 2 (issue 11, gap G).
@Suite struct CompressedTraceDatTests {
  static let files = Fixtures.files(in: "foreign/tracedat", suffix: ".dat.gz").sorted()

  /// The output without its `file:` line (the paths differ).
  static func body(_ text: String) -> [Substring] { text.split(separator: "\n").filter { !$0.hasPrefix("file: ") } }

  @Test("stats on FILE.dat.gz gives what it gives on the decompressed file", arguments: files)
  func stats(_ fixture: String) throws {
    let compressed = try CommandLine.run(["stats", "fixtures/" + fixture])
    #expect(compressed.status == 0, "\(compressed.stderr)")
    #expect(compressed.stderr.isEmpty)
    let plain = try CommandLine.run(["stats", try Fixtures.materialize(fixture).path])
    #expect(Self.body(compressed.stdout) == Self.body(plain.stdout))
  }

  @Test("dump of FILE.dat.gz is trace-cmd report's output of the original, byte for byte")
  func dump() throws {
    let fixture = "foreign/tracedat/arm64-lisa-6cpu.v6.dat.gz"
    let result = try CommandLine.run(["dump", "fixtures/" + fixture])
    #expect(result.status == 0, "\(result.stderr)")
    let stored = try Data(contentsOf: try Fixtures.materialize("foreign/tracedat/arm64-lisa-6cpu.v6.report.gz"))
    #expect(Data(result.stdout.utf8) == stored)
  }

  @Test("a truncated FILE.dat.gz: exit 2, one line naming the file")
  func truncated() throws {
    let bytes = try Data(contentsOf: Fixtures.url("foreign/tracedat/i686-buildroot-4.13.9-1cpu.v6.dat.gz"))
    let path = NSTemporaryDirectory() + "pokestat-truncated-\(UUID().uuidString).dat.gz"
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    for command in ["dump", "stats", "analyze", "check"] {
      let result = try CommandLine.run([command, path])
      #expect(result.status == 2, "\(command): \(result.stderr)")
      let lines = result.stderr.split(separator: "\n")
      #expect(lines.count == 1 && lines[0].hasPrefix("pokestat: \(path)"), "\(command): \(result.stderr)")
      #expect(!result.stderr.contains("magic is [1f 8b"))
    }
  }
}
