import TraceModel

/// What `pokestat analyze` found in one input: IPIs, text_poke batches, static-key flips and
/// int3 hits. Its JSON form is a contract other tools rely on (docs/analysis-json.md).
public struct AnalysisReport: Codable, Sendable, Equatable {
  public var file: String
  public var format: String
  /// The traced kernel's release, when the input records it.
  public var kernel: String?
  /// Events read, including those skipped as irrelevant.
  public var events: Int
  /// Events the kernel or reader reported lost (known counts only).
  public var lostEvents: Int
  /// Lost events per CPU (keys are CPU numbers as strings).
  public var lostEventsPerCPU: [String: Int]
  /// True when events were lost: every count below is then a lower bound.
  public var countsAreLowerBounds: Bool
  /// CPUs on the traced machine: from the trace's header (`cpus=`, `#P:`, trace.dat's CPU
  /// count), else the highest CPU seen + 1 (then ``cpusInferred``); 0 when no event names its CPU.
  public var cpus: Int
  /// True when ``cpus`` is not from the trace's header but the highest CPU seen + 1 (or 0).
  public var cpusInferred: Bool = false
  /// Events whose CPU the input does not give (perf script without a `[cpu]` column); their
  /// per-CPU counts are under the key `"unknown"`.
  public var eventsWithoutCPU: Int = 0
  public var ipi: IPISummary
  public var textPoke: TextPokeSummary
  public var flips: [FlipSummary]
  public var int3: Int3Summary
  /// Sends grouped by the code path that made them, most IPIs first.
  public var topSenders: [SenderSummary]
  /// IPIs that landed on `--isolated` CPUs, by source; nil when no CPUs were named.
  public var isolated: IsolatedSummary?
  /// Malformed text lines skipped under `--lenient` (nil when not lenient).
  public var skippedLines: Int?
  /// From `perf report --stdio` input: the int3 handler's share and the interrupted callers.
  public var perfReport: PerfReportSummary?
  /// From `/proc/interrupts` snapshots: function-call IPIs per CPU per interval.
  public var interrupts: InterruptSeriesSummary?
  /// The traced machine's `uname -m` (`x86_64`, `aarch64`, ...), when the input records it.
  public var architecture: String? = nil
  /// How ``architecture`` was inferred when the input records no uname (the trace.dat's
  /// kallsyms and long size); nil when it came from the uname.
  public var architectureInferredFrom: String? = nil
  /// Which of ``AnalysisReport/patchFunctionsLookedUp`` the trace's kallsyms has; nil when
  /// the trace carries no kallsyms. `check` decides backport-dependent rules from it.
  public var kallsymsPatchFunctions: [String]? = nil

  /// Functions whose presence in a kernel's symbols decides its patching rules.
  /// arm64's jump-label functions, then every x86 batch function name of KernelSymbols.
  public static let patchFunctionsLookedUp =
    [Arm64JumpLabel.apply, Arm64JumpLabel.queue, Arm64JumpLabel.transform] + KernelSymbols.batchFunctionNames.sorted()

  enum CodingKeys: String, CodingKey {
    case file, format, kernel, events, cpus, ipi, flips, int3, isolated
    case skippedLines = "skipped_lines"
    case perfReport = "perf_report"
    case interrupts
    case architecture
    case architectureInferredFrom = "architecture_inferred_from"
    case kallsymsPatchFunctions = "kallsyms_patch_functions"
    case lostEvents = "lost_events"
    case cpusInferred = "cpus_inferred"
    case eventsWithoutCPU = "events_without_cpu"
    case lostEventsPerCPU = "lost_events_per_cpu"
    case countsAreLowerBounds = "counts_are_lower_bounds"
    case textPoke = "text_poke"
    case topSenders = "top_senders"
  }
}

/// All IPIs, whatever sent them.
public struct IPISummary: Codable, Sendable, Equatable {
  /// IPIs sent: one per target CPU (a cpumask send to k CPUs is k IPIs).
  public var sent: Int
  /// IPIs received: function-call interrupts taken (x86 call_function(_single) entries, arm64
  /// `ipi_entry` "Function call interrupts"; /proc/interrupts: the rows' increase).
  public var received: Int
  /// Send events (one event can target several CPUs).
  public var sendEvents: Int
  public var sentPerCPU: [String: Int]
  public var receivedPerCPU: [String: Int]
  /// Sender CPU → target CPU → IPIs.
  public var matrix: [String: [String: Int]]
  /// Which events were counted as sends and receptions (`ipi:ipi_send_cpu`, `kprobe:native_send_call_func_ipi`, ...).
  public var sources: [String]
  /// Sends whose targets the trace did not record (function tracer or argument-less kprobes);
  /// their targets are taken from the receptions that follow.
  public var sendsWithUnknownTargets: Int

