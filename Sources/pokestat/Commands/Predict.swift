import ArgumentParser
import Foundation
import PatchEngine
import TraceModel

extension Pokestat {
  /// `pokestat predict`: what the kernel must do for a patch set, from the reference model.
  struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Predict batches, syncs and IPIs of a patch set, BPF prog pack pages, or kretprobe misses.",
      discussion: """
        Three predictions, chosen by the options given (one per run):

        Static-key flip / text_poke (default): --kernel, --cpus and --entries. --entries lists \
        the entries of the key per run: the first number is the core kernel, each further one a \
        module that uses the key (each run ends in its own apply). --modules K adds K more module \
        runs of --module-entries entries each. x86 before 5.3 (or --unbatched) patches each entry \
        on its own: 3 syncs per entry. From 5.3 entries are batched, TP_VEC_MAX per batch (128 in \
        5.3-5.4, 170 in 5.5, 256 since 5.6), 3 syncs per batch. One sync is one IPI to every other \
        online CPU. arm64: one kick_all_cpus_sync() per apply since 6.11, none in 4.18-6.10, one \
        per entry before; --insn-patch-calls N predicts N aarch64_insn_patch_text() stop_machines. \
        --int3-traps-per-second adds the batch-duration model (shared vs per-CPU int3 refcount).

        BPF prog pack: --bpf-prog-sizes with JIT image sizes in bytes (bpftool prog: jited).

        kretprobe: --concurrency (simultaneously active calls), with --maxactive or the kernel's \
        default (needs --kernel and --cpus, the possible CPU count).

        Examples (seed 001, reproduced in docs/model.md):
          pokestat predict --arch x86 --kernel 5.2 --cpus 24 --entries 56
            -> unbatched, ipis_per_cpu 168
          pokestat predict --arch x86 --kernel 5.3 --cpus 24 --entries 56
            -> batched, ipis_per_cpu 3
          pokestat predict --kernel 6.1 --cpus 8 --entries 4 --unbatched
            -> ipis_per_cpu 12 (netstamp_needed_key)
        """)

    @Option(help: "Architecture: x86 or arm64.")
    var arch: String = "x86"

    @Option(help: "Kernel version, e.g. 6.1 or 6.1.0-13-amd64.")
    var kernel: String?

    @Option(help: "Online CPUs (possible CPUs for kretprobe predictions), the patching CPU included.")
    var cpus: Int?

    @Option(help: "Entries per run, comma-separated: core kernel first, then one per module using the key.")
    var entries: String?

    @Option(help: "Further modules using the key, each a run of --module-entries entries.")
    var modules: Int = 0

    @Option(help: "Entries in each module run added by --modules.")
    var moduleEntries: Int = 1

    @Flag(help: "x86: use the unbatched (pre-5.3) protocol whatever the version.")
    var unbatched = false

    @Option(help: "Other CPUs whose sync is deferred (nohz_full in user mode; proposed 2025 series, not merged).")
    var deferredNohzFull: Int = 0

    @Option(help: "arm64 5.3-6.10: whether the kernel carries the backported jump-label kick (cfb00a357864; arch_jump_label_transform_apply in /proc/kallsyms): yes or no.")
    var arm64Backport: String?

    @Option(help: "arm64: predict this many aarch64_insn_patch_text() calls (one stop_machine each).")
    var insnPatchCalls: Int?

    @Option(help: "x86: int3 traps per second machine-wide while a batch is live; adds the batch-duration model.")
    var int3TrapsPerSecond: Double?

    @Option(help: "Cache-line transfer time under contention, ns (batch-duration model).")
    var lineTransferNs: Double = 200

    @Option(help: "int3 refcount: shared or per-cpu (default: per-cpu from 6.15, shared before).")
    var refcount: String?

    @Option(help: "BPF JIT image sizes in bytes, comma-separated, in load order.")
    var bpfProgSizes: String?

    @Option(help: "NUMA nodes (BPF_PROG_PACK_SIZE is 2 MiB per node).")
    var numaNodes: Int = 1

    @Option(help: "kretprobe maxactive (default: the kernel's default for --kernel and --cpus).")
    var maxactive: Int?

    @Option(help: "kretprobe: calls of the probed function active at the same time.")
    var concurrency: Int?

    @Option(help: "kretprobe: bursts of --concurrency calls.")
    var bursts: Int = 1

    @Flag(help: "kretprobe: the kernel is preemptible (CONFIG_PREEMPTION; matters before 6.2).")
    var preemptible = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
      let modes = [bpfProgSizes != nil, concurrency != nil, entries != nil || insnPatchCalls != nil].filter { $0 }.count
      guard modes == 1 else {
        throw InputFailure("predict needs exactly one of --entries/--insn-patch-calls, --bpf-prog-sizes, --concurrency")
      }
      if let bpfProgSizes { return try predictBPF(bpfProgSizes) }
      if let concurrency { return try predictKretprobe(concurrency) }
      try predictPatch()
    }

    // MARK: - Patch sets

    private func predictPatch() throws {
      let version = try kernelVersion()
      let online = try positive(cpus, "--cpus")
      guard deferredNohzFull >= 0, deferredNohzFull < online else {
        throw InputFailure("--deferred-nohz-full must be between 0 and --cpus - 1, got \(deferredNohzFull)")
      }
      let options = IPIOptions(deferredNohzFullCPUs: deferredNohzFull)
      let prediction: PatchPrediction
      switch arch {
      case "x86":
        guard insnPatchCalls == nil else { throw InputFailure("--insn-patch-calls is arm64 only") }
        guard arm64Backport == nil else { throw InputFailure("--arm64-backport is arm64 only") }
        prediction = X86TextPoke.predictJumpLabel(
          entryRuns: try runs(), kernel: version, onlineCPUs: online, forceUnbatched: unbatched, options: options)
      case "arm64":
        guard !unbatched else { throw InputFailure("--unbatched is x86 only") }
        if arm64Backport != nil, insnPatchCalls != nil { throw InputFailure("--arm64-backport applies to jump labels (--entries)") }
        if let insnPatchCalls {
          guard entries == nil else { throw InputFailure("give --entries or --insn-patch-calls, not both") }
          guard insnPatchCalls >= 0 else { throw InputFailure("--insn-patch-calls must be >= 0, got \(insnPatchCalls)") }
          prediction = Arm64Patching.predictInsnPatchText(calls: insnPatchCalls, kernel: version, onlineCPUs: online)
        } else {
          var hasApply: Bool?
          switch arm64Backport {
          case nil: hasApply = nil
          case "yes"?: hasApply = true
          case "no"?: hasApply = false
          case let other?: throw InputFailure("--arm64-backport must be yes or no, got '\(other)'")
          }
          prediction = Arm64Patching.predictJumpLabel(entryRuns: try runs(), kernel: version, onlineCPUs: online, options: options,
                                                      hasApply: hasApply, evidence: .given)
        }
      default:
        throw InputFailure("--arch must be x86 or arm64, got '\(arch)'")
      }
      let timing = try batchTiming(for: prediction, kernel: version, onlineCPUs: online)
      if json {
        try printJSON(PatchOutput(prediction: prediction, timing: timing), snakeCaseKeys: false)
        return
      }
      var lines = [
        "\(prediction.architecture) \(prediction.kernel), \(prediction.onlineCPUs) CPUs: \(prediction.patchProtocol.rawValue)"
          + (prediction.vectorCapacity.map { " (TP_VEC_MAX \($0))" } ?? ""),
        "batches       \(prediction.batches)",
        "syncs         \(prediction.syncs)",
        "ipis_per_cpu  \(prediction.ipisPerCPU)  (each of \(prediction.ipiRecipients) other CPUs\(prediction.singleTargetSend ? ", single-target send" : ""))",
        "ipis_total    \(prediction.ipisTotal)",
      ]
      let shown = prediction.batchList.prefix(20)
      for batch in shown {
        lines.append(
          "  batch \(batch.index): run \(batch.run), \(batch.entries) entries, \(batch.end.rawValue), syncs: "
            + (batch.syncSteps.isEmpty ? "none" : batch.syncSteps.map(\.rawValue).joined(separator: " ")))
      }
      if prediction.batchList.count > shown.count { lines.append("  … \(prediction.batchList.count - shown.count) more batches (--json lists all)") }
      for t in timing {
        lines.append(
          String(format: "  batch of %d, %@ refcount: %.0f µs (uncontended %.0f µs, wait per sync %.1f µs, line utilisation %.2f%@)",
                 t.entries, t.refcount.rawValue, t.totalMicroseconds, t.uncontendedMicroseconds, t.waitPerSyncMicroseconds,
                 t.lineUtilization, t.saturated ? ", saturated" : ""))
      }
      if let basis = prediction.basis, arm64Backport != nil || Arm64Patching.stableBackport(in: version) != nil {
        lines.append("backport: " + basis)  // decided: by --arm64-backport or the stable release
      } else if let basis = prediction.basis {
        lines.append("depends on backport: " + basis)
        if arm64Backport == nil, let entryRuns = try? runs() {
          let other = Arm64Patching.predictJumpLabel(entryRuns: entryRuns, kernel: version, onlineCPUs: online, options: options,
                                                     hasApply: prediction.patchProtocol != .arm64KickPerBatch)
          lines.append("  with --arm64-backport \(other.patchProtocol == .arm64KickPerBatch ? "yes" : "no"): \(other.patchProtocol.rawValue), batches \(other.batches), syncs \(other.syncs), ipis_total \(other.ipisTotal)")
        }
      }
      lines.append("explanations a trace may show: " + prediction.applicableExplanations.map(\.rawValue).joined(separator: ", "))
      print(lines.joined(separator: "\n"))
    }

    private func runs() throws -> [Int] {
      guard let entries else { throw InputFailure("--entries is required (e.g. --entries 56 or --entries 100,3)") }
      var runs: [Int] = []
      for field in entries.split(separator: ",", omittingEmptySubsequences: false) {
        guard let n = Int(field.trimmingCharacters(in: .whitespaces)), n >= 0 else {
          throw InputFailure("--entries: '\(field)' is not a non-negative entry count")
        }
        runs.append(n)
      }
      guard modules >= 0 else { throw InputFailure("--modules must be >= 0, got \(modules)") }
      guard moduleEntries >= 0 else { throw InputFailure("--module-entries must be >= 0, got \(moduleEntries)") }
      guard runs.reduce(0, +) + modules * moduleEntries <= 10_000_000 else { throw InputFailure("--entries: too many entries") }
      return runs + Array(repeating: moduleEntries, count: modules)
    }

    private func batchTiming(for prediction: PatchPrediction, kernel: KernelVersion, onlineCPUs: Int) throws -> [BatchDurationPrediction] {
      guard let rate = int3TrapsPerSecond else { return [] }
      guard prediction.architecture == "x86" else { throw InputFailure("--int3-traps-per-second is x86 only") }
      guard rate >= 0, rate.isFinite else { throw InputFailure("--int3-traps-per-second must be >= 0") }
      guard lineTransferNs > 0, lineTransferNs.isFinite else { throw InputFailure("--line-transfer-ns must be > 0") }
      let kind: RefcountKind
      switch refcount {
      case nil: kind = kernel >= KernelVersion(6, 15) ? .perCPU : .shared
      case let name?:
        guard let k = RefcountKind(rawValue: name) else { throw InputFailure("--refcount must be shared or per-cpu, got '\(name)'") }
        kind = k
      }
      let parameters = BatchTimingParameters(onlineCPUs: onlineCPUs, trapsPerSecond: rate, lineTransferNanoseconds: lineTransferNs)
      return prediction.batchList.map {
        RefcountContention.predict(entries: $0.entries, refcount: kind, parameters: parameters, syncs: max(1, $0.syncs))
      }
    }

    // MARK: - BPF prog pack

    private func predictBPF(_ list: String) throws {
      var sizes: [Int] = []
      for field in list.split(separator: ",", omittingEmptySubsequences: false) {
        guard let n = Int(field.trimmingCharacters(in: .whitespaces)), n >= 0, n <= 1 << 30 else {
          throw InputFailure("--bpf-prog-sizes: '\(field)' is not a size in bytes")
        }
        sizes.append(n)
      }
      guard (1...64).contains(numaNodes) else { throw InputFailure("--numa-nodes must be 1...64, got \(numaNodes)") }
      let layout = BPFProgPack(numaNodes: numaNodes).layout(jitedSizes: sizes)
      if json { return try printJSON(layout, snakeCaseKeys: false) }
      print("""
        \(layout.programs) programs
        with prog pack:    \(layout.packs) pack(s) of \(2 * numaNodes) MiB, \(layout.ownAllocationPages) own 4 KiB pages, \(layout.itlbEntriesWithPack) iTLB entries
        without prog pack: \(layout.pagesWithoutPack) pages of 4 KiB, \(layout.itlbEntriesWithoutPack) iTLB entries
        """)
    }

    // MARK: - kretprobe

    private func predictKretprobe(_ concurrency: Int) throws {
      guard concurrency >= 0 else { throw InputFailure("--concurrency must be >= 0, got \(concurrency)") }
      guard bursts >= 0 else { throw InputFailure("--bursts must be >= 0, got \(bursts)") }
      let version = try kernelVersion()
      let possible = try positive(cpus, "--cpus")
      let p = KretprobeInstances.predict(
        kernel: version, possibleCPUs: possible, preemptible: preemptible, maxactive: maxactive, concurrency: concurrency, bursts: bursts)
      if json { return try printJSON(p, snakeCaseKeys: false) }
      print("""
        kretprobe on \(p.kernel), \(p.possibleCPUs) possible CPUs: maxactive \(p.maxactive)\(p.maxactiveIsDefault ? " (default)" : ""), pool \(p.pool)
        missed per burst of \(p.concurrency): \(p.missedPerBurst)
        nmissed after \(p.bursts) burst(s): \(p.nmissed)
        """)
    }

    // MARK: - Helpers

    private func kernelVersion() throws -> KernelVersion {
      guard let kernel else { throw InputFailure("--kernel is required (e.g. --kernel 6.1)") }
      guard let version = KernelVersion(release: kernel) else { throw InputFailure("--kernel: '\(kernel)' is not a kernel version") }
      return version
    }

    private func positive(_ value: Int?, _ name: String) throws -> Int {
      guard let value else { throw InputFailure("\(name) is required") }
      guard value >= 1, value <= 1 << 20 else { throw InputFailure("\(name) must be between 1 and \(1 << 20), got \(value)") }
      return value
    }
  }
}

/// A patch prediction with the optional batch-duration model beside it, as one JSON object.
private struct PatchOutput: Encodable {
  var prediction: PatchPrediction
  var timing: [BatchDurationPrediction]

  private enum Keys: String, CodingKey { case batchTiming = "batch_timing" }

  func encode(to encoder: any Encoder) throws {
    try prediction.encode(to: encoder)
    if !timing.isEmpty {
      var container = encoder.container(keyedBy: Keys.self)
      try container.encode(timing, forKey: .batchTiming)
    }
  }
}
