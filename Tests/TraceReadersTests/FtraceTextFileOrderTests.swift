import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceReaders

/// What reading a text file gave: its events (up to the error that ended them), the error, and
/// the counts.
struct FileOrderOutcome: Equatable {
  var events: [TraceEvent] = []
  var error: TraceParseError?
  var counts = TextReadCounts()
}

/// `FtraceTextSource.forEachInFileOrderConcurrently` (byte ranges on several threads, every
/// edge checked) against one stream over the whole file.
@Suite("ftrace text in file order from byte ranges")
struct FtraceTextFileOrderTests {
  /// The analysis' selection (`IPIAnalyzer.selection`, which this target cannot import).
  static let analysisSelection = FieldSelection.only([
    "ipi:*", "irq_vectors:call_function_entry", "irq_vectors:call_function_single_entry",
    "irq_vectors:call_function_exit", "irq_vectors:call_function_single_exit",
    "csd:csd_queue_cpu", "ftrace:print", "ftrace:funcgraph_entry", "ftrace:funcgraph_exit",
    "ftrace:function", "kprobes:*", "perf:*",
  ])

  static func oneStream(_ path: String, lenient: Bool, fields: FieldSelection) throws
    -> FileOrderOutcome
  {
    let source = try FtraceTextSource(path: path, options: TextReaderOptions(lenient: lenient))
    #expect(source.streamCount == 1)
    var outcome = FileOrderOutcome()
    var stream = try source.stream(0, fields: fields)
    do {
      while let event = try stream.next() { outcome.events.append(event) }
    } catch {
      outcome.error = error
    }
    outcome.counts = TextReadCounts(
      skippedEvents: stream.skippedEvents, skipped: stream.skipped, highestCPU: stream.highestCPU)
    return outcome
  }

  static func ranged(
    _ path: String, lenient: Bool, fields: FieldSelection, ranges: Int, workers: Int
  ) throws
    -> (FileOrderOutcome, streams: Int)
  {
    let (outcome, streams, _) = try rangedWithEdges(
      path, lenient: lenient, fields: fields, ranges: ranges, workers: workers)
    return (outcome, streams)
  }

  /// ``ranged(_:lenient:fields:ranges:workers:)`` with the number of edges that failed.
  static func rangedWithEdges(
    _ path: String, lenient: Bool, fields: FieldSelection, ranges: Int, workers: Int
  ) throws
    -> (FileOrderOutcome, streams: Int, failedEdges: Int)
  {
    let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
    let source = try FtraceTextSource(
      path: path, options: TextReaderOptions(lenient: lenient),
      orderedRangeBytes: max(1, size / ranges))
    var outcome = FileOrderOutcome()
    var failedEdges = 0
    do {
      (outcome.counts, failedEdges) = try source.readInFileOrder(
        fields: fields, workers: workers, transform: { { $0 } }
      ) { outcome.events.append($0) }
    } catch let error as TraceParseError {
      outcome.error = error
    }
    return (outcome, source.streamCount, failedEdges)
  }

  /// Compares the ranged reading of `path` with one stream; returns the most ranges used.
  @discardableResult
  static func compare(_ path: String, label: String) throws -> Int {
    var most = 1
    for fields in [FieldSelection.all, analysisSelection] {
      for lenient in [false, true] {
        let one = try oneStream(path, lenient: lenient, fields: fields)
        for (ranges, workers) in [(2, 2), (5, 1), (5, 3), (17, 2)] {
          let (split, streams) = try ranged(
            path, lenient: lenient, fields: fields, ranges: ranges, workers: workers)
          most = max(most, streams)
          let context =
            "\(label) fields \(fields) lenient \(lenient) ranges \(streams)/\(ranges) workers \(workers)"
          #expect(split.error == one.error, "\(context)")
          if one.error == nil {
            #expect(split.events == one.events, "\(context)")
            #expect(split.counts == one.counts, "\(context)")
          } else {
            // Either may stop short of the other (one stream holds a few events when it throws;
            // a range's events go out only once the range was read without an error): the
            // events both gave agree.
            #expect(zip(split.events, one.events).allSatisfy { $0 == $1 }, "\(context)")
          }
        }
      }
    }
    return most
  }

  @Test("byte ranges give one stream's events, counts and errors", arguments: Fixtures.textFiles())
  func rangedEqualsOneStream(_ fixture: String) throws {
    try Self.compare(try Fixtures.materialize(fixture).path, label: fixture)
  }

