import TraceModel

/// What an event means to the IPI and text_poke analysis, whatever reader produced it.
enum EventRole: Sendable {
  /// An IPI send; `targets` nil when the trace does not say (function tracer, bare kprobe).
  case send(targets: [Int]?, via: String, callsite: String?, callback: String?)
  /// A call-function IPI arriving on the event's CPU.
  case receive(via: String)
  /// The handler of a call-function IPI finished on the event's CPU.
  case receiveExit
  /// `csd_queue_cpu`: a function queued for a CPU (6.18+: precedes the send).
  case csdQueue(function: String?)
  /// One site queued into the next batch (arm64 `arch_jump_label_transform_queue`): the
  /// batch's entries when the batch function does not take a count.
  case batchQueue(source: String)
  /// One site patched on its own, with no batch and no IPI (arm64 `arch_jump_label_transform`
  /// before the 2024 fix).
  case unbatchedPatch(source: String)
  /// Entry to or return from a text_poke batch function.
  case batchEntry(source: String, entries: Int?)
  case batchExit(source: String, durationNs: UInt64?)
  /// function_graph entry or exit of another function (kept for depth matching).
  case otherGraph
  /// A trace_marker line.
  case marker(String)
  /// A sampled call chain (perf cpu-clock, cycles, ...).
  case sample
  case irrelevant
}

/// An event with its meaning to the analysis already worked out, so that classification can
/// run on the threads that decode the trace (``EventClassifier``) rather than on the one that
/// merges and counts.
public struct ClassifiedEvent: Sendable {
  public let event: TraceEvent
  let role: EventRole
}

/// Classifies events for ``IPIAnalyzer``; one per decoding thread (it caches symbol lookups).
public struct EventClassifier {
  var roles: EventRoles

  public init(symbols: SymbolTable) { roles = EventRoles(symbols: symbols) }

  public mutating func classify(_ event: TraceEvent) -> ClassifiedEvent {
    ClassifiedEvent(event: event, role: roles.role(of: event))
  }
}

/// Recognizes events by what they are, not by the names users gave them: kprobes by the
/// function they probe (their `__probe_ip` / `__probe_func` through the trace's kallsyms).
struct EventRoles {
  let symbols: SymbolTable
  /// Addresses already resolved: a trace repeats a few callsites and callbacks millions of times.
  private var resolved: [UInt64: String?] = [:]

  init(symbols: SymbolTable) { self.symbols = symbols }

  /// The events the analysis reads; a reader may skip all others.
  static let selection = FieldSelection.only([
    "ipi:*", "irq_vectors:call_function_entry", "irq_vectors:call_function_single_entry",
    "irq_vectors:call_function_exit", "irq_vectors:call_function_single_exit",
    "csd:csd_queue_cpu", "ftrace:print", "ftrace:funcgraph_entry", "ftrace:funcgraph_exit",
    "ftrace:function", "kprobes:*", "perf:*",
  ])

  /// Functions whose every call is one IPI send, for function tracers (which see calls, not
  /// targets). smp_call_function_many_cond is left out: it calls native_send_call_func_ipi.
  static let functionLevelSends: Set<String> = [
    "native_send_call_func_ipi", "native_send_call_func_single_ipi", "smp_call_function_single",
  ]

  /// The reason arm/arm64 give `IPI_CALL_FUNC` in `ipi_raise` and `ipi_entry`
  /// (arch/arm64/kernel/smp.c `ipi_types[]`).
  static let functionCallReason = "Function call interrupts"

  /// Entry counts a batch kprobe can report: x86's vector holds at most TP_VEC_MAX (256,
  /// arch/x86/kernel/alternative.c; PatchEngine's TextPokeRules), so 65,536 leaves room for any
  /// later kernel while keeping a damaged count from becoming billions of predicted sites.
  static let plausibleBatchEntries: ClosedRange<Int64> = 1...65_536

