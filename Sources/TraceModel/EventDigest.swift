/// Which events a trace.dat digest stream (`TraceDatReader.DigestStream` in TraceNative) copies straight out of ring-buffer bytes as
/// compact ``EventDigest``s instead of building a ``TraceEvent``, and which of their fields.
///
/// A digest holds plain numbers only (no strings, no arrays), so it costs no allocation and no
/// reference counting: it is the fast path for analyses that read millions of a few kinds of
/// events. An event whose format does not fit (a named field missing, signed, an array, a
/// string, wider than 8 bytes, or a cpumask with a CPU above 63) comes back as a ``TraceEvent``
/// instead, so results never depend on which path an event took.
public struct DigestPlan: Sendable {
  /// One kind of event to digest.
  public struct Kind: Sendable {
    public var system: String
    public var name: String
    /// Fields copied into ``EventDigest/values`` in this order (at most 3): unsigned scalars
    /// as their value, cpumasks as a bitmask (bit n = CPU n).
    public var fields: [String]

    public init(system: String, name: String, fields: [String]) {
      precondition(fields.count <= 3, "a digest holds at most 3 fields")
      self.system = system
      self.name = name
      self.fields = fields
    }
  }

  public var kinds: [Kind]

  public init(kinds: [Kind]) { self.kinds = kinds }
}

/// One event reduced to numbers by a ``DigestPlan``.
public struct EventDigest: Sendable {
  /// Index of the event's kind in ``DigestPlan/kinds``.
  public var kind: Int
  /// Nanoseconds (or clock ticks) on the trace clock.
  public var timestamp: UInt64
  public var cpu: Int
  public var pid: Int32
  /// As ``TraceEvent/lostBefore``.
  public var lostBefore: Int
  /// The plan's fields, in the plan's order; unused slots are 0.
  public var values: (UInt64, UInt64, UInt64)
  /// The task's command name as UTF-8, NUL-padded to 16 bytes (little-endian words).
  public var taskName: (UInt64, UInt64)

  public init(kind: Int, timestamp: UInt64, cpu: Int, pid: Int32, lostBefore: Int,
              values: (UInt64, UInt64, UInt64), taskName: (UInt64, UInt64)) {
    self.kind = kind
    self.timestamp = timestamp
    self.cpu = cpu
    self.pid = pid
    self.lostBefore = lostBefore
    self.values = values
    self.taskName = taskName
  }

  /// The task's command name, from ``taskName``'s bytes up to the first NUL.
  public var comm: String {
    var bytes: [UInt8] = []
    for word in [taskName.0, taskName.1] {
      for index in 0..<8 {
        let byte = UInt8(truncatingIfNeeded: word >> UInt64(8 * index))
        if byte == 0 { return String(decoding: bytes, as: UTF8.self) }
        bytes.append(byte)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

/// An event read by a digest stream: a digest, or a full event when the
/// plan does not cover it (or a `kernel_stack` record attached to it).
public enum DigestedEvent: Sendable {
  case digest(EventDigest)
  /// Boxed, so that the enum is the size of a digest (the common case) and cheap to copy.
  indirect case event(TraceEvent)

  /// Nanoseconds (or clock ticks) on the trace clock.
  public var timestamp: UInt64 {
    switch self {
    case .digest(let digest): return digest.timestamp
    case .event(let event): return event.timestamp.nanoseconds
    }
  }

  public var pid: Int32 {
    switch self {
    case .digest(let digest): return digest.pid
    case .event(let event): return event.pid
    }
  }
}
