import TraceComparison

/// Renders a ``TraceCheck``: one row per batch, then the differences with their explanations.
public enum CheckRenderer {
  public static func render(_ report: TraceCheck, as format: ReportFormat) throws -> String {
    switch format {
    case .json: return try AnalysisRenderer.json(report)
    case .csv:
      var lines = ["batch,flip,cpu,entries,quantity,predicted,observed,verdict,explanation"]
      for batch in report.batches {
        for item in batch.items {
          lines.append("\(batch.batch),\(batch.flip.map(String.init) ?? ""),\(batch.cpu),\(batch.entries.map(String.init) ?? ""),\(item.quantity),\(item.predicted),\(item.observed),\(item.verdict.rawValue),\(item.explanation ?? "")")
        }
      }
      return lines.joined(separator: "\n") + "\n"
    case .table, .markdown:
      let markdown = format == .markdown
      let prediction = report.predictionPerBatch
      if report.verdict == .noRules {
        var out = "\(markdown ? "### " : "")check \(report.file): kernel \(report.kernel), \(report.cpus) CPUs, architecture \(report.architecture)\n"
        out += "\nverdict: no-rules: \(report.notes.first ?? "no rules for this trace")\n"
        for note in report.notes.dropFirst() { out += "note: \(note)\n" }
        return out
      }
      var out = "\(markdown ? "### " : "")check \(report.file): \(report.architecture), kernel \(report.kernel), \(report.cpus) CPUs, \(prediction.patchProtocol.rawValue)\n"
      out += "model: each batch = \(prediction.batchList.first?.syncs ?? 0) syncs, each an IPI to the \(prediction.ipiRecipients) other CPU(s)\n"
      for note in report.notes { out += "note: \(note)\n" }
      for assumption in report.assumptions { out += "assumed: \(assumption)\n" }
      if report.countsAreLowerBounds { out += "WARNING: events were lost; observed counts are lower bounds.\n" }
      out += "\n"
      let rows = report.batches.map { batch -> [String] in
        let syncs = batch.items.first { $0.quantity == "syncs" }
        let ipis = batch.items.filter { $0.quantity.hasPrefix("ipis_received") }
        let observed = ipis.map { "\($0.observed)" }.joined(separator: "/")
        return [String(batch.batch), batch.flip.map(String.init) ?? "-", "cpu\(batch.cpu)", batch.entries.map(String.init) ?? "-",
                "\(syncs?.predicted ?? 0)/\(syncs?.observed ?? 0)", "\(ipis.first?.predicted ?? 0) each: \(observed)",
                AnalysisRenderer.microseconds(batch.observedDurationNs), batch.verdict.rawValue]
      }
      out += AnalysisRenderer.table(["batch", "flip", "cpu", "entries", "syncs pred/obs", "IPIs per other CPU", "duration us", "verdict"],
                                    rows, markdown: markdown)
      let differences = report.batches.flatMap { batch in batch.items.filter { $0.verdict != .match }.map { (batch, $0) } }
      if !differences.isEmpty, report.verdict != .noIPISource {
        out += "\n\(markdown ? "### " : "")Differences\n"
        for (batch, item) in differences {
          let why = item.explanation.map { "explained: \($0)" } ?? "UNEXPLAINED"
          out += "batch \(batch.batch)\(batch.flip.map { " (flip \($0))" } ?? ""): \(item.quantity) predicted \(item.predicted), observed \(item.observed): \(why)\(item.note.map { " (\($0))" } ?? "")\n"
        }
      }
      let counts = Dictionary(grouping: report.batches, by: \.verdict).mapValues(\.count)
      if report.verdict == .noBatches || report.verdict == .noIPISource {
        out += "\nverdict: \(report.verdict.rawValue): \(report.notes.last ?? "nothing was checked")\n"
      } else if report.batches.isEmpty {
        out += "\nverdict: \(report.verdict.rawValue) (no batch, as this kernel's rules predict)\n"
      } else {
        out += "\nverdict: \(report.verdict.rawValue) (\(counts[.match] ?? 0) batches match, \(counts[.explained] ?? 0) explained, \(counts[.unexplained] ?? 0) unexplained)\n"
      }
      return out
    }
  }
}
