import TraceModel

/// Everything a trace.dat holds: the kernel's ring-buffer and event formats, symbol tables,
/// the machine's description, and one buffer's per-CPU ring-buffer pages.
///
/// Byte fields hold tracefs files as the kernel printed them (`events/header_page`,
/// `events/<system>/<event>/format`, `/proc/kallsyms`, `printk_formats`, `saved_cmdlines`).
public struct TraceDatContents: Sendable {
  /// The formats of one event system (`events/<system>/*/format`).
  public struct EventSystem: Sendable {
    public var name: String
    public var formats: [[UInt8]]
    public init(name: String, formats: [[UInt8]]) {
      self.name = name
      self.formats = formats
    }
  }

  /// One CPU's ring-buffer pages, each `subbufferSize` bytes, in the order they were read.
  public struct CPUPages: Sendable {
    public var cpu: Int
    public var bytes: [UInt8]
    public init(cpu: Int, bytes: [UInt8]) {
      self.cpu = cpu
      self.bytes = bytes
    }
  }

  /// The traced machine's page size (the file header's page size).
  public var pageSize: Int
  /// User space's `long` size, 8 on 64-bit machines.
  public var longSize: Int = 8
  public var headerPage: [UInt8]
  public var headerEvent: [UInt8]
  /// `events/ftrace/*/format`.
  public var ftraceFormats: [[UInt8]]
  /// Every other system's formats.
  public var eventSystems: [EventSystem]
  public var kallsyms: [UInt8]
  public var printkFormats: [UInt8]
  public var savedCmdlines: [UInt8]
  /// `uname -a`-style description of the machine (sysname, release, version, machine).
  public var uname: String
  /// The content of `trace_clock` (every clock, the selected one in brackets).
  public var traceClockFile: String
  /// The selected clock's name (`local`, `global`, …).
  public var clock: String
  public var cpuCount: Int
  /// The content of `per_cpu/cpuN/stats` for each CPU.
  public var cpuStats: [Int: String]
  /// The ring buffer's sub-buffer (page) size in bytes.
  public var subbufferSize: Int
  /// The saved buffer's pages, per CPU; written as the top buffer (name "").
  public var cpuPages: [CPUPages]

  public init(
    pageSize: Int, headerPage: [UInt8], headerEvent: [UInt8], ftraceFormats: [[UInt8]], eventSystems: [EventSystem],
    kallsyms: [UInt8], printkFormats: [UInt8], savedCmdlines: [UInt8], uname: String, traceClockFile: String,
    clock: String, cpuCount: Int, cpuStats: [Int: String], subbufferSize: Int, cpuPages: [CPUPages]
  ) {
    self.pageSize = pageSize
    self.headerPage = headerPage
    self.headerEvent = headerEvent
    self.ftraceFormats = ftraceFormats
    self.eventSystems = eventSystems
    self.kallsyms = kallsyms
    self.printkFormats = printkFormats
    self.savedCmdlines = savedCmdlines
    self.uname = uname
    self.traceClockFile = traceClockFile
    self.clock = clock
    self.cpuCount = cpuCount
    self.cpuStats = cpuStats
    self.subbufferSize = subbufferSize
    self.cpuPages = cpuPages
  }
}

/// Writes trace.dat version 7 files (uncompressed or zstd, little endian) that `trace-cmd report`
/// and ``TraceDatReader`` read.
///
/// Follows trace-cmd.dat.v7(5) and what trace-cmd 3.x writes (lib/trace-cmd/trace-output.c):
///
/// ```
/// header: magic, "7", endianness, long size, page size, "none\0\0" or "zstd\0<version>\0", offset of the options section
/// STRINGS section (15)          section descriptions; first, so trace-cmd's scan from the header finds it
/// HEADER_INFO (16) … CMDLINES (21) sections
/// BUFFER section (3)            padding, then each CPU's pages at a page-aligned offset (mmap-able)
/// OPTIONS section (0)           CPUCOUNT, UNAME, TRACECLOCK, VERSION, CPUSTAT per CPU,
///                               the section offsets, BUFFER (with the page size), DONE → 0
/// ```
public enum TraceDatWriter {
  /// How sections and trace data are stored.
  public enum Compression: String, Sendable, CaseIterable {
    case none
    /// Metadata sections compressed whole; each CPU's pages in chunks of ``chunkPages`` pages.
    case zstd
  }

