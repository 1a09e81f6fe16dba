import TraceModel

/// Options of an analysis.
public struct AnalysisOptions: Sendable {
  /// CPUs to report receptions for (`--isolated 2-7`).
  public var isolatedCPUs: [Int]
  /// Largest gap between two text_poke syncs of one task that still belong to one inferred batch.
  public var inferredBatchGapNanoseconds: UInt64
  /// Largest gap between two batches of one task that still belong to one inferred flip.
  public var inferredFlipGapNanoseconds: UInt64

  public init(isolatedCPUs: [Int] = [], inferredBatchGapNanoseconds: UInt64 = 5_000_000,
              inferredFlipGapNanoseconds: UInt64 = 50_000_000) {
    self.isolatedCPUs = isolatedCPUs
    self.inferredBatchGapNanoseconds = inferredBatchGapNanoseconds
    self.inferredFlipGapNanoseconds = inferredFlipGapNanoseconds
  }
}

/// Counts IPIs, text_poke batches, flips and int3 samples from events fed in time order.
///
/// Feed it every event of a trace with ``consume(_:)`` (in global timestamp order:
/// `EventSource.forEachEventInTimeOrder(fields: IPIAnalyzer.selection)`), then call ``finish(skippedEvents:)``.
///
/// - Complexity: O(1) amortized per event; memory grows with the number of sends, batches and
///   distinct sender paths (a few words per send), not with other events.
public struct IPIAnalyzer {
  /// The events the analysis needs decoded; readers may skip all others.
  public static var selection: FieldSelection { EventRoles.selection }

  private let metadata: TraceMetadata
  private let options: AnalysisOptions
  private var roles: EventRoles

  /// One send, in 40 bytes (there are as many as the trace has IPI send events).
  private struct Send {
    var time: UInt64
    var ipis: Int
    private var cpuNumber: Int32
    var pid: Int32
    /// Index into ``paths``.
    var path: Int32
    private var batchIndex: Int32
    /// Index into ``keys`` of the static key its call chain flips, when a known sysctl handler
    /// or caller is in it; -1 none.
    var key: Int32
    var textPoke: Bool

    init(time: UInt64, cpu: Int, pid: Int32, ipis: Int, textPoke: Bool, path: Int32, batch: Int?, key: Int32) {
      self.time = time
      self.ipis = ipis
      cpuNumber = Int32(CPUNumber.normalized(cpu))
      self.pid = pid
      self.path = path
      batchIndex = batch.map { Int32($0) } ?? -1
      self.key = key
      self.textPoke = textPoke
    }

    var cpu: Int { Int(cpuNumber) }
    var batch: Int? { batchIndex < 0 ? nil : Int(batchIndex) }
  }

  /// One reception, in 24 bytes.
  private struct Reception {
    var time: UInt64
    var cpu: Int32
    /// Index into ``kinds``.
    var kind: Int32
    private var sendIndex: Int32

    init(time: UInt64, cpu: Int, kind: Int32, send: Int?) {
      self.time = time
      self.cpu = Int32(CPUNumber.normalized(cpu))
      self.kind = kind
      sendIndex = send.map { Int32($0) } ?? -1
    }

    /// Index into ``sends`` of the send it answered.
    var send: Int? { sendIndex < 0 ? nil : Int(sendIndex) }
  }

  /// Distinct strings stored once; events refer to them by index (memory per send stays small).
  private struct Interner {
    private(set) var strings: [String] = []
    private var indices: [String: Int32] = [:]
    mutating func index(_ string: String) -> Int32 {
    if let known = indices[string] { return known }
      let index = Int32(strings.count)
      strings.append(string)
      indices[string] = index
      return index
    }
    subscript(_ index: Int32) -> String { strings[Int(index)] }
  }
  private var paths = Interner()
  private var keys = Interner()
  private var kinds = Interner()
  private var callsitePaths: [CallsiteKey: SendSite] = [:]
  private struct CallsiteKey: Hashable {
    var callsite: String?
    var callback: String?
    var via: String
  }
  /// What a send's source, callsite and callback mean to the analysis, worked out once.
  private struct SendSite {
    var via: String
    /// How close to the caller the source sees a send: generic tracepoint (ipi_send_*) 3,
    /// the arch layer (a kprobe on the send function, arm64's ipi:ipi_raise) 2, the function
    /// tracer 1. One call seen at two levels is one send (``handleSend``).
    var priority: Int
    /// Which sends it can be another view of: 1 one CPU (`ipi_send_cpu`,
    /// `native_send_call_func_single_ipi`), 2 a mask (`ipi_send_cpumask`,
    /// `native_send_call_func_ipi`), 0 either (`ipi_raise`, other functions).
    var shape: Int8
    /// The callback is `do_sync_core`.
    var callbackSyncsCore: Bool
    /// No callsite, or one a batch's syncs use: the send can be attributed by time window.
    var callsiteAllowsWindow: Bool
    /// Index into ``paths`` of the send's path when it has no call chain.
    var path: Int32
  }
  /// Send sites of records by (kind, callsite address, callback address).
  private var recordSites: [RecordSiteKey: SendSite] = [:]
  /// The latest record send site: sends repeat a few sites, mostly in runs.
  private var lastRecordSite: (key: RecordSiteKey, site: SendSite)?
  private struct RecordSiteKey: Hashable {
    var kind: Int
    var callsite: UInt64
    var callback: UInt64
  }
  /// ``kinds`` index of each ``IPIRecord/Kind`` used so far, and whether its source is in ``sources``.
  private var recordKinds: [Int32] = Array(repeating: -1, count: IPIRecord.Kind.allCases.count)

