import TraceModel

/// arm64 text patching: jump labels and `aarch64_insn_patch_text()`.
///
/// Sources:
/// - arch/arm64/kernel/patching.c (v4.18+; insn.c before): `aarch64_insn_patch_text()` runs
///   `stop_machine_cpuslocked(aarch64_insn_patch_text_cb, …, cpu_online_mask)` for every call,
///   whatever the instruction count (used by kprobes, uprobes-in-kernel, alternatives at runtime).
///   One stop_machine wakes the stopper thread on every other online CPU; the model counts one
///   wake-up IPI per other CPU, which an idle polling CPU may skip
///   (``DeviationExplanation/idlePollingWakeWithoutIPI``).
/// - arch/arm64/kernel/jump_label.c:
///   - v6.11 and later (commit cfb00a35786414e7c0e6226b277d9f09657eae74, "arm64: jump_label: Ensure
///     patched jump_labels are visible to all CPUs", Will Deacon, 6.11-rc2, also in stable
///     backports): `arch_jump_label_transform_queue()` writes with
///     `aarch64_insn_patch_text_nosync()` and `arch_jump_label_transform_apply()` calls
///     `kick_all_cpus_sync()` (an IPI to every other online CPU) once per apply. The queue never
///     fills, so there is one apply (batch) per non-empty run: core kernel and each module.
///   - v4.18–v6.10: `arch_jump_label_transform()` calls `aarch64_insn_patch_text_nosync()`
///     only: no IPI at all (the bug the commit above fixes).
///   - before v4.18: `aarch64_insn_patch_text(&addr, &insn, 1)`, whose single hotpatch-safe
///     instruction path is nosync + `kick_all_cpus_sync()`: one kick per entry. (The v4.18
///     boundary is where `aarch64_insn_patch_text()` lost that path; it was not re-read against
///     git history in this session.)
public enum Arm64Patching {
  /// First version with batched jump labels and a kick per apply.
  public static let batchedKickSince = KernelVersion(6, 11)
  /// First version whose jump labels use the nosync write alone.
  public static let noSyncSince = KernelVersion(4, 18)

  /// First version in which the fix could be a stable backport: the generic jump-label
  /// batching (`arch_jump_label_transform_queue`/`_apply`, HAVE_JUMP_LABEL_BATCH) it builds on
  /// is in kernel/jump_label.c since v5.3.
  public static let backportPossibleSince = KernelVersion(5, 3)
  /// The function whose presence in kallsyms shows the fix (mainline or backported).
  public static let applyFunction = Arm64JumpLabel.apply

  /// Whether a kernel's jump-label protocol depends on a stable backport of the 2024 fix
  /// (cfb00a357864): v5.3–v6.10, where the `major.minor` release alone does not tell. Debian's
  /// 6.1.0-57 (6.1.192) has it; Debian's 5.10.223 does not (both seen in the lab).
  public static func dependsOnBackport(_ kernel: KernelVersion) -> Bool {
    kernel >= backportPossibleSince && kernel < batchedKickSince
  }

  /// The first stable release of each series that carries the backport of cfb00a357864,
  /// as read in the stable review and release mails (docs/model.md, "The backport").
  ///
  /// - 6.1.104: Debian's linux changelog (in linux-image-6.1.0-57-cloud-amd64, 6.1.192-3) lists
  ///   "[arm64] jump_label: Ensure patched jump_labels are visible to all CPUs" under
  ///   "New upstream stable update: …/ChangeLog-6.1.104" (Debian 6.1.106-1, 2024-08-21).
  /// - 6.10.4: "[PATCH 6.10 074/123] arm64: jump_label: Ensure patched jump_labels are visible
  ///   to all CPUs" (6.10-stable review, 2024-08-07), released with 6.10.4 on 2024-08-11.
  /// - 6.6.45: "[PATCH 6.6 093/121] …" (6.6-stable review, 2024-08-07); the "Linux 6.6.45"
  ///   announcement (2024-08-11) lists it under Will Deacon and changes
  ///   arch/arm64/kernel/jump_label.c.
  ///
  /// Series not listed (5.4, 5.10, 5.15) have no verified entry (Debian's 5.10.223 has no
  /// backport, seen in the lab; later 5.10.y releases were not checked): for them the release
  /// number does not decide (``stableBackport(in:)`` is nil) and the trace must.
  public static let stableBackports: [KernelVersion] = [KernelVersion(6, 1, 104), KernelVersion(6, 6, 45), KernelVersion(6, 10, 4)]

