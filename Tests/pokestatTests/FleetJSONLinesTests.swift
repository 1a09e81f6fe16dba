import Foundation
import Testing
import TraceTestSupport

/// A Python virtual environment under `.build/` (ignored by git) with duckdb from PyPI, made
/// once per checkout; the fleet test runs its query there.
enum DuckDBEnvironment {
  static let folder = Fixtures.repositoryRoot.appendingPathComponent(".build/fleet-venv")
  static var python: URL { folder.appendingPathComponent("bin/python") }

  /// The venv's python when duckdb imports in it, or why it could not be set up.
  static let ready: Result<URL, SetupFailure> = {
    if run(python.path, ["-c", "import duckdb"]).status == 0 { return .success(python) }
    let venv = run(Fixtures.which("python3") ?? "/usr/bin/python3", ["-m", "venv", folder.path])
    guard venv.status == 0 else { return .failure(SetupFailure(reason: "python3 -m venv failed (Debian package python3-venv): \(venv.output)")) }
    let pip = run(folder.appendingPathComponent("bin/pip").path, [
      "install", "--disable-pip-version-check", "-q", "--retries", "1", "--timeout", "30", "duckdb",
    ])
    guard pip.status == 0 else { return .failure(SetupFailure(reason: "pip install duckdb failed (is PyPI reachable?): \(pip.output.suffix(400))")) }
    let check = run(python.path, ["-c", "import duckdb"])
    return check.status == 0 ? .success(python) : .failure(SetupFailure(reason: "duckdb installed but does not import: \(check.output)"))
  }()

  /// Whether the test runs: duckdb is usable, or CI demands it (the test then fails with the reason).
  static var canRun: Bool {
    if Fixtures.isCI { return true }
    if case .success = ready { return true }
    return false
  }

