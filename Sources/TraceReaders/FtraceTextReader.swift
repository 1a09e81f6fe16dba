import Foundation
import Synchronization
import TraceModel

/// A trace in ftrace text: the tracefs `trace`/`trace_pipe` files or `trace-cmd report` output,
/// read as one stream in file order, line by line.
///
/// Layouts read (any mix, detected per line):
/// - tracefs default, with or without irq-info flags (`d..2.`) and record-tgid (`(  1234)`);
/// - tracefs latency-format (`bash-8778  0...1. 26362us!: ...`, timestamps relative, in µs);
/// - `trace-cmd report`, with or without `-l`, `-t` (ns), `--ts-diff` (`(+114)`), with the
///   `instance: ` prefix of extracted instances (``TraceEvent/buffer``);
/// - function tracer lines (`smp_call_function_single <-on_each_cpu_cond_mask`);
/// - function_graph lines, with or without funcgraph-abstime and funcgraph-proc, and in
///   `trace-cmd report`'s `funcgraph_entry: [marker] N us |  body` layout: `f() {` is a
///   `funcgraph_entry`, `}` a `funcgraph_exit` with `duration_ns`, a leaf `f();` both (the exit
///   at entry + duration), `/* text */` a `print`; without abstime the timestamp is 0;
/// - `<stack trace>` / `kernel_stack` blocks (`=> f (addr)`, ` => f+0x1/0x20`), attached as
///   ``TraceEvent/stack`` to the event before them (user stack blocks are skipped);
/// - `CPU:N [LOST M EVENTS]` and `CPU:N [M EVENTS DROPPED]`, which set
///   ``TraceEvent/lostBefore`` of that CPU's next event (`[LOST EVENTS]`: -1);
/// - trace_marker lines (`tracing_mark_write: text`, or `print: tracing_mark_write: text`),
///   as event `ftrace:print` with field `buf`.
///
/// A line that is not an event but directly follows an event that printed nothing after its
/// name is taken as that event's text (mail and terminals wrap long lines that way).
///
/// Stack blocks belong to the latest event of their CPU, which in merged text need not be the
/// line just above (`<idle>-0 [000]` lines can sit between a CPU 1 event and its stack), so
/// events are held in a small window (``FtraceTextStream/windowLimit`` events) until a later
/// event of the same CPU shows they are complete; they still come out in file order.
///
/// Opened with ``init(path:options:parallelStreams:)``, a large regular file (at least two
/// ``defaultMinimumRangeBytes`` ranges, not standard input, not compressed) is read as up to
/// that many streams, each over a byte range that starts at a safe event line
/// (``FtraceTextRanges`` states the rule); the streams' events follow one another in file order,
/// and error locations keep their line in the whole file. ``init(path:options:)`` always gives
/// one stream, for callers that read only ``stream(_:fields:)`` 0.
///
/// - Complexity: memory is one 1 MiB block plus the window per stream, whatever the file size.
public struct FtraceTextSource: EventSource, Sendable {
  public var metadata: TraceMetadata
  public let path: String
  public let options: TextReaderOptions
  private let handoff: ReaderHandoff
  /// The byte ranges of the streams; empty when the file is read as one stream.
  let ranges: [Range<Int>]
  /// Per range, the lines before it (counted when an error location needs them).
  private let lineBases: [LineBase?]

  /// The smallest byte range worth a stream of its own.
  static let defaultMinimumRangeBytes = 64 << 20

  /// Opens `path` (`-` is standard input; gzip and zstd files are decompressed) and reads the
  /// header lines for ``metadata``.
  ///
  /// - Throws: ``TraceParseError`` when the file cannot be opened or read.
  public init(path: String, options: TextReaderOptions = TextReaderOptions()) throws(TraceParseError) {
    try self.init(path: path, options: options, minimumRangeBytes: Self.defaultMinimumRangeBytes, maximumStreams: 1)
  }

  /// Opens `path` like ``init(path:options:)``, and splits a large regular file into up to
  /// `parallelStreams` byte ranges of at least ``defaultMinimumRangeBytes`` (pass the active
  /// CPU count), one stream each. Callers must read every stream (``streamCount``), e.g. with
  /// ``EventSource/forEachEventInTimeOrder(fields:_:)`` or
  /// ``reduceTextStreamsConcurrently(fields:reducer:)``.
  public init(path: String, options: TextReaderOptions = TextReaderOptions(), parallelStreams: Int)
    throws(TraceParseError)
  {
    try self.init(
      path: path, options: options, minimumRangeBytes: Self.defaultMinimumRangeBytes, maximumStreams: parallelStreams)
  }

  /// Opens `path`, splitting it into at most `maximumStreams` ranges of at least
  /// `minimumRangeBytes` (tests force small ranges).
  init(path: String, options: TextReaderOptions, minimumRangeBytes: Int, maximumStreams: Int) throws(TraceParseError) {
    var reader = try LineReader(path: path)
    let head = try reader.peek()
    self.path = path
    self.options = options
    self.metadata = Self.sniffMetadata(head.prefix(64 << 10), path: path)
    self.ranges = FtraceTextRanges.plan(
      path: path, head: head, minimumRangeBytes: minimumRangeBytes, maximumRanges: maximumStreams)
    self.lineBases = ranges.map { $0.lowerBound == 0 ? nil : LineBase(path: path, offset: $0.lowerBound) }
    self.handoff = ReaderHandoff(reader: ranges.isEmpty ? reader : nil)
  }

  public var streamCount: Int { max(1, ranges.count) }

  /// Told the bytes read by every stream opened after it is set (the file's size in all,
  /// decompressed bytes for gzip/zstd input).
  public var progress: ReadProgress?

  /// One stream of the file: the whole file, or one byte range of it (see ``FtraceTextRanges``).
  /// For a whole file the first call uses the already-open input, later calls reopen the file
  /// (not possible for standard input).
  public func stream(_ index: Int, fields: FieldSelection) throws(TraceParseError) -> FtraceTextStream {
    precondition(index >= 0 && index < streamCount, "stream \(index) of \(streamCount)")
    guard !ranges.isEmpty else {
      var reader = try handoff.reader(reopening: path)
      reader.progress = progress
      return FtraceTextStream(reader: reader, fields: fields, options: options)
    }
    var reader = LineReader(
      channel: try ByteChannel.open(path, byteRange: ranges[index]), lineBase: lineBases[index])
    reader.progress = progress
    return FtraceTextStream(reader: reader, fields: fields, options: options)
  }

