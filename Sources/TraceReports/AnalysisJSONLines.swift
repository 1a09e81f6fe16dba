import Foundation
import TraceAnalysis
import TraceModel

/// Flat rows of ``AnalysisReport``s for engines that read JSON lines (DuckDB `read_json_auto`,
/// Spark `spark.read.json`, jq): one object per line, every key snake_case, every key present
/// in every row of a kind (null when unknown), each key one JSON type. docs/fleet.md lists the
/// keys; `pokestat analyze --format jsonl` writes them.
///
/// Every row starts with the same identity columns — `row`, `file`, `host`, `kernel`, `cpus`,
/// `format` — so rows of many hosts can be concatenated and grouped without a join.
public enum AnalysisJSONLines {
  /// Which rows to write per input.
  public enum Rows: String, CaseIterable, Sendable {
    /// One row per input: totals.
    case summary
    /// One row per text_poke batch.
    case batches
    /// One row per static-key flip.
    case flips
  }

  /// Where a row's identity columns come from, besides the report itself.
  public struct Source: Sendable {
    public var report: AnalysisReport
    /// The traced machine's host name (the trace's uname, or `--host`); nil when unknown.
    public var host: String?
    /// The traced kernel's release: the report's, or one the user gave for a trace without it.
    public var kernel: String?
    public init(report: AnalysisReport, host: String?, kernel: String? = nil) {
      self.report = report
      self.host = host
      self.kernel = kernel ?? report.kernel
    }
  }

  /// One JSON value of a flat row.
  public enum Value: Equatable, Sendable {
    case int(Int)
    case unsigned(UInt64)
    case double(Double)
    case string(String)
    case bool(Bool)
    case null

    static func optional(_ value: Int?) -> Value { value.map(Value.int) ?? .null }
    static func optional(_ value: UInt64?) -> Value { value.map(Value.unsigned) ?? .null }
    static func optional(_ value: String?) -> Value { value.map(Value.string) ?? .null }
    static func optional(_ value: Double?) -> Value { value.map(Value.double) ?? .null }
  }

  /// A row: keys in the documented order.
  public typealias Row = [(key: String, value: Value)]

  /// The rows of every input, inputs in the given order, rows in trace order within each.
  /// - Complexity: O(batches + flips) per input for summary and flip rows; O(batches × flips)
  ///   for batch rows (each batch looks for the first flip window holding its start: inferred
  ///   flips of different tasks may overlap, so no binary search).
  public static func rows(_ sources: [Source], kind: Rows) -> [Row] {
    sources.flatMap { source -> [Row] in
      switch kind {
      case .summary: return [summaryRow(source)]
      case .batches: return batchRows(source)
      case .flips: return flipRows(source)
      }
    }
  }

  /// The rows as JSON lines (each ends in a newline).
  public static func render(_ sources: [Source], kind: Rows) -> String {
    var out = ""
    for row in rows(sources, kind: kind) { out += line(row) + "\n" }
    return out
  }

  // MARK: - Rows

  static func identity(_ source: Source, row: Rows) -> Row {
    let report = source.report
    return [
      ("row", .string(row == .summary ? "summary" : row == .batches ? "batch" : "flip")),
      ("file", .string(report.file)),
      ("host", .optional(source.host)),
      ("kernel", .optional(source.kernel)),
      ("cpus", .int(report.cpus)),
      ("format", .string(report.format)),
      ("counts_are_lower_bounds", .bool(report.countsAreLowerBounds)),
    ]
  }

  static func summaryRow(_ source: Source) -> Row {
    let report = source.report
    let flips = report.flips.count
    let isolated = report.isolated
    let isolatedPerFlip = isolated.flatMap { summary in flips == 0 ? nil : Double(summary.textPokeReceived) / Double(flips) }
    return identity(source, row: .summary) + [
      ("events", .int(report.events)),
      ("lost_events", .int(report.lostEvents)),
      ("ipis_sent", .int(report.ipi.sent)),
      ("ipis_received", .int(report.ipi.received)),
      ("send_events", .int(report.ipi.sendEvents)),
      ("text_poke_ipis_sent", .int(report.textPoke.ipisSent)),
      ("text_poke_ipis_received", .int(report.textPoke.ipisReceived)),
      ("syncs", .int(report.textPoke.syncs)),
      ("batches", .int(report.textPoke.batches.count)),
      ("flips", .int(flips)),
      ("text_poke_ipis_per_flip", .optional(flips == 0 ? nil : Double(report.textPoke.ipisSent) / Double(flips))),
      ("batch_duration_ns_total", .unsigned(report.textPoke.batches.reduce(0) { total, batch in
        // Durations come from the input (a log's `Took N usec`): the sum saturates.
        let (sum, overflow) = total.addingReportingOverflow(batch.durationNs ?? 0)
        return overflow ? .max : sum
      })),
      ("isolated_cpus", .optional(isolated.map { CPUList.format($0.cpus) })),
      ("isolated_received", .optional(isolated?.received)),
      ("isolated_text_poke_received", .optional(isolated?.textPokeReceived)),
      ("isolated_text_poke_received_per_flip", .optional(isolatedPerFlip)),
      ("int3_samples", .int(report.int3.samples)),
      ("samples", .int(report.int3.totalSamples)),
    ]
  }

