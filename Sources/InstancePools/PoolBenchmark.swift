import Atomics
import Foundation

/// Measures pop-then-push throughput of the instance pools, as a kretprobe takes an instance
/// at every probed call and returns it when the function returns.
///
/// Each of `threads` threads is pinned to CPU `allowed[i % allowed.count]` (when pinning works),
/// passes that CPU's index to the pool, and loops `pop`, `push` until the time is up. The figure
/// is the seed cover letter's: total successful pop/push pairs per second over all threads.
/// Pops that find the pool empty are counted as misses and not as operations.
///
/// ```swift
/// let benchmark = PoolBenchmark(threadCounts: [1, 2], duration: .seconds(2))
/// let report = benchmark.run()
/// print(report.opsPerSecond(.array, threads: 2) ?? 0)
/// ```
public struct PoolBenchmark: Hashable, Sendable {
  /// Thread counts to measure, in column order (the seed's `1x 2x 4x ...`).
  public var threadCounts: [Int]
  /// Measuring time per implementation and thread count.
  public var duration: Duration
  /// Implementations, in row order.
  public var kinds: [PoolKind]
  /// Objects per pool; nil picks the kretprobe default `maxactive` for a preemptible kernel,
  /// `max(10, 2 * CPUs)`, raised to the largest thread count so every thread can hold one.
  public var objects: Int?
  /// Pin thread `i` to allowed CPU `i mod count`.
  public var pinsThreads: Bool

  public init(
    threadCounts: [Int], duration: Duration, kinds: [PoolKind] = PoolKind.allCases,
    objects: Int? = nil, pinsThreads: Bool = true
  ) {
    self.threadCounts = threadCounts
    self.duration = duration
    self.kinds = kinds
    self.objects = objects
    self.pinsThreads = pinsThreads
  }

  /// Runs every implementation at every thread count, one run at a time, and calls `progress`
  /// after each run.
  public func run(progress: (PoolMeasurement) -> Void = { _ in }) -> PoolBenchmarkReport {
    precondition(threadCounts.allSatisfy { $0 > 0 }, "thread counts must be positive")
    let cpus = CPUAffinity.allowedCPUs()
    let objectCount = objects ?? max(10, 2 * cpus.count, threadCounts.max() ?? 1)
    var measurements: [PoolMeasurement] = []
    for kind in kinds {
      for threads in threadCounts {
        let pool = kind.makePool(capacity: objectCount, cpuCount: cpus.count)
        let measurement = Self.measure(pool, kind: kind, threads: threads, cpus: cpus, duration: duration,
                                       pins: pinsThreads)
        measurements.append(measurement)
        progress(measurement)
      }
    }
    return PoolBenchmarkReport(
      cpuCount: cpus.count, objects: objectCount, secondsPerRun: Self.seconds(duration),
      threadCounts: threadCounts, kinds: kinds, measurements: measurements)
  }