  /// Reads every event into memory, stream after stream (file order), with the count of lines
  /// skipped in lenient mode.
  ///
  /// For tests and small files; large traces should use ``stream(_:fields:)``.
  public func readAll(fields: FieldSelection = .all) throws(TraceParseError) -> (
    events: [TraceEvent], skipped: SkippedLines
  ) {
    var events: [TraceEvent] = []
    var skipped = SkippedLines()
    for index in 0..<streamCount {
      var stream = try stream(index, fields: fields)
      while let event = try stream.next() { events.append(event) }
      skipped.add(stream.skipped)
    }
    return (events, skipped)
  }

  static func sniffMetadata(_ head: ArraySlice<UInt8>, path: String) -> TraceMetadata {
    var metadata = TraceMetadata(file: path, formatDescription: "ftrace text")
    let text = String(decoding: head, as: UTF8.self)
    for line in text.split(separator: "\n").prefix(64) {
      if line.hasPrefix("cpus=") {
        metadata.formatDescription = "trace-cmd report"
        metadata.cpuCount = Int(line.dropFirst(5).trimmingSuffix(while: { $0 == "\r" }))
      } else if line.hasPrefix("# tracer: ") {
        metadata.formatDescription = "ftrace text (tracer \(line.dropFirst(10).trimmingSuffix(while: { $0 == "\r" })))"
      } else if line.hasPrefix("#"), let p = line.range(of: "#P:") {
        metadata.cpuCount = Int(line[p.upperBound...].prefix { $0.isNumber })
      }
    }
    return metadata
  }
}

/// Holds the reader opened by ``FtraceTextSource/init(path:options:)`` until the first stream
/// takes it (a class so the non-mutating `stream` can hand it over once).
///
/// `@unchecked Sendable`: the reader is only touched under ``lock`` and, once taken, belongs
/// to the one stream that took it.
final class ReaderHandoff: @unchecked Sendable {
  private var reader: LineReader?
  private let lock = Mutex(())
  init(reader: LineReader?) { self.reader = reader }
  func take() -> LineReader? {
    lock.withLock { _ in
      defer { reader = nil }
      return reader
    }
  }

  /// The already-open reader the first time; a reopened file after that (standard input
  /// cannot be read twice).
  func reader(reopening path: String) throws(TraceParseError) -> LineReader {
    if let reader = take() { return reader }
    guard path != "-" else {
      throw TraceParseError(
        reason: .readFailed(detail: "standard input can be read only once"), location: InputLocation(file: path))
    }
    return try LineReader(path: path)
  }
}

extension Substring {
  fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
    var s = self
    while let last = s.last, predicate(last) { s = s.dropLast() }
    return s
  }
}

/// The events of one ftrace text file, in file order.
public struct FtraceTextStream: EventStream {
  private var reader: LineReader
  private let fields: FieldSelection
  private let options: TextReaderOptions
  /// Lines skipped in lenient mode so far.
  public private(set) var skipped = SkippedLines()
  /// How many lines were skipped in lenient mode so far.
  public var skippedLineCount: Int { skipped.count }

  /// Events not yet known to be complete (a stack block may still follow), in file order.
  private var window: [TraceEvent] = []
  /// Whether each ``window`` event is complete: a later event of its CPU and buffer was read.
  private var windowDone: [Bool] = []
  /// The index in ``window`` of the event the current stack block attaches to.
  private var stackTarget: Int?
  private var atEnd = false
  /// How many events may wait for a stack block before the oldest is released anyway.
  public static let windowLimit = 64
  private var stackState = StackState.none
  private var lostByCPU: [Int: Int] = [:]
  /// trace-cmd prints an instance's label once before a `CPU:N [... DROPPED]` notice and not
  /// again on the event line that follows it: that line belongs to this buffer.
  private var bufferOfNextUnlabelledLine: String?
  private var openFunctions: [Int: [String]] = [:]
  private var pendingInfoIsEmpty = false
  private var interner = TextInterner()
  /// Every event name seen, with what was decided for it once (see ``NameInfo``).
  private var names: [NameInfo] = []

  private enum StackState { case none, kernel, user }

  /// An event name's `String`, its system and whether its fields are wanted, so the per-line
  /// work is a hash and a byte compare instead of string building and set lookups.
  private struct NameInfo {
    enum Kind { case plain, functionGraph, kernelStack, userStack, marker }
    var name: String
    /// "" when the system depends on the line (kprobe events print `(sym+0x0/0x20)` first).
    var system: String
    var wantsFields: Bool
    var kind: Kind
    /// Whether its events are left out (a ``FieldSelection/only(_:)`` selection not naming it).
    var isSkipped: Bool
  }
  /// The bytes of every name in ``names``, back to back (``nameStarts`` has each one's start
  /// and one more entry for the end), and each name's key: its length and first 8 bytes.
  private var nameBytes: [UInt8] = []
  private var nameStarts: [Int] = [0]
  private var nameKeys: [UInt64] = []
  /// Each name's bytes 7..<15 (see ``FastEventLine/nameTail``).
  private var nameTails: [UInt64] = []
  /// Per hash of a name key, the index in ``names`` last found for it (-1: none).
  private var nameSlots = [Int](repeating: -1, count: 64)
  /// Whether lines of the common `trace-cmd report` shape go through ``FastEventLine`` (tests
  /// turn it off to compare with the bounds-checked parser).
  let usesFastPath: Bool

  /// The index in ``names`` of the function tracer's lines (which print no event name).
  private mutating func functionNameIndex() -> Int {
    nameIndex(Byte.functionName, 0, Byte.functionName.count)
  }

