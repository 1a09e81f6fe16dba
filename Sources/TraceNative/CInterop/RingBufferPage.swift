// Unsafe code: ring-buffer pages handed to kbuffer.
//
// Invariant: kbuffer keeps the page pointer `kbuffer_load_subbuffer` gives it and reads
// through it on every later `kbuffer_read_event`/`kbuffer_next_event`. That pointer always
// points into a `PageStorage`, and the `RingBufferPage` holding the kbuffer keeps a strong
// reference to that storage (`storage`) from the `load` that hands it over until the next
// `load` or its deinit, so the bytes outlive every read kbuffer makes.
//
// `PageStorage` allocates its bytes in `init` and frees them in `deinit` (NIO's `_Storage`
// pattern); its base pointer is `fileprivate` to this file. Other code reaches the bytes only
// inside `withUnsafeBytes`, `withUnsafeMutableBytes` or `RingBufferPage.withData(of:_:)`, and
// keeps no pointer past the closure: a `RawEvent` holds offsets into its page, never a
// pointer, plus the number of the load it came from, which `withData(of:_:)` checks.

import CTraceEvent
import TraceModel

/// Bytes of ring-buffer pages, allocated and freed by this object, that kbuffer may read for
/// as long as a ``RingBufferPage`` holds it.
///
/// Not `Sendable`: one decoder (or one capture thread) owns it.
final class PageStorage {
  fileprivate let base: UnsafeMutableRawPointer
  /// Size in bytes.
  let count: Int

  /// Allocates `count` zeroed bytes (16-byte aligned).
  init(count: Int) {
    precondition(count >= 0, "negative storage size")
    base = .allocate(byteCount: Swift.max(count, 1), alignment: 16)
    base.initializeMemory(as: UInt8.self, repeating: 0, count: count)
    self.count = count
  }

  deinit { base.deallocate() }

  /// Calls `body` with the bytes; the pointer must not be kept past it.
  func withUnsafeBytes<Result, Failure: Error>(
    _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
  ) throws(Failure) -> Result {
    try body(UnsafeRawBufferPointer(start: base, count: count))
  }

  /// Calls `body` with the bytes to fill; the pointer must not be kept past it.
  ///
  /// A page a ``RingBufferPage`` has loaded must not be written until the next `load`.
  func withUnsafeMutableBytes<Result, Failure: Error>(
    _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
  ) throws(Failure) -> Result {
    try body(UnsafeMutableRawBufferPointer(start: base, count: count))
  }

  /// A copy of the bytes in `range`.
  func copyBytes(_ range: Range<Int>) -> [UInt8] {
    precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside the storage")
    return Array(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
  }
}

/// One event read from a ring-buffer page: where its bytes are in the page, not a pointer.
///
/// Its bytes are read with ``RingBufferPage/withData(of:_:)`` until the page's next `load`.
struct RawEvent {
  /// Nanoseconds (or clock ticks) on the trace clock.
  var timestamp: UInt64
  /// Where the event's payload (starting with `common_type`) starts in the page, in bytes.
  var dataOffset: Int
  /// The payload's size in bytes (`kbuffer_event_size`).
  var dataCount: Int
  /// The record's byte offset within the page (`kbuffer_curr_offset`), for error locations.
  var offsetInPage: Int
  /// Events lost before this one (first event of a page only): -1 unknown number.
  var missedBefore: Int
  /// Which `load` of its ``RingBufferPage`` it came from.
  fileprivate var generation: Int
}

/// Reads events from ring-buffer pages ("sub-buffers"), owning a `struct kbuffer *` and
/// holding the ``PageStorage`` of the page it has loaded.
final class RingBufferPage {
  /// kbuffer returned a record that does not fit in its page (a corrupt length or type), or a
  /// page header claims more data than the page holds.
  struct RecordPastPage: Error {
    /// The record's offset in the page and the payload size kbuffer gave it (may be negative).
    var offsetInPage: Int
    var size: Int
  }

  /// Bytes past a page's end kbuffer may read: a record's header word plus its extended
  /// length or time (8 bytes), read before the record is checked against the commit size.
  static let slackBytes = 8

  private let handle: OpaquePointer
  private var first = true
  /// The storage of the loaded page: kbuffer's pointer points into it.
  private var storage: PageStorage?
  private var pageOffset = 0
  private var generation = 0
  private let pageSize: Int
  private let longSize: Int
  private let bigEndian: Bool

