import TraceModel

/// A `perf script` text file read as one stream of samples in file order (perf sorts them by
/// time), line by line over UTF-8 bytes.
///
/// A sample is a header line, `comm pid[/tid] [cpu] seconds.fraction: [period] event: rest`,
/// followed by its callchain, one tab-indented `address symbol[+0xoff] [(dso)]` line per frame,
/// innermost first, and a blank line. `perf script -F` variants drop or add columns: the header
/// needs only `time` and `event`; a missing `[cpu]` gives cpu -1, a missing pid gives -1, and
/// `pid/tid` gives the tid (the task, as ftrace's `common_pid`).
///
/// How samples map onto ``TraceEvent`` (the analyses rely on it):
/// - a tracepoint sample (`ipi:ipi_send_cpu:`) has the tracepoint's `system` and `name` and its
///   printed fields typed as the ftrace reader types them (`cpu=1` is `.unsigned(1)`);
/// - a software or hardware sampling event (`cpu-clock:`, `cycles:u:`, `cpu/event=0x3c/:`) has
///   `system` `perf`, `name` the event as printed without its `:modifiers`, and a `period`
///   field when the period column is printed;
/// - the callchain is ``TraceEvent/stack``: every frame, kernel then user as perf prints them,
///   with the symbol without its `+0x…` offset (kept in ``KernelStack/Frame/offset``), the
///   address parsed, and `[unknown]` as a nil symbol. With `-G` (or without callchains) an
///   inline `ip sym` after the fields becomes a one-frame stack.
///
/// - Complexity: memory is one 1 MiB block plus one sample, whatever the file size.
public struct PerfScriptSource: EventSource {
  public var metadata: TraceMetadata
  public let path: String
  public let options: TextReaderOptions
  private let handoff: ReaderHandoff

  /// Opens `path` (`-` is standard input; gzip and zstd files are decompressed).
  ///
  /// - Throws: ``TraceParseError`` when the file cannot be opened or read.
  public init(path: String, options: TextReaderOptions = TextReaderOptions()) throws(TraceParseError) {
    var reader = try LineReader(path: path)
    let head = try reader.peek()
    self.path = path
    self.options = options
    var metadata = TraceMetadata(file: path, formatDescription: "perf script")
    // `perf script --header` prints `# nrcpus online : 2`.
    for line in String(decoding: head.prefix(16 << 10), as: UTF8.self).split(separator: "\n").prefix(200)
    where line.hasPrefix("# nrcpus online") {
      metadata.cpuCount = Int(line.split(separator: ":").last?.trimmed(of: " \r") ?? "")
    }
    self.metadata = metadata
    self.handoff = ReaderHandoff(reader: reader)
  }

  public var streamCount: Int { 1 }

  /// The one stream of the file; the first call uses the already-open input, later calls
  /// reopen the file (not possible for standard input).
  public func stream(_ index: Int, fields: FieldSelection) throws(TraceParseError) -> PerfScriptStream {
    precondition(index == 0, "a text trace has one stream")
    return PerfScriptStream(reader: try handoff.reader(reopening: path), fields: fields, options: options)
  }

  /// Reads every sample into memory, with the lines skipped in lenient mode.
  ///
  /// For tests and small files; large files should use ``stream(_:fields:)``.
  public func readAll(fields: FieldSelection = .all) throws(TraceParseError) -> (
    events: [TraceEvent], skipped: SkippedLines
  ) {
    var stream = try stream(0, fields: fields)
    var events: [TraceEvent] = []
    while let event = try stream.next() { events.append(event) }
    return (events, stream.skipped)
  }
}

/// The samples of one `perf script` file, in file order.
public struct PerfScriptStream: EventStream {
  private var reader: LineReader
  private let fields: FieldSelection
  private let options: TextReaderOptions
  /// Lines skipped in lenient mode so far.
  public private(set) var skipped = SkippedLines()
  /// The highest CPU number of the samples read so far (-1: none names its CPU).
  public private(set) var highestCPU = -1
  /// The sample whose callchain is being read.
  private var pending: TraceEvent?
  /// Where the tab-indented frame lines go: the pending sample, nowhere (a lenient reader
  /// skipped their sample), or no sample at all (an error).
  private var frameTarget = FrameTarget.none

  private enum FrameTarget { case none, pending, skippedSample }

