import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceReaders

/// The text corpus: files from other people's machines and tools (fixtures/foreign/text/, see
/// fixtures/foreign/README.md) and this machine's perf script layouts (fixtures/text/local618-*),
/// read by the readers with counts equal to the awk ones of
/// scripts/fixtures/expected-foreign-text.sh (`<file>.expected`).
@Suite("foreign and layout text corpus")
struct ForeignTextCorpusTests {
  static func corpus(_ suffixes: [String]) -> [String] {
    let files = ["foreign/text", "text"].flatMap { folder in
      suffixes.flatMap { Fixtures.files(in: folder, suffix: $0) }
    }
    return files.filter { !$0.contains("-noevent.") }.sorted()
  }
  static let traceText = corpus([".ftrace.txt", ".report.txt"])
  static let perfScripts = corpus([".perfscript.txt", ".perfscript.txt.gz"])
  static let perfReports = corpus([".perfreport.txt"])
  static let interrupts = corpus([".interrupts.txt"])

  static func expected(_ fixture: String) throws -> [String: String] {
    let path = Fixtures.url(fixture).path.replacingOccurrences(of: ".gz", with: "") + ".expected"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var values: [String: String] = [:]
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
    }
    return values
  }

  @Test("the corpus has every kind") func corpusSize() {
    #expect(Self.traceText.count >= 10)
    #expect(Self.perfScripts.count >= 10)
    #expect(Self.perfReports.count >= 1)
    #expect(Self.interrupts.count >= 4)
    #expect(
      Fixtures.files(in: "foreign/text", suffix: "").filter { !$0.hasSuffix(".expected") }.count
        >= 14)
  }

  @Test(
    "ftrace and report text: events, stacks, per CPU and per name as awk counts them",
    arguments: traceText)
  func traceTextCounts(_ fixture: String) throws {
    let want = try Self.expected(fixture)
    let path = Fixtures.url(fixture).path
    #expect([InputFormat.ftraceText, .traceCmdReport].contains(try detectInput(path: path).format))
    let source = try FtraceTextSource(path: path)
    var stream = try source.stream(0, fields: .all)
    var events: [TraceEvent] = []
    while let event = try stream.next() { events.append(event) }
    #expect(stream.skipped.count == 0)
    // One rule for stacks: each stack block is an event of its own, folded into the one before.
    #expect(events.count + stream.skippedEvents == Int(want["events"]!)!, "events")
    #expect(stream.skippedEvents == Int(want["stacks"] ?? "0")!, "stack blocks")
    #expect(events.filter { $0.stack != nil }.count == Int(want["stacks"] ?? "0")!)
    var perCPU: [String: Int] = [:]
    var perName: [String: Int] = [:]
    for event in events {
      perCPU["cpu.\(event.cpu)", default: 0] += 1
      perName["name.\(event.name)", default: 0] += 1
    }
    #expect(perCPU == want.filter { $0.key.hasPrefix("cpu.") }.mapValues { Int($0)! })
    let names = want.filter { $0.key.hasPrefix("name.") }.mapValues { Int($0)! }
    if !names.isEmpty { #expect(perName == names) }
    #expect(source.metadata.cpuCount == want["header_cpus"].flatMap { Int($0) })
    let continued = events.reduce(0) { $0 + ($1.info?.filter { $0 == "\n" }.count ?? 0) }
    #expect(continued == Int(want["continuations"]!)!, "continuation lines")
  }

  @Test(
    "perf script: samples, frames, events and samples without a CPU as awk counts them",
    arguments: perfScripts)
  func perfScriptCounts(_ fixture: String) throws {
    let want = try Self.expected(fixture)
    let path = Fixtures.url(fixture).path
    #expect(try detectInput(path: path).format == .perfScript)
    let (events, skipped) = try PerfScriptSource(path: path).readAll()
    #expect(skipped.count == 0)
    #expect(events.count == Int(want["samples"]!)!)
    #expect(
      events.reduce(0) { $0 + ($1.stack?.frames.count ?? 0) } == Int(want["frames"]!)! + Int(
        want["inline_frames"]!)!)
    #expect(events.filter { $0.cpu < 0 }.count == Int(want["no_cpu"]!)!)
    #expect((events.map(\.cpu).max() ?? -1) == Int(want["max_cpu"]!)!)
    var perEvent: [String: Int] = [:]
    for event in events {
      perEvent[
        "event.\(event.system == "perf" ? event.name : "\(event.system):\(event.name)")", default: 0
      ] += 1
    }
    #expect(perEvent == want.filter { $0.key.hasPrefix("event.") }.mapValues { Int($0)! })
  }

  @Test("perf report: entries and the first entry as awk reads them", arguments: perfReports)
  func perfReportCounts(_ fixture: String) throws {
    let want = try Self.expected(fixture)
    let path = Fixtures.url(fixture).path
    #expect(try detectInput(path: path).format == .perfReport)
    let (entries, skipped) = try PerfReportReader.read(path: path)
    #expect(skipped.count == 0)
    #expect(entries.count == Int(want["entries"]!)!)
    #expect(entries.first?.symbol == want["first_symbol"])
    #expect(entries.first.map { String(format: "%.2f", $0.percent) } == want["first_percent"])
  }

  @Test(
    "/proc/interrupts: snapshots and function-call rows per CPU as awk sums them",
    arguments: interrupts)
  func interruptCounts(_ fixture: String) throws {
    let want = try Self.expected(fixture)
    let path = Fixtures.url(fixture).path
    #expect(try detectInput(path: path).format == .procInterrupts)
    let (snapshots, skipped) = try InterruptsReader.read(path: path)
    #expect(skipped.count == 0)
    #expect(snapshots.count == Int(want["snapshots"]!)!)
    #expect(snapshots.first?.cpuCount == Int(want["header_cpus"]!)!)
  }

  @Test("perf script -F without `event` is refused at its first line, naming the layout")
  func eventlessLayoutRefused() throws {
    let path = Fixtures.url("text/local618-thread-noevent.perfscript.txt").path
    let error = try #require(throws: TraceParseError.self) {
      _ = try PerfScriptSource(path: path).readAll()
    }
    #expect(error.location.line == 1)
    #expect(error.description.contains("event"))
  }

  @Test("`CPU N is empty` lines are header lines; anything else after `CPU ` is still malformed")
  func emptyCPULines() throws {
    let good = try TestFiles.temporary(
      "version = 6\nCPU 0 is empty\nCPU 12 is empty\ncpus=16\n  ls-4734  [002] 106439.675591: sched_switch: prev_comm=a\n"
    )
    #expect(try FtraceTextSource(path: good).readAll().events.count == 1)
    let bad = try TestFiles.temporary("cpus=2\nCPU 0 is full\n")
    let error = try #require(throws: TraceParseError.self) {
      _ = try FtraceTextSource(path: bad).readAll()
    }
    #expect(error.location.line == 2)
  }

  @Test("CPU numbers too large for an Int (a damaged line) read as a CPU, not a trap")
  func hugeCPUNumbers() throws {
    let path = try TestFiles.temporary(
      "cpus=2\n  ls-1  [99999999999999999999] 1.000001: sched_switch: prev_comm=a\nCPU:99999999999999999999 [LOST 99999999999999999999 EVENTS]\n  ls-1  [001] 1.000002: sched_switch: prev_comm=a\n"
    )
    let (events, _) = try FtraceTextSource(path: path).readAll()
    #expect(events.count == 2)
  }
}

