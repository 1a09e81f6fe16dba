/// What the kernel must do to apply one patch set: batches, syncs and the IPIs they send.
///
/// One sync sends one IPI to every other online CPU that is not deferred, so
/// `ipisPerCPU == syncs` and `ipisTotal == syncs * ipiRecipients`. JSON keys are snake_case
/// (`batches`, `syncs`, `ipis_per_cpu`, `ipis_total`, ...), the form `pokestat predict --json`
/// and `pokestat check` share.
public struct PatchPrediction: Hashable, Sendable, Codable {
  /// `x86` or `arm64`.
  public var architecture: String
  /// The kernel version the rules were chosen for, `major.minor.patch`.
  public var kernel: String
  /// Online CPUs, the patching CPU included.
  public var onlineCPUs: Int
  /// The protocol the rules chose (``PatchProtocol``).
  public var patchProtocol: PatchProtocol
  /// Entries per batch (TP_VEC_MAX) for a batching x86 kernel; nil otherwise.
  public var vectorCapacity: Int?
  /// Batches applied (x86: `text_poke_bp_batch` calls, or single-site patches when unbatched;
  /// arm64: jump-label applies).
  public var batches: Int
  /// Synchronisations: `on_each_cpu(do_sync_core)` on x86, `kick_all_cpus_sync()` or
  /// `stop_machine()` on arm64.
  public var syncs: Int
  /// IPIs each other online (non-deferred) CPU receives.
  public var ipisPerCPU: Int
  /// IPIs sent in all.
  public var ipisTotal: Int
  /// Other CPUs each sync reaches (online CPUs − 1 − deferred).
  public var ipiRecipients: Int
  /// Whether the send uses the single-target path (exactly one recipient).
  public var singleTargetSend: Bool
  /// The batches in the order the kernel applies them.
  public var batchList: [PredictedBatch]
  /// Deviations a trace of this patch set may legitimately show.
  public var applicableExplanations: [DeviationExplanation]
  /// Kernel sources of the rules applied, `file (version)`.
  public var sources: [String]
  /// How the protocol was chosen when the release number alone does not decide it (an arm64
  /// kernel that may carry a stable backport), in words; nil otherwise.
  public var basis: String? = nil

  public init(
    architecture: String, kernel: String, onlineCPUs: Int, patchProtocol: PatchProtocol,
    vectorCapacity: Int?, batchList: [PredictedBatch], ipiRecipients: Int,
    applicableExplanations: [DeviationExplanation], sources: [String]
  ) {
    self.architecture = architecture
    self.kernel = kernel
    self.onlineCPUs = onlineCPUs
    self.patchProtocol = patchProtocol
    self.vectorCapacity = vectorCapacity
    self.batchList = batchList
    self.batches = batchList.count
    self.syncs = batchList.reduce(0) { $0 + $1.syncs }
    self.ipiRecipients = ipiRecipients
    self.ipisPerCPU = ipiRecipients > 0 ? syncs : 0
    self.ipisTotal = syncs * ipiRecipients
    self.singleTargetSend = ipiRecipients == 1
    self.applicableExplanations = applicableExplanations
    self.sources = sources
  }

  enum CodingKeys: String, CodingKey {
    case architecture, kernel, sources, batches, syncs
    case onlineCPUs = "online_cpus"
    case patchProtocol = "protocol"
    case vectorCapacity = "vector_capacity"
    case ipisPerCPU = "ipis_per_cpu"
    case ipisTotal = "ipis_total"
    case ipiRecipients = "ipi_recipients"
    case singleTargetSend = "single_target_send"
    case batchList = "batch_list"
    case applicableExplanations = "explanations"
    case basis
  }
}

