import Foundation
import Testing

@testable import PatchEngine

@Suite struct ContentionTests {
  @Test("int3 handler cost is calibrated to seed 001: 45 ns at 1 entry, 180 ns at 56")
  func handlerCost() {
    let cost = Int3HandlerCost.batchingCoverLetter
    #expect(abs(cost.nanoseconds(entries: 1) - 45) < 1e-9)
    #expect(abs(cost.nanoseconds(entries: 56) - 180) < 1e-9)
    #expect(cost.nanoseconds(entries: 256) > cost.nanoseconds(entries: 164))
    #expect(abs(cost.perLog2EntryNanoseconds - 135 / log2(56.0)) < 1e-9)
  }

  /// Seed 000: 164 entries on 480 threads at 50 M BPF runs/s took 2,655,300 µs with the shared
  /// refcount and 702 µs with per-CPU refs. The model must land within one order of magnitude.
  @Test("seed 000: shared vs per-CPU refcount within an order of magnitude of 2,655,300 µs and 702 µs")
  func seed000OrderOfMagnitude() {
    let shared = RefcountContention.predict(entries: 164, refcount: .shared, parameters: .seed000)
    let perCPU = RefcountContention.predict(entries: 164, refcount: .perCPU, parameters: .seed000)
    #expect(shared.saturated)
    #expect(abs(log10(shared.totalMicroseconds / 2_655_300)) < 1)
    #expect(abs(log10(perCPU.totalMicroseconds / 702)) < 1)
    #expect(shared.totalMicroseconds / perCPU.totalMicroseconds > 100)
  }

  @Test("the conclusion holds for line transfers of 100 to 400 ns", arguments: [100.0, 200.0, 400.0])
  func sensitivity(lineNanoseconds: Double) {
    let p = BatchTimingParameters(onlineCPUs: 480, trapsPerSecond: 50e6, lineTransferNanoseconds: lineNanoseconds)
    let shared = RefcountContention.predict(entries: 164, refcount: .shared, parameters: p)
    #expect(abs(log10(shared.totalMicroseconds / 2_655_300)) < 1)
  }

  @Test("a light trap rate leaves the shared line unsaturated and the batch near its uncontended cost")
  func unsaturated() {
    let p = BatchTimingParameters(onlineCPUs: 8, trapsPerSecond: 10_000)
    let shared = RefcountContention.predict(entries: 10, refcount: .shared, parameters: p)
    #expect(!shared.saturated)
    #expect(shared.lineUtilization < 0.01)
    #expect(shared.totalMicroseconds - shared.uncontendedMicroseconds < 5)
    let none = RefcountContention.predict(entries: 10, refcount: .shared, parameters: BatchTimingParameters(onlineCPUs: 8, trapsPerSecond: 0))
    #expect(none.totalMicroseconds == none.uncontendedMicroseconds)
  }

  @Test("the saturated wait grows with the number of trapping CPUs")
  func growsWithCPUs() {
    let small = RefcountContention.predict(entries: 164, refcount: .shared, parameters: BatchTimingParameters(onlineCPUs: 48, trapsPerSecond: 50e6))
    let large = RefcountContention.predict(entries: 164, refcount: .shared, parameters: .seed000)
    #expect(large.waitPerSyncMicroseconds > 50 * small.waitPerSyncMicroseconds)
  }

  @Test("seed 001 per-site cost: 57 ms unbatched and 1.4 ms batched give about 6.95 µs per site")
  func perSite() {
    #expect(abs(BatchTimingParameters.seed001PerSiteMicroseconds - 6.95) < 0.01)
    #expect(abs(RefcountContention.harmonic(3) - (1 + 0.5 + 1.0 / 3)) < 1e-12)
  }
}
