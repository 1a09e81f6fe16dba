import Dispatch
import Foundation
import Synchronization
import TraceModel

/// The container of a trace.dat file: header, options, metadata sections, and where each
/// buffer's per-CPU ring-buffer pages are. Events are decoded elsewhere (``TraceDatReader``).
///
/// Follows trace-cmd.dat.v6(5) and trace-cmd.dat.v7(5) from trace-cmd's Documentation.
struct TraceDatLayout: Sendable {
  /// One CPU's page data in one buffer.
  struct CPUData: Sendable {
    var cpu: Int
    /// File offset of the first page (v6, uncompressed v7) or of the chunk count (compressed v7).
    var offset: Int
    var size: Int
  }

  /// One tracefs instance saved in the file.
  struct Buffer: Sendable {
    var name: String
    var clock: String?
    var pageSize: Int
    var cpus: [CPUData]
  }

  /// The file as errors name it: the user's path, or `PATH (decompressed)` for a compressed
  /// trace.dat (offsets are then in the decompressed bytes).
  var file: String
  /// Where the bytes are when they are not at ``file``: a compressed trace.dat's decompressed copy.
  var dataPath: String? = nil
  var fileSize: Int
  var version: Int
  var bigEndian: Bool
  /// The long size the file header states (4 or 8). libtraceevent prints with it, as in
  /// trace-cmd; the ring-buffer page layout comes from ``pageHeader`` instead, because
  /// `trace-cmd convert` writes 8 here for 32-bit traces.
  var longSize: Int
  var pageSize: Int
  var compression: CompressionAlgorithm
  var headerPage: [UInt8] = []
  /// File offset of the `header_page` format text (of its section, when compressed).
  var headerPageOffset = 0
  /// The ring-buffer page layout, from `header_page` (see ``PageHeaderLayout``).
  var pageHeader = PageHeaderLayout(defaultFor: 8)
  var headerEvent: [UInt8] = []
  var ftraceFormats: [[UInt8]] = []
  var eventFormats: [(system: String, format: [UInt8])] = []
  var kallsyms: [UInt8] = []
  var printkFormats: [UInt8] = []
  /// Address → text of the printk formats section: the strings `const char *` event fields
  /// point to (`__tracepoint_string`, e.g. arm64's IPI reasons "Function call interrupts").
  var printkStrings: [UInt64: String] = [:]
  var cmdlines: [UInt8] = []
  var cpuCount: Int?
  var uname: String?
  var traceClock: String?
  var droppedPerCPU: [Int: Int] = [:]
  var buffers: [Buffer] = []
  /// One line per event format that ``EventFormatCheck`` refused to hand whole to libtraceevent.
  var formatWarnings: [String] = []
  /// Event type id → (system, format text), so formats can be parsed when first needed.
  var formatByID: [Int: (system: String, format: [UInt8])] = [:]
  /// Event type ids whose format ``EventFormatCheck`` withheld: their events are read as events
  /// of an unknown type (`unknown:<id>`, no fields), and printed as libtraceevent prints a
  /// format it could not parse (`name: [FAILED TO PARSE]`).
  var unusableFormatIDs: Set<Int> = []

  // MARK: - Option and section ids (trace-cmd.dat.v7(5))

  private typealias OptionID = TraceDatFormat.OptionID

  private static let magic = TraceDatFormat.magic

  // MARK: - Reading

