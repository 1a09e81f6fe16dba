import Foundation
import TraceModel

/// Counters from one `perf stat` run (or several merged): value per event, with unit, variance
/// and the elapsed / user / sys times.
public struct CounterSet: Hashable, Sendable {
  /// One counter line.
  public struct Counter: Hashable, Sendable {
    /// Whether perf could count the event.
    public enum Status: String, Hashable, Sendable {
      case counted
      /// `<not supported>`: the PMU has no such event (most hardware events in a VM).
      case notSupported
      /// `<not counted>`: the event was never scheduled.
      case notCounted
    }
    /// The event as perf printed it (`task-clock`, `ITLB_WALK`, `cpu/event=0x3c/`).
    public var event: String
    /// The CPU of a `-A` per-CPU line; nil for totals.
    public var cpu: Int?
    /// The count, in ``unit`` (`msec` for task-clock); nil unless ``status`` is `counted`.
    public var value: Double?
    /// The unit perf printed before the event name, "" for plain counts.
    public var unit: String
    public var status: Status
    /// The run-to-run variation of `-r N` (`+- 1.21%`), in percent.
    public var variancePercent: Double?

    public init(
      event: String, cpu: Int? = nil, value: Double?, unit: String = "", status: Status = .counted,
      variancePercent: Double? = nil
    ) {
      self.event = event
      self.cpu = cpu
      self.value = value
      self.unit = unit
      self.status = status
      self.variancePercent = variancePercent
    }
  }

  /// Counters in the order perf printed them.
  public var counters: [Counter]
  /// `seconds time elapsed` (wall clock), in seconds.
  public var elapsedSeconds: Double?
  /// `+- x%` of the elapsed time over `-r N` runs, in percent.
  public var elapsedVariancePercent: Double?
  /// `seconds user`, in seconds.
  public var userSeconds: Double?
  /// `seconds sys`, in seconds.
  public var sysSeconds: Double?
  /// What was measured: `system wide` or the command, from the header line.
  public var target: String?
  /// The `-r N` run count from the header (`(3 runs)`), 1 when absent.
  public var runs: Int

  public init(
    counters: [Counter] = [], elapsedSeconds: Double? = nil, elapsedVariancePercent: Double? = nil,
    userSeconds: Double? = nil, sysSeconds: Double? = nil, target: String? = nil, runs: Int = 1
  ) {
    self.counters = counters
    self.elapsedSeconds = elapsedSeconds
    self.elapsedVariancePercent = elapsedVariancePercent
    self.userSeconds = userSeconds
    self.sysSeconds = sysSeconds
    self.target = target
    self.runs = runs
  }

  /// The identity of ``merging(_:)``.
  public static let empty = CounterSet(runs: 0)

  /// The total of `event` over all its lines (CPUs), in its unit; nil when never counted.
  public subscript(event: String) -> Double? {
    let values = counters.filter { $0.event == event }.compactMap(\.value)
    return values.isEmpty ? nil : values.reduce(0, +)
  }

  /// Two runs combined: values of the same event and CPU add, times add, runs add; an event
  /// counted in either is counted. Variances do not combine and are dropped unless one side
  /// is ``empty``. Associative, with ``empty`` as identity.
  public func merging(_ other: CounterSet) -> CounterSet {
    if other.runs == 0, other.counters.isEmpty { return self }
    if runs == 0, counters.isEmpty { return other }
    var merged = self
    merged.runs = runs + other.runs
    merged.target = target == other.target ? target : nil
    func add(_ a: Double?, _ b: Double?) -> Double? { a == nil && b == nil ? nil : (a ?? 0) + (b ?? 0) }
    merged.elapsedSeconds = add(elapsedSeconds, other.elapsedSeconds)
    merged.userSeconds = add(userSeconds, other.userSeconds)
    merged.sysSeconds = add(sysSeconds, other.sysSeconds)
    merged.elapsedVariancePercent = nil
    for index in merged.counters.indices { merged.counters[index].variancePercent = nil }
    for counter in other.counters {
      if let index = merged.counters.firstIndex(where: { $0.event == counter.event && $0.cpu == counter.cpu }) {
        var mine = merged.counters[index]
        mine.value = add(mine.value, counter.value)
        if counter.status == .counted { mine.status = .counted }
        if mine.unit.isEmpty { mine.unit = counter.unit }
        merged.counters[index] = mine
      } else {
        var copy = counter
        copy.variancePercent = nil
        merged.counters.append(copy)
      }
    }
    return merged
  }
}