  init(reader: LineReader, fields: FieldSelection, options: TextReaderOptions) {
    self.reader = reader
    self.fields = fields
    self.options = options
  }

  /// The next sample, or nil at the end of the file.
  ///
  /// - Throws: ``TraceParseError`` with the file and 1-based line of a malformed line (unless
  ///   lenient), of binary data, or of a read failure.
  public mutating func next() throws(TraceParseError) -> TraceEvent? {
    while true {
      let range: Range<Int>
      do {
        guard let next = try reader.nextLine() else { return takePending() }
        range = next
      } catch {
        guard case .malformedLine = error.reason else { throw error }
        try skipped.skipOrThrow(error, lenient: options.lenient)
        continue
      }
      let b = reader.buffer
      let start = range.lowerBound
      let end = range.upperBound
      if Self.isBlank(b, start, end) {
        frameTarget = .none
        if let event = takePending() { return event }
        continue
      }
      if b[start] == Byte.tab {
        switch frameTarget {
        case .skippedSample:
          continue
        case .none:
          try skip(range, expected: "a callchain frame only after a sample line")
        case .pending:
          if let frame = Self.parseFrame(b, start + 1, end) {
            pending!.stack!.frames.append(frame)
          } else {
            try skip(range, expected: "a callchain frame (address symbol[+0xoff] [(dso)])")
          }
        }
        continue
      }
      if b[start] == Byte.hash { continue }
      // Frames indented with spaces (perf builds that pad the callchain instead of a tab): a
      // frame when the line is no timestamped sample line and parses as a frame.
      // (The line is parsed as a timestamped sample once, whichever it turns out to be.)
      let timed = parseSample(b, start, end, untimed: false)
      if timed == nil, b[start] == Byte.space, frameTarget != .none, let frame = Self.parseFrame(b, start, end) {
        if frameTarget == .pending { pending!.stack!.frames.append(frame) }
        continue
      }
      let previous = takePending()
      if let event = timed ?? parseSample(b, start, end, untimed: true) {
        pending = event
        frameTarget = .pending
      } else {
        frameTarget = .skippedSample
        try skip(range, expected: "a perf script sample (comm pid [cpu] seconds.fraction: event: fields)")
      }
      if let previous { return previous }
    }
  }

  /// The pending sample, finished (an empty callchain is no stack), and clears it.
  private mutating func takePending() -> TraceEvent? {
    guard var event = pending else { return nil }
    pending = nil
    if event.cpu > highestCPU { highestCPU = event.cpu }
    if event.stack?.frames.isEmpty == true { event.stack = nil }
    return event
  }

  private mutating func skip(_ range: Range<Int>, expected: String) throws(TraceParseError) {
    try skipped.skipOrThrow(
      TraceParseError(
        reason: .malformedLine(expected: expected, found: reader.text(range)), location: reader.location),
      lenient: options.lenient)
  }

  static func isBlank(_ b: [UInt8], _ start: Int, _ end: Int) -> Bool {
    var i = start
    while i < end, b[i] == Byte.space || b[i] == Byte.tab { i += 1 }
    return i == end
  }

  // MARK: - Sample lines

