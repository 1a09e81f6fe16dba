import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceReaders

@Suite("perf stat, bpftool and /proc/interrupts")
struct MetricReaderTests {
  static let perfStatFixtures = [
    "perfstat-default", "perfstat-bignum", "perfstat-a", "perfstat-A", "perfstat-r3", "perfstat-csv",
    "perfstat-json", "perfstat-seed-itlb-before", "perfstat-seed-itlb-after",
  ]

  @Test("each perf stat fixture gives the counts awk found", arguments: perfStatFixtures)
  func perfStat(_ name: String) throws {
    let expected = try TestFiles.expected(name)
    let (set, skipped) = try PerfStatReader.read(path: Fixtures.url("text/\(name).txt").path)
    #expect(skipped.count == 0)
    #expect(set.counters.count == Int(expected["counters"]!)!)
    #expect(set.counters.filter { $0.status == .notSupported }.count == Int(expected["not_supported"]!)!)
    #expect((set["page-faults"] ?? 0) == Double(expected["page_faults"]!)!)
    if let elapsed = expected["elapsed"], !elapsed.isEmpty {
      #expect(set.elapsedSeconds == Double(elapsed)!)
    }
  }

  @Test("perf stat details: units, per-CPU rows, variance, user/sys, the seed's counters")
  func perfStatDetails() throws {
    let bignum = try PerfStatReader.read(path: Fixtures.url("text/perfstat-bignum.txt").path).counters
    #expect(bignum.counters[0] == CounterSet.Counter(event: "task-clock", value: 1159.43, unit: "msec"))
    #expect(bignum.userSeconds == 0.119496 && bignum.sysSeconds == 1.048517)
    let perCPU = try PerfStatReader.read(path: Fixtures.url("text/perfstat-A.txt").path).counters
    #expect(Set(perCPU.counters.compactMap(\.cpu)) == [0, 1])
    #expect(perCPU.target == "system wide")
    let repeated = try PerfStatReader.read(path: Fixtures.url("text/perfstat-r3.txt").path).counters
    #expect(repeated.runs == 3 && repeated.counters[0].variancePercent == 1.21 && repeated.elapsedVariancePercent == 1.68)
    let before = try PerfStatReader.read(path: Fixtures.url("text/perfstat-seed-itlb-before.txt").path).counters
    #expect(before["ITLB_WALK"] == 333_278_635 && before["INST_RETIRED"] == 25_359_571_423_901)
  }

  @Test("counter sets merge associatively with empty as identity")
  func merge() throws {
    let a = try PerfStatReader.read(path: Fixtures.url("text/perfstat-seed-itlb-before.txt").path).counters
    let b = try PerfStatReader.read(path: Fixtures.url("text/perfstat-seed-itlb-after.txt").path).counters
    let c = try PerfStatReader.read(path: Fixtures.url("text/perfstat-default.txt").path).counters
    #expect(a.merging(.empty) == a && CounterSet.empty.merging(a) == a)
    #expect(a.merging(b).merging(c) == a.merging(b.merging(c)))
    #expect(a.merging(b)["ITLB_WALK"] == Double(333_278_635 + 190_333_544))
    #expect(a.merging(b).runs == 2)
  }

  @Test("a malformed perf stat line names its line")
  func perfStatMalformed() throws {
    let text = " Performance counter stats for 'true':\n\n   12      page-faults\n garbage here\n"
    let error = try #require(throws: TraceParseError.self) {
      _ = try PerfStatReader.parse(text: text, path: "stat.txt")
    }
    #expect(error.location == InputLocation(file: "stat.txt", line: 4))
    let lenient = try PerfStatReader.parse(text: text, path: "stat.txt", options: TextReaderOptions(lenient: true))
    #expect(lenient.skipped.count == 1 && lenient.counters["page-faults"] == 12)
  }

  @Test(
    "bpftool text and JSON give the numbers awk found",
    arguments: ["bpftool-prog.txt", "bpftool-prog.json", "bpftool-seed-before.txt", "bpftool-seed-after.txt"])
  func bpftool(_ name: String) throws {
    let expected = try TestFiles.expected(name)
    let (programs, skipped) = try BPFProgramReader.read(path: Fixtures.url("text/\(name)").path)
    #expect(skipped.count == 0)
    #expect(programs.count == Int(expected["programs"]!)!)
    #expect(programs.first?.runTimeNanoseconds == UInt64(expected["run_time_ns"]!)!)
    #expect(programs.first?.runCount == UInt64(expected["run_cnt"]!)!)
  }

  @Test("bpftool details agree between text and JSON; the seed's 36 ns per run")
  func bpftoolDetails() throws {
    let text = try BPFProgramReader.read(path: Fixtures.url("text/bpftool-prog.txt").path).programs[0]
    let json = try BPFProgramReader.read(path: Fixtures.url("text/bpftool-prog.json").path).programs[0]
    #expect(text.id == json.id && text.type == json.type && text.name == json.name && text.tag == json.tag)
    #expect(text.xlatedBytes == json.xlatedBytes && text.jitedBytes == json.jitedBytes)
    #expect(text.loadedAt == "2026-11-23T13:50:08+0000")
    let seed = try BPFProgramReader.read(path: Fixtures.url("text/bpftool-seed-before.txt").path).programs[0]
    #expect(seed.name == "hn_egress" && seed.type == "sched_cls")
    #expect(Int(seed.nanosecondsPerRun!) == 36)  // the cover letter: "average cost is 36 nsec per call"
  }

  @Test("/proc/interrupts snapshots and per-CPU deltas")
  func interrupts() throws {
    let expected = try TestFiles.expected("interrupts-snapshots")
    let (snapshots, skipped) = try InterruptsReader.read(path: Fixtures.url("text/interrupts-snapshots.txt").path)
    #expect(skipped.count == 0)
    #expect(snapshots.count == Int(expected["snapshots"]!)!)
    #expect(snapshots.allSatisfy { $0.cpuCount == 2 })
    let deltas = snapshots[1].deltas(since: snapshots[0])
    #expect(deltas["CAL"] == [Int64(expected["cal_delta_cpu0"]!)!, Int64(expected["cal_delta_cpu1"]!)!])
    #expect(snapshots[0][row: "CAL"]?.description == "Function call interrupts")
    #expect(snapshots[0][row: "24"]?.description == "IO-APIC   5-edge      ACPI:Ged")
  }

  @Test("/proc/interrupts with four CPUs and a one-count row")
  func interruptsFourCPUs() throws {
    let text = """
                 CPU0       CPU1       CPU2       CPU3
        CAL:         10         20         30         40   Function call interrupts
        ERR:          0

                 CPU0       CPU1       CPU2       CPU3
        CAL:         13         20         33         40   Function call interrupts
        ERR:          0
      """
    let snapshots = try InterruptsReader.parse(text: text, path: "irq.txt").snapshots
    #expect(snapshots[1].deltas(since: snapshots[0])["CAL"] == [3, 0, 3, 0])
    #expect(snapshots[0][row: "ERR"]?.counts == [0])
  }
}
