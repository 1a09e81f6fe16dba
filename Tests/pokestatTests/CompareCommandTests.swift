import Foundation
import Testing
import TraceTestSupport

/// `pokestat compare` end to end: the seeds' figures from their tools' own output, every
/// output format, errors, and the HTML page as Chromium renders it.
@Suite struct CompareCommandTests {
  static let itlbArguments = [
    "compare", "fixtures/text/perfstat-seed-itlb-before.txt", "fixtures/text/perfstat-seed-itlb-after.txt",
    "--metric", "itlb_miss_per_s={iTLB-load-misses}/elapsed",
    "--metric", "walk_per_kinst=ITLB_WALK/(INST_RETIRED/1000)",
    "--metric", "ITLB_WALK/L1I_TLB",
  ]

  static func metrics(_ stdout: String) throws -> [String: [String: Any]] {
    let json = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
    let metrics = try #require(json["metrics"] as? [[String: Any]])
    return Dictionary(uniqueKeysWithValues: metrics.map { ($0["name"] as! String, $0) })
  }

  static func twoDecimals(_ value: Any?) -> Double? { (value as? Double).map { ($0 * 100).rounded() / 100 } }

  @Test("seed 003 iTLB metrics: --json change_percent to two decimals")
  func itlbJSON() throws {
    let result = try CommandLine.run(Self.itlbArguments + ["--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let metrics = try Self.metrics(result.stdout)
    // The cover letter: 63.16%, 42.71%, 42.47% decrease; compilation 1.92% faster.
    #expect(Self.twoDecimals(metrics["itlb_miss_per_s"]?["change_percent"]) == -63.16)
    #expect(Self.twoDecimals(metrics["walk_per_kinst"]?["change_percent"]) == -42.71)
    #expect(Self.twoDecimals(metrics["ITLB_WALK/L1I_TLB"]?["change_percent"]) == -42.47)
    #expect(Self.twoDecimals(metrics["elapsed"]?["change_percent"]) == -1.92)
    for metric in metrics.values {
      for key in ["name", "before", "after", "change_percent", "direction", "verdict", "statistics", "noise"] {
        #expect(metric.keys.contains(key), "\(key)")
      }
    }
    #expect(metrics["ITLB_WALK"]?["before"] as? Double == 333278635)
    #expect(metrics["ITLB_WALK"]?["after"] as? Double == 190333544)
    #expect(metrics["elapsed"]?["statistics"] is NSNull)
  }

  @Test("markdown is a cover-letter table: before, after, change, better/worse")
  func markdown() throws {
    let result = try CommandLine.run(Self.itlbArguments + ["--format", "markdown"])
    #expect(result.status == 0)
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.contains("| metric | before | after | change | better/worse | noise |"))
    #expect(lines.contains { $0.hasPrefix("| itlb_miss_per_s | 83711972.29 | 30835946.56 | -63.16% | better (lower is better) |") })
    #expect(lines.contains { $0.hasPrefix("| walk_per_kinst | 0.01314 | 0.007530 | -42.71% | better (lower is better) |") })
    #expect(lines.contains { $0.hasPrefix("| elapsed | 189.03 | 185.39 | -1.92% | better (lower is better) |") })
    #expect(lines.contains { $0.hasPrefix("| INST_RETIRED | 25359571423901 | 25278233304411 | -0.32% |  |") })
    #expect(result.stdout.contains("no spread is known"))
  }

  @Test("csv has a header and one row per metric")
  func csv() throws {
    let result = try CommandLine.run(Self.itlbArguments + ["--csv"])
    #expect(result.status == 0)
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.first?.hasPrefix("name,before,after,change_percent,direction,verdict,before_runs,after_runs") == true)
    #expect(lines.count == 1 + 8)
    #expect(lines.contains { $0.hasPrefix("elapsed,189.029769053,185.392650561,-1.9241,lower_is_better,better,1,1") })
  }

  @Test("seed 000 bpftool: 36 vs 28 ns per run")
  func bpftool() throws {
    let result = try CommandLine.run(["compare", "fixtures/text/bpftool-seed-before.txt", "fixtures/text/bpftool-seed-after.txt", "--json"])
    #expect(result.status == 0)
    let metric = try #require(try Self.metrics(result.stdout)["hn_egress.ns_per_run"])
    #expect(metric["before"] as? Double == 3009063719.0 / 82757845)
    #expect(metric["after"] as? Double == 1928223019.0 / 67682728)
    #expect(metric["verdict"] as? String == "better")
  }