  /// Parses a sample header; nil when the line has no `seconds.fraction:` token (or, with
  /// `untimed`, no `event:` token after the task) or no event.
  ///
  /// `untimed`: the layout of `perf script -F` without `time` (`comm pid event: …`,
  /// `event: …`): the event is the first token ending in `:` that opens the line or follows a
  /// pid, `pid/tid` or `[cpu]` token; the sample's timestamp is 0 (file order is perf's order).
  private func parseSample(_ b: [UInt8], _ start: Int, _ end: Int, untimed: Bool) -> TraceEvent? {
    var i = start
    var tsStart = -1
    var timestamp: UInt64 = 0
    var untimedEvent: Range<Int>?
    if untimed {
      guard let token = Self.untimedEventToken(b, start, end) else { return nil }
      tsStart = token.lowerBound
      untimedEvent = token
      i = token.upperBound
    } else {
      // The timestamp: the first token after the first that is `digits.digits:` (the first is
      // the comm), else the first token itself (`-F time,event,...`: no comm, no pid).
      while i < end, b[i] == Byte.space { i += 1 }
      let firstStart = i
      while i < end, b[i] != Byte.space { i += 1 }
      let firstEnd = i
      while i < end {
        while i < end, b[i] == Byte.space { i += 1 }
        let tokenStart = i
        while i < end, b[i] != Byte.space { i += 1 }
        if let ns = Self.parseSeconds(b, tokenStart, i) {
          tsStart = tokenStart
          timestamp = ns
          break
        }
      }
      if tsStart < 0, let ns = Self.parseSeconds(b, firstStart, firstEnd) {
        tsStart = firstStart
        timestamp = ns
        i = firstEnd
      }
      guard tsStart >= 0 else { return nil }
    }
    let afterTimestamp = i

    // Left of the timestamp, from the right: [cpu], pid[/tid], comm.
    var p = tsStart
    while p > start, b[p - 1] == Byte.space { p -= 1 }
    var cpu = -1
    if p > start, b[p - 1] == Byte.closeBracket {
      guard let open = FtraceTextStream.lastIndex(of: Byte.openBracket, in: b, start, p) else { return nil }
      var k = open + 1
      guard let value = FtraceTextStream.parseDecimal(b, &k, p - 1), k == p - 1 else { return nil }
      cpu = Int(clamping: value)
      p = open
      while p > start, b[p - 1] == Byte.space { p -= 1 }
    }
    var pid: Int32 = -1
    var tokenStart = p
    while tokenStart > start, b[tokenStart - 1] != Byte.space { tokenStart -= 1 }
    if tokenStart < p, let value = Self.parsePidTid(b, tokenStart, p) {
      pid = value
      p = tokenStart
    }
    var commStart = start
    while commStart < p, b[commStart] == Byte.space { commStart += 1 }
    var commEnd = p
    while commEnd > commStart, b[commEnd - 1] == Byte.space { commEnd -= 1 }
    let comm = EscapedText.string(b[commStart..<commEnd])

    // Right of the timestamp: [period] event: rest.
    i = afterTimestamp
    while i < end, b[i] == Byte.space { i += 1 }
    var period: UInt64?
    var k = i
    if untimedEvent == nil, let value = FtraceTextStream.parseDecimal(b, &k, end), k < end, b[k] == Byte.space {
      period = value
      i = k
      while i < end, b[i] == Byte.space { i += 1 }
    }
    var eventStart = i
    // The event ends at the first `: ` or at a colon ending the line.
    var eventEnd = -1
    if let token = untimedEvent {
      eventStart = token.lowerBound
      eventEnd = token.upperBound - 1
    }
    while eventEnd < 0, i < end {
      if b[i] == Byte.colon, i + 1 == end || b[i + 1] == Byte.space {
        eventEnd = i
        break
      }
      i += 1
    }
    guard eventEnd > eventStart else { return nil }
    let eventText = EscapedText.string(b[eventStart..<eventEnd])
    let (system, name) = Self.classify(eventText)
    var restStart = eventEnd + 1
    while restStart < end, b[restStart] == Byte.space { restStart += 1 }
    var restEnd = end
    while restEnd > restStart, b[restEnd - 1] == Byte.space { restEnd -= 1 }

    var event = TraceEvent(
      timestamp: Timestamp(nanoseconds: timestamp), cpu: cpu, pid: pid, comm: comm, system: system, name: name,
      stack: KernelStack(frames: []))
    var rest = restStart..<restEnd
    // An inline `ip sym [(dso)]` (no callchain, or -G) at the end of the line.
    if let (frame, frameStart) = Self.inlineFrame(b, rest, isTracepoint: system != "perf") {
      event.stack!.frames.append(frame)
      var cut = frameStart
      while cut > rest.lowerBound, b[cut - 1] == Byte.space { cut -= 1 }
      rest = rest.lowerBound..<cut
    }
    if fields.wants(system: system, name: name) {
      let info = EscapedText.string(b[rest])
      event.info = info
      if system == "perf" {
        if let period { event.fields = [EventField(name: "period", value: .unsigned(period))] }
      } else {
        event.fields = EventInfoFields.parse(info[...])
      }
    }
    return event
  }

