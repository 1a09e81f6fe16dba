import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceReaders

@Suite("dmesg / kernel log")
struct KernelLogReaderTests {
  @Test("each log gives the lines, stamps and durations awk found", arguments: ["dmesg-local", "dmesg-seed-textpoke"])
  func counts(_ name: String) throws {
    let expected = try TestFiles.expected(name)
    let (log, skipped) = try KernelLogReader.read(path: Fixtures.url("text/\(name).txt").path)
    #expect(skipped.count == 0)
    #expect(log.lines.count == Int(expected["lines"]!)!)
    #expect(log.lines.filter { $0.timestamp != nil }.count == Int(expected["stamped"]!)!)
    #expect(log.durations.count == Int(expected["durations"]!)!)
    #expect(log.durations.reduce(0) { $0 + $1.durationNanoseconds } == UInt64(expected["duration_us_total"]!)! * 1000)
    #expect(log.durations.reduce(0) { $0 + ($1.entries ?? 0) } == Int(expected["entries_total"]!)!)
    if let first = expected["first_ts"], !first.isEmpty {
      #expect(log.lines.first?.timestamp?.nanoseconds == TestFiles.nanoseconds(first))
    }
  }

  @Test("the seed's text_poke_bp_batch records")
  func seed() throws {
    let log = try KernelLogReader.read(path: Fixtures.url("text/dmesg-seed-textpoke.txt").path).log
    #expect(log.durations.map(\.entries) == [2, 164, 2, 164])
    #expect(log.durations.map(\.durationNanoseconds) == [324_000, 2_655_300_000, 519_000, 702_000])
    #expect(log.durations.allSatisfy { $0.label == "text_poke_bp_batch" && $0.timestamp == nil })
    #expect(log.durations[0].line == 15)
  }

  @Test("stamped lines, one-line records, -T stamps and a cut-off stamp")
  func shapes() throws {
    let text = """
      [  433.286406] text_poke_bp_batch(nr_entries=3)
      [  433.286730] Took 324 usec
      [  434.000001] jump_label: flush took 1.5 ms
      [Mon Nov 23 13:50:08 2026] Took 7 us
      [  435.12
      """
    let error = try #require(throws: TraceParseError.self) { _ = try KernelLogReader.parse(text: text, path: "k.log") }
    #expect(error.location == InputLocation(file: "k.log", line: 5))
    let (log, skipped) = try KernelLogReader.parse(text: text, path: "k.log", options: TextReaderOptions(lenient: true))
    #expect(skipped.count == 1 && log.lines.count == 4)
    #expect(
      log.durations == [
        DurationRecord(
          label: "text_poke_bp_batch", entries: 3, durationNanoseconds: 324_000,
          timestamp: Timestamp(nanoseconds: 433_286_406_000), line: 2),
        DurationRecord(
          label: "jump_label: flush", entries: nil, durationNanoseconds: 1_500_000,
          timestamp: Timestamp(nanoseconds: 434_000_001_000), line: 3),
        DurationRecord(label: "", entries: nil, durationNanoseconds: 7_000, timestamp: nil, line: 4),
      ])
    #expect(log.lines[3].message == "Took 7 us" && log.lines[3].timestamp == nil)
  }
}