  /// Reads the container of the file at `path`.
  ///
  /// - Throws: ``TraceParseError`` for a bad magic, an unknown version or compression, a
  ///   truncated file, or a section past the end; ``NativeTraceError`` when the file cannot be read.
  static func read(_ file: FileBytes) throws -> TraceDatLayout {
    let head = try file.read(at: 0, count: 64)
    var cursor = ByteCursor(bytes: head, file: file.path)
    guard head.count >= 10 else {
      if head.isEmpty { throw cursor.error(.emptyInput) }
      throw cursor.error(.truncated(needed: 10, available: head.count))
    }
    guard Array(head[0..<10]) == magic else { throw cursor.error(.badMagic(found: Array(head[0..<min(10, head.count)]))) }
    cursor.seek(to: 10)
    let versionText = try cursor.readCString()
    guard let version = Int(versionText), version == 6 || version == 7 else {
      throw cursor.error(.unsupportedVersion(versionText), at: 10)
    }
    let endianFlag = try cursor.readUInt8()
    guard endianFlag <= 1 else { throw cursor.error(.invalidValue(what: "endianness flag", found: "\(endianFlag)"), at: cursor.offset - 1) }
    let longSize = Int(try cursor.readUInt8())
    guard longSize == 4 || longSize == 8 else {
      throw cursor.error(.invalidValue(what: "long size", found: "\(longSize)"), at: cursor.offset - 1)
    }
    var layoutCursor = ByteCursor(bytes: head, file: file.path, bigEndian: endianFlag == 1)
    layoutCursor.seek(to: cursor.offset)
    let pageSize = Int(try layoutCursor.readUInt32())
    guard pageSize >= 256, pageSize <= 1 << 20, pageSize & (pageSize - 1) == 0 else {
      throw layoutCursor.error(.invalidValue(what: "page size", found: "\(pageSize)"), at: layoutCursor.offset - 4)
    }
    var layout = TraceDatLayout(
      file: file.path, fileSize: file.size, version: version, bigEndian: endianFlag == 1,
      longSize: longSize, pageSize: pageSize, compression: .none)
    if version == 7 {
      try layout.readVersion7(file, headerCursor: &layoutCursor)
    } else {
      try layout.readVersion6(file, from: layoutCursor.offset)
    }
    layout.pageHeader = try PageHeaderLayout(
      format: layout.headerPage, longSize: layout.longSize, file: file.path, offset: layout.headerPageOffset)
    layout.indexFormats()
    guard !layout.buffers.isEmpty else {
      throw TraceParseError(reason: .invalidValue(what: "trace.dat", found: "no flyrecord buffer"),
                            location: InputLocation(file: file.path, byteOffset: 0))
    }
    return layout
  }

  /// Checks each format (``EventFormatCheck``), keeping the text libtraceevent may parse,
  /// and finds each format's `ID: n` line.
  private mutating func indexFormats() {
    var withheld: [(system: String, format: [UInt8])] = []
    var outcomes = Self.checkConcurrently(ftraceFormats + eventFormats.map(\.format)).makeIterator()
    ftraceFormats = ftraceFormats.compactMap { format in
      let kept = checked(format, system: "ftrace", outcome: outcomes.next()!)
      if kept == nil { withheld.append(("ftrace", format)) }
      return kept
    }
    eventFormats = eventFormats.compactMap { entry in
      let kept = checked(entry.format, system: entry.system, outcome: outcomes.next()!)
      if kept == nil { withheld.append(entry) }
      return kept.map { (entry.system, $0) }
    }
    // A withheld format costs only its own type: a stand-in with its name, its id and the
    // common fields of a format that passed (so the type and pid of every record still read
    // through the lowest-id event) and no print fmt, which libtraceevent flags failed and
    // prints as `[FAILED TO PARSE]` (as trace-cmd prints the format it could not parse).
    let common = (ftraceFormats + eventFormats.map(\.format)).lazy.map(Self.commonFieldLines).first { !$0.isEmpty }
    for (system, format) in withheld {
      guard let common, let id = Self.formatID(format), let name = Self.formatLine(format, label: "name: ") else { continue }
      unusableFormatIDs.insert(id)
      let stub = Array("name: \(name)\nID: \(id)\nformat:\n".utf8) + common + Array("\n".utf8)
      if system == "ftrace" { ftraceFormats.append(stub) } else { eventFormats.append((system, stub)) }
    }
    let all = ftraceFormats.map { ("ftrace", $0) } + eventFormats.map { ($0.system, $0.format) }
    for (system, format) in all {
      guard let id = Self.formatID(format) else { continue }
      formatByID[id] = (system, format)
    }
  }