  /// The slot of a name key in ``nameSlots``.
  private static func nameSlot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 58) }

  /// The index in ``names`` of the name in `b[start..<end]`, added on first sight.
  ///
  /// - Complexity: O(length + distinct names); a trace has tens of names.
  private mutating func nameIndex(_ b: [UInt8], _ start: Int, _ end: Int, key precomputed: UInt64? = nil) -> Int {
    let length = end - start
    // Key: the first 7 bytes and the length (names are short; the rest is compared on a hit).
    let prefix = min(length, 7)
    var key: UInt64
    if let precomputed {
      key = precomputed
    } else {
      key = UInt64(truncatingIfNeeded: min(length, 255)) << 56
      for k in 0..<prefix { key |= UInt64(b[start + k]) << UInt64(8 * k) }
    }
    // A direct-mapped cache of the last name per key hash, then the list of all names.
    let slot = Self.nameSlot(key)
    let cached = nameSlots[slot]
    if cached >= 0, nameKeys[cached] == key, nameStarts[cached + 1] - nameStarts[cached] == length,
      length <= prefix
        || FastEventLine.equal(nameBytes, nameStarts[cached] + prefix, b, start + prefix, count: length - prefix)
    {
      return cached
    }
    search: for index in nameKeys.indices where nameKeys[index] == key {
      let known = nameStarts[index]
      guard nameStarts[index + 1] - known == length else { continue }
      if length > prefix {
        for k in prefix..<length where nameBytes[known + k] != b[start + k] { continue search }
      }
      nameSlots[slot] = index
      return index
    }
    nameBytes.append(contentsOf: b[start..<end])
    nameStarts.append(nameBytes.count)
    nameKeys.append(key)
    var tail: UInt64 = 0
    for k in 0..<min(max(length - 7, 0), 8) { tail |= UInt64(b[start + 7 + k]) << UInt64(8 * k) }
    nameTails.append(tail)
    let name = EscapedText.string(b[start..<end])
    let kind: NameInfo.Kind
    switch name {
    case "funcgraph_entry", "funcgraph_exit": kind = .functionGraph
    case "kernel_stack": kind = .kernelStack
    case "user_stack": kind = .userStack
    case "tracing_mark_write": kind = .marker
    default: kind = .plain
    }
    let printedName = kind == .marker ? "print" : name
    let system = EventSystems.system(of: printedName, info: Substring(""))
    let wants = fields.wants(system: system, name: printedName)
    names.append(
      NameInfo(
        name: printedName, system: system, wantsFields: wants, kind: kind,
        isSkipped: skipsUnselected && !wants && !system.isEmpty && (kind == .plain || kind == .marker)))
    return names.count - 1
  }

  /// Whether events outside an ``FieldSelection/only(_:)`` selection are left out (and counted
  /// in ``skippedEvents``) instead of returned.
  private let skipsUnselected: Bool
  /// Events read but not returned: left out because the selection did not name them, and
  /// stack blocks (`<stack trace>`, `<user stack trace>`, `kernel_stack:`, `user_stack:`), which
  /// are events of their own in the trace (trace-cmd report prints each on its own line,
  /// trace.dat stores each as a record) but are folded into the event before them, as
  /// `TraceDatReader.Stream` folds `kernel_stack` records and counts them the same way.
  public private(set) var skippedEvents = 0
  /// The highest CPU number of the events read so far, returned or left out (-1: none), for a
  /// CPU count inferred from the trace when its header has none.
  public private(set) var highestCPU = -1
  /// The latest event was a text event (`print`, `bprint`, `bputs`) whose text may go on, on
  /// the lines that follow: trace-cmd report prints a `\n` in the text as a line break.
  private var pendingTextContinues = false
  /// The text event whose lines go on was left out (outside the selection).
  private var pendingTextSkipped = false
  /// Per CPU, a bit per buffer (index in ``bufferNames``) whose latest event was left out, so
  /// a stack block after it is dropped rather than given to an earlier event.
  private var skippedLatest: [UInt64] = []
  private var bufferNames: [String] = [""]

  init(reader: LineReader, fields: FieldSelection, options: TextReaderOptions, usesFastPath: Bool = true) {
    self.reader = reader
    self.usesFastPath = usesFastPath
    self.fields = fields
    self.options = options
    if case .only = fields { skipsUnselected = true } else { skipsUnselected = false }
  }

  /// The next event, or nil at the end of the file.
  ///
  /// - Throws: ``TraceParseError`` with the file and 1-based line of a malformed line (unless
  ///   lenient), of binary data, or of a read failure.
  public mutating func next() throws(TraceParseError) -> TraceEvent? {
    while true {
      if !window.isEmpty, let event = releaseHead() { return event }
      let range: Range<Int>
      do {
        guard let next = try reader.nextLine() else {
          atEnd = true
          return releaseHead()
        }
        range = next
      } catch {
        // Binary data on one line: skippable in lenient mode; read failures are not.
        guard case .malformedLine = error.reason else { throw error }
        try skipped.skipOrThrow(error, lenient: options.lenient)
        continue
      }
      try handleLine(range)
    }
  }

  private mutating func emit(_ event: consuming TraceEvent, infoIsEmpty: Bool = false) {
    if event.cpu > highestCPU { highestCPU = event.cpu }
    let bit = bufferBit(event.buffer)
    if event.cpu >= 0, event.cpu < skippedLatest.count { skippedLatest[event.cpu] &= ~bit }
    markComplete(cpu: event.cpu, buffer: event.buffer)
    pendingTextContinues = Self.isTextEvent(event.name)
    pendingTextSkipped = false
    window.append(event)
    windowDone.append(false)
    pendingInfoIsEmpty = infoIsEmpty
  }

  /// Whether an event's printed text is free text that can hold newlines (per event: three
  /// comparisons of small strings, no hashing).
  static func isTextEvent(_ name: String) -> Bool {
    switch name {
    case "print", "bprint", "bputs": return true
    default: return false
    }
  }

  /// Leaves out an event of `cpu` in `buffer` that the selection does not name.
  private mutating func skipEvent(cpu: Int, buffer: String) {
    skippedEvents += 1
    if cpu > highestCPU { highestCPU = cpu }
    pendingInfoIsEmpty = false
    pendingTextContinues = false
    stackState = .none
    markComplete(cpu: cpu, buffer: buffer)
    guard cpu >= 0, cpu < 4096 else { return }
    if cpu >= skippedLatest.count { skippedLatest.append(contentsOf: repeatElement(0, count: cpu + 1 - skippedLatest.count)) }
    skippedLatest[cpu] |= bufferBit(buffer)
  }

  /// Marks the held events of `cpu` in `buffer` complete: a later event of theirs was read.
  private mutating func markComplete(cpu: Int, buffer: String) {
    for index in window.indices.reversed() where !windowDone[index] && window[index].cpu == cpu {
      if window[index].buffer == buffer { windowDone[index] = true }
    }
  }

  /// The bit of `buffer` in ``skippedLatest`` (buffers past the 64th share the last bit).
  private mutating func bufferBit(_ buffer: String) -> UInt64 {
    if buffer.isEmpty { return 1 }
    if let index = bufferNames.firstIndex(of: buffer) { return 1 << UInt64(min(index, 63)) }
    bufferNames.append(buffer)
    return 1 << UInt64(min(bufferNames.count - 1, 63))
  }

  /// The oldest held event, once it is complete: a later event of its CPU exists, the window
  /// is full, or the input ended.
  private mutating func releaseHead() -> TraceEvent? {
    guard !window.isEmpty, atEnd || windowDone[0] || window.count > Self.windowLimit else { return nil }
    if let target = stackTarget { stackTarget = target > 0 ? target - 1 : nil }
    windowDone.removeFirst()
    return window.removeFirst()
  }

  // MARK: - Line classification

  private mutating func handleLine(_ range: Range<Int>) throws(TraceParseError) {
    let buffer = reader.buffer
    if usesFastPath, bufferOfNextUnlabelledLine == nil,
      let line = FastEventLine.parse(buffer, range.lowerBound, range.upperBound)
    {
      // Names of at most 15 bytes are equal when their key (length, first 7 bytes) and tail are.
      let cached = nameSlots[Self.nameSlot(line.nameKey)]
      let index =
        line.nameEnd - line.nameStart <= 15 && cached >= 0 && nameKeys[cached] == line.nameKey
          && nameTails[cached] == line.nameTail
        ? cached : nameIndex(buffer, line.nameStart, line.nameEnd, key: line.nameKey)
      finishEvent(
        buffer, start: line.commStart, commEnd: line.commEnd, pid: line.pid, cpu: line.cpu,
        timestamp: line.timestamp, nameStart: line.nameStart, index: index, infoStart: line.infoStart,
        end: range.upperBound, bufferName: "")
      return
    }
    var start = range.lowerBound
    let end = range.upperBound
    // Buffer (instance) prefix of trace-cmd report: `name: ` at column 0.
    var bufferName = ""
    if start < end, buffer[start] != Byte.space, let prefixEnd = Self.bufferPrefixEnd(buffer, start, end) {
      bufferName = interner.string(buffer, start, prefixEnd)
      start = prefixEnd + 2
      bufferOfNextUnlabelledLine = nil
    } else if let carried = bufferOfNextUnlabelledLine {
      bufferName = carried
      bufferOfNextUnlabelledLine = nil
    }
    var i = start
    while i < end, buffer[i] == Byte.space || buffer[i] == Byte.tab { i += 1 }
    if i == end {
      stackState = .none
      return
    }
    let first = buffer[i]
    if first == Byte.hash { return }
    if first == Byte.equals, i + 1 < end, buffer[i + 1] == Byte.greater {
      try handleFrame(buffer, from: i + 2, to: end)
      return
    }
    if Self.hasPrefix(buffer, i, end, Byte.cpuColon) {
      if let (cpu, lost) = Self.parseLostLine(buffer, i + 4, end) {
        lostByCPU[cpu, default: 0] = lost < 0 ? -1 : (lostByCPU[cpu] ?? 0) + lost
        if !bufferName.isEmpty { bufferOfNextUnlabelledLine = bufferName }
        stackState = .none
        pendingTextContinues = false
        return
      }
    }
    if Self.hasPrefix(buffer, i, end, Byte.cpusEquals) || Self.hasPrefix(buffer, i, end, Byte.versionEquals) {
      return
    }
    // trace-cmd 2.x report header: `CPU 3 is empty` (no events recorded on that CPU).
    if Self.hasPrefix(buffer, i, end, Byte.cpuSpace), Self.isEmptyCPULine(buffer, i + 4, end) {
      stackState = .none
      pendingTextContinues = false
      return
    }
    if let graph = parseFunctionGraph(buffer, i, end, bufferName: bufferName) {
      stackState = .none
      for event in graph { emit(event) }
      return
    }
    if try parseEvent(buffer, i, end, bufferName: bufferName) { return }
    // The next line of a text event's text (a `\n` in a trace_printk or marker string): the
    // report prints it as it is, at column 0.
    if pendingTextContinues, pendingTextSkipped { return }
    if pendingTextContinues, !pendingInfoIsEmpty, stackState == .none, var event = window.popLast() {
      let more = EscapedText.string(buffer[range])
      event.info = (event.info ?? "") + "\n" + more
      if let index = event.fields.firstIndex(where: { $0.name == "buf" }), case .string(let text) = event.fields[index].value {
        event.fields[index].value = .string(text + "\n" + more)
      }
      window.append(event)
      return
    }
    // A wrapped continuation of an event that printed nothing after its name.
    if pendingInfoIsEmpty, stackState == .none, var event = window.popLast() {
      let text = EscapedText.string(buffer[i..<end]).trimmed(of: " \t")
      event.info = text
      if fields.wants(system: event.system, name: event.name) {
        event.fields = Self.fieldsOf(name: event.name, info: text[...])
      }
      window.append(event)
      pendingInfoIsEmpty = false
      return
    }
    try skipped.skipOrThrow(
      TraceParseError(
        reason: .malformedLine(
          expected: "an ftrace event line (comm-pid [cpu] seconds.fraction: event: fields)",
          found: reader.text(range)),
        location: reader.location),
      lenient: options.lenient)
  }

  /// `N is empty` to the end of the line after `CPU ` (trace-cmd 2.x report headers).
  static func isEmptyCPULine(_ b: [UInt8], _ start: Int, _ end: Int) -> Bool {
    var i = start
    guard parseDecimal(b, &i, end) != nil else { return false }
    var e = end
    while e > i, b[e - 1] == Byte.space || b[e - 1] == UInt8(ascii: "\r") { e -= 1 }
    return e - i == Byte.isEmpty.count && hasPrefix(b, i, e, Byte.isEmpty)
  }

  /// End of a `name: ` prefix at `start`: a run without spaces ending in `: ` followed by a space
  /// or `CPU:`; nil if the line does not start that way.
  static func bufferPrefixEnd(_ b: [UInt8], _ start: Int, _ end: Int) -> Int? {
    var i = start
    while i + 1 < end {
      let c = b[i]
      if c == Byte.space { return nil }
      if c == Byte.colon, b[i + 1] == Byte.space {
        guard i > start, i + 2 < end else { return nil }
        if b[i + 2] == Byte.space || hasPrefix(b, i + 2, end, Byte.cpuColon) { return i }
        return nil
      }
      i += 1
    }
    return nil
  }

  static func hasPrefix(_ b: [UInt8], _ start: Int, _ end: Int, _ prefix: [UInt8]) -> Bool {
    guard end - start >= prefix.count else { return false }
    for k in 0..<prefix.count where b[start + k] != prefix[k] { return false }
    return true
  }

  /// `N [LOST M EVENTS]`, `N [LOST EVENTS]` (-1) or `N [M EVENTS DROPPED]` after `CPU:`.
  static func parseLostLine(_ b: [UInt8], _ start: Int, _ end: Int) -> (cpu: Int, lost: Int)? {
    var i = start
    guard let cpu = parseDecimal(b, &i, end) else { return nil }
    while i < end, b[i] == Byte.space { i += 1 }
    guard i < end, b[i] == Byte.openBracket else { return nil }
    i += 1
    // trace-cmd's `CPU:N [EVENTS DROPPED]`: events lost, number unknown.
    if hasPrefix(b, i, end, Byte.eventsDroppedUnknown) { return (Int(clamping: cpu), -1) }
    if hasPrefix(b, i, end, Byte.lost) {
      i += Byte.lost.count
      if hasPrefix(b, i, end, Byte.eventsClose) { return (Int(clamping: cpu), -1) }
      guard let count = parseDecimal(b, &i, end) else { return nil }
      return (Int(clamping: cpu), Int(clamping: count))
    }
    guard let count = parseDecimal(b, &i, end), hasPrefix(b, i, end, Byte.eventsDropped) else { return nil }
    return (Int(clamping: cpu), Int(clamping: count))
  }

  /// The decimal number at `i` (advancing past its digits); nil when there is none. A number
  /// past `UInt64` (a damaged column) saturates at `UInt64.max`: callers convert with
  /// `Int(clamping:)`, so a damaged CPU column reads as the unknown CPU (``CPUNumber``), never a
  /// trap and never a wrapped, plausible-looking value.
  static func parseDecimal(_ b: [UInt8], _ i: inout Int, _ end: Int) -> UInt64? {
    let begin = i
    var value: UInt64 = 0
    while i < end, b[i] >= Byte.zero, b[i] <= Byte.nine {
      let (times10, o1) = value.multipliedReportingOverflow(by: 10)
      let (sum, o2) = times10.addingReportingOverflow(UInt64(b[i] &- Byte.zero))
      value = o1 || o2 ? .max : sum
      i += 1
    }
    return i > begin ? value : nil
  }

  // MARK: - Stack frames

  private mutating func handleFrame(_ b: [UInt8], from start: Int, to end: Int) throws(TraceParseError) {
    switch stackState {
    case .user:
      return
    case .none:
      try skipped.skipOrThrow(
        TraceParseError(
          reason: .malformedLine(
            expected: "a stack frame only after a <stack trace> or kernel_stack line",
            found: reader.text(start - 2..<end)),
          location: reader.location),
        lenient: options.lenient)
      return
    case .kernel:
      guard let target = stackTarget else { return }
      window[target].stack!.frames.append(Self.parseFrame(b, start, end))
    }
  }

  /// `func (ffffffff81440ae0)`, `func+0x1/0x20`, `func`, `<ffffffff81440ae0>` or `0xffff...`.
  static func parseFrame(_ b: [UInt8], _ start: Int, _ end: Int) -> KernelStack.Frame {
    var i = start
    while i < end, b[i] == Byte.space { i += 1 }
    if i < end, b[i] == Byte.less {
      var j = i + 1
      let address = parseHex(b, &j, end) ?? 0
      return KernelStack.Frame(address: address, symbol: nil)
    }
    if hasPrefix(b, i, end, Byte.hexPrefix) {
      var j = i + 2
      return KernelStack.Frame(address: parseHex(b, &j, end) ?? 0, symbol: nil)
    }
    var j = i
    while j < end, b[j] != Byte.space, b[j] != Byte.plus { j += 1 }
    let symbol = EscapedText.string(b[i..<j])
    var offset: UInt64 = 0
    var address: UInt64 = 0
    if j < end, b[j] == Byte.plus {
      var k = j + 1
      if hasPrefix(b, k, end, Byte.hexPrefix) { k += 2 }
      offset = parseHex(b, &k, end) ?? 0
      j = k
      while j < end, b[j] != Byte.space { j += 1 }
    }
    while j < end, b[j] == Byte.space { j += 1 }
    if j < end, b[j] == Byte.openParen {
      var k = j + 1
      address = parseHex(b, &k, end) ?? 0
    }
    return KernelStack.Frame(address: address, symbol: symbol, offset: offset)
  }

  static func parseHex(_ b: [UInt8], _ i: inout Int, _ end: Int) -> UInt64? {
    let begin = i
    var value: UInt64 = 0
    while i < end {
      let c = b[i]
      let digit: UInt8
      if c >= Byte.zero, c <= Byte.nine {
        digit = c - Byte.zero
      } else if c >= 0x61, c <= 0x66 {
        digit = c - 0x61 + 10
      } else if c >= 0x41, c <= 0x46 {
        digit = c - 0x41 + 10
      } else {
        break
      }
      value = value &<< 4 | UInt64(digit)
      i += 1
    }
    return i > begin ? value : nil
  }

  // MARK: - Event lines

  /// Parses `comm-pid [(tgid)] [cpu] [flags] timestamp: [(+diff)] name: info` (and the latency
  /// layouts); returns false when the line is not an event line.
  private mutating func parseEvent(_ b: [UInt8], _ start: Int, _ end: Int, bufferName: String) throws(
    TraceParseError
  ) -> Bool {
    // Find the timestamp token: digits.digits: or digits us[marker]: (latency-format).
    var tsStart = -1
    var afterTimestamp = -1
    var timestamp: UInt64 = 0
    var i = start
    // The first token is (part of) the task; the timestamp comes later.
    while i < end, b[i] != Byte.space { i += 1 }
    while i < end {
      while i < end, b[i] == Byte.space { i += 1 }
      let tokenStart = i
      while i < end, b[i] != Byte.space { i += 1 }
      if let (ns, consumed) = Self.parseTimestampToken(b, tokenStart, i, end) {
        tsStart = tokenStart
        afterTimestamp = consumed
        timestamp = ns
        break
      }
    }
    guard tsStart >= 0 else { return false }
    // Walk the prefix from the right: [flags] [cpu] [(tgid)] comm-pid.
    var p = tsStart
    while p > start, b[p - 1] == Byte.space { p -= 1 }
    var cpu = -1
    if p > start, b[p - 1] == Byte.closeBracket {
      guard let open = Self.lastIndex(of: Byte.openBracket, in: b, start, p) else { return false }
      var k = open + 1
      guard let value = Self.parseDecimal(b, &k, p - 1) else { return false }
      cpu = Int(clamping: value)
      p = open
    } else {
      // A flags token: `d..2.` after `[cpu]`, or `0d..2.` (cpu digits first) in latency layouts.
      var tokenStart = p
      while tokenStart > start, b[tokenStart - 1] != Byte.space { tokenStart -= 1 }
      var q = tokenStart
      while q > start, b[q - 1] == Byte.space { q -= 1 }
      if q > start, b[q - 1] == Byte.closeBracket {
        guard let open = Self.lastIndex(of: Byte.openBracket, in: b, start, q) else { return false }
        var k = open + 1
        guard let value = Self.parseDecimal(b, &k, q - 1) else { return false }
        cpu = Int(clamping: value)
        p = open
      } else {
        var k = tokenStart
        guard let value = Self.parseDecimal(b, &k, p), k < p else { return false }
        cpu = Int(clamping: value)
        p = tokenStart
      }
    }
    while p > start, b[p - 1] == Byte.space { p -= 1 }
    if p > start, b[p - 1] == Byte.closeParen {
      guard let open = Self.lastIndex(of: Byte.openParen, in: b, start, p) else { return false }
      p = open
      while p > start, b[p - 1] == Byte.space { p -= 1 }
    }
    // comm-pid: the pid is after the last '-'.
    guard let dash = Self.lastIndex(of: Byte.minus, in: b, start, p) else { return false }
    var k = dash + 1
    guard let pid = Self.parseDecimal(b, &k, p), k == p else { return false }
    let commEnd = dash

    // After the timestamp: optional `(+diff)`, then `name:` and the info.
    i = afterTimestamp
    while i < end, b[i] == Byte.space { i += 1 }
    if i + 1 < end, b[i] == Byte.openParen, b[i + 1] == Byte.plus {
      while i < end, b[i] != Byte.closeParen { i += 1 }
      guard i < end else { return false }  // `(+diff` without its `)`
      i += 1
      while i < end, b[i] == Byte.space { i += 1 }
    }
    let nameStart = i
    while i < end, b[i] != Byte.space, b[i] != Byte.colon { i += 1 }
    var index = -1
    var infoStart: Int
    if i < end, b[i] == Byte.colon, i > nameStart {
      index = nameIndex(b, nameStart, i)
      infoStart = i + 1
      while infoStart < end, b[infoStart] == Byte.space { infoStart += 1 }
    } else if nameStart < end, b[nameStart] == Byte.less {
      // tracefs `<stack trace>` / `<user stack trace>` lines.
      stackState = Self.hasPrefix(b, nameStart, end, Byte.userStack) ? .user : .kernel
      attachStackStart(cpu: cpu, buffer: bufferName)
      return true
    } else {
      // Function tracer: `func <-parent` with no event name.
      index = functionNameIndex()
      infoStart = nameStart
    }
    finishEvent(
      b, start: start, commEnd: commEnd, pid: pid, cpu: cpu, timestamp: timestamp, nameStart: nameStart,
      index: index, infoStart: infoStart, end: end, bufferName: bufferName)
    return true
  }

  /// Makes (or leaves out) the event of a parsed line prefix: comm `b[start..<commEnd]`, the
  /// name at `index` in ``names`` starting at `nameStart`, and its info from `infoStart`.
  private mutating func finishEvent(
    _ b: [UInt8], start: Int, commEnd: Int, pid: UInt64, cpu: Int, timestamp: UInt64, nameStart: Int, index: Int,
    infoStart infoAfterName: Int, end: Int, bufferName: String
  ) {
    var infoStart = infoAfterName
    let kind = names[index].kind
    switch kind {
    case .functionGraph:
      guard let bar = Self.firstIndex(of: Byte.bar, in: b, infoStart, end) else { break }
      // trace-cmd report's function_graph layout: `funcgraph_entry: [marker] [N.NNN us] |  body`;
      // a leaf `func();` gives an entry and an exit (see ``graphBody``).
      stackState = .none
      var durationNs: UInt64?
      let columns = EscapedText.string(b[infoStart..<bar]).split(separator: " ")
      if let us = columns.firstIndex(of: "us"), us > 0 { durationNs = Self.microsecondsToNanoseconds(columns[us - 1]) }
      let events = graphBody(
        b, from: bar + 1, to: end, timestamp: timestamp, cpu: cpu, pid: Int32(truncatingIfNeeded: pid),
        comm: interner.string(b, start, commEnd), bufferName: bufferName, durationNs: durationNs)
      for event in events { emit(event) }
      return
    case .kernelStack, .userStack:
      stackState = kind == .userStack ? .user : .kernel
      attachStackStart(cpu: cpu, buffer: bufferName)
      return
    case .marker:
      // tracefs prints a marker as its print format: `tracing_mark_write: text`.
      infoStart = nameStart
    case .plain:
      break
    }
    stackState = .none
    var infoEnd = end
    while infoEnd > infoStart, b[infoEnd - 1] == Byte.space { infoEnd -= 1 }
    if names[index].isSkipped, infoStart < infoEnd {
      skipEvent(cpu: cpu, buffer: bufferName)
      // Its text may go on the next lines: read them as its continuation, and drop them.
      pendingTextContinues = Self.isTextEvent(names[index].name)
      pendingTextSkipped = pendingTextContinues
      return
    }
    let comm = interner.string(b, start, commEnd)
    let name = names[index].name
    let system = names[index].system
    let lost = lostByCPU.isEmpty ? 0 : lostByCPU.removeValue(forKey: cpu) ?? 0
    var event = TraceEvent(
      timestamp: Timestamp(nanoseconds: timestamp), cpu: cpu, pid: Int32(truncatingIfNeeded: pid), comm: comm,
      system: system, name: name, buffer: bufferName, lostBefore: lost)
    let wantsFields = names[index].wantsFields
    if wantsFields || system.isEmpty {
      let info = EscapedText.string(b[infoStart..<infoEnd])
      if system.isEmpty {
        event.system = EventSystems.system(of: name, info: info[...])
      }
      if wantsFields || fields.wants(system: event.system, name: name) {
        event.info = info
        event.fields = Self.fieldsOf(name: name, info: info[...])
      }
    }
    emit(event, infoIsEmpty: infoStart == infoEnd)
  }

  /// Starts a stack block for the latest event of `cpu` in `buffer` (an instance's stack never
  /// belongs to another buffer's event on the same CPU).
  private mutating func attachStackStart(cpu: Int, buffer: String) {
    pendingInfoIsEmpty = false
    pendingTextContinues = false
    // The stack is an event of its own (see ``skippedEvents``).
    skippedEvents += 1
    stackTarget = nil
    guard stackState == .kernel else { return }
    if cpu >= 0, cpu < skippedLatest.count, skippedLatest[cpu] & bufferBit(buffer) != 0 { return }
    guard let index = window.lastIndex(where: { $0.cpu == cpu && $0.buffer == buffer }) else { return }
    stackTarget = index
    window[index].stack = KernelStack(frames: [])
  }

  /// The typed fields of an event's text, with the special shapes of markers and functions.
  static func fieldsOf(name: String, info: Substring) -> [EventField] {
    switch name {
    case "print":
      var text = info
      if let colon = text.range(of: ": ") { text = text[colon.upperBound...] }
      return [EventField(name: "buf", value: .string(String(text)))]
    case "function":
      let parts = info.split(separator: " ", omittingEmptySubsequences: true)
      var fields = [EventField(name: "ip", value: .string(String(parts.first ?? "")))]
      if let arrow = parts.firstIndex(where: { $0.hasPrefix("<-") }) {
        var parent = parts[arrow].drop { $0 == "<" || $0 == "-" }
        if parent.isEmpty, arrow + 1 < parts.count { parent = parts[arrow + 1] }
        fields.append(EventField(name: "parent_ip", value: .string(String(parent))))
      }
      return fields
    default:
      return EventInfoFields.parse(info)
    }
  }

  static func lastIndex(of byte: UInt8, in b: [UInt8], _ start: Int, _ end: Int) -> Int? {
    var i = end - 1
    while i >= start {
      if b[i] == byte { return i }
      i -= 1
    }
    return nil
  }

  /// A timestamp token `433.286406:` (s and fraction: ns), or `26362us!:` / `26475us` + ` :`
  /// (latency-format, µs); returns nanoseconds and the index after the token's colon.
  static func parseTimestampToken(_ b: [UInt8], _ start: Int, _ tokenEnd: Int, _ end: Int) -> (UInt64, Int)? {
    var i = start
    guard let whole = parseDecimal(b, &i, tokenEnd), i < tokenEnd else { return nil }
    if b[i] == Byte.dot {
      i += 1
      let fractionStart = i
      guard let fraction = parseDecimal(b, &i, tokenEnd), i == tokenEnd - 1, b[i] == Byte.colon else { return nil }
      let ns = Timestamp(seconds: whole, fractionDigits: fraction, digitCount: i - fractionStart).nanoseconds
      return (ns, tokenEnd)
    }
    guard i + 1 < tokenEnd, b[i] == Byte.u, b[i + 1] == Byte.s else { return nil }
    i += 2
    let ns = whole &* 1_000
    // `us:` `us!:` or `us` followed by ` :` (a space is the "no delay" marker).
    if i < tokenEnd, b[i] != Byte.colon { i += 1 }
    if i == tokenEnd - 1, b[i] == Byte.colon { return (ns, tokenEnd) }
    if i == tokenEnd, tokenEnd + 1 < end, b[tokenEnd] == Byte.space, b[tokenEnd + 1] == Byte.colon {
      return (ns, tokenEnd + 2)
    }
    return nil
  }

  // MARK: - function_graph

  /// Parses `[abstime |] cpu) [proc] [marker duration us] | body`; nil if not that layout.
  private mutating func parseFunctionGraph(_ b: [UInt8], _ start: Int, _ end: Int, bufferName: String)
    -> [TraceEvent]?
  {
    var i = start
    var timestamp: UInt64 = 0
    var k = i
    guard let firstNumber = Self.parseDecimal(b, &k, end) else { return nil }
    if k < end, b[k] == Byte.dot {
      // abstime: `4.571823 |`
      var m = k + 1
      let fractionStart = m
      guard let fraction = Self.parseDecimal(b, &m, end) else { return nil }
      var n = m
      while n < end, b[n] == Byte.space { n += 1 }
      guard n < end, b[n] == Byte.bar else { return nil }
      timestamp = Timestamp(seconds: firstNumber, fractionDigits: fraction, digitCount: m - fractionStart).nanoseconds
      i = n + 1
      while i < end, b[i] == Byte.space { i += 1 }
      k = i
      guard Self.parseDecimal(b, &k, end) != nil else { return nil }
    }
    guard k < end, b[k] == Byte.closeParen else { return nil }
    var c = i
    let cpu = Int(clamping: Self.parseDecimal(b, &c, end) ?? 0)
    // Columns up to the body's '|'.
    guard let bar = Self.firstIndex(of: Byte.bar, in: b, k + 1, end) else { return nil }
    let columns = EscapedText.string(b[(k + 1)..<bar])
    var durationNs: UInt64?
    var comm = ""
    var pid: Int32 = -1
    let tokens = columns.split(separator: " ")
    for (index, token) in tokens.enumerated() {
      if token == "us", index > 0 {
        durationNs = Self.microsecondsToNanoseconds(tokens[index - 1])
      } else if let dash = token.lastIndex(of: "-"), let p = Int32(token[token.index(after: dash)...]),
        index + 1 < tokens.count, tokens[index + 1] != "us"
      {
        comm = String(token[..<dash])
        pid = p
      }
    }
    return graphBody(
      b, from: bar + 1, to: end, timestamp: timestamp, cpu: cpu, pid: pid, comm: comm, bufferName: bufferName,
      durationNs: durationNs)
  }

  /// The events of a function_graph body after its `|` column (`  func() {`, `    leaf();`, `  }`,
  /// `  /* text */`), at `timestamp` (0 when the layout has none).
  private mutating func graphBody(
    _ b: [UInt8], from bodyColumn: Int, to end: Int, timestamp: UInt64, cpu: Int, pid: Int32, comm: String,
    bufferName: String, durationNs: UInt64?
  ) -> [TraceEvent] {
    // Body: depth from the indentation (2 spaces per level after the first).
    var bodyStart = bodyColumn
    var spaces = 0
    while bodyStart < end, b[bodyStart] == Byte.space {
      spaces += 1
      bodyStart += 1
    }
    var bodyEnd = end
    while bodyEnd > bodyStart, b[bodyEnd - 1] == Byte.space { bodyEnd -= 1 }
    let body = EscapedText.string(b[bodyStart..<bodyEnd])
    let depth = max(0, (spaces - 2) / 2)
    let time = Timestamp(nanoseconds: timestamp)
    let lost = lostByCPU.isEmpty ? 0 : lostByCPU.removeValue(forKey: cpu) ?? 0
    func event(_ name: String, _ fields: [EventField], at stamp: Timestamp, info: String) -> TraceEvent {
      TraceEvent(
        timestamp: stamp, cpu: cpu, pid: pid, comm: comm, system: "ftrace", name: name,
        fields: self.fields.wants(system: "ftrace", name: name) ? fields : [], buffer: bufferName,
        lostBefore: lost, info: info)
    }
    if body.hasPrefix("/*") {
      let text = body.dropFirst(2).dropLast(body.hasSuffix("*/") ? 2 : 0).trimmed(of: " ")
      return [event("print", [EventField(name: "buf", value: .string(text))], at: time, info: body)]
    }
    if body.hasPrefix("}") {
      var function = ""
      if let open = body.range(of: "/* "), let close = body.range(of: " */") {
        function = String(body[open.upperBound..<close.lowerBound])
      }
      if var stack = openFunctions[cpu], !stack.isEmpty {
        let top = stack.removeLast()
        openFunctions[cpu] = stack
        if function.isEmpty { function = top }
      }
      var fields = [
        EventField(name: "func", value: .string(function)),
        EventField(name: "depth", value: .unsigned(UInt64(depth))),
      ]
      if let durationNs { fields.append(EventField(name: "duration_ns", value: .unsigned(durationNs))) }
      return [event("funcgraph_exit", fields, at: time, info: body)]
    }
    if body.hasSuffix("() {") || body.hasSuffix("();") {
      let function = String(body.prefix { $0 != "(" })
      let entry = event(
        "funcgraph_entry",
        [
          EventField(name: "func", value: .string(function)),
          EventField(name: "depth", value: .unsigned(UInt64(depth))),
        ], at: time, info: body)
      if body.hasSuffix("{") {
        openFunctions[cpu, default: []].append(function)
        return [entry]
      }
      var exitFields = [
        EventField(name: "func", value: .string(function)),
        EventField(name: "depth", value: .unsigned(UInt64(depth))),
      ]
      if let durationNs { exitFields.append(EventField(name: "duration_ns", value: .unsigned(durationNs))) }
      var exit = event(
        "funcgraph_exit", exitFields,
        at: timestamp == 0 ? time : Timestamp(nanoseconds: timestamp &+ (durationNs ?? 0)), info: body)
      exit.lostBefore = 0
      return [entry, exit]
    }
    // `==========>` / `<==========` interrupt markers and other annotations carry no event.
    return []
  }

  static func firstIndex(of byte: UInt8, in b: [UInt8], _ start: Int, _ end: Int) -> Int? {
    var i = start
    while i < end {
      if b[i] == byte { return i }
      i += 1
    }
    return nil
  }

  /// `266.335` µs as nanoseconds (266335).
  static func microsecondsToNanoseconds(_ text: Substring) -> UInt64? {
    let parts = text.split(separator: ".", maxSplits: 1)
    // A damaged duration can be empty or past UInt64 nanoseconds: not a duration.
    guard let first = parts.first, let whole = UInt64(first) else { return nil }
    let (product, overflow) = whole.multipliedReportingOverflow(by: 1_000)
    guard !overflow else { return nil }
    var ns = product
    if parts.count == 2 {
      var fraction = String(parts[1].prefix(3))
      while fraction.count < 3 { fraction += "0" }
      guard let f = UInt64(fraction), ns <= UInt64.max - f else { return nil }
      ns += f
    }
    return ns
  }
}

