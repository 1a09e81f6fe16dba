import Foundation
import TraceAnalysis
import TraceComparison

/// Renders a ``Comparison`` as one self-contained HTML page: the table, then inline SVG plots
/// (per-CPU IPI bars, batch-duration distributions and per-flip timelines when traces were
/// compared, every metric as grouped bars relative to its before value). No script, no
/// network: the page opens from a mail attachment.
public enum ComparisonHTML {
  /// The trace analyses behind each side, for the plots; empty when no traces were compared.
  public struct Traces: Sendable {
    public var before: [AnalysisReport]
    public var after: [AnalysisReport]
    public init(before: [AnalysisReport], after: [AnalysisReport]) {
      self.before = before
      self.after = after
    }
  }

  static let beforeColor = "#4477aa"
  static let afterColor = "#ee7733"

  public static func render(_ comparison: Comparison, traces: Traces = Traces(before: [], after: []), title: String = "pokestat compare") -> String {
    var body = "<h1>\(escape(title))</h1>\n"
    body += "<p class=sides><span class=swatch style=\"background:\(beforeColor)\"></span> before: \(escape(comparison.before.files.joined(separator: ", "))) (\(comparison.before.runs) run\(comparison.before.runs == 1 ? "" : "s"))<br>"
    body += "<span class=swatch style=\"background:\(afterColor)\"></span> after: \(escape(comparison.after.files.joined(separator: ", "))) (\(comparison.after.runs) run\(comparison.after.runs == 1 ? "" : "s"))</p>\n"
    body += table(comparison)
    if !traces.before.isEmpty, !traces.after.isEmpty {
      body += "<h2>IPIs received per CPU (mean per run)</h2>\n" + perCPUBars(traces)
      body += "<h2>text_poke batch durations</h2>\n" + durationDistributions(traces)
      body += "<h2>Per-flip IPIs sent (text_poke syncs)</h2>\n" + flipTimeline(traces)
    }
    if !comparison.groups.isEmpty {
      body += "<h2>Per group: every batch and flip is a sample</h2>\n" + groupTable(comparison)
      body += "<p class=note>shift: Hodges-Lehmann estimate of after − before with its distribution-free 95% interval; ratio: median after / median before with a percentile bootstrap 95% interval (\(Statistics.defaultResamples) resamples, seed \(Statistics.defaultSeed)); p: two-sided Mann-Whitney U.</p>\n"
      for (metric, rows) in groupsByMetric(comparison.groups) {
        body += "<h3>\(escape(metric)) per group</h3>\n" + groupDistributions(rows)
      }
    }
    let oneSided = comparison.groupsOnlyBefore.map { ("before", $0) } + comparison.groupsOnlyAfter.map { ("after", $0) }
    for (side, group) in oneSided {
      body += "<p class=note>Only \(side): \(escape(group.metric)) \(escape(group.group.label)) (n = \(group.n))</p>\n"
    }
    body += "<h2>Every metric, after relative to before (before = 100%)</h2>\n" + relativeBars(comparison)
    for note in comparison.notes { body += "<p class=note>Note: \(escape(note))</p>\n" }
    return """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
      <style>
      body { font: 14px/1.4 sans-serif; margin: 24px; color: #222; background: #fff; }
      table { border-collapse: collapse; margin: 12px 0; }
      th, td { border: 1px solid #ccc; padding: 3px 8px; }
      td.num { text-align: right; font-family: monospace; white-space: nowrap; }
      td { vertical-align: top; } td.verdict { white-space: nowrap; }
      tr.better td.verdict { color: #1a7f37; } tr.worse td.verdict { color: #b42318; }
      .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }
      svg { display: block; margin: 8px 0 20px; background: #fafafa; border: 1px solid #ddd; }
      svg text { font: 11px sans-serif; fill: #333; }
      .note { color: #555; }
      </style></head><body>
      \(body)</body></html>

      """
  }

  // MARK: - Table

