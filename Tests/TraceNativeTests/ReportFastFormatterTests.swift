import Foundation
import Synchronization
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceNative

/// Every trace.dat fixture, ours and foreign (fixtures/README.md, fixtures/foreign/README.md).
private let allTraceDat: [String] = DatFixture.all.map(\.path) + ForeignDat.all.map(\.path)

/// Events each formatter handled over the whole corpus, filled by the parameterized test.
private let formattedOverCorpus = Mutex<[String: Int]>([:])

@Suite("fast report formatters print what libtraceevent prints", .serialized)
struct ReportFastFormatterTests {
  @Test("every event a fast formatter handles reads as libtraceevent prints it", arguments: allTraceDat)
  func sameTextAsLibtraceevent(_ fixture: String) throws {
    let reader = try TraceDatReader(path: try Fixtures.materialize(fixture).path, attachesStacks: false)
    let check = try TraceCmdReportText.checkFastFormatters(of: reader)
    #expect(check.mismatches.isEmpty, "\(check.mismatches.prefix(3))")
    formattedOverCorpus.withLock { $0.merge(check.formatted, uniquingKeysWith: +) }
  }

  @Test("each formatter met events of its kind in the corpus")
  func everyFormatterIsExercised() throws {
    // Runs the corpus itself when the parameterized test has not (filtered runs).
    var counts = formattedOverCorpus.withLock { $0 }
    if counts.isEmpty {
      for fixture in allTraceDat {
        let reader = try TraceDatReader(path: try Fixtures.materialize(fixture).path, attachesStacks: false)
        counts.merge(try TraceCmdReportText.checkFastFormatters(of: reader).formatted, uniquingKeysWith: +)
      }
    }
    for kind in ["sched:sched_switch", "sched:sched_wakeup", "ipi:ipi_send_cpu", "irq_vectors:call_function_single_entry"] {
      #expect(counts[kind, default: 0] > 0, "no \(kind) formatted: \(counts)")
    }
  }

  @Test("the threaded printer prints what the one-thread libtraceevent printer prints", arguments: allTraceDat)
  func sameAsSerialPrinter(_ fixture: String) throws {
    let path = try Fixtures.materialize(fixture).path
    // One thread per stream, fewer threads than streams, and none (the default for files this small).
    let threaded = try Self.blocks(path, blockSize: 1 << 20, streamThreads: 64)
    let oneThread = try Self.blocks(path, blockSize: 1 << 16, streamThreads: 1)
    let none = try Self.blocks(path, blockSize: 1 << 20, streamThreads: 0)
    var serial: [UInt8] = []
    try TraceCmdReportText.forEachRawLineSerially(of: try TraceDatReader(path: path, attachesStacks: false)) {
      serial += $0
      serial.append(10)
    }
    #expect(threaded == serial)
    #expect(oneThread == serial)
    #expect(none == serial)
    // Line by line (the per-event API) gives the same bytes.
    var lines: [UInt8] = []
    try TraceCmdReportText.forEachRawLine(of: try TraceDatReader(path: path, attachesStacks: false)) {
      lines += $0
      lines.append(10)
    }
    #expect(lines == serial)
  }

  @Test("events with equal timestamps on several CPUs come out lowest CPU first, as trace-cmd prints them",
        .enabled(if: Fixtures.canRun(with: "trace-cmd"), "trace-cmd is not installed (apt-get install trace-cmd)"))
  func tiesAcrossCPUs() throws {
    // CPU 1 gets a copy of CPU 0's pages: every event has a twin with the same timestamp.
    let original = try Fixtures.materialize("tracedat/local618-flips-stack.v7none.dat.gz").path
    var contents = try TraceDatWriterTests.contents(of: original)
    let cpu0 = try #require(contents.cpuPages.first { $0.cpu == 0 })
    contents.cpuPages = [cpu0, TraceDatContents.CPUPages(cpu: 1, bytes: cpu0.bytes)]
    let written = TraceDatWriterTests.temporaryPath()
    defer { try? FileManager.default.removeItem(atPath: written) }
    try TraceDatWriter.write(contents, to: written)
    let theirs = try RawOutput.traceCmdReport(written)
    for threads in [0, 1, 2] {
      let ours = try Self.blocks(written, blockSize: 1 << 12, streamThreads: threads)
      #expect(ours.count > 1000)
      #expect(ours == theirs, "\(threads) stream threads")
    }
  }

  /// `forEachBlock`'s bytes with `streamThreads` stream threads.
  static func blocks(_ path: String, blockSize: Int, streamThreads: Int?) throws -> [UInt8] {
    var bytes: [UInt8] = []
    try TraceCmdReportText.forEachBlock(
      of: try TraceDatReader(path: path, attachesStacks: false), blockSize: blockSize, streamThreads: streamThreads
    ) {
      #expect($0.last == 10)
      bytes += $0
    }
    return bytes
  }
}
