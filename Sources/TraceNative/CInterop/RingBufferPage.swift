// Unsafe code: ring-buffer pages read in place.
//
// Invariant: `RingBufferPage` keeps the address of the page it has loaded (`page`) and reads
// through it on every later `next()`. That address always points into a `PageStorage`, and the
// `RingBufferPage` keeps a strong reference to that storage (`storage`) from the `load` that
// hands it over until the next `load` or its deinit, so the bytes outlive every read. Every
// read stays inside the page plus `slackBytes`: a record's header word and its extended
// length or time are read only at offsets below the commit size, which `load` checked against
// the page.
//
// `PageStorage` allocates its bytes in `init` and frees them in `deinit` (NIO's `_Storage`
// pattern); its base pointer is `fileprivate` to this file. Other code reaches the bytes only
// inside `withUnsafeBytes`, `withUnsafeMutableBytes` or `RingBufferPage.withData(of:_:)`, and
// keeps no pointer past the closure: a `RawEvent` holds offsets into its page, never a
// pointer, plus the number of the load it came from, which `withData(of:_:)` checks.

import TraceModel
/// Bytes of ring-buffer pages, allocated and freed by this object, that kbuffer may read for
/// as long as a ``RingBufferPage`` holds it.
///
/// Not `Sendable`: one decoder (or one capture thread) owns it.
final class PageStorage {
  fileprivate let base: UnsafeMutableRawPointer
  /// Size in bytes.
  let count: Int

