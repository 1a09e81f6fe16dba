import Foundation
import Testing
import TraceTestSupport

/// The shared output grammar of `predict`, `kprobes` and `bench pool`: `--format
/// table|markdown|json|csv`, `--json`, `--csv`, `-o`, snake_case JSON keys, and kebab-case
/// option values.
@Suite struct OutputFormatTests {
  static let kprobeFixture = "fixtures/text/kprobe_profile/lab61-2cpu"

  /// Each command with the CSV header it writes.
  static let commands: [(arguments: [String], csvHeader: String)] = [
    (["predict", "--kernel", "6.8", "--cpus", "480", "--entries", "164,2", "--int3-traps-per-second", "50e6"],
     "batch,run,entries,end,syncs,sync_steps,ipis_per_cpu,ipis_total,int3_handler_ns,refcount,total_us,uncontended_us,wait_per_sync_us,saturated"),
    (["predict", "--arch", "arm64", "--kernel", "6.1", "--cpus", "4", "--entries", "12"],
     "batch,run,entries,end,syncs,sync_steps,ipis_per_cpu,ipis_total,int3_handler_ns,refcount,total_us,uncontended_us,wait_per_sync_us,saturated"),
    (["predict", "bpf-pack", "--sizes", "1000,1000,5000000"], "program,jited_bytes,request_bytes,pack,first_chunk,own_pages"),
    (["predict", "kretprobe", "--kernel", "6.1", "--cpus", "2", "--concurrency", "3,1"], "burst,concurrency,maxactive,missed"),
    (["kprobes", kprobeFixture + ".txt", "--events", kprobeFixture + ".events.txt", "--concurrency", "4,12", "--kernel", "6.1", "--cpus", "2"],
     "probe,hits,misses,miss_ratio,kind,maxactive,target,predicted_misses"),
    (["bench", "pool", "--threads", "1", "--seconds", "0.02"],
     "implementation,threads,ops_per_second,operations,misses,seconds,pinned_threads"),
  ]

  /// Every key of every object in `value`, with its path.
  static func keys(_ value: Any, path: String = "") -> [String] {
    if let object = value as? [String: Any] {
      return object.flatMap { key, child in [path + "/" + key] + keys(child, path: path + "/" + key) }
    }
    if let array = value as? [Any] { return array.flatMap { keys($0, path: path + "[]") } }
    return []
  }

  static func isSnakeCase(_ key: String) -> Bool {
    !key.isEmpty && key.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }
  }

  @Test("--json: every key is snake_case, and --format json is the same document", arguments: commands.map(\.arguments))
  func jsonKeys(arguments: [String]) throws {
    let result = try CommandLine.run(arguments + ["--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    let keys = Self.keys(document)
    #expect(!keys.isEmpty)
    let bad = keys.filter { !Self.isSnakeCase(String($0.split(separator: "/").last!)) }
    #expect(bad.isEmpty, "not snake_case: \(bad)")
    if arguments.first != "bench" {  // a benchmark measures anew each run
      #expect(try CommandLine.run(arguments + ["--format", "json"]).stdout == result.stdout)
    }
  }

  @Test("--csv: the documented header, then rows with as many fields", arguments: commands)
  func csv(command: (arguments: [String], csvHeader: String)) throws {
    let result = try CommandLine.run(command.arguments + ["--csv"])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.first.map(String.init) == command.csvHeader)
    #expect(lines.count > 1)
    let columns = command.csvHeader.split(separator: ",", omittingEmptySubsequences: false).count
    for line in lines.dropFirst() {
      #expect(line.split(separator: ",", omittingEmptySubsequences: false).count == columns, "\(line)")
    }
  }

  @Test("--format markdown: a table with a header separator row", arguments: commands.map(\.arguments))
  func markdown(arguments: [String]) throws {
    let result = try CommandLine.run(arguments + ["--format", "markdown"])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n")
    let separator = try #require(lines.firstIndex { $0.hasPrefix("|---") }, "\(result.stdout)")
    #expect(separator > 0 && lines[separator - 1].hasPrefix("| "))
    #expect(lines[separator + 1].hasPrefix("| "))
  }

  @Test("-o writes the report to a file and nothing to standard output")
  func outputFile() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-predict-\(getpid()).csv")
    defer { try? FileManager.default.removeItem(at: file) }
    let result = try CommandLine.run(["predict", "bpf-pack", "--sizes", "1000", "--csv", "-o", file.path])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.isEmpty)
    #expect(try String(contentsOf: file, encoding: .utf8).hasPrefix("program,jited_bytes,"))
  }

  @Test("--json and --csv exclude each other")
  func jsonAndCSV() throws {
    let result = try CommandLine.run(["predict", "bpf-pack", "--sizes", "1000", "--json", "--csv"])
    #expect(result.status == 2)
    #expect(result.stderr.hasPrefix("Error: "))
  }
}

/// Option values are kebab-case, listed once in `--help`; the camelCase input-format names of
/// earlier releases still parse.
@Suite struct KebabCaseValueTests {
  @Test("--input-format takes kebab-case names, and the old camelCase ones")
  func inputFormat() throws {
    let file = "fixtures/text/dmesg-seed-textpoke.txt"
    let kebab = try CommandLine.run(["analyze", "--json", "--input-format", "dmesg", file])
    #expect(kebab.status == 0, "\(kebab.stderr)")
    let text = "fixtures/text/local618-print-newline.report.txt"
    let report = try CommandLine.run(["analyze", "--json", "--input-format", "trace-cmd-report", text])
    #expect(report.status == 0, "\(report.stderr)")
    let old = try CommandLine.run(["analyze", "--json", "--input-format", "traceCmdReport", text])
    #expect(old.status == 0, "\(old.stderr)")
    #expect(old.stdout == report.stdout)
    let unknown = try CommandLine.run(["analyze", "--input-format", "trace_cmd_report", text])
    #expect(unknown.status == 2)
    #expect(unknown.stderr.contains("perf-stat-csv"), "\(unknown.stderr)")
  }

  @Test("--help lists each input format once, in kebab-case")
  func inputFormatHelp() throws {
    let help = try CommandLine.run(["analyze", "--help"]).stdout
    let flat = help.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    #expect(flat.components(separatedBy: "perf-stat-csv").count == 2, "\(help)")
    #expect(!help.contains("perfStatCSV"))
    #expect(!help.contains("traceDat"))
  }

  @Test("--arch, --refcount and --arm64-backport take their kebab-case values",
        arguments: [
          ["predict", "--arch", "arm64", "--kernel", "6.1", "--cpus", "4", "--entries", "12", "--arm64-backport", "yes"],
          ["predict", "--kernel", "6.8", "--cpus", "8", "--entries", "2", "--int3-traps-per-second", "1e6", "--refcount", "per-cpu"],
          ["predict", "--kernel", "6.8", "--cpus", "8", "--entries", "2", "--int3-traps-per-second", "1e6", "--refcount", "shared"],
        ])
  func modelValues(arguments: [String]) throws {
    let result = try CommandLine.run(arguments + ["--json"])
    #expect(result.status == 0, "\(result.stderr)")
    if let refcount = arguments.last, arguments.contains("--refcount") {
      #expect(result.stdout.contains("\"refcount\" : \"\(refcount)\""))
    }
  }

  @Test("--help of predict patch lists the values of --arch and --refcount")
  func modelValuesHelp() throws {
    let help = try CommandLine.run(["predict", "patch", "--help"]).stdout
    #expect(help.contains("values: x86, arm64"), "\(help)")
    #expect(help.contains("values: shared, per-cpu"), "\(help)")
  }
}
