import Foundation
import Testing
import TraceTestSupport

#if canImport(Glibc)
  import Glibc
#endif

@Suite(.serialized, LiveKernel.trait) struct RecordInt3Tests {
  static var hasHardwarePMU: Bool {
    let devices =
      (try? FileManager.default.contentsOfDirectory(atPath: "/sys/bus/event_source/devices")) ?? []
    return devices.contains {
      $0 == "cpu" || $0.hasPrefix("cpu_") || $0.hasPrefix("armv8") || $0.hasPrefix("armv9")
    }
  }

  @Test(
    "record --int3 without a hardware PMU: the capture runs, no int3 count is printed, stderr says why"
  )
  func int3WithoutPMU() throws {
    try LiveKernel.exclusively {
      let result = try CommandLine.run(["record", "--int3", "--duration", "200ms"])
      #expect(result.status == 0 || result.status == 1, "\(result.stderr)")  // 1: nothing to check in 200 ms
      if Self.hasHardwarePMU {
        #expect(result.stdout.contains("cycles samples in the int3 handler"), "\(result.stdout)")
      } else {
        #expect(
          result.stderr.contains(
            "pokestat: --int3: no hardware PMU event here (perf_event_open(PERF_COUNT_HW_CPU_CYCLES) on cpu0: No such file or directory); cpu-clock cannot sample inside the int3 handler (it runs with interrupts off), so no int3 count is given"
          ),
          "\(result.stderr)")
        #expect(!result.stdout.contains("int3:"), "no count is given")
      }
    }
  }
}
