import Foundation
import Testing
import TraceTestSupport

/// One attribution of sends to text_poke feeds every number: `analyze`'s text_poke sync count,
/// its top-senders rows marked text_poke, and `compare`'s run-level and per-batch figures of the
/// same trace. These inputs used to disagree: a path's first send decided whether the whole
/// path's row was text_poke (local618-lost-events: 18 syncs, 0 text_poke sends by sender;
/// tracefs-default: 12 against 13).
@Suite struct AttributionConsistencyTests {
  static let inputs = [
    "fixtures/tracedat/local618-lost-events.v7zstd.dat", "fixtures/tracedat/local618-flips-nostack.v7zstd.dat",
    "fixtures/tracedat/lab61-2cpu.v7zstd.dat", "fixtures/text/tracefs-default.txt", "fixtures/text/tracefs-latency.txt",
  ]

  static func json(_ stdout: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
  }

  @Test("text_poke syncs and IPIs equal the sum of the top senders marked text_poke, and compare's figures", arguments: inputs)
  func consistent(_ input: String) throws {
    let analyzed = try CommandLine.run(["analyze", input, "--json"])
    #expect(analyzed.status == 0, "\(analyzed.stderr)")
    let report = try Self.json(analyzed.stdout)
    let textPoke = try #require(report["text_poke"] as? [String: Any])
    let syncs = try #require(textPoke["syncs"] as? Int), ipis = try #require(textPoke["ipis_sent"] as? Int)
    #expect(syncs > 0)
    let senders = try #require(report["top_senders"] as? [[String: Any]]).filter { $0["text_poke"] as? Bool == true }
    #expect(senders.reduce(0) { $0 + ($1["send_events"] as! Int) } == syncs)
    #expect(senders.reduce(0) { $0 + ($1["ipis"] as! Int) } == ipis)

    let compared = try CommandLine.run(["compare", input, input, "--json"])
    #expect(compared.status == 0, "\(compared.stderr)")
    let comparison = try Self.json(compared.stdout)
    let metrics = try #require(comparison["metrics"] as? [[String: Any]])
    #expect(metrics.first { $0["name"] as? String == "text_poke.syncs" }?["before"] as? Double == Double(syncs))
    #expect(metrics.first { $0["name"] as? String == "text_poke.ipis_sent" }?["before"] as? Double == Double(ipis))
    let groups = try #require(comparison["groups"] as? [[String: Any]])
    func all(_ metric: String) throws -> [Double] {
      let row = try #require(groups.first { $0["metric"] as? String == metric && $0["group"] is NSNull }, "\(metric)")
      return try #require(row["before_values"] as? [Double])
    }
    #expect(try all("batch.syncs").reduce(0, +) == Double(syncs))
    #expect(try all("batch.ipis_sent").reduce(0, +) == Double(ipis))
  }
}
