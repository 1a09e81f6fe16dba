import Dispatch
import Foundation
import TraceModel

/// Prints a trace.dat file's events the way `trace-cmd report` (3.1.x) does, one event a
/// line, so the two can be compared line by line.
///
/// libtraceevent prints each event's fields (with its plugins, as trace-cmd loads them);
/// pokestat formats what trace-cmd formats itself: the `comm-pid [cpu] time: name:` columns,
/// instance-name prefixes, dropped-event notices and function_graph entries and exits
/// (trace-cmd's lib/trace-cmd/trace-ftrace.c layout, re-implemented).
public enum TraceCmdReportText {
  /// Calls `body` with each output line (no trailing newline), in timestamp order across
  /// every CPU and buffer, decoded as UTF-8 (bytes that are not UTF-8 become U+FFFD: use
  /// ``forEachRawLine(of:_:)`` for trace-cmd's exact bytes).
  public static func forEachLine(of reader: TraceDatReader, _ body: (String) throws -> Void) throws {
    try forEachRawLine(of: reader) { try body(String(decoding: $0, as: UTF8.self)) }
  }

  /// Calls `body` with each output line's bytes (no trailing newline), in timestamp order
  /// across every CPU and buffer. Event text is passed on as libtraceevent printed it, so
  /// bytes that are not UTF-8 (a `comm` or string field holding any byte) come out raw,
  /// as `trace-cmd report` prints them. An event's line may hold newlines (kernel stacks).
  public static func forEachRawLine(of reader: TraceDatReader, _ body: ([UInt8]) throws -> Void) throws {
    try forEachBlock(of: reader, blockSize: 1) { block in
      try body(block.last == UInt8(ascii: "\n") ? Array(block.dropLast()) : block)
    }
  }

  /// Calls `body` with the report's bytes in blocks of about `blockSize` bytes (whole
  /// lines, each ending in a newline), in timestamp order across every CPU and buffer:
  /// exactly `trace-cmd report`'s output.
  ///
  /// The largest CPU streams (as many as processors, at most ``maximumThreads``) are each
  /// decoded on a thread of its own, and the events whose text is fixed
  /// (``ReportFastFormatter``: sched_switch, sched_wakeup, irq_vectors, ipi_send_cpu) are
  /// formatted there too, a few thousand events ahead of the merge; small traces (below
  /// ``threadingThreshold``) and the other streams are decoded on the calling thread. Everything else is
  /// printed by libtraceevent on the calling thread, with one handle (formats, kallsyms,
  /// printk formats, saved cmdlines, plugins) shared by every stream and each event printed
  /// in output order, as in trace-cmd. Task names are looked up in that handle in output
  /// order too, and the comms the sched plugins print are registered in it at the event's
  /// turn, so a name registered for a pid missing from the saved cmdlines reaches later
  /// events of every CPU, as in trace-cmd.
  ///
  /// On damaged input, the lines before the damaged event's predecessor in its stream have
  /// been passed to `body` when the error is thrown (as the one-thread printer did).
  ///
  /// - Complexity: memory per stream: a few batches of ``ReportBatch/textLimit`` bytes.
  /// Most stream threads ``forEachBlock(of:blockSize:_:)`` starts (each holds a libtraceevent
  /// handle with the trace's kallsyms: tens of MB for a full kernel's).
  static let maximumThreads = 4

  public static func forEachBlock(
    of reader: TraceDatReader, blockSize: Int = 1 << 20, _ body: ([UInt8]) throws -> Void
  ) throws {
    try forEachBlock(of: reader, blockSize: blockSize, streamThreads: nil, body)
  }

  /// Traces with less CPU data than this are printed on the calling thread alone: a stream
  /// thread's own handle costs more to build (kallsyms parsed again: 0.2-0.4 s for a full
  /// kernel's) than it saves on a few hundred thousand events.
  static let threadingThreshold = 16 << 20

