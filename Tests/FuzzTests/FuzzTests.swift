import Foundation
import Testing
import TraceModel
import TraceTestSupport

/// The mutation fuzzer (docs/fuzzing.md): a bounded pass for `make test`, a long one for `make fuzz`.
@Suite("mutation fuzzer")
struct FuzzTests {
  /// The seed of the bounded passes `make test` runs (any seed must pass; this one is fixed
  /// so a failure reproduces).
  static let testSeed: UInt64 = 20_261_202

  @Test("mutations are deterministic: the same seed and case give the same bytes")
  func deterministic() throws {
    let seed = try #require(try FuzzCorpus.seeds(small: true).first { !$0.isText })
    var a = SplitMix64(seed: 7, case: 42)
    var b = SplitMix64(seed: 7, case: 42)
    var c = SplitMix64(seed: 7, case: 43)
    let first = seed.mutator.mutate(seed.bytes, rng: &a)
    #expect(first.bytes == seed.mutator.mutate(seed.bytes, rng: &b).bytes)
    #expect(first.bytes != seed.mutator.mutate(seed.bytes, rng: &c).bytes)
    // SplitMix64's published first output for seed 0 (Vigna's splitmix64.c).
    var zero = SplitMix64(seed: 0)
    #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
  }

  @Test("the field map finds every page header of an uncompressed seed and the chunk headers of a compressed one",
        arguments: ["fuzz/seeds/local618-flips-stack.v6.dat", "fuzz/seeds/lab61-2cpu.v7none.dat", "fuzz/seeds/lab61-2cpu.v7zstd.dat"])
  func fieldMap(_ name: String) throws {
    let bytes = [UInt8](try Data(contentsOf: Fixtures.url(name)))
    let fields = TraceDatFieldMap.fields(of: bytes)
    let names = Set(fields.map(\.name))
    #expect(names.contains("page size") && names.contains("long size"))
    if name.hasSuffix("zstd.dat") {
      #expect(names.contains("chunk compressed size") && names.contains("option 3 size"))
    } else {
      // make-fuzz-seeds.sh keeps 4 pages of each CPU (fewer when the CPU had fewer): at least one page per CPU.
      let pages = fields.filter { $0.name == "page commit" }.count
      #expect(pages >= 2 && pages <= 4 * 2 * (name.contains("lab61") ? 2 : 1))
      #expect(names.contains("event header"))
      #expect(names.contains(name.contains(".v6.") ? "cpu 0 data size" : "cpu data size"))
    }
  }

  @Test("bounded in-process pass: every mutated input ends in success or a one-line typed error")
  func boundedInProcess() throws {
    let campaign = FuzzCampaign(seed: Self.testSeed, cases: 4000, mode: .inProcess, seeds: try FuzzCorpus.seeds(small: true),
                                saveFolder: Fixtures.repositoryRoot.appendingPathComponent(".build/fuzz-failures"))
    let summary = try campaign.run()
    print(summary)
    #expect(summary.failures.isEmpty, "\(summary)")
    #expect(summary.cases == 4000)
  }

  @Test("bounded subprocess pass: the real binary exits 0, 1 or 2 with one line, under 2 GiB and a time cap",
        .enabled(if: SubprocessRun.binaryExists, "needs the pokestat binary beside the tests (swift build)"))
  func boundedSubprocess() throws {
    let campaign = FuzzCampaign(seed: Self.testSeed ^ 0x5bd1e995, cases: 100, mode: .subprocess,
                                seeds: try FuzzCorpus.seeds(small: true),
                                saveFolder: Fixtures.repositoryRoot.appendingPathComponent(".build/fuzz-failures"),
                                timeoutSeconds: 20)
    let summary = try campaign.run()
    print(summary)
    #expect(summary.failures.isEmpty, "\(summary)")
  }

  @Test("long run (make fuzz SEED=… CASES=…)",
        .enabled(if: ProcessInfo.processInfo.environment["POKESTAT_FUZZ_CASES"] != nil, "set by make fuzz"))
  func longRun() throws {
    let campaign = try FuzzCampaign.fromEnvironment(
      defaultSeed: UInt64(Date().timeIntervalSince1970), defaultCases: 1000, defaultMode: .subprocess)
    print("fuzz: seed \(campaign.seed), \(campaign.cases) cases from \(campaign.firstCase), \(campaign.mode.rawValue), \(campaign.seeds.count) seeds")
    let summary = try campaign.run(maxFailures: 200)
    print(summary)
    #expect(summary.failures.isEmpty, "\(summary)")
  }
}
