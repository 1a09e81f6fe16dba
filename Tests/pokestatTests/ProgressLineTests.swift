import Foundation
import Testing
import TraceTestSupport

/// The read progress line: on a terminal only, off with --quiet.
@Suite struct ProgressLineTests {
  /// Runs pokestat under `script(1)`, whose pseudo-terminal is its standard error, with the
  /// progress line's one-second delay set to 0; returns what the terminal saw. The exit status
  /// must be one of `statuses`.
  static func onTerminal(_ arguments: [String], statuses: Set<Int32> = [0]) throws -> String {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-tty-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: log) }
    let command = ([CommandLine.binary.path] + arguments).map { "'\($0)'" }.joined(separator: " ") + " > /dev/null"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Fixtures.which("script") ?? "/usr/bin/script")
    process.arguments = ["-qec", command, log.path]
    process.currentDirectoryURL = Fixtures.repositoryRoot
    process.environment = ProcessInfo.processInfo.environment.merging(["POKESTAT_PROGRESS_DELAY": "0"]) { $1 }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(statuses.contains(process.terminationStatus), "exit \(process.terminationStatus)")
    return try String(contentsOf: log, encoding: .utf8)
  }

  static let inputs = ["fixtures/tracedat/lab61-8cpu.v7zstd.dat", "fixtures/lab/lab61-8cpu.txt"]

  @Test("a pipe never gets the progress line, even with no delay", arguments: inputs)
  func pipe(_ file: String) throws {
    let result = try CommandLine.run(["analyze", "--json", file], launcher: ["/usr/bin/env", "POKESTAT_PROGRESS_DELAY=0"])
    #expect(result.status == 0)
    #expect(result.stderr.isEmpty, "\(result.stderr)")
    #expect(!result.stdout.contains("reading "))
  }

  @Test("a terminal gets the line (bytes of total, rate), erased at the end; --quiet turns it off",
        .enabled(if: Fixtures.canRun(with: "script"), "needs script(1) (util-linux)"), arguments: inputs)
  func terminal(_ file: String) throws {
    let shown = try Self.onTerminal(["analyze", file])
    let name = (file as NSString).lastPathComponent
    #expect(shown.contains("reading \(name): "), "\(shown)")
    #expect(shown.contains(" MB/s") || shown.contains(" kB/s"), "\(shown)")
    #expect(shown.hasSuffix("\r\u{1B}[K") || shown.contains("\r\u{1B}[K"))
    let quiet = try Self.onTerminal(["analyze", "--quiet", file])
    #expect(!quiet.contains("reading "), "\(quiet)")
  }
}
