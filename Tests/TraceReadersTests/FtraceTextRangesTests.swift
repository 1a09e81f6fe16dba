import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceReaders

/// Everything a source produced read stream after stream (file order): its events (up to the
/// error that ended them) and its counts.
private struct SourceOutcome: Equatable {
  var events: [TraceEvent] = []
  var error: TraceParseError?
  var skipped = SkippedLines()
  var skippedEvents = 0
  var streams = 0

  init(_ source: FtraceTextSource, fields: FieldSelection) throws {
    streams = source.streamCount
    do {
      for index in 0..<source.streamCount {
        var stream = try source.stream(index, fields: fields)
        defer {
          skipped.add(stream.skipped)
          skippedEvents += stream.skippedEvents
        }
        while let event = try stream.next() { events.append(event) }
      }
    } catch {
      self.error = error
    }
  }
}

@Suite("ftrace text byte ranges")
struct FtraceTextRangesTests {
  static let fixtures =
    Fixtures.files(in: "text", suffix: ".txt") + Fixtures.files(in: "lab", suffix: ".txt")

  static func source(_ path: String, lenient: Bool, streams: Int, minimum: Int = 1) throws -> FtraceTextSource {
    try FtraceTextSource(
      path: path, options: TextReaderOptions(lenient: lenient), minimumRangeBytes: minimum, maximumStreams: streams)
  }

  /// Compares the one-stream and the split reading of `path`; returns the most streams used.
  @discardableResult
  static func compareSplit(_ path: String, label: String) throws -> Int {
    var most = 1
    let selections: [FieldSelection] = [.all, .only(["ipi:ipi_send_cpu", "ipi:ipi_send_cpumask"])]
    for fields in selections {
      for lenient in [false, true] {
        let one = try SourceOutcome(source(path, lenient: lenient, streams: 1), fields: fields)
        #expect(one.streams == 1)
        for streams in [2, 3, 7, 16] {
          let split = try SourceOutcome(source(path, lenient: lenient, streams: streams), fields: fields)
          most = max(most, split.streams)
          let context = "\(label) fields \(fields) lenient \(lenient) streams \(split.streams)/\(streams)"
          #expect(split.error == one.error, "\(context)")
          #expect(split.skipped == one.skipped, "\(context)")
          if one.error == nil {
            #expect(split.events == one.events, "\(context)")
            #expect(split.skippedEvents == one.skippedEvents, "\(context)")
            // The k-way merge (time, then stream index) gives file order too.
            var merged: [TraceEvent] = []
            let mergedSkipped = try source(path, lenient: lenient, streams: streams)
              .forEachEventInTimeOrder(fields: fields) { merged.append($0) }
            #expect(merged == one.events, "\(context) merged")
            #expect(mergedSkipped == one.skippedEvents, "\(context) merged")
          } else {
            // A stream before the bad line hands over all its events; the one stream may still
            // hold a few (waiting for a stack block) when it throws.
            #expect(Array(split.events.prefix(one.events.count)) == one.events, "\(context)")
          }
        }
      }
    }
    return most
  }

  @Test("split reading gives the one-stream events, skips and errors", arguments: fixtures)
  func splitEqualsOneStream(_ fixture: String) throws {
    try Self.compareSplit(Fixtures.url(fixture).path, label: fixture)
  }