  /// Allocates with `kbuffer_alloc` for the file's long size and byte order.
  ///
  /// - Parameters:
  ///   - longSize: the size of the page header's `commit` field (``PageHeaderLayout``).
  ///   - pageSize: bytes per page, the bound every record is checked against.
  /// - Throws: ``NativeTraceError`` naming `kbuffer_alloc` (ENOMEM).
  init(longSize: Int, pageSize: Int, bigEndian: Bool, oldFormat: Bool, path: String) throws(NativeTraceError) {
    handle = try SystemCall.nonNil("kbuffer_alloc", path: path, orElse: .noMemory) {
      kbuffer_alloc(longSize == 8 ? KBUFFER_LSIZE_8 : KBUFFER_LSIZE_4, bigEndian ? KBUFFER_ENDIAN_BIG : KBUFFER_ENDIAN_LITTLE)
    }
    if oldFormat { kbuffer_set_old_format(handle) }
    self.pageSize = pageSize
    self.longSize = longSize == 8 ? 8 : 4
    self.bigEndian = bigEndian
  }

  deinit { kbuffer_free(handle) }

  /// Starts reading the page at byte `offset` of `storage` (`kbuffer_load_subbuffer`), and
  /// holds `storage` until the next `load`; false when the page holds nothing.
  ///
  /// `storage` must hold the page plus ``slackBytes``, and its page must not be written
  /// until the next `load`. Events of the previous page can no longer be read.
  ///
  /// - Throws: ``RecordPastPage`` when the page header's commit size (the bytes kbuffer will
  ///   walk) runs past the page; nothing is handed to kbuffer then.
  func load(_ storage: PageStorage, at offset: Int) throws(RecordPastPage) -> Bool {
    precondition(offset >= 0 && offset <= storage.count - pageSize - Self.slackBytes, "page outside its storage")
    generation &+= 1
    first = true
    // The header kbuffer reads: u64 timestamp, then a long whose low 27 bits are the data size.
    let headerSize = 8 + longSize
    precondition(pageSize >= headerSize, "page smaller than its header")
    let commitAt = storage.base + offset + 8
    let commit: UInt64
    if longSize == 8 {
      let word = commitAt.loadUnaligned(as: UInt64.self)
      commit = bigEndian ? UInt64(bigEndian: word) : UInt64(littleEndian: word)
    } else {
      let word = commitAt.loadUnaligned(as: UInt32.self)
      commit = UInt64(bigEndian ? UInt32(bigEndian: word) : UInt32(littleEndian: word))
    }
    let dataSize = Int(commit & ((1 << 27) - 1))
    guard dataSize <= pageSize - headerSize else {
      self.storage = nil
      throw RecordPastPage(offsetInPage: 8, size: dataSize)
    }
    self.storage = storage
    pageOffset = offset
    return kbuffer_load_subbuffer(handle, storage.base + offset) == 0
  }

  /// The next event of the loaded page (`kbuffer_read_event` then `kbuffer_next_event`).
  ///
  /// - Throws: ``RecordPastPage`` when kbuffer's record (start and `kbuffer_event_size`) does not
  ///   lie inside the page, so no out-of-page bytes are ever handed on.
  func next() throws(RecordPastPage) -> RawEvent? {
    guard let storage else { return nil }
    var timestamp: UInt64 = 0
    let pointer: UnsafeMutableRawPointer?
    if first {
      pointer = kbuffer_read_event(handle, &timestamp)
    } else {
      pointer = kbuffer_next_event(handle, &timestamp)
    }
    guard let pointer else { return nil }
    let missed = first ? Int(kbuffer_missed_events(handle)) : 0
    first = false
    let size = Int(kbuffer_event_size(handle))
    let offset = UnsafeRawPointer(pointer) - UnsafeRawPointer(storage.base + pageOffset)
    guard offset >= 0, offset <= pageSize, size >= 0, size <= pageSize - offset else {
      throw RecordPastPage(offsetInPage: Int(kbuffer_curr_offset(handle)), size: size)
    }
    return RawEvent(
      timestamp: timestamp, dataOffset: offset, dataCount: size,
      offsetInPage: Int(kbuffer_curr_offset(handle)), missedBefore: missed, generation: generation)
  }

  /// Calls `body` with the payload of `event`, an event of the page loaded now; the pointer
  /// must not be kept past it.
  func withData<Result, Failure: Error>(
    of event: RawEvent, _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
  ) throws(Failure) -> Result {
    guard let storage, event.generation == generation else {
      preconditionFailure("an event of a page that is no longer loaded")
    }
    return try body(UnsafeRawBufferPointer(start: storage.base + pageOffset + event.dataOffset, count: event.dataCount))
  }
}