  /// Allocates `count` bytes (16-byte aligned), zeroed from byte `zeroedFrom` on; the caller
  /// fills the bytes before it (a chunk decompressed into them) before anything reads them.
  init(count: Int, zeroedFrom: Int = 0) {
    precondition(count >= 0 && zeroedFrom >= 0, "negative storage size")
    base = .allocate(byteCount: Swift.max(count, 1), alignment: 16)
    let start = Swift.min(zeroedFrom, count)
    (base + start).initializeMemory(as: UInt8.self, repeating: 0, count: count - start)
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

/// Reads the records of ring-buffer pages ("sub-buffers", the kernel's
/// kernel/trace/ring_buffer.c layout) in place, holding the ``PageStorage`` of the page it has
/// loaded.
///
/// The walk is libtraceevent's kbuffer (src/kbuffer-parse.c) record for record: the same
/// timestamps (time-extend and absolute time-stamp records, the 5 high bits an absolute stamp
/// lacks taken from the running time), payload offsets and sizes, padding, lost-event counts
/// (only a page whose first record is an event reports them, as `kbuffer_missed_events`),
/// big-endian pages and the pre-2.6.31 format. `RingBufferWalkTests` checks that on every
/// fixture's pages and on random ones against kbuffer itself. It differs only where kbuffer
/// would loop or walk backwards (a padding or event length that does not move forward):
/// that is a ``RecordPastPage`` here.
///
/// Written in Swift rather than called through kbuffer because it runs once per event, and
/// four C calls per event (read, size, offset, missed) were a tenth of `pokestat stats`. One
/// thread walks a page at a time: the walk's state is `@exclusivity(unchecked)`.
final class RingBufferPage {
  /// A record that does not fit in its page (a corrupt length or type), or a page header
  /// claiming more data than the page holds.
  struct RecordPastPage: Error {
    /// The record's offset in the page and the payload size it claims (may be negative).
    var offsetInPage: Int
    var size: Int
  }

  /// Bytes past a page's end a walk may read: a record's header word plus its extended
  /// length or time (8 bytes), read before the record is checked against the commit size.
  static let slackBytes = 8

  /// The storage of the loaded page: `page` points into it.
  @exclusivity(unchecked) private var storage: PageStorage?
  /// The loaded page's first byte (inside `storage`), nil when nothing is loaded.
  @exclusivity(unchecked) private var page: UnsafeRawPointer?
  @exclusivity(unchecked) private var generation = 0
  private let pageSize: Int
  /// Where records start: after the u64 timestamp and the `commit` long (16 or 12).
  private let dataStart: Int
  private let longSize: Int
  private let bigEndian: Bool
  private let oldFormat: Bool

  // The walk, as kbuffer keeps it: offsets from `dataStart`.
  /// The commit size: bytes of records.
  @exclusivity(unchecked) private var size = 0
  /// The current record's start, and the next record's.
  @exclusivity(unchecked) private var current = 0
  @exclusivity(unchecked) private var nextRecord = 0
  /// The running time: the page's timestamp plus the deltas so far.
  @exclusivity(unchecked) private var timestamp: UInt64 = 0
  /// Events lost before this page (-1: some, number unknown), reported with its first event.
  @exclusivity(unchecked) private var lostEvents = 0
  @exclusivity(unchecked) private var first = true
  /// No more records on the loaded page (its end, or a record that did not fit).
  @exclusivity(unchecked) private var done = true

  /// A walker for pages of the trace's long size and byte order.
  ///
  /// - Parameters:
  ///   - longSize: the size of the page header's `commit` field (``PageHeaderLayout``).
  ///   - pageSize: bytes per page, the bound every record is checked against.
  ///   - oldFormat: the 2.6.30 record layout (libtraceevent's `tep_is_old_format`).
  init(longSize: Int, pageSize: Int, bigEndian: Bool, oldFormat: Bool) {
    self.longSize = longSize == 8 ? 8 : 4
    dataStart = 8 + self.longSize
    self.pageSize = pageSize
    self.bigEndian = bigEndian
    self.oldFormat = oldFormat
  }

  @inline(__always) private func read32(_ offset: Int) -> UInt32 {
    let word = page.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
    return bigEndian ? UInt32(bigEndian: word) : UInt32(littleEndian: word)
  }

  private func readLong(_ offset: Int) -> UInt64 {
    if longSize == 4 { return UInt64(read32(offset)) }
    let word = page.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
    return bigEndian ? UInt64(bigEndian: word) : UInt64(littleEndian: word)
  }

  /// Starts reading the page at byte `offset` of `storage`, and holds `storage` until the next
  /// `load`; false when the page holds no records.
  ///
  /// `storage` must hold the page plus ``slackBytes``, and its page must not be written
  /// until the next `load`. Events of the previous page can no longer be read.
  ///
  /// - Throws: ``RecordPastPage`` when the page header's commit size (the bytes the walk will
  ///   read) runs past the page; nothing is loaded then.
  func load(_ storage: PageStorage, at offset: Int) throws(RecordPastPage) -> Bool {
    precondition(offset >= 0 && offset <= storage.count - pageSize - Self.slackBytes, "page outside its storage")
    precondition(pageSize >= dataStart, "page smaller than its header")
    generation &+= 1
    self.storage = nil
    done = true
    page = UnsafeRawPointer(storage.base + offset)
    // The header: u64 timestamp, then a long whose low 27 bits are the data size; bit 31
    // flags missed events, bit 30 that their number is stored after the data.
    let commit = readLong(8)
    let dataSize = Int(commit & ((1 << 27) - 1))
    guard dataSize <= pageSize - dataStart else {
      page = nil
      throw RecordPastPage(offsetInPage: 8, size: dataSize)
    }
    self.storage = storage
    let stamp = page.unsafelyUnwrapped.loadUnaligned(as: UInt64.self)
    timestamp = bigEndian ? UInt64(bigEndian: stamp) : UInt64(littleEndian: stamp)
    size = dataSize
    if commit & (1 << 31) != 0 {
      // kbuffer_missed_events returns an int.
      lostEvents = commit & (1 << 30) != 0 ? Int(Int32(truncatingIfNeeded: readLong(dataStart + dataSize))) : -1
    } else {
      lostEvents = 0
    }
    current = 0
    nextRecord = 0
    first = true
    done = false
    return dataSize > 0
  }

  /// The next event of the loaded page, time extends, time stamps and padding folded into
  /// the running time.
  ///
  /// - Throws: ``RecordPastPage`` when a record (its start and payload size) does not lie
  ///   inside the page or does not move the walk forward, so no out-of-page bytes are ever
  ///   handed on.
  @inline(__always)
  func next() throws(RecordPastPage) -> RawEvent? {
    guard !done else { return nil }
    while true {
      current = nextRecord
      if current >= size {
        done = true
        return nil
      }
      let header = read32(dataStart + current)
      let typeLength: UInt32
      let delta: UInt64
      if oldFormat { return try nextOldFormat(header) }
      if bigEndian {
        typeLength = header >> 27
        delta = UInt64(header & ((1 << 27) - 1))
      } else {
        typeLength = header & 31
        delta = UInt64(header >> 5)
      }
      // As kbuffer's `unsigned int` offsets and `int` lengths: a length is signed, an offset
      // wraps at 32 bits.
      let index: Int
      let length: Int
      switch typeLength {
      case 29:  // padding, or a discarded event: its length follows
        timestamp &+= delta
        index = current + 4
        length = Int(Int32(bitPattern: read32(dataStart + current + 4)))
      case 30:  // time extend: 59 bits of delta
        timestamp &+= UInt64(read32(dataStart + current + 4)) << 27 &+ delta
        index = current + 8
        length = 0
      case 31:  // absolute time stamp: 59 bits, the top 5 from the running time
        let high = timestamp & (0xf8 << 56)
        timestamp = (UInt64(read32(dataStart + current + 4)) << 27 &+ delta) | high
        index = current + 8
        length = 0
      case 0:  // a long event: its length (counting the length word) follows
        timestamp &+= delta
        index = current + 8
        length = (Int(Int32(bitPattern: read32(dataStart + current + 4) &- 4)) + 3) & ~3
      default:
        timestamp &+= delta
        index = current + 4
        length = Int(typeLength) * 4
      }
      nextRecord = Int(UInt32(truncatingIfNeeded: index + length))
      guard nextRecord > current else {
        done = true
        throw RecordPastPage(offsetInPage: dataStart + current, size: length)
      }
      if typeLength >= 29 { continue }
      return try event(index: index, length: length)
    }
  }

  /// The 2.6.30 layout: 2 bits of type (padding, time extend, time stamp, data), 3 of length
  /// in words, 27 of delta, read where kbuffer reads them (in a big-endian word the type's
  /// low bit is the length's high bit).
  private func nextOldFormat(_ header: UInt32) throws(RecordPastPage) -> RawEvent? {
    var header = header
    while true {
      let type = bigEndian ? header >> 29 & 3 : header & 3
      let words = bigEndian ? header >> 27 & 7 : header >> 2 & 7
      let delta = bigEndian ? header & ((1 << 27) - 1) : header >> 5
      let index: Int
      var length: Int
      switch type {
      case 0:  // padding: the rest of the page
        done = true
        return nil
      case 1:  // time extend, summed in kbuffer's 32-bit `delta`
        timestamp &+= UInt64((read32(dataStart + current + 4) << 27) &+ delta)
        index = current + 8
        length = 0
      case 2:
        // A time stamp, which those kernels never wrote: kbuffer ends the page there, after
        // one empty event at the end of the records unless it is the page's first record.
        current = size
        nextRecord = size
        if first {
          done = true
          return nil
        }
        return try event(index: size, length: 0)
      default:
        timestamp &+= UInt64(delta)
        if words != 0 {
          index = current + 4
          length = Int(words) * 4
        } else {
          index = current + 8
          length = Int(read32(dataStart + current + 4) &- 4)
        }
      }
      nextRecord = Int(UInt32(truncatingIfNeeded: index + length))
      guard nextRecord > current else {
        done = true
        throw RecordPastPage(offsetInPage: dataStart + current, size: length)
      }
      if type == 1 {
        current = nextRecord
        if current >= size {
          done = true
          return nil
        }
        header = read32(dataStart + current)
        continue
      }
      return try event(index: index, length: length)
    }
  }

  /// The event whose payload starts `index` bytes into the records, checked against the page.
  @inline(__always)
  private func event(index: Int, length: Int) throws(RecordPastPage) -> RawEvent {
    // kbuffer_event_size: the `unsigned int` difference read as an `int`.
    let size = Int(Int32(truncatingIfNeeded: nextRecord &- index))
    let offset = dataStart + index
    guard offset <= pageSize, size >= 0, size <= pageSize - offset else {
      done = true
      throw RecordPastPage(offsetInPage: dataStart + current, size: size)
    }
    let missed = first && current == 0 ? lostEvents : 0
    first = false
    return RawEvent(
      timestamp: timestamp, dataOffset: offset, dataCount: size,
      offsetInPage: dataStart + current, missedBefore: missed, generation: generation)
  }

  /// The u16 at byte `offset` of `event`'s payload in the file's byte order (an event's
  /// `common_type`), read in place; nil when the payload is shorter. `event` must be of the
  /// page loaded now.
  @inline(__always)
  func uint16(of event: RawEvent, at offset: Int) -> UInt16? {
    guard event.generation == generation, storage != nil, let page else {
      preconditionFailure("an event of a page that is no longer loaded")
    }
    guard offset >= 0, offset <= event.dataCount - 2 else { return nil }
    let word = page.loadUnaligned(fromByteOffset: event.dataOffset + offset, as: UInt16.self)
    return bigEndian ? UInt16(bigEndian: word) : UInt16(littleEndian: word)
  }

  /// Calls `body` with the payload of `event`, an event of the page loaded now; the pointer
  /// must not be kept past it.
  @inline(__always)
  func withData<Result, Failure: Error>(
    of event: RawEvent, _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
  ) throws(Failure) -> Result {
    guard event.generation == generation, storage != nil, let page else {
      preconditionFailure("an event of a page that is no longer loaded")
    }
    // `storage` (held until the next load) keeps `page`'s bytes allocated.
    return try body(UnsafeRawBufferPointer(start: page + event.dataOffset, count: event.dataCount))
  }
}
