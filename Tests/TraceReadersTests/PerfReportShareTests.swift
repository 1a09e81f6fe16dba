import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceReaders

@Suite("perf report --stdio shares")
struct PerfReportShareTests {
  static let cases: [(fixture: String, symbol: String)] = [
    ("perfreport-seed-int3", "poke_int3_handler"),
    ("perfreport-children", "smp_text_poke_batch_finish"),
    ("perfreport-children", "exc_page_fault"),
    ("perfreport-children", "pv_native_safe_halt"),
    ("perfreport-children", "__text_poke"),
    ("perfreport-cpuclock", "pv_native_safe_halt"),
    ("perfreport-cpuclock", "exc_page_fault"),
    ("perfreport-cpuclock", "__text_poke"),
  ]

  @Test("the share of a symbol is the sum awk found", arguments: cases)
  func share(_ testCase: (fixture: String, symbol: String)) throws {
    let expected = try TestFiles.expected(testCase.fixture)
    let entries = Int(expected["\(testCase.symbol).entries"]!)!
    let share = try PerfReportShare.read(
      path: Fixtures.url("text/\(testCase.fixture).txt").path, symbol: testCase.symbol)
    #expect((share?.entries.count ?? 0) == entries)
    guard let share else { return }
    #expect(abs(share.percent - Double(expected["\(testCase.symbol).first"]!)!) < 0.001)
    if testCase.fixture == "perfreport-children" {
      #expect(abs(share.selfPercent! - Double(expected["\(testCase.symbol).second"]!)!) < 0.001)
    } else {
      #expect(share.selfPercent == nil)
    }
  }

  @Test("the seed's 51.30% poke_int3_handler and its callers")
  func seed() throws {
    let share = try #require(
      try PerfReportShare.read(path: Fixtures.url("text/perfreport-seed-int3.txt").path, symbol: "poke_int3_handler"))
    let entry = share.entries[0]
    #expect(entry.percent == 51.30 && entry.selfPercent == nil)
    #expect(entry.command == "server_bin" && entry.sharedObject == "[kernel.kallsyms]" && entry.isKernel == true)
    #expect(entry.callGraph.first == .init(symbol: "poke_int3_handler", percent: 46.45))
    #expect(share.callers.prefix(3).map(\.symbol) == ["exc_int3", "asm_exc_int3", "cls_bpf_classify"])
    #expect(share.callers.contains(.init(symbol: "cls_bpf_classify", percent: 24.26)))
    #expect(share.callers.contains(.init(symbol: "tcp_v6_do_rcv", percent: 9.00)))
    #expect(share.callers.last?.symbol == "do_softirq_own_stack")
  }

  @Test("children and self columns, and the caller graph of an idle entry")
  func columns() throws {
    let (entries, skipped) = try PerfReportReader.read(path: Fixtures.url("text/perfreport-children.txt").path)
    #expect(skipped.count == 0)
    let batch = try #require(entries.first { $0.symbol == "smp_text_poke_batch_finish" })
    #expect(batch.percent == 0.49 && batch.selfPercent == 0.00 && batch.command == "sh")
    let (plain, _) = try PerfReportReader.read(path: Fixtures.url("text/perfreport-cpuclock.txt").path)
    let idle = try #require(plain.first)
    #expect(idle.symbol == "pv_native_safe_halt" && idle.percent == 39.06 && idle.command == "swapper")
    #expect(idle.callers.first?.symbol == "default_idle" && idle.callers.last?.symbol == "common_startup_64")
  }

  @Test("a stray line before the first entry names its line")
  func malformed() throws {
    let text = "# Overhead  Command\nnot a report line\n    10.00%  sh  [kernel.kallsyms]  [k] f\n"
    let error = try #require(throws: TraceParseError.self) { _ = try PerfReportReader.parse(text: text, path: "r.txt") }
    #expect(error.location == InputLocation(file: "r.txt", line: 2))
    let lenient = try PerfReportReader.parse(text: text, path: "r.txt", options: TextReaderOptions(lenient: true))
    #expect(lenient.skipped.count == 1 && lenient.entries.map(\.symbol) == ["f"])
  }
}
