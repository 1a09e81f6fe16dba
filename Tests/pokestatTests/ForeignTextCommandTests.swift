import Foundation
import Testing
import TraceTestSupport

/// Every command that reads text, on every file of the text corpus (fixtures/foreign/text/ and
/// this machine's fixtures/text/local618-* layouts): exit 0, counts equal to the awk ones
/// (`<file>.expected`, scripts/fixtures/expected-foreign-text.sh).
@Suite("commands on the foreign text corpus")
struct ForeignTextCommandTests {
  static func corpus(_ suffixes: [String]) -> [String] {
    ["foreign/text", "text"].flatMap { folder in
      suffixes.flatMap { Fixtures.files(in: folder, suffix: $0) }
    }
    .filter { !$0.contains("-noevent.") }.sorted()
  }
  static let traceText = corpus([".ftrace.txt", ".report.txt"])
  static let perfScripts = corpus([".perfscript.txt", ".perfscript.txt.gz"])
  static let summaries = corpus([".perfreport.txt", ".interrupts.txt"])

  static func expected(_ fixture: String) throws -> [String: String] {
    let path = Fixtures.url(fixture).path.replacingOccurrences(of: ".gz", with: "") + ".expected"
    var values: [String: String] = [:]
    for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
      let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
    }
    return values
  }

  static func json(_ fixture: String) throws -> [String: Any] {
    let result = try CommandLine.run(["analyze", "--json", "fixtures/" + fixture])
    #expect(result.status == 0, "\(result.stderr)")
    return try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
  }

  @Test(
    "analyze, analyze --json and stats exit 0 on event text, check never matches on nothing; events and CPUs as awk counts them",
    arguments: traceText + perfScripts)
  func eventText(_ fixture: String) throws {
    let want = try Self.expected(fixture)
    let events = Int(want["events"] ?? want["samples"]!)!
    for command in [["analyze"], ["stats"], ["stats", "--by-name"], ["check"]] {
      let result = try CommandLine.run(command + ["fixtures/" + fixture])
      if command == ["check"] {
        // None of these traces holds a text_poke batch: check says nothing was checked (exit 1)
        // or that their architecture is unknown or has no rules (exit 2), never "match".
        #expect(result.status == 1 || result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("verdict: match"))
        #expect(result.stdout.contains("verdict: no-"), "\(result.stdout)\(result.stderr)")
      } else {
        #expect(result.status == 0, "\(command): \(result.stderr)")
      }
      #expect(!result.stderr.contains("Fatal error"))
      if command.first == "stats" {
        #expect(result.stdout.contains("\nevents: \(events)\n"), "\(result.stdout)")
      }
    }
    let json = try Self.json(fixture)
    #expect(json["events"] as? Int == events)
    let maxCPU = Int(want["max_cpu"]!)!
    if let header = want["header_cpus"].flatMap({ Int($0) }) {
      #expect(json["cpus"] as? Int == max(header, maxCPU + 1))
      #expect(json["cpus_inferred"] as? Bool == (header < maxCPU + 1))
    } else {
      // No cpus=/#P: header: the highest CPU seen + 1, said to be inferred (0 when none is named).
      #expect(json["cpus"] as? Int == maxCPU + 1)
      #expect(json["cpus_inferred"] as? Bool == true)
    }
    #expect(json["events_without_cpu"] as? Int == Int(want["no_cpu"] ?? "0")!)
  }

  @Test(
    "analyze reads perf report and /proc/interrupts; check refuses them with one line and exit 2",
    arguments: summaries)
  func summaryText(_ fixture: String) throws {
    let want = try Self.expected(fixture)
    #expect(try CommandLine.run(["analyze", "fixtures/" + fixture]).status == 0)
    let json = try Self.json(fixture)
    if fixture.hasSuffix(".perfreport.txt") {
      let perf = try #require(json["perf_report"] as? [String: Any])
      #expect(perf["entries"] as? Int == Int(want["entries"]!)!)
      #expect(String(format: "%.2f", perf["int3_percent"] as? Double ?? -1) == want["int3_percent"])
    } else {
      let series = try #require(json["interrupts"] as? [String: Any])
      #expect(series["snapshots"] as? Int == Int(want["snapshots"]!)!)
      #expect(series["cpus"] as? Int == Int(want["cpus"]!)!)
      // The report's count covers every CPU a row counts for, inferred (and said) when the
      // header names fewer (gocleveri5: `CPU0` header, IPI rows of 4 CPUs).
      #expect(json["cpus"] as? Int == Int(want["cpus"]!)!)
      #expect(json["cpus_inferred"] as? Bool == (want["cpus"] != want["header_cpus"]))
      let last = try #require(series["since_boot_per_cpu"] as? [String: Int])
      #expect(
        last
          == Dictionary(
            uniqueKeysWithValues: want.filter { $0.key.hasPrefix("calls_last.") }.map {
              (String($0.key.dropFirst(11)), Int($0.value)!)
            }))
      if let totals = series["total_per_cpu"] as? [String: Int], !totals.isEmpty {
        #expect(
          totals
            == Dictionary(
              uniqueKeysWithValues: want.filter { $0.key.hasPrefix("calls_total.") }.map {
                (String($0.key.dropFirst(12)), Int($0.value)!)
              }))
      }
    }
    let check = try CommandLine.run(["check", "fixtures/" + fixture])
    #expect(check.status == 2)
    #expect(check.stderr.split(separator: "\n").count == 1)
  }

  @Test(
    "perf report: the seed's 51.30% in poke_int3_handler and its callers (seed 000 text, perfreport-seed-int3.expected)"
  )
  func seedInt3Share() throws {
    let json = try Self.json("text/perfreport-seed-int3.txt")
    let perf = try #require(json["perf_report"] as? [String: Any])
    let want = try Self.expected(
      "text/perfreport-seed-int3.txt".replacingOccurrences(of: ".txt", with: ""))
    #expect(
      String(format: "%.2f", perf["int3_percent"] as? Double ?? -1)
        == want["poke_int3_handler.first"])
    #expect(perf["int3_symbols"] as? [String] == ["poke_int3_handler"])
    let callers = try #require(perf["callers"] as? [[String: Any]])
    #expect(
      callers.prefix(3).map { $0["symbol"] as? String } == [
        "exc_int3", "asm_exc_int3", "cls_bpf_classify",
      ])
    #expect(callers[2]["percent"] as? Double == 24.26)
  }

  @Test("/proc/interrupts series: CAL IPIs per CPU per interval (interrupts-snapshots.expected)")
  func interruptIntervals() throws {
    let json = try Self.json("text/interrupts-snapshots.txt")
    let want = try Self.expected("text/interrupts-snapshots")
    let series = try #require(json["interrupts"] as? [String: Any])
    let intervals = try #require(series["intervals"] as? [[String: Int]])
    #expect(intervals.count == Int(want["snapshots"]!)! - 1)
    for interval in intervals {
      #expect(interval["0"] == Int(want["cal_delta_cpu0"]!)!)
      #expect(interval["1"] == Int(want["cal_delta_cpu1"]!)!)
    }
    let ipi = try #require(json["ipi"] as? [String: Any])
    #expect(ipi["received"] as? Int == intervals.reduce(0) { $0 + $1.values.reduce(0, +) })
  }

  @Test(
    "the issue's first try: perf script of a per-thread recording (no [cpu]) analyzes without a trap"
  )
  func perThreadPerfScript() throws {
    let result = try CommandLine.run([
      "analyze", "fixtures/text/local618-thread-nocpu.perfscript.txt",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("CPU count unknown"))
    #expect(result.stdout.contains("events name no CPU"))
  }

  @Test("ftrace text without a cpus=/#P: header: the CPU count is inferred and the table says so")
  func inferredCPUCount() throws {
    let result = try CommandLine.run([
      "analyze", "fixtures/foreign/text/trappy-filesystem.report.txt",
    ])
    #expect(result.status == 0)
    #expect(result.stdout.contains("8 CPUs (inferred"))
    // No trap on the inferred count; with the architecture given, no batch means nothing checked.
    let check = try CommandLine.run(["check", "--arch", "x86_64", "fixtures/foreign/text/trappy-filesystem.report.txt"])
    #expect(check.status == 1, "\(check.stderr)")
    #expect(check.stdout.contains("verdict: no-batches"), "\(check.stdout)")
  }
}