  /// The `event:` token of an untimed sample line (see ``parseSample(_:_:_:untimed:)``),
  /// colon included.
  static func untimedEventToken(_ b: [UInt8], _ start: Int, _ end: Int) -> Range<Int>? {
    var i = start
    var previous: Range<Int>?
    var index = 0
    while i < end {
      while i < end, b[i] == Byte.space { i += 1 }
      guard i < end else { return nil }
      let tokenStart = i
      while i < end, b[i] != Byte.space { i += 1 }
      let token = tokenStart..<i
      // A timestamp: the line is timed (and had no event when the timed parse failed).
      if parseSeconds(b, tokenStart, i) != nil { return nil }
      if token.count > 1, b[i - 1] == Byte.colon {
        if index == 0 { return token }
        if let previous {
          let isPid = parsePidTid(b, previous.lowerBound, previous.upperBound) != nil
          var k = previous.lowerBound + 1
          let isCPU = b[previous.lowerBound] == Byte.openBracket && b[previous.upperBound - 1] == Byte.closeBracket
            && FtraceTextStream.parseDecimal(b, &k, previous.upperBound - 1) != nil && k == previous.upperBound - 1
          if (isPid && index >= 1) || isCPU { return token }
        }
      }
      previous = token
      index += 1
      if index > 64 { return nil }
    }
    return nil
  }

  /// `704.209603:` (µs) or `1486.566128604:` (`--ns`) as nanoseconds.
  static func parseSeconds(_ b: [UInt8], _ start: Int, _ end: Int) -> UInt64? {
    var i = start
    guard let whole = FtraceTextStream.parseDecimal(b, &i, end), i < end, b[i] == Byte.dot else { return nil }
    i += 1
    let fractionStart = i
    guard let fraction = FtraceTextStream.parseDecimal(b, &i, end), i == end - 1, b[i] == Byte.colon else {
      return nil
    }
    return Timestamp(seconds: whole, fractionDigits: fraction, digitCount: i - fractionStart).nanoseconds
  }

  /// `10042` or `10042/10043` (pid/tid: the tid).
  static func parsePidTid(_ b: [UInt8], _ start: Int, _ end: Int) -> Int32? {
    var i = start
    guard let first = FtraceTextStream.parseDecimal(b, &i, end) else { return nil }
    if i == end { return Int32(truncatingIfNeeded: first) }
    guard b[i] == Byte.slash else { return nil }
    i += 1
    guard let second = FtraceTextStream.parseDecimal(b, &i, end), i == end else { return nil }
    return Int32(truncatingIfNeeded: second)
  }

  /// Software and hardware event names perf prints for sampling events (tools/perf/util/parse-events.c,
  /// `event_symbols_sw` and `event_symbols_hw`).
  static let samplingEvents: Set<String> = [
    "cpu-clock", "task-clock", "page-faults", "faults", "context-switches", "cs", "cpu-migrations",
    "migrations", "minor-faults", "major-faults", "alignment-faults", "emulation-faults", "dummy", "bpf-output",
    "cgroup-switches", "cycles", "cpu-cycles", "instructions", "cache-references", "cache-misses", "branches",
    "branch-instructions", "branch-misses", "bus-cycles", "stalled-cycles-frontend", "stalled-cycles-backend",
    "ref-cycles", "idle-cycles-frontend", "idle-cycles-backend",
  ]

  /// The event's system and name: `ipi:ipi_send_cpu` is (`ipi`, `ipi_send_cpu`); `cpu-clock`,
  /// `cycles:u`, `cpu/event=0x3c/` and cache events are (`perf`, name without `:modifiers`).
  static func classify(_ event: String) -> (system: String, name: String) {
    if event.contains("/") { return ("perf", event) }
    guard let colon = event.firstIndex(of: ":") else { return ("perf", event) }
    let head = String(event[..<colon])
    let tail = event[event.index(after: colon)...]
    let modifierLetters: Set<Character> = ["u", "k", "h", "H", "G", "I", "p", "P", "S", "D", "W", "e", "b"]
    if samplingEvents.contains(head) || head.hasPrefix("L1-") || head.hasPrefix("LLC-")
      || head.hasPrefix("dTLB-") || head.hasPrefix("iTLB-") || head.hasPrefix("branch-")
      || (!tail.isEmpty && tail.allSatisfy { modifierLetters.contains($0) })
    {
      return ("perf", head)
    }
    return (head, String(tail))
  }

  // MARK: - Frames