/// The patching protocol a kernel uses for a patch set.
public enum PatchProtocol: String, Hashable, Sendable, Codable, CaseIterable {
  /// x86 before v5.3: each site on its own, three syncs for a multi-byte instruction.
  case x86Unbatched = "x86-unbatched"
  /// x86 v5.3 and later: a vector of up to TP_VEC_MAX sites, at most three syncs per batch.
  case x86Batched = "x86-batched"
  /// arm64 jump labels before v4.18: `aarch64_insn_patch_text()` per entry, whose single
  /// hotpatch-safe instruction path ends in `kick_all_cpus_sync()`.
  case arm64KickPerEntry = "arm64-kick-per-entry"
  /// arm64 jump labels v4.18–v6.10: `aarch64_insn_patch_text_nosync()`, no IPI.
  case arm64NoSync = "arm64-nosync"
  /// arm64 jump labels v6.11 and later: nosync writes, one `kick_all_cpus_sync()` per apply.
  case arm64KickPerBatch = "arm64-kick-per-batch"
  /// arm64 `aarch64_insn_patch_text()`: one `stop_machine()` per call.
  case arm64StopMachine = "arm64-stop-machine"
  /// No rules: the architecture has none in the model, or is unknown (`pokestat check`'s
  /// `no-rules` verdict); nothing is predicted.
  case noRules = "no-rules"
}

/// Why a batch ended where it did.
public enum BatchEnd: String, Hashable, Sendable, Codable {
  /// The vector held TP_VEC_MAX entries.
  case vectorFull = "vector-full"
  /// The next site's address was below the last queued one (`tp_order_fail()`, v5.5+).
  case addressOrder = "address-order"
  /// The run (core kernel or one module) ended and the jump-label core applied the queue.
  case endOfRun = "end-of-run"
  /// An unbatched kernel patches each site on its own.
  case singleSite = "single-site"
}

/// One synchronisation step inside a batch.
public enum SyncStep: String, Hashable, Sendable, Codable {
  /// After writing int3 to every site (always).
  case afterInt3 = "after-int3"
  /// After writing every tail (only when some site is longer than one byte).
  case afterTail = "after-tail"
  /// After writing the new first bytes (v5.6+: only when some new first byte is not int3).
  case afterFirstByte = "after-first-byte"
  /// arm64 `kick_all_cpus_sync()` after the writes.
  case kickAllCPUs = "kick-all-cpus"
  /// arm64 `stop_machine()` around the write.
  case stopMachine = "stop-machine"
}

/// One batch of a prediction.
public struct PredictedBatch: Hashable, Sendable, Codable {
  /// 0-based position among all batches.
  public var index: Int
  /// The run it belongs to: 0 is the core kernel, k ≥ 1 the k-th module using the key.
  public var run: Int
  /// Sites patched.
  public var entries: Int
  /// Why the batch ended.
  public var end: BatchEnd
  /// The syncs it issues, in order.
  public var syncSteps: [SyncStep]
  /// `syncSteps.count`.
  public var syncs: Int { syncSteps.count }
  /// The int3 handler's lookup cost while this batch is live (x86 only), from ``Int3HandlerCost``.
  public var int3HandlerNanoseconds: Double?

  public init(index: Int, run: Int, entries: Int, end: BatchEnd, syncSteps: [SyncStep], int3HandlerNanoseconds: Double? = nil) {
    self.index = index
    self.run = run
    self.entries = entries
    self.end = end
    self.syncSteps = syncSteps
    self.int3HandlerNanoseconds = int3HandlerNanoseconds
  }

  enum CodingKeys: String, CodingKey {
    case index, run, entries, end, syncs
    case syncSteps = "sync_steps"
    case int3HandlerNanoseconds = "int3_handler_ns"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    index = try c.decode(Int.self, forKey: .index)
    run = try c.decode(Int.self, forKey: .run)
    entries = try c.decode(Int.self, forKey: .entries)
    end = try c.decode(BatchEnd.self, forKey: .end)
    syncSteps = try c.decode([SyncStep].self, forKey: .syncSteps)
    int3HandlerNanoseconds = try c.decodeIfPresent(Double.self, forKey: .int3HandlerNanoseconds)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(index, forKey: .index)
    try c.encode(run, forKey: .run)
    try c.encode(entries, forKey: .entries)
    try c.encode(end, forKey: .end)
    try c.encode(syncs, forKey: .syncs)
    try c.encode(syncSteps, forKey: .syncSteps)
    try c.encodeIfPresent(int3HandlerNanoseconds, forKey: .int3HandlerNanoseconds)
  }
}
