import ArgumentParser
import Foundation
import PatchEngine
import TraceModel
import TraceReaders
import TraceReports

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
        probe's kind and a kretprobe's maxactive when it was given (rN:). --concurrency adds the \
        model's misses of each kretprobe, as `pokestat predict kretprobe` computes them; a \
        kretprobe defined without rN: gets the default maxactive of a preemptible kernel, \
        max(10, 2 x CPUs), which every kernel since 6.2 (and 6.0.y/6.1.y stable) uses \
        (`pokestat predict kretprobe --preemptible`).
        """)

    @Argument(help: "A saved kprobe_profile; the live one when omitted.", completion: .file())
    var file: String?

    @Option(help: "A saved kprobe_events file, for each probe's kind and maxactive.", completion: .file())
    var events: String?

    @Option(help: ArgumentHelp(
      "Calls in flight at once, one value per burst (e.g. 4,24): adds the model's predicted misses of each kretprobe.",
      discussion: "Each burst of N simultaneous calls misses max(0, N - maxactive) (kernel/kprobes.c; PatchEngine.KretprobeInstances)."),
      transform: { try CountList.parse($0, in: 0...(1 << 30)) })
    var concurrency: [Int]?

    @Option(name: .customLong("on"), help: "With --concurrency: predict only for kretprobes on this function (the one the bursts call).")
    var function: String?

    @Option(help: "Kernel version for the default maxactive of kretprobes defined without rN: (default: this machine's).")
    var kernel: KernelVersion?

    @Option(help: "Possible CPUs for the default maxactive (default: this machine's).")
    var cpus: Int?

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
      try outputOptions.validateNoJSONLines("kprobes")
      if let cpus, !(1...(1 << 20)).contains(cpus) { throw ValidationError("--cpus must be between 1 and \(1 << 20), got \(cpus)") }
      if let concurrency, concurrency.count > 1_000_000 { throw ValidationError("--concurrency: at most 1000000 bursts") }
    }

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
      var probes = profile.entries.map { entry in
        let definition = definitions[entry.name]
        return KprobesReport.Probe(
          name: entry.name, hits: entry.hits, misses: entry.misses, missRatio: entry.missRatio,
          kind: definition.map { $0.kind == .kprobe ? "kprobe" : "kretprobe" }, maxactive: definition?.maxActive,
          target: definition.map { String($0.target.prefix { $0 != " " && $0 != "+" }) })
      }
      if let concurrency {
        let version = try kernel ?? Self.runningKernel()
        let possible = cpus ?? ProcessInfo.processInfo.activeProcessorCount
        for index in probes.indices where probes[index].kind == "kretprobe" && (function == nil || probes[index].target == function) {
          // Without rN: the default of a preemptible kernel (the help says why).
          probes[index].predictedMisses = KretprobeBurstsReport(
            kernel: version, possibleCPUs: possible, preemptible: true, maxactive: probes[index].maxactive,
            concurrency: concurrency).nmissed
        }
      }
      let report = KprobesReport(source: path, probes: probes, totalHits: profile.totalHits, totalMisses: profile.totalMisses)
      try outputOptions.write { try KprobesRenderer.render(report, as: $0) }
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

    /// This machine's kernel version, for `--kernel`'s default.
    static func runningKernel() throws -> KernelVersion {
      let release = (try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
      guard let version = KernelVersion(release: release) else {
        throw InputFailure("this kernel's release \"\(release)\" is not a version like 6.1; give --kernel")
      }
      return version
    }

    static func siblingEventsPath(of profilePath: String) -> String? {
      let path = URL(fileURLWithPath: profilePath).deletingLastPathComponent().appendingPathComponent("kprobe_events").path
      return FileManager.default.isReadableFile(atPath: path) ? path : nil
    }
  }
}
