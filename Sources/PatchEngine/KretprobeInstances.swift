import TraceModel

/// kretprobe instance pools: the default `maxactive`, how objects spread over CPUs, and the
/// `nmissed` a given concurrency produces.
///
/// Sources, kernel/kprobes.c `register_kretprobe()`:
/// - before v6.2: `maxactive <= 0` defaults to `max(10, 2 * num_possible_cpus())` with
///   CONFIG_PREEMPTION (CONFIG_PREEMPT before v5.3, Thomas Gleixner's "kprobes: Use
///   CONFIG_PREEMPTION") and to `num_possible_cpus()` without.
/// - v6.2 (commit 3b7ddab8a19aefc768f345fd3782af35b4a68d9b, "kprobes: kretprobe events missing on
///   2-core KVM guest", wuqiang; also backported to 6.0.y/6.1.y stable): `max(10, 2 *
///   num_possible_cpus())` always.
/// - The pool: a list under a lock, then a lock-free freelist (v5.11-era), then lib/objpool.c
///   (v6.7, "kprobes: kretprobe scalability improvement with objpool"; the 2021 array proposal is
///   seed 002). objpool gives each possible CPU a slot holding `maxactive / ncpus` objects, the
///   first `maxactive % ncpus` CPUs one more (`objpool_init_percpu_slots()`); `objpool_pop()`
///   tries the local slot and then every other CPU's, so a pop fails only when all `maxactive`
///   objects are in use. The same holds for the older global pools, so for every version a probe
///   hit is missed (`nmissed++`) exactly when `maxactive` instances are already active.
public enum KretprobeInstances {
  /// The version that dropped the preemption condition (v6.2).
  public static let unconditionalDefaultSince = KernelVersion(6, 2)
  /// The version that uses lib/objpool.c (v6.7).
  public static let objpoolSince = KernelVersion(6, 7)

  /// The default `maxactive` for a kretprobe registered with `maxactive <= 0`.
  public static func defaultMaxactive(kernel: KernelVersion, possibleCPUs: Int, preemptible: Bool) -> Int {
    precondition(possibleCPUs >= 1)
    if kernel >= unconditionalDefaultSince || preemptible { return max(10, 2 * possibleCPUs) }
    return possibleCPUs
  }

  /// Objects per possible CPU's objpool slot (v6.7+), CPU 0 first.
  public static func objpoolSpread(objects: Int, possibleCPUs: Int) -> [Int] {
    precondition(objects >= 0 && possibleCPUs >= 1)
    return (0..<possibleCPUs).map { objects / possibleCPUs + ($0 < objects % possibleCPUs ? 1 : 0) }
  }

  /// The predicted result for `bursts` bursts of `concurrency` simultaneously active calls of the
  /// probed function (each burst drains before the next).
  public static func predict(
    kernel: KernelVersion, possibleCPUs: Int, preemptible: Bool, maxactive: Int?, concurrency: Int, bursts: Int = 1
  ) -> KretprobePrediction {
    precondition(concurrency >= 0 && bursts >= 0)
    let defaulted = maxactive.map { $0 <= 0 } ?? true
    let active = defaulted ? defaultMaxactive(kernel: kernel, possibleCPUs: possibleCPUs, preemptible: preemptible) : maxactive!
    let missedPerBurst = max(0, concurrency - active)
    return KretprobePrediction(
      kernel: kernel.description, possibleCPUs: possibleCPUs, maxactive: active, maxactiveIsDefault: defaulted,
      pool: kernel >= objpoolSince ? "objpool" : "global-freelist",
      objectsPerCPU: kernel >= objpoolSince ? objpoolSpread(objects: active, possibleCPUs: possibleCPUs) : nil,
      concurrency: concurrency, bursts: bursts, missedPerBurst: missedPerBurst, nmissed: missedPerBurst * bursts)
  }
}

/// The kretprobe prediction `pokestat predict --concurrency` prints.
public struct KretprobePrediction: Hashable, Sendable, Codable {
  public var kernel: String
  public var possibleCPUs: Int
  public var maxactive: Int
  public var maxactiveIsDefault: Bool
  /// `objpool` (v6.7+) or `global-freelist` (earlier pools; same miss rule).
  public var pool: String
  /// Objects per CPU slot (objpool only).
  public var objectsPerCPU: [Int]?
  public var concurrency: Int
  public var bursts: Int
  public var missedPerBurst: Int
  /// Predicted `nmissed` after all bursts.
  public var nmissed: Int

  enum CodingKeys: String, CodingKey {
    case kernel, maxactive, pool, concurrency, bursts, nmissed
    case possibleCPUs = "possible_cpus"
    case maxactiveIsDefault = "maxactive_is_default"
    case objectsPerCPU = "objects_per_cpu"
    case missedPerBurst = "missed_per_burst"
  }
}