  enum CodingKeys: String, CodingKey {
    case sent, received, matrix, sources
    case sendEvents = "send_events"
    case sentPerCPU = "sent_per_cpu"
    case receivedPerCPU = "received_per_cpu"
    case sendsWithUnknownTargets = "sends_with_unknown_targets"
  }
}

/// IPIs sent by the text_poke protocol (the sync broadcasts of each batch).
public struct TextPokeSummary: Codable, Sendable, Equatable {
  public var ipisSent: Int
  public var ipisReceived: Int
  /// Sync broadcasts (`on_each_cpu(do_sync_core)`): send events from the text_poke path.
  public var syncs: Int
  /// How sends were recognized: `stack` (call chain through a text_poke function),
  /// `callsite` (csd do_sync_core from on_each_cpu_cond_mask), `time_window` (inside a batch
  /// seen by function_graph or a kprobe), or a combination.
  public var attribution: [String]
  public var batches: [BatchSummary]
  public var receivedPerCPU: [String: Int]
  /// Sites patched on their own, with no batch and no IPI (arm64 `arch_jump_label_transform`,
  /// before the 2024 jump-label fix): as many as the source that saw most of them counted.
  public var unbatchedPatches: Int = 0
  /// What the trace shows about how this kernel patches, when the counts alone would mislead
  /// (no batch because the kernel patches each site on its own).
  public var note: String?

  enum CodingKeys: String, CodingKey {
    case syncs, attribution, batches, note
    case unbatchedPatches = "unbatched_patches"
    case ipisSent = "ipis_sent"
    case ipisReceived = "ipis_received"
    case receivedPerCPU = "received_per_cpu"
  }
}

/// One text_poke batch (one `text_poke_bp_batch` / `smp_text_poke_batch_finish` call).
public struct BatchSummary: Codable, Sendable, Equatable {
  /// Where the batch ends on the trace clock: its start plus its duration (the start when the
  /// duration is unknown), saturating at `UInt64.max`, since a damaged duration from the input
  /// (function_graph text, a kernel log) can pass it.
  public var endNs: UInt64 {
    let (sum, overflow) = startNs.addingReportingOverflow(durationNs ?? 0)
    return overflow ? .max : sum
  }

  public var startNs: UInt64
  public var durationNs: UInt64?
  /// Entries patched, when a probe recorded `nr_entries`.
  public var entries: Int?
  public var ipisSent: Int
  public var ipisReceived: Int
  public var syncs: Int
  /// Where the duration came from: `function_graph`, `kprobe`, `log` or `inferred`
  /// (first send to last acknowledgement).
  public var durationSource: String
  /// The duration each source measured, ns (`function_graph`: the graph's calltime to
  /// rettime; `kprobe`: entry probe to return probe; `log`), when several saw the batch.
  public var durations: [String: UInt64] = [:]
  /// Every source that saw this batch.
  public var sources: [String]
  public var cpu: Int
  public var pid: Int32
  public var comm: String
  /// Receptions of this batch's syncs, per CPU.
  public var receivedPerCPU: [String: Int]
  /// Other call-function receptions during the batch, per CPU: a CPU whose queue already had
  /// a request runs the sync from that interrupt instead of a new IPI.
  public var otherReceivedPerCPU: [String: Int]
  /// Receptions during the batch that answer no send in the trace and arrive on the same
  /// vector as this batch's syncs, per CPU: IPIs nothing in the trace explains.
  public var unattributedReceivedPerCPU: [String: Int]
  /// CPUs that were idle (their latest event was the idle task's) when the batch began or
  /// synced: an idle CPU polling its flag is woken without an IPI.
  public var idleCPUs: [Int]

  enum CodingKeys: String, CodingKey {
    case entries, syncs, sources, cpu, pid, comm, durations
    case otherReceivedPerCPU = "other_received_per_cpu"
    case unattributedReceivedPerCPU = "unattributed_received_per_cpu"
    case idleCPUs = "idle_cpus"
    case startNs = "start_ns"
    case durationNs = "duration_ns"
    case ipisSent = "ipis_sent"
    case ipisReceived = "ipis_received"
    case durationSource = "duration_source"
    case receivedPerCPU = "received_per_cpu"
  }

  /// Writes `duration_ns` and `entries` as null when unknown: the contract keeps the keys.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(startNs, forKey: .startNs)
    try container.encode(durationNs, forKey: .durationNs)
    try container.encode(entries, forKey: .entries)
    try container.encode(ipisSent, forKey: .ipisSent)
    try container.encode(ipisReceived, forKey: .ipisReceived)
    try container.encode(syncs, forKey: .syncs)
    try container.encode(durationSource, forKey: .durationSource)
    try container.encode(durations, forKey: .durations)
    try container.encode(sources, forKey: .sources)
    try container.encode(cpu, forKey: .cpu)
    try container.encode(pid, forKey: .pid)
    try container.encode(comm, forKey: .comm)
    try container.encode(receivedPerCPU, forKey: .receivedPerCPU)
    try container.encode(otherReceivedPerCPU, forKey: .otherReceivedPerCPU)
    try container.encode(unattributedReceivedPerCPU, forKey: .unattributedReceivedPerCPU)
    try container.encode(idleCPUs, forKey: .idleCPUs)
  }
}

