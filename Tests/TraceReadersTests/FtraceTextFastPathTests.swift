import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceReaders

/// Everything a stream produced: its events (or the error that ended it) and its counts.
private struct StreamOutcome: Equatable {
  var events: [TraceEvent] = []
  var error: TraceParseError?
  var skipped = SkippedLines()
  var skippedEvents = 0

  init(path: String, fields: FieldSelection, lenient: Bool, usesFastPath: Bool) throws {
    var stream = FtraceTextStream(
      reader: try LineReader(path: path), fields: fields,
      options: TextReaderOptions(lenient: lenient),
      usesFastPath: usesFastPath)
    do {
      while let event = try stream.next() { events.append(event) }
    } catch {
      self.error = error
    }
    skipped = stream.skipped
    skippedEvents = stream.skippedEvents
  }
}

@Suite("ftrace text fast path")
struct FtraceTextFastPathTests {
  static let fixtures =
    Fixtures.files(in: "text", suffix: ".txt") + Fixtures.files(in: "lab", suffix: ".txt")

  @Test(
    "the unsafe line parser gives the same events as the bounds-checked one", arguments: fixtures)
  func fastEqualsSafe(_ fixture: String) throws {
    let path = Fixtures.url(fixture).path
    let selections: [FieldSelection] = [.all, .only(["ipi:ipi_send_cpu", "ipi:ipi_send_cpumask"])]
    for fields in selections {
      for lenient in [false, true] {
        let safe = try StreamOutcome(
          path: path, fields: fields, lenient: lenient, usesFastPath: false)
        let fast = try StreamOutcome(
          path: path, fields: fields, lenient: lenient, usesFastPath: true)
        #expect(fast == safe, "\(fixture) fields \(fields) lenient \(lenient)")
      }
    }
  }

  /// How many lines of `path` have the shape ``FastEventLine`` reads.
  private func recognizedLines(_ path: String) throws -> Int {
    var recognized = 0
    var reader = try LineReader(path: path)
    while let range = try? reader.nextLine() {
      if FastEventLine.parse(reader.buffer, range.lowerBound, range.upperBound) != nil {
        recognized += 1
      }
    }
    return recognized
  }

  @Test("the checked-in fixtures include lines of the shape the fast path reads")
  func fixturesExerciseTheFastPath() throws {
    #expect(try Self.fixtures.reduce(0) { $0 + (try recognizedLines(Fixtures.url($1).path)) } > 0)
  }

  static let reportFixtures = Fixtures.files(in: "tracedat", suffix: ".v7zstd.dat")

  @Test(
    "on the trace-cmd report text of every trace.dat fixture, fast and safe paths agree",
    .enabled(
      if: Fixtures.canRun(with: "trace-cmd"),
      "trace-cmd is not installed (apt-get install trace-cmd)"),
    arguments: reportFixtures)
  func fastEqualsSafeOnReports(_ fixture: String) throws {
    let report = try Fixtures.run(
      Fixtures.which("trace-cmd") ?? "/usr/bin/trace-cmd", ["report", Fixtures.url(fixture).path])
    let path = NSTemporaryDirectory() + "pokestat-fastpath-\(UUID().uuidString).txt"
    try Data(report.utf8).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    // Instance (`name: `-prefixed) lines are left to the safe parser; the others are not.
    #expect(try recognizedLines(path) > (fixture.contains("lost-events") ? -1 : 100))
    for fields in [FieldSelection.all, .only(["ipi:ipi_send_cpu", "ipi:ipi_send_cpumask"])] {
      let safe = try StreamOutcome(path: path, fields: fields, lenient: false, usesFastPath: false)
      let fast = try StreamOutcome(path: path, fields: fields, lenient: false, usesFastPath: true)
      #expect(fast == safe, "\(fixture) fields \(fields)")
    }
  }

  @Test("names sharing their first bytes and length stay apart (7, 8, 15 and 16 byte names)")
  func similarNames() throws {
    let names = [
      "abcdefg", "abcdefh", "abcdefgh", "abcdefgi", "abcdefghijklmn1", "abcdefghijklmn2",
      "abcdefghijklmno1",
      "abcdefghijklmno2", "sched_switch", "sched_switcx",
    ]
    let lines = (names + names.reversed()).enumerated().map {
      "          a-1 [001]   1.\($0.offset): \($0.element): v=1"
    }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "fastpath-\(UUID().uuidString).txt")
    try Data(lines.joined(separator: "\n").utf8).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    let fast = try StreamOutcome(path: url.path, fields: .all, lenient: false, usesFastPath: true)
    let safe = try StreamOutcome(path: url.path, fields: .all, lenient: false, usesFastPath: false)
    #expect(fast.events.map(\.name) == names + names.reversed())
    #expect(fast == safe)
  }

  @Test(
    "lines near the fast shape agree with the safe parser",
    arguments: [
      "          bash-12642 [000]   949.847769: hrtimer_setup:        hrtimer=0xffff8881047a1920 mode=0x9",
      "          bash-12642 [000]   949.847769: ipi_send_cpu:         cpu=1 callsite=x+0x20",
      "          bash-12642 [000]   949.847769: ipi_send_cpu:",
      "          bash-12642 [000]   949.847769: ipi_send_cpu:      ",
      "          bash-12642 [000]   949.847769: tracing_mark_write:   ",
      "          bash-12642 [000]   949.847769: (+12) sched_switch: a ==> b",
      "          bash-12642 [000] d..2.   949.847769: sched_switch: a ==> b",
      "          bash-12642 (  12) [000]   949.847769: sched_switch: a ==> b",
      "          -12642 [000]   949.847769: sched_switch: a ==> b",
      "          bash- [000]   949.847769: sched_switch: a ==> b",
      "          bash-12642 [0000000000000000000001]   949.847769: sched_switch: a ==> b",
      "          bash-99999999999999999999999 [000]   949.847769: sched_switch: a ==> b",
      "          bash-12642 [000]   949.: sched_switch: a ==> b",
      "          bash-12642 [000]   949.847769:sched_switch: a ==> b",
      "          bash-12642 [000]   949.847769: sched switch: a ==> b",
      "          <idle>-0 [001]   1.000000001: kernel_stack: <stack trace >",
      "          CPU 0/KVM-1234 [001]   1.5: kvm_exit: reason",
      "          1234-5 [001]   1.5: x: y",
      "          a-1 [001]   1.5: funcgraph_entry:  0.5 us |  f();",
      "          a-1 [001]   1.5: n:",
      "          a-1 [001]   1.5: n: v",
    ])
  func nearShapes(_ line: String) throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "fastpath-\(UUID().uuidString).txt")
    try Data((line + "\n" + line + "\n").utf8).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    for fields in [FieldSelection.all, .only(["ipi:ipi_send_cpu"])] {
      let safe = try StreamOutcome(
        path: url.path, fields: fields, lenient: true, usesFastPath: false)
      let fast = try StreamOutcome(
        path: url.path, fields: fields, lenient: true, usesFastPath: true)
      #expect(fast.events == safe.events)
      #expect(fast.skipped.count == safe.skipped.count)
      #expect(fast.skippedEvents == safe.skippedEvents)
    }
  }
}
