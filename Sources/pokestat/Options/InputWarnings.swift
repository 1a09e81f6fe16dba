import Foundation
import Synchronization

/// Warnings about an input that did not stop the command (a trace.dat event format that costs
/// its one event type), printed once each on standard error after the command finished.
///
/// A command that fails with exit status 2 prints one line, its error, and none of these
/// (`Pokestat.main` prints them only when `run()` returns or exits with a check's verdict).
enum InputWarnings {
  private static let pending = Mutex<[String]>([])

  /// Adds `lines` (already prefixed with their file), each once per process.
  static func note(_ lines: [String]) {
    guard !lines.isEmpty else { return }
    pending.withLock { pending in
      for line in lines where !pending.contains(line) { pending.append(line) }
    }
  }

  /// Writes the pending warnings as `pokestat: warning: …` lines and forgets them.
  static func flush() {
    let lines = pending.withLock { pending in
      defer { pending = [] }
      return pending
    }
    for line in lines { FileHandle.standardError.write(Data("pokestat: warning: \(line)\n".utf8)) }
  }
}