  /// The targets of a send.
  private enum Targets {
    case one(Int)
    case mask(UInt64)
    case list([Int])

    var count: Int {
      switch self {
      case .one: return 1
      case .mask(let mask): return mask.nonzeroBitCount
      case .list(let cpus): return cpus.count
      }
    }

    func forEach(_ body: (Int) -> Void) {
      switch self {
      case .one(let cpu): body(cpu)
      case .mask(var mask):
        while mask != 0 {
          body(mask.trailingZeroBitCount)
          mask &= mask - 1
        }
      case .list(let cpus): for cpu in cpus { body(cpu) }
      }
    }
  }

  private struct Batch {
    var start: UInt64
    var cpu: Int
    var pid: Int32
    var comm: String
    var entries: Int?
    var sources: [String]
    var openSources: [String: UInt64] = [:]
    var durations: [String: UInt64] = [:]
    var sends: [Int] = []
    var ipisSent = 0
    var ipisReceived = 0
    var receivedPerCPU: [Int: Int] = [:]
    var lastSend: UInt64 = 0
    var lastAck: UInt64 = 0
    var idleCPUs: Set<Int> = []
    var receptionKinds: Set<Int32> = []
  }

  private var events = 0
  private var lostPerCPU: [Int: Int] = [:]
  private var unknownLoss = false
  private var maxCPU = -1
  /// Events whose CPU is unknown (``CPUNumber/unknown``).
  private var eventsWithoutCPU = 0
  private var sends: [Send] = []
  private var sentPerCPU = CPUCounts()
  private var receivedPerCPU = CPUCounts()
  private var matrix = CPUMatrix()
  /// Event kinds counted as sends or receptions (a handful: a list beats hashing per event).
  private var sources: [String] = []
  private var unknownTargetSends = 0
  private var unknownTargetRecent: [Int] = []
  /// Target CPU → the newest send to it not answered yet.
  private var unanswered = PerCPU<Int?>(nil)
  /// CPU → send index of its latest reception.
  private var lastReception = PerCPU<Int?>(nil)
  /// Per CPU, the latest sends not yet seen by a lower level (newest last, at most
  /// ``pendingLimit``): where a kprobe or ipi_raise event finds the tracepoint event of the
  /// same call.
  private var pendingSends = PerCPU<[PendingSend]>([])
  private static let pendingLimit = 8
  private struct PendingSend {
    var send: Int32
    var priority: Int8
    var shape: Int8
    /// Targets among CPUs 0-63 (bit n = CPU n); nil when the source named none.
    var mask: UInt64?
    /// Priorities that already saw this send (bit n = priority n).
    var seenBy: UInt8
  }
  /// Per CPU, the ``kinds`` index of the reception whose exit has not been seen (-1 none),
  /// so that one interrupt seen by two sources (irq_vectors and ipi:ipi_entry) counts once.
  private var openReception = PerCPU<Int32>(-1)
  /// Sites queued into the next batch, per task and source (arm64 `arch_jump_label_transform_queue`).
  private var queued: [Int32: [String: Int]] = [:]
  /// Times of sites patched on their own (arm64 `arch_jump_label_transform`), per source.
  private var unbatchedPatches: [String: [UInt64]] = [:]
  private var lastCSD = PerCPU<(time: UInt64, function: String?)?>(nil)
  /// Attribution methods used: bit 0 stack, bit 1 callsite, bit 2 time window.
  private var attribution: UInt8 = 0
  private var batches: [Batch] = []
  private var openBatch: [Int32: Int] = [:]
  private var inferredBatch: [Int32: Int] = [:]
  private var markers = FlipMarkers()
  private var int3 = Int3SampleCounter()
  private var isolated: IsolatedCPUCounter
  private var textPokeReceivedPerCPU = CPUCounts()
  private var textPokeReceived = 0
  /// Every reception (time, CPU), for per-flip totals.
  private var receptions: [Reception] = []
  /// The task of each CPU's latest event (0: idle).
  private var lastPID = PerCPU<Int32>(-1)

  public init(metadata: TraceMetadata, options: AnalysisOptions = AnalysisOptions()) {
    self.metadata = metadata
    self.options = options
    self.roles = EventRoles(symbols: metadata.symbols)
    self.isolated = IsolatedCPUCounter(cpus: options.isolatedCPUs)
  }

  // MARK: - Feeding

  /// Adds one event; events must come in timestamp order.
  public mutating func consume(_ event: TraceEvent) {
    consume(ClassifiedEvent(event: event, role: roles.role(of: event)))
  }