  /// A text_poke batch function of x86 (any version) or arm64's jump-label apply.
  static func isBatchFunction(_ name: String) -> Bool {
    KernelSymbols.batchFunctionNames.contains(name) || name == Arm64JumpLabel.apply
  }

  /// A symbol name from a field that holds an address or a `sym+0x0/0x20` text.
  mutating func symbol(_ value: FieldValue?) -> String? {
    switch value {
    case .unsigned(let address)?:
      if let known = resolved[address] { return known }
      let name = symbols.symbolize(address)?.name
      if resolved.count < 1 << 16 { resolved[address] = name }
      return name
    case .string(let text)?:
      if let name = Self.asciiSymbol(text) { return name.isEmpty ? nil : name }
      let name = text.prefix { $0 != "+" && $0 != " " }
      return name.isEmpty ? nil : String(name)
    default:
      return nil
    }
  }

  /// The symbol of a `sym+0x0/0x20` text (up to its first `+` or space) read as bytes, when
  /// the text up to and including that byte and the byte after it are ASCII (so no grapheme
  /// cluster can join the `+` or space to its neighbours, and the `Character` scan would stop at
  /// the same place); nil otherwise. Per send event this is two fields: the byte scan replaced
  /// a `Character` scan that took 15% of `pokestat analyze` on report text.
  static func asciiSymbol(_ text: String) -> String? {
    let utf8 = text.utf8
    var index = utf8.startIndex
    while index != utf8.endIndex {
      let byte = utf8[index]
      if byte >= 0x80 { return nil }
      if byte == UInt8(ascii: "+") || byte == UInt8(ascii: " ") {
        let after = utf8.index(after: index)
        if after != utf8.endIndex, utf8[after] >= 0x80 { return nil }
        return String(text[..<index])
      }
      utf8.formIndex(after: &index)
    }
    return text
  }

  /// The function a kprobe or kretprobe event is on, and whether it is the return probe.
  mutating func probedFunction(_ event: TraceEvent) -> (name: String, isReturn: Bool)? {
    let isReturn = event[field: "__probe_ret_ip"] != nil
    if let function = symbol(event[field: "__probe_func"]) { return (function, isReturn) }
    if let function = symbol(event[field: "__probe_ip"]) { return (function, isReturn) }
    return nil
  }

  /// The first numeric argument of a probe, or the one with a known name.
  private func probeArgument(_ event: TraceEvent, names: [String]) -> FieldValue? {
    for name in names { if let value = event[field: name] { return value } }
    return event.fields.first { !$0.name.hasPrefix("__probe") && !$0.name.hasPrefix("common_") }?.value
  }

  /// CPUs in a cpumask, whatever form the reader gave it (``CPUMask``).
  private func cpus(inMask value: FieldValue?) -> [Int]? {
    value.flatMap { CPUMask.cpus(in: $0) }
  }

