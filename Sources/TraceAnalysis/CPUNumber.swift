import TraceModel

/// How the analysis treats CPU numbers taken from input files.
///
/// A CPU number comes from a file (`[003]`, perf script's `[cpu]` column, a `cpu=` field, a
/// cpumask bit) and is never trusted as an index: numbers in `0..<limit` are CPUs, every other
/// number is the *unknown CPU*. perf script prints no `[cpu]` column for per-thread recordings
/// (`perf record` without `-a`), and its reader gives -1 then; a damaged line can give any
/// number. The unknown CPU is counted on its own (JSON key `"unknown"`, table row `cpu?`), and
/// never counts toward the inferred CPU count.
public enum CPUNumber {
  /// One more than the highest CPU number kept as a CPU: Linux's largest `NR_CPUS`
  /// (``TraceMetadata/maximumCPUs``).
  public static let limit = TraceMetadata.maximumCPUs
  /// The number the analysis uses for an event whose CPU is not known.
  public static let unknown = -1
  /// The JSON key and table label part of the unknown CPU.
  public static let unknownKey = "unknown"

  /// `cpu` when it is a CPU number the analysis keeps, else ``unknown``.
  @inline(__always)
  public static func normalized(_ cpu: Int) -> Int { cpu >= 0 && cpu < limit ? cpu : unknown }

  /// The key of a CPU in per-CPU JSON objects: its number, or `"unknown"`.
  public static func key(_ cpu: Int) -> String {
    cpu >= 0 && cpu < limit ? String(cpu) : unknownKey
  }
}
