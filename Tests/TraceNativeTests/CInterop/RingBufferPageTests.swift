import Foundation
import SystemPackage
import Testing
import TraceModel

@testable import TraceNative

/// The page storage kbuffer reads and the errors of the C wrappers (issue #14).
@Suite struct RingBufferPageTests {
  static let pageSize = 4096

  /// A little-endian 64-bit ring-buffer page: timestamp, commit, then one 8-byte event
  /// (`type_len` 2, `time_delta` 5) holding `payload`.
  static func page(timestamp: UInt64 = 1000, commit: UInt64 = 12, payload: UInt64 = 0x1122_3344_5566_7788) -> PageStorage {
    let storage = PageStorage(count: pageSize + RingBufferPage.slackBytes)
    storage.withUnsafeMutableBytes { raw in
      raw.storeBytes(of: timestamp.littleEndian, toByteOffset: 0, as: UInt64.self)
      raw.storeBytes(of: commit.littleEndian, toByteOffset: 8, as: UInt64.self)
      raw.storeBytes(of: (UInt32(2) | 5 << 5).littleEndian, toByteOffset: 16, as: UInt32.self)
      raw.storeBytes(of: payload.littleEndian, toByteOffset: 20, as: UInt64.self)
    }
    return storage
  }

  static func reader() throws -> RingBufferPage {
    RingBufferPage(longSize: 8, pageSize: pageSize, bigEndian: false, oldFormat: false)
  }

  @Test("the page keeps its storage alive while kbuffer walks it")
  func pageOwnsItsStorage() throws {
    let reader = try Self.reader()
    do {
      let storage = Self.page()
      #expect(try reader.load(storage, at: 0))
    }  // the only other reference is gone: the reader's keeps the bytes allocated
    let event = try #require(try reader.next())
    #expect(event.timestamp == 1005)
    #expect(event.dataOffset == 20)
    #expect(event.dataCount == 8)
    let payload = reader.withData(of: event) { $0.loadUnaligned(as: UInt64.self) }
    #expect(UInt64(littleEndian: payload) == 0x1122_3344_5566_7788)
    #expect(try reader.next() == nil)
  }

  @Test("a later page is read from its own storage, the earlier one released")
  func reloadReplacesStorage() throws {
    let reader = try Self.reader()
    weak var first: PageStorage?
    do {
      let storage = Self.page(payload: 1)
      first = storage
      #expect(try reader.load(storage, at: 0))
      _ = try reader.next()
    }
    #expect(first != nil)
    #expect(try reader.load(Self.page(payload: 2), at: 0))
    #expect(first == nil)
    let event = try #require(try reader.next())
    #expect(reader.withData(of: event) { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } == 2)
  }

  @Test("a commit size past the page is refused before kbuffer sees the page")
  func commitPastPage() throws {
    let reader = try Self.reader()
    let error = try #require(throws: RingBufferPage.RecordPastPage.self) {
      _ = try reader.load(Self.page(commit: UInt64(Self.pageSize)), at: 0)
    }
    #expect(error.size == Self.pageSize)
    #expect(try reader.next() == nil)
  }

  @Test("reading an event of a page no longer loaded traps")
  func staleEventTraps() async {
    await #expect(processExitsWith: .failure) {
      let reader = try RingBufferPageTests.reader()
      _ = try reader.load(RingBufferPageTests.page(), at: 0)
      let event = try #require(try reader.next())
      _ = try reader.load(RingBufferPageTests.page(), at: 0)
      _ = reader.withData(of: event) { $0.count }
    }
  }

  @Test("C failures name the errno: ENOENT, not errno 2")
  func namedErrno() throws {
    let error = try #require(throws: NativeTraceError.self) {
      _ = try FileBytes(path: "/nonexistent/pokestat-test.dat")
    }
    #expect(error.function == "open")
    #expect(error.errno == .noSuchFileOrDirectory)
    #expect(error.description == "/nonexistent/pokestat-test.dat: open failed: ENOENT (No such file or directory)")
    #expect(
      NativeTraceError(function: "kbuffer_alloc", path: "t.dat", errno: .noMemory).description
        == "t.dat: kbuffer_alloc failed: ENOMEM (Cannot allocate memory)")
    #expect(Errno(rawValue: 4095).symbolicName == "errno 4095")
  }

  @Test("EINTR is retried, other failures are thrown with their errno")
  func retriesInterrupted() throws {
    var calls = 0
    let result = try SystemCall.retryingOnInterrupt("read", path: "test") { () -> Int in
      calls += 1
      if calls < 3 {
        errno = EINTR
        return -1
      }
      return 7
    }
    #expect(result == 7 && calls == 3)
    let error = try #require(throws: NativeTraceError.self) {
      _ = try SystemCall.retryingOnInterrupt("read", path: "test") { () -> Int in
        errno = EBADF
        return -1
      }
    }
    #expect(error.errno == .badFileDescriptor)
    let fallback = try #require(throws: NativeTraceError.self) {
      _ = try SystemCall.nonNil("tep_alloc", path: "test", orElse: .noMemory) { () -> Int? in nil }
    }
    #expect(fallback.errno == .noMemory)
  }
}
