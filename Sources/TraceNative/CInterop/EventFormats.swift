// Unsafe code: a `struct tep_handle *` and what libtraceevent returns from it.
//
// Invariant: `EventFormats` owns the handle (`tep_alloc` in init, `tep_free` in deinit) and its
// `trace_seq`. Pointers libtraceevent returns into the handle (`tep_event`, fields, names,
// comms) are read and copied into Swift values (`EventLayout`, `String`) before the method
// returns, and never stored. Format and kallsyms bytes are lent to the parser only inside
// `withUnsafeBufferPointer`/`withMemoryRebound` (the parsers copy what they keep). A
// `tep_record` passed in points into a page that the caller keeps loaded for the whole call,
// or into a copy of an event's bytes lent for the call (`printedLine(of:…)`, `printedInfo`);
// libtraceevent keeps no pointer to it (the comms the sched plugin registers are strdup'ed).
//
// libtraceevent's format parser keeps its input in process-wide statics (event-parse.c's
// `input_buf`, `input_buf_ptr`, `input_buf_siz`), so two handles parsing at once on two threads
// corrupt each other: every `tep_parse_header_page`/`tep_parse_event` call holds `parserLock`.

import CTraceEvent
import Synchronization
import TraceModel

#if canImport(Glibc)
  import Glibc
#endif

/// The layout of one event type, copied out of libtraceevent's `struct tep_event`.
struct EventLayout: Sendable {
  /// One field's place in the record, from `struct tep_format_field`.
  struct Field: Sendable {
    var name: String
    var type: String
    var offset: Int
    var size: Int
    var elementSize: Int
    var isSigned: Bool
    var isArray: Bool
    var isString: Bool
    var isDynamic: Bool
    var isRelative: Bool
    var isCPUMask: Bool
    /// A `const char *` (or `char *`) scalar: its value may be an address of the trace's
    /// printk strings (decided once per format, not per event).
    var isStringPointer: Bool

    /// Bytes decoded as text: strings, `char` arrays and `__data_loc char[]`.
    var isText: Bool { isString || (isArray && type.hasPrefix("char")) || (isDynamic && type.contains("char")) }
  }

  var id: Int
  var system: String
  var name: String
  var fields: [Field]
}

/// The event formats of one trace, owning a `struct tep_handle *`.
///
/// Not Sendable: libtraceevent caches state inside the handle on first use (cmdlines,
/// function maps). Streams read in parallel each build their own; the report printer shares
/// one among all its streams, as trace-cmd shares one `tep_handle` among a file's CPUs and
/// buffers (the sched_switch plugin's comm registrations then reach every CPU, in print order).
final class EventFormats {
  /// Held around every call into libtraceevent's tokenizer, whose state is global (see the
  /// file's header): CPU streams decoded on threads of their own each parse formats.
  private static let parserLock = Mutex(())

  fileprivate let handle: OpaquePointer
  private let plugins: OpaquePointer?
  private var layouts: [Int: EventLayout] = [:]
  private var commByPID: [Int32: String] = [:]
  /// Formats not parsed yet, by event type id.
  private var formatByID: [Int: (system: String, format: [UInt8])] = [:]
  fileprivate var sequence = trace_seq()
  let file: String

