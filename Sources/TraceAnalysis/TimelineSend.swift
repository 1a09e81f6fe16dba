/// One IPI send event as a timeline shows it: when, from which CPU, how many IPIs, and whether
/// the text_poke protocol sent it (``IPIAnalyzer/timelineSends``).
public struct TimelineSend: Sendable, Equatable {
  /// Trace-clock time of the send, ns.
  public var timeNs: UInt64
  /// The sending CPU.
  public var cpu: Int
  /// IPIs of the send (one per target CPU).
  public var ipis: Int
  /// A text_poke sync broadcast (as ``TextPokeSummary/syncs`` counts them).
  public var textPoke: Bool
  /// Index of the batch in ``TextPokeSummary/batches``, when the send belongs to one.
  public var batch: Int?

  public init(timeNs: UInt64, cpu: Int, ipis: Int, textPoke: Bool, batch: Int?) {
    self.timeNs = timeNs
    self.cpu = cpu
    self.ipis = ipis
    self.textPoke = textPoke
    self.batch = batch
  }
}
