import TraceAnalysis

extension SampleSet {
  /// The per-batch and per-flip samples of one trace analysis.
  ///
  /// Per batch (unit `batch`): `batch.duration_ns` (batches of known duration), `batch.entries`
  /// (when a probe recorded `nr_entries`), `batch.syncs`, `batch.ipis_sent`,
  /// `batch.ipis_received`. A batch's stratum is the flip whose window holds its start (key and
  /// value when the marker or call chain named them) and its entry count; `batch.entries` itself
  /// is grouped by flip only.
  ///
  /// Per flip (unit `flip`): `flip.batches`, `flip.ipis_sent` (text_poke syncs' IPIs),
  /// `flip.all_ipis_received` (every call-function IPI received on every CPU in the window),
  /// `flip.isolated_ipis_received` (those on the `--isolated` CPUs, when CPUs were named) and
  /// `flip.window_ns` (end − start). A flip's stratum is its key and value.
  public static func analysis(_ report: AnalysisReport, run: Int) -> SampleSet {
    var samples: [Sample] = []
    var notes: [String] = []
    let flips = report.flips
    func flip(at start: UInt64) -> FlipSummary? {
      flips.first { $0.startNs <= start && start <= $0.endNs }
    }
    var unknownEntries = 0
    for batch in report.textPoke.batches {
      let owner = flip(at: batch.startNs)
      let stratum = Stratum(key: owner?.key, value: owner?.value, entries: batch.entries,
                            entriesUnknown: batch.entries == nil)
      let flipOnly = Stratum(key: owner?.key, value: owner?.value, entries: nil)
      if batch.entries == nil { unknownEntries += 1 }
      func add(_ metric: String, _ value: Double, _ stratum: Stratum) {
        samples.append(Sample(metric: metric, unit: .batch, stratum: stratum, run: run, value: value))
      }
      if let duration = batch.durationNs { add("batch.duration_ns", Double(duration), stratum) }
      if let entries = batch.entries { add("batch.entries", Double(entries), flipOnly) }
      add("batch.syncs", Double(batch.syncs), stratum)
      add("batch.ipis_sent", Double(batch.ipisSent), stratum)
      add("batch.ipis_received", Double(batch.ipisReceived), stratum)
    }
    if unknownEntries > 0 {
      notes.append("\(report.file): entries unknown for \(unknownEntries) of \(report.textPoke.batches.count) batches (no nr_entries probe); those are grouped by flip only")
    }
    let unnamed = flips.filter { $0.key == nil }.count
    if unnamed > 0 {
      notes.append("\(report.file): \(unnamed) of \(flips.count) flips name no key (no FLIP_BEGIN marker or call chain naming one)")
    }
    if report.countsAreLowerBounds {
      notes.append("\(report.file): \(report.lostEvents) events lost: per-batch and per-flip counts are lower bounds")
    }
    let isolated = report.isolated?.cpus
    for summary in flips {
      let stratum = Stratum(key: summary.key, value: summary.value, entries: nil)
      func add(_ metric: String, _ value: Double) {
        samples.append(Sample(metric: metric, unit: .flip, stratum: stratum, run: run, value: value))
      }
      add("flip.batches", Double(summary.batches))
      add("flip.ipis_sent", Double(summary.ipisSent))
      add("flip.all_ipis_received", Double(summary.allIPIsReceived))
      if let isolated {
        add("flip.isolated_ipis_received",
            Double(isolated.map { summary.allReceivedPerCPU[String($0)] ?? 0 }.reduce(0, +)))
      }
      add("flip.window_ns", Double(summary.endNs) - Double(summary.startNs))
    }
    return SampleSet(samples: samples, runs: 1, notes: notes)
  }

  /// The batches of a kernel log's `Took N usec` records: `batch.duration_ns` and
  /// `batch.entries`, grouped by the sysctl written before them (when the log shows it) and by
  /// `nr_entries`.
  public static func textPokeLog(_ log: TextPokeLog, file: String, run: Int) -> SampleSet {
    var samples: [Sample] = []
    for record in log.records {
      let stratum = Stratum(key: record.key, value: record.value, entries: record.entries)
      samples.append(Sample(metric: "batch.duration_ns", unit: .batch, stratum: stratum, run: run,
                            value: record.durationNanoseconds))
      samples.append(Sample(metric: "batch.entries", unit: .batch,
                            stratum: Stratum(key: record.key, value: record.value, entries: nil), run: run,
                            value: Double(record.entries)))
    }
    var notes: [String] = []
    if log.records.contains(where: { $0.key == nil }) {
      notes.append("\(file): no `echo V >/proc/sys/...` line before some records: their flip is unknown")
    }
    return SampleSet(samples: samples, runs: 1, notes: notes)
  }
}
