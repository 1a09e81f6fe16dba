import PatchEngine
import TraceAnalysis
import TraceModel

/// The verdict of one comparison between the model and a trace.
public enum Verdict: String, Codable, Sendable, Comparable {
  case match
  /// Different, and a named ``DeviationExplanation`` (or lost events) accounts for it.
  case explained
  /// Different with no known explanation: a finding.
  case unexplained
  /// The trace has flips (or nothing at all) but no batch the model could be checked
  /// against: nothing was checked, which is never a match.
  case noBatches = "no-batches"
  /// The trace has batches but records no IPI at all (no send and no reception source):
  /// the syncs cannot be observed, so nothing was checked.
  case noIPISource = "no-ipi-source"
  /// The model has no rules for the trace's architecture (or the architecture is unknown):
  /// nothing was checked.
  case noRules = "no-rules"

  private var rank: Int {
    switch self {
    case .match: return 0
    case .explained: return 1
    case .unexplained: return 2
    case .noIPISource: return 3
    case .noBatches: return 4
    case .noRules: return 5
    }
  }

  public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.rank < rhs.rank }

  /// The exit status of `pokestat check` for this verdict: 0 match or explained, 1 a finding
  /// or nothing checked, 2 no rules to check with.
  public var exitStatus: Int32 {
    switch self {
    case .match, .explained: return 0
    case .unexplained, .noBatches, .noIPISource: return 1
    case .noRules: return 2
    }
  }
}

/// One predicted-versus-observed number of one batch.
public struct CheckItem: Codable, Sendable, Equatable {
  /// `syncs`, `ipis_received cpuN`, `extra_sends`.
  public var quantity: String
  public var predicted: Int
  public var observed: Int
  public var verdict: Verdict
  /// The named explanation when ``verdict`` is `.explained`.
  public var explanation: String?
  public var note: String?
}

/// The check of one observed batch against the model.
public struct BatchCheck: Codable, Sendable, Equatable {
  /// 1-based, in trace order.
  public var batch: Int
  public var flip: Int?
  public var startNs: UInt64
  public var cpu: Int
  public var entries: Int?
  public var observedDurationNs: UInt64?
  public var items: [CheckItem]
  public var verdict: Verdict

  enum CodingKeys: String, CodingKey {
    case batch, flip, cpu, entries, items, verdict
    case startNs = "start_ns"
    case observedDurationNs = "observed_duration_ns"
  }
}

/// Compares an ``AnalysisReport`` with the model's predictions (``X86TextPoke``,
/// ``Arm64Patching``), batch by batch.
public enum PredictionCheck {
  /// The rules families the model has, by `uname -m` name.
  enum RuleFamily {
    case x86
    case arm64
  }

  /// The family for a `uname -m` name; nil when the model has none (armv7l, riscv64, ...).
  static func family(of machine: String) -> RuleFamily? {
    switch machine.lowercased() {
    case "x86_64", "amd64", "x86", "i386", "i486", "i586", "i686": return .x86
    case "aarch64", "arm64": return .arm64
    default: return nil
    }
  }

  /// The architecture of a trace: the given one, its uname, or what its events imply.
  ///
  /// - Returns: the machine name and, when it was inferred, how.
  static func architecture(of report: AnalysisReport, given: String?) -> (machine: String, inferredFrom: String?)? {
    if let given { return (given, nil) }
    if let traced = report.architecture { return (traced, report.architectureInferredFrom) }
    if report.ipi.sources.contains(where: { $0.hasPrefix("irq_vectors:") }) {
      return ("x86_64", "irq_vectors events, which only x86 defines (arch/x86/include/asm/trace/irq_vectors.h)")
    }
    if report.ipi.sources.contains(where: { $0 == "ipi:ipi_raise" || $0 == "ipi:ipi_entry" }) {
      return ("aarch64", "ipi:ipi_raise/ipi_entry, which arm and arm64 trace (32-bit arm would have no rules: give --arch)")
    }
    if report.textPoke.syncs > 0 || !report.textPoke.batches.isEmpty {
      return ("x86_64", "text_poke functions of arch/x86/kernel/alternative.c in the trace")
    }
    return nil
  }

