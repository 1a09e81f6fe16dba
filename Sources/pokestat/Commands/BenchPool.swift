import ArgumentParser
import Foundation
import InstancePools

extension Pokestat {
  /// `pokestat bench`: user-space micro-benchmarks of kernel data structures.
  struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Measure kernel data structures in user space, as their cover letters did.",
      subcommands: [Pool.self])
  }
}

extension Pokestat.Bench {
  /// `pokestat bench pool`: kretprobe instance pools, ops/s per thread count.
  struct Pool: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Compare kretprobe instance pools: pop/push pairs per second by thread count.",
      discussion: """
        Each thread pops an object and pushes it back in a loop, as a kretprobe takes an \
        instance at every probed call and returns it when the call returns. Thread i is pinned \
        to allowed CPU i mod CPUs. Implementations: freelist (the refcounted CAS LIFO of \
        include/linux/freelist.h), array (the array-based MPMC queue of the 2021 "kretprobe \
        scalability improvement" cover letter) and objpool (lib/objpool.c's per-CPU rings). \
        The table has the cover letter's shape: one row per implementation, one column per \
        thread count, then each implementation's ratio to the first.

        Thread counts above the CPU count share CPUs and measure the scheduler as much as the \
        pool; the cover letter's curve needs as many cores as threads.
        """)

    @Option(help: "Thread counts, comma-separated (1,2,4,8).")
    var threads = "1,2"

    @Option(help: "Measuring seconds per implementation and thread count.")
    var seconds = 2.0

    @Option(help: "Implementations, comma-separated, in row order: freelist, array, objpool.")
    var implementations = "freelist,array,objpool"

    @Option(help: "Objects per pool (default: max(10, 2 x CPUs, threads), a preemptible kernel's maxactive).")
    var objects: Int?

    @Option(help: "Table layout: table or markdown.")
    var format: Layout = .table

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(help: "Do not pin threads to CPUs.")
    var noPin = false

    enum Layout: String, ExpressibleByArgument, CaseIterable {
      case table, markdown
    }

    /// Checked in `run()`, not `validate()`, so the messages print as pokestat's own one-line
    /// errors (`pokestat: ...`, exit 2).
    func checkNumbers() throws {
      guard seconds > 0, seconds.isFinite else { throw InputFailure("--seconds must be positive, got \(seconds)") }
      if let objects, objects < 1 || objects > 1 << 24 {
        throw InputFailure("--objects must be between 1 and 16777216, got \(objects)")
      }
    }

    func threadCounts() throws -> [Int] {
      let counts = threads.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) > 0 && $0! <= 4096 }) else {
        throw InputFailure("--threads takes thread counts from 1 to 4096 separated by commas, got \"\(threads)\"")
      }
      return counts.map { $0! }
    }

    func kinds() throws -> [PoolKind] {
      let names = implementations.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      var kinds: [PoolKind] = []
      for name in names {
        guard let kind = PoolKind(rawValue: name) else {
          throw InputFailure("unknown implementation \"\(name)\" in --implementations (freelist, array, objpool)")
        }
        if !kinds.contains(kind) { kinds.append(kind) }
      }
      guard !kinds.isEmpty else { throw InputFailure("--implementations is empty") }
      return kinds
    }

    func run() throws {
      try checkNumbers()
      let benchmark = PoolBenchmark(
        threadCounts: try threadCounts(), duration: .nanoseconds(Int64(seconds * 1e9)), kinds: try kinds(),
        objects: objects, pinsThreads: !noPin)
      let report = benchmark.run()
      if json {
        try printJSON(PoolJSON(report))
      } else {
        print(format == .markdown ? Self.markdown(report) : Self.table(report), terminator: "")
      }
    }

    // MARK: - Output

    static func header(_ report: PoolBenchmarkReport) -> String {
      let pinned = report.measurements.allSatisfy { $0.pinnedThreads == $0.threads }
      let misses = report.measurements.reduce(0) { $0 + $1.misses }
      return "\(report.cpuCount) CPU\(report.cpuCount == 1 ? "" : "s"), \(report.objects) objects, "
        + "\(report.secondsPerRun) s per run, threads \(pinned ? "pinned" : "not all pinned")"
        + (misses > 0 ? ", \(misses) pops found the pool empty" : "")
    }

    /// The cover letter's layout: `1x 2x ...`, then `name: ops/s ...`, then ratio rows.
    static func table(_ report: PoolBenchmarkReport) -> String {
      let baseline = report.kinds[0]
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
      let baseline = report.kinds[0]
      var out = "\(header(report)); ops/s (pop/push pairs per second, all threads)\n\n"
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
}

/// The JSON of `pokestat bench pool --json`.
private struct PoolJSON: Encodable {
  struct Result: Encodable {
    var implementation: String
    var threads: Int
    var opsPerSecond: Double
    var operations: Int
    var misses: Int
    var seconds: Double
    var pinnedThreads: Int
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
    let baseline = report.kinds[0]
    ratios = report.kinds.dropFirst().flatMap { kind in
      report.threadCounts.compactMap { count in
        report.ratio(kind, to: baseline, threads: count).map {
          Ratio(implementation: kind.rawValue, baseline: baseline.rawValue, threads: count, ratio: $0)
        }
      }
    }
  }
}
