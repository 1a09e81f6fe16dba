import Foundation
import Testing
import TraceModel
import TraceNative
import TraceReaders
import TraceTestSupport

/// A trace.dat fixture and the file whose `trace-cmd report` output it must reproduce.
/// The zlib fixtures are re-encodings of zstd ones (Debian's trace-cmd reads no zlib), so
/// their oracle is the original.
struct DatFixture: CustomTestStringConvertible, Sendable {
  var path: String
  var oracle: String
  var version: Int
  var compression: String
  var cpus: Int
  var buffers: [String]
  var testDescription: String { path }

  static let all: [DatFixture] = [
    DatFixture(path: "tracedat/local618-flips-stack.v7zstd.dat", oracle: "tracedat/local618-flips-stack.v7zstd.dat", version: 7, compression: "zstd", cpus: 2, buffers: [""]),
    DatFixture(path: "tracedat/local618-flips-nostack.v7zstd.dat", oracle: "tracedat/local618-flips-nostack.v7zstd.dat", version: 7, compression: "zstd", cpus: 2, buffers: [""]),
    DatFixture(path: "tracedat/local618-flips-stack.v7none.dat.gz", oracle: "tracedat/local618-flips-stack.v7none.dat.gz", version: 7, compression: "none", cpus: 2, buffers: [""]),
    DatFixture(path: "tracedat/local618-flips-stack.v6.dat.gz", oracle: "tracedat/local618-flips-stack.v6.dat.gz", version: 6, compression: "none", cpus: 2, buffers: [""]),
    DatFixture(path: "tracedat/local618-flips-stack.v7zlib.dat", oracle: "tracedat/local618-flips-stack.v7zstd.dat", version: 7, compression: "zlib", cpus: 2, buffers: [""]),
    DatFixture(path: "tracedat/local618-lost-events.v7zstd.dat", oracle: "tracedat/local618-lost-events.v7zstd.dat", version: 7, compression: "zstd", cpus: 2, buffers: ["", "pokestat-lost-5245"]),
    DatFixture(path: "tracedat/lab61-2cpu.v7zstd.dat", oracle: "tracedat/lab61-2cpu.v7zstd.dat", version: 7, compression: "zstd", cpus: 2, buffers: ["", "ev"]),
    DatFixture(path: "tracedat/lab61-4cpu.v7zstd.dat", oracle: "tracedat/lab61-4cpu.v7zstd.dat", version: 7, compression: "zstd", cpus: 4, buffers: ["", "ev"]),
    DatFixture(path: "tracedat/lab61-8cpu.v7zstd.dat", oracle: "tracedat/lab61-8cpu.v7zstd.dat", version: 7, compression: "zstd", cpus: 8, buffers: ["", "ev"]),
    DatFixture(path: "tracedat/lab61-2cpu.v6.dat.gz", oracle: "tracedat/lab61-2cpu.v6.dat.gz", version: 6, compression: "none", cpus: 2, buffers: ["", "ev"]),
    DatFixture(path: "tracedat/lab61-2cpu.v7zlib.dat", oracle: "tracedat/lab61-2cpu.v7zstd.dat", version: 7, compression: "zlib", cpus: 2, buffers: ["", "ev"]),
    DatFixture(path: "tracedat/local618-nonutf8-instance.dat", oracle: "tracedat/local618-nonutf8-instance.dat", version: 7, compression: "zstd", cpus: 2, buffers: ["", "pokestat-utf8-5384"]),
  ]
}

@Suite struct TraceDatReaderTests {
  @Test("every trace.dat fixture is listed in the test table")
  func fixtureTableIsComplete() {
    let onDisk = Set(Fixtures.files(in: "tracedat", suffix: ".dat") + Fixtures.files(in: "tracedat", suffix: ".dat.gz"))
    #expect(onDisk == Set(DatFixture.all.map(\.path)))
  }

  @Test("reads the container: version, compression, CPUs, buffers, kernel",
        arguments: DatFixture.all)
  func container(_ fixture: DatFixture) throws {
    let reader = try TraceDatReader(path: try Fixtures.materialize(fixture.path).path)
    #expect(reader.fileVersion == fixture.version)
    #expect(reader.compressionName == fixture.compression)
    #expect(reader.metadata.cpuCount == fixture.cpus)
    #expect(reader.metadata.buffers == fixture.buffers)
    #expect(reader.metadata.kernelRelease?.hasPrefix(fixture.path.contains("lab61") ? "6.1." : "6.18.") == true)
    #expect(reader.metadata.symbols.count > 10_000)
  }

