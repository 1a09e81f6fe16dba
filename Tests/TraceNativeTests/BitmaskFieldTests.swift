import Foundation
import Testing
import TraceModel
import TraceNative
import TraceReaders
import TraceTestSupport

/// arm64's `ipi:ipi_raise` (`__data_loc unsigned long[] target_cpus`, printed with
/// `__get_bitmask`; `const char *reason`) decoded from a real trace.dat, against trace-cmd
/// report of the same file.
@Suite struct BitmaskFieldTests {
  @Test("ipi_raise's bitmap is a CPU list and its reason the string it points to, as trace-cmd report prints them",
        .enabled(if: Fixtures.canRun(with: "trace-cmd"), "trace-cmd is not installed"),
        arguments: ["lab/bookworm-arm64-smp4.dat", "lab/trixie-arm64-smp2.dat"])
  func ipiRaise(_ fixture: String) throws {
    // `ipi_raise: target_mask=00000000,0000000e (Function call interrupts)`, in file order per CPU.
    let expected: [(cpus: [Int], reason: String)] = try Fixtures.traceCmdReport(Fixtures.url(fixture)).compactMap { line in
      guard let range = line.range(of: "ipi_raise:"), let open = line.range(of: " (", range: range.upperBound..<line.endIndex) else { return nil }
      let mask = line[range.upperBound..<open.lowerBound].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "target_mask=", with: "")
      return (try #require(CPUMask.parse(Substring(mask))), String(line[open.upperBound...].dropLast()))
    }
    try #require(expected.count > 100)
    var seen: [(cpus: [Int], reason: String)] = []
    let reader = try TraceDatReader(path: Fixtures.url(fixture).path)
    _ = try reader.forEachEventInTimeOrder(fields: .only(["ipi:ipi_raise"])) { event in
      guard event.name == "ipi_raise" else { return }
      guard case .cpuList(let cpus)? = event[field: "target_cpus"], case .string(let reason)? = event[field: "reason"] else {
        Issue.record("ipi_raise fields \(event.fields)")
        return
      }
      seen.append((cpus, reason))
    }
    #expect(seen.count == expected.count)
    #expect(seen.map(\.cpus) == expected.map(\.cpus))
    #expect(seen.map(\.reason) == expected.map(\.reason))
  }
}