  /// Adds one event classified by an ``EventClassifier`` (on a decoding thread); events must
  /// come in timestamp order.
  public mutating func consume(_ classified: ClassifiedEvent) {
    let event = classified.event
    events += 1
    let cpu = noteCPU(event.cpu)
    if event.lostBefore > 0 { lostPerCPU[cpu] = Self.saturatingSum(lostPerCPU[cpu, default: 0], event.lostBefore) }
    if event.lostBefore < 0 { unknownLoss = true }
    let time = event.timestamp.nanoseconds
    defer { lastPID[cpu] = event.pid }
    switch classified.role {
    case .send(let targets, let via, let callsite, let callback):
      handleSend(cpu: cpu, pid: event.pid, comm: { event.comm }, stack: event.stack, time: time,
                 targets: targets.map { .list($0) }, site: sendSite(via: via, callsite: callsite, callback: callback))
    case .receive(let via):
      handleReceive(cpu: cpu, time: time, via: via, kind: kinds.index(via))
    case .receiveExit:
      openReception[cpu] = -1
      if let index = lastReception[cpu], let batch = sends[index].batch {
        batches[batch].lastAck = max(batches[batch].lastAck, time)
      }
    case .csdQueue(let function):
      lastCSD[cpu] = (time, function)
    case .batchQueue(let source):
      queued[event.pid, default: [:]][source, default: 0] += 1
    case .unbatchedPatch(let source):
      unbatchedPatches[source, default: []].append(time)
    case .batchEntry(let source, let entries):
      openBatchSource(event, time: time, source: source, entries: entries)
    case .batchExit(let source, let duration):
      closeBatchSource(event, time: time, source: source, duration: duration)
    case .marker(let text):
      markers.note(text, time: time, batchesSoFar: batches.count)
    case .sample:
      int3.add(event)
    case .otherGraph, .irrelevant:
      break
    }
  }

  /// Adds a record or a classified event from a decoding thread; inputs must come in
  /// timestamp order.
  public mutating func consume(_ input: AnalysisInput) {
    switch input {
    case .record(let record): consume(record)
    case .classified(let classified): consume(classified)
    }
  }

  /// Adds one compact record; inputs must come in timestamp order. Gives the same result as
  /// ``consume(_:)-(TraceEvent)`` with the event the record was made from.
  public mutating func consume(_ record: IPIRecord) {
    events += 1
    let cpu = noteCPU(record.cpu)
    if record.lostBefore > 0 { lostPerCPU[cpu] = Self.saturatingSum(lostPerCPU[cpu, default: 0], record.lostBefore) }
    if record.lostBefore < 0 { unknownLoss = true }
    let time = record.timestamp
    defer { lastPID[cpu] = record.pid }
    switch record.kind {
    case .sendToCPU, .sendToMask:
      let key = RecordSiteKey(kind: record.kind.rawValue, callsite: record.values.1, callback: record.values.2)
      let site: SendSite
      if let last = lastRecordSite, last.key == key {
        site = last.site
      } else if let known = recordSites[key] {
        site = known
        lastRecordSite = (key, known)
      } else {
        site = sendSite(via: record.kind.via, callsite: roles.symbol(.unsigned(record.values.1)),
                        callback: roles.symbol(.unsigned(record.values.2)))
        recordSites[key] = site
      }
      let targets: Targets = record.kind == .sendToCPU ? .one(Int(clamping: record.values.0)) : .mask(record.values.0)
      handleSend(cpu: cpu, pid: record.pid, comm: { record.comm }, stack: nil, time: time, targets: targets, site: site)
    case .functionEntry, .functionSingleEntry:
      var kind = recordKinds[record.kind.rawValue]
      if kind < 0 {
        kind = kinds.index(record.kind.via)
        recordKinds[record.kind.rawValue] = kind
      }
      handleReceive(cpu: cpu, time: time, via: record.kind.via, kind: kind)
    case .functionExit, .functionSingleExit:
      openReception[cpu] = -1
      if let index = lastReception[cpu], let batch = sends[index].batch {
        batches[batch].lastAck = max(batches[batch].lastAck, time)
      }
    }
  }

  /// The CPU number the analysis uses for `cpu` (``CPUNumber/normalized(_:)``), noted for the
  /// inferred CPU count and the count of events without a CPU.
  @inline(__always)
  private mutating func noteCPU(_ cpu: Int) -> Int {
    let normalized = CPUNumber.normalized(cpu)
    if normalized < 0 { eventsWithoutCPU += 1 } else if normalized > maxCPU { maxCPU = normalized }
    return normalized
  }

  /// Counts a CPU number the reader saw on events it did not hand over (outside
  /// ``selection``) toward the CPU count inferred when the trace's header has none.
  public mutating func noteCPUSeen(_ cpu: Int) {
    let normalized = CPUNumber.normalized(cpu)
    if normalized > maxCPU { maxCPU = normalized }
  }

