import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceReaders

@Suite("bad and unusual text input")
struct BadInputTests {
  static let goodLine = "            bash-8778    [001] ...1.   570.978295: csd_queue_cpu: cpu=0 func=do_sync_core\n"

  @Test("a malformed line gives its file and 1-based line; lenient skips and counts it")
  func malformed() throws {
    let path = try TestFiles.temporary(Self.goodLine + "this is not a trace line\n" + Self.goodLine)
    let error = try #require(throws: TraceParseError.self) {
      _ = try FtraceTextSource(path: path).readAll()
    }
    #expect(error.location == InputLocation(file: path, line: 2))
    #expect(error.description.hasPrefix("\(path):2: expected an ftrace event line"))
    let (events, skipped) = try FtraceTextSource(path: path, options: TextReaderOptions(lenient: true)).readAll()
    #expect(events.count == 2 && skipped.count == 1 && skipped.first?.location.line == 2)
  }

  @Test("a truncated final line without a newline is still read; a cut-off one is an error at its line")
  func truncatedFinalLine() throws {
    let whole = try TestFiles.temporary(Self.goodLine + String(Self.goodLine.dropLast()))
    #expect(try FtraceTextSource(path: whole).readAll().events.count == 2)
    let cut = try TestFiles.temporary(Self.goodLine + "            bash-8778    [001] ...1.   570.97")
    let error = try #require(throws: TraceParseError.self) { _ = try FtraceTextSource(path: cut).readAll() }
    #expect(error.location.line == 2)
  }

  @Test("CRLF line ends read like LF")
  func crlf() throws {
    let lf = try FtraceTextSource(path: Fixtures.url("text/report-stack.txt").path).readAll().events
    let text = try String(contentsOf: Fixtures.url("text/report-stack.txt"), encoding: .utf8)
    let path = try TestFiles.temporary(text.replacingOccurrences(of: "\n", with: "\r\n"))
    let crlf = try FtraceTextSource(path: path).readAll().events
    #expect(crlf == lf)
  }

  @Test("binary data passed as text is an error at the line holding it")
  func binary() throws {
    var bytes = Array(Self.goodLine.utf8)
    bytes += [0x17, 0x08, 0x44, 0x00, 0xff, 0x0a]
    let path = try TestFiles.temporary(bytes)
    let error = try #require(throws: TraceParseError.self) { _ = try FtraceTextSource(path: path).readAll() }
    #expect(error.location.line == 2)
    #expect(error.reason == .malformedLine(expected: "a text line", found: "binary data (a NUL byte)"))
    #expect(detectFormat(firstBytes: bytes) == nil)
  }

  @Test("an empty file has no events and no format")
  func empty() throws {
    let path = try TestFiles.temporary("")
    #expect(try FtraceTextSource(path: path).readAll().events.isEmpty)
    let error = try #require(throws: TraceParseError.self) { _ = try detectInput(path: path) }
    #expect(error.reason == .emptyInput)
  }

  @Test("a missing file is a read error naming it")
  func missing() throws {
    let error = try #require(throws: TraceParseError.self) {
      _ = try FtraceTextSource(path: "/nonexistent/pokestat-trace.txt")
    }
    #expect(error.location.file == "/nonexistent/pokestat-trace.txt")
  }

  @Test("gzip and zstd files are read transparently")
  func compressed() throws {
    let original = Fixtures.url("text/tracefs-default.txt").path
    let plain = try FtraceTextSource(path: original).readAll().events
    for tool in ["gzip", "zstd"] {
      guard let executable = Fixtures.which(tool) else { continue }
      let path = NSTemporaryDirectory() + "pokestat-\(UUID().uuidString).txt.\(tool == "gzip" ? "gz" : "zst")"
      defer { try? FileManager.default.removeItem(atPath: path) }
      _ = try Fixtures.run("/bin/sh", ["-c", "\(executable) -c '\(original)' > '\(path)'"])
      #expect(try detectInput(path: path) == (.ftraceText, tool == "gzip" ? .gzip : .zstd))
      #expect(try FtraceTextSource(path: path).readAll().events == plain)
    }
  }

  @Test("a file of many blocks and a line longer than a block stream with flat memory")
  func largeFile() throws {
    // 400 000 lines (~40 MB) cross ~40 read blocks; one 3 MiB marker line grows the buffer.
    let lines = 400_000
    var text = ""
    text.reserveCapacity(lines * 100)
    for index in 0..<lines {
      text += "          <idle>-0       [001] d.h1.   \(1000 + index / 1000).\(String(format: "%06d", index % 1000 * 7)): call_function_single_entry: vector=251\n"
    }
    text += "            bash-1    [000] ...1.   2000.000001: tracing_mark_write: " + String(repeating: "x", count: 3 << 20) + "\n"
    let path = try TestFiles.temporary(text)
    defer { try? FileManager.default.removeItem(atPath: path) }
    var stream = try FtraceTextSource(path: path).stream(0, fields: .none)
    var count = 0
    var cpu1 = 0
    while let event = try stream.next() {
      count += 1
      if event.cpu == 1 { cpu1 += 1 }
    }
    #expect(count == lines + 1 && cpu1 == lines)
  }
}

@Suite("format detection")
struct InputFormatTests {
  static let cases: [(String, InputFormat)] = [
    ("tracefs-default.txt", .ftraceText), ("tracefs-latency.txt", .ftraceText), ("lab61-fgraph.txt", .ftraceText),
    ("tracefs-pipe-lost.txt", .ftraceText), ("report-stack.txt", .traceCmdReport),
    ("report-seed-chronyd.txt", .ftraceText), ("perfscript-ipi.txt", .perfScript),
    ("perfscript-ipi-F.txt", .perfScript), ("perfscript-cpuclock.txt", .perfScript),
    ("perfreport-cpuclock.txt", .perfReport), ("perfreport-seed-int3.txt", .perfReport),
    ("perfstat-default.txt", .perfStatText), ("perfstat-A.txt", .perfStatText),
    ("perfstat-seed-itlb-before.txt", .perfStatText), ("perfstat-csv.txt", .perfStatCSV),
    ("perfstat-json.txt", .perfStatJSON), ("bpftool-prog.txt", .bpftoolText),
    ("bpftool-seed-before.txt", .bpftoolText), ("bpftool-prog.json", .bpftoolJSON),
    ("interrupts-snapshots.txt", .procInterrupts), ("dmesg-local.txt", .dmesg),
    ("dmesg-seed-textpoke.txt", .dmesg), ("perfscript-ipi-Fsym.txt", .perfScript),
    ("perfscript-ipi-Fnocg.txt", .perfScript), ("perfscript-ipi-ns.txt", .perfScript),
    ("perfscript-cpuclock-F.txt", .perfScript), ("perfreport-children.txt", .perfReport),
  ]

  @Test("each fixture is recognized from its content", arguments: cases)
  func detect(_ fixture: (String, InputFormat)) throws {
    let bytes = try Data(contentsOf: Fixtures.url("text/\(fixture.0)"))
    #expect(detectFormat(firstBytes: bytes) == fixture.1)
  }

  @Test("trace.dat magic")
  func traceDat() {
    #expect(detectFormat(firstBytes: [0x17, 0x08, 0x44] + Array("tracing6\0".utf8)) == .traceDat)
  }
}
