/// What `pokestat stats` counted in one trace: its events, IPI targets per CPU and, when asked,
/// events per name.
public struct StatsReport: Sendable, Encodable {
  /// IPI targets of one CPU: the `cpu` of ipi_send_cpu plus every ipi_send_cpumask bit naming it.
  public struct CPUTargets: Sendable, Encodable {
    public var cpu: Int
    public var targets: Int
  }

  /// Events of one `system:name`.
  public struct NamedCount: Sendable, Encodable {
    public var name: String
    public var events: Int
  }

  /// The input as given (`-` for standard input).
  public var file: String
  /// The reader's description of the format (`trace.dat v7 zstd`, `ftrace text`).
  public var format: String
  public var events: Int
  /// Malformed lines `--lenient` skipped; nil when not lenient and none were skipped.
  public var skippedLines: Int?
  public var ipiTargets: Int
  /// Ascending by CPU.
  public var ipiTargetsPerCPU: [CPUTargets]
  /// Most events first, then by name; nil unless counted by name.
  public var eventsByName: [NamedCount]?

  public init(
    file: String, format: String, events: Int, skippedLines: Int?, ipiTargetsPerCPU: [Int: Int], eventsByName: [String: Int]?
  ) {
    self.file = file
    self.format = format
    self.events = events
    self.skippedLines = skippedLines
    self.ipiTargets = ipiTargetsPerCPU.values.reduce(0, +)
    self.ipiTargetsPerCPU = ipiTargetsPerCPU.keys.sorted().map { CPUTargets(cpu: $0, targets: ipiTargetsPerCPU[$0]!) }
    self.eventsByName = eventsByName.map { counts in
      counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { NamedCount(name: $0.key, events: $0.value) }
    }
  }

  enum CodingKeys: String, CodingKey {
    case file, format, events
    case skippedLines = "skipped_lines"
    case ipiTargets = "ipi_targets"
    case ipiTargetsPerCPU = "ipi_targets_per_cpu"
    case eventsByName = "events_by_name"
  }
}

/// Renders a ``StatsReport``: the `key: value` text scripts read (`table`, the default),
/// Markdown tables, JSON, or CSV with one `kind,key,value` row per count.
public enum StatsRenderer {
  public static func render(_ report: StatsReport, as format: ReportFormat) throws -> String {
    switch format {
    case .json:
      return try ReportJSON.encode(report)
    case .table:
      var out = "file: \(report.file)\nformat: \(report.format)\nevents: \(report.events)\n"
      if let skipped = report.skippedLines { out += "skipped lines: \(skipped)\n" }
      out += "ipi targets: \(report.ipiTargets)\n"
      for cpu in report.ipiTargetsPerCPU { out += "  cpu \(cpu.cpu): \(cpu.targets)\n" }
      if let byName = report.eventsByName {
        out += "events by name:\n"
        for count in byName { out += "  \(count.name): \(count.events)\n" }
      }
      return out
    case .markdown:
      var rows = [["file", report.file], ["format", report.format], ["events", "\(report.events)"]]
      if let skipped = report.skippedLines { rows.append(["skipped lines", "\(skipped)"]) }
      rows.append(["ipi targets", "\(report.ipiTargets)"])
      var out = "### \(report.file)\n\n" + AnalysisRenderer.table(["count", "value"], rows, markdown: true)
      out += "\n" + AnalysisRenderer.table(["cpu", "ipi targets"], report.ipiTargetsPerCPU.map { ["\($0.cpu)", "\($0.targets)"] }, markdown: true)
      if let byName = report.eventsByName {
        out += "\n" + AnalysisRenderer.table(["event", "events"], byName.map { [$0.name, "\($0.events)"] }, markdown: true)
      }
      return out
    case .csv:
      var lines = ["kind,key,value", "events,,\(report.events)"]
      if let skipped = report.skippedLines { lines.append("skipped_lines,,\(skipped)") }
      lines.append("ipi_targets,,\(report.ipiTargets)")
      lines += report.ipiTargetsPerCPU.map { "ipi_targets_cpu,\($0.cpu),\($0.targets)" }
      lines += (report.eventsByName ?? []).map { "events_by_name,\(CSVField.quoted($0.name)),\($0.events)" }
      return lines.joined(separator: "\n") + "\n"
    }
  }
}