  /// Pages per compressed chunk of trace data.
  static let chunkPages = 64

  private typealias ID = TraceDatFormat.OptionID

  /// Writes `contents` to `path`, replacing the file: the header, the STRINGS section, the
  /// metadata sections, the flyrecord buffer, then the options section the header points at
  /// (trace-cmd.dat.v7(5) order; one function per part below).
  ///
  /// - Throws: ``NativeTraceError`` naming `open`, `write` or `pwrite` when the file cannot be written.
  public static func write(_ contents: TraceDatContents, to path: String, compression: Compression = .none) throws(NativeTraceError) {
    precondition(contents.subbufferSize >= 256 && contents.subbufferSize & (contents.subbufferSize - 1) == 0,
                 "sub-buffer size must be a power of two")
    var writer = SectionWriter(file: try OutputFile(path: path), compression: compression)
    let optionsOffsetField = try writer.writeHeader(contents)
    try writer.writeStrings()
    try writer.writeHeaderInfo(contents)
    try writer.writeFtraceEvents(contents)
    try writer.writeEventFormats(contents)
    try writer.writeKallsymsPrintkAndCmdlines(contents)
    let buffer = try writer.writeFlyrecord(contents)
    try writer.writeOptions(contents, buffer: buffer, optionsOffsetField: optionsOffsetField)
  }

  /// The state of one write: the file, the STRINGS table and where each metadata section went.
  private struct SectionWriter {
    let file: OutputFile
    let compression: Compression
    var strings = StringTable()
    /// Each metadata section's id and file offset, for the options that point at them.
    var sectionOffsets: [(ID, Int)] = []

    init(file: OutputFile, compression: Compression) {
      self.file = file
      self.compression = compression
    }

    /// Writes the file header: magic, version "7", endianness, long and page size, compression
    /// name and version, and a placeholder for the options section's offset.
    ///
    /// - Returns: the offset of that placeholder, patched by ``writeOptions(_:buffer:optionsOffsetField:)``.
    mutating func writeHeader(_ contents: TraceDatContents) throws(NativeTraceError) -> Int {
      var header = ByteWriter()
      header.append(TraceDatFormat.magic)
      header.appendCString("7")
      header.appendUInt8(0)  // little endian
      header.appendUInt8(UInt8(contents.longSize))
      header.appendUInt32(UInt32(contents.pageSize))
      header.appendCString(compression.rawValue)
      header.appendCString(compression == .zstd ? ZstdCompressor.version : "")
      let optionsOffsetField = header.bytes.count
      header.appendUInt64(0)  // patched once the options section's place is known
      try file.append(header.bytes)
      return optionsOffsetField
    }

    /// Writes the STRINGS section holding every section description, so that it comes before
    /// any section that names one.
    mutating func writeStrings() throws(NativeTraceError) {
      let descriptions = ["strings", "headers", "ftrace events", "events format", "kallsyms", "printk", "command lines",
                          "buffer flyrecord ", "options"]
      for text in descriptions { _ = strings.id(of: text) }
      try TraceDatWriter.writeSection(file, id: .strings, description: strings.id(of: "strings"), content: strings.bytes, compression: compression)
    }

    /// Writes a metadata section and remembers its offset for the options section.
    private mutating func writeMetadata(_ id: ID, description: String, _ body: ByteWriter) throws(NativeTraceError) {
      sectionOffsets.append((id, file.offset))
      try TraceDatWriter.writeSection(file, id: id, description: strings.id(of: description), content: body.bytes, compression: compression)
    }

    /// The `header_page` and `header_event` formats.
    mutating func writeHeaderInfo(_ contents: TraceDatContents) throws(NativeTraceError) {
      var body = ByteWriter()
      body.appendCString("header_page")
      body.appendUInt64(UInt64(contents.headerPage.count))
      body.append(contents.headerPage)
      body.appendCString("header_event")
      body.appendUInt64(UInt64(contents.headerEvent.count))
      body.append(contents.headerEvent)
      try writeMetadata(.headerInfo, description: "headers", body)
    }

    /// The ftrace event formats: a count, then each format's size and text.
    mutating func writeFtraceEvents(_ contents: TraceDatContents) throws(NativeTraceError) {
      var body = ByteWriter()
      body.appendUInt32(UInt32(contents.ftraceFormats.count))
      for format in contents.ftraceFormats {
        body.appendUInt64(UInt64(format.count))
        body.append(format)
      }
      try writeMetadata(.ftraceEvents, description: "ftrace events", body)
    }

