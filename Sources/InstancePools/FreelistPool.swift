import Atomics

/// The kretprobe freelist before the array queue: a lock-free LIFO list with a reference count
/// per node against ABA.
///
/// Design source: `include/linux/freelist.h` (Linux v5.11 to v6.6, read at torvalds/linux
/// commit db03dce9365d; it was removed when kretprobes moved to objpool in v6.7), itself adapted
/// from Cameron Desrochers' "Solving the ABA problem for lock-free free lists" (moodycamel.com,
/// 2014). This is a re-implementation from the description, not a copy.
///
/// Each node carries `refs`: the low 31 bits count the list's own reference plus every popper
/// that is currently looking at the node, and bit 31 (``onFreelistFlag``, the kernel's
/// `REFS_ON_FREELIST`) says "should be on the list". A popper first raises the count of the
/// head node (only if it is not zero), so the node cannot be pushed again and its `next`
/// cannot change while the popper reads it; that is what defeats ABA without tagged pointers.
/// A push whose node is still referenced only sets the flag; the last popper to drop its
/// reference then links the node in.
///
/// ```swift
/// let pool = FreelistPool(capacity: 4)
/// if let object = pool.pop(cpu: 0) { pool.push(object, cpu: 0) }
/// ```
///
/// Every operation goes through one shared head, so throughput falls as CPUs are added: the
/// cover letter's "freelist" row.
///
/// Memory ordering follows the kernel: acquire on the head and refcount CAS of a pop, release
/// on a push; the kernel's fully ordered `atomic_fetch_add` becomes `.acquiringAndReleasing`.
public final class FreelistPool: InstancePool {
  /// Bit 31 of a node's `refs`: the node should be on the list (`REFS_ON_FREELIST`).
  public static let onFreelistFlag: UInt32 = 0x8000_0000
  /// The reference-count bits of `refs` (`REFS_MASK`).
  public static let referenceMask: UInt32 = 0x7fff_ffff
  /// `next` and `head` value for "no node".
  private static let noNode = -1

  public let capacity: Int
  /// The top node's index, or ``noNode``.
  private let head: AtomicArray<Int>
  /// Per node: the reference count and ``onFreelistFlag``.
  private let references: AtomicArray<UInt32>
  /// Per node: the node below it on the list.
  private let next: AtomicArray<Int>

  /// A list holding the objects `0..<capacity`.
  public init(capacity: Int) {
    precondition(capacity > 0, "a pool needs at least one object")
    self.capacity = capacity
    head = AtomicArray(count: 1, initialValue: Self.noNode)
    references = AtomicArray(count: capacity, initialValue: 0)
    next = AtomicArray(count: capacity, initialValue: Self.noNode)
    // As register_kretprobe did: freelist_add each new instance, in order.
    for object in 0..<capacity { push(object, cpu: 0) }
  }

  /// Takes the top node (`freelist_try_get`); `cpu` is ignored.
  ///
  /// - Complexity: O(1) without contention; retries while other threads change the head.
  public func pop(cpu: Int) -> Int? {
    var top = head[0].load(ordering: .acquiring)
    while top != Self.noNode {
      let candidate = top
      let refs = references[candidate]
      let count = refs.load(ordering: .relaxed)
      // A zero count means the node is being (re)linked by its pusher: do not touch it.
      if count & Self.referenceMask == 0
        || !refs.compareExchange(expected: count, desired: count &+ 1, ordering: .acquiring).exchanged
      {
        top = head[0].load(ordering: .acquiring)
        continue
      }
      // Our reference keeps `next` stable until we drop it.
      let below = next[candidate].load(ordering: .relaxed)
      let (won, current) = head[0].compareExchange(expected: candidate, desired: below, ordering: .acquiring)
      if won {
        assert(refs.load(ordering: .relaxed) & Self.onFreelistFlag == 0, "a listed node had its flag set")
        // Drop our reference and the list's.
        refs.wrappingDecrement(by: 2, ordering: .acquiringAndReleasing)
        return candidate
      }
      top = current
      // Lost the race: drop our reference; if we were the last and a push is pending, link it.
      let before = refs.loadThenWrappingDecrement(by: 1, ordering: .acquiringAndReleasing)
      if before == Self.onFreelistFlag &+ 1 { link(candidate) }
    }
    return nil
  }

  /// Gives `object` back (`freelist_add`); `cpu` is ignored.
  ///
  /// - Complexity: O(1) without contention.
  public func push(_ object: Int, cpu: Int) {
    // The flag is clear while we hold the node, so adding it cannot carry into the count.
    if references[object].loadThenWrappingIncrement(by: Self.onFreelistFlag, ordering: .releasing) == 0 {
      link(object)
    }
  }

  /// Links a node whose reference count is zero onto the list (`__freelist_add`).
  ///
  /// Only one thread runs this for a node at a time: the one that saw the count reach zero.
  private func link(_ node: Int) {
    let refs = references[node]
    var top = head[0].load(ordering: .relaxed)
    while true {
      next[node].store(top, ordering: .relaxed)
      refs.store(1, ordering: .releasing)  // the list's reference; the flag is now clear
      let (linked, current) = head[0].compareExchange(expected: top, desired: node, ordering: .releasing)
      if linked { return }
      top = current
      // A popper may have taken a reference since we set the count to 1. Give ours back and set
      // the flag; retry only if nobody else holds one (otherwise the last of them will link it).
      let before = refs.loadThenWrappingIncrement(by: Self.onFreelistFlag &- 1, ordering: .releasing)
      if before != 1 { return }
    }
  }
}