  /// Checks every text_poke batch of `report`.
  ///
  /// Nothing checked is never a match: a trace with no batch gets ``Verdict/noBatches``
  /// (unless the kernel's rules predict none, as arm64 jump labels without the 2024 fix, and
  /// the trace shows the unbatched writes and has an IPI source), and a trace whose
  /// architecture has no rules, or is unknown, ``Verdict/noRules``.
  ///
  /// - Parameters:
  ///   - kernel: the traced kernel (the trace's uname when nil is given and it has one).
  ///   - cpus: online CPUs (the trace's CPU count when nil).
  ///   - architecture: `uname -m` of the traced machine (the trace's when nil).
  public static func check(_ report: AnalysisReport, kernel: KernelVersion?, cpus: Int?, architecture given: String? = nil) -> TraceCheck {
    guard let (machine, inferredFrom) = architecture(of: report, given: given) else {
      return refusal(report, kernel: kernel, cpus: cpus, architecture: "unknown", note:
        "architecture unknown: the trace records no uname, and neither its kallsyms nor its events tell one; give --arch (x86_64 and aarch64 have rules)")
    }
    let contradiction = contradiction(given: given, report: report)
    guard let family = family(of: machine) else {
      let how = inferredFrom.map { " (inferred from \($0))" } ?? ""
      var refused = refusal(report, kernel: kernel, cpus: cpus, architecture: machine, note:
        "the model has no rules for \(machine)\(how) (only x86 and arm64); analyze still counts its IPIs")
      if let contradiction { refused.notes.append(contradiction) }
      return refused
    }
    var checked = checkBatches(report, kernel: kernel, cpus: cpus, family: family)
    checked.architecture = machine
    if let contradiction { checked.notes.insert(contradiction, at: 0) }
    if let inferredFrom { checked.assumptions.append("architecture \(machine), inferred from \(inferredFrom)") }
    if family == .x86, machine != "x86_64", machine != "amd64" {
      checked.assumptions.append("\(machine): arch/x86 rules (alternative.c is shared by 32- and 64-bit x86); not yet checked on a 32-bit trace")
    }
    if family == .arm64 {
      let kernelKnown = kernel != nil || report.kernel.flatMap { KernelVersion(release: $0) } != nil
      checked = checkArm64(report, kernel: checked.kernel, kernelKnown: kernelKnown, cpus: checked.cpus, base: checked)
    }
    if checked.batches.isEmpty, checked.verdict == .match, checked.predictionPerBatch.patchProtocol != .arm64NoSync {
      checked.verdict = .noBatches
      let flips = report.flips.count
      checked.notes.append(flips > 0
        ? "\(flips) flip(s) but no batch found: nothing was checked (the trace needs a batch source: a kprobe or function_graph on the batch function, or syncs seen with stacks or callsites)"
        : "no flip and no batch in the trace: nothing was checked")
    }
    if !checked.batches.isEmpty, report.ipi.sources.isEmpty {
      // Observed 0 syncs would be a fake number: the trace cannot see an IPI at all.
      checked.batches = checked.batches.map { batch in
        var batch = batch
        batch.verdict = .noIPISource
        return batch
      }
      checked.verdict = .noIPISource
      checked.notes.append(
        "\(checked.batches.count) batch(es) but the trace records no IPI (no ipi:*, irq_vectors:* or send kprobe events): syncs cannot be observed, nothing was checked")
    }
    return checked
  }

  /// A note when `--arch` names another architecture than the trace's own (its uname, or what
  /// its kallsyms show): the flag is honoured, and the output says what the trace says.
  static func contradiction(given: String?, report: AnalysisReport) -> String? {
    guard let given, let traced = report.architecture else { return nil }
    let same = family(of: given).map { $0 == family(of: traced) } ?? (given.lowercased() == traced.lowercased())
    guard !same else { return nil }
    let source = report.architectureInferredFrom.map { "inferred from \($0)" } ?? "its uname"
    return "--arch \(given) applied as given, but the trace's own architecture is \(traced) (\(source))"
  }

  /// A report that checked nothing because no rules apply.
  private static func refusal(_ report: AnalysisReport, kernel: KernelVersion?, cpus: Int?, architecture: String, note: String) -> TraceCheck {
    let version = kernel ?? report.kernel.flatMap { KernelVersion(release: $0) }
    let online = max(1, cpus ?? report.cpus)
    var refused = TraceCheck(
      file: report.file, kernel: version?.description ?? "unknown", cpus: online,
      predictionPerBatch: PatchPrediction(architecture: architecture, kernel: version?.description ?? "unknown", onlineCPUs: online,
                                          patchProtocol: .noRules, vectorCapacity: nil, batchList: [], ipiRecipients: 0,
                                          applicableExplanations: [], sources: []),
      batches: [], verdict: .noRules, countsAreLowerBounds: report.countsAreLowerBounds, assumptions: [])
    refused.architecture = architecture
    refused.notes = [note]
    return refused
  }