  /// One run: `threads` threads looping pop/push on `pool` for `duration`.
  static func measure(
    _ pool: any InstancePool, kind: PoolKind, threads: Int, cpus: [Int], duration: Duration, pins: Bool
  ) -> PoolMeasurement {
    // Open the existential once so the loop calls the concrete class.
    func loop<P: InstancePool>(_ pool: P) -> PoolMeasurement {
      let ready = ManagedAtomic<Int>(0)
      let go = ManagedAtomic<Bool>(false)
      let stop = ManagedAtomic<Bool>(false)
      let operations = ManagedAtomic<Int>(0)
      let misses = ManagedAtomic<Int>(0)
      let pinned = ManagedAtomic<Int>(0)
      let done = DispatchGroup()
      for index in 0..<threads {
        let cpuIndex = index % cpus.count
        let cpu = cpus[cpuIndex]
        done.enter()
        let thread = Thread {
          if pins, CPUAffinity.pinCurrentThread(toCPU: cpu) { pinned.wrappingIncrement(ordering: .relaxed) }
          ready.wrappingIncrement(ordering: .releasing)
          while !go.load(ordering: .acquiring) { sched_yield() }
          var ops = 0
          var missed = 0
          while !stop.load(ordering: .relaxed) {
            for _ in 0..<128 {
              if let object = pool.pop(cpu: cpuIndex) {
                pool.push(object, cpu: cpuIndex)
                ops += 1
              } else {
                missed += 1
              }
            }
          }
          operations.wrappingIncrement(by: ops, ordering: .relaxed)
          misses.wrappingIncrement(by: missed, ordering: .relaxed)
          done.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
      }
      while ready.load(ordering: .acquiring) < threads { sched_yield() }
      let clock = ContinuousClock()
      let start = clock.now
      go.store(true, ordering: .releasing)
      Thread.sleep(forTimeInterval: seconds(duration))
      stop.store(true, ordering: .relaxed)
      done.wait()
      let elapsed = seconds(clock.now - start)
      let total = operations.load(ordering: .relaxed)
      return PoolMeasurement(
        implementation: kind, threads: threads, operations: total, misses: misses.load(ordering: .relaxed),
        seconds: elapsed, opsPerSecond: elapsed > 0 ? Double(total) / elapsed : 0,
        pinnedThreads: pinned.load(ordering: .relaxed))
    }
    return loop(pool)
  }

  static func seconds(_ duration: Duration) -> Double {
    let (whole, attoseconds) = duration.components
    return Double(whole) + Double(attoseconds) / 1e18
  }
}

/// One implementation at one thread count.
public struct PoolMeasurement: Codable, Hashable, Sendable {
  /// `freelist`, `array` or `objpool`.
  public var implementation: PoolKind
  public var threads: Int
  /// Successful pop/push pairs over all threads.
  public var operations: Int
  /// Pops that found the pool empty.
  public var misses: Int
  /// Measured wall time, from releasing the threads to the last one stopping.
  public var seconds: Double
  /// `operations / seconds`.
  public var opsPerSecond: Double
  /// Threads whose `pthread_setaffinity_np` succeeded.
  public var pinnedThreads: Int

  public init(
    implementation: PoolKind, threads: Int, operations: Int, misses: Int, seconds: Double,
    opsPerSecond: Double, pinnedThreads: Int
  ) {
    self.implementation = implementation
    self.threads = threads
    self.operations = operations
    self.misses = misses
    self.seconds = seconds
    self.opsPerSecond = opsPerSecond
    self.pinnedThreads = pinnedThreads
  }
}

/// Every measurement of one `pokestat bench pool` run, with the machine it ran on.
public struct PoolBenchmarkReport: Codable, Hashable, Sendable {
  /// CPUs the process could run on.
  public var cpuCount: Int
  /// Objects in each pool.
  public var objects: Int
  /// Requested measuring time per run.
  public var secondsPerRun: Double
  public var threadCounts: [Int]
  public var kinds: [PoolKind]
  public var measurements: [PoolMeasurement]

  public init(
    cpuCount: Int, objects: Int, secondsPerRun: Double, threadCounts: [Int], kinds: [PoolKind],
    measurements: [PoolMeasurement]
  ) {
    self.cpuCount = cpuCount
    self.objects = objects
    self.secondsPerRun = secondsPerRun
    self.threadCounts = threadCounts
    self.kinds = kinds
    self.measurements = measurements
  }

  /// The measured ops/s of `kind` at `threads`, if it was measured.
  public func opsPerSecond(_ kind: PoolKind, threads: Int) -> Double? {
    measurements.first { $0.implementation == kind && $0.threads == threads }?.opsPerSecond
  }

  /// `kind`'s ops/s divided by `baseline`'s at `threads` (the cover letter's "466.7x").
  public func ratio(_ kind: PoolKind, to baseline: PoolKind, threads: Int) -> Double? {
    guard let value = opsPerSecond(kind, threads: threads), let base = opsPerSecond(baseline, threads: threads),
      base > 0
    else { return nil }
    return value / base
  }
}
