import SystemPackage
import TraceModel

#if canImport(Glibc)
  import Glibc
#endif

/// One source of events a capture can use, and whether it was chosen.
public struct CaptureSource: Hashable, Sendable, CustomStringConvertible {
  /// `ipi:ipi_send_cpu`, `kprobe_events`, `function_graph`, `options/stacktrace`, …
  public var name: String
  public var isChosen: Bool
  /// Why it was chosen or not: "enabled", "not in this kernel", "refused: …", "not needed: …".
  public var reason: String

  public init(name: String, isChosen: Bool, reason: String) {
    self.name = name
    self.isChosen = isChosen
    self.reason = reason
  }

  public var description: String { "\(isChosen ? "+" : "-") \(name): \(reason)" }
}

/// Probes what the running kernel lets this capture use, by trying it in the capture's own
/// instance, and enables the best sources each kernel offers:
/// - IPI sends: the `ipi:*` tracepoints (`ipi_send_cpu`/`ipi_send_cpumask` 6.3+ x86,
///   `ipi_raise` arm/arm64), otherwise kprobes on `native_send_call_func_ipi` (the cpumask's
///   first word) and `native_send_call_func_single_ipi` (the target CPU);
/// - batches: a kprobe with the entry count and a kretprobe (the duration) on this kernel's
///   batch function (``KprobePlan``), on arm64 on the jump-label queue, apply and transform
///   functions; whenever `kprobe_events` exists, tracepoints or not;
/// - `function_graph` on the batch function, where the kernel lets an instance run it.
struct CaptureSourceSelection {
  /// The tracepoints that carry IPI sends, in the order they are tried.
  static let ipiTracepoints = ["ipi/ipi_send_cpu", "ipi/ipi_send_cpumask", "ipi/ipi_raise"]
  static let otherTracepoints = [
    "ipi/ipi_entry", "ipi/ipi_exit",
    "irq_vectors/call_function_entry", "irq_vectors/call_function_exit",
    "irq_vectors/call_function_single_entry", "irq_vectors/call_function_single_exit",
    "csd/csd_queue_cpu",
  ]

  private(set) var sources: [CaptureSource] = []
  /// The kprobe events this capture added to the global `kprobe_events` ("group/name"),
  /// removed again by ``LiveCapture/restore()``.
  private(set) var addedKprobes: [String] = []
  /// The enabled events `record` counts live ("system/name" under `events/`), and how.
  private(set) var liveCounted: [String: LiveEventTally.Kind] = [:]

  /// Why a tracefs write failed, in words.
  static func reason(_ error: NativeTraceError) -> String {
    switch error.errno {
    case .noSuchFileOrDirectory: return "not in this kernel"
    case .notPermitted, .permissionDenied: return "refused (\(error.errno.symbolicName): \(error.errno))"
    default: return "refused: \(error.function) failed: \(error.errno.symbolicName) (\(error.errno))"
    }
  }

  /// Enables what is available in `instance`.
  ///
  /// - Parameter beforeGlobalChange: called with the kprobe names before kprobe_events is
  ///   written, so the state file names them first.
  /// - Throws: ``LiveCaptureError/noIPISource(_:)`` when no IPI source works.
  mutating func enable(
    in instance: TracefsInstance, tracingDirectory: String, stacktrace: Bool, kprobeGroup: String,
    beforeGlobalChange: ([String]) throws -> Void
  ) throws {
    var ipiSources = 0
    for event in Self.ipiTracepoints + Self.otherTracepoints {
      let name = event.replacingSlash()
      do throws(NativeTraceError) {
        try instance.write("1", to: "events/\(event)/enable")
        sources.append(CaptureSource(name: name, isChosen: true, reason: "enabled"))
        if Self.ipiTracepoints.contains(event) {
          ipiSources += 1
          liveCounted[event] = .ipiSend
        }
      } catch {
        sources.append(CaptureSource(name: name, isChosen: false, reason: Self.reason(error)))
      }
    }

    let kallsyms = (try? TracefsFiles.readText("/proc/kallsyms")) ?? ""
    let plan = KprobePlan(machine: KprobePlan.runningMachine(), kallsyms: kallsyms, withSendProbes: ipiSources == 0)
    let kprobeEvents = tracingDirectory + "/kprobe_events"
    if !TracefsFiles.exists(kprobeEvents) {
      sources.append(CaptureSource(name: "kprobe_events", isChosen: false, reason: "not in this kernel (CONFIG_KPROBE_EVENTS)"))
    } else {
      if ipiSources > 0 {
        sources.append(CaptureSource(name: "kprobe:send functions", isChosen: false, reason: "not needed: ipi tracepoints chosen"))
      }
      ipiSources += try enableKprobes(plan, in: instance, file: kprobeEvents, group: kprobeGroup, beforeGlobalChange: beforeGlobalChange)
    }
    for note in plan.notes { sources.append(CaptureSource(name: "kprobe_events", isChosen: false, reason: note)) }
    guard ipiSources > 0 else {
      throw LiveCaptureError.noIPISource(sources.filter { !$0.isChosen }.map { "\($0.name): \($0.reason)" }.joined(separator: "; "))
    }

    enableFunctionGraph(in: instance, functions: plan.graphFunctions)

    do throws(NativeTraceError) {
      try instance.write("1", to: "options/stacktrace")
      if stacktrace {
        sources.append(CaptureSource(name: "options/stacktrace", isChosen: true, reason: "enabled (--stacktrace)"))
      } else {
        try instance.write("0", to: "options/stacktrace")
        sources.append(CaptureSource(name: "options/stacktrace", isChosen: false, reason: "available, not asked for (--stacktrace)"))
      }
    } catch {
      if stacktrace { throw LiveCaptureError.noIPISource("--stacktrace: options/stacktrace \(Self.reason(error))") }
      sources.append(CaptureSource(name: "options/stacktrace", isChosen: false, reason: Self.reason(error)))
    }
  }

