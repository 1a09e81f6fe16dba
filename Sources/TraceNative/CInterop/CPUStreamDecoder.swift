// Unsafe code: walks ring-buffer pages (RingBufferPage) and hands records to libtraceevent.
//
// Invariant: the pages live in `block`, a `PageStorage` (RingBufferPage.swift) that the
// `RingBufferPage` also holds while it walks them. A `RawEvent` holds offsets; its bytes are
// read only inside `page.withData(of:)`, and a `tep_record` made from them (`makeRecord`) is
// used and dropped inside the same closure. The latest digest is a range of `block`, copied to
// `lastDigestBytes` before the block is refilled or replaced.

import CTraceEvent
import TraceModel

/// Decodes one CPU's ring-buffer pages of one buffer: reads the file (decompressing v7 chunks
/// one at a time, so memory stays flat), walks pages (``RingBufferPage``), and copies each event out
/// into a ``TraceEvent`` (or a report line) before the page is reused.
///
/// The pages being walked live in ``PageStorage`` that `block` and the ``RingBufferPage``
/// both hold, so the page's address stays valid (RingBufferPage.swift states the invariant).
/// Event bytes are read only inside ``RingBufferPage/withData(of:_:)``; the latest digest is
/// kept as a range of `block` and copied out before the block is refilled.
///
/// One thread uses a decoder at a time, so its per-event state is marked
/// `@exclusivity(unchecked)`: the dynamic exclusivity checks of a class's stored properties
/// were 5% of `pokestat analyze`.
final class CPUStreamDecoder {
  let layout: TraceDatLayout
  let bufferIndex: Int
  let cpuData: TraceDatLayout.CPUData
  let formats: EventFormats
  private let file: FileBytes
  private let page: RingBufferPage
  private let pageSize: Int
  private let bufferName: String
  private let forPrinting: Bool
  private let fields: FieldSelection
  private let symbols: SymbolTable
  /// Whether report timestamps print as seconds.microseconds (nanosecond clocks) or raw counts.
  var inMicroseconds = true

  // Data currently in memory: a decompressed chunk or a block of raw pages, then slack
  // (``RingBufferPage/slackBytes``) past the last page.
  @exclusivity(unchecked) private var block = PageStorage(count: 0)
  @exclusivity(unchecked) private var blockPages = 0
  @exclusivity(unchecked) private var blockFileOffset = 0
  @exclusivity(unchecked) private var pageIndex = 0
  @exclusivity(unchecked) private var pageLoaded = false
  // Where the next block comes from: pages from `nextReadOffset` to `end`, or compressed
  // chunks (`chunks`, made at the first read; `chunksLeft` -1: the count comes first).
  private var nextReadOffset: Int
  private var chunksLeft = -1
  private var end: Int
  private var chunks: CompressedChunkReader?
  /// Compressed chunks read ahead on threads of their own (``readAheadThreads``).
  private var prefetcher: ChunkPrefetcher?
  /// Threads that decompress compressed chunks ahead of this decoder (``ChunkPrefetcher``);
  /// 0: decompressed in line, on the decoder's thread. Time-ordered readers set it (their
  /// busiest CPU's stream bounds the wall time) before the first read.
  var readAheadThreads = 0

  @exclusivity(unchecked) private var layoutCache: [EventLayout?] = []
  @exclusivity(unchecked) private var wantsCache: [UInt8] = []  // 0 unknown, 1 no, 2 yes
  private let common: (typeOffset: Int, typeSize: Int, pidOffset: Int, pidSize: Int)?
  /// Events left out by a `.only` selection, counted but not returned.
  @exclusivity(unchecked) private(set) var skippedEvents = 0
  /// Lost events reported on pages whose first event was skipped: carried to the next returned event.
  @exclusivity(unchecked) private var pendingLost = 0
  @exclusivity(unchecked) private var commByPID: [Int32: String] = [:]