  mutating func role(of event: TraceEvent) -> EventRole {
    switch event.system {
    case "ipi":
      switch event.name {
      case "ipi_send_cpu":
        let cpu = event[field: "cpu"]?.unsignedValue.map { [Int(clamping: $0)] }
        return .send(targets: cpu, via: "ipi:ipi_send_cpu", callsite: symbol(event[field: "callsite"]), callback: symbol(event[field: "callback"]))
      case "ipi_send_cpumask":
        return .send(targets: cpus(inMask: event[field: "cpumask"]), via: "ipi:ipi_send_cpumask",
                     callsite: symbol(event[field: "callsite"]), callback: symbol(event[field: "callback"]))
      case "ipi_raise":
        // tracefs text prints the bitmap as `target_mask=`; the format's field is `target_cpus`.
        return .send(targets: cpus(inMask: event[field: "target_cpus"] ?? event[field: "target_mask"]), via: "ipi:ipi_raise",
                     callsite: nil, callback: event[field: "reason"]?.stringValue)
      case "ipi_entry":
        // arm/arm64 (arch/arm64/kernel/smp.c do_handle_IPI): one per IPI taken, by reason.
        return event[field: "reason"]?.stringValue == Self.functionCallReason ? .receive(via: "ipi:ipi_entry") : .irrelevant
      case "ipi_exit":
        return event[field: "reason"]?.stringValue == Self.functionCallReason ? .receiveExit : .irrelevant
      default:
        return .irrelevant
      }
    case "irq_vectors":
      switch event.name {
      case "call_function_entry": return .receive(via: "irq_vectors:call_function_entry")
      case "call_function_single_entry": return .receive(via: "irq_vectors:call_function_single_entry")
      case "call_function_exit", "call_function_single_exit": return .receiveExit
      default: return .irrelevant
      }
    case "csd":
      return event.name == "csd_queue_cpu" ? .csdQueue(function: symbol(event[field: "func"])) : .irrelevant
    case "ftrace":
      switch event.name {
      case "print":
        if let text = event[field: "buf"]?.stringValue { return .marker(text) }
        return .irrelevant
      case "funcgraph_entry":
        guard let function = symbol(event[field: "func"]) else { return .otherGraph }
        // Sends are not taken from function_graph: a graph filter usually holds the send
        // functions beside probes or tracepoints that see the same sends with their targets.
        if Self.isBatchFunction(function) { return .batchEntry(source: "function_graph", entries: nil) }
        if function == Arm64JumpLabel.queue { return .batchQueue(source: "function_graph") }
        if function == Arm64JumpLabel.transform { return .unbatchedPatch(source: "function_graph") }
        return .otherGraph
      case "funcgraph_exit":
        guard let function = symbol(event[field: "func"]) else { return .otherGraph }
        guard Self.isBatchFunction(function) else { return .otherGraph }
        var duration = event[field: "duration_ns"]?.unsignedValue
        if duration == nil, let returned = event[field: "rettime"]?.unsignedValue, let called = event[field: "calltime"]?.unsignedValue,
          returned >= called
        {
          duration = returned - called
        }
        return .batchExit(source: "function_graph", durationNs: duration)
      case "function":
        if let function = symbol(event[field: "ip"]), Self.functionLevelSends.contains(function) {
          return .send(targets: nil, via: "function:\(function)", callsite: nil, callback: nil)
        }
        return .irrelevant
      default:
        return .irrelevant
      }
    case "perf":
      return .sample
    default:
      guard let probe = probedFunction(event) else { return .irrelevant }
      if probe.name == Arm64JumpLabel.queue { return probe.isReturn ? .irrelevant : .batchQueue(source: "kprobe") }
      if probe.name == Arm64JumpLabel.transform { return probe.isReturn ? .irrelevant : .unbatchedPatch(source: "kprobe") }
      if Self.isBatchFunction(probe.name) {
        if probe.isReturn { return .batchExit(source: "kprobe", durationNs: nil) }
        // A count no kernel's batch vector holds (a kprobe printing -1, a damaged field) is
        // "entries unknown", never a number the model would expand into sites.
        let entries = probeArgument(event, names: ["nr_entries", "nr"])?.signedValue.flatMap {
          Self.plausibleBatchEntries.contains($0) ? Int($0) : nil
        }
        return .batchEntry(source: "kprobe", entries: entries)
      }
      guard !probe.isReturn, KernelSymbols.ipiSendFunctions.contains(probe.name) else { return .irrelevant }
      let via = "kprobe:\(probe.name)"
      switch probe.name {
      case "native_send_call_func_ipi":
        return .send(targets: cpus(inMask: probeArgument(event, names: ["mask", "cpumask"])), via: via, callsite: nil, callback: nil)
      case "native_send_call_func_single_ipi", "smp_call_function_single":
        let cpu = probeArgument(event, names: ["cpu"])?.signedValue.map { [Int($0)] }
        return .send(targets: cpu, via: via, callsite: nil, callback: nil)
      default:
        return .send(targets: nil, via: via, callsite: nil, callback: nil)
      }
    }
  }
}
