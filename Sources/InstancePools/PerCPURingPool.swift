#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import Atomics

/// The kernel's objpool: one ring of object slots per CPU; a pop tries the local ring first and
/// then the other CPUs' rings in turn, a push always appends to the local ring.
///
/// Design source: `lib/objpool.c` (read at torvalds/linux commit 05bf73aa27ba) and
/// `include/linux/objpool.h` (commit 1afba39f9305), merged in Linux v6.7 as the kretprobe and
/// rethook instance pool. Re-implemented from that description, not copied.
///
/// Each ring has `head` (next sequence to take), `tail` (next sequence to reserve) and `last`
/// (sequences below it are ready), all 32-bit and wrapping; the ring size is
/// `roundup_pow_of_two(capacity)`, so one ring can hold every object and a push never finds it
/// full. The capacity is spread over the CPUs at creation (`capacity / cpuCount` each, the
/// first `capacity % cpuCount` CPUs one more). Each ring's three counters sit on their own
/// 64-byte line.
///
/// ```swift
/// let pool = PerCPURingPool(capacity: 10, cpuCount: 4)
/// if let object = pool.pop(cpu: 1) { pool.push(object, cpu: 1) }
/// ```
///
/// One deliberate difference: the kernel pushes with interrupts off, so at most one push per
/// ring runs at a time (NMIs aside) and it can publish `last = tail + 1` right away. User-space
/// threads that share a CPU number can push to one ring concurrently, and publishing out of
/// order would expose a slot not yet written. So a push here publishes in reservation order:
/// it waits until `last` reaches its own sequence (yielding the CPU while it waits) before
/// storing `last = tail + 1` (spinning, then yielding, then sleeping 50 µs at a time). With one thread per CPU, as `pokestat bench pool` runs up to
/// the CPU count, the wait never happens. Loads of `last` are acquire (the kernel's are
/// `READ_ONCE`), and the pop CAS on `head` is acquire-release (the kernel's is release).
public final class PerCPURingPool: InstancePool {
  public let capacity: Int
  /// The number of rings.
  public let cpuCount: Int
  /// Slots per ring, a power of two `>= capacity`.
  public let ringSize: Int
  private let mask: UInt32
  /// Per ring, on its own 64-byte line: head, tail, last at storage offsets 0, 1, 2.
  private let counters: AtomicArray<UInt32>
  /// `cpuCount * ringSize` slots holding object indices.
  private let entries: AtomicArray<Int>

  private static let countersPerLine = 64 / MemoryLayout<UInt32>.size
  private static let headField = 0
  private static let tailField = 1
  private static let lastField = 2

  /// Rings for `cpuCount` CPUs holding the objects `0..<capacity` between them.
  public init(capacity: Int, cpuCount: Int) {
    precondition(capacity > 0, "a pool needs at least one object")
    precondition(capacity <= 1 << 24, "objpool holds at most 2^24 objects (OBJPOOL_NR_OBJECT_MAX)")
    self.capacity = capacity
    self.cpuCount = max(1, cpuCount)
    ringSize = roundUpToPowerOfTwo(capacity)
    mask = UInt32(ringSize - 1)
    counters = AtomicArray(count: self.cpuCount * Self.countersPerLine, initialValue: 0)
    entries = AtomicArray(count: self.cpuCount * ringSize, initialValue: -1)
    var object = 0
    for cpu in 0..<self.cpuCount {
      let share = capacity / self.cpuCount + (cpu < capacity % self.cpuCount ? 1 : 0)
      for sequence in 0..<share {
        entries[cpu * ringSize + sequence].store(object, ordering: .relaxed)
        object += 1
      }
      counter(Self.tailField, cpu).store(UInt32(share), ordering: .relaxed)
      counter(Self.lastField, cpu).store(UInt32(share), ordering: .releasing)
    }
  }

  private func counter(_ field: Int, _ ring: Int) -> UnsafeAtomic<UInt32> {
    counters[ring * Self.countersPerLine + field]
  }

  private func entry(_ ring: Int, _ sequence: UInt32) -> UnsafeAtomic<Int> {
    entries[ring * ringSize + Int(sequence & mask)]
  }

  /// Takes an object from this CPU's ring, else from the next CPUs' rings in turn (`objpool_pop`).
  ///
  /// - Complexity: O(1) when the local ring has an object; O(cpuCount) rings otherwise.
  public func pop(cpu: Int) -> Int? {
    let start = cpu % cpuCount
    for offset in 0..<cpuCount {
      var ring = start + offset
      if ring >= cpuCount { ring -= cpuCount }
      if let object = take(from: ring) { return object }
    }
    return nil
  }

  /// One ring's `__objpool_try_get_slot`.
  private func take(from ring: Int) -> Int? {
    let head = counter(Self.headField, ring)
    let last = counter(Self.lastField, ring)
    var sequence = head.load(ordering: .acquiring)
    while true {
      let ready = last.load(ordering: .acquiring)
      if sequence == ready { return nil }
      // `head` and `last` were read at different times: make sure `sequence` is below `last`
      // and at most `capacity` behind it before reading the slot (the kernel's same check).
      if ready &- sequence &- 1 >= UInt32(capacity) {
        sequence = head.load(ordering: .acquiring)
        continue
      }
      let object = entry(ring, sequence).load(ordering: .relaxed)
      let (taken, current) = head.compareExchange(
        expected: sequence, desired: sequence &+ 1, ordering: .acquiringAndReleasing)
      if taken { return object }
      sequence = current
    }
  }

  /// Appends `object` to this CPU's ring (`objpool_push`).
  ///
  /// - Complexity: O(1); waits only behind an unfinished push to the same ring.
  public func push(_ object: Int, cpu: Int) {
    let ring = cpu % cpuCount
    let tail = counter(Self.tailField, ring)
    var sequence = tail.load(ordering: .relaxed)
    while true {
      let (reserved, current) = tail.compareExchange(
        expected: sequence, desired: sequence &+ 1, ordering: .acquiring)
      if reserved { break }
      sequence = current
    }
    entry(ring, sequence).store(object, ordering: .relaxed)
    let last = counter(Self.lastField, ring)
    var spins = 0
    while last.load(ordering: .acquiring) != sequence {
      // The earlier pusher is between its reservation and its publication; it may have been
      // preempted, so spin briefly, then yield, then sleep.
      spins += 1
      if spins > 4096 {
        usleep(50)
      } else if spins % 64 == 0 {
        sched_yield()
      }
    }
    last.store(sequence &+ 1, ordering: .releasing)
  }
}