  /// Events copied out as ``EventDigest``s by ``nextDigested()``; nil: none.
  var digestPlan: DigestPlan?
  /// Whether ``nextDigested()`` keeps the bytes of its latest digest, for ``eventForLastDigest()``.
  var keepsLastDigest = false
  @exclusivity(unchecked) private var recipes: [DigestRecipe?] = []
  @exclusivity(unchecked) private var taskNameByPID: [Int32: (UInt64, UInt64)?] = [:]
  /// The latest entry of ``taskNameByPID`` used (a CPU runs one task for many events).
  @exclusivity(unchecked) private var lastTaskName: (pid: Int32, packed: (UInt64, UInt64)?) = (-1, nil)
  /// Where the latest digest's bytes are in `block`, until the block is refilled; then they
  /// are copied to `lastDigestBytes`.
  @exclusivity(unchecked) private var lastDigestRange = 0..<0
  @exclusivity(unchecked) private var lastDigestBytes: [UInt8] = []
  @exclusivity(unchecked) private var lastDigestCopied = true
  @exclusivity(unchecked) private var lastDigest: (id: Int, timestamp: UInt64, pid: Int32, lost: Int) = (0, 0, 0, 0)

  /// Pages read per block when the data is not compressed.
  private static let pagesPerBlock = 256
  /// Told the file bytes of this CPU's data as blocks are read.
  var progress: ReadProgress?

  /// - Parameters:
  ///   - sharedFormats: formats to use instead of building this stream's own (the report
  ///     printer shares one handle among its streams, as trace-cmd does).
  init(layout: TraceDatLayout, bufferIndex: Int, cpuIndex: Int, fields: FieldSelection,
       forPrinting: Bool, symbols: SymbolTable, sharedFormats: EventFormats? = nil) throws {
    self.layout = layout
    self.bufferIndex = bufferIndex
    let buffer = layout.buffers[bufferIndex]
    cpuData = buffer.cpus[cpuIndex]
    bufferName = buffer.name
    pageSize = buffer.pageSize
    self.fields = fields
    self.symbols = symbols
    self.forPrinting = forPrinting
    file = try FileBytes(path: layout.dataPath ?? layout.file)
    formats = try sharedFormats ?? EventFormats(layout: layout, forPrinting: forPrinting)
    page = RingBufferPage(longSize: layout.pageHeader.commitSize, pageSize: buffer.pageSize, bigEndian: layout.bigEndian,
                          oldFormat: formats.isOldFormat)
    nextReadOffset = cpuData.offset
    end = cpuData.offset + cpuData.size
    common = formats.commonFieldPlacement()
  }

  private func location(_ offset: Int) -> InputLocation { InputLocation(file: layout.file, byteOffset: offset) }

  /// Reads `part` of this CPU's data next, from its start: the pages or chunks it names, then
  /// the end. Lost counts carried from skipped events are dropped (a part is counted, not
  /// time-ordered: ``TraceDatReader/reducePartsConcurrently(fields:reducer:)``).
  func restart(at part: StreamPart) {
    nextReadOffset = part.offset
    end = part.end
    chunksLeft = part.chunks ?? -1
    chunks = nil
    prefetcher = nil
    blockPages = 0
    pageIndex = 0
    pageLoaded = false
    pendingLost = 0
  }

  // MARK: - Blocks and pages

