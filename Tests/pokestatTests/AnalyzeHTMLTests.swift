import Foundation
import Testing
import TraceTestSupport

/// `analyze --html`: the page renders in headless Chromium without console messages, and the
/// SVG elements Chromium parsed are as many as the analysis says and as trace-cmd report shows.
@Suite struct AnalyzeHTMLTests {
  /// Chromium's DOM after loading `page` (`--dump-dom`), and the console lines it logged.
  static func render(_ page: URL) throws -> (dom: String, console: [Substring]) {
    let tool = try #require(CompareCommandTests.chromium, "chromium is not installed (Debian package chromium; CI must have it)")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = [
      "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", "--dump-dom", page.absoluteString,
    ]
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes at once: Chromium's log can fill one while we wait on the other.
    nonisolated(unsafe) var logged = Data()
    let reader = Thread { logged = err.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    let dom = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !reader.isFinished { usleep(1000) }
    // Console messages (errors, uncaught exceptions) are logged as `INFO:CONSOLE(...)` lines.
    let console = String(decoding: logged, as: UTF8.self).split(separator: "\n").filter { $0.contains(":CONSOLE") }
    return (String(decoding: dom, as: UTF8.self), console)
  }

  /// The serialized DOM's elements of one class, as their attribute lists.
  static func elements(_ dom: String, _ tag: String, class name: String) -> [[String: String]] {
    let marker = "<\(tag) class=\"\(name)\""
    return dom.components(separatedBy: marker).dropFirst().map { rest in
      let attributes = rest.prefix { $0 != ">" }
      var result: [String: String] = [:]
      for match in attributes.matches(of: /([a-z-]+)="([^"]*)"/) { result[String(match.1)] = String(match.2) }
      return result
    }
  }

  static func sum(_ elements: [[String: String]], _ key: String) -> Int { elements.reduce(0) { $0 + (Int($1[key] ?? "") ?? 0) } }

  struct Counts: Equatable, CustomStringConvertible {
    var cells = 0, ipis = 0, bars = 0, ticks = 0, syncTicks = 0, flips = 0, binned = 0
    var matrix: [String: Int] = [:]
    var description: String { "cells=\(cells) ipis=\(ipis) bars=\(bars) ticks=\(ticks) tp=\(syncTicks) flips=\(flips) binned=\(binned)" }
  }

  /// Renders one fixture's page and counts what Chromium parsed; also returns `analyze --json`.
  static func page(_ fixture: String, in folder: URL) throws -> (counts: Counts, json: [String: Any], console: [Substring]) {
    let page = folder.appendingPathComponent("analyze.html")
    let result = try CommandLine.run(["analyze", "--json", "--html", page.path, fixture])
    #expect(result.status == 0, "\(result.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let text = try String(contentsOf: page, encoding: .utf8)
    // Self-contained: no scripts, no external resources.
    #expect(!text.contains("<script") && !text.contains("src=") && !text.contains("href=") && !text.contains("@import"))
    let (dom, console) = try render(page)
    #expect(dom.contains("</svg>"), "Chromium's DOM dump has the SVG")
    var counts = Counts()
    let cells = elements(dom, "rect", class: "cell")
    counts.cells = cells.count
    counts.ipis = sum(cells, "data-ipis")
    for cell in cells where cell["data-ipis"] != "0" { counts.matrix["\(cell["data-sender"]!)>\(cell["data-target"]!)"] = Int(cell["data-ipis"]!) }
    counts.bars = elements(dom, "rect", class: "batch").count
    counts.syncTicks = elements(dom, "line", class: "tick tp").count
    counts.ticks = counts.syncTicks + elements(dom, "line", class: "tick other").count
    counts.flips = elements(dom, "rect", class: "flip").count
    counts.binned = sum(elements(dom, "rect", class: "bin"), "data-batches")
    return (counts, json, console)
  }

  /// What the analysis itself says the page must hold.
  static func fromAnalysis(_ json: [String: Any]) throws -> Counts {
    let ipi = try #require(json["ipi"] as? [String: Any])
    let textPoke = try #require(json["text_poke"] as? [String: Any])
    let batches = try #require(textPoke["batches"] as? [[String: Any]])
    let cpus = try #require(json["cpus"] as? Int)
    var counts = Counts(
      cells: cpus * cpus, ipis: try #require(ipi["sent"] as? Int), bars: batches.count,
      ticks: try #require(ipi["send_events"] as? Int), syncTicks: try #require(textPoke["syncs"] as? Int),
      flips: try #require(json["flips"] as? [Any]).count, binned: batches.filter { $0["duration_ns"] is Int }.count)
    for (sender, targets) in try #require(ipi["matrix"] as? [String: [String: Int]]) {
      for (target, count) in targets where count > 0 { counts.matrix["\(sender)>\(target)"] = count }
    }
    return counts
  }

  static func folder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-analyze-html-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }

  @Test("the page's heatmap cells, batch bars, send ticks, flips and duration bins are the analysis' numbers",
        .enabled(if: Fixtures.canRun(with: "chromium"), "needs chromium (Debian package chromium)"),
        arguments: ["fixtures/tracedat/local618-flips-stack.v7zstd.dat", "fixtures/tracedat/lab61-8cpu.v7zstd.dat", "fixtures/lab/lab61-4cpu.txt"])
  func countsMatchAnalysis(_ fixture: String) throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let (counts, json, console) = try Self.page(fixture, in: folder)
    #expect(console.isEmpty, "console: \(console)")
    #expect(counts == (try Self.fromAnalysis(json)))
    #expect(counts.bars > 0 && counts.ticks > 0 && counts.flips > 0)
  }

  @Test("the page's counts equal awk over trace-cmd report",
        .enabled(if: Fixtures.canRun(with: "chromium") && Fixtures.canRun(with: "trace-cmd"), "needs chromium and trace-cmd"))
  func countsMatchTraceCmd() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(at: folder) }
    // Local 6.18: every send is ipi_send_cpu; sender = the [CPU] column, target = cpu=N.
    let local = "tracedat/local618-flips-stack.v7zstd.dat"
    let report = try Fixtures.traceCmdReport(Fixtures.url(local))
    var matrix: [String: Int] = [:]
    let sends = report.filter { $0.contains(" ipi_send_cpu: ") }
    for line in sends {
      let sender = try #require(line.firstMatch(of: /\[(\d+)\]/)).1
      let target = try #require(line.firstMatch(of: /\scpu=(\d+)\s/)).1
      matrix["\(Int(sender)!)>\(Int(target)!)", default: 0] += 1
    }
    // fixtures/tracedat/local618-flips-stack.expected (awk): text_poke sends per flip.
    let expected = try String(contentsOf: Fixtures.url("tracedat/local618-flips-stack.expected"), encoding: .utf8).split(separator: "\n")
    let syncs = expected.map { line in Int(line.split(separator: " ").first { $0.hasPrefix("tp_sends=") }!.dropFirst(9))! }.reduce(0, +)
    let (counts, _, console) = try Self.page("fixtures/" + local, in: folder)
    #expect(console.isEmpty, "console: \(console)")
    #expect(counts.cells == 4)
    #expect(counts.matrix == matrix)
    #expect(counts.ticks == sends.count)
    #expect(counts.syncTicks == syncs)
    #expect(counts.flips == report.filter { $0.contains("tracing_mark_write: FLIP_BEGIN") }.count)

    // Lab 6.1, 2 CPUs: batches are the tpb kprobe hits on text_poke_bp_batch, sends the
    // sendipi1 kprobe hits.
    let lab = "tracedat/lab61-2cpu.v7zstd.dat"
    let labReport = try Fixtures.traceCmdReport(Fixtures.url(lab))
    let labCounts = try Self.page("fixtures/" + lab, in: folder).counts
    #expect(labCounts.bars == labReport.filter { $0.contains(" tpb: ") }.count)
    #expect(labCounts.ticks == labReport.filter { $0.contains(" sendipi1: ") }.count)
    #expect(labCounts.cells == 4)
  }

  @Test("the console check sees a page's console errors (control)",
        .enabled(if: Fixtures.canRun(with: "chromium"), "needs chromium (Debian package chromium)"))
  func consoleControl() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let page = folder.appendingPathComponent("bad.html")
    try "<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>".write(to: page, atomically: true, encoding: .utf8)
    let console = try Self.render(page).console
    #expect(console.contains { $0.contains("undefinedFunction") })
  }
}
