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
/// Memory stays flat however long the trace: sends and receptions are not kept. Every count
/// the report gives per send or reception is added up as the events arrive; a batch is kept
/// only while something can still change it (its task's function is running, it may take
/// another inferred sync, a reception may still answer one of its syncs, or the merged time has
/// not passed its range end), then made its ``BatchSummary`` at once. The receptions in a
/// batch's range are the difference of two snapshots of running ``ReceptionCounts``; those in a
/// marked flip's window are counted into its ``FlipWindowCounts`` as they arrive. Every
/// figure of the report is a count or a sum (no median or percentile needs all values), so
/// nothing is approximated: the report is the one the kept lists gave.
///
/// - Complexity: O(1) amortized per event (times the live batches, a handful). Memory:
///   O(CPUs + tasks + distinct sender paths + batches and flips of the report), not per send
///   or reception; with ``init(metadata:options:keepsTimeline:)``'s `keepsTimeline`, one
///   ``TimelineSend`` per send besides. A batch whose task never returns from it keeps the
///   receptions after its latest acknowledgement (its range end is known only at its return).
public struct IPIAnalyzer {
  /// The events the analysis needs decoded; readers may skip all others.
  public static var selection: FieldSelection { EventRoles.selection }

  private let metadata: TraceMetadata
  private let options: AnalysisOptions
  private var roles: EventRoles

  /// What later events may still need of one send: receptions answer it (the newest
  /// unanswered send to a CPU, a recent send without targets) and add to its batch, its path
  /// and its IPI count. The sends themselves are not kept; at most one per CPU and the
  /// ``unknownTargetRecent`` ones are.
  private struct SendRef {
    /// The send's number (0 for the trace's first send), its index in ``timeline``.
    var index: Int
    /// Trace-clock time, ns.
    var time: UInt64
    /// ``CPUNumber/normalized(_:)`` sending CPU.
    var cpu: Int
    /// Index into ``paths``.
    var path: Int32
    /// The batch the send is a sync of, -1 none.
    var batch: Int
    var textPoke: Bool
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

  /// A batch something can still change (see ``IPIAnalyzer``); kept in ``liveBatches``.
  private struct Batch {
    /// The batch's number: its index in the report's batches.
    var index: Int
    var start: UInt64
    var cpu: Int
    var pid: Int32
    var comm: String
    var entries: Int?
    var sources: [String]
    var openSources: [String: UInt64] = [:]
    var durations: [String: UInt64] = [:]
    /// Syncs (sends) attributed to the batch.
    var syncs = 0
    /// ``keys`` index of the first of its syncs whose call chain names a static key, -1 none.
    var key: Int32 = -1
    var ipisSent = 0
    var ipisReceived = 0
    var receivedPerCPU: [Int: Int] = [:]
    var lastSend: UInt64 = 0
    var lastAck: UInt64 = 0
    var idleCPUs: Set<Int> = []
    var receptionKinds: Set<Int32> = []
    /// Its task's function is running (``openBatch`` names it): its sources may still close
    /// with durations, so its range end is not known yet.
    var isOpen = false
    /// Once not open: the range end its durations or syncs give (the report's `start +
    /// duration`, saturating; without a duration the latest sync, at least the start); the
    /// range ends at `max(fixedEnd, lastAck)` (``rangeEnd``).
    var fixedEnd: UInt64 = 0
    /// The running reception counts before the batch's start time.
    var receptionsBeforeStart: ReceptionCounts
    /// The running reception counts when the first reception past ``rangeEnd`` came; nil while
    /// every reception so far is within the range (or the batch is open).
    var receptionsAtEnd: ReceptionCounts?

    /// The last time of the receptions in the batch's range (once not open): every reception
    /// up to it belongs to the range.
    var rangeEnd: UInt64 { max(fixedEnd, lastAck) }
  }

  /// A finished batch: its summary and what an inferred flip asks of it.
  private struct FinishedBatch {
    var summary: BatchSummary
    /// ``keys`` index of the static key its syncs name, -1 none.
    var key: Int32
  }

