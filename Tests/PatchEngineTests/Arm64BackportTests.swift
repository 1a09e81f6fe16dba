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

  @Test("a stable sublevel decides: 6.1.104, 6.6.45 and 6.10.4 took the backport; no sublevel or an unknown series does not decide")
  func stableReleases() {
    #expect(Arm64Patching.stableBackport(in: KernelVersion(6, 1, 192)) == true)
    #expect(Arm64Patching.stableBackport(in: KernelVersion(6, 1, 104)) == true)
    #expect(Arm64Patching.stableBackport(in: KernelVersion(6, 1, 103)) == false)
    #expect(Arm64Patching.stableBackport(in: KernelVersion(6, 6, 45)) == true)
    #expect(Arm64Patching.stableBackport(in: KernelVersion(6, 6, 44)) == false)
    #expect(Arm64Patching.stableBackport(in: KernelVersion(6, 10, 4)) == true)
    // Debian's 6.1.0-57 reads as 6.1.0: the release string hides the stable base.
    #expect(Arm64Patching.stableBackport(in: KernelVersion(release: "6.1.0-57-cloud-arm64")!) == nil)
    #expect(Arm64Patching.stableBackport(in: KernelVersion(5, 10, 223)) == nil)
    #expect(Arm64Patching.stableBackport(in: KernelVersion(6, 12, 1)) == nil, "mainline since 6.11: nothing to decide")

    let kick = Arm64Patching.predictJumpLabel(entryRuns: [63], kernel: KernelVersion(6, 1, 192), onlineCPUs: 4)
    #expect(kick.patchProtocol == .arm64KickPerBatch && kick.ipisTotal == 3)
    #expect(kick.basis?.contains("at or after v6.1.104") == true)
    let quiet = Arm64Patching.predictJumpLabel(entryRuns: [63], kernel: KernelVersion(6, 1, 50), onlineCPUs: 4)
    #expect(quiet.patchProtocol == .arm64NoSync && quiet.ipisTotal == 0)
    #expect(quiet.basis?.contains("before v6.1.104") == true)
    // The trace's own evidence outranks the release number.
    let traced = Arm64Patching.predictJumpLabel(entryRuns: [63], kernel: KernelVersion(6, 1, 50), onlineCPUs: 4, hasApply: true, evidence: .traceEvents)
    #expect(traced.patchProtocol == .arm64KickPerBatch)
    #expect(traced.basis?.contains("its own events show") == true)
    #expect(!Arm64Patching.backportUndecided(for: KernelVersion(6, 1, 192), hasApply: nil))
    #expect(Arm64Patching.backportUndecided(for: KernelVersion(6, 1), hasApply: nil))
  }
}
