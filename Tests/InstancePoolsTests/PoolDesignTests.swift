import Foundation
import InstancePools
import Testing


extension InstancePoolsTests {
  /// Properties particular to each design, checked against the kernel sources' arithmetic.
  @Suite("Pool designs")
  struct PoolDesignTests {
    @Test("the freelist is LIFO")
    func freelistIsLIFO() {
      let pool = FreelistPool(capacity: 4)
      // Registration pushed 0, 1, 2, 3: the last pushed is on top.
      #expect(pool.pop(cpu: 0) == 3)
      #expect(pool.pop(cpu: 0) == 2)
      pool.push(3, cpu: 1)
      #expect(pool.pop(cpu: 1) == 3)
      pool.push(2, cpu: 0)
      pool.push(3, cpu: 0)
      #expect([pool.pop(cpu: 0), pool.pop(cpu: 0), pool.pop(cpu: 0), pool.pop(cpu: 0)] == [3, 2, 1, 0])
    }

    @Test(
      "array queue sizes follow freelist_init",
      arguments: [
        // (capacity, cpus, slots, stride): slots = max(roundup_pow_of_two(capacity), cores << 3)
        (10, 1, 16, 4), (10, 2, 16, 3), (20, 2, 32, 4), (10, 96, 1024, 3), (5000, 96, 8192, 6), (1, 3, 32, 3),
      ])
    func arrayQueueLayout(capacity: Int, cpus: Int, slots: Int, stride: Int) {
      let pool = ArrayQueuePool(capacity: capacity, cpuCount: cpus)
      #expect(pool.slotCount == slots)
      #expect(pool.stride == stride)
    }

    @Test("array queue pops from the caller's region first and pushes into it")
    func arrayQueueLocality() {
      // 2 CPUs, 16 slots, stride 3: CPU 0 owns slots 0-7, CPU 1 slots 8-15. Registration put
      // even objects at 0, 1, ... and odd objects at 8, 9, ...
      let pool = ArrayQueuePool(capacity: 4, cpuCount: 2)
      #expect(pool.pop(cpu: 1) == 1)
      #expect(pool.pop(cpu: 1) == 3)
      #expect(pool.pop(cpu: 0) == 0)
      // CPU 1's region is empty now, so its scan wraps into... no: it scans forward from slot 8
      // to 15, then 0.. : object 2 sits in slot 1.
      #expect(pool.pop(cpu: 1) == 2)
      pool.push(0, cpu: 1)
      pool.push(2, cpu: 0)
      #expect(pool.pop(cpu: 1) == 0)
      #expect(pool.pop(cpu: 0) == 2)
    }

    @Test("objpool spreads objects over the CPUs as objpool_init_percpu_slots does")
    func objpoolDistribution() {
      // 10 objects on 4 CPUs: 3, 3, 2, 2.
      let pool = PerCPURingPool(capacity: 10, cpuCount: 4)
      #expect(pool.ringSize == 16)
      var fromCPU1: [Int] = []
      while fromCPU1.count < 3, let object = pool.pop(cpu: 1) { fromCPU1.append(object) }
      #expect(fromCPU1 == [3, 4, 5], "local ring first, in FIFO order")
      // Ring 1 is empty: the next pop scans ring 2, then 3, 0.
      #expect(pool.pop(cpu: 1) == 6)
      #expect(pool.pop(cpu: 1) == 7)
      #expect(pool.pop(cpu: 1) == 8)
      #expect(pool.pop(cpu: 1) == 9)
      #expect(pool.pop(cpu: 1) == 0)
      pool.push(5, cpu: 3)
      #expect(pool.pop(cpu: 3) == 5, "a push goes to the pusher's own ring")
    }

    @Test("CPU list matches Cpus_allowed_list in /proc/self/status", .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/status")))
    func allowedCPUs() throws {
      let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
      let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
      var expected: [Int] = []
      for range in line.split(separator: "\t").last!.split(separator: ",") {
        let bounds = range.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces))! }
        expected += Array(bounds[0]...bounds.last!)
      }
      #expect(CPUAffinity.allowedCPUs() == expected)
    }
  }
}
