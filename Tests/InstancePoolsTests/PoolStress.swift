import Atomics
import Foundation
import InstancePools

/// Runs pop/push pairs on many threads against one pool and checks, for every object, that no
/// two threads held it at once, and afterwards that every object is back exactly once.
///
/// Each object has an atomic "held" flag (set after pop, cleared before push: a duplicate shows
/// up as a flag already set) and a plain, non-atomic counter that only the holder increments.
/// The counter is ordered only by the pool's own acquire/release, so ThreadSanitizer
/// (scripts/tsan.sh) reports a data race if a pool hands an object over without a
/// happens-before edge, and a lost increment shows up in the final sum.
struct PoolStress {
  var threads: Int
  var pairsPerThread: Int
  /// CPU number each thread passes to the pool; nil gives thread `i` CPU `i`.
  var cpu: ((Int) -> Int)?

  struct Outcome: Sendable {
    var pops: Int
    var misses: Int
    var duplicates: Int
    var notHeldOnPush: Int
    var counterSum: Int
    /// The objects a single-threaded drain found afterwards, in pop order.
    var drained: [Int]
  }

  /// How many pairs each thread runs: `base`, times `POKESTAT_POOL_SOAK` when that is set
  /// (`POKESTAT_POOL_SOAK=50 swift test --filter InstancePools` for a long soak).
  static func pairs(_ base: Int) -> Int {
    let factor = ProcessInfo.processInfo.environment["POKESTAT_POOL_SOAK"].flatMap(Int.init) ?? 1
    return base * max(1, factor)
  }

  func run(_ pool: some InstancePool) -> Outcome {
    let capacity = pool.capacity
    let held = (0..<capacity).map { _ in ManagedAtomic<Bool>(false) }
    let counters = UnorderedCounters(count: capacity)
    let pops = ManagedAtomic<Int>(0)
    let misses = ManagedAtomic<Int>(0)
    let duplicates = ManagedAtomic<Int>(0)
    let notHeld = ManagedAtomic<Int>(0)
    let started = ManagedAtomic<Int>(0)
    let group = DispatchGroup()
    let pairs = pairsPerThread
    let total = threads
    for index in 0..<threads {
      let cpu = self.cpu?(index) ?? index
      group.enter()
      let thread = Thread {
        started.wrappingIncrement(ordering: .relaxed)
        while started.load(ordering: .relaxed) < total { sched_yield() }
        var popped = 0
        var missed = 0
        while popped < pairs {
          guard let object = pool.pop(cpu: cpu) else {
            missed += 1
            continue
          }
          popped += 1
          if held[object].exchange(true, ordering: .relaxed) { duplicates.wrappingIncrement(ordering: .relaxed) }
          counters.increment(object)
          if !held[object].exchange(false, ordering: .relaxed) { notHeld.wrappingIncrement(ordering: .relaxed) }
          pool.push(object, cpu: cpu)
        }
        pops.wrappingIncrement(by: popped, ordering: .relaxed)
        misses.wrappingIncrement(by: missed, ordering: .relaxed)
        group.leave()
      }
      thread.start()
    }
    group.wait()
    var drained: [Int] = []
    while let object = pool.pop(cpu: 0) { drained.append(object) }
    return Outcome(
      pops: pops.load(ordering: .relaxed), misses: misses.load(ordering: .relaxed),
      duplicates: duplicates.load(ordering: .relaxed), notHeldOnPush: notHeld.load(ordering: .relaxed),
      counterSum: counters.sum(), drained: drained)
  }
}

/// One plain `Int` per object, incremented by whichever thread holds the object.
///
/// `@unchecked Sendable` on purpose: the counters are deliberately not atomic, and the only
/// thing that orders two threads' increments of one counter is the pool under test handing the
/// object from one to the other. Accesses without that ordering are the data races
/// ThreadSanitizer is run to find.
final class UnorderedCounters: @unchecked Sendable {
  private let values: UnsafeMutablePointer<Int>
  private let count: Int

  init(count: Int) {
    self.count = count
    values = .allocate(capacity: count)
    values.initialize(repeating: 0, count: count)
  }

  deinit { values.deallocate() }

  func increment(_ index: Int) { values[index] += 1 }

  /// Read after every thread has been joined.
  func sum() -> Int { (0..<count).reduce(0) { $0 + values[$1] } }
}