/// ASCII bytes used by the text parsers.
enum Byte {
  static let space = UInt8(ascii: " ")
  static let tab = UInt8(ascii: "\t")
  static let hash = UInt8(ascii: "#")
  static let equals = UInt8(ascii: "=")
  static let greater = UInt8(ascii: ">")
  static let less = UInt8(ascii: "<")
  static let colon = UInt8(ascii: ":")
  static let dot = UInt8(ascii: ".")
  static let plus = UInt8(ascii: "+")
  static let minus = UInt8(ascii: "-")
  static let bar = UInt8(ascii: "|")
  static let zero = UInt8(ascii: "0")
  static let nine = UInt8(ascii: "9")
  static let u = UInt8(ascii: "u")
  static let s = UInt8(ascii: "s")
  static let openBracket = UInt8(ascii: "[")
  static let closeBracket = UInt8(ascii: "]")
  static let openParen = UInt8(ascii: "(")
  static let closeParen = UInt8(ascii: ")")
  static let cpuColon = Array("CPU:".utf8)
  static let cpuSpace = Array("CPU ".utf8)
  static let isEmpty = Array(" is empty".utf8)
  static let cpusEquals = Array("cpus=".utf8)
  static let versionEquals = Array("version =".utf8)
  static let lost = Array("LOST ".utf8)
  static let eventsClose = Array("EVENTS]".utf8)
  static let eventsDropped = Array(" EVENTS DROPPED]".utf8)
  static let eventsDroppedUnknown = Array("EVENTS DROPPED]".utf8)
  static let userStack = Array("<user".utf8)
  static let hexPrefix = Array("0x".utf8)
  static let functionName = Array("function".utf8)
}

extension String {
  /// The string without leading and trailing characters from `set`.
  func trimmed(of set: String) -> String {
    let chars = Set(set)
    var s = self[...]
    while let f = s.first, chars.contains(f) { s = s.dropFirst() }
    while let l = s.last, chars.contains(l) { s = s.dropLast() }
    return String(s)
  }
}

extension Substring {
  func trimmed(of set: String) -> String { String(self).trimmed(of: set) }
}
