import Foundation
import TraceAnalysis
import TraceComparison

/// Renders ``AnalysisReport``s as one self-contained HTML page in the style of
/// ``ComparisonHTML``: per input, a per-CPU IPI heatmap (sender × target), a batch timeline
/// (batches as bars, IPI sends as ticks on their sender's lane, flips shaded) and the batch
/// duration distribution, all inline SVG. No script, no network.
///
/// Every drawn element carries a class and its number as data attributes, so tests (and
/// readers with devtools) can count them: `rect.cell` (`data-ipis`), `rect.batch`,
/// `line.tick` (`tp` for text_poke syncs, `other`), `rect.flip`, `rect.bin` (`data-batches`).
public enum AnalysisHTML {
  /// One input: its analysis and its sends in time order (``IPIAnalyzer/timelineSends``).
  public struct Input: Sendable {
    public var report: AnalysisReport
    public var sends: [TimelineSend]
    public var host: String?
    public init(report: AnalysisReport, sends: [TimelineSend], host: String? = nil) {
      self.report = report
      self.sends = sends
      self.host = host
    }
  }

  /// At most this many send ticks per timeline (text_poke syncs first); the page says when
  /// some were left out. An SVG with millions of elements does not open.
  public static let maxTicks = 20_000

  static let textPokeColor = "#cc3311"
  static let otherColor = "#777777"
  static let batchColor = "#4477aa"
  static let flipColor = "#ee7733"

  public static func render(_ inputs: [Input], title: String = "pokestat analyze") -> String {
    var body = "<h1>\(escape(title))</h1>\n"
    for input in inputs { body += section(input) }
    return """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
      <style>
      body { font: 14px/1.4 sans-serif; margin: 24px; color: #222; background: #fff; }
      .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }
      svg { display: block; margin: 8px 0 20px; background: #fafafa; border: 1px solid #ddd; }
      svg text { font: 11px sans-serif; fill: #333; }
      .note { color: #555; }
      .warn { color: #b42318; }
      </style></head><body>
      \(body)</body></html>

      """
  }

  static func section(_ input: Input) -> String {
    let report = input.report
    var out = "<h2>\(escape(report.file))</h2>\n<p>\(escape(report.format))"
    if let kernel = report.kernel { out += ", kernel \(escape(kernel))" }
    if let host = input.host { out += ", host \(escape(host))" }
    out += ", \(report.cpus) CPUs: \(report.events) events, \(report.ipi.sent) IPIs sent in \(report.ipi.sendEvents) sends, "
    out += "\(report.ipi.received) received; \(report.textPoke.batches.count) text_poke batches, \(report.textPoke.syncs) syncs "
    out += "(\(report.textPoke.ipisSent) IPIs), \(report.flips.count) flips.</p>\n"
    if report.countsAreLowerBounds {
      out += "<p class=warn>\(report.lostEvents) events were lost: every count is a lower bound.</p>\n"
    }
    out += "<h3>IPIs sent per CPU pair (sender × target)</h3>\n" + heatmap(report)
    out += "<h3>Batch timeline</h3>\n" + timeline(report, sends: input.sends)
    out += "<h3>text_poke batch durations</h3>\n" + durationHistogram(report)
    return out
  }

  // MARK: - Heatmap