  /// ``forEachBlock(of:blockSize:_:)`` with `streamThreads` stream threads (nil: as many as
  /// processors, at most ``maximumThreads``, for traces past ``threadingThreshold``; 0 for
  /// smaller ones).
  static func forEachBlock(
    of reader: TraceDatReader, blockSize: Int, streamThreads: Int?, _ body: ([UInt8]) throws -> Void
  ) throws {
    var out: [UInt8] = []
    out.reserveCapacity(max(blockSize, 1 << 12) + (1 << 16))
    out += Array("cpus=\(reader.metadata.cpuCount ?? 0)\n".utf8)
    try body(out)
    out.removeAll(keepingCapacity: true)

    let layout = reader.layout
    let formats = try EventFormats(layout: layout, forPrinting: true)
    let inMicroseconds = reader.metadata.clockIsNanoseconds
    let symbols = reader.metadata.symbols
    let count = reader.streamCount
    let places = reader.streamPlaces
    // A thread (and a libtraceevent handle, kallsyms included) for each of the largest
    // streams, as many as there are processors (at most `maximumThreads`); the other streams
    // are decoded on the calling thread with the shared handle, their events all printed by
    // libtraceevent. Memory thus stays flat with the CPU count.
    let automatic = reader.dataBytes < threadingThreshold
      ? 0 : min(maximumThreads, max(1, ProcessInfo.processInfo.activeProcessorCount))
    let threads = min(count, streamThreads ?? automatic)
    let bySize = (0..<count).sorted { reader.streamDataSize($0) > reader.streamDataSize($1) }
    let threaded = Set(bySize.prefix(threads))
    var sources: [MergedPrinter.Source] = []
    var channels: [ChunkChannel<ReportBatch>] = []
    let group = DispatchGroup()
    for index in 0..<count {
      let place = places[index]
      guard threaded.contains(index) else {
        sources.append(.local(MergedPrinter.LocalStream(place: place)))
        continue
      }
      let channel = ChunkChannel<ReportBatch>(capacity: 4)
      channels.append(channel)
      sources.append(.channel(channel))
      DispatchQueue.global().async(group: group) {
        var batch = ReportBatch()
        do {
          let decoder = try CPUStreamDecoder(
            layout: layout, bufferIndex: place.buffer, cpuIndex: place.cpu, fields: .all,
            forPrinting: true, symbols: symbols)
          decoder.inMicroseconds = inMicroseconds
          // The fast columns print microseconds; raw-count clocks stay with libtraceevent.
          let fast = inMicroseconds ? ReportFastFormatter(formats: decoder.formats, layout: layout) : nil
          while try decoder.nextReportEntry(into: &batch, fast: fast) {
            if batch.isFull {
              guard channel.send(.events([batch])) else { return }
              batch = ReportBatch()
            }
          }
          if !batch.entries.isEmpty { guard channel.send(.events([batch])) else { return } }
          _ = channel.send(.end(skipped: 0))
        } catch {
          if !batch.entries.isEmpty { guard channel.send(.events([batch])) else { return } }
          _ = channel.send(.failure(error))
        }
      }
    }
    defer {
      for channel in channels { channel.cancel() }
      group.wait()
    }

    var printer = MergedPrinter(
      formats: formats, reader: reader, inMicroseconds: inMicroseconds, sources: sources)
    do {
      try printer.start()
      while try printer.printNext(into: &out) {
        if out.count >= blockSize {
          try body(out)
          out.removeAll(keepingCapacity: true)
        }
      }
    } catch {
      if !out.isEmpty { try body(out) }
      throw error
    }
    if !out.isEmpty { try body(out) }
  }

  /// The merging side of ``forEachBlock(of:blockSize:_:)``: stream heads, the shared
  /// libtraceevent handle and the task-name cache.
  private struct MergedPrinter {
    let formats: EventFormats
    let inMicroseconds: Bool
    /// Where each stream's batches come from.
    enum Source {
      /// A thread of its own.
      case channel(ChunkChannel<ReportBatch>)
      /// Decoded here, on demand, with the shared handle.
      case local(LocalStream)
    }

    /// A stream decoded on the merging thread, a batch at a time.
    final class LocalStream {
      let place: (buffer: Int, cpu: Int)
      var decoder: CPUStreamDecoder?
      /// An error met after the events of the latest batch, thrown at the next refill.
      var pendingError: (any Error)?
      var ended = false