  /// ``EventFormatCheck/check(_:)`` of every format, in order, on every core (a trace.dat has
  /// about 2,000 formats, checked before its first event is read).
  private static func checkConcurrently(_ formats: [[UInt8]]) -> [EventFormatCheck.Outcome] {
    let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, formats.count / 64))
    guard workers > 1 else { return formats.map(EventFormatCheck.check) }
    let parts = Mutex<[Int: [EventFormatCheck.Outcome]]>([:])
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      let range = formats.count * worker / workers..<formats.count * (worker + 1) / workers
      let outcomes = formats[range].map(EventFormatCheck.check)
      parts.withLock { $0[worker] = outcomes }
    }
    let done = parts.withLock { $0 }
    return (0..<workers).flatMap { done[$0]! }
  }

  /// The format with its print fmt removed when `outcome` (its ``EventFormatCheck``) says it
  /// failed, or nil when it is withheld whole, noting why in ``formatWarnings``.
  private mutating func checked(_ format: [UInt8], system: String, outcome: EventFormatCheck.Outcome) -> [UInt8]? {
    guard let problem = outcome.problem else { return format }
    let name = Self.formatLine(format, label: "name: ") ?? "?"
    let id = Self.formatID(format).map(String.init) ?? "?"
    if outcome.isDropped {
      formatWarnings.append("event \(system):\(name) (id \(id)): its format \(problem); its events are counted as of an unknown type (unknown:\(id))")
      return nil
    }
    formatWarnings.append(
      "event \(system):\(name) (id \(id)): its print fmt \(problem); "
        + "it is parsed without its print fmt (its events print through a plugin or as [FAILED TO PARSE])")
    return outcome.format
  }

  /// The layout events of type `id` are read with when its format was withheld: system
  /// `unknown`, the id as name, no fields (what the format says cannot be trusted).
  func unknownTypeLayout(_ id: Int) -> EventLayout? {
    unusableFormatIDs.contains(id) ? EventLayout(id: id, system: "unknown", name: String(id), fields: []) : nil
  }

  /// The `field:` lines of a format's `common_*` fields, newline-terminated; empty when it has
  /// no `common_type` or `common_pid`.
  private static func commonFieldLines(_ format: [UInt8]) -> [UInt8] {
    var lines: [UInt8] = []
    var names: Set<String> = []
    for line in format.split(separator: UInt8(ascii: "\n")) {
      let text = String(decoding: line, as: UTF8.self)
      guard text.hasPrefix("\tfield:"), let semicolon = text.firstIndex(of: ";") else { continue }
      guard let name = text[..<semicolon].split(separator: " ").last, name.hasPrefix("common_") else { continue }
      names.insert(String(name))
      lines += line + [UInt8(ascii: "\n")]
    }
    return names.isSuperset(of: ["common_type", "common_pid"]) ? lines : []
  }

  /// The number on a format's `ID: n` line.
  private static func formatID(_ format: [UInt8]) -> Int? {
    guard let text = formatLine(format, label: "ID: ") else { return nil }
    return Int(text)
  }

  /// The rest of the first line starting with `label`.
  private static func formatLine(_ format: [UInt8], label: String) -> String? {
    let label = Array(label.utf8)
    var start = 0
    // Line by line without splitting the whole format (it runs for every one of ~2,000).
    while start < format.count {
      let end = format[start...].firstIndex(of: UInt8(ascii: "\n")) ?? format.count
      if end > start, format[start..<end].starts(with: label) {
        return String(decoding: format[(start + label.count)..<end], as: UTF8.self)
      }
      start = end + 1
    }
    return nil
  }

  private func cursor(_ bytes: [UInt8], at offset: Int) -> ByteCursor {
    ByteCursor(bytes: bytes, file: file, baseOffset: offset, bigEndian: bigEndian)
  }

  /// Reads `count` bytes at `offset`, or fails naming what did not fit.
  private func readChecked(_ file: FileBytes, at offset: Int, count: Int, what: String, from origin: Int) throws -> [UInt8] {
    guard offset >= 0, count >= 0, offset <= fileSize, count <= fileSize - offset else {
      throw TraceParseError(reason: .sectionPastEnd(section: what, end: offset &+ count, fileSize: fileSize),
                            location: InputLocation(file: self.file, byteOffset: origin))
    }
    return try file.read(at: offset, count: count)
  }

  // MARK: - Version 7: sections located through options

  private mutating func readVersion7(_ file: FileBytes, headerCursor: inout ByteCursor) throws {
    let compressionName = try headerCursor.readCString()
    _ = try headerCursor.readCString()  // compression library version
    guard let algorithm = CompressionAlgorithm(rawValue: compressionName) else {
      throw headerCursor.error(.unsupportedCompression(compressionName))
    }
    compression = algorithm
    var optionsOffset = Int(clamping: try headerCursor.readUInt64())
    var origin = headerCursor.offset - 8
    var visited: Set<Int> = []
    while optionsOffset != 0 {
      guard visited.insert(optionsOffset).inserted else {
        throw TraceParseError(reason: .invalidValue(what: "options section chain", found: "loop at \(optionsOffset)"),
                              location: InputLocation(file: self.file, byteOffset: origin))
      }
      let (sectionID, content, contentOffset) = try readSection(file, at: optionsOffset, what: "options section", from: origin)
      guard sectionID == OptionID.done.rawValue else {
        throw TraceParseError(reason: .invalidValue(what: "options section id", found: "\(sectionID)"),
                              location: InputLocation(file: self.file, byteOffset: optionsOffset))
      }
      origin = optionsOffset
      optionsOffset = try readOptions(file, content, at: contentOffset)
    }
  }

  /// Reads a v7 section header and its content, decompressing it when flagged.
  /// Returns the section id, the content, and the file offset the content's errors refer to.
  private func readSection(_ file: FileBytes, at offset: Int, what: String, from origin: Int) throws -> (UInt16, [UInt8], Int) {
    var header = cursor(try readChecked(file, at: offset, count: 16, what: "\(what) header", from: origin), at: offset)
    let id = try header.readUInt16()
    let flags = try header.readUInt16()
    _ = try header.readUInt32()  // string id of the description
    let size = Int(clamping: try header.readUInt64())
    let body = try readChecked(file, at: offset + 16, count: size, what: what, from: offset)
    guard flags & 1 != 0 else { return (id, body, offset + 16) }
    var compressed = cursor(body, at: offset + 16)
    let compressedSize = try compressed.readLength(size: 4, what: "\(what) compressed data")
    let plainSize = Int(try compressed.readUInt32())
    // The compressed size was checked before the 4-byte uncompressed size was read.
    guard compressedSize <= compressed.remaining else {
      throw TraceParseError(reason: .invalidValue(what: "\(what) compressed size", found: "\(compressedSize) bytes in a \(size)-byte section"),
                            location: InputLocation(file: self.file, byteOffset: offset + 16))
    }
    guard plainSize <= 1 << 30 else {
      throw compressed.error(.invalidValue(what: "uncompressed size", found: "\(plainSize)"), at: 4)
    }
    var plain: [UInt8] = []
    try compression.decompress(body[8..<8 + compressedSize], expectedSize: plainSize, into: &plain,
                               location: InputLocation(file: self.file, byteOffset: offset + 24))
    return (id, Array(plain[0..<plainSize]), offset + 16)
  }

  /// Parses one options section; returns the offset of the next one (0: none).
  private mutating func readOptions(_ file: FileBytes, _ content: [UInt8], at contentOffset: Int) throws -> Int {
    var options = cursor(content, at: contentOffset)
    while !options.isAtEnd {
      let optionStart = options.fileOffset
      let id = try options.readUInt16()
      let size = try options.readLength(size: 4, what: "option \(id)")
      var data = cursor(try options.readBytes(size), at: options.fileOffset - size)
      switch OptionID(rawValue: id) {
      case .done:
        return size >= 8 ? Int(clamping: try data.readUInt64()) : 0
      case .headerInfo, .ftraceEvents, .eventFormats, .kallsyms, .printk, .cmdlines:
        let sectionOffset = Int(clamping: try data.readUInt64())
        let (_, section, sectionContent) = try readSection(file, at: sectionOffset, what: "section \(id)", from: optionStart)
        var sectionCursor = cursor(section, at: sectionContent)
        try readMetadataSection(OptionID(rawValue: id)!, &sectionCursor)
      case .buffer:
        try readBufferOption(file, &data, optionStart: optionStart)
      case .bufferText:
        throw data.error(.invalidValue(what: "buffer", found: "latency-format (text) buffers are not supported"), at: 0)
      default:
        try readCommonOption(id, &data)
      }
    }
    return 0
  }

  private mutating func readBufferOption(_ file: FileBytes, _ data: inout ByteCursor, optionStart: Int) throws {
    let sectionOffset = Int(clamping: try data.readUInt64())
    let name = try data.readCString()
    let clock = try data.readCString()
    // trace-cmd 3.x writes the page size before the CPU count; the v7 man page omits it.
    var bufferPage = pageSize
    let rest = data.remaining
    if rest >= 8, (rest - 8) % 20 == 0 {
      var probe = data
      let page = Int(try probe.readUInt32())
      let count = Int(try probe.readUInt32())
      if count * 20 == rest - 8 {
        bufferPage = page
        data = probe
        try appendBuffer(name: name, clock: clock, pageSize: bufferPage, count: count, &data, file: file, section: sectionOffset)
        return
      }
    }
    let count = Int(try data.readUInt32())
    try appendBuffer(name: name, clock: clock, pageSize: bufferPage, count: count, &data, file: file, section: sectionOffset)
  }

  private mutating func appendBuffer(
    name: String, clock: String, pageSize: Int, count: Int, _ data: inout ByteCursor, file: FileBytes, section: Int
  ) throws {
    guard pageSize >= 256, pageSize & (pageSize - 1) == 0, pageSize <= 1 << 20 else {
      throw data.error(.invalidValue(what: "buffer page size", found: "\(pageSize)"))
    }
    var cpus: [CPUData] = []
    for _ in 0..<count {
      let start = data.fileOffset
      let cpu = Int(try data.readUInt32())
      guard cpu < TraceMetadata.maximumCPUs else {
        throw TraceParseError(reason: .invalidValue(what: "CPU number of buffer \"\(name)\"", found: "\(cpu) (Linux has at most \(TraceMetadata.maximumCPUs) CPUs)"),
                              location: InputLocation(file: self.file, byteOffset: start))
      }
      let offset = Int(clamping: try data.readUInt64())
      let size = Int(clamping: try data.readUInt64())
      guard offset <= fileSize, size <= fileSize - offset else {
        throw TraceParseError(reason: .sectionPastEnd(section: "CPU \(cpu) data of buffer \"\(name)\"", end: offset &+ size, fileSize: fileSize),
                              location: InputLocation(file: self.file, byteOffset: start))
      }
      cpus.append(CPUData(cpu: cpu, offset: offset, size: size))
    }
    buffers.append(Buffer(name: name, clock: clock, pageSize: pageSize, cpus: cpus))
  }

  private mutating func readCommonOption(_ id: UInt16, _ data: inout ByteCursor) throws {
    switch OptionID(rawValue: id) {
    case .cpuCount: cpuCount = Int(try data.readUInt32())
    case .uname: uname = try data.readCString()
    case .traceClock:
      let text = String(decoding: data.bytes, as: UTF8.self)
      if let open = text.firstIndex(of: "["), let close = text[open...].firstIndex(of: "]") {
        traceClock = String(text[text.index(after: open)..<close])
      }
    case .cpuStat:
      let text = String(decoding: data.bytes.prefix { $0 != 0 }, as: UTF8.self)
      if let stats = CPUStat(text: text) { droppedPerCPU[stats.cpu, default: 0] += stats.dropped }
    default: break
    }
  }

  private mutating func readMetadataSection(_ id: OptionID, _ section: inout ByteCursor) throws {
    switch id {
    case .headerInfo:
      for expected in ["header_page", "header_event"] {
        let start = section.offset
        let label = try section.readCString()
        guard label == expected else {
          throw section.error(.malformedLine(expected: expected, found: label), at: start)
        }
        let size = try section.readLength(size: 8, what: expected)
        let contentOffset = section.fileOffset
        let bytes = try section.readBytes(size)
        if expected == "header_page" {
          headerPage = bytes
          headerPageOffset = contentOffset
        } else {
          headerEvent = bytes
        }
      }
    case .ftraceEvents:
      let count = Int(try section.readUInt32())
      for _ in 0..<count {
        let size = try section.readLength(size: 8, what: "ftrace event format")
        ftraceFormats.append(try section.readBytes(size))
      }
    case .eventFormats:
      let systems = Int(try section.readUInt32())
      for _ in 0..<systems {
        let system = try section.readCString()
        let count = Int(try section.readUInt32())
        for _ in 0..<count {
          let size = try section.readLength(size: 8, what: "event format of \(system)")
          eventFormats.append((system, try section.readBytes(size)))
        }
      }
    case .kallsyms:
      let size = try section.readLength(size: 4, what: "kallsyms")
      kallsyms = try section.readBytes(size)
    case .printk:
      let size = try section.readLength(size: 4, what: "printk formats")
      printkFormats = try section.readBytes(size)
      printkStrings = Self.printkStrings(printkFormats)
    case .cmdlines:
      let size = try section.readLength(size: 8, what: "saved cmdlines")
      cmdlines = try section.readBytes(size)
    default: break
    }
  }

  // MARK: - Version 6: sections in a fixed order

  private mutating func readVersion6(_ file: FileBytes, from start: Int) throws {
    // Everything up to the flyrecord table is metadata: read it in one piece, bounded by the
    // first CPU's data (page aligned after the header).
    let whole = try file.read(at: 0, count: min(fileSize, 64 << 20))
    var section = cursor(whole, at: 0)
    section.seek(to: start)
    try readMetadataSection(.headerInfo, &section)
    try readMetadataSection(.ftraceEvents, &section)
    try readMetadataSection(.eventFormats, &section)
    try readMetadataSection(.kallsyms, &section)
    try readMetadataSection(.printk, &section)
    try readMetadataSection(.cmdlines, &section)
    let cpus = Int(try section.readUInt32())
    cpuCount = cpus
    var label = String(decoding: try section.readBytes(10), as: UTF8.self)
    var extraBuffers: [(name: String, offset: Int, origin: Int)] = []
    if label == "options  \0" {
      while true {
        let optionStart = section.fileOffset
        let id = try section.readUInt16()
        if id == 0 { break }
        let size = try section.readLength(size: 4, what: "option \(id)")
        var data = cursor(try section.readBytes(size), at: section.fileOffset - size)
        if OptionID(rawValue: id) == .buffer {
          let offset = Int(clamping: try data.readUInt64())
          extraBuffers.append((try data.readCString(), offset, optionStart))
        } else {
          try readCommonOption(id, &data)
        }
      }
      label = String(decoding: try section.readBytes(10), as: UTF8.self)
    }
    guard label == "flyrecord\0" else {
      if label == "latency  \0" {
        throw section.error(.invalidValue(what: "trace.dat", found: "latency-format (text) data is not supported"), at: section.offset - 10)
      }
      throw section.error(.malformedLine(expected: "flyrecord", found: label), at: section.offset - 10)
    }
    try appendBuffer(name: "", clock: traceClock ?? "", pageSize: pageSize, count: cpus, &section, cpuIDs: true)
    for extra in extraBuffers {
      var table = cursor(try readChecked(file, at: extra.offset, count: 10 + 16 * cpus, what: "buffer \"\(extra.name)\" table", from: extra.origin), at: extra.offset)
      let tableLabel = String(decoding: try table.readBytes(10), as: UTF8.self)
      guard tableLabel == "flyrecord\0" else {
        throw table.error(.malformedLine(expected: "flyrecord", found: tableLabel), at: 0)
      }
      try appendBuffer(name: extra.name, clock: traceClock ?? "", pageSize: pageSize, count: cpus, &table, cpuIDs: true)
    }
  }

  /// v6 flyrecord tables list (offset, size) per CPU in CPU order.
  private mutating func appendBuffer(name: String, clock: String, pageSize: Int, count: Int, _ data: inout ByteCursor, cpuIDs: Bool) throws {
    var cpus: [CPUData] = []
    for cpu in 0..<count {
      let start = data.fileOffset
      let offset = Int(clamping: try data.readUInt64())
      let size = Int(clamping: try data.readUInt64())
      guard offset <= fileSize, size <= fileSize - offset else {
        throw TraceParseError(reason: .sectionPastEnd(section: "CPU \(cpu) data of buffer \"\(name)\"", end: offset &+ size, fileSize: fileSize),
                              location: InputLocation(file: file, byteOffset: start))
      }
      cpus.append(CPUData(cpu: cpu, offset: offset, size: size))
    }
    buffers.append(Buffer(name: name, clock: clock, pageSize: pageSize, cpus: cpus))
  }
}

