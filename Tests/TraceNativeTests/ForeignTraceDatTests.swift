import Foundation
import Testing
import TraceModel
import TraceNative
import TraceReaders
import TraceTestSupport

/// A trace.dat file this project did not make (fixtures/foreign/tracedat/, provenance in
/// fixtures/foreign/README.md), with what its header and uname say, checked independently
/// with `trace-cmd dump --summary` and the kallsyms' architecture-specific symbols.
struct ForeignDat: CustomTestStringConvertible, Sendable {
  var path: String
  /// The traced kernel's long size: `header_page`'s commit field size.
  var kernelLongSize: Int
  var version: Int
  var compression: String
  var cpus: Int
  /// The UNAME option's machine word (nil: the file has no UNAME option).
  var machine: String?
  var testDescription: String { path }

  /// trace-cmd report's output for the original, made by scripts/fixtures/foreign-tracedat.sh.
  var reportPath: String {
    path.replacingOccurrences(of: ".dat.gz", with: ".report.gz").replacingOccurrences(of: ".dat", with: ".report.gz")
  }

  static let all: [ForeignDat] = [
    ForeignDat(path: "foreign/tracedat/i686-buildroot-4.13.9-1cpu.v6.dat.gz", kernelLongSize: 4, version: 6, compression: "none", cpus: 1, machine: "i686"),
    ForeignDat(path: "foreign/tracedat/i686-buildroot-4.13.9-4cpu.v6.dat.gz", kernelLongSize: 4, version: 6, compression: "none", cpus: 4, machine: "i686"),
    ForeignDat(path: "foreign/tracedat/i686-buildroot-4.13.9-listen.v6.dat.gz", kernelLongSize: 4, version: 6, compression: "none", cpus: 1, machine: nil),
    ForeignDat(path: "foreign/tracedat/armv7l-rpi-4.14.62-4cpu.v6.dat.gz", kernelLongSize: 4, version: 6, compression: "none", cpus: 4, machine: "armv7l"),
    ForeignDat(path: "foreign/tracedat/armv7l-wega-4.14.15.v6.dat.gz", kernelLongSize: 4, version: 6, compression: "none", cpus: 1, machine: "armv7l"),
    ForeignDat(path: "foreign/tracedat/arm32-lisa-8cpu.v6.dat.gz", kernelLongSize: 4, version: 6, compression: "none", cpus: 8, machine: nil),
    ForeignDat(path: "foreign/tracedat/arm64-lisa-6cpu.v6.dat.gz", kernelLongSize: 8, version: 6, compression: "none", cpus: 6, machine: nil),
    ForeignDat(path: "foreign/tracedat/arm64-lisa-idle.v6.dat.gz", kernelLongSize: 8, version: 6, compression: "none", cpus: 6, machine: nil),
    ForeignDat(path: "foreign/tracedat/x86_64-vbox-5.15-tc314.v7zstd.dat", kernelLongSize: 8, version: 7, compression: "zstd", cpus: 4, machine: "x86_64"),
  ]

  static let thirtyTwoBit = all.filter { $0.kernelLongSize == 4 }

  /// Every foreign file with each `trace-cmd convert --file-version` it is rewritten to.
  static let rewrites: [ForeignRewrite] = all.flatMap { fixture in [6, 7].map { ForeignRewrite(fixture: fixture, version: $0) } }
}

struct ForeignRewrite: CustomTestStringConvertible, Sendable {
  var fixture: ForeignDat
  var version: Int
  var testDescription: String { "\(fixture.path) as v\(version)" }
}

/// A tool run by a test exited non-zero or by a signal.
struct ToolFailed: Error, CustomStringConvertible {
  var command: String
  var status: Int32
  var description: String { "\(command) exited with \(status)" }
}