@Suite("bytes that are not UTF-8 in text inputs")
struct NonUTF8TextTests {
  @Test(
    "comm, marker text and perf script comm keep their bytes as \\xNN escapes, valid UTF-8 as it is"
  )
  func keptAsEscapes() throws {
    var bytes =
      Array("cpus=2\n  caf".utf8) + [0xE9]
      + Array("-12  [001] 1.000001: print: tracing_mark_write: a".utf8)
    bytes += [0xFF, 0xFE] + Array("b \\ é\n".utf8)
    let (events, skipped) = try FtraceTextSource(path: try TestFiles.temporary(bytes)).readAll()
    #expect(skipped.count == 0)
    let event = try #require(events.first)
    #expect(event.comm == "caf\\xe9")
    #expect(event[field: "buf"]?.stringValue == "a\\xff\\xfeb \\\\ é")
    var perf =
      Array("sh".utf8) + [0xC3]
      + Array(" 123 [000] 1.000001: cpu-clock: \n\tffffffff81000000 f".utf8) + [0x80, 0x80]
      + Array(" ([kernel.kallsyms])\n\n".utf8)
    perf += []
    let (samples, _) = try PerfScriptSource(path: try TestFiles.temporary(perf)).readAll()
    #expect(samples.first?.comm == "sh\\xc3")
    #expect(samples.first?.stack?.frames.first?.symbol == "f\\x80\\x80")
  }

  @Test("a malformed line that is not UTF-8 is quoted with its bytes in the error")
  func errorQuotesBytes() throws {
    let path = try TestFiles.temporary(Array("cpus=2\nbad ".utf8) + [0xFF] + Array(" line\n".utf8))
    let error = try #require(throws: TraceParseError.self) {
      _ = try FtraceTextSource(path: path).readAll()
    }
    #expect(error.location.line == 2)
    #expect(error.description.contains("bad \\xff line"))
  }

  @Test(
    "EscapedText: valid UTF-8 unchanged, every invalid byte escaped, backslash doubled only then")
  func escapes() {
    #expect(EscapedText.string(Array("a\\é".utf8)) == "a\\é")
    #expect(EscapedText.string([0x61, 0xC0, 0x5C, 0xE2, 0x82]) == "a\\xc0\\\\\\xe2\\x82")
    #expect(EscapedText.string([0xED, 0xA0, 0x80]) == "\\xed\\xa0\\x80")  // a surrogate is not UTF-8
  }
}

@Suite("damaged numbers in text fields")
struct DamagedFieldNumberTests {
  @Test("a CPU list past any kernel's CPUs is no CPU list (no allocation per CPU); 0-7 still is")
  func hugeCPUList() {
    #expect(CPUList.parse("0-99999999") == nil)
    #expect(CPUList.parse("0-7") == Array(0...7))
    #expect(
      CPUList.parse(Substring(Array(repeating: "0-8191", count: 10).joined(separator: ","))) == nil)
  }
}
