import CTraceEvent
import TraceModel

/// One event read from a ring-buffer page, valid until the page changes.
struct RawEvent {
  /// Nanoseconds (or clock ticks) on the trace clock.
  var timestamp: UInt64
  /// The event's payload (starts with `common_type`).
  var data: UnsafeRawBufferPointer
  /// The event's byte offset within the page, for error locations.
  var offsetInPage: Int
  /// Events lost before this one (first event of a page only): -1 unknown number.
  var missedBefore: Int
}

/// Reads events from ring-buffer pages ("sub-buffers"), owning a `struct kbuffer *`.
final class RingBufferPage {
  /// kbuffer returned a record that does not fit in its page (a corrupt length or type).
  struct RecordPastPage: Error {
    /// The record's offset in the page and the payload size kbuffer gave it (may be negative).
    var offsetInPage: Int
    var size: Int
  }

  private let handle: OpaquePointer
  private var first = true
  private var pageStart: UnsafeRawPointer?
  private let pageSize: Int

  /// Allocates with `kbuffer_alloc` for the file's long size and byte order.
  ///
  /// - Parameters:
  ///   - longSize: the size of the page header's `commit` field (``PageHeaderLayout``).
  ///   - pageSize: bytes per page, the bound every record is checked against.
  init(longSize: Int, pageSize: Int, bigEndian: Bool, oldFormat: Bool, path: String) throws(NativeTraceError) {
    guard let handle = kbuffer_alloc(longSize == 8 ? KBUFFER_LSIZE_8 : KBUFFER_LSIZE_4,
                                     bigEndian ? KBUFFER_ENDIAN_BIG : KBUFFER_ENDIAN_LITTLE) else {
      throw NativeTraceError(function: "kbuffer_alloc", path: path, errno: 12)
    }
    if oldFormat { kbuffer_set_old_format(handle) }
    self.handle = handle
    self.pageSize = pageSize
  }

  deinit { kbuffer_free(handle) }

  /// Starts reading the page at `page` (`kbuffer_load_subbuffer`); false when it holds nothing.
  ///
  /// The caller checks the page header's commit size against the page size first, and keeps
  /// `page` (plus a page of slack: kbuffer may read a record header past the data's end)
  /// alive until the next `load`.
  func load(_ page: UnsafeRawPointer) -> Bool {
    first = true
    pageStart = page
    return kbuffer_load_subbuffer(handle, UnsafeMutableRawPointer(mutating: page)) == 0
  }

  /// The next event of the loaded page (`kbuffer_read_event` then `kbuffer_next_event`).
  ///
  /// - Throws: ``RecordPastPage`` when kbuffer's record (start and `kbuffer_event_size`) does not
  ///   lie inside the page, so no out-of-page bytes are ever handed on.
  func next() throws(RecordPastPage) -> RawEvent? {
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
    let offset = pageStart.map { UnsafeRawPointer(pointer) - $0 } ?? -1
    guard offset >= 0, offset <= pageSize, size >= 0, size <= pageSize - offset else {
      throw RecordPastPage(offsetInPage: Int(kbuffer_curr_offset(handle)), size: size)
    }
    return RawEvent(
      timestamp: timestamp, data: UnsafeRawBufferPointer(start: pointer, count: size),
      offsetInPage: Int(kbuffer_curr_offset(handle)), missedBefore: missed)
  }
}
