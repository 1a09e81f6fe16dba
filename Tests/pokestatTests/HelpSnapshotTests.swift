import Foundation
import Testing
import TraceTestSupport

/// Every `--help` screen, compared with its snapshot in fixtures/help/ (`pokestat.txt`,
/// `pokestat-analyze.txt`, `pokestat-bench-pool.txt`, …), so a changed option, default or help
/// text shows up in review. After an intended change, rewrite them with
/// `POKESTAT_UPDATE_HELP=1 swift test --skip-build --filter HelpSnapshotTests`.
@Suite struct HelpSnapshotTests {
  /// The subcommand paths under `path`, from the SUBCOMMANDS section of its own help.
  static func subcommands(of path: [String]) throws -> [[String]] {
    let help = try CommandLine.run(path + ["--help"]).stdout
    var found: [[String]] = []
    var inSection = false
    for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("SUBCOMMANDS:") {
        inSection = true
        continue
      }
      guard inSection else { continue }
      if !line.hasPrefix(" ") && !line.isEmpty { break }
      // A subcommand line: two spaces, a lower-case name, then its abstract or the line's end.
      if line.hasPrefix("  "), let first = line.dropFirst(2).first, first.isLowercase {
        let name = String(line.dropFirst(2).prefix { $0 != " " })
        if name != "help" { found.append(path + [name]) }
      }
    }
    return try found.flatMap { [$0] + (try subcommands(of: $0)) }
  }

  @Test("every --help matches its snapshot in fixtures/help (POKESTAT_UPDATE_HELP=1 rewrites them)")
  func snapshots() throws {
    let paths = [[String]()] + (try Self.subcommands(of: []))
    #expect(paths.count > 8, "\(paths)")
    let update = ProcessInfo.processInfo.environment["POKESTAT_UPDATE_HELP"] == "1"
    let folder = Fixtures.repositoryRoot.appendingPathComponent("fixtures/help")
    var expectedFiles: Set<String> = []
    for path in paths {
      let result = try CommandLine.run(path + ["--help"])
      #expect(result.status == 0, "\(path)")
      let name = (["pokestat"] + path).joined(separator: "-") + ".txt"
      expectedFiles.insert(name)
      let file = folder.appendingPathComponent(name)
      if update {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try result.stdout.write(to: file, atomically: true, encoding: .utf8)
        continue
      }
      let snapshot = try String(contentsOf: file, encoding: .utf8)
      if snapshot != result.stdout {
        let ours = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let theirs = snapshot.split(separator: "\n", omittingEmptySubsequences: false)
        let index = zip(ours, theirs).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ours.count, theirs.count)
        Issue.record("\(name) differs at line \(index + 1):\n now:      \(index < ours.count ? ours[index] : "<end>")\n snapshot: \(index < theirs.count ? theirs[index] : "<end>")")
      }
    }
    // No snapshot of a command that is gone.
    let present = Set((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".txt") }
    #expect(present.subtracting(expectedFiles).isEmpty, "snapshots of no command: \(present.subtracting(expectedFiles).sorted())")
  }
}
