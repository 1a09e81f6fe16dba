import Atomics

/// A fixed number of atomic values in one allocation, owned by the pool that stores it.
///
/// The pools keep their shared state (list heads, reference counts, queue slots, ring
/// indices) in these arrays, and touch it only through ``UnsafeAtomic`` operations.
/// `spacing` places element `i` at storage index `i * spacing`, so that counters written by
/// different CPUs can sit a cache line apart (`spacing: 16` for `UInt32`, `8` for `Int`).
///
/// The type is noncopyable: `init` allocates and initializes, `deinit` frees, and a pool that
/// stores one as a `let` borrows it on every access, without reference counting on the hot
/// path (a retain of a shared class instance is itself a contended atomic increment).
///
/// It is `@unchecked Sendable` because it holds a raw pointer. The invariant that makes sharing
/// safe: the pointer is set once in `init` and never changes; every element is read and
/// written only through atomic operations (``subscript(_:)`` returns an ``UnsafeAtomic``);
/// and the memory is freed only in `deinit`, which runs once the owning pool is unreachable,
/// so no thread can still be using it.
struct AtomicArray<Value: AtomicValue & Sendable>: ~Copyable, @unchecked Sendable
where Value.AtomicRepresentation.Value == Value {
  private let base: UnsafeMutablePointer<Value.AtomicRepresentation>
  private let storageCount: Int
  /// Storage elements between consecutive logical elements.
  let spacing: Int
  /// The number of logical elements.
  let count: Int

  /// Allocates `count` atomics, each set to `initialValue`.
  init(count: Int, spacing: Int = 1, initialValue: Value) {
    precondition(count > 0 && spacing > 0, "an AtomicArray needs at least one element")
    self.count = count
    self.spacing = spacing
    storageCount = count * spacing
    base = .allocate(capacity: storageCount)
    for index in 0..<storageCount {
      (base + index).initialize(to: Value.AtomicRepresentation(initialValue))
    }
  }

  deinit {
    base.deinitialize(count: storageCount)
    base.deallocate()
  }

  /// The atomic at logical index `index`.
  ///
  /// - Complexity: O(1); bounds are checked only in debug builds.
  subscript(_ index: Int) -> UnsafeAtomic<Value> {
    assert(index >= 0 && index < count, "AtomicArray index \(index) out of 0..<\(count)")
    return UnsafeAtomic(at: base + index * spacing)
  }
}

/// The smallest power of two that is at least `value` (1 for values below 1).
func roundUpToPowerOfTwo(_ value: Int) -> Int {
  value <= 1 ? 1 : 1 << (Int.bitWidth - (value - 1).leadingZeroBitCount)
}

/// The base-2 logarithm of a power of two.
func log2(powerOfTwo value: Int) -> Int {
  precondition(value > 0 && value & (value - 1) == 0, "\(value) is not a power of two")
  return value.trailingZeroBitCount
}
