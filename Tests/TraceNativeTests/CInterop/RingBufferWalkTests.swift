import CTraceEvent
import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceNative

/// ``RingBufferPage`` walks pages in Swift; libtraceevent's kbuffer is its oracle, record for
/// record: every page of every trace.dat fixture (this project's, the lab's and other
/// people's, 32- and 64-bit), and generated pages of both byte orders, both long sizes and
/// the 2.6.30 format.
@Suite struct RingBufferWalkTests {
  /// One record as a walk returns it.
  struct Walked: Equatable, CustomStringConvertible {
    var timestamp: UInt64
    var dataOffset: Int
    var dataCount: Int
    var offsetInPage: Int
    var missed: Int
    var description: String { "ts \(timestamp) data \(dataOffset)+\(dataCount) at \(offsetInPage) missed \(missed)" }
  }

  /// The records of one page, and whether the walk stopped at a record outside the page.
  struct Walk: Equatable {
    var records: [Walked] = []
    var stoppedOutsidePage = false
  }

  struct PageFormat: CustomTestStringConvertible, Sendable {
    var longSize: Int
    var bigEndian: Bool
    var oldFormat: Bool
    var testDescription: String {
      "\(longSize * 8)-bit \(bigEndian ? "big" : "little")-endian\(oldFormat ? ", 2.6.30 format" : "")"
    }
    static let all = [4, 8].flatMap { long in
      [false, true].flatMap { big in [false, true].map { PageFormat(longSize: long, bigEndian: big, oldFormat: $0) } }
    }
  }

  static let pageSize = 4096

  /// The walk of ``RingBufferPage``.
  static func swiftWalk(_ storage: PageStorage, at offset: Int, format: PageFormat, pageSize: Int) -> Walk {
    let page = RingBufferPage(longSize: format.longSize, pageSize: pageSize, bigEndian: format.bigEndian, oldFormat: format.oldFormat)
    var walk = Walk()
    do {
      guard try page.load(storage, at: offset) else { return walk }
      while let event = try page.next() {
        walk.records.append(Walked(timestamp: event.timestamp, dataOffset: event.dataOffset, dataCount: event.dataCount,
                                   offsetInPage: event.offsetInPage, missed: event.missedBefore))
      }
    } catch {
      walk.stoppedOutsidePage = true
    }
    return walk
  }

  /// kbuffer's walk, with the checks RingBufferPage makes on every record (the commit size
  /// against the page, each record inside it). nil when kbuffer moves backwards.
  static func kbufferWalk(_ storage: PageStorage, at offset: Int, format: PageFormat, pageSize: Int) -> Walk? {
    let handle = kbuffer_alloc(format.longSize == 8 ? KBUFFER_LSIZE_8 : KBUFFER_LSIZE_4,
                               format.bigEndian ? KBUFFER_ENDIAN_BIG : KBUFFER_ENDIAN_LITTLE)!
    defer { kbuffer_free(handle) }
    if format.oldFormat { kbuffer_set_old_format(handle) }
    return storage.withUnsafeMutableBytes { raw -> Walk? in
      let page = raw.baseAddress! + offset
      var walk = Walk()
      let commitBytes = UnsafeRawBufferPointer(start: page + 8, count: format.longSize)
      let commit = FieldDecoder.readUInt(commitBytes, 0, format.longSize, bigEndian: format.bigEndian)
      guard Int(commit & ((1 << 27) - 1)) <= pageSize - 8 - format.longSize else {
        walk.stoppedOutsidePage = true
        return walk
      }
      guard kbuffer_load_subbuffer(handle, page) == 0 else { return walk }
      var timestamp: UInt64 = 0
      var pointer = kbuffer_read_event(handle, &timestamp)
      while let record = pointer {
        let dataOffset = UnsafeRawPointer(record) - UnsafeRawPointer(page)
        let size = Int(kbuffer_event_size(handle))
        let at = Int(kbuffer_curr_offset(handle))
        if let last = walk.records.last, at <= last.offsetInPage { return nil }
        guard dataOffset >= 0, dataOffset <= pageSize, size >= 0, size <= pageSize - dataOffset else {
          walk.stoppedOutsidePage = true
          return walk
        }
        walk.records.append(Walked(timestamp: timestamp, dataOffset: dataOffset, dataCount: size, offsetInPage: at,
                                   missed: Int(kbuffer_missed_events(handle))))
        pointer = kbuffer_next_event(handle, &timestamp)
      }
      return walk
    }
  }

