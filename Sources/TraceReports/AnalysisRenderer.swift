import Foundation
import TraceAnalysis

/// Renders an ``AnalysisReport`` as a terminal table, Markdown (for a cover letter), JSON or CSV.
public enum AnalysisRenderer {
  public static func render(_ report: AnalysisReport, as format: ReportFormat) throws -> String {
    switch format {
    case .json: return try json(report)
    case .csv: return csv(report)
    case .markdown: return text(report, markdown: true)
    case .table: return text(report, markdown: false)
    }
  }

  /// The JSON contract of docs/analysis-json.md, keys sorted, pretty-printed.
  public static func json<T: Encodable>(_ value: T) throws -> String {
    try ReportJSON.encode(value)
  }

  /// One row per batch, then one per flip (`kind` tells them apart).
  public static func csv(_ report: AnalysisReport) -> String {
    var lines = ["kind,index,key,start_ns,duration_ns,entries,syncs,ipis_sent,ipis_received,duration_source"]
    for (index, batch) in report.textPoke.batches.enumerated() {
      lines.append("batch,\(index),,\(batch.startNs),\(batch.durationNs.map(String.init) ?? ""),\(batch.entries.map(String.init) ?? ""),\(batch.syncs),\(batch.ipisSent),\(batch.ipisReceived),\(batch.durationSource)")
    }
    for (index, flip) in report.flips.enumerated() {
      let key = (flip.key ?? "") + (flip.value.map { "=\($0)" } ?? "")
      lines.append("flip,\(index),\(key),\(flip.startNs),\(flip.endNs - flip.startNs),,\(flip.syncs),\(flip.ipisSent),\(flip.ipisReceived),\(flip.boundary)")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  // MARK: - Text

  static func microseconds(_ nanoseconds: UInt64?) -> String {
    guard let nanoseconds else { return "-" }
    return String(format: "%.1f", Double(nanoseconds) / 1000)
  }

  static func table(_ header: [String], _ rows: [[String]], markdown: Bool) -> String {
    if markdown {
      var out = "| " + header.joined(separator: " | ") + " |\n"
      out += "|" + header.map { _ in "---:" }.joined(separator: "|") + "|\n"
      for row in rows { out += "| " + row.joined(separator: " | ") + " |\n" }
      return out
    }
    var widths = header.map(\.count)
    for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { String(repeating: " ", count: widths[$0.offset] - $0.element.count) + $0.element }
        .joined(separator: "  ")
    }
    return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
      .joined(separator: "\n") + "\n"
  }

  static func text(_ report: AnalysisReport, markdown: Bool) -> String {
    let heading = markdown ? "### " : ""
    var out = ""
    let cpuCount: String
    if report.cpus == 0 {
      cpuCount = "CPU count unknown (no event names its CPU)"
    } else if report.cpusInferred {
      cpuCount = report.interrupts != nil
        ? "\(report.cpus) CPUs (inferred: the widest function-call row; the header names fewer)"
        : "\(report.cpus) CPUs (inferred: highest CPU seen + 1; the trace does not say)"
    } else {
      cpuCount = "\(report.cpus) CPUs"
    }
    out += "\(heading)\(report.file): \(report.format), kernel \(report.kernel ?? "unknown"), \(cpuCount), \(report.events) events\n"
    if report.eventsWithoutCPU > 0 {
      out += "\(report.eventsWithoutCPU) events name no CPU (counted as cpu?).\n"
    }
    if report.countsAreLowerBounds {
      out += "WARNING: \(report.lostEvents) events were lost (per CPU: \(report.lostEventsPerCPU.sorted { $0.key < $1.key }.map { "cpu\($0.key)=\($0.value)" }.joined(separator: " "))): every count below is a lower bound.\n"
    }
    if let skipped = report.skippedLines { out += "--lenient: \(skipped) malformed lines skipped.\n" }
    out += "\n\(heading)IPIs (\(report.ipi.sources.joined(separator: ", ")))\n"
    var cpus = (0..<report.cpus).map(String.init)
    // The unknown CPU (perf script without [cpu]) gets its own row and column when it has counts.
    let unknown = CPUNumber.unknownKey
    if report.ipi.sentPerCPU[unknown] != nil || report.ipi.receivedPerCPU[unknown] != nil
      || report.ipi.matrix.values.contains(where: { $0[unknown] != nil })
    {
      cpus.append(unknown)
    }
    func label(_ cpu: String) -> String { cpu == unknown ? "cpu?" : "cpu\(cpu)" }
    var rows: [[String]] = []
    for sender in cpus {
      let row = report.ipi.matrix[sender] ?? [:]
      rows.append([label(sender), String(report.ipi.sentPerCPU[sender] ?? 0), String(report.ipi.receivedPerCPU[sender] ?? 0),
                   String(report.textPoke.receivedPerCPU[sender] ?? 0)] + cpus.map { String(row[$0] ?? 0) })
    }
    rows.append(["total", String(report.ipi.sent), String(report.ipi.received), String(report.textPoke.ipisReceived)]
                + cpus.map { _ in "" })
    out += table(["cpu", "sent", "received", "text_poke rcvd"] + cpus.map { "to \(label($0))" }, rows, markdown: markdown)
    if report.ipi.sendsWithUnknownTargets > 0 {
      out += "\(report.ipi.sendsWithUnknownTargets) sends had no recorded targets; their targets were taken from the receptions that followed.\n"
    }

    out += "\n\(heading)text_poke: \(report.textPoke.syncs) syncs, \(report.textPoke.ipisSent) IPIs sent, \(report.textPoke.ipisReceived) received, in \(report.textPoke.batches.count) batches (attributed by \(report.textPoke.attribution.isEmpty ? "nothing: no text_poke sends seen" : report.textPoke.attribution.joined(separator: " + ")))\n"
    if let note = report.textPoke.note { out += "note: \(note)\n" }
    if !report.flips.isEmpty {
      out += "\n\(heading)Flips\n"
      let flipRows = report.flips.enumerated().map { index, flip in
        [String(index + 1), (flip.key ?? "?") + (flip.value.map { "=\($0)" } ?? ""), String(flip.batches), String(flip.syncs),
         String(flip.ipisSent), String(flip.ipisReceived), String(flip.otherIPIsSent),
         microseconds(flip.endNs >= flip.startNs ? flip.endNs - flip.startNs : 0), flip.boundary]
      }
      out += table(["#", "key", "batches", "syncs", "IPIs sent", "IPIs rcvd", "other IPIs", "window us", "bounds"], flipRows, markdown: markdown)
    }
    if !report.textPoke.batches.isEmpty {
      out += "\n\(heading)Batches\n"
      // When several sources timed a batch, each one's duration (they differ by the probes' own cost).
      let perSource = report.textPoke.batches.contains { $0.durations.count > 1 }
      let batchRows = report.textPoke.batches.prefix(50).enumerated().map { index, batch -> [String] in
        var row: [String] = [String(index + 1), batch.pid < 0 ? "-" : "\(batch.comm)-\(batch.pid)", batch.cpu < 0 ? "-" : "cpu\(batch.cpu)",
         batch.entries.map(String.init) ?? "-",
         String(batch.syncs), String(batch.ipisSent), String(batch.ipisReceived), microseconds(batch.durationNs),
         batch.durationSource, batch.sources.joined(separator: "+")]
        if perSource {
          let each: [String] = batch.durations.sorted { $0.key < $1.key }.map { "\($0.key) \(microseconds($0.value))" }
          row.append(each.joined(separator: ", "))
        }
        return row
      }
      out += table(["#", "task", "cpu", "entries", "syncs", "IPIs sent", "IPIs rcvd", "duration us", "from", "seen by"]
                   + (perSource ? ["us per source"] : []), batchRows, markdown: markdown)
      if report.textPoke.batches.count > 50 { out += "(\(report.textPoke.batches.count - 50) more batches in --json / --csv)\n" }
    }
    if !report.topSenders.isEmpty {
      out += "\n\(heading)Top senders\n"
      let senderRows = report.topSenders.prefix(10).map { [String($0.ipis), String($0.sendEvents), $0.textPoke ? "yes" : "", $0.path] }
      out += table(["IPIs", "sends", "text_poke", "path"], senderRows, markdown: markdown)
    }
    if report.int3.totalSamples > 0 {
      let share = 100 * Double(report.int3.samples) / Double(report.int3.totalSamples)
      out += "\n\(heading)int3 handler: \(report.int3.samples) of \(report.int3.totalSamples) samples (\(String(format: "%.2f", share))%)\n"
      for caller in report.int3.callers.prefix(5) { out += "  \(caller.count)  \(caller.name)\n" }
      if let note = report.int3.note { out += "note: \(note)\n" }
    }
    if let perf = report.perfReport {
      out += "\n\(heading)perf report: \(perf.entries) entries" + (perf.event.map { ", event \($0)" } ?? "") + (perf.samples.map { ", \($0) samples" } ?? "") + "\n"
      if perf.int3Symbols.isEmpty {
        out += "int3 handler: not in the report (0.00%)\n"
        for entry in perf.top { out += "  top: \(entry.percent.map { String(format: "%.2f%%", $0) } ?? "-")  \(entry.symbol)\n" }
      } else {
        out += "int3 handler (\(perf.int3Symbols.joined(separator: ", "))): \(String(format: "%.2f", perf.int3Percent))%"
          + (perf.int3SelfPercent.map { String(format: " (self %.2f%%)", $0) } ?? "") + "\n"
        if perf.callers.isEmpty {
          out += perf.hasCallGraph ? "no callers listed under the handler\n" : "no call graph in the report (record with -g for the interrupted callers)\n"
        }
        for caller in perf.callers.prefix(10) {
          out += "  \(caller.percent.map { String(format: "%.2f%%", $0) } ?? "      ")  \(caller.symbol)\n"
        }
      }
    }
    if let series = report.interrupts {
      out += "\n\(heading)/proc/interrupts: \(series.snapshots) snapshots, "
        + (series.rows.isEmpty ? "no function-call IPI row (a uniprocessor kernel has none): no IPIs counted\n" : "rows \(series.rows.joined(separator: "+")) (function-call IPIs received)\n")
      if !series.rows.isEmpty {
      let columns = (series.sinceBootPerCPU.keys.compactMap { Int($0) }.max() ?? -1) + 1
      let cpuKeys = (0..<columns).map(String.init)
      var rows: [[String]] = []
      for (index, interval) in series.intervals.enumerated() {
        rows.append(["\(index + 1)-\(index + 2)"] + cpuKeys.map { interval[$0].map(String.init) ?? "-" })
      }
      if !series.intervals.isEmpty { rows.append(["total"] + cpuKeys.map { series.totalPerCPU[$0].map(String.init) ?? "-" }) }
      rows.append(["since boot"] + cpuKeys.map { series.sinceBootPerCPU[$0].map(String.init) ?? "-" })
      out += table(["snapshots"] + cpuKeys.map { "cpu\($0)" }, rows, markdown: markdown)
      if series.snapshots == 1 { out += "one snapshot: counts since boot only; take several (watch -n1 cat /proc/interrupts) for IPIs per interval\n" }
      }
    }
    if let isolated = report.isolated {
      out += "\n\(heading)Isolated CPUs \(isolated.cpus.map(String.init).joined(separator: ",")): \(isolated.received) IPIs received, \(isolated.textPokeReceived) from text_poke\n"
      for source in isolated.bySource.prefix(10) { out += "  \(source.count)  \(source.name)\n" }
    }
    return out
  }
}
