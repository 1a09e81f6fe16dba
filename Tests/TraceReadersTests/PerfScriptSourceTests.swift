import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceReaders

@Suite("perf script text")
struct PerfScriptSourceTests {
  static let fixtures = [
    "perfscript-ipi", "perfscript-ipi-F", "perfscript-ipi-Fsym", "perfscript-ipi-Fnocg", "perfscript-ipi-ns",
    "perfscript-cpuclock", "perfscript-cpuclock-F",
  ]

  static func read(_ name: String) throws -> [TraceEvent] {
    let source = try PerfScriptSource(path: Fixtures.url("text/\(name).txt").path)
    let (events, skipped) = try source.readAll()
    #expect(skipped.count == 0)
    return events
  }

  @Test("each fixture gives the samples, frames and IPI targets awk found", arguments: fixtures)
  func fixtureCounts(_ name: String) throws {
    let expected = try TestFiles.expected(name)
    let events = try Self.read(name)
    let inlineFrames = name.hasSuffix("Fnocg") ? events.count : 0
    #expect(events.count == Int(expected["samples"]!)!)
    #expect(events.reduce(0) { $0 + ($1.stack?.frames.count ?? 0) } == Int(expected["frames"]!)! + inlineFrames)
    let kernelFrames = events.reduce(0) {
      $0 + ($1.stack?.frames.filter { $0.address >= 0xffff_ffff_0000_0000 }.count ?? 0)
    }
    #expect(kernelFrames == Int(expected["kernel_frames"]!)! + inlineFrames)
    #expect(
      events.reduce(0) { $0 + ($1.stack?.frames.filter { $0.symbol == nil }.count ?? 0) }
        == Int(expected["unknown_frames"]!)!)
    #expect(events.filter { $0.system == "ipi" && $0.name == "ipi_send_cpu" }.count == Int(expected["ipi_send_cpu"]!)!)
    #expect(events.filter { $0.system == "perf" && $0.name == "cpu-clock" }.count == Int(expected["cpu_clock"]!)!)
    for cpu in [0, 1] {
      #expect(
        events.filter { $0[field: "cpu"] == .unsigned(UInt64(cpu)) }.count == Int(expected["targets_cpu\(cpu)"]!)!)
    }
    #expect(events.first?.timestamp.nanoseconds == TestFiles.nanoseconds(expected["first_ts"]!))
    #expect(events.last?.timestamp.nanoseconds == TestFiles.nanoseconds(expected["last_ts"]!))
  }

  @Test("a tracepoint sample: system, name, typed fields, task, CPU and its kernel+user callchain")
  func tracepointSample() throws {
    let events = try Self.read("perfscript-ipi")
    let first = try #require(events.first)
    #expect(first.comm == "migration/0" && first.pid == 18 && first.cpu == 0)
    #expect(first.timestamp == Timestamp(nanoseconds: 704_209_603_000))
    #expect(first.system == "ipi" && first.name == "ipi_send_cpu")
    #expect(first[field: "cpu"] == .unsigned(1))
    #expect(first[field: "callsite"] == .string("ttwu_queue_wakelist+0x11d"))
    let frames = try #require(first.stack?.frames)
    #expect(
      frames.first
        == KernelStack.Frame(address: 0xffff_ffff_8144_1501, symbol: "__smp_call_single_queue", offset: 0x141))
    #expect(frames.last?.symbol == "ret_from_fork_asm")
    // A batch send: kernel frames, then libc, then the [unknown] bottom frame.
    let batch = try #require(events.first { $0.comm == "sh" })
    let chain = try #require(batch.stack?.frames)
    #expect(chain.contains { $0.symbol == "smp_text_poke_batch_finish" })
    #expect(chain[chain.count - 2] == KernelStack.Frame(address: 0xf8350, symbol: "__GI___libc_write", offset: 0x10))
    #expect(chain.last == KernelStack.Frame(address: 0, symbol: nil))
    #expect(KernelSymbols.isTextPokePath(chain[2].symbol!))
  }

  @Test("-F variants agree with the default layout on the same recording")
  func variantsAgree() throws {
    let fsym = try Self.read("perfscript-ipi-Fsym")
    let ns = try Self.read("perfscript-ipi-ns")
    let nocg = try Self.read("perfscript-ipi-Fnocg")
    #expect(fsym.count == ns.count && ns.count == nocg.count)
    for ((a, b), c) in zip(zip(fsym, ns), nocg) {
      // -F ...,cpu prints [cpu]; the --ns variant has no cpu column but the tid.
      #expect(a.pid == b.pid && a.comm == b.comm && a.pid == c.pid && a.cpu == c.cpu && b.cpu == -1)
      #expect(a.timestamp.nanoseconds == b.timestamp.nanoseconds / 1000 * 1000)
      #expect(a.stack?.frames.map(\.symbol) == b.stack?.frames.map(\.symbol))
      #expect(a.stack?.frames.map(\.address) == b.stack?.frames.map(\.address))
      // -G prints the innermost frame inline after the fields.
      #expect(c.stack?.frames == [a.stack!.frames[0]])
      #expect(b.fields == c.fields && c[field: "callsite"] != nil)
      #expect(a.fields.isEmpty)
    }
  }

  @Test("cpu-clock samples are perf events with the period and the sampled stack")
  func cpuClock() throws {
    let events = try Self.read("perfscript-cpuclock")
    let first = try #require(events.first)
    #expect(first.system == "perf" && first.name == "cpu-clock")
    #expect(first[field: "period"] == .unsigned(2_004_008))
    #expect(first.comm == "sh" && first.pid == 10057 && first.cpu == 0)
    #expect(first.stack?.frames.first?.symbol == "__text_poke")
    #expect(first.stack?.frames[1].symbol == "smp_text_poke_batch_finish")
    // Swift symbols with `$` and user frames without symbols keep their addresses.
    let unknown = try #require(events.first { $0.stack?.frames.first?.symbol == nil })
    #expect(unknown.stack!.frames.first!.address != 0 || unknown.stack!.frames.count > 1)
  }

  @Test("event names: tracepoints, sampling events with modifiers, PMU events")
  func classify() {
    #expect(PerfScriptStream.classify("ipi:ipi_send_cpu") == ("ipi", "ipi_send_cpu"))
    #expect(PerfScriptStream.classify("cpu-clock") == ("perf", "cpu-clock"))
    #expect(PerfScriptStream.classify("cycles:u") == ("perf", "cycles"))
    #expect(PerfScriptStream.classify("cycles:P") == ("perf", "cycles"))
    #expect(PerfScriptStream.classify("cpu/event=0x3c/") == ("perf", "cpu/event=0x3c/"))
    #expect(PerfScriptStream.classify("sched:sched_switch") == ("sched", "sched_switch"))
  }

  @Test("a malformed sample line names its line; lenient skips it and its frames")
  func malformed() throws {
    let text = """
      sh 1 [000]   1.000001: ipi:ipi_send_cpu: cpu=1 callsite=x+0x1 callback=0x0
      \tffffffff81000000 a+0x1 ([kernel.kallsyms])

      garbage without a time
      \tffffffff81000001 b+0x2 ([kernel.kallsyms])

      sh 1 [001]   1.000002: ipi:ipi_send_cpu: cpu=0 callsite=x+0x1 callback=0x0

      """
    let path = try TestFiles.temporary(text)
    let error = try #require(throws: TraceParseError.self) { _ = try PerfScriptSource(path: path).readAll() }
    #expect(error.location == InputLocation(file: path, line: 4))
    let (events, skipped) = try PerfScriptSource(path: path, options: TextReaderOptions(lenient: true)).readAll()
    #expect(skipped.count == 1 && events.count == 2)
    #expect(events[0].stack?.frames.count == 1 && events[1].stack == nil)
    let orphan = try TestFiles.temporary("\tffffffff81000001 b+0x2 ([kernel.kallsyms])\n")
    let orphanError = try #require(throws: TraceParseError.self) { _ = try PerfScriptSource(path: orphan).readAll() }
    #expect(orphanError.location.line == 1)
  }

  @Test("CRLF line ends, a truncated final line, gzip, an empty file and binary data")
  func badInput() throws {
    let original = try String(contentsOf: Fixtures.url("text/perfscript-ipi.txt"), encoding: .utf8)
    let expected = try Self.read("perfscript-ipi")
    let crlf = try TestFiles.temporary(original.replacingOccurrences(of: "\n", with: "\r\n"))
    #expect(try PerfScriptSource(path: crlf).readAll().events == expected)
    // Cut inside the last frame line: the sample is kept with the frames read so far.
    let cut = String(original.dropLast(30))
    let truncated = try PerfScriptSource(path: try TestFiles.temporary(cut)).readAll().events
    #expect(truncated.count == expected.count && truncated.dropLast() == expected.dropLast())
    #expect(truncated.last!.stack!.frames.count == expected.last!.stack!.frames.count)
    let gzPath = try TestFiles.temporary(original)
    _ = try Fixtures.run("/bin/gzip", ["-f", gzPath])
    #expect(try PerfScriptSource(path: gzPath + ".gz").readAll().events == expected)
    #expect(try PerfScriptSource(path: try TestFiles.temporary("")).readAll().events.isEmpty)
    let binary = try TestFiles.temporary([0x73, 0x68, 0x20, 0x00, 0x01, 0x02, 0x0a])
    let error = try #require(throws: TraceParseError.self) { _ = try PerfScriptSource(path: binary).readAll() }
    #expect(error.location.line == 1)
  }

  @Test("format detection picks perf script for every perf script fixture", arguments: fixtures)
  func detection(_ name: String) throws {
    #expect(try detectInput(path: Fixtures.url("text/\(name).txt").path).format == .perfScript)
  }
}