/// Runs a tool and returns its standard output as bytes (event text need not be UTF-8).
enum RawOutput {
  static func run(_ executable: String, _ arguments: [String]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
      throw ToolFailed(command: "\(executable) \(arguments.joined(separator: " "))", status: process.terminationStatus)
    }
    return Array(data)
  }

  static var traceCmd: String { Fixtures.which("trace-cmd") ?? "/usr/bin/trace-cmd" }

  /// `trace-cmd report FILE`, byte for byte.
  static func traceCmdReport(_ path: String) throws -> [UInt8] { try run(traceCmd, ["report", path]) }

  /// `pokestat dump`'s bytes: each raw line and a newline.
  static func dump(_ path: String) throws -> [UInt8] {
    var bytes: [UInt8] = []
    try TraceCmdReportText.forEachRawLine(of: try TraceDatReader(path: path, attachesStacks: false)) {
      bytes += $0
      bytes.append(10)
    }
    return bytes
  }

  /// A temporary folder removed by the caller.
  static func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-foreign-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }
}

/// The first line where two outputs differ, for a readable failure.
func firstDifference(_ ours: [UInt8], _ theirs: [UInt8]) -> String? {
  guard ours != theirs else { return nil }
  let mine = ours.split(separator: 10, omittingEmptySubsequences: false)
  let reference = theirs.split(separator: 10, omittingEmptySubsequences: false)
  for (index, (a, b)) in zip(mine, reference).enumerated() where a != b {
    return "line \(index + 1):\n ours:   \(String(decoding: a, as: UTF8.self))\n theirs: \(String(decoding: b, as: UTF8.self))"
  }
  return "line counts differ: \(mine.count) vs \(reference.count)"
}

@Suite struct ForeignTraceDatTests {
  @Test("every foreign trace.dat is listed in the test table, with its trace-cmd report")
  func tableIsComplete() {
    let onDisk = Set(Fixtures.files(in: "foreign/tracedat", suffix: ".dat") + Fixtures.files(in: "foreign/tracedat", suffix: ".dat.gz"))
    #expect(onDisk == Set(ForeignDat.all.map(\.path)))
    for fixture in ForeignDat.all {
      #expect(FileManager.default.fileExists(atPath: Fixtures.url(fixture.reportPath).path), "\(fixture.reportPath)")
    }
  }

  @Test("reads the header: version, compression, CPUs, machine", arguments: ForeignDat.all)
  func container(_ fixture: ForeignDat) throws {
    let reader = try TraceDatReader(path: try Fixtures.materialize(fixture.path).path)
    #expect(reader.fileVersion == fixture.version)
    #expect(reader.compressionName == fixture.compression)
    #expect(reader.metadata.cpuCount == fixture.cpus)
    #expect(reader.metadata.uname?.split(separator: " ").last.map(String.init) == fixture.machine)
    #expect(reader.formatWarnings.isEmpty)
  }

  @Test("dump equals trace-cmd report byte for byte (stored report of the original)", arguments: ForeignDat.all)
  func dumpMatchesStoredReport(_ fixture: ForeignDat) throws {
    let ours = try RawOutput.dump(try Fixtures.materialize(fixture.path).path)
    let theirs = Array(try Data(contentsOf: try Fixtures.materialize(fixture.reportPath)))
    #expect(theirs.count > 100)
    if let difference = firstDifference(ours, theirs) { Issue.record(Comment(rawValue: difference)) }
  }

  @Test("the stored report is what the installed trace-cmd prints",
        .enabled(if: Fixtures.canRun(with: "trace-cmd"), "trace-cmd is not installed (apt-get install trace-cmd)"),
        arguments: ForeignDat.all)
  func storedReportIsTraceCmds(_ fixture: ForeignDat) throws {
    let live = try RawOutput.traceCmdReport(try Fixtures.materialize(fixture.path).path)
    #expect(live == Array(try Data(contentsOf: try Fixtures.materialize(fixture.reportPath))))
  }