  /// Adds a batch known only from a log line (`text_poke_bp_batch(nr_entries=N)` … `Took N usec`).
  public mutating func recordLoggedBatch(start: Timestamp?, entries: Int?, durationNanoseconds: UInt64) {
    var batch = Batch(start: start?.nanoseconds ?? 0, cpu: -1, pid: -1, comm: "", entries: entries, sources: ["log"])
    batch.durations["log"] = durationNanoseconds
    batches.append(batch)
  }

  /// The meaning of a send's source, callsite and callback (cached per distinct triple).
  private mutating func sendSite(via: String, callsite: String?, callback: String?) -> SendSite {
    let key = CallsiteKey(callsite: callsite, callback: callback, via: via)
    if let known = callsitePaths[key] { return known }
    let text = callsite.map { site in callback.map { "\(site) (\($0))" } ?? site } ?? via
    let shape: Int8 =
      via.hasSuffix("ipi_send_cpu") || via.hasSuffix("native_send_call_func_single_ipi") || via.hasSuffix("smp_call_function_single")
      ? 1 : via.hasSuffix("ipi_send_cpumask") || via.hasSuffix("native_send_call_func_ipi") ? 2 : 0
    let priority = via == "ipi:ipi_raise" ? 2 : via.hasPrefix("ipi:") ? 3 : via.hasPrefix("kprobe:") ? 2 : 1
    let site = SendSite(
      via: via, priority: priority, shape: shape,
      callbackSyncsCore: callback == "do_sync_core",
      callsiteAllowsWindow: callsite == nil || callsite == "on_each_cpu_cond_mask" || callsite == "smp_call_function_many_cond",
      path: paths.index(text))
    callsitePaths[key] = site
    return site
  }

  private mutating func handleSend(
    cpu: Int, pid: Int32, comm: () -> String, stack: KernelStack?, time: UInt64, targets: Targets?, site: SendSite
  ) {
    if !sources.contains(site.via) { sources.append(site.via) }
    // One send seen by two sources (the generic ipi_send_* tracepoint, then the arch layer: a
    // kprobe on native_send_call_func_*, arm64's ipi_raise, the function tracer) is one send.
    // They are paired by what they are, not by time: the same CPU, the lower level after the
    // higher, the same shape and the same targets; the newest such send not yet seen at this
    // level is the one (the tracepoint fires, then the arch function runs; an interrupt
    // nested between them makes its own pair, newer).
    let mask = targets.map(Self.lowMask)
    let priority = Int8(site.priority)
    let shape = site.shape
    let newSend = Int32(sends.count)
    // In place (no copy of the CPU's list per send).
    let isAnotherView = pendingSends.update(cpu) { pending -> Bool in
      if let match = pending.lastIndex(where: { earlier in
        earlier.priority > priority && earlier.seenBy & (1 << UInt8(priority)) == 0
          && (earlier.shape == 0 || shape == 0 || earlier.shape == shape)
          && (earlier.mask == nil || mask == nil || earlier.mask == mask)
      }) {
        pending[match].seenBy |= 1 << UInt8(priority)
        return true
      }
      if priority > 1 {
        if pending.count >= Self.pendingLimit { pending.removeFirst(pending.count - Self.pendingLimit + 1) }
        pending.append(PendingSend(send: newSend, priority: priority, shape: shape, mask: mask, seenBy: 1 << UInt8(priority)))
      }
      return false
    }
    if isAnotherView { return }
    // Is it a text_poke sync? By call chain first, then by what was queued, then by window.
    var textPoke = false
    if let stack, !stack.frames.isEmpty {
      let frames = stack.framesBeforeInterruptEntry
      textPoke = frames.contains { frame in
        guard let symbol = frame.symbol else { return false }
        // arm64: the apply's kick (apply itself is often a tail call, absent from the chain).
        return KernelSymbols.isTextPokePath(symbol) || symbol == Arm64JumpLabel.apply
          || (symbol == Arm64JumpLabel.kick && openBatch[pid] != nil)
      }
      attribution |= 1
    } else if let csd = lastCSD[cpu], time &- csd.time < 100_000, csd.function == "do_sync_core" {
      textPoke = true
      attribution |= 2
    } else if site.callbackSyncsCore {
      textPoke = true
      attribution |= 2
    } else if site.callsiteAllowsWindow, openBatch[pid] != nil {
      textPoke = true
      attribution |= 4
    }
    let path = senderPath(stack: stack) ?? site.path
    let count = targets?.count ?? 0
    let index = sends.count
    var batchIndex: Int?
    if textPoke {
      if let open = openBatch[pid] {
        batchIndex = open
      } else {
        batchIndex = inferredBatchIndex(cpu: cpu, pid: pid, comm: comm, time: time)
      }
    }
    let key = stack?.frames.lazy.compactMap { $0.symbol.flatMap { Self.keyByCaller[$0] } }.first.map { keys.index($0) } ?? -1
    sends.append(Send(time: time, cpu: cpu, pid: pid, ipis: count, textPoke: textPoke, path: path, batch: batchIndex, key: key))
    if let batchIndex {
      for cpu in lastPID.indices where lastPID[cpu] == 0 { batches[batchIndex].idleCPUs.insert(cpu) }
      batches[batchIndex].sends.append(index)
      batches[batchIndex].ipisSent += count
      batches[batchIndex].lastSend = time
    }
    if let targets {
      sentPerCPU[cpu, default: 0] += count
      targets.forEach { number in
        let target = CPUNumber.normalized(number)
        // A target is a CPU of the machine: it counts toward the inferred CPU count.
        if target > maxCPU { maxCPU = target }
        matrix.add(row: cpu, column: target)
        unanswered[target] = index
      }
    } else {
      unknownTargetSends += 1
      unknownTargetRecent.append(index)
      if unknownTargetRecent.count > 64 { unknownTargetRecent.removeFirst(unknownTargetRecent.count - 64) }
    }
  }