  @Test("pokestat's dump matches trace-cmd report line by line",
        .enabled(if: Fixtures.canRun(with: "trace-cmd"), "trace-cmd is not installed (apt-get install trace-cmd)"),
        arguments: DatFixture.all)
  func dumpMatchesTraceCmd(_ fixture: DatFixture) throws {
    let reader = try TraceDatReader(path: try Fixtures.materialize(fixture.path).path)
    var ours: [String] = []
    try TraceCmdReportText.forEachLine(of: reader) { ours.append(contentsOf: $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)) }
    let theirs = try Fixtures.traceCmdReport(try Fixtures.materialize(fixture.oracle))
    #expect(ours.count == theirs.count)
    for (index, (mine, reference)) in zip(ours, theirs).enumerated() where mine != reference {
      Issue.record("line \(index + 1) differs:\n ours:   \(mine)\n theirs: \(reference)")
      break
    }
  }

  @Test("streams hold as many events as trace-cmd report -R prints",
        .enabled(if: Fixtures.canRun(with: "trace-cmd"), "trace-cmd is not installed"),
        arguments: DatFixture.all)
  func eventCounts(_ fixture: DatFixture) throws {
    let reader = try TraceDatReader(path: try Fixtures.materialize(fixture.path).path, attachesStacks: false)
    var count = 0
    try reader.forEachEvent(fields: .none) { _ in count += 1 }
    let lines = try Fixtures.traceCmdReport(try Fixtures.materialize(fixture.oracle), raw: true)
    let events = lines.dropFirst().filter { !$0.hasPrefix("=>") && !$0.contains("EVENTS DROPPED]") }
    #expect(count == events.count)
  }

  @Test("events come out in time order and kernel stacks attach to the event before them")
  func timeOrderAndStacks() throws {
    let reader = try TraceDatReader(path: Fixtures.url("tracedat/local618-flips-stack.v7zstd.dat").path)
    var last = Timestamp(nanoseconds: 0)
    var sendsWithStacks = 0
    var stackEvents = 0
    try reader.forEachEventInTimeOrder(fields: .all) { event in
      #expect(event.timestamp >= last)
      last = event.timestamp
      if event.name == "kernel_stack" { stackEvents += 1 }
      if event.name == "ipi_send_cpu", let stack = event.stack {
        sendsWithStacks += 1
        #expect(stack.frames.first?.symbol == "trace_event_raw_event_ipi_send_cpu")
        #expect(event[field: "cpu"]?.unsignedValue != nil)
      }
    }
    #expect(stackEvents == 0)
    #expect(sendsWithStacks > 0)
  }
}

/// A damaged trace.dat from fixtures/bad/ and the error it must give (fixtures/bad/expected.tsv,
/// written by scripts/fixtures/make-bad-fixtures.py from the file structure).
struct BadFixture: CustomTestStringConvertible, Sendable {
  var file: String
  var reason: String
  var offset: Int
  var testDescription: String { file }

  static func all() -> [BadFixture] {
    let text = (try? String(contentsOf: Fixtures.url("bad/expected.tsv"), encoding: .utf8)) ?? ""
    return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
      let parts = line.split(separator: "\t")
      guard parts.count == 3, let offset = Int(parts[2]) else { return nil }
      return BadFixture(file: String(parts[0]), reason: String(parts[1]), offset: offset)
    }
  }
}

@Suite struct BadTraceDatTests {
  @Test("there is a bad-input fixture for each kind of damage")
  func coverage() {
    let reasons = Set(BadFixture.all().map(\.reason))
    #expect(reasons.isSuperset(of: ["emptyInput", "truncated", "badMagic", "unsupportedVersion", "sectionPastEnd",
                                     "corruptCompressedData", "pageHeaderPastPage", "unknownEventID"]))
  }

  @Test("each damaged file fails with its error at its byte offset", arguments: BadFixture.all())
  func damaged(_ fixture: BadFixture) throws {
    let path = Fixtures.url("bad/\(fixture.file)").path
    let error = try #require(throws: TraceParseError.self) {
      let reader = try TraceDatReader(path: path)
      try reader.forEachEvent(fields: .all) { _ in }
    }
    #expect(error.location.file == path)
    #expect(error.location.byteOffset == fixture.offset)
    #expect(Self.name(of: error.reason) == fixture.reason)
  }

  static func name(of reason: TraceParseError.Reason) -> String {
    String(describing: reason).prefix { $0 != "(" }.description
  }
}