  static func table(_ comparison: Comparison) -> String {
    var out = "<table><tr><th>metric</th><th>before</th><th>after</th><th>change</th><th>verdict</th><th>noise</th></tr>\n"
    for metric in comparison.metrics {
      let spreadBefore = metric.statistics.map { " [\(ComparisonRenderer.number($0.before.q1))–\(ComparisonRenderer.number($0.before.q3))]" } ?? ""
      let spreadAfter = metric.statistics.map { " [\(ComparisonRenderer.number($0.after.q1))–\(ComparisonRenderer.number($0.after.q3))]" } ?? ""
      out += "<tr class=\"\(metric.verdict?.rawValue ?? "")\"><td>\(escape(metric.name))</td>"
      out += "<td class=num>\(ComparisonRenderer.number(metric.before))\(spreadBefore)</td>"
      out += "<td class=num>\(ComparisonRenderer.number(metric.after))\(spreadAfter)</td>"
      out += "<td class=num>\(ComparisonRenderer.percent(metric.changePercent))</td>"
      out += "<td class=verdict>\(escape(ComparisonRenderer.verdictText(metric)))</td>"
      out += "<td>\(escape(metric.noise))</td></tr>\n"
    }
    return out + "</table>\n"
  }

  static func groupTable(_ comparison: Comparison) -> String {
    var out = "<table><tr><th>metric</th><th>group</th><th>n</th><th>before median [IQR]</th><th>after median [IQR]</th><th>change</th><th>shift [95% CI]</th><th>ratio [95% CI]</th><th>p</th><th>decision</th></tr>\n"
    for row in comparison.groups {
      out += "<tr class=\"\(row.test.beyondNoise ? row.verdict?.rawValue ?? "" : "")\"><td>\(escape(row.metric))</td><td>\(escape(row.groupLabel))</td>"
      out += "<td class=num>\(row.before.samples.n) vs \(row.after.samples.n) \(ComparisonRenderer.unitName(row.unit, 2))</td>"
      out += "<td class=num>\(ComparisonRenderer.number(row.before.median)) [\(ComparisonRenderer.number(row.before.q1))–\(ComparisonRenderer.number(row.before.q3))]</td>"
      out += "<td class=num>\(ComparisonRenderer.number(row.after.median)) [\(ComparisonRenderer.number(row.after.q1))–\(ComparisonRenderer.number(row.after.q3))]</td>"
      out += "<td class=num>\(ComparisonRenderer.percent(row.changePercent))</td>"
      out += "<td class=num>\(escape(ComparisonRenderer.estimateText(row.test.shift)))</td>"
      out += "<td class=num>\(escape(ComparisonRenderer.estimateText(row.test.ratioOfMedians)))</td>"
      out += "<td class=num>\(ComparisonRenderer.pText(row.test.mannWhitney.p))</td>"
      out += "<td class=verdict title=\"\(escape(row.test.summary))\">\(escape(ComparisonRenderer.shortDecision(row)))</td></tr>\n"
    }
    return out + "</table>\n"
  }

  // MARK: - Plots

  /// Rows grouped by metric, in row order.
  static func groupsByMetric(_ rows: [GroupComparison]) -> [(String, [GroupComparison])] {
    var order: [String] = []
    var byMetric: [String: [GroupComparison]] = [:]
    for row in rows {
      if byMetric[row.metric] == nil { order.append(row.metric) }
      byMetric[row.metric, default: []].append(row)
    }
    return order.map { ($0, byMetric[$0]!) }
  }