  /// Builds the handle with `tep_alloc` and parses the header page, event formats and,
  /// when `forPrinting`, kallsyms, printk formats, saved cmdlines and the plugins
  /// (`tep_load_plugins`) that `trace-cmd report` uses.
  init(layout: TraceDatLayout, forPrinting: Bool) throws {
    let handle = try SystemCall.nonNil("tep_alloc", path: layout.file, orElse: .noMemory) { tep_alloc() }
    self.handle = handle
    self.file = layout.file
    tep_set_file_bigendian(handle, layout.bigEndian ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN)
    tep_set_local_bigendian(handle, TEP_LITTLE_ENDIAN)
    tep_set_long_size(handle, Int32(layout.longSize))
    tep_set_page_size(handle, Int32(layout.pageSize))
    if let cpus = layout.cpuCount { tep_set_cpus(handle, Int32(clamping: cpus)) }
    var header = layout.headerPage
    let headerStatus = header.withUnsafeMutableBufferPointer { buffer in
      buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
        let pointer = $0
        return Self.parserLock.withLock { _ in tep_parse_header_page(handle, pointer, UInt(buffer.count), Int32(layout.longSize)) }
      }
    }
    plugins = forPrinting ? tep_load_plugins(handle) : nil
    trace_seq_init(&sequence)
    guard headerStatus == 0 || header.isEmpty else {
      throw TraceParseError(reason: .invalidValue(what: "header_page format", found: "libtraceevent could not parse it"),
                            location: InputLocation(file: layout.file, byteOffset: 0))
    }
    formatByID = layout.formatByID
    if forPrinting {
      for format in layout.ftraceFormats { parse(format, system: "ftrace") }
      for (system, format) in layout.eventFormats { parse(format, system: system) }
      formatByID = [:]
    } else if let first = formatByID.keys.min(), let entry = formatByID.removeValue(forKey: first) {
      // One parsed event gives libtraceevent the common field layout; the rest are parsed
      // when an event of their id first appears.
      parse(entry.format, system: entry.system)
    }
    if forPrinting {
      withCString(layout.kallsyms) { _ = tep_parse_kallsyms(handle, $0) }
      withCString(layout.printkFormats) { _ = tep_parse_printk_formats(handle, $0) }
      withCString(layout.cmdlines) { _ = tep_parse_saved_cmdlines(handle, $0) }
    } else {
      for line in layout.cmdlines.split(separator: UInt8(ascii: "\n")) {
        guard let space = line.firstIndex(of: UInt8(ascii: " ")),
          let pid = Int32(String(decoding: line[line.startIndex..<space], as: UTF8.self))
        else { continue }
        commByPID[pid] = EscapedText.string(line[(space + 1)...])
      }
    }
  }

  deinit {
    trace_seq_destroy(&sequence)
    if let plugins { tep_unload_plugins(plugins, handle) }
    tep_free(handle)
  }

  /// Where `common_type` and `common_pid` sit in every record (`tep_find_common_field` on the
  /// first event), so the hot path reads them without a libtraceevent call.
  func commonFieldPlacement() -> (typeOffset: Int, typeSize: Int, pidOffset: Int, pidSize: Int)? {
    guard let event = tep_get_first_event(handle),
      let type = tep_find_common_field(event, "common_type"),
      let pid = tep_find_common_field(event, "common_pid")
    else { return nil }
    return (Int(type.pointee.offset), Int(type.pointee.size), Int(pid.pointee.offset), Int(pid.pointee.size))
  }

  /// Whether the ring buffer uses the pre-2.6.31 page format (`tep_is_old_format`).
  var isOldFormat: Bool { tep_is_old_format(handle) }

  private func parse(_ format: [UInt8], system: String) {
    format.withUnsafeBufferPointer { buffer in
      buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
        // A format libtraceevent cannot parse leaves its id unknown; an event of that id
        // then fails with `.unknownEventID` where it appears.
        let pointer = $0
        _ = Self.parserLock.withLock { _ in tep_parse_event(handle, pointer, UInt(buffer.count), system) }
      }
    }
  }

  private func withCString(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> Void) {
    guard !bytes.isEmpty else { return }
    var copy = bytes
    copy.append(0)
    copy.withUnsafeBufferPointer { buffer in
      buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { body($0) }
    }
  }

  // MARK: - Per-record queries

  /// The event type id of a record (`tep_data_type`).
  func typeID(of record: inout tep_record) -> Int { Int(tep_data_type(handle, &record)) }

  /// The task id of a record (`tep_data_pid`).
  func pid(of record: inout tep_record) -> Int32 { tep_data_pid(handle, &record) }

  /// The task's command name from the saved cmdlines (`tep_data_comm_from_pid`), cached.
  func comm(of pid: Int32) -> String {
    if let known = commByPID[pid] { return known }
    let name: String
    if pid == 0 {
      name = "<idle>"
    } else if plugins != nil || tep_is_pid_registered(handle, pid) {
      // Its bytes as trace-cmd prints them (kept, not repaired: EscapedText).
      if let comm = tep_data_comm_from_pid(handle, pid) {
        name = EscapedText.string(UnsafeRawBufferPointer(start: comm, count: strlen(comm)))
      } else {
        name = "<...>"
      }
    } else {
      name = "<...>"
    }
    commByPID[pid] = name
    return name
  }

  /// The layout of an event type, copied from `tep_find_event` once and cached.
  func layout(ofType id: Int) -> EventLayout? {
    if let known = layouts[id] { return known }
    if let pending = formatByID.removeValue(forKey: id) { parse(pending.format, system: pending.system) }
    guard let event = tep_find_event(handle, Int32(id)) else { return nil }
    // Fields the print format shows with `__get_bitmask()` / `__get_cpumask()` (ipi_raise's
    // `__data_loc unsigned long[] target_cpus`): bitmaps of CPUs whatever their C type.
    var bitmaskFields: Set<String> = []
    var argument = event.pointee.print_fmt.args
    while let current = argument {
      let type = current.pointee.type
      if type == TEP_PRINT_BITMASK || type == TEP_PRINT_CPUMASK, let name = current.pointee.bitmask.bitmask {
        bitmaskFields.insert(String(cString: name))
      }
      argument = current.pointee.next
    }
    var fields: [EventLayout.Field] = []
    var cursor = event.pointee.format.fields
    while let field = cursor {
      let flags = Int(field.pointee.flags)
      let type = String(cString: field.pointee.type)
      fields.append(EventLayout.Field(
        name: String(cString: field.pointee.name), type: type,
        offset: Int(field.pointee.offset), size: Int(field.pointee.size),
        elementSize: Int(field.pointee.elementsize),
        isSigned: flags & Int(TEP_FIELD_IS_SIGNED.rawValue) != 0,
        isArray: flags & Int(TEP_FIELD_IS_ARRAY.rawValue) != 0,
        isString: flags & Int(TEP_FIELD_IS_STRING.rawValue) != 0,
        isDynamic: flags & Int(TEP_FIELD_IS_DYNAMIC.rawValue) != 0,
        isRelative: flags & Int(TEP_FIELD_IS_RELATIVE.rawValue) != 0,
        isCPUMask: type.contains("cpumask") || bitmaskFields.contains(String(cString: field.pointee.name)),
        isStringPointer: type.hasSuffix("char *")))
      cursor = field.pointee.next
    }
    let layout = EventLayout(
      id: id, system: String(cString: event.pointee.system), name: String(cString: event.pointee.name),
      fields: fields)
    layouts[id] = layout
    return layout
  }

  /// The function containing `address` (`tep_find_function` and `tep_find_function_address`).
  func function(at address: UInt64) -> (name: String, start: UInt64)? {
    guard let name = tep_find_function(handle, address) else { return nil }
    return (String(cString: name), tep_find_function_address(handle, address))
  }

  /// The sequence's bytes as libtraceevent wrote them: event text is not always UTF-8
  /// (`trace-cmd report` prints such bytes raw).
  fileprivate func sequenceBytes() -> [UInt8] {
    guard let buffer = sequence.buffer else { return [] }
    return buffer.withMemoryRebound(to: UInt8.self, capacity: Int(sequence.len)) {
      Array(UnsafeBufferPointer(start: $0, count: Int(sequence.len)))
    }
  }
}

