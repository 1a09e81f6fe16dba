import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceNative

#if canImport(Glibc)
  import Glibc
#endif

/// Root and tracefs for the live test; when `CI` is set it runs regardless (and fails without a kernel).
private let liveKernel = ConditionTrait.enabled(
  if: (geteuid() == 0 && FileManager.default.fileExists(atPath: "/sys/kernel/tracing/instances")) || Fixtures.isCI,
  "needs root and tracefs at /sys/kernel/tracing (mount -t tracefs nodev /sys/kernel/tracing)")

@Suite struct TraceDatWriterTests {
  /// The lines pokestat's report prints for a trace.dat (a kernel stack spans several).
  static func reportLines(_ path: String) throws -> [String] {
    var lines: [String] = []
    try TraceCmdReportText.forEachLine(of: try TraceDatReader(path: path, attachesStacks: false)) {
      lines.append(contentsOf: $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    }
    return lines
  }

  /// The contents of an existing (uncompressed) trace.dat, as a capture would gather them.
  static func contents(of path: String) throws -> TraceDatContents {
    let file = try FileBytes(path: path)
    let layout = try TraceDatLayout.read(file)
    var systems: [TraceDatContents.EventSystem] = []
    for (system, format) in layout.eventFormats {
      if systems.last?.name == system { systems[systems.count - 1].formats.append(format) } else { systems.append(.init(name: system, formats: [format])) }
    }
    let buffer = layout.buffers[0]
    return TraceDatContents(
      pageSize: layout.pageSize, headerPage: layout.headerPage, headerEvent: layout.headerEvent,
      ftraceFormats: layout.ftraceFormats, eventSystems: systems, kallsyms: layout.kallsyms,
      printkFormats: layout.printkFormats, savedCmdlines: layout.cmdlines, uname: layout.uname ?? "",
      traceClockFile: "[\(buffer.clock ?? "local")] global", clock: buffer.clock ?? "local",
      cpuCount: layout.cpuCount ?? buffer.cpus.count, cpuStats: [:], subbufferSize: buffer.pageSize,
      cpuPages: try buffer.cpus.map { .init(cpu: $0.cpu, bytes: try file.read(at: $0.offset, count: $0.size)) })
  }

  static func temporaryPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID().uuidString).dat").path
  }

  @Test("rewriting a trace-cmd trace.dat keeps every report line")
  func rewritesFixture() throws {
    let original = try Fixtures.materialize("tracedat/local618-flips-stack.v7none.dat.gz").path
    let written = Self.temporaryPath()
    defer { try? FileManager.default.removeItem(atPath: written) }
    try TraceDatWriter.write(try Self.contents(of: original), to: written)
    let reader = try TraceDatReader(path: written)
    #expect(reader.fileVersion == 7)
    #expect(reader.compressionName == "none")
    #expect(reader.metadata.cpuCount == 2)
    #expect(reader.metadata.kernelRelease?.hasPrefix("6.18.") == true)
    #expect(try Self.reportLines(written) == Self.reportLines(original))
  }

  @Test("trace-cmd report reads a written file as pokestat does",
        .enabled(if: Fixtures.canRun(with: "trace-cmd"), "trace-cmd is not installed (apt-get install trace-cmd)"),
        arguments: TraceDatWriter.Compression.allCases)
  func traceCmdReadsWrittenFile(_ compression: TraceDatWriter.Compression) throws {
    let original = try Fixtures.materialize("tracedat/local618-flips-stack.v7none.dat.gz").path
    let written = Self.temporaryPath()
    defer { try? FileManager.default.removeItem(atPath: written) }
    try TraceDatWriter.write(try Self.contents(of: original), to: written, compression: compression)
    #expect(try TraceDatReader(path: written).compressionName == compression.rawValue)
    let theirs = try Fixtures.traceCmdReport(URL(fileURLWithPath: written)).map(String.init)
    let ours = try Self.reportLines(written)
    #expect(theirs.count == ours.count)
    for (index, (mine, reference)) in zip(ours, theirs).enumerated() where mine != reference {
      Issue.record("line \(index + 1) differs:\n ours:   \(mine)\n theirs: \(reference)")
      break
    }
  }

  @Test("a live capture of 10 flips writes a file trace-cmd and pokestat read alike; the instance is gone after", .enabled(if: Fixtures.canRun(with: "trace-cmd"), "needs trace-cmd (the oracle)"),
        liveKernel)
  func liveCapture() throws {
    let lock = open("/tmp/pokestat-live-tests.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
    defer { close(lock) }
    flock(lock, LOCK_EX)
    let before = try LiveCapture.sysctlValue("kernel.bpf_stats_enabled")
    let written = Self.temporaryPath()
    defer { try? FileManager.default.removeItem(atPath: written) }
    let capture = try LiveCapture(options: .init(bufferSizeKilobytes: 1024))
    let name = capture.instanceName
    #expect(capture.sources.contains { $0.name == "ipi:ipi_send_cpu" && $0.isChosen })
    do {
      defer { capture.restore() }
      try capture.start()
      for _ in 0..<5 {
        for value in ["1", "0"] {
          try capture.mark("FLIP_BEGIN bpf_stats_enabled=\(value)")
          try capture.setSysctl("kernel.bpf_stats_enabled", to: value)
          try capture.mark("FLIP_END bpf_stats_enabled=\(value)")
        }
      }
      try capture.restoreSysctls()
      Thread.sleep(forTimeInterval: 0.05)
      let result = try capture.finish()
      #expect(result.lostEvents == 0)
      try TraceDatWriter.write(result.contents, to: written)
    }
    #expect(!FileManager.default.fileExists(atPath: "/sys/kernel/tracing/instances/\(name)"))
    #expect(try LiveCapture.sysctlValue("kernel.bpf_stats_enabled") == before)

    let ours = try Self.reportLines(written)
    #expect(ours.filter { $0.contains("FLIP_BEGIN") }.count == 10)
    #expect(ours.filter { $0.contains("func=do_sync_core") }.count == 30)  // 3 syncs per flip, 1 other CPU
    #expect(try Fixtures.traceCmdReport(URL(fileURLWithPath: written)).map(String.init) == ours)
  }
}