  private var events = 0
  private var lostPerCPU: [Int: Int] = [:]
  private var unknownLoss = false
  private var maxCPU = -1
  /// Events whose CPU is unknown (``CPUNumber/unknown``).
  private var eventsWithoutCPU = 0
  /// Send events counted (``IPISummary/sendEvents``); also the next send's number.
  private var sendCount = 0
  /// IPIs of every send (``IPISummary/sent``).
  private var sentIPIs = 0
  /// Time of the latest send, ns.
  private var lastSendTime: UInt64?
  /// Text_poke syncs and their IPIs (``TextPokeSummary``).
  private var textPokeSyncs = 0
  private var textPokeIPIsSent = 0
  /// Sends and IPIs per path and attribution, at `path * 2 + (textPoke ? 1 : 0)`.
  private var senderTotals: [SenderSummary?] = []
  /// Every send in time order, when asked for (``timelineSends``); nil otherwise.
  private var timeline: [TimelineSend]?
  private var sentPerCPU = CPUCounts()
  private var receivedPerCPU = CPUCounts()
  private var matrix = CPUMatrix()
  /// Event kinds counted as sends or receptions (a handful: a list beats hashing per event).
  private var sources: [String] = []
  private var unknownTargetSends = 0
  /// The latest sends whose targets the trace did not record (at most 64, newest last).
  private var unknownTargetRecent: [SendRef] = []
  /// Target CPU → the newest send to it not answered yet.
  private var unanswered = PerCPU<SendRef?>(nil)
  /// CPU → the batch of the send its latest answering reception answered (-1: none, or a send
  /// outside batches): its call-function exit acknowledges that batch.
  private var lastReceptionBatch = PerCPU<Int>(-1)
  /// Per CPU, the latest sends not yet seen by a lower level (newest last, at most
  /// ``pendingLimit``): where a kprobe or ipi_raise event finds the tracepoint event of the
  /// same call.
  private var pendingSends = PerCPU<[PendingSend]>([])
  private static let pendingLimit = 8
  private struct PendingSend {
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
  /// Sites patched on their own (arm64 `arch_jump_label_transform`), per source.
  private var unbatchedPatches: [String: Int] = [:]
  private var lastCSD = PerCPU<(time: UInt64, function: String?)?>(nil)
  /// Attribution methods used: bit 0 stack, bit 1 callsite, bit 2 time window.
  private var attribution: UInt8 = 0
  /// Batches made so far (the next batch's number).
  private var batchCount = 0
  /// The batches something can still change, by number (ascending).
  private var liveBatches: [Batch] = []
  /// The report's batches by number; nil while the batch is live.
  private var finishedBatches: [FinishedBatch?] = []
  /// Task → the batch its running text_poke function opened.
  private var openBatch: [Int32: Int] = [:]
  /// Task → its latest inferred batch while that may still take a sync.
  private var inferredBatch: [Int32: Int] = [:]
  private var markers = FlipMarkers()
  /// Per flip of ``markers``, what its window holds so far.
  private var flipCounts: [FlipWindowCounts] = []
  /// The flips of ``markers`` an event at the latest time may still fall in (open, or ended
  /// at that time).
  private var activeFlips: [Int] = []
  /// Receptions counted so far (``ReceptionCounts``).
  private var receptionCounts = ReceptionCounts()
  /// The latest receptions still needed one by one (time order): those at the latest
  /// reception time, and those after the latest acknowledgement of an open batch.
  private var recentReceptions: [LoggedReception] = []
  /// The non-text_poke sends at the latest such send's time (number, IPIs so far) and the
  /// unbatched patches at the latest one's time: a flip whose marker comes at that time
  /// includes them.
  private var sendsAtLastTime: [(index: Int, ipis: Int)] = []
  private var sendsAtLastTimeTime: UInt64 = 0
  private var unbatchedAtLastTime: [String] = []
  private var unbatchedAtLastTimeTime: UInt64 = 0
  /// Inputs consumed since live batches were last looked at.
  private var sinceSweep = 0
  /// The most batches, receptions, flips and sends kept one by one after a sweep.
  private var sweptHighWaterMark = 0
  private var int3 = Int3SampleCounter()
  private var isolated: IsolatedCPUCounter
  private var textPokeReceivedPerCPU = CPUCounts()
  private var textPokeReceived = 0
  /// The task of each CPU's latest event (0: idle).
  private var lastPID = PerCPU<Int32>(-1)