  @Test("every page of every trace.dat fixture walks as kbuffer walks it",
        arguments: DatFixture.all.map(\.path) + ForeignDat.all.map(\.path))
  func fixturePages(_ path: String) throws {
    let reader = try TraceDatReader(path: try Fixtures.materialize(path).path, readsSymbols: false)
    var pages = 0
    var records = 0
    for place in reader.streamPlaces {
      let decoder = try CPUStreamDecoder(
        layout: reader.layout, bufferIndex: place.buffer, cpuIndex: place.cpu, fields: .none,
        forPrinting: false, symbols: SymbolTable())
      let format = PageFormat(longSize: reader.layout.pageHeader.commitSize, bigEndian: reader.layout.bigEndian,
                              oldFormat: decoder.formats.isOldFormat)
      let pageSize = reader.layout.buffers[place.buffer].pageSize
      try decoder.forEachPage { storage, offset in
        let ours = Self.swiftWalk(storage, at: offset, format: format, pageSize: pageSize)
        let oracle = Self.kbufferWalk(storage, at: offset, format: format, pageSize: pageSize)
        #expect(ours == oracle, "page \(pages) of \(path)")
        pages += 1
        records += ours.records.count
      }
    }
    #expect(pages > 0 && records > 0)
  }

  /// A page of random records: events of every length encoding, time extends, absolute time
  /// stamps, padding and discarded events, missed-event flags with and without a stored
  /// count, and now and then a damaged length. Padding lengths that would make kbuffer loop
  /// forever (-4) or walk backwards are left out: there the walks differ on purpose.
  static func randomPage(_ format: PageFormat, rng: inout SplitMix64) -> PageStorage {
    let storage = PageStorage(count: pageSize + RingBufferPage.slackBytes)
    let dataStart = 8 + format.longSize
    storage.withUnsafeMutableBytes { raw in
      func put32(_ value: UInt32, _ at: Int) {
        raw.storeBytes(of: format.bigEndian ? value.bigEndian : value.littleEndian, toByteOffset: at, as: UInt32.self)
      }
      func putLong(_ value: UInt64, _ at: Int) {
        if format.longSize == 8 {
          raw.storeBytes(of: format.bigEndian ? value.bigEndian : value.littleEndian, toByteOffset: at, as: UInt64.self)
        } else {
          put32(UInt32(truncatingIfNeeded: value), at)
        }
      }
      func header(_ type: UInt32, words: UInt32 = 0, delta: UInt32) -> UInt32 {
        let delta = delta & ((1 << 27) - 1)
        if format.oldFormat {
          // kbuffer reads a big-endian word's type from bits 29-30 and its length from 27-29.
          return format.bigEndian ? type << 29 | words << 27 | delta : type | words << 2 | delta << 5
        }
        return format.bigEndian ? type << 27 | delta : type | delta << 5
      }
      let stamp = rng.next() >> UInt64(rng.below(64))
      raw.storeBytes(of: format.bigEndian ? stamp.bigEndian : stamp.littleEndian, toByteOffset: 0, as: UInt64.self)
      var at = dataStart
      // The last record starts before `limit` and is at most 211 bytes: all of it, and a
      // stored lost count after it, stay inside the page.
      let limit = dataStart + rng.below(pageSize - dataStart - 240)
      while at + 12 <= limit {
        let delta = UInt32(truncatingIfNeeded: rng.next()) >> UInt32(rng.below(32))
        let roll = rng.below(100)
        if format.oldFormat {
          switch roll {
          case 0..<15:  // time extend
            put32(header(1, delta: delta), at)
            put32(UInt32(truncatingIfNeeded: rng.next()), at + 4)
            at += 8
          case 15..<17:  // padding: the end of the page's records
            put32(header(0, delta: delta), at)
            at += 4
          case 17..<40 where !format.bigEndian:  // an event with its length word
            let payload = 4 * rng.below(40)
            put32(header(3, words: 0, delta: delta), at)
            put32(UInt32(payload + 4), at + 4)
            at += 8 + payload
          default:
            // Big-endian data records always have the length's high bit (the type's low bit).
            let words = format.bigEndian ? 4 + rng.below(4) : 1 + rng.below(7)
            put32(header(3, words: UInt32(words), delta: delta), at)
            at += 4 + 4 * words
          }
          continue
        }
        switch roll {
        case 0..<10:  // time extend
          put32(header(30, delta: delta), at)
          put32(UInt32(truncatingIfNeeded: rng.next()), at + 4)
          at += 8
        case 10..<14:  // absolute time stamp
          put32(header(31, delta: delta), at)
          put32(UInt32(truncatingIfNeeded: rng.next()), at + 4)
          at += 8
        case 14..<20:  // padding or a discarded event: the length after the header, then the
          // next record (now and then a length far past the page, or negative)
          let length = rng.chance(90) ? 4 + 4 * rng.below(15) : 0x8000_0000 + rng.below(1 << 30)
          put32(header(29, delta: delta), at)
          put32(UInt32(truncatingIfNeeded: length), at + 4)
          at += length < 1 << 20 ? 4 + length : 8
        case 20..<40:  // a long event: length word (payload + 4, now and then past the page)
          let payload = rng.below(200)
          put32(header(0, delta: delta), at)
          put32(UInt32(payload + 4 + (rng.chance(95) ? 0 : 0x10000 << rng.below(15))), at + 4)
          at += 8 + (payload + 3) & ~3
        default:
          let words = 1 + rng.below(28)
          put32(header(UInt32(words), delta: delta), at)
          at += 4 + 4 * words
        }
      }
      var commit = UInt64(min(at, pageSize) - dataStart)
      if rng.chance(10) { commit = UInt64(rng.below(Int(commit) + 1)) }
      if rng.chance(20) {
        commit |= 1 << 31
        if rng.chance(50) {
          commit |= 1 << 30
          let end = dataStart + Int(commit & ((1 << 27) - 1))
          putLong(rng.next() >> UInt64(rng.below(64)), end)
        }
      }
      putLong(commit, 8)
    }
    return storage
  }

