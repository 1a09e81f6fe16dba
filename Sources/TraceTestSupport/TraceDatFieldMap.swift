/// Finds the fields of a trace.dat that hold sizes, offsets, counts and ids, by walking the file
/// as trace-cmd.dat.v6(5) and trace-cmd.dat.v7(5) describe it: the header's fields, v7 section
/// headers and option lengths, v6 section sizes, flyrecord tables, compressed chunk headers, and
/// in uncompressed data the ring-buffer page headers and event headers and lengths.
///
/// This walker is the fuzzer's own, written from the man pages and not from pokestat's reader,
/// so a reader bug does not hide the field it mishandles. It is lenient: it stops following a
/// structure at the first value that does not fit and returns what it found.
public enum TraceDatFieldMap {
  public static func fields(of bytes: [UInt8]) -> [StructField] {
    var walker = Walker(bytes: bytes)
    walker.walk()
    return walker.fields
  }
}

private struct Walker {
  let bytes: [UInt8]
  var fields: [StructField] = []
  var bigEndian = false
  var longSize = 8
  var pageSize = 4096
  var compressed = false
  var visited: Set<Int> = []

  init(bytes: [UInt8]) { self.bytes = bytes }

  func value(_ offset: Int, _ width: Int) -> UInt64? {
    guard offset >= 0, width > 0, offset <= bytes.count - width else { return nil }
    var result: UInt64 = 0
    for index in 0..<width {
      let byte = UInt64(bytes[offset + (bigEndian ? index : width - 1 - index)])
      result = result << 8 | byte
    }
    return result
  }

  func int(_ offset: Int, _ width: Int) -> Int? {
    guard let raw = value(offset, width), raw <= UInt64(bytes.count) else { return nil }
    return Int(raw)
  }

  mutating func mark(_ offset: Int, _ width: Int, _ name: String) {
    guard offset >= 0, offset <= bytes.count - width else { return }
    fields.append(StructField(offset: offset, width: width, name: name))
  }

  func stringEnd(_ offset: Int) -> Int? {
    guard offset >= 0, offset < bytes.count else { return nil }
    return bytes[offset...].firstIndex(of: 0)
  }

  mutating func walk() {
    let magic: [UInt8] = [0x17, 0x08, 0x44] + Array("tracing".utf8)
    guard bytes.count > 24, Array(bytes[0..<10]) == magic, let versionEnd = stringEnd(10) else { return }
    let version = Int(String(decoding: bytes[10..<versionEnd], as: UTF8.self)) ?? 0
    var at = versionEnd + 1
    mark(10, 1, "version digit")
    mark(at, 1, "endianness")
    bigEndian = bytes[at] == 1
    mark(at + 1, 1, "long size")
    longSize = bytes[at + 1] == 4 ? 4 : 8
    mark(at + 2, 4, "page size")
    pageSize = int(at + 2, 4) ?? 4096
    guard pageSize >= 64 else { return }
    at += 6
    if version == 7 {
      guard let nameEnd = stringEnd(at), let libraryEnd = stringEnd(nameEnd + 1) else { return }
      compressed = String(decoding: bytes[at..<nameEnd], as: UTF8.self) != "none"
      at = libraryEnd + 1
      mark(at, 8, "first options offset")
      if let options = int(at, 8) { walkOptionsChain(options) }
    } else {
      walkVersion6(at)
    }
  }

  // MARK: - v7

  /// Marks a section header; returns where its content starts and its size, if readable.
  mutating func sectionHeader(_ offset: Int, _ what: String) -> (content: Int, size: Int, compressed: Bool)? {
    guard visited.insert(offset).inserted, let flags = value(offset + 2, 2), let size = int(offset + 8, 8) else { return nil }
    mark(offset, 2, "\(what) section id")
    mark(offset + 2, 2, "\(what) section flags")
    mark(offset + 4, 4, "\(what) section string id")
    mark(offset + 8, 8, "\(what) section size")
    if flags & 1 != 0 {
      mark(offset + 16, 4, "\(what) compressed size")
      mark(offset + 20, 4, "\(what) uncompressed size")
    }
    return (offset + 16, size, flags & 1 != 0)
  }

