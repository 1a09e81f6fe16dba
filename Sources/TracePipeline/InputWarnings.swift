import Synchronization

/// Warnings about an input that did not stop the command (a trace.dat event format that costs
/// its one event type), printed once each on standard error after the command finished.
///
/// The pipeline notes them as it opens inputs; the CLI takes them with ``drain()`` and prints
/// them. A command that fails with exit status 2 prints one line, its error, and none of these
/// (`Pokestat.main` prints them only when `run()` returns or exits with a check's verdict).
public enum InputWarnings {
  private static let pending = Mutex<[String]>([])

  /// Adds `lines` (already prefixed with their file), each once per process.
  public static func note(_ lines: [String]) {
    guard !lines.isEmpty else { return }
    pending.withLock { pending in
      for line in lines where !pending.contains(line) { pending.append(line) }
    }
  }

  /// The pending warnings, in the order noted; forgets them.
  public static func drain() -> [String] {
    pending.withLock { pending in
      defer { pending = [] }
      return pending
    }
  }
}
