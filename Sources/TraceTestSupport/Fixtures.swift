import Foundation
#if canImport(Glibc)
  import Glibc
#endif

/// Finds files under the repository's `fixtures/` folder, wherever the tests run from.
public enum Fixtures {
  /// The `fixtures/` folder, found from this source file's path.
  public static let root: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("fixtures")

  /// The repository root (parent of `fixtures/`).
  public static var repositoryRoot: URL { root.deletingLastPathComponent() }

  /// A fixture by its path relative to `fixtures/`.
  public static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

  /// The paths, relative to `fixtures/`, of the files in `folder` whose names end in `suffix`, sorted.
  public static func files(in folder: String, suffix: String) -> [String] {
    let dir = root.appendingPathComponent(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix(suffix) }.sorted().map { "\(folder)/\($0)" }
  }

  /// Runs a program and returns its standard output; throws when it exits non-zero.
  public static func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw CommandFailed(command: ([executable] + arguments).joined(separator: " "), status: process.terminationStatus)
    }
    return String(decoding: data, as: UTF8.self)
  }

  /// Where a command-line tool lives, searching PATH; nil when it is not installed.
  public static func which(_ tool: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
      let candidate = "\(dir)/\(tool)"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }
}

/// A helper command failed.
public struct CommandFailed: Error, CustomStringConvertible {
  public var command: String
  public var status: Int32
  public var description: String { "\(command) exited with \(status)" }
}

extension Fixtures {
  /// A fixture as a plain file: `*.gz` fixtures are decompressed (with `gzip -dc`) into a
  /// temporary folder once per process; others are returned as they are.
  public static func materialize(_ relativePath: String) throws -> URL {
    let source = url(relativePath)
    guard relativePath.hasSuffix(".gz") else { return source }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-fixtures-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let target = folder.appendingPathComponent(String(source.lastPathComponent.dropLast(3)))
    if FileManager.default.fileExists(atPath: target.path) { return target }
    let partial = target.appendingPathExtension("partial-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: partial.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-dc", source.path]
    process.standardOutput = try FileHandle(forWritingTo: partial)
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CommandFailed(command: "gzip -dc \(source.path)", status: process.terminationStatus) }
    // rename(2) replaces an existing target atomically: a parallel test that decompressed the
    // same file first keeps reading a whole file (remove-then-move left a moment with none).
    guard rename(partial.path, target.path) == 0 else {
      throw CommandFailed(command: "rename \(partial.path) \(target.path)", status: errno)
    }
    return target
  }

  /// True when the CI environment variable is set: tests that need tools or a kernel must run.
  /// The `pokestat` binary the tests run: `POKESTAT_BIN` when set, else the one beside the
  /// running test bundle (SwiftPM builds both into the same products folder, whatever the
  /// configuration or scratch path), else `.build/debug/pokestat` of this checkout.
  public static var pokestatBinary: URL {
    if let path = ProcessInfo.processInfo.environment["POKESTAT_BIN"], !path.isEmpty { return URL(fileURLWithPath: path) }
    var folder = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
    // On Linux the test bundle is `<products>/pokestatPackageTests.xctest`, run directly; on
    // macOS the executable sits inside `<products>/X.xctest/Contents/MacOS`.
    while folder.path.count > 1, folder.lastPathComponent != "debug", folder.lastPathComponent != "release",
      !FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("pokestat").path)
    {
      folder.deleteLastPathComponent()
    }
    let beside = folder.appendingPathComponent("pokestat")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    return repositoryRoot.appendingPathComponent(".build/debug/pokestat")
  }

  public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false }

  /// Whether a tool-dependent test should run: the tool is installed, or CI demands it.
  public static func canRun(with tool: String) -> Bool { which(tool) != nil || isCI }

  /// `trace-cmd report FILE` output lines (the correctness oracle for trace.dat reading);
  /// `raw` adds `-R`, which prints every record on its own line (no function_graph leaf merging).
  public static func traceCmdReport(_ file: URL, raw: Bool = false) throws -> [Substring] {
    let tool = which("trace-cmd") ?? "/usr/bin/trace-cmd"
    let text = try run(tool, ["report"] + (raw ? ["-R"] : []) + [file.path])
    return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0).map { $0 }
  }
}
