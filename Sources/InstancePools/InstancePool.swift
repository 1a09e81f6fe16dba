/// A pool of reusable objects shared by many threads, as a kretprobe keeps its instances.
///
/// Implementations mirror the kernel designs the kretprobe cover letter compares: the
/// refcounted CAS freelist, the array-based MPMC queue, and lib/objpool.c's per-CPU rings.
public protocol InstancePool: AnyObject, Sendable {
  /// Takes an object index out of the pool, or nil when the pool is empty (a kretprobe miss).
  func pop(cpu: Int) -> Int?
  /// Returns an object index to the pool.
  func push(_ object: Int, cpu: Int)
}