    /// The other event systems' formats: a count of systems, then per system its name, a
    /// count of formats and each format's size and text.
    mutating func writeEventFormats(_ contents: TraceDatContents) throws(NativeTraceError) {
      var body = ByteWriter()
      body.appendUInt32(UInt32(contents.eventSystems.count))
      for system in contents.eventSystems {
        body.appendCString(system.name)
        body.appendUInt32(UInt32(system.formats.count))
        for format in system.formats {
          body.appendUInt64(UInt64(format.count))
          body.append(format)
        }
      }
      try writeMetadata(.eventFormats, description: "events format", body)
    }

    /// kallsyms and printk formats (32-bit size) and saved cmdlines (64-bit size), as read
    /// from tracefs.
    mutating func writeKallsymsPrintkAndCmdlines(_ contents: TraceDatContents) throws(NativeTraceError) {
      for (id, description, data, sizeWidth) in [
        (ID.kallsyms, "kallsyms", contents.kallsyms, 4), (.printk, "printk", contents.printkFormats, 4),
        (.cmdlines, "command lines", contents.savedCmdlines, 8),
      ] {
        var body = ByteWriter()
        if sizeWidth == 4 { body.appendUInt32(UInt32(data.count)) } else { body.appendUInt64(UInt64(data.count)) }
        body.append(data)
        try writeMetadata(id, description: description, body)
      }
    }

    /// Where the flyrecord section went and each CPU's pages in it.
    struct Flyrecord {
      var sectionOffset: Int
      var cpuTable: [(cpu: Int, offset: Int, size: Int)]
    }

    /// The flyrecord section: every CPU's pages, each CPU starting on a sub-buffer boundary,
    /// in zstd chunks of ``chunkPages`` pages when compressed; the section's size covers the
    /// padding and every CPU's pages.
    mutating func writeFlyrecord(_ contents: TraceDatContents) throws(NativeTraceError) -> Flyrecord {
      let bufferSection = file.offset
      var sectionHeader = ByteWriter()
      sectionHeader.appendSectionHeader(
        id: ID.buffer.rawValue, description: strings.id(of: "buffer flyrecord "), size: 0, compressed: compression == .zstd)
      try file.append(sectionHeader.bytes)
      var cpuTable: [(cpu: Int, offset: Int, size: Int)] = []
      for pages in contents.cpuPages.sorted(by: { $0.cpu < $1.cpu }) where !pages.bytes.isEmpty {
        let aligned = (file.offset + contents.subbufferSize - 1) & ~(contents.subbufferSize - 1)
        try file.append(repeatElement(UInt8(0), count: aligned - file.offset))
        let start = file.offset
        if compression == .zstd {
          // <count> then per chunk: <compressed size> <uncompressed size, whole pages> <data>.
          let chunkSize = TraceDatWriter.chunkPages * contents.subbufferSize
          var chunks = ByteWriter()
          chunks.appendUInt32(UInt32((pages.bytes.count + chunkSize - 1) / chunkSize))
          for chunkStart in stride(from: 0, to: pages.bytes.count, by: chunkSize) {
            let plain = Array(pages.bytes[chunkStart..<min(chunkStart + chunkSize, pages.bytes.count)])
            let packed = try ZstdCompressor.compress(plain, path: file.path)
            chunks.appendUInt32(UInt32(packed.count))
            chunks.appendUInt32(UInt32(plain.count))
            chunks.append(packed)
          }
          try file.append(chunks.bytes)
        } else {
          try file.append(pages.bytes)
        }
        cpuTable.append((pages.cpu, start, file.offset - start))
      }
      var sizeField = ByteWriter()
      sizeField.appendUInt64(UInt64(file.offset - bufferSection - 16))
      try file.patch(sizeField.bytes, at: bufferSection + 8)
      return Flyrecord(sectionOffset: bufferSection, cpuTable: cpuTable)
    }