  /// A `trace-cmd report` text of `events` lines with stack blocks, lost notices, equal
  /// timestamps, and `bad` inserted as the given 1-based line numbers.
  static func report(events: Int, bad: [Int: String] = [:]) -> String {
    var lines = ["cpus=2"]
    func add(_ line: String) {
      while let text = bad[lines.count + 1] { lines.append(text) }
      lines.append(line)
    }
    var micros = 949_000_000
    for n in 0..<events {
      if n % 7 != 0 { micros += 3 }  // every 7th event shares its predecessor's timestamp
      let cpu = n % 3 == 0 ? 1 : 0
      let comm = cpu == 1 ? "<idle>-0    " : "    bash-12642"
      let stamp = "\(micros / 1_000_000).\(String(micros % 1_000_000).leftPadded(to: 6))"
      if n % 400 == 399, cpu == 1 { add("CPU:1 [LOST \(n) EVENTS]") }
      let event =
        n % 5 == 0
        ? "ipi_send_cpu:         cpu=\(1 - cpu) callsite=on_each_cpu_cond_mask+0x20 callback=0x0"
        : "sched_wakeup:         bash:\(n) [120] CPU:00\(cpu)"
      add("      \(comm) [00\(cpu)]   \(stamp): \(event)")
      if n % 150 == 149 {
        add("      \(comm) [00\(cpu)]   \(stamp): kernel_stack:         <stack trace >")
        add("=> smp_call_function_many_cond (ffffffff81440ae0)")
        add("=> on_each_cpu_cond_mask (ffffffff81440da0)")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  @Test("a synthetic report splits at safe lines and reads the same")
  func syntheticReport() throws {
    let path = try TestFiles.temporary(Self.report(events: 3000))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let most = try Self.compareSplit(path, label: "synthetic")
    #expect(most >= 7)
    // Every range starts a plain event line, after a plain event line.
    let text = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    for range in try Self.source(path, lenient: false, streams: 16).ranges.dropFirst() {
      #expect(text[range.lowerBound - 1] == 0x0A)
      let end = text[range.lowerBound...].firstIndex(of: 0x0A)!
      #expect(FtraceTextRanges.isPlainEventLine(text, range.lowerBound, end))
    }
  }

  @Test("an error line in the second range is reported at its line in the file")
  func errorInSecondRange() throws {
    let badLine = 2_500
    let path = try TestFiles.temporary(Self.report(events: 3000, bad: [badLine: "this is not an event"]))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let strict = try Self.source(path, lenient: false, streams: 2)
    #expect(strict.streamCount == 2)
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines[badLine - 1] == "this is not an event")
    let badOffset = lines.prefix(badLine - 1).reduce(0) { $0 + $1.utf8.count + 1 }
    #expect(badOffset > strict.ranges[1].lowerBound)
    #expect(throws: TraceParseError.self) {
      try strict.reduceTextStreamsConcurrently(fields: .all, reducer: EventCounter())
    }
    do {
      _ = try strict.reduceTextStreamsConcurrently(fields: .all, reducer: EventCounter())
    } catch let error as TraceParseError {
      #expect(error.location == InputLocation(file: path, line: badLine))
    }
    let lenient = try Self.source(path, lenient: true, streams: 2)
    let result = try lenient.reduceTextStreamsConcurrently(fields: .all, reducer: EventCounter())
    #expect(result.skippedLines.count == 1)
    #expect(result.skippedLines.first?.location == InputLocation(file: path, line: badLine))
    let one = try Self.source(path, lenient: true, streams: 1).readAll()
    #expect(result.summary == one.events.count)
    try Self.compareSplit(path, label: "bad line")
  }

  @Test("the default init, small files, standard input and compressed files stay one stream")
  func staysOneStream() throws {
    let path = try TestFiles.temporary(Self.report(events: 3000))
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(try FtraceTextSource(path: path).streamCount == 1)
    #expect(try FtraceTextSource(path: path, parallelStreams: 4).streamCount == 1)
    let head = Array(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(4096))[...]
    #expect(FtraceTextRanges.plan(path: path, head: head, minimumRangeBytes: 1, maximumRanges: 4).count == 4)
    #expect(FtraceTextRanges.plan(path: "-", head: head, minimumRangeBytes: 1, maximumRanges: 4).isEmpty)
    #expect(try Self.source(path, lenient: false, streams: 4, minimum: 1 << 30).streamCount == 1)
    let gz = path + ".gz"
    _ = try Fixtures.run("/bin/sh", ["-c", "gzip -c '\(path)' > '\(gz)'"])
    defer { try? FileManager.default.removeItem(atPath: gz) }
    #expect(try Self.source(gz, lenient: false, streams: 4).streamCount == 1)
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    String(repeating: "0", count: max(0, width - count)) + self
  }
}

/// Counts events: the smallest ``EventReducer``.
private struct EventCounter: EventReducer {
  var empty: Int { 0 }
  func fold(_ count: inout Int, _ event: TraceEvent) { count += 1 }
  func merge(_ lhs: Int, _ rhs: Int) -> Int { lhs + rhs }
}