/// The counters of one CPUSTAT option (`per_cpu/cpuN/stats`).
struct CPUStat {
  var cpu: Int
  /// `overrun` + `dropped events`: events the kernel lost before they could be saved.
  var dropped: Int

  init?(text: String) {
    var cpu: Int?
    var dropped = 0
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1)
      guard parts.count == 2 else { continue }
      let value = Int(parts[1].trimmingCharacters(in: " \t")) ?? 0
      switch parts[0] {
      case "CPU": cpu = value
      case "overrun", "dropped events": dropped += value
      default: break
      }
    }
    guard let cpu else { return nil }
    self.cpu = cpu
    self.dropped = dropped
  }
}

extension Substring {
  fileprivate func trimmingCharacters(in set: String) -> Substring {
    var result = self
    while let first = result.first, set.contains(first) { result = result.dropFirst() }
    while let last = result.last, set.contains(last) { result = result.dropLast() }
    return result
  }
}

extension TraceDatLayout {
  /// Parses `printk_formats` lines, `0xffffba11ff20d368 : "Function call interrupts"`;
  /// lines in another shape are skipped (they name no string a field can point to).
  static func printkStrings(_ bytes: [UInt8]) -> [UInt64: String] {
    var strings: [UInt64: String] = [:]
    for line in bytes.split(separator: 10) {
      guard line.starts(with: Array("0x".utf8)), let colon = line.firstIndex(of: 0x3A),
        let open = line.firstIndex(of: 0x22), let close = line.lastIndex(of: 0x22), open < close, colon < open
      else { continue }
      let hex = line[line.startIndex + 2..<colon].filter { $0 != 0x20 }
      guard let address = UInt64(String(decoding: hex, as: UTF8.self), radix: 16) else { continue }
      strings[address] = String(decoding: line[(open + 1)..<close], as: UTF8.self)
    }
    return strings
  }
}