  /// Loads the next block of pages; false at the end of this CPU's data.
  private func loadBlock() throws -> Bool {
    if !lastDigestCopied {
      // The block is about to be overwritten: keep the latest digest's bytes.
      lastDigestBytes.removeAll(keepingCapacity: true)
      let range = lastDigestRange
      block.withUnsafeBytes { lastDigestBytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[range])) }
      lastDigestCopied = true
    }
    if layout.compression == .none {
      let available = end - nextReadOffset
      guard available >= pageSize else { return false }
      let count = min(available / pageSize, Self.pagesPerBlock) * pageSize
      reserveBlock(count)
      let readOffset = nextReadOffset
      try block.withUnsafeMutableBytes { raw in
        try file.read(at: readOffset, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]))
      }
      blockFileOffset = nextReadOffset
      blockPages = count / pageSize
      nextReadOffset += count
      pageIndex = 0
      progress?.advance(count)
      return true
    }
    let chunk: CompressedChunkReader.Chunk?
    if readAheadThreads > 0 {
      if prefetcher == nil {
        let readers = try (0..<readAheadThreads).map { _ in
          CompressedChunkReader(
            file: try FileBytes(path: layout.dataPath ?? layout.file), layout: layout, pageSize: pageSize,
            nextReadOffset: nextReadOffset, chunksLeft: chunksLeft, end: end)
        }
        prefetcher = ChunkPrefetcher(readers)
      }
      chunk = try prefetcher?.next()
    } else {
      if chunks == nil {
        chunks = CompressedChunkReader(
          file: file, layout: layout, pageSize: pageSize, nextReadOffset: nextReadOffset, chunksLeft: chunksLeft, end: end)
      }
      chunk = try chunks?.next(reusing: block)
    }
    guard let chunk else { return false }
    // A new storage replaces the old one, which the ``RingBufferPage`` keeps until its next load.
    block = chunk.storage
    blockFileOffset = chunk.fileOffset
    blockPages = chunk.pages
    pageIndex = 0
    progress?.advance(chunk.bytesRead)
    return true
  }

  /// Makes `block` hold at least `count` bytes of pages plus slack. A new storage replaces
  /// the old one, which the ``RingBufferPage`` keeps until its next load.
  private func reserveBlock(_ count: Int) {
    let needed = count + pageSize + RingBufferPage.slackBytes
    if block.count < needed { block = PageStorage(count: needed) }
  }

  /// File offset that errors about the current page name: the page itself, or its chunk
  /// (a place inside compressed data has no file offset of its own).
  private var currentPageOffset: Int {
    layout.compression == .none ? blockFileOffset + pageIndex * pageSize : blockFileOffset
  }

  /// File offset that errors about an event name: the event itself, or its page's chunk.
  private func eventOffset(_ raw: RawEvent) -> Int {
    layout.compression == .none ? currentPageOffset + raw.offsetInPage : blockFileOffset
  }

  /// Moves to the next non-empty page; false at the end.
  private func loadNextPage() throws -> Bool {
    while true {
      if pageLoaded { pageIndex += 1 }
      pageLoaded = false
      if pageIndex >= blockPages {
        guard try loadBlock() else { return false }
      }
      let start = pageIndex * pageSize
      // The page header (laid out as `header_page` says): u64 timestamp, then `commit` (a
      // kernel long) whose low 27 bits are the data size (the high bits flag missed events).
      let header = layout.pageHeader
      let commit = block.withUnsafeBytes { raw in
        FieldDecoder.readUInt(UnsafeRawBufferPointer(rebasing: raw[start..<start + pageSize]), header.commitOffset,
                              header.commitSize, bigEndian: layout.bigEndian)
      }
      let dataSize = Int(commit & ((1 << 27) - 1))
      let headerSize = header.dataOffset
      guard dataSize <= pageSize - headerSize else {
        throw TraceParseError(reason: .pageHeaderPastPage(commit: dataSize, pageSize: pageSize), location: location(currentPageOffset))
      }
      pageLoaded = true
      if dataSize == 0 { continue }
      let loaded: Bool
      do {
        loaded = try page.load(block, at: start)
      } catch {
        throw TraceParseError(reason: .pageHeaderPastPage(commit: error.size, pageSize: pageSize), location: location(currentPageOffset))
      }
      if loaded { return true }
    }
  }

  /// Calls `body` with every page of this stream that holds records: the storage it is in and
  /// its offset there, valid until `body` returns (`RingBufferWalkTests` walks each one with
  /// kbuffer too).
  func forEachPage(_ body: (PageStorage, Int) throws -> Void) throws {
    while try loadNextPage() { try body(block, pageIndex * pageSize) }
  }

  /// The next raw event, valid until the next call.
  private func nextRaw() throws -> RawEvent? {
    while true {
      if pageLoaded {
        do {
          if let event = try page.next() { return event }
        } catch {
          throw TraceParseError(
            reason: .invalidValue(what: "ring-buffer record", found: "\(error.size) bytes at page offset \(error.offsetInPage) do not fit in the \(pageSize)-byte page"),
            location: location(layout.compression == .none ? currentPageOffset + max(0, error.offsetInPage) : currentPageOffset))
        }
      }
      guard try loadNextPage() else { return nil }
    }
  }

  /// The next raw event the selection may keep: an event of a type already known to be left
  /// out is counted and skipped here, its 2-byte `common_type` read in place (most events of a
  /// large trace take this path; the full check in ``selectedType(_:_:_:)`` sees the rest).
  @inline(__always)
  private func nextSelectedRaw() throws -> RawEvent? {
    guard let common, common.typeSize == 2 else { return try nextRaw() }
    while let raw = try nextRaw() {
      if let type = page.uint16(of: raw, at: common.typeOffset) {
        let id = Int(type)
        if id < wantsCache.count, wantsCache[id] == 1 {
          skip(raw)
          continue
        }
      }
      return raw
    }
    return nil
  }

  // MARK: - Events

  private func eventLayout(_ id: Int, offset: Int) throws -> EventLayout {
    if id >= 0, id < layoutCache.count, let known = layoutCache[id] { return known }
    guard id >= 0, id < 1 << 16, var found = formats.layout(ofType: id) else {
      throw TraceParseError(reason: .unknownEventID(id), location: location(offset))
    }
    if !forPrinting, let unknown = layout.unknownTypeLayout(id) { found = unknown }
    if id >= layoutCache.count {
      layoutCache.append(contentsOf: repeatElement(nil, count: id + 1 - layoutCache.count))
      wantsCache.append(contentsOf: repeatElement(0, count: id + 1 - wantsCache.count))
    }
    layoutCache[id] = found
    if let digestPlan {
      if id >= recipes.count { recipes.append(contentsOf: repeatElement(nil, count: id + 1 - recipes.count)) }
      recipes[id] = DigestRecipe(found, plan: digestPlan)
    }
    switch fields {
    case .all: wantsCache[id] = 2
    case .none: wantsCache[id] = 3  // returned, fields not decoded
    case .only:
      let isStack = found.name == "kernel_stack" && found.system == "ftrace"
      // A kprobe in any group (`pokestat_<pid>/…`, `mygroup/…`) is a kprobe: it is known by its
      // `__probe_ip` field (a kretprobe's: `__probe_func` and `__probe_ret_ip`), not by its
      // system's name.
      let isProbe = fields.wantsProbesOfAnyGroup
        && found.fields.contains { $0.name == "__probe_ip" || $0.name == "__probe_ret_ip" }
      wantsCache[id] = isProbe || fields.wants(system: found.system, name: found.name) ? 2 : (isStack ? 3 : 1)
    }
    return found
  }

  /// A `tep_record` for libtraceevent's calls; it points into `data`, so it is used only
  /// inside the same ``RingBufferPage/withData(of:_:)`` closure.
  private func makeRecord(_ raw: RawEvent, _ data: UnsafeRawBufferPointer) -> tep_record {
    var record = tep_record()
    record.ts = raw.timestamp
    record.data = UnsafeMutableRawPointer(mutating: data.baseAddress)
    record.size = Int32(data.count)
    record.cpu = Int32(cpuData.cpu)
    record.missed_events = Int64(raw.missedBefore)
    record.offset = UInt64(currentPageOffset + raw.offsetInPage)
    return record
  }

  /// The event type id of a raw event: read in place when the common field layout is known.
  private func typeID(_ data: UnsafeRawBufferPointer, _ record: inout tep_record) -> Int {
    if let common {
      // A format may declare common_type wider than the kernel's u16: a value past Int is an
      // unknown id, never a trap.
      return Int(truncatingIfNeeded: FieldDecoder.readUInt(data, common.typeOffset, common.typeSize, bigEndian: layout.bigEndian))
    }
    return formats.typeID(of: &record)
  }

  private func pid(_ data: UnsafeRawBufferPointer, _ record: inout tep_record) -> Int32 {
    if let common {
      return Int32(truncatingIfNeeded: FieldDecoder.readUInt(data, common.pidOffset, common.pidSize, bigEndian: layout.bigEndian))
    }
    return formats.pid(of: &record)
  }

  private func comm(_ pid: Int32) -> String {
    if let known = commByPID[pid] { return known }
    let name = formats.comm(of: pid)
    commByPID[pid] = name
    return name
  }

  private func skip(_ raw: RawEvent) {
    skippedEvents += 1
    if raw.missedBefore != 0 { pendingLost = Self.combine(pendingLost, raw.missedBefore) }
  }

  /// This event's own lost count plus any carried from skipped events.
  private func combinedLost(_ own: Int) -> Int {
    defer { pendingLost = 0 }
    return Self.combine(pendingLost, own)
  }

  /// Adds lost counts where -1 means "some, number unknown" and stays unknown.
  private static func combine(_ a: Int, _ b: Int) -> Int {
    if a < 0 || b < 0 { return a > 0 || b > 0 ? max(a, b) : -1 }
    return a + b
  }

  /// The next event of this CPU. With a `.only` selection, events outside it are skipped
  /// (counted in ``skippedEvents``) without being decoded; `kernel_stack` records are
  /// always returned so stacks can attach.
  func nextEvent() throws -> TraceEvent? {
    while let raw = try nextSelectedRaw() {
      if let event = try page.withData(of: raw, { data in try event(raw, data) }) { return event }
    }
    return nil
  }

  /// The event `raw` (whose payload is `data`), or nil when the selection skips it.
  private func event(_ raw: RawEvent, _ data: UnsafeRawBufferPointer) throws -> TraceEvent? {
    var record = tep_record()
    guard let id = try selectedType(raw, data, &record) else { return nil }
    let eventLayout = try eventLayout(id, offset: eventOffset(raw))
    return makeEvent(data, layout: eventLayout, id: id, timestamp: raw.timestamp,
                     pid: pid(data, &record), lost: combinedLost(raw.missedBefore))
  }

  /// The type id of `raw` when the selection keeps it (its layout then looked up once and cached
  /// in `wantsCache`), or nil after skipping it. `record` is filled for libtraceevent's common
  /// field reads when the layout has no common-field offsets of its own.
  private func selectedType(_ raw: RawEvent, _ data: UnsafeRawBufferPointer, _ record: inout tep_record) throws -> Int? {
    if common == nil { record = makeRecord(raw, data) }
    let id = typeID(data, &record)
    if id >= 0, id < wantsCache.count, wantsCache[id] == 1 {
      skip(raw)
      return nil
    }
    if id < 0 || id >= wantsCache.count || wantsCache[id] == 0 { _ = try eventLayout(id, offset: eventOffset(raw)) }
    if wantsCache[id] == 1 {
      skip(raw)
      return nil
    }
    return id
  }

  private func makeEvent(
    _ data: UnsafeRawBufferPointer, layout eventLayout: EventLayout, id: Int, timestamp: UInt64, pid: Int32, lost: Int
  ) -> TraceEvent {
    let isStack = eventLayout.name == "kernel_stack" && eventLayout.system == "ftrace"
    var event = TraceEvent(
      timestamp: Timestamp(nanoseconds: timestamp), cpu: cpuData.cpu, pid: pid,
      comm: comm(pid), system: eventLayout.system, name: eventLayout.name,
      buffer: bufferName, lostBefore: lost)
    if wantsCache[id] == 2 {
      event.fields = FieldDecoder.decode(eventLayout, data, bigEndian: layout.bigEndian, strings: layout.printkStrings)
    }
    if isStack {
      event.stack = FieldDecoder.kernelStack(eventLayout, data, longSize: layout.pageHeader.commitSize,
                                             bigEndian: layout.bigEndian, symbols: symbols)
    }
    return event
  }

  // MARK: - Digests

  /// Like ``nextEvent()``, but events that ``digestPlan`` covers come back as
  /// ``EventDigest``s read straight from the page (no libtraceevent call, no allocation).
  func nextDigested() throws -> DigestedEvent? {
    while let raw = try nextSelectedRaw() {
      if let event = try page.withData(of: raw, { data in try digested(raw, data) }) { return event }
    }
    return nil
  }

  /// The digest or event of `raw` (whose payload is `data`), or nil when the selection skips it.
  private func digested(_ raw: RawEvent, _ data: UnsafeRawBufferPointer) throws -> DigestedEvent? {
    var record = tep_record()
    guard let id = try selectedType(raw, data, &record) else { return nil }
    if common != nil, wantsCache[id] == 2, id < recipes.count, let recipe = recipes[id],
      let digest = digest(raw, data, recipe: recipe, id: id)
    {
      return .digest(digest)
    }
    let eventLayout = try eventLayout(id, offset: eventOffset(raw))
    return .event(makeEvent(data, layout: eventLayout, id: id, timestamp: raw.timestamp,
                            pid: pid(data, &record), lost: combinedLost(raw.missedBefore)))
  }

  private func digest(_ raw: RawEvent, _ data: UnsafeRawBufferPointer, recipe: DigestRecipe, id: Int) -> EventDigest? {
    var values: (UInt64, UInt64, UInt64) = (0, 0, 0)
    let bigEndian = layout.bigEndian
    if recipe.count > 0 {
      guard let value = DigestRecipe.value(recipe.slots.0, data, bigEndian: bigEndian) else { return nil }
      values.0 = value
    }
    if recipe.count > 1 {
      guard let value = DigestRecipe.value(recipe.slots.1, data, bigEndian: bigEndian) else { return nil }
      values.1 = value
    }
    if recipe.count > 2 {
      guard let value = DigestRecipe.value(recipe.slots.2, data, bigEndian: bigEndian) else { return nil }
      values.2 = value
    }
    var record = tep_record()
    let pid = pid(data, &record)
    let packed: (UInt64, UInt64)?
    if pid == lastTaskName.pid {
      packed = lastTaskName.packed
    } else if let known = taskNameByPID[pid] {
      packed = known
      lastTaskName = (pid, known)
    } else {
      packed = DigestRecipe.packedTaskName(comm(pid))
      taskNameByPID[pid] = packed
      lastTaskName = (pid, packed)
    }
    guard let taskName = packed else { return nil }
    let lost = combinedLost(raw.missedBefore)
    if keepsLastDigest {
      let start = pageIndex * pageSize + raw.dataOffset
      lastDigestRange = start..<start + raw.dataCount
      lastDigestCopied = false
      lastDigest = (id, raw.timestamp, pid, lost)
    }
    return EventDigest(kind: recipe.kind, timestamp: raw.timestamp, cpu: cpuData.cpu, pid: pid, lostBefore: lost,
                       values: values, taskName: taskName)
  }

  /// The full event of the latest digest ``nextDigested()`` returned, exactly as
  /// ``nextEvent()`` would have returned it (needs ``keepsLastDigest``).
  func eventForLastDigest() -> TraceEvent {
    precondition(keepsLastDigest, "eventForLastDigest needs keepsLastDigest")
    let last = lastDigest
    let eventLayout = layoutCache[last.id]!
    guard lastDigestCopied else {
      let range = lastDigestRange
      return block.withUnsafeBytes { bytes in
        makeEvent(UnsafeRawBufferPointer(rebasing: bytes[range]), layout: eventLayout, id: last.id,
                  timestamp: last.timestamp, pid: last.pid, lost: last.lost)
      }
    }
    return lastDigestBytes.withUnsafeBytes { bytes in
      makeEvent(bytes, layout: eventLayout, id: last.id, timestamp: last.timestamp, pid: last.pid, lost: last.lost)
    }
  }

  /// The raw event behind the latest ``nextPrintableEvent()``, valid until the next read.
  private var reportRaw: RawEvent?

  /// The next event for `trace-cmd report`'s layout: its numbers and decoded fields. Its
  /// text comes from ``printLastPrintableEvent(withInfo:)``, called before this stream is read
  /// again, so libtraceevent prints events in output order.
  func nextPrintableEvent() throws -> PrintableEvent? {
    reportRaw = nil
    guard let raw = try nextRaw() else { return nil }
    let record = try page.withData(of: raw) { data in try reportRecord(raw, data) }
    reportRaw = raw
    return record
  }

  private func reportRecord(_ raw: RawEvent, _ data: UnsafeRawBufferPointer) throws -> PrintableEvent {
    var record = makeRecord(raw, data)
    let id = formats.typeID(of: &record)
    let eventLayout = try eventLayout(id, offset: eventOffset(raw))
    let pid = formats.pid(of: &record)
    if let outside = FieldDecoder.fieldOutsideRecord(eventLayout, data, bigEndian: layout.bigEndian) {
      // libtraceevent would copy those bytes (a __data_loc or a field past the record).
      throw TraceParseError(
        reason: .invalidValue(what: "\(eventLayout.system):\(eventLayout.name) field \(outside.name)",
                              found: "bytes \(outside.start)..<\(outside.start + outside.length) of a \(data.count)-byte record"),
        location: location(eventOffset(raw)))
    }
    return PrintableEvent(
      timestamp: raw.timestamp, cpu: cpuData.cpu, pid: pid, system: eventLayout.system,
      name: eventLayout.name, fields: FieldDecoder.decode(eventLayout, data, bigEndian: layout.bigEndian),
      missedBefore: raw.missedBefore, fileOffset: eventOffset(raw))
  }

  /// Appends the next event to `batch` for the report printer: formatted by `fast` when it
  /// has a formatter for the event's type, else as a ``PrintableEvent`` plus a copy of its
  /// payload for libtraceevent (the same record and checks as ``nextPrintableEvent()``).
  ///
  /// - Returns: false at the end of this stream.
  func nextReportEntry(into batch: inout ReportBatch, fast: ReportFastFormatter?) throws -> Bool {
    guard let raw = try nextRaw() else { return false }
    try page.withData(of: raw) { (data: UnsafeRawBufferPointer) throws -> Void in
      var record = tep_record()
      if common == nil { record = makeRecord(raw, data) }
      let id = typeID(data, &record)
      let taskID = self.pid(data, &record)
      // A formatted type's records hold all its fields (checked by `format`), so the check
      // below, which names a field outside the record, has nothing to find.
      if let fast, let plan = try fast.typePlan(id, event: { try self.eventLayout(id, offset: self.eventOffset(raw)) }) {
        let textStart = batch.text.count
        if fast.format(data, plan: plan, timestamp: raw.timestamp, cpu: cpuData.cpu, pid: taskID, into: &batch) {
          batch.entries.append(ReportBatch.Entry(
            timestamp: raw.timestamp, pid: taskID, missedBefore: raw.missedBefore, textStart: textStart,
            textEnd: batch.text.count, registrationEnd: batch.registrations.count, record: -1))
          return
        }
      }
      let eventLayout = try eventLayout(id, offset: eventOffset(raw))
      if let outside = FieldDecoder.fieldOutsideRecord(eventLayout, data, bigEndian: layout.bigEndian) {
        throw TraceParseError(
          reason: .invalidValue(what: "\(eventLayout.system):\(eventLayout.name) field \(outside.name)",
                                found: "bytes \(outside.start)..<\(outside.start + outside.length) of a \(data.count)-byte record"),
          location: location(eventOffset(raw)))
      }
      let textStart = batch.text.count
      // libtraceevent reads fields with plain loads: keep the copy 8-byte aligned.
      let padding = (8 - textStart % 8) % 8
      batch.text.append(contentsOf: repeatElement(0, count: padding))
      let copyStart = batch.text.count
      batch.text.append(contentsOf: data)
      batch.records.append(PrintableEvent(
        timestamp: raw.timestamp, cpu: cpuData.cpu, pid: taskID, system: eventLayout.system,
        name: eventLayout.name, fields: FieldDecoder.decode(eventLayout, data, bigEndian: layout.bigEndian),
        missedBefore: raw.missedBefore, fileOffset: eventOffset(raw)))
      batch.entries.append(ReportBatch.Entry(
        timestamp: raw.timestamp, pid: taskID, missedBefore: raw.missedBefore, textStart: copyStart,
        textEnd: batch.text.count, registrationEnd: batch.registrations.count, record: batch.records.count - 1))
    }
    return true
  }

  /// `comm-pid [cpu] time:` and libtraceevent's printed fields (when `withInfo`) of the
  /// latest ``nextPrintableEvent()``, as raw bytes.
  func printLastPrintableEvent(withInfo: Bool) -> (prefix: [UInt8], info: [UInt8]?) {
    guard let raw = reportRaw else { return ([], nil) }
    return page.withData(of: raw) { data in
      var record = makeRecord(raw, data)
      return formats.printedLine(&record, inMicroseconds: inMicroseconds, withInfo: withInfo)
    }
  }
}

/// One event decoded for printing as `trace-cmd report` prints it (`dump`): its columns and
/// fields, before libtraceevent or a fast formatter writes the line.
struct PrintableEvent: Sendable {
  var timestamp: UInt64
  var cpu: Int
  var pid: Int32
  var system: String
  var name: String
  var fields: [EventField]
  var missedBefore: Int
  /// Where errors about this event point: the event, or its chunk when compressed.
  var fileOffset: Int = 0

  subscript(_ name: String) -> UInt64? {
    for field in fields where field.name == name { return field.value.unsignedValue }
    return nil
  }
}
