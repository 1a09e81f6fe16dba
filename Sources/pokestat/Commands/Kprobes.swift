import ArgumentParser
import Foundation
import PatchEngine
import TraceModel
import TraceReaders

extension Pokestat {
  /// `pokestat kprobes`: hits, misses and miss ratio of every kprobe event.
  struct Kprobes: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print hits, misses and the miss ratio of every kprobe and kretprobe event.",
      discussion: """
        Reads tracefs kprobe_profile, live (/sys/kernel/tracing/kprobe_profile) or a saved copy \
        (`cat kprobe_profile > FILE`). For a kretprobe, misses are calls that found no free \
        instance because more than maxactive calls were in flight (nmissed; kernels before 5.17 \
        printed only the kprobe part of it). The miss ratio is misses / (hits + misses).

        With --events (or when reading the live profile) the kprobe_events definitions add each \
        probe's kind and a kretprobe's maxactive when it was given (rN:).
        """)

    @Argument(help: "A saved kprobe_profile; the live one when omitted.", completion: .file())
    var file: String?

    @Option(help: "A saved kprobe_events file, for each probe's kind and maxactive.", completion: .file())
    var events: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: ArgumentHelp(
      "Calls in flight at once, one value per burst (e.g. 4,24): adds the model's predicted misses of each kretprobe.",
      discussion: "Each burst of N simultaneous calls misses max(0, N - maxactive) (kernel/kprobes.c; PatchEngine.KretprobeInstances)."))
    var concurrency: String?

    @Option(name: .customLong("on"), help: "With --concurrency: predict only for kretprobes on this function (the one the bursts call).")
    var function: String?

    @Option(help: "Kernel version for the default maxactive of kretprobes defined without rN: (default: this machine's).")
    var kernel: String?

    @Option(help: "Possible CPUs for the default maxactive (default: this machine's).")
    var cpus: Int?

    func run() throws {
      let path = try file ?? Self.livePath()
      let profile = try KprobeProfileReader.read(path: path).profile
      var definitions: [String: KprobeDefinition] = [:]
      let eventsPath = events ?? (file == nil ? Self.siblingEventsPath(of: path) : nil)
      if let eventsPath {
        for definition in try KprobeProfileReader.readDefinitions(path: eventsPath) {
          definitions[definition.event] = definition
        }
      }
      var rows = profile.entries.map { ProbeRow(entry: $0, definition: definitions[$0.name]) }
      if let concurrency {
        let bursts = concurrency.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !bursts.isEmpty, bursts.allSatisfy({ ($0 ?? -1) >= 0 }) else {
          throw InputFailure("--concurrency: \"\(concurrency)\" is not a list of call counts like 4,24")
        }
        let release = kernel ?? Self.runningKernel()
        guard let version = KernelVersion(release: release) else { throw InputFailure("--kernel: \"\(release)\" is not a version like 6.1") }
        let possible = cpus ?? ProcessInfo.processInfo.activeProcessorCount
        for index in rows.indices where rows[index].kind == "kretprobe" && (function == nil || rows[index].target == function) {
          rows[index].predictedMisses = bursts.reduce(0) { total, calls in
            total + KretprobeInstances.predict(
              kernel: version, possibleCPUs: possible, preemptible: true, maxactive: rows[index].maxactive,
              concurrency: calls!).nmissed
          }
        }
      }
      if json {
        try printJSON(KprobesJSON(source: path, probes: rows, totalHits: profile.totalHits,
                                  totalMisses: profile.totalMisses))
      } else {
        print(table(rows, profile: profile, source: path), terminator: "")
      }
    }

    static func livePath() throws -> String {
      guard let path = KprobeProfileReader.livePaths.first(where: { FileManager.default.isReadableFile(atPath: $0) })
      else {
        throw InputFailure(
          "no kprobe_profile in /sys/kernel/tracing or /sys/kernel/debug/tracing (kernel without "
            + "CONFIG_KPROBE_EVENTS, tracefs not mounted, or not root); pass a saved copy")
      }
      return path
    }

    static func runningKernel() -> String {
      (try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    static func siblingEventsPath(of profilePath: String) -> String? {
      let path = URL(fileURLWithPath: profilePath).deletingLastPathComponent().appendingPathComponent("kprobe_events").path
      return FileManager.default.isReadableFile(atPath: path) ? path : nil
    }

    private func table(_ rows: [ProbeRow], profile: KprobeProfile, source: String) -> String {
      let hasDefinitions = rows.contains { $0.kind != nil }
      let hasPrediction = rows.contains { $0.predictedMisses != nil }
      var lines = [["probe", "hits", "misses", "miss ratio"] + (hasDefinitions ? ["kind", "maxactive"] : [])
        + (hasPrediction ? ["predicted misses"] : [])]
      for row in rows {
        lines.append(
          [row.name, "\(row.hits)", "\(row.misses)", Self.percent(row.missRatio)]
            + (hasDefinitions ? [row.kind ?? "", row.maxactive.map(String.init) ?? ""] : [])
            + (hasPrediction ? [row.predictedMisses.map(String.init) ?? ""] : []))
      }
      let total = KprobeProfile.Entry(name: "total", hits: profile.totalHits, misses: profile.totalMisses, line: 0)
      lines.append(["total", "\(total.hits)", "\(total.misses)", Self.percent(total.missRatio)])
      let widths = (0..<lines[0].count).map { column in lines.map { $0.count > column ? $0[column].count : 0 }.max()! }
      var out = "\(source): \(rows.count) probe\(rows.count == 1 ? "" : "s")\n"
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

    static func percent(_ ratio: Double?) -> String {
      ratio.map { String(format: "%.2f%%", $0 * 100) } ?? "-"
    }
  }
}

/// One probe as the kprobes command prints it.
private struct ProbeRow: Encodable {
  var name: String
  var hits: UInt64
  var misses: UInt64
  /// misses / (hits + misses); absent when the probe never fired.
  var missRatio: Double?
  /// `kprobe` or `kretprobe`, when the definitions were read.
  var kind: String?
  var maxactive: Int?
  /// The probed function (the definition's target up to its first argument).
  var target: String?
  /// The model's nmissed for the `--concurrency` bursts (kretprobes only).
  var predictedMisses: Int?

  init(entry: KprobeProfile.Entry, definition: KprobeDefinition?) {
    name = entry.name
    hits = entry.hits
    misses = entry.misses
    missRatio = entry.missRatio
    kind = definition.map { $0.kind == .kprobe ? "kprobe" : "kretprobe" }
    maxactive = definition?.maxActive
    target = definition.map { String($0.target.prefix { $0 != " " && $0 != "+" }) }
  }
}

private struct KprobesJSON: Encodable {
  var source: String
  var probes: [ProbeRow]
  var totalHits: UInt64
  var totalMisses: UInt64
}
