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

  /// The jump-label protocol for a kernel.
  public static func jumpLabelProtocol(for kernel: KernelVersion) -> PatchProtocol {
    if kernel >= batchedKickSince { return .arm64KickPerBatch }
    if kernel >= noSyncSince { return .arm64NoSync }
    return .arm64KickPerEntry
  }

  /// Predicts a static-key flip on arm64; `entryRuns` as in ``X86TextPoke/predictJumpLabel``.
  public static func predictJumpLabel(
    entryRuns: [Int], kernel: KernelVersion, onlineCPUs: Int, options: IPIOptions = IPIOptions()
  ) -> PatchPrediction {
    precondition(onlineCPUs >= 1)
    let patchProtocol = jumpLabelProtocol(for: kernel)
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
    return prediction(kernel: kernel, onlineCPUs: onlineCPUs, patchProtocol: patchProtocol, batches: batches, options: options,
                      sources: ["arch/arm64/kernel/jump_label.c (\(patchProtocol.rawValue), v\(kernel))", "kernel/smp.c kick_all_cpus_sync()"])
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
