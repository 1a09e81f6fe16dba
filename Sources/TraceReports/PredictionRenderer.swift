import Foundation
import PatchEngine
import TraceModel

// MARK: - Patch sets

/// A patch-set prediction as `pokestat predict patch` reports it: the model's batches, syncs and
/// IPIs, the batch-duration model when int3 traffic was given, and, for an arm64 kernel whose
/// release number does not decide the protocol, the answer under the other backport assumption.
public struct PatchPredictionReport: Sendable, Encodable {
  public var prediction: PatchPrediction
  /// One per batch of ``prediction`` (`--int3-traps-per-second`), else empty.
  public var timing: [BatchDurationPrediction]
  /// The prediction had the backport question been answered the other way (text output only).
  public var otherBackport: PatchPrediction?
  /// Whether the arm64 backport question was answered (by `--arm64-backport` or by the stable
  /// release the kernel version names): the basis then reads "backport:", else "depends on
  /// backport:" (text output only).
  public var backportDecided = false

  public init(prediction: PatchPrediction, timing: [BatchDurationPrediction] = [], otherBackport: PatchPrediction? = nil) {
    self.prediction = prediction
    self.timing = timing
    self.otherBackport = otherBackport
  }

  private enum Keys: String, CodingKey { case batchTiming = "batch_timing" }

  /// The prediction's own keys (docs/analysis-json.md), plus `batch_timing` when there is timing.
  public func encode(to encoder: any Encoder) throws {
    try prediction.encode(to: encoder)
    if !timing.isEmpty {
      var container = encoder.container(keyedBy: Keys.self)
      try container.encode(timing, forKey: .batchTiming)
    }
  }
}

/// Renders the three predictions of `pokestat predict` as text, Markdown, JSON or CSV.
public enum PredictionRenderer {
  /// Batches listed in table and Markdown output; JSON and CSV list all.
  static let shownBatches = 20

  public static func render(_ report: PatchPredictionReport, as format: ReportFormat) throws -> String {
    let p = report.prediction
    switch format {
    case .json: return try ReportJSON.encode(report)
    case .csv:
      var lines = ["batch,run,entries,end,syncs,sync_steps,ipis_per_cpu,ipis_total,int3_handler_ns,refcount,total_us,uncontended_us,wait_per_sync_us,saturated"]
      for (index, batch) in p.batchList.enumerated() {
        let t = index < report.timing.count ? report.timing[index] : nil
        let cells: [String] = [
          "\(batch.index)", "\(batch.run)", "\(batch.entries)", batch.end.rawValue, "\(batch.syncs)",
          batch.syncSteps.map(\.rawValue).joined(separator: " "),
          "\(p.ipiRecipients > 0 ? batch.syncs : 0)", "\(batch.syncs * p.ipiRecipients)",
          batch.int3HandlerNanoseconds.map { String(format: "%.1f", $0) } ?? "",
          t?.refcount.rawValue ?? "", t.map { String(format: "%.1f", $0.totalMicroseconds) } ?? "",
          t.map { String(format: "%.1f", $0.uncontendedMicroseconds) } ?? "",
          t.map { String(format: "%.1f", $0.waitPerSyncMicroseconds) } ?? "", t.map { "\($0.saturated)" } ?? "",
        ]
        lines.append(cells.joined(separator: ","))
      }
      return lines.joined(separator: "\n") + "\n"
    case .table, .markdown:
      let markdown = format == .markdown
      let title = "\(p.architecture) \(p.kernel), \(p.onlineCPUs) CPUs: \(p.patchProtocol.rawValue)"
        + (p.vectorCapacity.map { " (TP_VEC_MAX \($0))" } ?? "")
      var out: String
      if markdown {
        out = "### \(title)\n\n"
        out += AnalysisRenderer.table(
          ["batches", "syncs", "ipis_per_cpu", "ipis_total", "ipi_recipients"],
          [["\(p.batches)", "\(p.syncs)", "\(p.ipisPerCPU)", "\(p.ipisTotal)", "\(p.ipiRecipients)"]], markdown: true)
        out += "\n" + AnalysisRenderer.table(
          ["batch", "run", "entries", "end", "syncs"],
          p.batchList.prefix(shownBatches).map {
            ["\($0.index)", "\($0.run)", "\($0.entries)", $0.end.rawValue,
             $0.syncSteps.isEmpty ? "none" : $0.syncSteps.map(\.rawValue).joined(separator: " ")]
          }, markdown: true)
      } else {
        out = title + "\n"
        out += "batches       \(p.batches)\n"
        out += "syncs         \(p.syncs)\n"
        out += "ipis_per_cpu  \(p.ipisPerCPU)  (each of \(p.ipiRecipients) other CPUs\(p.singleTargetSend ? ", single-target send" : ""))\n"
        out += "ipis_total    \(p.ipisTotal)\n"
        for batch in p.batchList.prefix(shownBatches) {
          out += "  batch \(batch.index): run \(batch.run), \(batch.entries) entries, \(batch.end.rawValue), syncs: "
            + (batch.syncSteps.isEmpty ? "none" : batch.syncSteps.map(\.rawValue).joined(separator: " ")) + "\n"
        }
      }
      if p.batchList.count > shownBatches {
        out += "  … \(p.batchList.count - shownBatches) more batches (--json and --csv list all)\n"
      }
      if markdown && !report.timing.isEmpty { out += "\n" }
      for t in report.timing {
        out += (markdown ? "- " : "  ")
          + String(format: "batch of %d, %@ refcount: %.0f µs (uncontended %.0f µs, wait per sync %.1f µs, line utilisation %.2f%@)",
                   t.entries, t.refcount.rawValue, t.totalMicroseconds, t.uncontendedMicroseconds, t.waitPerSyncMicroseconds,
                   t.lineUtilization, t.saturated ? ", saturated" : "") + "\n"
      }
      if markdown { out += "\n" }
      if let basis = p.basis, report.backportDecided {
        out += "backport: " + basis + "\n"
      } else if let basis = p.basis {
        out += "depends on backport: " + basis + "\n"
        if let other = report.otherBackport {
          out += "  with --arm64-backport \(other.patchProtocol == .arm64KickPerBatch ? "yes" : "no"): \(other.patchProtocol.rawValue), batches \(other.batches), syncs \(other.syncs), ipis_total \(other.ipisTotal)\n"
        }
      }
      out += "explanations a trace may show: " + p.applicableExplanations.map(\.rawValue).joined(separator: ", ") + "\n"
      return out
    }
  }
}