@Suite("commands on damaged numbers in text")
struct DamagedTextNumberTests {
  @Test(
    "a target CPU of 2^64-1 and a cpumask 0-99999999: analyze, stats and check end without a trap")
  func hugeTargets() throws {
    let path = NSTemporaryDirectory() + "pokestat-huge-\(UUID().uuidString).txt"
    try Data(
      """
      cpus=2
        sh-1  [001] 1.000001: ipi_send_cpu: cpu=18446744073709551615 callsite=x callback=y
        sh-1  [000] 1.000002: ipi_send_cpumask: cpumask=0-99999999 callsite=x callback=y
      """.utf8
    ).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    for command in [["analyze"], ["analyze", "--json"], ["stats"], ["check"]] {
      let result = try CommandLine.run(command + [path])
      #expect([0, 1, 2].contains(result.status), "\(command): \(result.stderr)")
      #expect(!result.stderr.contains("Fatal error"), "\(command)")
    }
  }

  @Test("two logged batches of 10^16 µs each (their sum is past UInt64 ns): jsonl rows without a trap")
  func hugeLoggedDurations() throws {
    let path = NSTemporaryDirectory() + "pokestat-took-\(UUID().uuidString).txt"
    try Data(
      """
      [    1.000000] text_poke_bp_batch(nr_entries=2)
      [    1.000100] Took 10000000000000000 usec
      [    2.000000] text_poke_bp_batch(nr_entries=2)
      [    2.000100] Took 10000000000000000 usec
      """.utf8
    ).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let result = try CommandLine.run(["analyze", "--format", "jsonl", path])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("\"batch_duration_ns_total\":18446744073709551615"), "\(result.stdout)")
  }
}
