import Foundation
import Testing
import TraceAnalysis
import TraceModel
import TraceReaders
import TraceTestSupport

@testable import TraceNative

/// `record --int3`: the fallback where no hardware PMU exists, and the path from perf's
/// ring-buffer records to perf script text that `analyze` reads.
@Suite struct Int3SamplingTests {
  /// PMU devices perf registers for hardware cycles (x86 core/hybrid, arm64 PMUv3).
  static var hasHardwarePMU: Bool {
    let devices =
      (try? FileManager.default.contentsOfDirectory(atPath: "/sys/bus/event_source/devices")) ?? []
    return devices.contains {
      $0 == "cpu" || $0.hasPrefix("cpu_") || $0.hasPrefix("armv8") || $0.hasPrefix("armv9")
    }
  }

  @Test(
    "no hardware PMU (this VM, TCG guests): --int3 says cpu-clock cannot sample inside the int3 handler, and gives no count",
    .enabled(
      if: (geteuid() == 0 && !hasHardwarePMU) || Fixtures.isCI,
      "needs root on a machine without a hardware PMU"))
  func fallbackWithoutPMU() throws {
    if Self.hasHardwarePMU {
      // CI machines with a PMU: sampling opens; the fallback is not what they exercise.
      let sampling = try Int3Sampling(cpus: [0])
      sampling.start()
      _ = sampling.finish()
      return
    }
    let error = try #require(throws: Int3Sampling.Unavailable.self) {
      _ = try Int3Sampling(cpus: [0])
    }
    #expect(
      error.cause == "perf_event_open(PERF_COUNT_HW_CPU_CYCLES) on cpu0: No such file or directory")
    #expect(
      error.description.hasSuffix(
        "cpu-clock cannot sample inside the int3 handler (it runs with interrupts off), so no int3 count is given"
      ))
  }

  /// A perf record: `struct perf_event_header` (type, misc, size) then the body, little endian.
  static func record(type: UInt32, _ body: [UInt64]) -> [UInt8] {
    let size = 8 + 8 * body.count
    var bytes =
      withUnsafeBytes(of: type.littleEndian, Array.init) + [0, 0]
      + withUnsafeBytes(of: UInt16(size).littleEndian, Array.init)
    for word in body { bytes += withUnsafeBytes(of: word.littleEndian, Array.init) }
    return bytes
  }

  static func sample(pid: UInt32, time: UInt64, cpu: UInt32, chain: [UInt64]) -> [UInt8] {
    // PERF_SAMPLE_IP, TID (pid, tid), TIME, CPU (cpu, res), CALLCHAIN (nr, ips): perf_event_open(2).
    let kernelContext: UInt64 = 0xffff_ffff_ffff_ff80  // PERF_CONTEXT_KERNEL (-128)
    return record(
      type: 9,
      [
        chain[0], UInt64(pid) | UInt64(pid) << 32, time, UInt64(cpu), UInt64(chain.count + 1),
        kernelContext,
      ] + chain)
  }

  @Test(
    "ring-buffer records become perf script text that analyze counts: 2 of 3 cycles samples in the int3 handler"
  )
  func recordsToAnalysis() throws {
    let symbols = SymbolTable(
      kallsyms: try String(
        contentsOf: Fixtures.url("record/bookworm61-kallsyms-excerpt.txt"), encoding: .utf8))
    func at(_ name: String, _ offset: UInt64) throws -> UInt64 {
      try #require(symbols.address(of: name)) + offset
    }
    var comm = Self.record(type: 3, [7 | 7 << 32])  // PERF_RECORD_COMM pid 7, tid 7, "kworker" padded to 8
    comm += Array("kworker\0".utf8)
    comm[6] = UInt8(comm.count)
    var bytes = comm
    bytes += Self.sample(
      pid: 7, time: 5_000_000_123, cpu: 1,
      chain: [
        try at("poke_int3_handler", 0x20), try at("exc_int3", 0x40), try at("asm_exc_int3", 0x1a),
        try at("default_idle", 0x11),
      ])
    bytes += Self.sample(
      pid: 0, time: 5_000_100_000, cpu: 0,
      chain: [
        try at("poke_int3_handler", 0x31), try at("exc_int3", 0x40), try at("asm_exc_int3", 0x1a),
        try at("bpf_stats_handler", 0xe1),
      ])
    bytes += Self.sample(
      pid: 7, time: 5_000_200_000, cpu: 1,
      chain: [try at("static_key_enable", 0x8), try at("bpf_stats_handler", 0xe1)])
    bytes += Self.record(type: 2, [1, 4])  // PERF_RECORD_LOST: id, lost
    bytes += [1, 2, 3]  // a torn record at the end is left alone

    var comms: [Int32: String] = [:]
    let parsed = PerfSampleBuffer.parse(bytes, cpu: 0, event: "cycles", comms: &comms)
    #expect(parsed.lost == 4)
    #expect(parsed.samples.count == 3)
    #expect(
      parsed.samples[0].comm == "kworker" && parsed.samples[0].cpu == 1
        && parsed.samples[0].callchain.count == 4)
    #expect(
      parsed.samples[1].callchain.first == (try at("poke_int3_handler", 0x31)),
      "the PERF_CONTEXT_KERNEL marker is dropped")

    var samples = parsed.samples
    samples[1].comm = "swapper"
    let text = PerfScriptWriter.render(samples, symbols: symbols)
    #expect(
      text.hasPrefix(
        "kworker 7 [001] 5.000000: cycles: \n\t\(String(try at("poke_int3_handler", 0x20), radix: 16)) poke_int3_handler+0x20 ([kernel.kallsyms])\n"
      ))
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "int3-\(UUID().uuidString).txt")
    defer { try? FileManager.default.removeItem(at: file) }
    try text.write(to: file, atomically: true, encoding: .utf8)
    let source = try PerfScriptSource(path: file.path)
    let report = try IPIAnalyzer.report(for: source)
    #expect(report.int3.samples == 2)
    #expect(report.int3.totalSamples == 3)
    #expect(Set(report.int3.callers.map(\.name)) == ["default_idle", "bpf_stats_handler"])
    #expect(report.int3.note == nil, "cycles samples: no cpu-clock note")
  }
}
