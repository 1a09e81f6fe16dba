import Testing
import TraceModel

@testable import PatchEngine

@Suite struct X86TextPokeTests {
  @Test("seed 001: 56 sched_schedstats entries unbatched cost 168 IPIs per other CPU")
  func schedstatsUnbatched() {
    let p = X86TextPoke.predictJumpLabel(entryRuns: [56], kernel: KernelVersion(5, 2), onlineCPUs: 24)
    #expect(p.patchProtocol == .x86Unbatched)
    #expect(p.batches == 56)
    #expect(p.syncs == 168)
    #expect(p.ipisPerCPU == 168)
    #expect(p.ipisTotal == 168 * 23)
  }

  @Test("seed 001: the same 56 entries batched cost 3 IPIs per other CPU")
  func schedstatsBatched() {
    let p = X86TextPoke.predictJumpLabel(entryRuns: [56], kernel: KernelVersion(5, 3), onlineCPUs: 24)
    #expect(p.patchProtocol == .x86Batched)
    #expect(p.batches == 1)
    #expect(p.ipisPerCPU == 3)
    #expect(p.ipisTotal == 3 * 23)
    #expect(p.batchList.first?.syncSteps == [.afterInt3, .afterTail, .afterFirstByte])
  }

  @Test("seed 001: netstamp_needed_key's 4 entries unbatched cost 12 IPIs")
  func netstampUnbatched() {
    let p = X86TextPoke.predictJumpLabel(entryRuns: [4], kernel: KernelVersion(6, 1), onlineCPUs: 8, forceUnbatched: true)
    #expect(p.ipisPerCPU == 12)
    #expect(p.batches == 4)
  }

  @Test("TP_VEC_MAX per version: 128 in v5.3–5.4, 170 in v5.5, 256 since v5.6, none before v5.3")
  func vectorCapacity() {
    #expect(TextPokeRules.vectorCapacity(for: KernelVersion(5, 2)) == nil)
    #expect(TextPokeRules.vectorCapacity(for: KernelVersion(5, 3)) == 128)
    #expect(TextPokeRules.vectorCapacity(for: KernelVersion(5, 4, 286)) == 128)
    #expect(TextPokeRules.vectorCapacity(for: KernelVersion(5, 5)) == 170)
    #expect(TextPokeRules.vectorCapacity(for: KernelVersion(5, 6)) == 256)
    #expect(TextPokeRules.vectorCapacity(for: KernelVersion(6, 18)) == 256)
  }

  @Test("vector boundaries: entries vs batches", arguments: [
    (KernelVersion(6, 1), 256, 1), (KernelVersion(6, 1), 257, 2), (KernelVersion(6, 1), 512, 2), (KernelVersion(6, 1), 513, 3),
    (KernelVersion(5, 5), 170, 1), (KernelVersion(5, 5), 171, 2), (KernelVersion(5, 4), 128, 1), (KernelVersion(5, 4), 129, 2),
    (KernelVersion(5, 4), 170, 2),
  ])
  func boundaries(kernel: KernelVersion, entries: Int, batches: Int) {
    let p = X86TextPoke.predictJumpLabel(entryRuns: [entries], kernel: kernel, onlineCPUs: 4)
    #expect(p.batches == batches)
    #expect(p.ipisPerCPU == 3 * batches)
    #expect(X86TextPoke.jumpLabelBatchCount(entryRuns: [entries], kernel: kernel) == batches)
    #expect(p.batchList.map(\.entries).reduce(0, +) == entries)
    #expect(p.batchList.dropLast().allSatisfy { $0.end == .vectorFull })
  }

  @Test("each module using the key is a run of its own, ending in an apply")
  func moduleRuns() {
    let p = X86TextPoke.predictJumpLabel(entryRuns: [300, 2, 0, 256], kernel: KernelVersion(6, 6), onlineCPUs: 8)
    // core: ceil(300/256) = 2; module 1: 1; module 2: no entries, no batch; module 3: 1
    #expect(p.batches == 4)
    #expect(p.batchList.map(\.run) == [0, 0, 1, 3])
    #expect(p.batchList.map(\.end) == [.vectorFull, .endOfRun, .endOfRun, .endOfRun])
    #expect(X86TextPoke.jumpLabelBatchCount(entryRuns: [300, 2, 0, 256], kernel: KernelVersion(6, 6)) == 4)
    #expect(p.ipisTotal == 4 * 3 * 7)
  }