  @Test("IPIs per flip from two lab traces match awk over trace-cmd report")
  func traces() throws {
    let result = try CommandLine.run([
      "compare", "fixtures/tracedat/lab61-2cpu.v7zstd.dat", "fixtures/tracedat/lab61-8cpu.v7zstd.dat", "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let metrics = try Self.metrics(result.stdout)
    func expected(_ name: String) throws -> [String: Double] {
      let text = try String(contentsOf: Fixtures.url("compare/\(name).expected"), encoding: .utf8)
      return Dictionary(uniqueKeysWithValues: text.split(separator: "\n").map { line in
        let parts = line.split(separator: "=", maxSplits: 1)
        return (String(parts[0]), Double(parts[1])!)
      })
    }
    let before = try expected("lab61-2cpu"), after = try expected("lab61-8cpu")
    for name in ["flips.ipis_sent_mean", "text_poke.ipis_sent", "ipi.received", "text_poke.batch_duration_ns.median"] {
      let metric = try #require(metrics[name], "\(name)")
      #expect(abs((metric["before"] as? Double ?? -1) - before[name]!) < 1e-5, "\(name)")
      #expect(abs((metric["after"] as? Double ?? -1) - after[name]!) < 1e-5, "\(name)")
    }
  }

  /// The lab traces' per-batch lists, from awk over trace-cmd report.
  static func awk(_ name: String, _ key: String) throws -> [Double] {
    let text = try String(contentsOf: Fixtures.url("compare/\(name).batches"), encoding: .utf8)
    let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(key + "=") })
    return line.dropFirst(key.count + 1).split(separator: " ").map { Double($0)! }
  }

