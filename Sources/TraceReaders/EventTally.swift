import TraceModel

/// Events returned and IPI targets per CPU (what `pokestat stats` prints); merges by adding.
///
/// IPI targets are the `cpu` of ipi:ipi_send_cpu and every CPU of ipi:ipi_send_cpumask's
/// `cpumask` (any form ``CPUMask`` reads: lists, kernel bitmaps, `0x` words).
public struct EventTally: Sendable {
  public var returned = 0
  public var ipiTargets: [Int: Int] = [:]

  public init(returned: Int = 0, ipiTargets: [Int: Int] = [:]) {
    self.returned = returned
    self.ipiTargets = ipiTargets
  }

  public mutating func add(_ event: TraceEvent) {
    returned += 1
    guard event.system == "ipi" else { return }
    if event.name == "ipi_send_cpu" {
      if let cpu = event[field: "cpu"]?.unsignedValue { ipiTargets[Int(clamping: cpu), default: 0] += 1 }
    } else if let cpus = event[field: "cpumask"].flatMap({ CPUMask.cpus(in: $0) }) {
      for cpu in cpus { ipiTargets[cpu, default: 0] += 1 }
    }
  }

  public func merged(with other: EventTally) -> EventTally {
    EventTally(returned: returned + other.returned, ipiTargets: ipiTargets.merging(other.ipiTargets, uniquingKeysWith: +))
  }
}

/// The ``EventReducer`` of ``EventTally``: `pokestat stats`'s count, folded per CPU stream (or
/// per byte range of a text file) and merged by adding.
public struct IPITargetCounter: EventReducer {
  public init() {}
  public var empty: EventTally { EventTally() }
  public func fold(_ tally: inout EventTally, _ event: TraceEvent) { tally.add(event) }
  public func merge(_ lhs: EventTally, _ rhs: EventTally) -> EventTally { lhs.merged(with: rhs) }
}
