import Synchronization

/// What a running capture counts as it reads pages, for the live progress line and the
/// summary line of `pokestat record`: every event, IPI sends, and batch starts.
///
/// An event is told by its `common_type` (the first two bytes of its payload), looked up in a
/// table built from the ids of the sources the capture enabled (`events/<system>/<name>/id`).
/// These are running counts of raw events, not the analysis: an `ipi_send_cpumask` to three
/// CPUs is one send here, and batches are counted only where a batch probe exists (kprobes on
/// the batch function, or on arm64's `arch_jump_label_transform_apply`).
public final class LiveEventTally: Sendable {
  /// The kind of an event id this tally counts.
  public enum Kind: UInt8, Sendable {
    case other = 0
    case ipiSend = 1
    case batchStart = 2
  }

  /// Counts so far.
  public struct Counts: Sendable, Equatable {
    /// Events read from the ring buffer.
    public var events: Int
    /// IPI send events (tracepoints or send kprobes).
    public var ipiSends: Int
    /// Batch function entries; nil when the capture has no batch source.
    public var batches: Int?
  }

  /// Kind per event id (ids are u16), `.other` past the table's end.
  private let kinds: [Kind]
  private let countsBatches: Bool
  private let events = Atomic<Int>(0)
  private let ipiSends = Atomic<Int>(0)
  private let batches = Atomic<Int>(0)

  /// - Parameter kinds: event id → kind for the counted event types.
  public init(kinds: [Int: Kind]) {
    var table = [Kind](repeating: .other, count: (kinds.keys.filter { $0 >= 0 && $0 <= 0xFFFF }.max() ?? -1) + 1)
    for (id, kind) in kinds where id >= 0 && id < table.count { table[id] = kind }
    self.kinds = table
    countsBatches = kinds.values.contains(.batchStart)
  }

  /// The kind of the event whose payload starts with `commonType`.
  @inline(__always) func kind(ofType commonType: UInt16) -> Kind {
    Int(commonType) < kinds.count ? kinds[Int(commonType)] : .other
  }

  /// Adds one page's counts (called by each CPU's reader thread).
  func add(events: Int, ipiSends: Int, batches: Int) {
    self.events.add(events, ordering: .relaxed)
    if ipiSends > 0 { self.ipiSends.add(ipiSends, ordering: .relaxed) }
    if batches > 0 { self.batches.add(batches, ordering: .relaxed) }
  }

  public var counts: Counts {
    Counts(
      events: events.load(ordering: .relaxed), ipiSends: ipiSends.load(ordering: .relaxed),
      batches: countsBatches ? batches.load(ordering: .relaxed) : nil)
  }
}
