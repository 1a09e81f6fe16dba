import Foundation
import InstancePools
import Testing


extension InstancePoolsTests {
  /// Behaviour every pool shares: single-threaded bookkeeping, and no object lost or duplicated
  /// under concurrent pop/push on every CPU.
  @Suite("InstancePool")
  struct InstancePoolTests {
    static let cpus = CPUAffinity.allowedCPUs().count

    @Test("pops every object exactly once, then reports empty", arguments: PoolKind.allCases, [1, 3, 10, 64])
    func drainsEveryObject(kind: PoolKind, capacity: Int) {
      let pool = kind.makePool(capacity: capacity, cpuCount: 4)
      for round in 0..<3 {
        var seen: [Int] = []
        for index in 0..<capacity {
          guard let object = pool.pop(cpu: (index + round) % 4) else { break }
          seen.append(object)
        }
        #expect(seen.sorted() == Array(0..<capacity), "round \(round)")
        #expect(pool.pop(cpu: 0) == nil)
        #expect(pool.pop(cpu: 3) == nil)
        for (index, object) in seen.enumerated() { pool.push(object, cpu: index % 4) }
      }
    }

    @Test("no object is lost or duplicated with one thread per CPU", arguments: PoolKind.allCases)
    func oneThreadPerCPU(kind: PoolKind) {
      let threads = max(2, Self.cpus)
      let pool = kind.makePool(capacity: max(10, 2 * threads), cpuCount: Self.cpus)
      let stress = PoolStress(threads: threads, pairsPerThread: PoolStress.pairs(300_000))
      Self.check(stress.run(pool), pool: pool, threads: threads, pairsPerThread: stress.pairsPerThread)
    }

    @Test("no object is lost or duplicated with more threads than objects", arguments: PoolKind.allCases)
    func scarceObjects(kind: PoolKind) {
      // Three objects for four threads per CPU: pops find the pool empty (kretprobe misses) and
      // several threads share a CPU number, so objpool rings see concurrent pushes.
      let threads = 4 * max(2, Self.cpus)
      let pool = kind.makePool(capacity: 3, cpuCount: Self.cpus)
      let stress = PoolStress(threads: threads, pairsPerThread: PoolStress.pairs(20_000), cpu: { $0 % Self.cpus })
      Self.check(stress.run(pool), pool: pool, threads: threads, pairsPerThread: stress.pairsPerThread)
    }

    @Test("no object is lost or duplicated when every thread claims the same CPU", arguments: PoolKind.allCases)
    func sameCPU(kind: PoolKind) {
      let threads = max(2, Self.cpus) * 2
      let pool = kind.makePool(capacity: 16, cpuCount: Self.cpus)
      let stress = PoolStress(threads: threads, pairsPerThread: PoolStress.pairs(40_000), cpu: { _ in 0 })
      Self.check(stress.run(pool), pool: pool, threads: threads, pairsPerThread: stress.pairsPerThread)
    }

    static func check(_ outcome: PoolStress.Outcome, pool: some InstancePool, threads: Int, pairsPerThread: Int) {
      #expect(outcome.duplicates == 0, "an object was popped while another thread held it")
      #expect(outcome.notHeldOnPush == 0)
      #expect(outcome.pops == threads * pairsPerThread)
      #expect(outcome.counterSum == outcome.pops, "increments made while holding an object were lost")
      #expect(outcome.drained.count == pool.capacity, "objects lost or duplicated")
      #expect(outcome.drained.sorted() == Array(0..<pool.capacity))
    }
  }
}