// MARK: - BPF prog pack

/// The BPF prog pack layout of `pokestat predict bpf-pack`, with the NUMA node count it assumed.
public struct BPFPackReport: Sendable, Encodable {
  public var layout: BPFPackPrediction
  public var numaNodes: Int

  public init(layout: BPFPackPrediction, numaNodes: Int) {
    self.layout = layout
    self.numaNodes = numaNodes
  }

  private enum Keys: String, CodingKey { case numaNodes = "numa_nodes" }

  /// The layout's keys plus `numa_nodes`.
  public func encode(to encoder: any Encoder) throws {
    try layout.encode(to: encoder)
    var container = encoder.container(keyedBy: Keys.self)
    try container.encode(numaNodes, forKey: .numaNodes)
  }
}

extension PredictionRenderer {
  /// Table and Markdown: pages and iTLB entries with and without the pack. CSV: one row per program.
  public static func render(_ report: BPFPackReport, as format: ReportFormat) throws -> String {
    let layout = report.layout
    switch format {
    case .json: return try ReportJSON.encode(report)
    case .csv:
      var lines = ["program,jited_bytes,request_bytes,pack,first_chunk,own_pages"]
      for (index, placement) in layout.placements.enumerated() {
        lines.append("\(index),\(placement.jitedBytes),\(placement.requestBytes),\(placement.pack.map(String.init) ?? ""),\(placement.firstChunk.map(String.init) ?? ""),\(placement.ownPages.map(String.init) ?? "")")
      }
      return lines.joined(separator: "\n") + "\n"
    case .markdown:
      return "### \(layout.programs) BPF programs, \(report.numaNodes) NUMA node\(report.numaNodes == 1 ? "" : "s")\n\n"
        + AnalysisRenderer.table(
          ["", "packs", "own 4 KiB pages", "iTLB entries"],
          [["with prog pack", "\(layout.packs) of \(2 * report.numaNodes) MiB", "\(layout.ownAllocationPages)", "\(layout.itlbEntriesWithPack)"],
           ["without prog pack", "-", "\(layout.pagesWithoutPack)", "\(layout.itlbEntriesWithoutPack)"]],
          markdown: true)
    case .table:
      return """
        \(layout.programs) programs
        with prog pack:    \(layout.packs) pack(s) of \(2 * report.numaNodes) MiB, \(layout.ownAllocationPages) own 4 KiB pages, \(layout.itlbEntriesWithPack) iTLB entries
        without prog pack: \(layout.pagesWithoutPack) pages of 4 KiB, \(layout.itlbEntriesWithoutPack) iTLB entries

        """
    }
  }
}

