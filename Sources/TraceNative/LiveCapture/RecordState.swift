import Foundation

/// What a capture changed outside its own instance, saved to `/run/pokestat/<pid>.state`
/// before each change, so that `pokestat record --cleanup` can undo a crashed run's changes.
struct RecordState: Codable, Sendable {
  static let directory = "/run/pokestat"

  var pid: Int32
  var instance: String
  /// sysctl file path → its value before the capture changed it.
  var sysctls: [String: String] = [:]
  /// kprobe events ("group/name") this run added to kprobe_events.
  var kprobes: [String] = []

  var path: String { Self.directory + "/\(pid).state" }

  /// Writes the state file (creating /run/pokestat), replacing it atomically.
  func save() throws {
    try FileManager.default.createDirectory(atPath: Self.directory, withIntermediateDirectories: true)
    let data = try JSONEncoder().encode(self)
    try data.write(to: URL(fileURLWithPath: path), options: .atomic)
  }

  func remove() { try? FileManager.default.removeItem(atPath: path) }

  /// Every state file left in /run/pokestat.
  static func all() -> [(path: String, state: RecordState?)] {
    TracefsFiles.list(directory).filter { $0.hasSuffix(".state") }.map { name in
      let path = directory + "/" + name
      let state = (try? Data(contentsOf: URL(fileURLWithPath: path))).flatMap { try? JSONDecoder().decode(RecordState.self, from: $0) }
      return (path, state)
    }
  }
}