  /// Whether the stable release `kernel` carries the backport, by ``stableBackports``; nil
  /// when the release cannot say: outside v5.3–v6.10, no stable sublevel (`6.1`, or a
  /// distribution's ABI number such as Debian's `6.1.0-57`, which reads as sublevel 0), or a
  /// series with no known backport.
  public static func stableBackport(in kernel: KernelVersion) -> Bool? {
    guard dependsOnBackport(kernel), kernel.patch > 0,
      let first = stableBackports.first(where: { $0.major == kernel.major && $0.minor == kernel.minor })
    else { return nil }
    return kernel >= first
  }

  /// How a trace (or a user) says whether the fix is in the kernel.
  public enum BackportEvidence: String, Hashable, Sendable, Codable {
    /// The kernel's symbols (a trace.dat's kallsyms): ``applyFunction`` is there or not.
    case kallsyms
    /// The trace's own events, for traces without kallsyms (tracefs text):
    /// `arch_jump_label_transform_apply`/`_queue` calls show the fix, `arch_jump_label_transform`
    /// calls with no apply show its absence (the fix replaced that function).
    case traceEvents = "trace-events"
    /// The user's word (`pokestat predict --arm64-backport yes|no`).
    case given
  }

  /// The jump-label protocol for a kernel.
  ///
  /// - Parameter hasApply: whether the kernel has ``applyFunction`` (from its kallsyms, its
  ///   trace's events, or the user's word), used for releases that ``dependsOnBackport(_:)``;
  ///   nil when unknown, then the stable release (``stableBackport(in:)``) decides, else the
  ///   mainline release.
  public static func jumpLabelProtocol(for kernel: KernelVersion, hasApply: Bool? = nil) -> PatchProtocol {
    // The evidence decides only where the release cannot (a backport range): from v6.11 the
    // fix is mainline, as docs/model.md says.
    if dependsOnBackport(kernel), let present = hasApply ?? stableBackport(in: kernel) {
      return present ? .arm64KickPerBatch : .arm64NoSync
    }
    if kernel >= batchedKickSince { return .arm64KickPerBatch }
    if kernel >= noSyncSince { return .arm64NoSync }
    return .arm64KickPerEntry
  }

  /// How the protocol was decided, in words, for outputs: the kallsyms or trace evidence, the
  /// stable release, or the dependence on a backport nobody decided.
  public static func protocolBasis(for kernel: KernelVersion, hasApply: Bool?, evidence: BackportEvidence = .kallsyms) -> String? {
    guard dependsOnBackport(kernel) else { return nil }
    let fix = "the fix \"arm64: jump_label: Ensure patched jump_labels are visible to all CPUs\" (cfb00a357864, v6.11)"
    switch (hasApply, evidence) {
    case (true?, .kallsyms):
      return "\(applyFunction) is in the kernel's symbols: \(fix) is backported here, so each apply sends one kick_all_cpus_sync"
    case (false?, .kallsyms):
      return "\(applyFunction) is not in the kernel's symbols: no backport of cfb00a357864 (v6.11); jump labels are written with aarch64_insn_patch_text_nosync and no IPI is sent"
    case (true?, .traceEvents):
      return "the trace has no kallsyms, and its own events show \(applyFunction) (applies of queued jump labels): \(fix) is backported here, so each apply sends one kick_all_cpus_sync"
    case (false?, .traceEvents):
      return "the trace has no kallsyms, and its own events show \(Arm64JumpLabel.transform) per entry and no \(applyFunction): no backport of cfb00a357864 (v6.11); jump labels are written with aarch64_insn_patch_text_nosync and no IPI is sent"
    case (true?, .given):
      return "backport of cfb00a357864 (v6.11) given as present: one kick_all_cpus_sync per apply"
    case (false?, .given):
      return "backport of cfb00a357864 (v6.11) given as absent: aarch64_insn_patch_text_nosync per entry, no IPI"
    case (nil, _):
      if let present = stableBackport(in: kernel),
        let first = stableBackports.first(where: { $0.major == kernel.major && $0.minor == kernel.minor })
      {
        return present
          ? "v\(kernel) is at or after v\(first), the \(kernel.major).\(kernel.minor).y stable release that took the backport of cfb00a357864 (v6.11): one kick_all_cpus_sync per apply"
          : "v\(kernel) is before v\(first), the \(kernel.major).\(kernel.minor).y stable release that took the backport of cfb00a357864 (v6.11): no IPI"
      }
      return "v\(kernel) depends on whether the stable backport of cfb00a357864 (v6.11, \"arm64: jump_label: Ensure patched jump_labels are visible to all CPUs\") is in the kernel: with it one kick_all_cpus_sync per apply, without it no IPI. Mainline v\(kernel.major).\(kernel.minor) rules assumed; the kernel's kallsyms (\(applyFunction) present or not), the trace's events, or a stable release with its sublevel decides"
    }
  }

