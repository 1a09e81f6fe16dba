import TraceModel

/// Where a ring-buffer page's header fields sit, read from the trace's `header_page` format
/// (the kernel's `events/header_page`).
///
/// Every page-layout fact comes from here, never from the file header's long size: trace-cmd
/// does the same (lib/trace-cmd/trace-input.c, `read_header_files`, takes the ring buffer's
/// long size from `tep_get_header_page_size`). The two differ on `trace-cmd convert`
/// rewrites of 32-bit traces: the rewrite's header says long size 8 while `header_page`
/// keeps the kernel's 4-byte `commit`.
///
/// The kernel prints (kernel/trace/ring_buffer.c, `ring_buffer_print_page_header`):
/// ```
/// field: u64 timestamp;  offset:0;  size:8;  signed:0;
/// field: local_t commit; offset:8;  size:4;  signed:1;    (size: the kernel's long)
/// field: int overwrite;  offset:8;  size:1;  signed:1;    (a flag bit inside commit)
/// field: char data;      offset:12; size:4084; signed:1;
/// ```
struct PageHeaderLayout: Sendable, Hashable {
  /// Byte offset and size of the page's base timestamp (u64 nanoseconds or clock ticks).
  var timestampOffset: Int
  var timestampSize: Int
  /// Byte offset and size (4 or 8: the kernel's long) of `commit`, whose low 27 bits are the
  /// data size and high bits flag missed events.
  var commitOffset: Int
  var commitSize: Int
  /// Byte offset of the first event in the page.
  var dataOffset: Int
  /// Whether the format was present (an empty `header_page` means the pre-2.6.31 layout,
  /// which libtraceevent derives from the long size).
  var isFromFormat: Bool

  /// The layout a file without a `header_page` format implies: u64 timestamp, then a
  /// `long` commit of the file's long size, then the data.
  init(defaultFor longSize: Int) {
    timestampOffset = 0
    timestampSize = 8
    commitOffset = 8
    commitSize = longSize
    dataOffset = 8 + longSize
    isFromFormat = false
  }

  /// Parses the `header_page` format text.
  ///
  /// The layouts ``RingBufferPage`` (and libtraceevent's kbuffer) can walk are accepted:
  /// timestamp u64 at 0, commit of 4 or 8 bytes right after it, data right after commit.
  /// Anything else is refused here, before a page is read with the wrong layout.
  ///
  /// - Parameters:
  ///   - offset: the file offset of the format text, for error locations.
  /// - Throws: ``TraceParseError`` naming the field and the value found.
  init(format: [UInt8], longSize: Int, file: String, offset: Int) throws(TraceParseError) {
    guard !format.isEmpty else {
      self.init(defaultFor: longSize)
      return
    }
    var fields: [String: (offset: Int, size: Int)] = [:]
    for line in format.split(separator: UInt8(ascii: "\n")) {
      let text = String(decoding: line, as: UTF8.self)
      guard let field = Self.parseField(text) else { continue }
      fields[field.name] = (field.offset, field.size)
    }
    func refuse(_ what: String, _ found: String) -> TraceParseError {
      TraceParseError(reason: .invalidValue(what: "header_page \(what)", found: found),
                      location: InputLocation(file: file, byteOffset: offset))
    }
    guard let timestamp = fields["timestamp"] else { throw refuse("timestamp field", "missing") }
    guard let commit = fields["commit"] else { throw refuse("commit field", "missing") }
    guard let data = fields["data"] else { throw refuse("data field", "missing") }
    // trace-cmd refuses other timestamp sizes too ("expected a long long type for timestamp").
    guard timestamp.offset == 0, timestamp.size == 8 else {
      throw refuse("timestamp", "offset \(timestamp.offset), size \(timestamp.size) (only a u64 at offset 0 is read)")
    }
    guard commit.offset == 8, commit.size == 4 || commit.size == 8 else {
      throw refuse("commit", "offset \(commit.offset), size \(commit.size) (only a 4- or 8-byte long at offset 8 is read)")
    }
    guard data.offset == commit.offset + commit.size else {
      throw refuse("data offset", "\(data.offset) with a \(commit.size)-byte commit (pages hold their data at \(8 + commit.size))")
    }
    self.init(defaultFor: commit.size)
    isFromFormat = true
  }

  /// `field: TYPE NAME; offset:N; size:N; ...` → (NAME, N, N); nil for other lines.
  private static func parseField(_ line: String) -> (name: String, offset: Int, size: Int)? {
    let parts = line.split(separator: ";").map { $0.trimmingCharacters() }
    guard parts.count >= 3, parts[0].hasPrefix("field:") else { return nil }
    guard let name = parts[0].split(separator: " ").last.map(String.init) else { return nil }
    var offset: Int?
    var size: Int?
    for part in parts.dropFirst() {
      if part.hasPrefix("offset:") { offset = Int(part.dropFirst(7)) }
      if part.hasPrefix("size:") { size = Int(part.dropFirst(5)) }
    }
    guard let offset, let size else { return nil }
    // `char data[]` style names keep only the identifier.
    let identifier = name.prefix { $0 != "[" }
    return (String(identifier), offset, size)
  }
}

extension Substring {
  fileprivate func trimmingCharacters() -> Substring {
    var result = self
    while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
    while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
    return result
  }
}
