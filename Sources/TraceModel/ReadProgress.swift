import Synchronization

/// How far readers have got through an input: a byte counter that readers on any thread
/// advance, and a callback told the bytes done and the total. Readers never print; the
/// command line decides what to show (`pokestat analyze` prints a progress line on a terminal).
///
/// The callback runs on the reading thread that crossed a step (every ``step`` bytes, and once
/// at the end), so it must be cheap and thread-safe.
public final class ReadProgress: Sendable {
  /// Bytes the readers will read in all (trace.dat: the CPU data sections; text: the file).
  public let totalBytes: Int
  /// The callback's granularity, bytes.
  public let step: Int
  private let done = Atomic<Int>(0)
  private let report: @Sendable (_ bytesDone: Int, _ bytesTotal: Int) -> Void

  public init(totalBytes: Int, step: Int = 1 << 20, report: @escaping @Sendable (_ bytesDone: Int, _ bytesTotal: Int) -> Void) {
    self.totalBytes = totalBytes
    self.step = max(step, 1)
    self.report = report
  }

  /// Bytes read so far.
  public var bytesDone: Int { done.load(ordering: .relaxed) }

  /// Adds `bytes` read; calls the callback when a step boundary or the total is crossed.
  public func advance(_ bytes: Int) {
    guard bytes > 0 else { return }
    let after = done.add(bytes, ordering: .relaxed).newValue
    let before = after - bytes
    if before / step != after / step || (before < totalBytes && after >= totalBytes) { report(after, totalBytes) }
  }
}
