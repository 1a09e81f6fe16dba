import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceReaders

@Suite("ftrace and trace-cmd report text")
struct FtraceTextSourceTests {
  static let eventFixtures = [
    "tracefs-default", "tracefs-tgid-noirq", "tracefs-latency", "tracefs-stack", "tracefs-pipe-lost",
    "report-stack", "report-latency", "report-tsdiff", "report-ns", "report-dropped", "lab61-kprobes",
    "report-seed-chronyd",
  ]

  @Test("each fixture gives the counts grep/awk found", arguments: eventFixtures)
  func fixtureCounts(_ name: String) throws {
    let expected = try TestFiles.expected(name)
    let source = try FtraceTextSource(path: Fixtures.url("text/\(name).txt").path)
    let (events, skipped) = try source.readAll()
    #expect(skipped.count == 0)
    #expect(events.count == Int(expected["events"]!)!)
    #expect(events.filter { $0.stack != nil }.count == Int(expected["stacks"]!)!)
    #expect(events.reduce(0) { $0 + ($1.stack?.frames.count ?? 0) } == Int(expected["frames"]!)!)
    #expect(events.reduce(0) { $0 + max(0, $1.lostBefore) } == Int(expected["lost"]!)!)
    #expect(events.filter { $0.name == "ipi_send_cpu" }.count == Int(expected["ipi_send_cpu"]!)!)
    #expect(
      events.filter { $0.name == "call_function_single_entry" }.count
        == Int(expected["call_function_single_entry"]!)!)
    #expect(events.filter { $0.name == "print" }.count == Int(expected["markers"]!)!)
    if let first = expected["first_ts"], !first.isEmpty, let last = expected["last_ts"] {
      #expect(events.first?.timestamp.nanoseconds == TestFiles.nanoseconds(first))
      #expect(events.last?.timestamp.nanoseconds == TestFiles.nanoseconds(last))
    }
  }

  @Test("the same capture as report, report -l, --ts-diff and -t gives the same events")
  func reportVariantsAgree() throws {
    func read(_ name: String) throws -> [TraceEvent] {
      try FtraceTextSource(path: Fixtures.url("text/\(name).txt").path).readAll().events
    }
    let plain = try read("report-stack")
    for variant in ["report-latency", "report-tsdiff"] {
      let other = try read(variant)
      #expect(other.count == plain.count)
      for (a, b) in zip(plain, other) {
        #expect(a.timestamp == b.timestamp && a.cpu == b.cpu && a.pid == b.pid && a.name == b.name)
        #expect(a.fields == b.fields && a.stack == b.stack && a.buffer == b.buffer)
      }
    }
    let ns = try read("report-ns")
    for (a, b) in zip(plain, ns) {
      // report rounds to the microsecond what -t prints to the nanosecond
      #expect(max(a.timestamp, b.timestamp).nanoseconds(since: min(a.timestamp, b.timestamp)) <= 500)
      #expect(a.name == b.name && a.fields == b.fields)
    }
  }

  @Test("an ipi_send_cpu line has typed fields, a system and its stack")
  func ipiSendFields() throws {
    let events = try FtraceTextSource(path: Fixtures.url("text/report-stack.txt").path).readAll().events
    let send = try #require(events.first { $0.name == "ipi_send_cpu" })
    #expect(send.system == "ipi")
    #expect(send.buffer == "readers-fx")
    #expect(send[field: "cpu"] == .unsigned(1) || send[field: "cpu"] == .unsigned(0))
    #expect(send[field: "callsite"] == .string("on_each_cpu_cond_mask+0x20"))
    #expect(send.info?.hasPrefix("cpu=") == true)
    let stack = try #require(send.stack)
    #expect(stack.frames.first?.symbol == "trace_event_raw_event_ipi_send_cpu")
    #expect(stack.frames.contains { $0.symbol == "smp_text_poke_batch_finish" && $0.address == 0xffff_ffff_8130_7a83 })
  }

  @Test("tracefs markers, irq flags and stacks without addresses")
  func tracefsStack() throws {
    let events = try FtraceTextSource(path: Fixtures.url("text/tracefs-stack.txt").path).readAll().events
    let marker = try #require(events.first { $0.name == "print" })
    #expect(marker.system == "ftrace")
    #expect(marker[field: "buf"] == .string("FLIP_BEGIN bpf_stats_enabled=1"))
    let queued = try #require(events.first { $0.name == "csd_queue_cpu" })
    #expect(queued.system == "csd")
    #expect(queued.stack?.frames.first == KernelStack.Frame(address: 0, symbol: "trace_event_raw_event_csd_queue_cpu"))
  }

  @Test("lost events go to the next event of that CPU")
  func lostEvents() throws {
    let pipe = try FtraceTextSource(path: Fixtures.url("text/tracefs-pipe-lost.txt").path).readAll().events
    let lost = try #require(pipe.first { $0.lostBefore != 0 })
    #expect(lost.cpu == 1 && lost.lostBefore == 254)
    let report = try FtraceTextSource(path: Fixtures.url("text/report-dropped.txt").path).readAll().events
    #expect(report.first?.lostBefore == 254 && report.first?.cpu == 0)
  }

  @Test("kprobe and kretprobe lines carry the probed function")
  func kprobes() throws {
    let events = try FtraceTextSource(path: Fixtures.url("text/lab61-kprobes.txt").path).readAll().events
    let entry = try #require(events.first { $0.name == "tpb" })
    #expect(entry.system == "kprobes")
    #expect(entry[field: "__probe_func"] == .string("text_poke_bp_batch"))
    #expect(entry[field: "__probe_ip"] == .string("text_poke_bp_batch+0x0/0x300"))
    #expect(entry[field: "nr"] == .unsigned(64))
    let ret = try #require(events.first { $0.name == "tpb_ret" })
    #expect(ret[field: "__probe_func"] == .string("text_poke_bp_batch"))
    let send = try #require(events.first { $0.name == "sendipi1" })
    #expect(send.stack?.frames.contains { $0.symbol == "native_send_call_func_single_ipi" } == true)
  }

  @Test("function_graph with abstime: entries, exits, leaves and durations")
  func functionGraph() throws {
    let expected = try TestFiles.expected("lab61-fgraph")
    let events = try FtraceTextSource(path: Fixtures.url("text/lab61-fgraph.txt").path).readAll().events
    #expect(events.filter { $0.name == "funcgraph_entry" }.count == Int(expected["entries"]!)!)
    #expect(events.filter { $0.name == "funcgraph_exit" }.count == Int(expected["exits"]!)!)
    #expect(events.filter { $0.name == "print" }.count == Int(expected["prints"]!)!)
    let top = events.filter { $0.name == "funcgraph_exit" && $0[field: "depth"] == .unsigned(0) }
    #expect(top.allSatisfy { $0[field: "func"] == .string("text_poke_bp_batch") })
    #expect(top.reduce(0) { $0 + ($1[field: "duration_ns"]?.unsignedValue ?? 0) } == UInt64(expected["top_level_duration_ns"]!)!)
    #expect(events.allSatisfy { $0.cpu == 1 })
  }

  @Test("the mail-wrapped chronyd trace from the cover letter reads with its stack")
  func seedChronyd() throws {
    let events = try FtraceTextSource(path: Fixtures.url("text/report-seed-chronyd.txt").path).readAll().events
    #expect(events[0].name == "function" && events[0][field: "ip"] == .string("smp_call_function_single"))
    #expect(events[0].stack?.frames.first?.symbol == "smp_call_function_many")
    #expect(events[0].stack?.frames.first?.address == 0xffff_ffff_bc10_ab22)
    #expect(events[1][field: "vector"] == .unsigned(251))
  }

  @Test("latency-format gives relative microsecond timestamps and the cpu from the flags column")
  func latencyFormat() throws {
    let events = try FtraceTextSource(path: Fixtures.url("text/tracefs-latency.txt").path).readAll().events
    #expect(events[0].timestamp.nanoseconds == 26_362_000)
    #expect(events[0].cpu == 0 && events[0].comm == "bash")
  }

  @Test("metadata comes from the header lines")
  func metadata() throws {
    let report = try FtraceTextSource(path: Fixtures.url("text/report-stack.txt").path)
    #expect(report.metadata.cpuCount == 2 && report.metadata.formatDescription == "trace-cmd report")
    let tracefs = try FtraceTextSource(path: Fixtures.url("text/tracefs-default.txt").path)
    #expect(tracefs.metadata.cpuCount == 2 && tracefs.metadata.formatDescription == "ftrace text (tracer nop)")
  }

  @Test("field selection .none keeps headers only")
  func headersOnly() throws {
    let source = try FtraceTextSource(path: Fixtures.url("text/tracefs-default.txt").path)
    let events = try source.readAll(fields: .none).events
    #expect(events.allSatisfy { $0.fields.isEmpty && $0.info == nil })
    #expect(events.count == Int(try TestFiles.expected("tracefs-default")["events"]!)!)
  }
}

/// ipi_raise and ipi_entry as arm64's tracefs text prints them (fixtures/lab/bookworm-arm64-smp2.txt.gz).
@Suite struct IPIReasonTextTests {
  @Test("the reason in parentheses and the kernel-printed target bitmap become fields")
  func reason() throws {
    let raise = EventInfoFields.parse("target_mask=00000000,00000001 (Function call interrupts)")
    #expect(raise.first { $0.name == "target_mask" }?.value == .cpuList([0]))
    #expect(raise.first { $0.name == "reason" }?.value == .string("Function call interrupts"))
    let entry = EventInfoFields.parse("(Function call interrupts)")
    #expect(entry == [EventField(name: "reason", value: .string("Function call interrupts"))])
    let mask = EventInfoFields.parse("cpumask=00000000,00000009 callsite=return_to_handler+0x0/0x50 callback=generic_smp_call_function_single_interrupt+0x0/0x20")
    #expect(mask.first { $0.name == "cpumask" }?.value == .cpuList([0, 3]))
  }
}
