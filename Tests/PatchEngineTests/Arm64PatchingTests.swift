import Testing
import TraceModel

@testable import PatchEngine

@Suite struct Arm64PatchingTests {
  @Test("v6.11+: one kick_all_cpus_sync per run (core kernel and each module)")
  func batchedKick() {
    let p = Arm64Patching.predictJumpLabel(entryRuns: [56, 3], kernel: KernelVersion(6, 11), onlineCPUs: 32)
    #expect(p.patchProtocol == .arm64KickPerBatch)
    #expect(p.batches == 2 && p.syncs == 2)
    #expect(p.ipisPerCPU == 2 && p.ipisTotal == 62)
  }

  @Test("v4.18–v6.10: nosync writes, no IPI")
  func noSync() {
    let p = Arm64Patching.predictJumpLabel(entryRuns: [56], kernel: KernelVersion(6, 10), onlineCPUs: 32)
    #expect(p.patchProtocol == .arm64NoSync)
    #expect(p.syncs == 0 && p.ipisTotal == 0)
  }

  @Test("before v4.18: one kick per entry")
  func kickPerEntry() {
    let p = Arm64Patching.predictJumpLabel(entryRuns: [56], kernel: KernelVersion(4, 14), onlineCPUs: 4)
    #expect(p.patchProtocol == .arm64KickPerEntry)
    #expect(p.ipisPerCPU == 56 && p.ipisTotal == 168)
  }

  @Test("aarch64_insn_patch_text: one stop_machine per call")
  func stopMachine() {
    let p = Arm64Patching.predictInsnPatchText(calls: 5, kernel: KernelVersion(6, 1), onlineCPUs: 8)
    #expect(p.syncs == 5 && p.ipisTotal == 35)
    #expect(p.batchList.allSatisfy { $0.syncSteps == [.stopMachine] })
  }
}