  mutating func walkOptionsChain(_ first: Int) {
    var next = first
    var sections = 0
    while next != 0, sections < 16 {
      sections += 1
      guard let (content, size, isCompressed) = sectionHeader(next, "options"), !isCompressed else { return }
      next = 0
      var at = content
      let end = min(content + size, bytes.count)
      while at + 6 <= end {
        guard let id = value(at, 2), let optionSize = int(at + 2, 4) else { return }
        mark(at, 2, "option id")
        mark(at + 2, 4, "option \(id) size")
        let data = at + 6
        switch id {
        case 0:
          mark(data, 8, "next options offset")
          next = int(data, 8) ?? 0
          at = end
          continue
        case 16...21:
          mark(data, 8, "option \(id) section offset")
          if let section = int(data, 8) { walkMetadataSection(section, id: Int(id)) }
        case 3:
          walkBufferOption(data, size: optionSize)
        case 8:
          mark(data, 4, "cpu count")
        default: break
        }
        at = data + optionSize
      }
    }
  }

  mutating func walkMetadataSection(_ offset: Int, id: Int) {
    guard let (content, _, isCompressed) = sectionHeader(offset, "metadata \(id)"), !isCompressed else { return }
    switch id {
    case 16:
      // header_page\0 u64 size, header_event\0 u64 size
      guard let pageLabel = stringEnd(content) else { return }
      mark(pageLabel + 1, 8, "header_page size")
      guard let size = int(pageLabel + 1, 8), let eventLabel = stringEnd(pageLabel + 9 + size) else { return }
      mark(eventLabel + 1, 8, "header_event size")
    case 17:
      walkFormatList(content, "ftrace")
    case 18:
      mark(content, 4, "event system count")
      guard let systems = int(content, 4) else { return }
      var at = content + 4
      for _ in 0..<min(systems, 64) {
        guard let nameEnd = stringEnd(at) else { return }
        guard let next = walkFormatList(nameEnd + 1, "system") else { return }
        at = next
      }
    case 19, 20:
      mark(content, 4, id == 19 ? "kallsyms size" : "printk size")
    case 21:
      mark(content, 8, "cmdlines size")
    default: break
    }
  }

  /// A u32 count then count × (u64 size, bytes); returns the offset after it.
  @discardableResult
  mutating func walkFormatList(_ offset: Int, _ what: String) -> Int? {
    mark(offset, 4, "\(what) format count")
    guard let count = int(offset, 4) else { return nil }
    var at = offset + 4
    for _ in 0..<min(count, 4096) {
      mark(at, 8, "\(what) format size")
      guard let size = int(at, 8) else { return nil }
      at += 8 + size
    }
    return at
  }

  mutating func walkBufferOption(_ data: Int, size: Int) {
    mark(data, 8, "buffer data offset")
    if let section = int(data, 8) { _ = sectionHeader(section, "buffer data") }
    guard let nameEnd = stringEnd(data + 8), let clockEnd = stringEnd(nameEnd + 1) else { return }
    var at = clockEnd + 1
    let rest = data + size - at
    if rest >= 8, (rest - 8) % 20 == 0 {
      mark(at, 4, "buffer page size")
      at += 4
    }
    mark(at, 4, "buffer cpu count")
    guard let count = int(at, 4) else { return }
    at += 4
    for _ in 0..<min(count, 256) {
      mark(at, 4, "buffer cpu id")
      mark(at + 4, 8, "cpu data offset")
      mark(at + 12, 8, "cpu data size")
      if let offset = int(at + 4, 8), let size = int(at + 12, 8) { walkCPUData(offset, size) }
      at += 20
    }
  }

