import InstancePools
import Testing

extension InstancePoolsTests {
  @Suite("PoolBenchmark")
  struct PoolBenchmarkTests {
    @Test("measures every implementation at every thread count, pinned")
    func shortRun() throws {
      let benchmark = PoolBenchmark(threadCounts: [1, 2], duration: .milliseconds(40))
      var progress: [PoolMeasurement] = []
      let report = benchmark.run { progress.append($0) }
      #expect(report.measurements == progress)
      #expect(report.measurements.map(\.implementation) == [.freelist, .freelist, .array, .array, .objpool, .objpool])
      #expect(report.measurements.map(\.threads) == [1, 2, 1, 2, 1, 2])
      #expect(report.cpuCount == CPUAffinity.allowedCPUs().count)
      #expect(report.objects == max(10, 2 * report.cpuCount))
      for measurement in report.measurements {
        #expect(measurement.operations > 0)
        #expect(measurement.seconds >= 0.04)
        #expect(abs(measurement.opsPerSecond - Double(measurement.operations) / measurement.seconds) < 1e-6)
        #expect(measurement.pinnedThreads == measurement.threads)
        // Objects outnumber threads, so no pop should ever find every object taken.
        #expect(measurement.misses == 0)
      }
      let ratio = try #require(report.ratio(.array, to: .freelist, threads: 2))
      #expect(ratio == report.opsPerSecond(.array, threads: 2)! / report.opsPerSecond(.freelist, threads: 2)!)
      #expect(report.ratio(.array, to: .freelist, threads: 3) == nil)
    }

    @Test("counts misses when threads outnumber objects")
    func misses() {
      let benchmark = PoolBenchmark(threadCounts: [4], duration: .milliseconds(40), kinds: [.freelist], objects: 1)
      let report = benchmark.run()
      #expect(report.objects == 1)
      #expect(report.measurements[0].operations > 0)
      #expect(report.measurements[0].misses > 0)
    }
  }
}