  /// Whether an arm64 trace's kernel has the 2024 jump-label fix (cfb00a357864), and how the
  /// trace says so: its kallsyms (trace.dat), else its own events (tracefs text has no kallsyms):
  /// apply batches (or queued entries) show the fix, `arch_jump_label_transform` calls with no
  /// batch show its absence. Nil when the trace shows neither.
  static func arm64Backport(in report: AnalysisReport) -> (hasApply: Bool, evidence: Arm64Patching.BackportEvidence)? {
    if let symbols = report.kallsymsPatchFunctions { return (symbols.contains(Arm64Patching.applyFunction), .kallsyms) }
    if !report.textPoke.batches.isEmpty { return (true, .traceEvents) }
    if report.textPoke.unbatchedPatches > 0 { return (false, .traceEvents) }
    return nil
  }

  /// arm64: batches are jump-label applies, each one kick_all_cpus_sync (one IPI per other
  /// CPU); kernels without the 2024 fix make no batch and send no IPI.
  ///
  /// "No batch, as the rules predict" is a match only on evidence: every flip shows the
  /// unbatched writes (`arch_jump_label_transform` calls) and the trace has an IPI source,
  /// so "no IPI" was observed. Otherwise the verdict says what is missing: ``Verdict/noBatches``
  /// (no patching seen) or ``Verdict/noIPISource``.
  private static func checkArm64(
    _ report: AnalysisReport, kernel: String, kernelKnown: Bool, cpus online: Int, base: TraceCheck
  ) -> TraceCheck {
    var checked = base
    let version = KernelVersion(release: kernel) ?? KernelVersion(6, 1)
    let backport = arm64Backport(in: report)
    let reference = Arm64Patching.predictJumpLabel(entryRuns: [1], kernel: version, onlineCPUs: online, hasApply: backport?.hasApply,
                                                   evidence: backport?.evidence ?? .kallsyms)
    checked.predictionPerBatch = reference
    if let basis = reference.basis {
      if Arm64Patching.backportUndecided(for: version, hasApply: backport?.hasApply) {
        checked.assumptions.append(basis)
      } else {
        checked.notes.append(basis)
      }
    }
    guard reference.patchProtocol == .arm64NoSync else { return checked }
    // The kernel makes no batch and sends no IPI for a jump label: an observed batch is a finding.
    checked.batches = checked.batches.map { batch in
      var batch = batch
      batch.items = [CheckItem(quantity: "batches", predicted: 0, observed: 1, verdict: .unexplained,
                               note: "this kernel writes jump labels with aarch64_insn_patch_text_nosync and makes no batch")]
      batch.verdict = .unexplained
      return batch
    }
    guard checked.batches.isEmpty else {
      checked.verdict = .unexplained
      return checked
    }
    let flips = report.flips.count
    let patched = report.flips.reduce(0) { $0 + $1.unbatchedPatches }
    let unpatchedFlips = report.flips.filter { $0.unbatchedPatches == 0 }.count
    let transform = Arm64JumpLabel.transform
    let kernelName = kernelKnown
      ? "arm64 v\(version)" : "an arm64 kernel (its version is unknown: v\(version.major).\(version.minor) assumed)"
    if flips == 0 {
      checked.verdict = .noBatches
      checked.notes.append("no flip in the trace: nothing was checked")
    } else if patched == 0 || unpatchedFlips > 0 {
      // No batch is predicted, but "no batch" is only observed where the trace shows the
      // writes that replace it; a trace without them would match on nothing.
      checked.verdict = .noBatches
      checked.notes.append(
        patched == 0
          ? "\(flips) flip(s), no batch and no \(transform) call: the trace does not show how the jump labels were written, so no batch was observed; nothing was checked (the trace needs a kprobe or function_graph on \(transform))"
          : "\(unpatchedFlips) of \(flips) flip(s) show no \(transform) call: those flips' patching was not observed; nothing was checked")
    } else if report.ipi.sources.isEmpty {
      checked.verdict = .noIPISource
      checked.notes.append(
        "\(patched) \(transform) call(s) in \(flips) flip(s), but the trace records no IPI (no ipi:*, irq_vectors:* or send kprobe events): \"no kick\" cannot be observed; nothing was checked")
    } else {
      checked.verdict = .match
      checked.notes.append(
        "\(flips) flip(s), \(patched) \(transform) call(s), no batch, no kick (IPIs traced by \(report.ipi.sources.joined(separator: ", "))): this is what \(kernelName) without cfb00a357864 does (arch_jump_label_transform writes each entry, no IPI)")
    }
    return checked
  }