  mutating func walkCPUData(_ offset: Int, _ size: Int) {
    guard compressed else {
      walkPages(offset, size)
      return
    }
    mark(offset, 4, "chunk count")
    guard let count = int(offset, 4) else { return }
    var at = offset + 4
    for _ in 0..<min(count, 64) {
      mark(at, 4, "chunk compressed size")
      mark(at + 4, 4, "chunk uncompressed size")
      guard let packed = int(at, 4) else { return }
      at += 8 + packed
    }
  }

  /// Page headers (u64 timestamp, long commit) and the events' headers and lengths.
  mutating func walkPages(_ offset: Int, _ size: Int) {
    var page = offset
    var pages = 0
    while page + pageSize <= min(offset + size, bytes.count), pages < 64 {
      pages += 1
      mark(page, 8, "page timestamp")
      mark(page + 8, longSize, "page commit")
      let commit = Int((value(page + 8, longSize) ?? 0) & ((1 << 27) - 1))
      var event = page + 8 + longSize
      let end = min(event + commit, page + pageSize)
      var events = 0
      while event + 4 <= end, events < 256 {
        events += 1
        guard let header = value(event, 4) else { break }
        mark(event, 4, "event header")
        let typeLength = Int(header & 31)
        switch typeLength {
        case 0:
          mark(event + 4, 4, "event length")
          guard let length = int(event + 4, 4), length >= 4 else { break }
          event += 4 + (length + 3) & ~3
        case 29:
          mark(event + 4, 4, "padding length")
          event = end
        case 30, 31:
          mark(event + 4, 4, "time extend")
          event += 8
        default:
          event += 4 + typeLength * 4
        }
      }
      page += pageSize
    }
  }

  // MARK: - v6

  mutating func walkVersion6(_ start: Int) {
    var at = start
    guard let pageLabel = stringEnd(at) else { return }
    mark(pageLabel + 1, 8, "header_page size")
    guard let pageInfo = int(pageLabel + 1, 8), let eventLabel = stringEnd(pageLabel + 9 + pageInfo) else { return }
    mark(eventLabel + 1, 8, "header_event size")
    guard let eventInfo = int(eventLabel + 1, 8) else { return }
    at = eventLabel + 9 + eventInfo
    guard let afterFtrace = walkFormatList(at, "ftrace") else { return }
    at = afterFtrace
    mark(at, 4, "event system count")
    guard let systems = int(at, 4) else { return }
    at += 4
    for _ in 0..<min(systems, 64) {
      guard let nameEnd = stringEnd(at), let next = walkFormatList(nameEnd + 1, "system") else { return }
      at = next
    }
    for (what, width) in [("kallsyms size", 4), ("printk size", 4), ("cmdlines size", 8)] {
      mark(at, width, what)
      guard let size = int(at, width) else { return }
      at += width + size
    }
    mark(at, 4, "cpu count")
    guard let cpus = int(at, 4), cpus < 4096 else { return }
    at += 4
    var tables: [Int] = []
    if at + 10 <= bytes.count, Array(bytes[at..<at + 10]) == Array("options  \0".utf8) {
      at += 10
      var options = 0
      while let id = value(at, 2), id != 0, options < 256 {
        options += 1
        mark(at, 2, "option id")
        mark(at + 2, 4, "option \(id) size")
        guard let size = int(at + 2, 4) else { return }
        if id == 3 {
          mark(at + 6, 8, "buffer table offset")
          if let table = int(at + 6, 8) { tables.append(table) }
        }
        at += 6 + size
      }
      at += 2
    }
    tables.insert(at, at: 0)
    for table in tables {
      var entry = table + 10
      for cpu in 0..<min(cpus, 256) {
        mark(entry, 8, "cpu \(cpu) data offset")
        mark(entry + 8, 8, "cpu \(cpu) data size")
        if let offset = int(entry, 8), let size = int(entry + 8, 8) { walkPages(offset, size) }
        entry += 16
      }
    }
  }
}
