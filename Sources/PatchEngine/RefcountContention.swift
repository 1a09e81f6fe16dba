import Foundation

/// How the int3 handler takes its reference on the patching descriptor.
public enum RefcountKind: String, Hashable, Sendable, Codable, CaseIterable {
  /// One `atomic_t bp_desc.refs` on the same cache line as `vec` and `nr_entries`: every
  /// trapping CPU bounces that line (arch/x86/kernel/alternative.c v5.3 until Eric Dumazet's
  /// "x86/alternatives: remove false sharing in poke_int3_handler()", seed 000, 2025).
  case shared
  /// `DEFINE_PER_CPU(atomic_t, bp_refs)`: each CPU touches only its own line (after that fix).
  case perCPU = "per-cpu"
}

/// The stated parameters of the batch-duration model. Every default names its source.
public struct BatchTimingParameters: Hashable, Sendable, Codable {
  /// Online CPUs (seed 000: 240 cores, 480 threads).
  public var onlineCPUs: Int
  /// CPUs that keep running the code that traps (seed 000: the BPF program runs on all of them).
  public var trappingCPUs: Int
  /// int3 traps per second, machine-wide, while the batch's sites hold int3: runs per second of
  /// the code times the patched sites each run passes (seed 000: 50 M BPF runs/s, each through one
  /// `bpf_stats_enabled_key` site in `__bpf_prog_run()`).
  public var trapsPerSecond: Double
  /// Time for one cache-line ownership transfer between CPUs under contention, ns. Assumed 200 ns:
  /// cross-socket line bounces measured with cmpxchg ping-pong on two-socket servers are of the
  /// order of 10² ns (Chips and Cheese, "Core to Core Latency Data on Large Systems", 2023-11-07).
  /// docs/model.md shows the result for 100–400 ns.
  public var lineTransferNanoseconds: Double
  /// Line transfers one trap makes besides the contended increment: the read of `vec` and
  /// `nr_entries` after a remote write (false sharing) and the `atomic_dec` in `put_desc()`.
  public var extraLineTransfersPerTrap: Double
  /// Fixed cost of a batch on this machine, µs: three `on_each_cpu` rounds and setup.
  /// Default: seed 000's 2-entry batch after the fix (519 µs) minus its two sites.
  public var fixedBatchMicroseconds: Double
  /// Cost per patched site, µs (three `text_poke()` writes). Default from seed 001, independent
  /// of seed 000: unbatched 57 ms = 168 syncs + 168 writes, batched 1.4 ms = 3 syncs + 168 writes,
  /// so one write ≈ 2.32 µs and one site ≈ 6.95 µs.
  public var perSiteMicroseconds: Double
  /// The handler's own lookup cost.
  public var handlerCost: Int3HandlerCost

  public init(
    onlineCPUs: Int, trappingCPUs: Int? = nil, trapsPerSecond: Double,
    lineTransferNanoseconds: Double = 200, extraLineTransfersPerTrap: Double = 2,
    fixedBatchMicroseconds: Double? = nil, perSiteMicroseconds: Double = BatchTimingParameters.seed001PerSiteMicroseconds,
    handlerCost: Int3HandlerCost = .batchingCoverLetter
  ) {
    precondition(onlineCPUs >= 1 && trapsPerSecond >= 0 && lineTransferNanoseconds > 0)
    self.onlineCPUs = onlineCPUs
    self.trappingCPUs = min(trappingCPUs ?? onlineCPUs, onlineCPUs)
    self.trapsPerSecond = trapsPerSecond
    self.lineTransferNanoseconds = lineTransferNanoseconds
    self.extraLineTransfersPerTrap = extraLineTransfersPerTrap
    self.perSiteMicroseconds = perSiteMicroseconds
    self.fixedBatchMicroseconds = fixedBatchMicroseconds ?? (519 - 2 * perSiteMicroseconds)
    self.handlerCost = handlerCost
  }

  /// One site's three writes from seed 001 (see ``perSiteMicroseconds``), µs.
  public static let seed001PerSiteMicroseconds: Double = {
    let syncMicroseconds = (57_000.0 - 1_400.0) / (168 - 3)
    let writeMicroseconds = (1_400.0 - 3 * syncMicroseconds) / 168
    return 3 * writeMicroseconds
  }()

  /// Seed 000's machine and load: 480 threads, 50 M BPF runs/s.
  public static let seed000 = BatchTimingParameters(onlineCPUs: 480, trapsPerSecond: 50e6)
}

