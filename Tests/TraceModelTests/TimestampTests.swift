import Testing
import TraceModel

@Suite struct TimestampTests {
  @Test("reads seconds and microseconds as trace text prints them")
  func microseconds() {
    let t = Timestamp(seconds: 433, fractionDigits: 286406, digitCount: 6)
    #expect(t.nanoseconds == 433_286_406_000)
    #expect(t.description == "433.286406")
  }

  @Test("reads nanosecond fractions")
  func nanoseconds() {
    #expect(Timestamp(seconds: 1, fractionDigits: 5, digitCount: 9).nanoseconds == 1_000_000_005)
  }

  @Test("parses and formats CPU lists", arguments: [("0-3,6", [0, 1, 2, 3, 6]), ("5", [5]), ("", [])])
  func cpuLists(text: String, cpus: [Int]) {
    #expect(CPUList.parse(Substring(text)) == cpus)
    #expect(CPUList.format(cpus) == text)
  }

  @Test("resolves addresses through kallsyms")
  func symbols() {
    let table = SymbolTable(kallsyms: """
      ffffffff81000000 T _text
      ffffffff81001000 t do_sync_core
      ffffffff81002000 D some_data
      ffffffff81003000 T text_poke_bp_batch
      """)
    #expect(table.symbolize(0xffffffff81001010)?.name == "do_sync_core")
    #expect(table.symbolize(0xffffffff81001010)?.offset == 0x10)
    #expect(table.symbolize(0xffffffff81002010)?.name == "do_sync_core")
    #expect(table.symbolize(0x1000) == nil)
  }

  @Test("knows the text_poke names of every kernel version")
  func aliases() {
    #expect(KernelSymbols.patchRole(of: "text_poke_bp_batch") == .batch)
    #expect(KernelSymbols.patchRole(of: "smp_text_poke_batch_finish") == .batchFinish)
    #expect(KernelSymbols.isTextPokePath("smp_text_poke_sync_each_cpu"))
    #expect(!KernelSymbols.isTextPokePath("poke_int3_handler"))
    #expect(KernelSymbols.int3HandlerNames.contains("smp_text_poke_int3_handler"))
    #expect(KernelVersion(release: "6.1.0-13-cloud-amd64") == KernelVersion(6, 1, 0))
  }
}