  /// An analyzer of a trace that `metadata` describes.
  ///
  /// - Parameter keepsTimeline: keep every send for ``timelineSends`` (`analyze --html`);
  ///   memory then grows by one ``TimelineSend`` per send.
  public init(metadata: TraceMetadata, options: AnalysisOptions = AnalysisOptions(), keepsTimeline: Bool = false) {
    self.metadata = metadata
    self.options = options
    self.roles = EventRoles(symbols: metadata.symbols)
    self.isolated = IsolatedCPUCounter(cpus: options.isolatedCPUs)
    self.timeline = keepsTimeline ? [] : nil
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
    sweepWhenDue(now: time)
    defer { lastPID[cpu] = event.pid }
    switch classified.role {
    case .send(let targets, let via, let callsite, let callback):
      handleSend(cpu: cpu, pid: event.pid, comm: { event.comm }, stack: event.stack, time: time,
                 targets: targets.map { .list($0) }, site: sendSite(via: via, callsite: callsite, callback: callback))
    case .receive(let via):
      handleReceive(cpu: cpu, time: time, via: via, kind: kinds.index(via))
    case .receiveExit:
      openReception[cpu] = -1
      acknowledge(batch: lastReceptionBatch[cpu], time: time)
    case .csdQueue(let function):
      lastCSD[cpu] = (time, function)
    case .batchQueue(let source):
      queued[event.pid, default: [:]][source, default: 0] += 1
    case .unbatchedPatch(let source):
      noteUnbatchedPatch(source: source, time: time)
    case .batchEntry(let source, let entries):
      openBatchSource(event, time: time, source: source, entries: entries)
    case .batchExit(let source, let duration):
      closeBatchSource(event, time: time, source: source, duration: duration)
    case .marker(let text):
      let flipsBefore = markers.flips.count
      markers.note(text, time: time, batchesSoFar: batchCount)
      if markers.flips.count > flipsBefore { beginFlipWindow(markers.flips.count - 1, time: time) }
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
    sweepWhenDue(now: time)
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
      acknowledge(batch: lastReceptionBatch[cpu], time: time)
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
  ///
  /// Kernel logs hold no receptions, so the batch counts none: it is finished at once, with
  /// no other or unattributed receptions whatever was consumed before.
  public mutating func recordLoggedBatch(start: Timestamp?, entries: Int?, durationNanoseconds: UInt64) {
    var batch = makeBatch(start: start?.nanoseconds ?? 0, cpu: -1, pid: -1, comm: "", entries: entries, sources: ["log"])
    batch.durations["log"] = durationNanoseconds
    batch.receptionsBeforeStart = receptionCounts
    finishedBatches[batch.index] = finished(batch, receptionsAtEnd: receptionCounts)
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
        pending.append(PendingSend(priority: priority, shape: shape, mask: mask, seenBy: 1 << UInt8(priority)))
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
    let index = sendCount
    var batchIndex = -1
    if textPoke {
      if let open = openBatch[pid] {
        batchIndex = open
      } else {
        batchIndex = inferredBatchIndex(cpu: cpu, pid: pid, comm: comm, time: time)
      }
    }
    let key = stack?.frames.lazy.compactMap { $0.symbol.flatMap { Self.keyByCaller[$0] } }.first.map { keys.index($0) } ?? -1
    let send = SendRef(index: index, time: time, cpu: CPUNumber.normalized(cpu), path: path, batch: batchIndex, textPoke: textPoke)
    noteSend(send, ipis: count)
    if batchIndex >= 0 {
      let idle = lastPID.indices.filter { lastPID[$0] == 0 }
      updateBatch(batchIndex) { batch in
        batch.idleCPUs.formUnion(idle)
        batch.syncs += 1
        if batch.key < 0 { batch.key = key }
        batch.ipisSent += count
        batch.lastSend = time
        if !batch.isOpen, batch.durations.isEmpty {
          // Without a duration the range reaches the latest sync: now, after every reception so far.
          batch.fixedEnd = max(batch.start, time)
          batch.receptionsAtEnd = nil
        }
      }
    }
    if let targets {
      sentPerCPU[cpu, default: 0] += count
      targets.forEach { number in
        let target = CPUNumber.normalized(number)
        // A target is a CPU of the machine: it counts toward the inferred CPU count.
        if target > maxCPU { maxCPU = target }
        matrix.add(row: cpu, column: target)
        unanswered[target] = send
      }
    } else {
      unknownTargetSends += 1
      unknownTargetRecent.append(send)
      if unknownTargetRecent.count > 64 { unknownTargetRecent.removeFirst(unknownTargetRecent.count - 64) }
    }
  }

  /// Counts one send (not another view of one) with `ipis` IPIs into the totals the report
  /// gives per send: events, IPIs, text_poke syncs, senders, marked flips, the timeline.
  private mutating func noteSend(_ send: SendRef, ipis: Int) {
    sendCount += 1
    sentIPIs += ipis
    lastSendTime = send.time
    if send.textPoke {
      textPokeSyncs += 1
      textPokeIPIsSent += ipis
    }
    let row = Int(send.path) * 2 + (send.textPoke ? 1 : 0)
    if row >= senderTotals.count { senderTotals.append(contentsOf: repeatElement(nil, count: row + 1 - senderTotals.count)) }
    if senderTotals[row] == nil {
      senderTotals[row] = SenderSummary(path: paths[send.path], sendEvents: 0, ipis: 0, textPoke: send.textPoke)
    }
    senderTotals[row]!.sendEvents += 1
    senderTotals[row]!.ipis += ipis
    timeline?.append(TimelineSend(timeNs: send.time, cpu: send.cpu, ipis: ipis, textPoke: send.textPoke, batch: send.batch < 0 ? nil : send.batch))
    guard !send.textPoke else { return }
    if send.time != sendsAtLastTimeTime {
      sendsAtLastTime.removeAll(keepingCapacity: true)
      sendsAtLastTimeTime = send.time
    }
    sendsAtLastTime.append((send.index, ipis))
    forEachActiveFlip(at: send.time) { $0.otherIPIsSent += ipis }
  }

  /// Adds one IPI to a send without recorded targets that a reception answered, in every
  /// total that counted the send's IPIs.
  private mutating func addIPI(to send: SendRef) {
    sentIPIs += 1
    if send.textPoke { textPokeIPIsSent += 1 }
    senderTotals[Int(send.path) * 2 + (send.textPoke ? 1 : 0)]!.ipis += 1
    timeline?[send.index].ipis += 1
    sentPerCPU[send.cpu, default: 0] += 1
    if send.batch >= 0 { updateBatch(send.batch) { $0.ipisSent += 1 } }
    guard !send.textPoke else { return }
    if let position = sendsAtLastTime.firstIndex(where: { $0.index == send.index }) { sendsAtLastTime[position].ipis += 1 }
    // Every marked flip whose window holds the send (flips follow each other: an earlier
    // flip ends no later than the next begins).
    for flip in markers.flips.indices.reversed() where markers.flips[flip].start <= send.time {
      if let end = markers.flips[flip].end, end < send.time { break }
      flipCounts[flip].otherIPIsSent += 1
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
    if let current = inferredBatch[pid], let position = livePosition(of: current) {
      let batch = liveBatches[position]
      if batch.syncs < 3, time &- batch.lastSend <= options.inferredBatchGapNanoseconds { return current }
    }
    var batch = makeBatch(start: time, cpu: cpu, pid: pid, comm: comm(), entries: nil, sources: ["inferred"])
    batch.fixedEnd = time
    liveBatches.append(batch)
    inferredBatch[pid] = batch.index
    return batch.index
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
    var matched: SendRef?
    if let newest = unanswered[cpu] {
      matched = newest
      unanswered[cpu] = nil
    } else if let send = unknownTargetRecent.last(where: { $0.cpu != cpu }) {
      matched = send
      addIPI(to: send)
      matrix.add(row: send.cpu, column: cpu)
    }
    noteReceptionInRanges(LoggedReception(time: time, cpu: Int32(cpu), unansweredKind: matched == nil ? kind : -1))
    guard let send = matched else {
      isolated.noteReception(cpu: cpu, source: nil)
      return
    }
    lastReceptionBatch[cpu] = send.batch
    if send.textPoke {
      textPokeReceived += 1
      textPokeReceivedPerCPU[cpu, default: 0] += 1
    }
    if send.batch >= 0 {
      updateBatch(send.batch) { batch in
        batch.receptionKinds.insert(kind)
        batch.ipisReceived += 1
        batch.receivedPerCPU[cpu, default: 0] += 1
      }
      acknowledge(batch: send.batch, time: time)
    }
    if !isolated.cpus.isEmpty, isolated.cpus.contains(cpu) {
      isolated.noteReception(cpu: cpu, textPoke: send.textPoke, source: paths[send.path])
    }
  }

  private mutating func openBatchSource(_ event: TraceEvent, time: UInt64, source: String, entries: Int?) {
    if let open = openBatch[event.pid], let position = livePosition(of: open) {
      // Another source seeing the same call (function_graph and a kprobe): one batch.
      if liveBatches[position].openSources[source] == nil {
        liveBatches[position].openSources[source] = time
        if !liveBatches[position].sources.contains(source) { liveBatches[position].sources.append(source) }
        if let entries { liveBatches[position].entries = entries }
        return
      }
      // The same source again before the batch returned: the old batch is no longer open.
      close(position)
    }
    // arm64's apply takes no count: its entries are the sites queued since the task's last batch
    // (the source that saw most of them: kprobe and function_graph see the same calls).
    let queuedEntries = queued.removeValue(forKey: event.pid)?.values.max()
    var batch = makeBatch(
      start: time, cpu: CPUNumber.normalized(event.cpu), pid: event.pid, comm: event.comm,
      entries: entries ?? queuedEntries, sources: [source])
    batch.openSources[source] = time
    batch.idleCPUs = Set(lastPID.indices.filter { lastPID[$0] == 0 })
    batch.isOpen = true
    liveBatches.append(batch)
    openBatch[event.pid] = batch.index
    inferredBatch[event.pid] = nil
  }

  private mutating func closeBatchSource(_ event: TraceEvent, time: UInt64, source: String, duration: UInt64?) {
    guard let open = openBatch[event.pid], let position = livePosition(of: open),
      let started = liveBatches[position].openSources.removeValue(forKey: source)
    else { return }
    liveBatches[position].durations[source] = duration ?? (time &- started)
    liveBatches[position].start = min(liveBatches[position].start, started)
    if liveBatches[position].openSources.isEmpty {
      openBatch[event.pid] = nil
      close(position)
    }
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

  // MARK: - Batch lifecycle

  /// Inputs between two looks at the live batches (``sweepWhenDue(now:)``).
  private static let sweepInterval = 1024

  /// A new batch, numbered next, whose range counts the receptions from `start` on (those at
  /// `start` that came before this event included).
  private mutating func makeBatch(start: UInt64, cpu: Int, pid: Int32, comm: String, entries: Int?, sources: [String]) -> Batch {
    let index = batchCount
    batchCount += 1
    finishedBatches.append(nil)
    let before = receptionCounts.removing(recentReceptions.reversed().prefix { $0.time >= start })
    return Batch(
      index: index, start: start, cpu: cpu, pid: pid, comm: comm, entries: entries, sources: sources,
      receptionsBeforeStart: before)
  }

  /// The position in ``liveBatches`` of batch `index`, nil once it is finished.
  /// - Complexity: O(log live batches).
  private func livePosition(of index: Int) -> Int? {
    var low = 0
    var high = liveBatches.count
    while low < high {
      let mid = (low + high) / 2
      if liveBatches[mid].index < index { low = mid + 1 } else { high = mid }
    }
    return low < liveBatches.count && liveBatches[low].index == index ? low : nil
  }

  /// Changes live batch `index`. Whatever can change a batch keeps it live
  /// (``sweep(now:)``), so a finished batch is never changed.
  private mutating func updateBatch(_ index: Int, _ body: (inout Batch) -> Void) {
    guard let position = livePosition(of: index) else {
      assertionFailure("batch \(index) changed after it was finished")
      return
    }
    body(&liveBatches[position])
  }

  /// A reception answering one of batch `index`'s syncs, or the exit of one, at `time` (the
  /// latest event's time): the batch's range reaches `time`, so every reception so far is in it.
  private mutating func acknowledge(batch index: Int, time: UInt64) {
    guard index >= 0 else { return }
    updateBatch(index) { batch in
      guard time >= batch.lastAck else { return }
      batch.lastAck = time
      batch.receptionsAtEnd = nil
    }
  }

  /// Counts one reception: first the end snapshot of each batch whose range it is the first
  /// to pass, then the running counts, the recent list and the marked flips.
  private mutating func noteReceptionInRanges(_ reception: LoggedReception) {
    for position in liveBatches.indices
    where !liveBatches[position].isOpen && liveBatches[position].receptionsAtEnd == nil
      && reception.time > liveBatches[position].rangeEnd
    {
      liveBatches[position].receptionsAtEnd = receptionCounts
    }
    receptionCounts.add(reception)
    recentReceptions.append(reception)
    forEachActiveFlip(at: reception.time) { $0.receivedPerCPU[Int(reception.cpu), default: 0] += 1 }
  }

  /// Batch at `position` is no longer open: its sources returned, or its task began another
  /// batch of the same source.
  private mutating func close(_ position: Int) {
    liveBatches[position] = closed(liveBatches[position])
  }

  /// `batch` once its durations are final: its range end, and the end snapshot when
  /// receptions past that end came already (the recent list holds every reception after an
  /// open batch's latest acknowledgement).
  private func closed(_ open: Batch) -> Batch {
    var batch = open
    batch.isOpen = false
    if let duration = Self.preferredDuration(batch.durations) {
      let (sum, overflow) = batch.start.addingReportingOverflow(duration)
      batch.fixedEnd = overflow ? UInt64.max : sum  // saturating: a damaged duration must not wrap or trap
    } else {
      batch.fixedEnd = max(batch.start, batch.lastSend)
    }
    let end = batch.rangeEnd
    if let last = recentReceptions.last, last.time > end {
      batch.receptionsAtEnd = receptionCounts.removing(recentReceptions.reversed().prefix { $0.time > end })
    }
    return batch
  }

  /// The duration the report gives a batch: function_graph's, else the kprobe's, else the log's.
  private static func preferredDuration(_ durations: [String: UInt64]) -> UInt64? {
    durationSources.lazy.compactMap { durations[$0] }.first
  }
  private static let durationSources = ["function_graph", "kprobe", "log"]

  /// Looks at the live batches every ``sweepInterval`` inputs.
  @inline(__always)
  private mutating func sweepWhenDue(now: UInt64) {
    sinceSweep += 1
    guard sinceSweep >= Self.sweepInterval else { return }
    sinceSweep = 0
    sweep(now: now)
  }

  /// Finishes every batch nothing can change any more, with `now` the time of the event about
  /// to be consumed (later ones are no earlier), and drops the recent receptions no batch or
  /// flip beginning from now on needs.
  ///
  /// A batch can still change while its task's function runs, while it may take another
  /// inferred sync (fewer than 3, the latest within the gap), while a CPU's newest unanswered
  /// send or a recent send without targets is one of its syncs, while a CPU's latest answering
  /// reception answered one of them (its exit acknowledges the batch), and while a reception
  /// at `now` would still be in its range.
  private mutating func sweep(now: UInt64) {
    let gap = options.inferredBatchGapNanoseconds
    inferredBatch = inferredBatch.filter { _, index in
      guard let position = livePosition(of: index) else { return false }
      let batch = liveBatches[position]
      return batch.syncs < 3 && !(now > batch.lastSend && now - batch.lastSend > gap)
    }
    var referenced = Set(inferredBatch.values)
    referenced.formUnion(openBatch.values)
    for cpu in unanswered.indices + [CPUNumber.unknown] {
      if let send = unanswered[cpu], send.batch >= 0 { referenced.insert(send.batch) }
    }
    for cpu in lastReceptionBatch.indices + [CPUNumber.unknown] where lastReceptionBatch[cpu] >= 0 {
      referenced.insert(lastReceptionBatch[cpu])
    }
    for send in unknownTargetRecent where send.batch >= 0 { referenced.insert(send.batch) }
    var kept: [Batch] = []
    kept.reserveCapacity(liveBatches.count)
    for batch in liveBatches {
      if batch.isOpen || referenced.contains(batch.index) || now <= batch.rangeEnd {
        kept.append(batch)
      } else {
        finishedBatches[batch.index] = finished(batch, receptionsAtEnd: batch.receptionsAtEnd ?? receptionCounts)
      }
    }
    liveBatches = kept
    let openFloor = liveBatches.lazy.filter(\.isOpen).map { max($0.start, $0.lastAck) }.min() ?? UInt64.max
    let unneeded = recentReceptions.prefix { $0.time < now && $0.time <= openFloor }.count
    recentReceptions.removeFirst(unneeded)
    sweptHighWaterMark = max(sweptHighWaterMark, retainedCount)
  }

  /// The most batches, receptions, flips and sends kept one by one after a sweep (what stays
  /// kept, not the receptions between two sweeps): tests check that it does not grow with the
  /// trace's length.
  var retainedHighWaterMark: Int { sweptHighWaterMark }

  /// Batches, receptions, flips and sends kept one by one right now.
  private var retainedCount: Int {
    liveBatches.count + recentReceptions.count + activeFlips.count + unknownTargetRecent.count
      + sendsAtLastTime.count + unbatchedAtLastTime.count
  }

  /// The finished form of `batch`, whose range's receptions are those counted between its
  /// ``Batch/receptionsBeforeStart`` and `receptionsAtEnd`.
  private func finished(_ batch: Batch, receptionsAtEnd end: ReceptionCounts) -> FinishedBatch {
    let preferred = Self.durationSources.first { batch.durations[$0] != nil }
    var duration = preferred.flatMap { batch.durations[$0] }
    var source = preferred ?? "inferred"
    if preferred == nil {
      let end = max(batch.lastAck, batch.lastSend)
      duration = end > batch.start ? end - batch.start : nil
      source = "inferred"
    }
    // Receptions during the batch that answered other sends (or none in the trace): every
    // reception of the range but those answering its own syncs, which all fall in the range.
    var other: [Int: Int] = [:]
    for (cpu, count) in end.received(since: batch.receptionsBeforeStart) {
      let others = count - batch.receivedPerCPU[cpu, default: 0]
      if others > 0 { other[cpu] = others }
    }
    let unattributed = end.unanswered(since: batch.receptionsBeforeStart, kinds: batch.receptionKinds)
    let summary = BatchSummary(
      startNs: batch.start, durationNs: duration, entries: batch.entries, ipisSent: batch.ipisSent,
      ipisReceived: batch.ipisReceived, syncs: batch.syncs, durationSource: source, durations: batch.durations,
      sources: batch.sources, cpu: batch.cpu, pid: batch.pid, comm: batch.comm,
      receivedPerCPU: Self.keyed(batch.receivedPerCPU), otherReceivedPerCPU: Self.keyed(other),
      unattributedReceivedPerCPU: Self.keyed(unattributed), idleCPUs: batch.idleCPUs.sorted())
    return FinishedBatch(summary: summary, key: batch.key)
  }

  // MARK: - Marked flips

  /// Starts counting flip `flip` of ``markers``, whose BEGIN marker came at `time`: with the
  /// receptions, non-text_poke sends and unbatched patches at `time` that came before it.
  private mutating func beginFlipWindow(_ flip: Int, time: UInt64) {
    var counts = FlipWindowCounts()
    for reception in recentReceptions.reversed() {
      guard reception.time >= time else { break }
      counts.receivedPerCPU[Int(reception.cpu), default: 0] += 1
    }
    if sendsAtLastTimeTime == time { counts.otherIPIsSent = sendsAtLastTime.reduce(0) { $0 + $1.ipis } }
    if unbatchedAtLastTimeTime == time {
      for source in unbatchedAtLastTime { counts.unbatchedPerSource[source, default: 0] += 1 }
    }
    flipCounts.append(counts)
    activeFlips.append(flip)
  }

  /// Runs `body` on the counts of every marked flip whose window holds `time` (the latest
  /// event's), after dropping the flips that ended before it.
  private mutating func forEachActiveFlip(at time: UInt64, _ body: (inout FlipWindowCounts) -> Void) {
    guard !activeFlips.isEmpty else { return }
    let flips = markers.flips
    activeFlips.removeAll { flips[$0].end.map { $0 < time } ?? false }
    for flip in activeFlips { body(&flipCounts[flip]) }
  }

  private mutating func noteUnbatchedPatch(source: String, time: UInt64) {
    unbatchedPatches[source, default: 0] += 1
    if time != unbatchedAtLastTimeTime {
      unbatchedAtLastTime.removeAll(keepingCapacity: true)
      unbatchedAtLastTimeTime = time
    }
    unbatchedAtLastTime.append(source)
    forEachActiveFlip(at: time) { $0.unbatchedPerSource[source, default: 0] += 1 }
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

    // The batches still live end with the trace.
    var finishedAll = finishedBatches
    for live in liveBatches {
      let batch = live.isOpen ? closed(live) : live
      finishedAll[batch.index] = finished(batch, receptionsAtEnd: batch.receptionsAtEnd ?? receptionCounts)
    }
    let finished = finishedAll.compactMap { $0 }
    assert(finished.count == batchCount, "every batch is live or finished")
    let batchSummaries = finished.map(\.summary)

    let unbatchedTotal = unbatchedPatches.values.max() ?? 0
    let senders = senderTotals.compactMap { $0 }

    var report = AnalysisReport(
      file: metadata.file, format: metadata.formatDescription, kernel: metadata.kernelRelease,
      events: events + skippedEvents, lostEvents: lostTotal, lostEventsPerCPU: Self.keyed(lost),
      countsAreLowerBounds: lostTotal > 0 || unknownLoss, cpus: cpus, cpusInferred: cpusInferred,
      eventsWithoutCPU: eventsWithoutCPU,
      ipi: IPISummary(
        sent: sentIPIs, received: receivedPerCPU.dictionary.values.reduce(0, +), sendEvents: sendCount,
        sentPerCPU: Self.keyed(sentPerCPU.dictionary), receivedPerCPU: Self.keyed(receivedPerCPU.dictionary),
        matrix: matrix.dictionary.reduce(into: [:]) { $0[CPUNumber.key($1.key)] = Self.keyed($1.value) },
        sources: sources.sorted(), sendsWithUnknownTargets: unknownTargetSends),
      textPoke: TextPokeSummary(
        ipisSent: textPokeIPIsSent, ipisReceived: textPokeReceived, syncs: textPokeSyncs,
        attribution: [(1, "stack"), (2, "callsite"), (4, "time_window")].filter { attribution & $0.0 != 0 }.map(\.1).sorted(),
        batches: batchSummaries, receivedPerCPU: Self.keyed(textPokeReceivedPerCPU.dictionary),
        unbatchedPatches: unbatchedTotal, note: patchingNote(batches: batchSummaries.count, unbatched: unbatchedTotal)),
      flips: flipSummaries(batchSummaries, keys: finished.map(\.key)),
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

  /// The flips: the marked ones with what their windows held, else the inferred ones from
  /// the batches (`keys`: each batch's static key, a ``keys`` index or -1).
  private func flipSummaries(_ batchSummaries: [BatchSummary], keys batchKeys: [Int32]) -> [FlipSummary] {
    if !markers.flips.isEmpty {
      return markers.flips.enumerated().map { index, flip in
        let end = flip.end ?? UInt64.max
        let inside = batchSummaries.filter { $0.startNs >= flip.start && $0.startNs <= end }
        var received: [String: Int] = [:]
        for batch in inside { for (cpu, count) in batch.receivedPerCPU { received[cpu, default: 0] += count } }
        let counts = flipCounts[index]
        return FlipSummary(
          key: flip.key, value: flip.value, startNs: flip.start, endNs: max(flip.start, flip.end ?? (lastSendTime ?? flip.start)),
          batches: inside.count, ipisSent: inside.reduce(0) { $0 + $1.ipisSent },
          ipisReceived: inside.reduce(0) { $0 + $1.ipisReceived }, syncs: inside.reduce(0) { $0 + $1.syncs },
          receivedPerCPU: received, otherIPIsSent: counts.otherIPIsSent,
          allIPIsReceived: counts.receivedPerCPU.values.reduce(0, +), allReceivedPerCPU: Self.keyed(counts.receivedPerCPU),
          boundary: "marker", unbatchedPatches: counts.unbatchedPerSource.values.max() ?? 0)
      }
    }
    // No markers: one task's batches close together are one flip; the key comes from the
    // sysctl handler or caller in the sends' call chains when one is known.
    var flips: [FlipSummary] = []
    var lastEnd: [Int32: (index: Int, end: UInt64)] = [:]
    for (index, batch) in batchSummaries.enumerated() {
      let end = batch.endNs
      let key = batchKeys[index] < 0 ? nil : keys[batchKeys[index]]
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
  /// ``IPISummary/sendEvents`` when the analyzer was made with `keepsTimeline`, else none.
  public var timelineSends: [TimelineSend] { timeline ?? [] }
}
