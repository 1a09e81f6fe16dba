import Foundation
import Testing
import TraceTestSupport

/// `pokestat check` on `pokestat record`'s own trace and texts cut from it: nothing checked is
/// never a match, and an architecture without rules exits 2.
@Suite struct CheckCommandTests {
  static let recorded = "fixtures/record/bookworm61-2cpu-record.v7zstd.dat"

  @Test("flips without batches: verdict no-batches, exit 1")
  func noBatches() throws {
    let result = try CommandLine.run([
      "check", "fixtures/record/bookworm61-2cpu-nobatch.report.txt",
    ])
    #expect(result.status == 1)
    #expect(
      result.stdout.contains(
        "verdict: no-batches: 6 flip(s) but no batch found: nothing was checked"),
      "\(result.stdout)")
    #expect(!result.stdout.contains("verdict: match"))
  }

  @Test("--arch armv7l: no rules, exit 2; analyze of the same file still counts")
  func noRules() throws {
    let result = try CommandLine.run(["check", "--arch", "armv7l", Self.recorded])
    #expect(result.status == 2)
    #expect(
      result.stdout.contains("verdict: no-rules: the model has no rules for armv7l"),
      "\(result.stdout)")
    let analyze = try CommandLine.run(["analyze", "--json", Self.recorded])
    #expect(analyze.status == 0)
    #expect(
      analyze.stdout.contains("\"architecture\" : \"x86_64\"")
        || analyze.stdout.contains("\"architecture\":\"x86_64\""))
  }

  @Test("markers only: architecture unknown, exit 2")
  func unknownArchitecture() throws {
    let result = try CommandLine.run([
      "check", "fixtures/record/bookworm61-2cpu-markers.report.txt",
    ])
    #expect(result.status == 2)
    #expect(result.stdout.contains("architecture unknown"), "\(result.stdout)")
  }

  @Test(
    "predict --arch arm64 --kernel 6.1 says the answer depends on the backport; --arm64-backport decides"
  )
  func arm64Backport() throws {
    let base = ["predict", "--arch", "arm64", "--kernel", "6.1", "--cpus", "4", "--entries", "12"]
    let undecided = try CommandLine.run(base)
    #expect(undecided.status == 0)
    #expect(undecided.stdout.contains("depends on backport:"), "\(undecided.stdout)")
    #expect(
      undecided.stdout.contains(
        "with --arm64-backport yes: arm64-kick-per-batch, batches 1, syncs 1, ipis_total 3"),
      "\(undecided.stdout)")
    let yes = try CommandLine.run(base + ["--arm64-backport", "yes", "--json"])
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(yes.stdout.utf8)) as? [String: Any])
    let prediction = (json["prediction"] as? [String: Any]) ?? json
    #expect(prediction["ipis_total"] as? Int == 3)
    #expect(prediction["protocol"] as? String == "arm64-kick-per-batch")
    let bad = try CommandLine.run(base + ["--arm64-backport", "maybe"])
    #expect(bad.status == 2)
  }

  @Test("predict with a stable sublevel: 6.1.192 kicks once per apply (as the lab's 6.1.192 did), 6.1.103 does not; 6.1.0-57 stays undecided")
  func arm64StableRelease() throws {
    func run(_ kernel: String) throws -> [String: Any] {
      let result = try CommandLine.run(["predict", "--arch", "arm64", "--kernel", kernel, "--cpus", "4", "--entries", "63", "--json"])
      #expect(result.status == 0)
      let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
      return (json["prediction"] as? [String: Any]) ?? json
    }
    let fixed = try run("6.1.192")
    #expect(fixed["protocol"] as? String == "arm64-kick-per-batch")
    #expect(fixed["ipis_total"] as? Int == 3)
    #expect((fixed["basis"] as? String)?.contains("at or after v6.1.104") == true)
    let before = try run("6.1.103")
    #expect(before["protocol"] as? String == "arm64-nosync")
    #expect(before["ipis_total"] as? Int == 0)
    let text = try CommandLine.run(["predict", "--arch", "arm64", "--kernel", "6.1.0-57-cloud-arm64", "--cpus", "4", "--entries", "63"])
    #expect(text.stdout.contains("depends on backport:"), "\(text.stdout)")
  }
}
