import Atomics

/// The kretprobe cover letter's array-based MPMC queue: a power-of-two array of slots, each
/// CPU starting its search in its own cache line, objects moved in and out with one CAS.
///
/// Design source: "[PATCH v2] kretprobe scalability improvement" by wuqiang (2021-07-06),
/// the `include/linux/freelist.h` rewrite in shared/seeds/002 (`freelist_init`,
/// `freelist_try_add`, `freelist_add`, `freelist_try_get`). Re-implemented from that
/// description, not copied.
///
/// Layout: `slotCount = max(roundup_pow_of_two(capacity), cores << log2(64 / 8))`, where
/// `cores` is the CPU count rounded up to a power of two, so every CPU owns at least one
/// 64-byte line of 8-byte slots. CPU `c` starts at slot `c << stride`
/// (`stride = log2(slotCount) - log2(cores)`) and probes forward. A slot holds `object + 1`, or 0
/// when empty; a bounded array of slots has no ABA problem because a slot holds a value, not a
/// link. Order and fairness are ignored: the only goal is to find an object fast.
///
/// ```swift
/// let pool = ArrayQueuePool(capacity: 10, cpuCount: 4)
/// if let object = pool.pop(cpu: 2) { pool.push(object, cpu: 2) }
/// ```
///
/// Ordering: the patch's `try_cmpxchg_release` on a pop becomes `.acquiringAndReleasing` here,
/// so the popper also synchronizes with a push that refilled the slot between its acquire load
/// and its CAS (in C11 terms a release CAS alone would not order that push's writes before
/// the popper's).
public final class ArrayQueuePool: InstancePool {
  public let capacity: Int
  /// The number of slots (`fh_size`), a power of two.
  public let slotCount: Int
  /// CPUs rounded up to a power of two.
  public let coreCount: Int
  /// `log2(slotCount) - log2(coreCount)`: each CPU's starting slot is `cpu << stride` (`fh_step`).
  public let stride: Int
  private let mask: Int
  /// `object + 1`, or 0 for an empty slot (`fh_ents`).
  private let slots: AtomicArray<Int>

  /// A queue holding the objects `0..<capacity`, spread over the CPUs' regions as
  /// `freelist_try_add` spreads a kretprobe's instances at registration.
  ///
  /// - Parameter cacheLineBytes: the line each CPU's region covers at least (64 on x86 and arm64).
  public init(capacity: Int, cpuCount: Int, cacheLineBytes: Int = 64) {
    precondition(capacity > 0, "a pool needs at least one object")
    self.capacity = capacity
    coreCount = roundUpToPowerOfTwo(max(1, cpuCount))
    let slotsPerLine = roundUpToPowerOfTwo(max(1, cacheLineBytes / MemoryLayout<Int>.size))
    let minimum = coreCount * slotsPerLine
    slotCount = capacity < minimum ? minimum : roundUpToPowerOfTwo(capacity)
    mask = slotCount - 1
    let bits = log2(powerOfTwo: slotCount)
    stride = bits - log2(powerOfTwo: coreCount)
    slots = AtomicArray(count: slotCount, initialValue: 0)
    for used in 0..<capacity {
      // Object n goes to the start of region n mod cores, one slot further each round.
      let hint = (used << stride) &+ (used >> (bits - stride))
      var placed = false
      for probe in 0..<slotCount where !placed {
        placed = slots[(hint &+ probe) & mask]
          .compareExchange(expected: 0, desired: used + 1, ordering: .releasing).exchanged
      }
      precondition(placed, "no free slot for object \(used) of \(capacity) in \(slotCount) slots")
    }
  }

  /// Takes the first object found scanning from this CPU's region (`freelist_try_get`).
  ///
  /// Returns nil after one pass over all slots finds nothing, even if an object was pushed
  /// behind the scan meanwhile: like the kernel, that counts as a miss.
  /// - Complexity: O(1) when the local region has an object; O(slotCount) worst case.
  public func pop(cpu: Int) -> Int? {
    let hint = (cpu & (coreCount - 1)) << stride
    for probe in 0..<slotCount {
      let slot = slots[(hint &+ probe) & mask]
      let item = slot.load(ordering: .acquiring)
      if item != 0, slot.compareExchange(expected: item, desired: 0, ordering: .acquiringAndReleasing).exchanged {
        return item - 1
      }
    }
    return nil
  }

  /// Puts `object` in the first empty slot from this CPU's region on (`freelist_add`).
  ///
  /// Always succeeds: there are more slots than objects.
  /// - Complexity: O(1) when the local region has room; O(slotCount) worst case.
  public func push(_ object: Int, cpu: Int) {
    var index = ((cpu & (coreCount - 1)) << stride) & mask
    while !slots[index].compareExchange(expected: 0, desired: object + 1, ordering: .releasing).exchanged {
      index = (index + 1) & mask
    }
  }
}
