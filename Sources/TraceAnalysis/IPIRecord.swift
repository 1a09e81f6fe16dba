import TraceModel

/// One of the analysis' frequent events (IPI sends by tracepoint, call-function receptions)
/// reduced to plain numbers: no strings, no arrays, so millions of them cost no allocation
/// and no reference counting between the decoding threads and ``IPIAnalyzer``.
///
/// A trace.dat reader builds them straight from ring-buffer bytes (`TraceDatReader`'s digest
/// streams, with the fields ``Kind/fieldNames`` names); every other event, and any of these
/// with a call chain attached, goes through ``ClassifiedEvent`` instead. Both paths give the
/// same ``AnalysisReport``.
public struct IPIRecord: Sendable {
  /// The events a record can stand for; `rawValue` is the index in ``Kind/allCases``.
  public enum Kind: Int, CaseIterable, Sendable {
    /// `ipi:ipi_send_cpu`: values `cpu`, `callsite`, `callback`.
    case sendToCPU
    /// `ipi:ipi_send_cpumask`: values `cpumask` (bit n = CPU n), `callsite`, `callback`.
    case sendToMask
    case functionEntry
    case functionSingleEntry
    case functionExit
    case functionSingleExit

    public var system: String {
      switch self {
      case .sendToCPU, .sendToMask: return "ipi"
      default: return "irq_vectors"
      }
    }

    public var name: String {
      switch self {
      case .sendToCPU: return "ipi_send_cpu"
      case .sendToMask: return "ipi_send_cpumask"
      case .functionEntry: return "call_function_entry"
      case .functionSingleEntry: return "call_function_single_entry"
      case .functionExit: return "call_function_exit"
      case .functionSingleExit: return "call_function_single_exit"
      }
    }

    /// The fields whose values a record holds, in ``IPIRecord/values`` order.
    public var fieldNames: [String] {
      switch self {
      case .sendToCPU: return ["cpu", "callsite", "callback"]
      case .sendToMask: return ["cpumask", "callsite", "callback"]
      default: return []
      }
    }

    /// `system:name`, as ``EventRoles`` names the send or reception source.
    var via: String {
      switch self {
      case .sendToCPU: return "ipi:ipi_send_cpu"
      case .sendToMask: return "ipi:ipi_send_cpumask"
      case .functionEntry: return "irq_vectors:call_function_entry"
      case .functionSingleEntry: return "irq_vectors:call_function_single_entry"
      case .functionExit: return "irq_vectors:call_function_exit"
      case .functionSingleExit: return "irq_vectors:call_function_single_exit"
      }
    }
  }

  /// The digest the decoding thread read under ``IPIRecord/digestPlan``: its `kind` index is
  /// this record's ``Kind`` raw value, its values those of ``Kind/fieldNames``.
  public var digest: EventDigest

  public var kind: Kind { Kind(rawValue: digest.kind)! }
  /// Nanoseconds on the trace clock.
  public var timestamp: UInt64 { digest.timestamp }
  public var cpu: Int { digest.cpu }
  public var pid: Int32 { digest.pid }
  /// As ``TraceEvent/lostBefore``.
  public var lostBefore: Int { digest.lostBefore }
  /// The values of ``Kind/fieldNames``, in order (unused slots 0).
  public var values: (UInt64, UInt64, UInt64) { digest.values }

  public init(kind: Kind, timestamp: UInt64, cpu: Int, pid: Int32, lostBefore: Int,
              values: (UInt64, UInt64, UInt64), taskName: (UInt64, UInt64)) {
    digest = EventDigest(
      kind: kind.rawValue, timestamp: timestamp, cpu: cpu, pid: pid, lostBefore: lostBefore, values: values, taskName: taskName)
  }

  /// The task's command name.
  var comm: String { digest.comm }
}

/// What ``IPIAnalyzer`` reads from a decoding thread: a compact record for the frequent events,
/// a classified event for the rest.
public enum AnalysisInput: Sendable {
  case record(IPIRecord)
  /// Boxed, so that the enum is the size of a record (the common case) and cheap to copy.
  indirect case classified(ClassifiedEvent)

  /// Nanoseconds on the trace clock: the merge key.
  public var timestamp: UInt64 {
    switch self {
    case .record(let record): return record.timestamp
    case .classified(let classified): return classified.event.timestamp.nanoseconds
    }
  }
}

extension IPIRecord {
  /// The digest plan whose kinds are ``Kind/allCases`` in order, so a digest's kind index is
  /// the record's kind.
  public static let digestPlan = DigestPlan(kinds: Kind.allCases.map {
    DigestPlan.Kind(system: $0.system, name: $0.name, fields: $0.fieldNames)
  })

  /// The record of a digest made under ``digestPlan`` (a kind index outside it is a
  /// programming error).
  public init(_ digest: EventDigest) {
    precondition(Kind(rawValue: digest.kind) != nil, "a digest of another plan")
    self.digest = digest
  }
}

extension EventClassifier {
  /// The analysis input of one event read under ``IPIRecord/digestPlan``: digests become
  /// records, full events are classified.
  public mutating func input(_ item: DigestedEvent) -> AnalysisInput {
    switch item {
    case .digest(let digest): return .record(IPIRecord(digest))
    case .event(let event): return .classified(classify(event))
    }
  }
}