      init(place: (buffer: Int, cpu: Int)) { self.place = place }
    }

    let sources: [Source]
    let layout: TraceDatLayout
    let symbols: SymbolTable
    let file: String
    /// Per stream: its buffer's line label, and the streams of that buffer.
    let labels: [[UInt8]]
    /// Per stream: its CPU number.
    let cpus: [Int]
    let bufferStreams: [Range<Int>]
    var batches: [ReportBatch]
    var positions: [Int]
    var live: [Bool]
    /// `%16s` of each pid's name, for pids with an entry in the handle's cmdlines (an entry
    /// never changes): by pid below ``pidTableLimit``, else in `commColumnsByLargePID`.
    var commColumns: [[UInt8]?] = []
    var commColumnsByLargePID: [Int32: [UInt8]] = [:]
    /// Pids with an entry in the handle's cmdlines, once sorted: registering them again is a
    /// no-op (by pid below ``pidTableLimit``, else in `knownLargePIDs`).
    var known: [Bool] = []
    var knownLargePIDs: Set<Int32> = []
    /// Pids below this use arrays rather than hashing (at most 9 MB of tables; pid_max is
    /// 32768 by default, up to 4 M on large machines).
    static let pidTableLimit: Int32 = 1 << 20
    /// Whether libtraceevent has sorted its cmdlines (on the first look-up of a pid other
    /// than 0); before that, a registration is a list entry, duplicates included.
    var cmdlinesSorted = false

    init(formats: EventFormats, reader: TraceDatReader, inMicroseconds: Bool, sources: [Source]) {
      self.formats = formats
      self.inMicroseconds = inMicroseconds
      self.sources = sources
      layout = reader.layout
      symbols = reader.metadata.symbols
      file = reader.layout.file
      let names = reader.layout.buffers.map(\.name)
      let labelWidth = names.map(\.count).max() ?? 0
      // trace-cmd labels lines whenever the file holds an instance buffer:
      // print_handle_file's "%*s: " with the longest name, "%*s  " for the top buffer.
      let labelled = names.count > 1 || names.contains { !$0.isEmpty }
      labels = reader.streamPlaces.map { place in
        guard labelled else { return [] }
        let name = names[place.buffer]
        return Array((String(repeating: " ", count: max(0, labelWidth - name.count)) + name + (name.isEmpty ? "  " : ": ")).utf8)
      }
      var ranges: [Int: Range<Int>] = [:]
      for (index, place) in reader.streamPlaces.enumerated() {
        let range = ranges[place.buffer] ?? index..<index
        ranges[place.buffer] = range.lowerBound..<index + 1
      }
      bufferStreams = reader.streamPlaces.map { ranges[$0.buffer]! }
      cpus = reader.streamPlaces.map { reader.layout.buffers[$0.buffer].cpus[$0.cpu].cpu }
      batches = Array(repeating: ReportBatch(), count: sources.count)
      positions = Array(repeating: 0, count: sources.count)
      live = Array(repeating: false, count: sources.count)
    }

    /// Reads each stream's first batch, in stream order (the first failing stream throws).
    mutating func start() throws {
      for index in 0..<sources.count { live[index] = try refill(index) }
    }

    /// Takes stream `index`'s next batch; false at its end.
    private mutating func refill(_ index: Int) throws -> Bool {
      guard case .channel(let channel) = sources[index] else {
        guard case .local(let stream) = sources[index] else { return false }
        return try refillLocal(index, stream)
      }
      while true {
        switch channel.receive() {
        case .events(let received):
          guard let batch = received.first, !batch.entries.isEmpty else { continue }
          batches[index] = batch
          positions[index] = 0
          return true
        case .end:
          batches[index] = ReportBatch()
          return false
        case .failure(let error):
          batches[index] = ReportBatch()
          throw error
        }
      }
    }

