import ArgumentParser
import Foundation
import PatchEngine
import TraceModel
import TraceReports

extension Pokestat {
  /// `pokestat predict`: the reference model's answer for a patch set, a set of BPF programs or a
  /// kretprobe, without a trace.
  struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Predict batches, syncs and IPIs of a patch set, BPF prog pack pages, or kretprobe misses.",
      discussion: """
        Three predictions, one subcommand each; `patch` is the default, so \
        `pokestat predict --kernel 5.2 --cpus 24 --entries 56` is `pokestat predict patch ...`. \
        Rules and sources: docs/model.md.
        """,
      subcommands: [Patch.self, BPFPack.self, Kretprobe.self],
      defaultSubcommand: Patch.self)
  }
}

extension Pokestat.Predict {
  /// `pokestat predict patch`: batches, syncs and IPIs of a static-key flip or text_poke patch set.
  struct Patch: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Predict the batches, syncs and IPIs of a static-key flip (the default prediction).",
      discussion: """
        --entries lists the entries of the key per run: the first number is the core kernel, \
        each further one a module that uses the key (each run ends in its own apply). --modules K \
        adds K more module runs of --module-entries entries each. x86 before 5.3 (or --unbatched) \
        patches each entry on its own: 3 syncs per entry. From 5.3 entries are batched, TP_VEC_MAX \
        per batch (128 in 5.3-5.4, 170 in 5.5, 256 since 5.6), 3 syncs per batch. One sync is one \
        IPI to every other online CPU. arm64: one kick_all_cpus_sync() per apply since 6.11, none \
        in 4.18-6.10, one per entry before; --insn-patch-calls N predicts N \
        aarch64_insn_patch_text() stop_machines. --int3-traps-per-second adds the batch-duration \
        model (shared vs per-CPU int3 refcount).

        Examples (seed 001, reproduced in docs/model.md):
          pokestat predict patch --arch x86 --kernel 5.2 --cpus 24 --entries 56
            -> unbatched, ipis_per_cpu 168
          pokestat predict --arch x86 --kernel 5.3 --cpus 24 --entries 56
            -> batched, ipis_per_cpu 3
          pokestat predict --kernel 6.1 --cpus 8 --entries 4 --unbatched --json
            -> "ipis_per_cpu" : 12 (netstamp_needed_key)
        """)

    @Option(help: "Architecture.")
    var arch: Architecture = .x86

    // Optional only so that validate() can name the subcommand an old spelling moved to
    // before it says that these are missing.
    @Option(help: "Kernel version, e.g. 6.1 or 6.1.0-13-amd64 (required).")
    var kernel: KernelVersion?

    @Option(help: "Online CPUs, the patching CPU included (required).")
    var cpus: Int?

    @Option(help: "Entries per run, comma-separated: core kernel first, then one per module using the key.",
            transform: { try CountList.parse($0, in: 0...10_000_000) })
    var entries: [Int]?

    @Option(help: "Further modules using the key, each a run of --module-entries entries.")
    var modules: Int = 0

    @Option(help: "Entries in each module run added by --modules.")
    var moduleEntries: Int = 1

    @Flag(help: "x86: use the unbatched (pre-5.3) protocol whatever the version.")
    var unbatched = false

    @Option(help: "Other CPUs whose sync is deferred (nohz_full in user mode; proposed 2025 series, not merged).")
    var deferredNohzFull: Int = 0

    @Option(help: "arm64 5.3-6.10: whether the kernel carries the backported jump-label kick (cfb00a357864; arch_jump_label_transform_apply in /proc/kallsyms).")
    var arm64Backport: Arm64Backport?

    @Option(help: "arm64: predict this many aarch64_insn_patch_text() calls (one stop_machine each).")
    var insnPatchCalls: Int?

    @Option(help: "x86: int3 traps per second machine-wide while a batch is live; adds the batch-duration model.")
    var int3TrapsPerSecond: Double?

    @Option(help: "Cache-line transfer time under contention, ns (batch-duration model).")
    var lineTransferNs: Double = 200

    @Option(help: "int3 refcount (batch-duration model; default: per-cpu from 6.15, shared before).")
    var refcount: RefcountKind?

    // The other predictions' options, before they had subcommands: named here only to say where
    // they went.
    @Option(help: .hidden) var bpfProgSizes: String?
    @Option(help: .hidden) var concurrency: String?

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
      if bpfProgSizes != nil { throw ValidationError("--bpf-prog-sizes moved: pokestat predict bpf-pack --sizes LIST") }
      if concurrency != nil { throw ValidationError("--concurrency moved: pokestat predict kretprobe --concurrency LIST") }
      try outputOptions.validateNoJSONLines("predict")
      guard kernel != nil else { throw ValidationError("--kernel is required (e.g. --kernel 6.1)") }
      guard let cpus else { throw ValidationError("--cpus is required (online CPUs, e.g. --cpus 8)") }
      guard (1...(1 << 20)).contains(cpus) else { throw ValidationError("--cpus must be between 1 and \(1 << 20), got \(cpus)") }
      guard deferredNohzFull >= 0, deferredNohzFull < cpus else {
        throw ValidationError("--deferred-nohz-full must be between 0 and --cpus - 1, got \(deferredNohzFull)")
      }
      guard modules >= 0 else { throw ValidationError("--modules must be >= 0, got \(modules)") }
      guard moduleEntries >= 0 else { throw ValidationError("--module-entries must be >= 0, got \(moduleEntries)") }
      guard modules <= 10_000_000, moduleEntries <= 10_000_000,
        (entries ?? []).reduce(0, +) + modules * moduleEntries <= 10_000_000  // each term ≤ 10^7: no overflow
      else { throw ValidationError("--entries: more than 10000000 entries in all") }
      switch arch {
      case .x86:
        if insnPatchCalls != nil { throw ValidationError("--insn-patch-calls is arm64 only") }
        if arm64Backport != nil { throw ValidationError("--arm64-backport is arm64 only") }
        if entries == nil { throw ValidationError("--entries is required (e.g. --entries 56 or --entries 100,3)") }
      case .arm64:
        if unbatched { throw ValidationError("--unbatched is x86 only") }
        if int3TrapsPerSecond != nil { throw ValidationError("--int3-traps-per-second is x86 only") }
        if let insnPatchCalls {
          if entries != nil { throw ValidationError("give --entries or --insn-patch-calls, not both") }
          if arm64Backport != nil { throw ValidationError("--arm64-backport applies to jump labels (--entries)") }
          guard insnPatchCalls >= 0 else { throw ValidationError("--insn-patch-calls must be >= 0, got \(insnPatchCalls)") }
        } else if entries == nil {
          throw ValidationError("--entries or --insn-patch-calls is required (e.g. --entries 56)")
        }
      }
      if refcount != nil && int3TrapsPerSecond == nil {
        throw ValidationError("--refcount belongs to the batch-duration model: give --int3-traps-per-second too")
      }
      if let rate = int3TrapsPerSecond, !(rate >= 0 && rate.isFinite) {
        throw ValidationError("--int3-traps-per-second must be >= 0, got \(rate)")
      }
      guard lineTransferNs > 0, lineTransferNs.isFinite else { throw ValidationError("--line-transfer-ns must be > 0, got \(lineTransferNs)") }
    }

    func run() throws {
      guard let kernel, let cpus else { preconditionFailure("validate() requires --kernel and --cpus") }
      let options = IPIOptions(deferredNohzFullCPUs: deferredNohzFull)
      let runs = (entries ?? []) + Array(repeating: moduleEntries, count: modules)
      var report: PatchPredictionReport
      switch arch {
      case .x86:
        report = PatchPredictionReport(prediction: X86TextPoke.predictJumpLabel(
          entryRuns: runs, kernel: kernel, onlineCPUs: cpus, forceUnbatched: unbatched, options: options))
      case .arm64:
        if let insnPatchCalls {
          report = PatchPredictionReport(prediction: Arm64Patching.predictInsnPatchText(calls: insnPatchCalls, kernel: kernel, onlineCPUs: cpus))
        } else {
          let prediction = Arm64Patching.predictJumpLabel(
            entryRuns: runs, kernel: kernel, onlineCPUs: cpus, options: options, hasApply: arm64Backport.map { $0 == .yes },
            evidence: .given)
          report = PatchPredictionReport(prediction: prediction)
          // Decided by --arm64-backport or by the stable release the version names.
          report.backportDecided = arm64Backport != nil || Arm64Patching.stableBackport(in: kernel) != nil
          if prediction.basis != nil, !report.backportDecided {
            report.otherBackport = Arm64Patching.predictJumpLabel(
              entryRuns: runs, kernel: kernel, onlineCPUs: cpus, options: options,
              hasApply: prediction.patchProtocol != .arm64KickPerBatch)
          }
        }
      }
      report.timing = batchTiming(for: report.prediction, kernel: kernel, cpus: cpus)
      try outputOptions.write { try PredictionRenderer.render(report, as: $0) }
    }

    private func batchTiming(for prediction: PatchPrediction, kernel: KernelVersion, cpus: Int) -> [BatchDurationPrediction] {
      guard let rate = int3TrapsPerSecond else { return [] }
      let kind = refcount ?? (kernel >= KernelVersion(6, 15) ? .perCPU : .shared)
      let parameters = BatchTimingParameters(onlineCPUs: cpus, trapsPerSecond: rate, lineTransferNanoseconds: lineTransferNs)
      return prediction.batchList.map {
        RefcountContention.predict(entries: $0.entries, refcount: kind, parameters: parameters, syncs: max(1, $0.syncs))
      }
    }
  }

  /// `pokestat predict bpf-pack`: pages and iTLB entries of BPF programs with and without the pack.
  struct BPFPack: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "bpf-pack",
      abstract: "Predict the pages and iTLB entries of BPF programs with and without the prog pack allocator.",
      discussion: """
        Lays out JIT images in load order as bpf_prog_pack_alloc() does (2 MiB packs per NUMA \
        node, 64-byte chunks, first fit) and as bpf_jit_binary_alloc() did (at least one 4 KiB \
        page each). --csv lists where each program went.

        Example (seed 003's test loads 160 such programs; they too share one pack):
          pokestat predict bpf-pack --sizes 1000,1000,1000
            -> 1 pack(s) of 2 MiB, 1 iTLB entries; without: 3 pages, 3 iTLB entries
        """)

    @Option(help: "BPF JIT image sizes in bytes, comma-separated, in load order (bpftool prog: jited).",
            transform: { try CountList.parse($0, in: 0...(1 << 30)) })
    var sizes: [Int]

    @Option(help: "NUMA nodes (BPF_PROG_PACK_SIZE is 2 MiB per node).")
    var numaNodes: Int = 1

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
      try outputOptions.validateNoJSONLines("predict bpf-pack")
      guard (1...64).contains(numaNodes) else { throw ValidationError("--numa-nodes must be 1...64, got \(numaNodes)") }
      guard sizes.count <= 1_000_000 else { throw ValidationError("--sizes: at most 1000000 programs") }
    }

    func run() throws {
      let report = BPFPackReport(layout: BPFProgPack(numaNodes: numaNodes).layout(jitedSizes: sizes), numaNodes: numaNodes)
      try outputOptions.write { try PredictionRenderer.render(report, as: $0) }
    }
  }

  /// `pokestat predict kretprobe`: maxactive and the misses of bursts of concurrent calls.
  struct Kretprobe: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Predict a kretprobe's maxactive and the misses (nmissed) of bursts of concurrent calls.",
      discussion: """
        --concurrency has the meaning it has in `pokestat kprobes`: one value per burst, each the \
        number of calls of the probed function in flight at once; each burst drains before the \
        next. A burst of N calls misses max(0, N - maxactive) (kernel/kprobes.c). --bursts K \
        repeats the list K times.

        Example (docs/model.md):
          pokestat predict kretprobe --kernel 6.1 --cpus 2 --concurrency 3 --bursts 4
            -> maxactive 2 (default), nmissed 4
        """)

    @Option(help: "Kernel version, for the default maxactive, e.g. 6.1.")
    var kernel: KernelVersion

    @Option(help: "Possible CPUs (num_possible_cpus()), for the default maxactive.")
    var cpus: Int

    @Option(help: "Calls in flight at once, one value per burst (e.g. 4,24).",
            transform: { try CountList.parse($0, in: 0...(1 << 30)) })
    var concurrency: [Int]

    @Option(help: "Repeat the --concurrency bursts this many times.")
    var bursts: Int = 1

    @Option(help: "kretprobe maxactive (default, or 0: the kernel's default for --kernel and --cpus).")
    var maxactive: Int?

    @Flag(help: "The kernel is preemptible (CONFIG_PREEMPTION; changes the default maxactive before 6.2).")
    var preemptible = false

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
      try outputOptions.validateNoJSONLines("predict kretprobe")
      guard (1...(1 << 20)).contains(cpus) else { throw ValidationError("--cpus must be between 1 and \(1 << 20), got \(cpus)") }
      guard (0...1_000_000).contains(bursts) else { throw ValidationError("--bursts must be between 0 and 1000000, got \(bursts)") }
      guard concurrency.count * bursts <= 1_000_000 else { throw ValidationError("--concurrency × --bursts: at most 1000000 bursts") }
    }

    func run() throws {
      let report = KretprobeBurstsReport(
        kernel: kernel, possibleCPUs: cpus, preemptible: preemptible, maxactive: maxactive,
        concurrency: Array([[Int]](repeating: concurrency, count: bursts).joined()))
      try outputOptions.write { try PredictionRenderer.render(report, as: $0) }
    }
  }
}
