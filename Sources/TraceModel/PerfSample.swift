/// One sample of a perf sampling event: where a CPU was, with its kernel call chain.
public struct PerfSample: Hashable, Sendable {
  /// Nanoseconds on the sampling clock (CLOCK_MONOTONIC for `pokestat record --int3`).
  public var timeNanoseconds: UInt64
  public var cpu: Int
  public var pid: Int32
  public var tid: Int32
  /// The task's name (PERF_RECORD_COMM), or "" when none was seen.
  public var comm: String
  /// The event as perf names it (`cycles`, `cpu-clock`).
  public var event: String
  /// Call chain, innermost first, without perf's context markers (`PERF_CONTEXT_*`).
  public var callchain: [UInt64]

  public init(
    timeNanoseconds: UInt64, cpu: Int, pid: Int32, tid: Int32, comm: String, event: String,
    callchain: [UInt64]
  ) {
    self.timeNanoseconds = timeNanoseconds
    self.cpu = cpu
    self.pid = pid
    self.tid = tid
    self.comm = comm
    self.event = event
    self.callchain = callchain
  }
}
