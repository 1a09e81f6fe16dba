import Foundation
import Testing
import TraceTestSupport

/// Runs the built `pokestat predict` and checks its JSON, the way a script would use it.
@Suite struct PredictCommandTests {
  static let binary = Fixtures.pokestatBinary.path

  /// `pokestat predict <arguments> --json` (`patch` is the default subcommand), parsed.
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
    // The spelling of README and docs/model.md (`patch` by default) and the explicit subcommand.
    for spelling in [arguments, ["patch"] + arguments] {
      let json = try predictJSON(spelling)
      #expect(json["batches"] as? Int == batches, "\(spelling)")
      #expect(json["syncs"] as? Int == syncs)
      #expect(json["ipis_per_cpu"] as? Int == perCPU)
      #expect(json["ipis_total"] as? Int == total)
      #expect((json["batch_list"] as? [Any])?.count == batches)
    }
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
    let sharedMicroseconds = try #require(((shared["batch_timing"] as? [[String: Any]])?.first?["total_us"]) as? Double)
    let perCPUMicroseconds = try #require(((perCPU["batch_timing"] as? [[String: Any]])?.first?["total_us"]) as? Double)
    #expect(abs(log10(sharedMicroseconds / 2_655_300)) < 1)
    #expect(abs(log10(perCPUMicroseconds / 702)) < 1)
  }

  @Test("BPF prog pack and kretprobe subcommands")
  func bpfAndKretprobe() throws {
    let sizes = Array(repeating: "1000", count: 160).joined(separator: ",")
    let pack = try predictJSON(["bpf-pack", "--sizes", sizes])
    #expect(pack["packs"] as? Int == 1)
    #expect(pack["pages_without_pack"] as? Int == 160)
    #expect(pack["itlb_entries_with_pack"] as? Int == 1)
    let kretprobe = try predictJSON(["kretprobe", "--kernel", "6.1", "--cpus", "2", "--concurrency", "3", "--bursts", "4"])
    #expect(kretprobe["maxactive"] as? Int == 2)
    #expect(kretprobe["nmissed"] as? Int == 4)
    #expect(kretprobe["bursts"] as? Int == 4)
    // --concurrency is a list of bursts, as in `pokestat kprobes`; --bursts repeats it.
    let list = try predictJSON(["kretprobe", "--kernel", "6.1", "--cpus", "2", "--concurrency", "3,3,3,3"])
    #expect(list["nmissed"] as? Int == 4)
    let mixed = try predictJSON(["kretprobe", "--kernel", "6.1", "--cpus", "2", "--concurrency", "4,1", "--bursts", "2"])
    #expect((mixed["burst_list"] as? [[String: Any]])?.map { $0["missed"] as? Int } == [2, 0, 2, 0])
    #expect(mixed["nmissed"] as? Int == 4)
  }

  @Test("bad option values are usage errors: ArgumentParser's message naming the option, exit 2",
        arguments: [
          (["--kernel", "banana", "--cpus", "4", "--entries", "3"], "--kernel"),
          (["--kernel", "6.1", "--cpus", "0", "--entries", "3"], "--cpus"),
          (["--kernel", "6.1", "--cpus", "4", "--entries", "3,x"], "--entries"),
          (["--arch", "sparc", "--kernel", "6.1", "--cpus", "4", "--entries", "3"], "--arch"),
          (["--kernel", "6.1", "--cpus", "4"], "--entries"),
          (["--kernel", "6.1", "--cpus", "4", "--entries", "3", "--int3-traps-per-second", "1e6", "--refcount", "per_cpu"], "--refcount"),
          (["--kernel", "6.1", "--cpus", "4", "--entries", "3", "--refcount", "per-cpu"], "--refcount"),
          (["--arch", "arm64", "--kernel", "6.1", "--cpus", "4", "--entries", "3", "--unbatched"], "--unbatched"),
          (["--kernel", "6.1", "--cpus", "4", "--entries", "3", "--format", "jsonl"], "jsonl"),
          (["bpf-pack", "--sizes", "10,-1"], "--sizes"),
          (["kretprobe", "--kernel", "6.1", "--cpus", "2", "--concurrency", "3", "--bursts", "-1"], "--bursts"),
        ])
  func badValues(arguments: [String], option: String) throws {
    let result = try CommandLine.run(["predict"] + arguments)
    #expect(result.status == 2)
    #expect(result.stdout.isEmpty)
    #expect(result.stderr.hasPrefix("Error: "), "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").first?.contains(option) == true, "\(result.stderr)")
    #expect(result.stderr.contains("Usage: pokestat predict"))
  }

  @Test("the options of the other predictions, before they had subcommands, say where they went",
        arguments: [(["--bpf-prog-sizes", "1000"], "predict bpf-pack"), (["--concurrency", "3", "--kernel", "6.1", "--cpus", "2"], "predict kretprobe")])
  func movedOptions(arguments: [String], subcommand: String) throws {
    let result = try CommandLine.run(["predict"] + arguments)
    #expect(result.status == 2)
    #expect(result.stderr.contains(subcommand), "\(result.stderr)")
  }

  @Test("every example in the help of predict and its subcommands runs",
        arguments: [["predict"], ["predict", "patch"], ["predict", "bpf-pack"], ["predict", "kretprobe"]])
  func helpExamples(path: [String]) throws {
    let help = try CommandLine.run(path + ["--help"]).stdout
    let examples = help.split(separator: "\n").filter { $0.hasPrefix("  pokestat ") }
    for example in examples {
      let arguments = example.split(separator: " ").dropFirst().map(String.init)
      let result = try CommandLine.run(arguments)
      #expect(result.status == 0, "\(example): \(result.stderr)")
      #expect(!result.stdout.isEmpty, "\(example)")
    }
    if path.count == 2 { #expect(!examples.isEmpty, "\(path)") }
  }
}