  /// `ipi` of `ipi:ipi_entry`.
  private static func system(of via: String) -> Substring { via.prefix { $0 != ":" } }

  /// A send's targets among CPUs 0-63 as a bitmask (bit n = CPU n): the key that pairs two
  /// views of one send.
  private static func lowMask(_ targets: Targets) -> UInt64 {
    switch targets {
    case .one(let cpu): return cpu >= 0 && cpu < 64 ? 1 << UInt64(cpu) : 0
    case .mask(let mask): return mask
    case .list(let cpus): return cpus.reduce(0) { $1 >= 0 && $1 < 64 ? $0 | 1 << UInt64($1) : $0 }
    }
  }

  /// The batch a text_poke sync belongs to when no function_graph or probe saw the batch:
  /// one task's run of at most 3 syncs with gaps below the option's limit.
  private mutating func inferredBatchIndex(cpu: Int, pid: Int32, comm: () -> String, time: UInt64) -> Int {
    if let current = inferredBatch[pid] {
      let batch = batches[current]
      if batch.sends.count < 3, time &- batch.lastSend <= options.inferredBatchGapNanoseconds { return current }
    }
    batches.append(Batch(start: time, cpu: cpu, pid: pid, comm: comm(), sources: ["inferred"]))
    inferredBatch[pid] = batches.count - 1
    return batches.count - 1
  }

  private mutating func handleReceive(cpu: Int, time: UInt64, via: String, kind: Int32) {
    if !sources.contains(via) { sources.append(via) }
    // The same interrupt seen by a second source (ipi:ipi_entry and an irq_vectors entry, of
    // another system) before the first one's exit: one reception. Two irq_vectors entries are
    // two vectors, two interrupts.
    let open = openReception[cpu]
    openReception[cpu] = kind
    if open >= 0, open != kind, Self.system(of: kinds[open]) != Self.system(of: via) { return }
    receivedPerCPU[cpu, default: 0] += 1
    // One call-function interrupt runs the CPU's whole queue, and a sender raises an IPI only
    // when it finds the queue empty: the reception answers the newest unanswered send to this
    // CPU, and older unanswered ones (whose receptions the trace lost) are dropped.
    var matched: Int?
    if let newest = unanswered[cpu] {
      matched = newest
      unanswered[cpu] = nil
    } else if let index = unknownTargetRecent.last(where: { sends[$0].cpu != cpu }) {
      matched = index
      sends[index].ipis += 1
      sentPerCPU[sends[index].cpu, default: 0] += 1
      matrix.add(row: sends[index].cpu, column: cpu)
      if let batch = sends[index].batch { batches[batch].ipisSent += 1 }
    }
    receptions.append(Reception(time: time, cpu: cpu, kind: kind, send: matched))
    guard let matched else {
      isolated.noteReception(cpu: cpu, source: nil)
      return
    }
    lastReception[cpu] = matched
    let send = sends[matched]
    if send.textPoke {
      textPokeReceived += 1
      textPokeReceivedPerCPU[cpu, default: 0] += 1
    }
    if let batch = send.batch {
      batches[batch].receptionKinds.insert(kind)
      batches[batch].ipisReceived += 1
      batches[batch].receivedPerCPU[cpu, default: 0] += 1
      batches[batch].lastAck = max(batches[batch].lastAck, time)
    }
    if !isolated.cpus.isEmpty, isolated.cpus.contains(cpu) {
      isolated.noteReception(cpu: cpu, textPoke: send.textPoke, source: paths[send.path])
    }
  }

  private mutating func openBatchSource(_ event: TraceEvent, time: UInt64, source: String, entries: Int?) {
    if let open = openBatch[event.pid] {
      // Another source seeing the same call (function_graph and a kprobe): one batch.
      if batches[open].openSources[source] == nil {
        batches[open].openSources[source] = time
        if !batches[open].sources.contains(source) { batches[open].sources.append(source) }
        if let entries { batches[open].entries = entries }
        return
      }
    }
    // arm64's apply takes no count: its entries are the sites queued since the task's last batch
    // (the source that saw most of them: kprobe and function_graph see the same calls).
    let queuedEntries = queued.removeValue(forKey: event.pid)?.values.max()
    var batch = Batch(
      start: time, cpu: CPUNumber.normalized(event.cpu), pid: event.pid, comm: event.comm,
      entries: entries ?? queuedEntries, sources: [source])
    batch.openSources[source] = time
    batch.idleCPUs = Set(lastPID.indices.filter { lastPID[$0] == 0 })
    batches.append(batch)
    openBatch[event.pid] = batches.count - 1
    inferredBatch[event.pid] = nil
  }