    /// Decodes the next batch of a stream read on this thread (its events all left to
    /// libtraceevent); false at its end.
    private mutating func refillLocal(_ index: Int, _ stream: LocalStream) throws -> Bool {
      batches[index] = ReportBatch()
      if let error = stream.pendingError {
        stream.pendingError = nil
        stream.ended = true
        throw error
      }
      if stream.ended { return false }
      var batch = ReportBatch()
      do {
        let decoder: CPUStreamDecoder
        if let existing = stream.decoder {
          decoder = existing
        } else {
          decoder = try CPUStreamDecoder(
            layout: layout, bufferIndex: stream.place.buffer, cpuIndex: stream.place.cpu, fields: .all,
            forPrinting: true, symbols: symbols, sharedFormats: formats)
          decoder.inMicroseconds = inMicroseconds
          stream.decoder = decoder
        }
        while !batch.isFull {
          guard try decoder.nextReportEntry(into: &batch, fast: nil) else {
            stream.ended = true
            stream.decoder = nil
            break
          }
        }
      } catch {
        stream.decoder = nil
        guard !batch.entries.isEmpty else {
          stream.ended = true
          throw error
        }
        stream.pendingError = error
      }
      guard !batch.entries.isEmpty else { return false }
      batches[index] = batch
      positions[index] = 0
      return true
    }

    /// Moves stream `index` past its head.
    private mutating func advance(_ index: Int) throws {
      positions[index] += 1
      if positions[index] == batches[index].entries.count { live[index] = try refill(index) }
    }

    private func head(_ index: Int) -> ReportBatch.Entry? {
      live[index] ? batches[index].entries[positions[index]] : nil
    }

    /// The stream whose head comes first among `streams`, trace-cmd's tie order (lowest index).
    private func earliest(among streams: Range<Int>) -> Int? {
      var best: Int?
      var bestTime = UInt64.max
      for index in streams where live[index] {
        let time = batches[index].entries[positions[index]].timestamp
        if best != nil, bestTime <= time { continue }
        best = index
        bestTime = time
      }
      return best
    }

    private func isKnown(_ pid: Int32) -> Bool {
      guard pid >= 0, pid < Self.pidTableLimit else { return knownLargePIDs.contains(pid) }
      return Int(pid) < known.count && known[Int(pid)]
    }

    private mutating func markKnown(_ pid: Int32) {
      guard pid >= 0, pid < Self.pidTableLimit else {
        knownLargePIDs.insert(pid)
        return
      }
      if Int(pid) >= known.count { known += repeatElement(false, count: Int(pid) + 1 - known.count) }
      known[Int(pid)] = true
    }

    /// `%16s` of the task name of `pid`, looked up now (in output order).
    private mutating func commColumn(_ pid: Int32) -> [UInt8] {
      let small = pid >= 0 && pid < Self.pidTableLimit
      if small, Int(pid) < commColumns.count, let cached = commColumns[Int(pid)] { return cached }
      if !small, let cached = commColumnsByLargePID[pid] { return cached }
      let (name, registered) = formats.commBytes(of: pid)
      if pid != 0 { cmdlinesSorted = true }
      var column = [UInt8](repeating: UInt8(ascii: " "), count: max(0, 16 - name.count))
      column += name
      if registered {
        if small {
          if Int(pid) >= commColumns.count { commColumns += repeatElement(nil, count: Int(pid) + 1 - commColumns.count) }
          commColumns[Int(pid)] = column
        } else {
          commColumnsByLargePID[pid] = column
        }
        markKnown(pid)
      }
      return column
    }