  static func batchRows(_ source: Source) -> [Row] {
    let report = source.report
    let isolated = report.isolated.map { Set($0.cpus) }
    return report.textPoke.batches.enumerated().map { index, batch in
      let flip = report.flips.firstIndex { batch.startNs >= $0.startNs && batch.startNs <= $0.endNs }  // O(flips)
      return identity(source, row: .batches) + [
        ("batch", .int(index)),
        ("flip", .optional(flip)),
        ("start_ns", .unsigned(batch.startNs)),
        ("duration_ns", .optional(batch.durationNs)),
        ("duration_source", .string(batch.durationSource)),
        ("entries", .optional(batch.entries)),
        ("syncs", .int(batch.syncs)),
        ("ipis_sent", .int(batch.ipisSent)),
        ("ipis_received", .int(batch.ipisReceived)),
        ("sender_cpu", .optional(batch.cpu < 0 ? nil : batch.cpu)),
        ("pid", .optional(batch.pid < 0 ? nil : Int(batch.pid))),
        ("comm", .optional(batch.comm.isEmpty ? nil : batch.comm)),
        ("isolated_text_poke_received", .optional(isolated.map { sum(batch.receivedPerCPU, over: $0) })),
      ]
    }
  }

  static func flipRows(_ source: Source) -> [Row] {
    let report = source.report
    let isolated = report.isolated.map { Set($0.cpus) }
    return report.flips.enumerated().map { index, flip in
      // Every reception in the window is known only between markers; inferred flips count the
      // batches' own receptions.
      let marker = flip.boundary == "marker"
      return identity(source, row: .flips) + [
        ("flip", .int(index)),
        ("key", .optional(flip.key)),
        ("value", .optional(flip.value)),
        ("boundary", .string(flip.boundary)),
        ("start_ns", .unsigned(flip.startNs)),
        ("duration_ns", .unsigned(flip.endNs >= flip.startNs ? flip.endNs - flip.startNs : 0)),
        ("batches", .int(flip.batches)),
        ("syncs", .int(flip.syncs)),
        ("ipis_sent", .int(flip.ipisSent)),
        ("ipis_received", .int(flip.ipisReceived)),
        ("other_ipis_sent", .optional(marker ? flip.otherIPIsSent : nil)),
        ("all_ipis_received", .optional(marker ? flip.allIPIsReceived : nil)),
        ("ipis_sent_per_cpu", .double(Double(flip.ipisSent) / Double(max(report.cpus, 1)))),
        ("isolated_text_poke_received", .optional(isolated.map { sum(flip.receivedPerCPU, over: $0) })),
        ("isolated_all_received", .optional(marker ? isolated.map { sum(flip.allReceivedPerCPU, over: $0) } : nil)),
      ]
    }
  }

  static func sum(_ perCPU: [String: Int], over cpus: Set<Int>) -> Int {
    perCPU.reduce(0) { total, entry in Int(entry.key).map { cpus.contains($0) } == true ? total + entry.value : total }
  }

  // MARK: - JSON

  /// One row as one line of JSON, keys in row order.
  public static func line(_ row: Row) -> String {
    "{" + row.map { "\"\($0.key)\":\(json($0.value))" }.joined(separator: ",") + "}"
  }

  static func json(_ value: Value) -> String {
    switch value {
    case .int(let number): return String(number)
    case .unsigned(let number): return String(number)
    // Always with a fraction (3.0, not 3), so engines infer a floating type for the column
    // whatever its values; non-finite numbers have no JSON form and become null.
    case .double(let number):
      guard number.isFinite else { return "null" }
      let text = String(number)
      return text.contains(".") || text.contains("e") ? text : text + ".0"
    case .string(let text): return quoted(text)
    case .bool(let flag): return flag ? "true" : "false"
    case .null: return "null"
    }
  }

  static func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
