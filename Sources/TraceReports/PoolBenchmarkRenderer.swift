import Foundation
import InstancePools

/// Renders a ``PoolBenchmarkReport`` (`pokestat bench pool`): the cover letter's table (ops/s
/// per implementation and thread count, then ratios to the first), Markdown, JSON, or CSV with
/// one row per measurement.
public enum PoolBenchmarkRenderer {
  public static func render(_ report: PoolBenchmarkReport, as format: ReportFormat) throws -> String {
    switch format {
    case .json: return try ReportJSON.encode(PoolBenchmarkJSON(report))
    case .csv:
      var lines = ["implementation,threads,ops_per_second,operations,misses,seconds,pinned_threads"]
      for m in report.measurements {
        lines.append("\(m.implementation.rawValue),\(m.threads),\(String(format: "%.0f", m.opsPerSecond)),\(m.operations),\(m.misses),\(m.seconds),\(m.pinnedThreads)")
      }
      return lines.joined(separator: "\n") + "\n"
    case .markdown: return markdown(report)
    case .table: return table(report)
    }
  }

  static func header(_ report: PoolBenchmarkReport) -> String {
    let pinned = report.measurements.allSatisfy { $0.pinnedThreads == $0.threads }
    let misses = report.measurements.reduce(0) { $0 + $1.misses }
    return "\(report.cpuCount) CPU\(report.cpuCount == 1 ? "" : "s"), \(report.objects) objects, "
      + "\(report.secondsPerRun) s per run, threads \(pinned ? "pinned" : "not all pinned")"
      + (misses > 0 ? ", \(misses) pops found the pool empty" : "")
  }

  /// The cover letter's layout: `1x 2x ...`, then `name: ops/s ...`, then ratio rows.
  static func table(_ report: PoolBenchmarkReport) -> String {
    guard let baseline = report.kinds.first else { return "pokestat bench pool: \(header(report))\n" }
    var rows: [[String]] = [[""] + report.threadCounts.map { "\($0)x" }]
    for kind in report.kinds {
      rows.append(["\(kind.rawValue):"] + report.threadCounts.map { count in
        report.opsPerSecond(kind, threads: count).map { String(Int($0.rounded())) } ?? "-"
      })
    }
    for kind in report.kinds.dropFirst() {
      rows.append(["\(kind.rawValue)/\(baseline.rawValue):"] + report.threadCounts.map { count in
        report.ratio(kind, to: baseline, threads: count).map { String(format: "%.2fx", $0) } ?? "-"
      })
    }
    let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max()! }
    var out = "pokestat bench pool: \(header(report))\n"
    for row in rows {
      let cells = row.enumerated().map { column, cell in
        column == 0
          ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
          : String(repeating: " ", count: widths[column] - cell.count) + cell
      }
      out += cells.joined(separator: "  ") + "\n"
    }
    return out
  }

  static func markdown(_ report: PoolBenchmarkReport) -> String {
    var out = "\(header(report)); ops/s (pop/push pairs per second, all threads)\n\n"
    guard let baseline = report.kinds.first else { return out }
    out += "| threads | " + report.threadCounts.map { "\($0)x" }.joined(separator: " | ") + " |\n"
    out += "|---|" + String(repeating: "---:|", count: report.threadCounts.count) + "\n"
    for kind in report.kinds {
      out += "| \(kind.rawValue) | " + report.threadCounts.map { count in
        report.opsPerSecond(kind, threads: count).map { grouped(Int($0.rounded())) } ?? "-"
      }.joined(separator: " | ") + " |\n"
    }
    for kind in report.kinds.dropFirst() {
      out += "| \(kind.rawValue) / \(baseline.rawValue) | " + report.threadCounts.map { count in
        report.ratio(kind, to: baseline, threads: count).map { String(format: "%.2fx", $0) } ?? "-"
      }.joined(separator: " | ") + " |\n"
    }
    return out
  }

  /// `13086080` as `13,086,080`, as the cover letter's 96-core table prints it.
  static func grouped(_ value: Int) -> String {
    let digits = Array(String(value))
    var out = ""
    for (index, digit) in digits.enumerated() {
      if index > 0, (digits.count - index) % 3 == 0 { out += "," }
      out.append(digit)
    }
    return out
  }
}

/// The JSON of `pokestat bench pool --json`.
struct PoolBenchmarkJSON: Encodable {
  struct Result: Encodable {
    var implementation: String
    var threads: Int
    var opsPerSecond: Double
    var operations: Int
    var misses: Int
    var seconds: Double
    var pinnedThreads: Int

    enum CodingKeys: String, CodingKey {
      case implementation, threads, operations, misses, seconds
      case opsPerSecond = "ops_per_second"
      case pinnedThreads = "pinned_threads"
    }
  }

  struct Ratio: Encodable {
    var implementation: String
    var baseline: String
    var threads: Int
    var ratio: Double
  }

  var cpus: Int
  var objects: Int
  var secondsPerRun: Double
  var threadCounts: [Int]
  var implementations: [String]
  var results: [Result]
  var ratios: [Ratio]

  enum CodingKeys: String, CodingKey {
    case cpus, objects, implementations, results, ratios
    case secondsPerRun = "seconds_per_run"
    case threadCounts = "thread_counts"
  }

  init(_ report: PoolBenchmarkReport) {
    cpus = report.cpuCount
    objects = report.objects
    secondsPerRun = report.secondsPerRun
    threadCounts = report.threadCounts
    implementations = report.kinds.map(\.rawValue)
    results = report.measurements.map {
      Result(
        implementation: $0.implementation.rawValue, threads: $0.threads, opsPerSecond: $0.opsPerSecond,
        operations: $0.operations, misses: $0.misses, seconds: $0.seconds, pinnedThreads: $0.pinnedThreads)
    }
    let baseline = report.kinds.first
    ratios = baseline.map { baseline in
      report.kinds.dropFirst().flatMap { kind in
        report.threadCounts.compactMap { count in
          report.ratio(kind, to: baseline, threads: count).map {
            Ratio(implementation: kind.rawValue, baseline: baseline.rawValue, threads: count, ratio: $0)
          }
        }
      }
    } ?? []
  }
}
