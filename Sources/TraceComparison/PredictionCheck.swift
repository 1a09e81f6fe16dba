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

  public static func < (lhs: Verdict, rhs: Verdict) -> Bool {
    let order: [Verdict] = [.match, .explained, .unexplained]
    return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
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

/// `pokestat check`: every batch of a trace against the reference model.
public struct CheckReport: Codable, Sendable, Equatable {
  public var file: String
  public var kernel: String
  public var cpus: Int
  /// The model's prediction for one batch of the observed size (or of an unknown size: one
  /// batch of 5-byte jump patches).
  public var predictionPerBatch: PatchPrediction
  public var batches: [BatchCheck]
  public var verdict: Verdict
  /// Counts are lower bounds because events were lost.
  public var countsAreLowerBounds: Bool
  /// Why some parameters were assumed (no kernel version in the trace, entries unknown...).
  public var assumptions: [String]

  enum CodingKeys: String, CodingKey {
    case file, kernel, cpus, batches, verdict, assumptions
    case predictionPerBatch = "prediction_per_batch"
    case countsAreLowerBounds = "counts_are_lower_bounds"
  }
}

/// Compares an ``AnalysisReport`` with ``X86TextPoke`` predictions, batch by batch.
public enum PredictionCheck {
  /// Checks every text_poke batch of `report`.
  ///
  /// - Parameters:
  ///   - kernel: the traced kernel (the trace's uname when nil is given and it has one).
  ///   - cpus: online CPUs (the trace's CPU count when nil).
  public static func check(_ report: AnalysisReport, kernel: KernelVersion?, cpus: Int?) -> CheckReport {
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
    let reference = X86TextPoke.predictJumpLabel(entryRuns: [1], kernel: kernelVersion, onlineCPUs: online)
    var checks: [BatchCheck] = []
    for (index, batch) in report.textPoke.batches.enumerated() {
      let prediction = X86TextPoke.predictJumpLabel(entryRuns: [batch.entries ?? 1], kernel: kernelVersion, onlineCPUs: online)
      if batch.entries == nil, !assumptions.contains(where: { $0.hasPrefix("entries") }) {
        assumptions.append("entries per batch not recorded: each batch checked as one vector of 5-byte jump patches")
      }
      // A batch the model splits (more entries than a vector holds) shows up as several
      // observed batches; compare one observed call with one predicted batch.
      let predictedSyncs = prediction.batchList.first?.syncs ?? 0
      var items: [CheckItem] = []
      let otherCPUs = (0..<online).filter { $0 != batch.cpu }
      items.append(compare("syncs", predicted: predictedSyncs, observed: batch.syncs, lowerBound: report.countsAreLowerBounds) { fewer in
        // A sync to one idle, polling CPU sends nothing at all (the single-target path of
        // two-CPU machines); with more recipients all of them would have to be polling at once.
        guard fewer, otherCPUs.count == 1, batch.idleCPUs.contains(otherCPUs[0]) else { return nil }
        return (.idlePollingWakeWithoutIPI, "every other CPU was idle: a polling idle CPU is woken without an IPI")
      })
      for cpu in 0..<online where cpu != batch.cpu {
        let observed = batch.receivedPerCPU[String(cpu)] ?? 0
        let other = batch.otherReceivedPerCPU[String(cpu)] ?? 0
        items.append(compare("ipis_received cpu\(cpu)", predicted: predictedSyncs, observed: observed,
                             lowerBound: report.countsAreLowerBounds) { fewer in
          guard fewer else { return nil }
          if other > 0 { return (.callSingleQueueAlreadyPending, "cpu\(cpu) took \(other) other call-function interrupt(s) during the batch") }
          // Left out of a sync the others got: idle polling. Short together with a missing
          // sync: part of that sync, not explained here.
          if batch.idleCPUs.contains(cpu), batch.syncs >= predictedSyncs || otherCPUs.count == 1 {
            return (.idlePollingWakeWithoutIPI, "cpu\(cpu) was idle during the batch")
          }
          return nil
        })
      }
      for (cpu, count) in batch.unattributedReceivedPerCPU.sorted(by: { $0.key < $1.key }) where count > 0 {
        items.append(CheckItem(quantity: "unattributed_ipis cpu\(cpu)", predicted: 0, observed: count,
                               verdict: .unexplained,
                               note: "call-function IPIs received during the batch that no traced send explains"))
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
    return CheckReport(
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

  /// Compares one number; `explain(fewer)` names the deviation that accounts for a difference, if any.
  static func compare(
    _ quantity: String, predicted: Int, observed: Int, lowerBound: Bool,
    explain: (_ fewer: Bool) -> (DeviationExplanation, String?)?
  ) -> CheckItem {
    if predicted == observed {
      return CheckItem(quantity: quantity, predicted: predicted, observed: observed, verdict: .match)
    }
    if let (explanation, note) = explain(observed < predicted) {
      return CheckItem(quantity: quantity, predicted: predicted, observed: observed, verdict: .explained,
                       explanation: explanation.rawValue, note: note)
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
