/// A pool of reusable objects shared by many threads, as a kretprobe keeps its instances.
///
/// The objects are the indices `0..<capacity`. A probed call takes one with ``pop(cpu:)`` at
/// function entry and gives it back with ``push(_:cpu:)`` at return; when `pop` finds the pool
/// empty the kernel counts a miss (`nmissed` in `kprobe_profile`).
///
/// Implementations mirror the kernel designs the kretprobe cover letter compares:
/// ``FreelistPool`` (the refcounted CAS freelist), ``ArrayQueuePool`` (the cover letter's
/// array-based MPMC queue) and ``PerCPURingPool`` (lib/objpool.c's per-CPU rings).
///
/// Implementations are classes because the pool is one shared object, as in the kernel; they
/// are `Sendable` because all their mutable state is atomic.
public protocol InstancePool: AnyObject, Sendable {
  /// The number of objects, fixed at creation (a kretprobe's `maxactive`).
  var capacity: Int { get }

  /// Takes an object out of the pool, or returns nil when none was found (a kretprobe miss).
  ///
  /// - Parameter cpu: the CPU the caller runs on (the kernel's `raw_smp_processor_id()`);
  ///   any value `>= 0`, reduced modulo the pool's CPU count. Pools without per-CPU state
  ///   ignore it.
  func pop(cpu: Int) -> Int?

  /// Returns an object taken with ``pop(cpu:)``.
  ///
  /// Pushing an object the caller does not hold (twice, or never popped) breaks the pool's
  /// invariants; like the kernel, the pools do not check it.
  func push(_ object: Int, cpu: Int)
}

/// The pool designs `pokestat bench pool` compares, by the names its JSON uses.
public enum PoolKind: String, CaseIterable, Codable, Hashable, Sendable {
  /// ``FreelistPool``: include/linux/freelist.h, the refcounted CAS LIFO.
  case freelist
  /// ``ArrayQueuePool``: the kretprobe cover letter's array-based MPMC queue.
  case array
  /// ``PerCPURingPool``: lib/objpool.c, per-CPU rings.
  case objpool

  /// A new pool of this kind holding `capacity` objects, for a machine with `cpuCount` CPUs.
  public func makePool(capacity: Int, cpuCount: Int) -> any InstancePool {
    switch self {
    case .freelist: FreelistPool(capacity: capacity)
    case .array: ArrayQueuePool(capacity: capacity, cpuCount: cpuCount)
    case .objpool: PerCPURingPool(capacity: capacity, cpuCount: cpuCount)
    }
  }
}