  /// `   ffffffff81441501 __smp_call_single_queue+0x141 ([kernel.kallsyms])`, `  0 [unknown]
  /// ([unknown])`, `f8350 __GI___libc_write+0x10 (/usr/lib/…/libc.so.6)` or `addr sym`.
  static func parseFrame(_ b: [UInt8], _ start: Int, _ end: Int) -> KernelStack.Frame? {
    var i = start
    while i < end, b[i] == Byte.space || b[i] == Byte.tab { i += 1 }
    guard let address = FtraceTextStream.parseHex(b, &i, end) else { return nil }
    guard i == end || b[i] == Byte.space else { return nil }
    while i < end, b[i] == Byte.space { i += 1 }
    return frame(address: address, b, i, dsoStart(b, i, end) ?? end)
  }

  /// Where a trailing ` (dso)` begins: the last ` (` whose inside starts with `[` or `/`
  /// (`([kernel.kallsyms])`, `(/usr/lib/libc.so.6)`), so C++ argument lists stay in the symbol.
  static func dsoStart(_ b: [UInt8], _ start: Int, _ end: Int) -> Int? {
    guard end > start, b[end - 1] == Byte.closeParen else { return nil }
    var i = end - 2
    while i > start {
      if b[i] == Byte.openParen, b[i - 1] == Byte.space, i + 1 < end,
        b[i + 1] == Byte.openBracket || b[i + 1] == Byte.slash
      {
        return i - 1
      }
      i -= 1
    }
    return nil
  }

  /// A frame from its symbol text (`sym+0x1d1`, `[unknown]`) between `start` and `end`.
  static func frame(address: UInt64, _ b: [UInt8], _ start: Int, _ end: Int) -> KernelStack.Frame {
    var symbolEnd = end
    while symbolEnd > start, b[symbolEnd - 1] == Byte.space { symbolEnd -= 1 }
    var offset: UInt64 = 0
    // A `+0x1d1` suffix: the last '+' followed by 0x and hex digits to the end.
    if let plus = FtraceTextStream.lastIndex(of: Byte.plus, in: b, start, symbolEnd),
      plus > start, FtraceTextStream.hasPrefix(b, plus + 1, symbolEnd, Byte.hexPrefix)
    {
      var k = plus + 3
      if let value = FtraceTextStream.parseHex(b, &k, symbolEnd), k == symbolEnd {
        offset = value
        symbolEnd = plus
      }
    }
    let isUnknown = FtraceTextStream.hasPrefix(b, start, symbolEnd, Byte.unknownSymbol) && symbolEnd - start == 9
    let symbol = symbolEnd == start || isUnknown ? nil : EscapedText.string(b[start..<symbolEnd])
    return KernelStack.Frame(address: address, symbol: symbol, offset: offset)
  }

  /// A trailing inline `ip sym [(dso)]` in `rest` and where it starts. For a tracepoint it must
  /// follow the last `key=value` field; a sampling event prints nothing else there.
  static func inlineFrame(_ b: [UInt8], _ rest: Range<Int>, isTracepoint: Bool) -> (KernelStack.Frame, Int)? {
    guard !rest.isEmpty else { return nil }
    let end = dsoStart(b, rest.lowerBound, rest.upperBound) ?? rest.upperBound
    // The symbol is the last token before the dso; the address the token before it.
    var symbolStart = end
    while symbolStart > rest.lowerBound, b[symbolStart - 1] != Byte.space { symbolStart -= 1 }
    var addressEnd = symbolStart
    while addressEnd > rest.lowerBound, b[addressEnd - 1] == Byte.space { addressEnd -= 1 }
    var addressStart = addressEnd
    while addressStart > rest.lowerBound, b[addressStart - 1] != Byte.space { addressStart -= 1 }
    guard addressStart < addressEnd, symbolStart < end else { return nil }
    var k = addressStart
    guard let address = FtraceTextStream.parseHex(b, &k, addressEnd), k == addressEnd else { return nil }
    if isTracepoint {
      // Only after fields: tracepoint text never ends in a bare hex word followed by a name.
      guard addressStart > rest.lowerBound, addressEnd - addressStart >= 8 else { return nil }
      if FtraceTextStream.firstIndex(of: Byte.equals, in: b, symbolStart, end) != nil { return nil }
    } else if addressStart != rest.lowerBound {
      return nil
    }
    return (frame(address: address, b, symbolStart, end), addressStart)
  }
}

extension Byte {
  static let slash = UInt8(ascii: "/")
  static let unknownSymbol = Array("[unknown]".utf8)
}