  /// One cell per sender and target CPU (every pair, zeros included), darker for more IPIs.
  static func heatmap(_ report: AnalysisReport) -> String {
    // Keys that are no CPU number (`"unknown"`: events without a CPU) get no cell; the note
    // below the map counts their IPIs.
    let seen = report.ipi.matrix.flatMap { sender, targets in [Int(sender) ?? -1] + targets.keys.map { Int($0) ?? -1 } }
    let cpus = max(report.cpus, (seen.max() ?? -1) + 1)
    guard cpus > 0 else { return "<p class=note>No CPUs in the trace.</p>\n" }
    let cell = max(4, min(40, 640 / cpus))
    let left = 70, top = 40
    let width = left + cell * cpus + 20, height = top + cell * cpus + 30
    let counts = (0..<cpus).map { sender in
      (0..<cpus).map { target in report.ipi.matrix[String(sender)]?[String(target)] ?? 0 }
    }
    let maxCount = counts.flatMap { $0 }.max() ?? 0
    var svg = "<svg class=heatmap width=\(width) height=\(height) viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    svg += "<text x=\(left) y=14>target CPU →</text><text x=4 y=\(top + 4)>sender ↓</text>"
    let labelEvery = max(1, 16 / cell)
    for cpu in 0..<cpus where cpu % labelEvery == 0 {
      svg += "<text x=\(left + cell * cpu + cell / 2) y=\(top - 6) text-anchor=middle>\(cpu)</text>"
      svg += "<text x=\(left - 6) y=\(top + cell * cpu + cell / 2 + 4) text-anchor=end>\(cpu)</text>"
    }
    svg += "\n"
    for sender in 0..<cpus {
      for target in 0..<cpus {
        let count = counts[sender][target]
        let shade = maxCount == 0 ? 0 : (Double(count) / Double(maxCount)).squareRoot()
        let fill = count == 0 ? "#ffffff" : color(shade)
        let x = left + cell * target, y = top + cell * sender
        svg += "<rect class=cell data-sender=\(sender) data-target=\(target) data-ipis=\(count) x=\(x) y=\(y) width=\(cell) height=\(cell) fill=\"\(fill)\" stroke=\"#ddd\"><title>cpu\(sender) → cpu\(target): \(count) IPIs</title></rect>"
        if cell >= 22, count > 0 {
          svg += "<text x=\(x + cell / 2) y=\(y + cell / 2 + 4) text-anchor=middle style=\"fill:\(shade > 0.6 ? "#fff" : "#222")\">\(count)</text>"
        }
      }
      svg += "\n"
    }
    let drawn = counts.joined().reduce(0, +)
    let undrawn = report.ipi.matrix.values.reduce(0) { $0 + $1.values.reduce(0, +) } - drawn
    svg += "<text x=\(left) y=\(height - 8)>most: \(maxCount) IPIs\(undrawn > 0 ? "; \(undrawn) IPIs from or to an unknown CPU not drawn" : "")</text>"
    return svg + "</svg>\n"
  }

  /// White to dark blue.
  static func color(_ fraction: Double) -> String {
    let f = min(max(fraction, 0), 1)
    let r = Int(235 - 200 * f), g = Int(242 - 170 * f), b = Int(250 - 90 * f)
    return String(format: "#%02x%02x%02x", r, g, b)
  }

  // MARK: - Timeline

