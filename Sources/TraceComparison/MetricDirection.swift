/// Which way a metric should move for a patch to count as an improvement.
public enum MetricDirection: String, Hashable, Sendable, Codable, CaseIterable {
  /// Time, misses, IPIs, walks, nanoseconds, interrupt counts.
  case lowerIsBetter = "lower_is_better"
  /// Throughput: operations per second, `<impl>.threads=<n>`.
  case higherIsBetter = "higher_is_better"
  /// Plain event counts (`INST_RETIRED`, `run_cnt`) that say nothing good or bad by themselves.
  case unknown

  static let higherWords: Set<String> = ["threads", "ops", "throughput", "bandwidth", "opss", "iops"]
  static let lowerWords: Set<String> = [
    "time", "elapsed", "user", "sys", "ns", "us", "usec", "ms", "msec", "duration", "latency", "miss", "misses",
    "walk", "walks", "ipi", "ipis", "sent", "received", "syncs", "faults", "cycles", "clock", "switches",
    "migrations", "share", "delta", "total", "stalls",
  ]

  /// The direction a metric's name implies: its words (split at anything but letters and
  /// digits, lower-cased) are looked up, throughput words first (`threads`, `ops`), then cost
  /// words (`time`, `miss`, `walk`, `ipi`, `ns`, `duration`, `delta`, ...).
  ///
  /// `itlb_miss_per_s` and `ITLB_WALK/L1I_TLB` are lower-is-better; `INST_RETIRED` is unknown.
  public static func inferred(for name: String) -> MetricDirection {
    let words = name.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    if words.contains(where: higherWords.contains) { return .higherIsBetter }
    if words.contains(where: lowerWords.contains) { return .lowerIsBetter }
    return .unknown
  }

  /// Whether a change of a median from `before` to `after` is better, worse or the same;
  /// nil when the direction is unknown and the medians differ (or are equal and unknown).
  public func verdict(before: Double, after: Double) -> MetricComparison.Verdict? {
    if after == before { return self == .unknown ? nil : .same }
    switch self {
    case .lowerIsBetter: return after < before ? .better : .worse
    case .higherIsBetter: return after > before ? .better : .worse
    case .unknown: return nil
    }
  }

  /// The change in percent of `before` (0 when both are 0; nil from 0 to something else).
  public static func changePercent(before: Double, after: Double) -> Double? {
    before != 0 ? (after - before) / abs(before) * 100 : (after == 0 ? 0 : nil)
  }
}