  private mutating func closeBatchSource(_ event: TraceEvent, time: UInt64, source: String, duration: UInt64?) {
    guard let open = openBatch[event.pid], let started = batches[open].openSources.removeValue(forKey: source) else { return }
    batches[open].durations[source] = duration ?? (time &- started)
    batches[open].start = min(batches[open].start, started)
    if batches[open].openSources.isEmpty { openBatch[event.pid] = nil }
  }

  /// The code path of a send from its call chain: the first frames after the tracing and IPI
  /// plumbing; nil without a call chain (the send site's path applies).
  private mutating func senderPath(stack: KernelStack?) -> Int32? {
    if let frames = stack?.framesBeforeInterruptEntry, !frames.isEmpty {
      let meaningful = frames.lazy.compactMap(\.symbol).filter { !Self.isPlumbing($0) }
      if !meaningful.isEmpty {
        return paths.index(meaningful.prefix(2).joined(separator: " <- "))
      }
      if let interrupt = stack?.frames.first(where: { $0.symbol.map(KernelSymbols.isInterruptEntry) ?? false })?.symbol {
        return paths.index("interrupt \(interrupt)")
      }
    }
    return nil
  }

  private static let plumbingPrefixes = [
    "trace_event_raw_event_", "perf_trace_", "kprobe", "arch_ftrace", "ftrace_", "trace_", "__traceiter_",
    "native_send_call_func", "__smp_call_single_queue", "smp_call_function", "generic_exec_single",
    "on_each_cpu", "x2apic_", "__x2apic", "default_send_IPI", "send_call_function", "arch_send_call_function",
    "__send_ipi", "native_smp_send", "smp_send_", "flat_send_IPI", "physflat_send", "ipi_send", "return_to_handler",
  ]

  private static func isPlumbing(_ symbol: String) -> Bool {
    plumbingPrefixes.contains { symbol.hasPrefix($0) }
  }

  // MARK: - Result

