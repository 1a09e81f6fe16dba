import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceReaders

/// `perf record` without `-g` and without `-a` (this machine's perf 6.1, kernel 6.18;
/// scripts/fixtures/capture-perf-layouts.sh): no callchain, no `[cpu]`, the comm right-aligned
/// (issue 11, gaps A and B). Counts: fixtures/text/local618-nog-*.expected (awk), checked by
/// ForeignTextCorpusTests; here, what each sample holds.
@Suite struct PerfScriptWithoutCallchainTests {
  static let files = [
    "text/local618-nog-default.perfscript.txt", "text/local618-nog-sleep.perfscript.txt",
    "text/local618-nog-commtidtime.perfscript.txt", "text/local618-nog-timeeventipsym.perfscript.txt",
  ]

  @Test("each layout is recognized as perf script", arguments: files)
  func detected(_ fixture: String) throws {
    #expect(try detectInput(path: Fixtures.url(fixture).path).format == .perfScript)
  }

  @Test("default layout: comm, pid, time, period, event and the inline ip sym (dso) as a one-frame stack")
  func defaultLayout() throws {
    let (events, skipped) = try PerfScriptSource(path: Fixtures.url("text/local618-nog-default.perfscript.txt").path).readAll()
    #expect(skipped.count == 0)
    let first = try #require(events.first)
    // `              sh 13288  1229.136152:     250000 cpu-clock:      7f45041f862a handle_amd+0xa (/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)`
    #expect(first.comm == "sh" && first.pid == 13288 && first.cpu == -1)
    #expect(first.timestamp.nanoseconds == 1_229_136_152_000)
    #expect(first.system == "perf" && first.name == "cpu-clock")
    #expect(first.fields.first { $0.name == "period" }?.value == .unsigned(250_000))
    #expect(first.stack?.frames == [KernelStack.Frame(address: 0x7f45041f862a, symbol: "handle_amd", offset: 0xa)])
  }

  @Test("-F time,event,ip,sym: the time opens the line (no comm, no pid)")
  func timeFirst() throws {
    let path = Fixtures.url("text/local618-nog-timeeventipsym.perfscript.txt").path
    let (events, skipped) = try PerfScriptSource(path: path).readAll()
    #expect(skipped.count == 0)
    #expect(events.count == 85)
    let first = try #require(events.first)
    #expect(first.timestamp.nanoseconds == 1_229_136_152_000 && first.comm == "" && first.pid == -1)
    #expect(first.name == "cpu-clock" && first.stack?.frames.first?.symbol == "handle_amd")
    #expect(zip(events, events.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
    // The same samples as the default layout, in the same order and at the same times.
    let (full, _) = try PerfScriptSource(path: Fixtures.url("text/local618-nog-default.perfscript.txt").path).readAll()
    #expect(events.map(\.timestamp) == full.map(\.timestamp))
  }

  @Test("-F comm,tid,time,event: samples without any frame")
  func commTidTimeEvent() throws {
    let (events, _) = try PerfScriptSource(path: Fixtures.url("text/local618-nog-commtidtime.perfscript.txt").path).readAll()
    #expect(events.count == 85 && events.allSatisfy { $0.stack == nil && $0.name == "cpu-clock" })
    // The same tasks and times as the default layout's.
    let (full, _) = try PerfScriptSource(path: Fixtures.url("text/local618-nog-default.perfscript.txt").path).readAll()
    #expect(events.map(\.comm) == full.map(\.comm) && events.map(\.pid) == full.map(\.pid))
    #expect(events.map(\.timestamp) == full.map(\.timestamp))
  }

  @Test("ftrace text is not taken for perf script without [cpu]")
  func ftraceStillFtrace() {
    let line = "          <idle>-0       [001] d..2  2753.115490: sched_switch: prev_comm=swapper/1\n"
    #expect(detectFormat(firstBytes: Array(line.utf8)) == .ftraceText)
    #expect(detectFormat(firstBytes: Array(" 1074.456594: cpu-clock:  ffffffff815fe977 unmap_page_range\n".utf8)) == .perfScript)
    #expect(detectFormat(firstBytes: Array("           sleep  9424  1074.456594: cpu-clock: \n".utf8)) == .perfScript)
  }
}