  /// Batch by batch against the family's rules: ``X86TextPoke`` (up to three syncs per
  /// batch) or ``Arm64Patching`` (one kick per apply), each sync one IPI per other CPU.
  private static func checkBatches(_ report: AnalysisReport, kernel: KernelVersion?, cpus: Int?, family: RuleFamily) -> TraceCheck {
    var assumptions: [String] = []
    let kernelVersion: KernelVersion
    if let kernel {
      kernelVersion = kernel
    } else if let traced = report.kernel.flatMap({ KernelVersion(release: $0) }) {
      kernelVersion = traced
    } else {
      kernelVersion = KernelVersion(6, 1)
      assumptions.append("the trace does not name its kernel: rules of 6.1 assumed (give --kernel)")
    }
    // A CPU count below 1 (no event named its CPU) cannot be predicted for: `cpuCountProblem`
    // makes callers refuse it; a caller that did not ask still gets no trap.
    let online = max(1, cpus ?? report.cpus)
    if cpus == nil, report.cpus < 1 {
      assumptions.append("no event names its CPU: 1 CPU assumed (give --cpus)")
    } else if cpus == nil, report.cpusInferred {
      assumptions.append("the trace does not record its CPU count: \(report.cpus) CPUs inferred from the highest CPU seen (give --cpus)")
    }
    let backport = arm64Backport(in: report)
    func predict(_ entries: Int) -> PatchPrediction {
      switch family {
      case .x86: return X86TextPoke.predictJumpLabel(entryRuns: [entries], kernel: kernelVersion, onlineCPUs: online)
      case .arm64:
        return Arm64Patching.predictJumpLabel(entryRuns: [entries], kernel: kernelVersion, onlineCPUs: online,
                                              hasApply: backport?.hasApply, evidence: backport?.evidence ?? .kallsyms)
      }
    }
    let reference = predict(1)
    var checks: [BatchCheck] = []
    for (index, batch) in report.textPoke.batches.enumerated() {
      let prediction = predict(max(1, batch.entries ?? 1))
      if batch.entries == nil, !assumptions.contains(where: { $0.hasPrefix("entries") }) {
        assumptions.append("entries per batch not recorded: each batch checked as one vector of 5-byte jump patches")
      }
      // A batch the model splits (more entries than a vector holds) shows up as several
      // observed batches; compare one observed call with one predicted batch.
      let predictedSyncs = prediction.batchList.first?.syncs ?? 0
      var items: [CheckItem] = []
      let otherCPUs = (0..<online).filter { $0 != batch.cpu }
      // What each other CPU took during the batch: receptions of this batch's syncs, other
      // call-function interrupts (a request already pending on its call-single queue), and
      // of those, receptions on the sync vector that no traced send explains.
      func attributed(_ cpu: Int) -> Int { batch.receivedPerCPU[String(cpu)] ?? 0 }
      func other(_ cpu: Int) -> Int { batch.otherReceivedPerCPU[String(cpu)] ?? 0 }
      func unattributed(_ cpu: Int) -> Int { batch.unattributedReceivedPerCPU[String(cpu)] ?? 0 }
      // Counts come from the trace: saturate rather than trap (a damaged report).
      func took(_ cpu: Int) -> Int { let (sum, overflow) = attributed(cpu).addingReportingOverflow(other(cpu)); return overflow ? .max : sum }
      func tookFromTracedSends(_ cpu: Int) -> Int { took(cpu) == .max ? .max : took(cpu) - min(unattributed(cpu), other(cpu)) }
      // Receptions with no traced send that stand for a send the trace did not record: the
      // CPU got fewer of the batch's syncs than the protocol sends (left out of a sync's mask,
      // or the sync's send missing), took at least that many call-function interrupts with
      // them, and the ring buffer lost nothing (with losses the lost-events explanation
      // applies). At most the syncs it missed.
      func untracedSends(_ cpu: Int) -> Int {
        guard !report.countsAreLowerBounds, attributed(cpu) < predictedSyncs,
          took(cpu) >= predictedSyncs
        else { return 0 }
        return min(unattributed(cpu), predictedSyncs - attributed(cpu))
      }
      // Every other CPU took at least as many call-function interrupts as the protocol sends:
      // the missing sync sends were not needed (or not traced), the syncs still ran there.
      let everyCPUTookItsSyncs = !otherCPUs.isEmpty && otherCPUs.allSatisfy { took($0) >= predictedSyncs }
      items.append(compare("syncs", predicted: predictedSyncs, observed: batch.syncs, lowerBound: report.countsAreLowerBounds) { fewer in
        guard fewer else { return nil }
        if everyCPUTookItsSyncs {
          // Covered by interrupts of traced sends alone: the pending-queue case. Covered only
          // with receptions no traced send explains: a send the trace did not record, or, when
          // events were lost, nothing named here (the lost-events explanation).
          let coveredByTracedSends = otherCPUs.allSatisfy { tookFromTracedSends($0) >= predictedSyncs }
          let untraced = otherCPUs.map(untracedSends).max() ?? 0
          if !coveredByTracedSends && untraced == 0 { return nil }
          if !coveredByTracedSends {
            return (nil, "send-not-traced",
                    "every other CPU took \(predictedSyncs) call-function interrupts, as the protocol sends, but \(untraced) of them answer no traced send and the trace lost no event: \(untraced) send(s) were not recorded (the sync's own, or an earlier request's whose pending interrupt the sync joined)")
          }
          return (.callSingleQueueAlreadyPending, nil,
                  "every other CPU took \(predictedSyncs) call-function interrupts: a missing sync found the CPU's call-single queue already holding another request and sent nothing")
        }
        // Every other CPU took interrupts of other traced sends during the batch: a request
        // the trace shows was queued there, so a sync finding it pending sent nothing.
        let withPending = otherCPUs.filter { other($0) > unattributed($0) }
        if withPending.count == otherCPUs.count, !otherCPUs.isEmpty {
          return (.callSingleQueueAlreadyPending, nil,
                  "\(withPending.map { "cpu\($0)" }.joined(separator: ", ")) took call-function interrupts of other traced sends during the batch: a sync that found such a request still queued sent nothing")
        }
        // A sync to one idle, polling CPU sends nothing at all (the single-target path of
        // two-CPU machines); with more recipients all of them would have to be polling at once.
        // A CPU that took the sync's interrupt was not woken without one.
        guard otherCPUs.count == 1, batch.idleCPUs.contains(otherCPUs[0]) else { return nil }
        return (.idlePollingWakeWithoutIPI, nil, "every other CPU was idle: a polling idle CPU is woken without an IPI")
      })
      for cpu in 0..<online where cpu != batch.cpu {
        let observed = attributed(cpu)
        let untraced = untracedSends(cpu)
        items.append(compare("ipis_received cpu\(cpu)", predicted: predictedSyncs, observed: observed,
                             lowerBound: report.countsAreLowerBounds) { fewer in
          guard fewer else { return nil }
          if untraced > 0, untraced >= predictedSyncs - observed {
            return (nil, "send-not-traced",
                    "cpu\(cpu) took \(untraced) call-function interrupt(s) on the sync vector that no traced send explains; with them it received the \(predictedSyncs) the protocol sends")
          }
          let tracedOther = max(0, other(cpu) - min(unattributed(cpu), other(cpu)))
          if tracedOther > 0 {
            return (.callSingleQueueAlreadyPending, nil, "cpu\(cpu) took \(tracedOther) other call-function interrupt(s) during the batch")
          }
          // Left out of a sync the others got: idle polling. Short together with a missing
          // sync: part of that sync, not explained here. A CPU that took as many interrupts as
          // the protocol sends was not woken without one.
          if batch.idleCPUs.contains(cpu), took(cpu) < predictedSyncs,
            batch.syncs >= predictedSyncs || otherCPUs.count == 1
          {
            return (.idlePollingWakeWithoutIPI, nil, "cpu\(cpu) was idle during the batch")
          }
          return nil
        })
      }
      for (cpu, count) in batch.unattributedReceivedPerCPU.sorted(by: { $0.key < $1.key }) where count > 0 {
        let untraced = Int(cpu).map(untracedSends) ?? 0
        if untraced >= count {
          items.append(CheckItem(quantity: "unattributed_ipis cpu\(cpu)", predicted: 0, observed: count,
                                 verdict: .explained, explanation: "send-not-traced",
                                 note: "no traced send explains them, but cpu\(cpu) missed \(predictedSyncs - attributed(Int(cpu) ?? 0)) of the batch's syncs and took at least as many call-function interrupts with them, and the trace lost no event: interrupts of sends the trace did not record (a sync's own, or an earlier request's that the sync joined)"))
        } else {
          items.append(CheckItem(quantity: "unattributed_ipis cpu\(cpu)", predicted: 0, observed: count,
                                 verdict: .unexplained,
                                 note: "call-function IPIs received during the batch that no traced send explains"))
        }
      }
      let flip = report.flips.firstIndex { batch.startNs >= $0.startNs && batch.startNs <= $0.endNs }
      if let flip, report.flips[flip].otherIPIsSent > 0, !items.contains(where: { $0.quantity == "other_sends" }) {
        items.append(CheckItem(quantity: "other_sends", predicted: 0, observed: report.flips[flip].otherIPIsSent,
                               verdict: .explained, explanation: DeviationExplanation.unrelatedInterruptSends.rawValue,
                               note: "IPIs from other paths during the flip (not text_poke syncs)"))
      }
      checks.append(BatchCheck(
        batch: index + 1, flip: flip.map { $0 + 1 }, startNs: batch.startNs, cpu: batch.cpu, entries: batch.entries,
        observedDurationNs: batch.durationNs, items: items, verdict: items.map(\.verdict).max() ?? .match))
    }
    return TraceCheck(
      file: report.file, kernel: kernelVersion.description, cpus: online, predictionPerBatch: reference, batches: checks,
      verdict: checks.map(\.verdict).max() ?? .match, countsAreLowerBounds: report.countsAreLowerBounds,
      assumptions: assumptions)
  }