// MARK: - kretprobe

/// The kretprobe misses of a series of bursts, as `pokestat predict kretprobe` and
/// `pokestat kprobes --concurrency` compute them: each burst is that many calls of the probed
/// function in flight at once, and drains before the next (``KretprobeInstances``).
public struct KretprobeBurstsReport: Sendable, Encodable {
  /// One burst: calls in flight at once, and the hits it misses.
  public struct Burst: Sendable, Encodable {
    public var concurrency: Int
    public var missed: Int
  }

  public var kernel: String
  public var possibleCPUs: Int
  public var maxactive: Int
  public var maxactiveIsDefault: Bool
  /// `objpool` (v6.7+) or `global-freelist`.
  public var pool: String
  public var objectsPerCPU: [Int]?
  public var burstList: [Burst]
  /// Predicted `nmissed` after every burst.
  public var nmissed: Int

  /// Predicts every burst of `concurrency` (calls in flight per burst, in order).
  public init(kernel: KernelVersion, possibleCPUs: Int, preemptible: Bool, maxactive: Int?, concurrency: [Int]) {
    let first = KretprobeInstances.predict(
      kernel: kernel, possibleCPUs: possibleCPUs, preemptible: preemptible, maxactive: maxactive, concurrency: 0)
    self.kernel = first.kernel
    self.possibleCPUs = first.possibleCPUs
    self.maxactive = first.maxactive
    self.maxactiveIsDefault = first.maxactiveIsDefault
    self.pool = first.pool
    self.objectsPerCPU = first.objectsPerCPU
    self.burstList = concurrency.map { calls in
      Burst(concurrency: calls, missed: KretprobeInstances.predict(
        kernel: kernel, possibleCPUs: possibleCPUs, preemptible: preemptible, maxactive: maxactive, concurrency: calls).nmissed)
    }
    self.nmissed = burstList.reduce(0) { $0 + $1.missed }
  }

  enum CodingKeys: String, CodingKey {
    case kernel, maxactive, pool, nmissed, bursts
    case possibleCPUs = "possible_cpus"
    case maxactiveIsDefault = "maxactive_is_default"
    case objectsPerCPU = "objects_per_cpu"
    case burstList = "burst_list"
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(kernel, forKey: .kernel)
    try c.encode(possibleCPUs, forKey: .possibleCPUs)
    try c.encode(maxactive, forKey: .maxactive)
    try c.encode(maxactiveIsDefault, forKey: .maxactiveIsDefault)
    try c.encode(pool, forKey: .pool)
    try c.encodeIfPresent(objectsPerCPU, forKey: .objectsPerCPU)
    try c.encode(burstList.count, forKey: .bursts)
    try c.encode(burstList, forKey: .burstList)
    try c.encode(nmissed, forKey: .nmissed)
  }
}

extension PredictionRenderer {
  /// Table: maxactive and pool, the misses of each distinct burst size, nmissed. Markdown and CSV:
  /// one row per burst.
  public static func render(_ report: KretprobeBurstsReport, as format: ReportFormat) throws -> String {
    let title = "kretprobe on \(report.kernel), \(report.possibleCPUs) possible CPUs: maxactive \(report.maxactive)\(report.maxactiveIsDefault ? " (default)" : ""), pool \(report.pool)"
    switch format {
    case .json: return try ReportJSON.encode(report)
    case .csv:
      var lines = ["burst,concurrency,maxactive,missed"]
      for (index, burst) in report.burstList.enumerated() {
        lines.append("\(index),\(burst.concurrency),\(report.maxactive),\(burst.missed)")
      }
      return lines.joined(separator: "\n") + "\n"
    case .markdown:
      return "### \(title)\n\n"
        + AnalysisRenderer.table(
          ["burst", "calls in flight", "missed"],
          report.burstList.enumerated().map { ["\($0.offset)", "\($0.element.concurrency)", "\($0.element.missed)"] }
            + [["total", "", "\(report.nmissed)"]],
          markdown: true)
    case .table:
      var out = title + "\n"
      var seen: Set<Int> = []
      for burst in report.burstList where seen.insert(burst.concurrency).inserted {
        out += "missed per burst of \(burst.concurrency): \(burst.missed)\n"
      }
      out += "nmissed after \(report.burstList.count) burst(s): \(report.nmissed)\n"
      return out
    }
  }
}
