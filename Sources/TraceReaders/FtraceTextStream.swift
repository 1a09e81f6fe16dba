import Foundation
import TraceModel

/// The events of one ftrace text file, in file order.
public struct FtraceTextStream: EventStream {
  private var reader: LineReader
  let fields: FieldSelection
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
  var lostByCPU: [Int: Int] = [:]
  /// trace-cmd prints an instance's label once before a `CPU:N [... DROPPED]` notice and not
  /// again on the event line that follows it: that line belongs to this buffer.
  private var bufferOfNextUnlabelledLine: String?
  var openFunctions: [Int: [String]] = [:]
  private var pendingInfoIsEmpty = false
  private var interner = TextInterner()
  /// Every event name seen, with what was decided for it once.
  private var names: EventNameTable

  private enum StackState { case none, kernel, user }

  /// Whether lines of the common `trace-cmd report` shape go through ``FastEventLine`` (tests
  /// turn it off to compare with the bounds-checked parser).
  let usesFastPath: Bool

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

  // MARK: Range edges (``FtraceTextSource/forEachInFileOrderConcurrently(fields:workers:transform:_:)``)

  /// Byte offsets (from where the reader starts, ascending) at which the reader passes from
  /// one byte range of the file into the next; the stream notes an ``edges`` entry at each.
  var rangeEnds: [Int] = []
  /// What the stream held when it read the first line of each of ``rangeEnds``, in order.
  private(set) var edges: [TextRangeEdge] = []
  /// Events put in the window so far (they come out in this order).
  private(set) var insertedEvents = 0
  /// The line (of this reader, 1-based) at which the window first released an event that was
  /// not complete because it was full; nil while that has not happened.
  private(set) var firstOverflowLine: Int?
  /// The reader's latest line number (1-based, from where it started reading).
  var lineNumber: Int { reader.lineNumber }

  init(reader: LineReader, fields: FieldSelection, options: TextReaderOptions, usesFastPath: Bool = true) {
    self.reader = reader
    self.usesFastPath = usesFastPath
    self.fields = fields
    self.options = options
    if case .only = fields { skipsUnselected = true } else { skipsUnselected = false }
    names = EventNameTable(fields: fields, skipsUnselected: skipsUnselected)
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
        if edges.count < rangeEnds.count { noteRangeEdge() }
        try skipped.skipOrThrow(error, lenient: options.lenient)
        continue
      }
      if edges.count < rangeEnds.count { noteRangeEdge() }
      try handleLine(range)
    }
  }

  /// Notes an edge for every range end at or before the line just read.
  private mutating func noteRangeEdge() {
    while edges.count < rangeEnds.count, reader.lastLineOffset >= rangeEnds[edges.count] {
      edges.append(
        TextRangeEdge(
          line: reader.lineNumber, eventsBefore: insertedEvents, skippedEventsBefore: skippedEvents,
          skippedBefore: skipped,
          isClean: lostByCPU.isEmpty && bufferOfNextUnlabelledLine == nil && stackState == .none
            && !pendingInfoIsEmpty && openFunctions.values.allSatisfy(\.isEmpty)))
    }
  }

  private mutating func emit(_ event: consuming TraceEvent, infoIsEmpty: Bool = false) {
    insertedEvents += 1
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
    if !atEnd, !windowDone[0], firstOverflowLine == nil { firstOverflowLine = reader.lineNumber }
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
      let index =
        names.cachedIndex(key: line.nameKey, tail: line.nameTail, length: line.nameEnd - line.nameStart)
        ?? names.index(buffer, line.nameStart, line.nameEnd, key: line.nameKey)
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

  /// The number in the `[N]` that ends at `end` (`b[end - 1]` is `]`), searched back to
  /// `start`, and the index of its `[`; nil when there is no `[` or no number inside.
  static func bracketedNumber(_ b: [UInt8], _ start: Int, _ end: Int) -> (value: Int, open: Int)? {
    guard let open = lastIndex(of: Byte.openBracket, in: b, start, end) else { return nil }
    var k = open + 1
    guard let value = parseDecimal(b, &k, end - 1) else { return nil }
    return (Int(clamping: value), open)
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
      guard let (value, open) = Self.bracketedNumber(b, start, p) else { return false }
      cpu = value
      p = open
    } else {
      // A flags token: `d..2.` after `[cpu]`, or `0d..2.` (cpu digits first) in latency layouts.
      var tokenStart = p
      while tokenStart > start, b[tokenStart - 1] != Byte.space { tokenStart -= 1 }
      var q = tokenStart
      while q > start, b[q - 1] == Byte.space { q -= 1 }
      if q > start, b[q - 1] == Byte.closeBracket {
        guard let (value, open) = Self.bracketedNumber(b, start, q) else { return false }
        cpu = value
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
      index = names.index(b, nameStart, i)
      infoStart = i + 1
      while infoStart < end, b[infoStart] == Byte.space { infoStart += 1 }
    } else if nameStart < end, b[nameStart] == Byte.less {
      // tracefs `<stack trace>` / `<user stack trace>` lines.
      stackState = Self.hasPrefix(b, nameStart, end, Byte.userStack) ? .user : .kernel
      attachStackStart(cpu: cpu, buffer: bufferName)
      return true
    } else {
      // Function tracer: `func <-parent` with no event name.
      index = names.functionIndex()
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
    let kind = names.entries[index].kind
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
    if names.entries[index].isSkipped, infoStart < infoEnd {
      skipEvent(cpu: cpu, buffer: bufferName)
      // Its text may go on the next lines: read them as its continuation, and drop them.
      pendingTextContinues = Self.isTextEvent(names.entries[index].name)
      pendingTextSkipped = pendingTextContinues
      return
    }
    let comm = interner.string(b, start, commEnd)
    let name = names.entries[index].name
    let system = names.entries[index].system
    let lost = lostByCPU.isEmpty ? 0 : lostByCPU.removeValue(forKey: cpu) ?? 0
    var event = TraceEvent(
      timestamp: Timestamp(nanoseconds: timestamp), cpu: cpu, pid: Int32(truncatingIfNeeded: pid), comm: comm,
      system: system, name: name, buffer: bufferName, lostBefore: lost)
    let wantsFields = names.entries[index].wantsFields
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
}