  /// Why `report` cannot be checked with `cpus` (nil: the trace's count), or nil when it can:
  /// the CPU count is unknown (no event names its CPU) and the trace has batches to check.
  /// Also refuses summary inputs (perf report, /proc/interrupts): they hold no batches to check.
  public static func cpuCountProblem(_ report: AnalysisReport, cpus: Int?) -> CheckInputError? {
    if report.perfReport != nil || report.interrupts != nil {
      return CheckInputError(
        description: "\(report.file): \(report.format) holds no text_poke batches to check (check reads event traces: trace.dat, ftrace and report text, perf script); `pokestat analyze` reads it")
    }
    guard (cpus ?? report.cpus) < 1, !report.textPoke.batches.isEmpty else { return nil }
    return CheckInputError(
      description: "\(report.file): the trace does not say how many CPUs were online and no event names its CPU; give --cpus N to check its \(report.textPoke.batches.count) batches")
  }

  /// Compares one number; `explain(fewer)` names what accounts for a difference, if anything:
  /// a kernel deviation (``DeviationExplanation``) or, with a nil deviation, a trace-side name
  /// (`send-not-traced`), and a note.
  static func compare(
    _ quantity: String, predicted: Int, observed: Int, lowerBound: Bool,
    explain: (_ fewer: Bool) -> (DeviationExplanation?, String?, String?)?
  ) -> CheckItem {
    if predicted == observed {
      return CheckItem(quantity: quantity, predicted: predicted, observed: observed, verdict: .match)
    }
    if let (deviation, traceSide, note) = explain(observed < predicted), let name = deviation?.rawValue ?? traceSide {
      return CheckItem(quantity: quantity, predicted: predicted, observed: observed, verdict: .explained,
                       explanation: name, note: note)
    }
    if lowerBound && observed < predicted {
      return CheckItem(quantity: quantity, predicted: predicted, observed: observed, verdict: .explained,
                       explanation: "lost-events", note: "the trace lost events: observed counts are lower bounds")
    }
    let direction = observed > predicted ? "more" : "fewer"
    return CheckItem(quantity: quantity, predicted: predicted, observed: observed, verdict: .unexplained,
                     note: "\(observed - predicted > 0 ? "+" : "")\(observed - predicted): \(direction) than the protocol sends")
  }
}

/// A trace that `check` cannot judge (a fact the model needs is missing), printed as one line.
public struct CheckInputError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(description: String) { self.description = description }
}