  /// The report, once every event has been consumed. `skippedEvents` are events the reader
  /// read but did not return (outside ``selection``); they count toward `events`.
  public func finish(skippedEvents: Int = 0) -> AnalysisReport {
    // The header's count when it has a plausible one that covers every CPU seen; else the
    // highest CPU seen + 1, said to be inferred.
    let seen = maxCPU + 1
    let header = metadata.cpuCount.flatMap { $0 >= 1 && $0 <= CPUNumber.limit ? $0 : nil }
    let cpus = header.map { max($0, seen) } ?? seen
    let cpusInferred = header.map { $0 < seen } ?? true
    // Pages report the events lost before them; CPUSTAT reports the buffer's overruns: the same
    // losses seen twice, so take the larger per CPU.
    var lost = lostPerCPU
    for (cpu, dropped) in metadata.droppedPerCPU where dropped > lost[cpu, default: 0] { lost[cpu] = dropped }
    let lostTotal = lost.values.reduce(0, Self.saturatingSum)

    let batchSummaries = batches.enumerated().map { index, batch -> BatchSummary in
      let preferred = ["function_graph", "kprobe", "log"].first { batch.durations[$0] != nil }
      var duration = preferred.flatMap { batch.durations[$0] }
      var source = preferred ?? "inferred"
      if preferred == nil {
        let end = max(batch.lastAck, batch.lastSend)
        duration = end > batch.start ? end - batch.start : nil
        source = "inferred"
      }
      // Receptions during the batch that answered other sends (or none in the trace).
      var other: [Int: Int] = [:]
      var unattributed: [Int: Int] = [:]
      // Saturating: a damaged duration (text with a huge `us` column) must not wrap or trap.
      let (sum, overflow) = batch.start.addingReportingOverflow(duration ?? 0)
      let end = overflow ? UInt64.max : sum
      for reception in receptions[Self.range(of: receptions, from: batch.start, to: max(end, batch.lastAck)) { $0.time }] {
        if reception.send.flatMap({ sends[$0].batch }) != index { other[Int(reception.cpu), default: 0] += 1 }
        if reception.send == nil, batch.receptionKinds.contains(reception.kind) { unattributed[Int(reception.cpu), default: 0] += 1 }
      }
      return BatchSummary(
        startNs: batch.start, durationNs: duration, entries: batch.entries, ipisSent: batch.ipisSent,
        ipisReceived: batch.ipisReceived, syncs: batch.sends.count, durationSource: source, durations: batch.durations,
        sources: batch.sources, cpu: batch.cpu, pid: batch.pid, comm: batch.comm,
        receivedPerCPU: Self.keyed(batch.receivedPerCPU), otherReceivedPerCPU: Self.keyed(other),
        unattributedReceivedPerCPU: Self.keyed(unattributed), idleCPUs: batch.idleCPUs.sorted())
    }

    let textPokeSends = sends.filter(\.textPoke)
    let unbatchedTotal = unbatchedPatches.values.map(\.count).max() ?? 0
    // Per path index and attribution (distinct indices are distinct paths): no string hashing
    // per send. A path whose sends are partly text_poke syncs gives two rows, so that the
    // text_poke rows add up to exactly `text_poke.syncs` and `text_poke.ipis_sent`: one
    // attribution (`Send.textPoke`) feeds both.
    var byPath: [SenderSummary?] = Array(repeating: nil, count: paths.strings.count * 2)
    for send in sends {
      let index = Int(send.path) * 2 + (send.textPoke ? 1 : 0)
      if byPath[index] == nil {
        byPath[index] = SenderSummary(path: paths[send.path], sendEvents: 0, ipis: 0, textPoke: send.textPoke)
      }
      byPath[index]!.sendEvents += 1
      byPath[index]!.ipis += send.ipis
    }
    let senders = byPath.compactMap { $0 }

    var report = AnalysisReport(
      file: metadata.file, format: metadata.formatDescription, kernel: metadata.kernelRelease,
      events: events + skippedEvents, lostEvents: lostTotal, lostEventsPerCPU: Self.keyed(lost),
      countsAreLowerBounds: lostTotal > 0 || unknownLoss, cpus: cpus, cpusInferred: cpusInferred,
      eventsWithoutCPU: eventsWithoutCPU,
      ipi: IPISummary(
        sent: sends.reduce(0) { $0 + $1.ipis }, received: receivedPerCPU.dictionary.values.reduce(0, +), sendEvents: sends.count,
        sentPerCPU: Self.keyed(sentPerCPU.dictionary), receivedPerCPU: Self.keyed(receivedPerCPU.dictionary),
        matrix: matrix.dictionary.reduce(into: [:]) { $0[CPUNumber.key($1.key)] = Self.keyed($1.value) },
        sources: sources.sorted(), sendsWithUnknownTargets: unknownTargetSends),
      textPoke: TextPokeSummary(
        ipisSent: textPokeSends.reduce(0) { $0 + $1.ipis }, ipisReceived: textPokeReceived, syncs: textPokeSends.count,
        attribution: [(1, "stack"), (2, "callsite"), (4, "time_window")].filter { attribution & $0.0 != 0 }.map(\.1).sorted(),
        batches: batchSummaries, receivedPerCPU: Self.keyed(textPokeReceivedPerCPU.dictionary),
        unbatchedPatches: unbatchedTotal, note: patchingNote(batches: batchSummaries.count, unbatched: unbatchedTotal)),
      flips: flipSummaries(batchSummaries),
      int3: int3.summary,
      topSenders: senders.sorted {
        ($0.ipis, $0.sendEvents, $1.path, $0.textPoke ? 1 : 0) > ($1.ipis, $1.sendEvents, $0.path, $1.textPoke ? 1 : 0)
      },
      isolated: isolated.summary)
    report.architecture = metadata.architecture ?? metadata.inferredArchitecture?.machine
    report.architectureInferredFrom = metadata.architecture == nil ? metadata.inferredArchitecture?.evidence : nil
    report.kallsymsPatchFunctions = metadata.symbols.isEmpty
      ? nil : AnalysisReport.patchFunctionsLookedUp.filter { metadata.symbols.address(of: $0) != nil }
    return report
  }

