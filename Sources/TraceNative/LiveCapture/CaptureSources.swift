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
/// instance, and enables the best sources: tracepoints first, kprobes on the IPI send
/// functions (and a kprobe/kretprobe pair on the text_poke batch function) only when the
/// `ipi:*` tracepoints are missing.
struct CaptureSourceSelection {
  /// The tracepoints the analysis reads, in the order they are tried.
  static let ipiTracepoints = ["ipi/ipi_send_cpu", "ipi/ipi_send_cpumask"]
  static let otherTracepoints = [
    "irq_vectors/call_function_entry", "irq_vectors/call_function_exit",
    "irq_vectors/call_function_single_entry", "irq_vectors/call_function_single_exit",
    "csd/csd_queue_cpu",
  ]

  private(set) var sources: [CaptureSource] = []
  /// The kprobe events this capture added to the global `kprobe_events` ("group/name"),
  /// removed again by ``LiveCapture/restore()``.
  private(set) var addedKprobes: [String] = []

  /// Why a tracefs write failed, in words.
  static func reason(_ error: NativeTraceError) -> String {
    switch error.errno {
    case ENOENT: return "not in this kernel"
    case EPERM, EACCES: return "refused (\(String(cString: strerror(error.errno))))"
    default: return "refused: \(error.function) failed: \(String(cString: strerror(error.errno)))"
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
        if Self.ipiTracepoints.contains(event) { ipiSources += 1 }
      } catch {
        sources.append(CaptureSource(name: name, isChosen: false, reason: Self.reason(error)))
      }
    }

    let kprobeEvents = tracingDirectory + "/kprobe_events"
    if !TracefsFiles.exists(kprobeEvents) {
      sources.append(CaptureSource(name: "kprobe_events", isChosen: false, reason: "not in this kernel (CONFIG_KPROBE_EVENTS)"))
    } else if ipiSources > 0 {
      sources.append(CaptureSource(name: "kprobe_events", isChosen: false, reason: "not needed: ipi tracepoints chosen"))
    } else {
      ipiSources += try enableKprobes(in: instance, file: kprobeEvents, group: kprobeGroup, beforeGlobalChange: beforeGlobalChange)
    }
    guard ipiSources > 0 else {
      throw LiveCaptureError.noIPISource(sources.filter { !$0.isChosen }.map { "\($0.name): \($0.reason)" }.joined(separator: "; "))
    }

    // function_graph: tried in this instance only, then set back; events are enough here.
    do throws(NativeTraceError) {
      try instance.write("function_graph", to: "current_tracer")
      try? instance.write("nop", to: "current_tracer")
      sources.append(CaptureSource(name: "function_graph", isChosen: false, reason: "available, not needed: batches are inferred from sync runs"))
    } catch {
      sources.append(CaptureSource(name: "function_graph", isChosen: false, reason: Self.reason(error)))
    }

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

  /// Adds kprobes on the IPI send functions and a kprobe/kretprobe pair on the text_poke
  /// batch function found in /proc/kallsyms; returns how many send probes work.
  private mutating func enableKprobes(
    in instance: TracefsInstance, file: String, group: String, beforeGlobalChange: ([String]) throws -> Void
  ) throws -> Int {
    let kallsyms = (try? TracefsFiles.readText("/proc/kallsyms")) ?? ""
    var present: Set<String> = []
    let wanted = Set(["native_send_call_func_ipi", "native_send_call_func_single_ipi"]).union(KernelSymbols.batchFunctionNames)
    for line in kallsyms.split(separator: "\n") {
      let fields = line.split(separator: " ")
      if fields.count >= 3, wanted.contains(String(fields[2])) { present.insert(String(fields[2])) }
    }
    var probes: [(name: String, definition: String, isSend: Bool)] = []
    for function in ["native_send_call_func_ipi", "native_send_call_func_single_ipi"] where present.contains(function) {
      probes.append((function, "p:\(group)/\(function) \(function)", true))
    }
    let batchNames = KernelSymbols.textPokeAliases.filter { $0.role == .batch }.map(\.name)
    if let batch = batchNames.first(where: present.contains) {
      probes.append((batch, "p:\(group)/\(batch) \(batch)", false))
      probes.append((batch + "_ret", "r:\(group)/\(batch)_ret \(batch)", false))
    }
    try beforeGlobalChange(probes.map { "\(group)/\($0.name)" })
    var sendProbes = 0
    for probe in probes {
      do throws(NativeTraceError) {
        try TracefsFiles.write(probe.definition + "\n", to: file, append: true)
        addedKprobes.append("\(group)/\(probe.name)")
        try instance.write("1", to: "events/\(group)/\(probe.name)/enable")
        sources.append(CaptureSource(name: "kprobe:\(probe.name)", isChosen: true, reason: "enabled (no ipi tracepoints)"))
        if probe.isSend { sendProbes += 1 }
      } catch {
        sources.append(CaptureSource(name: "kprobe:\(probe.name)", isChosen: false, reason: Self.reason(error)))
      }
    }
    if probes.isEmpty {
      sources.append(CaptureSource(name: "kprobe_events", isChosen: false, reason: "no IPI send function in /proc/kallsyms"))
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