  @Test("an address below the last queued one flushes the vector from v5.5 on")
  func addressOrder() {
    let sites = [0x1000, 0x2000, 0x1800, 0x3000].map { TextPokeSite(address: UInt64($0)) }
    let new = X86TextPoke.plan(runs: [sites], kernel: KernelVersion(6, 1)).batches
    #expect(new.map(\.entries) == [2, 2])
    #expect(new.first?.end == .addressOrder)
    let old = X86TextPoke.plan(runs: [sites], kernel: KernelVersion(5, 4)).batches
    #expect(old.map(\.entries) == [4])
  }

  @Test("1-byte sites skip the tail sync; int3-only first bytes skip the third sync from v5.6")
  func conditionalSyncs() {
    let kprobeArm = [TextPokeSite(address: 0x1000, lengthBytes: 1, newFirstByteIsInt3: true)]
    #expect(X86TextPoke.plan(runs: [kprobeArm], kernel: KernelVersion(6, 1)).batches[0].syncSteps == [.afterInt3])
    #expect(X86TextPoke.plan(runs: [kprobeArm], kernel: KernelVersion(5, 5)).batches[0].syncSteps == [.afterInt3, .afterFirstByte])
    let mixed = [TextPokeSite(address: 0x1000, lengthBytes: 1, newFirstByteIsInt3: true), TextPokeSite(address: 0x2000, lengthBytes: 2)]
    #expect(X86TextPoke.plan(runs: [mixed], kernel: KernelVersion(6, 1)).batches[0].syncs == 3)
    let oneByteUnbatched = [TextPokeSite(address: 0x1000, lengthBytes: 1)]
    #expect(X86TextPoke.plan(runs: [oneByteUnbatched], kernel: KernelVersion(4, 19)).batches[0].syncSteps == [.afterInt3, .afterFirstByte])
  }

  @Test("IPI recipients: one CPU gets none, two CPUs use the single-target path, deferral removes CPUs")
  func recipients() {
    let solo = X86TextPoke.predictJumpLabel(entryRuns: [10], kernel: KernelVersion(6, 1), onlineCPUs: 1)
    #expect(solo.syncs == 3 && solo.ipisPerCPU == 0 && solo.ipisTotal == 0)
    let pair = X86TextPoke.predictJumpLabel(entryRuns: [10], kernel: KernelVersion(6, 1), onlineCPUs: 2)
    #expect(pair.singleTargetSend && pair.ipisTotal == 3)
    #expect(pair.applicableExplanations.contains(.singleTargetSend))
    let deferred = X86TextPoke.predictJumpLabel(entryRuns: [10], kernel: KernelVersion(6, 1), onlineCPUs: 8, options: IPIOptions(deferredNohzFullCPUs: 3))
    #expect(deferred.ipiRecipients == 4 && deferred.ipisTotal == 12)
    #expect(deferred.applicableExplanations.contains(.nohzFullDeferral))
    let normal = X86TextPoke.predictJumpLabel(entryRuns: [10], kernel: KernelVersion(6, 1), onlineCPUs: 8)
    #expect(!normal.applicableExplanations.contains(.nohzFullDeferral))
  }

  @Test("explanations say which way they move the count")
  func explanationDirections() {
    #expect(DeviationExplanation.callSingleQueueAlreadyPending.explainsFewerSends)
    #expect(DeviationExplanation.idlePollingWakeWithoutIPI.explainsFewerSends)
    #expect(!DeviationExplanation.unrelatedInterruptSends.explainsFewerSends)
    #expect(DeviationExplanation.allCases.allSatisfy { !$0.summary.isEmpty })
  }
}