  struct SetupFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
  }

  static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return (-1, "\(executable): \(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}

@Suite struct FleetJSONLinesTests {
  /// Lab 6.1 (trace.dat and tracefs text, 2/4/8 CPUs) and local 6.18 (with and without stacks).
  static let inputs = [
    "fixtures/tracedat/lab61-2cpu.v7zstd.dat", "fixtures/tracedat/lab61-4cpu.v7zstd.dat",
    "fixtures/tracedat/lab61-8cpu.v7zstd.dat", "fixtures/tracedat/local618-flips-stack.v7zstd.dat",
    "fixtures/tracedat/local618-flips-nostack.v7zstd.dat", "fixtures/lab/lab61-2cpu.txt",
    "fixtures/lab/lab61-4cpu.txt", "fixtures/lab/lab61-8cpu.txt",
  ]
  /// The lab guests' kernel (fixtures/text/lab61.info.txt), for the text files that record none.
  static let labKernel = "6.1.0-56-cloud-amd64"

  static func lines(_ stdout: String) throws -> [[String: Any]] {
    try stdout.split(separator: "\n").map { line in
      try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
    }
  }

  /// The host name in a trace.dat's UNAME option, as `trace-cmd dump --options` prints it.
  static func unameHost(_ file: String) throws -> String? {
    let dump = try Fixtures.run(Fixtures.which("trace-cmd") ?? "/usr/bin/trace-cmd", ["dump", "--options", Fixtures.repositoryRoot.appendingPathComponent(file).path])
    // The option's header line, then its text on the next line.
    let lines = dump.split(separator: "\n")
    guard let index = lines.firstIndex(where: { $0.contains("Option UNAME") }), index + 1 < lines.count else { return nil }
    let words = lines[index + 1].split(whereSeparator: { $0 == " " || $0 == "\t" })
    return words.count > 1 && words[1] != "(none)" ? String(words[1]) : nil
  }

  @Test("summary rows: one per input in argument order, flat, with host, kernel, cpus and file", .enabled(if: Fixtures.canRun(with: "trace-cmd"), "needs trace-cmd (the oracle)"))
  func summaryRows() throws {
    let result = try CommandLine.run(["analyze", "--format", "jsonl", "--kernel", Self.labKernel] + Self.inputs)
    #expect(result.status == 0, "\(result.stderr)")
    let rows = try Self.lines(result.stdout)
    #expect(rows.map { $0["file"] as? String } == Self.inputs)
    let keys = Set(rows[0].keys)
    for (row, file) in zip(rows, Self.inputs) {
      #expect(Set(row.keys) == keys, "\(file): every summary row has the same keys")
      #expect(row["row"] as? String == "summary")
      // Flat: no nested objects or arrays.
      #expect(row.values.allSatisfy { !($0 is [Any]) && !($0 is [String: Any]) }, "\(file)")
      #expect(row["cpus"] is Int && row["kernel"] is String, "\(file)")
      if file.hasSuffix(".dat") {
        let host = try Self.unameHost(file)
        #expect(row["host"] as? String == host, "\(file)")
      }
    }
    #expect(rows[3]["host"] as? String == "vm")
    // --host names every input's host.
    let named = try Self.lines(try CommandLine.run(["analyze", "--format", "jsonl", "--host", "db-17"] + Self.inputs.prefix(2)).stdout)
    #expect(named.map { $0["host"] as? String } == ["db-17", "db-17"])
  }

  @Test("--jobs: inputs read at the same time give the rows one at a time gives, in argument order; the first failing input is the one named")
  func jobs() throws {
    let arguments = ["analyze", "--format", "jsonl", "--rows", "flips", "--kernel", Self.labKernel] + Self.inputs
    let one = try CommandLine.run(arguments + ["--jobs", "1"])
    let three = try CommandLine.run(arguments + ["--jobs", "3"])
    #expect(one.status == 0 && three.status == 0, "\(one.stderr)\(three.stderr)")
    #expect(!one.stdout.isEmpty && three.stdout == one.stdout)
    // Rows come in argument order: the file column walks the inputs.
    let files = try Self.lines(three.stdout).compactMap { $0["file"] as? String }
    var order: [String] = []
    for file in files where order.last != file { order.append(file) }
    #expect(order == Self.inputs)
    // Two damaged inputs: the earlier one is named, as a one-at-a-time run would name it.
    let bad = try CommandLine.run(["analyze", "--jobs", "2", Self.inputs[0], "fixtures/bad/truncated-header.dat", "/nonexistent/b.dat"])
    #expect(bad.status == 2)
    #expect(bad.stderr.contains("truncated-header.dat") && bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
    let zero = try CommandLine.run(["analyze", "--jobs", "0", Self.inputs[0]])
    #expect(zero.status == 2 && zero.stderr.contains("--jobs"))
  }

  @Test("batch and flip rows: one per batch or flip of each input, numbered in trace order")
  func batchAndFlipRows() throws {
    let file = "fixtures/tracedat/local618-flips-stack.v7zstd.dat"
    // fixtures/tracedat/local618-flips-stack.expected: awk over trace-cmd report, one line per flip.
    let expected = try String(contentsOf: Fixtures.url("tracedat/local618-flips-stack.expected"), encoding: .utf8)
      .split(separator: "\n").map { line in
        Dictionary(uniqueKeysWithValues: line.split(separator: " ").dropFirst().map { pair in
          (String(pair.split(separator: "=")[0]), String(pair.split(separator: "=")[1]))
        })
      }
    let flips = try Self.lines(try CommandLine.run(["analyze", "--format", "jsonl", "--rows", "flips", file]).stdout)
    #expect(flips.count == expected.count)
    for (index, (row, awk)) in zip(flips, expected).enumerated() {
      #expect(row["row"] as? String == "flip" && row["flip"] as? Int == index)
      #expect(row["syncs"] as? Int == Int(awk["tp_sends"]!))
      #expect(row["ipis_sent"] as? Int == Int(awk["tp_ipis"]!))
      #expect(row["all_ipis_received"] as? Int == Int(awk["received"]!))
    }
    let batches = try Self.lines(try CommandLine.run(["analyze", "--format", "jsonl", "--rows", "batches", file]).stdout)
    let json = try #require(try JSONSerialization.jsonObject(with: Data(try CommandLine.run(["analyze", "--json", file]).stdout.utf8)) as? [String: Any])
    let reported = try #require((json["text_poke"] as? [String: Any])?["batches"] as? [[String: Any]])
    #expect(batches.count == reported.count)
    for (row, batch) in zip(batches, reported) {
      #expect(row["start_ns"] as? Int == batch["start_ns"] as? Int)
      #expect(row["ipis_sent"] as? Int == batch["ipis_sent"] as? Int)
      #expect(row["host"] as? String == "vm" && row["kernel"] as? String == "6.18.44-fc-v657" && row["cpus"] as? Int == 2)
    }
    // Bad inputs stay errors: exit 2, nothing on standard output.
    let bad = try CommandLine.run(["analyze", "--format", "jsonl", file, "fixtures/bad/corrupt-chunk.dat"])
    #expect(bad.status == 2 && bad.stdout.isEmpty)
    // --rows without --format jsonl is a usage error, not silently ignored.
    let misuse = try CommandLine.run(["analyze", "--rows", "flips", file])
    #expect(misuse.status == 2 && misuse.stderr.contains("--format jsonl"))
  }

  struct Group: Hashable { var kernel: String; var cpus: Int }

  /// Kernel, CPU count and per-flip text_poke IPIs of one input, from files made without
  /// pokestat (see the call site).
  static func independentFlipIPIs(_ file: String) throws -> (group: Group, perFlip: [Int]) {
    let name = (file as NSString).lastPathComponent
    func numbers(after label: String, in text: String) -> [Int] {
      text.split(separator: "\n").compactMap { line in
        line.range(of: label).flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) }
      }
    }
    if name.hasPrefix("lab61-"), let cpus = Int(name.dropFirst("lab61-".count).prefix { $0.isNumber }) {
      let summary = try String(contentsOf: Fixtures.url("lab/lab61-\(cpus)cpu.summary.txt"), encoding: .utf8)
      return (Group(kernel: labKernel, cpus: cpus), numbers(after: "(ipis ", in: summary))
    }
    let variant = name.contains("nostack") ? "nostack" : "stack"
    let expected = try String(contentsOf: Fixtures.url("tracedat/local618-flips-\(variant).expected"), encoding: .utf8)
    return (Group(kernel: "6.18.44-fc-v657", cpus: 2), numbers(after: "tp_ipis=", in: expected))
  }

  @Test("DuckDB's group-by of IPIs per flip by kernel and CPU count matches the awk counts per file",
        .enabled(if: DuckDBEnvironment.canRun, "duckdb could not be installed from PyPI into .build/fleet-venv (offline?); runs under CI=true"))
  func duckdbGroupBy() throws {
    let python = try DuckDBEnvironment.ready.get()
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-fleet-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let jsonl = folder.appendingPathComponent("flips.jsonl")
    let result = try CommandLine.run(["analyze", "--format", "jsonl", "--rows", "flips", "--kernel", Self.labKernel, "-o", jsonl.path] + Self.inputs)
    #expect(result.status == 0, "\(result.stderr)")
    let query = DuckDBEnvironment.run(python.path, [Fixtures.repositoryRoot.appendingPathComponent("scripts/fleet/ipis-per-flip.py").path, jsonl.path])
    #expect(query.status == 0, "\(query.output)")
    let groups = query.output.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }

    // The independent per-flip text_poke IPIs of each input: the lab script's awk
    // (fixtures/lab/lab61-Ncpu.summary.txt, `textpoke_sends=S(ipis I)`) for the 6.1 lab files
    // (.dat and tracefs text hold the same flips), and awk over trace-cmd report
    // (fixtures/tracedat/local618-flips-*.expected, `tp_ipis=I`) for the local 6.18 traces.
    var flips: [Group: Int] = [:], ipis: [Group: Int] = [:], files: [Group: Int] = [:]
    for file in Self.inputs {
      let (group, perFlip) = try Self.independentFlipIPIs(file)
      flips[group, default: 0] += perFlip.count
      ipis[group, default: 0] += perFlip.reduce(0, +)
      files[group, default: 0] += 1
    }
    #expect(groups.count == flips.count, "\(query.output)")
    #expect(groups.count >= 4)
    for columns in groups {
      try #require(columns.count == 6, "\(columns)")
      let group = Group(kernel: columns[0], cpus: try #require(Int(columns[1])))
      #expect(Int(columns[2]) == flips[group], "\(group) flips")
      #expect(Int(columns[3]) == ipis[group], "\(group) IPIs")
      let perFlip = try #require(Double(columns[4]))
      #expect(abs(perFlip - Double(ipis[group] ?? -1) / Double(flips[group] ?? 1)) < 1e-9, "\(group) IPIs per flip")
      #expect(Int(columns[5]) == files[group], "\(group) files")
    }
  }
}