extension EventFormats {
  /// `comm-pid [cpu] time:`, then the event's fields, each as `trace-cmd report` prints
  /// them (tracecmd/trace-read.c: `TEP_PRINT_COMM` first, then the time, then the info, so
  /// cmdline look-ups and plugin registrations happen in trace-cmd's order), as raw bytes.
  func printedLine(_ record: inout tep_record, inMicroseconds: Bool, withInfo: Bool) -> (prefix: [UInt8], info: [UInt8]?) {
    trace_seq_reset(&sequence)
    ctraceevent_print_prefix(handle, &sequence, &record)
    ctraceevent_print_time(handle, &sequence, &record, inMicroseconds ? 1 : 0)
    let prefix = sequenceBytes()
    guard withInfo else { return (prefix, nil) }
    trace_seq_reset(&sequence)
    ctraceevent_print_info(handle, &sequence, &record)
    return (prefix, sequenceBytes())
  }
}

// MARK: - Report printing from copied records

extension EventFormats {
  /// ``printedLine(_:inMicroseconds:withInfo:)`` of an event whose payload bytes were copied
  /// out of its page (`data`, lent for this call only: the `tep_record` built here points into it).
  func printedLine(
    of data: UnsafeRawBufferPointer, timestamp: UInt64, cpu: Int, missedBefore: Int, fileOffset: Int,
    inMicroseconds: Bool, withInfo: Bool
  ) -> (prefix: [UInt8], info: [UInt8]?) {
    var record = tep_record()
    record.ts = timestamp
    record.data = UnsafeMutableRawPointer(mutating: data.baseAddress)
    record.size = Int32(data.count)
    record.cpu = Int32(cpu)
    record.missed_events = Int64(missedBefore)
    record.offset = UInt64(fileOffset)
    return printedLine(&record, inMicroseconds: inMicroseconds, withInfo: withInfo)
  }

  /// The event's printed fields alone (`TEP_PRINT_INFO`), for checking a fast formatter
  /// against libtraceevent. Plugins run as in a report (the sched_switch plugin registers
  /// comms in this handle).
  func printedInfo(of data: UnsafeRawBufferPointer, timestamp: UInt64, cpu: Int) -> [UInt8] {
    var record = tep_record()
    record.ts = timestamp
    record.data = UnsafeMutableRawPointer(mutating: data.baseAddress)
    record.size = Int32(data.count)
    record.cpu = Int32(cpu)
    trace_seq_reset(&sequence)
    ctraceevent_print_info(handle, &sequence, &record)
    return sequenceBytes()
  }

  /// The task name trace-cmd's `%16s` prints for `pid` (`tep_data_comm_from_pid`), as bytes,
  /// and whether the pid has an entry (`tep_is_pid_registered`; an entry never changes, as
  /// `tep_register_comm` does not override).
  func commBytes(of pid: Int32) -> (bytes: [UInt8], registered: Bool) {
    if pid == 0 { return (Array("<idle>".utf8), true) }
    let registered = tep_is_pid_registered(handle, pid)
    guard let comm = tep_data_comm_from_pid(handle, pid) else { return (Array("<...>".utf8), false) }
    return (Array(UnsafeRawBufferPointer(start: comm, count: strlen(comm))), registered)
  }

  /// Maps `pid` to `name` (`tep_register_comm`, which keeps an existing entry), as the
  /// sched_switch plugin does when it prints a comm; `name` ends at its first NUL.
  func registerComm(_ name: ArraySlice<UInt8>, pid: Int32) {
    var terminated = Array(name)
    terminated.append(0)
    terminated.withUnsafeBufferPointer { buffer in
      buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
        _ = tep_register_comm(handle, $0, pid)
      }
    }
  }
}
