import Testing
import TraceModel

@testable import PatchEngine

/// The 2024 arm64 jump-label fix (cfb00a357864) and its stable backports: the release number
/// decides only outside v5.3-v6.10; inside, the kernel's symbols do.
@Suite struct Arm64BackportTests {
  @Test("v5.3-v6.10 depend on the backport; v6.11+ and v5.2- do not")
  func range() {
    #expect(Arm64Patching.dependsOnBackport(KernelVersion(6, 1, 192)))
    #expect(Arm64Patching.dependsOnBackport(KernelVersion(5, 10, 223)))
    #expect(!Arm64Patching.dependsOnBackport(KernelVersion(6, 11)))
    #expect(!Arm64Patching.dependsOnBackport(KernelVersion(6, 12)))
    #expect(!Arm64Patching.dependsOnBackport(KernelVersion(4, 19)))
  }

  @Test("6.1 with the apply function: one kick per run, as Debian's 6.1.192 did in the lab")
  func backported() {
    let p = Arm64Patching.predictJumpLabel(
      entryRuns: [12], kernel: KernelVersion(6, 1), onlineCPUs: 4, hasApply: true)
    #expect(p.patchProtocol == .arm64KickPerBatch)
    #expect(p.batches == 1 && p.syncs == 1 && p.ipisTotal == 3)
    #expect(p.basis?.contains("backported here") == true)
  }

  @Test("5.10 without it: no batch, no IPI, as Debian's 5.10.223 did in the lab")
  func notBackported() {
    let p = Arm64Patching.predictJumpLabel(
      entryRuns: [12], kernel: KernelVersion(5, 10), onlineCPUs: 4, hasApply: false)
    #expect(p.patchProtocol == .arm64NoSync)
    #expect(p.ipisTotal == 0)
    #expect(p.basis?.contains("is not in the kernel's symbols") == true)
  }

  @Test("6.1 undecided: mainline rules, and the basis says the answer depends on the backport")
  func undecided() {
    let p = Arm64Patching.predictJumpLabel(
      entryRuns: [12], kernel: KernelVersion(6, 1), onlineCPUs: 4)
    #expect(p.patchProtocol == .arm64NoSync)
    #expect(p.basis?.contains("depends on whether the stable backport of cfb00a357864") == true)
    let mainline = Arm64Patching.predictJumpLabel(
      entryRuns: [12], kernel: KernelVersion(6, 12), onlineCPUs: 4)
    #expect(mainline.basis == nil)
  }
}
