import Foundation
import Synchronization
import TraceModel

#if canImport(Glibc)
  import Glibc
#endif

/// The progress line `analyze` and `check` print on standard error while they read: only when
/// standard error is a terminal (never in pipes, files or tests' captured output), only once
/// reading has taken more than a second, at most four times a second, and erased when reading
/// ends. `--quiet` turns it off. The line is `ReadProgress.describe`'s text.
final class ReadProgressLine: Sendable {
  private struct State {
    var lastDraw: Double = 0
    var drawn = false
  }

  private let name: String
  /// Seconds of reading before the line shows: 1, or `POKESTAT_PROGRESS_DELAY` (the tests set
  /// 0 to see that a terminal gets the line and a pipe does not, without a long trace).
  private let delay = ProcessInfo.processInfo.environment["POKESTAT_PROGRESS_DELAY"].flatMap(Double.init) ?? 1
  private let start = ReadProgressLine.now()
  private let state = Mutex(State())

  /// A line for reading `path`, or nil when it must not show (quiet, or not a terminal).
  static func make(for path: String, quiet: Bool) -> ReadProgressLine? {
    guard !quiet, isatty(STDERR_FILENO) == 1 else { return nil }
    return ReadProgressLine(name: (path as NSString).lastPathComponent)
  }

  private init(name: String) { self.name = name }

  /// Runs `body` with the progress hook the library readers take (nil when the line must not
  /// show), and erases the line when `body` returns or throws.
  static func reading<T>(_ path: String, quiet: Bool, _ body: (((_ totalBytes: Int) -> ReadProgress)?) throws -> T) rethrows -> T {
    let line = make(for: path, quiet: quiet)
    defer { line?.finish() }
    return try body(line.map { line in { line.progress(totalBytes: $0) } })
  }

  /// The library hook: a ``ReadProgress`` of `totalBytes` that redraws this line.
  func progress(totalBytes: Int) -> ReadProgress {
    ReadProgress(totalBytes: totalBytes, step: 256 << 10) { [self] done, total in self.update(done: done, total: total) }
  }

  private func update(done: Int, total: Int) {
    let elapsed = Self.now() - start
    guard elapsed >= delay else { return }
    let draw = state.withLock { state -> Bool in
      guard !state.drawn || elapsed - state.lastDraw >= 0.25 else { return false }
      state.lastDraw = elapsed
      state.drawn = true
      return true
    }
    guard draw else { return }
    let text = ReadProgress.describe(name: name, bytesDone: done, bytesTotal: total, elapsedSeconds: elapsed)
    Self.write("\r\u{1B}[K" + text)
  }

  /// Erases the line, if it was drawn.
  func finish() {
    if state.withLock({ $0.drawn }) { Self.write("\r\u{1B}[K") }
  }

  private static func write(_ text: String) {
    text.utf8CString.withUnsafeBufferPointer { buffer in _ = Glibc.write(STDERR_FILENO, buffer.baseAddress, buffer.count - 1) }
  }

  private static func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }
}