  /// Two rows of dots per group (before, after) on one shared axis (log when every value is
  /// positive and they span more than 20×), each with its quartile box and median, and the
  /// group's shift and ratio intervals and p beside it.
  static func groupDistributions(_ rows: [GroupComparison]) -> String {
    let all = rows.flatMap { $0.beforeValues + $0.afterValues }
    guard let lowest = all.min(), let highest = all.max() else { return "" }
    let logScale = lowest > 0 && highest / lowest > 20
    let lo = lowest, hi = highest > lowest ? highest : lowest + max(abs(lowest) * 0.01, 1)
    let width = 1000, left = 230, right = 30, lane = 22, gap = 16, top = 10
    let groupHeight = lane * 2 + gap + 14
    let height = top + groupHeight * rows.count + 40
    func x(_ value: Double) -> Double {
      let fraction = logScale ? (log10(value) - log10(lo)) / (log10(hi) - log10(lo)) : (value - lo) / (hi - lo)
      return Double(left) + fraction * Double(width - left - right)
    }
    var svg = "<svg width=\(width) height=\(height) viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    for (index, row) in rows.enumerated() {
      let base = top + groupHeight * index
      let note = "shift \(ComparisonRenderer.estimateText(row.test.shift)), ratio \(ComparisonRenderer.estimateText(row.test.ratioOfMedians)), p = \(ComparisonRenderer.pText(row.test.mannWhitney.p)), n = \(row.before.samples.n) vs \(row.after.samples.n)"
      svg += "<text x=4 y=\(base + 12)>\(escape(String(row.groupLabel.prefix(36))))</text>"
      svg += "<text x=\(left) y=\(base + 12)>\(escape(note))</text>\n"
      for (lane0, values, summary, color, side) in [(0, row.beforeValues, row.before, beforeColor, "before"), (1, row.afterValues, row.after, afterColor, "after")] {
        let y = Double(base + 14 + lane * lane0 + lane / 2 + 4)
        svg += "<text x=\(left - 6) y=\(fmt(y + 4)) text-anchor=end>\(side)</text>"
        svg += "<rect x=\(fmt(x(summary.q1))) y=\(fmt(y - 8)) width=\(fmt(max(x(summary.q3) - x(summary.q1), 1))) height=16 fill=\"\(color)\" fill-opacity=0.2 stroke=\"\(color)\"/>"
        svg += "<line x1=\(fmt(x(summary.median))) x2=\(fmt(x(summary.median))) y1=\(fmt(y - 10)) y2=\(fmt(y + 10)) stroke=\"\(color)\" stroke-width=3><title>\(side) median \(ComparisonRenderer.number(summary.median))</title></line>"
        for (position, value) in values.enumerated() {
          let jitter = Double(position % 5 - 2) * 2
          svg += "<circle cx=\(fmt(x(value))) cy=\(fmt(y + jitter)) r=3 fill=\"\(color)\" fill-opacity=0.7><title>\(ComparisonRenderer.number(value))</title></circle>"
        }
        svg += "\n"
      }
    }
    svg += valueAxis(
      y: top + groupHeight * rows.count + 6, lo: lo, hi: hi, logScale: logScale, x: x, left: left, right: right,
      width: width, labelScale: 100, title: escape(rows[0].metric))
    return svg + "</svg>\n"
  }

  /// The horizontal value axis under a dot plot: decades on a log scale, five steps otherwise;
  /// tick labels rounded to 1/`labelScale`, then `title` (and "(log scale)") at the right.
  static func valueAxis(
    y axisY: Int, lo: Double, hi: Double, logScale: Bool, x: (Double) -> Double, left: Int, right: Int, width: Int,
    labelScale: Double, title: String
  ) -> String {
    var svg = "<line x1=\(left) x2=\(width - right) y1=\(axisY) y2=\(axisY) stroke=\"#999\"/>"
    var ticks: [Double] = []
    if logScale {
      var exponent = floor(log10(lo))
      while exponent <= ceil(log10(hi)) {
        let tick = pow(10.0, exponent)
        if tick >= lo / 1.0001, tick <= hi * 1.0001 { ticks.append(tick) }
        exponent += 1
      }
    } else {
      for step in 0...4 { ticks.append(lo + (hi - lo) * Double(step) / 4) }
    }
    for tick in ticks {
      svg += "<line x1=\(fmt(x(tick))) x2=\(fmt(x(tick))) y1=\(axisY) y2=\(axisY + 5) stroke=\"#999\"/><text x=\(fmt(x(tick))) y=\(axisY + 18) text-anchor=middle>\(ComparisonRenderer.number((tick * labelScale).rounded() / labelScale))</text>"
    }
    return svg + "<text x=\(width - right) y=\(axisY + 32) text-anchor=end>\(title)\(logScale ? " (log scale)" : "")</text>"
  }

  /// Grouped vertical bars: one group per label, one bar per series (before, after).
  static func groupedBars(
    labels: [String], before: [Double], after: [Double], unit: String, width: Int = 1000, cap: Double? = nil
  ) -> String {
    let longestLabel = min(labels.map(\.count).max() ?? 0, 40)
    let bottom = 20 + Int(Double(longestLabel) * 4.5), top = 24, left = 60 + min(longestLabel * 4, 120)
    let height = 200 + bottom + top
    let plotWidth = width - left - 20, plotHeight = height - bottom - top
    let maxValue = niceCeiling(max(min(cap ?? .infinity, (before + after).max() ?? 1), 1e-12))
    let group = Double(plotWidth) / Double(max(labels.count, 1))
    let bar = min(40, group * 0.38)
    var svg = "<svg width=\(width) height=\(height) viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    for tick in 0...4 {
      let value = maxValue * Double(tick) / 4
      let y = Double(top) + Double(plotHeight) * (1 - Double(tick) / 4)
      svg += "<line x1=\(left) x2=\(width - 20) y1=\(fmt(y)) y2=\(fmt(y)) stroke=\"#ddd\"/>"
      svg += "<text x=\(left - 4) y=\(fmt(y + 4)) text-anchor=end>\(escape(ComparisonRenderer.number(round(value * 100) / 100)))</text>\n"
    }
    for (index, label) in labels.enumerated() {
      let x0 = Double(left) + group * Double(index) + group / 2
      for (offset, values, color, side) in [(-bar - 1, before, beforeColor, "before"), (1.0, after, afterColor, "after")] {
        let raw = index < values.count ? values[index] : 0
        let value = cap.map { Swift.min(raw, $0) } ?? raw
        let h = Double(plotHeight) * value / maxValue
        if let cap, raw > cap {
          svg += "<text x=\(fmt(x0 + offset + bar / 2)) y=\(fmt(Double(top + plotHeight) - h - 4)) text-anchor=middle>\(escape(ComparisonRenderer.number(raw.rounded())))</text>"
        }
        svg += "<rect x=\(fmt(x0 + offset)) y=\(fmt(Double(top + plotHeight) - h)) width=\(fmt(bar)) height=\(fmt(max(h, 0.5))) fill=\"\(color)\"><title>\(escape(label)) \(side): \(ComparisonRenderer.number(value)) \(escape(unit))</title></rect>"
      }
      let labelY = top + plotHeight + 14
      svg += "<text x=\(fmt(x0)) y=\(labelY) text-anchor=end transform=\"rotate(-40 \(fmt(x0)) \(labelY))\">\(escape(String(label.prefix(40))))</text>\n"
    }
    svg += "<text x=\(left) y=12>\(escape(unit))</text>"
    return svg + "</svg>\n"
  }

  static func meanPerCPU(_ reports: [AnalysisReport], cpus: Int) -> [Double] {
    (0..<cpus).map { cpu in
      Double(reports.map { $0.ipi.receivedPerCPU[String(cpu)] ?? 0 }.reduce(0, +)) / Double(max(reports.count, 1))
    }
  }

  static func perCPUBars(_ traces: Traces) -> String {
    let cpus = (traces.before + traces.after).map(\.cpus).max() ?? 0
    guard cpus > 0 else { return "<p class=note>No CPUs in the traces.</p>\n" }
    return groupedBars(labels: (0..<cpus).map { "cpu\($0)" }, before: meanPerCPU(traces.before, cpus: cpus),
                       after: meanPerCPU(traces.after, cpus: cpus), unit: "IPIs received")
  }

  /// One row per side: every batch duration as a dot on a shared (log when wide) axis, with the
  /// median marked and the quartiles as a box.
  static func durationDistributions(_ traces: Traces) -> String {
    let before = traces.before.flatMap { $0.textPoke.batches.compactMap(\.durationNs) }.map { Double($0) / 1000 }
    let after = traces.after.flatMap { $0.textPoke.batches.compactMap(\.durationNs) }.map { Double($0) / 1000 }
    guard !before.isEmpty || !after.isEmpty else { return "<p class=note>No batch of known duration in either trace.</p>\n" }
    let all = before + after
    let lo = max(all.min()!, 1e-3), hi = max(all.max()!, lo * 1.01)
    let logScale = hi / lo > 20
    let width = 1000, left = 70, right = 30, rowHeight = 60, top = 20
    let height = top + rowHeight * 2 + 50
    func x(_ value: Double) -> Double {
      let fraction = logScale ? (log10(max(value, lo)) - log10(lo)) / (log10(hi) - log10(lo)) : (value - lo) / (hi - lo)
      return Double(left) + fraction * Double(width - left - right)
    }
    var svg = "<svg width=\(width) height=\(height) viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    for (row, values, color, side) in [(0, before, beforeColor, "before"), (1, after, afterColor, "after")] {
      let y = Double(top + rowHeight * row + rowHeight / 2)
      svg += "<text x=\(left - 6) y=\(fmt(y + 4)) text-anchor=end>\(side)</text>"
      guard !values.isEmpty else { continue }
      let q1 = Statistics.quantile(values, 0.25), median = Statistics.median(values), q3 = Statistics.quantile(values, 0.75)
      svg += "<rect x=\(fmt(x(q1))) y=\(fmt(y - 14)) width=\(fmt(max(x(q3) - x(q1), 1))) height=28 fill=\"\(color)\" fill-opacity=0.2 stroke=\"\(color)\"/>"
      svg += "<line x1=\(fmt(x(median))) x2=\(fmt(x(median))) y1=\(fmt(y - 18)) y2=\(fmt(y + 18)) stroke=\"\(color)\" stroke-width=3><title>\(side) median \(ComparisonRenderer.number(median)) µs</title></line>"
      for (index, value) in values.enumerated() {
        let jitter = Double(index % 7 - 3) * 2.5
        svg += "<circle cx=\(fmt(x(value))) cy=\(fmt(y + jitter)) r=3.5 fill=\"\(color)\" fill-opacity=0.8><title>\(ComparisonRenderer.number(value)) µs</title></circle>"
      }
      svg += "\n"
    }
    svg += valueAxis(
      y: top + rowHeight * 2 + 8, lo: lo, hi: hi, logScale: logScale, x: x, left: left, right: right, width: width,
      labelScale: 10, title: "batch duration, µs")
    return svg + "</svg>\n"
  }

  /// IPIs sent by each flip, in flip order, one polyline per run.
  static func flipTimeline(_ traces: Traces) -> String {
    let series = traces.before.map { ($0.flips.map { Double($0.ipisSent) }, beforeColor, "before " + $0.file) }
      + traces.after.map { ($0.flips.map { Double($0.ipisSent) }, afterColor, "after " + $0.file) }
    let longest = series.map(\.0.count).max() ?? 0
    guard longest > 0 else { return "<p class=note>No flips in either trace.</p>\n" }
    let maxValue = niceCeiling(max(series.flatMap(\.0).max() ?? 1, 1))
    let width = 1000, height = 240, left = 60, right = 20, top = 20, bottom = 40
    let plotWidth = Double(width - left - right), plotHeight = Double(height - top - bottom)
    func x(_ index: Int) -> Double { Double(left) + (longest == 1 ? plotWidth / 2 : plotWidth * Double(index) / Double(longest - 1)) }
    func y(_ value: Double) -> Double { Double(top) + plotHeight * (1 - value / maxValue) }
    var svg = "<svg width=\(width) height=\(height) viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    for tick in 0...4 {
      let value = maxValue * Double(tick) / 4
      svg += "<line x1=\(left) x2=\(width - right) y1=\(fmt(y(value))) y2=\(fmt(y(value))) stroke=\"#ddd\"/><text x=\(left - 4) y=\(fmt(y(value) + 4)) text-anchor=end>\(ComparisonRenderer.number(value))</text>"
    }
    for (values, color, name) in series {
      let points = values.enumerated().map { "\(fmt(x($0.offset))),\(fmt(y($0.element)))" }.joined(separator: " ")
      svg += "<polyline points=\"\(points)\" fill=none stroke=\"\(color)\" stroke-width=1.5 stroke-opacity=0.7><title>\(escape(name))</title></polyline>"
      for (index, value) in values.enumerated() {
        svg += "<circle cx=\(fmt(x(index))) cy=\(fmt(y(value))) r=3 fill=\"\(color)\"><title>\(escape(name)) flip \(index + 1): \(ComparisonRenderer.number(value)) IPIs</title></circle>"
      }
      svg += "\n"
    }
    svg += "<text x=\(width - right) y=\(height - 8) text-anchor=end>flip number (1 to \(longest))</text><text x=\(left) y=12>IPIs sent per flip</text>"
    return svg + "</svg>\n"
  }

  /// Every metric as a pair of bars: before at 100%, after relative to it (capped at 300%).
  static func relativeBars(_ comparison: Comparison) -> String {
    let metrics = comparison.metrics.filter { $0.before != 0 }.prefix(40)
    guard !metrics.isEmpty else { return "<p class=note>No metric with a non-zero before value.</p>\n" }
    let after = metrics.map { $0.after / $0.before * 100 }
    return groupedBars(labels: metrics.map(\.name), before: metrics.map { _ in 100 }, after: Array(after),
                       unit: "% of before (bars above 300% are cut; the number says how far)",
                       width: max(1000, 60 + 34 * metrics.count), cap: 300)
  }

  // MARK: - Helpers

  /// The smallest 1, 2, 2.5 or 5 × 10^k at or above `value`, so axis ticks at quarters are round.
  static func niceCeiling(_ value: Double) -> Double {
    guard value > 0, value.isFinite else { return 1 }
    let power = pow(10, floor(log10(value)))
    for step in [1.0, 2.0, 2.5, 4.0, 5.0, 10.0] where step * power >= value * (1 - 1e-12) { return step * power }
    return 10 * power
  }

  static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }

  static func escape(_ text: String) -> String {
    var out = ""
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      default: out.append(character)
      }
    }
    return out
  }
}