  @Test("random pages walk as kbuffer walks them", arguments: PageFormat.all)
  func randomPages(_ format: PageFormat) {
    var rng = SplitMix64(seed: 0x5eed_0000 + UInt64(format.longSize) * 4 + (format.bigEndian ? 2 : 0) + (format.oldFormat ? 1 : 0))
    var compared = 0
    var records = 0
    for index in 0..<400 {
      let storage = Self.randomPage(format, rng: &rng)
      let ours = Self.swiftWalk(storage, at: 0, format: format, pageSize: Self.pageSize)
      guard let oracle = Self.kbufferWalk(storage, at: 0, format: format, pageSize: Self.pageSize) else { continue }
      #expect(ours == oracle, "page \(index)")
      compared += 1
      records += oracle.records.count
    }
    #expect(compared > 300 && records > 5_000)
  }

  @Test("random bytes end the walk inside the page, whatever kbuffer would do", arguments: PageFormat.all)
  func garbagePages(_ format: PageFormat) {
    var rng = SplitMix64(seed: 0x9a7b_a9e0 + UInt64(format.longSize) + (format.bigEndian ? 16 : 0) + (format.oldFormat ? 32 : 0))
    for _ in 0..<300 {
      let storage = PageStorage(count: Self.pageSize + RingBufferPage.slackBytes)
      storage.withUnsafeMutableBytes { raw in
        for index in stride(from: 0, to: raw.count - 7, by: 8) { raw.storeBytes(of: rng.next(), toByteOffset: index, as: UInt64.self) }
        // A commit inside the page, so the records get walked.
        let commit = UInt64(rng.below(Self.pageSize - 16)) | (rng.chance(30) ? 0xc000_0000 : 0)
        if format.longSize == 8 {
          raw.storeBytes(of: format.bigEndian ? commit.bigEndian : commit.littleEndian, toByteOffset: 8, as: UInt64.self)
        } else {
          let word = UInt32(truncatingIfNeeded: commit)
          raw.storeBytes(of: format.bigEndian ? word.bigEndian : word.littleEndian, toByteOffset: 8, as: UInt32.self)
        }
      }
      let walk = Self.swiftWalk(storage, at: 0, format: format, pageSize: Self.pageSize)
      var last = -1
      for record in walk.records {
        #expect(record.dataOffset + record.dataCount <= Self.pageSize && record.dataCount >= 0)
        #expect(record.offsetInPage > last)
        last = record.offsetInPage
      }
    }
  }
}