    /// Appends the next event's line (and its newline) to `out`; false when every stream has ended.
    mutating func printNext(into out: inout [UInt8]) throws -> Bool {
      guard let index = earliest(among: 0..<sources.count) else { return false }
      let entry = batches[index].entries[positions[index]]
      let recordIndex = entry.record
      let lineStart = out.count
      out += labels[index]
      // The dropped-events notice is part of the event's output, after the label.
      if entry.missedBefore > 0 {
        out += Array("CPU:\(cpus[index]) [\(entry.missedBefore) EVENTS DROPPED]\n".utf8)
      } else if entry.missedBefore < 0 {
        out += Array("CPU:\(cpus[index]) [EVENTS DROPPED]\n".utf8)
      }
      if recordIndex < 0 {
        out += commColumn(entry.pid)
        out.append(contentsOf: batches[index].text[entry.textStart..<entry.textEnd])
        let position = positions[index]
        let firstRegistration = position == 0 ? 0 : batches[index].entries[position - 1].registrationEnd
        for registrationIndex in firstRegistration..<entry.registrationEnd {
          let registration = batches[index].registrations[registrationIndex]
          let pid = registration.pid
          if cmdlinesSorted {
            if pid == 0 || isKnown(pid) { continue }
            markKnown(pid)
          }
          formats.registerComm(batches[index].names[registration.nameStart..<registration.nameEnd], pid: pid)
        }
        try advance(index)
        out.append(UInt8(ascii: "\n"))
        return true
      }

      let record = batches[index].records[recordIndex]
      // trace-cmd prints function_graph records with its own handler (see FunctionGraphFormat).
      let isFunctionGraph = record.system == "ftrace" && record.name.hasPrefix("funcgraph_")
      let batch = batches[index]
      let inMicroseconds = inMicroseconds
      let printed = batch.text.withUnsafeBytes { bytes in
        formats.printedLine(
          of: UnsafeRawBufferPointer(rebasing: bytes[entry.textStart..<entry.textEnd]), timestamp: entry.timestamp,
          cpu: record.cpu, missedBefore: entry.missedBefore, fileOffset: record.fileOffset,
          inMicroseconds: inMicroseconds, withInfo: !isFunctionGraph)
      }
      // libtraceevent looked the task name up, which sorts its cmdlines (pid 0 excepted).
      if record.pid != 0 { cmdlinesSorted = true }
      try advance(index)
      out += printed.prefix
      out += nameColumn(record.name)
      if let info = printed.info {
        out += info
      } else if record.name == "funcgraph_entry" {
        // A leaf when the next record of this buffer is this function's return on this CPU.
        var exit: PrintableEvent?
        if let next = earliest(among: bufferStreams[index]), next == index, let candidate = head(index),
          candidate.record >= 0
        {
          let candidateRecord = batches[index].records[candidate.record]
          if candidateRecord.name == "funcgraph_exit", candidateRecord.pid == record.pid,
            candidateRecord["func"] == record["func"]
          {
            exit = candidateRecord
            try advance(index)
          }
        }
        out += Array(try FunctionGraphFormat.entry(record, exit: exit, formats: formats, file: file).utf8)
      } else {
        out += Array(try FunctionGraphFormat.exit(record, formats: formats, file: file).utf8)
      }
      if out.count > lineStart, out.last == UInt8(ascii: "\n") { out.removeLast() }
      out.append(UInt8(ascii: "\n"))
      return true
    }
  }

  /// trace-cmd's event-name column: ` name: ` padded to at least 20 characters of name.
  static func nameColumn(_ name: String) -> [UInt8] {
    Array((" \(name): " + String(repeating: " ", count: max(0, 20 - name.count))).utf8)
  }

