import Foundation
import Testing
import TraceTestSupport

/// Runs the built `pokestat predict` and checks its JSON, the way a script would use it.
@Suite struct PredictCommandTests {
  static let binary = Fixtures.pokestatBinary.path

  private func predictJSON(_ arguments: [String]) throws -> [String: Any] {
    let output = try Fixtures.run(Self.binary, ["predict"] + arguments + ["--json"])
    let object = try JSONSerialization.jsonObject(with: Data(output.utf8))
    return try #require(object as? [String: Any])
  }

  @Test("seed 001 through the CLI: 168 vs 3 IPIs per CPU for 56 entries, 12 for netstamp_needed_key",
        arguments: [
          (["--arch", "x86", "--kernel", "5.2", "--cpus", "24", "--entries", "56"], 56, 168, 168, 168 * 23),
          (["--arch", "x86", "--kernel", "5.3", "--cpus", "24", "--entries", "56"], 1, 3, 3, 3 * 23),
          (["--kernel", "6.1", "--cpus", "8", "--entries", "4", "--unbatched"], 4, 12, 12, 12 * 7),
        ])
  func seeds(arguments: [String], batches: Int, syncs: Int, perCPU: Int, total: Int) throws {
    let json = try predictJSON(arguments)
    #expect(json["batches"] as? Int == batches)
    #expect(json["syncs"] as? Int == syncs)
    #expect(json["ipis_per_cpu"] as? Int == perCPU)
    #expect(json["ipis_total"] as? Int == total)
    #expect((json["batch_list"] as? [Any])?.count == batches)
  }

  @Test("TP_VEC_MAX boundary and module runs through the CLI")
  func boundaryAndModules() throws {
    #expect(try predictJSON(["--kernel", "6.1", "--cpus", "4", "--entries", "256"])["batches"] as? Int == 1)
    #expect(try predictJSON(["--kernel", "6.1", "--cpus", "4", "--entries", "257"])["batches"] as? Int == 2)
    let modules = try predictJSON(["--kernel", "6.1", "--cpus", "4", "--entries", "10,3", "--modules", "2", "--module-entries", "5"])
    #expect(modules["batches"] as? Int == 4)
    #expect(modules["ipis_total"] as? Int == 4 * 3 * 3)
  }

  @Test("seed 000 batch timing: shared refcount takes over 100 times the per-CPU time")
  func batchTiming() throws {
    let common = ["--kernel", "6.8", "--cpus", "480", "--entries", "164", "--int3-traps-per-second", "50000000"]
    let shared = try predictJSON(common + ["--refcount", "shared"])
    let perCPU = try predictJSON(common + ["--refcount", "per-cpu"])
    let sharedMicroseconds = try #require(((shared["batch_timing"] as? [[String: Any]])?.first?["totalMicroseconds"]) as? Double)
    let perCPUMicroseconds = try #require(((perCPU["batch_timing"] as? [[String: Any]])?.first?["totalMicroseconds"]) as? Double)
    #expect(abs(log10(sharedMicroseconds / 2_655_300)) < 1)
    #expect(abs(log10(perCPUMicroseconds / 702)) < 1)
  }

  @Test("BPF prog pack and kretprobe variants")
  func bpfAndKretprobe() throws {
    let sizes = Array(repeating: "1000", count: 160).joined(separator: ",")
    let pack = try predictJSON(["--bpf-prog-sizes", sizes])
    #expect(pack["packs"] as? Int == 1)
    #expect(pack["pagesWithoutPack"] as? Int == 160)
    let kretprobe = try predictJSON(["--kernel", "6.1", "--cpus", "2", "--concurrency", "3", "--bursts", "4"])
    #expect(kretprobe["maxactive"] as? Int == 2)
    #expect(kretprobe["nmissed"] as? Int == 4)
  }

  @Test("bad option values exit with status 2 and a one-line message",
        arguments: [
          ["--kernel", "banana", "--cpus", "4", "--entries", "3"],
          ["--kernel", "6.1", "--cpus", "0", "--entries", "3"],
          ["--kernel", "6.1", "--cpus", "4", "--entries", "3,x"],
          ["--arch", "sparc", "--kernel", "6.1", "--cpus", "4", "--entries", "3"],
          ["--kernel", "6.1", "--cpus", "4"],
        ])
  func badValues(arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.binary)
    process.arguments = ["predict"] + arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 2)
    #expect(message.hasPrefix("pokestat: "))
    #expect(message.split(separator: "\n").count == 1)
  }
}
