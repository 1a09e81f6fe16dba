import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceAnalysis
@testable import TraceNative
@testable import TracePipeline

/// `analyze`'s memory on long traces (issue #15): what the analyzer keeps one by one must not
/// grow with the trace's length. Not timed: the check is the analyzer's high-water mark of
/// batches, receptions, flips and sends kept at once (``IPIAnalyzer/retainedHighWaterMark``),
/// on a synthetic long trace built from a fixture's real ring-buffer pages repeated.
@Suite struct LongTraceMemoryTests {
  /// An uncompressed trace.dat fixture (its CPU data is raw pages) with IPIs, batches and marked flips.
  static let fixtures = ["tracedat/local618-flips-stack.v7none.dat.gz"]

  /// The contents of the uncompressed trace.dat at `path` with its ring-buffer pages repeated
  /// `copies` times per CPU, each copy's page timestamps (ns, the first 8 bytes of a page
  /// header) shifted past the previous copy's: by the pages' time span plus one second.
  static func repeatedPages(of path: String, copies: Int) throws -> TraceDatContents {
    let file = try FileBytes(path: path)
    let layout = try TraceDatLayout.read(file)
    precondition(layout.compression == .none && !layout.bigEndian, "repeatedPages reads raw little-endian pages")
    var systems: [TraceDatContents.EventSystem] = []
    for (system, format) in layout.eventFormats {
      if systems.last?.name == system {
        systems[systems.count - 1].formats.append(format)
      } else {
        systems.append(.init(name: system, formats: [format]))
      }
    }
    let buffer = layout.buffers[0]
    let pageSize = buffer.pageSize
    let pages = try buffer.cpus.map { try file.read(at: $0.offset, count: $0.size - $0.size % pageSize) }
    func timestamp(_ bytes: [UInt8], page: Int) -> UInt64 {
      (0..<8).reduce(0) { $0 | UInt64(bytes[page * pageSize + $1]) << (8 * UInt64($1)) }
    }
    let stamps = pages.flatMap { bytes in (0..<bytes.count / pageSize).map { timestamp(bytes, page: $0) } }
    let span = (stamps.max() ?? 0) - (stamps.min() ?? 0) + 1_000_000_000
    let cpuPages = zip(buffer.cpus, pages).map { cpu, bytes -> TraceDatContents.CPUPages in
      var repeated: [UInt8] = []
      repeated.reserveCapacity(bytes.count * copies)
      for copy in 0..<copies {
        var shifted = bytes
        for page in 0..<bytes.count / pageSize {
          let stamp = timestamp(bytes, page: page) + UInt64(copy) * span
          for byte in 0..<8 { shifted[page * pageSize + byte] = UInt8(truncatingIfNeeded: stamp >> (8 * UInt64(byte))) }
        }
        repeated += shifted
      }
      return .init(cpu: cpu.cpu, bytes: repeated)
    }
    return TraceDatContents(
      pageSize: layout.pageSize, headerPage: layout.headerPage, headerEvent: layout.headerEvent,
      ftraceFormats: layout.ftraceFormats, eventSystems: systems, kallsyms: layout.kallsyms,
      printkFormats: layout.printkFormats, savedCmdlines: layout.cmdlines, uname: layout.uname ?? "",
      traceClockFile: "[\(buffer.clock ?? "local")] global", clock: buffer.clock ?? "local",
      cpuCount: layout.cpuCount ?? buffer.cpus.count, cpuStats: [:], subbufferSize: pageSize, cpuPages: cpuPages)
  }

  /// The digest path's report on `path` and the analyzer's high-water mark.
  static func analyze(_ path: String) throws -> (AnalysisReport, retained: Int) {
    let reader = try TraceDatReader(path: path)
    var analyzer = IPIAnalyzer(metadata: reader.metadata)
    let skipped = try Pipeline.feedDigested(reader, to: &analyzer)
    return (analyzer.finish(skippedEvents: skipped), analyzer.retainedHighWaterMark)
  }

  @Test("the analyzer keeps no more of a 4x longer trace than of the 1x one", arguments: fixtures)
  func flatRetention(_ fixture: String) throws {
    let source = try Fixtures.materialize(fixture).path
    var results: [(report: AnalysisReport, retained: Int)] = []
    // 298 events a copy: enough copies for many sweeps of the live batches.
    for copies in [16, 64] {
      let path = FileManager.default.temporaryDirectory.appendingPathComponent("long-\(UUID().uuidString).dat").path
      defer { try? FileManager.default.removeItem(atPath: path) }
      try TraceDatWriter.write(try Self.repeatedPages(of: source, copies: copies), to: path)
      results.append(try Self.analyze(path))
    }
    let (short, long) = (results[0], results[1])
    // Every copy was read: 4x the sends and batches.
    #expect(short.report.ipi.sendEvents > 0)
    #expect(long.report.ipi.sendEvents == 4 * short.report.ipi.sendEvents)
    #expect(long.report.textPoke.batches.count == 4 * short.report.textPoke.batches.count)
    #expect(short.retained > 0)
    #expect(long.report.flips.count == 4 * short.report.flips.count)
    #expect(long.retained <= short.retained + short.retained / 10, "kept \(short.retained) at 16 copies, \(long.retained) at 64")
  }

  /// Writes a long trace for the benchmark figures (scripts/make-long-trace.sh): the pages of
  /// `POKESTAT_LONG_TRACE_SOURCE` (an uncompressed trace.dat) repeated
  /// `POKESTAT_LONG_TRACE_COPIES` times into `POKESTAT_LONG_TRACE_OUT`, compressed as
  /// `POKESTAT_LONG_TRACE_COMPRESSION` says (`none`, the default, or `zstd`). Runs only when
  /// the output is set.
  @Test(
    "writes a long trace for benchmarks",
    .enabled(if: ProcessInfo.processInfo.environment["POKESTAT_LONG_TRACE_OUT"] != nil))
  func writeBenchmarkTrace() throws {
    let environment = ProcessInfo.processInfo.environment
    let source = try #require(environment["POKESTAT_LONG_TRACE_SOURCE"])
    let copies = try #require(environment["POKESTAT_LONG_TRACE_COPIES"].flatMap { Int($0) })
    let compression = try #require(TraceDatWriter.Compression(rawValue: environment["POKESTAT_LONG_TRACE_COMPRESSION"] ?? "none"))
    try TraceDatWriter.write(
      try Self.repeatedPages(of: source, copies: copies), to: try #require(environment["POKESTAT_LONG_TRACE_OUT"]),
      compression: compression)
  }
}