  /// Lane 0 holds the batches as bars; one lane per CPU holds its sends as ticks (text_poke
  /// syncs red, others grey); flips are shaded behind every lane.
  static func timeline(_ report: AnalysisReport, sends: [TimelineSend]) -> String {
    let batches = report.textPoke.batches
    var times = sends.map(\.timeNs) + batches.map(\.startNs) + report.flips.map(\.startNs)
    times += batches.map(\.endNs) + report.flips.map(\.endNs)
    guard let first = times.min(), let last = times.max() else { return "<p class=note>No sends, batches or flips in the trace.</p>\n" }
    let span = max(last - first, 1)
    let maxSenderCPU = sends.map(\.cpu).max() ?? -1
    // Sends whose CPU is unknown (perf script without `[cpu]`) get a lane of their own, last.
    let hasUnknownSender = sends.contains { $0.cpu < 0 }
    let cpuLanes = max(report.cpus, maxSenderCPU + 1)
    let lanes = 1 + cpuLanes + (hasUnknownSender ? 1 : 0)
    let laneHeight = max(8, min(24, 400 / lanes))
    let width = 1000, left = 70, right = 20, top = 16
    let plotWidth = Double(width - left - right)
    let height = top + laneHeight * lanes + 40
    func x(_ time: UInt64) -> Double { Double(left) + plotWidth * Double(time - first) / Double(span) }
    var svg = "<svg class=timeline width=\(width) height=\(height) viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    let plotBottom = top + laneHeight * lanes
    for (index, flip) in report.flips.enumerated() {
      let x0 = x(flip.startNs), x1 = x(max(flip.endNs, flip.startNs))
      let name = (flip.key ?? "flip") + (flip.value.map { "=\($0)" } ?? "")
      svg += "<rect class=flip x=\(fmt(x0)) y=\(top) width=\(fmt(max(x1 - x0, 1))) height=\(plotBottom - top) fill=\"\(flipColor)\" fill-opacity=0.15><title>flip \(index) \(escape(name)): \(ComparisonRenderer.number(Double(flip.endNs &- flip.startNs) / 1000)) µs, \(flip.ipisSent) IPIs</title></rect>"
    }
    svg += "\n"
    for lane in 0..<lanes {
      let y = top + laneHeight * lane
      svg += "<line x1=\(left) x2=\(width - right) y1=\(y + laneHeight) y2=\(y + laneHeight) stroke=\"#e4e4e4\"/>"
      svg += "<text x=\(left - 6) y=\(y + laneHeight / 2 + 4) text-anchor=end>\(lane == 0 ? "batches" : lane > cpuLanes ? "cpu?" : "cpu\(lane - 1)")</text>"
    }
    svg += "\n"
    for (index, batch) in batches.enumerated() {
      let x0 = x(batch.startNs)
      let x1 = x(batch.endNs)
      let duration = batch.durationNs.map { "\(ComparisonRenderer.number(Double($0) / 1000)) µs (\(batch.durationSource))" } ?? "duration unknown"
      svg += "<rect class=batch data-batch=\(index) x=\(fmt(x0)) y=\(top + 2) width=\(fmt(max(x1 - x0, 2))) height=\(laneHeight - 4) fill=\"\(batchColor)\"><title>batch \(index): \(duration), \(batch.syncs) syncs, \(batch.ipisSent) IPIs</title></rect>"
    }
    svg += "\n"
    // Text_poke syncs first, so a cap leaves out other sends before any sync.
    let ordered = sends.filter(\.textPoke) + sends.filter { !$0.textPoke }
    for send in ordered.prefix(maxTicks) {
      let y = top + laneHeight * (send.cpu < 0 ? cpuLanes + 1 : send.cpu + 1)
      let tx = fmt(x(send.timeNs))
      let kind = send.textPoke ? "tp" : "other"
      svg += "<line class=\"tick \(kind)\" x1=\(tx) x2=\(tx) y1=\(y + 2) y2=\(y + laneHeight - 2) stroke=\"\(send.textPoke ? textPokeColor : otherColor)\" stroke-width=1.5><title>cpu\(send.cpu) \(send.textPoke ? "text_poke sync" : "send"): \(send.ipis) IPI\(send.ipis == 1 ? "" : "s")\(send.batch.map { ", batch \($0)" } ?? "")</title></line>"
    }
    svg += "\n"
    // Time axis, ms from the first event drawn.
    let axisY = plotBottom + 6
    svg += "<line x1=\(left) x2=\(width - right) y1=\(axisY) y2=\(axisY) stroke=\"#999\"/>"
    let spanMs = Double(span) / 1e6
    let step = ComparisonHTML.niceCeiling(spanMs / 5)
    var tick = 0.0
    while tick <= spanMs * 1.0001 {
      let tx = Double(left) + plotWidth * tick / spanMs
      svg += "<line x1=\(fmt(tx)) x2=\(fmt(tx)) y1=\(axisY) y2=\(axisY + 4) stroke=\"#999\"/><text x=\(fmt(tx)) y=\(axisY + 16) text-anchor=middle>\(ComparisonRenderer.number((tick * 1000).rounded() / 1000))</text>"
      tick += step
    }
    svg += "<text x=\(width - right) y=\(height - 4) text-anchor=end>ms from the first event drawn</text>"
    svg += "</svg>\n"
    var legend = "<p class=note><span class=swatch style=\"background:\(batchColor)\"></span>batch "
    legend += "<span class=swatch style=\"background:\(textPokeColor)\"></span>text_poke sync "
    legend += "<span class=swatch style=\"background:\(otherColor)\"></span>other send "
    legend += "<span class=swatch style=\"background:\(flipColor);opacity:0.3\"></span>flip</p>\n"
    if ordered.count > maxTicks {
      legend += "<p class=warn>\(maxTicks) of \(ordered.count) sends drawn (every text_poke sync first).</p>\n"
    }
    return svg + legend
  }

