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
  private let handle: OpaquePointer
  private var first = true
  private var pageStart: UnsafeRawPointer?
  /// Set when ``next()`` stopped at an event whose length runs past the page's data (a damaged
  /// length field): the event's offset in the page, its size and the page's data end.
  private(set) var overrun: (offsetInPage: Int, size: Int, dataEnd: Int)?

  /// Allocates with `kbuffer_alloc` for the file's long size and byte order.
  init(longSize: Int, bigEndian: Bool, oldFormat: Bool, path: String) throws(NativeTraceError) {
    guard let handle = kbuffer_alloc(longSize == 8 ? KBUFFER_LSIZE_8 : KBUFFER_LSIZE_4,
                                     bigEndian ? KBUFFER_ENDIAN_BIG : KBUFFER_ENDIAN_LITTLE) else {
      throw NativeTraceError(function: "kbuffer_alloc", path: path, errno: 12)
    }
    if oldFormat { kbuffer_set_old_format(handle) }
    self.handle = handle
  }

  deinit { kbuffer_free(handle) }

  /// Starts reading the page at `page` (`kbuffer_load_subbuffer`); false when it holds nothing.
  ///
  /// The caller checks the page header's commit size against the page size first.
  func load(_ page: UnsafeRawPointer) -> Bool {
    first = true
    pageStart = page
    overrun = nil
    return kbuffer_load_subbuffer(handle, UnsafeMutableRawPointer(mutating: page)) == 0
  }

  /// The next event of the loaded page (`kbuffer_read_event` then `kbuffer_next_event`); nil at
  /// the end of the page, or (with ``overrun`` set) at an event that does not fit in it.
  func next() -> RawEvent? {
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
    // kbuffer trusts the event's length field: check the event lies inside the page's data
    // (kbuffer_start_of_data + kbuffer_subbuffer_size) before anything reads it.
    let dataStart = Int(kbuffer_start_of_data(handle))
    let dataEnd = dataStart + Int(kbuffer_subbuffer_size(handle))
    let offset = pageStart.map { UnsafeRawPointer(pointer) - $0 } ?? 0
    guard size >= 0, offset >= dataStart, offset <= dataEnd - size else {
      overrun = (offset, size, dataEnd)
      return nil
    }
    return RawEvent(
      timestamp: timestamp, data: UnsafeRawBufferPointer(start: pointer, count: size),
      offsetInPage: Int(kbuffer_curr_offset(handle)), missedBefore: missed)
  }
}