/// The predicted duration of one text_poke batch under int3 traffic.
public struct BatchDurationPrediction: Hashable, Sendable, Codable {
  public var refcount: RefcountKind
  public var entries: Int
  /// Offered load on the shared line: traps/s × line transfers per trap × transfer time.
  /// ≥ 1 means the line cannot keep up (saturated). 0 for per-CPU references.
  public var lineUtilization: Double
  public var saturated: Bool
  /// Extra wait per sync caused by CPUs stuck in the handler, µs.
  public var waitPerSyncMicroseconds: Double
  /// Syncs in the batch (3 for jump labels).
  public var syncs: Int
  /// The batch without int3 contention, µs.
  public var uncontendedMicroseconds: Double
  /// The batch with it, µs.
  public var totalMicroseconds: Double

  enum CodingKeys: String, CodingKey {
    case refcount, entries, saturated, syncs
    case lineUtilization = "line_utilization"
    case waitPerSyncMicroseconds = "wait_per_sync_us"
    case uncontendedMicroseconds = "uncontended_us"
    case totalMicroseconds = "total_us"
  }
}

/// The shared-refcount contention model versus per-CPU references.
///
/// Each sync is `on_each_cpu(do_sync_core, NULL, 1)`: the patching CPU waits until every other
/// CPU has run the callback. A CPU inside the int3 handler has interrupts off (int3 is an
/// interrupt gate), so it runs the callback only when its trap completes.
///
/// Shared reference (before the 2025 fix): `raw_atomic_inc_not_zero(&bp_desc.refs)` is a
/// cmpxchg loop on one line that every trapping CPU also reads (`vec`, `nr_entries`) and
/// decrements. Offered load ρ = λ · (1 + extra) · t. When ρ ≥ 1 every trapping CPU ends up
/// waiting in the handler (each re-traps within N/λ of leaving, far less than its wait), a
/// successful increment costs about one transfer per contender (N) plus the extra transfers, so
/// traps complete at X = 1 / ((N + extra) · t); the sync waits until all N CPUs have completed
/// one trap in effectively random order, about N · H(N) completions (coupon collector), so the
/// wait per sync is N · H(N) · (N + extra) · t. When ρ < 1 the line is an M/D/1 server with
/// service s = (1 + extra) · t and the sync waits at most one trap: handler + s + ρs / (2(1 − ρ)).
///
/// Per-CPU references: no shared line; the sync waits at most one handler run, ``Int3HandlerCost``.
///
/// Batch duration = fixed + entries · per-site + syncs · wait.
public enum RefcountContention {
  /// Predicts one batch of `entries` multi-byte sites (3 syncs) on the machine `parameters` describes.
  public static func predict(entries: Int, refcount: RefcountKind, parameters p: BatchTimingParameters, syncs: Int = 3) -> BatchDurationPrediction {
    precondition(entries >= 1)
    let handlerNanoseconds = p.handlerCost.nanoseconds(entries: entries)
    let uncontended = p.fixedBatchMicroseconds + Double(entries) * p.perSiteMicroseconds
    let t = p.lineTransferNanoseconds
    var utilization = 0.0
    var saturated = false
    let waitNanoseconds: Double
    switch refcount {
    case .perCPU:
      waitNanoseconds = p.trapsPerSecond > 0 ? handlerNanoseconds : 0
    case .shared:
      let service = (1 + p.extraLineTransfersPerTrap) * t
      utilization = p.trapsPerSecond * service * 1e-9
      if p.trapsPerSecond == 0 {
        waitNanoseconds = 0
      } else if utilization >= 1 {
        saturated = true
        let n = Double(p.trappingCPUs)
        waitNanoseconds = n * harmonic(p.trappingCPUs) * (n + p.extraLineTransfersPerTrap) * t
      } else {
        waitNanoseconds = handlerNanoseconds + service + utilization * service / (2 * (1 - utilization))
      }
    }
    let wait = waitNanoseconds / 1000
    return BatchDurationPrediction(
      refcount: refcount, entries: entries, lineUtilization: utilization, saturated: saturated,
      waitPerSyncMicroseconds: wait, syncs: syncs, uncontendedMicroseconds: uncontended,
      totalMicroseconds: uncontended + Double(syncs) * wait)
  }

  /// The n-th harmonic number, 1 + 1/2 + … + 1/n.
  static func harmonic(_ n: Int) -> Double {
    n < 1 ? 0 : (1...n).reduce(0.0) { $0 + 1 / Double($1) }
  }
}
