import Foundation

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