  private func flipSummaries(_ batchSummaries: [BatchSummary]) -> [FlipSummary] {
    if !markers.flips.isEmpty {
      return markers.flips.map { flip in
        let end = flip.end ?? UInt64.max
        let inside = batchSummaries.filter { $0.startNs >= flip.start && $0.startNs <= end }
        let windowSends = sends[Self.range(of: sends, from: flip.start, to: end) { $0.time }]
        var received: [String: Int] = [:]
        for batch in inside { for (cpu, count) in batch.receivedPerCPU { received[cpu, default: 0] += count } }
        var all: [Int: Int] = [:]
        for reception in receptions[Self.range(of: receptions, from: flip.start, to: end) { $0.time }] { all[Int(reception.cpu), default: 0] += 1 }
        return FlipSummary(
          key: flip.key, value: flip.value, startNs: flip.start, endNs: max(flip.start, flip.end ?? (sends.last?.time ?? flip.start)),
          batches: inside.count, ipisSent: inside.reduce(0) { $0 + $1.ipisSent },
          ipisReceived: inside.reduce(0) { $0 + $1.ipisReceived }, syncs: inside.reduce(0) { $0 + $1.syncs },
          receivedPerCPU: received,
          otherIPIsSent: windowSends.filter { !$0.textPoke }.reduce(0) { $0 + $1.ipis },
          allIPIsReceived: all.values.reduce(0, +), allReceivedPerCPU: Self.keyed(all), boundary: "marker",
          unbatchedPatches: unbatchedPatches.values.map { Self.range(of: $0, from: flip.start, to: end) { $0 }.count }.max() ?? 0)
      }
    }
    // No markers: one task's batches close together are one flip; the key comes from the
    // sysctl handler or caller in the sends' call chains when one is known.
    var flips: [FlipSummary] = []
    var lastEnd: [Int32: (index: Int, end: UInt64)] = [:]
    for (index, batch) in batchSummaries.enumerated() {
      let (sum, overflow) = batch.startNs.addingReportingOverflow(batch.durationNs ?? 0)
      let end = overflow ? UInt64.max : sum  // saturating, as above
      let key = flipKey(batches[index])
      if let previous = lastEnd[batch.pid], batch.startNs &- previous.end <= options.inferredFlipGapNanoseconds,
        flips[previous.index].key == key
      {
        flips[previous.index].batches += 1
        flips[previous.index].ipisSent += batch.ipisSent
        flips[previous.index].ipisReceived += batch.ipisReceived
        flips[previous.index].syncs += batch.syncs
        flips[previous.index].endNs = max(flips[previous.index].endNs, end)
        for (cpu, count) in batch.receivedPerCPU { flips[previous.index].receivedPerCPU[cpu, default: 0] += count }
        lastEnd[batch.pid] = (previous.index, end)
      } else {
        flips.append(FlipSummary(
          key: key, value: nil, startNs: batch.startNs, endNs: end, batches: 1, ipisSent: batch.ipisSent,
          ipisReceived: batch.ipisReceived, syncs: batch.syncs, receivedPerCPU: batch.receivedPerCPU,
          otherIPIsSent: 0, allIPIsReceived: 0, allReceivedPerCPU: [:], boundary: "inferred"))
        lastEnd[batch.pid] = (flips.count - 1, end)
      }
    }
    return flips
  }

  /// Says what a trace without batches but with sites patched one by one shows: that kernel
  /// has no batch to find, rather than a batch the trace missed.
  private func patchingNote(batches: Int, unbatched: Int) -> String? {
    guard unbatched > 0 else { return nil }
    let sources = unbatchedPatches.keys.sorted().joined(separator: ", ")
    if batches == 0 {
      return "this kernel patches each jump label on its own: \(unbatched) \(Arm64JumpLabel.transform) calls (\(sources)), "
        + "no \(Arm64JumpLabel.apply) and no IPI (arm64 before the 2024 fix \"arm64: jump_label: Ensure patched "
        + "jump_labels are visible to all CPUs\"); 0 batches is what this kernel does, not a missed batch"
    }
    return "\(unbatched) sites were patched on their own (\(Arm64JumpLabel.transform), \(sources)) beside \(batches) batches"
  }

  /// Sysctl handlers and callers that flip well-known static keys (kernel/bpf/syscall.c,
  /// kernel/sched/core.c, kernel/time/timer.c, net/core/dev.c).
  static let keyByCaller: [String: String] = [
    "bpf_stats_handler": "bpf_stats_enabled",
    "sysctl_schedstats": "sched_schedstats",
    "timer_migration_handler": "timer_migration",
    "net_enable_timestamp": "netstamp_needed_key",
    "net_disable_timestamp": "netstamp_needed_key",
  ]

  private func flipKey(_ batch: Batch) -> String? {
    batch.sends.lazy.compactMap { self.sends[$0].key < 0 ? nil : self.keys[self.sends[$0].key] }.first
  }

  /// The indices of the time-ordered `items` whose time is within `[from, to]` (binary search).
  static func range<T>(of items: [T], from: UInt64, to: UInt64, time: (T) -> UInt64) -> Range<Int> {
    func firstIndex(notBefore limit: UInt64, inclusive: Bool) -> Int {
      var low = 0
      var high = items.count
      while low < high {
        let mid = (low + high) / 2
        let value = time(items[mid])
        if inclusive ? value <= limit : value < limit { low = mid + 1 } else { high = mid }
      }
      return low
    }
    let lower = firstIndex(notBefore: from, inclusive: false)
    let upper = firstIndex(notBefore: to, inclusive: true)
    return lower..<max(lower, upper)
  }

  /// `a + b`, or `Int.max` where that overflows (loss counts come from files).
  static func saturatingSum(_ a: Int, _ b: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? Int.max : sum
  }

  static func keyed(_ counts: [Int: Int]) -> [String: Int] {
    counts.reduce(into: [:]) { $0[CPUNumber.key($1.key)] = $1.value }
  }

  static func ranked(_ counts: [String: Int]) -> [NamedCount] {
    counts.map { NamedCount(name: $0.key, count: $0.value) }.sorted { ($0.count, $1.name) > ($1.count, $0.name) }
  }
}

extension IPIAnalyzer {
  /// Every send seen so far in time order, for timelines (`analyze --html`); as many as
  /// ``IPISummary/sendEvents``.
  /// - Complexity: O(sends).
  public var timelineSends: [TimelineSend] {
    sends.map { TimelineSend(timeNs: $0.time, cpu: $0.cpu, ipis: $0.ipis, textPoke: $0.textPoke, batch: $0.batch) }
  }
}
