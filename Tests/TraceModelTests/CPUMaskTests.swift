import Testing
import TraceModel

@Suite struct CPUMaskTests {
  /// Texts as tools print them: the kernel's `%*pb` bitmap (tracefs text of ipi_send_cpumask
  /// and ipi_raise, issue 12's `00000000,0000000b`), libtraceevent's CPU list, a kprobe's
  /// `:x64` fetch.
  @Test("reads every printed form of a cpumask", arguments: [
    ("00000000,0000000b", [0, 1, 3]),
    ("00000000,00000001", [0]),
    ("00000000,0000000e", [1, 2, 3]),
    ("0000000e", [1, 2, 3]),
    ("00000001,00000000", [32]),
    ("80000000,00000000,00000000", [95]),
    ("0-1,3", [0, 1, 3]),
    ("3", [3]),
    ("12", [12]),
    ("0x7", [0, 1, 2]),
    ("0x8000000000000001", [0, 63]),
    ("b", [0, 1, 3]),
    ("", []),
  ])
  func printed(text: String, cpus: [Int]) {
    #expect(CPUMask.parse(Substring(text)) == cpus)
  }

  @Test("text that is no cpumask is nil", arguments: ["x", "00000000,0000000g", "3-1", "0x"])
  func notAMask(text: String) {
    #expect(CPUMask.parse(Substring(text)) == nil)
  }

  @Test("raw bitmap bytes: little-endian longs, word k from CPU 64k")
  func bytes() {
    // ipi_raise's `__data_loc unsigned long[] target_cpus` on a 4-CPU arm64 guest, CPUs 1-3.
    #expect(CPUMask.cpus(inBytes: [0x0e, 0, 0, 0, 0, 0, 0, 0]) == [1, 2, 3])
    #expect(CPUMask.cpus(inBytes: [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]) == [64])
    #expect(CPUMask.cpus(inBytes: [0, 0, 0, 0x0e], wordSize: 4, bigEndian: true) == [1, 2, 3])
    #expect(CPUMask.cpus(in: .bytes([0x03, 0, 0, 0, 0, 0, 0, 0])) == [0, 1])
    #expect(CPUMask.cpus(in: .unsigned(0b1010)) == [1, 3])
    #expect(CPUMask.cpus(in: .string("00000000,00000006")) == [1, 2])
  }
}
