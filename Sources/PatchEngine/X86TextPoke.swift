import TraceModel

/// The x86 int3-based text_poke protocol: how a list of sites becomes batches and syncs.
///
/// Rules (arch/x86/kernel/alternative.c, arch/x86/kernel/jump_label.c, kernel/jump_label.c;
/// versions in ``TextPokeRules``):
/// - Unbatched (before v5.3, `text_poke_bp()`): per site, int3 write + sync, tail write + sync
///   when the instruction is longer than one byte, first-byte write + sync: 3 syncs per
///   multi-byte site (seed 001: 56 sched_schedstats entries = 168 IPIs per other CPU;
///   4 netstamp_needed_key entries = 12).
/// - Batched (v5.3+, `text_poke_bp_batch()`): sites queue into a vector of TP_VEC_MAX; it is
///   flushed when full, when a site's address is below the last queued one (v5.5+,
///   `tp_order_fail()`), and at the end of each run. Each batch syncs after the int3 writes
///   (always), after the tail writes (if any site is longer than one byte) and after the
///   first-byte writes (before v5.6 always; since, only if some new first byte is not int3).
/// - One sync is `on_each_cpu(do_sync_core)` (`text_poke_sync()` since v5.6,
///   `smp_text_poke_sync_each_cpu()` since v6.16): one IPI to every other online CPU.
public enum X86TextPoke {
  /// Plans the batches for `runs` of sites, each run ending in an apply.
  ///
  /// - Parameters:
  ///   - runs: sites per run, in queue order. For a jump-label update, run 0 is the core
  ///     kernel's entries of the key and each further run one module's (kernel/jump_label.c:
  ///     `__jump_label_update()` for the core, then `__jump_label_mod_update()` per module).
  ///   - kernel: selects the protocol and TP_VEC_MAX.
  ///   - forceUnbatched: use the pre-v5.3 protocol whatever the version (`--unbatched`).
  /// - Complexity: O(total sites).
  public static func plan(
    runs: [[TextPokeSite]], kernel: KernelVersion, forceUnbatched: Bool = false,
    handlerCost: Int3HandlerCost = .batchingCoverLetter
  ) -> (patchProtocol: PatchProtocol, capacity: Int?, batches: [PredictedBatch]) {
    let capacity = forceUnbatched ? nil : TextPokeRules.vectorCapacity(for: kernel)
    var batches: [PredictedBatch] = []

    func emit(_ sites: [TextPokeSite], run: Int, end: BatchEnd) {
      guard !sites.isEmpty else { return }  // an apply with an empty vector does nothing
      batches.append(
        PredictedBatch(
          index: batches.count, run: run, entries: sites.count, end: end,
          syncSteps: syncSteps(for: sites, kernel: kernel, batched: capacity != nil),
          int3HandlerNanoseconds: handlerCost.nanoseconds(entries: sites.count)))
    }

    guard let capacity else {
      for (run, sites) in runs.enumerated() {
        for site in sites { emit([site], run: run, end: .singleSite) }
      }
      return (.x86Unbatched, nil, batches)
    }
    let checksOrder = kernel >= TextPokeRules.orderFlushSince
    for (run, sites) in runs.enumerated() {
      var vector: [TextPokeSite] = []
      for site in sites {
        if vector.count == capacity {
          emit(vector, run: run, end: .vectorFull)
          vector.removeAll(keepingCapacity: true)
        } else if checksOrder, let last = vector.last, last.address > site.address {
          emit(vector, run: run, end: .addressOrder)
          vector.removeAll(keepingCapacity: true)
        }
        vector.append(site)
      }
      emit(vector, run: run, end: .endOfRun)
    }
    return (.x86Batched, capacity, batches)
  }

  /// The syncs one batch (or one unbatched site) issues.
  static func syncSteps(for sites: [TextPokeSite], kernel: KernelVersion, batched: Bool) -> [SyncStep] {
    var steps: [SyncStep] = [.afterInt3]
    if sites.contains(where: { $0.lengthBytes > 1 }) { steps.append(.afterTail) }
    let firstByteAlwaysSyncs = !batched || kernel < TextPokeRules.conditionalFirstByteSyncSince
    if firstByteAlwaysSyncs || sites.contains(where: { !$0.newFirstByteIsInt3 }) {
      steps.append(.afterFirstByte)
    }
    return steps
  }

  /// Predicts a text_poke patch set on `onlineCPUs` CPUs.
  public static func predict(
    runs: [[TextPokeSite]], kernel: KernelVersion, onlineCPUs: Int, forceUnbatched: Bool = false,
    options: IPIOptions = IPIOptions(), handlerCost: Int3HandlerCost = .batchingCoverLetter
  ) -> PatchPrediction {
    precondition(onlineCPUs >= 1, "at least the patching CPU is online")
    let planned = plan(runs: runs, kernel: kernel, forceUnbatched: forceUnbatched, handlerCost: handlerCost)
    let recipients = max(0, onlineCPUs - 1 - options.deferredNohzFullCPUs)
    var explanations: [DeviationExplanation] = [.callSingleQueueAlreadyPending, .unrelatedInterruptSends]
    if recipients == 1 { explanations += [.singleTargetSend, .idlePollingWakeWithoutIPI] }
    if options.deferredNohzFullCPUs > 0 { explanations.append(.nohzFullDeferral) }
    let sources =
      planned.patchProtocol == .x86Unbatched
      ? ["arch/x86/kernel/alternative.c text_poke_bp() (v4.x–v5.2)", "kernel/smp.c on_each_cpu()"]
      : [
        "arch/x86/kernel/alternative.c text_poke_bp_batch()/smp_text_poke_batch_process() (v5.3+)",
        "arch/x86/kernel/jump_label.c arch_jump_label_transform_queue/apply (v5.3+)",
        "kernel/jump_label.c __jump_label_update() per run (v5.3+)", "kernel/smp.c on_each_cpu()",
      ]
    return PatchPrediction(
      architecture: "x86", kernel: kernel.description, onlineCPUs: onlineCPUs,
      patchProtocol: planned.patchProtocol, vectorCapacity: planned.capacity,
      batchList: planned.batches, ipiRecipients: recipients,
      applicableExplanations: explanations, sources: sources)
  }

  /// Predicts a static-key flip: `entryRuns[0]` entries in the core kernel, one further element
  /// per module that uses the key (each module's entries are a run of their own).
  public static func predictJumpLabel(
    entryRuns: [Int], kernel: KernelVersion, onlineCPUs: Int, forceUnbatched: Bool = false,
    options: IPIOptions = IPIOptions()
  ) -> PatchPrediction {
    // Core kernel text from 0xffffffff81000000, modules from 0xffffffffa0000000 (x86-64 memory
    // map); only the order inside a run matters, since every run ends in an apply.
    let runs = entryRuns.enumerated().map { run, count in
      TextPokeSite.jumpLabelRun(count: count, base: run == 0 ? 0xffff_ffff_8100_0000 : 0xffff_ffff_a000_0000)
    }
    return predict(runs: runs, kernel: kernel, onlineCPUs: onlineCPUs, forceUnbatched: forceUnbatched, options: options)
  }

  /// Batches for a jump-label update without simulating sites:
  /// the sum over runs of ceil(entries / TP_VEC_MAX), or the entry count when unbatched.
  public static func jumpLabelBatchCount(entryRuns: [Int], kernel: KernelVersion) -> Int {
    guard let capacity = TextPokeRules.vectorCapacity(for: kernel) else { return entryRuns.reduce(0, +) }
    return entryRuns.reduce(0) { $0 + ($1 + capacity - 1) / capacity }
  }
}