  /// A `trace-cmd report` text of two buffers (the top level and instance `ev`, whose lines
  /// carry the `ev: ` label) with stack blocks, lost notices (some labelled, some waiting
  /// across long runs of the other CPU), wrapped marker text and equal timestamps.
  static func instanceReport(events: Int, bad: [Int: String] = [:]) -> String {
    var lines = ["cpus=2"]
    func add(_ line: String) {
      while let text = bad[lines.count + 1] { lines.append(text) }
      lines.append(line)
    }
    var micros = 949_000_000
    for n in 0..<events {
      if n % 7 != 0 { micros += 3 }
      // Long runs of CPU 0 (so a CPU 1 notice or stack waits across many lines).
      let cpu = (n / 90) % 4 == 3 ? 1 : (n % 3 == 0 ? 1 : 0)
      let label = n % 4 == 0 ? "" : "ev: "
      let comm = cpu == 1 ? "<idle>-0    " : "    bash-12642"
      let stamp = "\(micros / 1_000_000).\(String(micros % 1_000_000).paddedWithZeros(to: 6))"
      if n % 250 == 249 { add("\(label)CPU:\(1 - cpu) [LOST \(n) EVENTS]") }
      if n % 333 == 100 { add("ev: CPU:\(cpu) [\(n) EVENTS DROPPED]") }
      let event: String
      switch n % 10 {
      case 0:
        event =
          "ipi_send_cpu:         cpu=\(1 - cpu) callsite=on_each_cpu_cond_mask+0x20 callback=0x0"
      case 1: event = "call_function_single_entry: vector=251"
      case 2: event = "call_function_single_exit: vector=251"
      case 3:
        event =
          "ipi_send_cpumask:     cpumask=0-1 callsite=smp_call_function_many_cond+0x1a callback=do_sync_core+0x0"
      case 4 where n % 170 == 4: event = "tracing_mark_write: FLIP_BEGIN \(n)"
      default: event = "sched_wakeup:         bash:\(n) [120] CPU:00\(cpu)"
      }
      add("\(label)      \(comm) [00\(cpu)]   \(stamp): \(event)")
      if n % 150 == 149 || n % 211 == 3 {
        add("\(label)      \(comm) [00\(cpu)]   \(stamp): kernel_stack:         <stack trace >")
        add("=> smp_call_function_many_cond (ffffffff81440ae0)")
        add("=> on_each_cpu_cond_mask (ffffffff81440da0)")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  @Test("a report with an instance buffer splits at labelled lines and reads the same")
  func instanceLines() throws {
    let path = try TestFiles.temporary(Self.instanceReport(events: 4000))
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(try Self.compare(path, label: "instance") >= 10)
  }

  @Test(
    "an error line in a later range is reported at its line in the file",
    arguments: [1_000, 2_500, 4_100])
  func errorInLaterRange(_ badLine: Int) throws {
    let path = try TestFiles.temporary(
      Self.instanceReport(events: 4000, bad: [badLine: "this is not an event"]))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let (split, streams) = try Self.ranged(
      path, lenient: false, fields: .all, ranges: 9, workers: 2)
    #expect(streams >= 5)
    #expect(split.error?.location == InputLocation(file: path, line: badLine))
    let (lenient, _) = try Self.ranged(path, lenient: true, fields: .all, ranges: 9, workers: 2)
    #expect(lenient.counts.skipped.count == 1)
    #expect(lenient.counts.skipped.first?.location == InputLocation(file: path, line: badLine))
    try Self.compare(path, label: "bad line \(badLine)")
  }

  @Test("edges that do not hold are read on by one stream")
  func failingEdges() throws {
    // A lost notice for CPU 1 before a long run of CPU 0 lines reaches across most cuts.
    var lines = ["cpus=2"]
    var micros = 100_000_000
    for n in 0..<3000 {
      micros += 2
      let cpu = n % 500 == 0 ? 1 : 0
      if n % 500 == 1 { lines.append("CPU:1 [LOST \(n) EVENTS]") }
      let stamp = "\(micros / 1_000_000).\(String(micros % 1_000_000).paddedWithZeros(to: 6))"
      lines.append(
        "          <idle>-0     [00\(cpu)]   \(stamp): ipi_send_cpu:         cpu=\(1 - cpu) callsite=x+0x1 callback=0x0"
      )
    }
    let path = try TestFiles.temporary(lines.joined(separator: "\n") + "\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(try Self.compare(path, label: "lost across edges") >= 10)
    let (split, streams, failedEdges) = try Self.rangedWithEdges(
      path, lenient: false, fields: .all, ranges: 17, workers: 2)
    #expect(split.events.filter { $0.lostBefore > 0 }.count == 5)
    // Both ways are taken: fresh starts and reading on.
    #expect(failedEdges > 0)
    #expect(failedEdges < streams - 1)
  }

  @Test("small files, standard input and compressed files stay one stream")
  func staysOneStream() throws {
    let path = try TestFiles.temporary(Self.instanceReport(events: 3000))
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(try FtraceTextSource(path: path, orderedRangeBytes: 32 << 20).streamCount == 1)
    #expect(try FtraceTextSource(path: path, orderedRangeBytes: 4096).streamCount > 10)
    let gz = path + ".gz"
    _ = try Fixtures.run("/bin/sh", ["-c", "gzip -c '\(path)' > '\(gz)'"])
    defer { try? FileManager.default.removeItem(atPath: gz) }
    #expect(try FtraceTextSource(path: gz, orderedRangeBytes: 4096).streamCount == 1)
  }
}

extension String {
  fileprivate func paddedWithZeros(to width: Int) -> String {
    String(repeating: "0", count: max(0, width - count)) + self
  }
}