  /// Whether ``protocolBasis(for:hasApply:evidence:)`` leaves the protocol undecided (the
  /// mainline rules were assumed): nothing and no stable release said whether the fix is there.
  public static func backportUndecided(for kernel: KernelVersion, hasApply: Bool?) -> Bool {
    dependsOnBackport(kernel) && hasApply == nil && stableBackport(in: kernel) == nil
  }

  /// Predicts a static-key flip on arm64; `entryRuns` as in ``X86TextPoke/predictJumpLabel``.
  ///
  /// - Parameters:
  ///   - hasApply: see ``jumpLabelProtocol(for:hasApply:)``.
  ///   - evidence: where `hasApply` came from, for ``PatchPrediction/basis``.
  public static func predictJumpLabel(
    entryRuns: [Int], kernel: KernelVersion, onlineCPUs: Int, options: IPIOptions = IPIOptions(), hasApply: Bool? = nil,
    evidence: BackportEvidence = .kallsyms
  ) -> PatchPrediction {
    precondition(onlineCPUs >= 1)
    let patchProtocol = jumpLabelProtocol(for: kernel, hasApply: hasApply)
    var batches: [PredictedBatch] = []
    for (run, entries) in entryRuns.enumerated() where entries > 0 {
      switch patchProtocol {
      case .arm64KickPerBatch:
        batches.append(PredictedBatch(index: batches.count, run: run, entries: entries, end: .endOfRun, syncSteps: [.kickAllCPUs]))
      case .arm64NoSync:
        batches.append(PredictedBatch(index: batches.count, run: run, entries: entries, end: .endOfRun, syncSteps: []))
      default:
        for _ in 0..<entries {
          batches.append(PredictedBatch(index: batches.count, run: run, entries: 1, end: .singleSite, syncSteps: [.kickAllCPUs]))
        }
      }
    }
    var result = prediction(kernel: kernel, onlineCPUs: onlineCPUs, patchProtocol: patchProtocol, batches: batches, options: options,
                            sources: ["arch/arm64/kernel/jump_label.c (\(patchProtocol.rawValue), v\(kernel))", "kernel/smp.c kick_all_cpus_sync()"])
    result.basis = protocolBasis(for: kernel, hasApply: hasApply, evidence: evidence)
    return result
  }

  /// Predicts `calls` calls of `aarch64_insn_patch_text()`: one stop_machine each.
  public static func predictInsnPatchText(calls: Int, kernel: KernelVersion, onlineCPUs: Int) -> PatchPrediction {
    precondition(calls >= 0 && onlineCPUs >= 1)
    let batches = (0..<calls).map { PredictedBatch(index: $0, run: 0, entries: 1, end: .singleSite, syncSteps: [.stopMachine]) }
    return prediction(kernel: kernel, onlineCPUs: onlineCPUs, patchProtocol: .arm64StopMachine, batches: batches, options: IPIOptions(),
                      sources: ["arch/arm64/kernel/patching.c aarch64_insn_patch_text() (v4.18+)", "kernel/stop_machine.c"])
  }

  private static func prediction(
    kernel: KernelVersion, onlineCPUs: Int, patchProtocol: PatchProtocol, batches: [PredictedBatch],
    options: IPIOptions, sources: [String]
  ) -> PatchPrediction {
    let recipients = max(0, onlineCPUs - 1 - options.deferredNohzFullCPUs)
    var explanations: [DeviationExplanation] = [.callSingleQueueAlreadyPending, .unrelatedInterruptSends]
    if recipients == 1 || patchProtocol == .arm64StopMachine { explanations.append(.idlePollingWakeWithoutIPI) }
    if recipients == 1 { explanations.append(.singleTargetSend) }
    if options.deferredNohzFullCPUs > 0 { explanations.append(.nohzFullDeferral) }
    return PatchPrediction(
      architecture: "arm64", kernel: kernel.description, onlineCPUs: onlineCPUs, patchProtocol: patchProtocol,
      vectorCapacity: nil, batchList: batches, ipiRecipients: recipients, applicableExplanations: explanations, sources: sources)
  }
}
