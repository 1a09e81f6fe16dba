import Foundation
import Testing
import TraceTestSupport

/// `pokestat export [--format chrome] [-o FILE]`: Chrome trace-event JSON that Perfetto and
/// chrome://tracing load.
@Suite struct ExportCommandTests {
  static let trace = "fixtures/tracedat/local618-flips-stack.v7zstd.dat"

  static func export(_ trace: String) throws -> [[String: Any]] {
    let result = try CommandLine.run(["export", "--format", "chrome", trace])
    #expect(result.status == 0, "\(result.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(json["displayTimeUnit"] as? String == "ns")
    return try #require(json["traceEvents"] as? [[String: Any]])
  }

  @Test("every event has the fields the trace-event format requires")
  func structure() throws {
    let events = try Self.export(Self.trace)
    #expect(!events.isEmpty)
    for event in events {
      #expect(event["name"] is String && event["ph"] is String && event["pid"] is Int && event["tid"] is Int)
      #expect(event["ts"] is Double || event["ts"] is Int)
      switch event["ph"] as? String {
      case "X": #expect(((event["dur"] as? Double) ?? (event["dur"] as? Int).map(Double.init) ?? -1) >= 0)
      case "i": #expect(event["s"] as? String == "t")
      case "M": #expect((event["args"] as? [String: Any])?["name"] != nil || (event["args"] as? [String: Any])?["sort_index"] != nil)
      default: Issue.record("unexpected phase \(event["ph"] ?? "nil")")
      }
    }
    let threadNames = events.filter { $0["name"] as? String == "thread_name" }.compactMap { ($0["args"] as? [String: Any])?["name"] as? String }
    #expect(threadNames.contains("cpu0") && threadNames.contains("cpu1") && threadNames.contains("flips"))
  }

  @Test("batches, flips and IPI receptions: as many as trace-cmd report shows",
        .enabled(if: Fixtures.canRun(with: "trace-cmd"), "needs trace-cmd"))
  func counts() throws {
    let events = try Self.export(Self.trace)
    let report = try Fixtures.traceCmdReport(Fixtures.repositoryRoot.appendingPathComponent(Self.trace))
    // Flips: FLIP_END markers; receptions: call_function(_single)_entry lines, each on its own CPU.
    let flips = report.filter { $0.contains("tracing_mark_write: FLIP_END") }.count
    let receptions = report.filter { $0.contains(" call_function_entry:") || $0.contains(" call_function_single_entry:") }
    let received = events.filter { $0["name"] as? String == "IPI received" }
    #expect(events.filter { $0["cat"] as? String == "flip" && $0["ph"] as? String == "X" }.count == flips)
    #expect(received.count == receptions.count)
    // Per CPU: the `[00N]` field of the report lines against the event's track.
    for cpu in 0..<2 {
      let onCPU = receptions.filter { $0.contains("[00\(cpu)]") }.count
      #expect(received.filter { $0["tid"] as? Int == cpu }.count == onCPU, "cpu\(cpu)")
    }
    // One text_poke batch per flip on this kernel (fixtures/README.md), 3 sync sends each.
    let batches = events.filter { $0["cat"] as? String == "text_poke" }
    #expect(batches.count == flips)
    let sends = report.filter { $0.contains(" ipi_send_cpu:") }.count
    #expect(events.filter { $0["name"] as? String == "IPI sent to this CPU" }.count == sends)
  }

  @Test("a lab trace's batches are complete events with their function_graph duration")
  func labDurations() throws {
    let events = try Self.export("fixtures/tracedat/lab61-2cpu.v7zstd.dat")
    let batches = events.filter { $0["cat"] as? String == "text_poke" && $0["ph"] as? String == "X" }
    #expect(batches.count == 18)
    // The lab's own awk over the function_graph text (fixtures/lab/lab61-2cpu.summary.txt): the first flip's batch.
    let first = try #require(batches.min { ($0["ts"] as! Double) < ($1["ts"] as! Double) })
    #expect(abs((first["dur"] as? Double ?? 0) - 6689.485) < 1e-6)
  }

  @Test("-o FILE, --chrome FILE and standard output write the same document; other formats are usage errors")
  func outputs() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-export-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let standardOutput = try CommandLine.run(["export", Self.trace])
    #expect(standardOutput.status == 0, "\(standardOutput.stderr)")
    #expect(standardOutput.stdout.hasPrefix("{"))
    let viaOutput = folder.appendingPathComponent("o.json").path
    let viaChrome = folder.appendingPathComponent("chrome.json").path
    #expect(try CommandLine.run(["export", "--format", "chrome", "-o", viaOutput, Self.trace]).status == 0)
    #expect(try CommandLine.run(["export", "--chrome", viaChrome, Self.trace]).status == 0)
    #expect(try String(contentsOfFile: viaOutput, encoding: .utf8) == standardOutput.stdout)
    #expect(try String(contentsOfFile: viaChrome, encoding: .utf8) == standardOutput.stdout)
    #expect(try CommandLine.run(["export", "--format", "csv", Self.trace]).status == 2)
    #expect(try CommandLine.run(["export", "--chrome", viaChrome, "-o", viaOutput, Self.trace]).status == 2)
  }
}
