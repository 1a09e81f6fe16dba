import Testing
import TraceModel

@testable import PatchEngine

@Suite struct KretprobeInstancesTests {
  @Test("default maxactive by version and preemption", arguments: [
    (KernelVersion(5, 10), 2, false, 2), (KernelVersion(5, 10), 2, true, 10), (KernelVersion(6, 1), 64, false, 64),
    (KernelVersion(6, 1), 64, true, 128), (KernelVersion(6, 2), 2, false, 10), (KernelVersion(6, 8), 64, false, 128),
  ])
  func defaults(kernel: KernelVersion, cpus: Int, preemptible: Bool, expected: Int) {
    #expect(KretprobeInstances.defaultMaxactive(kernel: kernel, possibleCPUs: cpus, preemptible: preemptible) == expected)
  }

  @Test("2-core guest before v6.2: a burst of 3 execs misses 1 per burst (commit 3b7ddab8a19a)")
  func twoCoreGuest() {
    let old = KretprobeInstances.predict(kernel: KernelVersion(6, 1), possibleCPUs: 2, preemptible: false, maxactive: nil, concurrency: 3, bursts: 4)
    #expect(old.maxactive == 2 && old.nmissed == 4)
    let new = KretprobeInstances.predict(kernel: KernelVersion(6, 2), possibleCPUs: 2, preemptible: false, maxactive: nil, concurrency: 3, bursts: 4)
    #expect(new.maxactive == 10 && new.nmissed == 0)
  }

  @Test("an explicit maxactive wins; objpool spreads objects over CPUs from v6.7")
  func explicitAndSpread() {
    let p = KretprobeInstances.predict(kernel: KernelVersion(6, 8), possibleCPUs: 4, preemptible: true, maxactive: 10, concurrency: 25)
    #expect(p.maxactive == 10 && !p.maxactiveIsDefault && p.nmissed == 15)
    #expect(p.pool == "objpool")
    #expect(p.objectsPerCPU == [3, 3, 2, 2])
    #expect(KretprobeInstances.predict(kernel: KernelVersion(6, 6), possibleCPUs: 4, preemptible: true, maxactive: 10, concurrency: 1).objectsPerCPU == nil)
  }
}
