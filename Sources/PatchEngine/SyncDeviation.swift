/// A named reason why the IPIs seen in a trace may differ from a ``PatchPrediction``
/// without anything being wrong.
///
/// `pokestat check` attaches one of these to each difference it can explain; a difference
/// with no explanation is a finding (exit status 1). Each case says which way it moves the
/// count and the kernel source that causes it.
public enum DeviationExplanation: String, Hashable, Sendable, Codable, CaseIterable {
  /// A CPU whose call-single queue already held a request was left out of the IPI mask:
  /// `smp_call_function_many_cond()` sets a CPU in `cpumask_ipi` only when its `llist_add()`
  /// onto `call_single_queue` found the list empty, because the interrupt already pending for
  /// the earlier request will run the sync too (kernel/smp.c, v5.x and later). Fewer sends,
  /// the same number of sync callbacks. The QEMU lab's coalesced sends are this case.
  case callSingleQueueAlreadyPending = "call-single-queue-already-pending"
  /// An idle CPU polling on its `TIF_POLLING_NRFLAG` is woken by setting the flag instead of
  /// an interrupt: `send_call_function_single_ipi()` calls `set_nr_if_polling()` and traces
  /// `sched_wake_idle_without_ipi` (kernel/sched/core.c, kernel/smp.c, v5.8 and later). Applies
  /// to the single-target path (two online CPUs, or a mask of one). Fewer sends.
  case idlePollingWakeWithoutIPI = "idle-polling-wake-without-ipi"
  /// An interrupt or another kernel path sent IPIs (TLB shootdown, reschedule, irq_work)
  /// during the batch window; they are not syncs. More sends than predicted.
  case unrelatedInterruptSends = "unrelated-interrupt-sends"
  /// The proposed deferral of text-patching IPIs to nohz_full CPUs running in user mode
  /// (the 2025 "context_tracking,x86: Defer some IPIs until a user->kernel transition" series by
  /// Valentin Schneider). Not known to be merged: the model applies it only when asked
  /// (``IPIOptions/deferredNohzFullCPUs``). Fewer sends to those CPUs.
  case nohzFullDeferral = "nohz-full-deferral"
  /// With exactly one other online CPU the sync goes through the single-target path
  /// (`arch_send_call_function_single_ipi`, vector CALL_FUNCTION_SINGLE) instead of the mask
  /// path (`arch_send_call_function_ipi_mask`, vector CALL_FUNCTION) (kernel/smp.c). The count is
  /// the same; only the event and vector differ.
  case singleTargetSend = "single-target-send"

  /// Whether this explanation can account for fewer sends than predicted (false: more).
  public var explainsFewerSends: Bool {
    switch self {
    case .callSingleQueueAlreadyPending, .idlePollingWakeWithoutIPI, .nohzFullDeferral: true
    case .unrelatedInterruptSends: false
    case .singleTargetSend: false
    }
  }

  /// One line for reports.
  public var summary: String {
    switch self {
    case .callSingleQueueAlreadyPending:
      "CPU left out of the IPI mask: its call-single queue already had a pending request (kernel/smp.c)"
    case .idlePollingWakeWithoutIPI:
      "idle CPU polling on its flag was woken without an IPI (sched_wake_idle_without_ipi)"
    case .unrelatedInterruptSends:
      "IPIs sent by an unrelated path during the batch window"
    case .nohzFullDeferral:
      "sync deferred for a nohz_full CPU in user mode (proposed 2025 series; option)"
    case .singleTargetSend:
      "one other CPU: sync sent through the single-target path (CALL_FUNCTION_SINGLE)"
    }
  }
}

/// How IPIs reach the other CPUs, as far as the model is told.
public struct IPIOptions: Hashable, Sendable, Codable {
  /// Other CPUs (nohz_full, in user mode) whose sync is deferred to their next kernel entry
  /// (``DeviationExplanation/nohzFullDeferral``); 0 by default since the series is not merged.
  public var deferredNohzFullCPUs: Int

  public init(deferredNohzFullCPUs: Int = 0) {
    precondition(deferredNohzFullCPUs >= 0)
    self.deferredNohzFullCPUs = deferredNohzFullCPUs
  }
}