  /// The one-thread printer that ``forEachBlock(of:blockSize:_:)`` replaced: every event
  /// printed by libtraceevent. The tests compare the two on every fixture.
  static func forEachRawLineSerially(of reader: TraceDatReader, _ body: ([UInt8]) throws -> Void) throws {
    let layout = reader.layout
    try body(Array("cpus=\(reader.metadata.cpuCount ?? 0)".utf8))
    var decoders: [CPUStreamDecoder] = []
    var heads: [PrintableEvent?] = []
    let formats = try EventFormats(layout: layout, forPrinting: true)
    for index in 0..<reader.streamCount {
      let place = reader.streamPlaces[index]
      let decoder = try CPUStreamDecoder(
        layout: layout, bufferIndex: place.buffer, cpuIndex: place.cpu, fields: .all,
        forPrinting: true, symbols: reader.metadata.symbols, sharedFormats: formats)
      decoder.inMicroseconds = reader.metadata.clockIsNanoseconds
      decoders.append(decoder)
      heads.append(try decoder.nextPrintableEvent())
    }
    let names = layout.buffers.map(\.name)
    let labelWidth = names.map(\.count).max() ?? 0
    // trace-cmd labels lines whenever the file holds an instance buffer.
    let labelled = names.count > 1 || names.contains { !$0.isEmpty }

    /// The stream whose head comes first among `streams`, trace-cmd's tie order (lowest index).
    func earliest(among streams: Range<Int>?) -> Int? {
      var best: Int?
      for index in streams ?? 0..<heads.count {
        guard let head = heads[index] else { continue }
        if let current = best, heads[current]!.timestamp <= head.timestamp { continue }
        best = index
      }
      return best
    }
    var bufferRanges: [Int: Range<Int>] = [:]
    for (index, place) in reader.streamPlaces.enumerated() {
      let range = bufferRanges[place.buffer] ?? index..<index
      bufferRanges[place.buffer] = range.lowerBound..<index + 1
    }

    while let index = earliest(among: nil) {
      let record = heads[index]!
      let decoder = decoders[index]
      // trace-cmd prints function_graph records with its own handler (see FunctionGraphFormat).
      let isFunctionGraph = record.system == "ftrace" && record.name.hasPrefix("funcgraph_")
      let printed = decoder.printLastPrintableEvent(withInfo: !isFunctionGraph)
      heads[index] = try decoder.nextPrintableEvent()
      let place = reader.streamPlaces[index]
      var line: [UInt8] = []
      if labelled {
        // trace-cmd's print_handle_file: "%*s: " with the longest name, "%*s  " for the top buffer.
        let name = names[place.buffer]
        line += Array((String(repeating: " ", count: max(0, labelWidth - name.count)) + name + (name.isEmpty ? "  " : ": ")).utf8)
      }
      // The dropped-events notice is part of the event's output, after the label.
      if record.missedBefore > 0 {
        line += Array("CPU:\(record.cpu) [\(record.missedBefore) EVENTS DROPPED]\n".utf8)
      } else if record.missedBefore < 0 {
        line += Array("CPU:\(record.cpu) [EVENTS DROPPED]\n".utf8)
      }
      line += printed.prefix
      line += nameColumn(record.name)
      if let info = printed.info {
        line += info
      } else if record.name == "funcgraph_entry" {
        // A leaf when the next record of this buffer is this function's return on this CPU.
        var exit: PrintableEvent?
        if let next = earliest(among: bufferRanges[place.buffer]), next == index,
          let candidate = heads[index], candidate.name == "funcgraph_exit",
          candidate.pid == record.pid, candidate["func"] == record["func"]
        {
          exit = candidate
          heads[index] = try decoder.nextPrintableEvent()
        }
        line += Array(try FunctionGraphFormat.entry(record, exit: exit, formats: decoder.formats, file: layout.file).utf8)
      } else {
        line += Array(try FunctionGraphFormat.exit(record, formats: decoder.formats, file: layout.file).utf8)
      }
      if line.last == UInt8(ascii: "\n") { line.removeLast() }
      try body(line)
    }
  }
}

/// function_graph lines as trace-cmd prints them.
enum FunctionGraphFormat {
  /// The overhead marker for a duration in ns: `$` > 1 s, `#` > 1 ms, `!` > 100 µs, `+` > 10 µs.
  static func overhead(_ duration: UInt64?) -> String {
    guard let duration else { return "  " }
    if duration > 1_000_000_000 { return "$ " }
    if duration > 1_000_000 { return "# " }
    if duration > 100_000 { return "! " }
    if duration > 10_000 { return "+ " }
    return "  "
  }

  /// `123.456 us   |  `: microseconds with up to 7 digits, padded to the column.
  static func duration(_ nanoseconds: UInt64) -> String {
    let micros = String(nanoseconds / 1000)
    var text = micros
    if micros.count < 7 {
      let remainder = String(nanoseconds % 1000)
      let padded = String(repeating: "0", count: 3 - remainder.count) + remainder
      // trace-cmd bounds this with the whole line's length, so in practice all three digits print.
      text += "." + padded
    }
    let width = text.count
    return text + " us " + String(repeating: " ", count: max(0, 7 - width)) + "|  "
  }