  /// Runs function_graph in the instance, limited to the batch functions, when the kernel
  /// allows it there. Older kernels refuse a graph tracer in an instance (`current_tracer`:
  /// EINVAL; only the top-level buffer may run it): then durations come from the
  /// kprobe/kretprobe pair, and the source line says so.
  private mutating func enableFunctionGraph(in instance: TracefsInstance, functions: [String]) {
    let pair = sources.contains { $0.isChosen && $0.name.hasPrefix("kretprobe:") }
    let fallback = pair ? "; batch durations come from the kprobe/kretprobe pair" : "; batch durations are not recorded"
    guard !functions.isEmpty else {
      sources.append(CaptureSource(name: "function_graph", isChosen: false, reason: "no batch function in /proc/kallsyms\(fallback)"))
      return
    }
    do throws(NativeTraceError) {
      for (index, function) in functions.enumerated() {
        try instance.write(function + "\n", to: "set_ftrace_filter", append: index > 0)
        try instance.write(function + "\n", to: "set_graph_function", append: index > 0)
      }
    } catch {
      let file = error.path.split(separator: "/").last.map(String.init) ?? error.path
      let why = error.errno == .noSuchFileOrDirectory
        ? "refused: this kernel's instances have no \(file) (function_graph filters only in the top-level buffer)"
        : "\(Self.reason(error)) (\(file) in the instance)"
      sources.append(CaptureSource(name: "function_graph", isChosen: false, reason: why + fallback))
      return
    }
    do throws(NativeTraceError) {
      try instance.write("function_graph", to: "current_tracer")
      sources.append(CaptureSource(name: "function_graph", isChosen: true, reason: "enabled on \(functions.joined(separator: ", "))"))
    } catch {
      let why = error.errno == .invalidArgument
        ? "refused (Invalid argument): this kernel cannot run function_graph in an instance\(fallback)"
        : Self.reason(error) + fallback
      sources.append(CaptureSource(name: "function_graph", isChosen: false, reason: why))
    }
  }

  /// Adds the planned kprobes and enables them in `instance`; returns how many send probes work.
  private mutating func enableKprobes(
    _ plan: KprobePlan, in instance: TracefsInstance, file: String, group: String, beforeGlobalChange: ([String]) throws -> Void
  ) throws -> Int {
    try beforeGlobalChange(plan.probes.map { "\(group)/\($0.name)" })
    var sendProbes = 0
    for probe in plan.probes {
      let label = "\(probe.isReturn ? "kretprobe" : "kprobe"):\(probe.function)\(probe.arguments.isEmpty ? "" : " " + probe.arguments)"
      do throws(NativeTraceError) {
        try TracefsFiles.write(probe.definition(group: group) + "\n", to: file, append: true)
        addedKprobes.append("\(group)/\(probe.name)")
        try instance.write("1", to: "events/\(group)/\(probe.name)/enable")
        sources.append(CaptureSource(name: label, isChosen: true, reason: "enabled (\(probe.purpose))"))
        if probe.isSend { sendProbes += 1 }
        if probe.isSend { liveCounted["\(group)/\(probe.name)"] = .ipiSend }
        if probe.startsBatch { liveCounted["\(group)/\(probe.name)"] = .batchStart }
      } catch {
        sources.append(CaptureSource(name: label, isChosen: false, reason: Self.reason(error)))
      }
    }
    return sendProbes
  }

  /// Removes kprobe events added by a capture (`-:group/name` appended to kprobe_events).
  static func removeKprobes(_ names: [String], tracingDirectory: String) {
    for name in names.reversed() {
      try? TracefsFiles.write("-:\(name)\n", to: tracingDirectory + "/kprobe_events", append: true)
    }
  }
}

extension String {
  /// `ipi/ipi_send_cpu` → `ipi:ipi_send_cpu`.
  fileprivate func replacingSlash() -> String { split(separator: "/").joined(separator: ":") }
}