  // MARK: - Durations

  /// Batches of known duration counted in power-of-two microsecond bins ([2^k, 2^(k+1)) µs).
  static func durationHistogram(_ report: AnalysisReport) -> String {
    let durations = report.textPoke.batches.compactMap(\.durationNs).map { max(Double($0) / 1000, 1e-3) }
    guard let low = durations.min(), let high = durations.max() else { return "<p class=note>No batch of known duration.</p>\n" }
    let firstBin = Int(floor(log2(low))), lastBin = Int(floor(log2(high)))
    var counts = Array(repeating: 0, count: lastBin - firstBin + 1)
    for value in durations { counts[min(max(Int(floor(log2(value))) - firstBin, 0), counts.count - 1)] += 1 }
    let width = 1000, left = 60, right = 20, top = 24, bottom = 50, plotHeight = 180
    let height = top + plotHeight + bottom
    let binWidth = Double(width - left - right) / Double(counts.count)
    let maxCount = ComparisonHTML.niceCeiling(Double(counts.max() ?? 1))
    var svg = "<svg class=durations width=\(width) height=\(height) viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    for step in 0...4 {
      let value = maxCount * Double(step) / 4
      let y = Double(top) + Double(plotHeight) * (1 - Double(step) / 4)
      svg += "<line x1=\(left) x2=\(width - right) y1=\(fmt(y)) y2=\(fmt(y)) stroke=\"#ddd\"/><text x=\(left - 4) y=\(fmt(y + 4)) text-anchor=end>\(ComparisonRenderer.number(value))</text>"
    }
    svg += "\n"
    for (index, count) in counts.enumerated() {
      let lower = pow(2, Double(firstBin + index)), upper = lower * 2
      let h = Double(plotHeight) * Double(count) / maxCount
      let x0 = Double(left) + binWidth * Double(index)
      svg += "<rect class=bin data-batches=\(count) x=\(fmt(x0 + 1)) y=\(fmt(Double(top + plotHeight) - h)) width=\(fmt(max(binWidth - 2, 1))) height=\(fmt(max(h, 0.5))) fill=\"\(batchColor)\"><title>\(ComparisonRenderer.number(lower))–\(ComparisonRenderer.number(upper)) µs: \(count) batches</title></rect>"
      if counts.count <= 40 || index % 2 == 0 {
        svg += "<text x=\(fmt(x0)) y=\(top + plotHeight + 14) text-anchor=middle>\(ComparisonRenderer.number(lower))</text>"
      }
    }
    let median = Statistics.median(durations)
    svg += "\n<text x=\(width - right) y=\(height - 8) text-anchor=end>batch duration, µs (power-of-two bins); \(durations.count) batches, median \(ComparisonRenderer.number((median * 10).rounded() / 10)) µs</text><text x=\(left) y=14>batches</text>"
    return svg + "</svg>\n"
  }

  // MARK: - Helpers

  static func fmt(_ value: Double) -> String { ComparisonHTML.fmt(value) }
  static func escape(_ text: String) -> String { ComparisonHTML.escape(text) }
}
