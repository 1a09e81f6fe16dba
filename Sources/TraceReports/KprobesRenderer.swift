import Foundation

/// Hits and misses of every kprobe event, as `pokestat kprobes` reports them.
public struct KprobesReport: Sendable, Encodable {
  /// One probe: its kprobe_profile line, its definition when known, and the model's misses.
  public struct Probe: Sendable, Encodable {
    public var name: String
    public var hits: UInt64
    public var misses: UInt64
    /// misses / (hits + misses); nil when the probe never fired.
    public var missRatio: Double?
    /// `kprobe` or `kretprobe`, when the definitions were read.
    public var kind: String?
    public var maxactive: Int?
    /// The probed function (the definition's target up to its first argument).
    public var target: String?
    /// The model's nmissed for the `--concurrency` bursts (kretprobes only).
    public var predictedMisses: Int?

    public init(name: String, hits: UInt64, misses: UInt64, missRatio: Double?, kind: String?, maxactive: Int?, target: String?) {
      self.name = name
      self.hits = hits
      self.misses = misses
      self.missRatio = missRatio
      self.kind = kind
      self.maxactive = maxactive
      self.target = target
    }

    enum CodingKeys: String, CodingKey {
      case name, hits, misses, kind, maxactive, target
      case missRatio = "miss_ratio"
      case predictedMisses = "predicted_misses"
    }
  }

  /// The kprobe_profile read.
  public var source: String
  public var probes: [Probe]
  public var totalHits: UInt64
  public var totalMisses: UInt64

  public init(source: String, probes: [Probe], totalHits: UInt64, totalMisses: UInt64) {
    self.source = source
    self.probes = probes
    self.totalHits = totalHits
    self.totalMisses = totalMisses
  }

  enum CodingKeys: String, CodingKey {
    case source, probes
    case totalHits = "total_hits"
    case totalMisses = "total_misses"
  }
}

/// Renders a ``KprobesReport``: a table with a total row (text, Markdown), JSON, or CSV with one
/// row per probe.
public enum KprobesRenderer {
  public static func render(_ report: KprobesReport, as format: ReportFormat) throws -> String {
    switch format {
    case .json: return try ReportJSON.encode(report)
    case .csv:
      var lines = ["probe,hits,misses,miss_ratio,kind,maxactive,target,predicted_misses"]
      for p in report.probes {
        lines.append([p.name, "\(p.hits)", "\(p.misses)", p.missRatio.map { String($0) } ?? "", p.kind ?? "",
                      p.maxactive.map(String.init) ?? "", p.target ?? "", p.predictedMisses.map(String.init) ?? ""]
          .joined(separator: ","))
      }
      return lines.joined(separator: "\n") + "\n"
    case .table, .markdown:
      let hasDefinitions = report.probes.contains { $0.kind != nil }
      let hasPrediction = report.probes.contains { $0.predictedMisses != nil }
      let header = ["probe", "hits", "misses", "miss ratio"] + (hasDefinitions ? ["kind", "maxactive"] : [])
        + (hasPrediction ? ["predicted misses"] : [])
      var rows: [[String]] = report.probes.map { row in
        [row.name, "\(row.hits)", "\(row.misses)", percent(row.missRatio)]
          + (hasDefinitions ? [row.kind ?? "", row.maxactive.map(String.init) ?? ""] : [])
          + (hasPrediction ? [row.predictedMisses.map(String.init) ?? ""] : [])
      }
      let total = Double(report.totalHits) + Double(report.totalMisses)  // no UInt64 overflow on input data
      let totalRatio = total > 0 ? Double(report.totalMisses) / total : nil
      rows.append(["total", "\(report.totalHits)", "\(report.totalMisses)", percent(totalRatio)])
      let title = "\(report.source): \(report.probes.count) probe\(report.probes.count == 1 ? "" : "s")"
      if format == .markdown {
        return "### \(title)\n\n" + AnalysisRenderer.table(header, rows.map { $0 + Array(repeating: "", count: header.count - $0.count) }, markdown: true)
      }
      let lines = [header] + rows
      let widths = (0..<header.count).map { column in lines.map { $0.count > column ? $0[column].count : 0 }.max()! }
      var out = title + "\n"
      for line in lines {
        let cells = line.enumerated().map { column, cell in
          column == 0 || column == 4
            ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            : String(repeating: " ", count: widths[column] - cell.count) + cell
        }
        out += cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
      }
      return out
    }
  }

  /// `0.0123` as `1.23%`; `-` for a probe that never fired.
  static func percent(_ ratio: Double?) -> String {
    ratio.map { String(format: "%.2f%%", $0 * 100) } ?? "-"
  }
}