  private static func functionName(_ address: UInt64?, formats: EventFormats) -> String? {
    guard let address else { return nil }
    return formats.function(at: address)?.name
  }

  private static func returnValue(_ record: PrintableEvent) -> String {
    guard let value = record["retval"] else { return "" }
    if value >= UInt64.max - 4094 { return " (ret=\(Int64(bitPattern: value)))" }
    return " (ret=0x\(String(value, radix: 16)))"
  }

  /// Deepest call depth printed: the kernel stops function_graph at FTRACE_RETFUNC_DEPTH (50
  /// in 6.x); a depth past this is a damaged field, whose indent trace-cmd would print as
  /// gigabytes of spaces.
  static let maximumDepth = 4096

  static func entry(_ record: PrintableEvent, exit: PrintableEvent?, formats: EventFormats, file: String) throws -> String {
    // `depth` is a C int: trace-cmd indents negative depths by nothing.
    let depth = max(0, Int(Int32(truncatingIfNeeded: record["depth"] ?? 0)))
    guard depth <= maximumDepth else {
      throw TraceParseError(reason: .invalidValue(what: "funcgraph_entry depth", found: "\(depth)"),
                            location: InputLocation(file: file, byteOffset: record.fileOffset))
    }
    let indent = String(repeating: " ", count: depth * 2)
    let name = functionName(record["func"], formats: formats)
    if let exit {
      let elapsed = (exit["rettime"] ?? 0) &- (exit["calltime"] ?? 0)
      let call = name.map { "\($0)();" } ?? "\(String(record["func"] ?? 0, radix: 16))();"
      return overhead(elapsed) + duration(elapsed) + indent + call + returnValue(exit)
    }
    // An address kallsyms does not name prints as hex, as trace-cmd does.
    return overhead(nil) + "           |  " + indent + (name.map { "\($0)() {" } ?? "\(String(record["func"] ?? 0, radix: 16))() {")
  }

  static func exit(_ record: PrintableEvent, formats: EventFormats, file: String) throws -> String {
    let elapsed = (record["rettime"] ?? 0) &- (record["calltime"] ?? 0)
    let depth = max(0, Int(Int32(truncatingIfNeeded: record["depth"] ?? 0)))
    guard depth <= maximumDepth else {
      throw TraceParseError(reason: .invalidValue(what: "funcgraph_exit depth", found: "\(depth)"),
                            location: InputLocation(file: file, byteOffset: record.fileOffset))
    }
    return overhead(elapsed) + duration(elapsed) + String(repeating: " ", count: depth * 2) + "}" + returnValue(record)
  }
}

extension TraceCmdReportText {
  /// What the fast formatters did on a trace, with every formatted event also printed by
  /// libtraceevent and compared (``ReportFastFormatter/checksEveryEvent``).
  struct FastFormatterCheck {
    /// Events formatted, by `system:name`.
    var formatted: [String: Int] = [:]
    /// Events whose text differed from libtraceevent's (both texts).
    var mismatches: [String] = []
  }

  /// Runs each stream of `reader` through the fast formatters, checking every event they
  /// format against libtraceevent's text of the same record (for the tests).
  static func checkFastFormatters(of reader: TraceDatReader) throws -> FastFormatterCheck {
    var check = FastFormatterCheck()
    for place in reader.streamPlaces {
      let decoder = try CPUStreamDecoder(
        layout: reader.layout, bufferIndex: place.buffer, cpuIndex: place.cpu, fields: .all,
        forPrinting: true, symbols: reader.metadata.symbols)
      let fast = ReportFastFormatter(formats: decoder.formats, layout: reader.layout)
      fast.checksEveryEvent = true
      var batch = ReportBatch()
      while try decoder.nextReportEntry(into: &batch, fast: fast) {
        if batch.isFull { batch = ReportBatch() }
      }
      check.formatted.merge(fast.formattedCount, uniquingKeysWith: +)
      check.mismatches += fast.mismatches
    }
    return check
  }
}