  @Test("dump equals trace-cmd report on the trace-cmd convert rewrites (v6 and v7)",
        .enabled(if: Fixtures.canRun(with: "trace-cmd"), "trace-cmd is not installed (apt-get install trace-cmd)"),
        arguments: ForeignDat.rewrites)
  func dumpMatchesOnRewrite(_ rewrite: ForeignRewrite) throws {
    let folder = try RawOutput.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let output = folder.appendingPathComponent("rewrite.v\(rewrite.version).dat").path
    _ = try RawOutput.run(RawOutput.traceCmd, [
      "convert", "-i", try Fixtures.materialize(rewrite.fixture.path).path, "-o", output, "--file-version", "\(rewrite.version)",
    ])
    let reader = try TraceDatReader(path: output)
    #expect(reader.fileVersion == rewrite.version)
    let theirs = try RawOutput.traceCmdReport(output)
    #expect(theirs.count > 100)
    if let difference = firstDifference(try RawOutput.dump(output), theirs) { Issue.record(Comment(rawValue: difference)) }
  }

  @Test("a 32-bit trace's rewrite says long size 8 while header_page keeps a 4-byte commit",
        .enabled(if: Fixtures.canRun(with: "trace-cmd"), "trace-cmd is not installed (apt-get install trace-cmd)"),
        arguments: ForeignDat.thirtyTwoBit)
  func thirtyTwoBitRewriteLayout(_ fixture: ForeignDat) throws {
    let folder = try RawOutput.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let original = try Fixtures.materialize(fixture.path).path
    let output = folder.appendingPathComponent("rewrite.dat").path
    _ = try RawOutput.run(RawOutput.traceCmd, ["convert", "-i", original, "-o", output, "--file-version", "7"])
    // Byte 13 of the header is the long size (trace-cmd.dat.v7(5)): magic 10, "7\0", endianness.
    let originalHeader = Array(try Data(contentsOf: URL(fileURLWithPath: original)).prefix(16))
    let rewriteHeader = Array(try Data(contentsOf: URL(fileURLWithPath: output)).prefix(16))
    #expect(originalHeader[13] == 4)
    #expect(rewriteHeader[13] == 8)
    // trace-cmd's own view of the header page: the commit field stays 4 bytes.
    let headPage = String(decoding: try RawOutput.run(RawOutput.traceCmd, ["dump", "--head-page", "-i", output]), as: UTF8.self)
    #expect(headPage.contains("commit;\toffset:8;\tsize:4;"))
    #expect(headPage.contains("data;\toffset:12;"))
    // And every event comes back: as many as trace-cmd report -R prints for the original.
    var count = 0
    try TraceDatReader(path: output, attachesStacks: false).forEachEvent(fields: .all) { _ in count += 1 }
    let raw = try Fixtures.traceCmdReport(URL(fileURLWithPath: original), raw: true).dropFirst()
    #expect(count == raw.count)
  }

  @Test("task names come from the saved cmdlines: an idle sched_switch naming a pid does not rename it")
  func taskNamesFromSavedCmdlines() throws {
    // On CPU 5 the first event is swapper's switch to "trace-cmd:4734"; the saved cmdlines say
    // 4734 is "ls", and trace-cmd prints ls-4734 for the task's later events on CPU 5.
    let fixture = "foreign/tracedat/arm64-lisa-6cpu.v6.dat.gz"
    let lines = String(decoding: try RawOutput.dump(try Fixtures.materialize(fixture).path), as: UTF8.self)
      .split(separator: "\n")
    let expected = String(decoding: Array(try Data(contentsOf: try Fixtures.materialize("foreign/tracedat/arm64-lisa-6cpu.v6.report.gz"))), as: UTF8.self)
      .split(separator: "\n")
    let onCPU5 = { (line: Substring) in line.contains("-4734  [005]") }
    #expect(expected.filter(onCPU5).allSatisfy { $0.hasPrefix("              ls-4734") })
    #expect(lines.filter(onCPU5) == expected.filter(onCPU5))
    #expect(lines.filter(onCPU5).count == 5)
  }
}