    /// The options section (CPU count, uname, trace clock, version, CPU stats, the metadata
    /// sections' offsets, the flyrecord buffer's CPU table, done), then the header's pointer
    /// to it.
    mutating func writeOptions(_ contents: TraceDatContents, buffer: Flyrecord, optionsOffsetField: Int) throws(NativeTraceError) {
      var options = ByteWriter()
      func option(_ id: ID, _ data: ByteWriter) {
        options.appendUInt16(id.rawValue)
        options.appendUInt32(UInt32(data.bytes.count))
        options.append(data.bytes)
      }
      var data = ByteWriter()
      data.appendUInt32(UInt32(contents.cpuCount))
      option(.cpuCount, data)
      data = ByteWriter()
      data.appendCString(contents.uname)
      option(.uname, data)
      data = ByteWriter()
      data.appendCString(contents.traceClockFile)
      option(.traceClock, data)
      data = ByteWriter()
      data.appendCString("pokestat")
      option(.version, data)
      for cpu in contents.cpuStats.keys.sorted() {
        data = ByteWriter()
        data.appendCString("CPU: \(cpu)\n" + contents.cpuStats[cpu]!)
        option(.cpuStat, data)
      }
      for (id, offset) in sectionOffsets {
        data = ByteWriter()
        data.appendUInt64(UInt64(offset))
        option(id, data)
      }
      data = ByteWriter()
      data.appendUInt64(UInt64(buffer.sectionOffset))
      data.appendCString("")
      data.appendCString(contents.clock)
      data.appendUInt32(UInt32(contents.subbufferSize))
      data.appendUInt32(UInt32(buffer.cpuTable.count))
      for entry in buffer.cpuTable {
        data.appendUInt32(UInt32(entry.cpu))
        data.appendUInt64(UInt64(entry.offset))
        data.appendUInt64(UInt64(entry.size))
      }
      option(.buffer, data)
      data = ByteWriter()
      data.appendUInt64(0)  // no further options section
      option(.done, data)
      let optionsSection = file.offset
      try TraceDatWriter.writeSection(file, id: .done, description: strings.id(of: "options"), content: options.bytes, compression: compression)
      var offsetField = ByteWriter()
      offsetField.appendUInt64(UInt64(optionsSection))
      try file.patch(offsetField.bytes, at: optionsOffsetField)
    }
  }

  /// Writes a section header and its content; compressed sections start with
  /// <compressed size> <uncompressed size> (trace-cmd.dat.v7(5)). The STRINGS section is
  /// compressed like the others, as trace-cmd does.
  private static func writeSection(
    _ file: OutputFile, id: ID, description: UInt32, content: [UInt8], compression: Compression
  ) throws(NativeTraceError) {
    var header = ByteWriter()
    guard compression == .zstd else {
      header.appendSectionHeader(id: id.rawValue, description: description, size: content.count)
      try file.append(header.bytes)
      try file.append(content)
      return
    }
    let packed = try ZstdCompressor.compress(content, path: file.path)
    header.appendSectionHeader(id: id.rawValue, description: description, size: packed.count + 8, compressed: true)
    header.appendUInt32(UInt32(packed.count))
    header.appendUInt32(UInt32(content.count))
    try file.append(header.bytes)
    try file.append(packed)
  }
}

/// The STRINGS section: NUL-terminated strings, each named by its offset.
private struct StringTable {
  private(set) var bytes: [UInt8] = []
  private var ids: [String: UInt32] = [:]

  mutating func id(of text: String) -> UInt32 {
    if let id = ids[text] { return id }
    let id = UInt32(bytes.count)
    bytes.append(contentsOf: text.utf8)
    bytes.append(0)
    ids[text] = id
    return id
  }
}

/// Little-endian encoding into a growing byte array.
struct ByteWriter {
  private(set) var bytes: [UInt8] = []

  mutating func append(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }
  mutating func appendUInt8(_ value: UInt8) { bytes.append(value) }
  mutating func appendUInt16(_ value: UInt16) { appendLittleEndian(UInt64(value), width: 2) }
  mutating func appendUInt32(_ value: UInt32) { appendLittleEndian(UInt64(value), width: 4) }
  mutating func appendUInt64(_ value: UInt64) { appendLittleEndian(value, width: 8) }
  mutating func appendCString(_ text: String) {
    bytes.append(contentsOf: text.utf8)
    bytes.append(0)
  }

  /// A v7 section header: id, flags (0: not compressed), description string id, content size.
  mutating func appendSectionHeader(id: UInt16, description: UInt32, size: Int, compressed: Bool = false) {
    appendUInt16(id)
    appendUInt16(compressed ? 1 : 0)
    appendUInt32(description)
    appendUInt64(UInt64(size))
  }

  private mutating func appendLittleEndian(_ value: UInt64, width: Int) {
    for index in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
  }
}
