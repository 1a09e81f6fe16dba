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
  /// as `trace-cmd report` prints them.
  ///
  /// One libtraceevent handle (formats, kallsyms, printk formats, saved cmdlines, plugins)
  /// serves every stream, and each event is printed when it is output, as in trace-cmd:
  /// a task's name comes from the saved cmdlines, and a name the sched_switch plugin
  /// registers for a pid missing from them reaches later events of every CPU.
  public static func forEachRawLine(of reader: TraceDatReader, _ body: ([UInt8]) throws -> Void) throws {
    let layout = reader.layout
    try body(Array("cpus=\(reader.metadata.cpuCount ?? 0)".utf8))
    var decoders: [CPUStreamDecoder] = []
    var heads: [ReportRecord?] = []
    let formats = try EventFormats(layout: layout, forPrinting: true)
    for index in 0..<reader.streamCount {
      let place = reader.streamPlaces[index]
      let decoder = try CPUStreamDecoder(
        layout: layout, bufferIndex: place.buffer, cpuIndex: place.cpu, fields: .all,
        forPrinting: true, symbols: reader.metadata.symbols, sharedFormats: formats)
      decoder.inMicroseconds = reader.metadata.clockIsNanoseconds
      decoders.append(decoder)
      heads.append(try decoder.nextReportRecord())
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
      let printed = decoder.printLastReportRecord(withInfo: !isFunctionGraph)
      heads[index] = try decoder.nextReportRecord()
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
      var name = " \(record.name): "
      if record.name.count < 20 { name += String(repeating: " ", count: 20 - record.name.count) }
      line += Array(name.utf8)
      if let info = printed.info {
        line += info
      } else if record.name == "funcgraph_entry" {
        // A leaf when the next record of this buffer is this function's return on this CPU.
        var exit: ReportRecord?
        if let next = earliest(among: bufferRanges[place.buffer]), next == index,
          let candidate = heads[index], candidate.name == "funcgraph_exit",
          candidate.pid == record.pid, candidate["func"] == record["func"]
        {
          exit = candidate
          heads[index] = try decoder.nextReportRecord()
        }
        line += Array(try FunctionGraphFormat.entry(record, exit: exit, decoder: decoder).utf8)
      } else {
        line += Array(try FunctionGraphFormat.exit(record, decoder: decoder).utf8)
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

  private static func functionName(_ address: UInt64?, decoder: CPUStreamDecoder) -> String? {
    guard let address else { return nil }
    return decoder.formats.function(at: address)?.name
  }

  private static func returnValue(_ record: ReportRecord) -> String {
    guard let value = record["retval"] else { return "" }
    if value >= UInt64.max - 4094 { return " (ret=\(Int64(bitPattern: value)))" }
    return " (ret=0x\(String(value, radix: 16)))"
  }

  /// Deepest call depth printed: the kernel stops function_graph at FTRACE_RETFUNC_DEPTH (50
  /// in 6.x); a depth past this is a damaged field, whose indent trace-cmd would print as
  /// gigabytes of spaces.
  static let maximumDepth = 4096

  static func entry(_ record: ReportRecord, exit: ReportRecord?, decoder: CPUStreamDecoder) throws -> String {
    // `depth` is a C int: trace-cmd indents negative depths by nothing.
    let depth = max(0, Int(Int32(truncatingIfNeeded: record["depth"] ?? 0)))
    guard depth <= maximumDepth else {
      throw TraceParseError(reason: .invalidValue(what: "funcgraph_entry depth", found: "\(depth)"),
                            location: InputLocation(file: decoder.layout.file, byteOffset: record.fileOffset))
    }
    let indent = String(repeating: " ", count: depth * 2)
    let name = functionName(record["func"], decoder: decoder)
    if let exit {
      let elapsed = (exit["rettime"] ?? 0) &- (exit["calltime"] ?? 0)
      let call = name.map { "\($0)();" } ?? "\(String(record["func"] ?? 0, radix: 16))();"
      return overhead(elapsed) + duration(elapsed) + indent + call + returnValue(exit)
    }
    // An address kallsyms does not name prints as hex, as trace-cmd does.
    return overhead(nil) + "           |  " + indent + (name.map { "\($0)() {" } ?? "\(String(record["func"] ?? 0, radix: 16))() {")
  }

  static func exit(_ record: ReportRecord, decoder: CPUStreamDecoder) throws -> String {
    let elapsed = (record["rettime"] ?? 0) &- (record["calltime"] ?? 0)
    let depth = max(0, Int(Int32(truncatingIfNeeded: record["depth"] ?? 0)))
    guard depth <= maximumDepth else {
      throw TraceParseError(reason: .invalidValue(what: "funcgraph_exit depth", found: "\(depth)"),
                            location: InputLocation(file: decoder.layout.file, byteOffset: record.fileOffset))
    }
    return overhead(elapsed) + duration(elapsed) + String(repeating: " ", count: depth * 2) + "}" + returnValue(record)
  }
}
