import Testing
import TraceModel
import TraceTestSupport

@testable import TraceNative

/// The architecture of a trace.dat without UNAME, from its kallsyms and long size: only when
/// unambiguous (docs/formats.md, *Architecture without a uname*).
@Suite struct ArchitectureInferenceTests {
  static func kallsyms(_ names: [String]) -> [UInt8] {
    Array(names.map { "c0008000 t \($0)\n" }.joined().utf8)
  }

  @Test("one architecture's symbols with its long size give it, with the evidence")
  func unambiguous() {
    #expect(ArchitectureInference.infer(kallsyms: Self.kallsyms(["stext", "el0_sync"]), longSize: 8)?.machine == "aarch64")
    #expect(ArchitectureInference.infer(kallsyms: Self.kallsyms(["__irq_svc", "cpu_v7_do_idle"]), longSize: 4)?.machine == "armv7l")
    #expect(ArchitectureInference.infer(kallsyms: Self.kallsyms(["__irq_svc"]), longSize: 4)?.machine == "arm")
    #expect(ArchitectureInference.infer(kallsyms: Self.kallsyms(["entry_SYSCALL_64"]), longSize: 8)?.evidence
      == "kallsyms entry_SYSCALL_64 (x86-64 system-call entry) and 8-byte longs")
  }

  @Test("no kallsyms, a width the symbols contradict, two architectures, or a module symbol: unknown")
  func ambiguous() {
    #expect(ArchitectureInference.infer(kallsyms: [], longSize: 8) == nil)
    #expect(ArchitectureInference.infer(kallsyms: Self.kallsyms(["el0_sync"]), longSize: 4) == nil)
    #expect(ArchitectureInference.infer(kallsyms: Self.kallsyms(["el0_sync", "entry_SYSCALL_64"]), longSize: 8) == nil)
    #expect(ArchitectureInference.infer(kallsyms: Array("c0008000 t el0_sync\t[mymodule]\n".utf8), longSize: 8) == nil)
  }

  @Test("core symbols are whole names at a line's end: not a module's, not a longer name, not a last line without a newline")
  func coreSymbols() {
    let text = "ffff0001 T el0_sync\nffff0002 t xel0_sync\nffff0003 t el0_sync_x\nffff0004 t el1_irq\t[mod]\n"
      + "ffff0005 T el0t_64_sync\nffff0006 T entry_SYSCALL_64"
    let present = ArchitectureInference.coreSymbols(
      in: Array(text.utf8), among: ["el0_sync", "el1_irq", "el0t_64_sync", "entry_SYSCALL_64", "absent"])
    #expect(present == ["el0_sync", "el0t_64_sync"])
  }

  @Test("the foreign traces without UNAME: LISA arm32 is armv7l, LISA arm64 aarch64, trace-cmd listen's i686")
  func foreign() throws {
    for (path, machine) in [("foreign/tracedat/arm32-lisa-8cpu.v6.dat.gz", "armv7l"), ("foreign/tracedat/arm64-lisa-6cpu.v6.dat.gz", "aarch64"),
                            ("foreign/tracedat/arm64-lisa-idle.v6.dat.gz", "aarch64"), ("foreign/tracedat/i686-buildroot-4.13.9-listen.v6.dat.gz", "i686")] {
      let reader = try TraceDatReader(path: try Fixtures.materialize(path).path)
      #expect(reader.metadata.uname == nil)
      #expect(reader.metadata.inferredArchitecture?.machine == machine, "\(path)")
    }
    // A trace with a uname infers nothing.
    let wega = try TraceDatReader(path: try Fixtures.materialize("foreign/tracedat/armv7l-wega-4.14.15.v6.dat.gz").path)
    #expect(wega.metadata.architecture == "armv7l" && wega.metadata.inferredArchitecture == nil)
  }
}
