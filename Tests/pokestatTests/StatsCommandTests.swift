import Foundation
import Testing
import TraceTestSupport

/// `pokestat stats` in every output format: the same counts, checked against trace-cmd report.
@Suite struct StatsCommandTests {
  static let trace = "fixtures/tracedat/local618-flips-stack.v7zstd.dat"

  /// `events:`, `ipi targets:` and the `cpu N:` lines of the default output.
  static func tableCounts(_ text: String) -> (events: Int, targets: Int, perCPU: [Int: Int]) {
    var events = -1
    var targets = -1
    var perCPU: [Int: Int] = [:]
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
      guard parts.count == 2, let value = Int(parts[1]) else { continue }
      if parts[0] == "events" { events = value }
      if parts[0] == "ipi targets" { targets = value }
      if parts[0].hasPrefix("cpu "), let cpu = Int(parts[0].dropFirst(4)) { perCPU[cpu] = value }
    }
    return (events, targets, perCPU)
  }

  @Test("the table's counts are trace-cmd report's: one event a line, IPI targets from cpu= and cpumask=",
        .enabled(if: Fixtures.canRun(with: "trace-cmd"), "needs trace-cmd (the oracle)"))
  func tableMatchesReport() throws {
    let result = try CommandLine.run(["stats", Self.trace])
    #expect(result.status == 0, "\(result.stderr)")
    let counts = Self.tableCounts(result.stdout)
    let report = try Fixtures.traceCmdReport(Fixtures.repositoryRoot.appendingPathComponent(Self.trace))
    // Event lines carry "[CPU] timestamp:"; the header (cpus=) and stack frames (=>) do not.
    let eventLines = report.filter { $0.contains("] ") && !$0.hasPrefix("cpus=") && !$0.contains("=> ") }
    #expect(counts.events == eventLines.count)
    var targets: [Int: Int] = [:]
    for line in report where line.contains(" ipi_send_cpu: ") {
      if let range = line.range(of: " cpu="), let cpu = Int(line[range.upperBound...].prefix { $0.isNumber }) { targets[cpu, default: 0] += 1 }
    }
    #expect(!targets.isEmpty)
    #expect(counts.perCPU == targets)
    #expect(counts.targets == targets.values.reduce(0, +))
  }

  @Test("json, csv and markdown hold the table's numbers; -o writes the same bytes as standard output")
  func formatsAgree() throws {
    let table = Self.tableCounts(try CommandLine.run(["stats", "--by-name", Self.trace]).stdout)
    let json = try CommandLine.run(["stats", "--by-name", "--json", Self.trace])
    #expect(json.status == 0, "\(json.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(object["events"] as? Int == table.events)
    #expect(object["ipi_targets"] as? Int == table.targets)
    let perCPU = try #require(object["ipi_targets_per_cpu"] as? [[String: Int]])
    #expect(Dictionary(uniqueKeysWithValues: perCPU.map { ($0["cpu"]!, $0["targets"]!) }) == table.perCPU)
    let byName = try #require(object["events_by_name"] as? [[String: Any]])
    #expect(byName.compactMap { $0["events"] as? Int }.reduce(0, +) == table.events)

    let csv = try CommandLine.run(["stats", "--csv", Self.trace]).stdout.split(separator: "\n")
    #expect(csv.first == "kind,key,value")
    #expect(csv.contains("events,,\(table.events)"))
    for (cpu, targets) in table.perCPU { #expect(csv.contains("ipi_targets_cpu,\(cpu),\(targets)")) }

    let markdown = try CommandLine.run(["stats", "--format", "markdown", Self.trace]).stdout
    #expect(markdown.contains("| events | \(table.events) |"))

    let path = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-stats-\(UUID().uuidString).json").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(try CommandLine.run(["stats", "--by-name", "--json", "-o", path, Self.trace]).status == 0)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == json.stdout)
    #expect(try CommandLine.run(["stats", "--format", "jsonl", Self.trace]).status == 2)
  }

  @Test("a missing file gives the same one-line error in every command that reads one", arguments: [
    ["stats"], ["analyze"], ["check"], ["dump"], ["export"], ["compare", "/nonexistent/pokestat-a.dat"],
  ])
  func missingFile(command: [String]) throws {
    let result = try CommandLine.run(command + ["/nonexistent/pokestat-a.dat"])
    #expect(result.status == 2)
    let message = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
    #expect(message == "pokestat: /nonexistent/pokestat-a.dat: cannot read: open: No such file or directory", "\(result.stderr)")
  }
}