/// One static-key flip: the batches between `FLIP_BEGIN`/`FLIP_END` markers, or batches of one
/// task close together in time.
public struct FlipSummary: Codable, Sendable, Equatable {
  /// The sysctl or key (`bpf_stats_enabled`), when a marker or the call chain names it.
  public var key: String?
  public var value: String?
  public var startNs: UInt64
  public var endNs: UInt64
  public var batches: Int
  public var ipisSent: Int
  public var ipisReceived: Int
  public var syncs: Int
  /// Text-poke IPIs received per CPU during the flip.
  public var receivedPerCPU: [String: Int]
  /// Sends inside the flip window that are not text_poke syncs (e.g. from interrupts).
  public var otherIPIsSent: Int
  /// Every call-function IPI received during the flip window, whatever sent it.
  public var allIPIsReceived: Int
  public var allReceivedPerCPU: [String: Int]
  /// `marker` or `inferred`.
  public var boundary: String
  /// Sites patched on their own during the flip (no batch, no IPI; see
  /// ``TextPokeSummary/unbatchedPatches``).
  public var unbatchedPatches: Int = 0

  enum CodingKeys: String, CodingKey {
    case key, value, batches, syncs, boundary
    case unbatchedPatches = "unbatched_patches"
    case startNs = "start_ns"
    case endNs = "end_ns"
    case ipisSent = "ipis_sent"
    case ipisReceived = "ipis_received"
    case receivedPerCPU = "received_per_cpu"
    case otherIPIsSent = "other_ipis_sent"
    case allIPIsReceived = "all_ipis_received"
    case allReceivedPerCPU = "all_received_per_cpu"
  }

  /// Writes `key` and `value` as null when unknown: the contract keeps the keys.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(key, forKey: .key)
    try container.encode(value, forKey: .value)
    try container.encode(startNs, forKey: .startNs)
    try container.encode(endNs, forKey: .endNs)
    try container.encode(batches, forKey: .batches)
    try container.encode(ipisSent, forKey: .ipisSent)
    try container.encode(ipisReceived, forKey: .ipisReceived)
    try container.encode(syncs, forKey: .syncs)
    try container.encode(receivedPerCPU, forKey: .receivedPerCPU)
    try container.encode(otherIPIsSent, forKey: .otherIPIsSent)
    try container.encode(allIPIsReceived, forKey: .allIPIsReceived)
    try container.encode(allReceivedPerCPU, forKey: .allReceivedPerCPU)
    try container.encode(boundary, forKey: .boundary)
    try container.encode(unbatchedPatches, forKey: .unbatchedPatches)
  }
}

/// int3 handler hits seen in sampled call chains (perf cpu-clock/cycles samples).
public struct Int3Summary: Codable, Sendable, Equatable {
  /// Samples whose chain passes through the int3 handler.
  public var samples: Int
  /// All samples.
  public var totalSamples: Int
  /// The interrupted functions (the frame below the int3 entry), most samples first.
  public var callers: [NamedCount]
  /// Sampling events seen (`cpu-clock`, `cycles`, ...).
  public var sampleEvents: [String]
  /// Why the share may be understated, when it can be: timer-based samples (cpu-clock,
  /// task-clock) cannot land in the int3 handler, which runs with interrupts disabled; only
  /// NMI-based hardware events (cycles) can.
  public var note: String?

  enum CodingKeys: String, CodingKey {
    case samples, callers, note
    case sampleEvents = "sample_events"
    case totalSamples = "total_samples"
  }
}

/// A name with a count.
public struct NamedCount: Codable, Sendable, Equatable {
  public var name: String
  public var count: Int
  public init(name: String, count: Int) {
    self.name = name
    self.count = count
  }
}

/// Sends of one code path.
public struct SenderSummary: Codable, Sendable, Equatable {
  /// The path: the first frames after the IPI plumbing, or the tracepoint's callsite.
  public var path: String
  public var sendEvents: Int
  public var ipis: Int
  public var textPoke: Bool

  enum CodingKeys: String, CodingKey {
    case path, ipis
    case sendEvents = "send_events"
    case textPoke = "text_poke"
  }
}

/// IPIs received on isolated CPUs.
public struct IsolatedSummary: Codable, Sendable, Equatable {
  public var cpus: [Int]
  public var received: Int
  public var textPokeReceived: Int
  /// Receptions by the path that sent them.
  public var bySource: [NamedCount]

  enum CodingKeys: String, CodingKey {
    case cpus, received
    case textPokeReceived = "text_poke_received"
    case bySource = "by_source"
  }
}
