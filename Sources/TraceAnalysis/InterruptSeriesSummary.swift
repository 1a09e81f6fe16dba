/// Function-call IPIs seen in a series of `/proc/interrupts` snapshots.
public struct InterruptSeriesSummary: Codable, Sendable, Equatable {
  public var snapshots: Int
  /// CPU columns of the header of the first snapshot (`CPU0 CPU1 …`).
  public var cpus: Int
  /// The rows counted as function-call IPIs: x86 `CAL`, and rows described as `Function call
  /// interrupts` or `Single function call interrupts` (arm, arm64 `IPIn:` rows).
  public var rows: [String]
  /// Per interval (snapshot k-1 → k), the increase per CPU of those rows summed (keys are CPU
  /// numbers as strings; a counter that went down, as after a CPU was unplugged, is negative).
  public var intervals: [[String: Int64]]
  /// First to last snapshot per CPU (empty with one snapshot).
  public var totalPerCPU: [String: Int64]
  /// The rows' counts in the last snapshot per CPU (since boot).
  public var sinceBootPerCPU: [String: UInt64]

  public init(
    snapshots: Int, cpus: Int, rows: [String], intervals: [[String: Int64]], totalPerCPU: [String: Int64],
    sinceBootPerCPU: [String: UInt64]
  ) {
    self.snapshots = snapshots
    self.cpus = cpus
    self.rows = rows
    self.intervals = intervals
    self.totalPerCPU = totalPerCPU
    self.sinceBootPerCPU = sinceBootPerCPU
  }

  enum CodingKeys: String, CodingKey {
    case snapshots, cpus, rows, intervals
    case totalPerCPU = "total_per_cpu"
    case sinceBootPerCPU = "since_boot_per_cpu"
  }
}