  @Test("lab 2 vs 8 CPUs --json: per-group rows with samples and interval objects, metrics keep their keys")
  func groupsJSON() throws {
    let result = try CommandLine.run([
      "compare", "fixtures/tracedat/lab61-2cpu.v7zstd.dat", "fixtures/tracedat/lab61-8cpu.v7zstd.dat", "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    for key in ["before", "after", "metrics", "only_before", "only_after", "notes", "groups", "groups_only_before", "groups_only_after"] {
      #expect(json.keys.contains(key), "\(key)")
    }
    let metric = try #require(try Self.metrics(result.stdout)["text_poke.ipis_sent"])
    let metricSamples = try #require(metric["samples"] as? [String: [String: Any]])
    #expect(metricSamples["before"]?["unit"] as? String == "run" && metricSamples["before"]?["n"] as? Int == 1)
    let groups = try #require(json["groups"] as? [[String: Any]])
    let row = try #require(groups.first { $0["metric"] as? String == "batch.ipis_sent" && $0["group"] is NSNull })
    let samples = try #require(row["samples"] as? [String: [String: Any]])
    #expect(samples["before"]?["n"] as? Int == 18 && samples["after"]?["n"] as? Int == 18)
    #expect(samples["before"]?["unit"] as? String == "batch")
    #expect(row["before_values"] as? [Double] == (try Self.awk("lab61-2cpu", "batch_ipis_sent")))
    #expect(row["after_values"] as? [Double] == (try Self.awk("lab61-8cpu", "batch_ipis_sent")))
    let shift = try #require(row["shift"] as? [String: Any])
    let interval = try #require(shift["interval"] as? [String: Any])
    for key in ["low", "high", "level", "achieved_level", "method", "resamples", "seed"] {
      #expect(interval.keys.contains(key), "\(key)")
    }
    let ratio = try #require((row["ratio_of_medians"] as? [String: Any])?["interval"] as? [String: Any])
    #expect(ratio["resamples"] as? Int == 10_000 && ratio["method"] as? String == "bootstrap percentile")
    #expect(row["decided_by"] as? String == "two-sided Mann-Whitney U (exact)")
    #expect(row["beyond_noise"] as? Bool == true)
    let syncs = try #require(groups.first { $0["metric"] as? String == "batch.syncs" && $0["group"] is NSNull })
    #expect(syncs["beyond_noise"] as? Bool == false)
    let stratum = try #require(groups.first {
      $0["metric"] as? String == "batch.duration_ns" && $0["group_label"] as? String == "bpf_stats_enabled=0, nr_entries=64"
    })
    let group = try #require(stratum["group"] as? [String: Any])
    #expect(group["key"] as? String == "bpf_stats_enabled" && group["value"] as? String == "0" && group["entries"] as? Int == 64)
  }

  @Test("--isolated: per-flip receptions on all CPUs and on the isolated ones equal awk over trace-cmd report")
  func isolatedFlips() throws {
    let result = try CommandLine.run([
      "compare", "fixtures/tracedat/lab61-2cpu.v7zstd.dat", "fixtures/tracedat/lab61-8cpu.v7zstd.dat", "--isolated", "1-7", "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let groups = try #require(json["groups"] as? [[String: Any]])
    for (metric, key) in [("flip.all_ipis_received", "flip_all_ipis_received"), ("flip.isolated_ipis_received", "flip_isolated_ipis_received")] {
      let row = try #require(groups.first { $0["metric"] as? String == metric && $0["group"] is NSNull }, "\(metric)")
      #expect(row["before_values"] as? [Double] == (try Self.awk("lab61-2cpu", key)), "\(metric)")
      #expect(row["after_values"] as? [Double] == (try Self.awk("lab61-8cpu", key)), "\(metric)")
      #expect(row["unit"] as? String == "flip")
    }
    let bad = try CommandLine.run(["compare", "fixtures/tracedat/lab61-2cpu.v7zstd.dat", "fixtures/tracedat/lab61-8cpu.v7zstd.dat", "--isolated", "x"])
    #expect(bad.status == 2 && bad.stderr.contains("--isolated"))
  }

  @Test("seed kernel logs: table, markdown and CSV show the per-nr_entries rows")
  func groupsText() throws {
    let files = ["compare", "fixtures/compare/dmesg-seed-before.txt", "fixtures/compare/dmesg-seed-after.txt"]
    let table = try CommandLine.run(files)
    #expect(table.status == 0, "\(table.stderr)")
    let lines = table.stdout.split(separator: "\n").map(String.init)
    #expect(lines.contains { $0.hasPrefix("batch.duration_ns  bpf_stats_enabled=0, nr_entries=164  1 vs 1 batches") })
    #expect(lines.contains { $0.hasPrefix("batch.duration_ns  bpf_stats_enabled=0, nr_entries=2    1 vs 1 batches") })
    #expect(table.stdout.contains("too few samples (min p 1)"))
    let markdown = try CommandLine.run(files + ["--format", "markdown"])
    // The row's numbers from the logs themselves: the `Took N usec` after each nr_entries=164
    // batch (seed 001's figures, 2,655,300 and 702 usec), in ns, and their change.
    func took164(_ file: String) throws -> Int {
      let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
      let start = try #require(lines.firstIndex { $0.contains("nr_entries=164") })
      let took = try #require(lines[start...].first { $0.hasPrefix("Took ") })
      return try #require(Int(took.split(separator: " ")[1])) * 1000
    }
    let (before, after) = (try took164(files[1]), try took164(files[2]))
    let change = String(format: "%.2f%%", (Double(after) - Double(before)) / Double(before) * 100)
    #expect(markdown.stdout.contains(
      "| batch.duration_ns | bpf_stats_enabled=0, nr_entries=164 | 1 vs 1 batches | \(before) [\(before)-\(before)] | \(after) [\(after)-\(after)] | \(change) |"))
    let csv = try CommandLine.run(files + ["--csv"])
    let rows = csv.stdout.split(separator: "\n").map(String.init)
    let header = rows[0].split(separator: ",").map(String.init)
    #expect(header.starts(with: ["name", "before", "after", "change_percent"]))
    #expect(header.contains("group") && header.contains("shift_low") && header.contains("ratio_high"))
    let group = try #require(header.firstIndex(of: "group")), unit = try #require(header.firstIndex(of: "unit"))
    let big = try #require(rows.first { $0.contains("nr_entries=164\"") && $0.hasPrefix("batch.duration_ns,") })
    // The group label has a comma, so it is quoted; split on the quotes to find it.
    #expect(big.contains(",batch,\"bpf_stats_enabled=0, nr_entries=164\",1,1,"))
    #expect(big.hasPrefix("batch.duration_ns,2655300000,702000,"))
    #expect(group == unit + 1)
    for row in rows.dropFirst() where !row.contains("\"") {
      #expect(row.split(separator: ",", omittingEmptySubsequences: false).count == header.count, "\(row)")
    }
  }

  @Test("CSV lists the groups one side lacks, as many as the JSON's groups_only_before/after")
  func oneSidedCSV() throws {
    let files = ["compare", "fixtures/tracedat/lab61-2cpu.v7zstd.dat", "fixtures/tracedat/local618-flips-stack.v7zstd.dat"]
    let json = try #require(try JSONSerialization.jsonObject(with: Data(try CommandLine.run(files + ["--json"]).stdout.utf8)) as? [String: Any])
    let onlyBefore = try #require(json["groups_only_before"] as? [[String: Any]])
    let onlyAfter = try #require(json["groups_only_after"] as? [[String: Any]])
    #expect(!onlyBefore.isEmpty && !onlyAfter.isEmpty)
    let csv = try CommandLine.run(files + ["--csv"])
    #expect(csv.status == 0, "\(csv.stderr)")
    let rows = csv.stdout.split(separator: "\n").map(String.init)
    #expect(rows.filter { $0.hasSuffix(",only before") }.count == onlyBefore.count)
    #expect(rows.filter { $0.hasSuffix(",only after") }.count == onlyAfter.count)
    let first = try #require(onlyBefore.first)
    let label = try #require((first["group"] as? [String: Any])?["label"] as? String)
    let quoted = label.contains(",") ? "\"\(label)\"" : label
    #expect(rows.contains { $0.hasPrefix("\(first["metric"] as! String),") && $0.contains(",\(quoted),\(first["n"] as! Int),,") && $0.hasSuffix(",only before") })
  }

  @Test("seed 002: throughput tables pair freelist before with array after")
  func throughput() throws {
    let result = try CommandLine.run([
      "compare", "fixtures/compare/throughput-seed-freelist.txt", "fixtures/compare/throughput-seed-array.txt", "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let metric = try #require(try Self.metrics(result.stdout)["freelist->array.threads=96"])
    let ratio = 1 + (metric["change_percent"] as! Double) / 100
    #expect((ratio * 10).rounded() / 10 == 466.7)  // "the biggest gain as 466.7x"
  }

  @Test("repeated runs: --before/--after give medians, IQR and a Mann-Whitney test")
  func repeatedRuns() throws {
    let result = try CommandLine.run([
      "compare", "--before", "fixtures/text/bpftool-seed-before.txt", "fixtures/text/bpftool-seed-before.txt",
      "fixtures/text/bpftool-seed-before.txt", "--after", "fixtures/text/bpftool-seed-after.txt",
      "fixtures/text/bpftool-seed-after.txt", "fixtures/text/bpftool-seed-after.txt", "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let metric = try #require(try Self.metrics(result.stdout)["hn_egress.ns_per_run"])
    let statistics = try #require(metric["statistics"] as? [String: Any])
    let test = try #require(statistics["mann_whitney"] as? [String: Any])
    // Identical runs: every before value exceeds every after value, U = 9, p = 2/20.
    #expect(test["u"] as? Double == 9)
    #expect(abs((test["p"] as? Double ?? 0) - 0.1) < 1e-12)
    #expect((metric["noise"] as? String)?.contains("cannot be shown beyond noise with 3 and 3 runs") == true)
    #expect((metric["before_values"] as? [Double])?.count == 3)
    let table = try CommandLine.run([
      "compare", "--before", "fixtures/text/bpftool-seed-before.txt", "fixtures/text/bpftool-seed-before.txt",
      "--after", "fixtures/text/bpftool-seed-after.txt", "fixtures/text/bpftool-seed-after.txt",
    ])
    #expect(table.stdout.contains("before (median [IQR])"))
  }

  @Test("a bad --metric names the column; exit status 2", arguments: [
    ("x=({ITLB_WALK}*/2", "pokestat: --metric 'x=({ITLB_WALK}*/2': column 16: expected a number, a name, '{' or '(', found '/'"),
    ("x=NOPE/2", "pokestat: --metric 'x=NOPE/2': column 3: expected a metric of the inputs"),
  ])
  func badMetric(argument: String, message: String) throws {
    let result = try CommandLine.run([
      "compare", "fixtures/text/perfstat-seed-itlb-before.txt", "fixtures/text/perfstat-seed-itlb-after.txt", "--metric", argument,
    ])
    #expect(result.status == 2)
    #expect(result.stderr.hasPrefix(message))
    #expect(result.stderr.split(separator: "\n").count == 1)
  }

  @Test("bad usage and unreadable inputs exit 2 with one line")
  func badUsage() throws {
    #expect(try CommandLine.run(["compare", "fixtures/text/perfstat-seed-itlb-before.txt"]).status == 2)
    #expect(try CommandLine.run(["compare", "--before", "fixtures/text/perfstat-seed-itlb-before.txt"]).status == 2)
    let missing = try CommandLine.run(["compare", "no-such-file", "fixtures/text/perfstat-seed-itlb-after.txt"])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("no-such-file"))
  }

  // MARK: - HTML

  static var chromium: String? { Fixtures.which("chromium") ?? Fixtures.which("chromium-browser") }

  /// Renders `html` with headless Chromium and returns the PNG's bytes.
  static func screenshot(_ html: URL, in folder: URL) throws -> Data {
    let png = folder.appendingPathComponent(html.deletingPathExtension().lastPathComponent + ".png")
    let tool = try #require(chromium, "chromium is not installed (Debian package chromium; CI must have it)")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = [
      "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--screenshot=\(png.path)",
      "--window-size=1200,2000", html.absoluteString,
    ]
    process.currentDirectoryURL = folder
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return try Data(contentsOf: png)
  }

  @Test("the HTML page is self-contained and renders its plots in headless Chromium",
        .enabled(if: Fixtures.canRun(with: "chromium"), "needs chromium (Debian package chromium)"))
  func html() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-html-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let page = folder.appendingPathComponent("compare.html")
    let result = try CommandLine.run([
      "compare", "fixtures/tracedat/lab61-2cpu.v7zstd.dat", "fixtures/tracedat/lab61-8cpu.v7zstd.dat", "--html", page.path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let text = try String(contentsOf: page, encoding: .utf8)
    // Self-contained: no scripts, no external resources (the SVG namespace is a name, not a fetch).
    #expect(!text.contains("<script") && !text.contains("src=") && !text.contains("href=") && !text.contains("@import"))
    // Four trace plots, then one per sampled metric with a row pair per group.
    let perMetric = text.components(separatedBy: "<h3>").count - 1
    #expect(perMetric >= 9)
    #expect(text.components(separatedBy: "<svg ").count - 1 == 4 + perMetric)
    #expect(text.contains("<h3>batch.ipis_sent per group</h3>"))
    // The figures scipy and numpy computed on the same per-batch IPIs (trace-cmd report counts,
    // scripts/fixtures/scipy-compare-statistics.py): Hodges-Lehmann shift and interval,
    // bootstrap ratio of medians, exact Mann-Whitney p, n batches a side.
    let scipy = try #require(try JSONSerialization.jsonObject(
      with: Data(contentsOf: Fixtures.url("compare/scipy/lab61-2v8-batch-ipis-sent.json"))) as? [String: Any])
    let shift = try #require(scipy["hodges_lehmann"] as? [String: Any])
    let ratio = try #require(scipy["bootstrap_ratio"] as? [String: Any])
    let p = try #require((scipy["mann_whitney"] as? [String: Any])?["p"] as? Double)
    let n = try #require(((scipy["summary"] as? [String: Any])?["before"] as? [String: Any])?["n"] as? Int)
    func g(_ value: Any?) -> String { String(format: "%.3g", (value as? Double) ?? .nan) }
    let expected = "shift \(g(shift["shift"])) [\(g(shift["low"])) – \(g(shift["high"]))], "
      + "ratio \(g(ratio["ratio"])) [\(g(ratio["low"])) – \(g(ratio["high"]))], p = \(String(format: "%.2g", p)), n = \(n) vs \(n)"
    #expect(text.contains(expected), "\(expected)")
    for heading in ["IPIs received per CPU", "text_poke batch durations", "Per-flip IPIs sent", "Every metric",
                    "Per group: every batch and flip is a sample"] {
      #expect(text.contains(heading), "\(heading)")
    }
    #expect(text.contains("<td>flips.ipis_sent_mean</td>"))

    let blank = folder.appendingPathComponent("blank.html")
    try "<!DOCTYPE html><html><body></body></html>".write(to: blank, atomically: true, encoding: .utf8)
    let blankPNG = try Self.screenshot(blank, in: folder)
    let pagePNG = try Self.screenshot(page, in: folder)
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    #expect(Array(pagePNG.prefix(8)) == signature)
    // IHDR: width and height, big-endian, at bytes 16 and 20.
    func be32(_ data: Data, _ offset: Int) -> Int { data[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
    #expect(be32(pagePNG, 16) == 1200 && be32(pagePNG, 20) == 2000)
    // A blank 1200x2000 page compresses to a few kilobytes; tables, text and plots do not.
    #expect(pagePNG.count > 20 * blankPNG.count, "page \(pagePNG.count) bytes, blank \(blankPNG.count) bytes")
    #expect(pagePNG.count > 100_000)
    #expect(Set(pagePNG).count == 256)
  }
}
